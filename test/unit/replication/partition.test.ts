import { Partition } from '../../../src/cluster/partition';
import { ErrorCode } from '../../../src/protocol/errors';
import { captureLogs } from '../log/helpers';
import { appendEpoch, FakeContext, flush, leaderAndIsr, makeBatch, newPartition, TestEnv } from './helpers';

let env: TestEnv;
let ctx: FakeContext;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  logs = captureLogs();
  env = new TestEnv();
  ctx = new FakeContext(0, env.time);
});
afterEach(() => {
  env.close();
  logs.restore();
});

const produce = (p: Partition, count: number, acks = 1) =>
  p.appendRecordsToLeader(makeBatch(0n, count), acks, 9);

const fetch = (
  p: Partition,
  replicaId: number,
  fetchOffset: bigint,
  extra: Partial<Parameters<Partition['fetchRecords']>[0]> = {},
) =>
  p.fetchRecords({
    replicaId,
    fetchOffset,
    currentLeaderEpoch: p.leaderEpoch,
    lastFetchedEpoch: -1,
    logStartOffset: 0n,
    maxBytes: 1 << 20,
    minOneMessage: true,
    isolation: replicaId >= 0 ? 'logEnd' : 'highWatermark',
    updateFetchState: true,
    ...extra,
  });

describe('becoming leader', () => {
  it('records the new epoch at the log end, and the HW waits for every ISR follower', async () => {
    const p = newPartition(env, ctx);
    appendEpoch(p.log, 5, 0);
    p.log.updateHighWatermark(3n);
    const r = p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, partitionEpoch: 4 }));
    expect(r).toEqual({ applied: true, isNewLeader: true, isNewEpoch: true });
    expect(p.isLeader).toBe(true);
    expect(p.log.leaderEpochCache.latestEntry()).toEqual({ epoch: 1, startOffset: 5n });
    expect(p.leaderEpochStartOffset).toBe(5n);
    expect(p.partitionEpoch).toBe(4);
    expect(p.isr).toEqual([0, 1, 2]);
    // New leader: followers' positions unknown, the HW stays where it was.
    expect(p.log.highWatermark).toBe(3n);
    await produce(p, 5);
    expect(p.log.logEndOffset).toBe(10n);
    expect(p.log.highWatermark).toBe(3n);
    fetch(p, 1, 10n);
    expect(p.log.highWatermark).toBe(3n); // follower 2 unknown
    fetch(p, 2, 8n);
    expect(p.log.highWatermark).toBe(8n);
    fetch(p, 2, 10n);
    expect(p.log.highWatermark).toBe(10n);
  });

  it('a leader alone in the ISR moves the HW on every append', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 0, isr: [0] }));
    const r = await produce(p, 3);
    expect(r.baseOffset).toBe(0n);
    expect(r.lastOffset).toBe(2n);
    expect(p.log.highWatermark).toBe(3n);
  });

  it('is skipped for an older partition epoch', () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, partitionEpoch: 5 }));
    expect(p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 2, partitionEpoch: 4 })).applied).toBe(false);
    expect(p.leaderEpoch).toBe(1);
  });

  it('becoming follower clears the ISR and reports whether the epoch moved', () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1 }));
    expect(p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 2 }))).toBe(true);
    expect(p.isLeader).toBe(false);
    expect(p.leaderId).toBe(1);
    expect(p.isr).toEqual([]);
    expect(p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 2 }))).toBe(false);
  });
});

describe('leader side of Fetch', () => {
  it('checks the epoch first, then leadership, then that the replica is assigned', () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 3, replicas: [0, 1, 2] }));
    expect(fetch(p, 1, 0n, { currentLeaderEpoch: 2 }).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(fetch(p, 1, 0n, { currentLeaderEpoch: 4 }).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(fetch(p, 5, 0n).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    const err = fetch(p, 1, 99n);
    expect(err.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    expect(err.highWatermark).toBe(-1n);
    p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 4 }));
    expect(fetch(p, 2, 0n, { currentLeaderEpoch: 5 }).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect(fetch(p, 2, 0n).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('answers a diverging last fetched epoch with the epoch to truncate to and no records', () => {
    const p = newPartition(env, ctx);
    appendEpoch(p.log, 10, 0);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 2 }));
    appendEpoch(p.log, 5, 2);
    // The follower wrote 10..14 in epoch 1, which never reached us.
    const d = fetch(p, 1, 15n, { lastFetchedEpoch: 1 });
    expect(d.errorCode).toBe(ErrorCode.NONE);
    expect(d.divergingEpoch).toEqual({ epoch: 0, endOffset: 10n });
    expect(d.records.length).toBe(0);
    expect(p.followerState(1)!.logEndOffset).toBe(-1n); // progress not recorded
    // Consistent: data.
    const ok = fetch(p, 1, 10n, { lastFetchedEpoch: 0 });
    expect(ok.divergingEpoch).toBeNull();
    expect(ok.records.length).toBeGreaterThan(0);
    expect(p.followerState(1)!.logEndOffset).toBe(10n);
    // An epoch the leader cannot place: OFFSET_OUT_OF_RANGE.
    expect(fetch(p, 1, 10n, { lastFetchedEpoch: 7 }).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('lastOffsetForLeaderEpoch follows the epoch cache and checks the current epoch', () => {
    const p = newPartition(env, ctx);
    appendEpoch(p.log, 4, 0);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 2 }));
    appendEpoch(p.log, 3, 2);
    expect(p.lastOffsetForLeaderEpoch(-1, 2, true)).toEqual({ errorCode: 0, leaderEpoch: 2, endOffset: 7n });
    expect(p.lastOffsetForLeaderEpoch(2, 1, true)).toEqual({ errorCode: 0, leaderEpoch: 0, endOffset: 4n });
    expect(p.lastOffsetForLeaderEpoch(-1, 3, true)).toEqual({
      errorCode: 0,
      leaderEpoch: -1,
      endOffset: -1n,
    });
    expect(p.lastOffsetForLeaderEpoch(1, 2, true).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
  });
});

describe('ISR expansion and shrinking (AlterPartition)', () => {
  it('adds a follower that reached the HW and the epoch start; the new member counts at once', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0, 1], partitionEpoch: 7 }));
    await produce(p, 10);
    fetch(p, 1, 10n);
    expect(p.log.highWatermark).toBe(10n);
    await produce(p, 5);
    fetch(p, 2, 5n); // behind the HW: not yet
    expect(ctx.alterRequests).toHaveLength(0);
    fetch(p, 2, 10n);
    expect(ctx.alterRequests).toHaveLength(1);
    expect(ctx.alterRequests[0].item.leaderAndIsr).toEqual({
      leaderId: 0,
      leaderEpoch: 1,
      isr: [0, 1, 2],
      leaderRecoveryState: 0,
      partitionEpoch: 7,
    });
    expect(p.isr).toEqual([0, 1]);
    expect(p.maximalIsr).toEqual([0, 1, 2]);
    fetch(p, 1, 15n);
    expect(p.log.highWatermark).toBe(10n); // held by the joining follower
    fetch(p, 2, 15n); // no second proposal while one is in flight
    expect(ctx.alterRequests).toHaveLength(1);
    expect(p.log.highWatermark).toBe(15n);
    await ctx.acceptNext();
    expect(p.isr).toEqual([0, 1, 2]);
    expect(p.partitionEpoch).toBe(8);
    expect(p.isIsrChangeInflight).toBe(false);
  });

  it('does not add a dead broker', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0] }));
    ctx.alive.delete(2);
    fetch(p, 2, 0n);
    expect(ctx.alterRequests).toHaveLength(0);
  });

  it('removes a follower that stopped fetching, keeping it counted until the controller confirms', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0, 1, 2], partitionEpoch: 3 }));
    await produce(p, 4);
    fetch(p, 1, 4n);
    fetch(p, 2, 4n);
    expect(p.log.highWatermark).toBe(4n);
    await produce(p, 4);
    fetch(p, 1, 8n);
    expect(p.log.highWatermark).toBe(4n);
    env.time.sleep(20_000);
    p.maybeShrinkIsr();
    expect(ctx.alterRequests).toHaveLength(0); // caught up within 30 s
    env.time.sleep(15_000);
    fetch(p, 1, 8n); // follower 1 keeps up
    p.maybeShrinkIsr();
    expect(ctx.alterRequests).toHaveLength(1);
    expect(ctx.alterRequests[0].item.leaderAndIsr.isr).toEqual([0, 1]);
    expect(p.maximalIsr).toEqual([0, 1, 2]); // pessimistic while pending
    expect(p.log.highWatermark).toBe(4n);
    await ctx.acceptNext();
    expect(p.isr).toEqual([0, 1]);
    expect(p.partitionEpoch).toBe(4);
    expect(p.log.highWatermark).toBe(8n);
  });

  it('INELIGIBLE_REPLICA reverts to the committed ISR; FENCED_LEADER_EPOCH waits for LeaderAndIsr; other errors resend', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0, 1] }));
    fetch(p, 2, 0n);
    await ctx.rejectNext(ErrorCode.INELIGIBLE_REPLICA);
    expect(p.isIsrChangeInflight).toBe(false);
    expect(p.maximalIsr).toEqual([0, 1]);
    fetch(p, 2, 0n);
    await ctx.rejectNext(ErrorCode.FENCED_LEADER_EPOCH);
    expect(p.isIsrChangeInflight).toBe(true);
    fetch(p, 2, 0n);
    expect(ctx.alterRequests).toHaveLength(0);
    // A new LeaderAndIsr replaces the pending state.
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 2, isr: [0, 1], partitionEpoch: 1 }));
    fetch(p, 2, 0n);
    expect(ctx.alterRequests).toHaveLength(1);
    await ctx.rejectNext(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(ctx.alterRequests).toHaveLength(1); // resubmitted
    await ctx.acceptNext();
    expect(p.isr).toEqual([0, 1, 2]);
  });

  it('ignores an answer that arrives after LeaderAndIsr changed the state', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0, 1], partitionEpoch: 2 }));
    fetch(p, 2, 0n);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 2, isr: [0], partitionEpoch: 3 }));
    await ctx.acceptNext();
    expect(p.isr).toEqual([0]);
    expect(p.partitionEpoch).toBe(3);
  });

  it('ignores a success for another leader epoch or an older partition epoch', async () => {
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0, 1], partitionEpoch: 5 }));
    fetch(p, 2, 0n);
    const r = ctx.alterRequests.shift()!;
    r.answer({
      ok: true,
      leaderAndIsr: {
        leaderId: 0,
        leaderEpoch: 1,
        isr: [0, 1, 2],
        leaderRecoveryState: 0,
        partitionEpoch: 4,
      },
    });
    await flush();
    expect(p.isr).toEqual([0, 1]);
    expect(p.isIsrChangeInflight).toBe(true);
  });
});

describe('min.insync.replicas and acks=all', () => {
  it('refuses acks=all below the effective min ISR before appending, and freezes the HW (KAFKA-15583)', async () => {
    const p = newPartition(env, ctx, { 'min.insync.replicas': '2' });
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 0, isr: [0] }));
    const r = await produce(p, 3, -1);
    expect(r.errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(r.errorMessage).toBeNull();
    expect(logs.lines().join('')).toContain(
      'NotEnoughReplicasException: The size of the current ISR Set(0) is insufficient to satisfy the min.isr requirement of 2 for partition t-0',
    );
    expect(p.log.logEndOffset).toBe(0n);
    const r1 = await produce(p, 3, 1);
    expect(r1.errorCode).toBe(ErrorCode.NONE);
    expect(p.isUnderMinIsr).toBe(true);
    expect(p.log.highWatermark).toBe(0n);
  });

  it('the effective min ISR is capped by the replica count', async () => {
    const p = newPartition(env, ctx, { 'min.insync.replicas': '3' });
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 0, isr: [0], replicas: [0] }));
    expect((await produce(p, 1, -1)).errorCode).toBe(ErrorCode.NONE);
    expect(p.log.highWatermark).toBe(1n);
  });

  it('acks=all completes when the HW passes the last offset; AFTER_APPEND when the ISR fell below min meanwhile', async () => {
    const p = newPartition(env, ctx, { 'min.insync.replicas': '2' });
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 0, isr: [0, 1], replicas: [0, 1, 2] }));
    const r = await produce(p, 5, -1);
    expect(p.checkEnoughReplicasReachOffset(r.lastOffset + 1n)).toEqual({ done: false });
    fetch(p, 1, 5n);
    expect(p.checkEnoughReplicasReachOffset(5n)).toEqual({ done: true, errorCode: ErrorCode.NONE });
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 1, isr: [0], replicas: [0, 1, 2] }));
    expect(p.checkEnoughReplicasReachOffset(5n)).toEqual({
      done: true,
      errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    });
    p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 2 }));
    expect(p.checkEnoughReplicasReachOffset(5n)).toEqual({
      done: true,
      errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
    });
  });
});

describe('follower side', () => {
  it('HW = min(leader HW, own LEO); log start follows the leader up to the HW', () => {
    const p = newPartition(env, ctx);
    p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 0 }));
    p.appendRecordsToFollower(makeBatch(0n, 10));
    p.updateFollowerHighWatermark(25n);
    expect(p.log.highWatermark).toBe(10n);
    p.updateFollowerHighWatermark(6n);
    expect(p.log.highWatermark).toBe(6n);
    p.maybeIncrementLogStartOffsetFromLeader(4n);
    expect(p.log.logStartOffset).toBe(4n);
    p.maybeIncrementLogStartOffsetFromLeader(9n);
    expect(p.log.logStartOffset).toBe(6n);
  });
});

describe('consumer fetches from a follower', () => {
  it('v11+ consumers are served up to the follower high watermark; replicas and old consumers are not', () => {
    const p = newPartition(env, ctx);
    p.makeFollower(leaderAndIsr({ leader: 1, leaderEpoch: 0 }));
    p.appendRecordsToFollower(makeBatch(0n, 10));
    p.updateFollowerHighWatermark(6n);
    const consumer = fetch(p, -1, 0n, { fetchOnlyLeader: false });
    expect(consumer.errorCode).toBe(ErrorCode.NONE);
    expect(consumer.highWatermark).toBe(6n);
    expect(fetch(p, -1, 0n, { fetchOnlyLeader: true }).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(fetch(p, 2, 0n, { fetchOnlyLeader: false }).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(fetch(p, -1, 0n, { fetchOnlyLeader: false, currentLeaderEpoch: 1 }).errorCode).toBe(
      ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
  });
});
