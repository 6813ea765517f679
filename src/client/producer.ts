// A small Kafka producer on Samsa's own codec, for `samsa console-producer` (and tests). It keeps
// the parts of the Java client that show in behaviour: Kafka's default partitioner (murmur2 of the
// key, sticky partitions for unkeyed records switching after batch.size bytes as in KIP-794),
// per-partition batches closed by batch.size or linger.ms, one Produce request per leader carrying
// one batch per partition, retries of retriable errors with a metadata refresh for stale leaders,
// delivery.timeout.ms, max.block.ms for metadata and buffer memory, and the Java exceptions' names
// and default messages in errors. Not done: idempotence/transactions (no producer id), adaptive
// partitioning by queue size, per-node in-flight limits (one batch per partition in flight keeps
// ordering instead).
//
// The cluster view (`ClusterClient`: metadata cache, one connection per broker) and the Kafka
// exception mapping live here too and are shared with ./consumer.

import { connectBootstrap, KafkaConnection } from './network-client';
import { ZERO_UUID } from '../protocol/codec/reader';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { MetadataResponse } from '../protocol/messages/generated/MetadataResponse';
import type { ProduceResponse } from '../protocol/messages/generated/ProduceResponse';
import { CompressionType, RECORD_BATCH_OVERHEAD } from '../protocol/records/batch';
import { buildRecordBatch, sizeOfVarint, sizeOfVarlong, type RecordInput } from '../protocol/records/records';

// ---------------------------------------------------------------------------------------------
// Kafka's default partitioner

/**
 * Kafka's Utils.murmur2: MurmurHash2, seed 0x9747b28c, over the key bytes (little-endian 4-byte
 * blocks, then the 1–3 byte tail). Returns the signed 32-bit result as Java does.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const o = i << 2;
    let k = data[o] | (data[o + 1] << 8) | (data[o + 2] << 16) | (data[o + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs). */
export const toPositive = (n: number): number => n & 0x7fffffff;

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

// ---------------------------------------------------------------------------------------------
// Kafka exceptions

/** An error as the Java client reports it: `<exception class>: <message>`. */
export class KafkaClientError extends Error {
  constructor(
    readonly exceptionClass: string,
    message: string | null,
    readonly code: number = ErrorCode.UNKNOWN_SERVER_ERROR,
  ) {
    super(message ?? '');
    this.name = exceptionClass.slice(exceptionClass.lastIndexOf('.') + 1);
  }

  /** Java's Throwable.toString. */
  override toString(): string {
    return this.message ? `${this.exceptionClass}: ${this.message}` : this.exceptionClass;
  }

  get retriable(): boolean {
    return isRetriable(this.code);
  }
}

const ERR = 'org.apache.kafka.common.errors.';

/** Exception class and default message of Kafka's Errors enum, for the codes clients meet. */
const EXCEPTIONS: ReadonlyMap<number, readonly [string, string]> = new Map<number, readonly [string, string]>(
  [
    [
      -1,
      ['UnknownServerException', 'The server experienced an unexpected error when processing the request.'],
    ],
    [
      1,
      [
        'OffsetOutOfRangeException',
        'The requested offset is not within the range of offsets maintained by the server.',
      ],
    ],
    [
      2,
      [
        'CorruptRecordException',
        'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.',
      ],
    ],
    [3, ['UnknownTopicOrPartitionException', 'This server does not host this topic-partition.']],
    [
      5,
      [
        'LeaderNotAvailableException',
        'There is no leader for this topic-partition as we are in the middle of a leadership election.',
      ],
    ],
    [
      6,
      [
        'NotLeaderOrFollowerException',
        'For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition.',
      ],
    ],
    [7, ['TimeoutException', 'The request timed out.']],
    [8, ['BrokerNotAvailableException', 'The broker is not available.']],
    [
      10,
      [
        'RecordTooLargeException',
        'The request included a message larger than the max message size the server will accept.',
      ],
    ],
    [13, ['NetworkException', 'The server disconnected before a response was received.']],
    [17, ['InvalidTopicException', 'The request attempted to perform an operation on an invalid topic.']],
    [
      18,
      [
        'RecordBatchTooLargeException',
        'The request included message batch larger than the configured segment size on the server.',
      ],
    ],
    [
      19,
      [
        'NotEnoughReplicasException',
        'Messages are rejected since there are fewer in-sync replicas than required.',
      ],
    ],
    [
      20,
      [
        'NotEnoughReplicasAfterAppendException',
        'Messages are written to the log, but to fewer in-sync replicas than required.',
      ],
    ],
    [21, ['InvalidRequiredAcksException', 'Produce request specified an invalid value for required acks.']],
    [29, ['TopicAuthorizationException', 'Topic authorization failed.']],
    [32, ['InvalidTimestampException', 'The timestamp of the message is out of acceptable range.']],
    [35, ['UnsupportedVersionException', 'The version of API is not supported.']],
    [
      42,
      [
        'InvalidRequestException',
        'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
      ],
    ],
    [
      43,
      [
        'UnsupportedForMessageFormatException',
        'The message format version on the broker does not support the request.',
      ],
    ],
    [44, ['PolicyViolationException', 'Request parameters do not satisfy the configured policy.']],
    [53, ['TransactionalIdAuthorizationException', 'Transactional Id authorization failed.']],
    [56, ['KafkaStorageException', 'Disk error when trying to access log file on the disk.']],
    [
      74,
      [
        'FencedLeaderEpochException',
        'The leader epoch in the request is older than the epoch on the broker.',
      ],
    ],
    [
      75,
      [
        'UnknownLeaderEpochException',
        'The leader epoch in the request is newer than the epoch on the broker.',
      ],
    ],
    [
      76,
      [
        'UnsupportedCompressionTypeException',
        'The requesting client does not support the compression type of given partition.',
      ],
    ],
    [
      78,
      [
        'OffsetNotAvailableException',
        'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing.',
      ],
    ],
    [
      87,
      [
        'InvalidRecordException',
        'This record has failed the validation on broker and hence will be rejected.',
      ],
    ],
    [100, ['UnknownTopicIdException', 'This server does not host this topic ID.']],
    [103, ['InconsistentTopicIdException', "The log's topic ID did not match the topic ID in the request."]],
  ],
);

/** The Java client's exception for an error code (the broker's message wins over the default). */
export function errorForCode(code: number, message?: string | null): KafkaClientError {
  const known = EXCEPTIONS.get(code);
  if (!known)
    return new KafkaClientError('org.apache.kafka.common.KafkaException', message ?? errorName(code), code);
  const pkg = code === ErrorCode.INVALID_RECORD ? 'org.apache.kafka.common.' : ERR;
  return new KafkaClientError(pkg + known[0], message ?? known[1], code);
}

export const timeoutError = (message: string): KafkaClientError =>
  new KafkaClientError(`${ERR}TimeoutException`, message, ErrorCode.REQUEST_TIMED_OUT);

/** Errors after which the client's metadata is stale (Kafka's InvalidMetadataException family). */
export function isMetadataError(code: number): boolean {
  return (
    code === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
    code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
    code === ErrorCode.LEADER_NOT_AVAILABLE ||
    code === ErrorCode.FENCED_LEADER_EPOCH ||
    code === ErrorCode.UNKNOWN_LEADER_EPOCH ||
    code === ErrorCode.KAFKA_STORAGE_ERROR ||
    code === ErrorCode.REPLICA_NOT_AVAILABLE ||
    code === ErrorCode.NETWORK_EXCEPTION ||
    code === ErrorCode.UNKNOWN_TOPIC_ID ||
    code === ErrorCode.INCONSISTENT_TOPIC_ID
  );
}

// ---------------------------------------------------------------------------------------------
// Logging hook

export type LogLevel = 'ERROR' | 'WARN' | 'INFO';
/** Where the clients report what the Java client would log (logger = Java class name). */
export type ClientLog = (level: LogLevel, message: string, logger: string) => void;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------
// Cluster metadata and connections (shared with the consumer)

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionInfo[];
}

export interface ClusterClientOptions {
  bootstrap: string;
  clientId: string;
  requestTimeoutMs: number;
  /** Prefix of logged lines, e.g. `[Producer clientId=console-producer] `. */
  logPrefix: string;
  log?: ClientLog;
}

/**
 * The Java client's Metadata + NetworkClient in miniature: a metadata cache fed by Metadata
 * requests, and one connection per broker, opened on demand and dropped after a failure.
 */
export class ClusterClient {
  readonly brokers = new Map<number, { host: string; port: number }>();
  readonly topics = new Map<string, TopicInfo>();
  private bootstrapConn: KafkaConnection | null = null;
  private readonly conns = new Map<number, Promise<KafkaConnection>>();
  private refreshing: Promise<MetadataResponse> | null = null;
  private metadataRequests = 0;
  private closed = false;
  lastRefreshMs = 0;

  constructor(readonly opts: ClusterClientOptions) {}

  log(level: LogLevel, message: string, logger: string): void {
    this.opts.log?.(level, this.opts.logPrefix + message, logger);
  }

  /** A connection to any broker (the bootstrap one, reopened when it failed). */
  async anyConnection(): Promise<KafkaConnection> {
    if (this.closed) throw new KafkaClientError('java.lang.IllegalStateException', 'Client is closed');
    if (this.bootstrapConn) return this.bootstrapConn;
    let lastError: unknown;
    for (const b of this.brokers.values()) {
      try {
        this.bootstrapConn = await this.open(b.host, b.port);
        return this.bootstrapConn;
      } catch (e) {
        lastError = e;
      }
    }
    try {
      this.bootstrapConn = await connectBootstrap(this.opts.bootstrap, this.opts.requestTimeoutMs);
      return this.bootstrapConn;
    } catch (e) {
      for (const hp of this.opts.bootstrap.split(',').filter((x) => x.trim() !== ''))
        this.log(
          'WARN',
          `Connection to node -1 (${hp.trim()}) could not be established. Node may not be available.`,
          'org.apache.kafka.clients.NetworkClient',
        );
      throw lastError ?? e;
    }
  }

  private async open(host: string, port: number): Promise<KafkaConnection> {
    const c = new KafkaConnection(host, port, this.opts.clientId, this.opts.requestTimeoutMs);
    try {
      await c.connect();
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The connection to broker `nodeId` (from the metadata). */
  connection(nodeId: number): Promise<KafkaConnection> {
    let p = this.conns.get(nodeId);
    if (!p) {
      const b = this.brokers.get(nodeId);
      if (!b) return Promise.reject(errorForCode(ErrorCode.BROKER_NOT_AVAILABLE));
      p = this.open(b.host, b.port);
      this.conns.set(nodeId, p);
      p.catch(() => {
        if (this.conns.get(nodeId) === p) this.conns.delete(nodeId);
      });
    }
    return p;
  }

  /** Forgets a broker connection after a network error or timeout (the next use reconnects). */
  dropConnection(nodeId: number): void {
    const p = this.conns.get(nodeId);
    this.conns.delete(nodeId);
    p?.then(
      (c) => c.close(),
      () => undefined,
    );
  }

  private dropBootstrap(): void {
    this.bootstrapConn?.close();
    this.bootstrapConn = null;
  }

  /**
   * Metadata for `topics` (null = all), merged into the cache. Concurrent callers share one
   * request. Topic errors are logged as NetworkClient does and left in the cache.
   */
  refresh(topics: string[] | null, allowAutoTopicCreation: boolean): Promise<MetadataResponse> {
    if (this.refreshing) return this.refreshing;
    const p = (async () => {
      const conn = await this.anyConnection();
      const correlationId = ++this.metadataRequests;
      let md: MetadataResponse;
      try {
        md = await conn.request<MetadataResponse>(ApiKey.Metadata, {
          topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
          allowAutoTopicCreation,
          includeTopicAuthorizedOperations: false,
        });
      } catch (e) {
        this.dropBootstrap();
        throw e;
      }
      this.lastRefreshMs = Date.now();
      for (const b of md.brokers) {
        const old = this.brokers.get(b.nodeId);
        if (old && (old.host !== b.host || old.port !== b.port)) this.dropConnection(b.nodeId);
        this.brokers.set(b.nodeId, { host: b.host, port: b.port });
      }
      const errors: string[] = [];
      for (const t of md.topics) {
        const name = t.name ?? '';
        if (t.errorCode !== ErrorCode.NONE) errors.push(`${name}=${errorName(t.errorCode)}`);
        this.topics.set(name, {
          name,
          topicId: t.topicId,
          errorCode: t.errorCode,
          isInternal: t.isInternal,
          partitions: t.partitions
            .map((p) => ({
              partition: p.partitionIndex,
              leader: p.leaderId,
              leaderEpoch: p.leaderEpoch,
              errorCode: p.errorCode,
            }))
            .sort((a, b) => a.partition - b.partition),
        });
      }
      if (errors.length > 0)
        this.log(
          'WARN',
          `Error while fetching metadata with correlation id ${correlationId} : {${errors.join(', ')}}`,
          'org.apache.kafka.clients.NetworkClient',
        );
      return md;
    })();
    this.refreshing = p;
    const clear = () => {
      if (this.refreshing === p) this.refreshing = null;
    };
    p.then(clear, clear);
    return p;
  }

  close(): void {
    this.closed = true;
    this.dropBootstrap();
    for (const id of [...this.conns.keys()]) this.dropConnection(id);
  }
}

// ---------------------------------------------------------------------------------------------
// Producer

export interface ProducerRecord {
  topic: string;
  /** Explicit partition; otherwise the default partitioner chooses. */
  partition?: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: { key: string; value: Buffer | null }[];
  /** CreateTime; defaults to now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** −1 with acks=0. */
  offset: bigint;
  /** LogAppendTime from the broker if the topic uses it, else the record's CreateTime. */
  timestamp: bigint;
}

export interface ProducerConfig {
  bootstrap: string;
  clientId: string;
  /** -1 (all), 0 or 1. */
  acks: number;
  compression: CompressionType;
  /** batch.size in bytes. */
  batchSize: number;
  lingerMs: number;
  maxBlockMs: number;
  retries: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  requestTimeoutMs: number;
  deliveryTimeoutMs: number;
  maxRequestSize: number;
  bufferMemory: number;
  metadataMaxAgeMs: number;
  log?: ClientLog;
}

export const PRODUCER_DEFAULTS: Omit<ProducerConfig, 'bootstrap'> = {
  clientId: 'producer-1',
  acks: -1,
  compression: CompressionType.None,
  batchSize: 16384,
  lingerMs: 5,
  maxBlockMs: 60000,
  retries: 2147483647,
  retryBackoffMs: 100,
  retryBackoffMaxMs: 1000,
  requestTimeoutMs: 30000,
  deliveryTimeoutMs: 120000,
  maxRequestSize: 1048576,
  bufferMemory: 33554432,
  metadataMaxAgeMs: 300000,
};

interface PendingRecord {
  input: RecordInput;
  timestamp: number;
  resolve: (m: RecordMetadata) => void;
  reject: (e: Error) => void;
}

interface Batch {
  topic: string;
  partition: number;
  records: PendingRecord[];
  /** Estimated encoded size (header included). */
  size: number;
  createdMs: number;
  /** No more records go in (full, or a newer batch follows). */
  closed: boolean;
  attempts: number;
  /** Not before this time (retry backoff). */
  retryAtMs: number;
  /** Encoded once, reused by retries. */
  encoded: Buffer | null;
}

interface PartitionQueue {
  batches: Batch[];
  inFlight: boolean;
}

/** What `append` hands back: the record is queued; `done` settles when it is acknowledged or fails. */
export interface SendFuture {
  done: Promise<RecordMetadata>;
}

/** Placeholder for a topic the metadata did not mention yet. */
const missingTopic = (name: string): TopicInfo => ({
  name,
  topicId: ZERO_UUID,
  errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  isInternal: false,
  partitions: [],
});

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

function varintBytes(b: Buffer | null): number {
  return b ? sizeOfVarint(b.length) + b.length : 1;
}

function headersBytes(headers: { key: string; value: Buffer | null }[]): number {
  let n = sizeOfVarint(headers.length);
  for (const h of headers) {
    const k = Buffer.byteLength(h.key, 'utf8');
    n += sizeOfVarint(k) + k + varintBytes(h.value);
  }
  return n;
}

/**
 * Kafka's DefaultRecordBatch.estimateBatchSizeUpperBound for one record: the batch header plus
 * DefaultRecord.MAX_RECORD_OVERHEAD (21: length 5, attributes 1, timestamp delta 10, offset delta
 * 5) plus key, value and headers — what max.request.size and buffer.memory are checked against.
 */
export function recordSizeUpperBound(
  key: Buffer | null,
  value: Buffer | null,
  headers: { key: string; value: Buffer | null }[],
): number {
  return RECORD_BATCH_OVERHEAD + 21 + varintBytes(key) + varintBytes(value) + headersBytes(headers);
}

/** Size of one record in a batch (Kafka's DefaultRecord.sizeInBytes). */
function recordSize(
  offsetDelta: number,
  timestampDelta: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: { key: string; value: Buffer | null }[],
): number {
  const body =
    1 +
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    varintBytes(key) +
    varintBytes(value) +
    headersBytes(headers);
  return sizeOfVarint(body) + body;
}

export class Producer {
  readonly config: ProducerConfig;
  readonly cluster: ClusterClient;
  private readonly queues = new Map<string, PartitionQueue>();
  /** Sticky partition per topic for unkeyed records, and the bytes produced to it. */
  private readonly sticky = new Map<string, { partition: number; bytes: number }>();
  private bufferedBytes = 0;
  private memoryWaiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private drainScheduled = false;
  private flushing = 0;
  private inFlightRequests = 0;
  private idleWaiters: Array<() => void> = [];
  private metadataRefreshNeeded = false;
  /** Topics an append is waiting for (included in metadata requests). */
  private readonly pendingTopics = new Set<string>();
  /** Connections that carried acks=0 requests, checked at flush. */
  private readonly acks0Nodes = new Set<number>();
  private closed = false;

  constructor(config: Partial<ProducerConfig> & { bootstrap: string }) {
    this.config = { ...PRODUCER_DEFAULTS, ...config };
    this.cluster = new ClusterClient({
      bootstrap: this.config.bootstrap,
      clientId: this.config.clientId,
      requestTimeoutMs: this.config.requestTimeoutMs,
      logPrefix: `[Producer clientId=${this.config.clientId}] `,
      log: this.config.log,
    });
  }

  /** Connects to a bootstrap broker (errors surface here rather than at the first record). */
  async connect(): Promise<void> {
    await this.cluster.anyConnection();
  }

  /**
   * Waits (up to max.block.ms) until the topic's partitions are known, like
   * KafkaProducer.waitOnMetadata.
   */
  private async waitOnMetadata(
    topic: string,
    partition: number | undefined,
    deadline: number,
  ): Promise<TopicInfo> {
    let backoff = this.config.retryBackoffMs;
    for (;;) {
      const t = this.cluster.topics.get(topic);
      if (
        t &&
        t.errorCode === ErrorCode.NONE &&
        t.partitions.length > 0 &&
        (partition === undefined || partition < t.partitions.length)
      )
        return t;
      if (t && t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION)
        throw new KafkaClientError(`${ERR}InvalidTopicException`, `Invalid topics: [${topic}]`, t.errorCode);
      if (t && t.errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED)
        throw new KafkaClientError(
          `${ERR}TopicAuthorizationException`,
          `Not authorized to access topics: [${topic}]`,
          t.errorCode,
        );
      if (Date.now() >= deadline) {
        if (partition !== undefined && t && t.partitions.length > 0)
          throw timeoutError(
            `Partition ${partition} of topic ${topic} with partition count ${t.partitions.length} is not present in metadata after ${this.config.maxBlockMs} ms.`,
          );
        throw timeoutError(`Topic ${topic} not present in metadata after ${this.config.maxBlockMs} ms.`);
      }
      // The first lookup of a topic asks at once; later ones back off as the Java client does.
      if (t !== undefined) {
        await sleep(Math.min(backoff, deadline - Date.now()));
        backoff = Math.min(backoff * 2, this.config.retryBackoffMaxMs);
      }
      try {
        await this.refreshMetadata();
      } catch {
        // connection trouble: the next round retries until the deadline
        if (t === undefined) await sleep(Math.min(backoff, deadline - Date.now()));
      }
      if (t === undefined && !this.cluster.topics.has(topic))
        this.cluster.topics.set(topic, missingTopic(topic));
    }
  }

  private refreshMetadata(): Promise<MetadataResponse> {
    const topics = new Set<string>(this.cluster.topics.keys());
    for (const q of this.queues.keys()) topics.add(q.split('\u0000')[0]);
    for (const t of this.pendingTopics) topics.add(t);
    return this.cluster.refresh([...topics], true);
  }

  private choosePartition(t: TopicInfo, r: ProducerRecord): number {
    if (r.partition !== undefined) return r.partition;
    const n = t.partitions.length;
    if (r.key) return partitionForKey(r.key, n);
    let s = this.sticky.get(t.name);
    if (!s || s.partition >= n) {
      s = { partition: this.nextStickyPartition(t), bytes: 0 };
      this.sticky.set(t.name, s);
    }
    return s.partition;
  }

  /**
   * BuiltInPartitioner.updatePartitionInfo (KIP-794): after `appended` bytes went to the sticky
   * partition, switch once batch.size bytes were produced there and its batches are full, or
   * in any case at twice batch.size, so switches fall on batch boundaries.
   */
  private updateSticky(t: TopicInfo, partition: number, appended: number, batchesFull: boolean): void {
    const s = this.sticky.get(t.name);
    if (!s || s.partition !== partition) return;
    s.bytes += appended;
    const size = this.config.batchSize;
    if ((s.bytes >= size && batchesFull) || s.bytes >= size * 2)
      this.sticky.set(t.name, { partition: this.nextStickyPartition(t), bytes: 0 });
  }

  /** A random partition among those with a leader (any partition if none has one). */
  private nextStickyPartition(t: TopicInfo): number {
    const available = t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
    const pool = available.length > 0 ? available : t.partitions.map((p) => p.partition);
    return pool[Math.floor(Math.random() * pool.length)];
  }

  /**
   * Queues a record (KafkaProducer.send): may wait for metadata or buffer memory up to
   * max.block.ms and rejects then, or at once for a record that can never be sent.
   */
  async append(r: ProducerRecord): Promise<SendFuture> {
    if (this.closed)
      throw new KafkaClientError(
        'java.lang.IllegalStateException',
        'Cannot perform operation after producer has been closed',
      );
    const deadline = Date.now() + this.config.maxBlockMs;
    const key = r.key ?? null;
    const value = r.value ?? null;
    const headers = r.headers ?? [];
    this.pendingTopics.add(r.topic);
    let t: TopicInfo;
    try {
      t = await this.waitOnMetadata(r.topic, r.partition, deadline);
    } finally {
      this.pendingTopics.delete(r.topic);
    }
    const upper = recordSizeUpperBound(key, value, headers);
    if (upper > this.config.maxRequestSize)
      throw new KafkaClientError(
        `${ERR}RecordTooLargeException`,
        `The message is ${upper} bytes when serialized which is larger than ${this.config.maxRequestSize}, which is the value of the max.request.size configuration.`,
        ErrorCode.MESSAGE_TOO_LARGE,
      );
    if (upper > this.config.bufferMemory)
      throw new KafkaClientError(
        `${ERR}RecordTooLargeException`,
        `The message is ${upper} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration.`,
        ErrorCode.MESSAGE_TOO_LARGE,
      );
    while (this.bufferedBytes > 0 && this.bufferedBytes + upper > this.config.bufferMemory) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new KafkaClientError(
          `${ERR}TimeoutException`,
          `Failed to allocate memory within the configured max blocking time ${this.config.maxBlockMs} ms.`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.memoryWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const timestamp = r.timestamp ?? Date.now();
    const partition = this.choosePartition(t, r);
    let pendingResolve!: (m: RecordMetadata) => void;
    let pendingReject!: (e: Error) => void;
    const done = new Promise<RecordMetadata>((res, rej) => {
      pendingResolve = res;
      pendingReject = rej;
    });
    done.catch(() => undefined); // callers attach their own handlers; never an unhandled rejection
    const appended = this.addToBatch(r.topic, partition, {
      input: { key, value, headers, timestamp },
      timestamp,
      resolve: pendingResolve,
      reject: pendingReject,
    });
    if (r.partition === undefined && !r.key) this.updateSticky(t, partition, appended.bytes, appended.full);
    return { done };
  }

  /** append + wait for the acknowledgement. */
  async send(r: ProducerRecord): Promise<RecordMetadata> {
    return (await this.append(r)).done;
  }

  /** Appends to the partition's open batch or a new one; returns the bytes added and whether the last batch is full. */
  private addToBatch(topic: string, partition: number, rec: PendingRecord): { bytes: number; full: boolean } {
    const k = tpKey(topic, partition);
    let q = this.queues.get(k);
    if (!q) {
      q = { batches: [], inFlight: false };
      this.queues.set(k, q);
    }
    let last = q.batches[q.batches.length - 1];
    const input = rec.input;
    const key = (input.key ?? null) as Buffer | null;
    const value = (input.value ?? null) as Buffer | null;
    const headers = (input.headers ?? []) as { key: string; value: Buffer | null }[];
    if (last && !last.closed && last.encoded === null) {
      const size = recordSize(
        last.records.length,
        rec.timestamp - last.records[0].timestamp,
        key,
        value,
        headers,
      );
      if (last.size + size > this.config.batchSize) last.closed = true;
      else {
        last.records.push(rec);
        last.size += size;
        this.bufferedBytes += size;
        if (last.size >= this.config.batchSize) last.closed = true;
        this.wake();
        return { bytes: size, full: last.closed };
      }
    }
    const size = RECORD_BATCH_OVERHEAD + recordSize(0, 0, key, value, headers);
    last = {
      topic,
      partition,
      records: [rec],
      size,
      createdMs: Date.now(),
      closed: size >= this.config.batchSize,
      attempts: 0,
      retryAtMs: 0,
      encoded: null,
    };
    q.batches.push(last);
    this.bufferedBytes += size;
    this.wake();
    return { bytes: size, full: last.closed };
  }

  /** Runs the sender soon (coalesced). */
  private wake(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private schedule(at: number): void {
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        this.drain();
      },
      Math.max(0, at - Date.now()),
    );
  }

  /** The sender's loop body: expire, collect ready batches per leader, send. */
  private drain(): void {
    const now = Date.now();
    let next = Infinity;
    // RecordAccumulator.ready: a node is ready when one of its partitions has a sendable batch
    // (full, lingered long enough, or flushing).
    const candidates: Array<{ q: PartitionQueue; b: Batch; leader: number }> = [];
    const readyNodes = new Set<number>();
    for (const q of this.queues.values()) {
      if (q.batches.length === 0 || q.inFlight) continue;
      const b = q.batches[0];
      if (now - b.createdMs >= this.config.deliveryTimeoutMs) {
        q.batches.shift();
        this.failBatch(
          b,
          timeoutError(
            `Expiring ${b.records.length} record(s) for ${b.topic}-${b.partition}:${now - b.createdMs} ms has passed since batch creation`,
          ),
        );
        if (q.batches.length > 0) next = now;
        continue;
      }
      if (b.retryAtMs > now) {
        next = Math.min(next, b.retryAtMs);
        continue;
      }
      const leader = this.cluster.topics.get(b.topic)?.partitions[b.partition]?.leader ?? -1;
      if (leader < 0 || !this.cluster.brokers.has(leader)) {
        this.metadataRefreshNeeded = true;
        next = Math.min(next, now + this.config.retryBackoffMs);
        continue;
      }
      candidates.push({ q, b, leader });
      const ready =
        b.closed || q.batches.length > 1 || this.flushing > 0 || now - b.createdMs >= this.config.lingerMs;
      if (ready) readyNodes.add(leader);
      else next = Math.min(next, b.createdMs + this.config.lingerMs);
    }
    // RecordAccumulator.drain: every partition of a ready node sends its first batch.
    const byNode = new Map<number, Batch[]>();
    for (const { q, b, leader } of candidates) {
      if (!readyNodes.has(leader)) continue;
      q.batches.shift();
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(b);
    }
    if (now - this.cluster.lastRefreshMs >= this.config.metadataMaxAgeMs && this.queues.size > 0)
      this.metadataRefreshNeeded = true;
    if (this.metadataRefreshNeeded) {
      this.metadataRefreshNeeded = false;
      this.refreshMetadata().then(
        () => this.wake(),
        () => undefined,
      );
    }
    for (const [node, batches] of byNode) {
      // Respect max.request.size: split into several requests if needed (at least one batch each).
      let group: Batch[] = [];
      let bytes = 0;
      for (const b of batches) {
        if (group.length > 0 && bytes + b.size > this.config.maxRequestSize) {
          this.sendProduce(node, group);
          group = [];
          bytes = 0;
        }
        group.push(b);
        bytes += b.size;
      }
      if (group.length > 0) this.sendProduce(node, group);
    }
    if (next !== Infinity) this.schedule(next);
    this.checkIdle();
  }

  private sendProduce(node: number, batches: Batch[]): void {
    for (const b of batches) {
      this.queues.get(tpKey(b.topic, b.partition))!.inFlight = true;
      b.closed = true;
      b.attempts++;
    }
    this.inFlightRequests++;
    void this.doProduce(node, batches).finally(() => {
      this.inFlightRequests--;
      for (const b of batches) {
        const q = this.queues.get(tpKey(b.topic, b.partition));
        if (q) q.inFlight = false;
      }
      this.wake();
      this.checkIdle();
    });
  }

  private async doProduce(node: number, batches: Batch[]): Promise<void> {
    const acks = this.config.acks;
    let conn: KafkaConnection;
    let version: number;
    try {
      for (const b of batches) {
        if (!b.encoded)
          b.encoded = await buildRecordBatch(
            b.records.map((r) => r.input),
            { compression: this.config.compression },
          );
      }
      conn = await this.cluster.connection(node);
      version = conn.version(ApiKey.Produce);
      if (version < 3)
        throw new KafkaClientError(
          `${ERR}UnsupportedVersionException`,
          'The broker does not support Produce v3 or above (record batch v2)',
          ErrorCode.UNSUPPORTED_VERSION,
        );
    } catch (e) {
      this.onRequestFailure(node, batches, e);
      return;
    }
    const byTopic = new Map<string, Batch[]>();
    for (const b of batches) {
      let l = byTopic.get(b.topic);
      if (!l) byTopic.set(b.topic, (l = []));
      l.push(b);
    }
    const body = {
      transactionalId: null,
      acks,
      timeoutMs: this.config.requestTimeoutMs,
      topicData: [...byTopic].map(([name, list]) => ({
        name,
        partitionData: list.map((b) => ({ index: b.partition, records: b.encoded })),
      })),
    };
    if (acks === 0) {
      // No response comes back: the records count as sent once written. The connection's
      // pending entry is settled when it closes; flush() waits on a later request instead.
      conn.send(ApiKey.Produce, version, body).catch(() => undefined);
      this.acks0Nodes.add(node);
      for (const b of batches) this.completeBatch(b, -1n, -1n);
      return;
    }
    let res: ProduceResponse;
    try {
      res = (await conn.send(ApiKey.Produce, version, body)) as ProduceResponse;
    } catch (e) {
      this.onRequestFailure(node, batches, e);
      return;
    }
    const results = new Map<string, ProduceResponse['responses'][number]['partitionResponses'][number]>();
    for (const t of res.responses)
      for (const p of t.partitionResponses) results.set(tpKey(t.name, p.index), p);
    for (const b of batches) {
      const p = results.get(tpKey(b.topic, b.partition));
      if (!p) {
        this.retryOrFail(
          b,
          errorForCode(ErrorCode.NETWORK_EXCEPTION, 'Missing partition in the produce response'),
        );
        continue;
      }
      if (p.errorCode === ErrorCode.NONE) {
        this.completeBatch(b, p.baseOffset, p.logAppendTimeMs);
        continue;
      }
      if (p.errorCode === ErrorCode.MESSAGE_TOO_LARGE && b.records.length > 1) {
        this.splitBatch(b);
        continue;
      }
      let message = p.errorMessage;
      if (!message && p.recordErrors.length > 0) message = p.recordErrors[0].batchIndexErrorMessage;
      const err = errorForCode(p.errorCode, message);
      if (isMetadataError(p.errorCode)) this.metadataRefreshNeeded = true;
      this.retryOrFail(b, err);
    }
  }

  /** Whole request failed (connection closed, timed out, version trouble). */
  private onRequestFailure(node: number, batches: Batch[], e: unknown): void {
    let err: KafkaClientError;
    if (e instanceof KafkaClientError) err = e;
    else {
      const msg = (e as Error).message ?? String(e);
      err = /timed out/.test(msg)
        ? timeoutError(`Disconnected from node ${node} due to timeout`)
        : /does not support|no common version/.test(msg)
          ? new KafkaClientError(`${ERR}UnsupportedVersionException`, msg, ErrorCode.UNSUPPORTED_VERSION)
          : errorForCode(ErrorCode.NETWORK_EXCEPTION, `Disconnected from node ${node}: ${msg}`);
    }
    if (err.code !== ErrorCode.UNSUPPORTED_VERSION) {
      this.cluster.dropConnection(node);
      this.metadataRefreshNeeded = true;
    }
    for (const b of batches) this.retryOrFail(b, err);
  }

  private retryOrFail(b: Batch, err: KafkaClientError): void {
    const q = this.queues.get(tpKey(b.topic, b.partition))!;
    const expired = Date.now() - b.createdMs >= this.config.deliveryTimeoutMs;
    if (err.retriable && b.attempts <= this.config.retries && !expired && !this.closed) {
      const backoff = Math.min(
        this.config.retryBackoffMs * 2 ** Math.max(0, b.attempts - 1),
        this.config.retryBackoffMaxMs,
      );
      b.retryAtMs = Date.now() + backoff;
      this.config.log?.(
        'WARN',
        `[Producer clientId=${this.config.clientId}] Got error produce response on topic-partition ${b.topic}-${b.partition}, retrying (${this.config.retries - b.attempts} attempts left). Error: ${errorName(err.code)}`,
        'org.apache.kafka.clients.producer.internals.Sender',
      );
      q.batches.unshift(b);
      return;
    }
    this.failBatch(b, err);
  }

  private splitBatch(b: Batch): void {
    const q = this.queues.get(tpKey(b.topic, b.partition))!;
    const half = Math.ceil(b.records.length / 2);
    const parts = [b.records.slice(0, half), b.records.slice(half)].map((records) => ({
      ...b,
      records,
      encoded: null,
      attempts: 0,
      size: Math.ceil((b.size * records.length) / b.records.length),
    }));
    q.batches.unshift(...parts);
  }

  private release(b: Batch): void {
    this.bufferedBytes = Math.max(0, this.bufferedBytes - b.size);
    const waiters = this.memoryWaiters;
    this.memoryWaiters = [];
    for (const w of waiters) w();
  }

  private completeBatch(b: Batch, baseOffset: bigint, logAppendTime: bigint): void {
    this.release(b);
    b.records.forEach((r, i) =>
      r.resolve({
        topic: b.topic,
        partition: b.partition,
        offset: baseOffset >= 0n ? baseOffset + BigInt(i) : -1n,
        timestamp: logAppendTime >= 0n ? logAppendTime : BigInt(r.timestamp),
      }),
    );
  }

  private failBatch(b: Batch, err: Error): void {
    this.release(b);
    for (const r of b.records) r.reject(err);
  }

  private pendingCount(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.batches.length + (q.inFlight ? 1 : 0);
    return n;
  }

  private checkIdle(): void {
    if (this.pendingCount() > 0 || this.inFlightRequests > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Sends everything queued at once and waits until every record is acknowledged or failed. */
  async flush(): Promise<void> {
    this.flushing++;
    try {
      this.wake();
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        this.checkIdle();
      });
      // acks=0: a request answered after the produce ones means the broker has read them.
      for (const node of this.acks0Nodes) {
        try {
          const c = await this.cluster.connection(node);
          await c.request(ApiKey.ApiVersions, {}, 0);
        } catch {
          // nothing to report for acks=0
        }
      }
      this.acks0Nodes.clear();
    } finally {
      this.flushing--;
    }
  }

  /** flush() then close the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.cluster.close();
  }
}
