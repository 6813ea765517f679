// Shallow view of the batches stored in a .log file: the few header fields the log layer needs
// (offsets, size, max timestamp, leader epoch) for any magic, plus the validity check recovery
// and follower appends run (framing + checksum only; records are never decoded here).
// v2 fields come from ../protocol/records/batch; legacy (magic 0/1) messages can exist in logs
// written by old Kafka versions, so they are read too (record-format.md §2).

import * as v2 from '../protocol/records/batch';

/** offset(8) + size(4) + crc/epoch(4) + magic(1): enough to frame any batch. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** A declared size below this cannot be any message (Kafka's LegacyRecord.RECORD_OVERHEAD_V0). */
export const MIN_DECLARED_SIZE = 14;
/** Bytes to hold in hand to parse every field below for any magic (the v2 header). */
export const MAX_HEADER_SIZE = v2.RECORD_BATCH_OVERHEAD;

const LEGACY_OVERHEAD = [14, 22];
const LEGACY_ATTRIBUTES_OFFSET = 17;
const LEGACY_TIMESTAMP_OFFSET = 18;
const LEGACY_CRC_OFFSET = 12;
const LEGACY_MAGIC_OFFSET = 16;

export interface BatchHeader {
  /** Byte position of the batch in its file/buffer. */
  readonly position: number;
  /** Whole batch, header included. */
  readonly sizeInBytes: number;
  readonly magic: number;
  /**
   * First offset of the batch. For a legacy compressed wrapper it is unknown without
   * decompressing, and this holds lastOffset (what Kafka's shallow follower path uses too).
   */
  readonly baseOffset: bigint;
  /** False only for legacy compressed wrappers, whose first offset is unknown. */
  readonly baseOffsetKnown: boolean;
  readonly lastOffset: bigint;
  /** Max record timestamp; -1 for magic 0. */
  readonly maxTimestamp: bigint;
  /** -1 for legacy batches. */
  readonly partitionLeaderEpoch: number;
}

/**
 * Parses the header of the batch at `buf[pos]` (at least min(MAX_HEADER_SIZE, batch size) bytes
 * must be present; the caller checked the framing). `position` is where it sits in the file.
 * Returns the header or, for an impossible header, a description of what is wrong.
 */
export function parseBatchHeader(buf: Buffer, pos: number, position: number): BatchHeader | string {
  const size = v2.batchLength(buf, pos) + v2.LOG_OVERHEAD;
  const magic = buf.readInt8(pos + v2.MAGIC_OFFSET);
  if (magic === 2) {
    if (size < v2.RECORD_BATCH_OVERHEAD) {
      return `Record batch is corrupt (the size ${size} is smaller than the minimum allowed overhead ${v2.RECORD_BATCH_OVERHEAD})`;
    }
    const baseOffset = v2.baseOffset(buf, pos);
    return {
      position,
      sizeInBytes: size,
      magic,
      baseOffset,
      baseOffsetKnown: true,
      lastOffset: baseOffset + BigInt(v2.lastOffsetDelta(buf, pos)),
      maxTimestamp: v2.maxTimestamp(buf, pos),
      partitionLeaderEpoch: v2.partitionLeaderEpoch(buf, pos),
    };
  }
  if (magic === 0 || magic === 1) {
    if (size < v2.LOG_OVERHEAD + LEGACY_OVERHEAD[magic]) {
      return `Record is corrupt (the size ${size - v2.LOG_OVERHEAD} is smaller than the minimum record overhead ${LEGACY_OVERHEAD[magic]})`;
    }
    const offset = buf.readBigInt64BE(pos);
    const compressed = (buf.readInt8(pos + LEGACY_ATTRIBUTES_OFFSET) & v2.COMPRESSION_CODEC_MASK) !== 0;
    return {
      position,
      sizeInBytes: size,
      magic,
      baseOffset: offset,
      baseOffsetKnown: !compressed,
      lastOffset: offset,
      maxTimestamp: magic === 1 ? buf.readBigInt64BE(pos + LEGACY_TIMESTAMP_OFFSET) : -1n,
      partitionLeaderEpoch: -1,
    };
  }
  return `Invalid magic byte ${magic} in batch at position ${position}`;
}

/**
 * Checks the checksum of a whole batch held at `buf[pos]`: CRC-32C for v2, CRC-32 (IEEE) of the
 * message for v0/v1. Returns null when valid, else the reason.
 */
export function checkBatchCrc(buf: Buffer, pos: number, header: BatchHeader): string | null {
  if (header.magic === 2) {
    const stored = v2.storedCrc(buf, pos);
    const computed = v2.computeCrc(buf, pos);
    return stored === computed
      ? null
      : `Record is corrupt (stored crc = ${stored}, computed crc = ${computed})`;
  }
  const stored = buf.readUInt32BE(pos + LEGACY_CRC_OFFSET);
  const computed = crc32Ieee(buf.subarray(pos + LEGACY_MAGIC_OFFSET, pos + header.sizeInBytes));
  return stored === computed
    ? null
    : `Record is corrupt (stored crc = ${stored}, computed crc = ${computed})`;
}

const IEEE_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3) of legacy messages. Only recovery of old logs needs it, so JS is enough. */
export function crc32Ieee(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < buf.length; i++) crc = IEEE_TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Result of walking the batches of an in-memory record set (Produce/follower Fetch data). */
export interface RecordsSummary {
  readonly batches: BatchHeader[];
  /** Bytes covered by whole batches; anything after is a truncated trailing batch. */
  readonly validBytes: number;
}

/**
 * Splits a record set into batch headers. A truncated trailing batch is dropped silently (Fetch
 * responses end with one); impossible framing throws with the reason via `onCorrupt`.
 */
export function summarizeRecords(records: Buffer, onCorrupt: (reason: string) => never): RecordsSummary {
  const batches: BatchHeader[] = [];
  let pos = 0;
  while (records.length - pos >= v2.LOG_OVERHEAD) {
    const declared = records.readInt32BE(pos + v2.LENGTH_OFFSET);
    if (declared < MIN_DECLARED_SIZE) {
      onCorrupt(`Record size ${declared} is less than the minimum record overhead (${MIN_DECLARED_SIZE})`);
    }
    const size = declared + v2.LOG_OVERHEAD;
    if (pos + size > records.length) break;
    const header = parseBatchHeader(records, pos, pos);
    if (typeof header === 'string') onCorrupt(header);
    batches.push(header);
    pos += size;
  }
  return { batches, validBytes: pos };
}
