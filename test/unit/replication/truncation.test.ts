import { divergingEpoch, truncationState } from '../../../src/replication/truncation';
import { appendEpoch, TestEnv } from './helpers';

describe('truncation target (AbstractFetcherThread.getOffsetTruncationState)', () => {
  const local =
    (m: Record<number, [number, bigint]>) =>
    (e: number): { epoch: number; endOffset: bigint } | null => {
      const hit = m[e];
      return hit ? { epoch: hit[0], endOffset: hit[1] } : null;
    };

  it('leader epoch known locally: min(local end, leader end, own LEO)', () => {
    expect(truncationState({ epoch: 3, endOffset: 50n }, 80n, 80n, local({ 3: [3, 60n] }))).toEqual({
      offset: 50n,
      truncationCompleted: true,
    });
    expect(truncationState({ epoch: 3, endOffset: 70n }, 80n, 80n, local({ 3: [3, 60n] }))).toEqual({
      offset: 60n,
      truncationCompleted: true,
    });
    expect(truncationState({ epoch: 3, endOffset: 70n }, 55n, 55n, local({ 3: [3, 60n] }))).toEqual({
      offset: 55n,
      truncationCompleted: true,
    });
  });

  it('leader epoch unknown locally: truncate to the end of our largest earlier epoch and ask again', () => {
    expect(truncationState({ epoch: 4, endOffset: 90n }, 80n, 80n, local({ 4: [2, 40n] }))).toEqual({
      offset: 40n,
      truncationCompleted: false,
    });
  });

  it('leader epoch below everything we track: the leader end offset', () => {
    expect(truncationState({ epoch: 1, endOffset: 30n }, 80n, 80n, local({}))).toEqual({
      offset: 30n,
      truncationCompleted: true,
    });
    expect(truncationState({ epoch: 1, endOffset: 300n }, 80n, 80n, local({}))).toEqual({
      offset: 80n,
      truncationCompleted: true,
    });
  });

  it('undefined end offset: the fetch offset; undefined epoch (old leaders): min(leader end, LEO)', () => {
    expect(truncationState({ epoch: -1, endOffset: -1n }, 42n, 80n, local({}))).toEqual({
      offset: 42n,
      truncationCompleted: true,
    });
    expect(truncationState({ epoch: -1, endOffset: 20n }, 42n, 80n, local({}))).toEqual({
      offset: 20n,
      truncationCompleted: true,
    });
  });
});

describe('diverging epoch check on the leader (Partition.readRecords)', () => {
  it('consistent fetch → null; diverging → the leader epoch/end; unknown or below log start → out of range', () => {
    expect(divergingEpoch({ epoch: 2, endOffset: 100n }, 2, 100n, 0n)).toBeNull();
    expect(divergingEpoch({ epoch: 2, endOffset: 100n }, 2, 90n, 0n)).toBeNull();
    expect(divergingEpoch({ epoch: 2, endOffset: 80n }, 2, 90n, 0n)).toEqual({ epoch: 2, endOffset: 80n });
    expect(divergingEpoch({ epoch: 1, endOffset: 80n }, 2, 80n, 0n)).toEqual({ epoch: 1, endOffset: 80n });
    expect(divergingEpoch({ epoch: -1, endOffset: -1n }, 5, 80n, 0n)).toBe('outOfRange');
    expect(divergingEpoch({ epoch: 2, endOffset: 100n }, 2, 90n, 95n)).toBe('outOfRange');
  });
});

describe('follower truncation against a real leader log', () => {
  let env: TestEnv;
  beforeEach(() => (env = new TestEnv()));
  afterEach(() => env.close());

  /** Runs the fetch/diverging exchange until the follower's fetch is consistent; returns its LEO. */
  function reconcile(
    leader: ReturnType<TestEnv['openLog']>,
    follower: ReturnType<TestEnv['openLog']>,
  ): bigint {
    for (let round = 0; round < 10; round++) {
      const lastEpoch = follower.latestEpoch();
      const fetchOffset = follower.logEndOffset;
      const eo = leader.endOffsetForEpoch(lastEpoch) ?? { epoch: -1, endOffset: -1n };
      const d = divergingEpoch(eo, lastEpoch, fetchOffset, leader.logStartOffset);
      if (d === null) return follower.logEndOffset;
      if (d === 'outOfRange') throw new Error('out of range');
      const t = truncationState(d, fetchOffset, follower.logEndOffset, (e) => follower.endOffsetForEpoch(e));
      follower.truncateTo(t.offset);
    }
    throw new Error('no convergence');
  }

  it('an old leader that wrote uncommitted data in its epoch truncates exactly to the new leader history', () => {
    // Both: epoch 0 offsets 0..9. Old leader (follower now) wrote 10..14 in epoch 1 alone;
    // new leader took over in epoch 2 at offset 10 and wrote 10..19.
    const leader = env.openLog('leader-0');
    const follower = env.openLog('follower-0');
    appendEpoch(leader, 10, 0);
    appendEpoch(follower, 10, 0);
    appendEpoch(follower, 5, 1);
    follower.updateHighWatermark(12n); // a high watermark above the divergence point is not trusted
    leader.assignEpochStartOffset(2, 10n);
    appendEpoch(leader, 10, 2);
    expect(reconcile(leader, follower)).toBe(10n);
    expect(follower.latestEpoch()).toBe(0);
    expect(follower.highWatermark).toBe(10n);
  });

  it('a follower missing the leader epoch truncates in steps through its own epoch cache', () => {
    // Leader: e0 [0,5), e2 [5,10), e4 [10,20). Follower: e0 [0,5), e1 [5,8), e3 [8,12).
    const leader = env.openLog('leader-0');
    const follower = env.openLog('follower-0');
    appendEpoch(leader, 5, 0);
    appendEpoch(leader, 5, 2);
    appendEpoch(leader, 10, 4);
    appendEpoch(follower, 5, 0);
    appendEpoch(follower, 3, 1);
    appendEpoch(follower, 4, 3);
    const steps: Array<{ offset: bigint; truncationCompleted: boolean }> = [];
    for (;;) {
      const lastEpoch = follower.latestEpoch();
      const eo = leader.endOffsetForEpoch(lastEpoch) ?? { epoch: -1, endOffset: -1n };
      const d = divergingEpoch(eo, lastEpoch, follower.logEndOffset, 0n);
      if (d === null || d === 'outOfRange') break;
      const t = truncationState(d, follower.logEndOffset, follower.logEndOffset, (e) =>
        follower.endOffsetForEpoch(e),
      );
      steps.push(t);
      follower.truncateTo(t.offset);
    }
    // The leader answers (2, 10) for epoch 3: unknown to us, so we cut to the end of e1 (8) and
    // ask again; then (0, 5) for epoch 1 ends it at 5.
    expect(steps).toEqual([
      { offset: 8n, truncationCompleted: false },
      { offset: 5n, truncationCompleted: true },
    ]);
    expect(follower.logEndOffset).toBe(5n);
    expect(follower.leaderEpochCache.entries()).toEqual([{ epoch: 0, startOffset: 0n }]);
  });

  it('a follower behind in the same history does not truncate', () => {
    const leader = env.openLog('leader-0');
    const follower = env.openLog('follower-0');
    appendEpoch(leader, 5, 0);
    appendEpoch(leader, 5, 1);
    appendEpoch(follower, 5, 0);
    appendEpoch(follower, 2, 1);
    expect(reconcile(leader, follower)).toBe(7n);
  });
});

describe('end offset for epoch (leader-epoch-checkpoint rule)', () => {
  let env: TestEnv;
  beforeEach(() => (env = new TestEnv()));
  afterEach(() => env.close());

  it('latest epoch → LEO; earlier → next epoch start with the floor epoch; below all → requested; above/undefined → unknown', () => {
    const log = env.openLog();
    appendEpoch(log, 5, 1); // e1 [0,5)
    appendEpoch(log, 5, 3); // e3 [5,10)
    appendEpoch(log, 5, 5); // e5 [10,15)
    expect(log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 15n });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 10n });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 3, endOffset: 10n });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 5n });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0n });
    expect(log.endOffsetForEpoch(6)).toBeNull();
    expect(log.endOffsetForEpoch(-1)).toBeNull();
  });
});
