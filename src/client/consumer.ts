// A small Kafka consumer on Samsa's own codec, for `samsa console-consumer` (and tests). It
// consumes by direct assignment: partitions are assigned by the caller (or, for a topic list or
// pattern, all of their partitions, picked up again when the metadata changes), start positions
// come from ListOffsets (earliest/latest) or a seek, and records come from Fetch requests to each
// partition's leader. What the Java consumer does on the way is kept: auto.offset.reset on
// OFFSET_OUT_OF_RANGE, metadata refresh on stale-leader errors, CRC checks, control batches
// skipped, aborted transactions filtered under read_committed, partition leader epochs sent.
// Consumer groups (coordinator, rebalances, commits) are not here: see ../cli/console-consumer.

import { ZERO_UUID } from '../protocol/codec/reader';
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { FetchResponse } from '../protocol/messages/generated/FetchResponse';
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
    const wanted: TopicInfo[] = [];
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
    for (const t of wanted) {
      if (t.errorCode !== ErrorCode.NONE) {
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
        this.metadataNeeded = true;
        continue;
      }
      for (const p of t.partitions) this.addPartition(t.name, p.partition);
    }
    if (!('pattern' in this.subscription) && wanted.length < this.subscription.topics.length)
      this.metadataNeeded = true;
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

  close(): void {
    this.closed = true;
    this.cluster.close();
  }
}
