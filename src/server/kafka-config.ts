// Broker configuration: Kafka's property names, defaults and error messages (KafkaConfig /
// ConfigDef). Properties are read from a Java-style .properties file plus `--override k=v`.
// Unknown keys are kept (topic-level `log.*` defaults are resolved by LogConfig) and only
// warned about, as Kafka does; a bad value for a known key stops start-up naming the key.

import fs from 'node:fs';
import os from 'node:os';

export class ConfigException extends Error {}

type Kind = 'int' | 'long' | 'short' | 'boolean' | 'string' | 'list' | 'password' | 'double';

interface ConfigKey {
  kind: Kind;
  /** undefined = required (no default) */
  dflt?: string | null;
  validate?: (v: string, key: string) => void;
}

const atLeast = (min: number) => (v: string, key: string) => {
  if (Number(v) < min)
    throw new ConfigException(`Invalid value ${v} for configuration ${key}: Value must be at least ${min}`);
};

/** The broker-level keys Samsa reads itself; everything here has Kafka's default. */
export const CONFIG_KEYS: Record<string, ConfigKey> = {
  'broker.id': { kind: 'int', dflt: '-1' },
  'broker.id.generation.enable': { kind: 'boolean', dflt: 'true' },
  'reserved.broker.max.id': { kind: 'int', dflt: '1000' },
  'broker.rack': { kind: 'string', dflt: null },
  listeners: { kind: 'list', dflt: 'PLAINTEXT://:9092' },
  'advertised.listeners': { kind: 'list', dflt: null },
  'listener.security.protocol.map': {
    kind: 'list',
    dflt: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
  },
  'inter.broker.listener.name': { kind: 'string', dflt: null },
  'log.dirs': { kind: 'list', dflt: null },
  'log.dir': { kind: 'list', dflt: '/tmp/kafka-logs' },
  'zookeeper.connect': { kind: 'string' },
  'zookeeper.session.timeout.ms': { kind: 'int', dflt: '18000' },
  'zookeeper.connection.timeout.ms': { kind: 'int', dflt: null },
  'num.partitions': { kind: 'int', dflt: '1', validate: atLeast(1) },
  'default.replication.factor': { kind: 'int', dflt: '1' },
  'auto.create.topics.enable': { kind: 'boolean', dflt: 'true' },
  'delete.topic.enable': { kind: 'boolean', dflt: 'true' },
  'socket.request.max.bytes': { kind: 'int', dflt: '104857600', validate: atLeast(1) },
  'socket.send.buffer.bytes': { kind: 'int', dflt: '102400' },
  'socket.receive.buffer.bytes': { kind: 'int', dflt: '102400' },
  'connections.max.idle.ms': { kind: 'long', dflt: '600000' },
  'queued.max.requests': { kind: 'int', dflt: '500', validate: atLeast(1) },
  'num.network.threads': { kind: 'int', dflt: '3', validate: atLeast(1) },
  'num.io.threads': { kind: 'int', dflt: '8', validate: atLeast(1) },
  'message.max.bytes': { kind: 'int', dflt: '1048588', validate: atLeast(0) },
  'min.insync.replicas': { kind: 'int', dflt: '1', validate: atLeast(1) },
  'unclean.leader.election.enable': { kind: 'boolean', dflt: 'false' },
  'num.recovery.threads.per.data.dir': { kind: 'int', dflt: '1' },
  'log.retention.check.interval.ms': { kind: 'long', dflt: '300000', validate: atLeast(1) },
  'log.flush.offset.checkpoint.interval.ms': { kind: 'int', dflt: '60000', validate: atLeast(0) },
  'log.flush.start.offset.checkpoint.interval.ms': { kind: 'int', dflt: '60000', validate: atLeast(0) },
  'offsets.topic.num.partitions': { kind: 'int', dflt: '50', validate: atLeast(1) },
  'offsets.topic.replication.factor': { kind: 'short', dflt: '3', validate: atLeast(1) },
  'offsets.topic.segment.bytes': { kind: 'int', dflt: '104857600' },
  'group.initial.rebalance.delay.ms': { kind: 'int', dflt: '3000' },
  'group.min.session.timeout.ms': { kind: 'int', dflt: '6000' },
  'group.max.session.timeout.ms': { kind: 'int', dflt: '1800000' },
  'group.max.size': { kind: 'int', dflt: '2147483647', validate: atLeast(1) },
  'offsets.topic.compression.codec': { kind: 'int', dflt: '0' },
  'offsets.retention.minutes': { kind: 'int', dflt: '10080', validate: atLeast(1) },
  'offsets.retention.check.interval.ms': { kind: 'long', dflt: '600000', validate: atLeast(1) },
  'offsets.commit.timeout.ms': { kind: 'int', dflt: '5000', validate: atLeast(1) },
  'offsets.commit.required.acks': { kind: 'short', dflt: '-1' },
  'offsets.load.buffer.size': { kind: 'int', dflt: '5242880', validate: atLeast(1) },
  'offset.metadata.max.bytes': { kind: 'int', dflt: '4096' },
  'transaction.state.log.replication.factor': { kind: 'short', dflt: '3' },
  'transaction.state.log.min.isr': { kind: 'int', dflt: '2' },
  'replica.lag.time.max.ms': { kind: 'long', dflt: '30000' },
  'num.replica.fetchers': { kind: 'int', dflt: '1', validate: atLeast(1) },
  'replica.fetch.wait.max.ms': { kind: 'int', dflt: '500' },
  'replica.fetch.min.bytes': { kind: 'int', dflt: '1' },
  'replica.fetch.max.bytes': { kind: 'int', dflt: '1048576', validate: atLeast(0) },
  'replica.fetch.response.max.bytes': { kind: 'int', dflt: '10485760', validate: atLeast(0) },
  'replica.fetch.backoff.ms': { kind: 'int', dflt: '1000', validate: atLeast(0) },
  'replica.socket.timeout.ms': { kind: 'int', dflt: '30000' },
  'replica.high.watermark.checkpoint.interval.ms': { kind: 'long', dflt: '5000', validate: atLeast(1) },
  'security.inter.broker.protocol': { kind: 'string', dflt: 'PLAINTEXT' },
  'controlled.shutdown.enable': { kind: 'boolean', dflt: 'true' },
  'controlled.shutdown.max.retries': { kind: 'int', dflt: '3' },
  'controlled.shutdown.retry.backoff.ms': { kind: 'long', dflt: '5000' },
  'controller.socket.timeout.ms': { kind: 'int', dflt: '30000' },
  'auto.leader.rebalance.enable': { kind: 'boolean', dflt: 'true' },
  'leader.imbalance.check.interval.seconds': { kind: 'long', dflt: '300', validate: atLeast(1) },
  'leader.imbalance.per.broker.percentage': { kind: 'int', dflt: '10' },
  'log4j.root.loglevel': { kind: 'string', dflt: null },
  // Samsa's own: start a ZooKeeper child process when zookeeper.connect names this machine and
  // nothing answers there (auto), always (true) or never (false).
  'samsa.zookeeper.embedded': {
    kind: 'string',
    dflt: 'auto',
    validate: (v, key) => {
      if (!['auto', 'true', 'false'].includes(v))
        throw new ConfigException(
          `Invalid value ${v} for configuration ${key}: String must be one of: auto, true, false`,
        );
    },
  },
  'samsa.log.level': { kind: 'string', dflt: 'info' },
  // Where server.log, controller.log and state-change.log go (Kafka's LOG_DIR); unset = console only.
  'samsa.log.dir': { kind: 'string', dflt: null },
};

/** Parses Java .properties text (comments, `=`/`:` separators, line continuations, escapes). */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]?\s*(.*)$/.exec(line);
    if (!m) continue;
    const unescape = (s: string) =>
      s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) =>
        c.length === 5
          ? String.fromCharCode(parseInt(c.slice(1), 16))
          : ({ t: '\t', n: '\n', r: '\r', f: '\f' }[c] ?? c),
      );
    out[unescape(m[1])] = unescape(m[2]);
  }
  return out;
}

export interface Endpoint {
  listenerName: string;
  securityProtocol: string;
  host: string;
  port: number;
}

const LISTENER_RE = /^([A-Za-z0-9_]+):\/\/(\[[0-9a-fA-F:.]+\]|[^:/\s]*):(-?\d+)$/;

function parseListeners(value: string, key: string, protocolMap: Map<string, string>): Endpoint[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const seen = new Set<string>();
  return list.map((l) => {
    const m = LISTENER_RE.exec(l);
    if (!m)
      throw new ConfigException(
        `Invalid value ${value} for configuration ${key}: Unable to parse ${l} to a broker endpoint`,
      );
    const listenerName = m[1].toUpperCase();
    const securityProtocol = protocolMap.get(listenerName);
    if (!securityProtocol)
      throw new ConfigException(
        `Invalid value ${value} for configuration ${key}: No security protocol defined for listener ${listenerName}`,
      );
    if (seen.has(listenerName))
      throw new ConfigException(
        `Invalid value ${value} for configuration ${key}: Each listener must have a different name`,
      );
    seen.add(listenerName);
    const port = Number(m[3]);
    if (port < 0 || port > 65535)
      throw new ConfigException(`Invalid value ${value} for configuration ${key}: invalid port ${port}`);
    return { listenerName, securityProtocol, host: m[2].replace(/^\[|\]$/g, ''), port };
  });
}

function checkType(key: string, kind: Kind, v: string): void {
  const bad = (t: string) =>
    new ConfigException(`Invalid value ${v} for configuration ${key}: Not a number of type ${t}`);
  const trimmed = v.trim();
  switch (kind) {
    case 'int':
    case 'short': {
      if (!/^[-+]?\d+$/.test(trimmed)) throw bad(kind === 'int' ? 'INT' : 'SHORT');
      const n = Number(trimmed);
      const lim = kind === 'int' ? 2 ** 31 : 2 ** 15;
      if (n < -lim || n >= lim) throw bad(kind === 'int' ? 'INT' : 'SHORT');
      return;
    }
    case 'long':
      if (!/^[-+]?\d+$/.test(trimmed)) throw bad('LONG');
      if (BigInt(trimmed) >= 2n ** 63n || BigInt(trimmed) < -(2n ** 63n)) throw bad('LONG');
      return;
    case 'double':
      if (trimmed === '' || isNaN(Number(trimmed))) throw bad('DOUBLE');
      return;
    case 'boolean':
      if (!/^(true|false)$/i.test(trimmed))
        throw new ConfigException(
          `Invalid value ${v} for configuration ${key}: Expected value to be either true or false`,
        );
      return;
    default:
      return;
  }
}

export class KafkaConfig {
  readonly props: Record<string, string>;
  readonly brokerId: number;
  readonly listeners: Endpoint[];
  readonly advertisedListeners: Endpoint[];
  readonly protocolMap: Map<string, string>;
  readonly logDirs: string[];
  readonly zkConnect: string;
  readonly unknownKeys: string[];

  constructor(props: Record<string, string>) {
    this.props = { ...props };
    for (const [key, def] of Object.entries(CONFIG_KEYS)) {
      const v = this.props[key];
      if (v === undefined) {
        if (def.dflt === undefined)
          throw new ConfigException(`Missing required configuration "${key}" which has no default value.`);
        continue;
      }
      checkType(key, def.kind, v);
      def.validate?.(v.trim(), key);
    }
    this.unknownKeys = Object.keys(this.props).filter(
      (k) => !(k in CONFIG_KEYS) && !k.startsWith('log.') && !isKnownPassThrough(k),
    );
    this.brokerId = this.int('broker.id');
    if (this.brokerId < -1)
      throw new ConfigException(
        `Invalid value ${this.brokerId} for configuration broker.id: broker.id must be >= -1`,
      );
    this.zkConnect = this.str('zookeeper.connect')!.trim();
    if (this.zkConnect === '')
      throw new ConfigException(`Invalid value for configuration zookeeper.connect: must not be empty`);
    this.protocolMap = new Map();
    for (const entry of this.list('listener.security.protocol.map')) {
      const [name, proto] = entry.split(':').map((s) => s.trim());
      if (
        !name ||
        !proto ||
        !['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(proto.toUpperCase())
      )
        throw new ConfigException(
          `Invalid value ${this.str('listener.security.protocol.map')} for configuration listener.security.protocol.map: bad entry ${entry}`,
        );
      this.protocolMap.set(name.toUpperCase(), proto.toUpperCase());
    }
    this.listeners = parseListeners(this.str('listeners') ?? '', 'listeners', this.protocolMap);
    if (this.listeners.length === 0)
      throw new ConfigException('Invalid value for configuration listeners: no listener defined');
    for (const l of this.listeners) {
      if (l.securityProtocol !== 'PLAINTEXT')
        throw new ConfigException(
          `Invalid value ${this.str('listeners')} for configuration listeners: security protocol ${l.securityProtocol} of listener ${l.listenerName} is not supported by Samsa yet (only PLAINTEXT)`,
        );
    }
    const adv = this.str('advertised.listeners');
    this.advertisedListeners = adv
      ? parseListeners(adv, 'advertised.listeners', this.protocolMap)
      : this.listeners.map((l) => ({
          ...l,
          host: l.host === '' || l.host === '0.0.0.0' ? defaultHost() : l.host,
        }));
    for (const a of this.advertisedListeners) {
      if (!this.listeners.some((l) => l.listenerName === a.listenerName))
        throw new ConfigException(
          `Invalid value ${adv} for configuration advertised.listeners: listener ${a.listenerName} is not in listeners`,
        );
      if (a.host === '0.0.0.0')
        throw new ConfigException(
          `Invalid value ${adv} for configuration advertised.listeners: 0.0.0.0 is not a valid advertised host`,
        );
    }
    const dirs = this.str('log.dirs') ?? this.str('log.dir') ?? '/tmp/kafka-logs';
    this.logDirs = dirs
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (this.logDirs.length === 0)
      throw new ConfigException('Invalid value for configuration log.dirs: no directory given');
    void this.interBrokerListenerName; // validated at start-up, as Kafka does
  }

  static fromFile(file: string, overrides: Record<string, string> = {}): KafkaConfig {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigException(`Cannot read config file ${file}: ${(e as Error).message}`);
    }
    return new KafkaConfig({ ...parseProperties(text), ...overrides });
  }

  str(key: string): string | null {
    const v = this.props[key] ?? CONFIG_KEYS[key]?.dflt ?? null;
    return v === null ? null : v.trim();
  }
  int(key: string): number {
    return Number(this.str(key));
  }
  bool(key: string): boolean {
    return this.str(key)?.toLowerCase() === 'true';
  }
  list(key: string): string[] {
    const v = this.str(key);
    return v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : [];
  }

  get sessionTimeoutMs(): number {
    return this.int('zookeeper.session.timeout.ms');
  }
  get connectionTimeoutMs(): number {
    return this.props['zookeeper.connection.timeout.ms'] !== undefined
      ? this.int('zookeeper.connection.timeout.ms')
      : this.sessionTimeoutMs;
  }
  /**
   * Listener brokers use to talk to each other: inter.broker.listener.name, else the listener
   * named after security.inter.broker.protocol (PLAINTEXT), as Kafka resolves it.
   */
  get interBrokerListenerName(): string {
    const named = this.str('inter.broker.listener.name');
    const name = named
      ? named.toUpperCase()
      : (this.str('security.inter.broker.protocol') ?? 'PLAINTEXT').toUpperCase();
    if (!this.advertisedListeners.some((l) => l.listenerName === name))
      throw new ConfigException(
        `inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are ${this.advertisedListeners.map((l) => l.listenerName).join(',')}`,
      );
    return name;
  }

  get rack(): string | null {
    return this.str('broker.rack');
  }
}

/** Keys Kafka knows that Samsa accepts and ignores (security, metrics, quotas, …), so no warning. */
function isKnownPassThrough(k: string): boolean {
  return /^(ssl|sasl|security|metric|metrics|quota|replica|controller|transaction|group|offsets|num|zookeeper|socket|queued|background|compression|message|auto|max|min|fetch|producer|request|inter|unclean|default|leader|delegation|password|principal|authorizer|super|connections|create|alter|kafka|confluent|samsa)\./.test(
    k,
  );
}

function defaultHost(): string {
  // Kafka advertises the machine's canonical host name when the listener host is empty.
  return os.hostname();
}
