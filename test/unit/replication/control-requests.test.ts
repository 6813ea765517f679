// LeaderAndIsr and StopReplica handling on a broker (Kafka's ReplicaManager.becomeLeaderOrFollower
// and stopReplicas): epoch checks, per-partition errors, response shapes per version, events.

import * as fs from 'fs';
import * as path from 'path';
import type { Partition } from '../../../src/cluster/partition';
import { ZERO_UUID } from '../../../src/protocol/codec/reader';
import { ErrorCode } from '../../../src/protocol/errors';
import type { LeaderAndIsrRequest } from '../../../src/protocol/messages/generated/LeaderAndIsrRequest';
import type { StopReplicaRequest } from '../../../src/protocol/messages/generated/StopReplicaRequest';
import type { RequestContext } from '../../../src/server/api-handler';
import { leaderAndIsrHandler } from '../../../src/server/handlers/leader-and-isr';
import { stopReplicaHandler } from '../../../src/server/handlers/stop-replica';
import { captureLogs } from '../log/helpers';
import { Broker, TestCluster, TOPIC_ID } from './cluster';

let cluster: TestCluster;
let broker: Broker;
let logs: ReturnType<typeof captureLogs>;

beforeEach(async () => {
  logs = captureLogs();
  cluster = new TestCluster(1, {}, { 'min.insync.replicas': '2' });
  await cluster.start();
  broker = cluster.brokers[0];
});
afterEach(async () => {
  await cluster.stop();
  logs.restore();
});

const ctx = (apiVersion: number): RequestContext =>
  ({ apiVersion, header: { correlationId: 7 }, clientId: 'controller' }) as unknown as RequestContext;

interface P {
  topic?: string;
  partition?: number;
  leader?: number;
  leaderEpoch?: number;
  isr?: number[];
  partitionEpoch?: number;
  replicas?: number[];
}

function lisr(
  parts: P[],
  o: { controllerEpoch?: number; brokerEpoch?: bigint; topicId?: string } = {},
): LeaderAndIsrRequest {
  const byTopic = new Map<string, P[]>();
  for (const p of parts) byTopic.set(p.topic ?? 't', [...(byTopic.get(p.topic ?? 't') ?? []), p]);
  const state = (p: P) => ({
    topicName: p.topic ?? 't',
    partitionIndex: p.partition ?? 0,
    controllerEpoch: o.controllerEpoch ?? 1,
    leader: p.leader ?? 0,
    leaderEpoch: p.leaderEpoch ?? 0,
    isr: p.isr ?? [0],
    partitionEpoch: p.partitionEpoch ?? 0,
    replicas: p.replicas ?? [0],
    addingReplicas: [],
    removingReplicas: [],
    isNew: true,
    leaderRecoveryState: 0,
  });
  return {
    controllerId: 0,
    isKRaftController: false,
    controllerEpoch: o.controllerEpoch ?? 1,
    brokerEpoch: o.brokerEpoch ?? -1n,
    type: 0,
    ungroupedPartitionStates: parts.map(state),
    topicStates: [...byTopic.entries()].map(([topicName, ps]) => ({
      topicName,
      topicId: o.topicId ?? (topicName === 't' ? TOPIC_ID : ZERO_UUID),
      partitionStates: ps.map(state),
    })),
    liveLeaders: [],
  };
}

const leaderAndIsr = (req: LeaderAndIsrRequest, v = 7) =>
  leaderAndIsrHandler(broker.replicas, () => 100).handle(req, ctx(v)) as Promise<{
    errorCode: number;
    topics?: Array<{
      topicId: string;
      partitionErrors: Array<{ partitionIndex: number; errorCode: number }>;
    }>;
    partitionErrors?: Array<{ topicName: string; partitionIndex: number; errorCode: number }>;
  }>;

function stop(
  parts: Array<{ partition?: number; leaderEpoch: number; deletePartition: boolean }>,
  o: { controllerEpoch?: number; brokerEpoch?: bigint } = {},
): StopReplicaRequest {
  return {
    controllerId: 0,
    isKRaftController: false,
    controllerEpoch: o.controllerEpoch ?? 1,
    brokerEpoch: o.brokerEpoch ?? -1n,
    deletePartitions: parts.some((p) => p.deletePartition),
    ungroupedPartitions: parts.map((p) => ({ topicName: 't', partitionIndex: p.partition ?? 0 })),
    topics: [{ name: 't', partitionIndexes: parts.map((p) => p.partition ?? 0) }],
    topicStates: [
      {
        topicName: 't',
        partitionStates: parts.map((p) => ({
          partitionIndex: p.partition ?? 0,
          leaderEpoch: p.leaderEpoch,
          deletePartition: p.deletePartition,
        })),
      },
    ],
  };
}

const stopReplica = (req: StopReplicaRequest, v = 4) =>
  stopReplicaHandler(broker.replicas, () => 100).handle(req, ctx(v)) as Promise<{
    errorCode: number;
    partitionErrors: Array<{ topicName: string; partitionIndex: number; errorCode: number }>;
  }>;

describe('LeaderAndIsr', () => {
  it('becomes leader, with the topic config from ZooKeeper and partition.metadata written', async () => {
    const became: Partition[] = [];
    broker.replicas.on('becomeLeader', (p: Partition) => became.push(p));
    const r = await leaderAndIsr(lisr([{ partition: 0 }, { partition: 1, leaderEpoch: 3 }]));
    expect(r).toEqual({
      errorCode: 0,
      topics: [
        {
          topicId: TOPIC_ID,
          partitionErrors: [
            { partitionIndex: 0, errorCode: 0 },
            { partitionIndex: 1, errorCode: 0 },
          ],
        },
      ],
    });
    const p = broker.replicas.getPartition('t', 1)!;
    expect(p.isLeader).toBe(true);
    expect(p.leaderEpoch).toBe(3);
    expect(p.config.minInSyncReplicas).toBe(2);
    expect(p.topicId).toBe(TOPIC_ID);
    expect(fs.readFileSync(path.join(p.log.dir, 'partition.metadata'), 'utf8')).toBe(
      `version: 0\ntopic_id: ${TOPIC_ID}`,
    );
    expect(became.map((x) => x.toString())).toEqual(['t-0', 't-1']);
    expect(broker.cache.controllerEpoch).toBe(1);
  });

  it('refuses an older broker epoch (STALE_BROKER_EPOCH on every partition), accepting -1', async () => {
    const stale = await leaderAndIsr(lisr([{}], { brokerEpoch: 99n }));
    expect(stale.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(stale.topics![0].partitionErrors[0].errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(broker.replicas.getPartition('t', 0)).toBeUndefined();
    expect((await leaderAndIsr(lisr([{}], { brokerEpoch: 100n }))).errorCode).toBe(0);
    expect((await leaderAndIsr(lisr([{ leaderEpoch: 1 }], { brokerEpoch: 101n }))).errorCode).toBe(0);
  });

  it('refuses an older controller epoch and remembers the highest seen', async () => {
    await leaderAndIsr(lisr([{}], { controllerEpoch: 5 }));
    const r = await leaderAndIsr(lisr([{ leaderEpoch: 1 }], { controllerEpoch: 4 }));
    expect(r.errorCode).toBe(ErrorCode.STALE_CONTROLLER_EPOCH);
    expect(r.topics![0].partitionErrors).toEqual([
      { partitionIndex: 0, errorCode: ErrorCode.STALE_CONTROLLER_EPOCH },
    ]);
    expect(broker.replicas.getPartition('t', 0)!.leaderEpoch).toBe(0);
    expect(broker.cache.controllerEpoch).toBe(5);
  });

  it('per partition: same or older leader epoch → STALE_CONTROLLER_EPOCH, not a replica → UNKNOWN_TOPIC_OR_PARTITION, other topic id → INCONSISTENT_TOPIC_ID', async () => {
    await leaderAndIsr(lisr([{ leaderEpoch: 2 }]));
    const r = await leaderAndIsr(
      lisr([
        { partition: 0, leaderEpoch: 2 },
        { partition: 1, leaderEpoch: 0, replicas: [1, 2], leader: 1 },
      ]),
    );
    expect(r.topics![0].partitionErrors).toEqual([
      { partitionIndex: 0, errorCode: ErrorCode.STALE_CONTROLLER_EPOCH },
      { partitionIndex: 1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    const older = await leaderAndIsr(lisr([{ leaderEpoch: 1 }]));
    expect(older.topics![0].partitionErrors[0].errorCode).toBe(ErrorCode.STALE_CONTROLLER_EPOCH);
    const otherId = await leaderAndIsr(lisr([{ leaderEpoch: 5 }], { topicId: 'AAAAAAAAAAAAAAAAAAAAAg' }));
    expect(otherId.topics![0]).toEqual({
      topicId: 'AAAAAAAAAAAAAAAAAAAAAg',
      partitionErrors: [{ partitionIndex: 0, errorCode: ErrorCode.INCONSISTENT_TOPIC_ID }],
    });
  });

  it('v0-v4 answer partition errors by topic name; a same-epoch request may attach a topic id', async () => {
    const r = await leaderAndIsr(lisr([{ topic: 'u' }]), 4);
    expect(r).toEqual({
      errorCode: 0,
      partitionErrors: [{ topicName: 'u', partitionIndex: 0, errorCode: 0 }],
    });
    const u = broker.replicas.getPartition('u', 0)!;
    expect(u.topicId).toBeNull();
    const again = await leaderAndIsr(lisr([{ topic: 'u' }], { topicId: 'AAAAAAAAAAAAAAAAAAAAAw' }));
    expect(again.topics![0].partitionErrors[0].errorCode).toBe(0);
    expect(u.topicId).toBe('AAAAAAAAAAAAAAAAAAAAAw');
  });

  it('becoming a follower of a live broker starts a fetcher; losing leadership is announced', async () => {
    const events: string[] = [];
    broker.replicas.on('becomeFollower', (p: Partition) => events.push(`follower ${p}`));
    await leaderAndIsr(lisr([{ replicas: [0, 5] }]));
    // broker 5 is not alive and not in LiveLeaders: the replica exists but does not follow yet.
    await leaderAndIsr(lisr([{ leader: 5, leaderEpoch: 1, replicas: [0, 5] }]));
    expect(broker.replicas.getPartition('t', 0)!.isLeader).toBe(true);
    const withLive = lisr([{ leader: 5, leaderEpoch: 1, replicas: [0, 5] }]);
    withLive.liveLeaders = [{ brokerId: 5, hostName: '127.0.0.1', port: 1 }];
    await leaderAndIsr(withLive);
    const p = broker.replicas.getPartition('t', 0)!;
    expect(p.leaderId).toBe(5);
    expect(broker.replicas.fetcherManager.fetcherFor('t-0')?.leader).toEqual({
      id: 5,
      host: '127.0.0.1',
      port: 1,
    });
    expect(events).toEqual(['follower t-0']);
  });
});

describe('StopReplica', () => {
  it('deletes the replica and its log (leader epoch -2 = topic deletion), announcing the removal', async () => {
    await leaderAndIsr(lisr([{ leaderEpoch: 3 }]));
    const dir = broker.replicas.getPartition('t', 0)!.log.dir;
    const removed: string[] = [];
    broker.replicas.on('partitionRemoved', (p: Partition) => removed.push(p.toString()));
    const r = await stopReplica(stop([{ leaderEpoch: -2, deletePartition: true }]));
    expect(r).toEqual({
      errorCode: 0,
      partitionErrors: [{ topicName: 't', partitionIndex: 0, errorCode: 0 }],
    });
    expect(broker.replicas.getPartition('t', 0)).toBeUndefined();
    expect(broker.logManager.getLog('t', 0)).toBeUndefined();
    expect(fs.existsSync(dir)).toBe(false);
    expect(removed).toEqual(['t-0']);
  });

  it('an older leader epoch is FENCED_LEADER_EPOCH; -1 and newer ones pass; delete=false keeps the replica', async () => {
    await leaderAndIsr(lisr([{ leaderEpoch: 3 }]));
    expect(
      (await stopReplica(stop([{ leaderEpoch: 2, deletePartition: true }]))).partitionErrors[0].errorCode,
    ).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(broker.replicas.getPartition('t', 0)).toBeDefined();
    expect(
      (await stopReplica(stop([{ leaderEpoch: 3, deletePartition: false }]))).partitionErrors[0].errorCode,
    ).toBe(0);
    expect(broker.replicas.getPartition('t', 0)).toBeDefined();
    // v1-v2: no epochs, one delete flag for the request.
    const r = await stopReplica(stop([{ leaderEpoch: -1, deletePartition: true }]), 2);
    expect(r.partitionErrors[0]).toEqual({ topicName: 't', partitionIndex: 0, errorCode: 0 });
    expect(broker.replicas.getPartition('t', 0)).toBeUndefined();
  });

  it('epoch checks: STALE_BROKER_EPOCH and STALE_CONTROLLER_EPOCH answer without partition errors', async () => {
    await leaderAndIsr(lisr([{}], { controllerEpoch: 3 }));
    expect(
      await stopReplica(stop([{ leaderEpoch: -1, deletePartition: true }], { brokerEpoch: 1n })),
    ).toEqual({
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      partitionErrors: [],
    });
    expect(
      await stopReplica(stop([{ leaderEpoch: -1, deletePartition: true }], { controllerEpoch: 2 })),
    ).toEqual({
      errorCode: ErrorCode.STALE_CONTROLLER_EPOCH,
      partitionErrors: [],
    });
    expect(broker.replicas.getPartition('t', 0)).toBeDefined();
  });
});
