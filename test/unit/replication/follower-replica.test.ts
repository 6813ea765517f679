import {
  effectiveMinIsr,
  FollowerReplica,
  followerInSync,
  highWatermarkCandidate,
  outOfSyncReplicas,
} from '../../../src/replication/follower-replica';

describe('FollowerReplica caught-up rules (Kafka Replica.updateFetchStateOrThrow)', () => {
  it('a fetch at or past the leader log end makes the follower caught up at the fetch time', () => {
    const r = new FollowerReplica(1);
    r.updateFetchState(10n, 0n, 1000, 10n);
    expect(r.lastCaughtUpTimeMs).toBe(1000);
    expect(r.logEndOffset).toBe(10n);
    expect(r.lastFetchLeaderLogEndOffset).toBe(10n);
    expect(r.lastFetchTimeMs).toBe(1000);
  });

  it('a fetch reaching the leader end of the previous fetch counts as caught up at the previous fetch time', () => {
    const r = new FollowerReplica(1);
    r.updateFetchState(5n, 0n, 1000, 10n); // behind: not caught up
    expect(r.lastCaughtUpTimeMs).toBe(0);
    r.updateFetchState(10n, 0n, 2000, 15n); // got everything the leader had at t=1000
    expect(r.lastCaughtUpTimeMs).toBe(1000);
    r.updateFetchState(12n, 0n, 3000, 20n); // 12 < 15: unchanged
    expect(r.lastCaughtUpTimeMs).toBe(1000);
  });

  it('never moves lastCaughtUp backwards and keeps the largest leader end seen', () => {
    const r = new FollowerReplica(1);
    r.updateFetchState(10n, 0n, 5000, 10n);
    r.updateFetchState(10n, 0n, 4000, 10n);
    expect(r.lastCaughtUpTimeMs).toBe(5000);
    r.updateFetchState(10n, 0n, 6000, 8n);
    expect(r.lastFetchLeaderLogEndOffset).toBe(10n);
  });

  it('isCaughtUp: same log end as the leader, or caught up within replica.lag.time.max.ms', () => {
    const r = new FollowerReplica(1);
    r.updateFetchState(10n, 0n, 1000, 10n);
    expect(r.isCaughtUp(10n, 100_000, 30_000)).toBe(true); // same LEO
    expect(r.isCaughtUp(11n, 31_000, 30_000)).toBe(true); // exactly at the limit
    expect(r.isCaughtUp(11n, 31_001, 30_000)).toBe(false);
  });

  it('reset on a new leader epoch: ISR members caught up now, others at 0; a new leader forgets offsets', () => {
    const r = new FollowerReplica(1);
    r.updateFetchState(10n, 3n, 1000, 10n);
    r.reset(9000, 12n, false, true);
    expect(r.lastCaughtUpTimeMs).toBe(9000);
    expect(r.lastFetchTimeMs).toBe(9000);
    expect(r.lastFetchLeaderLogEndOffset).toBe(12n);
    expect(r.logEndOffset).toBe(10n);
    r.reset(9500, 12n, false, false);
    expect(r.lastCaughtUpTimeMs).toBe(0);
    expect(r.lastFetchTimeMs).toBe(0);
    r.reset(10_000, 12n, true, true);
    expect(r.logEndOffset).toBe(-1n);
    expect(r.logStartOffset).toBe(-1n);
    expect(r.lastFetchLeaderLogEndOffset).toBe(-1n);
    expect(r.lastCaughtUpTimeMs).toBe(10_000);
  });
});

describe('high watermark candidate (Partition.maybeIncrementLeaderHW)', () => {
  const replica = (id: number, leo: bigint, caughtUpAt: number) => {
    const r = new FollowerReplica(id);
    r.logEndOffset = leo;
    r.lastCaughtUpTimeMs = caughtUpAt;
    return r;
  };
  const alive = () => true;

  it('is the minimum log end over the leader and the maximal ISR', () => {
    const rs = [replica(1, 7n, 0), replica(2, 9n, 0)];
    expect(highWatermarkCandidate(10n, rs, [0, 1, 2], alive, 100_000, 30_000)).toBe(7n);
    expect(highWatermarkCandidate(10n, rs, [0, 2], alive, 100_000, 30_000)).toBe(9n);
    expect(highWatermarkCandidate(10n, rs, [0], alive, 100_000, 30_000)).toBe(10n);
  });

  it('also waits for a caught-up live follower outside the ISR (about to join)', () => {
    const rs = [replica(1, 7n, 95_000)];
    expect(highWatermarkCandidate(10n, rs, [0], alive, 100_000, 30_000)).toBe(7n);
    // dead brokers are not eligible
    expect(highWatermarkCandidate(10n, rs, [0], () => false, 100_000, 30_000)).toBe(10n);
    // lagging too long: ignored
    expect(highWatermarkCandidate(10n, rs, [0], alive, 200_000, 30_000)).toBe(10n);
  });

  it('an ISR member with an unknown log end holds the HW at -1 (no advance)', () => {
    expect(highWatermarkCandidate(10n, [replica(1, -1n, 0)], [0, 1], alive, 0, 30_000)).toBe(-1n);
  });

  it('effective min ISR is capped by the replica count', () => {
    expect(effectiveMinIsr(2, 3)).toBe(2);
    expect(effectiveMinIsr(3, 1)).toBe(1);
  });
});

describe('ISR membership', () => {
  it('out-of-sync replicas: ISR followers not caught up, or unknown; never the leader', () => {
    const r1 = new FollowerReplica(1);
    r1.logEndOffset = 10n;
    const r2 = new FollowerReplica(2);
    r2.logEndOffset = 4n;
    r2.lastCaughtUpTimeMs = 1000;
    const get = (id: number) => (id === 1 ? r1 : id === 2 ? r2 : undefined);
    expect(outOfSyncReplicas([0, 1, 2, 3], 0, get, 10n, 40_000, 30_000)).toEqual([2, 3]);
    expect(outOfSyncReplicas([0, 1, 2], 0, get, 10n, 31_000, 30_000)).toEqual([]);
  });

  it('a follower joins once it reached the HW and the current epoch start', () => {
    expect(followerInSync(10n, 10n, 5n)).toBe(true);
    expect(followerInSync(9n, 10n, 5n)).toBe(false);
    expect(followerInSync(10n, 8n, 11n)).toBe(false); // past the HW but not into our epoch yet
    expect(followerInSync(10n, 8n, null)).toBe(false); // not leader
  });
});
