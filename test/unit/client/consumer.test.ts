// The consumer against scripted brokers: positions from ListOffsets, Fetch by topic id (or name
// when the metadata has none), OFFSET_OUT_OF_RANGE resets, leader changes.

import { Consumer, type ConsumerConfig } from '../../../src/client/consumer';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { FetchRequest } from '../../../src/protocol/messages/generated/FetchRequest';
import type { ListOffsetsRequest } from '../../../src/protocol/messages/generated/ListOffsetsRequest';
import type { MetadataRequest } from '../../../src/protocol/messages/generated/MetadataRequest';
import { buildRecordBatchSync } from '../../../src/protocol/records/records';
import { FakeKafka, metadataBody, type FakeRequest } from './fake-kafka';

const brokers: FakeKafka[] = [];
let consumer: Consumer | null = null;

afterEach(async () => {
  consumer?.close();
  consumer = null;
  for (const b of brokers.splice(0)) await b.stop();
});

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

/** A log per partition: `count` records with values p<partition>-<offset>. */
function log(count: number, partition: number, from: bigint): Buffer {
  const batches: Buffer[] = [];
  for (let o = from; o < BigInt(count); o++)
    batches.push(buildRecordBatchSync([{ value: `p${partition}-${o}`, timestamp: 1000 }], { baseOffset: o }));
  return Buffer.concat(batches);
}

interface Script {
  leader: () => number;
  topicId?: string;
  sizes: number[];
  /** Error code to answer for a fetch from this broker (once). */
  fetchError?: Map<number, number>;
}

function handler(s: Script) {
  return (r: FakeRequest) => {
    if (r.apiKey === ApiKey.Metadata) {
      const md = metadataBody(
        brokers,
        { t: s.sizes.map(() => s.leader()) },
        (r.body as MetadataRequest).topics,
      ) as {
        topics: Array<{ topicId?: string }>;
      };
      if (s.topicId !== undefined) for (const t of md.topics) t.topicId = s.topicId;
      return md;
    }
    if (r.apiKey === ApiKey.ListOffsets) {
      const req = r.body as ListOffsetsRequest;
      return {
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            timestamp: -1n,
            offset: p.timestamp === -2n ? 0n : BigInt(s.sizes[p.partitionIndex]),
          })),
        })),
      };
    }
    if (r.apiKey === ApiKey.Fetch) {
      const req = r.body as FetchRequest;
      const err = s.fetchError?.get(r.broker.nodeId);
      if (err !== undefined) s.fetchError!.delete(r.broker.nodeId);
      return {
        responses: req.topics.map((t) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => {
            const size = BigInt(s.sizes[p.partition]);
            if (err !== undefined)
              return { partitionIndex: p.partition, errorCode: err, highWatermark: -1n, records: null };
            if (p.fetchOffset > size)
              return { partitionIndex: p.partition, errorCode: 1, highWatermark: size, records: null };
            return {
              partitionIndex: p.partition,
              errorCode: 0,
              highWatermark: size,
              lastStableOffset: size,
              abortedTransactions: null,
              records: log(Number(size), p.partition, p.fetchOffset),
            };
          }),
        })),
      };
    }
    throw new Error(`unexpected API ${r.apiKey}`);
  };
}

function newConsumer(bootstrap: string, config: Partial<ConsumerConfig> = {}): Consumer {
  consumer = new Consumer({ bootstrap, clientId: 'test', fetchMaxWaitMs: 20, retryBackoffMs: 10, ...config });
  return consumer;
}

async function pollUntil(c: Consumer, n: number, timeoutMs = 3000): Promise<string[]> {
  const out: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline)
    for (const r of await c.poll(100)) out.push(r.value!.toString());
  return out;
}

describe('Consumer (direct assignment)', () => {
  test('every partition of the topic from the earliest offset, fetched by topic id', async () => {
    const s: Script = { leader: () => 1, topicId: TOPIC_ID, sizes: [3, 2] };
    const b = await new FakeKafka(1, handler(s)).start();
    brokers.push(b);
    const c = newConsumer(b.bootstrap, { autoOffsetReset: 'earliest' });
    c.assignAll(['t']);
    const got = await pollUntil(c, 5);
    expect(got.sort()).toEqual(['p0-0', 'p0-1', 'p0-2', 'p1-0', 'p1-1']);
    expect(c.assignment()).toEqual([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    expect(c.position('t', 0)).toBe(3n);
    const fetch = b.of(ApiKey.Fetch)[0];
    expect(fetch.version).toBe(17);
    expect((fetch.body as FetchRequest).topics[0].topicId).toBe(TOPIC_ID);
    expect((fetch.body as FetchRequest).isolationLevel).toBe(0);
    expect((b.of(ApiKey.ListOffsets)[0].body as ListOffsetsRequest).topics[0].partitions[0].timestamp).toBe(
      -2n,
    );
  });

  test('latest by default: only what comes after the start', async () => {
    const s: Script = { leader: () => 1, topicId: TOPIC_ID, sizes: [3] };
    const b = await new FakeKafka(1, handler(s)).start();
    brokers.push(b);
    const c = newConsumer(b.bootstrap);
    c.assignAll(['t']);
    expect(await c.poll(150)).toEqual([]);
    expect(c.position('t', 0)).toBe(3n);
    s.sizes[0] = 5;
    expect(await pollUntil(c, 2)).toEqual(['p0-3', 'p0-4']);
  });

  test('without topic ids the fetch uses names (version 12 at most)', async () => {
    const s: Script = { leader: () => 1, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', sizes: [2] };
    const b = await new FakeKafka(1, handler(s)).start();
    brokers.push(b);
    const c = newConsumer(b.bootstrap);
    c.assign([{ topic: 't', partition: 0 }]);
    c.seek('t', 0, 1n);
    expect(await pollUntil(c, 1)).toEqual(['p0-1']);
    const fetch = b.of(ApiKey.Fetch)[0];
    expect(fetch.version).toBe(12);
    expect((fetch.body as FetchRequest).topics[0].topic).toBe('t');
  });

  test('OFFSET_OUT_OF_RANGE resets the position with auto.offset.reset', async () => {
    const s: Script = { leader: () => 1, topicId: TOPIC_ID, sizes: [4] };
    const b = await new FakeKafka(1, handler(s)).start();
    brokers.push(b);
    const c = newConsumer(b.bootstrap, { autoOffsetReset: 'earliest' });
    c.assign([{ topic: 't', partition: 0 }]);
    c.seek('t', 0, 100n);
    expect(await pollUntil(c, 4)).toEqual(['p0-0', 'p0-1', 'p0-2', 'p0-3']);
    const none = newConsumer(b.bootstrap, { autoOffsetReset: 'none' });
    none.assign([{ topic: 't', partition: 0 }]);
    none.seek('t', 0, 100n);
    await expect(none.poll(500)).rejects.toThrow(
      'Fetch position FetchPosition{offset=100} is out of range for partition t-0',
    );
    consumer = c;
    none.close();
  });

  test('NOT_LEADER_OR_FOLLOWER: metadata refresh, then fetch from the new leader', async () => {
    let leader = 1;
    const s: Script = { leader: () => leader, topicId: TOPIC_ID, sizes: [0] };
    const base = handler(s);
    const h = (r: FakeRequest) => {
      if (r.apiKey === ApiKey.Fetch && r.broker.nodeId !== leader) {
        const req = r.body as FetchRequest;
        return {
          responses: req.topics.map((t) => ({
            topicId: t.topicId,
            partitions: t.partitions.map((p) => ({
              partitionIndex: p.partition,
              errorCode: 6,
              records: null,
            })),
          })),
        };
      }
      return base(r);
    };
    const b1 = await new FakeKafka(1, h).start();
    const b2 = await new FakeKafka(2, h).start();
    brokers.push(b1, b2);
    const c = newConsumer(b1.bootstrap, { autoOffsetReset: 'earliest' });
    c.assignAll(['t']);
    expect(await c.poll(50)).toEqual([]); // metadata and positions: broker 1 leads, the log is empty
    leader = 2; // the leadership moves, records arrive
    s.sizes[0] = 2;
    expect(await pollUntil(c, 2)).toEqual(['p0-0', 'p0-1']);
    expect(b1.of(ApiKey.Fetch).length).toBeGreaterThanOrEqual(1);
    expect(b2.of(ApiKey.Fetch).length).toBeGreaterThanOrEqual(1);
    expect(b1.of(ApiKey.Metadata).length + b2.of(ApiKey.Metadata).length).toBeGreaterThanOrEqual(2);
  });

  test('read_committed is sent in ListOffsets and Fetch', async () => {
    const s: Script = { leader: () => 1, topicId: TOPIC_ID, sizes: [1] };
    const b = await new FakeKafka(1, handler(s)).start();
    brokers.push(b);
    const c = newConsumer(b.bootstrap, { autoOffsetReset: 'earliest', isolationLevel: 1 });
    c.assignAll(['t']);
    expect(await pollUntil(c, 1)).toEqual(['p0-0']);
    expect((b.of(ApiKey.ListOffsets)[0].body as ListOffsetsRequest).isolationLevel).toBe(1);
    expect((b.of(ApiKey.Fetch)[0].body as FetchRequest).isolationLevel).toBe(1);
  });
});
