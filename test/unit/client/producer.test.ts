// The producer against scripted brokers: batching per partition, the default partitioner,
// retries with a metadata refresh after NOT_LEADER_OR_FOLLOWER, errors as the Java client
// reports them, acks=0, max.block.ms.

import {
  KafkaClientError,
  partitionForKey,
  Producer,
  type ProducerConfig,
} from '../../../src/client/producer';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { MetadataRequest } from '../../../src/protocol/messages/generated/MetadataRequest';
import type { ProduceRequest } from '../../../src/protocol/messages/generated/ProduceRequest';
import { decodeRecordsSync, splitBatches } from '../../../src/protocol/records/records';
import { FakeKafka, metadataBody, type FakeRequest } from './fake-kafka';

const brokers: FakeKafka[] = [];
let producer: Producer | null = null;

afterEach(async () => {
  await producer?.close().catch(() => undefined);
  producer?.cluster.close();
  producer = null;
  for (const b of brokers.splice(0)) await b.stop();
});

async function broker(nodeId: number, handler: (r: FakeRequest) => unknown): Promise<FakeKafka> {
  const b = await new FakeKafka(nodeId, handler).start();
  brokers.push(b);
  return b;
}

function newProducer(bootstrap: string, config: Partial<ProducerConfig> = {}): Producer {
  producer = new Producer({ bootstrap, clientId: 'test', lingerMs: 0, retryBackoffMs: 10, ...config });
  return producer;
}

/** Records of a Produce request: partition → values. */
function produced(r: FakeRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of (r.body as ProduceRequest).topicData)
    for (const p of t.partitionData) {
      const values: string[] = [];
      for (const b of splitBatches(p.records!).batches)
        for (const rec of decodeRecordsSync(p.records!, b.position)) values.push(rec.value!.toString());
      out.set(`${t.name}-${p.index}`, values);
    }
  return out;
}

/** A broker accepting everything (base offsets counted per partition). */
function acceptingBroker(topics: () => Record<string, number[]>, all: () => FakeKafka[]) {
  const next = new Map<string, bigint>();
  return (r: FakeRequest) => {
    if (r.apiKey === ApiKey.Metadata)
      return metadataBody(all(), topics(), (r.body as MetadataRequest).topics);
    if (r.apiKey === ApiKey.Produce) {
      const req = r.body as ProduceRequest;
      if (req.acks === 0) return null;
      return {
        responses: req.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const k = `${t.name}-${p.index}`;
            const base = next.get(k) ?? 0n;
            let count = 0;
            for (const b of splitBatches(p.records!).batches)
              count += decodeRecordsSync(p.records!, b.position).length;
            next.set(k, base + BigInt(count));
            return {
              index: p.index,
              errorCode: 0,
              baseOffset: base,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
            };
          }),
        })),
      };
    }
    throw new Error(`unexpected API ${r.apiKey}`);
  };
}

describe('Producer', () => {
  test('keyed records go to murmur2 partitions, one batch per partition, offsets per partition', async () => {
    const b = await broker(1, (r) => handler(r));
    const handler = acceptingBroker(
      () => ({ t: [1, 1, 1, 1] }),
      () => brokers,
    );
    const p = newProducer(b.bootstrap, { lingerMs: 50 });
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'alpha', 'epsilon'];
    const results = await Promise.all(
      keys.map(
        async (k, i) =>
          (await p.append({ topic: 't', key: Buffer.from(k), value: Buffer.from(`v${i}`) })).done,
      ),
    );
    await p.flush();
    results.forEach((m, i) => expect(m.partition).toBe(partitionForKey(Buffer.from(keys[i]), 4)));
    // alpha's two records are consecutive offsets in its partition
    expect(results[4].offset - results[0].offset).toBeGreaterThanOrEqual(1n);
    const produce = b.of(ApiKey.Produce);
    expect(produce.length).toBe(1); // linger gathered everything into one request
    const got = produced(produce[0]);
    const alpha = `t-${partitionForKey(Buffer.from('alpha'), 4)}`;
    expect(got.get(alpha)).toEqual(expect.arrayContaining(['v0', 'v4']));
    expect([...got.values()].flat().sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5']);
    const req = produce[0].body as ProduceRequest;
    expect(req.acks).toBe(-1);
    expect(produce[0].version).toBe(11);
  });

  test('unkeyed records stick to one partition, switching on batch boundaries (KIP-794)', async () => {
    const b = await broker(1, (r) => handler(r));
    const handler = acceptingBroker(
      () => ({ t: [1, 1, 1] }),
      () => brokers,
    );
    const p = newProducer(b.bootstrap, { batchSize: 1000, lingerMs: 0 });
    const parts: number[] = [];
    for (let i = 0; i < 40; i++)
      parts.push((await p.send({ topic: 't', value: Buffer.alloc(100, 65) })).partition);
    // Sent one by one, each record is a batch of 61 + 109 = 170 bytes that is never full, so the
    // partition changes once 2 × batch.size bytes went there: after 12 records. (The next sticky
    // partition is random and may be the same one again: runs are multiples of 12.)
    const runs: number[] = [];
    let len = 1;
    for (let i = 1; i < parts.length; i++) {
      if (parts[i] === parts[i - 1]) len++;
      else {
        runs.push(len);
        len = 1;
      }
    }
    expect(parts.slice(0, 12).every((x) => x === parts[0])).toBe(true);
    for (const r of runs) expect(r % 12).toBe(0);
  });

  test('NOT_LEADER_OR_FOLLOWER: metadata refresh, then the batch goes to the new leader', async () => {
    let leader = 1;
    const handle = (r: FakeRequest) => {
      if (r.apiKey === ApiKey.Metadata)
        return metadataBody(brokers, { t: [leader] }, (r.body as MetadataRequest).topics);
      const req = r.body as ProduceRequest;
      if (r.broker.nodeId !== leader || r.broker.nodeId === 1) {
        leader = 2; // the leadership moved
        return {
          responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 6, baseOffset: -1n }] }],
        };
      }
      return {
        responses: [
          {
            name: 't',
            partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 100n, logAppendTimeMs: -1n }],
          },
        ],
        _req: req,
      };
    };
    const b1 = await broker(1, handle);
    const b2 = await broker(2, handle);
    const logs: string[] = [];
    const p = newProducer(b1.bootstrap, { log: (level, m) => logs.push(`${level} ${m}`) });
    const m = await p.send({ topic: 't', value: Buffer.from('x') });
    expect(m).toMatchObject({ topic: 't', partition: 0, offset: 100n });
    expect(b1.of(ApiKey.Produce)).toHaveLength(1);
    expect(b2.of(ApiKey.Produce)).toHaveLength(1);
    expect(produced(b2.of(ApiKey.Produce)[0]).get('t-0')).toEqual(['x']);
    expect(b1.of(ApiKey.Metadata).length + b2.of(ApiKey.Metadata).length).toBeGreaterThanOrEqual(2);
    expect(logs.some((l) => l.includes('retrying') && l.includes('NOT_LEADER_OR_FOLLOWER'))).toBe(true);
  });

  test('retriable errors are retried `retries` times, then the Java exception is reported', async () => {
    const b = await broker(1, (r) => {
      if (r.apiKey === ApiKey.Metadata)
        return metadataBody(brokers, { t: [1] }, (r.body as MetadataRequest).topics);
      return {
        responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 19, baseOffset: -1n }] }],
      };
    });
    const p = newProducer(b.bootstrap, { retries: 2 });
    const err = await p.send({ topic: 't', value: Buffer.from('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaClientError);
    expect(String(err)).toBe(
      'org.apache.kafka.common.errors.NotEnoughReplicasException: Messages are rejected since there are fewer in-sync replicas than required.',
    );
    expect(b.of(ApiKey.Produce)).toHaveLength(3);
  });

  test('a non-retriable error fails at once, with the broker message when there is one', async () => {
    const b = await broker(1, (r) => {
      if (r.apiKey === ApiKey.Metadata)
        return metadataBody(brokers, { t: [1] }, (r.body as MetadataRequest).topics);
      return {
        responses: [
          {
            name: 't',
            partitionResponses: [
              {
                index: 0,
                errorCode: 87,
                baseOffset: -1n,
                errorMessage: 'One or more records have been rejected',
              },
            ],
          },
        ],
      };
    });
    const p = newProducer(b.bootstrap, { retries: 5 });
    const err = await p.send({ topic: 't', value: Buffer.from('x') }).catch((e: unknown) => e);
    expect(String(err)).toBe(
      'org.apache.kafka.common.InvalidRecordException: One or more records have been rejected',
    );
    expect(b.of(ApiKey.Produce)).toHaveLength(1);
  });

  test('acks=0: no response expected; flush returns once the broker has read the requests', async () => {
    const b = await broker(1, (r) => handler(r));
    const handler = acceptingBroker(
      () => ({ t: [1] }),
      () => brokers,
    );
    const p = newProducer(b.bootstrap, { acks: 0 });
    const futures = [];
    for (let i = 0; i < 5; i++)
      futures.push((await p.append({ topic: 't', value: Buffer.from(`v${i}`) })).done);
    await p.flush();
    const metas = await Promise.all(futures);
    expect(metas.every((m) => m.offset === -1n)).toBe(true);
    const values = b.of(ApiKey.Produce).flatMap((r) => produced(r).get('t-0') ?? []);
    expect(values).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect((b.of(ApiKey.Produce)[0].body as ProduceRequest).acks).toBe(0);
  });

  test('max.block.ms: a topic that never appears in the metadata', async () => {
    const b = await broker(1, (r) => metadataBody(brokers, {}, (r.body as MetadataRequest).topics));
    const p = newProducer(b.bootstrap, { maxBlockMs: 300 });
    const started = Date.now();
    const err = await p.append({ topic: 'missing', value: Buffer.from('x') }).catch((e: unknown) => e);
    expect(String(err)).toBe(
      'org.apache.kafka.common.errors.TimeoutException: Topic missing not present in metadata after 300 ms.',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(b.of(ApiKey.Metadata).length).toBeGreaterThan(1);
  });

  test('max.request.size is checked before anything is sent', async () => {
    const b = await broker(1, (r) => handler(r));
    const handler = acceptingBroker(
      () => ({ t: [1] }),
      () => brokers,
    );
    const p = newProducer(b.bootstrap, { maxRequestSize: 1000 });
    const err = await p.append({ topic: 't', value: Buffer.alloc(1000) }).catch((e: unknown) => e);
    expect(String(err)).toBe(
      'org.apache.kafka.common.errors.RecordTooLargeException: The message is 1086 bytes when serialized which is larger than 1000, which is the value of the max.request.size configuration.',
    );
    expect(b.of(ApiKey.Produce)).toHaveLength(0);
  });

  test('batches stay in order per partition and are closed at batch.size', async () => {
    const b = await broker(1, (r) => handler(r));
    const handler = acceptingBroker(
      () => ({ t: [1] }),
      () => brokers,
    );
    const p = newProducer(b.bootstrap, { batchSize: 300, lingerMs: 20 });
    const futures = [];
    for (let i = 0; i < 20; i++)
      futures.push(
        (await p.append({ topic: 't', partition: 0, value: Buffer.from(`value-${i}`.padEnd(40, '.')) })).done,
      );
    const metas = await Promise.all(futures);
    expect(metas.map((m) => Number(m.offset))).toEqual([...Array(20).keys()]);
    const all = b.of(ApiKey.Produce).flatMap((r) => produced(r).get('t-0') ?? []);
    expect(all.map((v) => v.replace(/\.+$/, ''))).toEqual([...Array(20).keys()].map((i) => `value-${i}`));
    expect(b.of(ApiKey.Produce).length).toBeGreaterThan(1);
  });
});
