// `samsa console-producer` — kafka-console-producer.sh: one record per line of stdin, parsed by
// Kafka's LineMessageReader rules (parse.key, key.separator, parse.headers, headers.delimiter,
// headers.separator, headers.key.separator, ignore.error, null.marker), sent with the producer
// settings Kafka's ConsoleProducer derives from its flags (acks -1, linger 1000 ms, retries 3,
// request timeout 1500 ms, batch.size 16384, client.id console-producer).
//
// Output as Kafka's: a failed send in async mode logs ErrorLoggingCallback's ERROR line and the
// exception; --sync stops at the first failure. One difference: Kafka exits 0 even when async
// sends failed; here the exit status is 1 then, so scripts notice lost records.

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import {
  KafkaClientError,
  Producer,
  PRODUCER_DEFAULTS,
  type ClientLog,
  type ProducerConfig,
  type ProducerRecord,
} from '../client/producer';
import { compressionTypeForName } from '../protocol/records/compression';
import { parseProperties } from '../server/kafka-config';
import { kafkaTimestamp } from '../utils/logger';
import { CliError } from './cli-error';

export interface ConsoleProducerOptions {
  bootstrapServer?: string;
  brokerList?: string;
  topic?: string;
  sync?: boolean;
  /** `true` for the bare flag (gzip). */
  compressionCodec?: string | boolean;
  batchSize?: string;
  messageSendMaxRetries?: string;
  retryBackoffMs?: string;
  timeout?: string;
  requestRequiredAcks?: string;
  requestTimeoutMs?: string;
  metadataExpiryMs?: string;
  maxBlockMs?: string;
  maxMemoryBytes?: string;
  maxPartitionMemoryBytes?: string;
  lineReader?: string;
  socketBufferSize?: string;
  property: string[];
  readerConfig?: string;
  producerProperty: string[];
  producerConfig?: string;
}

export interface ConsoleIo {
  stdin: AsyncIterable<Buffer | string>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Show Kafka's `>` prompt (stdin and stdout are terminals). */
  interactive?: boolean;
}

const KAFKA_EXCEPTION = 'org.apache.kafka.common.KafkaException';
const CONFIG_EXCEPTION = 'org.apache.kafka.common.config.ConfigException';

// ---------------------------------------------------------------------------------------------
// Shared CLI helpers (also used by console-consumer)

/** CommandLineUtils.parseKeyValueArgs: `k=v` split at the first `=`, a missing value is "". */
export function parseKeyValueArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of args) {
    const i = a.indexOf('=');
    if (i < 0) out[a] = '';
    else out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

/** Utils.loadProps of a properties file. */
export function loadProps(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`java.nio.file.NoSuchFileException: ${file}`);
  }
  return parseProperties(text);
}

/** A jopt-simple typed option value (Integer/Long), with its parse error. */
export function parseIntOption(v: string | undefined, name: string, long = false): number | undefined {
  if (v === undefined) return undefined;
  const max = long ? 9223372036854775807n : 2147483647n;
  if (!/^[+-]?\d+$/.test(v.trim()) || BigInt(v.trim()) > max || BigInt(v.trim()) < -max - 1n)
    throw new CliError(`Cannot parse argument '${v}' of option ${name}`);
  return Number(v.trim());
}

/** ToolsUtils.validateBootstrapServer. */
export function validateBootstrapServer(hostPort: string): void {
  if (hostPort.trim() === '') throw new CliError('Error while validating the bootstrap address');
  const ok = hostPort.split(',').every((hp) => /^.*?\[?([0-9a-zA-Z\-%._:]*)\]?:([0-9]+)$/.test(hp));
  if (!ok) throw new CliError('Please provide valid host:port like host1:9091,host2:9092');
}

/** Kafka's config validation messages (ConfigDef). */
export function configInt(
  props: Record<string, string>,
  key: string,
  dflt: number,
  opts: { min?: number; max?: number; long?: boolean } = {},
): number {
  const raw = props[key];
  if (raw === undefined) return dflt;
  const v = raw.trim();
  if (!/^[+-]?\d+$/.test(v))
    throw new CliError(
      `${CONFIG_EXCEPTION}: Invalid value ${raw} for configuration ${key}: Not a number of type ${opts.long ? 'LONG' : 'INT'}`,
    );
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min)
    throw new CliError(
      `${CONFIG_EXCEPTION}: Invalid value ${v} for configuration ${key}: Value must be at least ${opts.min}`,
    );
  if (opts.max !== undefined && n > opts.max)
    throw new CliError(
      `${CONFIG_EXCEPTION}: Invalid value ${v} for configuration ${key}: Value must be no more than ${opts.max}`,
    );
  return n;
}

export function configChoice(
  props: Record<string, string>,
  key: string,
  dflt: string,
  choices: string[],
): string {
  const v = props[key] ?? dflt;
  const t = v.trim();
  if (!choices.includes(t))
    throw new CliError(
      `${CONFIG_EXCEPTION}: Invalid value ${v} for configuration ${key}: String must be one of: ${choices.join(', ')}`,
    );
  return t;
}

/** A log line as Kafka's tools print them on stderr: `[time] LEVEL message (logger)`. */
export function stderrLog(write: (s: string) => void): ClientLog {
  return (level, message, logger) => write(`[${kafkaTimestamp()}] ${level} ${message} (${logger})\n`);
}

/** Java's Throwable.toString for what we throw. */
export function exceptionString(e: unknown): string {
  if (e instanceof KafkaClientError) return e.toString();
  if (e instanceof Error) return `${KAFKA_EXCEPTION}: ${e.message}`;
  return String(e);
}

// ---------------------------------------------------------------------------------------------
// Reading lines (Java's BufferedReader.readLine: \n, \r or \r\n end a line)

export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let buf = '';
  let skipLF = false;
  const re = /\r\n|\r|\n/g;
  for await (const chunk of input) {
    let s = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (s.length === 0) continue;
    if (skipLF && s.startsWith('\n')) s = s.slice(1);
    skipLF = false;
    buf += s;
    let start = 0;
    re.lastIndex = 0;
    const lines: string[] = [];
    for (let m = re.exec(buf); m; m = re.exec(buf)) {
      lines.push(buf.slice(start, m.index));
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === buf.length) skipLF = true;
    }
    buf = buf.slice(start);
    for (const l of lines) yield l;
  }
  buf += decoder.end();
  if (buf.length > 0) yield buf;
}

// ---------------------------------------------------------------------------------------------
// LineMessageReader

/** Java's String.split(regex) (limit 0): no leading empty string for a zero-width match at 0, trailing empties dropped. */
export function javaSplit(input: string, pattern: RegExp): string[] {
  const re = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
  const parts: string[] = [];
  let index = 0;
  let matched = false;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      if (m.index === 0 || m.index >= input.length) continue;
    }
    matched = true;
    parts.push(input.slice(index, m.index));
    index = m.index + m[0].length;
  }
  if (!matched) return [input];
  parts.push(input.slice(index));
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export interface ParsedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: string; value: Buffer | null }[];
}

const boolProp = (v: string) => v.trim().toLowerCase() === 'true';

/** Kafka's LineMessageReader: `[headers<delimiter>][key<separator>]value` per line. */
export class LineMessageReader {
  parseKey = false;
  keySeparator = '\t';
  parseHeaders = false;
  headersDelimiter = '\t';
  headersSeparator = ',';
  headersKeySeparator = ':';
  ignoreError = false;
  nullMarker: string | undefined = undefined;
  lineNumber = 0;
  private headersSeparatorPattern = /,/;

  configure(props: Record<string, string>): this {
    const fail = (m: string) => {
      throw new CliError(`${KAFKA_EXCEPTION}: ${m}`);
    };
    if ('parse.key' in props) this.parseKey = boolProp(props['parse.key']);
    if ('key.separator' in props) this.keySeparator = props['key.separator'];
    if ('parse.headers' in props) this.parseHeaders = boolProp(props['parse.headers']);
    if ('headers.delimiter' in props) this.headersDelimiter = props['headers.delimiter'];
    if ('headers.separator' in props) this.headersSeparator = props['headers.separator'];
    try {
      this.headersSeparatorPattern = new RegExp(this.headersSeparator, 'u');
    } catch (e) {
      throw new CliError(`java.util.regex.PatternSyntaxException: ${(e as Error).message}`);
    }
    if ('headers.key.separator' in props) this.headersKeySeparator = props['headers.key.separator'];
    if ('ignore.error' in props) this.ignoreError = boolProp(props['ignore.error']);
    if (this.headersDelimiter === this.headersSeparator)
      fail('headers.delimiter and headers.separator may not be equal');
    if (this.headersDelimiter === this.headersKeySeparator)
      fail('headers.delimiter and headers.key.separator may not be equal');
    if (this.headersSeparator === this.headersKeySeparator)
      fail('headers.separator and headers.key.separator may not be equal');
    if ('null.marker' in props) this.nullMarker = props['null.marker'];
    if (this.keySeparator === this.nullMarker) fail('null.marker and key.separator may not be equal');
    if (this.headersSeparator === this.nullMarker) fail('null.marker and headers.separator may not be equal');
    if (this.headersDelimiter === this.nullMarker) fail('null.marker and headers.delimiter may not be equal');
    if (this.headersKeySeparator === this.nullMarker)
      fail('null.marker and headers.key.separator may not be equal');
    return this;
  }

  private error(message: string): never {
    throw new KafkaClientError(KAFKA_EXCEPTION, message);
  }

  private parse(
    enabled: boolean,
    line: string,
    start: number,
    demarcation: string,
    name: string,
  ): string | null {
    if (!enabled) return null;
    const index = line.indexOf(demarcation, start);
    if (index === -1) {
      if (this.ignoreError) return null;
      this.error(`No ${name} found on line number ${this.lineNumber}: '${line}'`);
    }
    return line.slice(start, index);
  }

  private splitHeaders(headers: string): { key: string; value: Buffer | null }[] {
    return javaSplit(headers, this.headersSeparatorPattern).map((pair) => {
      const i = pair.indexOf(this.headersKeySeparator);
      if (i === -1) {
        if (this.ignoreError) return { key: pair, value: null };
        this.error(`No header key separator found in pair '${pair}' on line number ${this.lineNumber}`);
      }
      const key = pair.slice(0, i);
      if (key === this.nullMarker)
        this.error(
          `Header keys should not be equal to the null marker '${this.nullMarker}' as they can't be null`,
        );
      const value = pair.slice(i + this.headersKeySeparator.length);
      return { key, value: value === this.nullMarker ? null : Buffer.from(value, 'utf8') };
    });
  }

  /** The record for the next line (counts lines for error messages). */
  readRecord(line: string): ParsedRecord {
    this.lineNumber++;
    const headers = this.parse(this.parseHeaders, line, 0, this.headersDelimiter, 'headers delimiter');
    const headerOffset = headers === null ? 0 : headers.length + this.headersDelimiter.length;
    const key = this.parse(this.parseKey, line, headerOffset, this.keySeparator, 'key separator');
    const keyOffset = key === null ? 0 : key.length + this.keySeparator.length;
    const value = line.slice(headerOffset + keyOffset);
    return {
      key: key !== null && key !== this.nullMarker ? Buffer.from(key, 'utf8') : null,
      value: value !== this.nullMarker ? Buffer.from(value, 'utf8') : null,
      headers: headers !== null && headers !== this.nullMarker ? this.splitHeaders(headers) : [],
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Producer settings (ConsoleProducerConfig.producerProps + ProducerConfig validation)

function compressionCodec(o: ConsoleProducerOptions): string {
  if (o.compressionCodec === undefined || o.compressionCodec === false) return 'none';
  if (o.compressionCodec === true || o.compressionCodec === '') return 'gzip';
  return o.compressionCodec;
}

/** The producer properties ConsoleProducer builds from its flags. */
export function producerProps(o: ConsoleProducerOptions): Record<string, string> {
  const props: Record<string, string> = o.producerConfig ? loadProps(o.producerConfig) : {};
  Object.assign(props, parseKeyValueArgs(o.producerProperty));
  props['bootstrap.servers'] = (o.bootstrapServer ?? o.brokerList) as string;
  props['compression.type'] = compressionCodec(o);
  if (props['client.id'] === undefined) props['client.id'] = 'console-producer';
  // CommandLineUtils.maybeMergeOptions: the flag wins when given, its default only fills a gap.
  const merge = (key: string, flag: string | undefined, dflt: string) => {
    if (flag !== undefined) props[key] = flag;
    else if (props[key] === undefined) props[key] = dflt;
  };
  merge('linger.ms', o.timeout, '1000');
  merge('acks', o.requestRequiredAcks, '-1');
  merge('request.timeout.ms', o.requestTimeoutMs, '1500');
  merge('retries', o.messageSendMaxRetries, '3');
  merge('retry.backoff.ms', o.retryBackoffMs, '100');
  merge('send.buffer.bytes', o.socketBufferSize, String(1024 * 100));
  merge('buffer.memory', o.maxMemoryBytes, String(32 * 1024 * 1024));
  merge('batch.size', o.batchSize, String(16 * 1024));
  merge('batch.size', o.maxPartitionMemoryBytes, String(16 * 1024));
  merge('metadata.max.age.ms', o.metadataExpiryMs, String(5 * 60 * 1000));
  merge('max.block.ms', o.maxBlockMs, String(60 * 1000));
  return props;
}

/** ProducerConfig: the settings this producer uses, validated with Kafka's messages. */
export function producerConfig(props: Record<string, string>, log?: ClientLog): ProducerConfig {
  const acks = configChoice(props, 'acks', 'all', ['all', '-1', '0', '1']);
  const codec = configChoice(props, 'compression.type', 'none', ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
  const lingerMs = configInt(props, 'linger.ms', 5, { min: 0, long: true });
  const requestTimeoutMs = configInt(props, 'request.timeout.ms', 30000, { min: 0 });
  let deliveryTimeoutMs = configInt(props, 'delivery.timeout.ms', 120000, { min: 0 });
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    if (props['delivery.timeout.ms'] !== undefined)
      throw new CliError(
        `${CONFIG_EXCEPTION}: delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms`,
      );
    deliveryTimeoutMs = lingerMs + requestTimeoutMs;
  }
  return {
    bootstrap: props['bootstrap.servers'],
    clientId: props['client.id'],
    acks: acks === 'all' ? -1 : Number(acks),
    compression: compressionTypeForName(codec)!,
    batchSize: configInt(props, 'batch.size', PRODUCER_DEFAULTS.batchSize, { min: 0 }),
    lingerMs,
    maxBlockMs: configInt(props, 'max.block.ms', PRODUCER_DEFAULTS.maxBlockMs, { min: 0, long: true }),
    retries: configInt(props, 'retries', PRODUCER_DEFAULTS.retries, { min: 0, max: 2147483647 }),
    retryBackoffMs: configInt(props, 'retry.backoff.ms', 100, { min: 0, long: true }),
    retryBackoffMaxMs: configInt(props, 'retry.backoff.max.ms', 1000, { min: 0, long: true }),
    requestTimeoutMs,
    deliveryTimeoutMs,
    maxRequestSize: configInt(props, 'max.request.size', PRODUCER_DEFAULTS.maxRequestSize, { min: 0 }),
    bufferMemory: configInt(props, 'buffer.memory', PRODUCER_DEFAULTS.bufferMemory, { min: 0, long: true }),
    metadataMaxAgeMs: configInt(props, 'metadata.max.age.ms', 300000, { min: 0, long: true }),
    log,
  };
}

const READER_CLASSES = new Set(['kafka.tools.LineMessageReader', 'org.apache.kafka.tools.LineMessageReader']);

function describeBytes(b: Buffer | null): string {
  return b === null ? 'null' : `${b.length} bytes`;
}

// ---------------------------------------------------------------------------------------------
// The command

export async function runConsoleProducer(o: ConsoleProducerOptions, io: ConsoleIo): Promise<void> {
  // ConsoleProducerConfig: typed options, required arguments, bootstrap address.
  for (const [v, name, long] of [
    [o.batchSize, 'batch-size', false],
    [o.messageSendMaxRetries, 'message-send-max-retries', false],
    [o.retryBackoffMs, 'retry-backoff-ms', true],
    [o.timeout, 'timeout', true],
    [o.requestTimeoutMs, 'request-timeout-ms', false],
    [o.metadataExpiryMs, 'metadata-expiry-ms', true],
    [o.maxBlockMs, 'max-block-ms', true],
    [o.maxMemoryBytes, 'max-memory-bytes', true],
    [o.maxPartitionMemoryBytes, 'max-partition-memory-bytes', false],
    [o.socketBufferSize, 'socket-buffer-size', false],
  ] as const)
    parseIntOption(v, name, long);
  if (o.bootstrapServer === undefined && o.brokerList === undefined)
    throw new CliError('Missing required option(s) [bootstrap-server]');
  if (o.topic === undefined) throw new CliError('Missing required argument "[topic]"');
  validateBootstrapServer((o.bootstrapServer ?? o.brokerList) as string);

  const lineReader = o.lineReader ?? 'org.apache.kafka.tools.LineMessageReader';
  if (!READER_CLASSES.has(lineReader)) throw new CliError(`java.lang.ClassNotFoundException: ${lineReader}`);
  const readerProps: Record<string, string> = o.readerConfig ? loadProps(o.readerConfig) : {};
  readerProps.topic = o.topic;
  Object.assign(readerProps, parseKeyValueArgs(o.property));
  const reader = new LineMessageReader().configure(readerProps);

  const log = stderrLog(io.stderr);
  const config = producerConfig(producerProps(o), log);
  const producer = new Producer(config);
  const topic = o.topic;
  let failures = 0;
  let stopped = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // As Kafka's shutdown hook: stop reading, send what was read, exit.
    stopped = true;
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    const input = io.stdin as Partial<Readable>;
    if (typeof input.destroy === 'function') input.destroy();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const pending = new Set<Promise<unknown>>();
  /** ErrorLoggingCallback's line, with the exception on the next line as log4j prints it. */
  const logSendError = (r: ProducerRecord, e: unknown) => {
    failures++;
    log(
      'ERROR',
      `Error when sending message to topic ${topic} with key: ${describeBytes(r.key ?? null)}, value: ${describeBytes(r.value ?? null)} with error:`,
      'org.apache.kafka.clients.producer.internals.ErrorLoggingCallback',
    );
    io.stderr(`${exceptionString(e)}\n`);
  };
  try {
    if (io.interactive) io.stdout('>');
    const lines = readLines(io.stdin);
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await lines.next();
      } catch (e) {
        if (stopped) break;
        throw e;
      }
      if (next.done) break;
      const line = next.value;
      if (stopped) break;
      let parsed: ParsedRecord;
      try {
        parsed = reader.readRecord(line);
      } catch (e) {
        await producer.close();
        throw new CliError(exceptionString(e));
      }
      const record: ProducerRecord = { topic, ...parsed };
      if (o.sync) {
        try {
          await producer.send(record);
        } catch (e) {
          await producer.close();
          throw new CliError(`java.util.concurrent.ExecutionException: ${exceptionString(e)}`);
        }
      } else {
        try {
          const f = await producer.append(record);
          const p = f.done.then(
            () => undefined,
            (e: unknown) => logSendError(record, e),
          );
          pending.add(p);
          void p.finally(() => pending.delete(p));
        } catch (e) {
          if (!(e instanceof KafkaClientError)) throw e;
          logSendError(record, e);
        }
      }
      if (io.interactive) io.stdout('>');
    }
    await producer.close();
    await Promise.all(pending);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    producer.cluster.close();
  }
  if (failures > 0 && !process.exitCode) process.exitCode = 1;
}
