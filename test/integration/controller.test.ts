// The controller's partition and replica state machines against three real brokers and a real
// ZooKeeper (Kafka's PartitionStateMachine / ReplicaStateMachine / TopicDeletionManager): topic
// deletion walks every replica through OfflineReplica → ReplicaDeletionStarted →
// ReplicaDeletionSuccessful → NonExistentReplica and leaves no log dir or znode; a preferred
// election (ElectLeaders, or the legacy /admin/preferred_replica_election znode) moves leadership
// to the first replica; a partition whose only ISR
// member dies goes OfflinePartition (leader -1 in ZooKeeper and in Metadata) and turning
// unclean.leader.election.enable on for its topic (`samsa configs --alter`), or as the dynamic
// broker default, elects the live out-of-sync replica at once. Each step is checked in
// ZooKeeper, in Metadata and in the controller's state-change.log. A second cluster checks that a
// new controller's first auto-rebalance check runs 5 s after its failover.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/network-client';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { ElectLeadersResponse } from '../../src/protocol/messages/generated/ElectLeadersResponse';
import type { MetadataResponse } from '../../src/protocol/messages/generated/MetadataResponse';
import { Cluster, connectZk, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(120_000);

const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-controller-logs-'));
let cluster: Cluster;
let zkc: ZkClient;

beforeAll(async () => {
  cluster = await startCluster({
    brokers: 3,
    overrides: {
      // Leadership moves only when a test asks for it.
      'auto.leader.rebalance.enable': 'false',
      'controlled.shutdown.retry.backoff.ms': '100',
      // Deleted partitions' dirs (renamed `*-delete`) go after this delay (Kafka's default: 60 s).
      'log.segment.delete.delay.ms': '500',
    },
    brokerOverrides: (id) => ({ 'samsa.log.dir': path.join(logRoot, `broker-${id}`) }),
  });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
  fs.rmSync(logRoot, { recursive: true, force: true });
});

interface PartitionStateZNode {
  leader: number;
  leader_epoch: number;
  isr: number[];
}

const state = (topic: string, p = 0) =>
  zkc.getJson<PartitionStateZNode>(`/brokers/topics/${topic}/partitions/${p}/state`);
const controllerId = async () => (await zkc.getJson<{ brokerid: number }>('/controller'))?.brokerid ?? -1;
const stateChangeLog = (broker: number) =>
  fs.readFileSync(path.join(logRoot, `broker-${broker}`, 'state-change.log'), 'utf8');

async function request<T>(broker: number, apiKey: number, body: unknown): Promise<T> {
  const b = cluster.brokers[broker];
  const c = new KafkaConnection(b.host, b.port, 'controller-test');
  await c.connect();
  try {
    return await c.request<T>(apiKey, body);
  } finally {
    c.close();
  }
}

/** Leader and ISR of a partition as broker `broker`'s Metadata reports them. */
async function metadata(broker: number, topic: string, p = 0) {
  const md = await request<MetadataResponse>(broker, ApiKey.Metadata, {
    topics: [{ name: topic }],
    allowAutoTopicCreation: false,
  });
  const part = md.topics[0]?.partitions.find((x) => x.partitionIndex === p);
  return { leader: part?.leaderId ?? -2, isr: [...(part?.isrNodes ?? [])].sort(), error: part?.errorCode };
}

async function createTopic(args: string[]): Promise<void> {
  const r = await runSamsa(['topics', '--bootstrap-server', cluster.bootstrap, '--create', ...args]);
  expect(r.code).toBe(0);
}

async function waitForFullIsr(topic: string, partitions: number, rf: number): Promise<void> {
  await waitFor(
    async () => {
      for (let p = 0; p < partitions; p++) if ((await state(topic, p))?.isr.length !== rf) return false;
      return true;
    },
    { timeoutMs: 30_000, message: `full ISRs of ${topic}` },
  );
}

/**
 * Gives partition 0 of `topic` the same replicas in a new order (a reassignment that completes at
 * once): the first one becomes the preferred replica while the leader stays where it is.
 */
async function reorderReplicas(topic: string, replicas: number[]): Promise<void> {
  const admin = new Kafka({
    brokers: cluster.brokers.map((b) => b.bootstrap),
    clientId: 'controller-test',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  await admin.alterPartitionReassignments({
    topics: [{ topic, partitionAssignment: [{ partition: 0, replicas }] }],
  });
  await admin.disconnect();
  await waitFor(
    async () =>
      (await zkc.getJson<{ partitions: Record<string, number[]> }>(`/brokers/topics/${topic}`))?.partitions[
        '0'
      ].join(',') === replicas.join(','),
    { timeoutMs: 15_000, message: `the new replica order of ${topic}` },
  );
}

test('topic deletion: every replica goes through the deletion states, no log dir and no znode is left', async () => {
  await createTopic(['--topic', 'doomed', '--partitions', '3', '--replication-factor', '3']);
  await waitForFullIsr('doomed', 3, 3);
  const kafka = new Kafka({
    brokers: cluster.brokers.map((b) => b.bootstrap),
    clientId: 'controller-test',
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < 3; p++)
    await producer.send({ topic: 'doomed', acks: -1, messages: [{ partition: p, value: `v${p}` }] });
  await producer.disconnect();
  const dirs = () =>
    cluster.brokers.flatMap((b) => fs.readdirSync(b.logDirs).filter((d) => d.startsWith('doomed-')));
  expect(dirs().sort()).toEqual([
    'doomed-0',
    'doomed-0',
    'doomed-0',
    'doomed-1',
    'doomed-1',
    'doomed-1',
    'doomed-2',
    'doomed-2',
    'doomed-2',
  ]);
  const ctrl = await controllerId();

  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--delete',
    '--topic',
    'doomed',
  ]);
  expect(r.code).toBe(0);
  await waitFor(
    async () =>
      !(await zkc.exists('/brokers/topics/doomed')) &&
      !(await zkc.exists('/admin/delete_topics/doomed')) &&
      !(await zkc.exists('/config/topics/doomed')),
    { timeoutMs: 30_000, message: 'the znodes of the deleted topic to go' },
  );
  await waitFor(() => dirs().length === 0, { timeoutMs: 30_000, message: 'the log dirs to go' });
  expect((await metadata(0, 'doomed')).leader).toBe(-2); // no such partition any more

  const log = stateChangeLog(ctrl);
  for (let p = 0; p < 3; p++) {
    expect(log).toContain(`Changed partition doomed-${p} state from OnlinePartition to OfflinePartition`);
    expect(log).toContain(
      `Changed partition doomed-${p} state from OfflinePartition to NonExistentPartition`,
    );
    for (const b of [0, 1, 2])
      for (const [from, to] of [
        ['OnlineReplica', 'OfflineReplica'],
        ['OfflineReplica', 'ReplicaDeletionStarted'],
        ['ReplicaDeletionStarted', 'ReplicaDeletionSuccessful'],
        ['ReplicaDeletionSuccessful', 'NonExistentReplica'],
      ])
        expect(log).toContain(
          `Changed state of replica ${b} for partition doomed-${p} from ${from} to ${to}`,
        );
  }
  expect(log).not.toMatch(
    /failed to change state for partition doomed|state change of replica \d for partition doomed-\d .* failed/,
  );
});

test('ElectLeaders PREFERRED moves leadership to the preferred replica', async () => {
  const [x, y] = [1, 2];
  await createTopic(['--topic', 'pref', '--replica-assignment', `${x}:${y}`]);
  await waitForFullIsr('pref', 1, 2);
  expect((await state('pref'))!.leader).toBe(x);
  await reorderReplicas('pref', [y, x]);
  expect((await state('pref'))!.leader).toBe(x);
  const epochBefore = (await state('pref'))!.leader_epoch;

  const ctrl = await controllerId();
  const res = await request<ElectLeadersResponse>(ctrl, ApiKey.ElectLeaders, {
    electionType: 0,
    timeoutMs: 30_000,
    topicPartitions: [{ topic: 'pref', partitions: [0] }],
  });
  expect(res.errorCode).toBe(ErrorCode.NONE);
  expect(res.replicaElectionResults[0].partitionResult[0].errorCode).toBe(ErrorCode.NONE);
  const after = (await state('pref'))!;
  expect(after.leader).toBe(y);
  expect(after.leader_epoch).toBe(epochBefore + 1);
  await waitFor(async () => (await metadata(0, 'pref')).leader === y, {
    timeoutMs: 10_000,
    message: 'metadata to show the preferred leader',
  });
  expect(stateChangeLog(ctrl)).toMatch(
    new RegExp(
      `Changed partition pref-0 from OnlinePartition to OnlinePartition with state LeaderAndIsr\\(leader=${y}, leaderEpoch=${epochBefore + 1},`,
    ),
  );
});

test('the legacy /admin/preferred_replica_election znode triggers preferred elections and is deleted', async () => {
  const [x, y] = [0, 2];
  await createTopic(['--topic', 'zkpref', '--replica-assignment', `${x}:${y}`]);
  await waitForFullIsr('zkpref', 0, 2);
  await reorderReplicas('zkpref', [y, x]);
  expect((await state('zkpref'))!.leader).toBe(x);

  // What kafka-preferred-replica-election.sh wrote; an unknown topic is skipped.
  await zkc.create(
    '/admin/preferred_replica_election',
    JSON.stringify({
      version: 1,
      partitions: [
        { topic: 'zkpref', partition: 0 },
        { topic: 'no-such-topic', partition: 0 },
      ],
    }),
  );
  await waitFor(async () => (await state('zkpref'))!.leader === y, {
    timeoutMs: 15_000,
    message: 'the preferred replica to lead',
  });
  await waitFor(async () => !(await zkc.exists('/admin/preferred_replica_election')), {
    timeoutMs: 15_000,
    message: 'the controller to delete the znode',
  });
  await waitFor(async () => (await metadata(1, 'zkpref')).leader === y, {
    timeoutMs: 10_000,
    message: 'metadata to show the preferred leader',
  });
});

test('the only ISR member dies: OfflinePartition (leader -1); enabling unclean.leader.election.enable (topic, then broker default) elects the out-of-sync replica at once', async () => {
  const ctrl = await controllerId();
  const [a, b] = [0, 1, 2].filter((id) => id !== ctrl);
  const topics = ['lonely', 'lonely2'];
  for (const t of topics) {
    await createTopic(['--topic', t, '--replica-assignment', `${a}:${b}`]);
    await waitForFullIsr(t, 1, 2);
    expect((await state(t))!.leader).toBe(a);
  }

  // The follower leaves (controlled shutdown: out of the ISR), then the leader, the last ISR member.
  expect(await cluster.brokers[b].stop()).toBe(0);
  for (const t of topics)
    await waitFor(async () => (await state(t))!.isr.join(',') === `${a}`, {
      timeoutMs: 15_000,
      message: `ISR [a] for ${t}`,
    });
  const epochBeforeDeath = (await state('lonely'))!.leader_epoch;
  await cluster.brokers[a].stop();
  for (const t of topics)
    await waitFor(async () => (await state(t))!.leader === -1, {
      timeoutMs: 15_000,
      message: `leader -1 in ZooKeeper for ${t}`,
    });
  const offline = (await state('lonely'))!;
  expect(offline.isr).toEqual([a]); // the last member stays in the ISR
  expect(offline.leader_epoch).toBe(epochBeforeDeath + 1); // one bump, not two

  // The out-of-sync replica comes back: no clean leader, the partitions stay offline.
  await cluster.brokers[b].restart();
  await waitFor(
    async () => (await zkc.exists(`/brokers/ids/${b}`)) && (await metadata(b, 'lonely')).leader === -1,
    {
      timeoutMs: 15_000,
      message: 'broker b back with the metadata',
    },
  );
  await new Promise((r) => setTimeout(r, 500));
  for (const t of topics) {
    expect((await state(t))!.leader).toBe(-1);
    expect((await metadata(ctrl, t)).leader).toBe(-1);
    expect((await metadata(b, t)).leader).toBe(-1);
  }
  const log = stateChangeLog(ctrl);
  expect(log).toContain('Changed partition lonely-0 state from OnlinePartition to OfflinePartition');
  expect(log).toMatch(
    /failed to change state for partition lonely-0 from OfflinePartition to OnlinePartition\n.*Failed to elect leader for partition lonely-0 under strategy OfflinePartitionLeaderElectionStrategy\(false\)/,
  );

  const configs = async (...args: string[]) => {
    const r = await runSamsa([
      'configs',
      '--bootstrap-server',
      cluster.brokers[ctrl].bootstrap,
      '--alter',
      ...args,
    ]);
    expect(r.code).toBe(0);
  };
  // The topic's own config: only its partition is elected.
  let started = Date.now();
  await configs(
    '--entity-type',
    'topics',
    '--entity-name',
    'lonely',
    '--add-config',
    'unclean.leader.election.enable=true',
  );
  await waitFor(async () => (await state('lonely'))!.leader === b, {
    timeoutMs: 5_000,
    message: 'the unclean election',
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect((await state('lonely'))!.isr).toEqual([b]);
  await waitFor(async () => (await metadata(ctrl, 'lonely')).leader === b, {
    timeoutMs: 5_000,
    message: 'metadata to show the new leader',
  });
  expect(stateChangeLog(ctrl)).toMatch(
    new RegExp(
      `Changed partition lonely-0 from OfflinePartition to OnlinePartition with state LeaderAndIsr\\(leader=${b}, .*leaderRecoveryState=RECOVERING`,
    ),
  );
  expect((await state('lonely2'))!.leader).toBe(-1);

  // The dynamic cluster-wide default: every offline partition is retried.
  started = Date.now();
  await configs(
    '--entity-type',
    'brokers',
    '--entity-default',
    '--add-config',
    'unclean.leader.election.enable=true',
  );
  await waitFor(async () => (await state('lonely2'))!.leader === b, {
    timeoutMs: 5_000,
    message: 'the unclean election after the broker default changed',
  });
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(stateChangeLog(ctrl)).toMatch(
    new RegExp(
      `Changed partition lonely2-0 from OfflinePartition to OnlinePartition with state LeaderAndIsr\\(leader=${b},`,
    ),
  );
  await cluster.brokers[a].restart();
});

test('auto leader rebalance: the first imbalance check runs 5 s after failover (then every leader.imbalance.check.interval.seconds)', async () => {
  const c2 = await startCluster({
    brokers: 3,
    overrides: { 'leader.imbalance.check.interval.seconds': '300' },
  });
  const started = Date.now();
  const zk2 = await connectZk(c2.zk.connectString);
  try {
    const state2 = () => zk2.getJson<PartitionStateZNode>('/brokers/topics/balance/partitions/0/state');
    const ctrl = (await zk2.getJson<{ brokerid: number }>('/controller'))!.brokerid;
    const [x, y] = [0, 1, 2].filter((id) => id !== ctrl);
    const r = await runSamsa([
      'topics',
      '--bootstrap-server',
      c2.bootstrap,
      '--create',
      '--topic',
      'balance',
      '--replica-assignment',
      `${x}:${y}`,
    ]);
    expect(r.code).toBe(0);
    await waitFor(async () => (await state2())?.isr.length === 2, { timeoutMs: 30_000, message: 'full ISR' });
    // Past the first controller's own first check: only its 300 s period is left.
    await new Promise((res) => setTimeout(res, Math.max(0, started + 7_000 - Date.now())));
    // Leadership moves to y (controlled shutdown of x), x comes back in sync: imbalanced.
    await c2.brokers[x].restart();
    await waitFor(async () => (await state2())!.isr.length === 2, {
      timeoutMs: 30_000,
      message: 'x back in the ISR',
    });
    expect((await state2())!.leader).toBe(y);
    await new Promise((res) => setTimeout(res, 1_000));
    expect((await state2())!.leader).toBe(y);

    // A new controller: its first check, 5 s after its failover, restores the preferred leader.
    const failover = Date.now();
    await c2.brokers[ctrl].stop();
    await waitFor(async () => (await state2())!.leader === x, {
      timeoutMs: 15_000,
      message: 'the preferred leader back',
    });
    const after = Date.now() - failover;
    expect(after).toBeGreaterThanOrEqual(4_000);
    expect(after).toBeLessThan(12_000);
  } finally {
    await zk2.close();
    await c2.stop();
  }
});
