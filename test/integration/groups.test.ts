// Issue "Consumer groups": the group coordinator with real clients and real broker processes —
// kafkajs consumer groups sharing partitions and rebalancing, kcat's balanced consumer, offsets
// surviving a broker restart, __consumer_offsets records read back raw and decoded with Kafka's
// schemas, `samsa consumer-groups` output, and the coordinator moving when its broker is killed.

import { Consumer, Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/network-client';
import { javaStringHash } from '../../src/coordinator/group/partitioner';
import {
  decodeGroupMetadataValue,
  decodeMessageKey,
  decodeOffsetCommitValue,
} from '../../src/coordinator/group/records';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey, decodeConsumerProtocolAssignment } from '../../src/protocol/messages/generated';
import type { FetchResponse } from '../../src/protocol/messages/generated/FetchResponse';
import type { FindCoordinatorResponse } from '../../src/protocol/messages/generated/FindCoordinatorResponse';
import type { ApiVersionsResponse } from '../../src/protocol/messages/generated/ApiVersionsResponse';
import type { ConsumerGroupHeartbeatResponse } from '../../src/protocol/messages/generated/ConsumerGroupHeartbeatResponse';
import { Reader } from '../../src/protocol/codec/reader';
import { decodeRecordsSync, splitBatches } from '../../src/protocol/records/records';
import {
  BrokerProcess,
  connectZk,
  runKcat,
  runSamsa,
  startBroker,
  startCluster,
  startTestZooKeeper,
  stopAll,
  TestZooKeeper,
  waitFor,
} from '../harness';

jest.setTimeout(240_000);

const OFFSETS_PARTITIONS = 5; // the harness's offsets.topic.num.partitions

let zk: TestZooKeeper;
let broker: BrokerProcess;

beforeAll(async () => {
  zk = await startTestZooKeeper();
  broker = await startBroker({ id: 0, zkConnect: zk.connectString });
});

afterAll(async () => {
  await stopAll();
});

const kafkaFor = (bootstrap: string, clientId = 'groups-test') =>
  new Kafka({
    brokers: bootstrap.split(','),
    clientId,
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });

async function createTopic(bootstrap: string, name: string, partitions: number, rf = 1): Promise<void> {
  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    bootstrap,
    '--create',
    '--topic',
    name,
    '--partitions',
    String(partitions),
    '--replication-factor',
    String(rf),
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

async function produce(bootstrap: string, topic: string, values: string[], acks = -1): Promise<void> {
  const p = kafkaFor(bootstrap, 'groups-producer').producer();
  await p.connect();
  try {
    for (let i = 0; i < values.length; i += 500)
      await p.send({ topic, acks, messages: values.slice(i, i + 500).map((v) => ({ key: v, value: v })) });
  } finally {
    await p.disconnect();
  }
}

const consumerGroups = (args: string[], bootstrap = broker.bootstrap) =>
  runSamsa(['consumer-groups', '--bootstrap-server', bootstrap, ...args]);

/** The --members table: consumer id → #partitions. */
async function memberPartitions(group: string, bootstrap = broker.bootstrap): Promise<number[]> {
  const r = await consumerGroups(['--describe', '--group', group, '--members'], bootstrap);
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${group} `))
    .map((l) => Number(l.trim().split(/\s+/)[4]))
    .sort();
}

// ----------------------------------------------------------------------------------------------

describe('kafkajs consumer groups', () => {
  interface Event {
    consumer: string;
    partition: number;
    offset: bigint;
    at: number;
  }

  /** Processes each message, then commits it synchronously: committed work is never redone. */
  class Member {
    readonly consumer: Consumer;
    constructor(
      readonly name: string,
      group: string,
      private readonly processed: Event[],
      private readonly commits: Event[],
      private seq: { n: number },
    ) {
      this.consumer = kafkaFor(broker.bootstrap, name).consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
        rebalanceTimeout: 20_000,
      });
    }

    async start(topic: string): Promise<void> {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const offset = BigInt(message.offset);
          this.processed.push({ consumer: this.name, partition, offset, at: this.seq.n++ });
          await this.consumer.commitOffsets([{ topic, partition, offset: String(offset + 1n) }]);
          this.commits.push({ consumer: this.name, partition, offset: offset + 1n, at: this.seq.n++ });
        },
      });
    }
  }

  test('three consumers share a 6-partition topic; a fourth joins and one leaves without losing or re-reading committed work', async () => {
    const topic = 'shared-6';
    const group = 'share-group';
    await createTopic(broker.bootstrap, topic, 6);
    const processed: Event[] = [];
    const commits: Event[] = [];
    const seq = { n: 0 };
    const members = ['c1', 'c2', 'c3'].map((n) => new Member(n, group, processed, commits, seq));
    for (const m of members) await m.start(topic);
    await waitFor(async () => JSON.stringify(await memberPartitions(group)) === '[2,2,2]', {
      timeoutMs: 60_000,
      message: 'three members with two partitions each',
    });

    const sent: string[] = [];
    const batch = async (n: number) => {
      const values = Array.from({ length: n }, (_, i) => `m${sent.length + i}`);
      sent.push(...values);
      await produce(broker.bootstrap, topic, values);
    };
    const allCommitted = async () => {
      const r = await consumerGroups(['--describe', '--group', group]);
      const lags = r.stdout
        .split('\n')
        .filter((l) => l.startsWith(`${group} `))
        .map((l) => l.trim().split(/\s+/)[5]);
      const committedTotal = new Set(commits.map((c) => `${c.partition}:${c.offset}`)).size;
      return lags.length === 6 && lags.every((x) => x === '0') && committedTotal >= sent.length;
    };

    await batch(600);
    await waitFor(allCommitted, {
      timeoutMs: 60_000,
      message: 'the first 600 records consumed and committed',
    });
    expect(new Set(processed.map((e) => e.consumer))).toEqual(new Set(['c1', 'c2', 'c3']));

    // A fourth member: 6 partitions over 4 members.
    const fourth = new Member('c4', group, processed, commits, seq);
    await fourth.start(topic);
    members.push(fourth);
    await waitFor(async () => JSON.stringify(await memberPartitions(group)) === '[1,1,2,2]', {
      timeoutMs: 60_000,
      message: 'four members sharing six partitions',
    });
    await batch(600);
    await waitFor(allCommitted, { timeoutMs: 60_000, message: 'the next 600 records' });

    // One member leaves (LeaveGroup): the other three take over its partitions.
    await members[0].consumer.disconnect();
    await waitFor(async () => JSON.stringify(await memberPartitions(group)) === '[2,2,2]', {
      timeoutMs: 60_000,
      message: 'three members again',
    });
    await batch(600);
    await waitFor(allCommitted, { timeoutMs: 60_000, message: 'the last 600 records' });
    for (const m of members.slice(1)) await m.consumer.disconnect();

    // Nothing lost: every offset of every partition was processed.
    const byPartition = new Map<number, Set<bigint>>();
    for (const e of processed) {
      if (!byPartition.has(e.partition)) byPartition.set(e.partition, new Set());
      byPartition.get(e.partition)!.add(e.offset);
    }
    const total = [...byPartition.values()].reduce((n, s) => n + s.size, 0);
    expect(total).toBe(sent.length);
    for (const s of byPartition.values()) {
      const max = [...s].reduce((a, b) => (a > b ? a : b), -1n);
      expect(BigInt(s.size)).toBe(max + 1n);
    }
    // Nothing committed was read again: no record below a committed offset processed after that commit.
    for (const c of commits) {
      const redone = processed.filter(
        (e) => e.partition === c.partition && e.offset < c.offset && e.at > c.at,
      );
      expect(redone).toEqual([]);
    }
    // The final committed offsets are the log end.
    const r = await consumerGroups(['--describe', '--group', group]);
    expect(r.stderr).toBe(`\nConsumer group '${group}' has no active members.\n`);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith(`${group} `));
    expect(rows).toHaveLength(6);
    const end = rows.reduce((n, l) => n + Number(l.trim().split(/\s+/)[4]), 0);
    expect(end).toBe(sent.length);
  });

  test('static membership: a restarted instance keeps its member slot without a rebalance', async () => {
    const topic = 'static-topic';
    await createTopic(broker.bootstrap, topic, 2);
    const group = 'static-group';
    const conn = new KafkaConnection('127.0.0.1', broker.port);
    await conn.connect();
    try {
      const sub = Buffer.from('0000000000010005' + Buffer.from('topic').toString('hex') + 'ffffffff', 'hex');
      const join = (memberId: string) =>
        conn.request<{ errorCode: number; memberId: string; generationId: number; leader: string }>(
          ApiKey.JoinGroup,
          {
            groupId: group,
            sessionTimeoutMs: 30_000,
            rebalanceTimeoutMs: 30_000,
            memberId,
            groupInstanceId: 'instance-1',
            protocolType: 'consumer',
            protocols: [{ name: 'range', metadata: sub }],
            reason: null,
          },
          7,
        );
      const first = await join('');
      expect(first.errorCode).toBe(ErrorCode.NONE);
      expect(first.memberId).toMatch(/^instance-1-/);
      const sync = await conn.request<{ errorCode: number }>(
        ApiKey.SyncGroup,
        {
          groupId: group,
          generationId: first.generationId,
          memberId: first.memberId,
          groupInstanceId: 'instance-1',
          protocolType: 'consumer',
          protocolName: 'range',
          assignments: [{ memberId: first.memberId, assignment: Buffer.alloc(0) }],
        },
        5,
      );
      expect(sync.errorCode).toBe(ErrorCode.NONE);
      const second = await join('');
      expect(second).toMatchObject({
        errorCode: ErrorCode.NONE,
        generationId: first.generationId,
        leader: first.memberId,
      });
      expect(second.memberId).not.toBe(first.memberId);
      const hb = await conn.request<{ errorCode: number }>(
        ApiKey.Heartbeat,
        {
          groupId: group,
          generationId: first.generationId,
          memberId: first.memberId,
          groupInstanceId: 'instance-1',
        },
        4,
      );
      expect(hb.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
      const r = await consumerGroups(['--describe', '--group', group, '--members']);
      expect(r.stdout).toContain('GROUP-INSTANCE-ID');
      expect(r.stdout).toContain(`${second.memberId} instance-1`);
    } finally {
      conn.close();
    }
  });
});

describe('kcat balanced consumer (librdkafka)', () => {
  test('kcat -G consumes a topic through the group, commits, and a second run resumes after the committed offsets', async () => {
    const topic = 'kcat-group-topic';
    const group = 'kcat-group';
    await createTopic(broker.bootstrap, topic, 4);
    const values = Array.from({ length: 200 }, (_, i) => `k${i}`);
    await produce(broker.bootstrap, topic, values);
    const consume = () =>
      runKcat(
        // Not -o: it would override the committed offsets; auto.offset.reset applies only without one.
        [
          '-b',
          broker.bootstrap,
          '-G',
          group,
          '-X',
          'auto.offset.reset=earliest',
          '-e',
          '-q',
          '-f',
          '%p %o %s\\n',
          topic,
        ],
        {
          timeoutMs: 60_000,
        },
      );
    const first = await consume();
    expect(first.code).toBe(0);
    const lines = first.stdout.split('\n').filter(Boolean);
    expect(lines.map((l) => l.split(' ')[2]).sort()).toEqual([...values].sort());

    const d = await consumerGroups(['--describe', '--group', group]);
    const rows = d.stdout.split('\n').filter((l) => l.startsWith(`${group} `));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [, , , current, end, lag] = row.trim().split(/\s+/);
      expect(current).toBe(end);
      expect(lag).toBe('0');
    }

    await produce(broker.bootstrap, topic, ['after-1', 'after-2']);
    const second = await consume();
    expect(second.code).toBe(0);
    expect(
      second.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[2])
        .sort(),
    ).toEqual(['after-1', 'after-2']);
  });
});

describe('offsets in __consumer_offsets', () => {
  test('offsets committed, broker restarted: consumption resumes at the committed offsets', async () => {
    const topic = 'restart-topic';
    const group = 'restart-group';
    await createTopic(broker.bootstrap, topic, 3);
    await produce(
      broker.bootstrap,
      topic,
      Array.from({ length: 300 }, (_, i) => `r${i}`),
    );

    const firstRun: string[] = [];
    const c1 = kafkaFor(broker.bootstrap, 'restart-1').consumer({ groupId: group });
    await c1.connect();
    await c1.subscribe({ topic, fromBeginning: true });
    await c1.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (firstRun.length >= 150) return;
        firstRun.push(message.value!.toString());
        await c1.commitOffsets([{ topic, partition, offset: String(BigInt(message.offset) + 1n) }]);
      },
    });
    await waitFor(() => firstRun.length >= 150, { timeoutMs: 60_000, message: '150 records' });
    await c1.stop();
    await c1.disconnect();
    const before = await consumerGroups(['--describe', '--group', group]);

    await broker.restart();

    // The reloaded group answers as before (same committed offsets).
    await waitFor(
      async () => (await consumerGroups(['--describe', '--group', group])).stdout === before.stdout,
      {
        timeoutMs: 30_000,
        message: 'the group loaded back with the same offsets',
      },
    );
    const secondRun: string[] = [];
    const c2 = kafkaFor(broker.bootstrap, 'restart-2').consumer({ groupId: group });
    await c2.connect();
    await c2.subscribe({ topic, fromBeginning: true });
    await c2.run({ eachMessage: async ({ message }) => void secondRun.push(message.value!.toString()) });
    await waitFor(() => firstRun.length + secondRun.length >= 300, {
      timeoutMs: 60_000,
      message: 'the rest',
    });
    await new Promise((r) => setTimeout(r, 1000));
    await c2.disconnect();
    expect([...firstRun, ...secondRun].sort()).toEqual(Array.from({ length: 300 }, (_, i) => `r${i}`).sort());
  });

  test('a record read back raw from __consumer_offsets decodes with Kafka’s schemas; the topic has Kafka’s configs', async () => {
    const topic = 'raw-topic';
    const group = 'raw-group';
    await createTopic(broker.bootstrap, topic, 2);
    await produce(broker.bootstrap, topic, ['a', 'b', 'c']);
    const c = kafkaFor(broker.bootstrap, 'raw-client').consumer({ groupId: group });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    let n = 0;
    await c.run({ autoCommit: false, eachMessage: async () => void n++ });
    await waitFor(() => n === 3, { message: 'three records' });
    await c.commitOffsets([{ topic, partition: 1, offset: '42' }]);
    await c.disconnect();

    const partition = Math.abs(javaStringHash(group)) % OFFSETS_PARTITIONS;
    const conn = new KafkaConnection('127.0.0.1', broker.port);
    await conn.connect();
    let records: Array<{ key: Buffer; value: Buffer | null; timestamp: bigint }>;
    try {
      const f = await conn.request<FetchResponse>(
        ApiKey.Fetch,
        {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 10 << 20,
          isolationLevel: 0,
          topics: [
            {
              topic: '__consumer_offsets',
              partitions: [
                {
                  partition,
                  fetchOffset: 0n,
                  partitionMaxBytes: 10 << 20,
                  currentLeaderEpoch: -1,
                  logStartOffset: -1n,
                },
              ],
            },
          ],
        },
        11,
      );
      const p = f.responses[0].partitions[0];
      expect(p.errorCode).toBe(ErrorCode.NONE);
      const buf = p.records!;
      records = splitBatches(buf).batches.flatMap((b) =>
        decodeRecordsSync(buf, b.position).map((r) => ({
          key: r.key!,
          value: r.value,
          timestamp: r.timestamp,
        })),
      );
    } finally {
      conn.close();
    }
    const ours = records.filter((r) => {
      const k = decodeMessageKey(r.key);
      return k.kind !== 'unknown' && k.group === group;
    });
    // The offset commit: key v1 exactly as Kafka lays it out, value v3.
    const expectedKey = Buffer.concat([
      Buffer.from([0, 1, 0, group.length]),
      Buffer.from(group),
      Buffer.from([0, topic.length]),
      Buffer.from(topic),
      Buffer.from([0, 0, 0, 1]),
    ]);
    const commit = ours.filter((r) => r.key.equals(expectedKey)).at(-1)!;
    expect(commit).toBeDefined();
    expect(commit.value!.readInt16BE(0)).toBe(3);
    const v = decodeOffsetCommitValue(commit.value!);
    expect(v).toMatchObject({ offset: 42n, metadata: '', expireTimestamp: null });
    expect(Math.abs(Number(v.commitTimestamp - commit.timestamp))).toBeLessThan(5000);
    // The group metadata: key v2, value v3 with the kafkajs member and its assignment.
    const meta = ours.filter((r) => decodeMessageKey(r.key).kind === 'group');
    expect(meta.length).toBeGreaterThan(0);
    const stable = meta.map((r) => decodeGroupMetadataValue(r.value!)).find((x) => x.members.length === 1)!;
    expect(
      meta[0].key.equals(Buffer.concat([Buffer.from([0, 2, 0, group.length]), Buffer.from(group)])),
    ).toBe(true);
    expect(meta[0].value!.readInt16BE(0)).toBe(3);
    expect(stable).toMatchObject({ protocolType: 'consumer', generation: 1, protocol: 'RoundRobinAssigner' });
    expect(stable.members[0]).toMatchObject({
      clientId: 'raw-client',
      clientHost: '/127.0.0.1',
      sessionTimeout: 30000,
    });
    const a = stable.members[0].assignment;
    const assignment = decodeConsumerProtocolAssignment(new Reader(a, 2), a.readInt16BE(0));
    expect(assignment.assignedPartitions).toEqual([{ topic, partitions: [0, 1] }]);

    const zkc = await connectZk(zk.connectString);
    try {
      expect(await zkc.getJson('/config/topics/__consumer_offsets')).toEqual({
        version: 1,
        config: { 'cleanup.policy': 'compact', 'segment.bytes': '104857600', 'compression.type': 'producer' },
      });
    } finally {
      await zkc.close();
    }
  });

  test('OffsetCommit v0 / OffsetFetch v0 keep offsets in ZooKeeper', async () => {
    const topic = 'zk-offsets-topic';
    await createTopic(broker.bootstrap, topic, 1);
    const conn = new KafkaConnection('127.0.0.1', broker.port);
    await conn.connect();
    try {
      const c = await conn.request<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(
        ApiKey.OffsetCommit,
        {
          groupId: 'zk-group',
          topics: [
            {
              name: topic,
              partitions: [{ partitionIndex: 0, committedOffset: 17n, committedMetadata: 'm' }],
            },
          ],
        },
        0,
      );
      expect(c.topics[0].partitions[0].errorCode).toBe(ErrorCode.NONE);
      const f = await conn.request<{
        topics: Array<{ partitions: Array<{ committedOffset: bigint; errorCode: number }> }>;
      }>(ApiKey.OffsetFetch, { groupId: 'zk-group', topics: [{ name: topic, partitionIndexes: [0] }] }, 0);
      expect(f.topics[0].partitions[0]).toMatchObject({ committedOffset: 17n, errorCode: ErrorCode.NONE });
      // v1+ goes to the coordinator, which knows nothing about it.
      const f1 = await conn.request<{ topics: Array<{ partitions: Array<{ committedOffset: bigint }> }> }>(
        ApiKey.OffsetFetch,
        { groupId: 'zk-group', topics: [{ name: topic, partitionIndexes: [0] }] },
        1,
      );
      expect(f1.topics[0].partitions[0].committedOffset).toBe(-1n);
    } finally {
      conn.close();
    }
    const zkc = await connectZk(zk.connectString);
    try {
      const data = await zkc.getData(`/consumers/zk-group/offsets/${topic}/0`);
      expect(data?.toString()).toBe('17');
    } finally {
      await zkc.close();
    }
  });

  test('ConsumerGroupHeartbeat and ConsumerGroupDescribe are advertised and answer UNSUPPORTED_VERSION', async () => {
    const conn = new KafkaConnection('127.0.0.1', broker.port);
    await conn.connect();
    try {
      const av = await conn.request<ApiVersionsResponse>(
        ApiKey.ApiVersions,
        { clientSoftwareName: 'groups-test', clientSoftwareVersion: '1.0' },
        3,
      );
      const keys = new Map(av.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
      expect(keys.get(ApiKey.ConsumerGroupHeartbeat)).toEqual([0, 0]);
      expect(keys.get(ApiKey.ConsumerGroupDescribe)).toEqual([0, 0]);
      expect(keys.get(ApiKey.JoinGroup)).toEqual([0, 9]);
      expect(keys.get(ApiKey.OffsetFetch)).toEqual([0, 9]);
      expect(keys.get(ApiKey.FindCoordinator)).toEqual([0, 6]);
      const hb = await conn.request<ConsumerGroupHeartbeatResponse>(ApiKey.ConsumerGroupHeartbeat, {
        groupId: 'x',
        memberId: '',
        memberEpoch: 0,
        rebalanceTimeoutMs: 1000,
        subscribedTopicNames: ['t'],
        topicPartitions: [],
      });
      expect(hb.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      const fc = await conn.request<FindCoordinatorResponse>(
        ApiKey.FindCoordinator,
        { keyType: 1, coordinatorKeys: ['txn-1'] },
        4,
      );
      expect(fc.coordinators[0]).toMatchObject({
        key: 'txn-1',
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        nodeId: -1,
      });
    } finally {
      conn.close();
    }
  });
});

// ----------------------------------------------------------------------------------------------

describe('samsa consumer-groups', () => {
  /** Java's HashMap iteration order for TopicPartition keys (as Kafka's tool prints rows). */
  function kafkaRowOrder(topic: string, partitions: number[]): number[] {
    const hash = (p: number) => {
      let h = 0;
      for (const ch of topic) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
      const x = (Math.imul(31, 31 + p) + h) | 0;
      return (x ^ (x >>> 16)) & 15;
    };
    return [...partitions].sort((a, b) => hash(a) - hash(b) || a - b);
  }

  test('--describe shows committed offsets, log end offsets and lag; --reset-offsets and --delete print Kafka’s tables and messages', async () => {
    const topic = 'lag-topic';
    const group = 'lag-group';
    await createTopic(broker.bootstrap, topic, 3);
    // 50 records to each partition.
    const p = kafkaFor(broker.bootstrap).producer();
    await p.connect();
    for (let part = 0; part < 3; part++)
      await p.send({
        topic,
        messages: Array.from({ length: 50 }, (_, i) => ({ partition: part, value: `p${part}-${i}` })),
      });
    await p.disconnect();
    const admin = kafkaFor(broker.bootstrap).admin();
    await admin.connect();
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '50' },
        { partition: 2, offset: '0' },
      ],
    });
    await admin.disconnect();

    const committed: Record<number, number> = { 0: 10, 1: 50, 2: 0 };
    const row = (part: number, cur: string, end: string, lag: string) =>
      `${group.padEnd(15)} ${topic.padEnd(15)} ${String(part).padEnd(10)} ${cur.padEnd(15)} ${end.padEnd(15)} ${lag.padEnd(15)} ${'-'.padEnd(15)} ${'-'.padEnd(15)} -`;
    const header = `${'GROUP'.padEnd(15)} ${'TOPIC'.padEnd(15)} ${'PARTITION'.padEnd(10)} ${'CURRENT-OFFSET'.padEnd(15)} ${'LOG-END-OFFSET'.padEnd(15)} ${'LAG'.padEnd(15)} ${'CONSUMER-ID'.padEnd(15)} ${'HOST'.padEnd(15)} CLIENT-ID`;
    const d = await consumerGroups(['--describe', '--group', group]);
    expect(d.code).toBe(0);
    expect(d.stderr).toBe(`\nConsumer group '${group}' has no active members.\n`);
    expect(d.stdout).toBe(
      '\n' +
        [
          header,
          ...kafkaRowOrder(topic, [0, 1, 2]).map((x) =>
            row(x, String(committed[x]), '50', String(50 - committed[x])),
          ),
        ].join('\n') +
        '\n',
    );

    const state = await consumerGroups(['--describe', '--group', group, '--state']);
    expect(state.stdout).toBe(
      `\n${'GROUP'.padEnd(25)} ${'COORDINATOR (ID)'.padEnd(25)} ${'ASSIGNMENT-STRATEGY'.padEnd(20)} ${'STATE'.padEnd(15)} #MEMBERS` +
        `\n${group.padEnd(25)} ${`127.0.0.1:${broker.port}  (0)`.padEnd(25)} ${''.padEnd(20)} ${'Empty'.padEnd(15)} 0\n`,
    );

    const list = await consumerGroups(['--list']);
    expect(list.stdout.split('\n')).toContain(group);

    // Reset: a dry run changes nothing; --execute does.
    const dry = await consumerGroups([
      '--reset-offsets',
      '--group',
      group,
      '--topic',
      `${topic}:0,2`,
      '--shift-by',
      '5',
      '--dry-run',
    ]);
    const resetRow = (part: number, off: number) =>
      `${group.padEnd(30)} ${topic.padEnd(30)} ${String(part).padEnd(10)} ${String(off).padEnd(15)}`;
    const resetHeader = `${'GROUP'.padEnd(30)} ${'TOPIC'.padEnd(30)} ${'PARTITION'.padEnd(10)} ${'NEW-OFFSET'.padEnd(15)}`;
    expect(dry.stdout).toBe(
      '\n' +
        [resetHeader, ...kafkaRowOrder(topic, [0, 2]).map((x) => resetRow(x, committed[x] + 5))].join('\n') +
        '\n',
    );
    expect((await consumerGroups(['--describe', '--group', group])).stdout).toBe(d.stdout);

    const exec = await consumerGroups([
      '--reset-offsets',
      '--group',
      group,
      '--topic',
      topic,
      '--to-offset',
      '70',
      '--execute',
    ]);
    expect(exec.stderr).toMatch(
      /WARN New offset \(70\) is higher than latest offset for topic partition lag-topic-\d\. Value will be set to 50/,
    );
    expect(exec.stdout).toBe(
      '\n' + [resetHeader, ...kafkaRowOrder(topic, [0, 1, 2]).map((x) => resetRow(x, 50))].join('\n') + '\n',
    );
    const after = await consumerGroups(['--describe', '--group', group]);
    expect(after.stdout).toBe(
      '\n' +
        [header, ...kafkaRowOrder(topic, [0, 1, 2]).map((x) => row(x, '50', '50', '0'))].join('\n') +
        '\n',
    );
    const earliest = await consumerGroups([
      '--reset-offsets',
      '--group',
      group,
      '--all-topics',
      '--to-earliest',
      '--execute',
    ]);
    expect(earliest.stdout).toContain(resetRow(1, 0));

    // Deletion.
    const del = await consumerGroups(['--delete', '--group', group]);
    expect(del.stdout).toBe(`Deletion of requested consumer groups ('${group}') was successful.\n`);
    const gone = await consumerGroups(['--describe', '--group', group]);
    expect(gone.stdout).toBe(`\nError: Consumer group '${group}' does not exist.\n`);
    const again = await consumerGroups(['--delete', '--group', group]);
    expect(again.stdout).toBe(
      `\nError: Deletion of some consumer groups failed:\n* Group '${group}' could not be deleted due to: java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n`,
    );
  });

  test('--describe --members and --list --state for an active kafkajs group; reset refused while it is active', async () => {
    const topic = 'members-topic';
    const group = 'members-group';
    await createTopic(broker.bootstrap, topic, 4);
    const c = kafkaFor(broker.bootstrap, 'members-client').consumer({ groupId: group });
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({ eachMessage: async () => undefined });
    try {
      await waitFor(
        async () =>
          (await consumerGroups(['--describe', '--group', group, '--state'])).stdout.includes('Stable'),
        {
          timeoutMs: 30_000,
          message: 'a Stable group',
        },
      );
      const m = await consumerGroups(['--describe', '--group', group, '--members', '--verbose']);
      const lines = m.stdout.split('\n');
      expect(lines[0]).toBe('');
      expect(lines[1]).toMatch(/^GROUP\s+CONSUMER-ID\s+HOST\s+CLIENT-ID\s+#PARTITIONS\s+ASSIGNMENT$/);
      expect(lines[2]).toMatch(
        new RegExp(
          `^${group} +members-client-[0-9a-f-]{36} /127\\.0\\.0\\.1 +members-client +4 +\\(0,1,2,3\\)$`,
        ),
      );
      const l = await consumerGroups(['--list', '--state', 'stable']);
      expect(l.stdout.split('\n')).toContain(`${group.padEnd(25)} ${'Stable'.padEnd(20)}`);
      const reset = await consumerGroups([
        '--reset-offsets',
        '--group',
        group,
        '--all-topics',
        '--to-earliest',
        '--execute',
      ]);
      expect(reset.stdout).toContain(
        `Error: Assignments can only be reset if the group '${group}' is inactive, but the current state is Stable.`,
      );
      const del = await consumerGroups(['--delete', '--group', group]);
      expect(del.stdout).toContain('GroupNotEmptyException: The group is not empty.');
    } finally {
      await c.disconnect();
    }
  });
});

// ----------------------------------------------------------------------------------------------

describe('__consumer_offsets creation', () => {
  test('fewer live brokers than offsets.topic.replication.factor: COORDINATOR_NOT_AVAILABLE and no topic until enough brokers are up', async () => {
    // A separate cluster under a chroot of the same ZooKeeper, with Kafka's default RF of 3.
    const zkConnect = `${zk.connectString}/rf3`;
    const overrides = { 'offsets.topic.replication.factor': '3' };
    const first = await startBroker({ id: 0, zkConnect, overrides });
    const others: BrokerProcess[] = [];
    const zkc = await connectZk(zk.connectString);
    const find = async () => {
      const conn = new KafkaConnection('127.0.0.1', first.port);
      await conn.connect();
      try {
        const r = await conn.request<FindCoordinatorResponse>(
          ApiKey.FindCoordinator,
          { key: 'g', keyType: 0 },
          3,
        );
        return r;
      } finally {
        conn.close();
      }
    };
    try {
      const r = await find();
      expect(r).toMatchObject({
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'The coordinator is not available.',
        nodeId: -1,
        host: '',
        port: -1,
      });
      await new Promise((res) => setTimeout(res, 1000));
      expect(await find()).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE });
      expect(await zkc.exists('/rf3/brokers/topics/__consumer_offsets')).toBe(false);
      others.push(await startBroker({ id: 1, zkConnect, overrides }));
      others.push(await startBroker({ id: 2, zkConnect, overrides }));
      await waitFor(async () => (await find()).errorCode === ErrorCode.NONE, {
        timeoutMs: 60_000,
        message: 'a coordinator once three brokers are up',
      });
      const ok = await find();
      expect(ok.errorMessage).toBe('NONE');
      const assignment = await zkc.getJson<{ partitions: Record<string, number[]> }>(
        '/rf3/brokers/topics/__consumer_offsets',
      );
      expect(Object.keys(assignment!.partitions)).toHaveLength(OFFSETS_PARTITIONS);
      for (const replicas of Object.values(assignment!.partitions)) expect(replicas).toHaveLength(3);
    } finally {
      await zkc.close();
      for (const b of [first, ...others]) await b.destroy();
    }
  });
});

describe('coordinator failover', () => {
  test('SIGKILL of the coordinator broker: the group moves to the new leader of its offsets partition and keeps consuming', async () => {
    const cluster = await startCluster({
      brokers: 3,
      overrides: {
        'offsets.topic.replication.factor': '3',
        'default.replication.factor': '3',
        'min.insync.replicas': '1',
        'replica.lag.time.max.ms': '5000',
      },
    });
    try {
      const topic = 'failover-topic';
      const group = 'failover-group';
      await createTopic(cluster.bootstrap, topic, 3, 3);
      const seen = new Set<string>();
      const consumer = kafkaFor(cluster.bootstrap, 'failover-client').consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 500,
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
      const before = Array.from({ length: 100 }, (_, i) => `before-${i}`);
      await produce(cluster.bootstrap, topic, before);
      await waitFor(() => before.every((v) => seen.has(v)), {
        timeoutMs: 60_000,
        message: 'records before the kill',
      });

      const coordinator = async (bootstrap: string) => {
        const [host, port] = bootstrap.split(',')[0].split(':');
        const conn = new KafkaConnection(host, Number(port));
        await conn.connect();
        try {
          const r = await conn.request<FindCoordinatorResponse>(
            ApiKey.FindCoordinator,
            { keyType: 0, coordinatorKeys: [group] },
            4,
          );
          return r.coordinators[0];
        } finally {
          conn.close();
        }
      };
      const old = await coordinator(cluster.bootstrap);
      expect(old.errorCode).toBe(ErrorCode.NONE);
      const victim = cluster.brokers[old.nodeId];
      await victim.kill9();
      const survivors = cluster.brokers
        .filter((b) => b !== victim)
        .map((b) => b.bootstrap)
        .join(',');
      await waitFor(
        async () => {
          const c = await coordinator(survivors);
          return c.errorCode === ErrorCode.NONE && c.nodeId !== old.nodeId;
        },
        { timeoutMs: 60_000, message: 'a new coordinator' },
      );

      const after = Array.from({ length: 100 }, (_, i) => `after-${i}`);
      await produce(survivors, topic, after);
      await waitFor(() => after.every((v) => seen.has(v)), {
        timeoutMs: 90_000,
        message: 'records after the kill',
      });
      await waitFor(
        async () => {
          const r = await consumerGroups(['--describe', '--group', group, '--state'], survivors);
          return r.stdout.includes('Stable');
        },
        { timeoutMs: 60_000, message: 'the group Stable on its new coordinator' },
      );
      await consumer.disconnect();
      const d = await consumerGroups(['--describe', '--group', group], survivors);
      const rows = d.stdout.split('\n').filter((l) => l.startsWith(`${group} `));
      expect(rows).toHaveLength(3);
      expect(rows.reduce((n, l) => n + Number(l.trim().split(/\s+/)[3]), 0)).toBe(200);
    } finally {
      await cluster.stop();
    }
  });
});
