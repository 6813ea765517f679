// `npm run bench`: a repeatable single-broker produce and consume benchmark, reported like
// kafka-producer-perf-test / kafka-consumer-perf-test.
//
// Everything on this machine, 1 partition, acks=1, no compression. The load generator is librdkafka
// (python3-confluent-kafka; kcat as a fallback). It runs against
//   - the calibration sink (bench/calibration-sink.ts: parse Produce, check CRC, append to page
//     cache): the ceiling of this generator on this machine, and
//   - a real Samsa broker (embedded ZooKeeper + `node dist/cli/main.js server-start`),
// alternately, in rounds (sink 1 KiB, Samsa 1 KiB, sink 100 B, Samsa 100 B), after warm-ups; then
// everything is consumed back from Samsa. Then the group coordinator of the same broker is measured
// (bench/groups.ts: a 10-member group's time to Stable, offset commits/s). Last, the cluster run:
// three broker processes on the same ZooKeeper (under a chroot), a topic with replication factor 3
// and min.insync.replicas=2, produced to with acks=all once every replica is in the ISR, as a ratio
// to the single broker's acks=1 figure. The summary gives medians over the rounds, Samsa's
// numbers against the targets and as a ratio to the sink in the same round. Before each run the
// runner syncs the disks and measures how busy the machine is (a warning says when other processes
// were using the CPU); each run reports the CPU time the client and the broker(s) used per GiB.
//
// Usage: npm run bench -- [--quick] [--rounds R] [--profile] [--check] [--records-1k N]
//        [--records-100b N] [--records-cluster N] [--phases sink,samsa,consume,groups,cluster]
//        [--generator python|kcat] [--keep] [--override k=v ...]; --help for the details.

import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { setLogLevel } from '../src/utils/logger';
import { ZkClient } from '../src/zk/zk-client';
import {
  ensureZooKeeperInstalled,
  spawnTiedToParent,
  startEmbeddedZooKeeper,
  type EmbeddedZooKeeper,
  type TiedChildProcess,
} from '../src/zk/embedded-zookeeper';
import { formatGroupBench, GROUP_BENCH_DEFAULTS, runGroupBench, type GroupBenchResult } from './groups';
import { BENCH_SRC, benchModuleArgs, REPO_ROOT } from './paths';
import { formatSummary, profileFiles, summarizeProfiles, type ProfileWindow } from './profile-summary';

const REPO = REPO_ROOT;
const SAMSA_MAIN = path.join(REPO, 'dist', 'cli', 'main.js');
/** Node flags of the broker launchers (package.json start, bin/samsa, Dockerfile). */
const BROKER_NODE_FLAGS = ['--max-semi-space-size=64'];
const PRODUCER_PY = path.join(BENCH_SRC, 'producer.py');
const CONSUMER_PY = path.join(BENCH_SRC, 'consumer.py');
const MB = 1024 * 1024; // kafka-producer-perf-test's MB
const READY = /started \(kafka\.server\.KafkaServer\)/;

const TOPIC_1K = 'bench-1k';
const TOPIC_100B = 'bench-100b';
const TOPIC_CLUSTER = 'bench-cluster-1k';
const TOPIC_CLUSTER_WARMUP = 'bench-cluster-warmup';
const CLUSTER_BROKERS = 3;
/** The cluster's brokers share the single broker's ZooKeeper, under this chroot. */
const CLUSTER_CHROOT = '/samsa-bench-cluster';
const CLUSTER_TOPIC_CONFIG = ['min.insync.replicas=2'];
const PHASES = ['sink', 'samsa', 'consume', 'groups', 'cluster'];

const TARGETS = {
  produce1kMBps: 300,
  produce1kRatio: 0.5,
  produce100bRps: 600_000,
  consumeMBps: 500,
  clusterRatio: 0.4,
};

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  records1k: number;
  rounds: number;
  records100b: number;
  warmup1k: number;
  warmup100b: number;
  recordsCluster: number;
  warmupCluster: number;
  groupMembers: number;
  groupRounds: number;
  groupCommits: number;
  phases: Set<string>;
  generator: 'python' | 'kcat' | 'auto';
  profile: boolean;
  profileDir: string | null;
  check: boolean;
  keep: boolean;
  dir: string | null;
  overrides: string[];
  nodeArgs: string[];
  producerSet: string[];
  quick: boolean;
}

const HELP = `npm run bench -- [options]
  --quick               smoke run: small record counts (seconds, not minutes)
  --rounds R            produce runs per target and size, alternating sink and broker (default 3;
                        the summary shows medians); the consume runs are repeated as often
  --records-1k N        1 KiB records per produce run (default 750000, ~0.75 GB)
  --records-100b N      100 B records per produce run (default 2000000)
  --records-cluster N   1 KiB records per acks=all run against the 3-broker cluster (default 500000;
                        as many runs as --rounds)
  --group-members N     group size for the time-to-Stable measurement (default 10)
  --group-rounds N      rebalances measured, each with a fresh group (default 5)
  --group-commits N     offset commits for the commit-throughput measurement (default 50000)
  --phases LIST         comma-separated subset of sink,samsa,consume,groups,cluster (default all);
                        consume and groups need samsa
  --generator G         python (python3-confluent-kafka, default) or kcat (coarser timing, no latency)
  --profile             run the broker with --cpu-prof and print its top self-time functions
  --profile-dir DIR     where the broker's .cpuprofile goes (default: a new directory under /tmp)
  --override k=v        broker property (repeatable), passed as server-start --override to the
                        single broker and to the cluster's brokers
  --node-arg ARG        extra Node.js/V8 flag for the broker processes (repeatable), e.g.
                        '--node-arg --trace-gc' (output in the broker's log in the working directory)
  --producer-set k=v    extra librdkafka producer property (repeatable)
  --check               exit 1 if a target is missed
  --dir DIR             parent of the working directory (default: the OS temp dir)
  --keep                keep the working directory (logs, data) instead of deleting it`;

function parseOptions(argv: string[]): Options {
  const o: Options = {
    records1k: 750_000,
    records100b: 2_000_000,
    rounds: 3,
    warmup1k: 200_000,
    warmup100b: 500_000,
    recordsCluster: 500_000,
    warmupCluster: 100_000,
    groupMembers: GROUP_BENCH_DEFAULTS.members,
    groupRounds: GROUP_BENCH_DEFAULTS.rounds,
    groupCommits: GROUP_BENCH_DEFAULTS.commits,
    phases: new Set(PHASES),
    generator: 'auto',
    profile: false,
    profileDir: null,
    check: false,
    keep: false,
    dir: null,
    overrides: [],
    nodeArgs: [],
    producerSet: [],
    quick: false,
  };
  let explicit1k = false;
  let explicitRounds = false;
  let explicit100b = false;
  let explicitCluster = false;
  let explicitGroupRounds = false;
  let explicitGroupCommits = false;
  const count = (v: string | undefined, flag: string): number => {
    const n = Number((v ?? '').replace(/_/g, ''));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive integer, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--rounds':
        o.rounds = count(next(), a);
        explicitRounds = true;
        break;
      case '--records-1k':
        o.records1k = count(next(), a);
        explicit1k = true;
        break;
      case '--records-100b':
        o.records100b = count(next(), a);
        explicit100b = true;
        break;
      case '--records-cluster':
        o.recordsCluster = count(next(), a);
        explicitCluster = true;
        break;
      case '--group-members':
        o.groupMembers = count(next(), a);
        break;
      case '--group-rounds':
        o.groupRounds = count(next(), a);
        explicitGroupRounds = true;
        break;
      case '--group-commits':
        o.groupCommits = count(next(), a);
        explicitGroupCommits = true;
        break;
      case '--phases': {
        const list = next().split(',').filter(Boolean);
        for (const p of list) if (!PHASES.includes(p)) throw new Error(`unknown phase ${p}`);
        o.phases = new Set(list);
        break;
      }
      case '--generator': {
        const g = next();
        if (g !== 'python' && g !== 'kcat') throw new Error(`--generator is python or kcat, got ${g}`);
        o.generator = g;
        break;
      }
      case '--profile':
        o.profile = true;
        break;
      case '--profile-dir':
        o.profileDir = path.resolve(next());
        o.profile = true;
        break;
      case '--override':
        o.overrides.push(next());
        break;
      case '--node-arg':
        o.nodeArgs.push(next());
        break;
      case '--producer-set':
        o.producerSet.push(next());
        break;
      case '--check':
        o.check = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--dir':
        o.dir = path.resolve(next());
        break;
      default:
        throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  if (o.quick) {
    if (!explicit1k) o.records1k = 100_000;
    if (!explicit100b) o.records100b = 300_000;
    if (!explicitRounds) o.rounds = 1;
    o.warmup1k = 20_000;
    o.warmup100b = 50_000;
    if (!explicitCluster) o.recordsCluster = 100_000;
    o.warmupCluster = 20_000;
    if (!explicitGroupRounds) o.groupRounds = 2;
    if (!explicitGroupCommits) o.groupCommits = 5_000;
  }
  if (o.phases.has('consume') && !o.phases.has('samsa')) {
    throw new Error('the consume phase reads what the samsa phase produced: add samsa to --phases');
  }
  if (o.phases.has('groups') && !o.phases.has('samsa')) {
    throw new Error('the groups phase runs against the samsa phase’s broker: add samsa to --phases');
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Cleanup on any exit

type Cleanup = () => Promise<void> | void;
const cleanups: Cleanup[] = [];
const running = new Set<ChildProcess>();
let tearingDown: Promise<void> | null = null;

function onCleanup(fn: Cleanup): void {
  cleanups.push(fn);
}

function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    for (const c of running) c.kill('SIGKILL');
    while (cleanups.length > 0) {
      const fn = cleanups.pop() as Cleanup;
      try {
        await fn();
      } catch (e) {
        console.error(`cleanup: ${(e as Error).message}`);
      }
    }
  })();
  return tearingDown;
}

/** Set by Ctrl-C & co.: the failures that follow (killed clients) are ours, not worth reporting. */
let interrupted = false;

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    interrupted = true;
    console.error(`\n${sig}: stopping the benchmark`);
    void teardown().then(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Child processes

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A long-running child tied to us, its output appended to `logFile`, with a kept tail. */
class Service {
  private tailText = '';
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;
  private readonly log: fs.WriteStream;

  constructor(
    readonly name: string,
    readonly child: TiedChildProcess,
    logFile: string,
  ) {
    this.log = fs.createWriteStream(logFile, { flags: 'a' });
    const collect = (b: Buffer) => {
      this.log.write(b);
      this.tailText = (this.tailText + b.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    this.exited = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        child.stdin.end(); // releases the watchdog
        void Promise.race([closed, sleep(500)]).then(() => resolve());
      });
      child.on('error', (e) => {
        this.tailText += `\n${String(e)}\n`;
        this.exitStatus = { code: null, signal: null };
        resolve();
      });
    });
  }

  get output(): string {
    return this.tailText;
  }

  get running(): boolean {
    return this.exitStatus === null;
  }

  tail(lines = 40): string {
    return this.tailText.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits until `re` matches the output; throws if the process exits or the time runs out. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.tailText.match(re);
      if (m) return m;
      if (!this.running) {
        throw new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)}):\n${this.tail()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.tail()}`);
      await sleep(25);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.running) {
      this.child.kill('SIGTERM');
      // A timer of our own, cleared: a pending sleep(graceMs) kept the runner alive that long at the end.
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (killed) {
        console.error(`${this.name} did not stop within ${graceMs} ms: killing it`);
        this.child.kill('SIGKILL');
      }
    }
    await this.exited;
    await new Promise<void>((r) => this.log.end(() => r()));
  }
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (killed on teardown). */
function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: REPO,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timeoutMs = opts.timeoutMs ?? 120_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      running.delete(child);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr:
          Buffer.concat(err).toString('utf8') +
          (timedOut ? `\n[bench] killed after ${timeoutMs / 1000} s\n` : ''),
      });
    });
  });
}

/** Time allowed for a client run moving `bytes`: generous, but a stuck run does not hang the bench. */
function clientTimeoutMs(bytes: number): number {
  return 90_000 + (bytes / (10 * MB)) * 1000; // 10 MB/s is far below anything healthy
}

function lastJsonLine<T>(stdout: string): T | null {
  const lines = stdout.trim().split('\n').reverse();
  for (const l of lines) {
    if (!l.startsWith('{')) continue;
    try {
      return JSON.parse(l) as T;
    } catch {
      // not JSON after all
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The load generator

interface Generator {
  kind: 'python' | 'kcat';
  python?: string;
  description: string;
}

function pythonWithConfluentKafka(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import confluent_kafka'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function describePython(py: string): string {
  const r = spawnSync(
    py,
    [
      '-c',
      'import confluent_kafka as c; print("python3-confluent-kafka %s / librdkafka %s" % (c.version()[0], c.libversion()[0]))',
    ],
    { encoding: 'utf8' },
  );
  return r.stdout.trim() || 'python3-confluent-kafka';
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Finds the generator; as root with apt-get, installs python3-confluent-kafka when it is missing. */
function findGenerator(choice: Options['generator']): Generator {
  if (choice === 'kcat') {
    if (!hasCommand('kcat')) throw new Error('kcat is not installed: apt-get install -y kcat');
    return { kind: 'kcat', description: kcatDescription() };
  }
  let py = pythonWithConfluentKafka();
  if (py === null && process.getuid?.() === 0 && hasCommand('apt-get')) {
    console.log('Installing python3-confluent-kafka (the librdkafka-based load generator) with apt-get ...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      spawnSync('apt-get', ['install', '-y', '-qq', 'python3-confluent-kafka'], { stdio: 'inherit', env })
        .status === 0;
    if (!install()) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      install();
    }
    py = pythonWithConfluentKafka();
  }
  if (py !== null) return { kind: 'python', python: py, description: describePython(py) };
  const hint = 'install it with: sudo apt-get install -y python3-confluent-kafka';
  if (choice === 'python' || !hasCommand('kcat')) {
    throw new Error(`python3-confluent-kafka (Debian's librdkafka binding) is not available; ${hint}`);
  }
  console.log(`NOTE: python3-confluent-kafka is not available (${hint}).`);
  console.log('      Falling back to kcat: throughput is timed around the whole kcat process and no latency');
  console.log('      percentiles are measured.');
  return { kind: 'kcat', description: kcatDescription() };
}

function kcatDescription(): string {
  const r = spawnSync('kcat', ['-V'], { encoding: 'utf8' });
  const m = /kcat - .*?version ([^\s]+).*?librdkafka version ([^\s]+)/s.exec(`${r.stdout}${r.stderr}`);
  return m ? `kcat ${m[1]} / librdkafka ${m[2]}` : 'kcat';
}

interface ProduceResult {
  records: number;
  recordSize: number;
  bytes: number;
  seconds: number;
  avg: number | null;
  max: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  samples: number;
  errors: number;
  firstError: string | null;
  /** CPU time of the generator process (all threads) during the run; null for kcat. */
  cpuSeconds?: number | null;
  /** CPU time of the broker / sink process during the run. */
  receiverCpuSeconds?: number | null;
  /** Share of the machine's CPU time busy during the run (everyone, kernel threads included). */
  machineBusy?: number | null;
}

interface ConsumeResult {
  records: number;
  bytes: number;
  seconds: number;
  firstMs: number | null;
  error: string | null;
  cpuSeconds?: number | null;
  receiverCpuSeconds?: number | null;
  machineBusy?: number | null;
}

/**
 * glibc malloc keeps freed record buffers instead of returning them to the kernel and faulting
 * fresh zeroed pages back in for the next ones (clear_page was ~7% of the generator's CPU).
 */
const GENERATOR_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  MALLOC_TRIM_THRESHOLD_: String(1024 * MB),
  MALLOC_TOP_PAD_: String(128 * MB),
};

/** librdkafka producer settings shared by both generators (see producer.py for the python side). */
const PRODUCER_SETTINGS: Record<string, string> = {
  acks: '1',
  'linger.ms': '5',
  'batch.size': '1000000',
  'batch.num.messages': '10000',
  'queue.buffering.max.kbytes': '32768', // the Java producer's buffer.memory
  'max.in.flight.requests.per.connection': '5',
  'compression.type': 'none',
};

async function produce(
  gen: Generator,
  bootstrap: string,
  topic: string,
  records: number,
  recordSize: number,
  extra: string[],
  acks = PRODUCER_SETTINGS.acks,
): Promise<ProduceResult> {
  let r: RunResult;
  if (gen.kind === 'python') {
    r = await run(
      gen.python as string,
      [
        PRODUCER_PY,
        '--bootstrap',
        bootstrap,
        '--topic',
        topic,
        '--records',
        String(records),
        '--record-size',
        String(recordSize),
        `--acks=${acks}`,
        '--linger-ms',
        PRODUCER_SETTINGS['linger.ms'],
        '--batch-size',
        PRODUCER_SETTINGS['batch.size'],
        '--batch-num-messages',
        PRODUCER_SETTINGS['batch.num.messages'],
        '--buffer-kbytes',
        PRODUCER_SETTINGS['queue.buffering.max.kbytes'],
        '--max-in-flight',
        PRODUCER_SETTINGS['max.in.flight.requests.per.connection'],
        ...extra.flatMap((kv) => ['--set', kv]),
      ],
      { env: GENERATOR_ENV, timeoutMs: clientTimeoutMs(records * recordSize) },
    );
    const res = lastJsonLine<ProduceResult>(r.stdout);
    if (res === null || r.code !== 0) {
      throw new Error(
        `producer to ${topic} failed (exit ${r.code}): ${res?.firstError ?? ''}\n${r.stderr.trim().split('\n').slice(-20).join('\n')}`,
      );
    }
    return res;
  }
  // kcat: `yes` repeats one line of recordSize characters; the newline is kcat's delimiter.
  const payload = Buffer.from(
    Array.from({ length: recordSize }, () => 65 + Math.floor(Math.random() * 26)),
  ).toString('latin1');
  const props: Record<string, string> = { ...PRODUCER_SETTINGS, acks };
  for (const kv of extra) {
    const i = kv.indexOf('=');
    props[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const xs = Object.entries(props)
    .map(([k, v]) => `-X '${k}=${v}'`)
    .join(' ');
  const script = `yes "$PAYLOAD" | head -n ${records} | kcat -P -q -b ${bootstrap} -t ${topic} -p 0 ${xs}`;
  // Wait for the partition first, so the timed run does not include topic metadata propagation.
  await kcatWaitForTopic(bootstrap, topic);
  const t0 = process.hrtime.bigint();
  r = await run('sh', ['-c', script], {
    env: { ...process.env, PAYLOAD: payload },
    timeoutMs: clientTimeoutMs(records * recordSize),
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new Error(`kcat producer to ${topic} failed (exit ${r.code}):\n${r.stderr}`);
  return {
    records,
    recordSize,
    bytes: records * recordSize,
    seconds,
    avg: null,
    max: null,
    p50: null,
    p95: null,
    p99: null,
    p999: null,
    samples: 0,
    errors: 0,
    firstError: null,
  };
}

async function kcatWaitForTopic(bootstrap: string, topic: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await run('kcat', ['-L', '-b', bootstrap, '-t', topic, '-J']);
    const md = lastJsonLine<{
      topics?: Array<{ partitions?: Array<{ partition: number; leader: number }> }>;
    }>(r.stdout);
    const p0 = md?.topics?.[0]?.partitions?.find((p) => p.partition === 0);
    if (p0 !== undefined && p0.leader >= 0) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader for partition 0 after 30 s`);
    await sleep(200);
  }
}

async function consume(
  gen: Generator,
  bootstrap: string,
  topic: string,
  records: number,
  recordSize: number,
): Promise<ConsumeResult> {
  if (gen.kind === 'python') {
    const r = await run(
      gen.python as string,
      [CONSUMER_PY, '--bootstrap', bootstrap, '--topic', topic, '--records', String(records)],
      { env: GENERATOR_ENV, timeoutMs: clientTimeoutMs(records * recordSize) },
    );
    const res = lastJsonLine<ConsumeResult>(r.stdout);
    if (res === null || r.code !== 0) {
      throw new Error(
        `consumer of ${topic} failed (exit ${r.code}): ${res?.error ?? ''}\n${r.stderr.trim().split('\n').slice(-20).join('\n')}`,
      );
    }
    return res;
  }
  const t0 = process.hrtime.bigint();
  const r = await run(
    'kcat',
    [
      '-C',
      '-q',
      '-e',
      '-b',
      bootstrap,
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-c',
      String(records),
      '-f',
      '%S\n',
    ],
    { timeoutMs: clientTimeoutMs(records * recordSize) },
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const sizes = r.stdout.split('\n').filter(Boolean);
  const bytes = sizes.reduce((s, x) => s + Number(x), 0);
  return {
    records: sizes.length,
    bytes,
    seconds,
    firstMs: null,
    error: r.code === 0 ? null : `kcat exit ${r.code}: ${r.stderr.trim()}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

const fmt = (n: number, d = 2) => n.toFixed(d);

function perfTestLine(label: string, r: ProduceResult): string {
  const rps = r.records / r.seconds;
  const mbps = r.bytes / MB / r.seconds;
  let line = `${label} ${r.records} records sent, ${fmt(rps, 1)} records/sec (${fmt(mbps)} MB/sec)`;
  if (r.avg !== null && r.samples > 0) {
    const ms = (v: number | null) => (v === null ? 'n/a' : v < 10 ? fmt(v, 1) : fmt(v, 0));
    line +=
      `, ${fmt(r.avg)} ms avg latency, ${fmt(r.max ?? 0)} ms max latency, ${ms(r.p50)} ms 50th, ` +
      `${ms(r.p95)} ms 95th, ${ms(r.p99)} ms 99th, ${ms(r.p999)} ms 99.9th.`;
  } else {
    line += ', latency not measured.';
  }
  return line;
}

/** Where the CPU went during a run: the client's and the broker's core-seconds per GiB moved. */
function cpuLine(r: ProduceResult | ConsumeResult, receiver: string): string {
  const gib = r.bytes / (1024 * MB);
  const part = (who: string, v: number | null | undefined) =>
    v === null || v === undefined ? `${who} n/a` : `${who} ${fmt(v)} s (${fmt(v / gib)} core-s/GiB)`;
  const busy =
    r.machineBusy === null || r.machineBusy === undefined ? 'n/a' : `${fmt(r.machineBusy * 100, 0)}%`;
  return `    cpu: ${part('client', r.cpuSeconds)}, ${part(receiver, r.receiverCpuSeconds)}; machine ${busy} busy`;
}

function consumeLine(label: string, r: ConsumeResult): string {
  const mb = r.bytes / MB;
  return (
    `${label} ${r.records} records, ${fmt(mb)} MB in ${fmt(r.seconds, 3)} s: ${fmt(mb / r.seconds)} MB/sec, ` +
    `${fmt(r.records / r.seconds, 1)} records/sec` +
    (r.firstMs !== null ? ` (first record after ${fmt(r.firstMs, 1)} ms)` : '')
  );
}

// ---------------------------------------------------------------------------------------------
// Main

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** User + system CPU seconds a process (all its threads) has used so far; null if unknown. */
function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3, state
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** When each measured run happened (CLOCK_MONOTONIC µs, comparable with V8 profile timestamps). */
const phaseWindows: Array<{ label: string } & ProfileWindow> = [];
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU seconds used so far by all of `pids` together; null if any is unknown. */
function processesCpuSeconds(pids: Array<number | undefined>): number | null {
  let sum = 0;
  for (const pid of pids) {
    const s = processCpuSeconds(pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
}

/**
 * Runs `fn`, recording how much CPU the receiving process(es) used meanwhile (summed) and when it
 * ran.
 */
async function withReceiverCpu<T extends { receiverCpuSeconds?: number | null; machineBusy?: number | null }>(
  pid: number | undefined | Array<number | undefined>,
  label: string,
  fn: () => Promise<T>,
): Promise<T> {
  const pids = Array.isArray(pid) ? pid : [pid];
  const before = processesCpuSeconds(pids);
  const cpu0 = readCpuTimes();
  const startUs = monotonicUs();
  const r = await fn();
  phaseWindows.push({ label, startUs, endUs: monotonicUs() });
  const after = processesCpuSeconds(pids);
  r.receiverCpuSeconds = before !== null && after !== null ? after - before : null;
  r.machineBusy = busyShare(cpu0, readCpuTimes());
  return r;
}

/** Share of all CPU time spent busy (not idle/iowait) over `ms`, from /proc/stat; null off Linux. */
async function cpuBusy(ms: number): Promise<number | null> {
  const a = readCpuTimes();
  await sleep(ms);
  return busyShare(a, readCpuTimes());
}

/** The aggregate `cpu` line of /proc/stat (jiffies per state), or null off Linux. */
function readCpuTimes(): number[] | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0];
    return line.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return null;
  }
}

/** Share of CPU time not idle (nor iowait) between two readCpuTimes(). */
function busyShare(a: number[] | null, b: number[] | null): number | null {
  if (a === null || b === null) return null;
  const d = b.map((v, i) => v - (a[i] ?? 0));
  const total = d.reduce((x, y) => x + y, 0);
  const idle = (d[3] ?? 0) + (d[4] ?? 0);
  return total > 0 ? (total - idle) / total : null;
}

/** Warns when other processes use the CPU: on 2 cores that skews every number below. */
async function checkQuiet(phase: string): Promise<number | null> {
  const busy = await cpuBusy(1000);
  if (busy !== null && busy > 0.1) {
    console.log(
      `WARNING: before ${phase}, ${fmt(busy * 100, 0)}% of the CPU was busy with other processes: ` +
        'the numbers will be low and noisy',
    );
  }
  return busy;
}

function writeProperties(file: string, props: Record<string, string>): void {
  const lines = Object.entries(props).map(([k, v]) => `${k}=${v}`);
  fs.writeFileSync(file, `# Written by bench/run.ts\n${lines.join('\n')}\n`);
}

/**
 * MB/s of appending `bytes` of zeros to a new file in `dir` with 1 MiB writes (page cache, no
 * fsync), the file deleted afterwards. Every produce run below pays this per byte: in a VM whose
 * memory the host backs lazily and takes back once the guest frees it (virtio-balloon free page
 * reporting), filling never-touched page-cache pages is ~10x slower than rewriting recycled ones.
 */
function pageCacheFillMBps(dir: string, bytes: number): number {
  const file = path.join(dir, 'fill-test.tmp');
  const chunk = Buffer.alloc(MB, 1);
  const fd = fs.openSync(file, 'w');
  const t0 = process.hrtime.bigint();
  let done = 0;
  try {
    for (; done < bytes; done += chunk.length) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.unlinkSync(file);
  return done / MB / seconds;
}

function syncDisks(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

// ---------------------------------------------------------------------------------------------
// Brokers, topics, the cluster

/** Broker properties both kinds of run share (written to server.properties). */
function brokerProperties(
  id: number,
  port: number,
  logDir: string,
  zkConnect: string,
  replication: number,
): Record<string, string> {
  const listener = `PLAINTEXT://127.0.0.1:${port}`;
  return {
    'broker.id': String(id),
    listeners: listener,
    'advertised.listeners': listener,
    'log.dirs': logDir,
    'zookeeper.connect': zkConnect,
    'zookeeper.session.timeout.ms': '18000',
    'num.partitions': '1',
    'default.replication.factor': String(replication),
    'offsets.topic.replication.factor': String(replication),
    'transaction.state.log.replication.factor': String(replication),
    'transaction.state.log.min.isr': String(Math.min(2, replication)),
    'group.initial.rebalance.delay.ms': '0',
  };
}

/** Starts `node dist/cli/main.js server-start <props>`; resolves once it has started. */
async function startBroker(
  name: string,
  props: Record<string, string>,
  work: string,
  fileBase: string,
  overrides: string[],
  nodeArgs: string[] = [],
): Promise<Service> {
  const file = path.join(work, `${fileBase}.properties`);
  writeProperties(file, props);
  const service = new Service(
    name,
    spawnTiedToParent(
      process.execPath,
      [
        ...BROKER_NODE_FLAGS,
        ...nodeArgs,
        SAMSA_MAIN,
        'server-start',
        file,
        ...overrides.flatMap((kv) => ['--override', kv]),
      ],
      { cwd: REPO, env: { ...process.env, SAMSA_LOG_LEVEL: 'info' }, killGraceMs: 30_000 },
    ),
    path.join(work, `${fileBase}.log`),
  );
  onCleanup(() => service.stop(30_000));
  await service.waitFor(READY, 90_000);
  return service;
}

/**
 * `samsa topics --create` with one partition. Retried for up to `retryMs`: a broker that has just
 * started may not know all its peers yet (INVALID_REPLICATION_FACTOR).
 */
async function createTopic(
  bootstrap: string,
  topic: string,
  replicationFactor: number,
  configs: string[] = [],
  retryMs = 0,
): Promise<void> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    const r = await run(process.execPath, [
      SAMSA_MAIN,
      'topics',
      '--create',
      '--if-not-exists',
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--partitions',
      '1',
      '--replication-factor',
      String(replicationFactor),
      ...configs.flatMap((c) => ['--config', c]),
    ]);
    if (r.code === 0) return;
    if (Date.now() > deadline) throw new Error(`creating topic ${topic} failed:\n${r.stdout}${r.stderr}`);
    await sleep(500);
  }
}

interface PartitionState {
  leader: number;
  isr: number[];
}

/** /brokers/topics/<topic>/partitions/0/state under the cluster's chroot, or null before it exists. */
async function partitionState(zkc: ZkClient, topic: string): Promise<PartitionState | null> {
  const node = await zkc.getData(`${CLUSTER_CHROOT}/brokers/topics/${topic}/partitions/0/state`);
  if (node === null) return null;
  const o = JSON.parse(node.data.toString('utf8')) as { leader: number; isr: number[] };
  return { leader: Number(o.leader), isr: o.isr.map(Number).sort((a, b) => a - b) };
}

/** Waits until partition 0 of `topic` has a leader and all `replicas` in its ISR. */
async function waitForFullIsr(
  zkc: ZkClient,
  topic: string,
  replicas: number,
  timeoutMs: number,
): Promise<PartitionState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const st = await partitionState(zkc, topic);
    if (st !== null && st.leader >= 0 && st.isr.length === replicas) return st;
    if (Date.now() > deadline) {
      throw new Error(
        `${topic}-0 has not had all ${replicas} replicas in its ISR within ${timeoutMs / 1000} s: ` +
          JSON.stringify(st),
      );
    }
    await sleep(100);
  }
}

/** Bytes in the .log segments of `<logDir>/<topic>-0` (0 while absent). */
function partitionLogBytes(logDir: string, topic: string): number {
  const dir = path.join(logDir, `${topic}-0`);
  try {
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** Waits (up to `timeoutMs`) for every replica's log of `topic` to hold the same bytes; returns them. */
async function waitForReplicasEqual(logDirs: string[], topic: string, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sizes = logDirs.map((d) => partitionLogBytes(d, topic));
    if (sizes.every((n) => n === sizes[0] && n > 0) || Date.now() > deadline) return sizes;
    await sleep(100);
  }
}

type GroupsMeasured = GroupBenchResult & { receiverCpuSeconds?: number | null; machineBusy?: number | null };

interface ClusterRun extends ProduceResult {
  /** CPU seconds of each broker (by id) during the run. */
  brokerCpuSeconds: Array<number | null>;
  leader: number;
  isrBefore: number[];
  isrAfter: number[] | null;
}

interface ClusterOutcome {
  runs: ClusterRun[];
  /** Bytes of the measured topic's log on each broker at the end (equal once followers caught up). */
  replicaBytes: number[];
  /** With --profile: each broker's top self-time functions during the measured runs. */
  profileSummary: string | null;
}

/**
 * The cluster run: CLUSTER_BROKERS brokers on `zkConnect` (under CLUSTER_CHROOT), an RF 3 topic
 * with min.insync.replicas=2, a warm-up, then `opts.rounds` acks=all runs, each once partition 0's
 * ISR holds every replica. Stops the brokers before returning.
 */
async function clusterPhase(
  opts: Options,
  gen: Generator,
  zkConnect: string,
  work: string,
  settle: (label: string) => Promise<void>,
  profileDir: string | null,
): Promise<ClusterOutcome> {
  const zkc = new ZkClient({ connect: zkConnect, sessionTimeoutMs: 30_000, connectionTimeoutMs: 30_000 });
  await zkc.connect();
  onCleanup(() => zkc.close());
  const ports = await freePorts(CLUSTER_BROKERS);
  const ids = ports.map((_, id) => id);
  const logDirs = ids.map((id) => path.join(work, `cluster-logs-${id}`));
  const profileDirs = ids.map((id) =>
    profileDir === null ? null : path.join(profileDir, `cluster-broker-${id}`),
  );
  /** By broker id, once started. */
  const brokers: Array<Service | undefined> = [];
  const runs: ClusterRun[] = [];
  let replicaBytes: number[] = [];
  try {
    await Promise.all(
      ids.map(async (id) => {
        const props = brokerProperties(
          id,
          ports[id],
          logDirs[id],
          `${zkConnect}${CLUSTER_CHROOT}`,
          CLUSTER_BROKERS,
        );
        // Nothing to hand over at the end: the brokers stop together and their data is discarded.
        props['controlled.shutdown.enable'] = 'false';
        const dir = profileDirs[id];
        const nodeArgs = [...(dir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`]), ...opts.nodeArgs];
        const name = `cluster broker ${id}`;
        brokers[id] = await startBroker(name, props, work, `cluster-broker-${id}`, opts.overrides, nodeArgs);
      }),
    );
    const pids = ids.map((id) => brokers[id]?.child.pid);
    const bootstrap = ports.map((p) => `127.0.0.1:${p}`).join(',');
    for (const topic of [TOPIC_CLUSTER_WARMUP, TOPIC_CLUSTER]) {
      await createTopic(bootstrap, topic, CLUSTER_BROKERS, CLUSTER_TOPIC_CONFIG, 30_000);
    }
    const acks = '-1';
    await waitForFullIsr(zkc, TOPIC_CLUSTER_WARMUP, CLUSTER_BROKERS, 60_000);
    await produce(gen, bootstrap, TOPIC_CLUSTER_WARMUP, opts.warmupCluster, 1024, opts.producerSet, acks);
    for (let round = 1; round <= opts.rounds; round++) {
      const label = `cluster 1 KiB${opts.rounds > 1 ? ` #${round}` : ''}`;
      await settle(label);
      // Measured only with every replica in the ISR: acks=all then waits for all three.
      const before = await waitForFullIsr(zkc, TOPIC_CLUSTER, CLUSTER_BROKERS, 60_000);
      const cpu0 = pids.map(processCpuSeconds);
      const res = await withReceiverCpu(pids, 'cluster produce 1 KiB', () =>
        produce(gen, bootstrap, TOPIC_CLUSTER, opts.recordsCluster, 1024, opts.producerSet, acks),
      );
      const cpu = pids.map((pid, id) => {
        const [c0, c1] = [cpu0[id], processCpuSeconds(pid)];
        return c0 !== null && c1 !== null ? c1 - c0 : null;
      });
      const after = await partitionState(zkc, TOPIC_CLUSTER);
      runs.push({
        ...res,
        brokerCpuSeconds: cpu,
        leader: before.leader,
        isrBefore: before.isr,
        isrAfter: after?.isr ?? null,
      });
      console.log(perfTestLine(`[${label}]`.padEnd(opts.rounds > 1 ? 19 : 16), res));
      console.log(cpuLine(res, `${CLUSTER_BROKERS} brokers`));
      const role = (id: number) => (id === before.leader ? 'leader' : 'follower');
      console.log(
        `    brokers: ${cpu.map((c, id) => `${id} (${role(id)}) ${c === null ? 'n/a' : `${fmt(c)} s`}`).join(', ')}` +
          `; ISR [${before.isr.join(',')}] before, [${after?.isr.join(',') ?? '?'}] after`,
      );
      if (after === null || after.isr.length < CLUSTER_BROKERS) {
        console.log(
          `WARNING: the ISR shrank during ${label}: acks=all waited for fewer replicas than ${CLUSTER_BROKERS}`,
        );
      }
    }
    replicaBytes = await waitForReplicasEqual(logDirs, TOPIC_CLUSTER, 30_000);
    const same = replicaBytes.every((n) => n === replicaBytes[0]);
    console.log(
      same
        ? `    replicas: each of the ${CLUSTER_BROKERS} brokers holds ${fmt(replicaBytes[0] / MB, 1)} MB of ${TOPIC_CLUSTER}`
        : `WARNING: the replicas of ${TOPIC_CLUSTER} differ after 30 s: ` +
            replicaBytes.map((n) => `${fmt(n / MB, 1)} MB`).join(', '),
    );
  } catch (e) {
    if (!interrupted) {
      for (const b of brokers) if (b) console.error(`${b.name} output (tail):\n${b.tail(20)}`);
    }
    throw e;
  } finally {
    await Promise.all(brokers.map((b) => b?.stop(30_000)));
    await zkc.close();
  }
  // The profiles are written as the brokers exit.
  let profileSummary: string | null = null;
  if (profileDir !== null) {
    const windows = phaseWindows.filter((w) => w.label === 'cluster produce 1 KiB');
    const leader = runs[runs.length - 1]?.leader;
    profileSummary = ids
      .map((id) => {
        const dir = profileDirs[id] as string;
        const files = fs.existsSync(dir) ? profileFiles(dir) : [];
        const who = `cluster broker ${id} (${id === leader ? 'leader' : 'follower'})`;
        return files.length === 0
          ? `[${who}] no .cpuprofile was written to ${dir}`
          : `[${who}, cluster produce 1 KiB] ${files.join(', ')}\n` +
              formatSummary(summarizeProfiles(files, windows), 15);
      })
      .join('\n\n');
  }
  return { runs, replicaBytes, profileSummary };
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePortNumber());
  return [...ports];
}

async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  setLogLevel('warn'); // the embedded ZooKeeper's INFO lines are noise here
  if (!fs.existsSync(SAMSA_MAIN)) throw new Error(`${SAMSA_MAIN} is missing: run \`npm run build\` first`);

  const gen = findGenerator(opts.generator);
  const parent = opts.dir ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  const perRecordOverhead = 16; // record framing inside a batch, roughly
  const stored = (n: number, size: number) => n * (size + perRecordOverhead);
  const needSingle =
    (opts.phases.has('samsa')
      ? stored(opts.records1k * opts.rounds + opts.warmup1k, 1024) +
        stored(opts.records100b * opts.rounds + opts.warmup100b, 100)
      : 0) +
    // The sink keeps everything too: were it to delete files during the run, its next appends
    // would land in the pages just freed (cheap) while the broker's land in fresh ones (see
    // pageCacheFillMBps), which made the sink look ~2x cheaper per byte than it is.
    (opts.phases.has('sink')
      ? stored(opts.records1k * opts.rounds + opts.warmup1k, 1024) +
        stored(opts.records100b * opts.rounds + opts.warmup100b, 100)
      : 0);
  // Every replica of the cluster run stores all of it; the single-broker run's data (and the
  // sink's) is deleted before the cluster starts, unless --keep.
  const needCluster = opts.phases.has('cluster')
    ? CLUSTER_BROKERS * stored(opts.recordsCluster * opts.rounds + opts.warmupCluster, 1024)
    : 0;
  const need = opts.keep ? needSingle + needCluster : Math.max(needSingle, needCluster);
  const free = freeBytes(parent);
  if (free < need * 1.2 + 512 * MB) {
    throw new Error(
      `not enough disk space in ${parent}: about ${fmt(need / MB / 1024, 1)} GiB will be written, ` +
        `${fmt(free / MB / 1024, 1)} GiB free (use --dir, --quick or smaller --records-*)`,
    );
  }
  const work = fs.mkdtempSync(path.join(parent, 'samsa-bench-'));
  onCleanup(() => {
    if (opts.keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  });

  console.log(
    `Samsa benchmark: 1 broker, 1 partition, acks=1, compression none` +
      (opts.phases.has('groups') ? '; its group coordinator' : '') +
      (opts.phases.has('cluster')
        ? `; then ${CLUSTER_BROKERS} brokers, replication factor ${CLUSTER_BROKERS}, ` +
          `${CLUSTER_TOPIC_CONFIG.join(' ')}, acks=all`
        : '') +
      `; clients and brokers on this ${os.cpus().length}-core machine`,
  );
  console.log(
    `generator: ${gen.description}; producer ${Object.entries(PRODUCER_SETTINGS)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
  console.log(
    `records: 1 KiB x ${opts.records1k} and 100 B x ${opts.records100b} per run` +
      (opts.phases.has('cluster') ? `, cluster 1 KiB x ${opts.recordsCluster}` : '') +
      `, ${opts.rounds} round${opts.rounds > 1 ? 's' : ''} (after warm-ups of ` +
      `${opts.warmup1k} and ${opts.warmup100b}` +
      (opts.phases.has('cluster') ? ` and ${opts.warmupCluster}` : '') +
      `); MB = 2^20 bytes` +
      (gen.kind === 'python'
        ? '; latency = produce() to delivery report, sampled like kafka-producer-perf-test'
        : '') +
      `; working dir ${work}`,
  );
  syncDisks();
  await sleep(2000); // let the balloon take back recently freed pages, as it will have during the runs
  const fillMBps = pageCacheFillMBps(work, (opts.quick ? 256 : 1024) * MB);
  console.log(
    `page cache: appending to a new file from one thread runs at ${fmt(fillMBps, 0)} MB/s on this ` +
      'machine; the sink and the broker pay that per byte stored',
  );
  console.log('');

  const extra = opts.producerSet;
  const rounds = opts.rounds;
  /** CPU share other processes used just before each measured run. */
  const background: Record<string, number | null> = {};
  const settle = async (label: string) => {
    syncDisks();
    background[label] = await checkQuiet(label);
  };

  // The calibration sink and the broker both run throughout, so that the runs against them can
  // alternate: a burst of load from elsewhere then hits both sides of a comparison alike.
  let sink: Service | null = null;
  let sinkBootstrap = '';
  if (opts.phases.has('sink')) {
    sink = new Service(
      'calibration sink',
      spawnTiedToParent(
        process.execPath,
        [...benchModuleArgs('calibration-sink'), '--dir', path.join(work, 'sink')],
        { cwd: REPO, killGraceMs: 5_000 },
      ),
      path.join(work, 'sink.log'),
    );
    const s = sink;
    onCleanup(() => s.stop(5_000));
    sinkBootstrap = `127.0.0.1:${(await sink.waitFor(/listening (\d+)/, 60_000))[1]}`;
  }

  let zk: EmbeddedZooKeeper | null = null;
  if (opts.phases.has('samsa') || opts.phases.has('cluster')) {
    const install = await ensureZooKeeperInstalled({
      info: (m: string) => console.log(m),
      warn: (m: string) => console.log(m),
    });
    const z = await startEmbeddedZooKeeper({
      install,
      dataDir: path.join(work, 'zookeeper'),
      forceSync: false,
      logFile: path.join(work, 'zookeeper.log'),
    });
    onCleanup(() => z.stop());
    zk = z;
  }

  let broker: Service | null = null;
  let brokerBootstrap = '';
  const profileDir =
    opts.profile && (opts.phases.has('samsa') || opts.phases.has('cluster'))
      ? (opts.profileDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-bench-profile-')))
      : null;
  if (profileDir !== null) fs.mkdirSync(profileDir, { recursive: true });
  if (opts.phases.has('samsa') && zk !== null) {
    const port = await freePortNumber();
    const nodeArgs = [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ...opts.nodeArgs,
    ];
    broker = await startBroker(
      'Samsa broker',
      brokerProperties(0, port, path.join(work, 'kafka-logs'), zk.connectString, 1),
      work,
      'broker',
      opts.overrides,
      nodeArgs,
    );
    brokerBootstrap = `127.0.0.1:${port}`;
    for (const topic of ['bench-warmup', TOPIC_1K, TOPIC_100B]) await createTopic(brokerBootstrap, topic, 1);
  }

  const targets: Array<{ name: 'sink' | 'samsa'; service: Service; bootstrap: string }> = [];
  if (sink !== null) targets.push({ name: 'sink', service: sink, bootstrap: sinkBootstrap });
  if (broker !== null) targets.push({ name: 'samsa', service: broker, bootstrap: brokerBootstrap });
  const sizes = [
    { size: 1024, label: '1 KiB', topic: TOPIC_1K, records: opts.records1k, warmup: opts.warmup1k },
    { size: 100, label: '100 B', topic: TOPIC_100B, records: opts.records100b, warmup: opts.warmup100b },
  ] as const;
  const produced: Record<string, ProduceResult[]> = { sink1k: [], sink100b: [], samsa1k: [], samsa100b: [] };
  const consumed: Record<string, ConsumeResult[]> = { consume1k: [], consume100b: [] };
  let groups: GroupsMeasured | null = null;
  let cluster: ClusterOutcome | null = null;
  const key = (name: string, size: number) => `${name}${size === 1024 ? '1k' : '100b'}`;

  try {
    // Warm-ups (JIT, connection setup, first segment), to a topic of their own.
    for (const t of targets) {
      for (const z of sizes) await produce(gen, t.bootstrap, 'bench-warmup', z.warmup, z.size, extra);
    }

    // Produce: rounds of sink 1 KiB, samsa 1 KiB, sink 100 B, samsa 100 B.
    for (let round = 1; round <= rounds; round++) {
      for (const z of sizes) {
        for (const t of targets) {
          const label = `${t.name} ${z.label}${rounds > 1 ? ` #${round}` : ''}`;
          await settle(label);
          const res = await withReceiverCpu(t.service.child.pid, `${t.name} produce ${z.label}`, () =>
            produce(gen, t.bootstrap, z.topic, z.records, z.size, extra),
          );
          produced[key(t.name, z.size)].push(res);
          console.log(perfTestLine(`[${label}]`.padEnd(rounds > 1 ? 16 : 13), res));
          console.log(cpuLine(res, t.name === 'sink' ? 'sink' : 'broker'));
        }
      }
    }

    // Consume everything back from Samsa, as many times as there were rounds.
    if (broker !== null && opts.phases.has('consume')) {
      for (let round = 1; round <= rounds; round++) {
        for (const z of sizes) {
          const total = z.records * rounds;
          const label = `consume ${z.label}${rounds > 1 ? ` #${round}` : ''}`;
          await settle(label);
          const res = await withReceiverCpu(broker.child.pid, `samsa consume ${z.label}`, () =>
            consume(gen, brokerBootstrap, z.topic, total, z.size),
          );
          consumed[`consume${z.size === 1024 ? '1k' : '100b'}`].push(res);
          console.log(consumeLine(`[${label}]`, res));
          console.log(cpuLine(res, 'broker'));
          if (res.error !== null || res.records !== total || res.bytes !== total * z.size) {
            throw new Error(
              `consumed ${res.records} records / ${res.bytes} bytes of ${z.topic}, expected ` +
                `${total} / ${total * z.size}: ${res.error}`,
            );
          }
        }
      }
    }

    // The same broker's group coordinator (bench/groups.ts).
    if (broker !== null && opts.phases.has('groups')) {
      await settle('groups');
      const g = await withReceiverCpu(broker.child.pid, 'samsa groups', (): Promise<GroupsMeasured> =>
        runGroupBench(brokerBootstrap, {
          ...GROUP_BENCH_DEFAULTS,
          members: opts.groupMembers,
          rounds: opts.groupRounds,
          commits: opts.groupCommits,
        }),
      );
      groups = g;
      for (const line of formatGroupBench(g)) console.log(`[groups] ${line}`);
      console.log(
        `    cpu: broker ${g.receiverCpuSeconds == null ? 'n/a' : `${fmt(g.receiverCpuSeconds)} s`} for the ` +
          `rebalances and the commits (the clients run inside this runner); machine ` +
          `${g.machineBusy == null ? 'n/a' : `${fmt(g.machineBusy * 100, 0)}%`} busy`,
      );
    }
  } catch (e) {
    if (broker !== null && !interrupted) console.error(`broker output (tail):\n${broker.tail()}`);
    throw e;
  }

  let profileSummary: string | null = null;
  if (broker !== null) {
    await broker.stop(30_000);
    if (profileDir !== null) {
      const files = profileFiles(profileDir);
      if (files.length === 0) {
        profileSummary = `no .cpuprofile was written to ${profileDir} (did the broker exit cleanly?)`;
      } else {
        const parts = [`Broker CPU profile: ${files.join(', ')}`];
        for (const label of [...new Set(phaseWindows.map((w) => w.label))]) {
          if (label.startsWith('sink')) continue;
          const windows = phaseWindows.filter((w) => w.label === label);
          parts.push(`\n[${label}] ${formatSummary(summarizeProfiles(files, windows), 15)}`);
        }
        parts.push(`\n[whole broker run] ${formatSummary(summarizeProfiles(files), 15)}`);
        profileSummary = parts.join('\n');
      }
    }
  }
  if (sink !== null) {
    await sink.stop(5_000);
    const expected = sizes.reduce((n, z) => n + z.warmup + z.records * rounds, 0);
    const stats = lastJsonLine<{ records: number; crcErrors: number }>(sink.output);
    if (stats === null || stats.records !== expected || stats.crcErrors !== 0) {
      throw new Error(`calibration sink stored ${JSON.stringify(stats)}, expected ${expected} records`);
    }
  }

  // The cluster run, on the same ZooKeeper once the single broker and the sink have stopped.
  if (opts.phases.has('cluster') && zk !== null) {
    if (!opts.keep) {
      // Room on disk; the freed page cache goes back to the host (see pageCacheFillMBps) before the
      // first measured run, so the cluster's appends land in fresh pages like the broker's did.
      for (const d of ['kafka-logs', 'sink']) fs.rmSync(path.join(work, d), { recursive: true, force: true });
      syncDisks();
      await sleep(2000);
    }
    console.log('');
    cluster = await clusterPhase(opts, gen, zk.connectString, work, settle, profileDir);
  }

  // Summary: medians over the rounds.
  console.log('');
  const med = (xs: number[]): number | null => {
    if (xs.length === 0) return null;
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  };
  const mbps = (r: { bytes: number; seconds: number }) => r.bytes / MB / r.seconds;
  const rps = (r: { records: number; seconds: number }) => r.records / r.seconds;
  const ratios = (a: ProduceResult[], b: ProduceResult[], f: (r: ProduceResult) => number) =>
    a.length === b.length && a.length > 0 ? a.map((r, i) => f(r) / f(b[i])) : [];
  const s1k = med(produced.sink1k.map(mbps));
  const s100 = med(produced.sink100b.map(rps));
  const b1k = med(produced.samsa1k.map(mbps));
  const b100 = med(produced.samsa100b.map(rps));
  const c1k = med(consumed.consume1k.map(mbps));
  const c100 = med(consumed.consume100b.map(rps));
  const ratio1k = med(ratios(produced.samsa1k, produced.sink1k, mbps));
  const ratio100 = med(ratios(produced.samsa100b, produced.sink100b, rps));
  const spread = (xs: number[], scale = 1, digits = 1) =>
    xs.length > 1 ? ` (${xs.map((x) => fmt(x / scale, digits)).join(', ')})` : '';
  const verdict = (ok: boolean | null) => (ok === null ? '' : ok ? 'PASS' : 'MISS');
  const checks: Array<{ what: string; value: string; target: string; ok: boolean | null; runs: string }> = [];
  const add = (what: string, value: string, target: string, ok: boolean | null, runs: string) =>
    checks.push({ what, value, target, ok, runs });
  if (s1k !== null)
    add('sink    1 KiB', `${fmt(s1k, 1)} MB/s`, '(ceiling)', null, spread(produced.sink1k.map(mbps)));
  if (b1k !== null)
    add(
      'produce 1 KiB',
      `${fmt(b1k, 1)} MB/s`,
      `>= ${TARGETS.produce1kMBps} MB/s`,
      b1k >= TARGETS.produce1kMBps,
      spread(produced.samsa1k.map(mbps)),
    );
  if (ratio1k !== null)
    add(
      'produce 1 KiB / sink',
      fmt(ratio1k),
      `>= ${TARGETS.produce1kRatio}`,
      ratio1k >= TARGETS.produce1kRatio,
      spread(ratios(produced.samsa1k, produced.sink1k, mbps), 1, 2),
    );
  if (s100 !== null)
    add(
      'sink    100 B',
      `${fmt(s100 / 1000, 1)}k rec/s`,
      '(ceiling)',
      null,
      spread(produced.sink100b.map(rps), 1000),
    );
  if (b100 !== null)
    add(
      'produce 100 B',
      `${fmt(b100 / 1000, 1)}k rec/s`,
      `>= ${TARGETS.produce100bRps / 1000}k rec/s`,
      b100 >= TARGETS.produce100bRps,
      spread(produced.samsa100b.map(rps), 1000),
    );
  if (ratio100 !== null)
    add(
      'produce 100 B / sink',
      fmt(ratio100),
      '',
      null,
      spread(ratios(produced.samsa100b, produced.sink100b, rps), 1, 2),
    );
  if (c1k !== null)
    add(
      'consume 1 KiB',
      `${fmt(c1k, 1)} MB/s`,
      `>= ${TARGETS.consumeMBps} MB/s`,
      c1k >= TARGETS.consumeMBps,
      spread(consumed.consume1k.map(mbps)),
    );
  if (c100 !== null)
    add(
      'consume 100 B',
      `${fmt(c100 / 1000, 1)}k rec/s`,
      '',
      null,
      spread(consumed.consume100b.map(rps), 1000),
    );
  // The cluster against the single broker's acks=1 1 KiB median: the cluster runs come after all the
  // single-broker ones, so there is no pairing by round.
  const clusterRuns = cluster?.runs ?? [];
  const cl1k = med(clusterRuns.map(mbps));
  const clusterRatio = cl1k !== null && b1k !== null ? cl1k / b1k : null;
  const clP99 = med(clusterRuns.flatMap((r) => (r.samples > 0 && r.p99 !== null ? [r.p99] : [])));
  const ms = (v: number) => `${fmt(v, v < 10 ? 1 : 0)} ms`;
  if (cl1k !== null)
    add(
      `cluster 1 KiB acks=all`,
      `${fmt(cl1k, 1)} MB/s`,
      `RF ${CLUSTER_BROKERS}, min ISR 2`,
      null,
      spread(clusterRuns.map(mbps)),
    );
  if (clusterRatio !== null && b1k !== null)
    add(
      'cluster / 1 broker',
      fmt(clusterRatio),
      `>= ${TARGETS.clusterRatio}`,
      clusterRatio >= TARGETS.clusterRatio,
      spread(
        clusterRuns.map((r) => mbps(r) / b1k),
        1,
        2,
      ),
    );
  if (clP99 !== null)
    add(
      'cluster p99 latency',
      ms(clP99),
      '(at full rate)',
      null,
      clusterRuns.length > 1 ? ` (${clusterRuns.map((r) => ms(r.p99 ?? 0)).join(', ')})` : '',
    );
  if (groups !== null) {
    const g = groups;
    add(
      `group of ${g.members} to Stable`,
      ms(g.rebalanceMedianMs),
      '',
      null,
      g.rebalanceMs.length > 1 ? ` (${g.rebalanceMs.map((t) => fmt(t, 1)).join(', ')})` : '',
    );
    add(
      'offset commits',
      `${fmt(g.commitsPerSec / 1000, 1)}k commits/s`,
      '',
      null,
      ` (${g.connections} conn. x ${g.pipeline} in flight; p99 ${ms(g.commitLatencyMs.p99)})`,
    );
  }
  console.log(`Summary${rounds > 1 ? ` (median of ${rounds} rounds; each round in parentheses)` : ''}`);
  for (const c of checks) {
    console.log(
      `  ${c.what.padEnd(22)} ${c.value.padStart(15)}   ${c.target.padEnd(16)} ${verdict(c.ok).padEnd(4)} ${c.runs}`,
    );
  }
  if (profileSummary !== null) console.log(`\n${profileSummary}`);
  if (cluster?.profileSummary) console.log(`\n${cluster.profileSummary}`);

  const pick = (r: ProduceResult) => ({
    records: r.records,
    recordSize: r.recordSize,
    seconds: r.seconds,
    recordsPerSec: r.records / r.seconds,
    mbPerSec: r.bytes / MB / r.seconds,
    latencyMs:
      r.samples > 0 ? { avg: r.avg, max: r.max, p50: r.p50, p95: r.p95, p99: r.p99, p999: r.p999 } : null,
    clientCpuSeconds: r.cpuSeconds ?? null,
    receiverCpuSeconds: r.receiverCpuSeconds ?? null,
    machineBusy: r.machineBusy ?? null,
  });
  const pickC = (r: ConsumeResult) => ({
    records: r.records,
    seconds: r.seconds,
    recordsPerSec: r.records / r.seconds,
    mbPerSec: r.bytes / MB / r.seconds,
    clientCpuSeconds: r.cpuSeconds ?? null,
    receiverCpuSeconds: r.receiverCpuSeconds ?? null,
    machineBusy: r.machineBusy ?? null,
  });
  const missed = checks.filter((c) => c.ok === false).map((c) => c.what);
  console.log(
    JSON.stringify({
      bench: 'samsa',
      generator: gen.description,
      quick: opts.quick,
      rounds,
      median: {
        sink1kMBps: s1k,
        sink100bRps: s100,
        samsa1kMBps: b1k,
        samsa100bRps: b100,
        consume1kMBps: c1k,
        consume100bRps: c100,
        ratio1k,
        ratio100b: ratio100,
        cluster1kMBps: cl1k,
        clusterRatio,
        clusterP99Ms: clP99,
        groupStableMs: groups?.rebalanceMedianMs ?? null,
        commitsPerSec: groups?.commitsPerSec ?? null,
      },
      runs: {
        sink1k: produced.sink1k.map(pick),
        sink100b: produced.sink100b.map(pick),
        samsa1k: produced.samsa1k.map(pick),
        samsa100b: produced.samsa100b.map(pick),
        consume1k: consumed.consume1k.map(pickC),
        consume100b: consumed.consume100b.map(pickC),
        cluster1k: clusterRuns.map((r) => ({
          ...pick(r),
          brokerCpuSeconds: r.brokerCpuSeconds,
          leader: r.leader,
          isrBefore: r.isrBefore,
          isrAfter: r.isrAfter,
        })),
      },
      cluster:
        cluster === null
          ? null
          : {
              brokers: CLUSTER_BROKERS,
              replicationFactor: CLUSTER_BROKERS,
              topicConfig: CLUSTER_TOPIC_CONFIG,
              acks: 'all',
              replicaBytes: cluster.replicaBytes,
            },
      groups,
      targets: TARGETS,
      missed,
      backgroundCpu: background,
      pageCacheFillMBps: fillMBps,
    }),
  );
  await teardown();
  if (opts.check && missed.length > 0) process.exitCode = 1;
}

async function freePortNumber(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

main().catch(async (e: unknown) => {
  if (interrupted) return; // the signal handler tears down and exits
  console.error(`\nbench failed: ${e instanceof Error ? e.message : String(e)}`);
  await teardown();
  process.exit(1);
});
