// Replication between real broker processes with a real ZooKeeper: followers hold byte-identical
// copies of the leader's segments, a crashed follower or leader catches up (an old leader drops
// its unreplicated suffix) and rejoins the ISR, a stopped follower leaves the ISR so that acks=all
// answers NOT_ENOUGH_REPLICAS under min.insync.replicas, followers checkpoint their high
// watermark, and OffsetForLeaderEpoch answers for the new leader.

import * as fs from 'fs';
import * as path from 'path';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/network-client';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { OffsetForLeaderEpochResponse } from '../../src/protocol/messages/generated/OffsetForLeaderEpochResponse';
import type { ProduceResponse } from '../../src/protocol/messages/generated/ProduceResponse';
import { buildRecordBatchSync } from '../../src/protocol/records/records';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(300_000);

let cluster: Cluster;
let zkc: ZkClient;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    overrides: {
      'replica.lag.time.max.ms': '3000',
      'replica.high.watermark.checkpoint.interval.ms': '500',
      'auto.leader.rebalance.enable': 'false',
    },
  });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
});

interface PartitionState {
  leader: number;
  leader_epoch: number;
  isr: number[];
}

const state = async (topic: string, p = 0) =>
  (await zkc.getJson<PartitionState>(`/brokers/topics/${topic}/partitions/${p}/state`))!;
const broker = (id: number) => cluster.brokers.find((b) => b.id === id)!;
const kafka = () =>
  new Kafka({
    brokers: cluster.brokers.map((b) => b.bootstrap),
    clientId: 'replication-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 40, initialRetryTime: 100, maxRetryTime: 1000 },
  });

async function createTopic(topic: string, configs: string[] = []): Promise<void> {
  const args = ['topics', '--bootstrap-server', cluster.bootstrap, '--create', '--topic', topic];
  args.push('--partitions', '1', '--replication-factor', '3');
  for (const c of configs) args.push('--config', c);
  const r = await runSamsa(args);
  expect(r.code).toBe(0);
  await waitFor(async () => (await state(topic))?.isr.length === 3, { message: `${topic} online` });
}

const partitionDir = (id: number, topic: string) => path.join(broker(id).logDirs, `${topic}-0`);

/** The partition's segment and leader-epoch files on one broker, by name. */
function replicaFiles(id: number, topic: string): Map<string, Buffer> {
  const dir = partitionDir(id, topic);
  const out = new Map<string, Buffer>();
  for (const f of fs.readdirSync(dir).sort())
    if (f.endsWith('.log') || f === 'leader-epoch-checkpoint') out.set(f, fs.readFileSync(path.join(dir, f)));
  return out;
}

/** Waits until all three replicas hold the same bytes, and returns the leader's files. */
async function expectIdenticalReplicas(topic: string): Promise<Map<string, Buffer>> {
  let last = '';
  await waitFor(
    () => {
      const files = [0, 1, 2].map((id) => replicaFiles(id, topic));
      const sig = files.map((m) => [...m.entries()].map(([n, b]) => `${n}:${b.length}`).join(','));
      last = sig.join(' | ');
      return files.every(
        (m) => m.size === files[0].size && [...m].every(([n, b]) => b.equals(files[0].get(n)!)),
      );
    },
    { timeoutMs: 60_000, message: `identical replicas of ${topic}` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}: ${last}`);
  });
  return replicaFiles(0, topic);
}

async function connect(id: number): Promise<KafkaConnection> {
  const c = new KafkaConnection('127.0.0.1', broker(id).port, 'replication-test', 30_000);
  await c.connect();
  return c;
}

async function rawProduce(id: number, topic: string, acks: number, value: string): Promise<number> {
  const c = await connect(id);
  try {
    const r = await c.request<ProduceResponse>(ApiKey.Produce, {
      transactionalId: null,
      acks,
      timeoutMs: 5000,
      topicData: [
        {
          name: topic,
          partitionData: [
            {
              index: 0,
              records: buildRecordBatchSync(
                [{ value: Buffer.from(value), timestamp: BigInt(Date.now()) }],
                {},
              ),
            },
          ],
        },
      ],
    });
    return r.responses[0].partitionResponses[0].errorCode;
  } finally {
    c.close();
  }
}

test('followers hold byte-identical copies of the leader’s segments (acks=all; none, gzip, lz4, snappy, zstd)', async () => {
  await createTopic('copies');
  const producer = kafka().producer();
  await producer.connect();
  let n = 0;
  for (let round = 0; round < 40; round++)
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      const messages = Array.from({ length: 50 }, () => ({ key: `k${n % 7}`, value: `value-${n++}` }));
      await producer.send({ topic: 'copies', acks: -1, compression, messages });
    }
  await producer.disconnect();
  // kcat adds lz4, snappy and zstd batches (acks=all).
  for (const codec of ['lz4', 'snappy', 'zstd']) {
    const input = Array.from({ length: 200 }, () => `value-${n++}`).join('\n') + '\n';
    const r = await runKcat(['-b', cluster.bootstrap, '-t', 'copies', '-P', '-z', codec, '-X', 'acks=all'], {
      input,
    });
    expect(r.code).toBe(0);
  }
  const files = await expectIdenticalReplicas('copies');
  expect(files.get('00000000000000000000.log')!.length).toBeGreaterThan(50_000);
  // Followers checkpoint the high watermark they learned from the leader.
  await waitFor(
    () =>
      [0, 1, 2].every((id) => {
        const f = path.join(broker(id).logDirs, 'replication-offset-checkpoint');
        return fs.existsSync(f) && fs.readFileSync(f, 'utf8').split('\n').includes(`copies 0 ${n}`);
      }),
    { timeoutMs: 20_000, message: 'high watermark checkpoints' },
  );
});

test('a follower killed with -9 under acks=all load catches up and rejoins; nothing acknowledged is lost', async () => {
  await createTopic('crash-follower', ['min.insync.replicas=2']);
  const s0 = await state('crash-follower');
  const follower = s0.isr.find((id) => id !== s0.leader)!;
  const producer = kafka().producer();
  await producer.connect();
  const acked: string[] = [];
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const value = `f${i}`;
      await producer.send({ topic: 'crash-follower', acks: -1, messages: [{ value }] });
      acked.push(value);
    }
  })();
  await waitFor(() => acked.length > 100, { message: 'progress' });
  await broker(follower).kill9();
  // The controller drops it from the ISR once its ZooKeeper session is gone; acks=all continues.
  await waitFor(async () => !(await state('crash-follower')).isr.includes(follower), {
    timeoutMs: 30_000,
    message: 'ISR without the dead follower',
  });
  const before = acked.length;
  await waitFor(() => acked.length > before + 100, {
    timeoutMs: 30_000,
    message: 'progress without the follower',
  });
  await broker(follower).restart();
  await waitFor(async () => (await state('crash-follower')).isr.includes(follower), {
    timeoutMs: 60_000,
    message: 'follower back in the ISR',
  });
  stop = true;
  await load;
  await producer.disconnect();
  await expectIdenticalReplicas('crash-follower');
  const consumed = await consumeAll('crash-follower', acked.length);
  expect(consumed.filter((v) => acked.includes(v))).toEqual(acked);
});

test('the leader killed with -9: a new leader serves every acknowledged record; the old leader rejoins with an identical log', async () => {
  await createTopic('crash-leader', ['min.insync.replicas=2']);
  const s0 = await state('crash-leader');
  const producer = kafka().producer();
  await producer.connect();
  const acked: string[] = [];
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const value = `l${i}`;
      try {
        await producer.send({ topic: 'crash-leader', acks: -1, messages: [{ value }] });
        acked.push(value);
      } catch {
        // not acknowledged: may or may not be in the log
      }
    }
  })();
  await waitFor(() => acked.length > 200, { message: 'progress' });
  await broker(s0.leader).kill9();
  await waitFor(
    async () => {
      const s = await state('crash-leader');
      return s.leader >= 0 && s.leader !== s0.leader;
    },
    { timeoutMs: 30_000, message: 'a new leader' },
  );
  const before = acked.length;
  await waitFor(() => acked.length > before + 100, {
    timeoutMs: 60_000,
    message: 'progress on the new leader',
  });
  await broker(s0.leader).restart();
  await waitFor(async () => (await state('crash-leader')).isr.includes(s0.leader), {
    timeoutMs: 60_000,
    message: 'old leader back in the ISR',
  });
  stop = true;
  await load;
  await producer.disconnect();
  const s1 = await state('crash-leader');
  expect(s1.leader_epoch).toBeGreaterThan(s0.leader_epoch);
  await expectIdenticalReplicas('crash-leader');
  const consumed = await consumeAll('crash-leader', acked.length);
  const ackedSet = new Set(acked);
  // Every acknowledged record, in order (a retried send may appear twice: no idempotence).
  const seen: string[] = [];
  for (const v of consumed)
    if (ackedSet.has(v) && seen[seen.length - 1] !== v && !seen.includes(v)) seen.push(v);
  expect(seen).toEqual(acked);
  // The old leader's log is a prefix-consistent copy: its leader-epoch-checkpoint names the new epoch.
  const epochs = fs.readFileSync(
    path.join(partitionDir(s0.leader, 'crash-leader'), 'leader-epoch-checkpoint'),
    'utf8',
  );
  expect(
    epochs
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => Number(l.split(' ')[0])),
  ).toContain(s1.leader_epoch);

  // OffsetForLeaderEpoch on the new leader: epoch 0 ends where the new leader's epoch started.
  const c = await connect(s1.leader);
  try {
    const r = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, {
      replicaId: -1,
      topics: [
        {
          topic: 'crash-leader',
          partitions: [{ partition: 0, currentLeaderEpoch: s1.leader_epoch, leaderEpoch: 0 }],
        },
      ],
    });
    const e = r.topics[0].partitions[0];
    expect(e.errorCode).toBe(0);
    expect(e.leaderEpoch).toBe(0);
    const lines = epochs
      .trim()
      .split('\n')
      .slice(2)
      .map((l) => l.split(' ').map(Number));
    const next = lines.find(([epoch]) => epoch > 0)!;
    expect(e.endOffset).toBe(BigInt(next[1]));
  } finally {
    c.close();
  }
});

test('acks=1 writes only a crashed leader had are truncated away when it comes back as a follower', async () => {
  await createTopic('suffix');
  const s0 = await state('suffix');
  const followers = s0.isr.filter((id) => id !== s0.leader);
  for (let i = 0; i < 5; i++)
    expect(await rawProduce(s0.leader, 'suffix', -1, `kept-${i}`)).toBe(ErrorCode.NONE);
  // Freeze both followers (not long enough to leave the ISR), write on the leader alone, crash it.
  for (const f of followers) broker(f).kill('SIGSTOP');
  try {
    for (let i = 0; i < 3; i++)
      expect(await rawProduce(s0.leader, 'suffix', 1, `lost-${i}`)).toBe(ErrorCode.NONE);
    await broker(s0.leader).kill9();
  } finally {
    for (const f of followers) broker(f).kill('SIGCONT');
  }
  await waitFor(
    async () => {
      const s = await state('suffix');
      return s.leader >= 0 && s.leader !== s0.leader;
    },
    { timeoutMs: 30_000, message: 'a new leader' },
  );
  const s1 = await state('suffix');
  expect(await rawProduce(s1.leader, 'suffix', -1, 'new-leader')).toBe(ErrorCode.NONE);
  await broker(s0.leader).restart();
  await waitFor(async () => (await state('suffix')).isr.includes(s0.leader), {
    timeoutMs: 60_000,
    message: 'old leader back in the ISR',
  });
  await expectIdenticalReplicas('suffix');
  // The new leader's epoch starts where its log ended; the old leader cut its log back to there.
  // (A follower may still have received lost-0: the response to a fetch it sent before it froze.)
  const epochs = fs.readFileSync(
    path.join(partitionDir(s1.leader, 'suffix'), 'leader-epoch-checkpoint'),
    'utf8',
  );
  const start = epochs
    .trim()
    .split('\n')
    .slice(2)
    .map((l) => l.split(' ').map(Number))
    .find(([e]) => e === s1.leader_epoch)![1];
  expect(broker(s0.leader).output()).toContain(
    `Truncating partition suffix-0 with TruncationState(offset=${start}, completed=true)`,
  );
  const consumed = await consumeAll('suffix', start + 1);
  expect(consumed).toHaveLength(start + 1);
  expect(consumed.slice(0, 5)).toEqual(['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4']);
  expect(consumed[start]).toBe('new-leader');
  expect(consumed).not.toContain('lost-1');
  expect(consumed).not.toContain('lost-2');
});

test('a stopped follower leaves the ISR; acks=all then gets NOT_ENOUGH_REPLICAS until it rejoins', async () => {
  await createTopic('stalled', ['min.insync.replicas=3']);
  const s0 = await state('stalled');
  const ctrl = (await zkc.getJson<{ brokerid: number }>('/controller'))!.brokerid;
  const follower =
    s0.isr.find((id) => id !== s0.leader && id !== ctrl) ?? s0.isr.find((id) => id !== s0.leader)!;
  expect(await rawProduce(s0.leader, 'stalled', -1, 'before')).toBe(ErrorCode.NONE);
  broker(follower).kill('SIGSTOP');
  try {
    await rawProduce(s0.leader, 'stalled', 1, 'while-stopped');
    await waitFor(async () => !(await state('stalled')).isr.includes(follower), {
      timeoutMs: 30_000,
      message: 'ISR shrink',
    });
    expect(await rawProduce(s0.leader, 'stalled', -1, 'refused')).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await rawProduce(s0.leader, 'stalled', 1, 'acks-1')).toBe(ErrorCode.NONE);
  } finally {
    broker(follower).kill('SIGCONT');
  }
  await waitFor(async () => (await state('stalled')).isr.includes(follower), {
    timeoutMs: 30_000,
    message: 'ISR expand',
  });
  expect(await rawProduce(s0.leader, 'stalled', -1, 'after')).toBe(ErrorCode.NONE);
  await expectIdenticalReplicas('stalled');
});

/** Every record of the partition, read from its leader with kcat. */
async function consumeAll(topic: string, atLeast: number): Promise<string[]> {
  const r = await runKcat(
    ['-b', cluster.bootstrap, '-t', topic, '-p', '0', '-C', '-e', '-q', '-f', '%s\\n'],
    {
      timeoutMs: 120_000,
    },
  );
  expect(r.code).toBe(0);
  const got = r.stdout.split('\n').filter(Boolean);
  expect(got.length).toBeGreaterThanOrEqual(atLeast);
  return got;
}
