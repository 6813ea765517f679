// ElectLeaders (API 43) against a real three-broker cluster, PREFERRED and UNCLEAN, as Kafka's ZK
// controller answers it (KafkaController.processReplicaLeaderElection, KafkaApis.handleElectLeaders):
// a preferred election moves leadership back to the first replica once it is in sync again; with
// every partition asked for (topic_partitions null) only ELECTION_NOT_NEEDED results are left out,
// failures included; an unclean election gives an offline partition whose ISR is gone a leader
// from the live out-of-sync replicas; per-partition errors ELECTION_NOT_NEEDED,
// PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION.

import { KafkaConnection } from '../../src/client/network-client';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { ElectLeadersResponse } from '../../src/protocol/messages/generated/ElectLeadersResponse';
import type { MetadataResponse } from '../../src/protocol/messages/generated/MetadataResponse';
import { Cluster, runSamsa, startCluster, stopAll, waitFor } from '../harness';

jest.setTimeout(240_000);

const PREFERRED = 0;
const UNCLEAN = 1;

let cluster: Cluster;
const down = new Set<number>();
/** The broker that answered the last ElectLeaders. */
let lastController = -1;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    // Leadership moves only when the test asks for it.
    overrides: { 'auto.leader.rebalance.enable': 'false' },
  });
});

afterAll(async () => {
  await stopAll();
});

/** One request to a live broker (a fresh connection each time: brokers come and go here). */
async function request<T>(apiKey: number, body: unknown, to?: number): Promise<T> {
  const b = cluster.brokers[to ?? [0, 1, 2].find((id) => !down.has(id))!];
  const c = new KafkaConnection(b.host, b.port, 'elect-leaders-test');
  await c.connect();
  try {
    return await c.request<T>(apiKey, body);
  } finally {
    c.close();
  }
}

async function partitionState(topic: string, partition = 0, from?: number) {
  const md = await request<MetadataResponse>(
    ApiKey.Metadata,
    { topics: [{ name: topic }], allowAutoTopicCreation: false },
    from,
  );
  const p = md.topics[0]?.partitions.find((x) => x.partitionIndex === partition);
  return { leader: p?.leaderId ?? -2, isr: [...(p?.isrNodes ?? [])].sort() };
}

/** ElectLeaders on the controller (retried while the controller moves); results as `topic-p` → [code, message]. */
async function elect(
  electionType: number,
  partitions: Array<[string, number]> | null,
): Promise<Map<string, [number, string | null]>> {
  let res: ElectLeadersResponse | undefined;
  await waitFor(
    async () => {
      const md = await request<MetadataResponse>(ApiKey.Metadata, { topics: [] });
      if (md.controllerId < 0 || down.has(md.controllerId)) return false;
      res = await request<ElectLeadersResponse>(
        ApiKey.ElectLeaders,
        {
          electionType,
          timeoutMs: 30_000,
          topicPartitions:
            partitions === null
              ? null
              : partitions.map(([topic, partition]) => ({ topic, partitions: [partition] })),
        },
        md.controllerId,
      );
      lastController = md.controllerId;
      return res.errorCode !== ErrorCode.NOT_CONTROLLER;
    },
    { message: 'an answer from the controller', timeoutMs: 30_000 },
  );
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  const out = new Map<string, [number, string | null]>();
  for (const t of res!.replicaElectionResults)
    for (const p of t.partitionResult) out.set(`${t.topic}-${p.partitionId}`, [p.errorCode, p.errorMessage]);
  return out;
}

async function createTopic(name: string, assignment: string): Promise<void> {
  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    name,
    '--replica-assignment',
    assignment,
  ]);
  expect([r.code, r.stderr]).toEqual([0, '']);
}

async function stopBroker(id: number): Promise<void> {
  down.add(id);
  await cluster.brokers[id].stop();
}

async function startBroker(id: number): Promise<void> {
  await cluster.brokers[id].restart();
  down.delete(id);
}

const waitState = (topic: string, want: { leader: number; isr?: number[] }, message: string) =>
  waitFor(
    async () => {
      const s = await partitionState(topic);
      return s.leader === want.leader && (want.isr === undefined || s.isr.join() === want.isr.join());
    },
    { message, timeoutMs: 60_000, intervalMs: 200 },
  );

test('PREFERRED moves leadership back to the first replica; UNCLEAN revives a partition whose ISR is gone', async () => {
  await createTopic('pref', '1:0');
  await createTopic('unc', '0:2');
  await createTopic('solo', '2');
  await createTopic('zero', '0');
  await waitState('pref', { leader: 1, isr: [0, 1] }, 'pref-0 led by 1 with both replicas in sync');
  await waitState('unc', { leader: 0, isr: [0, 2] }, 'unc-0 led by 0 with both replicas in sync');

  // The preferred replica already leads; an unknown partition.
  expect(
    await elect(PREFERRED, [
      ['pref', 0],
      ['pref', 7],
    ]),
  ).toEqual(
    new Map([
      ['pref-0', [ErrorCode.ELECTION_NOT_NEEDED, null]],
      ['pref-7', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'The partition does not exist.']],
    ]),
  );

  // Broker 1 leaves and comes back: it is in sync again but no longer leads pref-0.
  await stopBroker(1);
  await waitState('pref', { leader: 0 }, 'pref-0 to fail over to broker 0');
  await startBroker(1);
  await waitState('pref', { leader: 0, isr: [0, 1] }, 'broker 1 back in the ISR of pref-0');

  // Every partition: only the one that needed an election is reported.
  expect(await elect(PREFERRED, null)).toEqual(new Map([['pref-0', [ErrorCode.NONE, null]]]));
  // As Kafka's DelayedElectLeader: the answer came once the broker's metadata shows the new leader.
  expect((await partitionState('pref', 0, lastController)).leader).toBe(1);
  await waitState('pref', { leader: 1, isr: [0, 1] }, 'pref-0 led by its preferred replica 1 again');

  // Broker 2 leaves: solo-0 (only on broker 2) is offline, unc-0 shrinks to [0].
  await stopBroker(2);
  await waitState('unc', { leader: 0, isr: [0] }, 'unc-0 without broker 2 in its ISR');
  // Every partition: the failure is reported (only ELECTION_NOT_NEEDED results are left out).
  expect(await elect(PREFERRED, null)).toEqual(
    new Map([
      [
        'solo-0',
        [
          ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE,
          'Failed to elect leader for partition solo-0 under strategy PreferredReplicaPartitionLeaderElectionStrategy',
        ],
      ],
    ]),
  );
  // unc-0 has a live leader: nothing for an unclean election to do.
  expect(await elect(UNCLEAN, [['unc', 0]])).toEqual(
    new Map([['unc-0', [ErrorCode.ELECTION_NOT_NEEDED, null]]]),
  );

  // Broker 0 leaves too: unc-0's whole ISR is gone. Broker 2 returns, out of sync, and with
  // unclean.leader.election.enable=false it does not become leader by itself.
  await stopBroker(0);
  await waitState('unc', { leader: -1 }, 'unc-0 to go offline');
  await startBroker(2);
  await waitState('solo', { leader: 2 }, 'solo-0 back online on broker 2');
  expect((await partitionState('unc')).leader).toBe(-1);

  expect(
    await elect(UNCLEAN, [
      ['unc', 0],
      ['solo', 0],
      ['zero', 0],
    ]),
  ).toEqual(
    new Map([
      ['unc-0', [ErrorCode.NONE, null]],
      ['solo-0', [ErrorCode.ELECTION_NOT_NEEDED, null]],
      [
        'zero-0',
        [
          ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE,
          'Failed to elect leader for partition zero-0 under strategy OfflinePartitionLeaderElectionStrategy(true)',
        ],
      ],
    ]),
  );
  await waitState('unc', { leader: 2, isr: [2] }, 'unc-0 led by broker 2 after the unclean election');
});
