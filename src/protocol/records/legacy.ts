// Legacy message sets (magic 0 and 1, record-format.md §2): parsing and CRC-32 checks, deep
// iteration of compressed wrapper messages, building message sets, and down-conversion of v2
// batches for Fetch v0–v3 (§5, Kafka's RecordsUtil.downConvert). Up-conversion to v2 on produce
// lives in validate.ts, which feeds these records to the v2 builder.

import zlib from 'node:zlib';
import { CompressionType, LOG_OVERHEAD, LENGTH_OFFSET, MAGIC_OFFSET, RECORD_BATCH_OVERHEAD } from './batch';
import { compress, decompress, isValidCompressionType } from './compression';
import { CorruptRecordError, InvalidRecordError, UnsupportedCompressionTypeError } from './errors';
import {
  MIN_RECORD_SIZE,
  NO_TIMESTAMP,
  TimestampType,
  decodeRecords,
  readBatchHeader,
  splitBatches,
  type BatchSlice,
} from './records';

// ---------------------------------------------------------------------------------------------
// CRC-32 (IEEE, java.util.zip.CRC32)

const CRC32_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32Js(buf: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (let i = 0; i < buf.length; i++) crc = CRC32_TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const zlibCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE 802.3) of `buf`, unsigned; node:zlib's native one when available (Node ≥ 20.15). */
export const crc32: (buf: Uint8Array) => number = zlibCrc32 ? (b) => zlibCrc32(b) >>> 0 : (b) => crc32Js(b);

// ---------------------------------------------------------------------------------------------
// Message layout

export const LEGACY_CRC_OFFSET = 0; // relative to the message (after the 12-byte log header)
export const LEGACY_MAGIC_OFFSET = 4;
export const LEGACY_ATTRIBUTES_OFFSET = 5;
export const LEGACY_TIMESTAMP_OFFSET = 6;
export const RECORD_OVERHEAD_V0 = 14;
export const RECORD_OVERHEAD_V1 = 22;
const LEGACY_TIMESTAMP_TYPE_MASK = 0x08;

export const recordOverhead = (magic: number): number =>
  magic === 0 ? RECORD_OVERHEAD_V0 : RECORD_OVERHEAD_V1;

/** One legacy message as it appears in a message set (an uncompressed message or a wrapper). */
export interface LegacyMessage {
  /** Position of the 12-byte log header in the buffer it was read from. */
  position: number;
  /** Offset field: absolute offset (outer) or relative/absolute inner offset. */
  offset: bigint;
  /** Whole entry size, LOG_OVERHEAD included. */
  sizeInBytes: number;
  crc: number;
  magic: number;
  attributes: number;
  compression: number;
  /** Own timestamp type (v0: NoTimestampType). */
  timestampType: TimestampType;
  /** Own timestamp (v0: −1). */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  /** CRC-32 of magic..end as computed. */
  computedCrc: number;
  /** Stored CRC matches the computed one. */
  isValid: boolean;
}

/** A record yielded by deep iteration of a legacy batch (Kafka's AbstractLegacyRecordBatch as Record). */
export interface LegacyRecord extends LegacyMessage {
  /** Absolute offset. */
  absoluteOffset: bigint;
  /** Effective timestamp (wrapper's for inner v1 messages of a LogAppendTime wrapper). */
  effectiveTimestamp: bigint;
  effectiveTimestampType: TimestampType;
}

function corrupt(msg: string): never {
  throw new CorruptRecordError(msg);
}

/**
 * Parses the legacy entry at `pos` (12-byte log header + message). The caller made sure the whole
 * entry is in `buf` and its size field is ≥ 14. Structural garbage → CorruptRecordError.
 */
export function readLegacyMessage(buf: Buffer, pos = 0): LegacyMessage {
  const length = buf.readInt32BE(pos + LENGTH_OFFSET);
  const m = pos + LOG_OVERHEAD; // message start
  const end = m + length;
  if (length < RECORD_OVERHEAD_V0 || end > buf.length) corrupt(`Record size ${length} is invalid`);
  const crc = buf.readUInt32BE(m + LEGACY_CRC_OFFSET);
  const magic = buf.readInt8(m + LEGACY_MAGIC_OFFSET);
  const attributes = buf.readInt8(m + LEGACY_ATTRIBUTES_OFFSET);
  if (magic !== 0 && magic !== 1) corrupt(`Invalid magic found in record: ${magic}`);
  if (magic === 1 && length < RECORD_OVERHEAD_V1)
    corrupt(`Record size ${length} is less than the v1 overhead`);
  const timestamp = magic === 0 ? NO_TIMESTAMP : buf.readBigInt64BE(m + LEGACY_TIMESTAMP_OFFSET);
  const timestampType =
    magic === 0
      ? TimestampType.NoTimestampType
      : attributes & LEGACY_TIMESTAMP_TYPE_MASK
        ? TimestampType.LogAppendTime
        : TimestampType.CreateTime;
  let p = m + (magic === 0 ? 6 : 14);
  const readBytes = (): Buffer | null => {
    if (end - p < 4) corrupt('Record is corrupt (truncated key/value size)');
    const n = buf.readInt32BE(p);
    p += 4;
    if (n < 0) return null;
    if (end - p < n) corrupt(`Record is corrupt (size ${n} exceeds the message)`);
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  const key = readBytes();
  const value = readBytes();
  const computedCrc = crc32(buf.subarray(m + LEGACY_MAGIC_OFFSET, end));
  return {
    position: pos,
    offset: buf.readBigInt64BE(pos),
    sizeInBytes: length + LOG_OVERHEAD,
    crc,
    magic,
    attributes,
    compression: attributes & 0x07,
    timestampType,
    timestamp,
    key,
    value,
    computedCrc,
    isValid: crc === computedCrc,
  };
}

/** Shallow validity of the legacy entry at `pos` (size ≥ 14 and CRC-32 matches), without parsing it. */
export function isValidLegacyEntry(buf: Buffer, pos = 0): boolean {
  const length = buf.readInt32BE(pos + LENGTH_OFFSET);
  const m = pos + LOG_OVERHEAD;
  if (length < RECORD_OVERHEAD_V0 || m + length > buf.length) return false;
  return buf.readUInt32BE(m) === crc32(buf.subarray(m + LEGACY_MAGIC_OFFSET, m + length));
}

export interface LegacyIterationOptions {
  /** Check inner messages' magic against the wrapper's (Kafka passes false on the produce path). */
  ensureMatchingMagic?: boolean;
  /** Bound on the decompressed inner message set (see DecompressOptions.maxBytes). */
  maxDecompressedBytes?: number;
}

/**
 * Deep iteration of the legacy entry at `pos` (Kafka's AbstractLegacyRecordBatch iterator): the
 * message itself if uncompressed, otherwise the inner messages of the wrapper with absolute offsets.
 */
export async function legacyRecords(
  buf: Buffer,
  pos = 0,
  opts: LegacyIterationOptions = {},
): Promise<{ wrapper: LegacyMessage; records: LegacyRecord[] }> {
  const wrapper = readLegacyMessage(buf, pos);
  if (wrapper.compression === CompressionType.None) {
    return {
      wrapper,
      records: [
        {
          ...wrapper,
          absoluteOffset: wrapper.offset,
          effectiveTimestamp: wrapper.timestamp,
          effectiveTimestampType: wrapper.timestampType,
        },
      ],
    };
  }
  if (wrapper.compression === CompressionType.Zstd || !isValidCompressionType(wrapper.compression)) {
    throw new InvalidRecordError(
      `Invalid wrapper compressionType found in legacy deep record iterator ${wrapper.compression}`,
    );
  }
  if (wrapper.value === null) {
    throw new InvalidRecordError(
      `Found invalid compressed record set with null value (magic = ${wrapper.magic})`,
    );
  }
  const inner = await decompress(wrapper.compression, wrapper.value, {
    magic: wrapper.magic,
    maxBytes: opts.maxDecompressedBytes,
  });
  const messages: LegacyMessage[] = [];
  let p = 0;
  // DataLogInputStream: stop at a partial trailing entry, size < 14 is corrupt
  while (inner.length - p >= LOG_OVERHEAD) {
    const length = inner.readInt32BE(p + LENGTH_OFFSET);
    if (length < MIN_RECORD_SIZE) {
      corrupt(`Record size is less than the minimum record overhead (${MIN_RECORD_SIZE})`);
    }
    if (inner.length - p < LOG_OVERHEAD + length) break;
    const msg = readLegacyMessage(inner, p);
    if (opts.ensureMatchingMagic && msg.magic !== wrapper.magic) {
      throw new InvalidRecordError(
        `Compressed message magic ${msg.magic} does not match wrapper magic ${wrapper.magic}`,
      );
    }
    messages.push(msg);
    p += msg.sizeInBytes;
  }
  if (messages.length === 0)
    throw new InvalidRecordError('Found invalid compressed record set with no inner records');
  let absoluteBase = -1n;
  if (wrapper.magic === 1) {
    if (wrapper.offset === 0n) {
      absoluteBase = 0n; // some librdkafka versions leave the wrapper offset at 0
    } else {
      const lastInner = messages[messages.length - 1].offset;
      if (wrapper.offset < lastInner) {
        throw new InvalidRecordError(
          `Found invalid wrapper offset in compressed v1 message set, wrapper offset '${wrapper.offset}' is less than the last inner message offset '${lastInner}' and it is not zero.`,
        );
      }
      absoluteBase = wrapper.offset - lastInner;
    }
  }
  const records = messages.map((msg): LegacyRecord => {
    const useWrapperTime = msg.magic === 1 && wrapper.timestampType === TimestampType.LogAppendTime;
    return {
      ...msg,
      absoluteOffset: absoluteBase >= 0n ? absoluteBase + msg.offset : msg.offset,
      effectiveTimestamp: useWrapperTime ? wrapper.timestamp : msg.timestamp,
      effectiveTimestampType: msg.magic === 0 ? TimestampType.NoTimestampType : wrapper.timestampType,
    };
  });
  return { wrapper, records };
}

// ---------------------------------------------------------------------------------------------
// Building legacy message sets

function bytesSize(b: Buffer | null): number {
  return 4 + (b ? b.length : 0);
}

/**
 * One legacy entry (log header + message) with its CRC: `offset`, `attributes` as given, timestamp
 * written for v1 only.
 */
export function encodeLegacyMessage(
  magic: 0 | 1,
  offset: bigint,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const size = recordOverhead(magic) - 8 + bytesSize(key) + bytesSize(value);
  const b = Buffer.allocUnsafe(LOG_OVERHEAD + size);
  b.writeBigInt64BE(offset, 0);
  b.writeInt32BE(size, LENGTH_OFFSET);
  const m = LOG_OVERHEAD;
  b.writeInt8(magic, m + LEGACY_MAGIC_OFFSET);
  b.writeInt8(attributes, m + LEGACY_ATTRIBUTES_OFFSET);
  let p = m + 6;
  if (magic === 1) {
    b.writeBigInt64BE(timestamp, p);
    p += 8;
  }
  for (const part of [key, value]) {
    if (part) {
      b.writeInt32BE(part.length, p);
      p += 4;
      p += part.copy(b, p);
    } else {
      b.writeInt32BE(-1, p);
      p += 4;
    }
  }
  b.writeUInt32BE(crc32(b.subarray(m + LEGACY_MAGIC_OFFSET)), m);
  return b;
}

export interface LegacyRecordInput {
  offset: bigint;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export interface LegacyBuildOptions {
  magic: 0 | 1;
  compression: CompressionType;
  /** CreateTime or LogAppendTime (v1); ignored for v0. */
  timestampType: TimestampType;
  /** Timestamp of every message when timestampType is LogAppendTime. */
  logAppendTime?: bigint;
  compressionLevel?: number;
}

/**
 * Builds a legacy message set like Kafka's MemoryRecordsBuilder for magic 0/1: one message per record
 * when uncompressed; otherwise one wrapper (offset = last record's offset, null key, value = the
 * compressed inner set, inner offsets relative to the first record for v1 and absolute for v0,
 * timestamp = max inner timestamp or the log append time).
 */
export async function buildLegacyRecords(
  records: LegacyRecordInput[],
  opts: LegacyBuildOptions,
): Promise<Buffer> {
  if (opts.compression === CompressionType.Zstd) {
    throw new UnsupportedCompressionTypeError(
      `ZStandard compression is not supported for magic ${opts.magic}`,
    );
  }
  const logAppend = opts.magic === 1 && opts.timestampType === TimestampType.LogAppendTime;
  const tsAttr = logAppend ? LEGACY_TIMESTAMP_TYPE_MASK : 0;
  const tsOf = (r: LegacyRecordInput): bigint =>
    logAppend ? (opts.logAppendTime ?? NO_TIMESTAMP) : r.timestamp;
  if (opts.compression === CompressionType.None) {
    return Buffer.concat(
      records.map((r) => encodeLegacyMessage(opts.magic, r.offset, tsAttr, tsOf(r), r.key, r.value)),
    );
  }
  if (records.length === 0) return Buffer.alloc(0);
  const baseOffset = records[0].offset;
  let maxTimestamp = NO_TIMESTAMP;
  const inner = Buffer.concat(
    records.map((r) => {
      const ts = tsOf(r);
      if (ts > maxTimestamp) maxTimestamp = ts;
      const innerOffset = opts.magic === 1 ? r.offset - baseOffset : r.offset;
      return encodeLegacyMessage(opts.magic, innerOffset, tsAttr, ts, r.key, r.value);
    }),
  );
  const compressed = await compress(opts.compression, inner, {
    level: opts.compressionLevel,
    magic: opts.magic,
  });
  const wrapperTs = logAppend ? (opts.logAppendTime ?? NO_TIMESTAMP) : maxTimestamp;
  return encodeLegacyMessage(
    opts.magic,
    records[records.length - 1].offset,
    opts.compression | tsAttr,
    wrapperTs,
    null,
    compressed,
  );
}

// ---------------------------------------------------------------------------------------------
// Down-conversion (Fetch v0–v3)

export interface DownConvertOptions {
  /**
   * Mirror Java's LazyDownConversionRecords length: the result is padded with an overflow entry up to
   * the original size when the conversion came out smaller. By default the exact converted bytes are
   * returned, except that a non-empty input that converts to nothing becomes a filler of the input's
   * size (as in Java), so old clients see a partial entry instead of an empty set they retry forever.
   */
  padToOriginalSize?: boolean;
}

export interface DownConvertResult {
  records: Buffer;
  /** Records re-encoded (Kafka's RecordValidationStats.numRecordsConverted). */
  numRecordsConverted: number;
}

/**
 * The "overflow" entry Java's LazyDownConversionRecordsSend writes into unused space: offset −1 and a
 * length past what remains, truncated to `size` bytes. Clients drop it as a partial trailing batch.
 */
export function overflowEntry(size: number): Buffer {
  const b = Buffer.alloc(size);
  if (size >= 8) b.writeBigInt64BE(-1n, 0);
  if (size >= 12) b.writeInt32BE(Math.max(size + 1, RECORD_BATCH_OVERHEAD), 8);
  else if (size > 8) b.fill(0xff, 8); // too short to hold a size anyway
  return b;
}

interface ConvertibleRecord extends LegacyRecordInput {
  absolute: bigint;
}

/**
 * Converts a record set (normally v2 batches sliced from the log; the last one may be truncated and
 * is dropped) to magic `toMagic` like Kafka's RecordsUtil.downConvert: control batches dropped, zstd
 * → UNSUPPORTED_COMPRESSION_TYPE, batches already ≤ toMagic copied as-is, others rebuilt with the
 * same codec (one wrapper per compressed batch, one message per record otherwise), headers dropped,
 * LogAppendTime kept; records of uncompressed batches below `firstOffset` are dropped.
 */
export async function downConvert(
  recordSet: Buffer,
  toMagic: 0 | 1,
  firstOffset: bigint,
  opts: DownConvertOptions = {},
): Promise<DownConvertResult> {
  const { batches } = splitBatches(recordSet, { mode: 'file' });
  const parts: Buffer[] = [];
  let numRecordsConverted = 0;
  for (const slice of batches) {
    const converted = await convertBatch(recordSet, slice, toMagic, firstOffset);
    if (converted === null) continue;
    parts.push(converted.bytes);
    numRecordsConverted += converted.count;
  }
  let records = Buffer.concat(parts);
  if (
    records.length < recordSet.length &&
    (opts.padToOriginalSize || (records.length === 0 && recordSet.length > 0))
  ) {
    records = Buffer.concat([records, overflowEntry(recordSet.length - records.length)]);
  }
  return { records, numRecordsConverted };
}

async function convertBatch(
  set: Buffer,
  slice: BatchSlice,
  toMagic: 0 | 1,
  firstOffset: bigint,
): Promise<{ bytes: Buffer; count: number } | null> {
  const batch = set.subarray(slice.position, slice.position + slice.size);
  let compression: number;
  let timestampType: TimestampType;
  let logAppendTime = NO_TIMESTAMP;
  let source: ConvertibleRecord[];
  if (slice.magic >= 2) {
    if (slice.size < RECORD_BATCH_OVERHEAD)
      throw new CorruptRecordError(`Record batch size ${slice.size} is too small`);
    const h = readBatchHeader(batch);
    if (h.isControl) return null;
    compression = h.compression;
    if (compression === CompressionType.Zstd) {
      throw new UnsupportedCompressionTypeError(
        'Down-conversion of zstandard-compressed batches is not supported',
      );
    }
    timestampType = h.timestampType;
    if (timestampType === TimestampType.LogAppendTime) logAppendTime = h.maxTimestamp;
    source = (await decodeRecords(batch)).map((r) => ({
      offset: r.offset,
      absolute: r.offset,
      timestamp: r.timestamp,
      key: r.key,
      value: r.value,
    }));
  } else {
    const wrapperCodec = batch.readInt8(LOG_OVERHEAD + LEGACY_ATTRIBUTES_OFFSET) & 0x07;
    if (wrapperCodec === CompressionType.Zstd) {
      throw new UnsupportedCompressionTypeError(
        'Down-conversion of zstandard-compressed batches is not supported',
      );
    }
    if (slice.magic <= toMagic) return { bytes: Buffer.from(batch), count: 0 };
    const { wrapper, records } = await legacyRecords(batch);
    compression = wrapper.compression;
    timestampType = wrapper.timestampType;
    if (timestampType === TimestampType.LogAppendTime) logAppendTime = wrapper.timestamp;
    source = records.map((r) => ({
      offset: r.absoluteOffset,
      absolute: r.absoluteOffset,
      timestamp: r.effectiveTimestamp,
      key: r.key,
      value: r.value,
    }));
  }
  const kept =
    compression !== CompressionType.None ? source : source.filter((r) => r.absolute >= firstOffset);
  if (kept.length === 0) return null;
  const bytes = await buildLegacyRecords(kept, {
    magic: toMagic,
    compression: compression as CompressionType,
    timestampType: toMagic === 0 ? TimestampType.NoTimestampType : timestampType,
    logAppendTime,
  });
  return { bytes, count: kept.length };
}

/** Magic of the batch at `pos` (byte 16), the one field every format has in the same place. */
export const magicAt = (buf: Buffer, pos = 0): number => buf.readInt8(pos + MAGIC_OFFSET);
