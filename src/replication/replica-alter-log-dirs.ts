// Moves replicas between the log dirs of this broker (Kafka's ReplicaAlterLogDirsManager and
// ReplicaAlterLogDirsThread): for each partition with a future log, batches are read from the
// current log (a local read up to its log end, no network) and appended unchanged to the future
// log, which follows the current high watermark and log start offset. Once the future log ends
// where the current one does, the partition swaps them (Partition.maybeReplaceCurrentWithFutureReplica)
// and the partition leaves the copier. As Kafka's thread, one partition is copied at a time — the
// largest topic-partition first — so each move finishes as early as possible, and the byte rate is
// bounded by replica.alter.log.dirs.io.max.bytes.per.second: while the quota is exceeded nothing is
// read and the copier waits replica.fetch.backoff.ms.
//
// When a partition joins (a move starts or resumes after a restart), the future log is first
// realigned with the current one through their leader epoch caches (the current log may have
// been truncated while the future one was not, e.g. recovery after a crash): it keeps only the
// prefix both share. Afterwards truncations of the current log are applied to the future log by
// the log manager, so the future log stays a prefix of the current log.

import type { Partition } from '../cluster/partition';
import { KafkaStorageError } from '../log/errors';
import type { UnifiedLog } from '../log/unified-log';
import { getLogger } from '../utils/logger';
import { truncationState } from './truncation';
import { WakeableSleep } from '../utils/wakeable-sleep';

/** replica.alter.log.dirs.io.max.bytes.per.second (ConfigManager's quotas.alterLogDirs). */
export interface AlterLogDirsQuota {
  isQuotaExceeded(): boolean;
  record(bytes: number): void;
}

export interface AlterLogDirsHost {
  getPartition(topic: string, partition: number): Partition | undefined;
  /** The log manager's directory swap; returns the new current log. */
  replaceCurrentWithFutureLog(topic: string, partition: number): UnifiedLog;
  truncateFutureTo(topic: string, partition: number, offset: bigint): void;
  truncateFutureFullyAndStartAt(topic: string, partition: number, offset: bigint): void;
  quota(): AlterLogDirsQuota | undefined;
}

export interface AlterLogDirsConfig {
  brokerId: number;
  /** replica.fetch.max.bytes: bytes read per partition and round. */
  fetchMaxBytes: number;
  /** replica.fetch.response.max.bytes: bytes per round. */
  fetchResponseMaxBytes: number;
  /** replica.fetch.backoff.ms: wait while throttled or after an error. */
  fetchBackoffMs: number;
}

interface MoveState {
  readonly topic: string;
  readonly partition: number;
  /** false until the future log was realigned with the current one. */
  aligned: boolean;
  /** not copied before this time (after an error) */
  delayedUntil: number;
}

const compareTopicPartition = (a: MoveState, b: MoveState): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

export class ReplicaAlterLogDirsManager {
  private readonly log;
  private readonly moves = new Map<string, MoveState>();
  private loop: Promise<void> | null = null;
  /** The loop's backoff, cut short when work arrives. */
  private readonly idle = new WakeableSleep();
  private stopped = false;

  constructor(
    private readonly cfg: AlterLogDirsConfig,
    private readonly host: AlterLogDirsHost,
  ) {
    this.log = getLogger(
      'kafka.server.ReplicaAlterLogDirsManager',
      `[ReplicaAlterLogDirsThread-0 broker=${cfg.brokerId}]`,
    );
  }

  /** Starts (or keeps) copying these partitions; a partition added again is realigned first. */
  addPartitions(partitions: ReadonlyArray<{ topic: string; partition: number }>): void {
    if (this.stopped) return;
    for (const { topic, partition } of partitions) {
      const key = `${topic}-${partition}`;
      if (!this.moves.has(key)) this.log.info(`Added log dir move of ${key}`);
      this.moves.set(key, { topic, partition, aligned: false, delayedUntil: 0 });
    }
    if (this.moves.size > 0 && this.loop === null)
      this.loop = this.run().catch((e: Error) => this.log.error(`Copier loop failed: ${e.stack}`));
    this.idle.wake();
  }

  removePartitions(keys: readonly string[]): void {
    let removed = false;
    for (const k of keys) removed = this.moves.delete(k) || removed;
    if (removed) this.idle.wake();
  }

  /** Partitions being copied (`topic-partition`). */
  partitions(): string[] {
    return [...this.moves.keys()];
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    this.moves.clear();
    this.idle.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.moves.size > 0) {
      const now = Date.now();
      const ready = [...this.moves.entries()].filter(([, s]) => s.delayedUntil <= now);
      if (ready.length === 0 || this.host.quota()?.isQuotaExceeded()) {
        await this.idle.sleep(this.cfg.fetchBackoffMs);
        continue;
      }
      const [key, state] = ready.reduce((a, b) => (compareTopicPartition(a[1], b[1]) >= 0 ? a : b));
      let progressed = false;
      try {
        progressed = this.copyOnce(key, state);
      } catch (e) {
        if (e instanceof KafkaStorageError) {
          this.log.error(`Error while moving ${key} to another log dir, giving up: ${e.message}`);
          this.moves.delete(key);
        } else {
          this.log.error(`Error while moving ${key} to another log dir: ${(e as Error).stack ?? String(e)}`);
          state.delayedUntil = Date.now() + this.cfg.fetchBackoffMs;
        }
      }
      // Let requests in between rounds; wait when there was nothing to copy.
      if (progressed) await new Promise((r) => setImmediate(r));
      else if (this.moves.has(key)) await this.idle.sleep(this.cfg.fetchBackoffMs);
    }
    this.loop = null;
  }

  /** One round for one partition; returns whether anything was copied or swapped. */
  private copyOnce(key: string, state: MoveState): boolean {
    const { topic, partition } = state;
    const p = this.host.getPartition(topic, partition);
    const future = p?.futureLog ?? null;
    if (!p || future === null) {
      this.moves.delete(key);
      return false;
    }
    const current = p.log;
    if (!state.aligned) {
      this.realign(p, current, future);
      state.aligned = true;
    }
    // Offsets out of range (Kafka's handleOffsetOutOfRange for the future replica).
    if (future.logEndOffset > current.logEndOffset) {
      this.log.warn(
        `Future replica for partition ${key} reset its fetch offset from ${future.logEndOffset} to current replica's latest offset ${current.logEndOffset}`,
      );
      this.host.truncateFutureTo(topic, partition, current.logEndOffset);
    }
    if (future.logEndOffset < current.logStartOffset) {
      this.log.warn(
        `Future replica for partition ${key} reset its fetch offset from ${future.logEndOffset} to current replica's start offset ${current.logStartOffset}`,
      );
      this.host.truncateFutureFullyAndStartAt(topic, partition, current.logStartOffset);
    }
    let bytes = 0;
    if (future.logEndOffset < current.logEndOffset) {
      const maxBytes = Math.min(this.cfg.fetchMaxBytes, this.cfg.fetchResponseMaxBytes);
      const r = current.read(future.logEndOffset, maxBytes, 'logEnd', true);
      if (r.error !== null) return false;
      if (r.records.length > 0) bytes = p.appendRecordsToFutureReplica(r.records).validBytes;
    }
    future.updateHighWatermark(current.highWatermark);
    if (current.logStartOffset > future.logStartOffset && future.highWatermark > future.logStartOffset) {
      const target =
        current.logStartOffset < future.highWatermark ? current.logStartOffset : future.highWatermark;
      future.maybeIncrementLogStartOffset(target, 'leader offset increment');
    }
    this.host.quota()?.record(bytes);
    const swapped = p.maybeReplaceCurrentWithFutureReplica(() =>
      this.host.replaceCurrentWithFutureLog(topic, partition),
    );
    if (swapped) {
      this.moves.delete(key);
      this.log.info(`Moved ${key} to log dir ${p.log.parentDir}`);
    }
    return bytes > 0 || swapped;
  }

  /**
   * Keeps only what the future log shares with the current one (Kafka truncates the future
   * replica with the OffsetsForLeaderEpoch exchange against the current replica).
   */
  private realign(p: Partition, current: UnifiedLog, future: UnifiedLog): void {
    for (let i = 0; i < 100; i++) {
      if (future.logEndOffset === future.logStartOffset) return;
      const futureEpoch = future.latestEpoch();
      let offset: bigint;
      let done = true;
      if (futureEpoch < 0) {
        // No epochs (old message format): what was committed is shared.
        offset = future.highWatermark < current.logEndOffset ? future.highWatermark : current.logEndOffset;
      } else {
        const leader = current.endOffsetForEpoch(futureEpoch) ?? { epoch: -1, endOffset: -1n };
        const t = truncationState(leader, future.logEndOffset, future.logEndOffset, (e) =>
          future.endOffsetForEpoch(e),
        );
        offset = t.offset;
        done = t.truncationCompleted;
      }
      if (offset < future.logEndOffset) {
        this.log.info(`Truncating the future log of ${p} to offset ${offset} to match the current log`);
        this.host.truncateFutureTo(p.topic, p.partition, offset);
      }
      if (done) return;
    }
  }
}
