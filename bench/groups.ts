// Group coordinator benchmark:
//   1. rebalance: time for an N-member group (default 10) to become Stable once all members join —
//      from the first JoinGroup sent until every member has its SyncGroup answer (KIP-394 rejoin,
//      leader assignment, metadata record appended), over several rounds with fresh groups;
//   2. commits: OffsetCommit throughput (commits/s, one partition per commit) from C connections
//      with P requests in flight each, for a group without members (generation −1), every commit
//      appended to __consumer_offsets with acks=-1.
//
// Starts an embedded ZooKeeper and one broker (dist/cli/main.js) in a temporary directory unless
// --bootstrap names a running broker. group.initial.rebalance.delay.ms is 0 for the started broker
// (pass --override group.initial.rebalance.delay.ms=3000 for Kafka's default delay).
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

interface Options {
  bootstrap: string | null;
  members: number;
  rounds: number;
  commits: number;
  connections: number;
  pipeline: number;
  overrides: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    bootstrap: null,
    members: 10,
    rounds: 5,
    commits: 50_000,
    connections: 4,
    pipeline: 32,
    overrides: [],
  };
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

/** One rebalance: N members join (KIP-394), the leader assigns, everyone syncs. Returns ms. */
async function rebalanceRound(conns: KafkaConnection[], group: string): Promise<number> {
  const start = process.hrtime.bigint();
  const join = (c: KafkaConnection, memberId: string) =>
    c.request<JoinGroupResponse>(ApiKey.JoinGroup, {
      groupId: group,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: SUBSCRIPTION }],
      reason: null,
    });
  const joined = await Promise.all(
    conns.map(async (c) => {
      let r = await join(c, '');
      if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await join(c, r.memberId);
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`JoinGroup: ${errorName(r.errorCode)}`);
      return r;
    }),
  );
  const generations = new Set(joined.map((j) => j.generationId));
  if (generations.size !== 1) throw new Error(`members ended in generations ${[...generations].join(',')}`);
  const synced = await Promise.all(
    joined.map((j, i) =>
      conns[i].request<SyncGroupResponse>(ApiKey.SyncGroup, {
        groupId: group,
        generationId: j.generationId,
        memberId: j.memberId,
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
      }),
    ),
  );
  const bad = synced.find((s) => s.errorCode !== ErrorCode.NONE);
  if (bad) throw new Error(`SyncGroup: ${errorName(bad.errorCode)}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function commitThroughput(
  boot: KafkaConnection,
  o: Options,
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
    for (let round = 0; round < o.rounds; round++) {
      const group = `bench-rebalance-${Date.now()}-${round}`;
      const coordinator = await coordinatorOf(boot, group);
      const conns = await Promise.all(Array.from({ length: o.members }, () => connect(coordinator)));
      try {
        times.push(await rebalanceRound(conns, group));
      } finally {
        for (const c of conns) c.close();
      }
    }
    process.stdout.write(
      `rebalance: ${o.members} members to Stable in median ${pct(times, 50).toFixed(1)} ms ` +
        `(min ${Math.min(...times).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms, ${o.rounds} rounds: ` +
        `${times.map((t) => t.toFixed(1)).join(', ')})\n`,
    );
    const t = await commitThroughput(boot, o);
    process.stdout.write(
      `commits: ${t.commits} offset commits in ${t.seconds.toFixed(2)} s = ${Math.round(t.commits / t.seconds)} commits/s ` +
        `(${o.connections} connections × ${o.pipeline} in flight; latency p50 ${pct(t.latenciesMs, 50).toFixed(2)} ms, ` +
        `p99 ${pct(t.latenciesMs, 99).toFixed(2)} ms)\n`,
    );
  } finally {
    boot.close();
    if (stop) await stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  process.stderr.write(`${e.stack ?? e.message}\n`);
  process.exit(1);
});
