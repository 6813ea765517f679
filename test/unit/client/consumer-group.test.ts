// The consumer as a member of a classic consumer group, against a scripted coordinator:
// FindCoordinator, JoinGroup (member id required first), range assignment by the leader,
// SyncGroup, committed offsets, rebalances, commit and LeaveGroup on close.

import {
  Consumer,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  rangeAssign,
} from '../../../src/client/consumer';
import { Writer } from '../../../src/protocol/codec/writer';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { FetchRequest } from '../../../src/protocol/messages/generated/FetchRequest';
import type { JoinGroupRequest } from '../../../src/protocol/messages/generated/JoinGroupRequest';
import type { ListOffsetsRequest } from '../../../src/protocol/messages/generated/ListOffsetsRequest';
import type { MetadataRequest } from '../../../src/protocol/messages/generated/MetadataRequest';
import type { OffsetCommitRequest } from '../../../src/protocol/messages/generated/OffsetCommitRequest';
import type { OffsetFetchRequest } from '../../../src/protocol/messages/generated/OffsetFetchRequest';
import type { SyncGroupRequest } from '../../../src/protocol/messages/generated/SyncGroupRequest';
import { buildRecordBatchSync } from '../../../src/protocol/records/records';
import { CLIENT_APIS, FakeKafka, GROUP_APIS, metadataBody, type FakeRequest } from './fake-kafka';

describe('range assignor', () => {
  test("Kafka's RangeAssignor example: two consumers, two topics of three partitions", () => {
    const a = rangeAssign(
      [
        { memberId: 'C1', groupInstanceId: null, topics: ['t0', 't1'] },
        { memberId: 'C0', groupInstanceId: null, topics: ['t0', 't1'] },
      ],
      new Map([
        ['t0', 3],
        ['t1', 3],
      ]),
    );
    expect(a.get('C0')).toEqual([
      { topic: 't0', partitions: [0, 1] },
      { topic: 't1', partitions: [0, 1] },
    ]);
    expect(a.get('C1')).toEqual([
      { topic: 't0', partitions: [2] },
      { topic: 't1', partitions: [2] },
    ]);
  });

  test('more members than partitions; members subscribed to different topics; static members first', () => {
    const a = rangeAssign(
      [
        { memberId: 'a', groupInstanceId: null, topics: ['x'] },
        { memberId: 'b', groupInstanceId: null, topics: ['x', 'y'] },
        { memberId: 'c', groupInstanceId: 'static-1', topics: ['x'] },
      ],
      new Map([
        ['x', 2],
        ['y', 5],
      ]),
    );
    expect(a.get('c')).toEqual([{ topic: 'x', partitions: [0] }]);
    expect(a.get('a')).toEqual([{ topic: 'x', partitions: [1] }]);
    expect(a.get('b')).toEqual([{ topic: 'y', partitions: [0, 1, 2, 3, 4] }]);
  });
});

describe('ConsumerProtocol subscription and assignment', () => {
  test('round trip with the version prefix', () => {
    expect(decodeSubscription(encodeSubscription(['a', 'b']))).toEqual(['a', 'b']);
    const assigned = [{ topic: 't', partitions: [0, 2] }];
    expect(decodeAssignment(encodeAssignment(assigned))).toEqual(assigned);
    expect(decodeAssignment(Buffer.alloc(0))).toEqual([]);
  });

  test('a version-0 subscription (older clients) and a newer version than known', () => {
    const w = new Writer();
    w.writeInt16(0);
    w.writeInt32(1); // topics: one
    w.writeString('old', false);
    w.writeNullableBytes(null, false); // user data
    expect(decodeSubscription(w.toBuffer())).toEqual(['old']);
    const v9 = encodeSubscription(['n']);
    v9.writeInt16BE(9, 0);
    expect(decodeSubscription(Buffer.concat([v9, Buffer.from([1, 2, 3])]))).toEqual(['n']);
  });
});

describe('Consumer in a group', () => {
  let broker: FakeKafka;
  let consumer: Consumer | null = null;

  afterEach(async () => {
    await consumer?.close().catch(() => undefined);
    consumer = null;
    await broker.stop();
  });

  /** One broker that is also the coordinator; topic t with 2 partitions holding 3 records each. */
  function script(opts: { committed: Record<number, bigint>; heartbeatError?: () => number }) {
    let generation = 0;
    const memberId = 'member-1';
    return (r: FakeRequest) => {
      switch (r.apiKey) {
        case ApiKey.Metadata:
          return metadataBody(
            [broker],
            { t: [broker.nodeId, broker.nodeId] },
            (r.body as MetadataRequest).topics,
          );
        case ApiKey.FindCoordinator:
          return {
            errorCode: 0,
            nodeId: broker.nodeId,
            host: '127.0.0.1',
            port: broker.port,
            coordinators: [
              { key: 'g1', nodeId: broker.nodeId, host: '127.0.0.1', port: broker.port, errorCode: 0 },
            ],
          };
        case ApiKey.JoinGroup: {
          const req = r.body as JoinGroupRequest;
          if (req.memberId === '')
            return { errorCode: 79, memberId, generationId: -1, leader: '', members: [] };
          generation++;
          return {
            errorCode: 0,
            generationId: generation,
            protocolType: 'consumer',
            protocolName: req.protocols[0].name,
            leader: memberId,
            memberId,
            members: [{ memberId, groupInstanceId: null, metadata: req.protocols[0].metadata }],
          };
        }
        case ApiKey.SyncGroup: {
          const req = r.body as SyncGroupRequest;
          return {
            errorCode: 0,
            protocolType: 'consumer',
            protocolName: 'range',
            assignment: req.assignments[0].assignment,
          };
        }
        case ApiKey.OffsetFetch: {
          const req = r.body as OffsetFetchRequest;
          const topics = (req.groups[0]?.topics ?? req.topics ?? []).map((t) => ({
            name: t.name,
            partitions: t.partitionIndexes.map((i) => ({
              partitionIndex: i,
              committedOffset: opts.committed[i] ?? -1n,
              committedLeaderEpoch: -1,
              metadata: '',
              errorCode: 0,
            })),
          }));
          return { errorCode: 0, topics, groups: [{ groupId: 'g1', topics, errorCode: 0 }] };
        }
        case ApiKey.ListOffsets: {
          const req = r.body as ListOffsetsRequest;
          return {
            topics: req.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({
                partitionIndex: p.partitionIndex,
                errorCode: 0,
                offset: p.timestamp === -2n ? 0n : 3n,
                timestamp: -1n,
              })),
            })),
          };
        }
        case ApiKey.Fetch: {
          const req = r.body as FetchRequest;
          return {
            responses: req.topics.map((t) => ({
              topicId: t.topicId,
              topic: t.topic,
              partitions: t.partitions.map((p) => {
                const batches: Buffer[] = [];
                for (let o = p.fetchOffset; o < 3n; o++)
                  batches.push(buildRecordBatchSync([{ value: `p${p.partition}-${o}` }], { baseOffset: o }));
                return {
                  partitionIndex: p.partition,
                  errorCode: 0,
                  highWatermark: 3n,
                  lastStableOffset: 3n,
                  abortedTransactions: null,
                  records: Buffer.concat(batches),
                };
              }),
            })),
          };
        }
        case ApiKey.Heartbeat:
          return { errorCode: opts.heartbeatError?.() ?? 0 };
        case ApiKey.OffsetCommit: {
          const req = r.body as OffsetCommitRequest;
          return {
            topics: req.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
            })),
          };
        }
        case ApiKey.LeaveGroup:
          return { errorCode: 0, members: [{ memberId, groupInstanceId: null, errorCode: 0 }] };
      }
      throw new Error(`unexpected API ${r.apiKey}`);
    };
  }

  async function pollUntil(c: Consumer, n: number): Promise<string[]> {
    const out: string[] = [];
    const deadline = Date.now() + 5000;
    while (out.length < n && Date.now() < deadline)
      for (const r of await c.poll(100)) out.push(r.value!.toString());
    return out;
  }

  test('joins, assigns itself both partitions, starts at the committed offsets, commits and leaves on close', async () => {
    broker = await new FakeKafka(1, (r) => handle(r), [...CLIENT_APIS, ...GROUP_APIS]).start();
    const handle = script({ committed: { 0: 1n } });
    consumer = new Consumer({
      bootstrap: broker.bootstrap,
      clientId: 'test',
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 20,
    });
    consumer.subscribe(['t'], { groupId: 'g1', autoCommit: true });
    const got = await pollUntil(consumer, 5);
    // partition 0 from its committed offset 1, partition 1 (nothing committed) from the earliest
    expect(got.sort()).toEqual(['p0-1', 'p0-2', 'p1-0', 'p1-1', 'p1-2']);

    const joins = broker.of(ApiKey.JoinGroup).map((r) => r.body as JoinGroupRequest);
    expect(joins.map((j) => j.memberId)).toEqual(['', 'member-1']);
    expect(joins[1].protocolType).toBe('consumer');
    expect(joins[1].protocols.map((p) => p.name)).toEqual(['range']);
    expect(decodeSubscription(joins[1].protocols[0].metadata)).toEqual(['t']);
    const sync = broker.of(ApiKey.SyncGroup)[0].body as SyncGroupRequest;
    expect(sync.generationId).toBe(1);
    expect(decodeAssignment(sync.assignments[0].assignment)).toEqual([{ topic: 't', partitions: [0, 1] }]);
    expect(consumer.assignment()).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    // only partition 1 needed ListOffsets
    const lo = broker.of(ApiKey.ListOffsets).map((r) => r.body as ListOffsetsRequest);
    expect(lo.flatMap((b) => b.topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex)))).toEqual([
      1,
    ]);

    await consumer.close();
    const commit = broker.of(ApiKey.OffsetCommit).map((r) => r.body as OffsetCommitRequest);
    expect(commit.length).toBeGreaterThanOrEqual(1);
    const last = commit[commit.length - 1];
    expect(last.groupId).toBe('g1');
    expect(last.memberId).toBe('member-1');
    expect(last.generationIdOrMemberEpoch).toBe(1);
    expect(last.topics[0].partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([
      [0, 3n],
      [1, 3n],
    ]);
    expect(broker.of(ApiKey.LeaveGroup)).toHaveLength(1);
  });

  test('without auto commit nothing is committed; a rebalance announced by the heartbeat makes it join again', async () => {
    let rebalance = false;
    broker = await new FakeKafka(1, (r) => handle(r), [...CLIENT_APIS, ...GROUP_APIS]).start();
    const handle = script({
      committed: {},
      heartbeatError: () => (rebalance ? ((rebalance = false), 27) : 0),
    });
    consumer = new Consumer({
      bootstrap: broker.bootstrap,
      clientId: 'test',
      autoOffsetReset: 'earliest',
      fetchMaxWaitMs: 20,
    });
    consumer.subscribe(['t'], { groupId: 'g1', autoCommit: false, heartbeatIntervalMs: 30 });
    expect((await pollUntil(consumer, 6)).length).toBe(6);
    rebalance = true;
    const deadline = Date.now() + 3000;
    while (broker.of(ApiKey.SyncGroup).length < 2 && Date.now() < deadline) await consumer.poll(50);
    expect(broker.of(ApiKey.SyncGroup).map((r) => (r.body as SyncGroupRequest).generationId)).toEqual([1, 2]);
    await consumer.close();
    expect(broker.of(ApiKey.OffsetCommit)).toHaveLength(0);
    expect(broker.of(ApiKey.LeaveGroup)).toHaveLength(1);
  });
});
