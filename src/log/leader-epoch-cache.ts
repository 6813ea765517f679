// Leader epoch → start offset map of a partition (Kafka's LeaderEpochFileCache), persisted in
// `leader-epoch-checkpoint` (checkpoint text format, version 0, lines `<epoch> <startOffset>`).
// It answers OffsetForLeaderEpoch (where did epoch E end?) so followers truncate exactly to the
// divergence point. Entries are strictly increasing in both epoch and start offset. New entries
// are written synchronously with fsync (they must survive a crash before the data they
// describe is acknowledged); truncations rewrite the file too. storage-format.md §5.

import * as path from 'path';
import { CheckpointEntryFormat, CheckpointFile, parseJavaInt, parseJavaLong } from './checkpoints';
import { getLogger, Logger } from '../utils/logger';

export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: bigint;
}

export interface EpochEndOffset {
  /** -1 when undefined. */
  readonly epoch: number;
  /** -1 when undefined. */
  readonly endOffset: bigint;
}

const EPOCH_ENTRY_FORMAT: CheckpointEntryFormat<EpochEntry> = {
  toLine: (e) => `${e.epoch} ${e.startOffset}`,
  fromLine: (line) => {
    const parts = line.split(/\s+/);
    if (parts.length !== 2) return null;
    const epoch = parseJavaInt(parts[0]);
    const startOffset = parseJavaLong(parts[1]);
    if (epoch === null || startOffset === null) return null;
    return { epoch, startOffset };
  },
};

const fmt = (entries: readonly EpochEntry[]): string =>
  `[${entries.map((e) => `EpochEntry(epoch=${e.epoch}, startOffset=${e.startOffset})`).join(', ')}]`;

export class LeaderEpochFileCache {
  private readonly checkpoint: CheckpointFile<EpochEntry>;
  private readonly logger: Logger;
  /** Sorted by epoch (and therefore by start offset). */
  private epochs: EpochEntry[];

  /**
   * Loads `<dir>/leader-epoch-checkpoint`. An unreadable file is logged and treated as empty:
   * followers then fall back to truncating by high watermark, which is safe.
   */
  constructor(dir: string, logPrefix = '') {
    this.logger = getLogger('org.apache.kafka.storage.internals.epoch.LeaderEpochFileCache', logPrefix);
    this.checkpoint = new CheckpointFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 0, EPOCH_ENTRY_FORMAT);
    let loaded: EpochEntry[] = [];
    try {
      loaded = this.checkpoint.read();
    } catch (e) {
      this.logger.error(
        `Error reading ${this.checkpoint.path}, starting with an empty leader epoch cache: ${String(e)}`,
      );
    }
    this.epochs = [];
    for (const entry of loaded) this.assignEntry(entry);
  }

  get file(): string {
    return this.checkpoint.path;
  }

  /** Records that `epoch` started at `startOffset`, if that is news; persists it with fsync. */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0 || startOffset < 0n) {
      throw new RangeError(
        `Received invalid partition leader epoch entry EpochEntry(epoch=${epoch}, startOffset=${startOffset})`,
      );
    }
    if (this.assignEntry({ epoch, startOffset })) {
      this.logger.debug(
        `Appended new epoch entry EpochEntry(epoch=${epoch}, startOffset=${startOffset}). Cache now contains ${this.epochs.length} entries.`,
      );
      this.flush();
    }
  }

  /** Adds the entry unless it is the latest already; drops conflicting later entries. */
  private assignEntry(entry: EpochEntry): boolean {
    const latest = this.latestEntry();
    if (latest && entry.epoch === latest.epoch && entry.startOffset >= latest.startOffset) return false;
    const removed: EpochEntry[] = [];
    while (this.epochs.length > 0) {
      const last = this.epochs[this.epochs.length - 1];
      if (last.epoch >= entry.epoch || last.startOffset >= entry.startOffset)
        removed.unshift(this.epochs.pop()!);
      else break;
    }
    this.epochs.push(entry);
    if (removed.length > 1 || (removed.length === 1 && removed[0].startOffset !== entry.startOffset)) {
      this.logger.warn(
        `New epoch entry EpochEntry(epoch=${entry.epoch}, startOffset=${entry.startOffset}) caused truncation of conflicting entries ${fmt(removed)}. Cache now contains ${this.epochs.length} entries.`,
      );
    }
    return true;
  }

  get nonEmpty(): boolean {
    return this.epochs.length > 0;
  }

  entries(): readonly EpochEntry[] {
    return this.epochs.slice();
  }

  latestEntry(): EpochEntry | null {
    return this.epochs.length > 0 ? this.epochs[this.epochs.length - 1] : null;
  }

  earliestEntry(): EpochEntry | null {
    return this.epochs.length > 0 ? this.epochs[0] : null;
  }

  latestEpoch(): number | null {
    return this.latestEntry()?.epoch ?? null;
  }

  /** Epoch before the latest one, or null. */
  previousEpoch(): number | null {
    return this.epochs.length > 1 ? this.epochs[this.epochs.length - 2].epoch : null;
  }

  /** Epoch in which `offset` was written (the entry with the greatest start offset <= offset). */
  epochForOffset(offset: bigint): number | null {
    let previous: number | null = null;
    for (const e of this.epochs) {
      if (e.startOffset === offset) return e.epoch;
      if (e.startOffset > offset) return previous;
      previous = e.epoch;
    }
    return previous;
  }

  /**
   * OffsetForLeaderEpoch: the end offset of `requestedEpoch` (start offset of the next higher
   * epoch, or the log end offset for the current epoch) and the epoch that answer belongs to.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH) return undefinedResult;
    const latest = this.latestEpoch();
    if (latest !== null && latest === requestedEpoch)
      return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.epochs.find((e) => e.epoch > requestedEpoch);
    if (!higher) return undefinedResult;
    let floor: EpochEntry | null = null;
    for (const e of this.epochs) if (e.epoch <= requestedEpoch) floor = e;
    if (floor === null) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: floor.epoch, endOffset: higher.startOffset };
  }

  /** Removes entries starting at or after `endOffset` (log truncated to it). */
  truncateFromEnd(endOffset: bigint): void {
    const latest = this.latestEntry();
    if (endOffset < 0n || !latest || latest.startOffset < endOffset) return;
    const before = this.epochs;
    this.epochs = before.filter((e) => e.startOffset < endOffset);
    this.logger.debug(
      `Cleared entries ${fmt(before.slice(this.epochs.length))} from epoch cache after truncating to end offset ${endOffset}, leaving ${this.epochs.length} entries in the cache.`,
    );
    this.flush();
  }

  /**
   * Log start moved to `startOffset`: drops entries starting at or before it, keeping the last of
   * them re-based to `startOffset` (that epoch still covers the new first offset).
   */
  truncateFromStart(startOffset: bigint): void {
    let n = 0;
    while (n < this.epochs.length && this.epochs[n].startOffset <= startOffset) n++;
    if (n === 0) return;
    const lastRemoved = this.epochs[n - 1];
    if (n === 1 && lastRemoved.startOffset === startOffset) return;
    const removed = this.epochs.slice(0, n);
    this.epochs = [{ epoch: lastRemoved.epoch, startOffset }, ...this.epochs.slice(n)];
    this.logger.debug(
      `Cleared entries ${fmt(removed)} and rewrote first entry EpochEntry(epoch=${lastRemoved.epoch}, startOffset=${startOffset}) after truncating to start offset ${startOffset}, leaving ${this.epochs.length} in the cache.`,
    );
    this.flush();
  }

  /** Empties the cache and the file (legacy-format append, full truncation). */
  clearAndFlush(): void {
    this.epochs = [];
    this.flush();
  }

  /** Rewrites the checkpoint file (tmp + fsync + rename). */
  flush(): void {
    this.checkpoint.write(this.epochs);
  }
}
