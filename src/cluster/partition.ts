// One partition replica hosted by this broker (Kafka's Partition): its log, the assignment, the
// leader and leader epoch the controller decided (LeaderAndIsr), and — while we lead — the ISR,
// the followers' fetch progress, the high watermark and ISR changes proposed to the controller
// through AlterPartition (one in flight at a time). The produce path validates, assigns offsets
// and appends without yielding between reading the log end offset and the append. Everything
// here is synchronous except the AlterPartition round trip, whose answer is applied only if the
// partition state it was meant for is still current.
//
// While the replica moves to another log dir (AlterReplicaLogDirs) the partition also holds a
// "future" log the copier fills from the current one; once both end at the same offset it takes
// the current log's place in one synchronous step, so no append can fall between the two.

import { EventEmitter } from 'node:events';
import { KafkaStorageError, UnexpectedAppendOffsetError } from '../log/errors';
import type { LogConfig } from '../log/log-config';
import { checkProducerAppend } from '../log/producer-state-manager';
import type { FetchIsolation, LogAppendResult, UnifiedLog } from '../log/unified-log';
import { ErrorCode, errorName } from '../protocol/errors';
import { assignOffsets } from '../protocol/records/assign';
import { TimestampType } from '../protocol/records/records';
import { validateRecordSet, ValidationConfig } from '../protocol/records/validate';
import type {
  AlterPartitionItem,
  AlterPartitionOutcome,
  CommittedLeaderAndIsr,
} from '../replication/alter-partition-manager';
import {
  effectiveMinIsr,
  FollowerReplica,
  followerInSync,
  highWatermarkCandidate,
  outOfSyncReplicas,
} from '../replication/follower-replica';
import {
  committedIsr,
  describeIsrState,
  isInflight,
  IsrState,
  isrOf,
  maximalIsrOf,
  PendingExpandIsr,
  PendingShrinkIsr,
} from '../replication/isr-state';
import { divergingEpoch, EpochEndOffset } from '../replication/truncation';
import { getLogger, Logger } from '../utils/logger';

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  baseOffset: bigint;
  /** Last offset appended; -1 when nothing was (acks=all waits for the HW to pass it). */
  lastOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
}

/** One partition of a LeaderAndIsr request (any version; absent fields at their defaults). */
export interface LeaderAndIsrPartitionState {
  controllerEpoch: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
  isNew: boolean;
  leaderRecoveryState: number;
}

/** What a partition needs from the broker around it. */
export interface PartitionContext {
  readonly localBrokerId: number;
  readonly replicaLagTimeMaxMs: number;
  /** Alive in the metadata cache (ISR eligibility). */
  isBrokerAlive(brokerId: number): boolean;
  alterPartition(item: AlterPartitionItem): Promise<AlterPartitionOutcome>;
  /** Truncation goes through the log manager so recovery points are checkpointed. */
  truncateTo(log: UnifiedLog, offset: bigint): void;
  truncateFullyAndStartAt(log: UnifiedLog, offset: bigint): void;
  now(): number;
}

export interface FetchParams {
  /** -1 for consumers, the follower's broker id for replicas */
  replicaId: number;
  fetchOffset: bigint;
  /** -1: not given */
  currentLeaderEpoch: number;
  /** -1: not given */
  lastFetchedEpoch: number;
  /** the follower's log start offset (replicas only) */
  logStartOffset: bigint;
  maxBytes: number;
  minOneMessage: boolean;
  isolation: FetchIsolation;
  /** false when re-reading for a fetch that waited (Kafka updates follower state once per fetch) */
  updateFetchState: boolean;
  /**
   * Replicas and consumers without client metadata (Fetch < v11) must fetch from the leader;
   * Kafka lets a follower serve other consumer fetches up to its high watermark.
   */
  fetchOnlyLeader?: boolean;
  /** Where the read bytes go (a pooled buffer the response releases); a new Buffer by default. */
  alloc?: (size: number) => Buffer;
}

export interface ReadInfo {
  errorCode: number;
  records: Buffer;
  divergingEpoch: EpochEndOffset | null;
  highWatermark: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
  lastStableOffset: bigint;
}

export interface EpochEndOffsetResult {
  errorCode: number;
  leaderEpoch: number;
  endOffset: bigint;
}

const EMPTY = Buffer.alloc(0);
const RECOVERING = 1;
const RECOVERED = 0;

/**
 * Events: 'append' after records are appended (leader or follower), 'highWatermark' (bigint)
 * when the high watermark changes.
 */
export class Partition extends EventEmitter {
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  /** Offset at which our current leader epoch started; null unless leader. */
  leaderEpochStartOffset: bigint | null = null;
  /** Assigned replicas (adding ones included), as the controller sent them. */
  replicas: number[] = [];
  addingReplicas: number[] = [];
  removingReplicas: number[] = [];
  private isrState: IsrState = committedIsr([]);
  private readonly remoteReplicas = new Map<number, FollowerReplica>();
  private deleted = false;
  /** The copy in another log dir that replaces `log` once caught up (Kafka's futureLog). */
  private _futureLog: UnifiedLog | null = null;
  private readonly logger: Logger;
  private readonly stateChangeLogger: Logger;

  constructor(
    readonly topic: string,
    readonly partition: number,
    public log: UnifiedLog,
    private readonly ctx: PartitionContext,
  ) {
    super();
    this.logger = getLogger(
      'kafka.cluster.Partition',
      `[Partition ${topic}-${partition} broker=${ctx.localBrokerId}]`,
    );
    this.stateChangeLogger = getLogger('state.change.logger', `[Broker id=${ctx.localBrokerId}]`);
  }

  get localBrokerId(): number {
    return this.ctx.localBrokerId;
  }

  get topicId(): string | null {
    return this.log.topicId;
  }

  get config(): LogConfig {
    return this.log.config;
  }

  get isLeader(): boolean {
    return this.leaderId === this.ctx.localBrokerId;
  }

  /** The ISR last confirmed by the controller (empty unless leader). */
  get isr(): number[] {
    return [...isrOf(this.isrState)];
  }

  /** Committed ISR plus a member being added (what the HW and acks=all wait for). */
  get maximalIsr(): number[] {
    return [...maximalIsrOf(this.isrState)];
  }

  get isIsrChangeInflight(): boolean {
    return isInflight(this.isrState);
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  /** The leader's view of a follower (tests, diagnostics). */
  followerState(brokerId: number): FollowerReplica | undefined {
    return this.remoteReplicas.get(brokerId);
  }

  override toString(): string {
    return `${this.topic}-${this.partition}`;
  }

  effectiveMinIsr(): number {
    return effectiveMinIsr(this.log.config.minInSyncReplicas, this.replicas.length);
  }

  /** Leader with fewer committed ISR members than the effective min ISR (HW frozen, KAFKA-15583). */
  get isUnderMinIsr(): boolean {
    return this.isLeader && isrOf(this.isrState).length < this.effectiveMinIsr();
  }

  // ---------------------------------------------------------------------------------------
  // Leadership (LeaderAndIsr)

  /**
   * Becomes (or stays) leader with the controller's state. A new leader epoch starts at our log
   * end offset and resets what we know of the followers. Skipped when the request's partition
   * epoch is older than ours (an AlterPartition answer may already have moved it on).
   */
  makeLeader(s: LeaderAndIsrPartitionState): { applied: boolean; isNewLeader: boolean; isNewEpoch: boolean } {
    const tp = this.toString();
    if (s.partitionEpoch < this.partitionEpoch) {
      this.stateChangeLogger.info(
        `Skipped the become-leader state change for ${tp} with topic id ${this.topicIdString()} and partition state ${describeState(s)} since the leader is already at a newer partition epoch ${this.partitionEpoch}.`,
      );
      return { applied: false, isNewLeader: false, isNewEpoch: false };
    }
    const now = this.ctx.now();
    const isNewLeader = !this.isLeader;
    const isNewEpoch = s.leaderEpoch > this.leaderEpoch;
    if (s.leaderRecoveryState === RECOVERING)
      this.stateChangeLogger.info(`The topic partition ${tp} was recovered with an unclean leader election.`);
    this.updateAssignmentAndIsr(s.replicas, true, s.isr, s.addingReplicas, s.removingReplicas, RECOVERED);
    const log = this.log;
    if (isNewEpoch) {
      const start = log.logEndOffset;
      this.stateChangeLogger.info(
        `Leader ${tp} with topic id ${this.topicIdString()} starts at leader epoch ${s.leaderEpoch} from offset ${start} with partition epoch ${s.partitionEpoch}, high watermark ${log.highWatermark}, ISR [${s.isr.join(',')}], adding replicas [${s.addingReplicas.join(',')}] and removing replicas [${s.removingReplicas.join(',')}]. Previous leader ${this.leaderId >= 0 ? `Some(${this.leaderId})` : 'None'} and previous leader epoch was ${this.leaderEpoch}.`,
      );
      log.assignEpochStartOffset(s.leaderEpoch, start);
      for (const r of this.remoteReplicas.values())
        r.reset(now, start, isNewLeader, s.isr.includes(r.brokerId));
      this.leaderEpoch = s.leaderEpoch;
      this.leaderEpochStartOffset = start;
    } else {
      this.stateChangeLogger.info(
        `Skipped the become-leader state change for ${tp} with topic id ${this.topicIdString()} and partition state ${describeState(s)} since it is already the leader with leader epoch ${this.leaderEpoch}. Current high watermark ${log.highWatermark}, ISR [${s.isr.join(',')}], adding replicas [${s.addingReplicas.join(',')}] and removing replicas [${s.removingReplicas.join(',')}].`,
      );
    }
    this.partitionEpoch = s.partitionEpoch;
    this.leaderId = this.ctx.localBrokerId;
    this.maybeIncrementLeaderHW(now);
    return { applied: true, isNewLeader, isNewEpoch };
  }

  /**
   * Becomes a follower of `s.leader`. Returns true when the leader epoch moved (the fetcher must
   * restart). The ISR is only tracked by the leader, so it is cleared here.
   */
  makeFollower(s: LeaderAndIsrPartitionState): boolean {
    const tp = this.toString();
    if (s.partitionEpoch < this.partitionEpoch) {
      this.stateChangeLogger.info(
        `Skipped the become-follower state change for ${tp} with topic id ${this.topicIdString()} and partition state ${describeState(s)} since the follower is already at a newer partition epoch ${this.partitionEpoch}.`,
      );
      return false;
    }
    const isNewEpoch = s.leaderEpoch > this.leaderEpoch;
    const previousEpoch = this.leaderEpoch;
    this.leaderId = s.leader;
    this.leaderEpoch = s.leaderEpoch;
    this.leaderEpochStartOffset = null;
    this.partitionEpoch = s.partitionEpoch;
    this.updateAssignmentAndIsr(
      s.replicas,
      false,
      [],
      s.addingReplicas,
      s.removingReplicas,
      s.leaderRecoveryState,
    );
    if (isNewEpoch)
      this.stateChangeLogger.info(
        `Follower ${tp} starts at leader epoch ${s.leaderEpoch} from offset ${this.log.logEndOffset} with partition epoch ${s.partitionEpoch} and high watermark ${this.log.highWatermark}. Current leader is ${s.leader}. Previous leader epoch was ${previousEpoch}.`,
      );
    else
      this.stateChangeLogger.info(
        `Skipped the become-follower state change for ${tp} with topic id ${this.topicIdString()} and partition state ${describeState(s)} since it is already a follower with leader epoch ${this.leaderEpoch}.`,
      );
    return isNewEpoch;
  }

  private updateAssignmentAndIsr(
    replicas: number[],
    isLeader: boolean,
    isr: number[],
    adding: number[],
    removing: number[],
    leaderRecoveryState: number,
  ): void {
    if (isLeader) {
      const followers = replicas.filter((id) => id !== this.ctx.localBrokerId);
      for (const id of followers)
        if (!this.remoteReplicas.has(id)) this.remoteReplicas.set(id, new FollowerReplica(id));
      for (const id of [...this.remoteReplicas.keys()])
        if (!followers.includes(id)) this.remoteReplicas.delete(id);
    } else this.remoteReplicas.clear();
    this.replicas = [...replicas];
    this.addingReplicas = [...adding];
    this.removingReplicas = [...removing];
    this.isrState = committedIsr(isr, leaderRecoveryState);
  }

  /** StopReplica with delete: forget everything; the log is deleted by the replica manager. */
  delete(): void {
    this.deleted = true;
    this._futureLog = null;
    this.remoteReplicas.clear();
    this.replicas = [];
    this.isrState = committedIsr([]);
    this.leaderId = -1;
    this.leaderEpochStartOffset = null;
  }

  private topicIdString(): string {
    return this.topicId ? `Some(${this.topicId})` : 'None';
  }

  // ---------------------------------------------------------------------------------------
  // Moving between log dirs (future replica)

  get futureLog(): UnifiedLog | null {
    return this._futureLog;
  }

  /** A future log exists and lives in a dir other than `dir` (the move was redirected or cancelled). */
  futureReplicaDirChanged(dir: string): boolean {
    return this._futureLog !== null && this._futureLog.parentDir !== dir;
  }

  /**
   * Kafka's maybeCreateFutureReplica: false when the current log already is in `dir` or the
   * future log already exists there; otherwise `create` makes (or returns the loaded) future
   * log in `dir` and true is returned. A future log in another dir is an error.
   */
  maybeCreateFutureReplica(dir: string, create: () => UnifiedLog): boolean {
    if (this.log.parentDir === dir) {
      this.logger.info(
        `Current log directory ${this.log.parentDir} is same as requested log dir ${dir}. Skipping future replica creation.`,
      );
      return false;
    }
    if (this._futureLog !== null) {
      if (this._futureLog.parentDir !== dir)
        throw new Error(
          `The future log dir ${this._futureLog.parentDir} of ${this} is different from the requested log dir ${dir}`,
        );
      return false;
    }
    this._futureLog = create();
    return true;
  }

  /** Forgets the future log (the log manager deletes or has replaced its directory). */
  removeFutureLocalReplica(): void {
    this._futureLog = null;
  }

  /**
   * Appends batches copied from the current log to the future log, unchanged. An empty future
   * log restarts at the first batch's base offset when the current log starts inside that batch
   * (after DeleteRecords), as a follower does.
   */
  appendRecordsToFutureReplica(records: Buffer): LogAppendResult {
    const future = this._futureLog;
    if (future === null) throw new KafkaStorageError(`The future replica for ${this} is offline`);
    try {
      return future.appendAsFollower(records);
    } catch (e) {
      if (
        !(e instanceof UnexpectedAppendOffsetError) ||
        future.logEndOffset !== future.logStartOffset ||
        e.firstOffset >= future.logEndOffset ||
        e.lastOffset < future.logEndOffset
      )
        throw e;
      future.truncateFullyAndStartAt(e.firstOffset);
      return future.appendAsFollower(records);
    }
  }

  /**
   * Kafka's maybeReplaceCurrentWithFutureReplica: when the future log ends where the current one
   * does, it takes over — with the current high watermark and log start offset and any leader
   * epoch the current log started without records yet — through `replace` (the log manager's
   * directory renames), all synchronously. Returns whether the swap happened.
   */
  maybeReplaceCurrentWithFutureReplica(replace: () => UnifiedLog): boolean {
    const future = this._futureLog;
    const current = this.log;
    if (future === null || future.logEndOffset !== current.logEndOffset) return false;
    future.updateHighWatermark(current.highWatermark);
    if (current.logStartOffset > future.logStartOffset)
      future.maybeIncrementLogStartOffset(current.logStartOffset, 'leader offset increment');
    const epochs = current.leaderEpochCache.entries().slice();
    const log = replace();
    // An epoch begun at the log end without records yet (a new leader's) is not in any batch.
    for (const e of epochs)
      if (e.epoch > log.latestEpoch()) log.assignEpochStartOffset(e.epoch, e.startOffset);
    this.log = log;
    this._futureLog = null;
    this.logger.info(`Replaced the current log with the future log, now in ${this.log.parentDir}`);
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Leader epoch checks and OffsetForLeaderEpoch

  /** FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when a client's epoch (if given) is not ours. */
  checkCurrentLeaderEpoch(remoteLeaderEpoch: number): number {
    if (remoteLeaderEpoch < 0) return ErrorCode.NONE;
    if (this.leaderEpoch > remoteLeaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (this.leaderEpoch < remoteLeaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return ErrorCode.NONE;
  }

  private localLogError(currentLeaderEpoch: number, requireLeader: boolean): number {
    const epochError = this.checkCurrentLeaderEpoch(currentLeaderEpoch);
    if (epochError !== ErrorCode.NONE) return epochError;
    if (this.deleted || (requireLeader && !this.isLeader)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (this.log.isOffline) return ErrorCode.KAFKA_STORAGE_ERROR;
    return ErrorCode.NONE;
  }

  /**
   * Where `leaderEpoch` ends in our log (OffsetForLeaderEpoch): the largest epoch <= it we know
   * and the start of the next one (our log end for the latest epoch); -1/-1 when unknown.
   */
  lastOffsetForLeaderEpoch(
    currentLeaderEpoch: number,
    leaderEpoch: number,
    fetchOnlyFromLeader: boolean,
  ): EpochEndOffsetResult {
    const error = this.localLogError(currentLeaderEpoch, fetchOnlyFromLeader);
    if (error !== ErrorCode.NONE) return { errorCode: error, leaderEpoch: -1, endOffset: -1n };
    const r = this.log.endOffsetForEpoch(leaderEpoch);
    return r === null
      ? { errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1n }
      : { errorCode: ErrorCode.NONE, leaderEpoch: r.epoch, endOffset: r.endOffset };
  }

  // ---------------------------------------------------------------------------------------
  // Fetch (leader side)

  /**
   * Serves one partition of a Fetch: checks the epoch and leadership, the follower's
   * membership and its last fetched epoch (diverging histories are answered with the epoch to
   * truncate to, and no records), then reads. A follower's fetch records its progress, which may
   * add it to the ISR and move the high watermark.
   */
  fetchRecords(o: FetchParams): ReadInfo {
    const fail = (errorCode: number): ReadInfo => ({
      errorCode,
      records: EMPTY,
      divergingEpoch: null,
      highWatermark: -1n,
      logStartOffset: -1n,
      logEndOffset: -1n,
      lastStableOffset: -1n,
    });
    const error = this.localLogError(o.currentLeaderEpoch, o.replicaId >= 0 || (o.fetchOnlyLeader ?? true));
    if (error !== ErrorCode.NONE) return fail(error);
    let replica: FollowerReplica | undefined;
    if (o.replicaId >= 0) {
      replica = this.remoteReplicas.get(o.replicaId);
      if (!replica) {
        this.logger.debug(
          `Leader ${this.ctx.localBrokerId} failed to record follower ${o.replicaId}'s position ${o.fetchOffset} since the replica is not recognized to be one of the assigned replicas ${this.replicas.join(',')} for leader epoch ${this.leaderEpoch} with partition epoch ${this.partitionEpoch}`,
        );
        return fail(ErrorCode.UNKNOWN_LEADER_EPOCH);
      }
    }
    const log = this.log;
    try {
      // The log end offset before the read: appends racing with the fetch never keep a follower out of sync.
      const highWatermark = log.highWatermark;
      const logStartOffset = log.logStartOffset;
      const logEndOffset = log.logEndOffset;
      if (o.lastFetchedEpoch >= 0) {
        const eo = this.lastOffsetForLeaderEpoch(o.currentLeaderEpoch, o.lastFetchedEpoch, false);
        if (eo.errorCode !== ErrorCode.NONE) return fail(eo.errorCode);
        const d = divergingEpoch(
          { epoch: eo.leaderEpoch, endOffset: eo.endOffset },
          o.lastFetchedEpoch,
          o.fetchOffset,
          logStartOffset,
        );
        if (d === 'outOfRange') return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
        if (d !== null)
          return {
            errorCode: ErrorCode.NONE,
            records: EMPTY,
            divergingEpoch: d,
            highWatermark,
            logStartOffset,
            logEndOffset,
            lastStableOffset: log.lastStableOffset,
          };
      }
      const r = log.read(o.fetchOffset, o.maxBytes, o.isolation, o.minOneMessage, o.alloc);
      if (r.error !== null) {
        if (replica) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
        // Kafka answers -1 offsets here too; consumers have always been given the high
        // watermark and log start offset by this broker (test/integration/produce-fetch).
        return {
          ...fail(ErrorCode.OFFSET_OUT_OF_RANGE),
          highWatermark,
          logStartOffset,
          logEndOffset,
          lastStableOffset: highWatermark,
        };
      }
      if (replica && o.updateFetchState)
        this.updateFollowerFetchState(replica, o.fetchOffset, o.logStartOffset, this.ctx.now(), logEndOffset);
      return {
        errorCode: ErrorCode.NONE,
        records: r.records,
        divergingEpoch: null,
        highWatermark,
        logStartOffset,
        logEndOffset,
        lastStableOffset: r.lastStableOffset,
      };
    } catch (e) {
      if (e instanceof KafkaStorageError) return fail(ErrorCode.KAFKA_STORAGE_ERROR);
      throw e;
    }
  }

  private updateFollowerFetchState(
    replica: FollowerReplica,
    fetchOffset: bigint,
    followerStartOffset: bigint,
    nowMs: number,
    leaderEndOffset: bigint,
  ): void {
    const previousEnd = replica.logEndOffset;
    replica.updateFetchState(fetchOffset, followerStartOffset, nowMs, leaderEndOffset);
    this.maybeExpandIsr(replica);
    if (previousEnd !== replica.logEndOffset) this.maybeIncrementLeaderHW(nowMs);
  }

  // ---------------------------------------------------------------------------------------
  // ISR changes (AlterPartition)

  private maybeExpandIsr(replica: FollowerReplica): void {
    const s = this.isrState;
    if (s.kind !== 'committed' || s.isr.includes(replica.brokerId)) return;
    if (!followerInSync(replica.logEndOffset, this.log.highWatermark, this.leaderEpochStartOffset)) return;
    if (!this.ctx.isBrokerAlive(replica.brokerId)) return;
    const isr = [...s.isr, replica.brokerId];
    const pending: PendingExpandIsr = {
      kind: 'pendingExpand',
      newInSyncReplicaId: replica.brokerId,
      sent: {
        leaderId: this.ctx.localBrokerId,
        leaderEpoch: this.leaderEpoch,
        isr,
        leaderRecoveryState: s.leaderRecoveryState,
        partitionEpoch: this.partitionEpoch,
      },
      lastCommitted: s,
    };
    this.isrState = pending;
    this.submitAlterPartition(pending);
  }

  /** The periodic ISR check: followers in the ISR that fell behind are proposed for removal. */
  maybeShrinkIsr(): void {
    if (!this.isLeader || this.deleted) return;
    const s = this.isrState;
    if (s.kind !== 'committed') return;
    const log = this.log;
    const outOfSync = outOfSyncReplicas(
      s.isr,
      this.ctx.localBrokerId,
      (id) => this.remoteReplicas.get(id),
      log.logEndOffset,
      this.ctx.now(),
      this.ctx.replicaLagTimeMaxMs,
    );
    if (outOfSync.length === 0) return;
    const isr = s.isr.filter((id) => !outOfSync.includes(id));
    this.logger.info(
      `Shrinking ISR from ${s.isr.join(',')} to ${isr.join(',')}. Leader: (highWatermark: ${log.highWatermark}, endOffset: ${log.logEndOffset}). Out of sync replicas: ${outOfSync
        .map(
          (id) => `(brokerId: ${id}, endOffset: ${this.remoteReplicas.get(id)?.logEndOffset ?? 'unknown'})`,
        )
        .join(' ')}.`,
    );
    const pending: PendingShrinkIsr = {
      kind: 'pendingShrink',
      outOfSyncReplicaIds: outOfSync,
      sent: {
        leaderId: this.ctx.localBrokerId,
        leaderEpoch: this.leaderEpoch,
        isr,
        leaderRecoveryState: s.leaderRecoveryState,
        partitionEpoch: this.partitionEpoch,
      },
      lastCommitted: s,
    };
    this.isrState = pending;
    this.submitAlterPartition(pending);
  }

  private submitAlterPartition(proposed: PendingExpandIsr | PendingShrinkIsr): void {
    this.logger.debug(`Submitting ISR state change ${describeIsrState(proposed)}`);
    void this.ctx
      .alterPartition({
        topic: this.topic,
        partition: this.partition,
        topicId: this.topicId,
        leaderAndIsr: proposed.sent,
      })
      .then((outcome) => {
        if (this.isrState !== proposed) {
          // Leadership or ISR changed through LeaderAndIsr meanwhile: this answer is out of date.
          this.logger.debug(
            `Ignoring failed ISR update to ${describeIsrState(proposed)} since we have already updated state to ${describeIsrState(this.isrState)}`,
          );
          return;
        }
        if (outcome.ok) this.handleAlterPartitionUpdate(outcome.leaderAndIsr);
        else if (this.handleAlterPartitionError(proposed, outcome.errorCode))
          this.submitAlterPartition(proposed);
      })
      .catch((e: Error) => this.logger.error(`Error handling the AlterPartition answer: ${e.stack}`));
  }

  private handleAlterPartitionUpdate(l: CommittedLeaderAndIsr): void {
    if (l.leaderEpoch !== this.leaderEpoch) {
      this.logger.debug(
        `Ignoring new ISR ${describeCommitted(l)} since we have a stale leader epoch ${this.leaderEpoch}.`,
      );
      return;
    }
    if (l.partitionEpoch < this.partitionEpoch) {
      this.logger.debug(
        `Ignoring new ISR ${describeCommitted(l)} since we have a newer version ${this.partitionEpoch}.`,
      );
      return;
    }
    // Either the controller wrote our proposal (new partition epoch) or it already matched.
    this.isrState = committedIsr(l.isr, l.leaderRecoveryState);
    this.partitionEpoch = l.partitionEpoch;
    this.logger.info(
      `ISR updated to ${l.isr.join(',')} ${this.isUnderMinIsr ? '(under-min-isr)' : ''} and version updated to ${this.partitionEpoch}`,
    );
    this.maybeIncrementLeaderHW(this.ctx.now());
  }

  /** Returns true when the change must be sent again. */
  private handleAlterPartitionError(
    proposed: PendingExpandIsr | PendingShrinkIsr,
    errorCode: number,
  ): boolean {
    const desc = describeIsrState(proposed);
    switch (errorCode) {
      case ErrorCode.OPERATION_NOT_ATTEMPTED:
      case ErrorCode.INELIGIBLE_REPLICA:
        // The controller certainly did not apply it: back to the last committed state.
        this.isrState = proposed.lastCommitted;
        this.logger.info(
          `Failed to alter partition to ${desc} since the controller rejected the request with ${errorName(errorCode)}. Partition state has been reset to the latest committed state ${describeIsrState(this.isrState)}.`,
        );
        return false;
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        this.logger.debug(
          `Failed to alter partition to ${desc} since the controller doesn't know about this topic or partition. Partition state may be out of sync, awaiting new the latest metadata.`,
        );
        return false;
      case ErrorCode.UNKNOWN_TOPIC_ID:
        this.logger.debug(
          `Failed to alter partition to ${desc} since the controller doesn't know about this topic. Partition state may be out of sync, awaiting new the latest metadata.`,
        );
        return false;
      case ErrorCode.FENCED_LEADER_EPOCH:
        this.logger.debug(
          `Failed to alter partition to ${desc} since the leader epoch is old. Partition state may be out of sync, awaiting new the latest metadata.`,
        );
        return false;
      case ErrorCode.INVALID_UPDATE_VERSION:
        this.logger.debug(
          `Failed to alter partition to ${desc} because the partition epoch is invalid. Partition state may be out of sync, awaiting new the latest metadata.`,
        );
        return false;
      case ErrorCode.INVALID_REQUEST:
        this.logger.debug(
          `Failed to alter partition to ${desc} because the request is invalid. Partition state may be out of sync, awaiting new the latest metadata.`,
        );
        return false;
      case ErrorCode.NEW_LEADER_ELECTED:
        this.logger.debug(
          `The alter partition request successfully updated the partition state to ${desc} but the new leader was elected.`,
        );
        return false;
      default:
        this.logger.warn(
          `Failed to update ISR to ${desc} due to unexpected ${errorName(errorCode)}. Retrying.`,
        );
        return true;
    }
  }

  // ---------------------------------------------------------------------------------------
  // High watermark

  /**
   * Moves the leader's high watermark forward to the smallest log end offset among the leader,
   * the followers in the maximal ISR and the caught-up live followers about to join it. Frozen
   * while the committed ISR is below the effective min ISR.
   */
  maybeIncrementLeaderHW(nowMs = this.ctx.now()): boolean {
    if (!this.isLeader || this.deleted) return false;
    if (this.isUnderMinIsr) {
      this.logger.trace(`Not increasing HWM because partition is under min ISR(ISR=${this.isr.join(',')}`);
      return false;
    }
    const log = this.log;
    const candidate = highWatermarkCandidate(
      log.writtenEndOffset,
      this.remoteReplicas.values(),
      maximalIsrOf(this.isrState),
      (id) => this.ctx.isBrokerAlive(id),
      nowMs,
      this.ctx.replicaLagTimeMaxMs,
    );
    const old = log.highWatermark;
    if (!log.maybeIncrementHighWatermark(candidate)) return false;
    this.logger.debug(`High watermark updated from ${old} to ${candidate}`);
    this.emit('highWatermark', log.highWatermark);
    return true;
  }

  /**
   * acks=all: done once the high watermark reached `requiredOffset` — NONE, or
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR fell below the min ISR meanwhile (the data is
   * written). NOT_LEADER_OR_FOLLOWER when we lost leadership.
   */
  checkEnoughReplicasReachOffset(
    requiredOffset: bigint,
  ): { done: false } | { done: true; errorCode: number } {
    if (!this.isLeader || this.deleted) return { done: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    if (this.log.highWatermark < requiredOffset) return { done: false };
    return {
      done: true,
      errorCode:
        this.effectiveMinIsr() <= maximalIsrOf(this.isrState).length
          ? ErrorCode.NONE
          : ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Produce (leader)

  /**
   * The leader's produce path for one partition: validation (may decompress, hence async), then
   * offset assignment and the append, which run without yielding so concurrent produces to the
   * same partition can never interleave between reading the log end offset and appending.
   */
  async appendRecordsToLeader(
    records: Buffer,
    requiredAcks: number,
    produceVersion: number,
    origin: 'client' | 'coordinator' = 'client',
  ): Promise<AppendResult> {
    const fail = (
      errorCode: number,
      errorMessage: string | null = null,
      recordErrors: AppendResult['recordErrors'] = [],
    ): AppendResult => ({
      errorCode,
      errorMessage,
      recordErrors,
      baseOffset: -1n,
      lastOffset: -1n,
      logAppendTime: -1n,
      logStartOffset: -1n,
    });
    if (!this.isLeader || this.deleted) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const enoughReplicas = (): AppendResult | null => {
      if (requiredAcks !== -1) return null;
      const minIsr = this.effectiveMinIsr();
      const isr = isrOf(this.isrState);
      if (isr.length >= minIsr) return null;
      // Kafka logs the NotEnoughReplicasException and answers without an error message.
      getLogger('kafka.server.ReplicaManager', `[ReplicaManager broker=${this.ctx.localBrokerId}]`).error(
        `Error processing append operation on partition ${this}\norg.apache.kafka.common.errors.NotEnoughReplicasException: The size of the current ISR Set(${isr.join(', ')}) is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${this}`,
      );
      return { ...fail(ErrorCode.NOT_ENOUGH_REPLICAS), logStartOffset: this.log.logStartOffset };
    };
    const notEnough = enoughReplicas();
    if (notEnough) return notEnough;
    const c = this.log.config;
    const vc: ValidationConfig = {
      topicPartition: this.toString(),
      produceVersion,
      origin,
      maxMessageBytes: c.maxMessageBytes,
      segmentBytes: c.segmentBytes,
      timestampType:
        c.messageTimestampType === 'LogAppendTime' ? TimestampType.LogAppendTime : TimestampType.CreateTime,
      timestampBeforeMaxMs: BigInt(c.get('message.timestamp.before.max.ms') ?? '9223372036854775807'),
      timestampAfterMaxMs: BigInt(c.get('message.timestamp.after.max.ms') ?? '9223372036854775807'),
      compacted: c.compact,
      compressionType: c.compressionType as ValidationConfig['compressionType'],
    };
    const v = await validateRecordSet(records, vc);
    if (!v.ok) return fail(v.errorCode, v.responseErrorMessage, v.recordErrors);
    // Leadership and the ISR may have changed while validating.
    if (!this.isLeader || this.deleted) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const stillNotEnough = enoughReplicas();
    if (stillNotEnough) return stillNotEnough;
    if (v.records.length === 0)
      return {
        ...fail(ErrorCode.NONE),
        baseOffset: this.log.logEndOffset,
        logStartOffset: this.log.logStartOffset,
      };
    // From here to the append nothing awaits: offsets are taken and used atomically.
    // Idempotent producers: a retried batch gets its original offsets, a sequence gap or a stale
    // epoch an error (record-format.md §4.4).
    const producerCheck = checkProducerAppend(this.log, v.records, origin, this.ctx.localBrokerId);
    if (producerCheck) return producerCheck;
    const first = this.log.logEndOffset;
    const a = assignOffsets(v.records, first, this.leaderEpoch, vc.timestampType!, Date.now(), {
      offsetOfMaxTimestampDelta: v.offsetOfMaxTimestampDelta,
    });
    // With followers, client batches are written behind (UnifiedLog.appendAsLeader with
    // deferWrite): the followers' waiting fetches are answered first, then the bytes go to the
    // page cache, and only then is the producer answered and the high watermark moved. Without
    // followers there is nobody to overlap with, and writing at once is cheaper (measured: a
    // single-replica partition produced ~1.5x faster with the write inline).
    const deferWrite = origin === 'client' && this.remoteReplicas.size > 0;
    this.log.appendAsLeader(
      v.records,
      this.leaderEpoch,
      {
        firstOffset: a.firstOffset,
        lastOffset: a.lastOffset,
        maxTimestamp: a.maxTimestamp,
        offsetOfMaxTimestamp: a.shallowOffsetOfMaxTimestamp,
        recordCount: v.recordCount,
      },
      deferWrite,
    );
    this.emit('append');
    if (deferWrite) await this.log.whenWritten();
    this.maybeIncrementLeaderHW();
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      baseOffset: a.firstOffset,
      lastOffset: a.lastOffset,
      logAppendTime: a.logAppendTime,
      logStartOffset: this.log.logStartOffset,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Follower side

  /**
   * Appends batches fetched from the leader, unchanged. When our log is empty and starts inside
   * the first batch (the leader's log start fell mid-batch after DeleteRecords), the log restarts
   * at that batch's first offset, as Kafka does.
   */
  appendRecordsToFollower(records: Buffer): LogAppendResult {
    let r: LogAppendResult;
    try {
      r = this.log.appendAsFollower(records);
    } catch (e) {
      const log = this.log;
      if (
        !(e instanceof UnexpectedAppendOffsetError) ||
        log.logEndOffset !== log.logStartOffset ||
        e.firstOffset >= log.logEndOffset ||
        e.lastOffset < log.logEndOffset
      )
        throw e;
      this.logger.info(
        `Unexpected offset in append to ${this}. First offset ${e.firstOffset} is less than log start offset ${log.logStartOffset}. Since this is the first record to be appended to the follower's log, will start the log from offset ${e.firstOffset}.`,
      );
      this.truncateFullyAndStartAt(e.firstOffset);
      r = this.log.appendAsFollower(records);
    }
    if (r.validBytes > 0) this.emit('append');
    return r;
  }

  /** Follower HW = min(leader HW, own log end offset), never below the log start offset. */
  updateFollowerHighWatermark(leaderHighWatermark: bigint): boolean {
    const log = this.log;
    const old = log.highWatermark;
    const hw = log.updateHighWatermark(leaderHighWatermark);
    if (hw === old) return false;
    this.emit('highWatermark', hw);
    return true;
  }

  /** Follows the leader's log start offset (DeleteRecords, retention on the leader). */
  maybeIncrementLogStartOffsetFromLeader(leaderLogStartOffset: bigint): void {
    const log = this.log;
    if (leaderLogStartOffset <= log.logStartOffset) return;
    const target = leaderLogStartOffset > log.highWatermark ? log.highWatermark : leaderLogStartOffset;
    log.maybeIncrementLogStartOffset(target, 'leader offset increment');
  }

  truncateTo(offset: bigint): void {
    this.ctx.truncateTo(this.log, offset);
  }

  truncateFullyAndStartAt(offset: bigint): void {
    this.ctx.truncateFullyAndStartAt(this.log, offset);
  }
}

function describeState(s: LeaderAndIsrPartitionState): string {
  return `LeaderAndIsrPartitionState(controllerEpoch=${s.controllerEpoch}, leader=${s.leader}, leaderEpoch=${s.leaderEpoch}, isr=[${s.isr.join(', ')}], partitionEpoch=${s.partitionEpoch}, replicas=[${s.replicas.join(', ')}], addingReplicas=[${s.addingReplicas.join(', ')}], removingReplicas=[${s.removingReplicas.join(', ')}], isNew=${s.isNew}, leaderRecoveryState=${s.leaderRecoveryState})`;
}

function describeCommitted(l: CommittedLeaderAndIsr): string {
  return `LeaderAndIsr(leader=${l.leaderId}, leaderEpoch=${l.leaderEpoch}, isr=[${l.isr.join(', ')}], leaderRecoveryState=${l.leaderRecoveryState === RECOVERING ? 'RECOVERING' : 'RECOVERED'}, partitionEpoch=${l.partitionEpoch})`;
}
