// `samsa console-consumer` — kafka-console-consumer.sh: prints a topic's records on stdout with
// Kafka's DefaultMessageFormatter (print.timestamp/partition/offset/headers/key/value,
// key.separator, line.separator, headers.separator, null.literal, deserializers) and reports
// "Processed a total of N messages" on stderr when it stops (max messages, --timeout-ms, an
// error, or a signal), as ConsoleConsumer does.
//
// Without --group, Kafka's console consumer joins a throw-away group `console-consumer-<n>`
// (auto-commit off), with --group that group (auto-commit on, as the Java consumer's default).
// Both need the broker's group coordinator. Samsa's broker has none yet, so while it does not
// advertise FindCoordinator/JoinGroup this tool consumes by direct assignment instead when no
// group is asked for: Metadata for the topic, every partition assigned, positions from
// ListOffsets (auto.offset.reset: earliest with --from-beginning, else latest), then Fetch from
// each leader; what it prints is the same, only no group shows up on the broker. --group is
// refused with a clear message then. With --partition it assigns that one partition and seeks
// to --offset, exactly as Kafka does (no group involved).

import {
  Consumer,
  GROUP_DEFAULTS,
  WakeupError,
  type ConsumerConfig,
  type ConsumerRecord,
  type GroupOptions,
} from '../client/consumer';
import { KafkaClientError, type ClientLog } from '../client/producer';
import { ApiKey } from '../protocol/messages/generated';
import { TimestampType, timestampTypeName } from '../protocol/records/records';
import { CliError } from './cli-error';
import {
  configChoice,
  configInt,
  exceptionString,
  loadProps,
  parseIntOption,
  parseKeyValueArgs,
  stderrLog,
  validateBootstrapServer,
} from './console-producer';

export interface ConsoleConsumerOptions {
  bootstrapServer?: string;
  topic?: string;
  include?: string;
  whitelist?: string;
  partition?: string;
  offset?: string;
  fromBeginning?: boolean;
  maxMessages?: string;
  timeoutMs?: string;
  skipMessageOnError?: boolean;
  property: string[];
  formatter?: string;
  formatterConfig?: string;
  consumerProperty: string[];
  consumerConfig?: string;
  keyDeserializer?: string;
  valueDeserializer?: string;
  isolationLevel?: string;
  group?: string;
  enableSystestEvents?: boolean;
}

export interface ConsumerIo {
  /** Writes formatted records; resolves when the output can take more. Rejects when nobody reads. */
  stdout: (b: Buffer) => Promise<void>;
  stderr: (s: string) => void;
}

const CONSOLE_CONSUMER = 'org.apache.kafka.tools.consumer.ConsoleConsumer';
const FORMATTERS = new Set([
  'kafka.tools.DefaultMessageFormatter',
  'org.apache.kafka.tools.consumer.DefaultMessageFormatter',
]);

// ---------------------------------------------------------------------------------------------
// DefaultMessageFormatter

type Deserializer = (b: Buffer) => Buffer;

const SERDE = 'org.apache.kafka.common.serialization.';

function fixedWidth(name: string, size: number, read: (b: Buffer) => string): Deserializer {
  return (b) => {
    if (b.length !== size)
      throw new KafkaClientError(
        'org.apache.kafka.common.errors.SerializationException',
        `Size of data received by ${name} is not ${size}`,
      );
    return Buffer.from(read(b), 'utf8');
  };
}

/** The deserializers Kafka ships whose output is text (toString of the object). */
const DESERIALIZERS: ReadonlyMap<string, Deserializer> = new Map<string, Deserializer>([
  [`${SERDE}StringDeserializer`, (b) => Buffer.from(b.toString('utf8'), 'utf8')],
  [`${SERDE}ByteArrayDeserializer`, (b) => b],
  [`${SERDE}IntegerDeserializer`, fixedWidth('IntegerDeserializer', 4, (b) => String(b.readInt32BE(0)))],
  [`${SERDE}LongDeserializer`, fixedWidth('LongDeserializer', 8, (b) => String(b.readBigInt64BE(0)))],
  [`${SERDE}ShortDeserializer`, fixedWidth('ShortDeserializer', 2, (b) => String(b.readInt16BE(0)))],
]);

const boolProp = (v: string) => v.trim().toLowerCase() === 'true';

/** Kafka's DefaultMessageFormatter: the columns a record prints as, in Kafka's order and separators. */
export class DefaultMessageFormatter {
  printTimestamp = false;
  printKey = false;
  printValue = true;
  printPartition = false;
  printOffset = false;
  printHeaders = false;
  keySeparator = Buffer.from('\t');
  lineSeparator = Buffer.from('\n');
  headersSeparator = Buffer.from(',');
  nullLiteral = Buffer.from('null');
  keyDeserializer: Deserializer | null = null;
  valueDeserializer: Deserializer | null = null;
  headersDeserializer: Deserializer | null = null;

  configure(props: Record<string, string>, log?: ClientLog): this {
    if ('print.timestamp' in props) this.printTimestamp = boolProp(props['print.timestamp']);
    if ('print.key' in props) this.printKey = boolProp(props['print.key']);
    if ('print.offset' in props) this.printOffset = boolProp(props['print.offset']);
    if ('print.partition' in props) this.printPartition = boolProp(props['print.partition']);
    if ('print.headers' in props) this.printHeaders = boolProp(props['print.headers']);
    if ('print.value' in props) this.printValue = boolProp(props['print.value']);
    if ('key.separator' in props) this.keySeparator = Buffer.from(props['key.separator'], 'utf8');
    if ('line.separator' in props) this.lineSeparator = Buffer.from(props['line.separator'], 'utf8');
    if ('headers.separator' in props) this.headersSeparator = Buffer.from(props['headers.separator'], 'utf8');
    if ('null.literal' in props) this.nullLiteral = Buffer.from(props['null.literal'], 'utf8');
    const deserializer = (key: string): Deserializer | null => {
      const name = props[key];
      if (name === undefined) return null;
      const d = DESERIALIZERS.get(name);
      if (!d)
        log?.(
          'ERROR',
          `Unable to instantiate a deserializer from ${name}`,
          'org.apache.kafka.tools.consumer.DefaultMessageFormatter',
        );
      return d ?? null;
    };
    this.keyDeserializer = deserializer('key.deserializer');
    this.valueDeserializer = deserializer('value.deserializer');
    this.headersDeserializer = deserializer('headers.deserializer');
    return this;
  }

  private deserialize(d: Deserializer | null, bytes: Buffer | null): Buffer {
    const nonNull = bytes ?? this.nullLiteral;
    return d ? d(nonNull) : nonNull;
  }

  /** DefaultMessageFormatter.writeTo: the bytes printed for one record. */
  format(r: ConsumerRecord): Buffer {
    const out: Buffer[] = [];
    const text = (s: string) => out.push(Buffer.from(s, 'utf8'));
    const separator = (column: boolean) => out.push(column ? this.keySeparator : this.lineSeparator);
    if (this.printTimestamp) {
      if (r.timestampType !== TimestampType.NoTimestampType)
        text(`${timestampTypeName(r.timestampType)}:${r.timestamp}`);
      else text('NO_TIMESTAMP');
      separator(
        this.printPartition || this.printOffset || this.printHeaders || this.printKey || this.printValue,
      );
    }
    if (this.printPartition) {
      text(`Partition:${r.partition}`);
      separator(this.printOffset || this.printHeaders || this.printKey || this.printValue);
    }
    if (this.printOffset) {
      text(`Offset:${r.offset}`);
      separator(this.printHeaders || this.printKey || this.printValue);
    }
    if (this.printHeaders) {
      if (r.headers.length === 0) text('NO_HEADERS');
      else
        r.headers.forEach((h, i) => {
          text(`${h.key}:`);
          out.push(this.deserialize(this.headersDeserializer, h.value));
          if (i < r.headers.length - 1) out.push(this.headersSeparator);
        });
      separator(this.printKey || this.printValue);
    }
    if (this.printKey) {
      out.push(this.deserialize(this.keyDeserializer, r.key));
      separator(this.printValue);
    }
    if (this.printValue) {
      out.push(this.deserialize(this.valueDeserializer, r.value));
      out.push(this.lineSeparator);
    }
    return Buffer.concat(out);
  }
}

// ---------------------------------------------------------------------------------------------
// Options (ConsoleConsumerOptions)

interface Parsed {
  bootstrap: string;
  topic: string | null;
  include: string | null;
  partition: number | null;
  /** -2 earliest, -1 latest, else an offset (used with --partition). */
  offset: bigint;
  maxMessages: number;
  timeoutMs: number;
  groupId: string | null;
  /** Group settings from the consumer properties (enable.auto.commit decided later). */
  group: Omit<GroupOptions, 'groupId' | 'autoCommit'> & { autoCommit: boolean | null };
  consumer: Partial<ConsumerConfig> & { bootstrap: string };
  formatter: DefaultMessageFormatter;
}

const EARLIEST = -2n;
const LATEST = -1n;

function parseOptions(o: ConsoleConsumerOptions, log: ClientLog): Parsed {
  const partition = parseIntOption(o.partition, 'partition') ?? null;
  const maxMessages = parseIntOption(o.maxMessages, 'max-messages') ?? -1;
  const timeoutArg = parseIntOption(o.timeoutMs, 'timeout-ms', true);
  const include = o.include ?? o.whitelist ?? null;
  if ([o.topic, include].filter((x) => x !== undefined && x !== null).length !== 1)
    throw new CliError(
      `Exactly one of --include/--topic is required. ${o.whitelist !== undefined ? '--whitelist is DEPRECATED use --include instead; ignored if --include specified.' : ''}`.trimEnd(),
    );
  if (partition !== null) {
    if (o.topic === undefined) throw new CliError('The topic is required when partition is specified.');
    if (o.fromBeginning && o.offset !== undefined)
      throw new CliError('Options from-beginning and offset cannot be specified together.');
  } else if (o.offset !== undefined)
    throw new CliError('The partition is required when offset is specified.');
  if (o.bootstrapServer === undefined) throw new CliError('Missing required argument "[bootstrap-server]"');
  validateBootstrapServer(o.bootstrapServer);

  // Consumer properties and the group id(s).
  const fileProps = o.consumerConfig ? loadProps(o.consumerConfig) : {};
  const extraProps = parseKeyValueArgs(o.consumerProperty);
  const groups: string[] = [];
  for (const g of [o.group, fileProps['group.id'], extraProps['group.id']])
    if (g !== undefined && !groups.includes(g)) groups.push(g);
  if (groups.length > 1)
    throw new CliError(
      "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. " +
        `Detected group ids: ${groups.map((g) => `'${g}'`).join(', ')}`,
    );
  if (groups.length > 0 && partition !== null)
    throw new CliError('Options group and partition cannot be specified together.');
  const props: Record<string, string> = { ...fileProps, ...extraProps };
  if (props['auto.offset.reset'] !== undefined) {
    if (o.fromBeginning && props['auto.offset.reset'] !== 'earliest')
      throw new CliError(
        `Can't simultaneously specify --from-beginning and 'auto.offset.reset=${props['auto.offset.reset']}', please remove one option`,
      );
  } else props['auto.offset.reset'] = o.fromBeginning ? 'earliest' : 'latest';
  if (props['client.id'] === undefined) props['client.id'] = 'console-consumer';
  if (o.isolationLevel !== undefined || props['isolation.level'] === undefined)
    props['isolation.level'] = o.isolationLevel ?? 'read_uncommitted';

  // --offset (ConsoleConsumerOptions.parseOffset)
  let offset = o.fromBeginning ? EARLIEST : LATEST;
  if (o.offset !== undefined) {
    const v = o.offset.toLowerCase();
    if (v === 'earliest') offset = EARLIEST;
    else if (v === 'latest') offset = LATEST;
    else {
      const invalid = () =>
        new CliError(
          `The provided offset value '${o.offset}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.`,
        );
      if (!/^[+-]?\d+$/.test(o.offset)) throw invalid();
      offset = BigInt(o.offset);
      if (offset < 0n || offset > 9223372036854775807n) throw invalid();
    }
  }

  // Formatter
  const formatterClass = o.formatter ?? 'org.apache.kafka.tools.consumer.DefaultMessageFormatter';
  if (!FORMATTERS.has(formatterClass)) throw new CliError(formatterClass);
  const formatterArgs: Record<string, string> = o.formatterConfig ? loadProps(o.formatterConfig) : {};
  if (o.keyDeserializer) formatterArgs['key.deserializer'] = o.keyDeserializer;
  if (o.valueDeserializer) formatterArgs['value.deserializer'] = o.valueDeserializer;
  Object.assign(formatterArgs, parseKeyValueArgs(o.property));
  const formatter = new DefaultMessageFormatter().configure(formatterArgs, log);

  const isolation = configChoice(props, 'isolation.level', 'read_uncommitted', [
    'read_committed',
    'read_uncommitted',
  ]);
  const reset = configChoice(props, 'auto.offset.reset', 'latest', ['latest', 'earliest', 'none']);
  const consumer: Partial<ConsumerConfig> & { bootstrap: string } = {
    bootstrap: o.bootstrapServer,
    clientId: props['client.id'],
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    autoOffsetReset: reset as ConsumerConfig['autoOffsetReset'],
    fetchMaxWaitMs: configInt(props, 'fetch.max.wait.ms', 500, { min: 0 }),
    fetchMinBytes: configInt(props, 'fetch.min.bytes', 1, { min: 0 }),
    fetchMaxBytes: configInt(props, 'fetch.max.bytes', 52428800, { min: 0 }),
    maxPartitionFetchBytes: configInt(props, 'max.partition.fetch.bytes', 1048576, { min: 0 }),
    requestTimeoutMs: configInt(props, 'request.timeout.ms', 30000, { min: 0 }),
    retryBackoffMs: configInt(props, 'retry.backoff.ms', 100, { min: 0, long: true }),
    retryBackoffMaxMs: configInt(props, 'retry.backoff.max.ms', 1000, { min: 0, long: true }),
    metadataMaxAgeMs: configInt(props, 'metadata.max.age.ms', 300000, { min: 0, long: true }),
    checkCrcs: props['check.crcs'] === undefined ? true : boolProp(props['check.crcs']),
    allowAutoCreateTopics:
      props['allow.auto.create.topics'] === undefined ? true : boolProp(props['allow.auto.create.topics']),
    excludeInternalTopics:
      props['exclude.internal.topics'] === undefined ? true : boolProp(props['exclude.internal.topics']),
    log,
  };
  return {
    bootstrap: o.bootstrapServer,
    topic: o.topic ?? null,
    include,
    partition,
    offset,
    maxMessages,
    timeoutMs: timeoutArg !== undefined && timeoutArg >= 0 ? timeoutArg : Number.MAX_SAFE_INTEGER,
    groupId: groups[0] ?? null,
    group: {
      groupInstanceId: props['group.instance.id'] ?? null,
      sessionTimeoutMs: configInt(props, 'session.timeout.ms', GROUP_DEFAULTS.sessionTimeoutMs, { min: 0 }),
      rebalanceTimeoutMs: configInt(props, 'max.poll.interval.ms', GROUP_DEFAULTS.rebalanceTimeoutMs, {
        min: 1,
      }),
      heartbeatIntervalMs: configInt(props, 'heartbeat.interval.ms', GROUP_DEFAULTS.heartbeatIntervalMs, {
        min: 1,
      }),
      autoCommit: props['enable.auto.commit'] === undefined ? null : boolProp(props['enable.auto.commit']),
      autoCommitIntervalMs: configInt(props, 'auto.commit.interval.ms', GROUP_DEFAULTS.autoCommitIntervalMs, {
        min: 0,
      }),
    },
    consumer,
    formatter,
  };
}

/** Java's Pattern for --include, as a JavaScript RegExp matching whole topic names. */
function includePattern(s: string): RegExp {
  try {
    return new RegExp(`^(?:${s})$`);
  } catch (e) {
    throw new CliError(`java.util.regex.PatternSyntaxException: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The command

export async function runConsoleConsumer(o: ConsoleConsumerOptions, io: ConsumerIo): Promise<void> {
  const log = stderrLog(io.stderr);
  const opts = parseOptions(o, log);
  const consumer = new Consumer(opts.consumer);

  // Does the broker have a group coordinator? (--partition never uses a group.)
  let groups = false;
  if (opts.partition === null) {
    try {
      const conn = await consumer.cluster.anyConnection();
      conn.version(ApiKey.FindCoordinator);
      conn.version(ApiKey.JoinGroup);
      groups = true;
    } catch (e) {
      const unsupported = e instanceof Error && /does not support|no common version/.test(e.message);
      if (!unsupported && opts.groupId !== null) {
        await consumer.close();
        throw new CliError(`Could not reach the broker at ${opts.bootstrap}: ${(e as Error).message}`);
      }
    }
  }
  if (opts.groupId !== null && !groups) {
    await consumer.close();
    throw new CliError(
      `--group ${opts.groupId}: the broker does not support consumer groups (it does not advertise FindCoordinator/JoinGroup); run without --group to consume by direct assignment`,
    );
  }

  const subscription = opts.topic !== null ? [opts.topic] : includePattern(opts.include as string);
  if (opts.partition !== null) {
    consumer.assign([{ topic: opts.topic as string, partition: opts.partition }]);
    consumer.seek(
      opts.topic as string,
      opts.partition,
      opts.offset === EARLIEST ? 'earliest' : opts.offset === LATEST ? 'latest' : opts.offset,
    );
  } else if (groups) {
    // ConsoleConsumerOptions: a generated group does not commit unless asked to.
    const groupId = opts.groupId ?? `console-consumer-${Math.floor(Math.random() * 100000)}`;
    consumer.subscribe(subscription, {
      ...opts.group,
      groupId,
      autoCommit: opts.group.autoCommit ?? opts.groupId !== null,
    });
  } else consumer.assignAll(subscription);

  let count = 0;
  let exitCode = 0;
  /** Thrown out of the loop in Kafka: logged by main after the count is reported. */
  let fatal: unknown = undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    exitCode = signal === 'SIGINT' ? 130 : 143;
    consumer.wakeup();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let batch: ConsumerRecord[] = [];
  let next = 0;
  /** ConsumerWrapper.receive: the next record, or a TimeoutException after timeout-ms without one. */
  const receive = async (): Promise<ConsumerRecord> => {
    const start = Date.now();
    while (next >= batch.length) {
      batch = await consumer.poll(opts.timeoutMs);
      next = 0;
      if (batch.length === 0 && Date.now() - start > opts.timeoutMs)
        throw new KafkaClientError('org.apache.kafka.common.errors.TimeoutException', null);
    }
    return batch[next++];
  };
  try {
    while (opts.maxMessages === -1 || count < opts.maxMessages) {
      let record: ConsumerRecord;
      try {
        record = await receive();
      } catch (e) {
        if (e instanceof WakeupError) break;
        log('ERROR', 'Error processing message, terminating consumer process: ', CONSOLE_CONSUMER);
        io.stderr(`${exceptionString(e)}\n`);
        break;
      }
      count++;
      let bytes: Buffer;
      try {
        bytes = opts.formatter.format(record);
      } catch (e) {
        if (!o.skipMessageOnError) {
          fatal = e;
          break;
        }
        log('ERROR', 'Error processing message, skipping this message: ', CONSOLE_CONSUMER);
        io.stderr(`${exceptionString(e)}\n`);
        continue;
      }
      try {
        await io.stdout(bytes);
      } catch {
        io.stderr('Unable to write to standard out, closing consumer.\n');
        break;
      }
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    // ConsumerWrapper.cleanup: records fetched but not printed are not committed.
    const seen = new Set<string>();
    for (let i = next; i < batch.length; i++) {
      const r = batch[i];
      const k = `${r.topic}\u0000${r.partition}`;
      if (seen.has(k)) continue;
      seen.add(k);
      consumer.seek(r.topic, r.partition, r.offset);
    }
    await consumer.close().catch(() => undefined);
    io.stderr(`Processed a total of ${count} messages\n`);
  }
  if (fatal !== undefined) {
    log('ERROR', 'Unknown error when running consumer: ', CONSOLE_CONSUMER);
    io.stderr(`${exceptionString(fatal)}\n`);
    exitCode = 1;
  }
  if (exitCode !== 0) process.exitCode = exitCode;
}
