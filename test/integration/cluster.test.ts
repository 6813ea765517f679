// Issue "The cluster": three real broker processes and a real ZooKeeper — controller election
// and failover, Kafka's replica placement, identical metadata on every broker, leader failover
// under a continuous acks=all producer, follower catch-up and ISR changes, controlled shutdown.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(300_000);

const SESSION_TIMEOUT_MS = 6000;
const LAG_MS = 2000;
const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cluster-logs-'));
let cluster: Cluster;
let zkc: ZkClient;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    overrides: {
      'zookeeper.session.timeout.ms': String(SESSION_TIMEOUT_MS),
      'replica.lag.time.max.ms': String(LAG_MS),
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'log.initial.task.delay.ms': '0',
    },
    brokerOverrides: (id) => ({ 'samsa.log.dir': path.join(logRoot, `broker-${id}`) }),
  });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
  fs.rmSync(logRoot, { recursive: true, force: true });
});

interface PartitionState {
  leader: number;
  leader_epoch: number;
  isr: number[];
}

const state = (topic: string, p: number) =>
  zkc.getJson<PartitionState>(`/brokers/topics/${topic}/partitions/${p}/state`);
const controllerId = async () => (await zkc.getJson<{ brokerid: number }>('/controller'))?.brokerid ?? -1;
const broker = (id: number) => cluster.brokers.find((b) => b.id === id)!;
const bootstrapOf = (ids: number[]) => ids.map((id) => broker(id).bootstrap);
const client = (ids = [0, 1, 2]) =>
  new Kafka({
    brokers: bootstrapOf(ids),
    clientId: 'cluster-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
  });

/** `kcat -L` as seen from one broker: the partition lines, sorted. */
async function kcatPartitions(brokerId: number, topic: string): Promise<string[]> {
  const r = await runKcat(['-b', broker(brokerId).bootstrap, '-L', '-t', topic]);
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('partition '))
    .map((l) => l.trim())
    .sort();
}

test('an RF=3 topic is placed by Kafka’s algorithm and every broker reports the same leaders and ISRs', async () => {
  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    'placed',
    '--partitions',
    '6',
    '--replication-factor',
    '3',
  ]);
  expect(r.code).toBe(0);
  const topic = await zkc.getJson<{ partitions: Record<string, number[]> }>('/brokers/topics/placed');
  const assignment = Object.values(topic!.partitions);
  // Round-robin leaders from a random start, followers shifted: each broker leads 2 partitions
  // and holds a replica of all 6; consecutive partitions' leaders follow the broker order.
  for (const b of [0, 1, 2]) {
    expect(assignment.filter((rs) => rs[0] === b)).toHaveLength(2);
    expect(assignment.filter((rs) => rs.includes(b))).toHaveLength(6);
  }
  for (let p = 1; p < 6; p++) expect(assignment[p][0]).toBe((assignment[p - 1][0] + 1) % 3);
  await waitFor(async () => {
    for (let p = 0; p < 6; p++) if ((await state('placed', p))?.isr.length !== 3) return false;
    return true;
  });
  const views = await Promise.all([0, 1, 2].map((id) => kcatPartitions(id, 'placed')));
  expect(views[0]).toHaveLength(6);
  expect(views[1]).toEqual(views[0]);
  expect(views[2]).toEqual(views[0]);
  for (let p = 0; p < 6; p++) {
    const s = (await state('placed', p))!;
    expect(views[0]).toContain(
      `partition ${p}, leader ${s.leader}, replicas: ${assignment[p].join(',')}, isrs: ${s.isr.join(',')}`,
    );
  }
});

test('controller and state-change decisions have their own log files, as Kafka keeps them', async () => {
  const ctrl = await controllerId();
  const dir = path.join(logRoot, `broker-${ctrl}`);
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  expect(read('controller.log')).toMatch(
    /\[Controller id=\d\] \d successfully elected as the controller\. Epoch incremented to \d+/,
  );
  expect(read('state-change.log')).toMatch(
    /Changed partition placed-\d from NewPartition to OnlinePartition/,
  );
  expect(read('server.log')).toMatch(/\[KafkaServer id=\d\] started \(kafka\.server\.KafkaServer\)/);
  expect(read('server.log')).not.toMatch(/state\.change\.logger/);
});

test('SIGKILL of the controller: another broker takes over within the session timeout, epoch incremented', async () => {
  const before = await controllerId();
  const epochBefore = Number((await zkc.getData('/controller_epoch'))!.toString());
  const killedAt = Date.now();
  await broker(before).kill9();
  await waitFor(
    async () => {
      const c = await controllerId();
      return c !== -1 && c !== before;
    },
    { timeoutMs: 20_000, message: 'a new controller' },
  );
  // ZooKeeper expires the session after zookeeper.session.timeout.ms (6000; the test ZooKeeper
  // ticks every 500 ms), then a survivor wins the race for /controller at once.
  expect(Date.now() - killedAt).toBeLessThan(SESSION_TIMEOUT_MS + 1500);
  expect(Number((await zkc.getData('/controller_epoch'))!.toString())).toBe(epochBefore + 1);
  const after = await controllerId();
  // the survivors' metadata names the new controller
  const admin = client([0, 1, 2].filter((id) => id !== before)).admin();
  await admin.connect();
  await waitFor(async () => (await admin.describeCluster()).controller === after, { timeoutMs: 15_000 });
  await admin.disconnect();
  await broker(before).restart();
  await waitFor(async () => (await zkc.getChildren('/brokers/ids')).length === 3, { timeoutMs: 20_000 });
});

test('killing partition leaders (kill -9, 10 times) under an acks=all producer: every acknowledged record exactly once, in order', async () => {
  const created = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    'failover',
    '--partitions',
    '3',
    '--replication-factor',
    '3',
    '--config',
    'min.insync.replicas=2',
  ]);
  expect(created.code).toBe(0);
  await waitFor(async () => {
    for (let p = 0; p < 3; p++) if ((await state('failover', p))?.isr.length !== 3) return false;
    return true;
  });
  // idempotent: a retry after a leader failure must not write an acknowledged record twice
  const producer = client().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked: Record<number, string[]> = { 0: [], 1: [], 2: [] };
  let stop = false;
  let sent = 0;
  const loop = (async () => {
    while (!stop) {
      const partition = sent % 3;
      const value = `v${sent++}`;
      try {
        await producer.send({
          topic: 'failover',
          acks: -1,
          timeout: 10_000,
          messages: [{ partition, value }],
        });
        acked[partition].push(value);
      } catch {
        // not acknowledged: may or may not be in the log, never counted
      }
    }
  })();
  for (let round = 0; round < 10; round++) {
    await waitFor(() => acked[0].length + acked[1].length + acked[2].length > (round + 1) * 50, {
      timeoutMs: 60_000,
      message: 'progress',
    });
    const p = round % 3;
    const before = (await state('failover', p))!;
    const leader = before.leader;
    await broker(leader).kill9();
    await waitFor(
      async () => {
        const s = await state('failover', p);
        return s !== null && s.leader !== leader && s.leader >= 0;
      },
      { timeoutMs: 30_000, message: `a new leader for failover-${p}` },
    );
    const after = (await state('failover', p))!;
    // Kafka's offline election: a surviving member of the ISR, in a newer leader epoch.
    expect(before.isr).toContain(after.leader);
    expect(after.leader_epoch).toBeGreaterThan(before.leader_epoch);
    // The producer goes on while the killed broker is down: records on the new leader.
    const ackedOnP = acked[p].length;
    await waitFor(() => acked[p].length > ackedOnP + 5, {
      timeoutMs: 60_000,
      message: `acknowledged writes to failover-${p} after the failover`,
    });
    await broker(leader).restart();
    await waitFor(async () => (await state('failover', p))!.isr.includes(leader), {
      timeoutMs: 60_000,
      message: `broker ${leader} back in the ISR`,
    });
  }
  stop = true;
  await loop;
  await producer.disconnect();
  // After all that, every broker's metadata (kcat -L) agrees with ZooKeeper.
  await waitFor(
    async () => {
      const views = await Promise.all([0, 1, 2].map((id) => kcatPartitions(id, 'failover')));
      if (views.some((v) => v.join('|') !== views[0].join('|'))) return false;
      for (let p = 0; p < 3; p++) {
        const s = (await state('failover', p))!;
        if (
          !views[0].some(
            (l) =>
              l.startsWith(`partition ${p}, leader ${s.leader},`) && l.endsWith(`isrs: ${s.isr.join(',')}`),
          )
        )
          return false;
      }
      return true;
    },
    { timeoutMs: 30_000, message: 'identical kcat -L views matching ZooKeeper' },
  );
  for (let p = 0; p < 3; p++) {
    const r = await runKcat(
      ['-b', cluster.bootstrap, '-t', 'failover', '-p', String(p), '-C', '-e', '-q', '-f', '%s\\n'],
      { timeoutMs: 120_000 },
    );
    const got = r.stdout.split('\n').filter(Boolean);
    const ackedSet = new Set(acked[p]);
    const gotAcked = got.filter((v) => ackedSet.has(v));
    expect(gotAcked).toEqual(acked[p]); // every acknowledged record once, in order
    expect(new Set(got).size).toBe(got.length); // nothing twice
  }
});

test('a stopped follower (SIGSTOP) leaves the ISR after replica.lag.time.max.ms and rejoins after SIGCONT', async () => {
  const created = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    'lag',
    '--partitions',
    '1',
    '--replication-factor',
    '3',
  ]);
  expect(created.code).toBe(0);
  await waitFor(async () => (await state('lag', 0))?.isr.length === 3);
  const s = (await state('lag', 0))!;
  // a follower that is not the controller (stopping the controller would stall the ISR change)
  const ctrl = await controllerId();
  const follower = [0, 1, 2].find((id) => id !== s.leader && id !== ctrl)!;
  // bootstrap from the leader only: a client talking to the stopped broker would just wait
  const producer = client([s.leader]).producer();
  await producer.connect();
  broker(follower).kill('SIGSTOP');
  const stoppedAt = Date.now();
  let shrunkAfter = -1;
  try {
    for (let i = 0; i < 20; i++)
      await producer.send({ topic: 'lag', acks: 1, messages: [{ value: `x${i}` }] });
    await waitFor(
      async () => {
        if ((await state('lag', 0))!.isr.includes(follower)) return false;
        shrunkAfter = Date.now() - stoppedAt;
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 50, message: 'ISR shrink' },
    );
  } finally {
    broker(follower).kill('SIGCONT');
  }
  // Out of the ISR only once it lagged replica.lag.time.max.ms: its last caught-up fetch may have
  // been a long poll up to replica.fetch.wait.max.ms (500) before the SIGSTOP.
  expect(shrunkAfter).toBeGreaterThanOrEqual(LAG_MS - 500);
  await waitFor(async () => (await state('lag', 0))!.isr.includes(follower), {
    timeoutMs: 30_000,
    message: 'ISR expand',
  });
  // Back in sync: it holds every record (an acks=all write now needs all three).
  const r = await producer.send({ topic: 'lag', acks: -1, messages: [{ value: 'after' }] });
  expect(r[0].errorCode).toBe(0);
  await producer.disconnect();
});

test('SIGTERM: controlled shutdown moves leadership away with no produce errors', async () => {
  const created = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    'graceful',
    '--partitions',
    '3',
    '--replication-factor',
    '3',
  ]);
  expect(created.code).toBe(0);
  await waitFor(
    async () => {
      for (let p = 0; p < 3; p++) if ((await state('graceful', p))?.isr.length !== 3) return false;
      return true;
    },
    { timeoutMs: 60_000, message: 'full ISRs' },
  );
  const victim = (await state('graceful', 0))!.leader;
  const ctrl = await controllerId();
  const led = [];
  for (let p = 0; p < 3; p++) if ((await state('graceful', p))!.leader === victim) led.push(p);
  const producer = client().producer();
  await producer.connect();
  const errors: unknown[] = [];
  let stop = false;
  let n = 0;
  const loop = (async () => {
    while (!stop) {
      try {
        await producer.send({ topic: 'graceful', acks: -1, messages: [{ value: `g${n++}` }] });
      } catch (e) {
        errors.push(e);
      }
    }
  })();
  await waitFor(() => n > 100, { timeoutMs: 60_000, message: 'the producer to get going' });
  expect(await broker(victim).stop()).toBe(0);
  expect(broker(victim).output()).toMatch(/Controlled shutdown request returned successfully/);
  for (let p = 0; p < 3; p++) expect((await state('graceful', p))!.leader).not.toBe(victim);
  // The moves were the controller's controlled-shutdown elections, Online -> Online, not the
  // broker-failure path (which takes a partition through OfflinePartition).
  const stateChanges = fs.readFileSync(path.join(logRoot, `broker-${ctrl}`, 'state-change.log'), 'utf8');
  for (const p of led) {
    expect(stateChanges).toMatch(
      new RegExp(
        `Changed partition graceful-${p} from OnlinePartition to OnlinePartition with state LeaderAndIsr\\(leader=(?!${victim},)\\d+,`,
      ),
    );
    expect(stateChanges).not.toMatch(
      new RegExp(`partition graceful-${p} (state )?from OnlinePartition to OfflinePartition`),
    );
  }
  const target = n + 100;
  await waitFor(() => n > target, { timeoutMs: 60_000, message: 'produce to go on after the shutdown' });
  stop = true;
  await loop;
  await producer.disconnect();
  expect(errors).toEqual([]);
  await broker(victim).restart();
});
