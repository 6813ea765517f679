// Dynamic configuration on every broker (Kafka's ZkConfigManager / DynamicConfigManager,
// TopicConfigHandler, BrokerConfigHandler, ReplicationQuotaManager) and the write side of
// AlterConfigs / IncrementalAlterConfigs (ZkAdminManager.alterConfigs / incrementalAlterConfigs).
//
// Propagation: every broker keeps a child watch on /config/changes (re-armed on every event and
// after a session re-init). Notifications are `config_change_<seq>`; those above the highest
// sequence applied so far are applied in order by re-reading the whole entity config they name
// (`topics/<t>`, `brokers/<id>`, `brokers/<default>`); notifications older than 15 minutes (ctime)
// are deleted. At startup every topic and broker entity config is applied once.
//
// * Topic configs → the topic's logs (LogManager.updateTopicConfig) and the throttled replica
//   lists of this broker (leader/follower.replication.throttled.replicas).
// * Broker configs (`<default>` and our own id) → the dynamic layers of the broker config; the
//   log.* ones change every log's defaults, and this broker's own entity sets the replication
//   throttle rates (Kafka reads the rates from the per-broker entity only).
//
// Throttle API for the replica fetcher (follower side) and the Fetch handler (leader side):
// see ReplicationQuota and ConfigManager.getThrottle below.

import { EventEmitter } from 'node:events';
import type { MetadataCache } from '../cluster/metadata-cache';
import type { LogManager } from '../log/log-manager';
import { LogConfig, TOPIC_CONFIG_NAMES, validateTopicOverrides } from '../log/log-config';
import { ErrorCode } from '../protocol/errors';
import { getLogger } from '../utils/logger';
import type { KafkaZkClient } from '../zk/kafka-zk-client';
import { WatchEvent, ZkError } from '../zk/zk-client';
import { ZkPaths } from '../zk/zk-data';
import {
  ALTER_LOG_DIRS_RATE,
  BrokerConfigState,
  ConfigValueError,
  DEFAULT_ENTITY,
  describeBrokerConfigs,
  describeTopicConfigs,
  DescribedConfig,
  DYNAMIC_BROKER_CONFIGS,
  effectiveBrokerProps,
  FOLLOWER_THROTTLED_RATE,
  FOLLOWER_THROTTLED_REPLICAS,
  isTopicListConfig,
  LEADER_THROTTLED_RATE,
  LEADER_THROTTLED_REPLICAS,
  parseThrottledPartitions,
  throttledReplicaListError,
  topicConfigDefault,
  UNLIMITED_RATE,
  validateDynamicBrokerConfigs,
} from '../admin/dynamic-broker-config';
import type { DescribeConfigsRequest } from '../protocol/messages/generated/DescribeConfigsRequest';
import type { DescribeConfigsResponseInit } from '../protocol/messages/generated/DescribeConfigsResponse';
import type { ApiHandler } from './api-handler';
import type { KafkaConfig } from './kafka-config';
import type { ReplicaManager } from './replica-manager';

/**
 * The controller's hook on dynamic configs (Kafka: TopicConfigHandler calls
 * KafkaController.enableTopicUncleanLeaderElection when a topic's config says
 * unclean.leader.election.enable=true; DynamicLogConfig calls enableDefaultUncleanLeaderElection
 * when the broker default turns it on). Listeners are registered per broker id.
 */
export interface UncleanLeaderElectionListener {
  topicUncleanLeaderElectionEnabled(topic: string): void;
  defaultUncleanLeaderElectionEnabled(): void;
}

const uncleanListeners = new Map<number, Set<UncleanLeaderElectionListener>>();

/** Registers `l` for the ConfigManager of broker `brokerId`; returns the unregister function. */
export function addUncleanLeaderElectionListener(
  brokerId: number,
  l: UncleanLeaderElectionListener,
): () => void {
  let set = uncleanListeners.get(brokerId);
  if (!set) uncleanListeners.set(brokerId, (set = new Set()));
  set.add(l);
  return () => {
    set.delete(l);
    if (set.size === 0 && uncleanListeners.get(brokerId) === set) uncleanListeners.delete(brokerId);
  };
}

const isTrue = (v: string | undefined): boolean => (v ?? '').trim().toLowerCase() === 'true';

/** Kafka's ZkConfigManager change expiration: 15 minutes. */
export const CONFIG_CHANGE_EXPIRATION_MS = 15 * 60 * 1000;

export const RESOURCE_TYPE = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;
const RESOURCE_TYPE_NAMES: Record<number, string> = {
  2: 'TOPIC',
  4: 'BROKER',
  8: 'BROKER_LOGGER',
  16: 'CLIENT_METRICS',
  32: 'GROUP',
};
export const resourceTypeName = (t: number): string => RESOURCE_TYPE_NAMES[t] ?? 'UNKNOWN';
/** ConfigResource.toString */
export const configResourceString = (type: number, name: string): string =>
  `ConfigResource(type=${resourceTypeName(type)}, name='${name}')`;

/** IncrementalAlterConfigs operation ids (AlterConfigOp.OpType). */
export const AlterOpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterOp {
  name: string;
  op: number;
  value: string | null;
}

export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
}

const OK: AlterResult = { errorCode: ErrorCode.NONE, errorMessage: null };

class ApiError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

// ---- replication quotas ----------------------------------------------------------------------

/**
 * One replication quota of this broker (Kafka's ReplicationQuotaManager): the throttled partitions
 * (from the topics' `*.replication.throttled.replicas` entries naming this broker) and a byte-rate
 * bound measured over `replication.quota.window.num` windows of
 * `replication.quota.window.size.seconds` (defaults 11 × 1 s). An unlimited rate (Long.MAX_VALUE,
 * the default) is never exceeded.
 */
export class ReplicationQuota {
  private bound = UNLIMITED_RATE;
  private readonly throttled = new Map<string, 'all' | ReadonlySet<number>>();
  private readonly samples: Array<{ start: number; bytes: number }> = [];

  constructor(
    readonly kind: 'leader' | 'follower' | 'alterLogDirs',
    private readonly windowNum = 11,
    private readonly windowMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The configured bound in bytes/s (UNLIMITED_RATE = Long.MAX_VALUE when not throttled). */
  get rate(): number {
    return this.bound;
  }

  updateQuota(bytesPerSecond: number): void {
    this.bound = bytesPerSecond;
  }

  markThrottled(topic: string, partitions: 'all' | readonly number[]): void {
    this.throttled.set(topic, partitions === 'all' ? 'all' : new Set(partitions));
  }

  removeThrottle(topic: string): void {
    this.throttled.delete(topic);
  }

  /** True when this broker's list for the topic names the partition (or is `*`). */
  isThrottled(topic: string, partition: number): boolean {
    const t = this.throttled.get(topic);
    return t !== undefined && (t === 'all' || t.has(partition));
  }

  /** Topics with a throttle entry for this broker. */
  throttledTopics(): string[] {
    return [...this.throttled.keys()];
  }

  /** Records bytes of throttled replication traffic (call for every throttled partition's data). */
  record(bytes: number): void {
    const now = this.now();
    this.expire(now);
    const last = this.samples[this.samples.length - 1];
    if (last && now < last.start + this.windowMs) last.bytes += bytes;
    else this.samples.push({ start: now, bytes });
  }

  /** The measured rate in bytes/s (Kafka's Rate: at least windowNum-1 windows of elapsed time). */
  measuredRate(): number {
    const now = this.now();
    this.expire(now);
    if (this.samples.length === 0) return 0;
    const total = this.samples.reduce((s, x) => s + x.bytes, 0);
    let elapsed = now - this.samples[0].start;
    const minElapsed = (this.windowNum - 1) * this.windowMs;
    if (elapsed < minElapsed) elapsed = minElapsed;
    return (total * 1000) / Math.max(1, elapsed);
  }

  /** True while throttled traffic is above the bound (never when unlimited). */
  isQuotaExceeded(): boolean {
    if (this.bound >= UNLIMITED_RATE) return false;
    return this.measuredRate() > this.bound;
  }

  private expire(now: number): void {
    const horizon = now - this.windowNum * this.windowMs;
    while (this.samples.length > 0 && this.samples[0].start + this.windowMs <= horizon) this.samples.shift();
  }
}

export interface ThrottleInfo {
  /** This broker's leader list names the partition: its traffic to non-ISR followers is throttled. */
  leaderThrottled: boolean;
  /** This broker's follower list names the partition: its fetches while out of sync are throttled. */
  followerThrottled: boolean;
  /** leader.replication.throttled.rate of this broker, bytes/s (UNLIMITED_RATE when unset). */
  leaderRate: number;
  /** follower.replication.throttled.rate of this broker, bytes/s (UNLIMITED_RATE when unset). */
  followerRate: number;
}

// ---- the manager -----------------------------------------------------------------------------

export interface ConfigManagerOptions {
  brokerId: number;
  config: KafkaConfig;
  zk: KafkaZkClient;
  cache: MetadataCache;
  logManager: LogManager;
  replicaManager: ReplicaManager;
  now?: () => number;
}

/**
 * Events: 'topicConfigChanged' (topic, overrides), 'brokerConfigChanged' (entity name),
 * 'throttleChanged' () whenever a rate or a throttled replica list changes.
 */
export class ConfigManager extends EventEmitter {
  private readonly log;
  private readonly staticProps: Readonly<Record<string, string>>;
  private dynamicDefault: Record<string, string> = {};
  private dynamicBroker: Record<string, string> = {};
  private lastAppliedSeq = -1;
  private processing: Promise<void> | null = null;
  private processAgain = false;
  private stopped = false;
  private readonly now: () => number;
  /** Replication quotas of this broker: leader side, follower side, intra-broker log dir moves. */
  readonly quotas: { leader: ReplicationQuota; follower: ReplicationQuota; alterLogDirs: ReplicationQuota };

  constructor(private readonly o: ConfigManagerOptions) {
    super();
    this.log = getLogger('kafka.server.DynamicConfigManager', `[DynamicConfigManager broker=${o.brokerId}]`);
    this.staticProps = Object.freeze({ ...o.config.props });
    this.now = o.now ?? Date.now;
    const num = Number(o.config.props['replication.quota.window.num'] ?? '11');
    const secs = Number(o.config.props['replication.quota.window.size.seconds'] ?? '1');
    const mk = (k: ReplicationQuota['kind']) =>
      new ReplicationQuota(k, num > 0 ? num : 11, (secs > 0 ? secs : 1) * 1000, this.now);
    this.quotas = { leader: mk('leader'), follower: mk('follower'), alterLogDirs: mk('alterLogDirs') };
  }

  // ---- lifecycle ---------------------------------------------------------------------------

  async startup(): Promise<void> {
    const zk = this.o.zk;
    for (const entity of (await zk.zk.getChildren('/config/brokers')) ?? [])
      if (entity === DEFAULT_ENTITY || entity === String(this.o.brokerId))
        this.applyBrokerConfig(entity, await zk.getEntityConfig('brokers', entity));
    for (const topic of (await zk.zk.getChildren('/config/topics')) ?? [])
      this.applyTopicConfig(topic, await zk.getEntityConfig('topics', topic), true);
    zk.zk.onSessionReinit(async () => {
      if (!this.stopped) this.scheduleProcessing();
    });
    this.scheduleProcessing();
    await this.processing;
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    await this.processing;
  }

  // ---- the throttle API --------------------------------------------------------------------

  /** This broker's throttle state for one partition (see ThrottleInfo). */
  getThrottle(topic: string, partition: number): ThrottleInfo {
    return {
      leaderThrottled: this.quotas.leader.isThrottled(topic, partition),
      followerThrottled: this.quotas.follower.isThrottled(topic, partition),
      leaderRate: this.quotas.leader.rate,
      followerRate: this.quotas.follower.rate,
    };
  }

  // ---- config views ------------------------------------------------------------------------

  get state(): BrokerConfigState {
    return {
      staticProps: this.staticProps,
      dynamicDefault: this.dynamicDefault,
      dynamicBroker: this.dynamicBroker,
    };
  }

  /** server.properties overridden by the dynamic cluster default and this broker's dynamic configs. */
  effectiveProps(): Record<string, string> {
    return effectiveBrokerProps(this.state);
  }

  /** A topic's configs for DescribeConfigs / CreateTopics (Kafka's sources and synonyms). */
  describeTopic(overrides: Readonly<Record<string, string>>): DescribedConfig[] {
    return describeTopicConfigs(this.state, overrides);
  }

  /** This broker's configs (perBroker) or the cluster-default entity's (DescribeConfigs BROKER ""). */
  describeBroker(perBroker: boolean): DescribedConfig[] {
    return describeBrokerConfigs(this.state, perBroker);
  }

  // ---- change notifications -----------------------------------------------------------------

  private readonly onChangesEvent = (ev: WatchEvent) => {
    if (ev === WatchEvent.NotWatching || this.stopped) return;
    this.scheduleProcessing();
  };

  private scheduleProcessing(): void {
    if (this.stopped) return;
    if (this.processing) {
      this.processAgain = true;
      return;
    }
    this.processing = this.processNotifications()
      .catch((e: Error) => {
        this.log.error(`Error processing config change notifications: ${e.stack}`);
        // A lost session re-arms through onSessionReinit; otherwise retry shortly.
        setTimeout(() => this.scheduleProcessing(), 1000).unref();
      })
      .finally(() => {
        this.processing = null;
        if (this.processAgain) {
          this.processAgain = false;
          this.scheduleProcessing();
        }
      });
  }

  private async processNotifications(): Promise<void> {
    const zk = this.o.zk;
    const children = ((await zk.zk.getChildren(ZkPaths.configChanges, this.onChangesEvent)) ?? [])
      .filter((c) => c.startsWith('config_change_'))
      .sort();
    for (const child of children) {
      if (this.stopped) return;
      const seq = Number(child.slice('config_change_'.length));
      if (!(seq > this.lastAppliedSeq)) continue;
      const r = await zk.zk.getData(`${ZkPaths.configChanges}/${child}`);
      if (r) await this.processNotification(child, r.data);
      this.lastAppliedSeq = seq;
    }
    const now = this.now();
    for (const child of children) {
      const path = `${ZkPaths.configChanges}/${child}`;
      const stat = await zk.zk.exists(path);
      if (stat && now - stat.ctime > CONFIG_CHANGE_EXPIRATION_MS) {
        try {
          await zk.zk.delete(path);
          this.log.debug(`Purged config change notification ${path}`);
        } catch (e) {
          if (!(e instanceof ZkError && e.isNoNode)) throw e;
        }
      }
    }
  }

  private async processNotification(child: string, data: Buffer): Promise<void> {
    let entityType: string;
    let entityName: string;
    try {
      const o = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (Number(o.version) === 1) {
        entityType = String(o.entity_type);
        entityName = String(o.entity_name);
      } else {
        const path = String(o.entity_path);
        const slash = path.indexOf('/');
        if (slash < 0) throw new Error(`invalid entity_path ${path}`);
        entityType = path.slice(0, slash);
        entityName = path.slice(slash + 1);
      }
    } catch (e) {
      this.log.error(`Invalid config change notification ${child}: ${(e as Error).message}`);
      return;
    }
    if (entityType === 'topics') {
      this.applyTopicConfig(entityName, await this.o.zk.getEntityConfig('topics', entityName));
    } else if (entityType === 'brokers') {
      if (entityName === DEFAULT_ENTITY || entityName === String(this.o.brokerId))
        this.applyBrokerConfig(entityName, await this.o.zk.getEntityConfig('brokers', entityName));
    }
    // clients / users / ips: quotas Samsa does not enforce.
  }

  // ---- applying configs --------------------------------------------------------------------

  private applyTopicConfig(topic: string, overrides: Record<string, string>, bootstrap = false): void {
    let lc: LogConfig;
    try {
      lc = LogConfig.fromProperties(this.effectiveProps(), overrides);
    } catch (e) {
      this.log.error(`Invalid config for topic ${topic} in ZooKeeper, not applied: ${(e as Error).message}`);
      return;
    }
    this.updateLogs(topic, lc);
    const b = this.o.brokerId;
    let throttleChanged = false;
    for (const [quota, prop] of [
      [this.quotas.leader, LEADER_THROTTLED_REPLICAS],
      [this.quotas.follower, FOLLOWER_THROTTLED_REPLICAS],
    ] as const) {
      const before = quota.throttledTopics().includes(topic);
      const value = overrides[prop];
      if (value !== undefined && value.trim() !== '')
        quota.markThrottled(topic, parseThrottledPartitions(value, b));
      else quota.removeThrottle(topic);
      throttleChanged ||= before || quota.throttledTopics().includes(topic);
    }
    if (!bootstrap) this.log.info(`Processed topic config change for ${topic}: ${JSON.stringify(overrides)}`);
    this.emit('topicConfigChanged', topic, overrides);
    if (throttleChanged) this.emit('throttleChanged');
    if (!bootstrap && isTrue(overrides['unclean.leader.election.enable']))
      for (const l of uncleanListeners.get(this.o.brokerId) ?? []) l.topicUncleanLeaderElectionEnabled(topic);
  }

  /** Applies a topic's LogConfig to its logs and to the partitions the replica manager hosts. */
  private updateLogs(topic: string, lc: LogConfig): void {
    this.o.logManager.updateTopicConfig(topic, lc);
    for (const p of this.o.replicaManager.allPartitions()) {
      if (p.topic !== topic) continue;
      // Partitions that keep their own copy of the config (a plain `config` field) get the new one;
      // those that read it from their log already have it.
      const d = Object.getOwnPropertyDescriptor(p, 'config');
      if (d && d.writable) (p as unknown as { config: LogConfig }).config = lc;
    }
  }

  private applyBrokerConfig(entity: string, config: Record<string, string>): void {
    const before = this.effectiveProps();
    if (entity === DEFAULT_ENTITY) this.dynamicDefault = { ...config };
    else this.dynamicBroker = { ...config };
    const after = this.effectiveProps();
    // Log defaults: KafkaConfig is reconfigured in place in Kafka; Samsa's components read
    // config.props, so the dynamic log.* layers are written through to it.
    const changedLogKeys = Object.keys(DYNAMIC_BROKER_CONFIGS).filter(
      (k) => DYNAMIC_BROKER_CONFIGS[k].log && before[k] !== after[k],
    );
    if (changedLogKeys.length > 0) {
      const props = this.o.config.props;
      for (const k of changedLogKeys) {
        if (after[k] === undefined) delete props[k];
        else props[k] = after[k];
      }
      try {
        this.o.logManager.updateDefaultConfig(LogConfig.fromProperties(after));
        // Each topic keeps the overrides its logs run with (CreateTopics writes them without a
        // notification, so the logs, not a cache of notifications, know them).
        const topics = new Map(this.o.logManager.allLogs().map((l) => [l.topic, l.config.overrides()]));
        for (const [t, overrides] of topics) this.updateLogs(t, LogConfig.fromProperties(after, overrides));
      } catch (e) {
        this.log.error(`Dynamic log config not applied: ${(e as Error).message}`);
      }
    }
    if (entity !== DEFAULT_ENTITY) {
      const rate = (k: string) => {
        const v = config[k];
        return v === undefined || !/^\s*\d+\s*$/.test(v) ? UNLIMITED_RATE : Number(v.trim());
      };
      const rates = [rate(LEADER_THROTTLED_RATE), rate(FOLLOWER_THROTTLED_RATE), rate(ALTER_LOG_DIRS_RATE)];
      const changed =
        rates[0] !== this.quotas.leader.rate ||
        rates[1] !== this.quotas.follower.rate ||
        rates[2] !== this.quotas.alterLogDirs.rate;
      this.quotas.leader.updateQuota(rates[0]);
      this.quotas.follower.updateQuota(rates[1]);
      this.quotas.alterLogDirs.updateQuota(rates[2]);
      if (changed) this.emit('throttleChanged');
    }
    this.log.info(`Processed broker config change for ${entity}: ${JSON.stringify(config)}`);
    this.emit('brokerConfigChanged', entity);
    const unclean = 'unclean.leader.election.enable';
    if (!isTrue(before[unclean]) && isTrue(after[unclean]))
      for (const l of uncleanListeners.get(this.o.brokerId) ?? []) l.defaultUncleanLeaderElectionEnabled();
  }

  // ---- AlterConfigs / IncrementalAlterConfigs --------------------------------------------------

  /**
   * AlterConfigs (replace: the resource's dynamic configs become exactly `configs`, null values
   * dropped) or IncrementalAlterConfigs (ops applied to the stored configs). Writes the entity znode
   * and a change notification unless validateOnly; Kafka's error codes and messages.
   */
  async alter(
    resourceType: number,
    name: string,
    change: { replace: Array<{ name: string; value: string | null }> } | { ops: AlterOp[] },
    validateOnly: boolean,
  ): Promise<AlterResult> {
    try {
      if (resourceType === RESOURCE_TYPE.TOPIC) await this.alterTopic(name, change, validateOnly);
      else if (resourceType === RESOURCE_TYPE.BROKER) await this.alterBroker(name, change, validateOnly);
      else
        throw new ApiError(
          ErrorCode.INVALID_REQUEST,
          `AlterConfigs is only supported for topics and brokers, but resource type is ${resourceTypeName(resourceType)}`,
        );
      return OK;
    } catch (e) {
      if (e instanceof ConfigValueError) {
        const message = `Invalid config value for resource ${configResourceString(resourceType, name)}: ${e.message}`;
        this.log.info(message);
        return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: message };
      }
      if (e instanceof ApiError) {
        this.log.info(
          `Error processing alter configs request for resource ${configResourceString(resourceType, name)}: ${e.message}`,
        );
        return { errorCode: e.errorCode, errorMessage: e.message };
      }
      this.log.error(
        `Error processing alter configs request for resource ${configResourceString(resourceType, name)}: ${(e as Error).stack}`,
      );
      return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: (e as Error).message };
    }
  }

  private async alterTopic(
    topic: string,
    change: { replace: Array<{ name: string; value: string | null }> } | { ops: AlterOp[] },
    validateOnly: boolean,
  ): Promise<void> {
    if (topic === '')
      throw new ApiError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
    const zk = this.o.zk;
    let props: Record<string, string>;
    if ('ops' in change) {
      props = await zk.getEntityConfig('topics', topic);
      applyOps(
        props,
        change.ops,
        (n) => (isTopicListConfig(n) ? 'list' : n in KNOWN_TOPIC ? 'other' : null),
        topicConfigDefault,
      );
    } else {
      props = {};
      for (const c of change.replace) if (c.value !== null) props[c.name] = c.value;
    }
    if (!this.o.cache.getTopic(topic) && !(await zk.topicExists(topic)))
      throw new ApiError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${topic}' does not exist.`);
    for (const k of Object.keys(props))
      if (!(k in KNOWN_TOPIC))
        throw new ApiError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${k}`);
    for (const k of [LEADER_THROTTLED_REPLICAS, FOLLOWER_THROTTLED_REPLICAS]) {
      const err = props[k] === undefined ? null : throttledReplicaListError(k, props[k]);
      if (err) throw new ConfigValueError(err);
    }
    try {
      validateTopicOverrides(props);
      LogConfig.fromProperties(this.effectiveProps(), props);
    } catch (e) {
      throw new ConfigValueError((e as Error).message);
    }
    if (validateOnly) return;
    this.log.info(`Updating topic ${topic} with new configuration : ${JSON.stringify(props)}`);
    await zk.setEntityConfig('topics', topic, props, true);
    this.applyTopicConfig(topic, props);
  }

  private async alterBroker(
    name: string,
    change: { replace: Array<{ name: string; value: string | null }> } | { ops: AlterOp[] },
    validateOnly: boolean,
  ): Promise<void> {
    const perBroker = name !== '';
    if (perBroker) checkBrokerResourceName(name, this.o.brokerId);
    const entity = perBroker ? String(this.o.brokerId) : DEFAULT_ENTITY;
    const zk = this.o.zk;
    let props: Record<string, string>;
    if ('ops' in change) {
      props = await zk.getEntityConfig('brokers', entity);
      applyOps(
        props,
        change.ops,
        (n) => {
          const d = DYNAMIC_BROKER_CONFIGS[n];
          if (d) return d.kind === 'list' ? 'list' : 'other';
          return null;
        },
        (n) => DYNAMIC_BROKER_CONFIGS[n]?.dflt ?? undefined,
      );
    } else {
      props = {};
      for (const c of change.replace) if (c.value !== null) props[c.name] = c.value;
    }
    validateDynamicBrokerConfigs(props, this.state, perBroker);
    if (validateOnly) return;
    this.log.info(`Updating broker ${entity} with new configuration : ${JSON.stringify(props)}`);
    await zk.setEntityConfig('brokers', entity, props, true);
    this.applyBrokerConfig(entity, props);
  }
}

const KNOWN_TOPIC: Readonly<Record<string, true>> = Object.fromEntries(
  TOPIC_CONFIG_NAMES.map((n) => [n, true as const]),
);

/** ZkAdminManager.prepareIncrementalConfigs: SET, DELETE, APPEND and SUBTRACT (lists only). */
function applyOps(
  props: Record<string, string>,
  ops: readonly AlterOp[],
  typeOf: (name: string) => 'list' | 'other' | null,
  defaultOf: (name: string) => string | null | undefined,
): void {
  for (const o of ops) {
    switch (o.op) {
      case AlterOpType.SET:
        props[o.name] = o.value ?? '';
        break;
      case AlterOpType.DELETE:
        delete props[o.name];
        break;
      case AlterOpType.APPEND:
      case AlterOpType.SUBTRACT: {
        const verb = o.op === AlterOpType.APPEND ? 'append' : 'subtract';
        const t = typeOf(o.name);
        if (t === null) throw new ApiError(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${o.name}`);
        if (t !== 'list')
          throw new ApiError(
            ErrorCode.INVALID_REQUEST,
            `Config value ${verb} is not allowed for config key: ${o.name}`,
          );
        const old = (props[o.name] ?? defaultOf(o.name) ?? '').split(',');
        const given = (o.value ?? '').split(',');
        const next = o.op === AlterOpType.APPEND ? [...old, ...given] : subtractList(old, given);
        props[o.name] = next.join(',');
        break;
      }
      default:
        throw new ApiError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation type ${o.op}`);
    }
  }
}

/** Scala's List.diff: removes one occurrence per element of `remove`. */
function subtractList(list: string[], remove: string[]): string[] {
  const out = [...list];
  for (const r of remove) {
    const i = out.indexOf(r);
    if (i >= 0) out.splice(i, 1);
  }
  return out;
}

/** ConfigAdminManager.validateResourceNameIsCurrentNodeId */
function checkBrokerResourceName(name: string, brokerId: number): void {
  if (!/^[+-]?\d+$/.test(name.trim()))
    throw new ApiError(ErrorCode.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  if (Number(name.trim()) !== brokerId)
    throw new ApiError(
      ErrorCode.INVALID_REQUEST,
      `Unexpected broker id, expected ${brokerId}, but received ${name}`,
    );
}

interface AlterableResource {
  resourceType: number;
  resourceName: string;
  configs: Array<{ name: string; value: string | null; configOperation?: number }>;
}

/**
 * ConfigAdminManager.preprocess for both AlterConfigs APIs: a resource named twice → both
 * INVALID_REQUEST; duplicate keys in one resource; null values in non-DELETE incremental ops; a
 * broker resource naming another broker; BROKER_LOGGER in the legacy API. Returns the early
 * results by resource index.
 */
export function preprocessAlterResources(
  resources: readonly AlterableResource[],
  brokerId: number,
  incremental: boolean,
): Map<number, AlterResult> {
  const out = new Map<number, AlterResult>();
  const seen = new Map<string, number>();
  resources.forEach((r, i) => {
    const key = `${r.resourceType}\u0000${r.resourceName}`;
    const prev = seen.get(key);
    if (prev !== undefined) {
      const err = {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: 'Each resource must appear at most once.',
      };
      out.set(prev, err);
      out.set(i, err);
    }
    seen.set(key, i);
  });
  resources.forEach((r, i) => {
    if (out.has(i)) return;
    try {
      const names = r.configs.map((c) => c.name);
      if (new Set(names).size !== names.length)
        throw new ApiError(ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys');
      if (incremental) {
        const nulls = r.configs
          .filter((c) => c.configOperation !== AlterOpType.DELETE && c.value === null)
          .map((c) => c.name);
        if (nulls.length > 0)
          throw new ApiError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
      }
      if (r.resourceType === RESOURCE_TYPE.BROKER_LOGGER && !incremental)
        throw new ApiError(
          ErrorCode.INVALID_REQUEST,
          'AlterConfigs is deprecated and does not support the resource type BROKER_LOGGER',
        );
      if (r.resourceType === RESOURCE_TYPE.BROKER && r.resourceName !== '')
        checkBrokerResourceName(r.resourceName, brokerId);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      out.set(i, { errorCode: e.errorCode, errorMessage: e.message });
    }
  });
  return out;
}

// ---- DescribeConfigs of the cluster-default broker resource ------------------------------------

type DescribeConfigsHandler = ApiHandler<DescribeConfigsRequest, DescribeConfigsResponseInit>;
type DescribeConfigsResult = NonNullable<DescribeConfigsResponseInit['results']>[number];

/**
 * Wraps the DescribeConfigs handler so that a BROKER resource named "" describes the cluster-wide
 * default entity (`/config/brokers/<default>`: only its entries, each with its
 * DYNAMIC_DEFAULT_BROKER_CONFIG synonym), as Kafka's ConfigHelper does; everything else is
 * answered by the wrapped handler, results in request order.
 */
export function withClusterDefaultBrokerResource(
  inner: DescribeConfigsHandler,
  configs: ConfigManager,
): DescribeConfigsHandler {
  const isDefault = (r: DescribeConfigsRequest['resources'][number]) =>
    r.resourceType === RESOURCE_TYPE.BROKER && r.resourceName === '';
  return {
    ...inner,
    async handle(req, ctx) {
      if (!req.resources.some(isDefault)) return inner.handle(req, ctx);
      const others = req.resources.filter((r) => !isDefault(r));
      const innerRes =
        others.length > 0
          ? await inner.handle({ ...req, resources: others }, ctx)
          : { throttleTimeMs: 0, results: [] };
      const innerResults = [...(innerRes?.results ?? [])];
      const results: DescribeConfigsResult[] = req.resources.map((r) => {
        if (!isDefault(r)) return innerResults.shift()!;
        const keys = r.configurationKeys === null ? null : new Set(r.configurationKeys);
        return {
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          configs: configs
            .describeBroker(false)
            .filter((e) => keys === null || keys.has(e.name))
            .map((e) => ({
              name: e.name,
              value: e.sensitive ? null : e.value,
              readOnly: e.readOnly,
              isDefault: e.source === 5,
              configSource: e.source,
              isSensitive: e.sensitive,
              synonyms: ctx.apiVersion >= 1 && req.includeSynonyms ? e.synonyms.map((s) => ({ ...s })) : [],
              configType: e.type,
              documentation: null,
            })),
        };
      });
      return { throttleTimeMs: innerRes?.throttleTimeMs ?? 0, results };
    },
  };
}
