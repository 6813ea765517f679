// `samsa dump-log`: prints what Kafka 3.9's `kafka-dump-log.sh --files …` (kafka.tools.DumpLogSegments)
// prints for segment files — `.log` batches (and records with --deep-iteration / --print-data-log),
// `.index` and `.timeindex` entries with their consistency checks, plus `.txnindex` and producer
// `.snapshot` files — including the stderr summaries of index mismatches and non-consecutive offsets.
//
// Files are read incrementally (one batch at a time), never loaded whole.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { RECORD_BATCH_OVERHEAD, computeCrc, storedCrc } from '../protocol/records/batch';
import { compressionTypeName } from '../protocol/records/compression';
import { crc32c } from '../protocol/records/crc32c';
import { CorruptRecordError } from '../protocol/records/errors';
import { isValidLegacyEntry, legacyRecords } from '../protocol/records/legacy';
import {
  ControlRecordType,
  HEADER_SIZE_UP_TO_MAGIC,
  MIN_RECORD_SIZE,
  TimestampType,
  controlRecordTypeName,
  decodeRecords,
  decrementSequence,
  parseControlRecordTypeId,
  parseEndTransactionMarker,
  readBatchHeader,
  timestampTypeName,
} from '../protocol/records/records';

export interface DumpLogOptions {
  files: string[];
  /** --print-data-log: print keys and payloads (implies deep iteration). */
  printDataLog?: boolean;
  /** --deep-iteration: print every record, not just batches. */
  deepIteration?: boolean;
  /** --skip-record-metadata */
  skipRecordMetadata?: boolean;
  /** --verify-index-only: check index entries without printing them. */
  verifyIndexOnly?: boolean;
  /** --index-sanity-check: only run the broker's startup sanity check on index files. */
  indexSanityCheck?: boolean;
  /** --max-message-size (default 5 MiB): read limit when checking offset index entries. */
  maxMessageSize?: number;
  /** --max-bytes (default Integer.MAX_VALUE): only dump batches within the first N bytes of a .log. */
  maxBytes?: number;
  /** Standard output lines (default: process.stdout). */
  out?: (line: string) => void;
  /** Standard error lines (default: process.stderr). */
  err?: (line: string) => void;
}

const INT_MAX = 0x7fffffff;
const LOG_OVERHEAD = 12;

type Pairs = [bigint, bigint][];

/** What DumpLogSegments collects across files and prints to stderr at the end. */
interface Summary {
  indexMismatches: Map<string, Pairs>;
  timeMismatches: Map<string, Pairs>;
  outOfOrder: Map<string, Pairs>;
  shallowNotFound: Map<string, Pairs>;
  nonConsecutive: Map<string, Pairs>;
}

function push(map: Map<string, Pairs>, key: string, pair: [bigint, bigint]): void {
  const list = map.get(key);
  if (list) list.push(pair);
  else map.set(key, [pair]);
}

class SegmentFile {
  private constructor(
    private readonly fh: fsp.FileHandle,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<SegmentFile> {
    const fh = await fsp.open(file, 'r');
    return new SegmentFile(fh, (await fh.stat()).size);
  }

  /** Up to `len` bytes at `pos` (fewer at end of file). */
  async read(pos: number, len: number): Promise<Buffer> {
    const n = Math.max(0, Math.min(len, this.size - pos));
    const buf = Buffer.alloc(n);
    let done = 0;
    while (done < n) {
      const { bytesRead } = await this.fh.read(buf, done, n - done, pos + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === n ? buf : buf.subarray(0, done);
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** One batch read from a segment (FileLogInputStream). */
interface FileBatch {
  position: number;
  size: number;
  magic: number;
  /** The batch bytes; for v2 at least the 61-byte header even if the batch claims to be smaller. */
  bytes: Buffer;
}

/** Batches of `file` in [start, end), like FileRecords.batches. */
async function* fileBatches(
  f: SegmentFile,
  start: number,
  end: number,
  name: string,
): AsyncGenerator<FileBatch> {
  let pos = start;
  while (end - pos >= HEADER_SIZE_UP_TO_MAGIC) {
    const head = await f.read(pos, HEADER_SIZE_UP_TO_MAGIC);
    const length = head.readInt32BE(8);
    if (length < MIN_RECORD_SIZE) {
      throw new CorruptRecordError(
        `Found record size ${length} smaller than minimum record overhead (${MIN_RECORD_SIZE}) in file ${name}.`,
      );
    }
    if (pos > end - LOG_OVERHEAD - length) return;
    const size = length + LOG_OVERHEAD;
    const magic = head.readInt8(16);
    const want = magic >= 2 ? Math.max(size, RECORD_BATCH_OVERHEAD) : size;
    const bytes = await f.read(pos, want);
    if (bytes.length < want) {
      throw new Error(
        `Failed to read \`batch header\` from file channel \`${name}\`. Expected to read ${want} bytes, but reached end of file after reading ${bytes.length} bytes. Started read from position ${pos}.`,
      );
    }
    yield { position: pos, size, magic, bytes };
    pos += size;
  }
}

function lastOffsetOf(b: FileBatch): bigint {
  return b.magic >= 2 ? readBatchHeader(b.bytes).lastOffset : b.bytes.readBigInt64BE(0);
}

const optionalLong = (v: bigint | null): string => (v === null ? 'OptionalLong.empty' : `OptionalLong[${v}]`);

interface RecordLine {
  offset: bigint;
  timestamp: bigint;
  keySize: number;
  valueSize: number;
  key: Buffer | null;
  value: Buffer | null;
  /** v2 */
  sequence?: number;
  headerKeys?: string[];
  /** legacy */
  legacy?: { isValid: boolean; crc: number };
}

/** Records of a batch, deep-iterated like `batch.asScala`. */
async function batchRecords(b: FileBatch): Promise<{ records: RecordLine[]; isControl: boolean }> {
  const bytes = b.bytes.subarray(0, b.size);
  if (b.magic >= 2) {
    const h = readBatchHeader(b.bytes);
    const records = (await decodeRecords(bytes)).map((r) => ({
      offset: r.offset,
      timestamp: r.timestamp,
      keySize: r.key ? r.key.length : -1,
      valueSize: r.value ? r.value.length : -1,
      key: r.key,
      value: r.value,
      sequence: r.sequence,
      headerKeys: r.headers.map((x) => x.key),
    }));
    return { records, isControl: h.isControl };
  }
  const { records } = await legacyRecords(bytes);
  return {
    records: records.map((r) => ({
      offset: r.absoluteOffset,
      timestamp: r.effectiveTimestamp,
      keySize: r.key ? r.key.length : -1,
      valueSize: r.value ? r.value.length : -1,
      key: r.key,
      value: r.value,
      legacy: { isValid: r.isValid, crc: r.crc },
    })),
    isControl: false,
  };
}

function batchTimestampType(b: FileBatch): TimestampType {
  if (b.magic >= 2) return readBatchHeader(b.bytes).timestampType;
  if (b.magic === 0) return TimestampType.NoTimestampType;
  return b.bytes.readInt8(17) & 0x08 ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}

/** printBatchLevel */
function batchLine(b: FileBatch): string {
  if (b.magic >= 2) {
    const h = readBatchHeader(b.bytes);
    const isValid = b.size >= RECORD_BATCH_OVERHEAD && computeCrc(b.bytes) === storedCrc(b.bytes);
    return (
      `baseOffset: ${h.baseOffset} lastOffset: ${h.lastOffset} count: ${h.recordsCount}` +
      ` baseSequence: ${h.baseSequence} lastSequence: ${h.lastSequence}` +
      ` producerId: ${h.producerId} producerEpoch: ${h.producerEpoch}` +
      ` partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${h.isTransactional}` +
      ` isControl: ${h.isControl} deleteHorizonMs: ${optionalLong(h.hasDeleteHorizon ? h.baseTimestamp : null)}` +
      ` position: ${b.position} ${timestampTypeName(h.timestampType)}: ${h.maxTimestamp}` +
      ` size: ${b.size} magic: ${b.magic} compresscodec: ${compressionTypeName(h.compression)}` +
      ` crc: ${h.crc} isvalid: ${isValid}`
    );
  }
  const timestamp = b.magic === 0 ? -1n : b.bytes.readBigInt64BE(18);
  return (
    `offset: ${b.bytes.readBigInt64BE(0)}` +
    ` position: ${b.position} ${timestampTypeName(batchTimestampType(b))}: ${timestamp}` +
    ` size: ${b.size} magic: ${b.magic} compresscodec: ${compressionTypeName(b.bytes.readInt8(17) & 0x07)}` +
    ` crc: ${b.bytes.readUInt32BE(12)} isvalid: ${isValidLegacyEntry(b.bytes)}`
  );
}

const utf8 = (b: Buffer): string => b.toString('utf8');

async function dumpLogFile(file: string, opts: Required<DumpLogOptions>, summary: Summary): Promise<void> {
  const name = path.basename(file);
  const deep = opts.deepIteration || opts.printDataLog;
  if (name.endsWith('.log')) {
    opts.out(`Log starting offset: ${parseBaseOffset(name)}`);
  } else if (name === 'bootstrap.checkpoint') {
    opts.out('KRaft bootstrap snapshot');
  } else {
    const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
    if (m) opts.out(`Snapshot end offset: ${BigInt(m[1])}, epoch: ${Number(m[2])}`);
  }
  const f = await SegmentFile.open(file);
  try {
    const end = Math.min(f.size, opts.maxBytes);
    let validBytes = 0;
    let lastOffset = -1n;
    const abs = path.resolve(file);
    for await (const batch of fileBatches(f, 0, end, file)) {
      opts.out(batchLine(batch));
      if (deep) {
        const tsType = timestampTypeName(batchTimestampType(batch));
        const { records, isControl } = await batchRecords(batch);
        for (const r of records) {
          if (lastOffset === -1n) lastOffset = r.offset;
          else if (r.offset !== lastOffset + 1n) push(summary.nonConsecutive, abs, [lastOffset, r.offset]);
          lastOffset = r.offset;
          let line = '';
          let prefix = '| ';
          if (!opts.skipRecordMetadata) {
            line += `${prefix}offset: ${r.offset} ${tsType}: ${r.timestamp} keySize: ${r.keySize} valueSize: ${r.valueSize}`;
            prefix = ' ';
            if (r.headerKeys) line += ` sequence: ${r.sequence} headerKeys: [${r.headerKeys.join(',')}]`;
            if (r.legacy) line += ` isValid: ${r.legacy.isValid} crc: ${r.legacy.crc}}`;
            if (isControl) line += controlText(r.key, r.value);
          }
          if (opts.printDataLog && !isControl) {
            if (r.key) {
              line += `${prefix}key: ${utf8(r.key)}`;
              prefix = ' ';
            }
            if (r.value) line += ` payload: ${utf8(r.value)}`;
          }
          opts.out(line);
        }
      }
      validBytes += batch.size;
    }
    const trailing = f.size - validBytes;
    if (trailing > 0 && opts.maxBytes === INT_MAX)
      opts.out(`Found ${trailing} invalid bytes at the end of ${name}`);
  } finally {
    await f.close();
  }
}

function controlText(key: Buffer | null, value: Buffer | null): string {
  const typeId = parseControlRecordTypeId(key);
  if (typeId === ControlRecordType.ABORT || typeId === ControlRecordType.COMMIT) {
    const marker = parseEndTransactionMarker(key, value);
    return ` endTxnMarker: ${ControlRecordType[marker.type]} coordinatorEpoch: ${marker.coordinatorEpoch}`;
  }
  return ` controlType: ${controlRecordTypeName(typeId)}(${typeId})`;
}

/** `file.getName.split("\\.")(0).toLong` */
function parseBaseOffset(name: string): bigint {
  const head = name.split('.')[0];
  if (!/^[+-]?\d+$/.test(head)) throw new Error(`For input string: "${head}"`);
  return BigInt(head);
}

async function readAll(file: string): Promise<Buffer | null> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

interface IndexEntry {
  offset: bigint;
  position: number;
}

/** Offset index entries; `valid` stops at the first zero entry after the first (preallocated tail). */
function offsetIndexEntries(buf: Buffer, base: bigint): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i + 8 <= buf.length; i += 8) {
    out.push({ offset: base + BigInt(buf.readInt32BE(i)), position: buf.readInt32BE(i + 4) });
  }
  return out;
}

function validPrefix<T extends { offset: bigint }>(entries: T[], base: bigint): T[] {
  const i = entries.findIndex((e, k) => k > 0 && e.offset === base);
  return i < 0 ? entries : entries.slice(0, i);
}

/** OffsetIndex.lookup: greatest entry with offset ≤ target, else (base, 0). */
function lookup(entries: IndexEntry[], base: bigint, target: bigint): IndexEntry {
  let lo = 0;
  let hi = entries.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].offset <= target) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found < 0 ? { offset: base, position: 0 } : entries[found];
}

function siblings(file: string): { base: bigint; log: string; index: string } {
  const dir = path.dirname(path.resolve(file));
  const stem = path.basename(file).split('.')[0];
  return {
    base: parseBaseOffset(path.basename(file)),
    log: path.join(dir, `${stem}.log`),
    index: path.join(dir, `${stem}.index`),
  };
}

async function dumpIndex(file: string, opts: Required<DumpLogOptions>, summary: Summary): Promise<void> {
  const { base, log } = siblings(file);
  const f = await SegmentFile.open(log);
  try {
    const buf = (await readAll(file)) ?? Buffer.alloc(0);
    const entries = offsetIndexEntries(buf, base);
    if (entries.length === 0) {
      opts.out(`${file} is empty.`);
      return;
    }
    const abs = path.resolve(file);
    if (opts.indexSanityCheck) {
      const last = entries[entries.length - 1].offset;
      if (last < base) {
        throw new Error(
          `Corrupt index found, index file (${abs}) has non-zero size but the last offset is ${last} which is less than the base offset ${base}.`,
        );
      }
      if (buf.length % 8 !== 0) {
        throw new Error(
          `Index file ${abs} is corrupt, found ${buf.length} bytes which is neither positive nor a multiple of 8.`,
        );
      }
      opts.out(`${file} passed sanity check.`);
      return;
    }
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      // a sparse file after a crash may end in zero entries: stop at the first one
      if (e.offset === base && i > 0) return;
      if (e.position > f.size)
        throw new Error(`Slice from position ${e.position} exceeds end position of ${log}`);
      const it = fileBatches(f, e.position, Math.min(f.size, e.position + opts.maxMessageSize), log);
      const first = await it.next();
      await it.return(undefined);
      if (first.done) throw new Error(`No complete batch at position ${e.position} of ${log}`);
      const logLast = lastOffsetOf(first.value);
      if (logLast !== e.offset) push(summary.indexMismatches, abs, [e.offset, logLast]);
      if (!opts.verifyIndexOnly) opts.out(`offset: ${e.offset} position: ${e.position}`);
    }
  } finally {
    await f.close();
  }
}

async function dumpTimeIndex(file: string, opts: Required<DumpLogOptions>, summary: Summary): Promise<void> {
  const { base, log, index } = siblings(file);
  const f = await SegmentFile.open(log);
  try {
    const offsets = validPrefix(offsetIndexEntries((await readAll(index)) ?? Buffer.alloc(0), base), base);
    const buf = (await readAll(file)) ?? Buffer.alloc(0);
    const entries: { timestamp: bigint; offset: bigint }[] = [];
    for (let i = 0; i + 12 <= buf.length; i += 12) {
      entries.push({ timestamp: buf.readBigInt64BE(i), offset: base + BigInt(buf.readInt32BE(i + 8)) });
    }
    const abs = path.resolve(file);
    if (opts.indexSanityCheck) {
      if (entries.length > 0) {
        const last = entries[entries.length - 1];
        if (last.timestamp < entries[0].timestamp) {
          throw new Error(
            `Corrupt time index found, time index file (${abs}) has non-zero size but the last timestamp is ${last.timestamp} which is less than the first timestamp ${entries[0].timestamp}`,
          );
        }
        if (last.offset < base) {
          throw new Error(
            `Corrupt time index found, time index file (${abs}) has non-zero size but the last offset is ${last.offset} which is less than the first offset ${base}`,
          );
        }
      }
      if (buf.length % 12 !== 0) {
        throw new Error(
          `Time index file ${abs} is corrupt, found ${buf.length} bytes which is neither positive nor a multiple of 12.`,
        );
      }
      opts.out(`${file} passed sanity check.`);
      return;
    }
    let prevTimestamp = -1n;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.offset === base && i > 0) return;
      const position = lookup(offsets, base, e.offset).position;
      let found: FileBatch | null = null;
      for await (const b of fileBatches(f, position, f.size, log)) {
        if (lastOffsetOf(b) >= e.offset) {
          found = b;
          break;
        }
      }
      if (found === null) {
        push(summary.shallowNotFound, abs, [e.offset, -1n]);
      } else if (lastOffsetOf(found) !== e.offset) {
        push(summary.shallowNotFound, abs, [e.offset, lastOffsetOf(found)]);
      } else {
        let maxTimestamp = -1n;
        for (const r of (await batchRecords(found)).records)
          if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
        if (maxTimestamp !== e.timestamp) push(summary.timeMismatches, abs, [e.timestamp, maxTimestamp]);
        if (prevTimestamp >= e.timestamp) push(summary.outOfOrder, abs, [e.timestamp, prevTimestamp]);
      }
      if (!opts.verifyIndexOnly) opts.out(`timestamp: ${e.timestamp} offset: ${e.offset}`);
      prevTimestamp = e.timestamp;
    }
  } finally {
    await f.close();
  }
}

async function dumpTxnIndex(file: string, opts: Required<DumpLogOptions>): Promise<void> {
  const buf = await fsp.readFile(file);
  for (let p = 0; p + 34 <= buf.length; p += 34) {
    const version = buf.readInt16BE(p);
    if (version > 0) {
      throw new Error(
        `Unexpected aborted transaction version ${version} in transaction index ${path.resolve(file)}, current version is 0`,
      );
    }
    opts.out(
      `version: ${version} producerId: ${buf.readBigInt64BE(p + 2)} firstOffset: ${buf.readBigInt64BE(p + 10)} ` +
        `lastOffset: ${buf.readBigInt64BE(p + 18)} lastStableOffset: ${buf.readBigInt64BE(p + 26)}`,
    );
  }
}

const SNAPSHOT_ENTRY_SIZE = 46;

async function dumpProducerSnapshot(file: string, opts: Required<DumpLogOptions>): Promise<void> {
  const buf = await fsp.readFile(file);
  try {
    if (buf.length < 10) throw new Error('Snapshot failed schema validation: buffer too short');
    const version = buf.readInt16BE(0);
    if (version !== 1) throw new Error(`Snapshot contained an unknown file version ${version}`);
    const crc = buf.readUInt32BE(2);
    const computed = crc32c(buf.subarray(6));
    if (crc !== computed) {
      throw new Error(
        `Snapshot is corrupt (CRC is no longer valid). Stored crc: ${crc}. Computed crc: ${computed}`,
      );
    }
    const n = buf.readInt32BE(6);
    if (n < 0 || 10 + n * SNAPSHOT_ENTRY_SIZE > buf.length) {
      throw new Error('Snapshot failed schema validation: Error reading array of size');
    }
    for (let i = 0, p = 10; i < n; i++, p += SNAPSHOT_ENTRY_SIZE) {
      const producerId = buf.readBigInt64BE(p);
      const epoch = buf.readInt16BE(p + 8);
      const lastSeq = buf.readInt32BE(p + 10);
      const lastOffset = buf.readBigInt64BE(p + 14);
      const offsetDelta = buf.readInt32BE(p + 22);
      const timestamp = buf.readBigInt64BE(p + 26);
      const coordinatorEpoch = buf.readInt32BE(p + 34);
      const txnFirst = buf.readBigInt64BE(p + 38);
      let line =
        `producerId: ${producerId} producerEpoch: ${epoch} coordinatorEpoch: ${coordinatorEpoch} ` +
        `currentTxnFirstOffset: ${optionalLong(txnFirst >= 0n ? txnFirst : null)} lastTimestamp: ${timestamp} `;
      if (lastOffset >= 0n) {
        line +=
          `firstSequence: ${decrementSequence(lastSeq, offsetDelta)} lastSequence: ${lastSeq} ` +
          `lastOffset: ${lastOffset} offsetDelta: ${offsetDelta} timestamp: ${timestamp}`;
      }
      opts.out(line);
    }
  } catch (e) {
    opts.err((e as Error).message);
  }
}

function printSummary(s: Summary, err: (line: string) => void): void {
  for (const [file, pairs] of s.indexMismatches) {
    err(`Mismatches in :${file}`);
    // Kafka prepends to a Scala List, so the newest mismatch comes first
    for (const [a, b] of [...pairs].reverse()) err(`  Index offset: ${a}, log offset: ${b}`);
  }
  for (const [file, pairs] of s.timeMismatches) {
    err(`Found timestamp mismatch in :${file}`);
    for (const [a, b] of pairs) err(`  Index timestamp: ${a}, log timestamp: ${b}`);
  }
  for (const [file, pairs] of s.outOfOrder) {
    err(`Found out of order timestamp in :${file}`);
    for (const [a, b] of pairs) err(`  Index timestamp: ${a}, Previously indexed timestamp: ${b}`);
  }
  for (const pairs of s.shallowNotFound.values()) {
    err('The following indexed offsets are not found in the log.');
    for (const [a, b] of pairs) err(`Indexed offset: ${a}, found log offset: ${b}`);
  }
  for (const [file, pairs] of s.nonConsecutive) {
    err(`Non-consecutive offsets in ${file}`);
    for (const [a, b] of [...pairs].reverse()) err(`  ${a} is followed by ${b}`);
  }
}

/**
 * Dumps segment files like `kafka-dump-log.sh --files …`. Errors Kafka's tool dies on (corrupt batch
 * framing, unreadable files) are thrown; the CLI prints them.
 */
export async function dumpLog(options: DumpLogOptions): Promise<void> {
  const opts: Required<DumpLogOptions> = {
    files: options.files,
    printDataLog: options.printDataLog ?? false,
    deepIteration: options.deepIteration ?? false,
    skipRecordMetadata: options.skipRecordMetadata ?? false,
    verifyIndexOnly: options.verifyIndexOnly ?? false,
    indexSanityCheck: options.indexSanityCheck ?? false,
    maxMessageSize: options.maxMessageSize ?? 5 * 1024 * 1024,
    maxBytes: options.maxBytes ?? INT_MAX,
    out: options.out ?? ((line) => void process.stdout.write(`${line}\n`)),
    err: options.err ?? ((line) => void process.stderr.write(`${line}\n`)),
  };
  const summary: Summary = {
    indexMismatches: new Map(),
    timeMismatches: new Map(),
    outOfOrder: new Map(),
    shallowNotFound: new Map(),
    nonConsecutive: new Map(),
  };
  for (const file of opts.files) {
    opts.out(`Dumping ${file}`);
    const name = path.basename(file);
    const dot = name.lastIndexOf('.');
    const suffix = dot < 0 ? '' : name.substring(dot);
    switch (suffix) {
      case '.log':
      case '.checkpoint':
        await dumpLogFile(file, opts, summary);
        break;
      case '.index':
        await dumpIndex(file, opts, summary);
        break;
      case '.timeindex':
        await dumpTimeIndex(file, opts, summary);
        break;
      case '.snapshot':
        await dumpProducerSnapshot(file, opts);
        break;
      case '.txnindex':
        await dumpTxnIndex(file, opts);
        break;
      default:
        opts.err(`Ignoring unknown file ${file}`);
    }
  }
  printSummary(summary, opts.err);
}
