// Issue "Partition logs": real broker processes storing records in Kafka's on-disk format,
// written and read by kcat (librdkafka) and kafkajs, checked on disk with dump-log, and
// recovered after SIGKILL.

import fs from 'node:fs';
import path from 'node:path';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { FetchResponse } from '../../src/protocol/messages/generated/FetchResponse';
import type { ProduceResponse } from '../../src/protocol/messages/generated/ProduceResponse';
import { buildRecordBatchSync } from '../../src/protocol/records/records';
import { ATTRIBUTES_OFFSET, CompressionType, computeCrc, CRC_OFFSET } from '../../src/protocol/records/batch';
import {
  BrokerProcess,
  runKcat,
  runSamsa,
  startBroker,
  startTestZooKeeper,
  stopAll,
  TestZooKeeper,
  waitFor,
} from '../harness';
import { RawSocket } from '../harness/raw-socket';

jest.setTimeout(180_000);

let zk: TestZooKeeper;
let broker: BrokerProcess;

beforeAll(async () => {
  zk = await startTestZooKeeper();
  broker = await startBroker({
    id: 0,
    zkConnect: zk.connectString,
    overrides: { 'log.segment.bytes': '1048576', 'log.initial.task.delay.ms': '0' },
  });
});

afterAll(async () => {
  await stopAll();
});

const kafka = () =>
  new Kafka({ brokers: [broker.bootstrap], clientId: 'produce-fetch-test', logLevel: logLevel.NOTHING });

async function createTopic(name: string, partitions = 1, configs: string[] = []): Promise<void> {
  const args = [
    'topics',
    '--bootstrap-server',
    broker.bootstrap,
    '--create',
    '--topic',
    name,
    '--partitions',
    String(partitions),
  ];
  for (const c of configs) args.push('--config', c);
  const r = await runSamsa(args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

/** Produces `key:value` lines as compressed v2 batches of 1000 through a raw connection. */
async function produceRaw(
  topic: string,
  lines: string[],
  compression: CompressionType,
  header: string,
): Promise<void> {
  const [hk, hv] = header.split('=');
  const s = await RawSocket.connect(broker.port);
  try {
    for (let i = 0; i < lines.length; i += 1000) {
      const records = lines.slice(i, i + 1000).map((l) => {
        const c = l.indexOf(':');
        return {
          key: Buffer.from(l.slice(0, c)),
          value: Buffer.from(l.slice(c + 1)),
          headers: [{ key: hk, value: Buffer.from(hv) }],
          timestamp: Date.now(),
        };
      });
      s.sendRequest(ApiKey.Produce, 9, i, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: topic,
            partitionData: [{ index: 0, records: buildRecordBatchSync(records, { compression }) }],
          },
        ],
      });
      const r = await s.readResponse<ProduceResponse>(ApiKey.Produce, 9);
      expect(r!.body.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NONE);
    }
  } finally {
    s.close();
  }
}

/** Consumes a whole topic with kcat: one line per record, `partition offset key value headers`. */
async function kcatConsume(topic: string, extra: string[] = []): Promise<string[]> {
  const r = await runKcat(
    ['-b', broker.bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%p|%o|%k|%s|%h\\n', ...extra],
    {
      timeoutMs: 120_000,
    },
  );
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('produce and consume with real clients', () => {
  test('100k records with keys and headers through kcat, once per compression codec, read back exactly', async () => {
    await createTopic('kc-codecs');
    const perCodec = 20_000;
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const codec of codecs) {
      const lines = Array.from(
        { length: perCodec },
        (_, i) => `${codec}-k${i}:${codec}-value-${i}-${'x'.repeat(i % 50)}`,
      );
      if (codec === 'lz4') {
        // librdkafka only compresses with lz4 once the broker advertises FindCoordinator (its
        // feature probe), which arrives with consumer groups; until then send Kafka-framed LZ4
        // batches built by Samsa's own builder, which kcat must then decode.
        await produceRaw('kc-codecs', lines, CompressionType.Lz4, `codec=${codec}`);
        continue;
      }
      const r = await runKcat(
        [
          '-b',
          broker.bootstrap,
          '-t',
          'kc-codecs',
          '-P',
          '-K',
          ':',
          '-z',
          codec,
          '-H',
          `codec=${codec}`,
          '-X',
          'linger.ms=20',
        ],
        {
          input: lines.join('\n') + '\n',
          timeoutMs: 120_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const got = await kcatConsume('kc-codecs');
    expect(got).toHaveLength(perCodec * codecs.length);
    let offset = 0;
    for (const codec of codecs)
      for (let i = 0; i < perCodec; i++, offset++)
        expect(got[offset]).toBe(
          `0|${offset}|${codec}-k${i}|${codec}-value-${i}-${'x'.repeat(i % 50)}|codec=${codec}`,
        );

    // The on-disk log is Kafka's: segment files named by base offset, readable by dump-log,
    // every batch valid, codecs as produced, offsets contiguous across segments.
    const dir = path.join(broker.logDirs, 'kc-codecs-0');
    const logs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .sort();
    expect(logs.length).toBeGreaterThan(1);
    for (const f of logs) expect(f).toMatch(/^\d{20}\.log$/);
    expect(fs.existsSync(path.join(dir, 'leader-epoch-checkpoint'))).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
    expect(fs.readFileSync(path.join(dir, 'partition.metadata'), 'utf8')).toMatch(
      /^version: 0\ntopic_id: [A-Za-z0-9_-]{22}$/,
    );
    const dump = await runSamsa(['dump-log', '--files', logs.map((f) => path.join(dir, f)).join(',')]);
    expect(dump.code).toBe(0);
    const batches = dump.stdout.split('\n').filter((l) => l.startsWith('baseOffset:'));
    let next = 0n;
    const seenCodecs = new Set<string>();
    for (const b of batches) {
      const m =
        /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .* compresscodec: (\w+) crc: \d+ isvalid: true$/.exec(
          b,
        );
      expect(m).not.toBeNull();
      expect(BigInt(m![1])).toBe(next);
      next = BigInt(m![2]) + 1n;
      seenCodecs.add(m![4]);
    }
    expect(next).toBe(BigInt(perCodec * codecs.length));
    expect([...seenCodecs].sort()).toEqual(['gzip', 'lz4', 'none', 'snappy', 'zstd']);
    // Offset index entries every index.interval.bytes: point at the batch holding that offset.
    const idx = await runSamsa([
      'dump-log',
      '--files',
      logs.map((f) => path.join(dir, f.replace('.log', '.index'))).join(','),
    ]);
    const entries = idx.stdout.split('\n').filter((l) => /^offset: \d+ position: \d+$/.test(l));
    expect(entries.length).toBeGreaterThan(0);
    expect(idx.stdout).not.toMatch(/Mismatches|not found/);
  });

  test('kafkajs produces 100k records (acks=all, gzip and none) that kcat reads back in order', async () => {
    await createTopic('kj', 2);
    const producer = kafka().producer();
    await producer.connect();
    const expected: Record<number, string[]> = { 0: [], 1: [] };
    for (let round = 0; round < 50; round++) {
      const messages = Array.from({ length: 2000 }, (_, i) => {
        const partition = i % 2;
        const value = `r${round}-m${i}`;
        expected[partition].push(value);
        return { partition, key: `key-${i}`, value, headers: { round: String(round) } };
      });
      await producer.send({
        topic: 'kj',
        acks: -1,
        compression: round % 2 ? CompressionTypes.GZIP : CompressionTypes.None,
        messages,
      });
    }
    await producer.disconnect();
    const got = await kcatConsume('kj');
    expect(got).toHaveLength(100_000);
    for (const p of [0, 1]) {
      const values = got.filter((l) => l.startsWith(`${p}|`)).map((l) => l.split('|'));
      expect(values.map((v) => v[3])).toEqual(expected[p]);
      expect(values.map((v) => Number(v[1]))).toEqual(values.map((_, i) => i));
    }
  });

  test('consume from the middle of a segment and from a timestamp', async () => {
    await createTopic('mid');
    const producer = kafka().producer();
    await producer.connect();
    const base = Date.now() - 100_000;
    for (let i = 0; i < 10; i++)
      await producer.send({
        topic: 'mid',
        messages: Array.from({ length: 100 }, (_, j) => ({
          value: `v${i * 100 + j}`,
          timestamp: String(base + i * 1000),
        })),
      });
    await producer.disconnect();
    const fromMiddle = await kcatConsume('mid', ['-o', '537', '-c', '5']);
    expect(fromMiddle.map((l) => l.split('|').slice(1, 4).join('|'))).toEqual(
      [537, 538, 539, 540, 541].map((o) => `${o}||v${o}`),
    );
    // by timestamp: the first record at or after base + 4500 ms is offset 500
    const fromTs = await kcatConsume('mid', ['-o', `s@${base + 4500}`, '-c', '2']);
    expect(fromTs.map((l) => l.split('|')[1])).toEqual(['500', '501']);
    const admin = kafka().admin();
    await admin.connect();
    expect(await admin.fetchTopicOffsetsByTimestamp('mid', base + 4500)).toEqual([
      { partition: 0, offset: '500' },
    ]);
    expect(await admin.fetchTopicOffsetsByTimestamp('mid', base + 50_000)).toEqual([
      { partition: 0, offset: '1000' },
    ]);
    expect(await admin.fetchTopicOffsets('mid')).toEqual([
      { partition: 0, offset: '1000', high: '1000', low: '0' },
    ]);
    // DeleteRecords moves the log start offset; fetching below it is out of range
    await admin.deleteTopicRecords({ topic: 'mid', partitions: [{ partition: 0, offset: '300' }] });
    expect(await admin.fetchTopicOffsets('mid')).toEqual([
      { partition: 0, offset: '1000', high: '1000', low: '300' },
    ]);
    await admin.disconnect();
    const first = await kcatConsume('mid', ['-o', 'beginning', '-c', '1']);
    expect(first[0].split('|')[1]).toBe('300');
  });

  test('an old client (Produce v2 / Fetch v2, message format v1) is converted both ways', async () => {
    await createTopic('old');
    const old = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.10.0'];
    const lines = Array.from({ length: 500 }, (_, i) => `k${i}:old-${i}`);
    const p = await runKcat(['-b', broker.bootstrap, '-t', 'old', '-P', '-K', ':', '-z', 'gzip', ...old], {
      input: lines.join('\n') + '\n',
    });
    expect(p.code).toBe(0);
    // stored as v2 batches
    const dump = await runSamsa([
      'dump-log',
      '--files',
      path.join(broker.logDirs, 'old-0', '00000000000000000000.log'),
    ]);
    expect(dump.stdout).toMatch(/magic: 2 compresscodec: gzip/);
    // read with the old Fetch (down-converted) and the new one
    const viaOld = await kcatConsume('old', old);
    const viaNew = await kcatConsume('old');
    const expected = lines.map((l, i) => `0|${i}|${l.split(':')[0]}|${l.split(':')[1]}|`);
    expect(viaNew).toEqual(expected);
    expect(viaOld).toEqual(expected);
  });
});

describe('retention', () => {
  test('retention.bytes and retention.ms delete whole old segments and advance the log start offset', async () => {
    await createTopic('ret-bytes', 1, ['segment.bytes=4096', 'retention.bytes=12000']);
    await createTopic('ret-ms', 1, ['segment.bytes=4096', 'retention.ms=60000']);
    const producer = kafka().producer();
    await producer.connect();
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 60; i++) {
      await producer.send({ topic: 'ret-bytes', messages: [{ value: 'x'.repeat(900) }] });
      await producer.send({
        topic: 'ret-ms',
        messages: [{ value: 'y'.repeat(3000), timestamp: String(old) }],
      });
    }
    await producer.send({ topic: 'ret-ms', messages: [{ value: `fresh${'z'.repeat(3000)}` }] });
    await producer.disconnect();
    const admin = kafka().admin();
    await admin.connect();
    try {
      const low = async (t: string) => Number((await admin.fetchTopicOffsets(t))[0].low);
      // the broker checks retention every log.retention.check.interval.ms (1 s in the harness)
      await waitFor(async () => (await low('ret-bytes')) > 0 && (await low('ret-ms')) > 0, {
        timeoutMs: 30_000,
      });
      const dirBytes = path.join(broker.logDirs, 'ret-bytes-0');
      const remaining = () =>
        fs
          .readdirSync(dirBytes)
          .filter((f) => f.endsWith('.log'))
          .reduce((n, f) => n + fs.statSync(path.join(dirBytes, f)).size, 0);
      await waitFor(() => remaining() <= 12000 + 4096, { timeoutMs: 30_000, message: 'retention.bytes' });
      const start = await low('ret-bytes');
      const first = await kcatConsume('ret-bytes', ['-o', 'beginning', '-c', '1']);
      expect(Number(first[0].split('|')[1])).toBe(start);
      // every record older than retention.ms went (one batch per segment here), the fresh one stays
      await waitFor(async () => (await low('ret-ms')) === 60, { timeoutMs: 30_000, message: 'retention.ms' });
      expect((await kcatConsume('ret-ms')).map((l) => l.split('|')[3].slice(0, 5))).toEqual(['fresh']);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('bad produce input', () => {
  function batch(values: string[]): Buffer {
    return buildRecordBatchSync(values.map((v) => ({ value: Buffer.from(v), timestamp: Date.now() })));
  }

  test('a corrupt batch fails only its own partition; acks must be -1, 0 or 1', async () => {
    await createTopic('bad', 2);
    const s = await RawSocket.connect(broker.port);
    try {
      const corrupt = batch(['a', 'b']);
      corrupt[corrupt.length - 1] ^= 0xff; // breaks the CRC
      s.sendRequest(ApiKey.Produce, 9, 1, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [
          {
            name: 'bad',
            partitionData: [
              { index: 0, records: corrupt },
              { index: 1, records: batch(['ok']) },
            ],
          },
          { name: 'nope', partitionData: [{ index: 0, records: batch(['x']) }] },
        ],
      });
      const r = await s.readResponse<ProduceResponse>(ApiKey.Produce, 9);
      const parts = r!.body.responses[0].partitionResponses;
      expect(parts[0]).toMatchObject({ index: 0, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1n });
      expect(parts[1]).toMatchObject({ index: 1, errorCode: ErrorCode.NONE, baseOffset: 0n });
      expect(r!.body.responses[1].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

      s.sendRequest(ApiKey.Produce, 9, 2, {
        acks: 2,
        timeoutMs: 5000,
        topicData: [{ name: 'bad', partitionData: [{ index: 1, records: batch(['x']) }] }],
      });
      const r2 = await s.readResponse<ProduceResponse>(ApiKey.Produce, 9);
      expect(r2!.body.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);

      // A client batch already flagged LogAppendTime, records without timestamps → INVALID_TIMESTAMP
      const flagged = buildRecordBatchSync([{ value: Buffer.from('t'), timestamp: -1 }]);
      flagged.writeInt16BE(flagged.readInt16BE(ATTRIBUTES_OFFSET) | 0x08, ATTRIBUTES_OFFSET);
      flagged.writeUInt32BE(computeCrc(flagged), CRC_OFFSET);
      s.sendRequest(ApiKey.Produce, 9, 3, {
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'bad', partitionData: [{ index: 1, records: flagged }] }],
      });
      const r3 = await s.readResponse<ProduceResponse>(ApiKey.Produce, 9);
      expect(r3!.body.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    } finally {
      s.close();
    }
    // only the good record landed
    expect(await kcatConsume('bad')).toEqual(['1|0||ok|']);
  });

  test('acks=0: no response; a failed partition closes the connection', async () => {
    await createTopic('ack0');
    const s = await RawSocket.connect(broker.port);
    s.sendRequest(ApiKey.Produce, 9, 1, {
      acks: 0,
      timeoutMs: 5000,
      topicData: [{ name: 'ack0', partitionData: [{ index: 0, records: batch(['z']) }] }],
    });
    expect(await s.readFrame(1000)).toBeNull();
    expect(s.closed).toBe(false);
    s.sendRequest(ApiKey.Produce, 9, 2, {
      acks: 0,
      timeoutMs: 5000,
      topicData: [{ name: 'ack0', partitionData: [{ index: 5, records: batch(['z']) }] }],
    });
    expect(await s.waitClosed(3000)).toBe(true);
    expect(await kcatConsume('ack0')).toEqual(['0|0||z|']);
  });

  test('a fetch long-poll is woken by an append, and out-of-range offsets are reported', async () => {
    await createTopic('lp');
    const s = await RawSocket.connect(broker.port);
    try {
      const fetch = (cid: number, offset: bigint, maxWaitMs: number) =>
        s.sendRequest(ApiKey.Fetch, 12, cid, {
          maxWaitMs,
          minBytes: 1,
          maxBytes: 1 << 20,
          topics: [
            { topic: 'lp', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] },
          ],
        });
      // the new partition's leader is ready once a plain fetch succeeds
      await waitFor(async () => {
        fetch(0, 0n, 0);
        return (
          (await s.readResponse<FetchResponse>(ApiKey.Fetch, 12))!.body.responses[0].partitions[0]
            .errorCode === 0
        );
      });
      fetch(1, 0n, 20_000);
      const sentAt = Date.now();
      setTimeout(() => void runKcat(['-b', broker.bootstrap, '-t', 'lp', '-P'], { input: 'hello\n' }), 500);
      const r = await s.readResponse<FetchResponse>(ApiKey.Fetch, 12, 25_000);
      expect(Date.now() - sentAt).toBeLessThan(15_000);
      const part = r!.body.responses[0].partitions[0];
      expect(part.errorCode).toBe(0);
      expect(part.highWatermark).toBe(1n);
      expect(part.records!.length).toBeGreaterThan(61);

      fetch(2, 99n, 0);
      const oor = await s.readResponse<FetchResponse>(ApiKey.Fetch, 12);
      expect(oor!.body.responses[0].partitions[0]).toMatchObject({
        errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
        highWatermark: 1n,
        logStartOffset: 0n,
      });
    } finally {
      s.close();
    }
  });
});

describe('durability', () => {
  test('SIGKILL during a heavy produce loses no acknowledged record; restart recovers the log', async () => {
    const b = await startBroker({
      id: 5,
      zkConnect: zk.connectString,
      overrides: { 'log.segment.bytes': '262144' },
    });
    try {
      const r = await runSamsa([
        'topics',
        '--bootstrap-server',
        b.bootstrap,
        '--create',
        '--topic',
        'crash',
        '--replica-assignment',
        '5',
      ]);
      expect(r.code).toBe(0);
      const client = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
      const producer = client.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const acked: string[] = [];
      let stop = false;
      const loop = (async () => {
        for (let i = 0; !stop; i++) {
          const values = Array.from({ length: 200 }, (_, j) => `m-${i}-${j}`);
          try {
            await producer.send({ topic: 'crash', acks: 1, messages: values.map((value) => ({ value })) });
            acked.push(...values);
          } catch {
            return;
          }
        }
      })();
      await waitFor(() => acked.length > 20_000, { timeoutMs: 60_000 });
      await b.kill9();
      stop = true;
      await loop;
      await producer.disconnect().catch(() => undefined);
      await b.restart();
      expect(b.output()).toMatch(/Recover|recover/);
      const got = await runKcat(['-b', b.bootstrap, '-t', 'crash', '-C', '-e', '-q', '-f', '%o|%s\\n'], {
        timeoutMs: 120_000,
      });
      const lines = got.stdout.split('\n').filter(Boolean);
      // every acknowledged record, in order, at consecutive offsets from 0
      expect(lines.length).toBeGreaterThanOrEqual(acked.length);
      for (let i = 0; i < acked.length; i++) expect(lines[i]).toBe(`${i}|${acked[i]}`);
      // anything beyond was a complete batch that made it to disk before the kill
      for (let i = acked.length; i < lines.length; i++)
        expect(lines[i]).toMatch(new RegExp(`^${i}\\|m-\\d+-\\d+$`));
      expect(lines.length % 200).toBe(0);
    } finally {
      await b.stop();
    }
  });

  test('a corrupted tail is cut off with a warning and everything before it is served', async () => {
    const b = await startBroker({ id: 6, zkConnect: zk.connectString });
    try {
      expect(
        (
          await runSamsa([
            'topics',
            '--bootstrap-server',
            b.bootstrap,
            '--create',
            '--topic',
            'torn',
            '--replica-assignment',
            '6',
          ])
        ).code,
      ).toBe(0);
      for (let i = 0; i < 5; i++) {
        const lines = Array.from({ length: 100 }, (_, j) => `b${i}-${j}`);
        expect(
          (
            await runKcat(['-b', b.bootstrap, '-t', 'torn', '-P', '-X', 'linger.ms=50'], {
              input: lines.join('\n') + '\n',
            })
          ).code,
        ).toBe(0);
      }
      const before = (
        await runKcat(['-b', b.bootstrap, '-t', 'torn', '-C', '-e', '-q', '-f', '%o|%s\\n'])
      ).stdout
        .split('\n')
        .filter(Boolean);
      expect(before).toHaveLength(500);
      await b.kill9();
      // overwrite bytes inside the last batch
      const logFile = path.join(b.logDirs, 'torn-0', '00000000000000000000.log');
      const data = fs.readFileSync(logFile);
      const fd = fs.openSync(logFile, 'r+');
      fs.writeSync(fd, Buffer.from('garbage!'), 0, 8, data.length - 20);
      fs.closeSync(fd);
      await b.restart();
      expect(b.output()).toMatch(/WARN .*torn-0.*(truncat|corrupt|invalid)/i);
      const after = (
        await runKcat(['-b', b.bootstrap, '-t', 'torn', '-C', '-e', '-q', '-f', '%o|%s\\n'])
      ).stdout
        .split('\n')
        .filter(Boolean);
      expect(after.length).toBeLessThan(500);
      expect(after.length).toBeGreaterThan(0);
      expect(after).toEqual(before.slice(0, after.length));
      const dump = await runSamsa(['dump-log', '--files', logFile]);
      expect(dump.stdout).not.toMatch(/isvalid: false/);
      // the partition takes new writes after the truncation point
      expect((await runKcat(['-b', b.bootstrap, '-t', 'torn', '-P'], { input: 'new\n' })).code).toBe(0);
      const last = (
        await runKcat(['-b', b.bootstrap, '-t', 'torn', '-C', '-e', '-q', '-o', '-1', '-f', '%o|%s\\n'])
      ).stdout.trim();
      expect(last).toBe(`${after.length}|new`);
    } finally {
      await b.stop();
    }
  });
});
