// The log of one partition replica (Kafka's UnifiedLog + LocalLog): an ordered list of segments
// in `<log dir>/<topic>-<partition>/`, the offsets that bound it (log start, high watermark,
// log end), the leader epoch cache and the topic id file. It is the API the request handlers
// and the replication layer code against:
//
//   Produce (leader): off = log.nextOffset(); validate + assign offsets in place from `off`;
//                     log.appendAsLeader(records, leaderEpoch, info)
//   Fetch:            log.read(fetchOffset, maxBytes, isolation, minOneMessage)
//   Follower fetch:   log.appendAsFollower(recordsFromLeader)
//   ListOffsets:      log.fetchOffsetByTimestamp(ts)      DeleteRecords: log.deleteRecordsBefore(off)
//   OffsetForLeaderEpoch: log.endOffsetForEpoch(epoch)     Truncation: truncateTo / truncateFullyAndStartAt
//
// Concurrency: every method is synchronous and Node runs one at a time, so the log itself needs
// no locks. The one rule for callers: nextOffset() → validate/assign → appendAsLeader() for a
// partition must not be interleaved with another append to the same partition; doing the three
// in one synchronous run (no `await` in between) guarantees it. Otherwise serialize per partition.

import * as fs from 'fs';
import * as path from 'path';
import { checkBatchCrc, summarizeRecords } from './batch-headers';
import {
  CorruptRecordError,
  InconsistentTopicIdError,
  KafkaStorageError,
  OffsetOutOfRangeError,
  OffsetsOutOfOrderError,
  RecordBatchTooLargeError,
  UnexpectedAppendOffsetError,
} from './errors';
import type { FileRecords } from './file-records';
import { fsyncDir, fsyncPathAsync } from './fs-utils';
import { LeaderEpochFileCache, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache';
import { LogConfig } from './log-config';
import { loadLog } from './log-loader';
import {
  DELETED_FILE_SUFFIX,
  logFile,
  offsetIndexFile,
  parseTopicPartitionName,
  timeIndexFile,
  topicPartitionName,
  transactionIndexFile,
} from './log-file-names';
import { LogOffsetMetadata, LogSegment, TimestampAndOffset } from './log-segment';
import { PartitionMetadataFile } from './partition-metadata';
import {
  DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
  DEFAULT_PRODUCER_ID_EXPIRATION_MS,
  ProducerStateManager,
  rebuildProducerState,
} from './producer-state-manager';
import { RecordsDecompressor } from './record-timestamps';
import { decompressSync } from '../protocol/records/compression';
import { Scheduler } from './scheduler';
import { SystemTime, Time } from './time';
import { getLogger, Logger } from '../utils/logger';

const INT32_MAX = 0x7fffffffn;
const EMPTY = Buffer.alloc(0);

/** ListOffsets special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;

/**
 * Upper bound of a read: `logEnd` (followers), `highWatermark` (read_uncommitted consumers),
 * `txnCommitted` (read_committed: the last stable offset, equal to the high watermark until
 * transactions exist).
 */
export type FetchIsolation = 'logEnd' | 'highWatermark' | 'txnCommitted';

/** What record validation learned about a leader append whose offsets it assigned. */
export interface LeaderAppendInfo {
  /** Must equal nextOffset() at the time of the append. */
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  /** Max timestamp over the records (append time for LogAppendTime topics). */
  readonly maxTimestamp: bigint;
  /** Offset to record with maxTimestamp in the time index (Kafka passes the batch's last offset). */
  readonly offsetOfMaxTimestamp: bigint;
  readonly recordCount: number;
}

export interface LogAppendResult {
  /** First offset appended, -1 when nothing was appended. */
  readonly firstOffset: bigint;
  /** Last offset appended, -1 when nothing was appended. */
  readonly lastOffset: bigint;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  /** Bytes written. */
  readonly validBytes: number;
}

export interface AppendEvent {
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly logEndOffset: bigint;
  readonly sizeInBytes: number;
}

interface ReadOffsets {
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly lastStableOffset: bigint;
  readonly logEndOffset: bigint;
}

export interface LogReadOk extends ReadOffsets {
  readonly error: null;
  /** Raw bytes from the segment file, starting at the batch holding fetchOffset; may be empty. */
  readonly records: Buffer;
  /** Where fetchOffset sits in the log (for delayed-fetch byte accounting), null if past the bound. */
  readonly fetchOffsetMetadata: LogOffsetMetadata | null;
  readonly firstEntryIncomplete: boolean;
}

export interface LogReadOutOfRange extends ReadOffsets {
  readonly error: 'OFFSET_OUT_OF_RANGE';
  readonly errorCode: 1;
  readonly message: string;
}

export type LogReadResult = LogReadOk | LogReadOutOfRange;

export interface UnifiedLogOptions {
  /** The partition directory, `<log dir>/<topic>-<partition>`; created if missing. */
  readonly dir: string;
  readonly config: LogConfig;
  /** From log-start-offset-checkpoint; default 0. */
  readonly logStartOffset?: bigint;
  /** From recovery-point-offset-checkpoint; default 0. */
  readonly recoveryPoint?: bigint;
  /** False = recover everything after the recovery point (no clean-shutdown marker). Default true. */
  readonly hadCleanShutdown?: boolean;
  /** High watermark to start with (replication-offset-checkpoint); clamped into the log. */
  readonly highWatermark?: bigint;
  /** Topic id to record in partition.metadata (checked against an existing one). */
  readonly topicId?: string | null;
  readonly time?: Time;
  readonly scheduler?: Scheduler;
  /**
   * Codec used to look inside compressed batches for ListOffsets. Defaults to the synchronous
   * codecs of protocol/records (all but zstd; zstd batches are answered at batch level).
   */
  readonly decompress?: RecordsDecompressor;
  /** producer.id.expiration.ms (default 86400000). */
  readonly producerIdExpirationMs?: number;
  /** producer.id.expiration.check.interval.ms (default 600000). */
  readonly producerIdExpirationCheckIntervalMs?: number;
}

const defaultDecompress: RecordsDecompressor = (type, payload) => decompressSync(type, payload);

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minBig = (a: bigint, b: bigint): bigint => (a < b ? a : b);

type Listener<T> = (value: T) => void;

export class UnifiedLog {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpochCache: LeaderEpochFileCache;
  /** Idempotent producers' epochs and last batches (duplicate and sequence checks). */
  readonly producerStateManager: ProducerStateManager;

  private _dir: string;
  private _config: LogConfig;
  private readonly time: Time;
  private readonly scheduler: Scheduler;
  private readonly decompress?: RecordsDecompressor;
  private readonly logger: Logger;
  private partitionMetadataFile: PartitionMetadataFile;
  private _topicId: string | null = null;

  /** Ascending by base offset; the last one is the active segment. Never empty while open. */
  private segments: LogSegment[];
  private _logStartOffset: bigint;
  private _logEndOffset: bigint;
  private _recoveryPoint: bigint;
  private _highWatermark: bigint;
  private _lastFlushTime: number;

  /** Bumped whenever segments are added, removed or truncated (invalidates cached positions). */
  private segmentsVersion = 0;
  /** Bumped on truncation so an in-flight async flush does not advance the recovery point. */
  private truncations = 0;
  private hwMetadataCache: { hw: bigint; version: number; meta: LogOffsetMetadata } | null = null;
  private readonly pendingFlushes = new Set<Promise<void>>();
  private closed = false;
  private offline = false;

  private readonly appendListeners = new Set<Listener<AppendEvent>>();
  /** The segment file of the last write-behind append (see whenWritten). */
  private deferredWrites: FileRecords | null = null;
  private firstUnwrittenOffset = 0n;
  private readonly highWatermarkListeners = new Set<Listener<bigint>>();
  private readonly truncateListeners = new Set<Listener<bigint>>();

  private constructor(
    dir: string,
    topic: string,
    partition: number,
    config: LogConfig,
    time: Time,
    scheduler: Scheduler,
    logger: Logger,
    epochCache: LeaderEpochFileCache,
    decompress: RecordsDecompressor | undefined,
    producerIdExpirationMs: number,
  ) {
    this._dir = dir;
    this.topic = topic;
    this.partition = partition;
    this._config = config;
    this.time = time;
    this.scheduler = scheduler;
    this.logger = logger;
    this.leaderEpochCache = epochCache;
    this.decompress = decompress;
    this.partitionMetadataFile = new PartitionMetadataFile(dir);
    this.producerStateManager = new ProducerStateManager({
      dir,
      topicPartition: topicPartitionName(topic, partition),
      producerIdExpirationMs,
      time,
    });
    this.segments = [];
    this._logStartOffset = 0n;
    this._logEndOffset = 0n;
    this._recoveryPoint = 0n;
    this._highWatermark = 0n;
    this._lastFlushTime = time.milliseconds();
  }

  /** Opens (creating if needed) and loads the log in `opts.dir`. */
  static open(opts: UnifiedLogOptions): UnifiedLog {
    const dir = path.resolve(opts.dir);
    const parsed = parseTopicPartitionName(path.basename(dir));
    if (parsed === null) {
      throw new Error(
        `Found directory ${dir}, '${path.basename(dir)}' is not in the form of topic-partition.`,
      );
    }
    const created = !fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true });
    if (created) fsyncDir(path.dirname(dir));
    const prefix = `[UnifiedLog partition=${topicPartitionName(parsed.topic, parsed.partition)}, dir=${path.dirname(dir)}]`;
    const logger = getLogger('kafka.log.UnifiedLog', prefix);
    const time = opts.time ?? SystemTime;
    const epochCache = new LeaderEpochFileCache(dir, prefix);
    const log = new UnifiedLog(
      dir,
      parsed.topic,
      parsed.partition,
      opts.config,
      time,
      opts.scheduler ?? new Scheduler(),
      logger,
      epochCache,
      opts.decompress ?? defaultDecompress,
      opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS,
    );
    const loaded = loadLog({
      dir,
      config: opts.config,
      time,
      logPrefix: prefix,
      hadCleanShutdown: opts.hadCleanShutdown ?? true,
      recoveryPointCheckpoint: opts.recoveryPoint ?? 0n,
      logStartOffsetCheckpoint: opts.logStartOffset ?? 0n,
      leaderEpochCache: epochCache,
    });
    log.segments = loaded.segments;
    log._logStartOffset = loaded.logStartOffset;
    log._logEndOffset = loaded.logEndOffset;
    log._recoveryPoint = loaded.recoveryPoint;
    log.producerStateManager.removeStraySnapshots(log.segments.map((s) => s.baseOffset));
    log.rebuildProducerState(log._logEndOffset, opts.hadCleanShutdown ?? true);
    log._highWatermark = loaded.logStartOffset;
    if (opts.highWatermark !== undefined) log.updateHighWatermark(opts.highWatermark);
    log.loadTopicId(opts.topicId ?? null);
    log.scheduleProducerExpirationCheck(
      opts.producerIdExpirationCheckIntervalMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_CHECK_INTERVAL_MS,
    );
    logger.info(
      `Loaded log with ${log.segments.length} segments, local-log-start-offset ${log._logStartOffset} and log-end-offset ${log._logEndOffset}`,
    );
    return log;
  }

  // ---------------------------------------------------------------------------------------
  // State

  get dir(): string {
    return this._dir;
  }

  /** The log dir holding this partition's directory. */
  get parentDir(): string {
    return path.dirname(this._dir);
  }

  get name(): string {
    return path.basename(this._dir);
  }

  get config(): LogConfig {
    return this._config;
  }

  get topicId(): string | null {
    return this._topicId;
  }

  get logStartOffset(): bigint {
    return this._logStartOffset;
  }

  /** Offset the next appended record gets. */
  get logEndOffset(): bigint {
    return this._logEndOffset;
  }

  get highWatermark(): bigint {
    return this._highWatermark;
  }

  /** Read_committed bound. No transactions yet, so it is the high watermark. */
  get lastStableOffset(): bigint {
    return this._highWatermark;
  }

  /** Everything below it is fsynced; recovery after a crash starts here. */
  get recoveryPoint(): bigint {
    return this._recoveryPoint;
  }

  get lastFlushTime(): number {
    return this._lastFlushTime;
  }

  get isOffline(): boolean {
    return this.offline;
  }

  /** Bytes of all segments. */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  get numberOfSegments(): number {
    return this.segments.length;
  }

  get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /** Segments oldest first (a copy). */
  logSegments(): LogSegment[] {
    return this.segments.slice();
  }

  /** Cheap: the offset the caller assigns to the first record of the next leader append. */
  nextOffset(): bigint {
    return this._logEndOffset;
  }

  /** Latest leader epoch in the cache, -1 if none (wire convention). */
  latestEpoch(): number {
    return this.leaderEpochCache.latestEpoch() ?? -1;
  }

  /** Leader epoch in which `offset` was written, -1 if unknown (wire convention). */
  epochForOffset(offset: bigint): number {
    return this.leaderEpochCache.epochForOffset(offset) ?? -1;
  }

  /** OffsetForLeaderEpoch: end offset of `leaderEpoch` and the epoch it belongs to, or null if unknown. */
  endOffsetForEpoch(leaderEpoch: number): { epoch: number; endOffset: bigint } | null {
    const r = this.leaderEpochCache.endOffsetFor(leaderEpoch, this._logEndOffset);
    return r.endOffset === UNDEFINED_EPOCH_OFFSET ? null : r;
  }

  logEndOffsetMetadata(): LogOffsetMetadata {
    const active = this.activeSegment;
    return {
      messageOffset: this._logEndOffset,
      segmentBaseOffset: active.baseOffset,
      relativePositionInSegment: active.size,
    };
  }

  highWatermarkMetadata(): LogOffsetMetadata {
    const cached = this.hwMetadataCache;
    if (cached && cached.hw === this._highWatermark && cached.version === this.segmentsVersion)
      return cached.meta;
    const meta = this.offsetMetadata(this._highWatermark);
    this.hwMetadataCache = { hw: this._highWatermark, version: this.segmentsVersion, meta };
    return meta;
  }

  // ---------------------------------------------------------------------------------------
  // Listeners (delayed fetch / replication wake-ups without polling)

  /** Called after every append. Returns an unsubscribe function. */
  onAppend(listener: Listener<AppendEvent>): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /** Called with the new high watermark whenever it changes. */
  onHighWatermarkUpdate(listener: Listener<bigint>): () => void {
    this.highWatermarkListeners.add(listener);
    return () => this.highWatermarkListeners.delete(listener);
  }

  /** Called with the new log end offset after a truncation. */
  onTruncate(listener: Listener<bigint>): () => void {
    this.truncateListeners.add(listener);
    return () => this.truncateListeners.delete(listener);
  }

  private emit<T>(listeners: Set<Listener<T>>, value: T): void {
    for (const l of listeners) {
      try {
        l(value);
      } catch (e) {
        this.logger.error(`Log listener failed: ${(e as Error)?.stack ?? String(e)}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Appends

  /**
   * Appends records validated by the leader's produce path, whose offsets (from nextOffset())
   * and partition leader epoch are already set in the batch headers. Throws
   * UnexpectedAppendOffsetError if info.firstOffset != nextOffset() and RecordBatchTooLargeError
   * if the records exceed segment.bytes.
   */
  appendAsLeader(
    records: Buffer,
    leaderEpoch: number,
    info: LeaderAppendInfo,
    /** write-behind: the bytes reach the segment file on the next event-loop turn; see whenWritten() */
    deferWrite = false,
  ): LogAppendResult {
    this.ensureUsable();
    if (records.length === 0) return this.nothingAppended();
    if (info.firstOffset !== this._logEndOffset) {
      throw new UnexpectedAppendOffsetError(
        `Unexpected offset in append to ${this.name}. First offset ${info.firstOffset} is not the next offset ${this._logEndOffset} (appends to a partition must be serialized).`,
        info.firstOffset,
        info.lastOffset,
      );
    }
    if (info.lastOffset < info.firstOffset) {
      throw new RangeError(
        `Last offset ${info.lastOffset} below first offset ${info.firstOffset} in append to ${this.name}`,
      );
    }
    this.checkAppendSize(records.length);
    // The validator stamped `leaderEpoch` into the batch; record when that epoch started.
    if (leaderEpoch >= 0) this.assignEpochStartOffset(leaderEpoch, info.firstOffset);
    return this.appendValidated(
      records,
      info.firstOffset,
      info.lastOffset,
      info.maxTimestamp,
      info.offsetOfMaxTimestamp,
      info.firstOffset,
      deferWrite,
    );
  }

  /**
   * Appends batches fetched from the leader, unchanged. Offsets come from the batches (they must
   * increase and start at or after the log end offset); a truncated trailing batch is dropped;
   * each batch's CRC is checked. New leader epochs in the batches are recorded.
   */
  appendAsFollower(records: Buffer): LogAppendResult {
    this.ensureUsable();
    const summary = summarizeRecords(records, (reason) => {
      throw new CorruptRecordError(`${reason} in topic partition ${this.name}.`);
    });
    const batches = summary.batches;
    if (batches.length === 0) return this.nothingAppended();
    let maxTimestamp = -1n;
    let offsetOfMaxTimestamp = -1n;
    let previousLast = -1n;
    for (const b of batches) {
      const crcProblem = checkBatchCrc(records, b.position, b);
      if (crcProblem) throw new CorruptRecordError(`${crcProblem} in topic partition ${this.name}.`);
      const first = b.baseOffsetKnown ? b.baseOffset : b.lastOffset;
      if (first <= previousLast || b.lastOffset < first) {
        throw new OffsetsOutOfOrderError(
          `Out of order offsets found in append to ${this.name}: batch [${first}, ${b.lastOffset}] after offset ${previousLast}`,
        );
      }
      previousLast = b.lastOffset;
      if (b.maxTimestamp > maxTimestamp) {
        maxTimestamp = b.maxTimestamp;
        offsetOfMaxTimestamp = b.lastOffset;
      }
    }
    const firstBatch = batches[0];
    const firstOrLast = firstBatch.baseOffsetKnown ? firstBatch.baseOffset : firstBatch.lastOffset;
    const lastOffset = batches[batches.length - 1].lastOffset;
    if (firstOrLast < this._logEndOffset) {
      throw new UnexpectedAppendOffsetError(
        `Unexpected offset in append to ${this.name}. First offset or last offset of the first batch ${firstOrLast} is less than the next offset ${this._logEndOffset}. Last offset in append: ${lastOffset}. Log start offset = ${this._logStartOffset}`,
        firstOrLast,
        lastOffset,
      );
    }
    const valid = summary.validBytes === records.length ? records : records.subarray(0, summary.validBytes);
    this.checkAppendSize(valid.length);
    for (const b of batches) {
      if (b.magic >= 2) {
        if (b.partitionLeaderEpoch >= 0) this.assignEpochStartOffset(b.partitionLeaderEpoch, b.baseOffset);
      } else if (this.leaderEpochCache.nonEmpty) {
        this.logger.warn(
          `Clearing leader epoch cache after unexpected append with message format v${b.magic}`,
        );
        this.leaderEpochCache.clearAndFlush();
      }
    }
    // Legacy wrappers do not say their first offset: the roll uses a lower bound, as Kafka does.
    const rollOffset = firstBatch.baseOffsetKnown ? firstBatch.baseOffset : lastOffset - INT32_MAX;
    return this.appendValidated(
      valid,
      firstOrLast,
      lastOffset,
      maxTimestamp,
      offsetOfMaxTimestamp,
      rollOffset,
    );
  }

  private nothingAppended(): LogAppendResult {
    return {
      firstOffset: -1n,
      lastOffset: -1n,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
      validBytes: 0,
    };
  }

  private checkAppendSize(size: number): void {
    if (size > this._config.segmentBytes) {
      throw new RecordBatchTooLargeError(
        `Message batch size is ${size} bytes in append to partition ${this.name} which exceeds the maximum configured segment size of ${this._config.segmentBytes}.`,
      );
    }
  }

  /**
   * Records that leader epoch `epoch` starts at `startOffset` (a new leader calls it with its log
   * end offset; appends call it for the epoch in their batches). No-op unless it is news;
   * persists leader-epoch-checkpoint with fsync when it is.
   */
  assignEpochStartOffset(epoch: number, startOffset: bigint): void {
    const latest = this.leaderEpochCache.latestEntry();
    if (latest !== null && latest.epoch === epoch && latest.startOffset <= startOffset) return; // the common case
    this.io('updating the leader epoch cache', () => this.leaderEpochCache.assign(epoch, startOffset));
  }

  private appendValidated(
    records: Buffer,
    firstOffset: bigint,
    lastOffset: bigint,
    maxTimestamp: bigint,
    offsetOfMaxTimestamp: bigint,
    rollOffset: bigint,
    deferWrite = false,
  ): LogAppendResult {
    this.io('appending to the log', () => {
      const segment = this.maybeRoll(records.length, maxTimestamp, lastOffset, rollOffset);
      if (deferWrite && !this.hasPendingWrites) this.firstUnwrittenOffset = firstOffset;
      segment.append(lastOffset, maxTimestamp, offsetOfMaxTimestamp, records, deferWrite);
      if (deferWrite) this.deferredWrites = segment.log;
    });
    this._logEndOffset = lastOffset + 1n;
    this.producerStateManager.onAppend(records, this._logEndOffset);
    if (this.appendListeners.size > 0) {
      this.emit(this.appendListeners, {
        firstOffset,
        lastOffset,
        logEndOffset: this._logEndOffset,
        sizeInBytes: records.length,
      });
    }
    const flushEvery = this._config.flushMessagesBig;
    if (flushEvery !== null && this._logEndOffset - this._recoveryPoint >= flushEvery) this.flush(false);
    return {
      firstOffset,
      lastOffset,
      logStartOffset: this._logStartOffset,
      logEndOffset: this._logEndOffset,
      validBytes: records.length,
    };
  }

  private maybeRoll(
    messagesSize: number,
    maxTimestamp: bigint,
    lastOffset: bigint,
    rollOffset: bigint,
  ): LogSegment {
    const segment = this.activeSegment;
    const now = this.time.milliseconds();
    const roll = segment.shouldRoll({
      maxSegmentMs: this._config.maxSegmentMs,
      maxSegmentBytes: this._config.segmentBytes,
      maxTimestampInMessages: maxTimestamp,
      maxOffsetInMessages: lastOffset,
      messagesSize,
      now,
    });
    if (!roll) return segment;
    this.logger.debug(
      `Rolling new log segment (log_size = ${segment.size}/${this._config.segmentBytes}}, offset_index_size = ${segment.offsetIndex.entries}/${segment.offsetIndex.maxEntries}, time_index_size = ${segment.timeIndex.entries}/${segment.timeIndex.maxEntries}, inactive_time_ms = ${segment.timeWaitedForRoll(now, maxTimestamp)}/${this._config.segmentMs - segment.rollJitterMs}).`,
    );
    return this.roll(rollOffset);
  }

  /**
   * Starts a new active segment at max(expectedNextOffset, logEndOffset). The old one is
   * trimmed and fsynced in the background; the recovery point advances once that completes.
   */
  roll(expectedNextOffset?: bigint): LogSegment {
    this.ensureUsable();
    const start = Date.now();
    const newOffset = maxBig(expectedNextOffset ?? 0n, this._logEndOffset);
    const active = this.activeSegment;
    const existing = this.segments.find((s) => s.baseOffset === newOffset);
    if (existing) {
      if (active.baseOffset === newOffset && active.size === 0) {
        this.logger.warn(
          `Trying to roll a new log segment with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._logEndOffset}) while it already exists and is active with size 0. Size of time index: ${active.timeIndex.entries}, size of offset index: ${active.offsetIndex.entries}.`,
        );
        this.removeAndDeleteSegments(
          [active],
          true,
          () => 'it is replaced by a new empty segment at the same offset',
        );
      } else {
        throw new Error(
          `Trying to roll a new log segment for topic partition ${this.name} with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._logEndOffset}) while it already exists. Existing segment is ${existing}.`,
        );
      }
    } else if (newOffset < active.baseOffset) {
      throw new Error(
        `Trying to roll a new log segment for topic partition ${this.name} with start offset ${newOffset} =max(provided offset = ${expectedNextOffset}, LEO = ${this._logEndOffset}) lower than start offset of the active segment ${active}`,
      );
    } else {
      for (const file of [
        logFile(this._dir, newOffset),
        offsetIndexFile(this._dir, newOffset),
        timeIndexFile(this._dir, newOffset),
        transactionIndexFile(this._dir, newOffset),
      ]) {
        if (fs.existsSync(file)) {
          this.logger.warn(`Newly rolled segment file ${file} already exists; deleting it first`);
          fs.unlinkSync(file);
        }
      }
      active.onBecomeInactiveSegment();
    }
    const segment = LogSegment.open(this._dir, newOffset, this._config, this.time);
    this.segments.push(segment);
    this.segmentsVersion++;
    // A producer snapshot at the new segment's base lets recovery start there (fsynced later).
    this.producerStateManager.updateMapEndOffset(newOffset);
    const snapshot = this.producerStateManager.takeSnapshot(false);
    if (snapshot !== null)
      fsyncPathAsync(snapshot).catch((e) =>
        this.logger.error(`Error while flushing producer snapshot ${snapshot}: ${String(e)}`),
      );
    this.logger.info(`Rolled new log segment at offset ${newOffset} in ${Date.now() - start} ms.`);
    this.flushUpToAsync(newOffset);
    return segment;
  }

  // ---------------------------------------------------------------------------------------
  // Reads

  /**
   * Reads up to `maxBytes` of raw batches starting at the batch that contains `fetchOffset`,
   * bounded by the isolation's upper offset. With `minOneMessage` the first batch is returned
   * whole even when larger than maxBytes. An offset below the log start or above the log end is
   * OFFSET_OUT_OF_RANGE; at or past the upper bound the records are empty.
   */
  read(
    fetchOffset: bigint,
    maxBytes: number,
    isolation: FetchIsolation,
    minOneMessage: boolean,
    alloc?: (size: number) => Buffer,
  ): LogReadResult {
    this.ensureUsable();
    const offsets: ReadOffsets = {
      highWatermark: this._highWatermark,
      logStartOffset: this._logStartOffset,
      lastStableOffset: this.lastStableOffset,
      logEndOffset: this._logEndOffset,
    };
    if (fetchOffset < this._logStartOffset || fetchOffset > this._logEndOffset) {
      const message =
        fetchOffset < this._logStartOffset
          ? `Received request for offset ${fetchOffset} for partition ${this.name}, but we only have log segments starting from offset: ${this._logStartOffset}.`
          : `Received request for offset ${fetchOffset} for partition ${this.name}, but we only have log segments upto ${this._logEndOffset}.`;
      return { error: 'OFFSET_OUT_OF_RANGE', errorCode: 1, message, ...offsets };
    }
    const bound = isolation === 'logEnd' ? this.logEndOffsetMetadata() : this.highWatermarkMetadata();
    const empty = (meta: LogOffsetMetadata | null): LogReadOk => ({
      error: null,
      records: EMPTY,
      fetchOffsetMetadata: meta,
      firstEntryIncomplete: false,
      ...offsets,
    });
    if (fetchOffset === bound.messageOffset) return empty(bound);
    if (fetchOffset > bound.messageOffset) return empty(null);
    return this.io('reading the log', () => {
      for (let i = this.floorSegmentIndex(fetchOffset); i >= 0 && i < this.segments.length; i++) {
        const segment = this.segments[i];
        const maxPosition =
          segment.baseOffset < bound.segmentBaseOffset
            ? segment.size
            : segment.baseOffset === bound.segmentBaseOffset
              ? bound.relativePositionInSegment
              : null;
        const r = segment.read(fetchOffset, maxBytes, maxPosition, minOneMessage);
        if (r === null) continue;
        const records =
          r.region.length > 0 ? segment.log.read(r.region.position, r.region.length, alloc) : EMPTY;
        return {
          error: null,
          records,
          fetchOffsetMetadata: r.fetchOffsetMetadata,
          firstEntryIncomplete: r.firstEntryIncomplete,
          ...offsets,
        };
      }
      // Everything at/after fetchOffset is gone (e.g. compacted away): nothing to return.
      return empty(this.logEndOffsetMetadata());
    });
  }

  /** Index of the last segment with baseOffset <= offset, or -1. */
  private floorSegmentIndex(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Position of `offset` in the log (batch holding it, or the end). */
  private offsetMetadata(offset: bigint): LogOffsetMetadata {
    if (offset >= this._logEndOffset) return this.logEndOffsetMetadata();
    for (let i = Math.max(0, this.floorSegmentIndex(offset)); i < this.segments.length; i++) {
      const segment = this.segments[i];
      const position = segment.translateOffset(offset);
      if (position !== null) {
        return {
          messageOffset: offset,
          segmentBaseOffset: segment.baseOffset,
          relativePositionInSegment: position.position,
        };
      }
    }
    return this.logEndOffsetMetadata();
  }

  /**
   * ListOffsets: -2 earliest (log start), -1 latest (log end), -3 the record with the max
   * timestamp, -4 earliest local (= earliest, no tiered storage), -5 latest tiered (none: -1);
   * otherwise the first record with timestamp >= target at or after the log start, or null.
   * The partition layer still caps "latest" to the high watermark/LSO for consumers.
   */
  fetchOffsetByTimestamp(targetTimestamp: bigint): TimestampAndOffset | null {
    this.ensureUsable();
    if (targetTimestamp === EARLIEST_TIMESTAMP) {
      const earliest = this.leaderEpochCache.earliestEntry();
      const epoch = earliest !== null && earliest.startOffset <= this._logStartOffset ? earliest.epoch : -1;
      return { timestamp: -1n, offset: this._logStartOffset, leaderEpoch: epoch };
    }
    if (targetTimestamp === EARLIEST_LOCAL_TIMESTAMP) {
      return {
        timestamp: -1n,
        offset: this._logStartOffset,
        leaderEpoch: this.epochForOffset(this._logStartOffset),
      };
    }
    if (targetTimestamp === LATEST_TIMESTAMP) {
      return { timestamp: -1n, offset: this._logEndOffset, leaderEpoch: this.latestEpoch() };
    }
    if (targetTimestamp === LATEST_TIERED_TIMESTAMP) {
      return { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    }
    return this.io('searching the log by timestamp', () => {
      if (targetTimestamp === MAX_TIMESTAMP) {
        let latest: LogSegment | null = null;
        for (const s of this.segments)
          if (latest === null || s.maxTimestampSoFar > latest.maxTimestampSoFar) latest = s;
        return latest === null ? null : latest.findMaxTimestampRecord(this.decompress);
      }
      // Kafka searches only the first segment whose largest timestamp qualifies, which misses
      // when that segment's qualifying records are all below the log start (after DeleteRecords):
      // keep going to the next segment instead.
      const target = Number(targetTimestamp);
      for (let i = 0; i < this.segments.length; i++) {
        const segment = this.segments[i];
        const next = this.segments[i + 1];
        if (next !== undefined && next.baseOffset <= this._logStartOffset) continue;
        if (segment.largestTimestamp < target) continue;
        const found = segment.findOffsetByTimestamp(targetTimestamp, this._logStartOffset, this.decompress);
        if (found) return found;
      }
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------
  // Offsets bookkeeping

  /**
   * Sets the high watermark (the replication layer decides it), clamped to
   * [logStartOffset, logEndOffset]. Returns the value set.
   */
  updateHighWatermark(highWatermark: bigint): bigint {
    const hw =
      highWatermark < this._logStartOffset ? this._logStartOffset : minBig(highWatermark, this._logEndOffset);
    this.setHighWatermark(hw);
    return hw;
  }

  /** Raises the high watermark if `highWatermark` is larger; returns whether it moved. */
  maybeIncrementHighWatermark(highWatermark: bigint): boolean {
    if (highWatermark > this._logEndOffset) {
      throw new RangeError(
        `High watermark ${highWatermark} update exceeds current log end offset ${this._logEndOffset}`,
      );
    }
    if (highWatermark <= this._highWatermark) return false;
    this.setHighWatermark(highWatermark);
    return true;
  }

  private setHighWatermark(hw: bigint): void {
    if (hw === this._highWatermark) return;
    this._highWatermark = hw;
    if (hw === this._logEndOffset) {
      this.hwMetadataCache = { hw, version: this.segmentsVersion, meta: this.logEndOffsetMetadata() };
    }
    this.emit(this.highWatermarkListeners, hw);
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (-1 = the high watermark). Offsets
   * beyond the high watermark are OFFSET_OUT_OF_RANGE. Whole segments below the new start are
   * removed by the next retention pass (deleteOldSegments). Returns the new log start offset.
   */
  deleteRecordsBefore(offset: bigint): bigint {
    const target = offset === -1n ? this._highWatermark : offset;
    if (target < 0n) {
      throw new OffsetOutOfRangeError(`The offset ${offset} for partition ${this.name} is not valid.`);
    }
    this.maybeIncrementLogStartOffset(target, 'client delete records request');
    return this._logStartOffset;
  }

  /** Moves the log start offset forward (never past the high watermark). */
  maybeIncrementLogStartOffset(newLogStartOffset: bigint, reason: string): boolean {
    this.ensureUsable();
    if (newLogStartOffset > this._highWatermark) {
      throw new OffsetOutOfRangeError(
        `Cannot increment the log start offset to ${newLogStartOffset} of partition ${this.name} since it is larger than the high watermark ${this._highWatermark}`,
      );
    }
    if (newLogStartOffset <= this._logStartOffset) return false;
    this._logStartOffset = newLogStartOffset;
    if (this._recoveryPoint < newLogStartOffset) this._recoveryPoint = newLogStartOffset;
    this.logger.info(`Incremented log start offset to ${newLogStartOffset} due to ${reason}`);
    this.io('truncating the leader epoch cache', () =>
      this.leaderEpochCache.truncateFromStart(newLogStartOffset),
    );
    this.producerStateManager.onLogStartOffsetIncremented(newLogStartOffset);
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Retention

  /**
   * Deletes old segments: by retention.ms (segment's largest timestamp), retention.bytes and the
   * log start offset (the latter also for compact-only topics). Only segments entirely below the
   * high watermark go; the active segment goes too when it qualifies (a new empty one is rolled
   * first), never an empty last one. Returns the number of segments deleted.
   */
  deleteOldSegments(): number {
    this.ensureUsable();
    if (this._config.delete) {
      return (
        this.deleteRetentionMsBreachedSegments() +
        this.deleteRetentionSizeBreachedSegments() +
        this.deleteLogStartOffsetBreachedSegments()
      );
    }
    return this.deleteLogStartOffsetBreachedSegments();
  }

  private deleteRetentionMsBreachedSegments(): number {
    const retentionMs = this._config.retentionMs;
    if (retentionMs < 0) return 0;
    const now = this.time.milliseconds();
    return this.deleteOldSegmentsWhere(
      (segment) => now - segment.largestTimestamp > retentionMs,
      (segment) =>
        `retention time ${retentionMs}ms breach based on the largest record timestamp in the segment (${segment.largestTimestamp})`,
    );
  }

  private deleteRetentionSizeBreachedSegments(): number {
    const retentionBytes = this._config.retentionBytes;
    const size = this.size;
    if (retentionBytes < 0 || size < retentionBytes) return 0;
    let diff = size - retentionBytes;
    return this.deleteOldSegmentsWhere(
      (segment) => {
        if (diff - segment.size >= 0) {
          diff -= segment.size;
          return true;
        }
        return false;
      },
      // Evaluated after the predicate pass: `diff` is then the excess that remains.
      () =>
        `retention size in bytes ${retentionBytes} breach. Log size after deletion will be ${retentionBytes + diff}.`,
    );
  }

  private deleteLogStartOffsetBreachedSegments(): number {
    return this.deleteOldSegmentsWhere(
      (_segment, next) => next !== null && next.baseOffset <= this._logStartOffset,
      () => `log start offset ${this._logStartOffset} breach`,
    );
  }

  private deleteOldSegmentsWhere(
    predicate: (segment: LogSegment, next: LogSegment | null) => boolean,
    reason: (segment: LogSegment) => string,
  ): number {
    const deletable: LogSegment[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const next = i + 1 < this.segments.length ? this.segments[i + 1] : null;
      const upperBound = next !== null ? next.baseOffset : this._logEndOffset;
      const isLastAndEmpty = next === null && segment.size === 0;
      if (this._highWatermark >= upperBound && !isLastAndEmpty && predicate(segment, next))
        deletable.push(segment);
      else break;
    }
    if (deletable.length === 0) return 0;
    return this.io('deleting old segments', () => {
      let toDelete = deletable;
      if (deletable.length === this.segments.length) {
        // A log always keeps a segment: roll an empty one before deleting them all.
        const fresh = this.roll();
        if (deletable[deletable.length - 1].baseOffset === fresh.baseOffset) {
          this.logger.warn(
            `Empty active segment at ${fresh.baseOffset} was deleted and recreated due to retention`,
          );
          toDelete = deletable.slice(0, -1);
        }
      }
      const reasons = new Map(toDelete.map((s) => [s, reason(s)]));
      this.removeAndDeleteSegments(toDelete, true, (s) => reasons.get(s)!);
      this.deleteProducerSnapshots(toDelete);
      this.maybeIncrementLogStartOffset(this.segments[0].baseOffset, 'segment deletion');
      return deletable.length;
    });
  }

  /**
   * Takes segments out of the log, renames their files to `*.deleted` and deletes them after
   * file.delete.delay.ms (or now).
   */
  private removeAndDeleteSegments(
    toDelete: LogSegment[],
    asyncDelete: boolean,
    reason: (s: LogSegment) => string,
  ): void {
    if (toDelete.length === 0) return;
    const doomed = new Set(toDelete);
    this.segments = this.segments.filter((s) => !doomed.has(s));
    this.segmentsVersion++;
    const files: string[] = [];
    for (const s of toDelete) {
      this.logger.info(`Deleting segment ${this.describeSegment(s)} due to ${reason(s)}`);
      s.closeHandlers();
      s.changeFileSuffixes('', DELETED_FILE_SUFFIX);
      files.push(...s.files());
    }
    const deleteFiles = async (): Promise<void> => {
      this.logger.info(`Deleting segment files ${toDelete.map((s) => this.describeSegment(s)).join(',')}`);
      await Promise.all(files.map((f) => fs.promises.unlink(f).catch(() => undefined)));
    };
    if (asyncDelete) this.scheduler.scheduleOnce('delete-file', deleteFiles, this._config.fileDeleteDelayMs);
    else for (const f of files) fs.rmSync(f, { force: true });
  }

  /** Renames the deleted segments' producer snapshots to `*.deleted`; removed after the delay. */
  private deleteProducerSnapshots(segments: LogSegment[]): void {
    const files: string[] = [];
    for (const s of segments) {
      const f = this.producerStateManager.removeAndMarkSnapshotForDeletion(s.baseOffset);
      if (f !== null) files.push(f);
    }
    if (files.length === 0) return;
    this.scheduler.scheduleOnce(
      'delete-producer-snapshot',
      async () => {
        await Promise.all(files.map((f) => fs.promises.unlink(f).catch(() => undefined)));
      },
      this._config.fileDeleteDelayMs,
    );
  }

  private describeSegment(s: LogSegment): string {
    return `LogSegment(baseOffset=${s.baseOffset}, size=${s.size})`;
  }

  // ---------------------------------------------------------------------------------------
  // Truncation (replication)

  /**
   * Removes everything from `targetOffset` on (follower divergence, unclean election). Returns
   * false when the log already ends at or before it.
   */
  truncateTo(targetOffset: bigint): boolean {
    this.ensureUsable();
    if (targetOffset < 0n)
      throw new RangeError(`Cannot truncate partition ${this.name} to a negative offset (${targetOffset}).`);
    if (targetOffset >= this._logEndOffset) {
      this.logger.info(
        `Truncating to ${targetOffset} has no effect as the largest offset in the log is ${this._logEndOffset - 1n}`,
      );
      return false;
    }
    this.logger.info(`Truncating to offset ${targetOffset}`);
    if (this.segments[0].baseOffset > targetOffset) {
      this.truncateFullyAndStartAt(targetOffset);
      return true;
    }
    this.io('truncating the log', () => {
      this.truncations++;
      const doomed = this.segments.filter((s) => s.baseOffset > targetOffset);
      this.removeAndDeleteSegments(doomed, true, () => `log truncation to offset ${targetOffset}`);
      this.activeSegment.truncateTo(targetOffset);
      this.segmentsVersion++;
      this.updateLogEndOffset(targetOffset);
      this.leaderEpochCache.truncateFromEnd(targetOffset);
      this._logStartOffset = minBig(targetOffset, this._logStartOffset);
      this.rebuildProducerState(targetOffset, false);
    });
    if (this._highWatermark >= this._logEndOffset) this.setHighWatermark(this._logEndOffset);
    this.emit(this.truncateListeners, this._logEndOffset);
    return true;
  }

  /**
   * Deletes every segment and restarts the log empty at `newOffset` (a follower far behind the
   * leader's log start). The log start offset becomes `logStartOffset` (default newOffset).
   */
  truncateFullyAndStartAt(newOffset: bigint, logStartOffset?: bigint): void {
    this.ensureUsable();
    this.logger.debug(
      `Truncate and start at offset ${newOffset}, logStartOffset: ${logStartOffset ?? newOffset}`,
    );
    this.io('truncating the log fully', () => {
      this.truncations++;
      this.removeAndDeleteSegments(
        this.segments.slice(),
        true,
        () => `log truncation to start at offset ${newOffset}`,
      );
      this.segments = [LogSegment.open(this._dir, newOffset, this._config, this.time)];
      this.segmentsVersion++;
      this.leaderEpochCache.clearAndFlush();
      this._logEndOffset = newOffset;
      this._recoveryPoint = newOffset;
      this._logStartOffset = logStartOffset ?? newOffset;
      this.producerStateManager.truncateFullyAndStartAt(newOffset);
      this.rebuildProducerState(newOffset, false);
    });
    this.setHighWatermark(this._logEndOffset);
    this.emit(this.truncateListeners, this._logEndOffset);
  }

  /**
   * Makes the producer state reflect the log below `lastOffset`: latest snapshot at or below it
   * plus a header scan of what follows (Kafka's rebuildProducerState).
   */
  private rebuildProducerState(lastOffset: bigint, reloadFromCleanShutdown: boolean): void {
    rebuildProducerState(
      this.producerStateManager,
      this.segments,
      this._logStartOffset,
      lastOffset,
      this.time.milliseconds(),
      reloadFromCleanShutdown,
      this.logger,
    );
  }

  /** Forgets producers idle for longer than producer.id.expiration.ms; returns how many. */
  removeExpiredProducers(now = this.time.milliseconds()): number {
    return this.producerStateManager.removeExpiredProducers(now);
  }

  private scheduleProducerExpirationCheck(intervalMs: number): void {
    const check = (): void => {
      if (this.closed) return;
      if (!this.offline) this.removeExpiredProducers();
      this.scheduler.scheduleOnce('PeriodicProducerExpirationCheck', check, intervalMs);
    };
    this.scheduler.scheduleOnce('PeriodicProducerExpirationCheck', check, intervalMs);
  }

  /** Snapshots older than both the second-to-last segment and the recovery point's segment. */
  private minSnapshotsOffsetToRetain(): bigint {
    const n = this.segments.length;
    const twoSegmentsMin = this.segments[n >= 2 ? n - 2 : n - 1].baseOffset;
    let recoveryPointOffset = this._recoveryPoint;
    for (const s of this.segments) if (s.baseOffset < this._recoveryPoint) recoveryPointOffset = s.baseOffset;
    return minBig(recoveryPointOffset, twoSegmentsMin);
  }

  private updateLogEndOffset(offset: bigint): void {
    this._logEndOffset = offset;
    if (this._recoveryPoint > offset) this._recoveryPoint = offset;
  }

  // ---------------------------------------------------------------------------------------
  // Flushing

  /**
   * fsyncs everything up to the log end offset (the active segment included when it holds data,
   * or always with forceFlushActiveSegment) and advances the recovery point.
   */
  flush(forceFlushActiveSegment = false): void {
    this.flushUpTo(this._logEndOffset, forceFlushActiveSegment);
  }

  private flushUpTo(offset: bigint, includingOffset: boolean): void {
    const flushOffset = includingOffset ? offset + 1n : offset;
    if (flushOffset <= this._recoveryPoint) return;
    this.logger.debug(
      `Flushing log up to offset ${offset} (${includingOffset ? 'inclusive' : 'exclusive'}) with recovery point ${offset}, last flushed: ${this._lastFlushTime}, current time: ${this.time.milliseconds()}, unflushed: ${this._logEndOffset - this._recoveryPoint}`,
    );
    this.io('flushing the log', () => {
      const segments = this.segmentsInRange(this._recoveryPoint, flushOffset);
      for (const s of segments) s.flush();
      if (segments.some((s) => s.baseOffset >= this._recoveryPoint)) fsyncDir(this._dir);
    });
    this.markFlushed(offset);
  }

  /** Background flush of the segments below `offset` (after a roll). */
  private flushUpToAsync(offset: bigint): void {
    if (offset <= this._recoveryPoint) return;
    const generation = this.truncations;
    const segments = this.segmentsInRange(this._recoveryPoint, offset);
    const newSegments = segments.some((s) => s.baseOffset >= this._recoveryPoint);
    const done = (async () => {
      await Promise.all(segments.map((s) => s.flushAsync()));
      if (newSegments) await fsyncPathAsync(this._dir);
      if (!this.closed && generation === this.truncations) this.markFlushed(offset);
    })()
      .catch((e) => this.logger.error(`Error while flushing log up to offset ${offset}: ${String(e)}`))
      .finally(() => this.pendingFlushes.delete(done));
    this.pendingFlushes.add(done);
  }

  /** Resolves when background flushes started so far are done (tests, shutdown). */
  async awaitPendingFlushes(): Promise<void> {
    while (this.pendingFlushes.size > 0) await Promise.all([...this.pendingFlushes]);
  }

  private markFlushed(offset: bigint): void {
    if (offset > this._recoveryPoint) {
      this._recoveryPoint = minBig(offset, this._logEndOffset);
      this._lastFlushTime = this.time.milliseconds();
      // Kafka drops producer snapshots below this after checkpointing the recovery point.
      if (this.segments.length > 0) {
        try {
          this.producerStateManager.deleteSnapshotsBefore(this.minSnapshotsOffsetToRetain());
        } catch (e) {
          this.logger.warn(`Error while deleting old producer snapshots: ${String(e)}`);
        }
      }
    }
  }

  /** Segments overlapping [from, to), starting with the one that holds `from`. */
  private segmentsInRange(from: bigint, to: bigint): LogSegment[] {
    if (from >= to) return [];
    const start = Math.max(0, this.floorSegmentIndex(from));
    return this.segments.slice(start).filter((s) => s.baseOffset < to);
  }

  // ---------------------------------------------------------------------------------------
  // Topic id, config, lifecycle

  private loadTopicId(requested: string | null): void {
    let stored: string | null = null;
    try {
      stored = this.partitionMetadataFile.read()?.topicId ?? null;
    } catch (e) {
      this.logger.error(`Ignoring unreadable ${this.partitionMetadataFile.path}: ${(e as Error).message}`);
    }
    this._topicId = stored;
    if (requested !== null) this.assignTopicId(requested);
  }

  /**
   * Records the topic id (partition.metadata). A different id already on disk means this
   * directory belongs to a deleted incarnation of the topic: INCONSISTENT_TOPIC_ID.
   */
  assignTopicId(topicId: string): void {
    if (this._topicId === topicId) return;
    if (this._topicId !== null) {
      throw new InconsistentTopicIdError(
        `Tried to assign topic ID ${topicId} to log for topic partition ${this.name}, but log already contained topic ID ${this._topicId}`,
      );
    }
    this.io('writing partition.metadata', () => this.partitionMetadataFile.write(topicId));
    this._topicId = topicId;
  }

  /** New topic config (AlterConfigs); applies to later appends and the next retention pass. */
  updateConfig(config: LogConfig): void {
    this._config = config;
  }

  /** Trims and closes every segment (no fsync beyond what closing a segment does). */
  close(): void {
    if (this.closed) return;
    this.logger.debug('Closing log');
    try {
      // A snapshot at the log end spares the next start a scan of the log.
      if (!this.offline)
        this.io('taking a producer snapshot', () => this.producerStateManager.takeSnapshot());
    } finally {
      this.closed = true;
      for (const s of this.segments) s.close();
    }
  }

  /** Releases file descriptors without writing anything (the directory is being deleted). */
  closeHandlers(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segments) s.closeHandlers();
  }

  /** Moves the partition directory (e.g. to `<topic>-<partition>.<uuid>-delete`); the log must be closed. */
  renameDir(name: string): void {
    const target = path.join(this.parentDir, name);
    fs.renameSync(this._dir, target);
    fsyncDir(this.parentDir);
    this._dir = target;
    this.partitionMetadataFile = new PartitionMetadataFile(target);
    this.producerStateManager.dir = target;
  }

  /** Closes the log and deletes its directory with everything in it. */
  delete(): void {
    this.closeHandlers();
    this.segments = [];
    fs.rmSync(this._dir, { recursive: true, force: true });
  }

  private ensureUsable(): void {
    if (this.offline)
      throw new KafkaStorageError(`The log for partition ${this.name} is offline after an I/O error`);
    if (this.closed) throw new KafkaStorageError(`The log for partition ${this.name} is closed`);
  }

  /** Runs file work; an OS-level I/O error takes the log offline (KAFKA_STORAGE_ERROR). */
  /**
   * Resolves once every append made with deferWrite is in its segment file (a roll writes the
   * old segment's queue, so only the last file written to can still hold one). A failed write
   * takes the log offline and rejects with KafkaStorageError.
   */
  async whenWritten(): Promise<void> {
    const file = this.deferredWrites;
    if (file === null || !file.hasPendingWrites) return;
    try {
      await file.whenWritten();
    } catch (e) {
      this.io('appending to the log', () => {
        throw e;
      });
    }
  }

  /**
   * The end of what is in the segment files: the log end offset, or the first offset of the
   * queued appends. The leader's high watermark never passes it.
   */
  get writtenEndOffset(): bigint {
    return this.hasPendingWrites ? this.firstUnwrittenOffset : this._logEndOffset;
  }

  /** True while an append is queued and not yet in its segment file. */
  get hasPendingWrites(): boolean {
    return this.deferredWrites?.hasPendingWrites ?? false;
  }

  /** Writes queued appends now. */
  writePending(): void {
    const file = this.deferredWrites;
    if (file !== null) this.io('appending to the log', () => file.writePending());
  }

  private io<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | null)?.code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
        this.offline = true;
        this.logger.error(`Error while ${what} in dir ${this.parentDir}: ${(e as Error).message}`);
        throw new KafkaStorageError(
          `Error while ${what} for ${this.name} in dir ${this.parentDir}: ${(e as Error).message}`,
          e,
        );
      }
      throw e;
    }
  }
}
