// A live partition move on 4 real brokers: [0,1,2] → [1,2,3] while a kafkajs producer writes
// with acks=all and a consumer group reads; nothing acknowledged is lost, and the final
// assignment and ISR are right in ZooKeeper and in kcat -L.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(240_000);

let cluster: Cluster;
let zkc: ZkClient;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-reassign-live-'));

beforeAll(async () => {
  cluster = await startCluster({ brokers: 4, overrides: { 'offsets.topic.replication.factor': '3' } });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('moving [0,1,2] to [1,2,3] under an acks=all producer and a consumer loses nothing', async () => {
  const c = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    'live',
    '--replica-assignment',
    '0:1:2',
    '--config',
    'min.insync.replicas=2',
  ]);
  expect(c.code).toBe(0);
  await waitFor(
    async () =>
      (await zkc.getJson<{ isr: number[] }>('/brokers/topics/live/partitions/0/state'))?.isr.length === 3,
  );

  const kafka = new Kafka({
    brokers: cluster.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, maxRetryTime: 1000 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'live-readers' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['live'], fromBeginning: true });
  const read: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void read.push(message.value!.toString()) });

  const acked: string[] = [];
  const failed: unknown[] = [];
  let stop = false;
  let n = 0;
  const loop = (async () => {
    while (!stop) {
      const batch = Array.from({ length: 20 }, () => `m${n++}`);
      try {
        await producer.send({ topic: 'live', acks: -1, messages: batch.map((value) => ({ value })) });
        acked.push(...batch);
      } catch (e) {
        failed.push(e);
      }
    }
  })();
  await waitFor(() => acked.length > 2000, { timeoutMs: 60_000, message: 'produce to get going' });

  const file = path.join(dir, 'live.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, partitions: [{ topic: 'live', partition: 0, replicas: [1, 2, 3] }] }),
  );
  const r = await runSamsa([
    'reassign-partitions',
    '--bootstrap-server',
    cluster.bootstrap,
    '--execute',
    '--reassignment-json-file',
    file,
  ]);
  expect(r.stdout).toContain('Successfully started partition reassignment for live-0');
  await waitFor(
    async () => {
      const a = await zkc.getJson<{
        partitions: Record<string, number[]>;
        removing_replicas: Record<string, number[]>;
      }>('/brokers/topics/live');
      return (
        a !== null && a.partitions['0'].join(',') === '1,2,3' && Object.keys(a.removing_replicas).length === 0
      );
    },
    { timeoutMs: 120_000, message: 'the move to finish' },
  );
  const target = acked.length + 1000;
  await waitFor(() => acked.length > target, {
    timeoutMs: 60_000,
    message: 'produce to go on after the move',
  });
  stop = true;
  await loop;
  await producer.disconnect();
  expect(failed).toEqual([]);

  const st = (await zkc.getJson<{ leader: number; isr: number[] }>(
    '/brokers/topics/live/partitions/0/state',
  ))!;
  expect([1, 2, 3]).toContain(st.leader);
  expect([...st.isr].sort()).toEqual([1, 2, 3]);
  const meta = await runKcat(['-b', cluster.brokers[3].bootstrap, '-L', '-t', 'live']);
  expect(meta.stdout).toContain(
    `partition 0, leader ${st.leader}, replicas: 1,2,3, isrs: ${st.isr.join(',')}`,
  );

  // every acknowledged record, once, in order — for kcat and for the group consumer
  const all = await runKcat(['-b', cluster.bootstrap, '-t', 'live', '-C', '-e', '-q', '-f', '%s\\n'], {
    timeoutMs: 120_000,
  });
  expect(all.stdout.split('\n').filter(Boolean)).toEqual(acked);
  await waitFor(() => read.length >= acked.length, {
    timeoutMs: 60_000,
    message: 'the consumer to catch up',
  });
  await consumer.disconnect();
  expect(read).toEqual(acked);
});
