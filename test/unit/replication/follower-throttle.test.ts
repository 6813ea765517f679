// Replication throttle, follower side (Kafka's ReplicaFetcherThread.shouldFollowerThrottle and
// quota.record): a real ReplicaFetcher with real follower Partitions fetching from a scripted
// leader over a socket, with ConfigManager's ReplicationQuota as follower quota.

import { UNLIMITED_RATE } from '../../../src/admin/dynamic-broker-config';
import { Partition } from '../../../src/cluster/partition';
import { SocketServer } from '../../../src/network/socket-server';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { FetchRequest } from '../../../src/protocol/messages/generated/FetchRequest';
import type { FetchResponseInit } from '../../../src/protocol/messages/generated/FetchResponse';
import { ReplicationQuota } from '../../../src/server/config-manager';
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions';
import { KafkaApis } from '../../../src/server/kafka-apis';
import { ReplicaFetcher } from '../../../src/replication/replica-fetcher';
import { captureLogs } from '../log/helpers';
import { waitUntil } from './cluster';
import { FakeContext, makeBatch, TestEnv } from './helpers';

jest.setTimeout(20000);

/** A leader that serves `end[topic]` records of partition 0 of each topic, five per fetch. */
class ScriptedLeader {
  readonly apis = new KafkaApis();
  readonly server: SocketServer;
  /** The partitions of each Fetch request, as `topic-partition` lists. */
  readonly requests: string[][] = [];
  /** Record bytes sent, per topic. */
  readonly sent = new Map<string, number>();
  port = 0;

  constructor(readonly end: Map<string, bigint>) {
    this.apis.register(apiVersionsHandler(() => this.apis.supportedApis()));
    this.apis.register({
      apiKey: ApiKey.Fetch,
      minVersion: 4,
      maxVersion: 12,
      handle: async (req: FetchRequest): Promise<FetchResponseInit> => {
        this.requests.push(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p.partition}`)));
        const responses = req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => {
            const end = this.end.get(t.topic)!;
            const n = Number(end - p.fetchOffset);
            const records = n > 0 ? makeBatch(p.fetchOffset, Math.min(5, n)) : Buffer.alloc(0);
            this.sent.set(t.topic, (this.sent.get(t.topic) ?? 0) + records.length);
            return {
              partitionIndex: p.partition,
              highWatermark: end,
              lastStableOffset: end,
              logStartOffset: 0n,
              records,
            };
          }),
        }));
        // A long poll that found nothing waits a little, as a real leader would.
        if (responses.every((t) => t.partitions.every((p) => p.records.length === 0)))
          await new Promise((r) => setTimeout(r, 20));
        return { responses };
      },
    });
    this.server = new SocketServer(
      {
        listeners: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
        maxRequestSize: 104857600,
        connectionsMaxIdleMs: 600000,
      },
      this.apis.process,
    );
  }

  async start(): Promise<void> {
    await this.server.start();
    this.port = this.server.boundPorts.get('PLAINTEXT')!;
  }
}

let env: TestEnv;
let leader: ScriptedLeader;
let fetcher: ReplicaFetcher | undefined;
let logs: ReturnType<typeof captureLogs>;
const partitions = new Map<string, Partition>();

beforeEach(() => {
  logs = captureLogs();
  env = new TestEnv();
  partitions.clear();
});

afterEach(async () => {
  await fetcher?.shutdown();
  fetcher = undefined;
  await leader?.server.shutdown();
  env.close();
  logs.restore();
});

/** Starts a fetcher on broker 1 for partition 0 of `topics`, leader broker 0, empty follower logs. */
async function startFetcher(topics: Record<string, bigint>, quota: ReplicationQuota): Promise<void> {
  leader = new ScriptedLeader(new Map(Object.entries(topics)));
  await leader.start();
  const ctx = new FakeContext(1, env.time);
  for (const t of Object.keys(topics)) partitions.set(t, new Partition(t, 0, env.openLog(`${t}-0`), ctx));
  const ep = { id: 0, host: '127.0.0.1', port: leader.port };
  fetcher = new ReplicaFetcher(
    0,
    ep,
    {
      brokerId: 1,
      brokerEpoch: () => 1,
      fetchMaxBytes: 1 << 20,
      fetchMinBytes: 1,
      fetchWaitMaxMs: 20,
      fetchResponseMaxBytes: 10 << 20,
      fetchBackoffMs: 50,
      socketTimeoutMs: 5000,
      followerQuota: () => quota,
    },
    { getPartition: (t, p) => (p === 0 ? partitions.get(t) : undefined) },
    () => undefined,
  );
  fetcher.start();
  fetcher.addPartitions(
    Object.keys(topics).map((t) => ({
      topic: t,
      partition: 0,
      topicId: null,
      leader: ep,
      currentLeaderEpoch: 0,
      initOffset: 0n,
    })),
  );
}

const leo = (topic: string) => partitions.get(topic)!.log.logEndOffset;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('leaves a throttled out-of-sync partition out while the quota is exceeded; in-sync and unthrottled ones are fetched; throttled bytes are recorded', async () => {
  // 1 byte/s: exceeded as soon as the first fetch's throttled data is recorded.
  const quota = new ReplicationQuota('follower');
  quota.updateQuota(1);
  quota.markThrottled('lagging', [0]);
  quota.markThrottled('synced', [0]);
  const recorded: number[] = [];
  const record = quota.record.bind(quota);
  quota.record = (bytes) => {
    recorded.push(bytes);
    record(bytes);
  };
  // lagging: throttled, 100 records to copy. free: not throttled. synced: throttled, 5 records,
  // caught up after the first fetch.
  await startFetcher({ lagging: 100n, free: 100n, synced: 5n }, quota);

  await waitUntil('the first fetch and the free partition to catch up', () => leo('free') === 100n);
  // Before any data the quota was not exceeded: the first fetch asked for every partition.
  expect(leader.requests[0].sort()).toEqual(['free-0', 'lagging-0', 'synced-0']);
  expect(quota.isQuotaExceeded()).toBe(true);
  // From then on the lagging partition sat out; the others were fetched every time.
  expect(leader.requests.length).toBeGreaterThanOrEqual(20);
  for (const r of leader.requests.slice(1)) expect(r.sort()).toEqual(['free-0', 'synced-0']);
  expect(leo('lagging')).toBe(5n);
  expect(leo('synced')).toBe(5n);

  // The in-sync throttled partition keeps up with new data, which still counts against the quota.
  leader.end.set('synced', 8n);
  await waitUntil('the synced partition to follow', () => leo('synced') === 8n);
  // Every throttled byte, and nothing of the unthrottled partition, was recorded.
  const sum = recorded.reduce((a, b) => a + b, 0);
  expect(sum).toBe(leader.sent.get('lagging')! + leader.sent.get('synced')!);
  expect(leader.sent.get('free')!).toBeGreaterThan(0);
  expect(leo('lagging')).toBe(5n);
});

it('with every partition throttled and out of sync it sends no fetch and backs off until the quota allows', async () => {
  const quota = new ReplicationQuota('follower');
  quota.updateQuota(100);
  quota.markThrottled('lagging', [0]);
  quota.record(5000); // 500 B/s over the 10 s minimum window: exceeded
  expect(quota.isQuotaExceeded()).toBe(true);
  // No response yet, so the lag is unknown: not in sync.
  await startFetcher({ lagging: 20n }, quota);
  await sleep(300);
  expect(leader.requests).toEqual([]);
  expect(leo('lagging')).toBe(0n);
  // The rate is lifted: the next backoff round fetches again.
  quota.updateQuota(UNLIMITED_RATE);
  await waitUntil('the copy to finish', () => leo('lagging') === 20n);
  expect(leader.requests[0]).toEqual(['lagging-0']);
});
