// Group coordinator benchmark:
//   1. rebalance: time for an N-member group (default 10) to become Stable once all members join —
//      from the first JoinGroup sent until every member has its SyncGroup answer for the same
//      generation (KIP-394 rejoin, leader assignment, metadata record appended), over several
//      rounds with fresh groups. Members rejoin like consumers when a generation completes without
//      them (see rebalanceRound); the generation reached is printed;
//   2. commits: OffsetCommit throughput (commits/s, one partition per commit) from C connections
//      with P requests in flight each, for a group without members (generation −1), every commit
//      appended to __consumer_offsets with acks=-1.
//
// Starts an embedded ZooKeeper and one broker (dist/cli/main.js) in a temporary directory unless
// --bootstrap names a running broker. group.initial.rebalance.delay.ms is 0 for the started broker
// (pass --override group.initial.rebalance.delay.ms=3000 for Kafka's default delay).
//
// `npm run bench` runs the same measurements (runGroupBench below) against its single broker.
//
// Usage (from the repository root, after `npm run build`):
//   npx ts-node --transpile-only -P tsconfig.json bench/groups.ts [options]
// or compiled: npx tsc -p bench/tsconfig.json && node dist/bench/bench/groups.js [options]
//   --bootstrap host:port   use this broker instead of starting one
//   --members N             group size for the rebalance measurement (default 10)
//   --rounds R              rebalance rounds (default 5)
//   --commits N             offset commits to measure (default 50000)
//   --connections C         committing connections (default 4)
//   --pipeline P            commits in flight per connection (default 32)
//   --override k=v          broker property for the started broker (repeatable)

import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { KafkaConnection } from '../src/client/network-client';
import { ErrorCode, errorName } from '../src/protocol/errors';
import { ApiKey } from '../src/protocol/messages/generated';
import type { CreateTopicsResponse } from '../src/protocol/messages/generated/CreateTopicsResponse';
import type { FindCoordinatorResponse } from '../src/protocol/messages/generated/FindCoordinatorResponse';
import type { HeartbeatResponse } from '../src/protocol/messages/generated/HeartbeatResponse';
import type { JoinGroupResponse } from '../src/protocol/messages/generated/JoinGroupResponse';
import type { OffsetCommitResponse } from '../src/protocol/messages/generated/OffsetCommitResponse';
import type { SyncGroupResponse } from '../src/protocol/messages/generated/SyncGroupResponse';
import { setLogLevel } from '../src/utils/logger';
import {
  ensureZooKeeperInstalled,
  spawnTiedToParent,
  startEmbeddedZooKeeper,
  type EmbeddedZooKeeper,
  type TiedChildProcess,
} from '../src/zk/embedded-zookeeper';
import { REPO_ROOT } from './paths';

/** What to measure: the rebalance (members, rounds) and the commit load (commits, connections, pipeline). */
export interface GroupBenchOptions {
  members: number;
  rounds: number;
  commits: number;
  connections: number;
  pipeline: number;
}

export const GROUP_BENCH_DEFAULTS: GroupBenchOptions = {
  members: 10,
  rounds: 5,
  commits: 50_000,
  connections: 4,
  pipeline: 32,
};

interface Options extends GroupBenchOptions {
  bootstrap: string | null;
  overrides: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { ...GROUP_BENCH_DEFAULTS, bootstrap: null, overrides: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--bootstrap') o.bootstrap = next();
    else if (a === '--members') o.members = Number(next());
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--commits') o.commits = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--pipeline') o.pipeline = Number(next());
    else if (a === '--override') o.overrides.push(next());
    else if (a === '--help' || a === '-h') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8').split('\n\n')[0] + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startBroker(
  work: string,
  overrides: string[],
): Promise<{ bootstrap: string; stop: () => Promise<void> }> {
  const install = await ensureZooKeeperInstalled();
  const zk: EmbeddedZooKeeper = await startEmbeddedZooKeeper({
    install,
    dataDir: path.join(work, 'zookeeper'),
    forceSync: false,
    logFile: path.join(work, 'zookeeper.log'),
  });
  const port = await freePort();
  const listener = `PLAINTEXT://127.0.0.1:${port}`;
  const props: Record<string, string> = {
    'broker.id': '0',
    listeners: listener,
    'advertised.listeners': listener,
    'log.dirs': path.join(work, 'logs'),
    'zookeeper.connect': zk.connectString,
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '50',
    'group.initial.rebalance.delay.ms': '0',
  };
  const file = path.join(work, 'server.properties');
  fs.writeFileSync(
    file,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
  );
  const main = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const child: TiedChildProcess = spawnTiedToParent(
    process.execPath,
    [main, 'server-start', file, ...overrides.flatMap((kv) => ['--override', kv])],
    { cwd: REPO_ROOT, env: { ...process.env, SAMSA_LOG_LEVEL: 'info' }, killGraceMs: 15_000 },
  );
  const log = fs.createWriteStream(path.join(work, 'broker.log'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker not ready in 60 s (see ${work}/broker.log)`)),
      60_000,
    );
    const onData = (b: Buffer) => {
      log.write(b);
      out += b.toString();
      if (/started \(kafka\.server\.KafkaServer\)/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (b: Buffer) => log.write(b));
    child.on('exit', () => reject(new Error(`broker exited (see ${work}/broker.log)`)));
  });
  return {
    bootstrap: `127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      log.end();
      await zk.stop();
    },
  };
}

async function connect(hostPort: string): Promise<KafkaConnection> {
  const [host, port] = hostPort.split(':');
  const c = new KafkaConnection(host, Number(port), 'groups-bench', 60_000);
  await c.connect();
  return c;
}

/** The group's coordinator, waiting out COORDINATOR_NOT_AVAILABLE (e.g. __consumer_offsets being created). */
async function coordinatorOf(boot: KafkaConnection, group: string): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await boot.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, {
      keyType: 0,
      coordinatorKeys: [group],
    });
    const c = r.coordinators[0];
    if (c.errorCode === ErrorCode.NONE) return `${c.host}:${c.port}`;
    if (Date.now() > deadline) throw new Error(`no coordinator for ${group}: ${errorName(c.errorCode)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** ConsumerProtocolSubscription v0: topics ["bench-topic"], user data null. */
const SUBSCRIPTION = (() => {
  const topic = Buffer.from('bench-topic');
  const b = Buffer.alloc(2 + 4 + 2 + topic.length + 4);
  b.writeInt16BE(0, 0);
  b.writeInt32BE(1, 2);
  b.writeInt16BE(topic.length, 6);
  topic.copy(b, 8);
  b.writeInt32BE(-1, 8 + topic.length);
  return b;
})();

/** Client-side wait between a synced member's heartbeats while others are still joining. */
const HEARTBEAT_POLL_MS = 5;

/**
 * One rebalance of a fresh group: N members join (KIP-394: the first JoinGroup gets
 * MEMBER_ID_REQUIRED), the leader assigns, everyone syncs. Members behave like consumers: with
 * group.initial.rebalance.delay.ms=0 the coordinator may complete a first generation before every
 * member has joined (Kafka does the same), so a member whose SyncGroup or heartbeat answers
 * REBALANCE_IN_PROGRESS (or a stale generation) rejoins; a synced member heartbeats every
 * HEARTBEAT_POLL_MS until the group is Stable with all N, i.e. every member has its SyncGroup
 * answer for the same generation. Returns ms from the first JoinGroup sent, and that generation.
 */
async function rebalanceRound(
  conns: KafkaConnection[],
  group: string,
): Promise<{ ms: number; generation: number }> {
  const start = process.hrtime.bigint();
  const deadline = Date.now() + 60_000;
  /** The generation each member has synced in; null while (re)joining. */
  const synced: Array<number | null> = conns.map(() => null);
  const stable = () => synced[0] !== null && synced.every((g) => g === synced[0]);
  const rejoin = new Set<number>([
    ErrorCode.REBALANCE_IN_PROGRESS,
    ErrorCode.ILLEGAL_GENERATION,
    ErrorCode.UNKNOWN_MEMBER_ID,
  ]);
  const member = async (c: KafkaConnection, i: number): Promise<void> => {
    let memberId = '';
    for (;;) {
      if (Date.now() > deadline) throw new Error(`group ${group} not Stable within 60 s`);
      synced[i] = null;
      const j = await c.request<JoinGroupResponse>(ApiKey.JoinGroup, {
        groupId: group,
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
        reason: null,
      });
      if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        memberId = j.memberId;
        continue;
      }
      if (j.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        memberId = '';
        continue;
      }
      if (j.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup: ${errorName(j.errorCode)}`);
      memberId = j.memberId;
      const s = await c.request<SyncGroupResponse>(ApiKey.SyncGroup, {
        groupId: group,
        generationId: j.generationId,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments:
          j.leader === j.memberId
            ? j.members.map((m) => ({
                memberId: m.memberId,
                assignment: Buffer.from('0000000000000000', 'hex'),
              }))
            : [],
      });
      if (rejoin.has(s.errorCode)) continue;
      if (s.errorCode !== ErrorCode.NONE) throw new Error(`SyncGroup: ${errorName(s.errorCode)}`);
      synced[i] = j.generationId;
      // Synced: stay in the group, heartbeating, until everyone is in this generation.
      let again = false;
      while (!stable() && !again) {
        await new Promise((res) => setTimeout(res, HEARTBEAT_POLL_MS));
        if (stable()) break;
        const h = await c.request<HeartbeatResponse>(ApiKey.Heartbeat, {
          groupId: group,
          generationId: j.generationId,
          memberId,
          groupInstanceId: null,
        });
        if (rejoin.has(h.errorCode)) again = true;
        else if (h.errorCode !== ErrorCode.NONE) throw new Error(`Heartbeat: ${errorName(h.errorCode)}`);
        if (Date.now() > deadline) throw new Error(`group ${group} not Stable within 60 s`);
      }
      if (!again) return;
    }
  };
  await Promise.all(conns.map((c, i) => member(c, i)));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, generation: synced[0] as number };
}

async function commitThroughput(
  boot: KafkaConnection,
  o: GroupBenchOptions,
): Promise<{ commits: number; seconds: number; latenciesMs: number[] }> {
  const group = `bench-commits-${Date.now()}`;
  const coordinator = await coordinatorOf(boot, group);
  const conns = await Promise.all(Array.from({ length: o.connections }, () => connect(coordinator)));
  const latencies: number[] = [];
  let issued = 0;
  const commitOnce = async (c: KafkaConnection, n: number) => {
    const t0 = process.hrtime.bigint();
    const r = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'bench-topic',
          partitions: [
            {
              partitionIndex: n % 8,
              committedOffset: BigInt(n),
              committedLeaderEpoch: -1,
              committedMetadata: '',
            },
          ],
        },
      ],
    });
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const e = r.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (e !== ErrorCode.NONE) throw new Error(`OffsetCommit: ${errorName(e)}`);
  };
  // Warm-up.
  await Promise.all(conns.map((c, i) => commitOnce(c, i)));
  latencies.length = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    conns.flatMap((c) =>
      Array.from({ length: o.pipeline }, async () => {
        while (issued < o.commits) await commitOnce(c, issued++);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  for (const c of conns) c.close();
  return { commits: issued, seconds, latenciesMs: latencies };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export interface GroupBenchResult {
  members: number;
  /** Time to Stable of each round (ms): first JoinGroup sent to the last SyncGroup answer. */
  rebalanceMs: number[];
  rebalanceMedianMs: number;
  /** The generation each round's group was Stable in (1 unless a member joined late, see rebalanceRound). */
  generations: number[];
  commits: number;
  commitSeconds: number;
  commitsPerSec: number;
  connections: number;
  pipeline: number;
  commitLatencyMs: { p50: number; p99: number };
}

/** Both measurements against the broker at `bootstrap` (host:port); fresh group ids each time. */
export async function runGroupBench(bootstrap: string, o: GroupBenchOptions): Promise<GroupBenchResult> {
  const boot = await connect(bootstrap);
  try {
    // The topic the members "subscribe" to, so the subscriptions are realistic.
    await boot.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: [
        { name: 'bench-topic', numPartitions: 8, replicationFactor: -1, assignments: [], configs: [] },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const times: number[] = [];
    const generations: number[] = [];
    for (let round = 0; round < o.rounds; round++) {
      const group = `bench-rebalance-${Date.now()}-${round}`;
      const coordinator = await coordinatorOf(boot, group);
      const conns = await Promise.all(Array.from({ length: o.members }, () => connect(coordinator)));
      try {
        const r = await rebalanceRound(conns, group);
        times.push(r.ms);
        generations.push(r.generation);
      } finally {
        for (const c of conns) c.close();
      }
    }
    const t = await commitThroughput(boot, o);
    return {
      members: o.members,
      rebalanceMs: times,
      rebalanceMedianMs: median(times),
      generations,
      commits: t.commits,
      commitSeconds: t.seconds,
      commitsPerSec: t.commits / t.seconds,
      connections: o.connections,
      pipeline: o.pipeline,
      commitLatencyMs: { p50: pct(t.latenciesMs, 50), p99: pct(t.latenciesMs, 99) },
    };
  } finally {
    boot.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The two summary lines this script prints. */
export function formatGroupBench(r: GroupBenchResult): string[] {
  const ms = (t: number) => t.toFixed(1);
  return [
    `rebalance: ${r.members} members to Stable in median ${ms(r.rebalanceMedianMs)} ms ` +
      `(min ${ms(Math.min(...r.rebalanceMs))} ms, max ${ms(Math.max(...r.rebalanceMs))} ms, ` +
      `${r.rebalanceMs.length} rounds: ${r.rebalanceMs.map(ms).join(', ')}; generation ` +
      `${r.generations.join(', ')})`,
    `commits: ${r.commits} offset commits in ${r.commitSeconds.toFixed(2)} s = ${Math.round(r.commitsPerSec)} commits/s ` +
      `(${r.connections} connections × ${r.pipeline} in flight; latency p50 ${r.commitLatencyMs.p50.toFixed(2)} ms, ` +
      `p99 ${r.commitLatencyMs.p99.toFixed(2)} ms)`,
  ];
}

async function main(): Promise<void> {
  setLogLevel('warn');
  const o = parseArgs(process.argv.slice(2));
  let stop: (() => Promise<void>) | null = null;
  let work: string | null = null;
  let bootstrap = o.bootstrap;
  if (!bootstrap) {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-bench-groups-'));
    const b = await startBroker(work, o.overrides);
    bootstrap = b.bootstrap;
    stop = b.stop;
    process.stdout.write(`Started a broker at ${bootstrap} (work dir ${work})\n`);
  }
  try {
    for (const line of formatGroupBench(await runGroupBench(bootstrap, o))) process.stdout.write(`${line}\n`);
  } finally {
    if (stop) await stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
