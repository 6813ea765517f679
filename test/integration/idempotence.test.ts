// Idempotent producers against real broker processes and a real ZooKeeper: kafkajs with
// `idempotent: true` (InitProducerId, sequence numbers), raw retries of a batch answered with its
// original offset, a sequence gap answered OUT_OF_ORDER_SEQUENCE_NUMBER, /latest_producer_id_block
// as Kafka writes it, and a follower that becomes leader recognising a batch it only replicated.

import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { InitProducerIdResponse } from '../../src/protocol/messages/generated/InitProducerIdResponse';
import type { ProduceResponse } from '../../src/protocol/messages/generated/ProduceResponse';
import { buildRecordBatchSync } from '../../src/protocol/records/records';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';
import { RawSocket } from '../harness/raw-socket';

jest.setTimeout(300_000);

let cluster: Cluster;
let zkc: ZkClient;
let correlationId = 1;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    overrides: {
      'replica.lag.time.max.ms': '5000',
      'auto.leader.rebalance.enable': 'false',
    },
  });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
});

interface PartitionState {
  leader: number;
  leader_epoch: number;
  isr: number[];
}

const state = async (topic: string) =>
  (await zkc.getJson<PartitionState>(`/brokers/topics/${topic}/partitions/0/state`))!;
const broker = (id: number) => cluster.brokers.find((b) => b.id === id)!;

async function createTopic(topic: string, rf: number, configs: string[] = []): Promise<PartitionState> {
  const args = ['topics', '--bootstrap-server', cluster.bootstrap, '--create', '--topic', topic];
  args.push('--partitions', '1', '--replication-factor', String(rf));
  for (const c of configs) args.push('--config', c);
  const r = await runSamsa(args);
  expect(r.code).toBe(0);
  await waitFor(async () => (await state(topic))?.isr.length === rf, { message: `${topic} online` });
  return state(topic);
}

async function consume(topic: string): Promise<string[]> {
  const r = await runKcat(
    ['-b', cluster.bootstrap, '-t', topic, '-p', '0', '-C', '-e', '-q', '-f', '%s\\n'],
    {
      timeoutMs: 120_000,
    },
  );
  expect(r.code).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

async function withSocket<T>(id: number, fn: (s: RawSocket) => Promise<T>): Promise<T> {
  const s = await RawSocket.connect(broker(id).port);
  try {
    return await fn(s);
  } finally {
    s.close();
  }
}

async function initProducerId(id: number, version = 4): Promise<InitProducerIdResponse> {
  return withSocket(id, async (s) => {
    const corr = correlationId++;
    s.sendRequest(ApiKey.InitProducerId, version, corr, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const r = await s.readResponse<InitProducerIdResponse>(ApiKey.InitProducerId, version, 15_000);
    expect(r?.correlationId).toBe(corr);
    return r!.body;
  });
}

/** A fresh idempotent batch (as a client would send it again on retry). */
const batch = (producerId: bigint, seq: number, values: string[], epoch = 0) =>
  buildRecordBatchSync(
    values.map((v) => ({ value: Buffer.from(v), timestamp: BigInt(Date.now()) })),
    { producerId, producerEpoch: epoch, baseSequence: seq },
  );

async function produce(
  id: number,
  topic: string,
  records: Buffer,
): Promise<ProduceResponse['responses'][number]['partitionResponses'][number]> {
  return withSocket(id, async (s) => {
    const corr = correlationId++;
    s.sendRequest(ApiKey.Produce, 9, corr, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    const r = await s.readResponse<ProduceResponse>(ApiKey.Produce, 9, 30_000);
    expect(r?.correlationId).toBe(corr);
    return r!.body.responses[0].partitionResponses[0];
  });
}

const controllerId = async () => (await zkc.getJson<{ brokerid: number }>('/controller'))!.brokerid;

test('kafkajs idempotent producer: InitProducerId, sequenced batches, kcat reads exactly what was sent', async () => {
  await createTopic('idem-kafkajs', 3, ['min.insync.replicas=2']);
  const kafka = new Kafka({
    brokers: cluster.brokers.map((b) => b.bootstrap),
    clientId: 'idempotence-test',
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const sent: string[] = [];
  for (let round = 0; round < 20; round++) {
    const messages = Array.from({ length: 25 }, (_, i) => ({ key: `k${i % 5}`, value: `v-${round}-${i}` }));
    const r = await producer.send({ topic: 'idem-kafkajs', acks: -1, messages });
    expect(r[0].errorCode).toBe(0);
    sent.push(...messages.map((m) => m.value));
  }
  await producer.disconnect();
  expect(await consume('idem-kafkajs')).toEqual(sent);

  // kafkajs asks the controller; it reserved the first block of producer ids, written as Kafka does.
  const raw = (await zkc.getData('/latest_producer_id_block'))!.toString('utf8');
  expect(raw).toBe(`{"version":1,"broker":${await controllerId()},"block_start":"0","block_end":"999"}`);

  // The batches on disk carry the producer id, epoch 0 and consecutive sequences.
  const dump = await runSamsa([
    'dump-log',
    '--files',
    `${broker((await state('idem-kafkajs')).leader).logDirs}/idem-kafkajs-0/00000000000000000000.log`,
  ]);
  expect(dump.code).toBe(0);
  const seqs = [
    ...dump.stdout.matchAll(/baseSequence: (\d+) lastSequence: \d+ producerId: (\d+) producerEpoch: (\d+)/g),
  ];
  expect(seqs.length).toBe(20);
  expect(seqs.every((m) => m[2] === seqs[0][2] && m[3] === '0')).toBe(true);
  expect(seqs.map((m) => Number(m[1]))).toEqual(Array.from({ length: 20 }, (_, i) => i * 25));
});

test('a raw retry gets the original base offset, a sequence gap OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
  const s = await createTopic('idem-raw', 1);
  const leader = s.leader;
  // Another broker than the controller reserves its own block: the next one in the znode.
  const ctl = await controllerId();
  const other = cluster.brokers.map((b) => b.id).find((id) => id !== ctl)!;
  const init = await initProducerId(other, 4);
  expect(init.errorCode).toBe(ErrorCode.NONE);
  expect(init.producerEpoch).toBe(0);
  expect(await zkc.getJson('/latest_producer_id_block')).toEqual({
    version: 1,
    broker: other,
    block_start: '1000',
    block_end: '1999',
  });
  expect(init.producerId).toBe(1000n);
  const pid = init.producerId;

  const first = await produce(leader, 'idem-raw', batch(pid, 0, ['a', 'b', 'c']));
  expect(first).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
  const second = await produce(leader, 'idem-raw', batch(pid, 3, ['d']));
  expect(second).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3n });
  // The same batch again (a client retry after a lost response): success, original offset.
  const retry = await produce(leader, 'idem-raw', batch(pid, 0, ['a', 'b', 'c']));
  expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
  const retry2 = await produce(leader, 'idem-raw', batch(pid, 3, ['d']));
  expect(retry2).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3n });
  // A gap in the sequence.
  const gap = await produce(leader, 'idem-raw', batch(pid, 7, ['x']));
  expect(gap).toMatchObject({
    errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    baseOffset: -1n,
    logStartOffset: 0n,
  });
  // A stale epoch after the producer moved on.
  expect((await produce(leader, 'idem-raw', batch(pid, 0, ['e'], 1))).errorCode).toBe(ErrorCode.NONE);
  expect((await produce(leader, 'idem-raw', batch(pid, 1, ['f'], 0))).errorCode).toBe(
    ErrorCode.INVALID_PRODUCER_EPOCH,
  );
  expect(await consume('idem-raw')).toEqual(['a', 'b', 'c', 'd', 'e']);

  // InitProducerId v0 (no producer id/epoch fields) hands out the next id of the block.
  expect(await initProducerId(other, 0)).toMatchObject({ errorCode: ErrorCode.NONE, producerId: 1001n });
});

test('after the leader is killed the new leader recognises a retried batch it only replicated', async () => {
  const s0 = await createTopic('idem-failover', 3, ['min.insync.replicas=2']);
  const init = await initProducerId(s0.leader);
  expect(init.errorCode).toBe(ErrorCode.NONE);
  const pid = init.producerId;
  const values = (seq: number) => [`m${seq}`, `m${seq + 1}`];
  for (let seq = 0; seq < 10; seq += 2) {
    const r = await produce(s0.leader, 'idem-failover', batch(pid, seq, values(seq)));
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: BigInt(seq) });
  }
  await broker(s0.leader).kill9();
  await waitFor(
    async () => {
      const s = await state('idem-failover');
      return s.leader >= 0 && s.leader !== s0.leader;
    },
    { timeoutMs: 30_000, message: 'a new leader' },
  );
  const s1 = await state('idem-failover');
  // The client never saw the acks of the last batches and sends them again to the new leader.
  for (const seq of [8, 6, 4]) {
    const r = await produce(s1.leader, 'idem-failover', batch(pid, seq, values(seq)));
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: BigInt(seq) });
  }
  expect((await produce(s1.leader, 'idem-failover', batch(pid, 12, values(12)))).errorCode).toBe(
    ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
  );
  const next = await produce(s1.leader, 'idem-failover', batch(pid, 10, values(10)));
  expect(next).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 10n });
  expect(await consume('idem-failover')).toEqual(Array.from({ length: 12 }, (_, i) => `m${i}`));

  // The old leader comes back as a follower; a later leader change still knows the producer.
  await broker(s0.leader).restart();
  await waitFor(async () => (await state('idem-failover')).isr.includes(s0.leader), {
    timeoutMs: 60_000,
    message: 'old leader back in the ISR',
  });
});

test('kafkajs idempotent producer while the leader is killed: every acknowledged record exactly once', async () => {
  const s0 = await createTopic('idem-crash', 3, ['min.insync.replicas=2']);
  const kafka = new Kafka({
    brokers: cluster.brokers.filter((b) => b.isRunning()).map((b) => b.bootstrap),
    clientId: 'idempotence-crash',
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 100, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked: string[] = [];
  let failed = 0;
  let stop = false;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const messages = [{ value: `c${i}-a` }, { value: `c${i}-b` }];
      try {
        await producer.send({ topic: 'idem-crash', acks: -1, messages });
        acked.push(...messages.map((m) => m.value));
      } catch {
        failed++;
      }
    }
  })();
  await waitFor(() => acked.length > 200, { message: 'progress' });
  await broker(s0.leader).kill9();
  await waitFor(
    async () => {
      const s = await state('idem-crash');
      return s.leader >= 0 && s.leader !== s0.leader;
    },
    { timeoutMs: 30_000, message: 'a new leader' },
  );
  const before = acked.length;
  await waitFor(() => acked.length > before + 200, {
    timeoutMs: 60_000,
    message: 'progress on the new leader',
  });
  stop = true;
  await load;
  await producer.disconnect();
  expect(failed).toBe(0);
  const consumed = await consume('idem-crash');
  // Exactly once, in order: no retried batch was written twice.
  expect(consumed).toEqual(acked);
  await broker(s0.leader).restart();
});
