// The partitions this broker hosts (Kafka's ReplicaManager), driven by the controller's
// LeaderAndIsr and StopReplica requests: becomes leader or follower with the epoch, ISR and
// partition epoch the controller decided (creating logs as needed), starts and stops replica
// fetchers, deletes replicas. While leading it shrinks ISRs of lagging followers every
// replica.lag.time.max.ms / 2 and sends ISR changes to the controller (AlterPartition). It also
// keeps Kafka's two purgatories in their simplest form: Fetch long-polls wait for appends or
// high watermark moves, acks=all produces wait for the high watermark (DelayedProduce), both
// woken by events, never by polling. State changes are applied one request at a time.
// AlterReplicaLogDirs moves a replica to another log dir of this broker: a future log is created
// there and filled by the ReplicaAlterLogDirsManager until it replaces the current log; future
// logs found at start-up resume copying once the partition is hosted again (maybeAddLogDirFetchers).

import { EventEmitter } from 'node:events';
import { MetadataCache } from '../cluster/metadata-cache';
import { LeaderAndIsrPartitionState, Partition, PartitionContext } from '../cluster/partition';
import { KafkaStorageError, LogError } from '../log/errors';
import { LogConfig } from '../log/log-config';
import { logFutureDirName } from '../log/log-file-names';
import type { LogManager } from '../log/log-manager';
import { ErrorCode } from '../protocol/errors';
import type { LeaderAndIsrRequest } from '../protocol/messages/generated/LeaderAndIsrRequest';
import type { LeaderAndIsrResponseInit } from '../protocol/messages/generated/LeaderAndIsrResponse';
import type { StopReplicaRequest } from '../protocol/messages/generated/StopReplicaRequest';
import type { StopReplicaResponseInit } from '../protocol/messages/generated/StopReplicaResponse';
import { AlterPartitionManager } from '../replication/alter-partition-manager';
import type { BrokerEndPoint } from '../replication/broker-channel';
import {
  LeaderAndIsrEntry,
  leaderAndIsrEntries,
  leaderAndIsrErrorResponse,
  leaderAndIsrResponse,
  PartitionError,
  stopReplicaEntries,
} from '../replication/control-requests';
import { AckWait, DelayedProduce, ProducePurgatory } from '../replication/delayed-produce';
import type { FollowerQuota } from '../replication/replica-fetcher';
import { AlterLogDirsQuota, ReplicaAlterLogDirsManager } from '../replication/replica-alter-log-dirs';
import { ReplicaFetcherManager } from '../replication/replica-fetcher-manager';
import { getLogger } from '../utils/logger';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { KafkaConfig } from './kafka-config';

/** Sentinel leader epochs of StopReplica (LeaderAndIsr.EPOCH_DURING_DELETE / NO_EPOCH). */
const EPOCH_DURING_DELETE = -2;
const NO_EPOCH = -1;

/**
 * Events: 'becomeLeader' (Partition) when this broker starts leading a partition or its leader
 * epoch changes; 'becomeFollower' (Partition) when it stops leading; 'partitionRemoved'
 * (Partition) when the replica is deleted. Coordinators load and unload their state on these.
 */
export class ReplicaManager extends EventEmitter {
  private readonly log;
  private readonly stateChangeLogger;
  private readonly partitions = new Map<string, Partition>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Fetch long-polls waiting for data, by partition key (DelayedFetch, keyed like Kafka's purgatory). */
  private readonly waiters = new Map<string, Set<() => void>>();
  readonly producePurgatory = new ProducePurgatory();
  readonly fetcherManager: ReplicaFetcherManager;
  readonly alterPartitionManager: AlterPartitionManager;
  /** Copies replicas being moved between this broker's log dirs. */
  readonly alterLogDirsManager: ReplicaAlterLogDirsManager;
  /** replica.alter.log.dirs.io.max.bytes.per.second (none: unbounded). */
  private alterLogDirsQuota: AlterLogDirsQuota | undefined;
  private readonly partitionContext: PartitionContext;
  private readonly interBrokerListener: string;
  private isrExpirationTimer: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  /** Our registration's czxid (the broker epoch), once known. */
  private brokerEpochSupplier: () => number = () => -1;
  /** follower.replication.throttled.* (set once the config manager exists; none: never throttled). */
  private followerQuota: FollowerQuota | undefined;

  constructor(
    private readonly config: KafkaConfig,
    private readonly brokerId: number,
    private readonly cache: MetadataCache,
    private readonly zk: KafkaZkClient,
    readonly logManager: LogManager,
  ) {
    super();
    this.log = getLogger('kafka.server.ReplicaManager', `[ReplicaManager broker=${brokerId}]`);
    this.stateChangeLogger = getLogger('state.change.logger', `[Broker id=${brokerId}]`);
    this.interBrokerListener = config.interBrokerListenerName;
    const lagMs = config.int('replica.lag.time.max.ms');
    this.alterPartitionManager = new AlterPartitionManager({
      brokerId,
      brokerEpoch: () => this.brokerEpochSupplier(),
      controllerEndpoint: () => this.brokerEndPoint(cache.controllerId),
      requestTimeoutMs: config.int('controller.socket.timeout.ms') || 30000,
    });
    this.partitionContext = {
      localBrokerId: brokerId,
      replicaLagTimeMaxMs: lagMs,
      isBrokerAlive: (id) => cache.isAlive(id),
      alterPartition: (item) => this.alterPartitionManager.submit(item),
      truncateTo: (log, offset) => void logManager.truncateTo(log.topic, log.partition, offset),
      truncateFullyAndStartAt: (log, offset) =>
        void logManager.truncateFullyAndStartAt(log.topic, log.partition, offset),
      now: () => Date.now(),
    };
    this.fetcherManager = new ReplicaFetcherManager(
      {
        brokerId,
        brokerEpoch: () => this.brokerEpochSupplier(),
        numFetchers: config.int('num.replica.fetchers'),
        fetchMaxBytes: config.int('replica.fetch.max.bytes'),
        fetchMinBytes: config.int('replica.fetch.min.bytes'),
        fetchWaitMaxMs: config.int('replica.fetch.wait.max.ms'),
        fetchResponseMaxBytes: config.int('replica.fetch.response.max.bytes'),
        fetchBackoffMs: config.int('replica.fetch.backoff.ms'),
        socketTimeoutMs: config.int('replica.socket.timeout.ms'),
        followerQuota: () => this.followerQuota,
      },
      { getPartition: (t, p) => this.getPartition(t, p) },
    );
    this.alterLogDirsManager = new ReplicaAlterLogDirsManager(
      {
        brokerId,
        fetchMaxBytes: config.int('replica.fetch.max.bytes'),
        fetchResponseMaxBytes: config.int('replica.fetch.response.max.bytes'),
        fetchBackoffMs: config.int('replica.fetch.backoff.ms'),
      },
      {
        getPartition: (t, p) => this.getPartition(t, p),
        replaceCurrentWithFutureLog: (t, p) => logManager.replaceCurrentWithFutureLog(t, p),
        truncateFutureTo: (t, p, offset) => void logManager.truncateFutureTo(t, p, offset),
        truncateFutureFullyAndStartAt: (t, p, offset) =>
          void logManager.truncateFutureFullyAndStartAt(t, p, offset),
        quota: () => this.alterLogDirsQuota,
      },
    );
  }

  /** The quota the log dir copier obeys (ConfigManager's quotas.alterLogDirs). */
  setAlterLogDirsQuota(quota: AlterLogDirsQuota): void {
    this.alterLogDirsQuota = quota;
  }

  /** The broker epoch (czxid of our registration), sent in AlterPartition and Fetch v15+. */
  setBrokerEpochSupplier(supplier: () => number): void {
    this.brokerEpochSupplier = supplier;
  }

  /** The follower-side replication quota the replica fetchers obey (ConfigManager's quotas.follower). */
  setFollowerQuota(quota: FollowerQuota): void {
    this.followerQuota = quota;
  }

  get brokerEpoch(): number {
    return this.brokerEpochSupplier();
  }

  async startup(): Promise<void> {
    const lagMs = this.config.int('replica.lag.time.max.ms');
    const period = Math.max(1, Math.floor(lagMs / 2));
    this.isrExpirationTimer = setInterval(() => this.maybeShrinkIsr(), period);
    this.isrExpirationTimer.unref();
  }

  /** Serializes state changes (Kafka's replicaStateChangeLock). */
  private serialized<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}-${partition}`);
  }

  allPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /** Topic config: broker log.* defaults with the topic's overrides from /config/topics/<t>. */
  async topicLogConfig(topic: string): Promise<LogConfig> {
    return LogConfig.fromProperties(this.config.props, await this.zk.getEntityConfig('topics', topic));
  }

  /** A broker's endpoint on the inter-broker listener, from the metadata cache. */
  brokerEndPoint(brokerId: number): BrokerEndPoint | null {
    if (brokerId < 0) return null;
    const ep = this.cache.brokers
      .get(brokerId)
      ?.endpoints.find((e) => e.listenerName === this.interBrokerListener);
    return ep ? { id: brokerId, host: ep.host, port: ep.port } : null;
  }

  // ---------------------------------------------------------------------------------------
  // LeaderAndIsr

  /**
   * Applies a LeaderAndIsr request (the broker epoch was checked by the handler). Older
   * controller epoch → STALE_CONTROLLER_EPOCH for the whole request; per partition: topic id
   * mismatch → INCONSISTENT_TOPIC_ID, newer leader epoch → become leader or follower (not a
   * replica → UNKNOWN_TOPIC_OR_PARTITION), same or older → STALE_CONTROLLER_EPOCH (a same-epoch
   * request may still attach a topic id).
   */
  becomeLeaderOrFollower(
    req: LeaderAndIsrRequest,
    version: number,
    correlationId: number,
  ): Promise<LeaderAndIsrResponseInit> {
    return this.serialized(() => this.doBecomeLeaderOrFollower(req, version, correlationId));
  }

  private async doBecomeLeaderOrFollower(
    req: LeaderAndIsrRequest,
    version: number,
    correlationId: number,
  ): Promise<LeaderAndIsrResponseInit> {
    const start = Date.now();
    const entries = leaderAndIsrEntries(req, version);
    const controllerId = req.controllerId;
    this.stateChangeLogger.info(
      `Handling LeaderAndIsr request correlationId ${correlationId} from controller ${controllerId} for ${entries.length} partitions`,
    );
    try {
      if (req.controllerEpoch < this.cache.controllerEpoch) {
        this.stateChangeLogger.warn(
          `Ignoring LeaderAndIsr request from controller ${controllerId} with correlation id ${correlationId} since its controller epoch ${req.controllerEpoch} is old. Latest known controller epoch is ${this.cache.controllerEpoch}`,
        );
        return leaderAndIsrErrorResponse(req, version, ErrorCode.STALE_CONTROLLER_EPOCH);
      }
      this.cache.controllerEpoch = req.controllerEpoch;
      const controllerEpoch = req.controllerEpoch;
      const responses = new Map<string, PartitionError>();
      const setError = (e: LeaderAndIsrEntry, errorCode: number) =>
        responses.set(`${e.topic}-${e.partition}`, { topic: e.topic, partition: e.partition, errorCode });
      const toLeader: LeaderAndIsrEntry[] = [];
      const toFollower: LeaderAndIsrEntry[] = [];
      const topicIdUpdates: Partition[] = [];
      const ident = `from controller ${controllerId} with correlation id ${correlationId} epoch ${controllerEpoch}`;

      for (const e of entries) {
        const tp = `${e.topic}-${e.partition}`;
        const existing = this.partitions.get(tp);
        const existingLog = existing?.log ?? this.logManager.getLog(e.topic, e.partition);
        if (existingLog?.isOffline) {
          this.stateChangeLogger.warn(
            `Ignoring LeaderAndIsr request ${ident} for partition ${tp} as the local replica for the partition is in an offline log directory`,
          );
          setError(e, ErrorCode.KAFKA_STORAGE_ERROR);
          continue;
        }
        const currentLeaderEpoch = existing?.leaderEpoch ?? -1;
        const logTopicId = existingLog?.topicId ?? null;
        const requestLeaderEpoch = e.state.leaderEpoch;
        if (e.topicId !== null && logTopicId !== null && logTopicId !== e.topicId) {
          this.stateChangeLogger.error(
            `Topic ID in memory: ${logTopicId} does not match the topic ID for partition ${tp} received: ${e.topicId}.`,
          );
          setError(e, ErrorCode.INCONSISTENT_TOPIC_ID);
        } else if (requestLeaderEpoch > currentLeaderEpoch) {
          if (e.state.replicas.includes(this.brokerId)) {
            (e.state.leader === this.brokerId ? toLeader : toFollower).push(e);
          } else {
            this.stateChangeLogger.warn(
              `Ignoring LeaderAndIsr request ${ident} for partition ${tp} as itself is not in assigned replica list ${e.state.replicas.join(',')}`,
            );
            setError(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          }
        } else if (requestLeaderEpoch < currentLeaderEpoch) {
          this.stateChangeLogger.warn(
            `Ignoring LeaderAndIsr request ${ident} for partition ${tp} since its associated leader epoch ${requestLeaderEpoch} is smaller than the current leader epoch ${currentLeaderEpoch}`,
          );
          setError(e, ErrorCode.STALE_CONTROLLER_EPOCH);
        } else if (e.topicId !== null && logTopicId === null && existing) {
          // The controller attaches a topic id without bumping the epoch.
          try {
            existing.log.assignTopicId(e.topicId);
            this.stateChangeLogger.info(
              `Updating log for ${tp} to assign topic ID ${e.topicId} from LeaderAndIsr request ${ident}`,
            );
            if (e.state.leader !== this.brokerId) topicIdUpdates.push(existing);
            setError(e, ErrorCode.NONE);
          } catch (err) {
            this.stateChangeLogger.error(
              `Failed to assign topic ID ${e.topicId} to ${tp}: ${(err as Error).message}`,
            );
            setError(
              e,
              err instanceof KafkaStorageError
                ? ErrorCode.KAFKA_STORAGE_ERROR
                : ErrorCode.UNKNOWN_SERVER_ERROR,
            );
          }
        } else if (
          e.topicId === null &&
          logTopicId !== null &&
          existing &&
          e.state.leader !== this.brokerId
        ) {
          this.stateChangeLogger.info(
            `Updating PartitionFetchState for ${tp} to remove log topic ID ${logTopicId} since LeaderAndIsr request ${ident} did not contain a topic ID`,
          );
          topicIdUpdates.push(existing);
          setError(e, ErrorCode.NONE);
        } else {
          this.stateChangeLogger.info(
            `Ignoring LeaderAndIsr request ${ident} for partition ${tp} since its associated leader epoch ${requestLeaderEpoch} matches the current leader epoch`,
          );
          setError(e, ErrorCode.STALE_CONTROLLER_EPOCH);
        }
      }

      const configs = await this.loadConfigs([...toLeader, ...toFollower]);
      const becameLeaders = toLeader.length > 0 ? this.makeLeaders(toLeader, configs, setError, ident) : [];
      const { resigned } =
        toFollower.length > 0
          ? this.makeFollowers(req, toFollower, configs, setError, ident, controllerEpoch, correlationId)
          : { resigned: [] as Partition[] };
      for (const p of topicIdUpdates) this.fetcherManager.updateTopicId(p.toString(), p.topicId);
      this.maybeAddLogDirFetchers([...toLeader, ...toFollower]);
      this.fetcherManager.shutdownIdleFetcherThreads();

      for (const p of becameLeaders) this.emit('becomeLeader', p);
      for (const p of resigned) this.emit('becomeFollower', p);

      return leaderAndIsrResponse(req, version, ErrorCode.NONE, [...responses.values()]);
    } finally {
      this.stateChangeLogger.info(
        `Finished LeaderAndIsr request in ${Date.now() - start}ms correlationId ${correlationId} from controller ${controllerId} for ${entries.length} partitions`,
      );
    }
  }

  /** Topic configs (ZooKeeper overrides) for partitions about to be hosted here. */
  private async loadConfigs(entries: LeaderAndIsrEntry[]): Promise<Map<string, LogConfig>> {
    const configs = new Map<string, LogConfig>();
    for (const e of entries) {
      if (configs.has(e.topic) || this.partitions.has(`${e.topic}-${e.partition}`)) continue;
      try {
        configs.set(e.topic, await this.topicLogConfig(e.topic));
      } catch (err) {
        this.log.warn(
          `Could not read the config of topic ${e.topic} from ZooKeeper, using the broker defaults: ${(err as Error).message}`,
        );
        configs.set(e.topic, LogConfig.fromProperties(this.config.props));
      }
    }
    return configs;
  }

  /** The hosted partition, created with its log (and the topic's config) if new. */
  private getOrCreatePartition(e: LeaderAndIsrEntry, configs: Map<string, LogConfig>): Partition {
    const key = `${e.topic}-${e.partition}`;
    const existing = this.partitions.get(key);
    if (existing) {
      if (e.topicId !== null) existing.log.assignTopicId(e.topicId);
      return existing;
    }
    const config = configs.get(e.topic) ?? LogConfig.fromProperties(this.config.props);
    const log = this.logManager.getOrCreateLog(e.topic, e.partition, e.topicId, config);
    // A log loaded at start-up carries the broker defaults: apply the topic's overrides.
    if (log.config !== config) log.updateConfig(config);
    const p = new Partition(e.topic, e.partition, log, this.partitionContext);
    p.on('append', () => this.wakeWaiters(key));
    p.on('highWatermark', () => {
      this.wakeWaiters(key);
      this.producePurgatory.checkAndComplete(key);
    });
    this.partitions.set(key, p);
    return p;
  }

  private makeLeaders(
    entries: LeaderAndIsrEntry[],
    configs: Map<string, LogConfig>,
    setError: (e: LeaderAndIsrEntry, code: number) => void,
    ident: string,
  ): Partition[] {
    for (const e of entries) setError(e, ErrorCode.NONE);
    this.fetcherManager.removeFetcherForPartitions(entries.map((e) => `${e.topic}-${e.partition}`));
    this.stateChangeLogger.info(
      `Stopped fetchers as part of LeaderAndIsr request ${ident} as part of the become-leader transition for ${entries.length} partitions`,
    );
    const became: Partition[] = [];
    for (const e of entries) {
      try {
        const p = this.getOrCreatePartition(e, configs);
        const r = p.makeLeader(e.state);
        if (r.applied && (r.isNewLeader || r.isNewEpoch)) became.push(p);
      } catch (err) {
        this.stateChangeLogger.error(
          `Skipped the become-leader state change with ${ident} for partition ${e.topic}-${e.partition} (last update controller epoch ${e.state.controllerEpoch}) since the replica for the partition is offline due to storage error ${(err as Error).message}`,
        );
        setError(
          e,
          err instanceof KafkaStorageError ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR,
        );
      }
    }
    return became;
  }

  private makeFollowers(
    req: LeaderAndIsrRequest,
    entries: LeaderAndIsrEntry[],
    configs: Map<string, LogConfig>,
    setError: (e: LeaderAndIsrEntry, code: number) => void,
    ident: string,
    controllerEpoch: number,
    correlationId: number,
  ): { resigned: Partition[] } {
    for (const e of entries) setError(e, ErrorCode.NONE);
    const changed: Array<{ p: Partition; leader: BrokerEndPoint }> = [];
    const resigned: Partition[] = [];
    for (const e of entries) {
      const tp = `${e.topic}-${e.partition}`;
      try {
        const leader = this.leaderEndPoint(e.state.leader, req);
        if (leader) {
          const p = this.getOrCreatePartition(e, configs);
          const wasLeader = p.isLeader;
          if (p.makeFollower(e.state)) {
            changed.push({ p, leader });
            if (wasLeader) resigned.push(p);
          }
        } else {
          this.stateChangeLogger.error(
            `Received LeaderAndIsrRequest with correlation id ${correlationId} from controller ${req.controllerId} epoch ${controllerEpoch} for partition ${tp} (last update controller epoch ${e.state.controllerEpoch}) but cannot become follower since the new leader ${e.state.leader} is unavailable.`,
          );
          // The replica exists even so, so its high watermark is checkpointed.
          this.getOrCreatePartition(e, configs);
        }
      } catch (err) {
        this.stateChangeLogger.error(
          `Unable to start fetching ${tp} with topic ID ${e.topicId ?? 'None'} due to a storage error ${(err as Error).message}`,
        );
        setError(
          e,
          err instanceof KafkaStorageError ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR,
        );
      }
    }
    // Stopping the fetchers first lets the new ones start from the right position.
    this.fetcherManager.removeFetcherForPartitions(changed.map(({ p }) => p.toString()));
    this.stateChangeLogger.info(
      `Stopped fetchers as part of become-follower request ${ident} for ${changed.length} partitions`,
    );
    for (const { p } of changed) this.completeDelayedRequests(p.toString());
    if (this.shuttingDown) {
      this.stateChangeLogger.info(
        `Skipped the adding-fetcher step of the become-follower state change ${ident} for ${changed.length} partitions since it is shutting down.`,
      );
    } else if (changed.length > 0) {
      this.fetcherManager.addFetcherForPartitions(
        changed.map(({ p, leader }) => ({
          topic: p.topic,
          partition: p.partition,
          topicId: p.topicId,
          leader,
          currentLeaderEpoch: p.leaderEpoch,
          // Where truncation starts from: with leader epochs the log end (OffsetForLeaderEpoch then
          // finds the divergence point), without them the high watermark, as Kafka does.
          initOffset: p.log.latestEpoch() >= 0 ? p.log.logEndOffset : p.log.highWatermark,
        })),
      );
    }
    return { resigned };
  }

  /** The leader's inter-broker endpoint: metadata cache first, then the request's LiveLeaders. */
  private leaderEndPoint(leaderId: number, req: LeaderAndIsrRequest): BrokerEndPoint | null {
    const fromCache = this.brokerEndPoint(leaderId);
    if (fromCache) return fromCache;
    const live = req.liveLeaders.find((l) => l.brokerId === leaderId);
    return live ? { id: leaderId, host: live.hostName, port: live.port } : null;
  }

  // ---------------------------------------------------------------------------------------
  // StopReplica

  /**
   * Stops replicas (the broker epoch was checked by the handler): older controller epoch →
   * STALE_CONTROLLER_EPOCH; per partition the request's leader epoch must be -2 (topic being
   * deleted), -1 (none given) or >= ours, else FENCED_LEADER_EPOCH. Fetchers stop; with
   * deletePartition the replica and its log are removed.
   */
  stopReplicas(
    req: StopReplicaRequest,
    version: number,
    correlationId: number,
  ): Promise<StopReplicaResponseInit> {
    return this.serialized(() => this.doStopReplicas(req, version, correlationId));
  }

  private doStopReplicas(
    req: StopReplicaRequest,
    version: number,
    correlationId: number,
  ): StopReplicaResponseInit {
    const entries = stopReplicaEntries(req, version);
    const controllerId = req.controllerId;
    this.stateChangeLogger.info(
      `Handling StopReplica request correlationId ${correlationId} from controller ${controllerId} for ${entries.length} partitions`,
    );
    if (req.controllerEpoch < this.cache.controllerEpoch) {
      this.stateChangeLogger.warn(
        `Ignoring StopReplica request from controller ${controllerId} with correlation id ${correlationId} since its controller epoch ${req.controllerEpoch} is old. Latest known controller epoch is ${this.cache.controllerEpoch}`,
      );
      return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, partitionErrors: [] };
    }
    this.cache.controllerEpoch = req.controllerEpoch;
    const ident = `from controller ${controllerId} with correlation id ${correlationId} epoch ${req.controllerEpoch}`;
    const results = new Map<string, { topicName: string; partitionIndex: number; errorCode: number }>();
    const stopped: Array<{ topic: string; partition: number; delete: boolean }> = [];
    for (const e of entries) {
      const tp = `${e.topic}-${e.partition}`;
      const result = (errorCode: number) =>
        results.set(tp, { topicName: e.topic, partitionIndex: e.partition, errorCode });
      const p = this.partitions.get(tp);
      if (p?.log.isOffline) {
        this.stateChangeLogger.warn(
          `Ignoring StopReplica request (delete=${e.deletePartition}) ${ident} for partition ${tp} as the local replica for the partition is in an offline log directory`,
        );
        result(ErrorCode.KAFKA_STORAGE_ERROR);
      } else if (p) {
        if (
          e.leaderEpoch === EPOCH_DURING_DELETE ||
          e.leaderEpoch === NO_EPOCH ||
          e.leaderEpoch >= p.leaderEpoch
        ) {
          stopped.push({ topic: e.topic, partition: e.partition, delete: e.deletePartition });
          result(ErrorCode.NONE);
        } else {
          this.stateChangeLogger.info(
            `Ignoring StopReplica request (delete=${e.deletePartition}) ${ident} for partition ${tp} since its associated leader epoch ${e.leaderEpoch} is smaller than the current leader epoch ${p.leaderEpoch}`,
          );
          result(ErrorCode.FENCED_LEADER_EPOCH);
        }
      } else {
        // Not hosted (e.g. deleted while we were down): still delete a log left on disk.
        stopped.push({ topic: e.topic, partition: e.partition, delete: e.deletePartition });
        result(ErrorCode.NONE);
      }
    }
    for (const [tp, err] of this.stopPartitions(stopped)) {
      this.stateChangeLogger.error(
        `Ignoring StopReplica request (delete=true) ${ident} for partition ${tp} due to an unexpected ${err.name} exception: ${err.message}`,
      );
      const r = results.get(tp);
      if (r)
        r.errorCode =
          err instanceof KafkaStorageError ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
    this.fetcherManager.shutdownIdleFetcherThreads();
    return { errorCode: ErrorCode.NONE, partitionErrors: [...results.values()] };
  }

  /** Stops fetchers, drops deleted replicas, deletes their logs; returns deletion errors. */
  private stopPartitions(
    stopped: Array<{ topic: string; partition: number; delete: boolean }>,
  ): Map<string, Error> {
    this.fetcherManager.removeFetcherForPartitions(stopped.map((s) => `${s.topic}-${s.partition}`));
    this.alterLogDirsManager.removePartitions(stopped.map((s) => `${s.topic}-${s.partition}`));
    const errors = new Map<string, Error>();
    const removed: Partition[] = [];
    for (const s of stopped) {
      const tp = `${s.topic}-${s.partition}`;
      if (s.delete) {
        const p = this.partitions.get(tp);
        if (p) {
          this.partitions.delete(tp);
          p.delete();
          removed.push(p);
        }
      }
      // Pending produce/fetch requests on a replica we stop serving complete now.
      this.completeDelayedRequests(tp);
    }
    for (const s of stopped) {
      if (!s.delete) continue;
      try {
        if (this.logManager.deleteLog(s.topic, s.partition))
          this.log.info(`Log for partition ${s.topic}-${s.partition} is deleted (StopReplica)`);
      } catch (e) {
        errors.set(`${s.topic}-${s.partition}`, e as Error);
      }
    }
    for (const p of removed) this.emit('partitionRemoved', p);
    return errors;
  }

  // ---------------------------------------------------------------------------------------
  // Log dir moves (AlterReplicaLogDirs)

  /**
   * Kafka's maybeAddLogDirFetchers: partitions (just made leader or follower) that have a future
   * log on disk — a move interrupted by a restart — get it back and resume copying.
   */
  private maybeAddLogDirFetchers(entries: ReadonlyArray<{ topic: string; partition: number }>): void {
    const resume: Array<{ topic: string; partition: number }> = [];
    for (const e of entries) {
      const p = this.partitions.get(`${e.topic}-${e.partition}`);
      const futureLog = this.logManager.getFutureLog(e.topic, e.partition);
      if (!p || !futureLog || p.isDeleted) continue;
      try {
        p.maybeCreateFutureReplica(futureLog.parentDir, () => futureLog);
        if (p.futureLog === futureLog) resume.push(e);
      } catch (err) {
        this.log.error(`Could not resume moving ${p} to ${futureLog.parentDir}: ${(err as Error).message}`);
      }
    }
    if (resume.length > 0) this.alterLogDirsManager.addPartitions(resume);
  }

  /**
   * AlterReplicaLogDirs: per partition the error code (Kafka's ReplicaManager.alterReplicaLogDirs).
   * An unknown dir is LOG_DIR_NOT_FOUND, an offline one KAFKA_STORAGE_ERROR. A move towards another
   * dir than the running one (or back to the current dir) drops the running future log. The dir
   * is remembered for a partition not hosted yet, which is then REPLICA_NOT_AVAILABLE (the tool
   * retries until the replica exists). A partition already in the dir: nothing to do; otherwise
   * the future log is created there and the copy starts.
   */
  alterReplicaLogDirs(
    moves: ReadonlyArray<{ topic: string; partition: number; dir: string }>,
  ): Promise<Map<string, number>> {
    return this.serialized(() => {
      const out = new Map<string, number>();
      for (const m of moves) out.set(`${m.topic}-${m.partition}`, this.alterReplicaLogDir(m));
      return out;
    });
  }

  private alterReplicaLogDir(m: { topic: string; partition: number; dir: string }): number {
    const tp = `${m.topic}-${m.partition}`;
    try {
      // Kafka's limit (KAFKA-4893): the future dir name must fit a file name.
      if (logFutureDirName(m.topic, m.partition).length > 255) return ErrorCode.INVALID_TOPIC_EXCEPTION;
      if (!this.logManager.isLogDirOnline(m.dir)) {
        this.log.warn(`Unable to alter log dirs for ${tp}: Log directory ${m.dir} is offline`);
        return ErrorCode.KAFKA_STORAGE_ERROR;
      }
      const existing = this.partitions.get(tp);
      if (existing?.log.isOffline) return ErrorCode.KAFKA_STORAGE_ERROR;
      if (existing?.futureReplicaDirChanged(m.dir)) {
        this.alterLogDirsManager.removePartitions([tp]);
        existing.removeFutureLocalReplica();
        this.logManager.deleteFutureLog(m.topic, m.partition);
      }
      this.logManager.maybeUpdatePreferredLogDir(m.topic, m.partition, m.dir);
      const p = this.partitions.get(tp);
      if (!p || p.isDeleted) {
        this.log.warn(`Unable to alter log dirs for ${tp}: the replica is not hosted here (yet)`);
        return ErrorCode.REPLICA_NOT_AVAILABLE;
      }
      const created = p.maybeCreateFutureReplica(m.dir, () =>
        this.logManager.getOrCreateFutureLog(m.topic, m.partition, m.dir, p.topicId, p.log.config),
      );
      if (created) {
        // A new future log starts where the current log starts (its high watermark checkpoint is none).
        this.alterLogDirsManager.addPartitions([{ topic: m.topic, partition: m.partition }]);
      }
      return ErrorCode.NONE;
    } catch (e) {
      if (
        e instanceof LogError &&
        (e.errorCode === ErrorCode.LOG_DIR_NOT_FOUND || e.errorCode === ErrorCode.KAFKA_STORAGE_ERROR)
      ) {
        this.log.warn(`Unable to alter log dirs for ${tp}: ${e.message}`);
        return e.errorCode;
      }
      this.log.error(`Error while changing replica dir for partition ${tp}: ${(e as Error).stack}`);
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  /**
   * DescribeLogDirs' offset lag of a log (Kafka's getLogEndOffsetLag): for a future log how far
   * it is behind the current one, for a current log max(HW − LEO, 0); −1 when the partition is
   * not hosted.
   */
  logEndOffsetLag(topic: string, partition: number, logEndOffset: bigint, isFuture: boolean): bigint {
    const p = this.partitions.get(`${topic}-${partition}`);
    if (!p || p.isDeleted) return -1n;
    if (isFuture) return p.log.logEndOffset - logEndOffset;
    const lag = p.log.highWatermark - logEndOffset;
    return lag > 0n ? lag : 0n;
  }

  // ---------------------------------------------------------------------------------------
  // ISR expiration

  /** Every replica.lag.time.max.ms / 2: leaders drop followers that stopped catching up. */
  maybeShrinkIsr(): void {
    for (const p of this.partitions.values()) {
      if (!p.isLeader) continue;
      try {
        p.maybeShrinkIsr();
      } catch (e) {
        this.log.error(`Error while checking the ISR of ${p}: ${(e as Error).stack}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // Purgatories

  private completeDelayedRequests(key: string): void {
    this.wakeWaiters(key);
    this.producePurgatory.checkAndComplete(key);
  }

  private wakeWaiters(key: string): void {
    const ws = this.waiters.get(key);
    if (!ws) return;
    this.waiters.delete(key);
    for (const w of ws) w();
  }

  /** Resolves on the next append, high watermark move or leadership change of one of `keys`, or after `timeoutMs`. */
  waitForData(keys: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const k of keys) this.waiters.get(k)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  /**
   * acks=all: resolves, per entry, once the high watermark reached `requiredOffset` (NONE or
   * NOT_ENOUGH_REPLICAS_AFTER_APPEND), leadership was lost (NOT_LEADER_OR_FOLLOWER), or at
   * `timeoutMs` (REQUEST_TIMED_OUT). Resolves at once when nothing needs waiting.
   */
  awaitReplication(
    entries: Array<{ topic: string; partition: number; requiredOffset: bigint }>,
    timeoutMs: number,
  ): Promise<number[]> {
    const waits: AckWait[] = entries.map((e) => ({ ...e, key: `${e.topic}-${e.partition}` }));
    return new Promise((resolve) => {
      const op = new DelayedProduce(waits, (w) => this.checkReplication(w), resolve);
      this.producePurgatory.tryCompleteElseWatch(op, timeoutMs);
    });
  }

  private checkReplication(w: AckWait): { done: false } | { done: true; errorCode: number } {
    const p = this.partitions.get(w.key);
    if (!p)
      return {
        done: true,
        errorCode: this.cache.getPartition(w.topic, w.partition)
          ? ErrorCode.NOT_LEADER_OR_FOLLOWER
          : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      };
    return p.checkEnoughReplicasReachOffset(w.requiredOffset);
  }

  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.isrExpirationTimer) clearInterval(this.isrExpirationTimer);
    this.isrExpirationTimer = null;
    await this.chain;
    await this.fetcherManager.shutdown();
    await this.alterLogDirsManager.shutdown();
    this.alterPartitionManager.shutdown();
    this.producePurgatory.completeAll();
    for (const k of [...this.waiters.keys()]) this.wakeWaiters(k);
  }
}

export type { LeaderAndIsrPartitionState };
