// Kafka's dynamic configuration rules (DynamicBrokerConfig, DynamicConfig.Broker, ConfigHelper):
// which broker configs may change at runtime, their types and defaults, how a broker config and
// a topic config are described (value, source, synonyms in Kafka's order), and the throttled
// replica lists (`leader./follower.replication.throttled.replicas`). Pure functions over a
// BrokerConfigState, so the ConfigManager, the handlers and the tests share one implementation.

import { CONFIG_KEYS } from '../server/kafka-config';
import { extractLogConfigMap, LogConfig, TOPIC_CONFIG_NAMES } from '../log/log-config';

/** Kafka's ConfigSource ids (DescribeConfigsResponse). */
export const ConfigSourceId = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;

/** The names the Java admin client prints for each source (ConfigEntry.ConfigSource). */
export const CONFIG_SOURCE_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_CONFIG',
  3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG',
  5: 'DEFAULT_CONFIG',
  6: 'DYNAMIC_BROKER_LOGGER_CONFIG',
};

/** The name of the cluster-wide default broker entity in ZooKeeper (`/config/brokers/<default>`). */
export const DEFAULT_ENTITY = '<default>';

export const LONG_MAX_STRING = '9223372036854775807';
/** Long.MAX_VALUE as a JS number (2^63, the nearest double): "unlimited" for the replication throttles. */
export const UNLIMITED_RATE = Number(LONG_MAX_STRING);

export const LEADER_THROTTLED_RATE = 'leader.replication.throttled.rate';
export const FOLLOWER_THROTTLED_RATE = 'follower.replication.throttled.rate';
export const ALTER_LOG_DIRS_RATE = 'replica.alter.log.dirs.io.max.bytes.per.second';
export const LEADER_THROTTLED_REPLICAS = 'leader.replication.throttled.replicas';
export const FOLLOWER_THROTTLED_REPLICAS = 'follower.replication.throttled.replicas';

type Kind = 'int' | 'long' | 'short' | 'double' | 'boolean' | 'string' | 'list' | 'password';

/** Kafka's ConfigType ids in DescribeConfigs v3+ (ConfigEntry.ConfigType). */
export const CONFIG_TYPE_ID: Readonly<Record<Kind, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};

interface DynamicKey {
  kind: Kind;
  /** KafkaConfig default; null = none (undefined values are not listed as DEFAULT_CONFIG synonyms) */
  dflt: string | null;
  /** Minimum for numeric keys. */
  min?: bigint;
  /** Feeds LogConfig (topic defaults); the ConfigManager re-applies these to every log. */
  log?: boolean;
  /** Not a KafkaConfig key: a quota config of DynamicConfig.Broker (no static default). */
  quota?: boolean;
}

/**
 * The broker configs Kafka 3.9 lets AlterConfigs change (DynamicBrokerConfig.AllDynamicConfigs plus
 * the replication quotas), restricted to what Samsa has a use for: the per-broker log defaults
 * (DynamicLogConfig: the primary broker synonym of every topic config except
 * log.message.format.version), the log cleaner and thread-pool sizes, and the throttles.
 */
export const DYNAMIC_BROKER_CONFIGS: Readonly<Record<string, DynamicKey>> = {
  // DynamicLogConfig.ReconfigurableConfigs
  'log.segment.bytes': { kind: 'int', dflt: '1073741824', min: 14n, log: true },
  'log.roll.ms': { kind: 'long', dflt: null, min: 1n, log: true },
  'log.roll.jitter.ms': { kind: 'long', dflt: null, min: 0n, log: true },
  'log.index.size.max.bytes': { kind: 'int', dflt: '10485760', min: 4n, log: true },
  'log.flush.interval.messages': { kind: 'long', dflt: LONG_MAX_STRING, min: 1n, log: true },
  'log.flush.interval.ms': { kind: 'long', dflt: null, log: true },
  'log.retention.bytes': { kind: 'long', dflt: '-1', log: true },
  'log.retention.ms': { kind: 'long', dflt: null, log: true },
  'message.max.bytes': { kind: 'int', dflt: '1048588', min: 0n, log: true },
  'log.index.interval.bytes': { kind: 'int', dflt: '4096', min: 0n, log: true },
  'log.cleaner.delete.retention.ms': { kind: 'long', dflt: '86400000', min: 0n, log: true },
  'log.cleaner.min.compaction.lag.ms': { kind: 'long', dflt: '0', min: 0n, log: true },
  'log.cleaner.max.compaction.lag.ms': { kind: 'long', dflt: LONG_MAX_STRING, min: 1n, log: true },
  'log.segment.delete.delay.ms': { kind: 'long', dflt: '60000', min: 0n, log: true },
  'log.cleaner.min.cleanable.ratio': { kind: 'double', dflt: '0.5', log: true },
  'log.cleanup.policy': { kind: 'list', dflt: 'delete', log: true },
  'unclean.leader.election.enable': { kind: 'boolean', dflt: 'false', log: true },
  'min.insync.replicas': { kind: 'int', dflt: '1', min: 1n, log: true },
  'compression.type': { kind: 'string', dflt: 'producer', log: true },
  'compression.gzip.level': { kind: 'int', dflt: '-1', log: true },
  'compression.lz4.level': { kind: 'int', dflt: '9', log: true },
  'compression.zstd.level': { kind: 'int', dflt: '3', log: true },
  'log.preallocate': { kind: 'boolean', dflt: 'false', log: true },
  'log.message.timestamp.type': { kind: 'string', dflt: 'CreateTime', log: true },
  'log.message.timestamp.difference.max.ms': { kind: 'long', dflt: LONG_MAX_STRING, min: 0n, log: true },
  'log.message.timestamp.before.max.ms': { kind: 'long', dflt: LONG_MAX_STRING, min: 0n, log: true },
  'log.message.timestamp.after.max.ms': { kind: 'long', dflt: LONG_MAX_STRING, min: 0n, log: true },
  'log.message.downconversion.enable': { kind: 'boolean', dflt: 'true', log: true },
  'log.local.retention.ms': { kind: 'long', dflt: '-2', min: -2n, log: true },
  'log.local.retention.bytes': { kind: 'long', dflt: '-2', min: -2n, log: true },
  // LogCleaner.ReconfigurableConfigs
  'log.cleaner.threads': { kind: 'int', dflt: '1', min: 0n },
  'log.cleaner.dedupe.buffer.size': { kind: 'long', dflt: '134217728' },
  'log.cleaner.io.buffer.load.factor': { kind: 'double', dflt: '0.9' },
  'log.cleaner.io.buffer.size': { kind: 'int', dflt: '524288', min: 0n },
  'log.cleaner.io.max.bytes.per.second': { kind: 'double', dflt: '1.7976931348623157E308' },
  'log.cleaner.backoff.ms': { kind: 'long', dflt: '15000', min: 0n },
  // DynamicThreadPool.ReconfigurableConfigs
  'num.io.threads': { kind: 'int', dflt: '8', min: 1n },
  'num.network.threads': { kind: 'int', dflt: '3', min: 1n },
  'num.replica.fetchers': { kind: 'int', dflt: '1', min: 1n },
  'num.recovery.threads.per.data.dir': { kind: 'int', dflt: '1', min: 1n },
  'background.threads': { kind: 'int', dflt: '10', min: 1n },
  // QuotaConfigs.brokerQuotaConfigs (DynamicConfig.Broker)
  [LEADER_THROTTLED_RATE]: { kind: 'long', dflt: null, min: 0n, quota: true },
  [FOLLOWER_THROTTLED_RATE]: { kind: 'long', dflt: null, min: 0n, quota: true },
  [ALTER_LOG_DIRS_RATE]: { kind: 'long', dflt: null, min: 0n, quota: true },
};

/**
 * Broker log keys that are KafkaConfig keys but not dynamic (only their primary synonym is), with
 * their defaults: they appear as synonyms (STATIC_BROKER_CONFIG / DEFAULT_CONFIG).
 */
const STATIC_LOG_KEYS: Readonly<Record<string, { kind: Kind; dflt: string | null }>> = {
  'log.roll.hours': { kind: 'int', dflt: '168' },
  'log.roll.jitter.hours': { kind: 'int', dflt: '0' },
  'log.flush.scheduler.interval.ms': { kind: 'long', dflt: LONG_MAX_STRING },
  'log.retention.minutes': { kind: 'int', dflt: null },
  'log.retention.hours': { kind: 'int', dflt: '168' },
  'log.message.format.version': { kind: 'string', dflt: '3.0-IV1' },
};

/** Topic config → its broker synonyms, primary first (ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS). */
export const TOPIC_CONFIG_SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  'segment.bytes': ['log.segment.bytes'],
  'segment.ms': ['log.roll.ms', 'log.roll.hours'],
  'segment.jitter.ms': ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  'segment.index.bytes': ['log.index.size.max.bytes'],
  'flush.messages': ['log.flush.interval.messages'],
  'flush.ms': ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  'retention.bytes': ['log.retention.bytes'],
  'retention.ms': ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
  'max.message.bytes': ['message.max.bytes'],
  'index.interval.bytes': ['log.index.interval.bytes'],
  'delete.retention.ms': ['log.cleaner.delete.retention.ms'],
  'min.compaction.lag.ms': ['log.cleaner.min.compaction.lag.ms'],
  'max.compaction.lag.ms': ['log.cleaner.max.compaction.lag.ms'],
  'file.delete.delay.ms': ['log.segment.delete.delay.ms'],
  'min.cleanable.dirty.ratio': ['log.cleaner.min.cleanable.ratio'],
  'cleanup.policy': ['log.cleanup.policy'],
  'unclean.leader.election.enable': ['unclean.leader.election.enable'],
  'min.insync.replicas': ['min.insync.replicas'],
  'compression.type': ['compression.type'],
  'compression.gzip.level': ['compression.gzip.level'],
  'compression.lz4.level': ['compression.lz4.level'],
  'compression.zstd.level': ['compression.zstd.level'],
  preallocate: ['log.preallocate'],
  'message.format.version': ['log.message.format.version'],
  'message.timestamp.type': ['log.message.timestamp.type'],
  'message.timestamp.difference.max.ms': ['log.message.timestamp.difference.max.ms'],
  'message.timestamp.before.max.ms': ['log.message.timestamp.before.max.ms'],
  'message.timestamp.after.max.ms': ['log.message.timestamp.after.max.ms'],
  'message.downconversion.enable': ['log.message.downconversion.enable'],
  'local.retention.ms': ['log.local.retention.ms'],
  'local.retention.bytes': ['log.local.retention.bytes'],
};

/** Topic config types (LogConfig's ConfigDef), for DescribeConfigs' config_type. */
const TOPIC_CONFIG_KINDS: Readonly<Record<string, Kind>> = {
  'segment.bytes': 'int',
  'segment.ms': 'long',
  'segment.jitter.ms': 'long',
  'segment.index.bytes': 'int',
  'flush.messages': 'long',
  'flush.ms': 'long',
  'retention.bytes': 'long',
  'retention.ms': 'long',
  'max.message.bytes': 'int',
  'index.interval.bytes': 'int',
  'delete.retention.ms': 'long',
  'min.compaction.lag.ms': 'long',
  'max.compaction.lag.ms': 'long',
  'file.delete.delay.ms': 'long',
  'min.cleanable.dirty.ratio': 'double',
  'cleanup.policy': 'list',
  'unclean.leader.election.enable': 'boolean',
  'min.insync.replicas': 'int',
  'compression.type': 'string',
  'compression.gzip.level': 'int',
  'compression.lz4.level': 'int',
  'compression.zstd.level': 'int',
  preallocate: 'boolean',
  'message.format.version': 'string',
  'message.timestamp.type': 'string',
  'message.timestamp.difference.max.ms': 'long',
  'message.timestamp.before.max.ms': 'long',
  'message.timestamp.after.max.ms': 'long',
  [LEADER_THROTTLED_REPLICAS]: 'list',
  [FOLLOWER_THROTTLED_REPLICAS]: 'list',
  'message.downconversion.enable': 'boolean',
  'remote.storage.enable': 'boolean',
  'local.retention.ms': 'long',
  'local.retention.bytes': 'long',
};

export function isTopicListConfig(name: string): boolean {
  return TOPIC_CONFIG_KINDS[name] === 'list';
}

/** A topic config's Kafka default in text form, or undefined for unknown names. */
export function topicConfigDefault(name: string): string | undefined {
  return LogConfig.of().get(name);
}

export function isDynamicBrokerConfig(name: string): boolean {
  return name in DYNAMIC_BROKER_CONFIGS;
}

/** Kafka knows the key as a broker config (KafkaConfig.configNames): static unless dynamic. */
function isKnownBrokerConfig(name: string): boolean {
  return name in CONFIG_KEYS || name in DYNAMIC_BROKER_CONFIGS || name in STATIC_LOG_KEYS;
}

function brokerKind(name: string): Kind | undefined {
  return (
    DYNAMIC_BROKER_CONFIGS[name]?.kind ??
    STATIC_LOG_KEYS[name]?.kind ??
    (CONFIG_KEYS[name]?.kind as Kind | undefined)
  );
}

/** KafkaConfig's default for a broker key (null when it has none; undefined when unknown). */
export function brokerConfigDefault(name: string): string | null | undefined {
  if (name in DYNAMIC_BROKER_CONFIGS)
    return DYNAMIC_BROKER_CONFIGS[name].quota ? undefined : DYNAMIC_BROKER_CONFIGS[name].dflt;
  if (name in STATIC_LOG_KEYS) return STATIC_LOG_KEYS[name].dflt;
  if (name in CONFIG_KEYS) return CONFIG_KEYS[name].dflt ?? null;
  return undefined;
}

/** DynamicBrokerConfig.brokerConfigSynonyms: names whose value a broker config may come from. */
export function brokerConfigSynonyms(name: string): string[] {
  switch (name) {
    case 'log.roll.ms':
    case 'log.roll.hours':
      return ['log.roll.ms', 'log.roll.hours'];
    case 'log.roll.jitter.ms':
    case 'log.roll.jitter.hours':
      return ['log.roll.jitter.ms', 'log.roll.jitter.hours'];
    case 'log.flush.interval.ms':
      return ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'];
    case 'log.retention.ms':
    case 'log.retention.minutes':
    case 'log.retention.hours':
      return ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'];
    default:
      return [name];
  }
}

/** A broker's config layers: server.properties, `/config/brokers/<default>`, `/config/brokers/<id>`. */
export interface BrokerConfigState {
  staticProps: Readonly<Record<string, string>>;
  dynamicDefault: Readonly<Record<string, string>>;
  dynamicBroker: Readonly<Record<string, string>>;
}

/** Static props overridden by the cluster default, overridden by this broker's own dynamic configs. */
export function effectiveBrokerProps(s: BrokerConfigState): Record<string, string> {
  return { ...s.staticProps, ...s.dynamicDefault, ...s.dynamicBroker };
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  sensitive: boolean;
  type: number;
  synonyms: ConfigSynonym[];
}

/**
 * ConfigHelper.configSynonyms: the values of `synonyms` in every layer (per-broker dynamic, cluster
 * default, static, KafkaConfig default — in that order), then everything before the first entry
 * named `name` is dropped (so e.g. log.retention.hours never explains log.retention.ms).
 */
export function configSynonyms(
  s: BrokerConfigState,
  name: string,
  synonyms: readonly string[],
  sensitive = false,
): ConfigSynonym[] {
  const out: ConfigSynonym[] = [];
  const add = (map: Readonly<Record<string, string | null | undefined>>, source: number) => {
    for (const n of synonyms) {
      const v = map[n];
      if (v !== undefined && v !== null) out.push({ name: n, value: sensitive ? null : v, source });
    }
  };
  add(s.dynamicBroker, ConfigSourceId.DYNAMIC_BROKER_CONFIG);
  add(s.dynamicDefault, ConfigSourceId.DYNAMIC_DEFAULT_BROKER_CONFIG);
  add(s.staticProps, ConfigSourceId.STATIC_BROKER_CONFIG);
  const defaults: Record<string, string | null | undefined> = {};
  for (const n of synonyms) defaults[n] = brokerConfigDefault(n);
  add(defaults, ConfigSourceId.DEFAULT_CONFIG);
  const first = out.findIndex((e) => e.name === name);
  return first < 0 ? [] : out.slice(first);
}

/**
 * One topic config as DescribeConfigs reports it (ConfigHelper.createTopicConfigEntry): the
 * effective value, the topic override (if any) then the broker synonyms, and the source of the
 * first synonym (DEFAULT_CONFIG when there is none).
 */
export function describeTopicConfigs(
  s: BrokerConfigState,
  overrides: Readonly<Record<string, string>>,
): DescribedConfig[] {
  const lc = LogConfig.fromProperties(effectiveBrokerProps(s), overrides);
  return [...TOPIC_CONFIG_NAMES].sort().map((name) => {
    const value = lc.get(name) ?? null;
    const primary = TOPIC_CONFIG_SYNONYMS[name]?.[0];
    const synonyms = primary ? configSynonyms(s, primary, brokerConfigSynonyms(primary)) : [];
    if (overrides[name] !== undefined)
      synonyms.unshift({ name, value, source: ConfigSourceId.DYNAMIC_TOPIC_CONFIG });
    return {
      name,
      value,
      source: synonyms.length > 0 ? synonyms[0].source : ConfigSourceId.DEFAULT_CONFIG,
      readOnly: false,
      sensitive: false,
      type: CONFIG_TYPE_ID[TOPIC_CONFIG_KINDS[name] ?? 'string'],
      synonyms,
    };
  });
}

/**
 * A broker's configs as DescribeConfigs reports them (ConfigHelper.createBrokerConfigEntry).
 * perBroker: every config this broker knows, valued as currently in effect; otherwise (the
 * cluster-default resource, name "") only the `<default>` entity's entries, with
 * DYNAMIC_DEFAULT_BROKER_CONFIG synonyms only.
 */
export function describeBrokerConfigs(s: BrokerConfigState, perBroker: boolean): DescribedConfig[] {
  const names = perBroker
    ? new Set([
        ...Object.keys(CONFIG_KEYS),
        ...Object.keys(DYNAMIC_BROKER_CONFIGS).filter((n) => !DYNAMIC_BROKER_CONFIGS[n].quota),
        ...Object.keys(STATIC_LOG_KEYS),
        ...Object.keys(s.staticProps),
        ...Object.keys(s.dynamicDefault),
        ...Object.keys(s.dynamicBroker),
      ])
    : new Set(Object.keys(s.dynamicDefault));
  const effective = effectiveBrokerProps(s);
  return [...names].sort().map((name) => {
    const kind = brokerKind(name);
    const sensitive = kind === 'password';
    let value: string | null;
    if (perBroker) value = effective[name] ?? brokerConfigDefault(name) ?? null;
    else value = s.dynamicDefault[name] ?? null;
    const synonyms = configSynonyms(s, name, brokerConfigSynonyms(name), sensitive).filter(
      (e) => perBroker || e.source === ConfigSourceId.DYNAMIC_DEFAULT_BROKER_CONFIG,
    );
    return {
      name,
      value: sensitive ? null : value,
      source: synonyms.length > 0 ? synonyms[0].source : ConfigSourceId.DEFAULT_CONFIG,
      readOnly: !isDynamicBrokerConfig(name),
      sensitive,
      type: kind ? CONFIG_TYPE_ID[kind] : 0,
      synonyms,
    };
  });
}

// ---- validation ------------------------------------------------------------------------------

/** A Java ConfigException (value/type problems): AlterConfigs reports it with a resource prefix. */
export class ConfigValueError extends Error {}

const INT_RANGE = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const LONG_RANGE = [-(2n ** 63n), 2n ** 63n - 1n] as const;

function checkValue(name: string, kind: Kind, raw: string, min?: bigint): void {
  const bad = (why: string) => new ConfigValueError(`Invalid value ${raw} for configuration ${name}: ${why}`);
  const s = raw.trim();
  switch (kind) {
    case 'int':
    case 'short':
    case 'long': {
      const t = kind === 'long' ? 'LONG' : kind === 'int' ? 'INT' : 'SHORT';
      const range = kind === 'long' ? LONG_RANGE : kind === 'int' ? INT_RANGE : ([-32768n, 32767n] as const);
      if (!/^[+-]?\d+$/.test(s)) throw bad(`Not a number of type ${t}`);
      const v = BigInt(s);
      if (v < range[0] || v > range[1]) throw bad(`Not a number of type ${t}`);
      if (min !== undefined && v < min) throw bad(`Value must be at least ${min}`);
      return;
    }
    case 'double':
      if (s === '' || Number.isNaN(Number(s))) throw bad('Not a number of type DOUBLE');
      return;
    case 'boolean':
      if (!/^(true|false)$/i.test(s)) throw bad('Expected value to be either true or false');
      return;
    default:
      return;
  }
}

/**
 * DynamicBrokerConfig.validate for an AlterConfigs of a broker resource: every key Kafka knows must
 * be dynamically updatable ("Cannot update these configs dynamically: Set(a, b)"), values must
 * parse, and the resulting log defaults must make a valid LogConfig. Unknown keys are allowed
 * (Kafka's custom broker configs). Throws ConfigValueError.
 */
export function validateDynamicBrokerConfigs(
  props: Readonly<Record<string, string>>,
  state: BrokerConfigState,
  perBroker: boolean,
): void {
  const nonDynamic = Object.keys(props).filter((k) => isKnownBrokerConfig(k) && !isDynamicBrokerConfig(k));
  if (nonDynamic.length > 0)
    throw new ConfigValueError(`Cannot update these configs dynamically: Set(${nonDynamic.join(', ')})`);
  for (const [k, v] of Object.entries(props)) {
    const def = DYNAMIC_BROKER_CONFIGS[k];
    if (def) checkValue(k, def.kind, v, def.min);
  }
  // The new effective configuration must still resolve (processReconfiguration, validateOnly).
  const merged = perBroker
    ? { ...state.staticProps, ...state.dynamicDefault, ...props }
    : { ...state.staticProps, ...props, ...state.dynamicBroker };
  try {
    LogConfig.fromProperties(extractLogProps(merged));
    extractLogConfigMap(merged);
  } catch (e) {
    throw new ConfigValueError((e as Error).message);
  }
}

/** The log-related part of broker props (the keys LogConfig reads). */
function extractLogProps(props: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props))
    if (k.startsWith('log.') || DYNAMIC_BROKER_CONFIGS[k]?.log) out[k] = v;
  return out;
}

/**
 * ThrottledReplicaListValidator: `*` or a comma-separated list of `partitionId:brokerId` (blank
 * entries and whitespace tolerated). Returns the ConfigException message, or null when valid.
 */
export function throttledReplicaListError(name: string, value: string): string | null {
  const items = value.split(',').map((s) => s.trim());
  const ok = items.every((s) => /^([0-9]+:[0-9]+)?$/.test(s)) || items.join(',') === '*';
  if (ok) return null;
  return `Invalid value [${items.join(', ')}] for configuration ${name}: ${name} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
}

/**
 * The partitions of a topic throttled on `brokerId` (TopicConfigHandler.parseThrottledPartitions):
 * 'all' for `*`, else the partition ids whose entry names this broker.
 */
export function parseThrottledPartitions(value: string | undefined, brokerId: number): 'all' | number[] {
  const v = (value ?? '').trim();
  if (v === '') return [];
  if (v === '*') return 'all';
  if (throttledReplicaListError('', v) !== null) return [];
  const out: number[] = [];
  for (const item of v.split(',')) {
    const [p, b] = item.trim().split(':');
    if (p === undefined || b === undefined || p === '' || b === '') continue;
    if (Number(b) === brokerId) out.push(Number(p));
  }
  return out;
}
