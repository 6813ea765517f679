// All partition logs of the broker across its `log.dirs` (Kafka's LogManager): locks and
// validates each dir (meta.properties), loads every partition directory at startup (recovering
// after an unclean shutdown), creates new logs in the dir holding the fewest partitions,
// deletes logs by renaming them to `-delete` dirs removed later, and runs the background work:
// retention, flushes, and the recovery-point / log-start-offset / high-watermark checkpoints.
// A clean shutdown flushes everything, writes the checkpoints and `.kafka_cleanshutdown`.

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
import { LogDirError } from './errors';
import { fsyncDir } from './fs-utils';
import { LogConfig, LogManagerConfig } from './log-config';
import { logDeleteDirName, parseTopicPartitionName, topicPartitionName } from './log-file-names';
import { verifyAndWriteMetaProperties } from './meta-properties';
import { RecordsDecompressor } from './record-timestamps';
import { Scheduler } from './scheduler';
import { SystemTime, Time } from './time';
import { UnifiedLog } from './unified-log';
import { getLogger } from '../utils/logger';

export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Tiered-storage cache dir Kafka keeps next to partition dirs; not a partition. */
const REMOTE_INDEX_CACHE_DIR = 'remote-log-index-cache';

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
        if (parsed.kind !== 'normal') {
          this.logger.warn(
            `Leaving ${parsed.kind} log directory ${path.join(dir, name)} alone (not supported)`,
          );
          continue;
        }
        const key = topicPartitionName(parsed.topic, parsed.partition);
        const previous = this.logs.get(key);
        if (previous) {
          throw new LogDirError(
            `Duplicate log directories for ${key} are found in both ${path.join(dir, name)} and ${previous.dir}. Recover broker from this failure by manually deleting one of the two directories for this partition.`,
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
        this.logs.set(key, log);
      }
    }
    this.logger.info(`Loaded ${this.logs.size} logs in ${this.time.milliseconds() - start}ms`);
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
    return this.allLogs().filter((l) => l.topic === topic);
  }

  /** Number of partition logs per log dir (in log.dirs order). */
  partitionCounts(): Map<string, number> {
    const counts = new Map<string, number>(this.logDirs.map((d) => [d, 0]));
    for (const log of this.logs.values()) counts.set(log.parentDir, (counts.get(log.parentDir) ?? 0) + 1);
    return counts;
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
    const dir = this.nextLogDir();
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
    this.logger.info(
      `Created log for partition ${key} in ${log.dir} with properties ${JSON.stringify(logConfig.overrides())}`,
    );
    return log;
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
    const log = this.logs.get(key);
    if (!log) return false;
    this.logs.delete(key);
    log.closeHandlers();
    log.renameDir(logDeleteDirName(topic, partition));
    this.logger.info(`Log for partition ${key} is renamed to ${log.dir} and is scheduled for deletion`);
    this.checkpointDir(log.parentDir);
    this.scheduleDirDeletion(log.dir, log.config.fileDeleteDelayMs);
    return true;
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
    return truncated;
  }

  /** Empties a partition and restarts it at `newOffset`, then checkpoints its dir. */
  truncateFullyAndStartAt(topic: string, partition: number, newOffset: bigint): boolean {
    const log = this.getLog(topic, partition);
    if (!log) return false;
    log.truncateFullyAndStartAt(newOffset);
    this.checkpointRecoveryOffsetsInDir(log.parentDir);
    this.checkpointLogStartOffsetsInDir(log.parentDir);
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
    for (const log of this.logs.values()) {
      if (log.isOffline) continue;
      try {
        if (now - log.lastFlushTime >= log.config.flushMs) log.flush(false);
      } catch (e) {
        this.logger.error(`Error flushing topic ${log.topic}: ${String(e)}`);
      }
    }
  }

  private logsInDir(dir: string): UnifiedLog[] {
    return this.allLogs().filter((l) => l.parentDir === dir);
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
    this.releaseLocks();
    this.logger.info('Shutdown complete.');
  }
}
