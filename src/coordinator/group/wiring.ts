// Wires the group coordinator into a broker: its config from server.properties, its storage on
// the __consumer_offsets partitions the ReplicaManager hosts (appends serialized per partition;
// acks=-1 waits for the high watermark), loading and unloading as the ReplicaManager announces
// leadership changes, offsets of deleted topics dropped, the periodic offset expiration,
// __consumer_offsets auto-creation for FindCoordinator, and the request handlers of every group
// API. The broker registers `handlers` and calls startup()/shutdown().

import { MetadataCache } from '../../cluster/metadata-cache';
import type { Partition } from '../../cluster/partition';
import { validateTopicOverrides } from '../../log/log-config';
import { ErrorCode } from '../../protocol/errors';
import { LAST_OFFSET_DELTA_OFFSET } from '../../protocol/records/batch';
import type { ApiHandler } from '../../server/api-handler';
import { consumerGroupDescribeHandler } from '../../server/handlers/consumer-group-describe';
import { consumerGroupHeartbeatHandler } from '../../server/handlers/consumer-group-heartbeat';
import { deleteGroupsHandler } from '../../server/handlers/delete-groups';
import { describeGroupsHandler } from '../../server/handlers/describe-groups';
import {
  CoordinatorLocator,
  CoordinatorNode,
  findCoordinatorHandler,
} from '../../server/handlers/find-coordinator';
import { heartbeatHandler } from '../../server/handlers/heartbeat';
import { joinGroupHandler } from '../../server/handlers/join-group';
import { leaveGroupHandler } from '../../server/handlers/leave-group';
import { listGroupsHandler } from '../../server/handlers/list-groups';
import { offsetCommitHandler } from '../../server/handlers/offset-commit';
import { offsetDeleteHandler } from '../../server/handlers/offset-delete';
import { offsetFetchHandler } from '../../server/handlers/offset-fetch';
import { syncGroupHandler } from '../../server/handlers/sync-group';
import { KafkaConfig } from '../../server/kafka-config';
import type { ReplicaManager } from '../../server/replica-manager';
import { ZkAdminManager } from '../../server/zk-admin-manager';
import { getLogger } from '../../utils/logger';
import { KafkaZkClient } from '../../zk/kafka-zk-client';
import { GroupCoordinator } from './group-coordinator';
import { GroupMetadataManager, OffsetsPartition, OffsetsPartitions } from './group-metadata-manager';
import { GROUP_METADATA_TOPIC_NAME } from './partitioner';
import { zkOffsetStore } from './zk-offsets';

export interface GroupCoordinatorDeps {
  brokerId: number;
  config: KafkaConfig;
  cache: MetadataCache;
  replicaManager: ReplicaManager;
  zk: KafkaZkClient;
  /** Finds the transaction coordinator for FindCoordinator key type 1; COORDINATOR_NOT_AVAILABLE without one. */
  transactionCoordinator?: (transactionalId: string, listenerName: string) => CoordinatorNode;
}

export interface GroupCoordinatorService {
  coordinator: GroupCoordinator;
  /** Every group API's handler, for KafkaApis.register. */
  handlers: Array<ApiHandler<never, unknown>>;
  /** Creates __consumer_offsets with its internal-topic settings (Metadata auto-creation asks by name). */
  createOffsetsTopic(): void;
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

const NO_NODE = { nodeId: -1, host: '', port: -1 };

/** Kafka's names for offsets.topic.compression.codec ids. */
function offsetsTopicConfigs(config: KafkaConfig): Array<{ name: string; value: string }> {
  return [
    { name: 'cleanup.policy', value: 'compact' },
    { name: 'segment.bytes', value: String(config.int('offsets.topic.segment.bytes')) },
    { name: 'compression.type', value: 'producer' },
  ];
}

/** The broker's __consumer_offsets partitions, as the coordinator's storage. */
class ReplicaOffsetsPartitions implements OffsetsPartitions {
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(private readonly replicaManager: ReplicaManager) {}

  get(partition: number): OffsetsPartition | null {
    const p = this.replicaManager.getPartition(GROUP_METADATA_TOPIC_NAME, partition);
    if (!p) return null;
    return {
      partition,
      get isLeader() {
        return p.isLeader;
      },
      get leaderEpoch() {
        return p.leaderEpoch;
      },
      logStartOffset: () => p.log.logStartOffset,
      logEndOffset: () => p.log.logEndOffset,
      read: (offset, maxBytes) => {
        const r = p.log.read(offset, maxBytes, 'logEnd', true);
        return r.error === null ? r.records : Buffer.alloc(0);
      },
      append: (records, requiredAcks, timeoutMs) => this.append(p, records, requiredAcks, timeoutMs),
    };
  }

  private async append(
    p: Partition,
    records: Buffer,
    requiredAcks: number,
    timeoutMs: number,
  ): Promise<{ errorCode: number; baseOffset: bigint }> {
    // Appends to one partition go to the log in the order they were asked for.
    const prev = this.chains.get(p.partition) ?? Promise.resolve();
    const local = prev.then(() =>
      p.appendRecordsToLeader(records, requiredAcks === 0 ? 1 : requiredAcks, 11, 'coordinator'),
    );
    const tail = local.catch(() => undefined);
    this.chains.set(p.partition, tail);
    void tail.then(() => {
      if (this.chains.get(p.partition) === tail) this.chains.delete(p.partition);
    });
    const r = await local;
    if (r.errorCode !== ErrorCode.NONE || requiredAcks !== -1)
      return { errorCode: r.errorCode, baseOffset: r.baseOffset };
    const lastOffset = r.baseOffset + BigInt(records.readInt32BE(LAST_OFFSET_DELTA_OFFSET));
    const errorCode = await this.awaitHighWatermark(p, lastOffset, timeoutMs);
    return { errorCode, baseOffset: r.baseOffset };
  }

  /** acks=-1: the append counts once the high watermark is past it (Kafka's DelayedProduce). */
  private awaitHighWatermark(p: Partition, lastOffset: bigint, timeoutMs: number): Promise<number> {
    if (p.log.highWatermark > lastOffset) return Promise.resolve(ErrorCode.NONE);
    return new Promise((resolve) => {
      const check = () => {
        if (!p.isLeader) done(ErrorCode.NOT_LEADER_OR_FOLLOWER);
        else if (p.log.highWatermark > lastOffset) done(ErrorCode.NONE);
      };
      const onLeadership = (x: Partition) => {
        if (x === p) check();
      };
      const done = (code: number) => {
        clearTimeout(timer);
        p.removeListener('highWatermark', check);
        this.replicaManager.removeListener('becomeFollower', onLeadership);
        this.replicaManager.removeListener('partitionRemoved', onLeadership);
        resolve(code);
      };
      const timer = setTimeout(() => done(ErrorCode.REQUEST_TIMED_OUT), timeoutMs);
      p.on('highWatermark', check);
      this.replicaManager.on('becomeFollower', onLeadership);
      this.replicaManager.on('partitionRemoved', onLeadership);
    });
  }
}

export function createGroupCoordinator(deps: GroupCoordinatorDeps): GroupCoordinatorService {
  const { config, cache, replicaManager } = deps;
  const log = getLogger('kafka.coordinator.group.GroupCoordinator', `[GroupCoordinator ${deps.brokerId}]:`);
  const manager = new GroupMetadataManager(
    {
      brokerId: deps.brokerId,
      offsetsTopicNumPartitions: config.int('offsets.topic.num.partitions'),
      offsetsTopicCompressionCodec: config.int('offsets.topic.compression.codec'),
      offsetsRetentionMs: config.int('offsets.retention.minutes') * 60 * 1000,
      offsetCommitTimeoutMs: config.int('offsets.commit.timeout.ms'),
      offsetCommitRequiredAcks: config.int('offsets.commit.required.acks'),
      offsetsLoadBufferSize: config.int('offsets.load.buffer.size'),
      offsetMetadataMaxSize: config.int('offset.metadata.max.bytes'),
    },
    new ReplicaOffsetsPartitions(replicaManager),
  );
  const coordinator = new GroupCoordinator(
    deps.brokerId,
    {
      groupMinSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
      groupMaxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
      groupMaxSize: config.int('group.max.size'),
      groupInitialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    },
    manager,
  );
  const admin = new ZkAdminManager(config, deps.zk, cache, (c) => validateTopicOverrides(c));

  let creating: Promise<void> | null = null;
  /** Kafka's AutoTopicCreationManager for the internal topic: fire and forget, one at a time. */
  const createOffsetsTopic = () => {
    if (creating) return;
    const replicationFactor = config.int('offsets.topic.replication.factor');
    creating = admin
      .createTopic(
        {
          name: GROUP_METADATA_TOPIC_NAME,
          numPartitions: config.int('offsets.topic.num.partitions'),
          replicationFactor,
          assignments: [],
          configs: offsetsTopicConfigs(config),
        },
        false,
      )
      .then((r) => {
        if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS)
          log.warn(`Cannot create ${GROUP_METADATA_TOPIC_NAME} yet: ${r.errorMessage ?? r.errorCode}`);
      })
      .catch((e: Error) => log.warn(`Cannot create ${GROUP_METADATA_TOPIC_NAME}: ${e.message}`))
      .finally(() => {
        creating = null;
      });
  };

  const locator: CoordinatorLocator = {
    locate(keyType, key, listenerName, apiVersion) {
      const fail = (error: number) => ({ error, ...NO_NODE });
      if (keyType === 1) {
        return deps.transactionCoordinator
          ? deps.transactionCoordinator(key, listenerName)
          : fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      if (keyType === 2)
        return fail(apiVersion < 6 ? ErrorCode.INVALID_REQUEST : ErrorCode.COORDINATOR_NOT_AVAILABLE);
      if (keyType !== 0) return fail(ErrorCode.INVALID_REQUEST);
      const topic = cache.getTopic(GROUP_METADATA_TOPIC_NAME);
      if (!topic) {
        createOffsetsTopic();
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      const state = topic.partitions.get(coordinator.partitionFor(key))?.state;
      if (!state || state.leader < 0 || !cache.isAlive(state.leader))
        return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      const ep = cache.brokers.get(state.leader)?.endpoints.find((e) => e.listenerName === listenerName);
      if (!ep) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      return { error: ErrorCode.NONE, nodeId: state.leader, host: ep.host, port: ep.port };
    },
  };

  const zkOffsets = zkOffsetStore(deps.zk.zk);
  const handlers = [
    findCoordinatorHandler(locator),
    joinGroupHandler(coordinator),
    syncGroupHandler(coordinator),
    heartbeatHandler(coordinator),
    leaveGroupHandler(coordinator),
    offsetCommitHandler({
      coordinator,
      cache,
      zkOffsets,
      offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    }),
    offsetFetchHandler(coordinator, cache, zkOffsets),
    describeGroupsHandler(coordinator),
    listGroupsHandler(coordinator),
    deleteGroupsHandler(coordinator),
    offsetDeleteHandler(coordinator, cache),
    consumerGroupHeartbeatHandler(),
    consumerGroupDescribeHandler(),
  ] as Array<ApiHandler<never, unknown>>;

  const isOffsets = (p: Partition) => p.topic === GROUP_METADATA_TOPIC_NAME;
  const onBecomeLeader = (p: Partition) => {
    if (isOffsets(p)) void coordinator.onElection(p.partition, p.leaderEpoch);
  };
  const onBecomeFollower = (p: Partition) => {
    if (isOffsets(p)) void coordinator.onResignation(p.partition, p.leaderEpoch);
  };
  const onPartitionRemoved = (p: Partition) => {
    if (isOffsets(p)) void coordinator.onResignation(p.partition, null);
  };
  const onTopicRemoved = (t: { name: string; partitions: Map<number, unknown> }) => {
    if (t.name === GROUP_METADATA_TOPIC_NAME) return;
    const tps = [...t.partitions.keys()].map((partition) => ({ topic: t.name, partition }));
    void coordinator.handleDeletedPartitions(tps);
  };
  let expiryTimer: NodeJS.Timeout | null = null;
  let expiring = false;
  const expire = () => {
    if (expiring) return;
    expiring = true;
    manager
      .cleanupExpiredOffsets()
      .catch((e: Error) => log.error(`Error expiring offsets: ${e.stack}`))
      .finally(() => {
        expiring = false;
      });
  };

  return {
    coordinator,
    handlers,
    createOffsetsTopic,
    async startup() {
      // The partition count is fixed for the broker's lifetime: the topic's if it exists.
      const existing = cache.getTopic(GROUP_METADATA_TOPIC_NAME);
      if (existing && existing.partitions.size > 0) manager.numPartitions = existing.partitions.size;
      replicaManager.on('becomeLeader', onBecomeLeader);
      replicaManager.on('becomeFollower', onBecomeFollower);
      replicaManager.on('partitionRemoved', onPartitionRemoved);
      cache.on('topicRemoved', onTopicRemoved);
      coordinator.startup();
      for (const p of replicaManager.allPartitions()) if (isOffsets(p) && p.isLeader) onBecomeLeader(p);
      expiryTimer = setInterval(expire, config.int('offsets.retention.check.interval.ms'));
      expiryTimer.unref();
    },
    async shutdown() {
      if (expiryTimer) clearInterval(expiryTimer);
      replicaManager.removeListener('becomeLeader', onBecomeLeader);
      replicaManager.removeListener('becomeFollower', onBecomeFollower);
      replicaManager.removeListener('partitionRemoved', onPartitionRemoved);
      cache.removeListener('topicRemoved', onTopicRemoved);
      coordinator.shutdown();
    },
  };
}
