// One partition replica hosted by this broker (Kafka's Partition): its log, whether we lead
// it, the leader epoch and ISR as last decided, and the leader-side produce path (validate,
// assign offsets in place, append). With the ISR reduced to the leader the high watermark
// follows the log end offset; followers' fetch positions drive it once replication lands.

import { EventEmitter } from 'node:events';
import { LogConfig } from '../log/log-config';
import type { UnifiedLog } from '../log/unified-log';
import { assignOffsets } from '../protocol/records/assign';
import { TimestampType } from '../protocol/records/records';
import { validateRecordSet, ValidationConfig } from '../protocol/records/validate';
import { ErrorCode } from '../protocol/errors';

export interface AppendResult {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: Array<{ batchIndex: number; message: string | null }>;
  baseOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
}

export class Partition extends EventEmitter {
  leaderEpoch = -1;
  leaderId = -1;
  isr: number[] = [];
  partitionEpoch = -1;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string | null,
    readonly localBrokerId: number,
    public log: UnifiedLog,
    public config: LogConfig,
  ) {
    super();
  }

  get isLeader(): boolean {
    return this.leaderId === this.localBrokerId;
  }

  override toString(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Becomes leader for `leaderEpoch`: the epoch starts at the current log end offset. */
  makeLeader(leaderEpoch: number, isr: number[], partitionEpoch: number): void {
    const newEpoch = leaderEpoch !== this.leaderEpoch;
    this.leaderId = this.localBrokerId;
    this.leaderEpoch = leaderEpoch;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
    if (newEpoch) this.log.assignEpochStartOffset(leaderEpoch, this.log.logEndOffset);
    this.maybeIncrementHighWatermark();
  }

  makeFollower(leaderId: number, leaderEpoch: number, isr: number[], partitionEpoch: number): void {
    this.leaderId = leaderId;
    this.leaderEpoch = leaderEpoch;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
  }

  /** HW = LEO while the ISR holds only the leader; other replicas' positions arrive with replication. */
  private maybeIncrementHighWatermark(): void {
    if (!this.isLeader) return;
    const others = this.isr.filter((r) => r !== this.localBrokerId);
    if (others.length === 0 && this.log.highWatermark < this.log.logEndOffset) {
      this.log.updateHighWatermark(this.log.logEndOffset);
      this.emit('highWatermark', this.log.highWatermark);
    }
  }

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
    ) => ({
      errorCode,
      errorMessage,
      recordErrors,
      baseOffset: -1n,
      logAppendTime: -1n,
      logStartOffset: -1n,
    });
    if (!this.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const c = this.config;
    if (requiredAcks === -1 && this.isr.length < c.minInSyncReplicas)
      return fail(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${this.isr.length} is insufficient to satisfy the min.isr requirement of ${c.minInSyncReplicas} for partition ${this}`,
      );
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
    if (!this.isLeader) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (v.records.length === 0)
      return {
        ...fail(ErrorCode.NONE),
        baseOffset: this.log.logEndOffset,
        logStartOffset: this.log.logStartOffset,
      };
    // From here to the append nothing awaits: offsets are taken and used atomically.
    const first = this.log.logEndOffset;
    const a = assignOffsets(v.records, first, this.leaderEpoch, vc.timestampType!, Date.now(), {
      offsetOfMaxTimestampDelta: v.offsetOfMaxTimestampDelta,
    });
    this.log.appendAsLeader(v.records, this.leaderEpoch, {
      firstOffset: a.firstOffset,
      lastOffset: a.lastOffset,
      maxTimestamp: a.maxTimestamp,
      offsetOfMaxTimestamp: a.shallowOffsetOfMaxTimestamp,
      recordCount: v.recordCount,
    });
    this.maybeIncrementHighWatermark();
    this.emit('append');
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      recordErrors: [],
      baseOffset: a.firstOffset,
      logAppendTime: a.logAppendTime,
      logStartOffset: this.log.logStartOffset,
    };
  }
}
