// Per-topic log settings (Kafka's LogConfig) and the broker-wide settings of the log manager.
// Topic configs use Kafka's topic-level names (segment.bytes, retention.ms, ...); broker defaults
// come from the broker's `log.*` names (log.segment.bytes, log.roll.hours, ...), resolved the way
// KafkaConfig.extractLogConfigMap does, then topic overrides win. Values are parsed like Java's
// ConfigDef (trimmed, int32/int64 ranges enforced) and errors name the offending key.
// Long.MAX_VALUE ("never", the flush defaults) is kept exact in the string form returned by
// `get()` for DescribeConfigs; the numeric fields hold it as a float, which compares correctly.

import { InvalidConfigurationError } from './errors';

export const LONG_MAX = 9223372036854775807n;
const LONG_MIN = -9223372036854775808n;
const INT_MAX = 2147483647n;
const INT_MIN = -2147483648n;
const LONG_MAX_STRING = LONG_MAX.toString();

type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list';
type Parsed = bigint | number | boolean | string | string[];
/** Returns why the value is invalid, or null. */
type Validator = (v: Parsed) => string | null;

interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  readonly defaultValue: string;
  readonly validator?: Validator;
}

const atLeast =
  (min: bigint | number): Validator =>
  (v) =>
    (v as bigint | number) < min ? `Value must be at least ${min}` : null;
const between =
  (min: bigint | number, max: bigint | number): Validator =>
  (v) => {
    if ((v as bigint | number) < min) return `Value must be no less than ${min}`;
    if ((v as bigint | number) > max) return `Value must be no more than ${max}`;
    return null;
  };
const oneOf =
  (...allowed: string[]): Validator =>
  (v) =>
    allowed.includes(v as string) ? null : `String must be one of: ${allowed.join(', ')}`;
const listOf =
  (...allowed: string[]): Validator =>
  (v) => {
    for (const item of v as string[]) {
      if (!allowed.includes(item)) return `String must be one of: ${allowed.join(', ')}`;
    }
    return null;
  };
const gzipLevel: Validator = (v) =>
  v === -1n || ((v as bigint) >= 1n && (v as bigint) <= 9n) ? null : 'Value must be -1 or in [1, 9]';

/** Topic-level configs Kafka 3.9 knows (TopicConfig), with defaults and validators. */
const TOPIC_CONFIG_DEFS: readonly ConfigDef[] = [
  { name: 'segment.bytes', type: 'int', defaultValue: '1073741824', validator: atLeast(14n) },
  { name: 'segment.ms', type: 'long', defaultValue: '604800000', validator: atLeast(1n) },
  { name: 'segment.jitter.ms', type: 'long', defaultValue: '0', validator: atLeast(0n) },
  { name: 'segment.index.bytes', type: 'int', defaultValue: '10485760', validator: atLeast(4n) },
  { name: 'flush.messages', type: 'long', defaultValue: LONG_MAX_STRING, validator: atLeast(1n) },
  { name: 'flush.ms', type: 'long', defaultValue: LONG_MAX_STRING, validator: atLeast(0n) },
  { name: 'retention.bytes', type: 'long', defaultValue: '-1' },
  { name: 'retention.ms', type: 'long', defaultValue: '604800000', validator: atLeast(-1n) },
  { name: 'max.message.bytes', type: 'int', defaultValue: '1048588', validator: atLeast(0n) },
  { name: 'index.interval.bytes', type: 'int', defaultValue: '4096', validator: atLeast(0n) },
  { name: 'delete.retention.ms', type: 'long', defaultValue: '86400000', validator: atLeast(0n) },
  { name: 'min.compaction.lag.ms', type: 'long', defaultValue: '0', validator: atLeast(0n) },
  { name: 'max.compaction.lag.ms', type: 'long', defaultValue: LONG_MAX_STRING, validator: atLeast(1n) },
  { name: 'file.delete.delay.ms', type: 'long', defaultValue: '60000', validator: atLeast(0n) },
  { name: 'min.cleanable.dirty.ratio', type: 'double', defaultValue: '0.5', validator: between(0, 1) },
  { name: 'cleanup.policy', type: 'list', defaultValue: 'delete', validator: listOf('compact', 'delete') },
  { name: 'unclean.leader.election.enable', type: 'boolean', defaultValue: 'false' },
  { name: 'min.insync.replicas', type: 'int', defaultValue: '1', validator: atLeast(1n) },
  {
    name: 'compression.type',
    type: 'string',
    defaultValue: 'producer',
    validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'),
  },
  { name: 'compression.gzip.level', type: 'int', defaultValue: '-1', validator: gzipLevel },
  { name: 'compression.lz4.level', type: 'int', defaultValue: '9', validator: between(1n, 17n) },
  { name: 'compression.zstd.level', type: 'int', defaultValue: '3', validator: between(-131072n, 22n) },
  { name: 'preallocate', type: 'boolean', defaultValue: 'false' },
  // Ignored since IBP 3.0 (the on-disk format is always v2); accepted for compatibility.
  { name: 'message.format.version', type: 'string', defaultValue: '3.0-IV1' },
  {
    name: 'message.timestamp.type',
    type: 'string',
    defaultValue: 'CreateTime',
    validator: oneOf('CreateTime', 'LogAppendTime'),
  },
  {
    name: 'message.timestamp.difference.max.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(0n),
  },
  {
    name: 'message.timestamp.before.max.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(0n),
  },
  {
    name: 'message.timestamp.after.max.ms',
    type: 'long',
    defaultValue: LONG_MAX_STRING,
    validator: atLeast(0n),
  },
  { name: 'leader.replication.throttled.replicas', type: 'list', defaultValue: '' },
  { name: 'follower.replication.throttled.replicas', type: 'list', defaultValue: '' },
  { name: 'message.downconversion.enable', type: 'boolean', defaultValue: 'true' },
  { name: 'remote.storage.enable', type: 'boolean', defaultValue: 'false' },
  { name: 'local.retention.ms', type: 'long', defaultValue: '-2', validator: atLeast(-2n) },
  { name: 'local.retention.bytes', type: 'long', defaultValue: '-2', validator: atLeast(-2n) },
];

const TOPIC_DEFS_BY_NAME = new Map(TOPIC_CONFIG_DEFS.map((d) => [d.name, d]));

/** Every topic-level config name, for CreateTopics/AlterConfigs validation and DescribeConfigs. */
export const TOPIC_CONFIG_NAMES: readonly string[] = TOPIC_CONFIG_DEFS.map((d) => d.name);

/** Broker property whose value is the default of a topic config of the same meaning. */
const BROKER_SYNONYMS: Readonly<Record<string, string>> = {
  'segment.bytes': 'log.segment.bytes',
  'segment.index.bytes': 'log.index.size.max.bytes',
  'flush.messages': 'log.flush.interval.messages',
  'retention.bytes': 'log.retention.bytes',
  'max.message.bytes': 'message.max.bytes',
  'index.interval.bytes': 'log.index.interval.bytes',
  'delete.retention.ms': 'log.cleaner.delete.retention.ms',
  'min.compaction.lag.ms': 'log.cleaner.min.compaction.lag.ms',
  'max.compaction.lag.ms': 'log.cleaner.max.compaction.lag.ms',
  'file.delete.delay.ms': 'log.segment.delete.delay.ms',
  'min.cleanable.dirty.ratio': 'log.cleaner.min.cleanable.ratio',
  'cleanup.policy': 'log.cleanup.policy',
  'unclean.leader.election.enable': 'unclean.leader.election.enable',
  'min.insync.replicas': 'min.insync.replicas',
  'compression.type': 'compression.type',
  'compression.gzip.level': 'compression.gzip.level',
  'compression.lz4.level': 'compression.lz4.level',
  'compression.zstd.level': 'compression.zstd.level',
  preallocate: 'log.preallocate',
  'message.format.version': 'log.message.format.version',
  'message.timestamp.type': 'log.message.timestamp.type',
  'message.timestamp.difference.max.ms': 'log.message.timestamp.difference.max.ms',
  'message.timestamp.before.max.ms': 'log.message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms': 'log.message.timestamp.after.max.ms',
  'message.downconversion.enable': 'log.message.downconversion.enable',
  'local.retention.ms': 'log.local.retention.ms',
  'local.retention.bytes': 'log.local.retention.bytes',
};

/** Broker keys that are given in a coarser unit; the first one present wins. */
interface ScaledBrokerKey {
  readonly key: string;
  readonly type: 'int' | 'long';
  readonly scale: bigint;
  readonly validator?: Validator;
}
const SCALED_SYNONYMS: Readonly<Record<string, readonly ScaledBrokerKey[]>> = {
  'segment.ms': [
    { key: 'log.roll.ms', type: 'long', scale: 1n, validator: atLeast(1n) },
    { key: 'log.roll.hours', type: 'int', scale: 3600000n, validator: atLeast(1n) },
  ],
  'segment.jitter.ms': [
    { key: 'log.roll.jitter.ms', type: 'long', scale: 1n, validator: atLeast(0n) },
    { key: 'log.roll.jitter.hours', type: 'int', scale: 3600000n, validator: atLeast(0n) },
  ],
  'flush.ms': [
    { key: 'log.flush.interval.ms', type: 'long', scale: 1n, validator: atLeast(0n) },
    { key: 'log.flush.scheduler.interval.ms', type: 'long', scale: 1n },
  ],
  'retention.ms': [
    { key: 'log.retention.ms', type: 'long', scale: 1n },
    { key: 'log.retention.minutes', type: 'int', scale: 60000n },
    { key: 'log.retention.hours', type: 'int', scale: 3600000n },
  ],
};

function configError(key: string, value: string, reason: string): InvalidConfigurationError {
  return new InvalidConfigurationError(key, `Invalid value ${value} for configuration ${key}: ${reason}`);
}

function parseInteger(key: string, raw: string, min: bigint, max: bigint, typeName: string): bigint {
  const s = raw.trim();
  if (!/^[+-]?\d+$/.test(s)) throw configError(key, raw, `Not a number of type ${typeName}`);
  const v = BigInt(s);
  if (v < min || v > max) throw configError(key, raw, `Not a number of type ${typeName}`);
  return v;
}

/** Parses one value like Java's ConfigDef.parseType, then applies the validator. */
function parseValue(key: string, type: ConfigType, raw: string, validator?: Validator): Parsed {
  let v: Parsed;
  switch (type) {
    case 'int':
      v = parseInteger(key, raw, INT_MIN, INT_MAX, 'INT');
      break;
    case 'long':
      v = parseInteger(key, raw, LONG_MIN, LONG_MAX, 'LONG');
      break;
    case 'double': {
      const s = raw.trim();
      const n = s === '' ? NaN : Number(s);
      if (Number.isNaN(n)) throw configError(key, raw, 'Not a number of type DOUBLE');
      v = n;
      break;
    }
    case 'boolean': {
      const s = raw.trim().toLowerCase();
      if (s !== 'true' && s !== 'false')
        throw configError(key, raw, 'Expected value to be either true or false');
      v = s === 'true';
      break;
    }
    case 'string':
      v = raw.trim();
      break;
    case 'list': {
      const s = raw.trim();
      v = s === '' ? [] : s.split(/\s*,\s*/);
      break;
    }
  }
  const problem = validator?.(v);
  if (problem) throw configError(key, raw, problem);
  return v;
}

/** Canonical text of a parsed value (what DescribeConfigs reports). */
function formatValue(type: ConfigType, v: Parsed): string {
  if (type === 'list') return (v as string[]).join(',');
  if (type === 'double') {
    const n = v as number;
    return Number.isInteger(n) ? n.toFixed(1) : String(n);
  }
  return String(v);
}

type Source = 'topic' | 'broker' | 'default';

/**
 * Turns broker properties into topic-named values (Kafka's extractLogConfigMap). Only settings
 * present in `broker` are returned; broker-key errors name the broker key.
 */
export function extractLogConfigMap(broker: Readonly<Record<string, string>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [topicKey, brokerKey] of Object.entries(BROKER_SYNONYMS)) {
    const raw = broker[brokerKey];
    if (raw === undefined) continue;
    const def = TOPIC_DEFS_BY_NAME.get(topicKey)!;
    out.set(topicKey, formatValue(def.type, parseValue(brokerKey, def.type, raw, def.validator)));
  }
  for (const [topicKey, keys] of Object.entries(SCALED_SYNONYMS)) {
    const given = keys.find((k) => broker[k.key] !== undefined);
    if (!given) continue;
    const raw = broker[given.key];
    let ms = (parseValue(given.key, given.type, raw, given.validator) as bigint) * given.scale;
    if (topicKey === 'retention.ms') {
      // KafkaConfig.logRetentionTimeMillis: any negative value means unlimited; 0 is refused.
      if (ms < 0n) ms = -1n;
      if (ms === 0n) {
        throw new InvalidConfigurationError(
          given.key,
          `Invalid value ${raw} for configuration ${given.key}: log.retention.ms must be unlimited (-1) or, equal or greater than 1`,
        );
      }
    }
    if (ms > LONG_MAX) ms = LONG_MAX;
    out.set(topicKey, ms.toString());
  }
  return out;
}

/**
 * Rejects unknown topic config names and invalid values (CreateTopics / AlterConfigs). Kafka
 * answers INVALID_CONFIG with "Unknown topic config name: x".
 */
export function validateTopicOverrides(overrides: Readonly<Record<string, string>>): void {
  for (const [key, raw] of Object.entries(overrides)) {
    const def = TOPIC_DEFS_BY_NAME.get(key);
    if (!def) throw new InvalidConfigurationError(key, `Unknown topic config name: ${key}`);
    parseValue(key, def.type, raw, def.validator);
  }
  LogConfig.fromProperties({}, overrides);
}

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export class LogConfig {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  readonly segmentJitterMs: number;
  readonly segmentIndexBytes: number;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly maxMessageBytes: number;
  readonly indexIntervalBytes: number;
  readonly deleteRetentionMs: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
  readonly fileDeleteDelayMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly cleanupPolicy: readonly string[];
  readonly uncleanLeaderElectionEnable: boolean;
  readonly minInSyncReplicas: number;
  readonly compressionType: string;
  readonly compressionGzipLevel: number;
  readonly compressionLz4Level: number;
  readonly compressionZstdLevel: number;
  readonly preallocate: boolean;
  readonly messageFormatVersion: string;
  readonly messageTimestampType: TimestampType;
  readonly messageTimestampDifferenceMaxMs: number;
  /** message.timestamp.before.max.ms, falling back to the deprecated difference setting as Kafka does. */
  readonly messageTimestampBeforeMaxMs: number;
  readonly messageTimestampAfterMaxMs: number;
  readonly leaderReplicationThrottledReplicas: readonly string[];
  readonly followerReplicationThrottledReplicas: readonly string[];
  readonly messageDownconversionEnable: boolean;
  readonly remoteStorageEnable: boolean;
  readonly localRetentionMs: number;
  readonly localRetentionBytes: number;

  /** flush.messages as an exact bigint, or null when it is too large to ever trigger. */
  readonly flushMessagesBig: bigint | null;

  private readonly effective: ReadonlyMap<string, string>;
  private readonly sources: ReadonlyMap<string, Source>;
  private readonly brokerDerived: ReadonlyMap<string, string>;

  private constructor(brokerDerived: Map<string, string>, topicOverrides: Readonly<Record<string, string>>) {
    const values = new Map<string, Parsed>();
    const effective = new Map<string, string>();
    const sources = new Map<string, Source>();
    for (const def of TOPIC_CONFIG_DEFS) {
      let raw = def.defaultValue;
      let source: Source = 'default';
      if (topicOverrides[def.name] !== undefined) {
        raw = topicOverrides[def.name];
        source = 'topic';
      } else if (brokerDerived.has(def.name)) {
        raw = brokerDerived.get(def.name)!;
        source = 'broker';
      }
      const v = parseValue(def.name, def.type, raw, def.validator);
      values.set(def.name, v);
      effective.set(def.name, formatValue(def.type, v));
      sources.set(def.name, source);
    }
    const num = (k: string): number => Number(values.get(k) as bigint | number);
    const bool = (k: string): boolean => values.get(k) as boolean;
    const str = (k: string): string => values.get(k) as string;
    const list = (k: string): readonly string[] => Object.freeze([...(values.get(k) as string[])]);

    this.segmentBytes = num('segment.bytes');
    this.segmentMs = num('segment.ms');
    this.segmentJitterMs = num('segment.jitter.ms');
    this.segmentIndexBytes = num('segment.index.bytes');
    this.flushMessages = num('flush.messages');
    this.flushMs = num('flush.ms');
    this.retentionBytes = num('retention.bytes');
    this.retentionMs = num('retention.ms');
    this.maxMessageBytes = num('max.message.bytes');
    this.indexIntervalBytes = num('index.interval.bytes');
    this.deleteRetentionMs = num('delete.retention.ms');
    this.minCompactionLagMs = num('min.compaction.lag.ms');
    this.maxCompactionLagMs = num('max.compaction.lag.ms');
    this.fileDeleteDelayMs = num('file.delete.delay.ms');
    this.minCleanableDirtyRatio = num('min.cleanable.dirty.ratio');
    this.cleanupPolicy = list('cleanup.policy');
    this.uncleanLeaderElectionEnable = bool('unclean.leader.election.enable');
    this.minInSyncReplicas = num('min.insync.replicas');
    this.compressionType = str('compression.type');
    this.compressionGzipLevel = num('compression.gzip.level');
    this.compressionLz4Level = num('compression.lz4.level');
    this.compressionZstdLevel = num('compression.zstd.level');
    this.preallocate = bool('preallocate');
    this.messageFormatVersion = str('message.format.version');
    this.messageTimestampType = str('message.timestamp.type') as TimestampType;
    this.messageTimestampDifferenceMaxMs = num('message.timestamp.difference.max.ms');
    const before = values.get('message.timestamp.before.max.ms') as bigint;
    const after = values.get('message.timestamp.after.max.ms') as bigint;
    this.messageTimestampBeforeMaxMs =
      before !== LONG_MAX ? Number(before) : this.messageTimestampDifferenceMaxMs;
    this.messageTimestampAfterMaxMs =
      after !== LONG_MAX ? Number(after) : this.messageTimestampDifferenceMaxMs;
    this.leaderReplicationThrottledReplicas = list('leader.replication.throttled.replicas');
    this.followerReplicationThrottledReplicas = list('follower.replication.throttled.replicas');
    this.messageDownconversionEnable = bool('message.downconversion.enable');
    this.remoteStorageEnable = bool('remote.storage.enable');
    this.localRetentionMs = num('local.retention.ms');
    this.localRetentionBytes = num('local.retention.bytes');

    const flushMessages = values.get('flush.messages') as bigint;
    this.flushMessagesBig = flushMessages >= BigInt(Number.MAX_SAFE_INTEGER) ? null : flushMessages;

    if (this.minCompactionLagMs > this.maxCompactionLagMs) {
      throw new InvalidConfigurationError(
        'min.compaction.lag.ms',
        `conflict topic config setting min.compaction.lag.ms (${this.minCompactionLagMs}) > max.compaction.lag.ms (${this.maxCompactionLagMs})`,
      );
    }
    this.effective = effective;
    this.sources = sources;
    this.brokerDerived = brokerDerived;
  }

  /**
   * Effective config of a topic: Kafka defaults, overridden by the broker's `log.*` settings,
   * overridden by the topic's own configs. Unknown topic keys are ignored here (configs written by
   * newer Kafka versions must not stop the log from loading); use validateTopicOverrides() to
   * reject them on CreateTopics/AlterConfigs.
   */
  static fromProperties(
    brokerDefaults: Readonly<Record<string, string>> = {},
    topicOverrides: Readonly<Record<string, string>> = {},
  ): LogConfig {
    return new LogConfig(extractLogConfigMap(brokerDefaults), topicOverrides);
  }

  /** Kafka's defaults with only the given topic configs set (handy in tests). */
  static of(topicOverrides: Readonly<Record<string, string>> = {}): LogConfig {
    return new LogConfig(new Map(), topicOverrides);
  }

  /** The same broker defaults with a different set of topic overrides. */
  withTopicOverrides(topicOverrides: Readonly<Record<string, string>>): LogConfig {
    return new LogConfig(new Map(this.brokerDerived), topicOverrides);
  }

  /** Effective value of a topic config in Kafka's text form, or undefined for unknown names. */
  get(name: string): string | undefined {
    return this.effective.get(name);
  }

  /** Where the effective value came from (DescribeConfigs source: TOPIC_CONFIG / broker / DEFAULT_CONFIG). */
  source(name: string): Source | undefined {
    return this.sources.get(name);
  }

  /** The topic-level overrides in effect (name → value). */
  overrides(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, s] of this.sources) if (s === 'topic') out[k] = this.effective.get(k)!;
    return out;
  }

  /** All effective values, in Kafka's text form. */
  entries(): [string, string][] {
    return [...this.effective.entries()];
  }

  get delete(): boolean {
    return this.cleanupPolicy.includes('delete');
  }

  get compact(): boolean {
    return this.cleanupPolicy.includes('compact');
  }

  /** segment.ms, capped by max.compaction.lag.ms on compacted topics. */
  get maxSegmentMs(): number {
    return this.compact && this.maxCompactionLagMs > 0
      ? Math.min(this.maxCompactionLagMs, this.segmentMs)
      : this.segmentMs;
  }

  /** Size a new .log file starts at: segment.bytes when preallocating, else 0. */
  get initFileSize(): number {
    return this.preallocate ? this.segmentBytes : 0;
  }

  /** Per-segment random roll jitter in [0, min(segment.jitter.ms, segment.ms)). */
  randomSegmentJitter(): number {
    if (this.segmentJitterMs === 0) return 0;
    return Math.floor(Math.random() * Math.min(this.segmentJitterMs, this.segmentMs));
  }
}

/** Broker-wide settings of the LogManager (not per topic). */
export class LogManagerConfig {
  /** log.dirs (comma separated), falling back to log.dir, default /tmp/kafka-logs. */
  readonly logDirs: readonly string[];
  readonly retentionCheckIntervalMs: number;
  readonly flushRecoveryOffsetCheckpointIntervalMs: number;
  readonly flushStartOffsetCheckpointIntervalMs: number;
  readonly flushSchedulerIntervalMs: number;
  readonly highWatermarkCheckpointIntervalMs: number;
  readonly initialTaskDelayMs: number;
  readonly numRecoveryThreadsPerDataDir: number;

  private constructor(props: Readonly<Record<string, string>>) {
    const get = (key: string, type: 'int' | 'long', def: string, validator?: Validator): number =>
      Number(parseValue(key, type, props[key] ?? def, validator));
    const dirs = (props['log.dirs'] ?? props['log.dir'] ?? '/tmp/kafka-logs')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d.length > 0);
    if (dirs.length === 0) {
      throw new InvalidConfigurationError(
        'log.dirs',
        'Invalid value for configuration log.dirs: no log directory',
      );
    }
    this.logDirs = Object.freeze(dirs);
    this.retentionCheckIntervalMs = get('log.retention.check.interval.ms', 'long', '300000', atLeast(1n));
    this.flushRecoveryOffsetCheckpointIntervalMs = get(
      'log.flush.offset.checkpoint.interval.ms',
      'int',
      '60000',
      atLeast(0n),
    );
    this.flushStartOffsetCheckpointIntervalMs = get(
      'log.flush.start.offset.checkpoint.interval.ms',
      'int',
      '60000',
      atLeast(0n),
    );
    this.flushSchedulerIntervalMs = get('log.flush.scheduler.interval.ms', 'long', LONG_MAX_STRING);
    this.highWatermarkCheckpointIntervalMs = get(
      'replica.high.watermark.checkpoint.interval.ms',
      'long',
      '5000',
      atLeast(1n),
    );
    this.initialTaskDelayMs = get('log.initial.task.delay.ms', 'long', '30000', atLeast(0n));
    this.numRecoveryThreadsPerDataDir = get('num.recovery.threads.per.data.dir', 'int', '1', atLeast(1n));
  }

  static fromProperties(props: Readonly<Record<string, string>> = {}): LogManagerConfig {
    return new LogManagerConfig(props);
  }
}
