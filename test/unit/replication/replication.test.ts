// Replication between in-process brokers over real sockets: follower fetchers, the leader's
// follower tracking, ISR changes through AlterPartition, acks=all, leader changes with
// truncation, OFFSET_OUT_OF_RANGE recovery, OffsetForLeaderEpoch.

import { ErrorCode } from '../../../src/protocol/errors';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { OffsetForLeaderEpochResponse } from '../../../src/protocol/messages/generated/OffsetForLeaderEpochResponse';
import type { ProduceResponse } from '../../../src/protocol/messages/generated/ProduceResponse';
import type { ApiHandler } from '../../../src/server/api-handler';
import { fetchHandler } from '../../../src/server/handlers/fetch';
import { offsetForLeaderEpochHandler } from '../../../src/server/handlers/offset-for-leader-epoch';
import { captureLogs, makeBatch } from '../log/helpers';
import { TestCluster, TOPIC, waitUntil } from './cluster';

jest.setTimeout(30000);

let cluster: TestCluster;
let logs: ReturnType<typeof captureLogs>;

async function produce(leader: number, count: number, acks: number, timeoutMs = 5000) {
  const c = await cluster.client(leader);
  const r = await c.request<ProduceResponse>(ApiKey.Produce, {
    transactionalId: null,
    acks,
    timeoutMs,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: makeBatch(0n, count) }] }],
  });
  return r.responses[0].partitionResponses[0];
}

const leo = (id: number) => cluster.brokers[id].partition()!.log.logEndOffset;
const hw = (id: number) => cluster.brokers[id].partition()!.log.highWatermark;

afterEach(async () => {
  await cluster?.stop();
  logs?.restore();
});

describe('replication between brokers', () => {
  beforeEach(async () => {
    logs = captureLogs();
    cluster = new TestCluster(3, {
      'replica.lag.time.max.ms': '1000',
      'replica.fetch.wait.max.ms': '100',
      'replica.fetch.backoff.ms': '100',
    });
    await cluster.start();
    await cluster.sendLeaderAndIsr();
  });

  it('followers replicate the leader log; acks=all answers once every ISR member has it', async () => {
    const r = await produce(0, 10, -1);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.baseOffset).toBe(0n);
    // acks=all: the HW passed the batch, so both followers had fetched it.
    expect(hw(0)).toBe(10n);
    expect(leo(1)).toBe(10n);
    expect(leo(2)).toBe(10n);
    const r2 = await produce(0, 5, -1);
    expect(r2.baseOffset).toBe(10n);
    await waitUntil('followers learn the HW', () => hw(1) === 15n && hw(2) === 15n);
    // Same bytes everywhere.
    const read = (id: number) => cluster.brokers[id].partition()!.log.read(0n, 1 << 20, 'logEnd', true);
    const bytes = (id: number) => {
      const x = read(id);
      return x.error === null ? x.records : null;
    };
    expect(bytes(1)).toEqual(bytes(0));
    expect(bytes(2)).toEqual(bytes(0));
    expect(cluster.brokers[1].partition()!.log.leaderEpochCache.entries()).toEqual([
      { epoch: 0, startOffset: 0n },
    ]);
  });

  it('a stopped follower drops out of the ISR and comes back after catching up', async () => {
    await produce(0, 3, -1);
    // The controller takes broker 2 offline: StopReplica, leader epoch bump without it in the ISR.
    await cluster.brokers[2].replicas.stopReplicas(
      {
        controllerId: 0,
        isKRaftController: false,
        controllerEpoch: 1,
        brokerEpoch: -1n,
        deletePartitions: false,
        ungroupedPartitions: [],
        topics: [],
        topicStates: [
          {
            topicName: TOPIC,
            partitionStates: [{ partitionIndex: 0, leaderEpoch: 0, deletePartition: false }],
          },
        ],
      },
      4,
      99,
    );
    expect((await produce(0, 4, 1)).errorCode).toBe(ErrorCode.NONE);
    // The leader notices after replica.lag.time.max.ms and shrinks the ISR through AlterPartition.
    await waitUntil('ISR shrink', () => cluster.brokers[0].partition()!.isr.join() === '0,1', 5000);
    expect(cluster.state.isr).toEqual([0, 1]);
    expect(cluster.alterPartitionRequests[0].brokerEpoch).toBe(100n);
    await waitUntil('HW past the laggard', () => hw(0) === 7n);
    expect(leo(2)).toBe(3n);
    // Back online: LeaderAndIsr with a new epoch; it catches up and is added back.
    await cluster.elect({});
    await waitUntil('ISR expand', () => cluster.state.isr.join() === '0,1,2', 5000);
    expect(leo(2)).toBe(7n);
  });

  it('acks=all: REQUEST_TIMED_OUT while an ISR member lags, NOT_ENOUGH_REPLICAS once the ISR is below min', async () => {
    await cluster.stop();
    cluster = new TestCluster(
      3,
      {
        'replica.lag.time.max.ms': '1500',
        'replica.fetch.wait.max.ms': '100',
        'replica.fetch.backoff.ms': '100',
      },
      { 'min.insync.replicas': '2' },
    );
    await cluster.start();
    cluster.state = { ...cluster.state, isr: [0, 1], replicas: [0, 1] };
    await cluster.sendLeaderAndIsr([0, 1]);
    expect((await produce(0, 2, -1)).errorCode).toBe(ErrorCode.NONE);
    await cluster.brokers[1].replicas.fetcherManager.shutdown();
    const timedOut = await produce(0, 2, -1, 300);
    expect(timedOut.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(timedOut.baseOffset).toBe(2n);
    await waitUntil('ISR shrink', () => cluster.brokers[0].partition()!.isr.join() === '0', 5000);
    const refused = await produce(0, 2, -1);
    expect(refused.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(leo(0)).toBe(4n);
    // Under min ISR the HW stays frozen (KAFKA-15583).
    expect((await produce(0, 1, 1)).errorCode).toBe(ErrorCode.NONE);
    expect(hw(0)).toBe(2n);
  });

  it('a pending acks=all produce fails with NOT_LEADER_OR_FOLLOWER when leadership moves', async () => {
    await cluster.brokers[2].replicas.fetcherManager.shutdown();
    const pending = produce(0, 2, -1, 10000);
    await waitUntil('appended', () => leo(0) === 2n);
    await cluster.elect({ leader: 1, isr: [1, 2] }, [0]);
    expect((await pending).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('a new leader truncates the old leader’s unreplicated suffix through the diverging epoch', async () => {
    await produce(0, 5, -1);
    // Followers stop; the old leader writes 3 records nobody else gets.
    await cluster.brokers[1].replicas.fetcherManager.shutdown();
    await cluster.brokers[2].replicas.fetcherManager.shutdown();
    await produce(0, 3, 1);
    expect(leo(0)).toBe(8n);
    expect(leo(1)).toBe(5n);
    // Broker 1 is elected (epoch 1) with 2; broker 0 becomes a follower.
    cluster.brokers[1].replicas.fetcherManager.failedPartitions.clear();
    await cluster.elect({ leader: 1, isr: [1, 2] });
    const r = await produce(1, 4, 1);
    expect(r.baseOffset).toBe(5n);
    await waitUntil('old leader converges', () => leo(0) === 9n);
    const log0 = cluster.brokers[0].partition()!.log;
    expect(log0.leaderEpochCache.entries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 1, startOffset: 5n },
    ]);
    const read = (id: number) => {
      const x = cluster.brokers[id].partition()!.log.read(0n, 1 << 20, 'logEnd', true);
      return x.error === null ? x.records : null;
    };
    expect(read(0)).toEqual(read(1));
    expect(logs.lines().join('')).toContain(
      'Truncating partition t-0 with TruncationState(offset=5, completed=true)',
    );
    // Back in the ISR.
    await waitUntil('old leader back in ISR', () => cluster.state.isr.join() === '1,2,0', 5000);
  });

  it('on becoming follower, a log with leader epochs truncates through OffsetForLeaderEpoch before it fetches', async () => {
    await produce(0, 5, -1);
    await cluster.brokers[1].replicas.fetcherManager.shutdown();
    await cluster.brokers[2].replicas.fetcherManager.shutdown();
    // Epoch 0 on broker 0 alone: offsets 5..7 nobody else has, and its high watermark is 5.
    await produce(0, 3, 1);
    expect(leo(0)).toBe(8n);
    // Broker 1 sees, in order, what broker 0 (now a follower) sends it.
    const seen: string[] = [];
    const b1 = cluster.brokers[1];
    for (const real of [
      offsetForLeaderEpochHandler(b1.cache, b1.replicas),
      fetchHandler(b1.cache, b1.replicas),
    ] as ApiHandler[]) {
      const key = real.apiKey;
      b1.apis.register({
        ...real,
        handle: (req: never, ctx: never) => {
          const r = req as {
            replicaId?: number;
            replicaState?: { replicaId: number };
            topics: Array<{
              partitions: Array<{ currentLeaderEpoch: number; leaderEpoch?: number; fetchOffset?: bigint }>;
            }>;
          };
          const replicaId = key === ApiKey.Fetch && r.replicaState ? r.replicaState.replicaId : r.replicaId;
          const part = r.topics[0]?.partitions[0];
          if (replicaId === 0)
            seen.push(
              key === ApiKey.Fetch
                ? `fetch@${part?.fetchOffset}`
                : `epoch(current=${part?.currentLeaderEpoch},leaderEpoch=${part?.leaderEpoch})`,
            );
          return real.handle(req, ctx);
        },
      } as never);
    }
    cluster.brokers[1].replicas.fetcherManager.failedPartitions.clear();
    await cluster.elect({ leader: 1, isr: [1, 2] });
    await produce(1, 2, 1);
    await waitUntil('old leader converges', () => leo(0) === 7n && seen.some((x) => x.startsWith('fetch')));
    // First the epoch question (current epoch 1 for fencing, our latest epoch 0), then fetches
    // from the truncation point: never a fetch from the old log end 8.
    expect(seen[0]).toBe('epoch(current=1,leaderEpoch=0)');
    const fetches = seen.filter((x) => x.startsWith('fetch'));
    expect(fetches[0]).toBe('fetch@5');
    expect(fetches).not.toContain('fetch@8');
    expect(logs.lines().join('')).toContain(
      'Truncating partition t-0 with TruncationState(offset=5, completed=true) due to leader epoch and offset EpochEndOffset(errorCode=0, partition=t-0, leaderEpoch=0, endOffset=5)',
    );
  });

  it('a follower behind the leader log start restarts its log at the leader log start', async () => {
    await cluster.stop();
    cluster = new TestCluster(2, { 'replica.fetch.wait.max.ms': '100', 'replica.fetch.backoff.ms': '100' });
    await cluster.start();
    cluster.state = { ...cluster.state, isr: [0], replicas: [0, 1] };
    await cluster.sendLeaderAndIsr([0]);
    await produce(0, 20, 1);
    cluster.brokers[0].partition()!.log.deleteRecordsBefore(15n);
    // The follower has no epochs: it truncates to its HW (0), fetches 0 → OFFSET_OUT_OF_RANGE →
    // ListOffsets: leader end 20 >= 0, leader start 15 > 0 → restart empty at 15.
    await cluster.sendLeaderAndIsr([1]);
    await waitUntil(
      'follower caught up',
      () => cluster.brokers[1].partition()?.log.logEndOffset === 20n,
    ).catch((e) => {
      process.stderr.write(logs.lines().join(''));
      throw e;
    });
    const log1 = cluster.brokers[1].partition()!.log;
    expect(log1.logStartOffset).toBe(15n);
    expect(logs.lines().join('')).toContain("to current leader 0's start offset 15");
  });

  it('OffsetForLeaderEpoch answers with the end of the epoch, and fences stale epochs', async () => {
    await produce(0, 4, -1);
    await cluster.elect({});
    await produce(0, 3, -1);
    const c = await cluster.client(0);
    const r = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, {
      replicaId: -1,
      topics: [
        {
          topic: TOPIC,
          partitions: [
            { partition: 0, currentLeaderEpoch: 1, leaderEpoch: 0 },
            { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 0 },
          ],
        },
        { topic: 'nope', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
      ],
    });
    expect(r.topics[0].partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 4n });
    expect(r.topics[0].partitions[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(r.topics[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r2 = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, {
      replicaId: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 1 }] }],
    });
    expect(r2.topics[0].partitions[0].errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    const f = await cluster.client(1);
    const r3 = await f.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, {
      replicaId: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 1 }] }],
    });
    expect(r3.topics[0].partitions[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});
