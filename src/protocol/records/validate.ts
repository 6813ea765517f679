// Produce-path validation of one partition's record set (record-format.md §4.1–§4.3), following
// Kafka 3.9's ProduceRequest.validateRecords (v3+ shape checks), UnifiedLog.analyzeAndValidateRecords
// (shallow per-batch checks) and LogValidator (per-batch and per-record checks, conversion).
//
// Offsets are not assigned here (the log end offset is only known under the log's lock): a successful
// result carries the record set to append — a view of the request bytes when Kafka would work in
// place, or a freshly built v2 batch (legacy up-conversion, recompression, non-consecutive inner
// offsets) — and `assignOffsets` (assign.ts) then stamps offsets, leader epoch and LogAppendTime.
//
// Decoding is exactly what Kafka does: uncompressed v2 batches are walked record by record without
// copying (lengths, deltas, header framing); compressed batches are decompressed and walked; keys,
// values and headers are only materialized when a new batch has to be built.

import {
  ATTRIBUTES_OFFSET,
  CRC_OFFSET,
  CompressionType,
  RECORD_BATCH_OVERHEAD,
  computeCrc,
  setMaxTimestamp,
  storedCrc,
} from './batch';
import { compressionTypeForName, decompress, isValidCompressionType } from './compression';
import {
  CorruptRecordError,
  InvalidRecordError,
  RecordTooLargeError,
  RecordsError,
  RecordsErrorCode,
  UnsupportedCompressionTypeError,
} from './errors';
import { isValidLegacyEntry, legacyRecords, readLegacyMessage, type LegacyRecord } from './legacy';
import {
  TimestampType,
  buildRecordBatch,
  decodeRecordsFromPayload,
  readBatchHeader,
  scanRecords,
  splitBatches,
  type BatchSlice,
  type RecordBatchHeader,
  type RecordInput,
  type RecordView,
} from './records';

export const DEFAULT_MAX_MESSAGE_BYTES = 1048588;
export const LONG_MAX = 0x7fffffffffffffffn;

/** Topic `compression.type` values. */
export type TopicCompressionType = 'producer' | 'uncompressed' | 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface ValidationConfig {
  /** `topic-partition`, used in error messages like Kafka's. */
  topicPartition?: string;
  /** Produce request version; v3+ enables ProduceRequest.validateRecords (one v2 batch, zstd needs v7+). */
  produceVersion?: number;
  /** `client` (Produce, default) or `coordinator` (group/txn coordinator appends: no client-only checks). */
  origin?: 'client' | 'coordinator';
  /** Topic `max.message.bytes` (default 1048588). */
  maxMessageBytes?: number;
  /** Topic `segment.bytes`; when given, a larger validated set → RECORD_LIST_TOO_LARGE. */
  segmentBytes?: number;
  /** Topic `message.timestamp.type` (default CreateTime). */
  timestampType?: TimestampType.CreateTime | TimestampType.LogAppendTime;
  /**
   * `message.timestamp.before.max.ms` / `after.max.ms` (default Long.MAX). The caller resolves the
   * fallback to the deprecated `message.timestamp.difference.max.ms`.
   */
  timestampBeforeMaxMs?: bigint | number;
  timestampAfterMaxMs?: bigint | number;
  /** `cleanup.policy` contains `compact`: keyless records are rejected. */
  compacted?: boolean;
  /** Topic `compression.type` (default `producer`). */
  compressionType?: TopicCompressionType;
  /** `compression.<codec>.level` for the target codec when the broker (re)compresses. */
  compressionLevel?: number;
  /** Broker wall clock (ms) for timestamp checks; default Date.now(). */
  now?: number;
  /**
   * Largest decompressed payload accepted from one batch (default 256 MiB). Kafka streams compressed
   * records and never holds them whole; we do, so a compression bomb must not exhaust memory.
   * Exceeding it → CORRUPT_MESSAGE.
   */
  maxDecompressedBytes?: number;
}

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** Kafka's ProduceResponse RecordError: index of the record in its batch and a message. */
export interface RecordError {
  batchIndex: number;
  message: string | null;
}

export interface ValidationSuccess {
  ok: true;
  /** The record set to hand to assignOffsets and append (empty when nothing is to be appended). */
  records: Buffer;
  /** Views of the batches in `records` (one v2 batch for any client append that passes). */
  batches: Buffer[];
  /** `records` is (a prefix of) the request bytes, to be modified in place by assignOffsets. */
  inPlace: boolean;
  /** Records were rebuilt: legacy up-conversion, recompression or renumbered inner offsets. */
  converted: boolean;
  /** Trailing bytes of the request that did not form a complete batch (dropped, like Kafka). */
  droppedBytes: number;
  recordCount: number;
  sourceCompression: CompressionType;
  targetCompression: CompressionType;
  /** Timestamp of the first record (−1 if none). */
  firstTimestamp: bigint;
  /** Max record timestamp (CreateTime view; LogAppendTime is applied by assignOffsets). */
  maxTimestamp: bigint;
  /** Index (= offset delta from the first assigned offset) of the first record with maxTimestamp; −1 if none. */
  offsetOfMaxTimestampDelta: number;
  /** Producer fields of the first batch (−1 when not idempotent). */
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
  isControl: boolean;
}

export interface ValidationFailure {
  ok: false;
  errorCode: number;
  /** Always set, for logs. */
  errorMessage: string;
  /**
   * What Kafka puts in the Produce v8+ `error_message`: the message when the failure comes from
   * record-level checks (`recordErrors` present), otherwise null.
   */
  responseErrorMessage: string | null;
  /** Per-record errors (Produce v8+ `record_errors`); empty unless record-level checks failed. */
  recordErrors: RecordError[];
}

export type ValidationResult = ValidationSuccess | ValidationFailure;

class RecordValidationError extends RecordsError {
  constructor(
    errorCode: number,
    message: string,
    readonly recordErrors: RecordError[],
  ) {
    super(errorCode, message);
  }
}

interface Ctx {
  tp: string;
  client: boolean;
  maxMessageBytes: number;
  timestampType: TimestampType;
  before: bigint;
  after: bigint;
  compacted: boolean;
  now: number;
  nowBig: bigint;
  maxDecompressedBytes: number;
}

/** A batch of the request, classified. */
interface Batch {
  slice: BatchSlice;
  bytes: Buffer;
  magic: number;
  compression: number;
  /** v2 only. */
  header?: RecordBatchHeader;
}

type Ts = number | bigint;

const TWO_POW_52 = 2 ** 52;
const SAFE_TS = BigInt(TWO_POW_52);

/**
 * Validates the `records` of one Produce partition. Never throws for bad input: failures come back
 * as `{ ok: false, errorCode, ... }` with Kafka's error codes.
 */
export async function validateRecordSet(
  records: Buffer,
  config: ValidationConfig = {},
): Promise<ValidationResult> {
  try {
    return await validate(records, config);
  } catch (e) {
    if (e instanceof RecordValidationError) {
      return {
        ok: false,
        errorCode: e.errorCode,
        errorMessage: e.message,
        responseErrorMessage: e.message,
        recordErrors: e.recordErrors,
      };
    }
    if (e instanceof RecordsError) {
      return {
        ok: false,
        errorCode: e.errorCode,
        errorMessage: e.message,
        responseErrorMessage: null,
        recordErrors: [],
      };
    }
    throw e;
  }
}

function targetCompressionOf(topic: TopicCompressionType, source: CompressionType): CompressionType {
  if (topic === 'producer') return source;
  if (topic === 'uncompressed' || topic === 'none') return CompressionType.None;
  const t = compressionTypeForName(topic);
  if (t === undefined) throw new Error(`unknown compression.type ${String(topic)}`);
  return t;
}

async function validate(input: Buffer, config: ValidationConfig): Promise<ValidationResult> {
  const tp = config.topicPartition ?? 'unknown-0';
  const now = config.now ?? Date.now();
  const ctx: Ctx = {
    tp,
    client: (config.origin ?? 'client') === 'client',
    maxMessageBytes: config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    timestampType: config.timestampType ?? TimestampType.CreateTime,
    before: BigInt(config.timestampBeforeMaxMs ?? LONG_MAX),
    after: BigInt(config.timestampAfterMaxMs ?? LONG_MAX),
    compacted: config.compacted ?? false,
    now,
    nowBig: BigInt(now),
    maxDecompressedBytes: config.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES,
  };

  // Framing: size < 14 or magic outside 0..2 → CORRUPT_MESSAGE; a partial trailing batch is dropped.
  const { batches: slices, validBytes } = splitBatches(input);

  if (config.produceVersion !== undefined && config.produceVersion >= 3) {
    const v = config.produceVersion;
    if (slices.length === 0) {
      throw new InvalidRecordError(
        `Produce requests with version ${v} must have at least one record batch per partition`,
      );
    }
    const first = slices[0];
    if (first.magic !== 2) {
      throw new InvalidRecordError(
        `Produce requests with version ${v} are only allowed to contain record batches with magic version 2`,
      );
    }
    const codec =
      first.size >= RECORD_BATCH_OVERHEAD ? input.readInt16BE(first.position + ATTRIBUTES_OFFSET) & 7 : 0;
    if (!isValidCompressionType(codec))
      throw new UnsupportedCompressionTypeError(`Unknown compression type id: ${codec}`);
    if (v < 7 && codec === CompressionType.Zstd) {
      throw new UnsupportedCompressionTypeError(
        `Produce requests with version ${v} are not allowed to use ZStandard compression`,
      );
    }
    if (slices.length > 1) {
      throw new InvalidRecordError(
        `Produce requests with version ${v} are only allowed to contain exactly one record batch per partition`,
      );
    }
  }

  // UnifiedLog.analyzeAndValidateRecords: shallow checks in batch order.
  const batches: Batch[] = [];
  let sourceCompression = CompressionType.None;
  for (const slice of slices) {
    const bytes = input.subarray(slice.position, slice.position + slice.size);
    const v2 = slice.magic >= 2;
    if (v2 && ctx.client) {
      const baseOffset = bytes.readBigInt64BE(0);
      if (baseOffset !== 0n) {
        throw new InvalidRecordError(
          `The baseOffset of the record batch in the append to ${tp} should be 0, but it is ${baseOffset}`,
        );
      }
    }
    if (slice.size > ctx.maxMessageBytes) {
      throw new RecordTooLargeError(
        `The record batch size in the append to ${tp} is ${slice.size} bytes which exceeds the maximum configured value of ${ctx.maxMessageBytes}.`,
      );
    }
    const valid = v2
      ? slice.size >= RECORD_BATCH_OVERHEAD && computeCrc(bytes) === storedCrc(bytes)
      : isValidLegacyEntry(bytes);
    if (!valid) {
      const crc = slice.size >= RECORD_BATCH_OVERHEAD || !v2 ? bytes.readUInt32BE(v2 ? CRC_OFFSET : 12) : 0;
      throw new CorruptRecordError(`Record is corrupt (stored crc = ${crc}) in topic partition ${tp}.`);
    }
    const header = v2 ? readBatchHeader(bytes) : undefined;
    const compression = header ? header.compression : bytes.readInt8(17) & 7;
    if (!isValidCompressionType(compression)) {
      throw new UnsupportedCompressionTypeError(`Unknown compression type id: ${compression}`);
    }
    if (compression !== CompressionType.None) sourceCompression = compression;
    batches.push({ slice, bytes, magic: slice.magic, compression, header });
  }
  const records = input.subarray(0, validBytes);
  const droppedBytes = input.length - validBytes;

  if (batches.length === 0) {
    // Nothing complete to append (Produce v0–v2 only; v3+ was rejected above). Kafka appends nothing.
    return emptySuccess(records, droppedBytes, sourceCompression);
  }

  const targetCompression = targetCompressionOf(config.compressionType ?? 'producer', sourceCompression);
  let result: ValidationSuccess;
  if (sourceCompression === CompressionType.None && targetCompression === CompressionType.None) {
    if (batches.every((b) => b.magic === 2)) result = validateInPlaceUncompressed(records, batches, ctx);
    else result = await convertUncompressed(batches, ctx);
  } else {
    result = await validateCompressed(records, batches, ctx, sourceCompression, targetCompression, config);
  }
  result.droppedBytes = droppedBytes;

  if (result.converted) {
    for (const b of result.batches) {
      if (b.length > ctx.maxMessageBytes) {
        throw new RecordTooLargeError(
          `The record batch size in the append to ${tp} is ${b.length} bytes which exceeds the maximum configured value of ${ctx.maxMessageBytes}.`,
        );
      }
    }
  }
  if (config.segmentBytes !== undefined && result.records.length > config.segmentBytes) {
    throw new RecordsError(
      RecordsErrorCode.RECORD_LIST_TOO_LARGE,
      `Message batch size is ${result.records.length} bytes in append to partition ${tp} which exceeds the maximum configured segment size of ${config.segmentBytes}.`,
    );
  }
  return result;
}

function emptySuccess(records: Buffer, droppedBytes: number, source: CompressionType): ValidationSuccess {
  return {
    ok: true,
    records,
    batches: [],
    inPlace: true,
    converted: false,
    droppedBytes,
    recordCount: 0,
    sourceCompression: source,
    targetCompression: source,
    firstTimestamp: -1n,
    maxTimestamp: -1n,
    offsetOfMaxTimestampDelta: -1,
    producerId: -1n,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
    isControl: false,
  };
}

// ---------------------------------------------------------------------------------------------
// LogValidator.validateBatch and friends

/** getFirstBatchAndMaybeValidateNoMoreBatches */
function checkSingleBatch(batches: Batch[], sourceCompression: CompressionType): void {
  if (batches.length === 0) throw new InvalidRecordError('Record batch has no batches at all');
  if ((batches[0].magic >= 2 || sourceCompression !== CompressionType.None) && batches.length > 1) {
    throw new InvalidRecordError('Compressed outer record has more than one batch');
  }
}

function validateBatch(first: Batch, batch: Batch, ctx: Ctx): void {
  if (first.magic !== batch.magic) {
    throw new InvalidRecordError(
      `Batch magic ${batch.magic} is not the same as the first batch's magic byte ${first.magic} in topic partition ${ctx.tp}`,
    );
  }
  const h = batch.header;
  if (ctx.client && h) {
    const countFromOffsets = BigInt(h.lastOffsetDelta) + 1n;
    if (countFromOffsets <= 0n) {
      throw new InvalidRecordError(
        `Batch has an invalid offset range: [${h.baseOffset}, ${h.lastOffset}] in topic partition ${ctx.tp}`,
      );
    }
    if (h.recordsCount <= 0) {
      throw new InvalidRecordError(
        `Invalid reported count for record batch: ${h.recordsCount} in topic partition ${ctx.tp}`,
      );
    }
    if (countFromOffsets !== BigInt(h.recordsCount)) {
      throw new InvalidRecordError(
        `Inconsistent batch offset range [${h.baseOffset}, ${h.lastOffset}] and count of records ${h.recordsCount} in topic partition ${ctx.tp}`,
      );
    }
  }
  if (ctx.client && h?.isControl) {
    throw new InvalidRecordError(
      `Clients are not allowed to write control records in topic partition ${ctx.tp}`,
    );
  }
  if (ctx.client && h && h.producerId >= 0n && h.baseSequence < 0) {
    throw new InvalidRecordError(
      `Invalid sequence number ${h.baseSequence} in record batch with producerId ${h.producerId} in topic partition ${ctx.tp}`,
    );
  }
}

/** Java long arithmetic (wraps at 64 bits). */
const jlong = (v: bigint): bigint => BigInt.asIntN(64, v);

const TS_OK = 0;
const TS_OUT_OF_RANGE = 1;
const TS_LOG_APPEND_TIME = 2;

/** validateTimestamp's decision, without building any message (hot path). */
function timestampProblem(ts: Ts, batchTimestampType: TimestampType, ctx: Ctx): number {
  if (ctx.timestampType === TimestampType.CreateTime && ts !== -1 && ts !== -1n) {
    if (typeof ts === 'number') {
      if (ctx.now - ts > ctx.before || ts - ctx.now > ctx.after) return TS_OUT_OF_RANGE;
    } else {
      const diff = jlong(ctx.nowBig - ts);
      if (diff > ctx.before || jlong(-1n * diff) > ctx.after) return TS_OUT_OF_RANGE;
    }
  } else if (batchTimestampType === TimestampType.LogAppendTime) {
    return TS_LOG_APPEND_TIME;
  }
  return TS_OK;
}

/** validateTimestamp: null when fine, else Kafka's record error message. */
function timestampError(
  ts: Ts,
  batchTimestampType: TimestampType,
  ctx: Ctx,
  describe: () => { offset: bigint; text: string },
): string | null {
  switch (timestampProblem(ts, batchTimestampType, ctx)) {
    case TS_OUT_OF_RANGE:
      return `Timestamp ${ts} of message with offset ${describe().offset} is out of range. The timestamp should be within [${jlong(ctx.nowBig - ctx.before)}, ${jlong(ctx.nowBig + ctx.after)}]`;
    case TS_LOG_APPEND_TIME:
      return `Invalid timestamp type in message ${describe().text}. Producer should not set timestamp type to LogAppendTime.`;
    default:
      return null;
  }
}

interface CollectedError {
  code: number;
  error: RecordError;
}

/** processRecordErrors: any record error rejects the whole batch. */
function processRecordErrors(errors: CollectedError[]): void {
  if (errors.length === 0) return;
  const recordErrors = errors.map((e) => e.error);
  if (errors.some((e) => e.code === RecordsErrorCode.INVALID_TIMESTAMP)) {
    throw new RecordValidationError(
      RecordsErrorCode.INVALID_TIMESTAMP,
      'One or more records have been rejected due to invalid timestamp',
      recordErrors,
    );
  }
  const shown = recordErrors
    .slice(0, 3)
    .map(
      (e) =>
        `RecordError(batchIndex=${e.batchIndex}, message=${e.message === null ? 'null' : `'${e.message}'`})`,
    );
  throw new RecordValidationError(
    RecordsErrorCode.INVALID_RECORD,
    `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`,
    recordErrors,
  );
}

/** Effective timestamp of a v2 record (Java long arithmetic; a number whenever exact). */
function v2Timestamp(h: RecordBatchHeader, baseTsNum: number | null, delta: number | bigint): Ts {
  if (h.timestampType === TimestampType.LogAppendTime) return toTs(h.maxTimestamp);
  if (baseTsNum !== null && typeof delta === 'number') return baseTsNum + delta;
  return toTs(jlong(h.baseTimestamp + BigInt(delta)));
}

function toTs(v: bigint): Ts {
  return v > -SAFE_TS && v < SAFE_TS ? Number(v) : v;
}

function safeNum(v: bigint): number | null {
  return v > -SAFE_TS && v < SAFE_TS ? Number(v) : null;
}

const describeV2 = (h: RecordBatchHeader, v: RecordView, ts: Ts) => () => {
  const offset = h.baseOffset + BigInt(v.offsetDelta);
  return {
    offset,
    text: `DefaultRecord(offset=${offset}, timestamp=${ts}, key=${Math.max(v.keySize, 0)} bytes, value=${Math.max(v.valueSize, 0)} bytes)`,
  };
};

interface V2Scan {
  count: number;
  maxTimestamp: Ts;
  indexOfMax: number;
  firstTimestamp: Ts;
  /** Record offset deltas were exactly 0..n−1. */
  consecutive: boolean;
}

/** Walks the records of a v2 batch payload with validateRecord's checks (key, timestamp). */
function scanV2(
  h: RecordBatchHeader,
  payload: Buffer,
  start: number,
  end: number,
  ctx: Ctx,
  expectedStart = 0,
): V2Scan {
  const errors: CollectedError[] = [];
  const baseTsNum = safeNum(h.baseTimestamp);
  const s: V2Scan = { count: 0, maxTimestamp: -1, indexOfMax: -1, firstTimestamp: -1, consecutive: true };
  const zeroBase = h.baseOffset === 0n;
  scanRecords(payload, start, end, h.recordsCount, (v) => {
    const ts = v2Timestamp(h, baseTsNum, v.timestampDelta);
    if (v.index === 0) s.firstTimestamp = ts;
    let error: CollectedError | null = null;
    if (ctx.compacted && v.keySize < 0) {
      error = {
        code: RecordsErrorCode.INVALID_RECORD,
        error: {
          batchIndex: v.index,
          message: `Compacted topic cannot accept message without key in topic partition ${ctx.tp}`,
        },
      };
    } else {
      if (timestampProblem(ts, h.timestampType, ctx) !== TS_OK) {
        const message = timestampError(ts, h.timestampType, ctx, describeV2(h, v, ts));
        error = { code: RecordsErrorCode.INVALID_TIMESTAMP, error: { batchIndex: v.index, message } };
      }
    }
    if (error) errors.push(error);
    else {
      if (ts > s.maxTimestamp) {
        s.maxTimestamp = ts;
        s.indexOfMax = v.index;
      }
      // record.offset() must equal the running expected inner offset
      if (
        zeroBase
          ? v.offsetDelta !== expectedStart + v.index
          : h.baseOffset + BigInt(v.offsetDelta) !== BigInt(expectedStart + v.index)
      ) {
        s.consecutive = false;
      }
    }
    s.count++;
  });
  processRecordErrors(errors);
  return s;
}

function success(
  records: Buffer,
  batches: Buffer[],
  first: Batch,
  fields: Pick<
    ValidationSuccess,
    | 'inPlace'
    | 'converted'
    | 'recordCount'
    | 'sourceCompression'
    | 'targetCompression'
    | 'offsetOfMaxTimestampDelta'
  > & { firstTimestamp: Ts; maxTimestamp: Ts },
): ValidationSuccess {
  const h = first.header;
  return {
    ok: true,
    records,
    batches,
    droppedBytes: 0,
    ...fields,
    firstTimestamp: BigInt(fields.firstTimestamp),
    maxTimestamp: BigInt(fields.maxTimestamp),
    producerId: h ? h.producerId : -1n,
    producerEpoch: h ? h.producerEpoch : -1,
    baseSequence: h ? h.baseSequence : -1,
    isTransactional: h ? h.isTransactional : false,
    isControl: h ? h.isControl : false,
  };
}

// ---------------------------------------------------------------------------------------------
// Path A: uncompressed v2 in, uncompressed out — in place

function validateInPlaceUncompressed(records: Buffer, batches: Batch[], ctx: Ctx): ValidationSuccess {
  checkSingleBatch(batches, CompressionType.None);
  const first = batches[0];
  let maxTimestamp: Ts = -1;
  let offsetOfMax = -1;
  let firstTimestamp: Ts = -1;
  let count = 0;
  for (const batch of batches) {
    validateBatch(first, batch, ctx);
    const h = batch.header as RecordBatchHeader;
    const s = scanV2(h, batch.bytes, RECORD_BATCH_OVERHEAD, batch.bytes.length, ctx);
    if (count === 0) firstTimestamp = s.firstTimestamp;
    if (s.maxTimestamp > maxTimestamp) {
      maxTimestamp = s.maxTimestamp;
      offsetOfMax = count + s.indexOfMax;
    }
    count += s.count;
    // Kafka: batch.setMaxTimestamp(CreateTime, maxBatchTimestamp); LogAppendTime is stamped at assignment.
    if (ctx.timestampType === TimestampType.CreateTime) {
      setMaxTimestamp(batch.bytes, false, BigInt(s.maxTimestamp));
    }
  }
  return success(
    records,
    batches.map((b) => b.bytes),
    first,
    {
      inPlace: true,
      converted: false,
      recordCount: count,
      sourceCompression: CompressionType.None,
      targetCompression: CompressionType.None,
      firstTimestamp,
      maxTimestamp,
      offsetOfMaxTimestampDelta: offsetOfMax,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Legacy records

function legacyText(r: LegacyRecord): string {
  return `Record(magic=${r.magic}, attributes=${r.attributes}, compression=${['NONE', 'GZIP', 'SNAPPY', 'LZ4', 'ZSTD'][r.compression] ?? r.compression}, crc=${r.crc}, ${r.magic > 0 ? `${TimestampType[r.effectiveTimestampType]}=${r.effectiveTimestamp}, ` : ''}key=${r.key ? r.key.length : 0} bytes, value=${r.value ? r.value.length : 0} bytes)`;
}

/** validateRecord for a legacy record of `wrapper` (record errors, or a thrown CorruptRecordError). */
function legacyRecordError(
  wrapperMagic: number,
  wrapperCompressed: boolean,
  wrapperTimestampType: TimestampType,
  r: LegacyRecord,
  index: number,
  ctx: Ctx,
): CollectedError | null {
  if (wrapperCompressed && r.compression !== CompressionType.None) {
    return {
      code: RecordsErrorCode.INVALID_RECORD,
      error: {
        batchIndex: index,
        message: `Compressed outer record should not have an inner record with a compression attribute set: ${legacyText(r)}`,
      },
    };
  }
  if (r.magic !== wrapperMagic) {
    return {
      code: RecordsErrorCode.INVALID_RECORD,
      error: {
        batchIndex: index,
        message: `Record ${legacyText(r)}'s magic does not match outer magic ${wrapperMagic} in topic partition ${ctx.tp}`,
      },
    };
  }
  if (wrapperCompressed && !r.isValid) {
    throw new CorruptRecordError(
      `Record is corrupt (stored crc = ${r.crc}, computed crc = ${r.computedCrc}) in topic partition ${ctx.tp}`,
    );
  }
  if (ctx.compacted && r.key === null) {
    return {
      code: RecordsErrorCode.INVALID_RECORD,
      error: {
        batchIndex: index,
        message: `Compacted topic cannot accept message without key in topic partition ${ctx.tp}`,
      },
    };
  }
  const msg = timestampError(toTs(r.effectiveTimestamp), wrapperTimestampType, ctx, () => ({
    offset: r.absoluteOffset,
    text: legacyText(r),
  }));
  return msg === null
    ? null
    : { code: RecordsErrorCode.INVALID_TIMESTAMP, error: { batchIndex: index, message: msg } };
}

function legacyToInput(r: LegacyRecord, index: number): RecordInput {
  return { key: r.key, value: r.value, timestamp: r.effectiveTimestamp, offsetDelta: index };
}

// ---------------------------------------------------------------------------------------------
// Path B: uncompressed legacy in → one uncompressed v2 batch

async function convertUncompressed(batches: Batch[], ctx: Ctx): Promise<ValidationSuccess> {
  checkSingleBatch(batches, CompressionType.None);
  const first = batches[0];
  const out: RecordInput[] = [];
  for (const batch of batches) {
    validateBatch(first, batch, ctx);
    // batches here are uncompressed legacy messages (mixed-in v2 batches fail validateBatch)
    const msg = readLegacyMessage(batch.bytes);
    const r: LegacyRecord = {
      ...msg,
      absoluteOffset: msg.offset,
      effectiveTimestamp: msg.timestamp,
      effectiveTimestampType: msg.timestampType,
    };
    const err = legacyRecordError(batch.magic, false, msg.timestampType, r, 0, ctx);
    processRecordErrors(err ? [err] : []);
    out.push(legacyToInput(r, out.length));
  }
  return buildConverted(out, first, CompressionType.None, CompressionType.None, undefined);
}

async function buildConverted(
  inputs: RecordInput[],
  first: Batch,
  source: CompressionType,
  target: CompressionType,
  level: number | undefined,
): Promise<ValidationSuccess> {
  const h = first.header;
  const batch = await buildRecordBatch(inputs, {
    compression: target,
    compressionLevel: level,
    producerId: h?.producerId,
    producerEpoch: h?.producerEpoch,
    baseSequence: h?.baseSequence,
    isTransactional: h?.isTransactional,
  });
  let maxTimestamp: Ts = -1;
  let offsetOfMax = -1;
  inputs.forEach((r, i) => {
    const ts = toTs(BigInt(r.timestamp ?? -1));
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      offsetOfMax = i;
    }
  });
  return success(batch, [batch], first, {
    inPlace: false,
    converted: true,
    recordCount: inputs.length,
    sourceCompression: source,
    targetCompression: target,
    firstTimestamp: inputs.length > 0 ? toTs(BigInt(inputs[0].timestamp ?? -1)) : -1,
    maxTimestamp,
    offsetOfMaxTimestampDelta: offsetOfMax,
  });
}

// ---------------------------------------------------------------------------------------------
// Path C: compressed in and/or compressed out

type Source = { h: RecordBatchHeader; payload: Buffer } | { inputs: RecordInput[] };

async function validateCompressed(
  records: Buffer,
  batches: Batch[],
  ctx: Ctx,
  source: CompressionType,
  target: CompressionType,
  config: ValidationConfig,
): Promise<ValidationSuccess> {
  checkSingleBatch(batches, source);
  const first = batches[0];
  let inPlace = source === target;
  if (first.magic !== 2) inPlace = false;
  // Do not compress control records unless they are written compressed
  if (source === CompressionType.None && first.header?.isControl) inPlace = true;

  let maxTimestamp: Ts = -1;
  let offsetOfMax = -1;
  let firstTimestamp: Ts = -1;
  let count = 0;
  const sources: Source[] = [];

  for (const batch of batches) {
    validateBatch(first, batch, ctx);
    const h = batch.header;
    if (h) {
      const payload =
        h.compression === CompressionType.None
          ? batch.bytes.subarray(RECORD_BATCH_OVERHEAD)
          : await decompress(h.compression, batch.bytes.subarray(RECORD_BATCH_OVERHEAD), {
              magic: 2,
              maxBytes: ctx.maxDecompressedBytes,
            });
      const s = scanV2(h, payload, 0, payload.length, ctx, count);
      if (count === 0) firstTimestamp = s.firstTimestamp;
      if (s.maxTimestamp > maxTimestamp) {
        maxTimestamp = s.maxTimestamp;
        offsetOfMax = count + s.indexOfMax;
      }
      // Some old clients get inner offsets wrong; Kafka rebuilds rather than rejecting.
      if (!s.consecutive) inPlace = false;
      count += s.count;
      sources.push({ h, payload });
    } else {
      const { wrapper, records: inner } = await legacyRecords(batch.bytes, 0, {
        maxDecompressedBytes: ctx.maxDecompressedBytes,
      });
      const compressed = wrapper.compression !== CompressionType.None;
      const errors: CollectedError[] = [];
      const inputs: RecordInput[] = [];
      inner.forEach((r, i) => {
        const err = legacyRecordError(batch.magic, compressed, wrapper.timestampType, r, i, ctx);
        if (err) {
          errors.push(err);
          return;
        }
        const ts = toTs(r.effectiveTimestamp);
        if (batch.magic > 0 && ts > maxTimestamp) {
          maxTimestamp = ts;
          offsetOfMax = count;
        }
        if (count === 0) firstTimestamp = ts;
        inputs.push(legacyToInput(r, count));
        count++;
      });
      processRecordErrors(errors);
      sources.push({ inputs });
    }
  }

  if (!inPlace) {
    const inputs: RecordInput[] = [];
    for (const src of sources) {
      if ('h' in src) {
        for (const r of decodeRecordsFromPayload(src.h, src.payload)) {
          inputs.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
        }
      } else inputs.push(...src.inputs);
    }
    inputs.forEach((r, i) => (r.offsetDelta = i));
    // `producer` keeps the producer's codec at its default level; an explicit codec uses the topic level
    const level = (config.compressionType ?? 'producer') === 'producer' ? undefined : config.compressionLevel;
    return buildConverted(inputs, first, source, target, level);
  }
  if (ctx.timestampType === TimestampType.CreateTime) {
    setMaxTimestamp(first.bytes, false, BigInt(maxTimestamp));
  }
  return success(records, [first.bytes], first, {
    inPlace: true,
    converted: false,
    recordCount: count,
    sourceCompression: source,
    targetCompression: target,
    firstTimestamp,
    maxTimestamp,
    offsetOfMaxTimestampDelta: offsetOfMax,
  });
}
