// The leader's view of one follower of a partition (Kafka's Replica / ReplicaState): where its log
// ends and starts, as its last fetch told, and when it was last caught up with the leader. The
// caught-up time drives ISR shrinking (replica.lag.time.max.ms) and lets a caught-up follower
// outside the ISR hold the high watermark back while it is about to join.

/** Offset not known yet (Kafka's UnifiedLog.UnknownOffset). */
export const UNKNOWN_OFFSET = -1n;

export class FollowerReplica {
  logStartOffset = UNKNOWN_OFFSET;
  logEndOffset = UNKNOWN_OFFSET;
  /** The leader's log end offset at the follower's previous fetch (the largest seen). */
  lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
  lastFetchTimeMs = 0;
  lastCaughtUpTimeMs = 0;

  constructor(readonly brokerId: number) {}

  /**
   * A fetch at `fetchOffset` arrived at `fetchTimeMs` while the leader's log ended at
   * `leaderEndOffset` (read before serving the fetch, so appends racing with it never keep a
   * follower out of sync). Caught up now if it asked for everything; caught up as of its previous
   * fetch if it got everything the leader had back then.
   */
  updateFetchState(
    fetchOffset: bigint,
    followerStartOffset: bigint,
    fetchTimeMs: number,
    leaderEndOffset: bigint,
  ): void {
    let lastCaughtUp = this.lastCaughtUpTimeMs;
    if (fetchOffset >= leaderEndOffset) lastCaughtUp = Math.max(lastCaughtUp, fetchTimeMs);
    else if (fetchOffset >= this.lastFetchLeaderLogEndOffset)
      lastCaughtUp = Math.max(lastCaughtUp, this.lastFetchTimeMs);
    this.logStartOffset = followerStartOffset;
    this.logEndOffset = fetchOffset;
    if (leaderEndOffset > this.lastFetchLeaderLogEndOffset)
      this.lastFetchLeaderLogEndOffset = leaderEndOffset;
    this.lastFetchTimeMs = fetchTimeMs;
    this.lastCaughtUpTimeMs = lastCaughtUp;
  }

  /** Same log end as the leader, or caught up within the last `maxLagMs`. */
  isCaughtUp(leaderEndOffset: bigint, nowMs: number, maxLagMs: number): boolean {
    return leaderEndOffset === this.logEndOffset || nowMs - this.lastCaughtUpTimeMs <= maxLagMs;
  }

  /**
   * The local broker became leader for a new epoch starting at `leaderEndOffset`. Followers in the
   * new ISR count as caught up now, others not at all. A broker that was not leader before
   * forgets what it knew about the followers.
   */
  reset(nowMs: number, leaderEndOffset: bigint, isNewLeader: boolean, inSync: boolean): void {
    this.lastCaughtUpTimeMs = inSync ? nowMs : 0;
    if (isNewLeader) {
      this.logStartOffset = UNKNOWN_OFFSET;
      this.logEndOffset = UNKNOWN_OFFSET;
      this.lastFetchLeaderLogEndOffset = UNKNOWN_OFFSET;
      this.lastFetchTimeMs = 0;
    } else {
      this.lastFetchLeaderLogEndOffset = leaderEndOffset;
      this.lastFetchTimeMs = inSync ? nowMs : 0;
    }
  }
}

/**
 * The leader's high watermark candidate: its own log end offset, lowered to the log end offset
 * of every follower that is in the maximal ISR, or is outside it but caught up and eligible to
 * join (alive). The caller applies it only if it moves the high watermark forward and the
 * partition is not under min ISR.
 */
export function highWatermarkCandidate(
  leaderLogEndOffset: bigint,
  followers: Iterable<FollowerReplica>,
  maximalIsr: readonly number[],
  eligible: (brokerId: number) => boolean,
  nowMs: number,
  maxLagMs: number,
): bigint {
  let hw = leaderLogEndOffset;
  for (const r of followers) {
    if (
      r.logEndOffset < hw &&
      (maximalIsr.includes(r.brokerId) ||
        (r.isCaughtUp(leaderLogEndOffset, nowMs, maxLagMs) && eligible(r.brokerId)))
    )
      hw = r.logEndOffset;
  }
  return hw;
}

/** min(min.insync.replicas, number of assigned replicas). */
export function effectiveMinIsr(minInSyncReplicas: number, replicaCount: number): number {
  return Math.min(minInSyncReplicas, replicaCount);
}

/** Followers in `isr` (never the leader) that are no longer caught up. */
export function outOfSyncReplicas(
  isr: readonly number[],
  localBrokerId: number,
  replica: (brokerId: number) => FollowerReplica | undefined,
  leaderEndOffset: bigint,
  nowMs: number,
  maxLagMs: number,
): number[] {
  return isr.filter((id) => {
    if (id === localBrokerId) return false;
    const r = replica(id);
    return r === undefined || !r.isCaughtUp(leaderEndOffset, nowMs, maxLagMs);
  });
}

/**
 * Whether a follower may join the ISR: it reached the leader's high watermark and the start of
 * the current leader epoch (it holds everything the leader wrote in earlier epochs).
 */
export function followerInSync(
  followerEndOffset: bigint,
  leaderHighWatermark: bigint,
  leaderEpochStartOffset: bigint | null,
): boolean {
  return (
    followerEndOffset >= leaderHighWatermark &&
    leaderEpochStartOffset !== null &&
    followerEndOffset >= leaderEpochStartOffset
  );
}
