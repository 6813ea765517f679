// `samsa console-producer` and `samsa console-consumer` against a real broker, cross-checked
// with kcat (librdkafka): keys, headers, Kafka's default partitioner, codecs, Kafka's output
// formats and exit behaviour.

import { partitionForKey } from '../../src/client/producer';
import {
  BrokerProcess,
  runKcat,
  runSamsa,
  startBroker,
  startTestZooKeeper,
  stopAll,
  TestZooKeeper,
} from '../harness';

jest.setTimeout(180_000);

let zk: TestZooKeeper;
let broker: BrokerProcess;

beforeAll(async () => {
  zk = await startTestZooKeeper();
  broker = await startBroker({ id: 0, zkConnect: zk.connectString, overrides: {} });
});

afterAll(async () => {
  await stopAll();
});

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    broker.bootstrap,
    '--create',
    '--topic',
    name,
    '--partitions',
    String(partitions),
    '--replication-factor',
    '1',
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

const produce = (topic: string, input: string, ...args: string[]) =>
  runSamsa(['console-producer', '--bootstrap-server', broker.bootstrap, '--topic', topic, ...args], {
    input,
  });

const consume = (topic: string, ...args: string[]) =>
  runSamsa(['console-consumer', '--bootstrap-server', broker.bootstrap, '--topic', topic, ...args]);

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

describe('console-producer → console-consumer and kcat', () => {
  const topic = 'keyed';
  const records = Array.from({ length: 30 }, (_, i) => ({
    key: `key-${i}`,
    value: `value ${i} ✓`,
    headers: i % 3 === 0 ? [] : [`h${i}:a${i}`, `x:${i}`],
  }));
  const input =
    records
      .map((r) => `${r.headers.length > 0 ? r.headers.join(',') : 'none:'}\t${r.key}\t${r.value}`)
      .join('\n') + '\n';

  beforeAll(async () => {
    await createTopic(topic, 3);
    const r = await produce(topic, input, '--property', 'parse.key=true', '--property', 'parse.headers=true');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  test('samsa console-consumer reads every record back, in its murmur2 partition, with headers', async () => {
    const r = await consume(
      topic,
      '--from-beginning',
      '--max-messages',
      String(records.length),
      '--property',
      'print.key=true',
      '--property',
      'print.partition=true',
      '--property',
      'print.headers=true',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`Processed a total of ${records.length} messages\n`);
    const got = lines(r.stdout).sort();
    const expected = records
      .map((rec) => {
        const headers = rec.headers.length > 0 ? rec.headers.join(',') : 'none:';
        return `Partition:${partitionForKey(Buffer.from(rec.key), 3)}\t${headers}\t${rec.key}\t${rec.value}`;
      })
      .sort();
    expect(got).toEqual(expected);
  });

  test('records of a partition come out in the order they were produced', async () => {
    const r = await consume(
      topic,
      '--partition',
      '1',
      '--offset',
      'earliest',
      '--timeout-ms',
      '1500',
      '--property',
      'print.key=true',
      '--property',
      'print.offset=true',
    );
    const inPartition = records.filter((rec) => partitionForKey(Buffer.from(rec.key), 3) === 1);
    expect(lines(r.stdout)).toEqual(inPartition.map((rec, i) => `Offset:${i}\t${rec.key}\t${rec.value}`));
    expect(r.stderr).toContain('ERROR Error processing message, terminating consumer process:');
    expect(r.stderr).toContain('org.apache.kafka.common.errors.TimeoutException\n');
    expect(r.stderr.endsWith(`Processed a total of ${inPartition.length} messages\n`)).toBe(true);
    expect(r.code).toBe(0);
  });

  test('kcat reads the same keys, values, headers and partitions', async () => {
    const r = await runKcat(['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-q', '-f', '%k\t%s\n']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).sort()).toEqual(records.map((rec) => `${rec.key}\t${rec.value}`).sort());
    const detailed = await runKcat([
      '-C',
      '-b',
      broker.bootstrap,
      '-t',
      topic,
      '-e',
      '-q',
      '-f',
      '%p|%k|%h\n',
    ]);
    const byKey = new Map(
      lines(detailed.stdout).map((l) => {
        const [p, k, h] = l.split('|');
        return [k, { p: Number(p), h }];
      }),
    );
    for (const rec of records) {
      const seen = byKey.get(rec.key)!;
      expect(seen.p).toBe(partitionForKey(Buffer.from(rec.key), 3));
      expect(seen.h).toBe(
        rec.headers.length > 0 ? rec.headers.map((h) => h.replace(':', '=')).join(',') : 'none=',
      );
    }
  });

  test('kcat with its murmur2 partitioner puts the same keys in the same partitions', async () => {
    await createTopic('murmur', 7);
    const keys = Array.from({ length: 40 }, (_, i) => `k${i * 7919}`);
    const kc = await runKcat(
      ['-P', '-b', broker.bootstrap, '-t', 'murmur', '-K', '\t', '-X', 'topic.partitioner=murmur2_random'],
      { input: keys.map((k) => `${k}\tkcat`).join('\n') + '\n' },
    );
    expect(kc.code).toBe(0);
    const sp = await produce(
      'murmur',
      keys.map((k) => `${k}\tsamsa`).join('\n') + '\n',
      '--property',
      'parse.key=true',
    );
    expect(sp.code).toBe(0);
    const r = await runKcat(['-C', '-b', broker.bootstrap, '-t', 'murmur', '-e', '-q', '-f', '%p %k %s\n']);
    const seen = new Map<string, Set<string>>();
    for (const l of lines(r.stdout)) {
      const [p, k, who] = l.split(' ');
      if (!seen.has(k)) seen.set(k, new Set());
      seen.get(k)!.add(`${p}`);
      expect(['kcat', 'samsa']).toContain(who);
    }
    expect(seen.size).toBe(keys.length);
    for (const k of keys) expect([...seen.get(k)!]).toEqual([String(partitionForKey(Buffer.from(k), 7))]);
  });
});

describe('kcat → console-consumer', () => {
  test("keys, values and headers printed in DefaultMessageFormatter's format", async () => {
    await createTopic('from-kcat', 2);
    const kc = await runKcat(
      [
        '-P',
        '-b',
        broker.bootstrap,
        '-t',
        'from-kcat',
        '-K',
        '\t',
        '-H',
        'source=kcat',
        '-H',
        'n=1',
        '-z',
        'snappy',
      ],
      { input: 'a\talpha\nb\tbeta\nc\tgamma\n' },
    );
    expect(kc.code).toBe(0);
    const r = await consume(
      'from-kcat',
      '--from-beginning',
      '--max-messages',
      '3',
      '--property',
      'print.key=true',
      '--property',
      'print.headers=true',
      '--property',
      'print.timestamp=true',
      '--property',
      'key.separator= | ',
    );
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got).toHaveLength(3);
    for (const l of got)
      expect(l).toMatch(/^CreateTime:\d{13} \| source:kcat,n:1 \| [abc] \| (alpha|beta|gamma)$/);
    expect(got.map((l) => l.split(' | ').slice(2).join('=')).sort()).toEqual([
      'a=alpha',
      'b=beta',
      'c=gamma',
    ]);
    expect(r.stderr).toBe('Processed a total of 3 messages\n');
  });

  test('null keys and values print as null (kcat shows NULL)', async () => {
    await createTopic('nulls', 1);
    const p = await produce(
      'nulls',
      'NUL\tv1\nk2\tNUL\n',
      '--property',
      'parse.key=true',
      '--property',
      'null.marker=NUL',
    );
    expect(p.code).toBe(0);
    const r = await consume(
      'nulls',
      '--from-beginning',
      '--max-messages',
      '2',
      '--property',
      'print.key=true',
    );
    expect(r.stdout).toBe('null\tv1\nk2\tnull\n');
    const k = await runKcat(['-C', '-b', broker.bootstrap, '-t', 'nulls', '-e', '-q', '-Z', '-f', '%k|%s\n']);
    expect(k.stdout).toBe('NULL|v1\nk2|NULL\n');
  });
});

describe('console-producer options', () => {
  test('every compression codec; the bare flag means gzip; kcat decompresses them', async () => {
    await createTopic('codecs', 1);
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const r = await produce('codecs', `${codec}-1\n${codec}-2\n`, '--compression-codec', codec);
      expect([codec, r.code, r.stderr]).toEqual([codec, 0, '']);
    }
    const bare = await produce('codecs', 'bare-1\n', '--compression-codec');
    expect(bare.code).toBe(0);
    const k = await runKcat(['-C', '-b', broker.bootstrap, '-t', 'codecs', '-e', '-q', '-f', '%s\n']);
    expect(lines(k.stdout)).toEqual([
      'none-1',
      'none-2',
      'gzip-1',
      'gzip-2',
      'snappy-1',
      'snappy-2',
      'lz4-1',
      'lz4-2',
      'zstd-1',
      'zstd-2',
      'bare-1',
    ]);
    const dump = await runSamsa([
      'dump-log',
      '--files',
      `${broker.logDirs}/codecs-0/00000000000000000000.log`,
    ]);
    const codecs = [...dump.stdout.matchAll(/compresscodec: (\w+)/g)].map((m) => m[1]);
    expect(codecs).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd', 'gzip']);
  });

  test('--sync, acks 0 and 1, and a large input arrive complete', async () => {
    await createTopic('modes', 3);
    expect((await produce('modes', 'sync-1\nsync-2\n', '--sync')).code).toBe(0);
    expect((await produce('modes', 'acks0-1\n', '--request-required-acks', '0')).code).toBe(0);
    expect((await produce('modes', 'acks1-1\n', '--producer-property', 'acks=1')).code).toBe(0);
    const many = Array.from({ length: 20000 }, (_, i) => `bulk-${i}`);
    const bulk = await produce('modes', many.join('\n') + '\n', '--batch-size', '4096');
    expect(bulk.code).toBe(0);
    expect(bulk.stderr).toBe('');
    const r = await consume('modes', '--from-beginning', '--max-messages', String(many.length + 4));
    expect(r.code).toBe(0);
    const got = lines(r.stdout);
    expect(got).toHaveLength(many.length + 4);
    expect(new Set(got)).toEqual(new Set(['sync-1', 'sync-2', 'acks0-1', 'acks1-1', ...many]));
  });

  test('auto-created topic: the Java client warning, then the records', async () => {
    const r = await produce('auto-created', 'first\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /WARN \[Producer clientId=console-producer\] Error while fetching metadata with correlation id \d+ : \{auto-created=LEADER_NOT_AVAILABLE\} \(org\.apache\.kafka\.clients\.NetworkClient\)/,
    );
    const c = await consume('auto-created', '--from-beginning', '--max-messages', '1');
    expect(c.stdout).toBe('first\n');
  });

  test("a line without the key separator stops with Kafka's message; earlier lines were sent", async () => {
    await createTopic('bad-line', 1);
    const r = await produce('bad-line', 'a\t1\nnokey\nc\t3\n', '--property', 'parse.key=true');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "org.apache.kafka.common.KafkaException: No key separator found on line number 2: 'nokey'\n",
    );
    const c = await consume(
      'bad-line',
      '--from-beginning',
      '--timeout-ms',
      '1500',
      '--property',
      'print.key=true',
    );
    expect(c.stdout).toBe('a\t1\n');
  });

  test('bad settings are refused before anything is sent', async () => {
    const bad = await produce('never', 'x\n', '--request-required-acks', '2');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(
      'org.apache.kafka.common.config.ConfigException: Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1\n',
    );
    const noTopic = await runSamsa(['console-producer', '--bootstrap-server', broker.bootstrap], {
      input: 'x\n',
    });
    expect(noTopic.stderr).toBe('Missing required argument "[topic]"\n');
    expect(noTopic.code).toBe(1);
  });
});

describe('console-consumer options', () => {
  beforeAll(async () => {
    await createTopic('offsets', 1);
    expect((await produce('offsets', 'r0\nr1\nr2\nr3\nr4\n')).code).toBe(0);
  });

  test('--partition with --offset N, earliest, latest', async () => {
    const from2 = await consume(
      'offsets',
      '--partition',
      '0',
      '--offset',
      '2',
      '--max-messages',
      '3',
      '--property',
      'print.offset=true',
    );
    expect(from2.stdout).toBe('Offset:2\tr2\nOffset:3\tr3\nOffset:4\tr4\n');
    const earliest = await consume(
      'offsets',
      '--partition',
      '0',
      '--offset',
      'earliest',
      '--max-messages',
      '1',
    );
    expect(earliest.stdout).toBe('r0\n');
    const latest = await consume('offsets', '--partition', '0', '--offset', 'latest', '--timeout-ms', '1000');
    expect(latest.stdout).toBe('');
    expect(latest.stderr.endsWith('Processed a total of 0 messages\n')).toBe(true);
  });

  test('without --from-beginning only new records are printed', async () => {
    const pending = consume('offsets', '--max-messages', '1', '--timeout-ms', '20000');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await produce('offsets', 'late\n')).code).toBe(0);
    const r = await pending;
    expect(r.stdout).toBe('late\n');
    expect(r.stderr).toBe('Processed a total of 1 messages\n');
  });

  test("option errors use Kafka's messages", async () => {
    const cases: Array<[string[], string]> = [
      [['--offset', '1'], 'The partition is required when offset is specified.'],
      [
        ['--partition', '0', '--offset', '1', '--from-beginning'],
        'Options from-beginning and offset cannot be specified together.',
      ],
      [
        ['--partition', '0', '--offset', 'soon'],
        "The provided offset value 'soon' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.",
      ],
      [['--group', 'g', '--partition', '0'], 'Options group and partition cannot be specified together.'],
    ];
    for (const [args, message] of cases) {
      const r = await consume('offsets', ...args);
      expect([args, r.code, r.stderr]).toEqual([args, 1, `${message}\n`]);
    }
    const noTopic = await runSamsa(['console-consumer', '--bootstrap-server', broker.bootstrap]);
    expect(noTopic.stderr).toBe('Exactly one of --include/--topic is required.\n');
  });

  test('--group consumes through the group coordinator, commits, and a second run resumes', async () => {
    const first = await consume('offsets', '--group', 'g1', '--from-beginning', '--max-messages', '3');
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toEqual(['r0', 'r1', 'r2']);
    const second = await consume('offsets', '--group', 'g1', '--max-messages', '2');
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual(['r3', 'r4']);
  });

  test('--include consumes every matching topic', async () => {
    const r = await runSamsa([
      'console-consumer',
      '--bootstrap-server',
      broker.bootstrap,
      '--include',
      'offs.ts|nulls',
      '--from-beginning',
      '--max-messages',
      '8',
    ]);
    expect(lines(r.stdout).sort()).toEqual(['late', 'null', 'r0', 'r1', 'r2', 'r3', 'r4', 'v1']);
  });
});
