// Replication throttles (KIP-73) on a real 3-broker cluster: a reassignment run with
// `--throttle` copies its data measurably slower than the same move without one, and so does a
// plain move into a broker with only the follower side throttled; a throttled move cancelled
// half-way leaves the original replica alone, deletes the partial copy and clears the throttles.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(180_000);

let cluster: Cluster;
let zkc: ZkClient;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-throttle-'));

beforeAll(async () => {
  // Deleted replicas' `-delete` directories go after 1 s rather than Kafka's 60 s default.
  cluster = await startCluster({ brokers: 3, overrides: { 'log.segment.delete.delay.ms': '1000' } });
  zkc = await connectZk(cluster.zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A topic on broker 0 only, holding ~2 MB. */
async function topicWithData(topic: string): Promise<void> {
  const c = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    topic,
    '--replica-assignment',
    '0',
  ]);
  expect(c.code).toBe(0);
  const line = 'x'.repeat(1000);
  const p = await runKcat(['-b', cluster.bootstrap, '-t', topic, '-P', '-X', 'linger.ms=20'], {
    input: Array.from({ length: 2000 }, (_, i) => `${i}-${line}`).join('\n') + '\n',
    timeoutMs: 60_000,
  });
  expect(p.code).toBe(0);
}

/** Moves partition 0 to [0, to] and returns how long the copy took, in ms. */
async function move(topic: string, to: number, extra: string[]): Promise<number> {
  const file = path.join(dir, `${topic}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, partitions: [{ topic, partition: 0, replicas: [0, to] }] }),
  );
  const started = Date.now();
  const r = await runSamsa([
    'reassign-partitions',
    '--bootstrap-server',
    cluster.bootstrap,
    '--execute',
    '--reassignment-json-file',
    file,
    ...extra,
  ]);
  expect(r.stdout).toContain(`Successfully started partition reassignment for ${topic}-0`);
  await waitFor(
    async () => {
      const a = await zkc.getJson<{
        partitions: Record<string, number[]>;
        adding_replicas: Record<string, number[]>;
      }>(`/brokers/topics/${topic}`);
      return (
        a !== null && a.partitions['0'].join(',') === `0,${to}` && Object.keys(a.adding_replicas).length === 0
      );
    },
    { timeoutMs: 120_000, intervalMs: 200, message: `the move of ${topic}` },
  );
  const took = Date.now() - started;
  const v = await runSamsa([
    'reassign-partitions',
    '--bootstrap-server',
    cluster.bootstrap,
    '--verify',
    '--reassignment-json-file',
    file,
  ]);
  expect(v.stdout).toContain(`Reassignment of partition ${topic}-0 is completed.`);
  return took;
}

test('a move with --throttle is measurably slower than the same move without', async () => {
  await topicWithData('fast');
  await topicWithData('slow');
  const unthrottled = await move('fast', 1, []);
  // 100 kB/s: after Kafka's initial allowance (the rate is measured over 10 s of windows) the
  // second megabyte waits for the first to age out of the window.
  const throttled = await move('slow', 2, ['--throttle', '100000']);
  expect(throttled).toBeGreaterThan(5_000);
  expect(throttled).toBeGreaterThan(3 * unthrottled);
  // --verify cleared the throttles it set
  expect(await zkc.getJson('/config/topics/slow')).toEqual({ version: 1, config: {} });
  // both copies serve the data
  const got = await runKcat([
    '-b',
    cluster.brokers[2].bootstrap,
    '-t',
    'slow',
    '-C',
    '-e',
    '-q',
    '-f',
    '%o\\n',
  ]);
  expect(got.stdout.split('\n').filter(Boolean)).toHaveLength(2000);
});

function configs(...args: string[]) {
  return runSamsa(['configs', '--bootstrap-server', cluster.bootstrap, ...args]);
}

/** Bytes in the segment files of `<topic>-0` on broker `id`; null when it has no such directory. */
function segmentBytes(id: number, topic: string): number | null {
  const d = path.join(cluster.brokers[id].logDirs, `${topic}-0`);
  if (!fs.existsSync(d)) return null;
  return fs
    .readdirSync(d)
    .filter((f) => f.endsWith('.log'))
    .reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0);
}

/** `<topic>-0` and any `<topic>-0.<uuid>-delete` left of it in broker `id`'s log directory. */
function partitionDirs(id: number, topic: string): string[] {
  return fs
    .readdirSync(cluster.brokers[id].logDirs)
    .filter((n) => n === `${topic}-0` || (n.startsWith(`${topic}-0.`) && n.endsWith('-delete')));
}

test('the follower side alone (follower.replication.throttled.*, no --throttle) slows a plain move', async () => {
  await topicWithData('ffast');
  await topicWithData('fslow');
  // Its own unthrottled baseline, so nothing here depends on the other tests' timings.
  const unthrottled = await move('ffast', 1, []);
  let cleared = false;
  try {
    let c = await configs(
      '--entity-type',
      'topics',
      '--entity-name',
      'fslow',
      '--alter',
      '--add-config',
      'follower.replication.throttled.replicas=0:2',
    );
    expect(c.stdout).toBe('Completed updating config for topic fslow.\n');
    c = await configs(
      '--entity-type',
      'brokers',
      '--entity-name',
      '2',
      '--alter',
      '--add-config',
      'follower.replication.throttled.rate=100000',
    );
    expect(c.stdout).toBe('Completed updating config for broker 2.\n');
    // Broker 2 applies its own config as it answers; the topic's arrives by change notification.
    await waitFor(() => cluster.brokers[2].output().includes('Processed topic config change for fslow'), {
      timeoutMs: 15_000,
      message: 'broker 2 to apply the topic throttle',
    });
    // Nothing on the leader side: broker 0 serves the new replica at full speed; the follower
    // holds itself back once its first megabyte is over the 100 kB/s measured over 10 s.
    const throttled = await move('fslow', 2, []);
    expect(throttled).toBeGreaterThan(5_000);
    expect(throttled).toBeGreaterThan(3 * unthrottled);
    // --verify of the finished move cleared the throttles (Kafka's clearAllThrottles)
    expect(await zkc.getJson('/config/topics/fslow')).toEqual({ version: 1, config: {} });
    const b2 = await zkc.getJson<{ config: Record<string, string> }>('/config/brokers/2');
    expect(b2?.config ?? {}).not.toHaveProperty('follower.replication.throttled.rate');
    cleared = true;
    const got = await runKcat([
      '-b',
      cluster.brokers[2].bootstrap,
      '-t',
      'fslow',
      '-C',
      '-e',
      '-q',
      '-f',
      '%o\\n',
    ]);
    expect(got.stdout.split('\n').filter(Boolean)).toHaveLength(2000);
  } finally {
    if (!cleared) {
      await configs(
        '--entity-type',
        'topics',
        '--entity-name',
        'fslow',
        '--alter',
        '--delete-config',
        'follower.replication.throttled.replicas',
      );
      await configs(
        '--entity-type',
        'brokers',
        '--entity-name',
        '2',
        '--alter',
        '--delete-config',
        'follower.replication.throttled.rate',
      );
    }
  }
});

test('a throttled move cancelled half-way: original replica kept, partial copy deleted, throttles cleared', async () => {
  await topicWithData('halfway');
  const full = segmentBytes(0, 'halfway')!;
  const file = path.join(dir, 'halfway.json');
  // A move rather than a pure expansion: 3.9's tool leaves a reassignment that only adds
  // replicas running on --cancel.
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, partitions: [{ topic: 'halfway', partition: 0, replicas: [1] }] }),
  );
  const reassign = (...args: string[]) =>
    runSamsa([
      'reassign-partitions',
      '--bootstrap-server',
      cluster.bootstrap,
      '--reassignment-json-file',
      file,
      ...args,
    ]);
  const r = await reassign('--execute', '--throttle', '100000');
  expect(r.stdout).toContain('Successfully started partition reassignment for halfway-0');
  // The first fetch copies about a megabyte; the rest waits ~10 s for the rate to drop.
  let partial = 0;
  await waitFor(
    () => {
      partial = segmentBytes(1, 'halfway') ?? 0;
      return partial > 0;
    },
    { timeoutMs: 30_000, intervalMs: 50, message: 'a partial copy on broker 1' },
  );
  expect(partial).toBeLessThan(full);
  const c = await reassign('--cancel');
  expect(c.code).toBe(0);
  expect(c.stdout).toContain('Successfully cancelled partition reassignment for: halfway-0\n');
  expect(c.stdout).toContain('Clearing topic-level throttles on topic halfway');
  // The original assignment, nothing adding or removing, broker 0 leading alone
  await waitFor(
    async () => {
      const a = await zkc.getJson<{
        partitions: Record<string, number[]>;
        adding_replicas: Record<string, number[]>;
        removing_replicas: Record<string, number[]>;
      }>('/brokers/topics/halfway');
      return (
        a !== null &&
        a.partitions['0'].join(',') === '0' &&
        Object.keys(a.adding_replicas).length === 0 &&
        Object.keys(a.removing_replicas).length === 0
      );
    },
    { timeoutMs: 15_000, message: 'the original assignment [0] in ZooKeeper' },
  );
  const st = await zkc.getJson<{ leader: number; isr: number[] }>(
    '/brokers/topics/halfway/partitions/0/state',
  );
  expect([st!.leader, st!.isr]).toEqual([0, [0]]);
  // The partial replica is gone: renamed to `-delete` by StopReplica, then removed.
  await waitFor(() => partitionDirs(1, 'halfway').length === 0, {
    timeoutMs: 20_000,
    message: "broker 1's partial halfway-0 to be deleted",
  });
  expect(partitionDirs(0, 'halfway')).toEqual(['halfway-0']);
  expect(segmentBytes(0, 'halfway')).toBe(full);
  // --cancel cleared the throttles (no --preserve-throttles)
  expect(await zkc.getJson('/config/topics/halfway')).toEqual({ version: 1, config: {} });
  for (const b of [0, 1, 2]) {
    const cfg = (await zkc.getJson<{ config: Record<string, string> }>(`/config/brokers/${b}`))?.config ?? {};
    expect(Object.keys(cfg).filter((k) => k.includes('throttled'))).toEqual([]);
  }
  const got = await runKcat([
    '-b',
    cluster.brokers[0].bootstrap,
    '-t',
    'halfway',
    '-C',
    '-e',
    '-q',
    '-f',
    '%o\\n',
  ]);
  expect(got.stdout.split('\n').filter(Boolean)).toHaveLength(2000);
});

test('the controller killed with -9 in the middle of a move: the new controller finishes it', async () => {
  await topicWithData('resume');
  const file = path.join(dir, 'resume.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, partitions: [{ topic: 'resume', partition: 0, replicas: [0, 1, 2] }] }),
  );
  const r = await runSamsa([
    'reassign-partitions',
    '--bootstrap-server',
    cluster.bootstrap,
    '--execute',
    '--reassignment-json-file',
    file,
    '--throttle',
    '100000',
  ]);
  expect(r.stdout).toContain('Successfully started partition reassignment for resume-0');
  const inFlight = await zkc.getJson<{ adding_replicas: Record<string, number[]> }>('/brokers/topics/resume');
  expect(inFlight!.adding_replicas['0']).toEqual([1, 2]);
  const ctrl = (await zkc.getJson<{ brokerid: number }>('/controller'))!.brokerid;
  const victim = cluster.brokers.find((b) => b.id === ctrl)!;
  await victim.kill9();
  await waitFor(
    async () => {
      const c = await zkc.getJson<{ brokerid: number }>('/controller');
      return c !== null && c.brokerid !== ctrl;
    },
    { timeoutMs: 30_000, message: 'a new controller' },
  );
  await victim.restart();
  await waitFor(
    async () => {
      const a = await zkc.getJson<{
        partitions: Record<string, number[]>;
        adding_replicas: Record<string, number[]>;
      }>('/brokers/topics/resume');
      return (
        a !== null && a.partitions['0'].join(',') === '0,1,2' && Object.keys(a.adding_replicas).length === 0
      );
    },
    { timeoutMs: 120_000, message: 'the move to finish under the new controller' },
  );
  const st = await zkc.getJson<{ isr: number[] }>('/brokers/topics/resume/partitions/0/state');
  expect([...st!.isr].sort()).toEqual([0, 1, 2]);
});
