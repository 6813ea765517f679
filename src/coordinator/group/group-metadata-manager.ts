// The group coordinator's storage side (Kafka's GroupMetadataManager): the cache of groups this
// broker coordinates, which __consumer_offsets partitions it owns or is loading, writing group
// metadata and offset commits as records to those partitions, loading them back when this broker
// becomes a partition's leader (tombstones honoured, transactional offsets resolved by their
// markers), dropping them when it stops leading, and the periodic offset expiration that writes
// tombstones. Loads and unloads run one at a time, in order, like Kafka's single-threaded scheduler.

import { ErrorCode } from '../../protocol/errors';
import { CompressionType } from '../../protocol/records/batch';
import {
  ControlRecordType,
  decodeRecords,
  buildRecordBatch,
  parseControlRecordTypeId,
  readBatchHeader,
  RecordInput,
  splitBatches,
} from '../../protocol/records/records';
import { getLogger, Logger } from '../../utils/logger';
import {
  GroupMetadata,
  GroupState,
  MemberMetadata,
  OffsetAndMetadata,
  TopicPartition,
  tpKey,
} from './group-metadata';
import { GROUP_METADATA_TOPIC_NAME, partitionForKey } from './partitioner';
import {
  decodeGroupMetadataValue,
  decodeMessageKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  GroupMetadataValue,
} from './records';

/** A __consumer_offsets partition as the coordinator needs it (the broker's Partition, adapted). */
export interface OffsetsPartition {
  readonly partition: number;
  readonly isLeader: boolean;
  readonly leaderEpoch: number;
  logStartOffset(): bigint;
  logEndOffset(): bigint;
  /** Raw batches from the one holding `offset` up to the log end, at most `maxBytes` (at least one batch). */
  read(offset: bigint, maxBytes: number): Buffer;
  /**
   * Appends a coordinator batch. With requiredAcks −1 resolves once the high watermark covers it (or
   * REQUEST_TIMED_OUT after timeoutMs).
   */
  append(
    records: Buffer,
    requiredAcks: number,
    timeoutMs: number,
  ): Promise<{ errorCode: number; baseOffset: bigint }>;
}

export interface OffsetsPartitions {
  /** The partition if this broker hosts it, else null. */
  get(partition: number): OffsetsPartition | null;
}

export interface StorageConfig {
  brokerId: number;
  offsetsTopicNumPartitions: number;
  offsetsTopicCompressionCodec: number;
  offsetsRetentionMs: number;
  offsetCommitTimeoutMs: number;
  offsetCommitRequiredAcks: number;
  offsetsLoadBufferSize: number;
  offsetMetadataMaxSize: number;
}

export type OffsetCommitInput = TopicPartition & { value: OffsetAndMetadata };

export interface FetchedOffset extends TopicPartition {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  error: number;
}

/** Errors of a group-metadata append, as Kafka maps them for SyncGroup/JoinGroup. */
function storeGroupError(code: number): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

/** Kafka's GroupMetadataManager.maybeConvertOffsetCommitError. */
export function offsetCommitError(code: number): number {
  switch (code) {
    case ErrorCode.NETWORK_EXCEPTION:
      return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return code;
  }
}

const COMPRESSION_BY_CODEC: Record<number, CompressionType> = {
  0: CompressionType.None,
  1: CompressionType.Gzip,
  2: CompressionType.Snappy,
  3: CompressionType.Lz4,
  4: CompressionType.Zstd,
};

interface LoadedOffset extends TopicPartition {
  group: string;
  appendedBatchOffset: bigint;
  value: OffsetAndMetadata;
}

export class GroupMetadataManager {
  private readonly log: Logger;
  private readonly groups = new Map<string, GroupMetadata>();
  private readonly ownedPartitions = new Set<number>();
  private readonly loadingPartitions = new Set<number>();
  private readonly epochForPartition = new Map<number, number>();
  private tasks: Promise<void> = Promise.resolve();
  private shuttingDown = false;
  /** Partition count of __consumer_offsets; fixed at startup (the topic's, else the config's). */
  numPartitions: number;

  constructor(
    private readonly config: StorageConfig,
    private readonly partitions: OffsetsPartitions,
    private readonly now: () => number = Date.now,
  ) {
    this.numPartitions = config.offsetsTopicNumPartitions;
    this.log = getLogger(
      'kafka.coordinator.group.GroupMetadataManager',
      `[GroupMetadataManager brokerId=${config.brokerId}]`,
    );
  }

  partitionFor(groupId: string): number {
    return partitionForKey(groupId, this.numPartitions);
  }

  isPartitionOwned(partition: number): boolean {
    return this.ownedPartitions.has(partition);
  }

  isPartitionLoading(partition: number): boolean {
    return this.loadingPartitions.has(partition);
  }

  isGroupLocal(groupId: string): boolean {
    return this.isPartitionOwned(this.partitionFor(groupId));
  }

  isGroupLoading(groupId: string): boolean {
    return this.isPartitionLoading(this.partitionFor(groupId));
  }

  get isLoading(): boolean {
    return this.loadingPartitions.size > 0;
  }

  getGroup(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId);
  }

  /** Adds the group unless one with that id is cached, and returns the cached one. */
  addGroup(group: GroupMetadata): GroupMetadata {
    const cur = this.groups.get(group.groupId);
    if (cur) return cur;
    this.groups.set(group.groupId, group);
    return group;
  }

  getOrMaybeCreateGroup(groupId: string, createIfNotExist: boolean): GroupMetadata | undefined {
    const g = this.groups.get(groupId);
    if (g || !createIfNotExist) return g;
    return this.addGroup(new GroupMetadata(groupId, 'Empty', this.now));
  }

  /** This broker coordinates the group and it does not exist (or is Dead). */
  groupNotExists(groupId: string): boolean {
    if (!this.isGroupLocal(groupId)) return false;
    const g = this.groups.get(groupId);
    return !g || g.is('Dead');
  }

  currentGroups(): GroupMetadata[] {
    return [...this.groups.values()];
  }

  private localPartition(groupId: string): OffsetsPartition | null {
    const p = this.partitions.get(this.partitionFor(groupId));
    return p && p.isLeader && this.isGroupLocal(groupId) ? p : null;
  }

  private async buildBatch(records: RecordInput[]): Promise<Buffer> {
    const compression =
      COMPRESSION_BY_CODEC[this.config.offsetsTopicCompressionCodec] ?? CompressionType.None;
    return buildRecordBatch(records, { compression });
  }

  /**
   * Appends the group's metadata (GroupMetadataValue v3 with these assignments) and calls back with
   * the mapped error once it is in the log.
   */
  storeGroup(group: GroupMetadata, assignment: Map<string, Buffer>, callback: (error: number) => void): void {
    const partition = this.localPartition(group.groupId);
    if (!partition) {
      callback(ErrorCode.NOT_COORDINATOR);
      return;
    }
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderOrNull,
      currentStateTimestamp: group.currentStateTimestampOrDefault,
      members: group.allMemberMetadata().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName as string),
        assignment: assignment.get(m.memberId) ?? Buffer.alloc(0),
      })),
    };
    const timestamp = this.now();
    const records: RecordInput[] = [
      { key: encodeGroupMetadataKey(group.groupId), value: encodeGroupMetadataValue(value), timestamp },
    ];
    void (async () => {
      let error: number;
      try {
        const batch = await this.buildBatch(records);
        const r = await partition.append(
          batch,
          this.config.offsetCommitRequiredAcks,
          this.config.offsetCommitTimeoutMs,
        );
        error = r.errorCode;
      } catch (e) {
        this.log.error(`Error appending metadata of group ${group.groupId}: ${(e as Error).stack}`);
        error = ErrorCode.UNKNOWN_SERVER_ERROR;
      }
      if (error !== ErrorCode.NONE)
        this.log.debug(
          `Metadata from group ${group.groupId} with generation ${group.generationId} failed when appending to log due to error ${error}`,
        );
      callback(error === ErrorCode.NONE ? ErrorCode.NONE : storeGroupError(error));
    })();
  }

  private validateOffsetMetadataLength(metadata: string): boolean {
    return metadata.length <= this.config.offsetMetadataMaxSize;
  }

  /**
   * Appends offset commits (OffsetCommitValue v3, v1 with an expire timestamp). They are pending
   * (UNSTABLE for require_stable fetches) until the append completes, then visible. Metadata longer
   * than offset.metadata.max.bytes fails only its partition with OFFSET_METADATA_TOO_LARGE.
   */
  storeOffsets(
    group: GroupMetadata,
    offsets: OffsetCommitInput[],
    callback: (results: Array<TopicPartition & { error: number }>) => void,
  ): void {
    const filtered = offsets.filter((o) => this.validateOffsetMetadataLength(o.value.metadata));
    const partition = this.localPartition(group.groupId);
    if (!partition) {
      callback(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, error: ErrorCode.NOT_COORDINATOR })),
      );
      return;
    }
    if (filtered.length === 0) {
      callback(
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          error: ErrorCode.OFFSET_METADATA_TOO_LARGE,
        })),
      );
      return;
    }
    const timestamp = this.now();
    const records: RecordInput[] = filtered.map((o) => ({
      key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition),
      value: encodeOffsetCommitValue(o.value),
      timestamp,
    }));
    group.prepareOffsetCommit(filtered);
    void (async () => {
      let error: number;
      let baseOffset = -1n;
      try {
        const batch = await this.buildBatch(records);
        const r = await partition.append(
          batch,
          this.config.offsetCommitRequiredAcks,
          this.config.offsetCommitTimeoutMs,
        );
        error = r.errorCode;
        baseOffset = r.baseOffset;
      } catch (e) {
        this.log.error(`Error appending offsets of group ${group.groupId}: ${(e as Error).stack}`);
        error = ErrorCode.UNKNOWN_SERVER_ERROR;
      }
      let responseError: number = ErrorCode.NONE;
      if (error === ErrorCode.NONE) {
        if (!group.is('Dead')) for (const o of filtered) group.onOffsetCommitAppend(o, o.value, baseOffset);
      } else {
        if (!group.is('Dead')) for (const o of filtered) group.failPendingOffsetWrite(o, o.value);
        this.log.debug(
          `Offset commit of group ${group.groupId} failed when appending to log due to error ${error}`,
        );
        responseError = offsetCommitError(error);
      }
      callback(
        offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          error: this.validateOffsetMetadataLength(o.value.metadata)
            ? responseError
            : ErrorCode.OFFSET_METADATA_TOO_LARGE,
        })),
      );
    })();
  }

  /** OffsetFetch: −1/"" for partitions without a commit; UNSTABLE_OFFSET_COMMIT while one is in flight. */
  getOffsets(groupId: string, requireStable: boolean, tps: TopicPartition[] | null): FetchedOffset[] {
    const none = (tp: TopicPartition, error: number = ErrorCode.NONE): FetchedOffset => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: -1n,
      leaderEpoch: -1,
      metadata: '',
      error,
    });
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return (tps ?? []).map((tp) => none(tp));
    const wanted = tps ?? group.allOffsets().map((o) => ({ topic: o.topic, partition: o.partition }));
    return wanted.map((tp) => {
      if (requireStable && group.hasPendingOffsetCommitsForTopicPartition(tp.topic, tp.partition))
        return none(tp, ErrorCode.UNSTABLE_OFFSET_COMMIT);
      const o = group.offset(tp.topic, tp.partition);
      if (!o) return none(tp);
      return {
        topic: tp.topic,
        partition: tp.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        error: ErrorCode.NONE,
      };
    });
  }

  /**
   * Runs `selector` on each group (it removes offsets and returns them); an Empty group left without
   * offsets becomes Dead and leaves the cache. Tombstones are appended for the removed offsets and,
   * when the group ever had a generation, for its metadata. Resolves with the number removed.
   */
  async cleanupGroupMetadata(
    groups: GroupMetadata[],
    selector: (g: GroupMetadata) => Array<TopicPartition & { value: OffsetAndMetadata }>,
  ): Promise<number> {
    let offsetsRemoved = 0;
    const byPartition = new Map<number, RecordInput[]>();
    const timestamp = this.now();
    for (const group of groups) {
      const groupId = group.groupId;
      const removed = selector(group);
      if (group.is('Empty') && !group.hasOffsets()) {
        this.log.info(`Group ${groupId} transitioned to Dead in generation ${group.generationId}`);
        group.transitionTo('Dead');
      }
      const tombstones: RecordInput[] = removed.map((o) => ({
        key: encodeOffsetCommitKey(groupId, o.topic, o.partition),
        value: null,
        timestamp,
      }));
      // Groups that only stored offsets (generation 0) never wrote metadata: no tombstone for it.
      if (group.is('Dead') && this.groups.get(groupId) === group) {
        this.groups.delete(groupId);
        if (group.generationId > 0)
          tombstones.push({ key: encodeGroupMetadataKey(groupId), value: null, timestamp });
      }
      if (tombstones.length === 0) continue;
      const p = this.partitionFor(groupId);
      const list = byPartition.get(p) ?? [];
      list.push(...tombstones);
      byPartition.set(p, list);
      offsetsRemoved += removed.length;
    }
    for (const [p, records] of byPartition) {
      const partition = this.partitions.get(p);
      if (!partition || !partition.isLeader || !this.ownedPartitions.has(p)) continue;
      try {
        // No acks needed: a lost tombstone is written again by the next purge.
        await partition.append(await this.buildBatch(records), 1, this.config.offsetCommitTimeoutMs);
      } catch (e) {
        this.log.error(
          `Failed to append ${records.length} tombstones to ${GROUP_METADATA_TOPIC_NAME}-${p}: ${(e as Error).message}`,
        );
      }
    }
    return offsetsRemoved;
  }

  /** Expires offsets past offsets.retention.minutes (the periodic task). */
  async cleanupExpiredOffsets(): Promise<void> {
    const start = this.now();
    const groups = this.currentGroups().filter((g) => this.isGroupLocal(g.groupId));
    const n = await this.cleanupGroupMetadata(groups, (g) =>
      g.removeExpiredOffsets(start, this.config.offsetsRetentionMs),
    );
    if (n > 0) this.log.info(`Removed ${n} expired offsets in ${this.now() - start} milliseconds.`);
  }

  private maybeUpdateCoordinatorEpoch(partition: number, epoch: number | null): boolean {
    const cur = this.epochForPartition.get(partition);
    let updated: number | undefined;
    if (cur === undefined) updated = epoch ?? undefined;
    else updated = epoch !== null && epoch > cur ? epoch : cur;
    if (updated !== undefined) this.epochForPartition.set(partition, updated);
    return epoch === null || epoch === updated;
  }

  private schedule(fn: () => Promise<void>): Promise<void> {
    this.tasks = this.tasks.then(fn).catch((e: Error) => this.log.error(`Scheduled task failed: ${e.stack}`));
    return this.tasks;
  }

  /** Waits for the scheduled loads/unloads so far. */
  idle(): Promise<void> {
    return this.tasks;
  }

  /**
   * Becoming the leader of an offsets partition at `epoch`: its groups answer
   * COORDINATOR_LOAD_IN_PROGRESS from now until the load finishes.
   */
  scheduleLoadGroupAndOffsets(
    partition: number,
    epoch: number,
    onGroupLoaded: (g: GroupMetadata) => void,
  ): Promise<void> {
    const cur = this.epochForPartition.get(partition);
    if (!this.ownedPartitions.has(partition) && (cur === undefined || epoch >= cur))
      this.loadingPartitions.add(partition);
    this.log.info(
      `Scheduling loading of offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partition} for epoch ${epoch}`,
    );
    const scheduled = this.now();
    return this.schedule(() => this.loadGroupsAndOffsets(partition, epoch, onGroupLoaded, scheduled));
  }

  private async loadGroupsAndOffsets(
    partition: number,
    epoch: number,
    onGroupLoaded: (g: GroupMetadata) => void,
    scheduled: number,
  ): Promise<void> {
    const tp = `${GROUP_METADATA_TOPIC_NAME}-${partition}`;
    if (!this.maybeUpdateCoordinatorEpoch(partition, epoch)) {
      this.log.info(
        `Not loading offsets and group metadata for ${tp} in epoch ${epoch} since current epoch is ${this.epochForPartition.get(partition)}`,
      );
      return;
    }
    if (this.ownedPartitions.has(partition)) {
      this.log.info(`Already loading offsets and group metadata from ${tp}`);
      return;
    }
    this.loadingPartitions.add(partition);
    let aborted = false;
    try {
      const start = this.now();
      aborted = !(await this.doLoadGroupsAndOffsets(partition, epoch, onGroupLoaded));
      if (!aborted) {
        const total = this.now() - scheduled;
        this.log.info(
          `Finished loading offsets and group metadata from ${tp} in ${total} milliseconds, of which ${start - scheduled} milliseconds was spent in the scheduler.`,
        );
      }
    } catch (e) {
      this.log.error(`Error loading offsets from ${tp}: ${(e as Error).stack}`);
    } finally {
      if (
        this.loadingPartitions.delete(partition) &&
        !aborted &&
        this.epochForPartition.get(partition) === epoch
      )
        this.ownedPartitions.add(partition);
    }
  }

  /** Returns false when leadership moved during the load (nothing is installed then). */
  private async doLoadGroupsAndOffsets(
    partitionId: number,
    epoch: number,
    onGroupLoaded: (g: GroupMetadata) => void,
  ): Promise<boolean> {
    const partition = this.partitions.get(partitionId);
    const stillLeader = () =>
      !this.shuttingDown && partition !== null && partition.isLeader && partition.leaderEpoch === epoch;
    if (!partition) {
      this.log.warn(
        `Attempted to load offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partitionId}, but found no log`,
      );
      return true;
    }
    const loadedOffsets = new Map<string, LoadedOffset>();
    const pendingOffsets = new Map<bigint, Map<string, LoadedOffset>>();
    const loadedGroups = new Map<string, GroupMetadataValue>();
    const removedGroups = new Set<string>();
    const offsetKey = (group: string, topic: string, p: number) => `${group}\u0000${tpKey(topic, p)}`;

    let current = partition.logStartOffset();
    while (stillLeader() && current < partition.logEndOffset()) {
      const buf = partition.read(current, this.config.offsetsLoadBufferSize);
      if (buf.length === 0) break;
      const { batches } = splitBatches(buf);
      if (batches.length === 0) break;
      for (const b of batches) {
        if (b.magic < 2) {
          this.log.warn(
            `Skipping a magic v${b.magic} batch while loading ${GROUP_METADATA_TOPIC_NAME}-${partitionId}`,
          );
          continue;
        }
        const h = readBatchHeader(buf, b.position);
        current = h.lastOffset + 1n;
        const records = await decodeRecords(buf, b.position);
        if (h.isControl) {
          const pending = pendingOffsets.get(h.producerId);
          if (records.length > 0 && pending) {
            const type = parseControlRecordTypeId(records[0].key);
            if (type === ControlRecordType.COMMIT) {
              for (const [k, o] of pending) {
                const cur = loadedOffsets.get(k);
                if (!cur || cur.appendedBatchOffset < o.appendedBatchOffset) loadedOffsets.set(k, o);
              }
            }
            pendingOffsets.delete(h.producerId);
          }
          continue;
        }
        for (const rec of records) {
          if (rec.key === null) {
            this.log.warn(
              `Skipping a record without a key at offset ${rec.offset} of ${GROUP_METADATA_TOPIC_NAME}-${partitionId}`,
            );
            continue;
          }
          const key = decodeMessageKey(rec.key);
          if (key.kind === 'offset') {
            const k = offsetKey(key.group, key.topic, key.partition);
            let target = loadedOffsets;
            if (h.isTransactional) {
              target = pendingOffsets.get(h.producerId) ?? new Map();
              pendingOffsets.set(h.producerId, target);
            }
            if (rec.value === null) target.delete(k);
            else
              target.set(k, {
                group: key.group,
                topic: key.topic,
                partition: key.partition,
                appendedBatchOffset: h.baseOffset,
                value: decodeOffsetCommitValue(rec.value),
              });
          } else if (key.kind === 'group') {
            if (rec.value === null) {
              loadedGroups.delete(key.group);
              removedGroups.add(key.group);
            } else {
              loadedGroups.set(key.group, decodeGroupMetadataValue(rec.value));
              removedGroups.delete(key.group);
            }
          } else {
            this.log.warn(
              `Unknown message key with version ${key.version} while loading offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partitionId}. Ignoring it. It could be a left over from an aborted upgrade.`,
            );
          }
        }
      }
      // Let requests and timers run between chunks.
      await new Promise((r) => setImmediate(r));
    }
    if (!stillLeader()) return false;

    const offsetsByGroup = new Map<string, LoadedOffset[]>();
    for (const o of loadedOffsets.values()) {
      const list = offsetsByGroup.get(o.group) ?? [];
      list.push(o);
      offsetsByGroup.set(o.group, list);
    }
    for (const [groupId, value] of loadedGroups) {
      const group = this.groupFromValue(groupId, value);
      this.loadGroup(group, offsetsByGroup.get(groupId) ?? [], onGroupLoaded);
    }
    for (const [groupId, offsets] of offsetsByGroup) {
      if (loadedGroups.has(groupId)) continue;
      this.loadGroup(new GroupMetadata(groupId, 'Empty', this.now), offsets, onGroupLoaded);
    }
    for (const groupId of removedGroups) {
      // A tombstoned group that still exists here would be a bug (Kafka throws too).
      if (this.groups.has(groupId) && !offsetsByGroup.has(groupId))
        this.log.error(`Unexpected unload of active group ${groupId} while loading partition ${partitionId}`);
    }
    return true;
  }

  private loadGroup(
    group: GroupMetadata,
    offsets: LoadedOffset[],
    onGroupLoaded: (g: GroupMetadata) => void,
  ): void {
    group.initializeOffsets(offsets);
    const cur = this.addGroup(group);
    if (cur !== group) {
      this.log.debug(
        `Attempt to load group ${group.groupId} from log with generation ${group.generationId} failed because there is already a cached group with generation ${cur.generationId}`,
      );
      return;
    }
    onGroupLoaded(group);
  }

  /** Kafka's GroupMetadata.loadGroup: Stable with members, else Empty. */
  private groupFromValue(groupId: string, v: GroupMetadataValue): GroupMetadata {
    const state: GroupState = v.members.length === 0 ? 'Empty' : 'Stable';
    const group = new GroupMetadata(groupId, state, this.now);
    group.generationId = v.generation;
    group.protocolType = v.protocolType === '' ? null : v.protocolType;
    group.protocolName = v.protocol;
    group.currentStateTimestamp = v.currentStateTimestamp === -1n ? null : Number(v.currentStateTimestamp);
    for (const m of v.members) {
      const member = new MemberMetadata(
        m.memberId,
        m.groupInstanceId,
        m.clientId,
        m.clientHost,
        m.rebalanceTimeout,
        m.sessionTimeout,
        v.protocolType,
        [{ name: v.protocol ?? '', metadata: m.subscription }],
      );
      member.assignment = m.assignment;
      group.add(member, null);
    }
    group.setLeader(v.leader);
    group.refreshSubscribedTopics();
    return group;
  }

  /** Stopping to lead an offsets partition: its groups are unloaded (→ Dead) and forgotten. */
  scheduleRemoveGroupsForPartition(
    partition: number,
    epoch: number | null,
    onGroupUnloaded: (g: GroupMetadata) => void,
  ): Promise<void> {
    this.log.info(
      `Scheduling unloading of offsets and group metadata from ${GROUP_METADATA_TOPIC_NAME}-${partition}`,
    );
    return this.schedule(async () => this.removeGroupsAndOffsets(partition, epoch, onGroupUnloaded));
  }

  removeGroupsAndOffsets(
    partition: number,
    epoch: number | null,
    onGroupUnloaded: (g: GroupMetadata) => void,
  ): void {
    const tp = `${GROUP_METADATA_TOPIC_NAME}-${partition}`;
    if (!this.maybeUpdateCoordinatorEpoch(partition, epoch)) {
      this.log.info(
        `Not removing offsets for ${tp} in epoch ${epoch}, current epoch is ${this.epochForPartition.get(partition)}`,
      );
      return;
    }
    let numOffsets = 0;
    let numGroups = 0;
    this.ownedPartitions.delete(partition);
    this.loadingPartitions.delete(partition);
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      onGroupUnloaded(group);
      this.groups.delete(group.groupId);
      numGroups++;
      numOffsets += group.numOffsets;
    }
    this.log.info(
      `Finished unloading ${tp} for coordinator epoch ${epoch ?? 'None'}. Removed ${numOffsets} cached offsets and ${numGroups} cached groups.`,
    );
  }

  shutdown(): void {
    this.shuttingDown = true;
  }
}
