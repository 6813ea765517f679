// Records inside a v2 record batch (record-format.md §1.2): varints, a reusable scanner that walks
// records without copying anything (what produce validation needs), full decoding (dump-log,
// down-conversion, the group coordinator) and a builder that encodes records into a batch.
//
// The broker hot path never calls into this file for uncompressed v2 produce beyond `scanRecords`,
// which reads lengths and deltas only — the same structural walk Kafka's LogValidator performs.

import {
  ATTRIBUTES_OFFSET,
  BASE_OFFSET_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  COMPRESSION_CODEC_MASK,
  CONTROL_FLAG_MASK,
  CRC_OFFSET,
  CompressionType,
  DELETE_HORIZON_FLAG_MASK,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORDS_COUNT_OFFSET,
  RECORD_BATCH_OVERHEAD,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  computeCrc,
} from './batch';
import { compress, compressSync, decompress, decompressSync, type CompressOptions } from './compression';
import { CorruptRecordError, InvalidRecordError } from './errors';

export const NO_TIMESTAMP = -1n;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
/** Magic + offset + size: what a reader needs before it can tell batch formats apart. */
export const HEADER_SIZE_UP_TO_MAGIC = 17;
/** Smallest legal value of the size field (a v0 message without key and value). */
export const MIN_RECORD_SIZE = 14;
export const INT32_MAX = 0x7fffffff;

/** Kafka's TimestampType (ids as in the protocol; -1 for magic 0). */
export enum TimestampType {
  NoTimestampType = -1,
  CreateTime = 0,
  LogAppendTime = 1,
}

/** Kafka's TimestampType.toString: `NoTimestampType`, `CreateTime`, `LogAppendTime`. */
export function timestampTypeName(t: TimestampType): string {
  return TimestampType[t];
}

// ---------------------------------------------------------------------------------------------
// Varints (zigzag + LEB128, Kafka's ByteUtils)

const TWO_POW_52 = 2 ** 52;

export function sizeOfVarint(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    v >>>= 7;
    bytes++;
  }
  return bytes;
}

export function sizeOfVarlong(value: bigint | number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < TWO_POW_52) {
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    let bytes = 1;
    while (z >= 0x80) {
      z = Math.floor(z / 128);
      bytes++;
    }
    return bytes;
  }
  const v = BigInt(value);
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  let bytes = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    bytes++;
  }
  return bytes;
}

/** Writes `value` as a zigzag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes `value` as a zigzag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: bigint | number): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < TWO_POW_52) {
    let z = value >= 0 ? value * 2 : -value * 2 - 1;
    while (z >= 0x80) {
      buf[pos++] = (z % 128) | 0x80;
      z = Math.floor(z / 128);
    }
    buf[pos++] = z;
    return pos;
  }
  const v = BigInt(value);
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  while (z >= 0x80n) {
    buf[pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[pos++] = Number(z);
  return pos;
}

/**
 * Cursor over a byte range with Kafka's varint decoding. Running past `end` throws a
 * BufferUnderflow-like InvalidRecordError; callers rewrap it with Kafka's message for the context.
 */
export class ByteCursor {
  constructor(
    public buf: Buffer,
    public pos: number,
    public end: number,
  ) {}

  remaining(): number {
    return this.end - this.pos;
  }

  underflow(): never {
    throw new BufferUnderflow();
  }

  int8(): number {
    if (this.pos >= this.end) this.underflow();
    return this.buf.readInt8(this.pos++);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) this.underflow();
    this.pos += n;
  }

  varint(): number {
    let value = 0;
    let i = 0;
    let b: number;
    while (true) {
      if (this.pos >= this.end) this.underflow();
      b = this.buf[this.pos++];
      if ((b & 0x80) === 0) break;
      value |= (b & 0x7f) << i;
      i += 7;
      if (i > 28)
        throw new InvalidRecordError('Varint is too long, the most significant bit in the 5th byte is set');
    }
    value |= b << i;
    return (value >>> 1) ^ -(value & 1);
  }

  /** Zigzag varlong: a number when encoded in at most 7 bytes (|v| < 2^48, exact), else a bigint. */
  varlong(): number | bigint {
    const start = this.pos;
    let raw = 0;
    let scale = 1;
    let n = 0;
    while (true) {
      if (this.pos >= this.end) this.underflow();
      const b = this.buf[this.pos++];
      n++;
      if (n > 7) {
        this.pos = start;
        return this.varlongBig();
      }
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  varlongBig(): bigint {
    let value = 0n;
    let i = 0n;
    let b: number;
    while (true) {
      if (this.pos >= this.end) this.underflow();
      b = this.buf[this.pos++];
      if ((b & 0x80) === 0) break;
      value |= BigInt(b & 0x7f) << i;
      i += 7n;
      if (i > 63n)
        throw new InvalidRecordError('Varlong is too long, most significant bit in the 10th byte is set');
    }
    value = BigInt.asUintN(64, value | (BigInt(b) << i));
    return BigInt.asIntN(64, (value >> 1n) ^ -(value & 1n));
  }
}

class BufferUnderflow extends Error {
  constructor() {
    super('buffer underflow');
  }
}

// ---------------------------------------------------------------------------------------------
// Batch framing and header

/** One batch (v2) or legacy entry (v0/v1) found in a record set. */
export interface BatchSlice {
  /** Byte position of the batch in the record set. */
  position: number;
  /** Whole batch size, LOG_OVERHEAD included. */
  size: number;
  magic: number;
}

export interface SplitOptions {
  /**
   * `memory` (default) mirrors Kafka's MemoryRecords iteration (Produce): stop when fewer than 12
   * bytes remain, magic outside 0..2 is corrupt. `file` mirrors FileRecords iteration (segments,
   * dump-log): stop when fewer than 17 bytes remain, the magic byte is not checked.
   */
  mode?: 'memory' | 'file';
  /** File name for `file` mode error messages. */
  fileName?: string;
}

export interface SplitResult {
  batches: BatchSlice[];
  /** Bytes covered by complete batches; anything after is a partial trailing batch. */
  validBytes: number;
}

/**
 * Splits a record set into batches by their length fields without reading anything else.
 * Declared size < 14 → CorruptRecordError; a trailing partial batch ends the iteration silently.
 */
export function splitBatches(records: Buffer, opts: SplitOptions = {}): SplitResult {
  const file = opts.mode === 'file';
  const batches: BatchSlice[] = [];
  let pos = 0;
  const end = records.length;
  while (true) {
    const remaining = end - pos;
    if (remaining < (file ? HEADER_SIZE_UP_TO_MAGIC : LOG_OVERHEAD)) break;
    const length = records.readInt32BE(pos + LENGTH_OFFSET);
    if (length < MIN_RECORD_SIZE) {
      throw new CorruptRecordError(
        file
          ? `Found record size ${length} smaller than minimum record overhead (${MIN_RECORD_SIZE}) in file ${opts.fileName ?? ''}.`
          : `Record size ${length} is less than the minimum record overhead (${MIN_RECORD_SIZE})`,
      );
    }
    if (remaining < HEADER_SIZE_UP_TO_MAGIC) break;
    const magic = records.readInt8(pos + MAGIC_OFFSET);
    if (!file && (magic < 0 || magic > 2))
      throw new CorruptRecordError(`Invalid magic found in record: ${magic}`);
    const size = length + LOG_OVERHEAD;
    if (remaining < size) break;
    batches.push({ position: pos, size, magic });
    pos += size;
  }
  return { batches, validBytes: pos };
}

/** Everything in a v2 batch header, decoded. */
export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Whole batch size, LOG_OVERHEAD included. */
  sizeInBytes: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  lastOffsetDelta: number;
  lastOffset: bigint;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
  recordsCount: number;
}

/** Kafka's DefaultRecordBatch.incrementSequence (wraps past Integer.MAX_VALUE to 0). */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

/** Kafka's DefaultRecordBatch.decrementSequence. */
export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** Decodes the 61-byte header of the v2 batch at `pos` (the caller checked size ≥ 61). */
export function readBatchHeader(b: Buffer, pos = 0): RecordBatchHeader {
  const attributes = b.readInt16BE(pos + ATTRIBUTES_OFFSET);
  const baseOffset = b.readBigInt64BE(pos + BASE_OFFSET_OFFSET);
  const lastOffsetDelta = b.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  const baseSequence = b.readInt32BE(pos + BASE_SEQUENCE_OFFSET);
  return {
    baseOffset,
    sizeInBytes: b.readInt32BE(pos + LENGTH_OFFSET) + LOG_OVERHEAD,
    partitionLeaderEpoch: b.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic: b.readInt8(pos + MAGIC_OFFSET),
    crc: b.readUInt32BE(pos + CRC_OFFSET),
    attributes,
    compression: attributes & COMPRESSION_CODEC_MASK,
    timestampType: attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    hasDeleteHorizon: (attributes & DELETE_HORIZON_FLAG_MASK) !== 0,
    lastOffsetDelta,
    lastOffset: baseOffset + BigInt(lastOffsetDelta),
    baseTimestamp: b.readBigInt64BE(pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: b.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET),
    producerId: b.readBigInt64BE(pos + PRODUCER_ID_OFFSET),
    producerEpoch: b.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence,
    lastSequence:
      baseSequence === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(baseSequence, lastOffsetDelta),
    recordsCount: b.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

// ---------------------------------------------------------------------------------------------
// Record scanning

/** One record as seen by `scanRecords`: positions and deltas, nothing copied. Reused between calls. */
export interface RecordView {
  /** Index of the record in its batch. */
  index: number;
  /** Position of the record's length varint. */
  position: number;
  /** Record size including its length varint. */
  sizeInBytes: number;
  attributes: number;
  /** A number when the varlong took at most 7 bytes (exact), otherwise a bigint. */
  timestampDelta: number | bigint;
  offsetDelta: number;
  /** −1 (or any negative) = null key. */
  keySize: number;
  keyOffset: number;
  valueSize: number;
  valueOffset: number;
  headerCount: number;
  headersOffset: number;
}

function invalidStructure(): InvalidRecordError {
  return new InvalidRecordError('Found invalid record structure');
}

/**
 * Walks exactly `count` records in `buf[start, end)` with Kafka's DefaultRecord checks and calls
 * `visit` for each. Afterwards no bytes may remain. Throws InvalidRecordError.
 */
export function scanRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  visit: (r: RecordView) => void,
): void {
  if (count < 0) throw new InvalidRecordError(`Found invalid record count ${count} in magic v2 batch`);
  const c = new ByteCursor(buf, start, end);
  const r: RecordView = {
    index: 0,
    position: 0,
    sizeInBytes: 0,
    attributes: 0,
    timestampDelta: 0,
    offsetDelta: 0,
    keySize: -1,
    keyOffset: 0,
    valueSize: -1,
    valueOffset: 0,
    headerCount: 0,
    headersOffset: 0,
  };
  for (let i = 0; i < count; i++) {
    r.index = i;
    r.position = c.pos;
    let bodySize: number;
    try {
      bodySize = c.varint();
    } catch (e) {
      if (e instanceof BufferUnderflow) {
        throw new InvalidRecordError('Incorrect declared batch size, premature EOF reached');
      }
      throw e;
    }
    if (c.remaining() < bodySize) {
      throw new InvalidRecordError(
        `Invalid record size: expected ${bodySize} bytes in record payload, but instead the buffer has only ${c.remaining()} remaining bytes.`,
      );
    }
    const bodyStart = c.pos;
    const saveEnd = c.end;
    c.end = bodySize >= 0 ? bodyStart + bodySize : bodyStart;
    try {
      r.attributes = c.int8();
      r.timestampDelta = c.varlong();
      r.offsetDelta = c.varint();
      r.keySize = c.varint();
      r.keyOffset = c.pos;
      if (r.keySize >= 0) c.skip(r.keySize);
      r.valueSize = c.varint();
      r.valueOffset = c.pos;
      if (r.valueSize >= 0) c.skip(r.valueSize);
      const headerCount = c.varint();
      if (headerCount < 0)
        throw new InvalidRecordError(`Found invalid number of record headers ${headerCount}`);
      if (headerCount > c.remaining()) {
        throw new InvalidRecordError(
          `Found invalid number of record headers. The number of record headers ${headerCount} is larger than the remaining size of the buffer`,
        );
      }
      r.headerCount = headerCount;
      r.headersOffset = c.pos;
      for (let h = 0; h < headerCount; h++) {
        const keySize = c.varint();
        if (keySize < 0) throw new InvalidRecordError(`Invalid negative header key size ${keySize}`);
        c.skip(keySize);
        const valueSize = c.varint();
        if (valueSize >= 0) c.skip(valueSize);
      }
    } catch (e) {
      if (e instanceof BufferUnderflow) throw invalidStructure();
      throw e;
    }
    if (c.pos - bodyStart !== bodySize) {
      throw new InvalidRecordError(
        `Invalid record size: expected to read ${bodySize} bytes in record payload, but instead read ${c.pos - bodyStart}`,
      );
    }
    c.end = saveEnd;
    r.sizeInBytes = c.pos - r.position;
    visit(r);
  }
  if (c.pos !== end)
    throw new InvalidRecordError('Incorrect declared batch size, records still remaining in file');
}

// ---------------------------------------------------------------------------------------------
// Full decoding

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A decoded v2 record. Key/value/header values are views into the batch (or decompressed) bytes. */
export interface Record {
  offset: bigint;
  offsetDelta: number;
  /** Effective timestamp: baseTimestamp + delta, or the batch maxTimestamp for LogAppendTime batches. */
  timestamp: bigint;
  timestampDelta: bigint;
  /** baseSequence + offsetDelta (wrapping), or −1. */
  sequence: number;
  attributes: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Encoded size including the length varint. */
  sizeInBytes: number;
}

function headersOf(buf: Buffer, view: RecordView): RecordHeader[] {
  if (view.headerCount === 0) return [];
  const c = new ByteCursor(buf, view.headersOffset, view.position + view.sizeInBytes);
  const headers: RecordHeader[] = [];
  for (let h = 0; h < view.headerCount; h++) {
    const keySize = c.varint();
    const key = buf.toString('utf8', c.pos, c.pos + keySize);
    c.skip(keySize);
    const valueSize = c.varint();
    let value: Buffer | null = null;
    if (valueSize >= 0) {
      value = buf.subarray(c.pos, c.pos + valueSize);
      c.skip(valueSize);
    }
    headers.push({ key, value });
  }
  return headers;
}

/** Materializes the record `view` points at. */
export function recordFromView(buf: Buffer, view: RecordView, header: RecordBatchHeader): Record {
  const timestampDelta = BigInt(view.timestampDelta);
  return {
    offset: header.baseOffset + BigInt(view.offsetDelta),
    offsetDelta: view.offsetDelta,
    timestamp:
      header.timestampType === TimestampType.LogAppendTime
        ? header.maxTimestamp
        : BigInt.asIntN(64, header.baseTimestamp + timestampDelta),
    timestampDelta,
    sequence:
      header.baseSequence >= 0 ? incrementSequence(header.baseSequence, view.offsetDelta) : NO_SEQUENCE,
    attributes: view.attributes,
    key: view.keySize >= 0 ? buf.subarray(view.keyOffset, view.keyOffset + view.keySize) : null,
    value: view.valueSize >= 0 ? buf.subarray(view.valueOffset, view.valueOffset + view.valueSize) : null,
    headers: headersOf(buf, view),
    sizeInBytes: view.sizeInBytes,
  };
}

/** Decodes the records of an already-decompressed payload (the bytes after the 61-byte header). */
export function decodeRecordsFromPayload(
  header: RecordBatchHeader,
  payload: Buffer,
  start = 0,
  end = payload.length,
): Record[] {
  const out: Record[] = [];
  scanRecords(payload, start, end, header.recordsCount, (v) => out.push(recordFromView(payload, v, header)));
  return out;
}

function checkV2(batch: Buffer, pos: number): { header: RecordBatchHeader; end: number } {
  if (batch.readInt8(pos + MAGIC_OFFSET) !== 2) throw new InvalidRecordError('Not a magic v2 record batch');
  const header = readBatchHeader(batch, pos);
  if (header.sizeInBytes < RECORD_BATCH_OVERHEAD || pos + header.sizeInBytes > batch.length) {
    throw new CorruptRecordError(`Record batch is truncated or too small (size ${header.sizeInBytes})`);
  }
  return { header, end: pos + header.sizeInBytes };
}

/** Decodes every record of the v2 batch at `pos` (decompressing as needed). */
export async function decodeRecords(batch: Buffer, pos = 0): Promise<Record[]> {
  const { header, end } = checkV2(batch, pos);
  if (header.compression === CompressionType.None) {
    return decodeRecordsFromPayload(header, batch, pos + RECORD_BATCH_OVERHEAD, end);
  }
  const payload = await decompress(header.compression, batch.subarray(pos + RECORD_BATCH_OVERHEAD, end), {
    magic: 2,
  });
  return decodeRecordsFromPayload(header, payload);
}

/** Synchronous decodeRecords (every codec but zstd). */
export function decodeRecordsSync(batch: Buffer, pos = 0): Record[] {
  const { header, end } = checkV2(batch, pos);
  if (header.compression === CompressionType.None) {
    return decodeRecordsFromPayload(header, batch, pos + RECORD_BATCH_OVERHEAD, end);
  }
  const payload = decompressSync(header.compression, batch.subarray(pos + RECORD_BATCH_OVERHEAD, end), {
    magic: 2,
  });
  return decodeRecordsFromPayload(header, payload);
}

// ---------------------------------------------------------------------------------------------
// Control records (record-format.md §1.3)

export enum ControlRecordType {
  ABORT = 0,
  COMMIT = 1,
  LEADER_CHANGE = 2,
  SNAPSHOT_HEADER = 3,
  SNAPSHOT_FOOTER = 4,
  KRAFT_VERSION = 5,
  KRAFT_VOTERS = 6,
}

/** Name of a control type id as Kafka prints it (`UNKNOWN` for ids it does not know). */
export function controlRecordTypeName(typeId: number): string {
  return ControlRecordType[typeId] ?? 'UNKNOWN';
}

/** Kafka's ControlRecordType.parseTypeId: the type id from a control record key. */
export function parseControlRecordTypeId(key: Buffer | null): number {
  const size = key ? key.length : 0;
  if (!key || size < 4) {
    throw new InvalidRecordError(
      `Invalid value size found for end control record key. Must have at least 4 bytes, but found only ${size}`,
    );
  }
  const version = key.readInt16BE(0);
  if (version < 0) {
    throw new InvalidRecordError(
      `Invalid version found for control record: ${version}. May indicate data corruption`,
    );
  }
  return key.readInt16BE(2);
}

export interface EndTransactionMarker {
  type: ControlRecordType.ABORT | ControlRecordType.COMMIT;
  coordinatorEpoch: number;
}

/** Kafka's EndTransactionMarker.deserialize. */
export function parseEndTransactionMarker(key: Buffer | null, value: Buffer | null): EndTransactionMarker {
  const typeId = parseControlRecordTypeId(key);
  if (typeId !== ControlRecordType.ABORT && typeId !== ControlRecordType.COMMIT) {
    throw new InvalidRecordError(
      `Invalid control record type ${controlRecordTypeName(typeId)} for end transaction marker`,
    );
  }
  const size = value ? value.length : 0;
  if (!value || size < 6) {
    throw new InvalidRecordError(
      `Invalid value size found for end transaction marker. Must have at least 6 bytes, but found only ${size}`,
    );
  }
  const version = value.readInt16BE(0);
  if (version < 0) {
    throw new InvalidRecordError(
      `Invalid version found for end transaction marker: ${version}. May indicate data corruption`,
    );
  }
  return { type: typeId, coordinatorEpoch: value.readInt32BE(2) };
}

/** Key (version 0, type) and value (version 0, coordinatorEpoch) of an end-transaction marker record. */
export function endTransactionMarkerRecord(marker: EndTransactionMarker): { key: Buffer; value: Buffer } {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(marker.type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return { key, value };
}

// ---------------------------------------------------------------------------------------------
// Builder

export type Bytes = Buffer | string;

export interface RecordInput {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: { key: string; value?: Bytes | null }[];
  /** Record timestamp; −1 (default) = none. */
  timestamp?: bigint | number;
  /** Offset relative to the batch base offset; defaults to the record's index. */
  offsetDelta?: number;
}

export interface BatchBuildOptions {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  compressionLevel?: number;
  /** CreateTime (default) or LogAppendTime; LogAppendTime requires `logAppendTime`. */
  timestampType?: TimestampType.CreateTime | TimestampType.LogAppendTime;
  /** maxTimestamp of a LogAppendTime batch. */
  logAppendTime?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  /** Sets attribute bit 6; baseTimestamp then holds this value and record deltas are relative to it. */
  deleteHorizonMs?: bigint;
  /** Override of lastOffsetDelta (only meaningful for empty batches left by compaction). */
  lastOffsetDelta?: number;
}

const toBytes = (b: Bytes | null | undefined): Buffer | null =>
  b === null || b === undefined ? null : typeof b === 'string' ? Buffer.from(b, 'utf8') : b;

interface PreparedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestampDelta: bigint | number;
  offsetDelta: number;
  bodySize: number;
}

function toSafe(v: bigint): bigint | number {
  return v > -BigInt(TWO_POW_52) && v < BigInt(TWO_POW_52) ? Number(v) : v;
}

/** Encodes the records region (uncompressed) and gathers what the header needs. */
function encodeRecords(
  records: RecordInput[],
  opts: BatchBuildOptions,
): { payload: Buffer; baseTimestamp: bigint; maxTimestamp: bigint; lastOffsetDelta: number } {
  const timestamps = records.map((r) => (r.timestamp === undefined ? NO_TIMESTAMP : BigInt(r.timestamp)));
  const baseTimestamp = opts.deleteHorizonMs ?? (records.length > 0 ? timestamps[0] : NO_TIMESTAMP);
  let maxTimestamp = NO_TIMESTAMP;
  for (const t of timestamps) if (t > maxTimestamp) maxTimestamp = t;
  const prepared: PreparedRecord[] = [];
  let total = 0;
  let lastOffsetDelta = opts.lastOffsetDelta ?? 0;
  records.forEach((r, i) => {
    const key = toBytes(r.key);
    const value = toBytes(r.value);
    const headers = (r.headers ?? []).map((h) => ({
      key: Buffer.from(h.key, 'utf8'),
      value: toBytes(h.value),
    }));
    const timestampDelta = toSafe(BigInt.asIntN(64, timestamps[i] - baseTimestamp));
    const offsetDelta = r.offsetDelta ?? i;
    let body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta);
    body += key ? sizeOfVarint(key.length) + key.length : 1;
    body += value ? sizeOfVarint(value.length) + value.length : 1;
    body += sizeOfVarint(headers.length);
    for (const h of headers) {
      body += sizeOfVarint(h.key.length) + h.key.length;
      body += h.value ? sizeOfVarint(h.value.length) + h.value.length : 1;
    }
    prepared.push({ key, value, headers, timestampDelta, offsetDelta, bodySize: body });
    total += sizeOfVarint(body) + body;
    if (opts.lastOffsetDelta === undefined) lastOffsetDelta = offsetDelta;
  });
  const payload = Buffer.allocUnsafe(total);
  let p = 0;
  for (const r of prepared) {
    p = writeVarint(payload, p, r.bodySize);
    payload[p++] = 0; // attributes
    p = writeVarlong(payload, p, r.timestampDelta);
    p = writeVarint(payload, p, r.offsetDelta);
    if (r.key) {
      p = writeVarint(payload, p, r.key.length);
      p += r.key.copy(payload, p);
    } else p = writeVarint(payload, p, -1);
    if (r.value) {
      p = writeVarint(payload, p, r.value.length);
      p += r.value.copy(payload, p);
    } else p = writeVarint(payload, p, -1);
    p = writeVarint(payload, p, r.headers.length);
    for (const h of r.headers) {
      p = writeVarint(payload, p, h.key.length);
      p += h.key.copy(payload, p);
      if (h.value) {
        p = writeVarint(payload, p, h.value.length);
        p += h.value.copy(payload, p);
      } else p = writeVarint(payload, p, -1);
    }
  }
  return { payload, baseTimestamp, maxTimestamp, lastOffsetDelta };
}

function assembleBatch(
  opts: BatchBuildOptions,
  count: number,
  body: Buffer,
  baseTimestamp: bigint,
  maxTimestamp: bigint,
  lastOffsetDelta: number,
): Buffer {
  const compression = opts.compression ?? CompressionType.None;
  const logAppend = opts.timestampType === TimestampType.LogAppendTime;
  if (logAppend && opts.logAppendTime === undefined)
    throw new Error('LogAppendTime batches need logAppendTime');
  let attributes = compression;
  if (logAppend) attributes |= TIMESTAMP_TYPE_MASK;
  if (opts.isTransactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (opts.isControl) attributes |= CONTROL_FLAG_MASK;
  if (opts.deleteHorizonMs !== undefined) attributes |= DELETE_HORIZON_FLAG_MASK;
  const b = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + body.length);
  b.writeBigInt64BE(opts.baseOffset ?? 0n, BASE_OFFSET_OFFSET);
  b.writeInt32BE(b.length - LOG_OVERHEAD, LENGTH_OFFSET);
  b.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH_OFFSET);
  b.writeInt8(2, MAGIC_OFFSET);
  b.writeInt16BE(attributes, ATTRIBUTES_OFFSET);
  b.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  b.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_OFFSET);
  b.writeBigInt64BE(logAppend ? (opts.logAppendTime as bigint) : maxTimestamp, MAX_TIMESTAMP_OFFSET);
  b.writeBigInt64BE(opts.producerId ?? NO_PRODUCER_ID, PRODUCER_ID_OFFSET);
  b.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH_OFFSET);
  b.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE_OFFSET);
  b.writeInt32BE(count, RECORDS_COUNT_OFFSET);
  body.copy(b, RECORD_BATCH_OVERHEAD);
  b.writeUInt32BE(computeCrc(b), CRC_OFFSET);
  return b;
}

function compressOptions(opts: BatchBuildOptions): CompressOptions {
  return { level: opts.compressionLevel, magic: 2 };
}

/**
 * Encodes `records` into one v2 batch, like Kafka's MemoryRecordsBuilder: baseTimestamp = first
 * record's timestamp, maxTimestamp = max record timestamp (or logAppendTime), record attributes 0,
 * CRC-32C over attributes..end.
 */
export async function buildRecordBatch(
  records: RecordInput[],
  opts: BatchBuildOptions = {},
): Promise<Buffer> {
  const enc = encodeRecords(records, opts);
  const compression = opts.compression ?? CompressionType.None;
  const body =
    compression === CompressionType.None
      ? enc.payload
      : await compress(compression, enc.payload, compressOptions(opts));
  return assembleBatch(opts, records.length, body, enc.baseTimestamp, enc.maxTimestamp, enc.lastOffsetDelta);
}

/** Synchronous buildRecordBatch (every codec but zstd). */
export function buildRecordBatchSync(records: RecordInput[], opts: BatchBuildOptions = {}): Buffer {
  const enc = encodeRecords(records, opts);
  const compression = opts.compression ?? CompressionType.None;
  const body =
    compression === CompressionType.None
      ? enc.payload
      : compressSync(compression, enc.payload, compressOptions(opts));
  return assembleBatch(opts, records.length, body, enc.baseTimestamp, enc.maxTimestamp, enc.lastOffsetDelta);
}

/** A 78-byte end-transaction marker batch (control + transactional, one record, baseSequence −1). */
export function buildEndTransactionMarker(opts: {
  producerId: bigint;
  producerEpoch: number;
  marker: EndTransactionMarker;
  timestamp: bigint;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
}): Buffer {
  const { key, value } = endTransactionMarkerRecord(opts.marker);
  return buildRecordBatchSync([{ key, value, timestamp: opts.timestamp }], {
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    isTransactional: true,
    isControl: true,
  });
}
