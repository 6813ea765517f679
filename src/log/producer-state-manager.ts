// Per-partition state of idempotent producers (Kafka's ProducerStateManager, ProducerStateEntry,
// ProducerAppendInfo and BatchMetadata; coordinators.md §5, record-format.md §4.4,
// storage-format.md §3). For every producer id the log keeps the producer epoch and the
// metadata (sequence range, offsets, max timestamp) of its last 5 batches, learned from batch
// headers only — records are never decoded — on every append, leader or follower.
//
//   Leader produce:  checkAppend() before offsets are assigned: a retry of one of the 5 cached
//                    batches is answered with its original offsets (nothing is appended), an
//                    older epoch is INVALID_PRODUCER_EPOCH, a sequence gap (or a new epoch not
//                    starting at 0) is OUT_OF_ORDER_SEQUENCE_NUMBER, a producer we know nothing
//                    about may start at any sequence.
//   Every append:    onAppend() records the batches (replication only logs stale epochs).
//   Load/truncation: rebuildProducerState(): the latest `<offset>.snapshot` at or below the
//                    target, then the batch headers from there (Kafka's snapshot format, so the
//                    files are interchangeable with Kafka's; a snapshot is taken on every roll,
//                    after loading and on close).
//
// Batches with producerId -1 cost one 4-byte read. Transactions are not supported by Samsa (no
// transaction coordinator), but the open-transaction bookkeeping of the headers is kept so the
// snapshot fields and INVALID_TXN_STATE behave as in Kafka.

import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode } from '../protocol/errors';
import * as v2 from '../protocol/records/batch';
import { crc32c } from '../protocol/records/crc32c';
import {
  DELETED_FILE_SUFFIX,
  filenamePrefixFromOffset,
  offsetFromFileName,
  PRODUCER_SNAPSHOT_FILE_SUFFIX,
} from './log-file-names';
import type { LogSegment } from './log-segment';
import { SystemTime, Time } from './time';
import { getLogger, Logger } from '../utils/logger';

/** How many batches per producer are remembered for duplicate detection. */
export const NUM_BATCHES_TO_RETAIN = 5;
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;
export const DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS = 600_000;

export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
const INT32_MAX = 0x7fffffff;

const SNAPSHOT_VERSION = 1;
const SNAPSHOT_CRC_OFFSET = 2;
const SNAPSHOT_ENTRIES_OFFSET = 6;
const SNAPSHOT_HEADER_SIZE = 10;
const SNAPSHOT_ENTRY_SIZE = 46;
/** offset + length + epoch/crc + magic: the smallest framing any batch or legacy message has. */
const MIN_BATCH_SIZE = 17;
/** Bytes read per positioned read when scanning segment headers. */
const SCAN_CHUNK = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Sequence arithmetic (sequences are non-negative int32 that wrap from Integer.MAX_VALUE to 0)

export function incrementSequence(sequence: number, increment: number): number {
  if (sequence > INT32_MAX - increment) return increment - (INT32_MAX - sequence) - 1;
  return sequence + increment;
}

export function decrementSequence(sequence: number, decrement: number): number {
  if (sequence < decrement) return INT32_MAX - (decrement - sequence) + 1;
  return sequence - decrement;
}

/** `next` directly follows `last` (Integer.MAX_VALUE is followed by 0). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

/** Last sequence of the batch at `buf[pos]`, -1 when it carries none. */
export function lastSequenceOf(buf: Buffer, pos = 0): number {
  const base = v2.baseSequence(buf, pos);
  return base === NO_SEQUENCE ? NO_SEQUENCE : incrementSequence(base, v2.lastOffsetDelta(buf, pos));
}

// ---------------------------------------------------------------------------------------------
// Entries

/** What is remembered of one appended batch. */
export interface BatchMetadata {
  readonly lastSeq: number;
  readonly lastOffset: bigint;
  /** lastOffset - firstOffset (= lastSeq - firstSeq). */
  readonly offsetDelta: number;
  /** The batch's max timestamp (the append time on LogAppendTime topics). */
  readonly timestamp: bigint;
}

export const firstSeqOf = (b: BatchMetadata): number => decrementSequence(b.lastSeq, b.offsetDelta);
export const firstOffsetOf = (b: BatchMetadata): bigint => b.lastOffset - BigInt(b.offsetDelta);

/** One producer's state in one partition. */
export class ProducerStateEntry {
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  readonly batches: BatchMetadata[] = [];

  constructor(
    readonly producerId: bigint,
    public producerEpoch = NO_PRODUCER_EPOCH,
    public coordinatorEpoch = -1,
    public lastTimestamp = -1n,
    /** First offset of the producer's open transaction, -1 if none. */
    public currentTxnFirstOffset = -1n,
  ) {}

  get isEmpty(): boolean {
    return this.batches.length === 0;
  }

  private get last(): BatchMetadata | undefined {
    return this.batches[this.batches.length - 1];
  }

  get firstSeq(): number {
    return this.batches.length === 0 ? NO_SEQUENCE : firstSeqOf(this.batches[0]);
  }

  get lastSeq(): number {
    return this.last?.lastSeq ?? NO_SEQUENCE;
  }

  get lastDataOffset(): bigint {
    return this.last?.lastOffset ?? -1n;
  }

  get lastOffsetDelta(): number {
    return this.last?.offsetDelta ?? 0;
  }

  /** A new epoch forgets the batches of the old one. Returns whether the epoch changed. */
  maybeUpdateProducerEpoch(epoch: number): boolean {
    if (this.producerEpoch === epoch) return false;
    this.batches.length = 0;
    this.producerEpoch = epoch;
    return true;
  }

  addBatch(epoch: number, lastSeq: number, lastOffset: bigint, offsetDelta: number, timestamp: bigint): void {
    this.maybeUpdateProducerEpoch(epoch);
    if (this.batches.length === NUM_BATCHES_TO_RETAIN) this.batches.shift();
    this.batches.push({ lastSeq, lastOffset, offsetDelta, timestamp });
    this.lastTimestamp = timestamp;
  }

  /** The cached batch a retry with this epoch and sequence range duplicates, if any. */
  findDuplicateBatch(epoch: number, firstSeq: number, lastSeq: number): BatchMetadata | null {
    if (epoch !== this.producerEpoch) return null;
    for (const b of this.batches) if (b.lastSeq === lastSeq && firstSeqOf(b) === firstSeq) return b;
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Snapshot files (storage-format.md §3)

export class CorruptSnapshotError extends Error {
  override readonly name = 'CorruptSnapshotException';
}

export function snapshotFile(dir: string, offset: bigint): string {
  return path.join(dir, filenamePrefixFromOffset(offset) + PRODUCER_SNAPSHOT_FILE_SUFFIX);
}

/** Kafka's snapshot file content for these entries (entries by ascending producer id). */
export function encodeSnapshot(entries: Iterable<ProducerStateEntry>): Buffer {
  const list = [...entries].sort((a, b) => (a.producerId < b.producerId ? -1 : 1));
  const buf = Buffer.alloc(SNAPSHOT_HEADER_SIZE + list.length * SNAPSHOT_ENTRY_SIZE);
  buf.writeInt16BE(SNAPSHOT_VERSION, 0);
  buf.writeInt32BE(list.length, SNAPSHOT_ENTRIES_OFFSET);
  let o = SNAPSHOT_HEADER_SIZE;
  for (const e of list) {
    o = buf.writeBigInt64BE(e.producerId, o);
    o = buf.writeInt16BE(e.producerEpoch, o);
    o = buf.writeInt32BE(e.lastSeq, o);
    o = buf.writeBigInt64BE(e.lastDataOffset, o);
    o = buf.writeInt32BE(e.lastOffsetDelta, o);
    o = buf.writeBigInt64BE(e.lastTimestamp, o);
    o = buf.writeInt32BE(e.coordinatorEpoch, o);
    o = buf.writeBigInt64BE(e.currentTxnFirstOffset < 0n ? -1n : e.currentTxnFirstOffset, o);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET)), SNAPSHOT_CRC_OFFSET);
  return buf;
}

/** Parses a snapshot; only the last batch of each producer survives (lastOffset < 0: none). */
export function decodeSnapshot(buf: Buffer): ProducerStateEntry[] {
  if (buf.length < SNAPSHOT_HEADER_SIZE)
    throw new CorruptSnapshotError('Snapshot failed schema validation: buffer too short');
  const version = buf.readInt16BE(0);
  if (version !== SNAPSHOT_VERSION)
    throw new CorruptSnapshotError(`Snapshot contained an unknown file version ${version}`);
  const stored = buf.readUInt32BE(SNAPSHOT_CRC_OFFSET);
  const computed = crc32c(buf.subarray(SNAPSHOT_ENTRIES_OFFSET));
  if (stored !== computed)
    throw new CorruptSnapshotError(
      `Snapshot is corrupt (CRC is no longer valid). Stored crc: ${stored}. Computed crc: ${computed}`,
    );
  const count = buf.readInt32BE(SNAPSHOT_ENTRIES_OFFSET);
  if (count < 0 || SNAPSHOT_HEADER_SIZE + count * SNAPSHOT_ENTRY_SIZE > buf.length)
    throw new CorruptSnapshotError(
      `Snapshot failed schema validation: Error reading array of size ${count}, only ${buf.length - SNAPSHOT_HEADER_SIZE} bytes available`,
    );
  const out: ProducerStateEntry[] = [];
  let o = SNAPSHOT_HEADER_SIZE;
  for (let i = 0; i < count; i++, o += SNAPSHOT_ENTRY_SIZE) {
    const producerId = buf.readBigInt64BE(o);
    const epoch = buf.readInt16BE(o + 8);
    const lastSeq = buf.readInt32BE(o + 10);
    const lastOffset = buf.readBigInt64BE(o + 14);
    const offsetDelta = buf.readInt32BE(o + 22);
    const timestamp = buf.readBigInt64BE(o + 26);
    const coordinatorEpoch = buf.readInt32BE(o + 34);
    const txnFirst = buf.readBigInt64BE(o + 38);
    const entry = new ProducerStateEntry(
      producerId,
      epoch,
      coordinatorEpoch,
      timestamp,
      txnFirst >= 0n ? txnFirst : -1n,
    );
    if (lastOffset >= 0n) entry.batches.push({ lastSeq, lastOffset, offsetDelta, timestamp });
    out.push(entry);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Leader-side checks

export type AppendOrigin = 'client' | 'coordinator';

export type ProducerAppendCheck =
  | { readonly kind: 'ok' }
  /** A retry of a batch already in the log: answer with its offsets, append nothing. */
  | { readonly kind: 'duplicate'; readonly batch: BatchMetadata }
  | {
      readonly kind: 'error';
      readonly errorCode: number;
      /** Kafka's exception class, for the log line. */
      readonly exception: string;
      readonly message: string;
    };

const OK: ProducerAppendCheck = { kind: 'ok' };

/** What a request's earlier batches already did to a producer (Kafka's ProducerAppendInfo). */
interface PendingProducer {
  epoch: number;
  /** Last sequence appended by this request, null before its first batch. */
  lastSeq: number | null;
  txnOpen: boolean;
}

// ---------------------------------------------------------------------------------------------
// The manager

export interface ProducerStateManagerOptions {
  /** The partition directory (holds the `.snapshot` files). */
  readonly dir: string;
  /** `<topic>-<partition>`, for messages. */
  readonly topicPartition: string;
  readonly producerIdExpirationMs?: number;
  readonly time?: Time;
}

export class ProducerStateManager {
  dir: string;
  readonly topicPartition: string;
  readonly producerIdExpirationMs: number;
  private readonly time: Time;
  private readonly logger: Logger;
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  /** Offsets of the `.snapshot` files on disk, ascending. */
  private snapshots: bigint[];
  /** The state covers the log up to here (exclusive). */
  private lastMapOffset = 0n;
  private lastSnapOffset = 0n;

  constructor(opts: ProducerStateManagerOptions) {
    this.dir = opts.dir;
    this.topicPartition = opts.topicPartition;
    this.producerIdExpirationMs = opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS;
    this.time = opts.time ?? SystemTime;
    this.logger = getLogger(
      'org.apache.kafka.storage.internals.log.ProducerStateManager',
      `[ProducerStateManager partition=${opts.topicPartition}]`,
    );
    this.snapshots = this.listSnapshots();
  }

  /** End offset (exclusive) of the log the state reflects. */
  get mapEndOffset(): bigint {
    return this.lastMapOffset;
  }

  get isEmpty(): boolean {
    return this.producers.size === 0;
  }

  /** Producer id → state (read only). */
  get activeProducers(): ReadonlyMap<bigint, ProducerStateEntry> {
    return this.producers;
  }

  lastEntry(producerId: bigint): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  updateMapEndOffset(offset: bigint): void {
    this.lastMapOffset = offset;
  }

  // -------------------------------------------------------------------------------------------
  // Appends

  /**
   * The leader's producer checks for records whose offsets are about to be assigned from
   * `nextOffset` (record-format.md §4.4). Does not change any state.
   */
  checkAppend(records: Buffer, origin: AppendOrigin, nextOffset: bigint): ProducerAppendCheck {
    let pending: Map<bigint, PendingProducer> | null = null;
    let offset = nextOffset;
    let pos = 0;
    while (records.length - pos >= v2.RECORD_BATCH_OVERHEAD) {
      const size = v2.sizeInBytes(records, pos);
      if (size < v2.RECORD_BATCH_OVERHEAD || pos + size > records.length) break;
      if (records.readInt8(pos + v2.MAGIC_OFFSET) === 2) {
        if (records.readInt32BE(pos + v2.PRODUCER_ID_OFFSET) >= 0) {
          pending ??= new Map();
          const r = this.checkBatch(records, pos, origin, offset, pending);
          if (r !== OK) return r;
        }
        offset += BigInt(v2.recordsCount(records, pos));
      }
      pos += size;
    }
    return OK;
  }

  private checkBatch(
    b: Buffer,
    pos: number,
    origin: AppendOrigin,
    offset: bigint,
    pending: Map<bigint, PendingProducer>,
  ): ProducerAppendCheck {
    const producerId = v2.producerId(b, pos);
    const epoch = v2.producerEpoch(b, pos);
    const firstSeq = v2.baseSequence(b, pos);
    const lastSeq = lastSequenceOf(b, pos);
    const current = this.producers.get(producerId);
    if (origin === 'client' && current) {
      const duplicate = current.findDuplicateBatch(epoch, firstSeq, lastSeq);
      if (duplicate) return { kind: 'duplicate', batch: duplicate };
    }
    let p = pending.get(producerId);
    if (!p) {
      p = {
        epoch: current?.producerEpoch ?? NO_PRODUCER_EPOCH,
        lastSeq: null,
        txnOpen: (current?.currentTxnFirstOffset ?? -1n) >= 0n,
      };
      pending.set(producerId, p);
    }
    if (epoch < p.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        exception: 'org.apache.kafka.common.errors.InvalidProducerEpochException',
        message: `Epoch of producer ${producerId} at offset ${offset} in ${this.topicPartition} is ${epoch}, which is smaller than the last seen epoch ${p.epoch}`,
      };
    }
    if (v2.isControlBatch(b, pos)) {
      // A transaction marker (coordinator origin): closes the producer's transaction.
      if (epoch !== p.epoch) p.lastSeq = null;
      p.epoch = epoch;
      p.txnOpen = false;
      return OK;
    }
    if (origin === 'client') {
      const currentEpoch = current?.producerEpoch ?? NO_PRODUCER_EPOCH;
      if (epoch !== p.epoch) {
        if (firstSeq !== 0 && p.epoch !== NO_PRODUCER_EPOCH) {
          return outOfOrder(
            `Invalid sequence number for new epoch of producer ${producerId}at offset ${offset} in partition ${this.topicPartition}: ${epoch} (request epoch), ${firstSeq} (seq. number), ${p.epoch} (current producer epoch)`,
          );
        }
      } else {
        const currentLastSeq =
          p.lastSeq !== null
            ? p.lastSeq
            : current && epoch === current.producerEpoch
              ? current.lastSeq
              : NO_SEQUENCE;
        if (!(currentEpoch === NO_PRODUCER_EPOCH || inSequence(currentLastSeq, firstSeq))) {
          return outOfOrder(
            `Out of order sequence number for producer ${producerId} at offset ${offset} in partition ${this.topicPartition}: ${firstSeq} (incoming seq. number), ${currentLastSeq} (current end sequence number)`,
          );
        }
      }
    }
    const transactional = v2.isTransactional(b, pos);
    if (p.txnOpen && !transactional) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_TXN_STATE,
        exception: 'org.apache.kafka.common.errors.InvalidTxnStateException',
        message: `Expected transactional write from producer ${producerId} at offset ${offset} in partition ${this.topicPartition}`,
      };
    }
    if (transactional) p.txnOpen = true;
    p.epoch = epoch;
    p.lastSeq = lastSeq;
    return OK;
  }

  /**
   * Records the batches of an append (leader after its checks, follower, or log replay) and
   * moves the end of the state to `endOffset`. A stale epoch here is only logged, as Kafka does
   * for replication.
   */
  onAppend(records: Buffer, endOffset: bigint): void {
    let pos = 0;
    while (records.length - pos >= MIN_BATCH_SIZE) {
      const size = v2.sizeInBytes(records, pos);
      if (size < MIN_BATCH_SIZE || pos + size > records.length) break;
      if (
        size >= v2.RECORD_BATCH_OVERHEAD &&
        records.readInt8(pos + v2.MAGIC_OFFSET) === 2 &&
        records.readInt32BE(pos + v2.PRODUCER_ID_OFFSET) >= 0
      )
        this.applyBatch(records, pos);
      pos += size;
    }
    this.lastMapOffset = endOffset;
  }

  /** Applies the header of one v2 batch with a producer id (at `b[pos]`, ≥ 61 bytes). */
  private applyBatch(b: Buffer, pos: number): void {
    const producerId = v2.producerId(b, pos);
    const epoch = v2.producerEpoch(b, pos);
    const baseOffset = v2.baseOffset(b, pos);
    const timestamp = v2.maxTimestamp(b, pos);
    let entry = this.producers.get(producerId);
    if (!entry) {
      entry = new ProducerStateEntry(producerId);
      this.producers.set(producerId, entry);
    } else if (epoch < entry.producerEpoch) {
      this.logger.warn(
        `Epoch of producer ${producerId} at offset ${baseOffset} in ${this.topicPartition} is ${epoch}, which is smaller than the last seen epoch ${entry.producerEpoch}`,
      );
    }
    if (v2.isControlBatch(b, pos)) {
      entry.maybeUpdateProducerEpoch(epoch);
      entry.currentTxnFirstOffset = -1n;
      entry.lastTimestamp = timestamp;
      return;
    }
    const delta = v2.lastOffsetDelta(b, pos);
    entry.addBatch(epoch, lastSequenceOf(b, pos), baseOffset + BigInt(delta), delta, timestamp);
    if (v2.isTransactional(b, pos) && entry.currentTxnFirstOffset < 0n)
      entry.currentTxnFirstOffset = baseOffset;
  }

  /**
   * Replays the producer batches of `segment` from the batch holding `startOffset` up to (not
   * including) the batch holding `endOffset`, reading headers only.
   */
  loadFromSegment(segment: LogSegment, startOffset: bigint, endOffset: bigint): void {
    const start = segment.translateOffset(startOffset);
    if (start === null) return;
    const it = segment.log.batches(start.position, SCAN_CHUNK);
    for (let h = it.next(); h !== null; h = it.next()) {
      if (h.lastOffset >= endOffset) break;
      if (h.magic !== 2) continue;
      const header =
        h.sizeInBytes <= SCAN_CHUNK
          ? it.batchBytes(h)
          : segment.log.read(h.position, v2.RECORD_BATCH_OVERHEAD);
      if (header.length < v2.RECORD_BATCH_OVERHEAD) break;
      if (header.readInt32BE(v2.PRODUCER_ID_OFFSET) >= 0) this.applyBatch(header, 0);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Expiration, truncation, log start

  private isProducerExpired(now: number, entry: ProducerStateEntry): boolean {
    return (
      entry.currentTxnFirstOffset < 0n && BigInt(now) - entry.lastTimestamp >= this.producerIdExpirationMs
    );
  }

  /** Forgets producers idle for producer.id.expiration.ms (none with an open transaction). */
  removeExpiredProducers(now: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (this.isProducerExpired(now, entry)) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  onLogStartOffsetIncremented(logStartOffset: bigint): void {
    if (this.lastMapOffset < logStartOffset) this.lastMapOffset = logStartOffset;
    this.lastSnapOffset = this.latestSnapshotOffset() ?? logStartOffset;
  }

  /** Empties the state and every snapshot; the log restarts at `offset`. */
  truncateFullyAndStartAt(offset: bigint): void {
    this.producers.clear();
    for (const s of this.snapshots.slice()) this.removeAndDeleteSnapshot(s);
    this.lastSnapOffset = 0n;
    this.lastMapOffset = offset;
  }

  /**
   * Drops snapshots outside (logStartOffset, logEndOffset] and, unless the state already ends
   * at logEndOffset, reloads it from the latest remaining snapshot (or empty at the log start).
   */
  truncateAndReload(logStartOffset: bigint, logEndOffset: bigint, now: number): void {
    for (const s of this.snapshots.slice())
      if (s > logEndOffset || s <= logStartOffset) this.removeAndDeleteSnapshot(s);
    if (logEndOffset !== this.lastMapOffset) {
      this.producers.clear();
      this.loadFromSnapshot(logStartOffset, now);
    } else {
      this.onLogStartOffsetIncremented(logStartOffset);
    }
  }

  private loadFromSnapshot(logStartOffset: bigint, now: number): void {
    for (;;) {
      const latest = this.latestSnapshotOffset();
      if (latest === null) {
        this.lastSnapOffset = logStartOffset;
        this.lastMapOffset = logStartOffset;
        return;
      }
      const file = snapshotFile(this.dir, latest);
      try {
        this.logger.info(`Loading producer state from snapshot file '${file}'`);
        for (const entry of decodeSnapshot(fs.readFileSync(file)))
          if (!this.isProducerExpired(now, entry)) this.producers.set(entry.producerId, entry);
        this.lastSnapOffset = latest;
        this.lastMapOffset = latest;
        return;
      } catch (e) {
        if (!(e instanceof CorruptSnapshotError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.logger.warn(`Failed to load producer snapshot from '${file}': ${(e as Error).message}`);
        this.removeAndDeleteSnapshot(latest);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots

  private listSnapshots(): bigint[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const offsets: bigint[] = [];
    for (const n of names) {
      if (!n.endsWith(PRODUCER_SNAPSHOT_FILE_SUFFIX)) continue;
      const o = offsetFromFileName(n);
      if (o !== null) offsets.push(o);
    }
    return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Offsets of the snapshot files, ascending. */
  snapshotOffsets(): bigint[] {
    return this.snapshots.slice();
  }

  latestSnapshotOffset(): bigint | null {
    return this.snapshots.length > 0 ? this.snapshots[this.snapshots.length - 1] : null;
  }

  oldestSnapshotOffset(): bigint | null {
    return this.snapshots.length > 0 ? this.snapshots[0] : null;
  }

  /**
   * Writes `<mapEndOffset>.snapshot` unless the state did not move since the last one.
   * Returns the file written, or null.
   */
  takeSnapshot(sync = true): string | null {
    if (this.lastMapOffset <= this.lastSnapOffset) return null;
    const start = Date.now();
    const file = snapshotFile(this.dir, this.lastMapOffset);
    const data = encodeSnapshot(this.producers.values());
    const fd = fs.openSync(file, 'w');
    try {
      let written = 0;
      while (written < data.length) written += fs.writeSync(fd, data, written, data.length - written);
      if (sync) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    this.logger.info(
      `Wrote producer snapshot at offset ${this.lastMapOffset} with ${this.producers.size} producer ids in ${Date.now() - start} ms.`,
    );
    const offset = this.lastMapOffset;
    if (!this.snapshots.includes(offset)) {
      this.snapshots.push(offset);
      this.snapshots.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    }
    this.lastSnapOffset = offset;
    return file;
  }

  /**
   * Deletes snapshots that belong to no segment (a crash between writing a snapshot and rolling,
   * or a deletion that was interrupted), except the latest one when it is above every segment.
   */
  removeStraySnapshots(segmentBaseOffsets: readonly bigint[]): void {
    const bases = new Set(segmentBaseOffsets);
    let maxBase: bigint | null = null;
    for (const b of segmentBaseOffsets) if (maxBase === null || b > maxBase) maxBase = b;
    this.snapshots = this.listSnapshots();
    let latestStray: bigint | null = null;
    for (const s of this.snapshots.slice()) {
      if (bases.has(s)) continue;
      if (latestStray !== null) this.removeAndDeleteSnapshot(latestStray);
      latestStray = s;
    }
    if (latestStray !== null && maxBase !== null && latestStray < maxBase)
      this.removeAndDeleteSnapshot(latestStray);
  }

  /** Deletes every snapshot below `offset`. */
  deleteSnapshotsBefore(offset: bigint): void {
    for (const s of this.snapshots.slice()) if (s < offset) this.removeAndDeleteSnapshot(s);
  }

  private removeAndDeleteSnapshot(offset: bigint): void {
    this.snapshots = this.snapshots.filter((s) => s !== offset);
    const file = snapshotFile(this.dir, offset);
    try {
      fs.unlinkSync(file);
      this.logger.info(`Deleted producer state snapshot ${file}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  /**
   * Forgets the snapshot at `offset` and renames it to `*.snapshot.deleted` (deleted later with
   * its segment). Returns the renamed file, or null when there is none.
   */
  removeAndMarkSnapshotForDeletion(offset: bigint): string | null {
    if (!this.snapshots.includes(offset)) return null;
    this.snapshots = this.snapshots.filter((s) => s !== offset);
    const file = snapshotFile(this.dir, offset);
    try {
      fs.renameSync(file, file + DELETED_FILE_SUFFIX);
      return file + DELETED_FILE_SUFFIX;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.logger.info(
        `Failed to rename producer state snapshot ${file} with deletion suffix because it was already deleted`,
      );
      return null;
    }
  }
}

function outOfOrder(message: string): ProducerAppendCheck {
  return {
    kind: 'error',
    errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    exception: 'org.apache.kafka.common.errors.OutOfOrderSequenceException',
    message,
  };
}

// ---------------------------------------------------------------------------------------------
// Rebuild (Kafka's UnifiedLog.rebuildProducerState)

/**
 * Rebuilds `psm` for a log whose segments are `segments` so that it reflects everything below
 * `lastOffset`: the latest snapshot at or below it, then the headers of the batches after it
 * (taking snapshots at the last two segment bases on the way), and a snapshot at lastOffset.
 * After a clean shutdown without any snapshot (a log written before producer state existed)
 * nothing is scanned: empty snapshots are written instead, as Kafka does after an upgrade.
 */
export function rebuildProducerState(
  psm: ProducerStateManager,
  segments: readonly LogSegment[],
  logStartOffset: bigint,
  lastOffset: bigint,
  now: number,
  reloadFromCleanShutdown: boolean,
  logger: Logger,
): void {
  const offsetsToSnapshot: bigint[] = [];
  if (segments.length > 1) offsetsToSnapshot.push(segments[segments.length - 2].baseOffset);
  if (segments.length > 0) offsetsToSnapshot.push(segments[segments.length - 1].baseOffset);
  offsetsToSnapshot.push(lastOffset);
  logger.info(`Loading producer state till offset ${lastOffset}`);
  if (psm.latestSnapshotOffset() === null && reloadFromCleanShutdown) {
    for (const offset of offsetsToSnapshot) {
      psm.updateMapEndOffset(offset);
      psm.takeSnapshot();
    }
    return;
  }
  logger.info(`Reloading from producer snapshot and rebuilding producer state from offset ${lastOffset}`);
  const isEmptyBeforeTruncation = psm.isEmpty && psm.mapEndOffset >= lastOffset;
  const loadStart = Date.now();
  psm.truncateAndReload(logStartOffset, lastOffset, now);
  const recoveryStart = Date.now();
  if (lastOffset > psm.mapEndOffset && !isEmptyBeforeTruncation) {
    const from = psm.mapEndOffset;
    let first = 0;
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= from) first = i;
    for (let i = first; i < segments.length && segments[i].baseOffset < lastOffset; i++) {
      const segment = segments[i];
      let startOffset = segment.baseOffset;
      if (psm.mapEndOffset > startOffset) startOffset = psm.mapEndOffset;
      if (logStartOffset > startOffset) startOffset = logStartOffset;
      psm.updateMapEndOffset(startOffset);
      if (offsetsToSnapshot.includes(segment.baseOffset)) psm.takeSnapshot();
      psm.loadFromSegment(segment, startOffset, lastOffset);
    }
  }
  psm.updateMapEndOffset(lastOffset);
  psm.takeSnapshot();
  logger.info(
    `Producer state recovery took ${recoveryStart - loadStart}ms for snapshot load and ${Date.now() - recoveryStart}ms for segment recovery from offset ${lastOffset}`,
  );
}

// ---------------------------------------------------------------------------------------------
// The produce path's hook

/** Shaped like the partition's AppendResult, so the leader can return it as is. */
export interface ProducerAppendShortCircuit {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
}

interface LogWithProducerState {
  readonly producerStateManager: ProducerStateManager;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
}

/**
 * The leader's producer-state check for validated records about to get offsets from the log
 * end: null to go on and append; otherwise the produce answer — success with the original
 * offsets (and the cached batch timestamp as log_append_time) for a duplicate, or the error
 * (no offsets, the log start offset, as Kafka answers an append that threw).
 */
export function checkProducerAppend(
  log: LogWithProducerState,
  records: Buffer,
  origin: AppendOrigin,
  brokerId: number,
): ProducerAppendShortCircuit | null {
  const psm = log.producerStateManager;
  const r = psm.checkAppend(records, origin, log.logEndOffset);
  if (r.kind === 'ok') return null;
  if (r.kind === 'duplicate') {
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      baseOffset: firstOffsetOf(r.batch),
      lastOffset: r.batch.lastOffset,
      logAppendTime: r.batch.timestamp,
      logStartOffset: log.logStartOffset,
    };
  }
  const logger = getLogger('kafka.server.ReplicaManager', `[ReplicaManager broker=${brokerId}]`);
  const line = `Error processing append operation on partition ${psm.topicPartition}\n${r.exception}: ${r.message}`;
  if (r.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) logger.info(line);
  else logger.error(line);
  return {
    errorCode: r.errorCode,
    errorMessage: null,
    recordErrors: [],
    baseOffset: -1n,
    lastOffset: -1n,
    logAppendTime: -1n,
    logStartOffset: log.logStartOffset,
  };
}
