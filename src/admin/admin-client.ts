// The slice of Kafka's Admin client the admin tools (configs, reassign-partitions, topics) need,
// on Samsa's own protocol client: one connection per broker, requests routed as the Java client
// routes them (controller-only APIs to the controller, a numbered BROKER config resource to that
// broker, DescribeLogDirs to each broker), and broker errors turned into exceptions carrying the
// Java exception's class name and message so the tools can print what Kafka's tools print.

import { KafkaConnection } from '../client/network-client';
import { ZERO_UUID } from '../protocol/codec/reader';
import { errorName, ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { AlterReplicaLogDirsResponse } from '../protocol/messages/generated/AlterReplicaLogDirsResponse';
import type { AlterPartitionReassignmentsResponse } from '../protocol/messages/generated/AlterPartitionReassignmentsResponse';
import type { CreatePartitionsResponse } from '../protocol/messages/generated/CreatePartitionsResponse';
import type { DescribeClusterResponse } from '../protocol/messages/generated/DescribeClusterResponse';
import type { DescribeConfigsResponse } from '../protocol/messages/generated/DescribeConfigsResponse';
import type { DescribeLogDirsResponse } from '../protocol/messages/generated/DescribeLogDirsResponse';
import type { IncrementalAlterConfigsResponse } from '../protocol/messages/generated/IncrementalAlterConfigsResponse';
import type { ListPartitionReassignmentsResponse } from '../protocol/messages/generated/ListPartitionReassignmentsResponse';
import type { MetadataResponse } from '../protocol/messages/generated/MetadataResponse';

/** Kafka's exception class and default message per error code (Errors.java). */
const EXCEPTIONS: Readonly<Record<number, [string, string]>> = {
  [ErrorCode.UNKNOWN_SERVER_ERROR]: [
    'UnknownServerException',
    'The server experienced an unexpected error when processing the request.',
  ],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: [
    'UnknownTopicOrPartitionException',
    'This server does not host this topic-partition.',
  ],
  [ErrorCode.REQUEST_TIMED_OUT]: ['TimeoutException', 'The request timed out.'],
  [ErrorCode.BROKER_NOT_AVAILABLE]: ['BrokerNotAvailableException', 'The broker is not available.'],
  [ErrorCode.INVALID_TOPIC_EXCEPTION]: [
    'InvalidTopicException',
    'The request attempted to perform an operation on an invalid topic.',
  ],
  [ErrorCode.INVALID_PARTITIONS]: ['InvalidPartitionsException', 'Number of partitions is below 1.'],
  [ErrorCode.INVALID_REPLICA_ASSIGNMENT]: [
    'InvalidReplicaAssignmentException',
    'Replica assignment is invalid.',
  ],
  [ErrorCode.INVALID_CONFIG]: ['InvalidConfigurationException', 'Configuration is invalid.'],
  [ErrorCode.NOT_CONTROLLER]: [
    'NotControllerException',
    'This is not the correct controller for this cluster.',
  ],
  [ErrorCode.INVALID_REQUEST]: [
    'InvalidRequestException',
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
  ],
  [ErrorCode.POLICY_VIOLATION]: [
    'PolicyViolationException',
    'Request parameters do not satisfy the configured policy.',
  ],
  [ErrorCode.KAFKA_STORAGE_ERROR]: [
    'KafkaStorageException',
    'Disk error when trying to access log file on the disk.',
  ],
  [ErrorCode.REASSIGNMENT_IN_PROGRESS]: [
    'ReassignmentInProgressException',
    'A partition reassignment is in progress.',
  ],
  [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]: [
    'NoReassignmentInProgressException',
    'No partition reassignment is in progress.',
  ],
};

/** A broker error as the Java admin client raises it. */
export class KafkaApiError extends Error {
  readonly javaClass: string;

  constructor(
    readonly errorCode: number,
    message: string | null,
  ) {
    const known = EXCEPTIONS[errorCode];
    super(message ?? known?.[1] ?? `${errorName(errorCode)} (error code ${errorCode})`);
    this.javaClass = `org.apache.kafka.common.errors.${known?.[0] ?? 'ApiException'}`;
  }

  /** Throwable.toString: `org.apache.kafka.common.errors.X: message`. */
  override toString(): string {
    return `${this.javaClass}: ${this.message}`;
  }
}

export interface ClusterBroker {
  id: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ConfigOp {
  name: string;
  /** 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT */
  op: number;
  value: string | null;
}

export interface DescribedConfigEntry {
  name: string;
  value: string | null;
  source: number;
  sensitive: boolean;
  readOnly: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

export class AdminClient {
  private readonly conns = new Map<string, KafkaConnection>();
  private readonly connecting = new Map<string, Promise<KafkaConnection>>();
  private cluster: { brokers: ClusterBroker[]; controllerId: number; clusterId: string } | null = null;

  private constructor(
    private readonly bootstrap: KafkaConnection,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    this.conns.set(`${bootstrap.host}:${bootstrap.port}`, bootstrap);
  }

  /** Connects to the first bootstrap server that answers. */
  static async connect(
    bootstrapServers: string,
    clientId = 'samsa-admin',
    timeoutMs = 30000,
  ): Promise<AdminClient> {
    const errors: string[] = [];
    for (const hp of bootstrapServers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hp);
      if (!m) throw new Error(`Invalid url in bootstrap.servers: ${hp}`);
      const c = new KafkaConnection(m[1].replace(/^\[|\]$/g, ''), Number(m[2]), clientId, timeoutMs);
      try {
        await c.connect();
        return new AdminClient(c, clientId, timeoutMs);
      } catch (e) {
        errors.push(`${hp}: ${(e as Error).message}`);
      }
    }
    throw new Error(`Could not connect to any bootstrap server (${errors.join('; ')})`);
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }

  private async connectionTo(host: string, port: number): Promise<KafkaConnection> {
    const key = `${host}:${port}`;
    const pending = this.connecting.get(key);
    if (pending) return pending;
    const existing = this.conns.get(key);
    if (existing && !existing.closed) return existing;
    const c = new KafkaConnection(host, port, this.clientId, this.timeoutMs);
    // Registered before it answers, so close() also ends a connection still waiting for ApiVersions.
    this.conns.set(key, c);
    const ready = c.connect().then(
      () => c,
      (e: unknown) => {
        c.close();
        if (this.conns.get(key) === c) this.conns.delete(key);
        throw e;
      },
    );
    this.connecting.set(key, ready);
    try {
      return await ready;
    } finally {
      this.connecting.delete(key);
    }
  }

  /** Any live connection (the bootstrap one while it lasts). */
  private async anyConnection(): Promise<KafkaConnection> {
    if (!this.bootstrap.closed) return this.bootstrap;
    const b = (await this.describeCluster(true)).brokers[0];
    if (!b) throw new Error('No broker is available');
    return this.connectionTo(b.host, b.port);
  }

  supports(apiKey: number): boolean {
    try {
      this.bootstrap.version(apiKey);
      return true;
    } catch {
      return false;
    }
  }

  async brokerConnection(id: number): Promise<KafkaConnection> {
    let b = (await this.describeCluster()).brokers.find((x) => x.id === id);
    if (!b) b = (await this.describeCluster(true)).brokers.find((x) => x.id === id);
    if (!b) throw new KafkaApiError(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${id} is not available`);
    return this.connectionTo(b.host, b.port);
  }

  async controllerConnection(refresh = false): Promise<KafkaConnection> {
    const c = await this.describeCluster(refresh);
    const ctrl = c.brokers.find((b) => b.id === c.controllerId);
    if (!ctrl) throw new KafkaApiError(ErrorCode.NOT_CONTROLLER, 'No controller is available in the cluster');
    return this.connectionTo(ctrl.host, ctrl.port);
  }

  /** Live brokers (DescribeCluster, or Metadata on brokers without it), controller and cluster id. */
  async describeCluster(
    refresh = false,
  ): Promise<{ brokers: ClusterBroker[]; controllerId: number; clusterId: string }> {
    if (this.cluster && !refresh) return this.cluster;
    const conn = this.bootstrap.closed ? [...this.conns.values()].find((c) => !c.closed) : this.bootstrap;
    if (!conn) throw new Error('No broker is available');
    if (this.supports(ApiKey.DescribeCluster)) {
      const r = await conn.request<DescribeClusterResponse>(ApiKey.DescribeCluster, {
        includeClusterAuthorizedOperations: false,
        endpointType: 1,
      });
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaApiError(r.errorCode, r.errorMessage);
      this.cluster = {
        brokers: r.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port, rack: b.rack })),
        controllerId: r.controllerId,
        clusterId: r.clusterId,
      };
    } else {
      const md = await conn.request<MetadataResponse>(ApiKey.Metadata, { topics: [] });
      this.cluster = {
        brokers: md.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
        controllerId: md.controllerId,
        clusterId: md.clusterId ?? '',
      };
    }
    return this.cluster;
  }

  async metadata(topics: string[] | null): Promise<MetadataResponse> {
    return (await this.anyConnection()).request<MetadataResponse>(ApiKey.Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
      allowAutoTopicCreation: false,
    });
  }

  /**
   * Topic descriptions: name → partitions (sorted) with replicas, ISR and leader. Missing topics are
   * absent from the map.
   */
  async describeTopics(
    topics: string[],
  ): Promise<Map<string, Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>>> {
    const out = new Map<
      string,
      Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>
    >();
    if (topics.length === 0) return out;
    const md = await this.metadata(topics);
    for (const t of md.topics) {
      if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || t.name === null) continue;
      if (t.errorCode !== ErrorCode.NONE && t.partitions.length === 0) continue;
      out.set(
        t.name,
        [...t.partitions]
          .sort((a, b) => a.partitionIndex - b.partitionIndex)
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
          })),
      );
    }
    return out;
  }

  /** DescribeConfigs of one resource (TOPIC 2 / BROKER 4), routed like the Java client. */
  async describeConfigs(
    resourceType: number,
    name: string,
    includeSynonyms = true,
  ): Promise<DescribedConfigEntry[]> {
    const conn =
      resourceType === 4 && /^\d+$/.test(name)
        ? await this.brokerConnection(Number(name))
        : await this.anyConnection();
    const r = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
      resources: [{ resourceType, resourceName: name, configurationKeys: null }],
      includeSynonyms,
      includeDocumentation: false,
    });
    const res = r.results[0];
    if (!res) throw new KafkaApiError(ErrorCode.UNKNOWN_SERVER_ERROR, null);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaApiError(res.errorCode, res.errorMessage);
    return res.configs.map((c) => ({
      name: c.name,
      value: c.value,
      source: c.configSource === -1 ? (c.isDefault ? 5 : 0) : c.configSource,
      sensitive: c.isSensitive,
      readOnly: c.readOnly,
      synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: s.source })),
    }));
  }

  /**
   * IncrementalAlterConfigs: BROKER resources with an id go to that broker, the rest to any broker.
   * Resolves to the per-resource errors (null when it succeeded), in input order.
   */
  async incrementalAlterConfigs(
    resources: ReadonlyArray<{ resourceType: number; resourceName: string; ops: ConfigOp[] }>,
    validateOnly = false,
  ): Promise<Array<KafkaApiError | null>> {
    const groups = new Map<string, number[]>();
    resources.forEach((r, i) => {
      const key = r.resourceType === 4 && /^\d+$/.test(r.resourceName) ? `broker:${r.resourceName}` : 'any';
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: Array<KafkaApiError | null> = resources.map(() => null);
    for (const [key, idx] of groups) {
      const conn =
        key === 'any' ? await this.anyConnection() : await this.brokerConnection(Number(key.slice(7)));
      const r = await conn.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
        resources: idx.map((i) => ({
          resourceType: resources[i].resourceType,
          resourceName: resources[i].resourceName,
          configs: resources[i].ops.map((o) => ({ name: o.name, configOperation: o.op, value: o.value })),
        })),
        validateOnly,
      });
      idx.forEach((i) => {
        const res = r.responses.find(
          (x) => x.resourceType === resources[i].resourceType && x.resourceName === resources[i].resourceName,
        );
        if (!res) out[i] = new KafkaApiError(ErrorCode.UNKNOWN_SERVER_ERROR, 'No response for the resource');
        else if (res.errorCode !== ErrorCode.NONE)
          out[i] = new KafkaApiError(res.errorCode, res.errorMessage);
      });
    }
    return out;
  }

  /** Sends a controller-only request, retrying once against a refreshed controller on NOT_CONTROLLER. */
  private async toController<T>(
    apiKey: number,
    body: unknown,
    isNotController: (r: T) => boolean,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.controllerConnection(attempt > 0);
      const r = await conn.request<T>(apiKey, body);
      if (!isNotController(r) || attempt >= 5) return r;
      await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
    }
  }

  async listPartitionReassignments(partitions: Array<{ topic: string; partition: number }> | null): Promise<
    Array<{
      topic: string;
      partition: number;
      replicas: number[];
      addingReplicas: number[];
      removingReplicas: number[];
    }>
  > {
    let topics: Array<{ name: string; partitionIndexes: number[] }> | null = null;
    if (partitions !== null) {
      const m = new Map<string, number[]>();
      for (const p of partitions) m.set(p.topic, [...(m.get(p.topic) ?? []), p.partition]);
      topics = [...m.entries()].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    }
    const r = await this.toController<ListPartitionReassignmentsResponse>(
      ApiKey.ListPartitionReassignments,
      { timeoutMs: this.timeoutMs, topics },
      (x) => x.errorCode === ErrorCode.NOT_CONTROLLER,
    );
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaApiError(r.errorCode, r.errorMessage);
    return r.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        replicas: p.replicas,
        addingReplicas: p.addingReplicas,
        removingReplicas: p.removingReplicas,
      })),
    );
  }

  /** Starts (replicas) or cancels (null) reassignments; per-partition errors, keyed `topic\0partition`. */
  async alterPartitionReassignments(
    list: ReadonlyArray<{ topic: string; partition: number; replicas: number[] | null }>,
  ): Promise<Map<string, KafkaApiError>> {
    const m = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
    for (const p of list)
      m.set(p.topic, [...(m.get(p.topic) ?? []), { partitionIndex: p.partition, replicas: p.replicas }]);
    const r = await this.toController<AlterPartitionReassignmentsResponse>(
      ApiKey.AlterPartitionReassignments,
      {
        timeoutMs: this.timeoutMs,
        topics: [...m.entries()].map(([name, partitions]) => ({ name, partitions })),
      },
      (x) => x.errorCode === ErrorCode.NOT_CONTROLLER,
    );
    const errors = new Map<string, KafkaApiError>();
    if (r.errorCode !== ErrorCode.NONE) {
      for (const p of list)
        errors.set(`${p.topic}\u0000${p.partition}`, new KafkaApiError(r.errorCode, r.errorMessage));
      return errors;
    }
    const answered = new Set<string>();
    for (const t of r.responses)
      for (const p of t.partitions) {
        answered.add(`${t.name}\u0000${p.partitionIndex}`);
        if (p.errorCode !== ErrorCode.NONE)
          errors.set(`${t.name}\u0000${p.partitionIndex}`, new KafkaApiError(p.errorCode, p.errorMessage));
      }
    for (const p of list) {
      const k = `${p.topic}\u0000${p.partition}`;
      if (!answered.has(k))
        errors.set(
          k,
          new KafkaApiError(
            ErrorCode.UNKNOWN_SERVER_ERROR,
            'The server response did not contain a reference to this partition.',
          ),
        );
    }
    return errors;
  }

  /** CreatePartitions on the controller; the topic's error, or null. */
  async createPartitions(
    topic: string,
    count: number,
    assignments: number[][] | null,
  ): Promise<KafkaApiError | null> {
    const r = await this.toController<CreatePartitionsResponse>(
      ApiKey.CreatePartitions,
      {
        topics: [
          {
            name: topic,
            count,
            assignments: assignments === null ? null : assignments.map((brokerIds) => ({ brokerIds })),
          },
        ],
        timeoutMs: this.timeoutMs,
        validateOnly: false,
      },
      (x) => x.results.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER),
    );
    const res = r.results.find((t) => t.name === topic);
    if (!res) return new KafkaApiError(ErrorCode.UNKNOWN_SERVER_ERROR, null);
    return res.errorCode === ErrorCode.NONE ? null : new KafkaApiError(res.errorCode, res.errorMessage);
  }

  /** DescribeLogDirs of one broker: `topic\0partition` → size in bytes (summed over its log dirs). */
  async logSizes(
    brokerId: number,
    topics: Array<{ topic: string; partitions: number[] }> | null,
  ): Promise<Map<string, number>> {
    const conn = await this.brokerConnection(brokerId);
    const r = await conn.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, { topics });
    const out = new Map<string, number>();
    for (const dir of r.results) {
      if (dir.errorCode !== ErrorCode.NONE) continue;
      for (const t of dir.topics)
        for (const p of t.partitions) {
          if (p.isFutureKey) continue;
          const k = `${t.name}\u0000${p.partitionIndex}`;
          out.set(k, (out.get(k) ?? 0) + Number(p.partitionSize));
        }
    }
    return out;
  }

  /**
   * Where one broker keeps each asked-for replica (DescribeReplicaLogDirs, built on DescribeLogDirs as
   * the Java client does): `topic\0partition` → current and future (being moved to) log dir.
   */
  async replicaLogDirs(
    brokerId: number,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<Map<string, { current: string | null; future: string | null }>> {
    const m = new Map<string, number[]>();
    for (const p of partitions) m.set(p.topic, [...(m.get(p.topic) ?? []), p.partition]);
    const conn = await this.brokerConnection(brokerId);
    const r = await conn.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, {
      topics: [...m.entries()].map(([topic, ps]) => ({ topic, partitions: ps })),
    });
    const out = new Map(
      partitions.map((p) => [
        `${p.topic}\u0000${p.partition}`,
        { current: null as string | null, future: null as string | null },
      ]),
    );
    for (const dir of r.results) {
      if (dir.errorCode !== ErrorCode.NONE) continue;
      for (const t of dir.topics)
        for (const p of t.partitions) {
          const info = out.get(`${t.name}\u0000${p.partitionIndex}`);
          if (!info) continue;
          if (p.isFutureKey) info.future = dir.logDir;
          else info.current = dir.logDir;
        }
    }
    return out;
  }

  /**
   * AlterReplicaLogDirs on one broker: moves the replicas to the given dirs. Resolves to the
   * per-replica error codes (`topic\0partition` → code, 0 = started).
   */
  async alterReplicaLogDirs(
    brokerId: number,
    moves: Array<{ topic: string; partition: number; dir: string }>,
  ): Promise<Map<string, number>> {
    const byDir = new Map<string, Map<string, number[]>>();
    for (const mv of moves) {
      let t = byDir.get(mv.dir);
      if (!t) byDir.set(mv.dir, (t = new Map()));
      t.set(mv.topic, [...(t.get(mv.topic) ?? []), mv.partition]);
    }
    const conn = await this.brokerConnection(brokerId);
    const r = await conn.request<AlterReplicaLogDirsResponse>(ApiKey.AlterReplicaLogDirs, {
      dirs: [...byDir.entries()].map(([path, topics]) => ({
        path,
        topics: [...topics.entries()].map(([name, partitions]) => ({ name, partitions })),
      })),
    });
    const out = new Map<string, number>();
    for (const t of r.results)
      for (const p of t.partitions) out.set(`${t.topicName}\u0000${p.partitionIndex}`, p.errorCode);
    return out;
  }
}
