// All partition logs of the broker across its `log.dirs` (Kafka's LogManager): locks and
// validates each dir (meta.properties), loads every partition directory at startup (recovering
// after an unclean shutdown), creates new logs in the dir holding the fewest partitions,
// deletes logs by renaming them to `-delete` dirs removed later, and runs the background work:
// retention, flushes, and the recovery-point / log-start-offset / high-watermark checkpoints.
// A clean shutdown flushes everything, writes the checkpoints and `.kafka_cleanshutdown`.
//
// Moves between log dirs (AlterReplicaLogDirs): a partition not hosted yet gets a preferred dir
// its log is created in later; a hosted one gets a "future" log `<topic>-<partition>.<uuid>-future`
// in the target dir, filled by the replica manager's copier, then swapped in
// (replaceCurrentWithFutureLog). Future logs found at start-up are loaded again so the copy resumes.

import * as fs from 'fs';
import * as path from 'path';
import {
  LOG_START_OFFSET_CHECKPOINT_FILE,
  OffsetCheckpointFile,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  TopicPartitionOffset,
} from './checkpoints';
import { DirLock } from './dir-lock';
import { KafkaStorageError, LogDirError, LogError } from './errors';
import { fsyncDir } from './fs-utils';
import { LogConfig, LogManagerConfig } from './log-config';
import {
  logDeleteDirName,
  logFutureDirName,
  parseTopicPartitionName,
  topicPartitionName,
} from './log-file-names';
import { verifyAndWriteMetaProperties } from './meta-properties';
import { RecordsDecompressor } from './record-timestamps';
import { Scheduler } from './scheduler';
import { SystemTime, Time } from './time';
import { UnifiedLog } from './unified-log';
import { getLogger } from '../utils/logger';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Tiered-storage cache dir Kafka keeps next to partition dirs; not a partition. */
const REMOTE_INDEX_CACHE_DIR = 'remote-log-index-cache';

/** A log dir that is not one of `log.dirs` (LOG_DIR_NOT_FOUND). */
export class LogDirNotFoundError extends LogError {
  constructor(message: string) {
    super('LogDirNotFoundException', 57, message);
  }
}

export interface LogManagerOptions {
  /** Broker-wide settings (log.dirs, check intervals); LogManagerConfig.fromProperties(brokerProps). */
  readonly settings: LogManagerConfig;
  readonly brokerId: number;
  /** Cluster id from ZooKeeper (/cluster/id); checked against and written to meta.properties. */
  readonly clusterId: string | null;
  /** Broker-level topic defaults: LogConfig.fromProperties(brokerProps). */
  readonly defaultConfig: LogConfig;
  /** Config of a topic with its overrides (from ZooKeeper); undefined = defaultConfig. */
  readonly topicConfig?: (topic: string) => LogConfig | undefined;
  readonly time?: Time;
  /** Defaults to a scheduler owned (and shut down) by the manager. */
  readonly scheduler?: Scheduler;
  readonly decompress?: RecordsDecompressor;
  /** Start retention/flush/checkpoint tasks (default true). */
  readonly startBackgroundTasks?: boolean;
}

interface DirCheckpoints {
  readonly recoveryPoints: OffsetCheckpointFile;
  readonly logStartOffsets: OffsetCheckpointFile;
  readonly highWatermarks: OffsetCheckpointFile;
}

export class LogManager {
  /** Absolute paths of the log dirs, in log.dirs order. */
  readonly logDirs: readonly string[];

  private readonly settings: LogManagerConfig;
  private readonly brokerId: number;
  private readonly clusterId: string | null;
  private defaultConfig: LogConfig;
  private readonly topicConfig: (topic: string) => LogConfig | undefined;
  private readonly time: Time;
  private readonly scheduler: Scheduler;
  private readonly ownsScheduler: boolean;
  private readonly decompress?: RecordsDecompressor;
  private readonly logger = getLogger('kafka.log.LogManager', '[LogManager] ');

  private readonly logs = new Map<string, UnifiedLog>();
  /** Logs being filled to replace the current log of their partition in another dir. */
  private readonly futureLogs = new Map<string, UnifiedLog>();
  /** Where the log of a partition not hosted yet is to be created (AlterReplicaLogDirs). */
  private readonly preferredLogDirs = new Map<string, string>();
  private readonly locks: DirLock[] = [];
  private readonly checkpoints = new Map<string, DirCheckpoints>();
  private readonly pendingDirDeletions = new Set<Promise<void>>();
  private shutDown = false;

  private constructor(opts: LogManagerOptions) {
    this.settings = opts.settings;
    this.logDirs = opts.settings.logDirs.map((d) => path.resolve(d));
    this.brokerId = opts.brokerId;
    this.clusterId = opts.clusterId;
    this.defaultConfig = opts.defaultConfig;
    this.topicConfig = opts.topicConfig ?? (() => undefined);
    this.time = opts.time ?? SystemTime;
    this.ownsScheduler = opts.scheduler === undefined;
    this.scheduler = opts.scheduler ?? new Scheduler();
    this.decompress = opts.decompress;
  }

  /**
   * Validates and locks the log dirs, checks meta.properties, loads all logs and starts the
   * background tasks. Throws LogDirError with a precise message on any startup problem.
   */
  static startup(opts: LogManagerOptions): LogManager {
    const mgr = new LogManager(opts);
    try {
      mgr.createAndValidateLogDirs();
      verifyAndWriteMetaProperties(mgr.logDirs, { brokerId: mgr.brokerId, clusterId: mgr.clusterId });
      mgr.loadLogs();
    } catch (e) {
      mgr.releaseLocks();
      throw e;
    }
    if (opts.startBackgroundTasks ?? true) mgr.startBackgroundTasks();
    return mgr;
  }

  private createAndValidateLogDirs(): void {
    const seen = new Set<string>();
    for (const dir of this.logDirs) {
      fs.mkdirSync(dir, { recursive: true });
      const canonical = fs.realpathSync(dir);
      if (seen.has(canonical))
        throw new LogDirError(`Duplicate log directory found: ${this.logDirs.join(', ')}`);
      seen.add(canonical);
      if (!fs.statSync(dir).isDirectory()) throw new LogDirError(`${dir} is not a readable log directory.`);
      this.locks.push(DirLock.acquire(dir));
    }
  }

  private releaseLocks(): void {
    for (const lock of this.locks.splice(0)) lock.release();
  }

  private loadLogs(): void {
    const start = this.time.milliseconds();
    for (const dir of this.logDirs) {
      const cleanShutdownFile = path.join(dir, CLEAN_SHUTDOWN_FILE);
      // Deleted right away: a crash while loading must force recovery next time.
      const hadCleanShutdown = fs.existsSync(cleanShutdownFile);
      if (hadCleanShutdown) {
        fs.unlinkSync(cleanShutdownFile);
        fsyncDir(dir);
      }
      const files: DirCheckpoints = {
        recoveryPoints: new OffsetCheckpointFile(path.join(dir, RECOVERY_POINT_CHECKPOINT_FILE)),
        logStartOffsets: new OffsetCheckpointFile(path.join(dir, LOG_START_OFFSET_CHECKPOINT_FILE)),
        highWatermarks: new OffsetCheckpointFile(path.join(dir, REPLICATION_OFFSET_CHECKPOINT_FILE)),
      };
      this.checkpoints.set(dir, files);
      const recoveryPoints = this.readCheckpoint(
        files.recoveryPoints,
        'resetting the recovery checkpoint to 0',
      );
      const logStartOffsets = this.readCheckpoint(
        files.logStartOffsets,
        'resetting to the base offset of the first segment',
      );
      const highWatermarks = this.readCheckpoint(
        files.highWatermarks,
        'high watermarks start at the log start offsets',
      );

      const partitionDirs = fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && e.name !== REMOTE_INDEX_CACHE_DIR)
        .map((e) => e.name);
      if (hadCleanShutdown) {
        this.logger.info(
          `Skipping recovery of ${partitionDirs.length} logs from ${dir} since clean shutdown file was found`,
        );
      } else {
        this.logger.info(
          `Recovering ${partitionDirs.length} logs from ${dir} since no clean shutdown file was found`,
        );
      }
      for (const name of partitionDirs) {
        const parsed = parseTopicPartitionName(name);
        if (parsed === null) {
          throw new LogDirError(
            `Found directory ${path.join(dir, name)}, '${name}' is not in the form of topic-partition or topic-partition.uniqueId-delete (if marked for deletion). Kafka's log directories (and children) should only contain Kafka topic data.`,
          );
        }
        if (parsed.kind === 'delete') {
          this.scheduleDirDeletion(path.join(dir, name), this.defaultConfig.fileDeleteDelayMs);
          continue;
        }
        if (parsed.kind === 'stray') {
          this.logger.warn(`Leaving stray log directory ${path.join(dir, name)} alone (KRaft only)`);
          continue;
        }
        const isFuture = parsed.kind === 'future';
        const key = topicPartitionName(parsed.topic, parsed.partition);
        const previous = (isFuture ? this.futureLogs : this.logs).get(key);
        if (previous) {
          throw new LogDirError(
            isFuture
              ? `Duplicate log directories found: ${path.join(dir, name)}, ${previous.dir}`
              : `Duplicate log directories for ${key} are found in both ${path.join(dir, name)} and ${previous.dir}. It is likely because log directory failure happened while broker was replacing current replica with future replica. Recover broker from this failure by manually deleting one of the two directories for this partition. It is recommended to delete the partition in the log directory that is known to have failed recently.`,
          );
        }
        const log = UnifiedLog.open({
          dir: path.join(dir, name),
          config: this.configFor(parsed.topic),
          logStartOffset: logStartOffsets.get(key) ?? 0n,
          recoveryPoint: recoveryPoints.get(key) ?? 0n,
          hadCleanShutdown,
          highWatermark: highWatermarks.get(key),
          time: this.time,
          scheduler: this.scheduler,
          decompress: this.decompress,
        });
        (isFuture ? this.futureLogs : this.logs).set(key, log);
      }
    }
    this.logger.info(
      `Loaded ${this.logs.size + this.futureLogs.size} logs in ${this.time.milliseconds() - start}ms`,
    );
  }

  /** Kafka's tolerant reading: a broken checkpoint is logged and ignored, never fatal. */
  private readCheckpoint(file: OffsetCheckpointFile, fallback: string): Map<string, bigint> {
    try {
      return file.readMap();
    } catch (e) {
      this.logger.warn(`Error occurred while reading ${file.path}, ${fallback}: ${(e as Error).message}`);
      return new Map();
    }
  }

  private configFor(topic: string): LogConfig {
    return this.topicConfig(topic) ?? this.defaultConfig;
  }

  private startBackgroundTasks(): void {
    const s = this.settings;
    const delay = s.initialTaskDelayMs;
    const guarded = (fn: () => void) => () => {
      if (!this.shutDown) fn();
    };
    this.scheduler.schedulePeriodic(
      'kafka-log-retention',
      guarded(() => this.cleanupLogs()),
      delay,
      s.retentionCheckIntervalMs,
    );
    this.scheduler.schedulePeriodic(
      'kafka-log-flusher',
      guarded(() => this.flushDirtyLogs()),
      delay,
      s.flushSchedulerIntervalMs,
    );
    this.scheduler.schedulePeriodic(
      'kafka-recovery-point-checkpoint',
      guarded(() => this.checkpointRecoveryOffsets()),
      delay,
      s.flushRecoveryOffsetCheckpointIntervalMs,
    );
    this.scheduler.schedulePeriodic(
      'kafka-log-start-offset-checkpoint',
      guarded(() => this.checkpointLogStartOffsets()),
      delay,
      s.flushStartOffsetCheckpointIntervalMs,
    );
    this.scheduler.schedulePeriodic(
      'highwatermark-checkpoint',
      guarded(() => this.checkpointHighWatermarks()),
      s.highWatermarkCheckpointIntervalMs,
      s.highWatermarkCheckpointIntervalMs,
    );
  }

  // ---------------------------------------------------------------------------------------
  // Lookup and creation

  getLog(topic: string, partition: number): UnifiedLog | undefined {
    return this.logs.get(topicPartitionName(topic, partition));
  }

  allLogs(): UnifiedLog[] {
    return [...this.logs.values()];
  }

  logsByTopic(topic: string): UnifiedLog[] {
    return this.allLogsWithFuture().filter((l) => l.topic === topic);
  }

  /** The future log of a partition being moved to another log dir. */
  getFutureLog(topic: string, partition: number): UnifiedLog | undefined {
    return this.futureLogs.get(topicPartitionName(topic, partition));
  }

  futureLogsList(): UnifiedLog[] {
    return [...this.futureLogs.values()];
  }

  /** Current and future logs (what is on disk in the log dirs). */
  allLogsWithFuture(): UnifiedLog[] {
    return [...this.logs.values(), ...this.futureLogs.values()];
  }

  isFutureLog(log: UnifiedLog): boolean {
    return this.futureLogs.get(topicPartitionName(log.topic, log.partition)) === log;
  }

  /** Number of partition logs (future ones included) per log dir (in log.dirs order). */
  partitionCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.logDirs.map((d) => [d, 0]));
    for (const log of this.allLogsWithFuture())
      counts.set(log.parentDir, (counts.get(log.parentDir) ?? 0) + 1);
    return counts;
  }

  /**
   * Whether `dir` (an absolute path) can take logs. Not one of log.dirs → LogDirNotFoundError.
   * Samsa takes no dir offline as a whole; a dir that disappeared or became unwritable counts as
   * offline.
   */
  isLogDirOnline(dir: string): boolean {
    if (!this.logDirs.includes(dir))
      throw new LogDirNotFoundError(`Log dir ${dir} is not found in the config.`);
    try {
      fs.accessSync(dir, fs.constants.W_OK);
      return fs.statSync(dir).isDirectory();
    } catch {
      return false;
    }
  }

  /**
   * AlterReplicaLogDirs for a partition: remember `dir` as where its log is to be created,
   * unless its current or future log already is there (Kafka's maybeUpdatePreferredLogDir).
   */
  maybeUpdatePreferredLogDir(topic: string, partition: number, dir: string): void {
    const key = topicPartitionName(topic, partition);
    if (this.logs.get(key)?.parentDir === dir || this.futureLogs.get(key)?.parentDir === dir) return;
    this.preferredLogDirs.set(key, dir);
  }

  preferredLogDir(topic: string, partition: number): string | undefined {
    return this.preferredLogDirs.get(topicPartitionName(topic, partition));
  }

  /** The log dir for a new partition: the one with the fewest partitions (first on ties). */
  private nextLogDir(): string {
    let best = this.logDirs[0];
    let bestCount = Infinity;
    for (const [dir, count] of this.partitionCounts()) {
      if (count < bestCount) {
        best = dir;
        bestCount = count;
      }
    }
    return best;
  }

  /**
   * The log of a partition, created if this broker does not host it yet. `topicId` is recorded
   * in partition.metadata (a different stored id throws InconsistentTopicIdError); `config`
   * defaults to the topic's config.
   */
  getOrCreateLog(topic: string, partition: number, topicId?: string | null, config?: LogConfig): UnifiedLog {
    this.ensureRunning();
    const key = topicPartitionName(topic, partition);
    const existing = this.logs.get(key);
    if (existing) {
      if (topicId) existing.assignTopicId(topicId);
      return existing;
    }
    const dir = this.preferredLogDirs.get(key) ?? this.nextLogDir();
    const logConfig = config ?? this.configFor(topic);
    const log = UnifiedLog.open({
      dir: path.join(dir, key),
      config: logConfig,
      topicId: topicId ?? null,
      time: this.time,
      scheduler: this.scheduler,
      decompress: this.decompress,
    });
    this.logs.set(key, log);
    this.preferredLogDirs.delete(key);
    this.logger.info(
      `Created log for partition ${key} in ${log.dir} with properties ${JSON.stringify(logConfig.overrides())}`,
    );
    return log;
  }

  /**
   * The future log of a hosted partition, created empty as `<topic>-<partition>.<uuid>-future`
   * in `dir` if there is none (Kafka's getOrCreateLog with isFuture). `dir` must differ from the
   * current log's dir; an existing future log elsewhere is an error (remove it first).
   */
  getOrCreateFutureLog(
    topic: string,
    partition: number,
    dir: string,
    topicId?: string | null,
    config?: LogConfig,
  ): UnifiedLog {
    this.ensureRunning();
    const key = topicPartitionName(topic, partition);
    const current = this.logs.get(key);
    if (!current) throw new KafkaStorageError(`The current replica for ${key} is offline`);
    if (current.parentDir === dir)
      throw new Error(
        `Can not create the future log for ${key} in the current log directory of this partition`,
      );
    const existing = this.futureLogs.get(key);
    if (existing) {
      if (existing.parentDir !== dir)
        throw new Error(
          `The future log dir ${existing.parentDir} of ${key} is different from the requested log dir ${dir}`,
        );
      return existing;
    }
    const logConfig = config ?? current.config;
    let log: UnifiedLog;
    try {
      log = UnifiedLog.open({
        dir: path.join(dir, logFutureDirName(topic, partition)),
        config: logConfig,
        topicId: topicId ?? current.topicId,
        time: this.time,
        scheduler: this.scheduler,
        decompress: this.decompress,
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | null)?.code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
        throw new KafkaStorageError(`Error while creating the future log for ${key} in dir ${dir}`, e);
      throw e;
    }
    this.futureLogs.set(key, log);
    this.preferredLogDirs.delete(key);
    this.logger.info(
      `Created log for partition ${key} in ${log.dir} with properties ${JSON.stringify(logConfig.overrides())}`,
    );
    return log;
  }

  /**
   * Swaps a caught-up future log in (Kafka's replaceCurrentWithFutureLog): the future dir is
   * renamed to `<topic>-<partition>`, takes the current high watermark and becomes the current
   * log; the old dir is renamed to `-delete`, closed and removed after file.delete.delay.ms. Both
   * dirs' checkpoints are rewritten. Synchronous: no append can come in between. Returns the new
   * current log.
   */
  replaceCurrentWithFutureLog(topic: string, partition: number): UnifiedLog {
    const key = topicPartitionName(topic, partition);
    const source = this.logs.get(key);
    const dest = this.futureLogs.get(key);
    this.logger.info(`Attempting to replace current log ${source?.dir} with ${dest?.dir} for ${key}`);
    if (!source) throw new KafkaStorageError(`The current replica for ${key} is offline`);
    if (!dest) throw new KafkaStorageError(`The future replica for ${key} is offline`);
    // The future log is closed cleanly (everything fsynced, producer snapshot at its end), its
    // directory renamed, and opened again under the normal name: no recovery needed, and every
    // file path (segments, indexes, checkpoints) is the new one.
    const highWatermark = source.highWatermark;
    dest.flush(true);
    dest.close();
    dest.renameDir(key);
    const log = UnifiedLog.open({
      dir: dest.dir,
      config: dest.config,
      logStartOffset: dest.logStartOffset,
      recoveryPoint: dest.logEndOffset,
      hadCleanShutdown: true,
      highWatermark,
      topicId: dest.topicId ?? source.topicId,
      time: this.time,
      scheduler: this.scheduler,
      decompress: this.decompress,
    });
    this.futureLogs.delete(key);
    this.logs.set(key, log);
    this.checkpointDir(log.parentDir);
    try {
      // Queued (write-behind) appends of the old log are written before its files are closed.
      source.closeHandlers();
      source.renameDir(logDeleteDirName(topic, partition));
      this.checkpointDir(source.parentDir);
      this.scheduleDirDeletion(source.dir, source.config.fileDeleteDelayMs);
    } catch (e) {
      // The new log is in place either way; the old copy is left for the operator.
      this.logger.error(`Error while renaming ${source.dir} for deletion: ${String(e)}`);
    }
    this.logger.info(`The current replica is successfully replaced with the future replica for ${key}`);
    return log;
  }

  /**
   * Drops the future log of a partition (a move cancelled or redirected, the replica deleted):
   * renamed to `-delete` and removed after file.delete.delay.ms. False if there is none.
   */
  deleteFutureLog(topic: string, partition: number): boolean {
    const key = topicPartitionName(topic, partition);
    const log = this.futureLogs.get(key);
    if (!log) return false;
    this.futureLogs.delete(key);
    this.removeLogDir(log);
    return true;
  }

  /** Applies a changed topic config (AlterConfigs / ZK config change) to its partitions. */
  updateTopicConfig(topic: string, config: LogConfig): void {
    for (const log of this.logsByTopic(topic)) log.updateConfig(config);
  }

  /** Changes the broker-level defaults used by topics without their own config. */
  updateDefaultConfig(config: LogConfig): void {
    this.defaultConfig = config;
  }

  /**
   * Removes a partition: closes its log, renames its dir to `<topic>-<partition>.<uuid>-delete`
   * and deletes that after file.delete.delay.ms. Returns false if the partition is not hosted.
   */
  deleteLog(topic: string, partition: number): boolean {
    const key = topicPartitionName(topic, partition);
    this.preferredLogDirs.delete(key);
    const log = this.logs.get(key);
    this.deleteFutureLog(topic, partition);
    if (!log) return false;
    this.logs.delete(key);
    this.removeLogDir(log);
    return true;
  }

  private removeLogDir(log: UnifiedLog): void {
    log.closeHandlers();
    log.renameDir(logDeleteDirName(log.topic, log.partition));
    this.logger.info(`Log for partition ${log.name} is renamed to ${log.dir} and is scheduled for deletion`);
    this.checkpointDir(log.parentDir);
    this.scheduleDirDeletion(log.dir, log.config.fileDeleteDelayMs);
  }

  private scheduleDirDeletion(dir: string, delayMs: number): void {
    this.scheduler.scheduleOnce(
      'kafka-delete-logs',
      () => {
        const done = fs.promises
          .rm(dir, { recursive: true, force: true })
          .then(() => this.logger.info(`Deleted log directory ${dir}.`))
          .catch((e) => this.logger.error(`Exception while deleting ${dir}: ${String(e)}`))
          .finally(() => this.pendingDirDeletions.delete(done));
        this.pendingDirDeletions.add(done);
        return done;
      },
      delayMs,
    );
  }

  /** Truncates a partition (replication) and checkpoints the recovery points of its dir. */
  truncateTo(topic: string, partition: number, offset: bigint): boolean {
    const log = this.getLog(topic, partition);
    if (!log) return false;
    const truncated = log.truncateTo(offset);
    if (truncated) this.checkpointRecoveryOffsetsInDir(log.parentDir);
    // A future log stays a prefix of the current one.
    const future = this.getFutureLog(topic, partition);
    if (future && future.truncateTo(offset)) this.checkpointRecoveryOffsetsInDir(future.parentDir);
    return truncated;
  }

  /** Truncates the future log of a partition (the copier realigning it with the current log). */
  truncateFutureTo(topic: string, partition: number, offset: bigint): boolean {
    const future = this.getFutureLog(topic, partition);
    if (!future || !future.truncateTo(offset)) return false;
    this.checkpointRecoveryOffsetsInDir(future.parentDir);
    return true;
  }

  /** Empties the future log of a partition and restarts it at `newOffset`. */
  truncateFutureFullyAndStartAt(topic: string, partition: number, newOffset: bigint): boolean {
    const future = this.getFutureLog(topic, partition);
    if (!future) return false;
    future.truncateFullyAndStartAt(newOffset);
    this.checkpointRecoveryOffsetsInDir(future.parentDir);
    this.checkpointLogStartOffsetsInDir(future.parentDir);
    return true;
  }

  /** Empties a partition and restarts it at `newOffset`, then checkpoints its dir. */
  truncateFullyAndStartAt(topic: string, partition: number, newOffset: bigint): boolean {
    const log = this.getLog(topic, partition);
    if (!log) return false;
    log.truncateFullyAndStartAt(newOffset);
    this.checkpointRecoveryOffsetsInDir(log.parentDir);
    this.checkpointLogStartOffsetsInDir(log.parentDir);
    this.truncateFutureFullyAndStartAt(topic, partition, newOffset);
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Background work (also callable directly)

  /** One retention pass over every log; returns the number of segments deleted. */
  cleanupLogs(): number {
    const start = this.time.milliseconds();
    let total = 0;
    for (const log of this.logs.values()) {
      if (log.isOffline) continue;
      try {
        total += log.deleteOldSegments();
      } catch (e) {
        this.logger.error(`Error while deleting old segments of ${log.name}: ${String(e)}`);
      }
    }
    this.logger.debug(
      `Log cleanup completed. ${total} files deleted in ${(this.time.milliseconds() - start) / 1000} seconds`,
    );
    return total;
  }

  /** Flushes logs whose flush.ms elapsed since their last flush. */
  flushDirtyLogs(): void {
    const now = this.time.milliseconds();
    for (const log of this.allLogsWithFuture()) {
      if (log.isOffline) continue;
      try {
        if (now - log.lastFlushTime >= log.config.flushMs) log.flush(false);
      } catch (e) {
        this.logger.error(`Error flushing topic ${log.topic}: ${String(e)}`);
      }
    }
  }

  /** Current and future logs in `dir` (a partition has at most one of them per dir). */
  private logsInDir(dir: string): UnifiedLog[] {
    return this.allLogsWithFuture().filter((l) => l.parentDir === dir);
  }

  private writeCheckpoint(
    dir: string,
    pick: (c: DirCheckpoints) => OffsetCheckpointFile,
    entries: TopicPartitionOffset[],
  ): void {
    const files = this.checkpoints.get(dir);
    if (!files) return;
    try {
      pick(files).write(entries);
    } catch (e) {
      this.logger.error(`Disk error while writing ${pick(files).path}: ${String(e)}`);
    }
  }

  private checkpointRecoveryOffsetsInDir(dir: string): void {
    this.writeCheckpoint(
      dir,
      (c) => c.recoveryPoints,
      this.logsInDir(dir).map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })),
    );
  }

  private checkpointLogStartOffsetsInDir(dir: string): void {
    // Only logs whose start moved past their first segment: the rest is implied by the files.
    const entries = this.logsInDir(dir)
      .filter((l) => l.logStartOffset > l.logSegments()[0].baseOffset)
      .map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset }));
    this.writeCheckpoint(dir, (c) => c.logStartOffsets, entries);
  }

  private checkpointHighWatermarksInDir(dir: string): void {
    this.writeCheckpoint(
      dir,
      (c) => c.highWatermarks,
      this.logsInDir(dir).map((l) => ({ topic: l.topic, partition: l.partition, offset: l.highWatermark })),
    );
  }

  private checkpointDir(dir: string): void {
    this.checkpointRecoveryOffsetsInDir(dir);
    this.checkpointLogStartOffsetsInDir(dir);
    this.checkpointHighWatermarksInDir(dir);
  }

  /** Writes recovery-point-offset-checkpoint in every dir. */
  checkpointRecoveryOffsets(): void {
    for (const dir of this.logDirs) this.checkpointRecoveryOffsetsInDir(dir);
  }

  /** Writes log-start-offset-checkpoint in every dir. */
  checkpointLogStartOffsets(): void {
    for (const dir of this.logDirs) this.checkpointLogStartOffsetsInDir(dir);
  }

  /** Writes replication-offset-checkpoint (high watermarks) in every dir. */
  checkpointHighWatermarks(): void {
    for (const dir of this.logDirs) this.checkpointHighWatermarksInDir(dir);
  }

  /** Resolves when pending `-delete` directory removals have finished (tests). */
  async awaitPendingDeletions(): Promise<void> {
    while (this.pendingDirDeletions.size > 0) await Promise.all([...this.pendingDirDeletions]);
  }

  private ensureRunning(): void {
    if (this.shutDown) throw new Error('LogManager is shut down');
  }

  /**
   * Clean shutdown: stop background tasks, flush and close every log, write all checkpoints and
   * the clean-shutdown marker, release the dir locks.
   */
  shutdown(): void {
    if (this.shutDown) return;
    this.shutDown = true;
    this.logger.info('Shutting down.');
    if (this.ownsScheduler) this.scheduler.shutdown();
    for (const dir of this.logDirs) {
      let clean = true;
      for (const log of this.logsInDir(dir)) {
        try {
          log.flush(true);
          log.close();
        } catch (e) {
          clean = false;
          this.logger.error(`Error while closing log ${log.name} in ${dir}: ${String(e)}`);
        }
      }
      this.checkpointDir(dir);
      if (clean) {
        try {
          const file = path.join(dir, CLEAN_SHUTDOWN_FILE);
          const fd = fs.openSync(file, 'w');
          try {
            fs.writeSync(fd, '{"version":0,"brokerEpoch":-1}');
            fs.fsyncSync(fd);
          } finally {
            fs.closeSync(fd);
          }
          fsyncDir(dir);
          this.logger.debug(`Updated clean shutdown marker at ${file}`);
        } catch (e) {
          this.logger.error(`Could not write the clean shutdown marker in ${dir}: ${String(e)}`);
        }
      }
    }
    this.logs.clear();
    this.futureLogs.clear();
    this.releaseLocks();
    this.logger.info('Shutdown complete.');
  }
}
