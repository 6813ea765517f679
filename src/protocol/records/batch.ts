// Accessors for the fixed 61-byte header of a record batch v2 (magic 2), read straight from the
// Buffer that holds it. The broker keeps batches opaque: these are the only fields the hot path
// looks at, and offsets/leader epoch are rewritten in place without re-encoding.
// Layout: ../shared/reference/record-format.md §1.1 (Kafka's DefaultRecordBatch).

import { crc32c } from './crc32c';

export const BASE_OFFSET_OFFSET = 0;
export const LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + length: the part of any batch/message header that says how long it is. */
export const LOG_OVERHEAD = 12;

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export const baseOffset = (b: Buffer, pos = 0): bigint => b.readBigInt64BE(pos + BASE_OFFSET_OFFSET);
/** Bytes after the length field: the whole batch is `batchLength + LOG_OVERHEAD` bytes. */
export const batchLength = (b: Buffer, pos = 0): number => b.readInt32BE(pos + LENGTH_OFFSET);
export const sizeInBytes = (b: Buffer, pos = 0): number => batchLength(b, pos) + LOG_OVERHEAD;
export const partitionLeaderEpoch = (b: Buffer, pos = 0): number =>
  b.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET);
export const magic = (b: Buffer, pos = 0): number => b.readInt8(pos + MAGIC_OFFSET);
export const storedCrc = (b: Buffer, pos = 0): number => b.readUInt32BE(pos + CRC_OFFSET);
export const attributes = (b: Buffer, pos = 0): number => b.readInt16BE(pos + ATTRIBUTES_OFFSET);
export const compressionType = (b: Buffer, pos = 0): number => attributes(b, pos) & COMPRESSION_CODEC_MASK;
export const isLogAppendTime = (b: Buffer, pos = 0): boolean =>
  (attributes(b, pos) & TIMESTAMP_TYPE_MASK) !== 0;
export const isTransactional = (b: Buffer, pos = 0): boolean =>
  (attributes(b, pos) & TRANSACTIONAL_FLAG_MASK) !== 0;
export const isControlBatch = (b: Buffer, pos = 0): boolean => (attributes(b, pos) & CONTROL_FLAG_MASK) !== 0;
export const lastOffsetDelta = (b: Buffer, pos = 0): number => b.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
export const lastOffset = (b: Buffer, pos = 0): bigint =>
  baseOffset(b, pos) + BigInt(lastOffsetDelta(b, pos));
export const baseTimestamp = (b: Buffer, pos = 0): bigint => b.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET);
export const maxTimestamp = (b: Buffer, pos = 0): bigint => b.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET);
export const producerId = (b: Buffer, pos = 0): bigint => b.readBigInt64BE(pos + PRODUCER_ID_OFFSET);
export const producerEpoch = (b: Buffer, pos = 0): number => b.readInt16BE(pos + PRODUCER_EPOCH_OFFSET);
export const baseSequence = (b: Buffer, pos = 0): number => b.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
export const recordsCount = (b: Buffer, pos = 0): number => b.readInt32BE(pos + RECORDS_COUNT_OFFSET);

/** CRC-32C over [attributes, end of batch): what the `crc` field must hold. */
export function computeCrc(b: Buffer, pos = 0): number {
  return crc32c(b.subarray(pos + ATTRIBUTES_OFFSET, pos + sizeInBytes(b, pos)));
}

export function isValidCrc(b: Buffer, pos = 0): boolean {
  return computeCrc(b, pos) === storedCrc(b, pos);
}

/** Rewrites baseOffset in place (not covered by the CRC). */
export function setBaseOffset(b: Buffer, offset: bigint, pos = 0): void {
  b.writeBigInt64BE(offset, pos + BASE_OFFSET_OFFSET);
}

/** Rewrites partitionLeaderEpoch in place (not covered by the CRC). */
export function setPartitionLeaderEpoch(b: Buffer, epoch: number, pos = 0): void {
  b.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/** Switches the batch to LogAppendTime with `timestamp` as maxTimestamp and refreshes the CRC. */
export function setLogAppendTime(b: Buffer, timestamp: bigint, pos = 0): void {
  b.writeInt16BE(attributes(b, pos) | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  b.writeBigInt64BE(timestamp, pos + MAX_TIMESTAMP_OFFSET);
  b.writeUInt32BE(computeCrc(b, pos), pos + CRC_OFFSET);
}

/**
 * Kafka's DefaultRecordBatch.setMaxTimestamp: sets the timestamp type bit (LogAppendTime or
 * CreateTime) and maxTimestamp, recomputing the CRC only if either actually changed. Returns
 * whether the batch was modified.
 */
export function setMaxTimestamp(b: Buffer, logAppendTime: boolean, timestamp: bigint, pos = 0): boolean {
  const attrs = attributes(b, pos);
  if (((attrs & TIMESTAMP_TYPE_MASK) !== 0) === logAppendTime && maxTimestamp(b, pos) === timestamp)
    return false;
  b.writeInt16BE(
    logAppendTime ? attrs | TIMESTAMP_TYPE_MASK : attrs & ~TIMESTAMP_TYPE_MASK,
    pos + ATTRIBUTES_OFFSET,
  );
  b.writeBigInt64BE(timestamp, pos + MAX_TIMESTAMP_OFFSET);
  b.writeUInt32BE(computeCrc(b, pos), pos + CRC_OFFSET);
  return true;
}
