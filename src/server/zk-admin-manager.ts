// Topic administration on the controller broker (Kafka's ZkAdminManager + AdminZkClient):
// validates a CreateTopics entry exactly as Kafka does, places replicas with Kafka's
// algorithm, writes /config/topics/<t> then /brokers/topics/<t>; deletion marks
// /admin/delete_topics/<t> for the controller. Results carry Kafka's error codes and messages.

import { MetadataCache } from '../cluster/metadata-cache';
import { AdminOperationError, assignReplicasToBrokers } from '../admin/replica-assignment';
import { ErrorCode } from '../protocol/errors';
import { getLogger } from '../utils/logger';
import { KafkaZkClient, randomUuid } from '../zk/kafka-zk-client';
import { ZkError } from '../zk/zk-client';
import { KafkaConfig } from './kafka-config';
import { topicNameError } from './topic-validation';

export interface CreateTopicSpec {
  name: string;
  numPartitions: number; // -1 = num.partitions
  replicationFactor: number; // -1 = default.replication.factor
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface CreateTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  topicId: string | null;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

class TopicError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** Validates topic config values; supplied by the log layer (LogConfig) so rules live in one place. */
export type TopicConfigValidator = (configs: Record<string, string>) => void;

export class ZkAdminManager {
  private readonly log = getLogger('kafka.server.ZkAdminManager');

  constructor(
    private readonly config: KafkaConfig,
    private readonly zkClient: KafkaZkClient,
    private readonly cache: MetadataCache,
    private readonly validateTopicConfigs: TopicConfigValidator,
  ) {}

  async createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<CreateTopicResult> {
    const base: CreateTopicResult = {
      name: spec.name,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      topicId: null,
      numPartitions: -1,
      replicationFactor: -1,
      configs: {},
    };
    try {
      const r = await this.doCreate(spec, validateOnly);
      return { ...base, ...r };
    } catch (e) {
      if (e instanceof TopicError || e instanceof AdminOperationError) {
        this.log.info(
          `Error processing create topic request CreatableTopic(name=${spec.name}): ${e.message}`,
        );
        return { ...base, errorCode: e.errorCode, errorMessage: e.message };
      }
      this.log.error(`Error creating topic ${spec.name}: ${(e as Error).stack}`);
      return { ...base, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (e as Error).message };
    }
  }

  private async doCreate(spec: CreateTopicSpec, validateOnly: boolean): Promise<Partial<CreateTopicResult>> {
    const nameErr = topicNameError(spec.name);
    if (nameErr) throw new TopicError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameErr);
    if (spec.assignments.length > 0 && (spec.numPartitions !== -1 || spec.replicationFactor !== -1))
      throw new TopicError(
        ErrorCode.INVALID_REQUEST,
        'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.',
      );
    if (await this.zkClient.isTopicMarkedForDeletion(spec.name))
      throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' is marked for deletion.`);
    if (await this.zkClient.topicExists(spec.name))
      throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    const colliding = (await this.zkClient.getAllTopics()).filter(
      (t) => t !== spec.name && t.replace(/\./g, '_') === spec.name.replace(/\./g, '_'),
    );
    if (colliding.length > 0)
      throw new TopicError(
        ErrorCode.INVALID_TOPIC_EXCEPTION,
        `Topic '${spec.name}' collides with existing topics: ${colliding.join(', ')}`,
      );

    const configs: Record<string, string> = {};
    for (const c of spec.configs) {
      if (c.value === null)
        throw new TopicError(
          ErrorCode.INVALID_CONFIG,
          `Null value not supported for topic configs: ${c.name}`,
        );
      configs[c.name] = c.value;
    }
    try {
      this.validateTopicConfigs(configs);
    } catch (e) {
      throw new TopicError(ErrorCode.INVALID_CONFIG, (e as Error).message);
    }

    let assignment: Map<number, number[]>;
    if (spec.assignments.length > 0) {
      assignment = this.validateManualAssignment(spec.assignments);
    } else {
      const n = spec.numPartitions === -1 ? this.config.int('num.partitions') : spec.numPartitions;
      const rf =
        spec.replicationFactor === -1
          ? this.config.int('default.replication.factor')
          : spec.replicationFactor;
      const brokers = this.cache.aliveBrokers().map((b) => ({ id: b.id, rack: b.rack }));
      assignment = assignReplicasToBrokers(brokers, n, rf);
    }
    const numPartitions = assignment.size;
    const replicationFactor = assignment.get(0)?.length ?? 0;
    if (validateOnly) return { numPartitions, replicationFactor, configs };

    const topicId = randomUuid();
    // Kafka writes the config first, so the topic is never visible without its overrides.
    await this.zkClient.setEntityConfig('topics', spec.name, configs, false);
    try {
      await this.zkClient.createTopicAssignment(spec.name, {
        partitions: assignment,
        addingReplicas: new Map(),
        removingReplicas: new Map(),
        topicId,
      });
    } catch (e) {
      if (e instanceof ZkError && e.isNodeExists)
        throw new TopicError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
      throw e;
    }
    this.log.info(
      `Creating topic ${spec.name} with configuration ${JSON.stringify(configs)} and initial partition assignment ${JSON.stringify(Object.fromEntries(assignment))}`,
    );
    return { topicId, numPartitions, replicationFactor, configs };
  }

  private validateManualAssignment(
    list: Array<{ partitionIndex: number; brokerIds: number[] }>,
  ): Map<number, number[]> {
    const out = new Map<number, number[]>();
    for (const a of list) {
      if (out.has(a.partitionIndex))
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Duplicate partition index ${a.partitionIndex} in replica assignment`,
        );
      if (a.brokerIds.length === 0)
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Replica assignment for partition ${a.partitionIndex} is empty`,
        );
      if (new Set(a.brokerIds).size !== a.brokerIds.length)
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Duplicate replica assignment found: ${JSON.stringify(Object.fromEntries([[a.partitionIndex, a.brokerIds]]))}`,
        );
      out.set(a.partitionIndex, a.brokerIds);
    }
    for (let i = 0; i < out.size; i++)
      if (!out.has(i))
        throw new TopicError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          'Partitions should be a consecutive 0-based integer sequence',
        );
    const rf = out.get(0)!.length;
    if ([...out.values()].some((r) => r.length !== rf))
      throw new TopicError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        'All partitions should have the same number of replicas',
      );
    // Like Kafka (and unlike CreatePartitions), unknown brokers are not rejected here.
    return out;
  }

  /** Marks the topic for deletion; the controller completes it. */
  async deleteTopic(name: string): Promise<{ errorCode: number; errorMessage: string | null }> {
    if (!(await this.zkClient.topicExists(name)))
      return {
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: 'This server does not host this topic-partition.',
      };
    await this.zkClient.markTopicForDeletion(name);
    this.log.info(`Topic ${name} marked for deletion.`);
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  /** Resolves when the local cache has `pred` true or the timeout passes (false). */
  waitForMetadata(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (pred()) finish(true);
      };
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.cache.removeListener('partitionsChanged', check);
        this.cache.removeListener('topicRemoved', check);
        resolve(v);
      };
      const timer = setTimeout(() => finish(pred()), Math.max(0, timeoutMs));
      this.cache.on('partitionsChanged', check);
      this.cache.on('topicRemoved', check);
    });
  }
}
