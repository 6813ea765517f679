// Where a follower truncates its log when the leader says their histories diverge (Kafka's
// AbstractFetcherThread.getOffsetTruncationState). The leader answers with the largest epoch it
// has that is <= the follower's last fetched epoch and where that epoch ends in its log; the
// follower keeps only what both logs certainly share, using its own leader-epoch cache, never
// the high watermark alone.

export interface EpochEndOffset {
  /** -1 when undefined */
  epoch: number;
  /** -1 when undefined */
  endOffset: bigint;
}

export interface TruncationState {
  offset: bigint;
  /**
   * false when the follower did not know the leader's epoch: it truncated to the end of its
   * own largest earlier epoch and must ask again (the next fetch carries the new last epoch).
   */
  truncationCompleted: boolean;
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * @param leader the leader's (epoch, end offset) for the follower's last fetched epoch
 * @param fetchOffset the follower's current fetch offset (used when the leader cannot tell)
 * @param replicaEndOffset the follower's log end offset
 * @param localEndOffsetForEpoch the follower's own end offset for an epoch: the largest epoch it
 *   knows that is <= the given one, and where that ends (UnifiedLog.endOffsetForEpoch)
 */
export function truncationState(
  leader: EpochEndOffset,
  fetchOffset: bigint,
  replicaEndOffset: bigint,
  localEndOffsetForEpoch: (epoch: number) => { epoch: number; endOffset: bigint } | null,
): TruncationState {
  if (leader.endOffset === -1n) return { offset: fetchOffset, truncationCompleted: true };
  if (leader.epoch === -1)
    return { offset: min(leader.endOffset, replicaEndOffset), truncationCompleted: true };
  const local = localEndOffsetForEpoch(leader.epoch);
  if (local === null)
    // The leader's epoch is older than anything we track: its end offset is the safe point.
    return { offset: min(leader.endOffset, replicaEndOffset), truncationCompleted: true };
  if (local.epoch !== leader.epoch)
    // We never saw the leader's epoch: cut back to the end of our largest earlier one and ask again.
    return { offset: min(local.endOffset, replicaEndOffset), truncationCompleted: false };
  return {
    offset: min(min(local.endOffset, leader.endOffset), replicaEndOffset),
    truncationCompleted: true,
  };
}

/**
 * The leader side of the same exchange (Partition.readRecords with lastFetchedEpoch): the fetch
 * diverges when the leader's history for the follower's last epoch ends before the fetch offset
 * or only knows an earlier epoch. Returns the diverging (epoch, end offset), null when the fetch
 * is consistent, or 'outOfRange' when the leader cannot place the epoch or the fetch offset is
 * below its log start.
 */
export function divergingEpoch(
  leaderEndOffsetForEpoch: EpochEndOffset,
  lastFetchedEpoch: number,
  fetchOffset: bigint,
  leaderLogStartOffset: bigint,
): EpochEndOffset | null | 'outOfRange' {
  if (leaderEndOffsetForEpoch.endOffset === -1n || leaderEndOffsetForEpoch.epoch === -1) return 'outOfRange';
  if (fetchOffset < leaderLogStartOffset) return 'outOfRange';
  if (leaderEndOffsetForEpoch.epoch < lastFetchedEpoch || leaderEndOffsetForEpoch.endOffset < fetchOffset)
    return { epoch: leaderEndOffsetForEpoch.epoch, endOffset: leaderEndOffsetForEpoch.endOffset };
  return null;
}
