// One segment of a partition log (Kafka's LogSegment): the .log file of batches starting at
// `baseOffset` plus its sparse offset and time indexes. Only the last (active) segment of a log
// takes appends. Batches are stored and served exactly as received: reads hand out byte regions
// of the file located through the index plus a scan of batch headers, never decoded records.

import * as fs from 'fs';
import * as path from 'path';
import { checkBatchCrc } from './batch-headers';
import { CorruptIndexError, LogSegmentOffsetOverflowError } from './errors';
import { FileRecords, FileRegion } from './file-records';
import { LeaderEpochFileCache } from './leader-epoch-cache';
import { LogConfig } from './log-config';
import { logFile, offsetIndexFile, timeIndexFile, transactionIndexFile } from './log-file-names';
import { OffsetIndex } from './offset-index';
import { RecordsDecompressor, scanRecordTimestamps } from './record-timestamps';
import { TimeIndex, TimestampOffset } from './time-index';
import { Time } from './time';
import { getLogger } from '../utils/logger';

const INT32_MAX = 0x7fffffffn;
/** Read size when recovery walks a whole segment (few syscalls for many small batches). */
const RECOVERY_READ_CHUNK = 1024 * 1024;
/** Read size for header scans after an index lookup (about one index interval). */
const SCAN_READ_CHUNK = 8 * 1024;

const logger = getLogger('org.apache.kafka.storage.internals.log.LogSegment');

/** A position in the log: offset, the segment holding it and its byte position there. */
export interface LogOffsetMetadata {
  readonly messageOffset: bigint;
  readonly segmentBaseOffset: bigint;
  readonly relativePositionInSegment: number;
}

/** The batch that contains an offset: its last offset, file position and size. */
export interface LogOffsetPosition {
  readonly offset: bigint;
  readonly position: number;
  readonly size: number;
}

export interface SegmentReadResult {
  readonly fetchOffsetMetadata: LogOffsetMetadata;
  /** Bytes to send; length 0 when nothing may be returned. */
  readonly region: FileRegion;
  /** The first batch is larger than what is returned (only possible without minOneMessage). */
  readonly firstEntryIncomplete: boolean;
}

export interface RollParams {
  readonly maxSegmentMs: number;
  readonly maxSegmentBytes: number;
  readonly maxTimestampInMessages: bigint;
  readonly maxOffsetInMessages: bigint;
  readonly messagesSize: number;
  readonly now: number;
}

export interface TimestampAndOffset {
  readonly timestamp: bigint;
  readonly offset: bigint;
  /** Leader epoch of the batch holding the record, -1 if unknown (wire convention). */
  readonly leaderEpoch: number;
}

export interface LogSegmentOpenOptions {
  /** Open existing files (true) or create new ones (false, the default). */
  readonly fileAlreadyExists?: boolean;
  /** File-name suffix, e.g. '.swap' or '.deleted'. */
  readonly fileSuffix?: string;
  readonly rollJitterMs?: number;
}

export class LogSegment {
  readonly baseOffset: bigint;
  readonly log: FileRecords;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly indexIntervalBytes: number;
  readonly rollJitterMs: number;

  private readonly time: Time;
  private txnIndexPath: string;
  private bytesSinceLastIndexEntry = 0;
  /** Max timestamp of the first batch (time-based roll); undefined = not read yet, -1 = none. */
  private rollingBasedTimestamp: bigint | undefined;
  /** Largest timestamp in the segment and the last offset of its batch; null = not loaded yet. */
  private maxTimestampSoFarValue: bigint | null = null;
  private offsetOfMaxTimestampSoFarValue = -1n;
  private created: number;
  private indexesChecked = false;

  private constructor(
    log: FileRecords,
    offsetIndex: OffsetIndex,
    timeIndex: TimeIndex,
    txnIndexPath: string,
    baseOffset: bigint,
    indexIntervalBytes: number,
    rollJitterMs: number,
    time: Time,
    fresh: boolean,
  ) {
    this.log = log;
    this.offsetIndex = offsetIndex;
    this.timeIndex = timeIndex;
    this.txnIndexPath = txnIndexPath;
    this.baseOffset = baseOffset;
    this.indexIntervalBytes = indexIntervalBytes;
    this.rollJitterMs = rollJitterMs;
    this.time = time;
    this.created = time.milliseconds();
    if (fresh) {
      this.indexesChecked = true;
      this.maxTimestampSoFarValue = -1n;
    }
  }

  /** Opens the segment at `baseOffset` in `dir` (creating its files unless fileAlreadyExists). */
  static open(
    dir: string,
    baseOffset: bigint,
    config: LogConfig,
    time: Time,
    opts: LogSegmentOpenOptions = {},
  ): LogSegment {
    const suffix = opts.fileSuffix ?? '';
    const exists = opts.fileAlreadyExists ?? false;
    if (!exists) {
      // A new segment starts empty: stale index files under its name would be taken as its own.
      for (const f of [offsetIndexFile(dir, baseOffset, suffix), timeIndexFile(dir, baseOffset, suffix)]) {
        try {
          fs.unlinkSync(f);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
    }
    const log = FileRecords.open(
      logFile(dir, baseOffset, suffix),
      exists,
      config.initFileSize,
      config.preallocate,
    );
    const offsetIndex = new OffsetIndex(
      offsetIndexFile(dir, baseOffset, suffix),
      baseOffset,
      config.segmentIndexBytes,
    );
    const timeIndex = new TimeIndex(
      timeIndexFile(dir, baseOffset, suffix),
      baseOffset,
      config.segmentIndexBytes,
    );
    return new LogSegment(
      log,
      offsetIndex,
      timeIndex,
      transactionIndexFile(dir, baseOffset, suffix),
      baseOffset,
      config.indexIntervalBytes,
      opts.rollJitterMs ?? config.randomSegmentJitter(),
      time,
      !exists,
    );
  }

  /** Bytes of batches in the .log file. */
  get size(): number {
    return this.log.sizeInBytes;
  }

  toString(): string {
    return `LogSegment(baseOffset=${this.baseOffset}, size=${this.size})`;
  }

  canConvertToRelativeOffset(offset: bigint): boolean {
    const rel = offset - this.baseOffset;
    return rel >= 0n && rel <= INT32_MAX;
  }

  private ensureOffsetInRange(offset: bigint): void {
    if (!this.canConvertToRelativeOffset(offset)) {
      throw new LogSegmentOffsetOverflowError(
        `Detected offset overflow at offset ${offset} in segment ${this.log.path} with base offset ${this.baseOffset}`,
      );
    }
  }

  /**
   * Loads and sanity-checks the indexes the first time they are needed; a corrupt index is
   * rebuilt from the .log file (data is never dropped on this path).
   */
  private checkIndexes(): void {
    if (this.indexesChecked) return;
    this.indexesChecked = true;
    try {
      this.offsetIndex.load();
      this.offsetIndex.checkPositions(this.size);
      this.timeIndex.load();
    } catch (e) {
      if (!(e instanceof CorruptIndexError)) throw e;
      logger.warn(`${e.message} Rebuilding the index files of ${this.log.path} from the log.`);
      this.rebuildIndexes();
    }
  }

  get maxTimestampSoFar(): bigint {
    this.loadMaxTimestamp();
    return this.maxTimestampSoFarValue!;
  }

  get offsetOfMaxTimestampSoFar(): bigint {
    this.loadMaxTimestamp();
    return this.offsetOfMaxTimestampSoFarValue;
  }

  /** The max timestamp and its offset; for an existing segment, the time index's last entry. */
  readMaxTimestampAndOffsetSoFar(): TimestampOffset {
    return { timestamp: this.maxTimestampSoFar, offset: this.offsetOfMaxTimestampSoFar };
  }

  private loadMaxTimestamp(): void {
    if (this.maxTimestampSoFarValue !== null) return;
    const last = this.timeIndex.lastEntry();
    this.maxTimestampSoFarValue = last.timestamp;
    this.offsetOfMaxTimestampSoFarValue = last.offset;
  }

  /**
   * Appends one or more whole batches. `largestOffset` is the last offset appended,
   * `largestTimestamp` the max timestamp among them and `shallowOffsetOfMaxTimestamp` the last
   * offset of the batch carrying it. Adds index entries every index.interval.bytes.
   */
  append(
    largestOffset: bigint,
    largestTimestamp: bigint,
    shallowOffsetOfMaxTimestamp: bigint,
    records: Buffer | readonly Buffer[],
    /** write-behind (FileRecords.appendDeferred): the caller awaits log.whenWritten() */
    deferWrite = false,
  ): void {
    const physicalPosition = this.log.sizeInBytes;
    if (physicalPosition === 0) this.rollingBasedTimestamp = largestTimestamp;
    this.ensureOffsetInRange(largestOffset);
    this.checkIndexes();
    const appended = deferWrite ? this.log.appendDeferred(records) : this.log.append(records);
    if (appended === 0) return;
    if (largestTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFarValue = largestTimestamp;
      this.offsetOfMaxTimestampSoFarValue = shallowOffsetOfMaxTimestamp;
    }
    if (this.bytesSinceLastIndexEntry > this.indexIntervalBytes) {
      this.offsetIndex.append(largestOffset, physicalPosition);
      this.timeIndex.maybeAppend(this.maxTimestampSoFarValue!, this.offsetOfMaxTimestampSoFarValue);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += appended;
  }

  /**
   * The batch holding `offset` (first batch whose last offset >= offset) at or after
   * `startingFilePosition`, or null if the segment has none.
   */
  translateOffset(offset: bigint, startingFilePosition = 0): LogOffsetPosition | null {
    this.checkIndexes();
    const mapping = this.offsetIndex.lookup(offset);
    const it = this.log.batches(Math.max(mapping.position, startingFilePosition), SCAN_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      if (b.lastOffset >= offset) return { offset: b.lastOffset, position: b.position, size: b.sizeInBytes };
    }
    return null;
  }

  /**
   * Up to `maxSize` bytes starting at the batch containing `startOffset`, not past byte
   * `maxPosition` (null = the upper bound is not in this segment: return nothing). With
   * `minOneMessage` the first batch is returned whole even if larger than maxSize (KIP-74).
   * Null when the segment has no batch at/after startOffset.
   */
  read(
    startOffset: bigint,
    maxSize: number,
    maxPosition: number | null,
    minOneMessage: boolean,
  ): SegmentReadResult | null {
    if (maxSize < 0)
      throw new RangeError(`Invalid max size ${maxSize} for log read from segment ${this.log.path}`);
    const start = this.translateOffset(startOffset);
    if (start === null) return null;
    const fetchOffsetMetadata: LogOffsetMetadata = {
      messageOffset: startOffset,
      segmentBaseOffset: this.baseOffset,
      relativePositionInSegment: start.position,
    };
    const adjustedMaxSize = minOneMessage ? Math.max(maxSize, start.size) : maxSize;
    if (adjustedMaxSize === 0 || maxPosition === null) {
      return { fetchOffsetMetadata, region: this.log.slice(start.position, 0), firstEntryIncomplete: false };
    }
    const fetchSize = Math.max(0, Math.min(maxPosition - start.position, adjustedMaxSize));
    return {
      fetchOffsetMetadata,
      region: this.log.slice(start.position, fetchSize),
      firstEntryIncomplete: adjustedMaxSize < start.size,
    };
  }

  /** Offset after the last batch (baseOffset when empty). */
  readNextOffset(): bigint {
    this.checkIndexes();
    const it = this.log.batches(
      this.offsetIndex.lookup(this.offsetIndex.lastOffset).position,
      SCAN_READ_CHUNK,
    );
    let next = this.baseOffset;
    for (let b = it.next(); b !== null; b = it.next()) next = b.lastOffset + 1n;
    return next;
  }

  /**
   * Validates every batch (framing, magic, CRC), rebuilds both indexes and the epoch cache
   * entries, and cuts the file after the last valid batch. Returns the bytes removed.
   */
  recover(leaderEpochCache: LeaderEpochFileCache | null): number {
    this.indexesChecked = true;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    let validBytes = 0;
    let lastIndexEntry = 0;
    let maxTimestamp = -1n;
    let offsetOfMaxTimestamp = -1n;
    let problem: string | null = null;
    const it = this.log.batches(0, RECOVERY_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      const bytes = it.batchBytes(b);
      const crcProblem =
        bytes.length === b.sizeInBytes ? checkBatchCrc(bytes, 0, b) : 'batch shorter than declared';
      if (crcProblem) {
        problem = crcProblem;
        break;
      }
      if (!this.canConvertToRelativeOffset(b.lastOffset)) {
        problem = `offset ${b.lastOffset} overflows the segment's relative offsets`;
        break;
      }
      if (b.maxTimestamp > maxTimestamp) {
        maxTimestamp = b.maxTimestamp;
        offsetOfMaxTimestamp = b.lastOffset;
      }
      if (validBytes - lastIndexEntry > this.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, validBytes);
        this.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
        lastIndexEntry = validBytes;
      }
      validBytes += b.sizeInBytes;
      if (b.magic >= 2 && leaderEpochCache && b.partitionLeaderEpoch >= 0) {
        const latest = leaderEpochCache.latestEpoch();
        if (latest === null || b.partitionLeaderEpoch > latest)
          leaderEpochCache.assign(b.partitionLeaderEpoch, b.baseOffset);
      }
    }
    if (problem === null && it.stop) problem = it.stop.reason;
    const truncated = this.log.sizeInBytes - validBytes;
    if (truncated > 0) {
      logger.warn(
        `Found invalid messages in log segment ${this.log.path} at byte offset ${validBytes}: ${problem ?? 'unknown'}. Truncating ${truncated} bytes.`,
      );
    }
    this.log.truncateTo(validBytes);
    this.maxTimestampSoFarValue = maxTimestamp;
    this.offsetOfMaxTimestampSoFarValue = offsetOfMaxTimestamp;
    this.rollingBasedTimestamp = undefined;
    this.bytesSinceLastIndexEntry = 0;
    this.offsetIndex.trimToValidSize();
    this.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp, true);
    this.timeIndex.trimToValidSize();
    return truncated;
  }

  /** Rebuilds both indexes from batch headers, without validating or truncating anything. */
  rebuildIndexes(): void {
    this.indexesChecked = true;
    const active = this.offsetIndex.maxEntries > this.offsetIndex.entries;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    let position = 0;
    let lastIndexEntry = 0;
    let maxTimestamp = -1n;
    let offsetOfMaxTimestamp = -1n;
    const it = this.log.batches(0, RECOVERY_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      if (!this.canConvertToRelativeOffset(b.lastOffset)) break;
      if (b.maxTimestamp > maxTimestamp) {
        maxTimestamp = b.maxTimestamp;
        offsetOfMaxTimestamp = b.lastOffset;
      }
      if (position - lastIndexEntry > this.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, position);
        this.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
        lastIndexEntry = position;
      }
      position += b.sizeInBytes;
    }
    this.maxTimestampSoFarValue = maxTimestamp;
    this.offsetOfMaxTimestampSoFarValue = offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = this.size - lastIndexEntry;
    if (!active) {
      this.offsetIndex.trimToValidSize();
      this.timeIndex.maybeAppend(maxTimestamp, offsetOfMaxTimestamp, true);
      this.timeIndex.trimToValidSize();
    }
  }

  /**
   * Removes every batch from the one holding `offset` on (so the log ends before `offset`, or
   * at the start of its batch). Returns the bytes removed. Indexes get their full size back:
   * a truncated segment becomes the active one.
   */
  truncateTo(offset: bigint): number {
    const mapping = this.translateOffset(offset);
    this.offsetIndex.truncateTo(offset);
    this.timeIndex.truncateTo(offset);
    this.offsetIndex.resize(this.offsetIndex.maxIndexSize);
    this.timeIndex.resize(this.timeIndex.maxIndexSize);
    const bytesTruncated = mapping === null ? 0 : this.log.truncateTo(mapping.position);
    if (this.log.sizeInBytes === 0) {
      this.created = this.time.milliseconds();
      this.rollingBasedTimestamp = undefined;
    }
    this.bytesSinceLastIndexEntry = 0;
    if (this.maxTimestampSoFar >= 0n) {
      const largest = this.readLargestTimestamp();
      this.maxTimestampSoFarValue = largest.timestamp;
      this.offsetOfMaxTimestampSoFarValue = largest.offset;
    }
    return bytesTruncated;
  }

  /** Max timestamp: the time index's last entry, or a later batch's if larger. */
  private readLargestTimestamp(): TimestampOffset {
    const lastEntry = this.timeIndex.lastEntry();
    const position = this.offsetIndex.lookup(lastEntry.offset).position;
    let best = lastEntry;
    const it = this.log.batches(position, SCAN_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      if (b.maxTimestamp > best.timestamp) best = { timestamp: b.maxTimestamp, offset: b.lastOffset };
    }
    return best;
  }

  /** Largest record timestamp, or the .log file's mtime when no batch has a timestamp. */
  get largestTimestamp(): number {
    const ts = this.maxTimestampSoFar;
    return ts >= 0n ? Number(ts) : this.lastModified;
  }

  get lastModified(): number {
    return this.log.lastModified();
  }

  /** How long this segment has been filling, for segment.ms: by record time when known. */
  timeWaitedForRoll(now: number, messageTimestamp: bigint): number {
    if (this.rollingBasedTimestamp === undefined) {
      const first = this.log.batches(0, 128).next();
      this.rollingBasedTimestamp = first ? first.maxTimestamp : -1n;
    }
    const ts = this.rollingBasedTimestamp;
    return ts >= 0n ? Number(messageTimestamp - ts) : now - this.created;
  }

  shouldRoll(p: RollParams): boolean {
    const reachedRollMs =
      this.timeWaitedForRoll(p.now, p.maxTimestampInMessages) > p.maxSegmentMs - this.rollJitterMs;
    const size = this.size;
    return (
      size > p.maxSegmentBytes - p.messagesSize ||
      (size > 0 && reachedRollMs) ||
      this.offsetIndex.isFull() ||
      this.timeIndex.isFull() ||
      !this.canConvertToRelativeOffset(p.maxOffsetInMessages)
    );
  }

  /** This segment stops being the active one: final time entry, trimmed files. */
  onBecomeInactiveSegment(): void {
    this.checkIndexes();
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    this.offsetIndex.trimToValidSize();
    this.timeIndex.trimToValidSize();
    this.log.trim();
  }

  /** Gives the indexes `size` bytes of room again (the segment is or becomes the active one). */
  resizeIndexes(size: number): void {
    this.offsetIndex.resize(size);
    this.timeIndex.resize(size);
  }

  /**
   * First record with timestamp >= `timestamp` and offset >= `startingOffset`. Compressed
   * batches without a decompressor answer with the batch's max timestamp and first offset.
   */
  findOffsetByTimestamp(
    timestamp: bigint,
    startingOffset: bigint,
    decompress?: RecordsDecompressor,
  ): TimestampAndOffset | null {
    this.checkIndexes();
    const fromTimeIndex = this.timeIndex.lookup(timestamp);
    const from = fromTimeIndex.offset > startingOffset ? fromTimeIndex.offset : startingOffset;
    const position = this.offsetIndex.lookup(from).position;
    const it = this.log.batches(position, SCAN_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      if (b.maxTimestamp < timestamp || b.lastOffset < startingOffset) continue;
      const epoch = b.partitionLeaderEpoch >= 0 ? b.partitionLeaderEpoch : -1;
      let found: TimestampAndOffset | null = null;
      const outcome = scanRecordTimestamps(
        it.batchBytes(b),
        b,
        (offset, ts) => {
          if (ts >= timestamp && offset >= startingOffset) {
            found = { timestamp: ts, offset, leaderEpoch: epoch };
            return true;
          }
          return false;
        },
        decompress,
      );
      if (found) return found;
      if (outcome === 'unsupported') {
        const first = b.baseOffset > startingOffset ? b.baseOffset : startingOffset;
        return { timestamp: b.maxTimestamp, offset: first, leaderEpoch: epoch };
      }
    }
    return null;
  }

  /**
   * The record holding this segment's max timestamp (ListOffsets MAX_TIMESTAMP): first record
   * whose timestamp equals it in the batch that carried it.
   */
  findMaxTimestampRecord(decompress?: RecordsDecompressor): TimestampAndOffset | null {
    this.checkIndexes();
    const max = this.readMaxTimestampAndOffsetSoFar();
    if (max.timestamp < 0n) return null;
    const it = this.log.batches(this.offsetIndex.lookup(max.offset).position, SCAN_READ_CHUNK);
    for (let b = it.next(); b !== null; b = it.next()) {
      if (b.maxTimestamp !== max.timestamp) continue;
      const epoch = b.partitionLeaderEpoch >= 0 ? b.partitionLeaderEpoch : -1;
      let found: TimestampAndOffset | null = null;
      const outcome = scanRecordTimestamps(
        it.batchBytes(b),
        b,
        (offset, ts) => {
          if (ts === max.timestamp) {
            found = { timestamp: ts, offset, leaderEpoch: epoch };
            return true;
          }
          return false;
        },
        decompress,
      );
      if (found) return found;
      if (outcome === 'unsupported')
        return { timestamp: b.maxTimestamp, offset: b.baseOffset, leaderEpoch: epoch };
    }
    return null;
  }

  /** Writes index entries and fsyncs the segment files that changed. */
  flush(): void {
    this.log.flush();
    this.offsetIndex.flush();
    this.timeIndex.flush();
  }

  /** Same as flush(), with the fsyncs on the thread pool. */
  async flushAsync(): Promise<void> {
    await Promise.all([this.log.flushAsync(), this.offsetIndex.flushAsync(), this.timeIndex.flushAsync()]);
  }

  /** Renames every file of the segment from `oldSuffix` to `newSuffix` (e.g. '' → '.deleted'). */
  changeFileSuffixes(oldSuffix: string, newSuffix: string): void {
    const swap = (p: string): string =>
      (p.endsWith(oldSuffix) ? p.substring(0, p.length - oldSuffix.length) : p) + newSuffix;
    this.log.renameTo(swap(this.log.path));
    this.offsetIndex.renameTo(swap(this.offsetIndex.path));
    this.timeIndex.renameTo(swap(this.timeIndex.path));
    const txn = swap(this.txnIndexPath);
    try {
      fs.renameSync(this.txnIndexPath, txn);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.txnIndexPath = txn;
  }

  hasSuffix(suffix: string): boolean {
    return this.log.path.endsWith(suffix);
  }

  /** Paths of the files making up the segment (the txn index only if present). */
  files(): string[] {
    const out = [this.log.path, this.offsetIndex.path, this.timeIndex.path];
    if (fs.existsSync(this.txnIndexPath)) out.push(this.txnIndexPath);
    return out;
  }

  get dir(): string {
    return path.dirname(this.log.path);
  }

  /** Final time index entry, trimmed indexes, flushed and trimmed .log, descriptors closed. */
  close(): void {
    // Only a timestamp newer than the time index's last entry needs writing (avoids loading the
    // indexes of segments that were merely looked at).
    const max = this.maxTimestampSoFarValue;
    if (max !== null && max >= 0n && max > this.timeIndex.lastEntry().timestamp) {
      this.checkIndexes();
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, true);
    }
    this.offsetIndex.close();
    this.timeIndex.close();
    this.log.close();
  }

  /** Releases descriptors without writing anything (the files are going away). */
  closeHandlers(): void {
    this.offsetIndex.closeHandler();
    this.timeIndex.closeHandler();
    this.log.closeHandlers();
  }

  /** Deletes every file of the segment. */
  deleteIfExists(): void {
    this.log.deleteIfExists();
    this.offsetIndex.deleteIfExists();
    this.timeIndex.deleteIfExists();
    try {
      fs.unlinkSync(this.txnIndexPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
