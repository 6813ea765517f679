// Opening a partition directory at startup (Kafka's LogLoader): clean up leftovers of
// interrupted operations, open the segments, recover the ones written after the last flush
// when the broker did not shut down cleanly, and work out the log start/end offsets and the
// recovery point. storage-format.md §4.

import * as fs from 'fs';
import * as path from 'path';
import { InvalidOffsetError } from './errors';
import { FileRecords } from './file-records';
import { LeaderEpochFileCache } from './leader-epoch-cache';
import { LogConfig } from './log-config';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  SWAP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
  offsetFromFileName,
  offsetIndexFile,
  timeIndexFile,
} from './log-file-names';
import { LogSegment } from './log-segment';
import { Time } from './time';
import { getLogger, Logger } from '../utils/logger';

export interface LoadLogParams {
  readonly dir: string;
  readonly config: LogConfig;
  readonly time: Time;
  readonly logPrefix: string;
  /** The log dir had `.kafka_cleanshutdown`: nothing needs recovery. */
  readonly hadCleanShutdown: boolean;
  /** From recovery-point-offset-checkpoint (0 if unknown): everything below was fsynced. */
  readonly recoveryPointCheckpoint: bigint;
  /** From log-start-offset-checkpoint (0 if unknown). */
  readonly logStartOffsetCheckpoint: bigint;
  readonly leaderEpochCache: LeaderEpochFileCache;
}

export interface LoadedLog {
  readonly segments: LogSegment[];
  readonly logStartOffset: bigint;
  readonly recoveryPoint: bigint;
  readonly logEndOffset: bigint;
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name);
}

function unlinkQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Next offset after the last batch of a .log file (scan of headers). */
function nextOffsetOfLogFile(file: string, baseOffset: bigint): bigint {
  const records = FileRecords.open(file, true);
  try {
    let next = baseOffset;
    const it = records.batches(0, 1024 * 1024);
    for (let b = it.next(); b !== null; b = it.next()) next = b.lastOffset + 1n;
    return next;
  } finally {
    records.closeHandlers();
  }
}

/**
 * Deletes `*.deleted` leftovers and `*.cleaned` files, drops `.swap` files of an incomplete
 * split, and completes interrupted swaps: segments replaced by a swap are deleted and the
 * `.swap` files renamed to their final names (Kafka's removeTempFilesAndCollectSwapFiles plus
 * the swap handling of LogLoader.load).
 */
function completeInterruptedOperations(dir: string, logger: Logger): void {
  let minCleanedOffset: bigint | null = null;
  const swapFiles: string[] = [];
  for (const name of listFiles(dir)) {
    const file = path.join(dir, name);
    if (name.endsWith(DELETED_FILE_SUFFIX)) {
      logger.debug(`Deleting stray temporary file ${file}`);
      unlinkQuietly(file);
    } else if (name.endsWith(CLEANED_FILE_SUFFIX)) {
      const off = offsetFromFileName(name);
      if (off !== null && (minCleanedOffset === null || off < minCleanedOffset)) minCleanedOffset = off;
      logger.debug(`Deleting stray .clean file ${file}`);
      unlinkQuietly(file);
    } else if (name.endsWith(SWAP_FILE_SUFFIX)) {
      swapFiles.push(name);
    }
  }
  const validSwaps: string[] = [];
  for (const name of swapFiles) {
    const off = offsetFromFileName(name);
    if (minCleanedOffset !== null && off !== null && off >= minCleanedOffset) {
      logger.debug(
        `Deleting invalid swap file ${path.join(dir, name)} minCleanedFileOffset: ${minCleanedOffset}`,
      );
      unlinkQuietly(path.join(dir, name));
    } else {
      validSwaps.push(name);
    }
  }
  let minSwapOffset: bigint | null = null;
  let maxSwapNextOffset: bigint | null = null;
  for (const name of validSwaps) {
    if (!name.endsWith(LOG_FILE_SUFFIX + SWAP_FILE_SUFFIX)) continue;
    const base = offsetFromFileName(name);
    if (base === null) continue;
    logger.info(
      `Found log file ${path.join(dir, name)} from interrupted swap operation, which is recoverable from ${SWAP_FILE_SUFFIX} files by renaming.`,
    );
    const next = nextOffsetOfLogFile(path.join(dir, name), base);
    if (minSwapOffset === null || base < minSwapOffset) minSwapOffset = base;
    if (maxSwapNextOffset === null || next > maxSwapNextOffset) maxSwapNextOffset = next;
  }
  if (minSwapOffset !== null && maxSwapNextOffset !== null) {
    for (const name of listFiles(dir)) {
      if (name.endsWith(SWAP_FILE_SUFFIX)) continue;
      const off = offsetFromFileName(name);
      if (off !== null && off >= minSwapOffset && off < maxSwapNextOffset) {
        logger.info(`Deleting segment files ${name} that is compacted but has not been deleted yet.`);
        unlinkQuietly(path.join(dir, name));
      }
    }
  }
  for (const name of validSwaps) {
    logger.info(`Recovering file ${name} by renaming from ${SWAP_FILE_SUFFIX} files.`);
    fs.renameSync(
      path.join(dir, name),
      path.join(dir, name.substring(0, name.length - SWAP_FILE_SUFFIX.length)),
    );
  }
}

/** Opens every segment; those without an offset index are recovered right away. */
function loadSegmentFiles(p: LoadLogParams, logger: Logger): LogSegment[] {
  const names = listFiles(p.dir);
  const logBases = new Set<string>();
  for (const name of names)
    if (name.endsWith(LOG_FILE_SUFFIX) && offsetFromFileName(name) !== null) logBases.add(name);
  for (const name of names) {
    const isIndex = [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX].some((s) =>
      name.endsWith(s),
    );
    if (!isIndex) continue;
    const logName = name.substring(0, name.lastIndexOf('.')) + LOG_FILE_SUFFIX;
    if (!logBases.has(logName)) {
      logger.warn(`Found an orphaned index file ${path.join(p.dir, name)}, with no corresponding log file.`);
      unlinkQuietly(path.join(p.dir, name));
    }
  }
  const bases = [...logBases].map((n) => offsetFromFileName(n)!).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const segments: LogSegment[] = [];
  for (const base of bases) {
    const hadOffsetIndex = fs.existsSync(offsetIndexFile(p.dir, base));
    const hadTimeIndex = fs.existsSync(timeIndexFile(p.dir, base));
    const segment = LogSegment.open(p.dir, base, p.config, p.time, { fileAlreadyExists: true });
    if (!hadOffsetIndex) {
      if (p.hadCleanShutdown || base < p.recoveryPointCheckpoint) {
        logger.error(
          `Could not find offset index file corresponding to log file ${segment.log.path}, recovering segment and rebuilding index files...`,
        );
      }
      segment.recover(p.leaderEpochCache);
    } else if (!hadTimeIndex) {
      segment.timeIndex.resize(0);
    }
    segments.push(segment);
  }
  return segments;
}

/**
 * Recovers segments from the one holding the recovery point to the end. A segment that loses
 * bytes ends the log: every later segment is deleted.
 */
function recoverUnflushed(p: LoadLogParams, segments: LogSegment[], logger: Logger): void {
  let start = 0;
  for (let i = 0; i < segments.length; i++)
    if (segments[i].baseOffset <= p.recoveryPointCheckpoint) start = i;
  const total = segments.length - start;
  for (let i = start; i < segments.length; i++) {
    const segment = segments[i];
    logger.info(`Recovering unflushed segment ${segment.baseOffset}. ${i - start}/${total} recovered.`);
    let truncated: number;
    try {
      truncated = segment.recover(p.leaderEpochCache);
    } catch (e) {
      if (!(e instanceof InvalidOffsetError)) throw e;
      logger.warn(
        `Found invalid offset during recovery. Deleting the corrupt segment and creating an empty one with starting offset ${segment.baseOffset}`,
      );
      truncated = segment.truncateTo(segment.baseOffset);
    }
    if (truncated > 0) {
      logger.warn(
        `Corruption found in segment ${segment.baseOffset}, truncating to offset ${segment.readNextOffset()}`,
      );
      for (const later of segments.splice(i + 1)) {
        logger.info(
          `Deleting segment ${later.baseOffset} after the corruption in segment ${segment.baseOffset}`,
        );
        later.deleteIfExists();
      }
      break;
    }
  }
}

export function loadLog(p: LoadLogParams): LoadedLog {
  const logger = getLogger('kafka.log.LogLoader', p.logPrefix);
  completeInterruptedOperations(p.dir, logger);
  const segments = loadSegmentFiles(p, logger);
  if (!p.hadCleanShutdown) recoverUnflushed(p, segments, logger);

  let logEndOffset: bigint | null = null;
  if (segments.length > 0) {
    logEndOffset = segments[segments.length - 1].readNextOffset();
    if (logEndOffset < p.logStartOffsetCheckpoint) {
      logger.warn(
        `Deleting all segments because logEndOffset (${logEndOffset}) is smaller than logStartOffset ${p.logStartOffsetCheckpoint}. This could happen if segment files were deleted from the file system.`,
      );
      for (const s of segments.splice(0)) s.deleteIfExists();
      p.leaderEpochCache.clearAndFlush();
      logEndOffset = null;
    }
  }
  if (segments.length === 0) {
    segments.push(LogSegment.open(p.dir, p.logStartOffsetCheckpoint, p.config, p.time));
  }
  const active = segments[segments.length - 1];
  const nextOffset = logEndOffset ?? active.readNextOffset();
  // Advance the recovery point only when nothing was in doubt; otherwise it must not pass the end.
  const recoveryPoint =
    p.hadCleanShutdown && logEndOffset !== null
      ? logEndOffset
      : p.recoveryPointCheckpoint < nextOffset
        ? p.recoveryPointCheckpoint
        : nextOffset;
  active.resizeIndexes(p.config.segmentIndexBytes);

  p.leaderEpochCache.truncateFromEnd(nextOffset);
  const first = segments[0].baseOffset;
  const logStartOffset = p.logStartOffsetCheckpoint > first ? p.logStartOffsetCheckpoint : first;
  p.leaderEpochCache.truncateFromStart(p.logStartOffsetCheckpoint);
  return { segments, logStartOffset, recoveryPoint, logEndOffset: nextOffset };
}
