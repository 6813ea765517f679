// Moving a replica between the log dirs of one broker (JBOD; AlterReplicaLogDirs, KIP-113) on a
// real broker with two log dirs: `samsa reassign-partitions --execute` with explicit log_dirs
// starts the move, `--verify` follows it until Kafka's "Reassignment of replica t-0-0 completed
// successfully."; the partition then lives in the other dir, the old copy is deleted after the
// delete delay, every record is still served in order and nothing acknowledged while producing
// during the move is lost. A move throttled with --replica-alter-log-dirs-throttle takes
// measurably longer, and a move interrupted by SIGKILL resumes from its `-future` dir after the
// restart.

import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, Producer } from 'kafkajs';
import {
  BrokerProcess,
  makeTempDir,
  removeTempDir,
  runSamsa,
  sleep,
  startBroker,
  startTestZooKeeper,
  stopAll,
  TestZooKeeper,
  waitFor,
} from '../harness';

jest.setTimeout(120_000);

const TOPIC = 'moving';
let zk: TestZooKeeper;
let broker: BrokerProcess;
let tmp: string;
let dirs: [string, string];
let kafka: Kafka;
let producer: Producer;
/** Values acknowledged so far, in offset order (one partition, acks=all). */
const acked: string[] = [];

beforeAll(async () => {
  tmp = makeTempDir('samsa-log-dirs-');
  dirs = [path.join(tmp, 'd1'), path.join(tmp, 'd2')];
  zk = await startTestZooKeeper();
  broker = await startBroker({
    id: 0,
    zkConnect: zk.connectString,
    logDirs: dirs.join(','),
    overrides: {
      'log.segment.delete.delay.ms': '500',
      'log.segment.bytes': String(1024 * 1024),
      // A short rate window so that a throttle shows within seconds.
      'replication.quota.window.num': '2',
      'replication.quota.window.size.seconds': '1',
      'replica.fetch.backoff.ms': '100',
    },
  });
  kafka = new Kafka({
    brokers: [broker.bootstrap],
    clientId: 'log-dirs-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const c = await runSamsa([
    'topics',
    '--bootstrap-server',
    broker.bootstrap,
    '--create',
    '--topic',
    TOPIC,
    '--partitions',
    '1',
    '--replication-factor',
    '1',
  ]);
  expect(c.code).toBe(0);
  producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  await produce(20_000);
});

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await stopAll();
  if (tmp) await removeTempDir(tmp);
});

const pad = 'v'.repeat(180);

/** Produces `n` more records (values numbered on from what was acknowledged) in batches of 500. */
async function produce(n: number): Promise<void> {
  for (let done = 0; done < n; done += 500) {
    const first = acked.length;
    const values = Array.from({ length: Math.min(500, n - done) }, (_, i) => `${first + i}-${pad}`);
    await producer.send({ topic: TOPIC, acks: -1, messages: values.map((value) => ({ value })) });
    acked.push(...values);
  }
}

/** Which of the two log dirs holds `moving-0` (and any `-future` / `-delete` copies). */
function layout(): Array<{ normal: boolean; future: boolean; deleted: boolean }> {
  return dirs.map((d) => {
    const names = fs.existsSync(d) ? fs.readdirSync(d) : [];
    return {
      normal: names.includes(`${TOPIC}-0`),
      future: names.some((n) => n.startsWith(`${TOPIC}-0.`) && n.endsWith('-future')),
      deleted: names.some((n) => n.startsWith(`${TOPIC}-0.`) && n.endsWith('-delete')),
    };
  });
}

const currentDirIndex = (): number => layout().findIndex((l) => l.normal);

async function reassign(action: string, file: string, extra: string[] = []) {
  return runSamsa([
    'reassign-partitions',
    '--bootstrap-server',
    broker.bootstrap,
    action,
    '--reassignment-json-file',
    file,
    ...extra,
  ]);
}

/** Starts moving moving-0 to `to`; returns the JSON file for --verify. */
async function startMove(to: string, extra: string[] = []): Promise<string> {
  const file = path.join(tmp, `move-${Date.now()}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      partitions: [{ topic: TOPIC, partition: 0, replicas: [0], log_dirs: [to] }],
    }),
  );
  const r = await reassign('--execute', file, extra);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    `Successfully started moving log directory to ${to} for replica ${TOPIC}-0 with broker 0 \n`,
  );
  return file;
}

/** --verify until the move is reported complete; returns the last output. */
async function verifyUntilComplete(file: string, timeoutMs = 60_000): Promise<string> {
  let out = '';
  await waitFor(
    async () => {
      const r = await reassign('--verify', file);
      out = r.stdout;
      if (!r.stdout.includes(`Reassignment of replica ${TOPIC}-0-0 completed successfully.`)) {
        expect(r.stdout).toContain(`Reassignment of replica ${TOPIC}-0-0 is still in progress.`);
        return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 200, message: 'the log dir move to complete' },
  );
  return out;
}

/** Every record of the partition, consumed from the beginning. */
async function consumeAll(expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `check-${Date.now()}`, maxBytes: 4 * 1024 * 1024 });
  const seen: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) seen.push(m.value!.toString());
      },
    });
    await waitFor(() => seen.length >= expected, { timeoutMs: 30_000, message: `${expected} records` });
    await sleep(300);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

test('a replica moves to the other log dir while producing; nothing acknowledged is lost', async () => {
  const from = currentDirIndex();
  expect(from).toBeGreaterThanOrEqual(0);
  const to = 1 - from;
  const before = acked.length;

  // A producer keeps going during the whole move.
  let producing = true;
  const background = (async () => {
    while (producing) await produce(500);
  })();
  const file = await startMove(dirs[to]);
  const out = await verifyUntilComplete(file);
  producing = false;
  await background;
  expect(out).toContain(
    'Status of partition reassignment:\nReassignment of partition moving-0 is completed.\n',
  );
  expect(acked.length).toBeGreaterThan(before);

  expect(layout()[to]).toEqual({ normal: true, future: false, deleted: false });
  expect(layout()[from].normal).toBe(false);
  expect(layout()[from].future).toBe(false);
  // The old copy goes after log.segment.delete.delay.ms.
  await waitFor(() => !layout()[from].deleted, { timeoutMs: 10_000, message: 'the old copy to be deleted' });

  // Appends after the swap go to the new dir.
  await produce(1000);
  const seen = await consumeAll(acked.length);
  expect(seen.length).toBe(acked.length);
  expect(seen).toEqual(acked);
});

test('a throttled move takes measurably longer than an unthrottled one', async () => {
  const timeMove = async (extra: string[]) => {
    const to = 1 - currentDirIndex();
    const started = Date.now();
    const file = await startMove(dirs[to], extra);
    const out = await verifyUntilComplete(file);
    const took = Date.now() - started;
    expect(currentDirIndex()).toBe(to);
    return { took, out };
  };
  const size = fs
    .readdirSync(path.join(dirs[currentDirIndex()], `${TOPIC}-0`))
    .filter((n) => n.endsWith('.log'))
    .reduce((s, n) => s + fs.statSync(path.join(dirs[currentDirIndex()], `${TOPIC}-0`, n)).size, 0);
  expect(size).toBeGreaterThan(3_500_000);

  const fast = await timeMove([]);
  // 3 MB/s for 5-10 MB: a few seconds, against well under one without the throttle.
  const slow = await timeMove(['--replica-alter-log-dirs-throttle', '3000000']);
  expect(slow.took).toBeGreaterThan(1500);
  expect(slow.took).toBeGreaterThan(fast.took * 2);
  // The verify that saw the move complete removed the throttle.
  expect(slow.out).toContain('Clearing broker-level throttles on broker 0');
  const d = await runSamsa([
    'configs',
    '--bootstrap-server',
    broker.bootstrap,
    '--entity-type',
    'brokers',
    '--entity-name',
    '0',
    '--describe',
  ]);
  expect(d.stdout).not.toContain('replica.alter.log.dirs.io.max.bytes.per.second');

  const seen = await consumeAll(acked.length);
  expect(seen).toEqual(acked);
});

test('a move interrupted by SIGKILL resumes from its -future dir after the restart', async () => {
  const from = currentDirIndex();
  const to = 1 - from;
  // Slow enough to be caught half-way.
  const file = await startMove(dirs[to], ['--replica-alter-log-dirs-throttle', '300000']);
  await waitFor(() => layout()[to].future, { message: 'the future dir' });
  await sleep(500);
  await producer.disconnect();
  await broker.kill9();
  expect(layout()[to].future).toBe(true);
  expect(layout()[from].normal).toBe(true);

  await broker.restart();
  // Nothing asks for the move again: the copy resumes from the -future dir found at start-up.
  // Without the throttle it finishes quickly.
  const clear = await runSamsa([
    'configs',
    '--bootstrap-server',
    broker.bootstrap,
    '--entity-type',
    'brokers',
    '--entity-name',
    '0',
    '--alter',
    '--delete-config',
    'replica.alter.log.dirs.io.max.bytes.per.second',
  ]);
  expect(clear.code).toBe(0);
  await verifyUntilComplete(file);
  expect(layout()[to]).toMatchObject({ normal: true, future: false });
  expect(layout()[from].normal).toBe(false);

  producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  await produce(500);
  const seen = await consumeAll(acked.length);
  expect(seen).toEqual(acked);
});
