// Offset and leader-epoch assignment for validated v2 record sets, in place (record-format.md §4.3):
// the log calls this under its lock once it knows the log end offset. Only header fields change:
// baseOffset and partitionLeaderEpoch are outside the CRC, so the CRC is recomputed only when a
// LogAppendTime topic stamps the broker time (timestamp type bit + maxTimestamp).

import {
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
  baseOffset,
  lastOffsetDelta,
  maxTimestamp as batchMaxTimestamp,
  recordsCount,
  setBaseOffset,
  setMaxTimestamp,
  setPartitionLeaderEpoch,
  sizeInBytes,
} from './batch';
import { InvalidRecordError } from './errors';
import { TimestampType } from './records';

export interface AssignResult {
  /** First offset assigned (the produce response's base_offset). */
  firstOffset: bigint;
  /** Last offset assigned; the log end offset becomes lastOffset + 1. */
  lastOffset: bigint;
  /** Max timestamp of the appended records (the append time for LogAppendTime topics), −1 if none. */
  maxTimestamp: bigint;
  /** Offset of the first record carrying maxTimestamp (−1 if none). */
  offsetOfMaxTimestamp: bigint;
  /** Last offset of the batch holding that record: what the time index stores. */
  shallowOffsetOfMaxTimestamp: bigint;
  /** Broker append time for LogAppendTime topics (produce response log_append_time_ms), else −1. */
  logAppendTime: bigint;
}

export interface AssignHint {
  /** ValidationSuccess.offsetOfMaxTimestampDelta: locates the max-timestamp record without decoding. */
  offsetOfMaxTimestampDelta?: number;
}

/**
 * Stamps offsets starting at `firstOffset` and `leaderEpoch` onto every v2 batch of `recordSet`
 * (mutated in place). Like Kafka's setLastOffset, each batch gets lastOffset = next + count − 1 and
 * baseOffset = lastOffset − lastOffsetDelta. For LogAppendTime, each batch's maxTimestamp becomes
 * `now` with the timestamp-type bit set (CRC recomputed only if that changed anything). CreateTime
 * batches already carry their corrected maxTimestamp (validateRecordSet fixed it).
 */
export function assignOffsets(
  recordSet: Buffer,
  firstOffset: bigint,
  leaderEpoch: number,
  timestampType: TimestampType,
  now: bigint | number,
  hint: AssignHint = {},
): AssignResult {
  const logAppend = timestampType === TimestampType.LogAppendTime;
  const nowBig = BigInt(now);
  let next = firstOffset;
  let maxTs = -1n;
  let shallow = -1n;
  let firstBatchLast = -1n;
  let pos = 0;
  while (recordSet.length - pos >= LOG_OVERHEAD) {
    const size = sizeInBytes(recordSet, pos);
    if (
      recordSet.readInt8(pos + MAGIC_OFFSET) !== 2 ||
      size < RECORD_BATCH_OVERHEAD ||
      pos + size > recordSet.length
    ) {
      throw new InvalidRecordError('assignOffsets expects validated magic v2 batches');
    }
    const last = next + BigInt(recordsCount(recordSet, pos)) - 1n;
    setBaseOffset(recordSet, last - BigInt(lastOffsetDelta(recordSet, pos)), pos);
    setPartitionLeaderEpoch(recordSet, leaderEpoch, pos);
    if (logAppend) setMaxTimestamp(recordSet, true, nowBig, pos);
    const batchMax = batchMaxTimestamp(recordSet, pos);
    if (batchMax > maxTs) {
      maxTs = batchMax;
      shallow = last;
    }
    if (firstBatchLast < 0n) firstBatchLast = last;
    next = last + 1n;
    pos += size;
  }
  const assignedFirst = pos > 0 ? baseOffset(recordSet, 0) : firstOffset;
  let offsetOfMax: bigint;
  if (logAppend) {
    maxTs = pos > 0 ? nowBig : -1n;
    offsetOfMax = pos > 0 ? firstOffset : -1n;
    shallow = pos > 0 ? firstBatchLast : -1n;
  } else if (maxTs < 0n) {
    offsetOfMax = -1n;
    shallow = -1n;
  } else if (hint.offsetOfMaxTimestampDelta !== undefined && hint.offsetOfMaxTimestampDelta >= 0) {
    offsetOfMax = firstOffset + BigInt(hint.offsetOfMaxTimestampDelta);
  } else {
    offsetOfMax = shallow;
  }
  return {
    firstOffset: assignedFirst,
    lastOffset: next - 1n,
    maxTimestamp: maxTs,
    offsetOfMaxTimestamp: offsetOfMax,
    shallowOffsetOfMaxTimestamp: shallow,
    logAppendTime: logAppend ? nowBig : -1n,
  };
}
