// A small Kafka consumer on Samsa's own codec, for `samsa console-consumer` (and tests). It
// consumes by direct assignment: partitions are assigned by the caller (or, for a topic list or
// pattern, all of their partitions, picked up again when the metadata changes), start positions
// come from ListOffsets (earliest/latest) or a seek, and records come from Fetch requests to each
// partition's leader. What the Java consumer does on the way is kept: auto.offset.reset on
// OFFSET_OUT_OF_RANGE, metadata refresh on stale-leader errors, CRC checks, control batches
// skipped, aborted transactions filtered under read_committed, partition leader epochs sent.
// With subscribe() it is a member of a consumer group instead (classic protocol, as Kafka 3.9's
// default consumer): FindCoordinator, JoinGroup/SyncGroup with the range assignor (the leader
// computes the assignment), committed positions from OffsetFetch, heartbeats on a timer, auto
// commit, and LeaveGroup on close.

import { Reader, ZERO_UUID } from '../protocol/codec/reader';
import { Writer } from '../protocol/codec/writer';
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import {
  decodeConsumerProtocolAssignment,
  encodeConsumerProtocolAssignment,
} from '../protocol/messages/generated/ConsumerProtocolAssignment';
import {
  decodeConsumerProtocolSubscription,
  encodeConsumerProtocolSubscription,
} from '../protocol/messages/generated/ConsumerProtocolSubscription';
import type { FetchResponse } from '../protocol/messages/generated/FetchResponse';
import type { FindCoordinatorResponse } from '../protocol/messages/generated/FindCoordinatorResponse';
import type { HeartbeatResponse } from '../protocol/messages/generated/HeartbeatResponse';
import type { JoinGroupResponse } from '../protocol/messages/generated/JoinGroupResponse';
import type { OffsetCommitResponse } from '../protocol/messages/generated/OffsetCommitResponse';
import type { OffsetFetchResponse } from '../protocol/messages/generated/OffsetFetchResponse';
import type { SyncGroupResponse } from '../protocol/messages/generated/SyncGroupResponse';
import type { ListOffsetsResponse } from '../protocol/messages/generated/ListOffsetsResponse';
import { computeCrc } from '../protocol/records/batch';
import { legacyRecords } from '../protocol/records/legacy';
import {
  ControlRecordType,
  decodeRecords,
  parseControlRecordTypeId,
  readBatchHeader,
  splitBatches,
  TimestampType,
  type RecordHeader,
} from '../protocol/records/records';
import { KafkaConnection } from './network-client';
import {
  ClusterClient,
  errorForCode,
  isMetadataError,
  KafkaClientError,
  sleep,
  type ClientLog,
  type TopicInfo,
} from './producer';

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  timestampType: TimestampType;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type OffsetReset = 'earliest' | 'latest' | 'none';
export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface ConsumerConfig {
  bootstrap: string;
  clientId: string;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  autoOffsetReset: OffsetReset;
  fetchMaxWaitMs: number;
  fetchMinBytes: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  checkCrcs: boolean;
  allowAutoCreateTopics: boolean;
  excludeInternalTopics: boolean;
  metadataMaxAgeMs: number;
  log?: ClientLog;
}

export const CONSUMER_DEFAULTS: Omit<ConsumerConfig, 'bootstrap'> = {
  clientId: 'consumer',
  isolationLevel: READ_UNCOMMITTED,
  autoOffsetReset: 'latest',
  fetchMaxWaitMs: 500,
  fetchMinBytes: 1,
  fetchMaxBytes: 52428800,
  maxPartitionFetchBytes: 1048576,
  requestTimeoutMs: 30000,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  checkCrcs: true,
  allowAutoCreateTopics: true,
  excludeInternalTopics: true,
  metadataMaxAgeMs: 300000,
};

/** Thrown by poll() after wakeup(). */
export class WakeupError extends Error {
  constructor() {
    super('wakeup');
  }
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; null until reset. */
  offset: bigint | null;
  /** Pending reset strategy (ListOffsets) when offset is null. */
  reset: 'earliest' | 'latest' | null;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const EARLIEST_TIMESTAMP = -2n;
const LATEST_TIMESTAMP = -1n;

export interface DecodeOptions {
  isolationLevel: number;
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  checkCrcs: boolean;
}

/**
 * The records of one partition's fetched data from `fetchOffset` on (Kafka's CompletedFetch):
 * v2 batches and legacy message sets, control batches skipped, aborted transactional batches
 * dropped under read_committed. Returns them with the next offset to fetch.
 */
export async function decodeFetchedRecords(
  topic: string,
  partition: number,
  data: Buffer,
  fetchOffset: bigint,
  opts: DecodeOptions,
): Promise<{ records: ConsumerRecord[]; nextOffset: bigint }> {
  const out: ConsumerRecord[] = [];
  let next = fetchOffset;
  const readCommitted = opts.isolationLevel === READ_COMMITTED;
  const aborted = [...(opts.abortedTransactions ?? [])].sort((a, b) =>
    a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
  );
  const abortedProducers = new Set<bigint>();
  const { batches } = splitBatches(data);
  for (const slice of batches) {
    const buf = data.subarray(slice.position, slice.position + slice.size);
    if (slice.magic < 2) {
      const { wrapper, records } = await legacyRecords(buf, 0);
      for (const r of records) {
        if (r.absoluteOffset < next) continue;
        out.push({
          topic,
          partition,
          offset: r.absoluteOffset,
          timestamp: r.effectiveTimestamp,
          timestampType: r.effectiveTimestampType,
          key: r.key,
          value: r.value,
          headers: [],
        });
      }
      if (wrapper.offset >= next) next = wrapper.offset + 1n;
      continue;
    }
    const h = readBatchHeader(buf, 0);
    if (h.lastOffset < next) continue;
    if (opts.checkCrcs) {
      const computed = computeCrc(buf, 0);
      if (computed !== h.crc)
        throw new KafkaClientError(
          'org.apache.kafka.common.KafkaException',
          `Record batch for partition ${topic}-${partition} at offset ${h.baseOffset} is invalid, cause: Record is corrupt (stored crc = ${h.crc}, computed crc = ${computed})`,
          ErrorCode.CORRUPT_MESSAGE,
        );
    }
    if (readCommitted && h.producerId >= 0n) {
      while (aborted.length > 0 && aborted[0].firstOffset <= h.lastOffset)
        abortedProducers.add(aborted.shift()!.producerId);
      if (h.isControl) {
        const [marker] = await decodeRecords(buf, 0);
        if (marker && parseControlRecordTypeId(marker.key) === ControlRecordType.ABORT)
          abortedProducers.delete(h.producerId);
      } else if (h.isTransactional && abortedProducers.has(h.producerId)) {
        next = h.lastOffset + 1n;
        continue;
      }
    }
    if (!h.isControl) {
      for (const r of await decodeRecords(buf, 0)) {
        if (r.offset < next) continue;
        out.push({
          topic,
          partition,
          offset: r.offset,
          timestamp: r.timestamp,
          timestampType: h.timestampType,
          key: r.key,
          value: r.value,
          headers: r.headers,
        });
      }
    }
    next = h.lastOffset + 1n;
  }
  return { records: out, nextOffset: next };
}

export interface GroupOptions {
  groupId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  /** max.poll.interval.ms */
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  autoCommit: boolean;
  autoCommitIntervalMs: number;
}

export const GROUP_DEFAULTS: Omit<GroupOptions, 'groupId'> = {
  groupInstanceId: null,
  sessionTimeoutMs: 45000,
  rebalanceTimeoutMs: 300000,
  heartbeatIntervalMs: 3000,
  autoCommit: true,
  autoCommitIntervalMs: 5000,
};

/** A member as the range assignor sees it. */
export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  topics: string[];
}

/**
 * Kafka's RangeAssignor: per topic, the subscribed members in order (group instance id first
 * when set, then member id) each take a contiguous range; the first `partitions % members`
 * members take one more.
 */
export function rangeAssign(
  members: GroupMember[],
  partitionsPerTopic: Map<string, number>,
): Map<string, Array<{ topic: string; partitions: number[] }>> {
  const out = new Map<string, Array<{ topic: string; partitions: number[] }>>();
  for (const m of members) out.set(m.memberId, []);
  const order = (a: GroupMember, b: GroupMember): number => {
    if (a.groupInstanceId !== null && b.groupInstanceId !== null)
      return a.groupInstanceId < b.groupInstanceId ? -1 : a.groupInstanceId > b.groupInstanceId ? 1 : 0;
    if (a.groupInstanceId !== null) return -1;
    if (b.groupInstanceId !== null) return 1;
    return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
  };
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  for (const topic of topics) {
    const n = partitionsPerTopic.get(topic);
    if (n === undefined) continue;
    const consumers = members.filter((m) => m.topics.includes(topic)).sort(order);
    const per = Math.floor(n / consumers.length);
    const extra = n % consumers.length;
    consumers.forEach((c, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i + 1 > extra ? 0 : 1);
      if (length === 0) return;
      out.get(c.memberId)!.push({ topic, partitions: Array.from({ length }, (_, j) => start + j) });
    });
  }
  return out;
}

const CONSUMER_PROTOCOL_VERSION = 3;

function encodeVersioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  body(w);
  return w.toBuffer();
}

export function encodeSubscription(topics: string[]): Buffer {
  return encodeVersioned(CONSUMER_PROTOCOL_VERSION, (w) =>
    encodeConsumerProtocolSubscription(
      w,
      { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null },
      CONSUMER_PROTOCOL_VERSION,
    ),
  );
}

/** ConsumerProtocol.deserializeSubscription: newer versions are read as the newest known one. */
export function decodeSubscription(b: Buffer): string[] {
  const r = new Reader(b);
  const version = Math.min(r.readInt16(), CONSUMER_PROTOCOL_VERSION);
  return decodeConsumerProtocolSubscription(r, Math.max(0, version)).topics;
}

export function encodeAssignment(assigned: Array<{ topic: string; partitions: number[] }>): Buffer {
  return encodeVersioned(CONSUMER_PROTOCOL_VERSION, (w) =>
    encodeConsumerProtocolAssignment(
      w,
      { assignedPartitions: assigned, userData: null },
      CONSUMER_PROTOCOL_VERSION,
    ),
  );
}

export function decodeAssignment(b: Buffer): Array<{ topic: string; partitions: number[] }> {
  if (b.length === 0) return [];
  const r = new Reader(b);
  const version = Math.min(r.readInt16(), CONSUMER_PROTOCOL_VERSION);
  return decodeConsumerProtocolAssignment(r, Math.max(0, version)).assignedPartitions;
}

interface GroupState {
  opts: GroupOptions;
  conn: KafkaConnection | null;
  memberId: string;
  generationId: number;
  protocolName: string | null;
  needsJoin: boolean;
  heartbeat: NodeJS.Timeout | null;
  lastCommitMs: number;
}

/** Thrown inside poll() when the member has to join again; poll() retries after a backoff. */
class RejoinNeeded extends Error {}

/** Group errors after which the member must find the coordinator again. */
const COORDINATOR_ERRORS = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
]);

export class Consumer {
  readonly config: ConsumerConfig;
  readonly cluster: ClusterClient;
  private readonly parts = new Map<string, PartitionState>();
  /** Topics (or a pattern) whose partitions are all assigned, following metadata changes. */
  private subscription: { topics: string[] } | { pattern: RegExp } | null = null;
  private metadataNeeded = true;
  private backoffMs: number;
  private woken = false;
  private closed = false;
  private group: GroupState | null = null;

  constructor(config: Partial<ConsumerConfig> & { bootstrap: string }) {
    this.config = { ...CONSUMER_DEFAULTS, ...config };
    this.backoffMs = this.config.retryBackoffMs;
    this.cluster = new ClusterClient({
      bootstrap: this.config.bootstrap,
      clientId: this.config.clientId,
      requestTimeoutMs: this.config.requestTimeoutMs,
      logPrefix: `[Consumer clientId=${this.config.clientId}] `,
      log: this.config.log,
    });
  }

  /** Connects to a bootstrap broker. */
  async connect(): Promise<void> {
    await this.cluster.anyConnection();
  }

  /** Every partition of these topics (or of the topics matching the pattern), now and later. */
  assignAll(topics: string[] | RegExp): void {
    this.subscription = topics instanceof RegExp ? { pattern: topics } : { topics: [...topics] };
    this.metadataNeeded = true;
  }

  /**
   * Membership of a consumer group for these topics (or the topics matching the pattern): the
   * coordinator's assignment decides the partitions, committed offsets the positions.
   */
  subscribe(topics: string[] | RegExp, group: Partial<GroupOptions> & { groupId: string }): void {
    this.assignAll(topics);
    this.group = {
      opts: { ...GROUP_DEFAULTS, ...group },
      conn: null,
      memberId: '',
      generationId: -1,
      protocolName: null,
      needsJoin: true,
      heartbeat: null,
      lastCommitMs: Date.now(),
    };
  }

  /** Manual assignment of partitions, positioned by the reset strategy until seek(). */
  assign(tps: Array<{ topic: string; partition: number }>): void {
    this.subscription = null;
    this.parts.clear();
    for (const tp of tps) this.addPartition(tp.topic, tp.partition);
    this.metadataNeeded = true;
  }

  assignment(): Array<{ topic: string; partition: number }> {
    return [...this.parts.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /** Next fetch position: an offset, or the log start/end resolved by ListOffsets. */
  seek(topic: string, partition: number, to: bigint | 'earliest' | 'latest'): void {
    const p = this.parts.get(tpKey(topic, partition));
    if (!p)
      throw new KafkaClientError(
        'java.lang.IllegalStateException',
        `No current assignment for partition ${topic}-${partition}`,
      );
    if (typeof to === 'bigint') {
      p.offset = to;
      p.reset = null;
    } else {
      p.offset = null;
      p.reset = to;
    }
  }

  position(topic: string, partition: number): bigint | null {
    return this.parts.get(tpKey(topic, partition))?.offset ?? null;
  }

  /** Makes a poll() in progress (or the next one) throw WakeupError. */
  wakeup(): void {
    this.woken = true;
  }

  private addPartition(topic: string, partition: number): void {
    const k = tpKey(topic, partition);
    if (this.parts.has(k)) return;
    const reset = this.config.autoOffsetReset === 'none' ? null : this.config.autoOffsetReset;
    this.parts.set(k, { topic, partition, offset: null, reset });
  }

  private topicsOfInterest(): string[] | null {
    if (this.subscription && 'pattern' in this.subscription) return null;
    const s = new Set<string>(this.subscription ? this.subscription.topics : []);
    for (const p of this.parts.values()) s.add(p.topic);
    return [...s];
  }

  private async updateMetadata(): Promise<void> {
    const stale = Date.now() - this.cluster.lastRefreshMs >= this.config.metadataMaxAgeMs;
    if (!this.metadataNeeded && !stale) return;
    const topics = this.topicsOfInterest();
    const pattern = this.subscription && 'pattern' in this.subscription;
    await this.cluster.refresh(topics, !pattern && this.config.allowAutoCreateTopics);
    this.metadataNeeded = false;
    if (!this.subscription) return;
    const wanted = this.subscribedTopics();
    if (this.group) {
      for (const t of wanted) this.checkTopic(t);
      return;
    }
    for (const t of wanted) {
      if (t.errorCode !== ErrorCode.NONE) {
        this.checkTopic(t);
        this.metadataNeeded = true;
        continue;
      }
      for (const p of t.partitions) this.addPartition(t.name, p.partition);
    }
    if (!('pattern' in this.subscription) && wanted.length < this.subscription.topics.length)
      this.metadataNeeded = true;
  }

  /** The subscribed topics the metadata knows. */
  private subscribedTopics(): TopicInfo[] {
    const wanted: TopicInfo[] = [];
    if (!this.subscription) return wanted;
    if ('pattern' in this.subscription) {
      const re = this.subscription.pattern;
      for (const t of this.cluster.topics.values())
        if (re.test(t.name) && !(t.isInternal && this.config.excludeInternalTopics)) wanted.push(t);
    } else {
      for (const name of this.subscription.topics) {
        const t = this.cluster.topics.get(name);
        if (t) wanted.push(t);
      }
    }
    return wanted;
  }

  /** Topic errors the Java consumer does not retry. */
  private checkTopic(t: TopicInfo): void {
    if (t.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED)
      throw new KafkaClientError(
        'org.apache.kafka.common.errors.TopicAuthorizationException',
        `Not authorized to access topics: [${t.name}]`,
        t.errorCode,
      );
    if (t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION)
      throw new KafkaClientError(
        'org.apache.kafka.common.errors.InvalidTopicException',
        `Invalid topics: [${t.name}]`,
        t.errorCode,
      );
  }

  private leaderOf(p: PartitionState): { leader: number; epoch: number; topicId: string } | null {
    const t = this.cluster.topics.get(p.topic);
    const info = t?.partitions.find((x) => x.partition === p.partition);
    if (!t || !info || info.leader < 0 || !this.cluster.brokers.has(info.leader)) return null;
    return { leader: info.leader, epoch: info.leaderEpoch, topicId: t.topicId };
  }

  private groupByLeader(list: PartitionState[]): Map<number, PartitionState[]> {
    const m = new Map<number, PartitionState[]>();
    for (const p of list) {
      const l = this.leaderOf(p);
      if (!l) {
        this.metadataNeeded = true;
        continue;
      }
      let g = m.get(l.leader);
      if (!g) m.set(l.leader, (g = []));
      g.push(p);
    }
    return m;
  }

  /** Resolves pending resets with ListOffsets to each leader. */
  private async resetPositions(): Promise<void> {
    const pending = [...this.parts.values()].filter((p) => p.offset === null && p.reset !== null);
    if (pending.length === 0) return;
    await Promise.all(
      [...this.groupByLeader(pending)].map(async ([node, list]) => {
        let res: ListOffsetsResponse;
        try {
          const conn = await this.cluster.connection(node);
          const byTopic = new Map<string, PartitionState[]>();
          for (const p of list) {
            let g = byTopic.get(p.topic);
            if (!g) byTopic.set(p.topic, (g = []));
            g.push(p);
          }
          res = await conn.request<ListOffsetsResponse>(ApiKey.ListOffsets, {
            replicaId: -1,
            isolationLevel: this.config.isolationLevel,
            topics: [...byTopic].map(([name, ps]) => ({
              name,
              partitions: ps.map((p) => ({
                partitionIndex: p.partition,
                currentLeaderEpoch: this.leaderOf(p)?.epoch ?? -1,
                timestamp: p.reset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP,
                maxNumOffsets: 1,
              })),
            })),
          });
        } catch (e) {
          this.onNetworkError(node, e);
          return;
        }
        for (const t of res.topics)
          for (const r of t.partitions) {
            const p = this.parts.get(tpKey(t.name, r.partitionIndex));
            if (!p || p.offset !== null) continue;
            if (r.errorCode === ErrorCode.NONE) {
              const off = r.offset >= 0n ? r.offset : (r.oldStyleOffsets[0] ?? -1n);
              if (off >= 0n) {
                p.offset = off;
                p.reset = null;
              }
            } else if (isMetadataError(r.errorCode) || r.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE) {
              this.metadataNeeded = true;
            } else {
              throw errorForCode(r.errorCode);
            }
          }
      }),
    );
  }

  private onNetworkError(node: number, e: unknown): void {
    if (e instanceof KafkaClientError && !e.retriable) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    if (/does not support|no common version/.test(msg))
      throw new KafkaClientError('org.apache.kafka.common.errors.UnsupportedVersionException', msg);
    this.cluster.dropConnection(node);
    this.metadataNeeded = true;
  }

  // -------------------------------------------------------------------------------------------
  // Consumer group membership (classic protocol)

  private groupLog(level: 'WARN' | 'INFO' | 'ERROR', message: string, logger: string): void {
    const g = this.group!;
    this.config.log?.(
      level,
      `[Consumer clientId=${this.config.clientId}, groupId=${g.opts.groupId}] ${message}`,
      logger,
    );
  }

  /** FindCoordinator, then a connection to the coordinator. */
  private async coordinator(): Promise<KafkaConnection> {
    const g = this.group!;
    if (g.conn) return g.conn;
    const any = await this.cluster.anyConnection();
    const res = await any.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, {
      key: g.opts.groupId,
      keyType: 0,
      coordinatorKeys: [g.opts.groupId],
    });
    const c =
      res.coordinators.length > 0
        ? res.coordinators[0]
        : {
            nodeId: res.nodeId,
            host: res.host,
            port: res.port,
            errorCode: res.errorCode,
            errorMessage: res.errorMessage,
          };
    if (c.errorCode !== ErrorCode.NONE) throw errorForCode(c.errorCode, c.errorMessage);
    // JoinGroup may be held by the coordinator for the whole rebalance (Java: max of the request
    // timeout and the rebalance timeout + 5 s).
    const timeoutMs = Math.max(this.config.requestTimeoutMs, g.opts.rebalanceTimeoutMs + 5000);
    const conn = new KafkaConnection(c.host, c.port, this.config.clientId, timeoutMs);
    try {
      await conn.connect();
    } catch (e) {
      conn.close();
      throw e;
    }
    g.conn = conn;
    return conn;
  }

  private dropCoordinator(): void {
    const g = this.group!;
    g.conn?.close();
    g.conn = null;
  }

  /** A request to the coordinator; a lost connection or a moved coordinator is retriable. */
  private async groupRequest<T>(apiKey: number, body: unknown): Promise<T> {
    const conn = await this.coordinator();
    try {
      return await conn.request<T>(apiKey, body);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (/does not support|no common version/.test(msg)) throw e;
      this.dropCoordinator();
      throw errorForCode(ErrorCode.COORDINATOR_NOT_AVAILABLE, `Coordinator unreachable: ${msg}`);
    }
  }

  /** Reacts to a group error code: true when the caller should simply try again. */
  private groupError(code: number): boolean {
    const g = this.group!;
    if (code === ErrorCode.NONE) return false;
    if (COORDINATOR_ERRORS.has(code)) {
      this.dropCoordinator();
      return true;
    }
    if (code === ErrorCode.UNKNOWN_MEMBER_ID || (code === ErrorCode.FENCED_INSTANCE_ID && false)) {
      g.memberId = '';
      g.generationId = -1;
      g.needsJoin = true;
      return true;
    }
    if (code === ErrorCode.ILLEGAL_GENERATION || code === ErrorCode.REBALANCE_IN_PROGRESS) {
      g.needsJoin = true;
      return true;
    }
    if (code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.MEMBER_ID_REQUIRED) return true;
    throw errorForCode(code);
  }

  /** JoinGroup + SyncGroup until this member has an assignment, then its positions. */
  private async ensureGroup(): Promise<void> {
    const g = this.group!;
    if (!g.needsJoin) return;
    // Eager rebalance: commit and give up the current partitions first.
    if (this.parts.size > 0) {
      if (g.opts.autoCommit && g.generationId >= 0) await this.commit().catch(() => undefined);
      this.parts.clear();
    }
    const topics = this.subscribedTopics()
      .filter((t) => t.errorCode === ErrorCode.NONE)
      .map((t) => t.name)
      .sort();
    const join = await this.groupRequest<JoinGroupResponse>(ApiKey.JoinGroup, {
      groupId: g.opts.groupId,
      sessionTimeoutMs: g.opts.sessionTimeoutMs,
      rebalanceTimeoutMs: g.opts.rebalanceTimeoutMs,
      memberId: g.memberId,
      groupInstanceId: g.opts.groupInstanceId,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: encodeSubscription(topics) }],
      reason: null,
    });
    if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      g.memberId = join.memberId;
      throw new RejoinNeeded('the group member needs a member id');
    }
    if (join.errorCode !== ErrorCode.NONE) {
      this.groupError(join.errorCode);
      throw new RejoinNeeded(`JoinGroup failed with ${join.errorCode}`);
    }
    g.memberId = join.memberId;
    g.generationId = join.generationId;
    g.protocolName = join.protocolName;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (join.leader === join.memberId && !join.skipAssignment) {
      const members: GroupMember[] = join.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        topics: decodeSubscription(m.metadata),
      }));
      const all = [...new Set(members.flatMap((m) => m.topics))];
      const missing = all.filter((t) => !this.cluster.topics.has(t));
      if (missing.length > 0) await this.cluster.refresh([...this.cluster.topics.keys(), ...missing], false);
      const sizes = new Map<string, number>();
      for (const t of all) {
        const info = this.cluster.topics.get(t);
        if (info && info.errorCode === ErrorCode.NONE) sizes.set(t, info.partitions.length);
      }
      assignments = [...rangeAssign(members, sizes)].map(([memberId, a]) => ({
        memberId,
        assignment: encodeAssignment(a),
      }));
    }
    const sync = await this.groupRequest<SyncGroupResponse>(ApiKey.SyncGroup, {
      groupId: g.opts.groupId,
      generationId: g.generationId,
      memberId: g.memberId,
      groupInstanceId: g.opts.groupInstanceId,
      protocolType: 'consumer',
      protocolName: g.protocolName,
      assignments,
    });
    if (sync.errorCode !== ErrorCode.NONE) {
      this.groupError(sync.errorCode);
      throw new RejoinNeeded(`SyncGroup failed with ${sync.errorCode}`);
    }
    const assigned = decodeAssignment(sync.assignment);
    this.parts.clear();
    for (const a of assigned) for (const partition of a.partitions) this.addPartition(a.topic, partition);
    g.needsJoin = false;
    this.metadataNeeded = true;
    await this.fetchCommitted();
    this.startHeartbeat();
  }

  /** OffsetFetch: committed offsets become positions; the others keep the reset strategy. */
  private async fetchCommitted(): Promise<void> {
    const g = this.group!;
    if (this.parts.size === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const p of this.parts.values()) {
      let l = byTopic.get(p.topic);
      if (!l) byTopic.set(p.topic, (l = []));
      l.push(p.partition);
    }
    const topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    const res = await this.groupRequest<OffsetFetchResponse>(ApiKey.OffsetFetch, {
      groupId: g.opts.groupId,
      topics,
      groups: [{ groupId: g.opts.groupId, memberId: null, memberEpoch: -1, topics }],
      requireStable: true,
    });
    const group = res.groups.length > 0 ? res.groups[0] : { errorCode: res.errorCode, topics: res.topics };
    if (group.errorCode !== ErrorCode.NONE) {
      this.groupError(group.errorCode);
      g.needsJoin = true;
      throw errorForCode(group.errorCode);
    }
    for (const t of group.topics)
      for (const p of t.partitions) {
        const st = this.parts.get(tpKey(t.name, p.partitionIndex));
        if (!st) continue;
        if (p.errorCode !== ErrorCode.NONE && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
          throw errorForCode(p.errorCode);
        if (p.committedOffset >= 0n) {
          st.offset = p.committedOffset;
          st.reset = null;
        }
      }
  }

  private startHeartbeat(): void {
    const g = this.group!;
    if (g.heartbeat) return;
    g.heartbeat = setInterval(() => void this.heartbeat(), g.opts.heartbeatIntervalMs);
    g.heartbeat.unref();
  }

  private heartbeating = false;

  private async heartbeat(): Promise<void> {
    const g = this.group;
    if (!g || g.needsJoin || this.heartbeating || this.closed) return;
    this.heartbeating = true;
    try {
      const res = await this.groupRequest<HeartbeatResponse>(ApiKey.Heartbeat, {
        groupId: g.opts.groupId,
        generationId: g.generationId,
        memberId: g.memberId,
        groupInstanceId: g.opts.groupInstanceId,
      });
      if (res.errorCode !== ErrorCode.NONE) this.groupError(res.errorCode);
    } catch (e) {
      this.groupLog(
        'WARN',
        `Heartbeat failed: ${String(e)}`,
        'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
      );
    } finally {
      this.heartbeating = false;
    }
  }

  /** OffsetCommit of the current positions (what the Java consumer's auto commit sends). */
  async commit(): Promise<void> {
    const g = this.group;
    if (!g || g.generationId < 0) return;
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: bigint }>>();
    for (const p of this.parts.values()) {
      if (p.offset === null) continue;
      let l = byTopic.get(p.topic);
      if (!l) byTopic.set(p.topic, (l = []));
      l.push({ partitionIndex: p.partition, committedOffset: p.offset });
    }
    if (byTopic.size === 0) return;
    g.lastCommitMs = Date.now();
    const res = await this.groupRequest<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId: g.opts.groupId,
      generationIdOrMemberEpoch: g.generationId,
      memberId: g.memberId,
      groupInstanceId: g.opts.groupInstanceId,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, partitions]) => ({
        name,
        partitions: partitions.map((p) => ({
          ...p,
          committedLeaderEpoch: -1,
          commitTimestamp: -1n,
          committedMetadata: '',
        })),
      })),
    });
    for (const t of res.topics)
      for (const p of t.partitions)
        if (p.errorCode !== ErrorCode.NONE) {
          this.groupLog(
            'WARN',
            `Offset commit failed on partition ${t.name}-${p.partitionIndex}: ${errorForCode(p.errorCode).message}`,
            'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
          );
          this.groupError(p.errorCode);
          return;
        }
  }

  private async maybeAutoCommit(): Promise<void> {
    const g = this.group;
    if (!g || !g.opts.autoCommit || g.needsJoin) return;
    if (Date.now() - g.lastCommitMs < g.opts.autoCommitIntervalMs) return;
    await this.commit().catch((e: unknown) =>
      this.groupLog(
        'WARN',
        `Asynchronous auto-commit of offsets failed: ${e instanceof Error ? e.message : String(e)}`,
        'org.apache.kafka.clients.consumer.internals.ConsumerCoordinator',
      ),
    );
  }

  /** Commit (auto commit on), then LeaveGroup (dynamic members), as KafkaConsumer.close. */
  private async leaveGroup(): Promise<void> {
    const g = this.group;
    if (!g) return;
    if (g.heartbeat) clearInterval(g.heartbeat);
    g.heartbeat = null;
    if (g.generationId < 0 || !g.conn) return;
    try {
      if (g.opts.autoCommit) await this.commit();
      if (g.opts.groupInstanceId === null)
        await this.groupRequest(ApiKey.LeaveGroup, {
          groupId: g.opts.groupId,
          memberId: g.memberId,
          members: [{ memberId: g.memberId, groupInstanceId: null, reason: 'the consumer is being closed' }],
        });
    } catch {
      // closing anyway
    }
  }

  /** One Fetch per leader, in parallel; returns the records in partition order. */
  private async fetchOnce(maxWaitMs: number): Promise<ConsumerRecord[]> {
    const ready = [...this.parts.values()].filter((p) => p.offset !== null);
    const groups = [...this.groupByLeader(ready)];
    const results = await Promise.all(groups.map(([node, list]) => this.fetchFrom(node, list, maxWaitMs)));
    return results.flat();
  }

  private async fetchFrom(
    node: number,
    list: PartitionState[],
    maxWaitMs: number,
  ): Promise<ConsumerRecord[]> {
    let res: FetchResponse;
    let version: number;
    const names = new Map<string, string>();
    try {
      const conn = await this.cluster.connection(node);
      const needNames = list.some((p) => (this.leaderOf(p)?.topicId ?? ZERO_UUID) === ZERO_UUID);
      version = conn.version(ApiKey.Fetch, needNames ? 12 : undefined);
      const byTopic = new Map<string, PartitionState[]>();
      for (const p of list) {
        let g = byTopic.get(p.topic);
        if (!g) byTopic.set(p.topic, (g = []));
        g.push(p);
      }
      const topics = [...byTopic].map(([topic, ps]) => {
        const topicId = this.cluster.topics.get(topic)?.topicId ?? ZERO_UUID;
        names.set(topicId, topic);
        return {
          topic,
          topicId,
          partitions: ps.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: this.leaderOf(p)?.epoch ?? -1,
            fetchOffset: p.offset as bigint,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: this.config.maxPartitionFetchBytes,
          })),
        };
      });
      res = (await conn.send(ApiKey.Fetch, version, {
        replicaId: -1,
        replicaState: { replicaId: -1, replicaEpoch: -1n },
        maxWaitMs,
        minBytes: this.config.fetchMinBytes,
        maxBytes: this.config.fetchMaxBytes,
        isolationLevel: this.config.isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics,
        forgottenTopicsData: [],
        rackId: '',
      })) as FetchResponse;
    } catch (e) {
      this.onNetworkError(node, e);
      return [];
    }
    if (res.errorCode !== ErrorCode.NONE) {
      if (isMetadataError(res.errorCode) || res.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) {
        this.metadataNeeded = true;
        return [];
      }
      throw errorForCode(res.errorCode);
    }
    const out: ConsumerRecord[] = [];
    for (const t of res.responses) {
      const topic = version >= 13 ? (names.get(t.topicId) ?? '') : t.topic;
      for (const pd of t.partitions) {
        const p = this.parts.get(tpKey(topic, pd.partitionIndex));
        if (!p || p.offset === null) continue;
        if (pd.errorCode === ErrorCode.NONE) {
          if (!pd.records || pd.records.length === 0) continue;
          const { records, nextOffset } = await decodeFetchedRecords(
            topic,
            p.partition,
            pd.records,
            p.offset,
            {
              isolationLevel: this.config.isolationLevel,
              abortedTransactions: pd.abortedTransactions,
              checkCrcs: this.config.checkCrcs,
            },
          );
          out.push(...records);
          p.offset = nextOffset;
        } else if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (this.config.autoOffsetReset === 'none')
            throw new KafkaClientError(
              'org.apache.kafka.clients.consumer.OffsetOutOfRangeException',
              `Fetch position FetchPosition{offset=${p.offset}} is out of range for partition ${topic}-${p.partition}`,
              pd.errorCode,
            );
          p.offset = null;
          p.reset = this.config.autoOffsetReset;
        } else if (isMetadataError(pd.errorCode) || pd.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE) {
          this.metadataNeeded = true;
        } else {
          throw errorForCode(pd.errorCode);
        }
      }
    }
    return out;
  }

  /**
   * Records fetched within `timeoutMs` (an empty list when none came). Throws WakeupError after
   * wakeup(), and the Java client's exceptions for errors it would not retry.
   */
  async poll(timeoutMs: number): Promise<ConsumerRecord[]> {
    const deadline = Date.now() + Math.max(0, timeoutMs);
    for (;;) {
      if (this.woken) {
        this.woken = false;
        throw new WakeupError();
      }
      if (this.closed)
        throw new KafkaClientError(
          'java.lang.IllegalStateException',
          'This consumer has already been closed.',
        );
      let progressed = false;
      try {
        await this.updateMetadata();
        if (this.group) {
          await this.ensureGroup();
          await this.maybeAutoCommit();
        }
        await this.resetPositions();
        const left = deadline - Date.now();
        if ([...this.parts.values()].some((p) => p.offset !== null && this.leaderOf(p))) {
          const maxWait = Math.max(0, Math.min(this.config.fetchMaxWaitMs, left));
          const started = Date.now();
          const records = await this.fetchOnce(maxWait);
          progressed = true;
          if (records.length > 0) {
            this.backoffMs = this.config.retryBackoffMs;
            return records;
          }
          // A broker answering an empty fetch at once (no long poll) must not make this spin.
          const early = Math.min(100, maxWait - (Date.now() - started));
          if (early > 0) await sleep(early);
        }
      } catch (e) {
        if (e instanceof KafkaClientError && !e.retriable) throw e;
        if (!(e instanceof KafkaClientError)) {
          const msg = e instanceof Error ? e.message : String(e);
          if (/does not support|no common version/.test(msg))
            throw new KafkaClientError('org.apache.kafka.common.errors.UnsupportedVersionException', msg);
        }
        this.metadataNeeded = true;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      if (!progressed || this.metadataNeeded) {
        await sleep(Math.min(this.backoffMs, left));
        this.backoffMs = Math.min(this.backoffMs * 2, this.config.retryBackoffMaxMs);
      }
    }
  }

  /** Leaves the group (committing first with auto commit) and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.leaveGroup();
    this.closed = true;
    if (this.group) this.dropCoordinator();
    this.cluster.close();
  }
}
