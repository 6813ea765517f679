// `samsa reassign-partitions` — kafka-reassign-partitions.sh (3.9) with every option and output
// text of Kafka's tool (ReassignPartitionsCommand; ../shared/reference/reassignment.md §5):
// --generate, --execute [--throttle] [--replica-alter-log-dirs-throttle] [--additional]
// [--timeout], --verify [--preserve-throttles], --cancel [--preserve-throttles], --list, over
// --bootstrap-server (the Admin APIs; --command-config's client.id and request.timeout.ms are
// used), plus the legacy --zookeeper path of the pre-3.0 tool for --generate/--execute/--verify
// (it writes /admin/reassign_partitions, which the controller watches, and the throttle configs
// directly) with that tool's rules: both given → a warning and the Admin API path; options only
// the Admin path has → `You must specify --bootstrap-server when using "[x]"`; its --execute
// checks and messages. Errors print as Kafka prints them on stdout (a TerseException's message
// alone, anything else as `Error: <message>`), usage errors on stderr; exit status 1 on any
// failure, with nothing changed when the input is rejected.
//
// Beyond Kafka:
// * --verify and --list add the progress of every partition being moved: per adding replica the
//   bytes it holds against the leader's partition size (DescribeLogDirs), what remains, the copy
//   rate between two samples --progress-interval-ms apart (default 1000; 0 = one sample) and an ETA.
// * --execute --wait follows the reassignment with a progress line until it completes, then
//   clears the throttles it set (as --verify would) when no other reassignment is running.
// * --generate --minimize-movement proposes a plan that balances replicas and preferred leaders
//   over --broker-list while moving as few replicas as possible, and prints how many replicas
//   each plan moves (Kafka's generator vs the minimized one).

import fs from 'node:fs';
import { AdminClient, KafkaApiError } from '../admin/admin-client';
import {
  ALTER_LOG_DIRS_RATE,
  FOLLOWER_THROTTLED_RATE,
  FOLLOWER_THROTTLED_REPLICAS,
  LEADER_THROTTLED_RATE,
  LEADER_THROTTLED_REPLICAS,
} from '../admin/dynamic-broker-config';
import {
  calculateProposedMoveMap,
  compareTopicPartitions,
  javaHashOrder,
  javaHashSetOrder,
  countMoves,
  currentKey,
  followerThrottles,
  formatReassignmentJson,
  generateAssignment,
  generateBrokerMetadata,
  leaderThrottles,
  listText,
  minimizeMovement,
  OngoingReassignment,
  parseGenerateArgs,
  parseReassignmentJson,
  ParsedReassignment,
  PartitionAssignment,
  progressLine,
  ReassignCommandError,
  reassigningBrokers,
  ReplicaProgress,
  replicaProgress,
  summaryLine,
  TopicPartition,
  topicPartitionHash,
  tpString,
  validateExecuteAssignment,
  verifyLines,
} from '../admin/reassignment';
import { ApiKey } from '../protocol/messages/generated';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { CreateMode, ZkClient, ZkError } from '../zk/zk-client';
import { ZkPaths } from '../zk/zk-data';
import { setLogLevel } from '../utils/logger';
import { parseProperties } from '../server/kafka-config';

export { javaHashSetOrder };

export interface ReassignOptions {
  bootstrapServer?: string;
  zookeeper?: string;
  commandConfig?: string;
  generate?: boolean;
  execute?: boolean;
  verify?: boolean;
  cancel?: boolean;
  list?: boolean;
  topicsToMoveJsonFile?: string;
  brokerList?: string;
  disableRackAware?: boolean;
  reassignmentJsonFile?: string;
  throttle?: string;
  replicaAlterLogDirsThrottle?: string;
  timeout?: string;
  additional?: boolean;
  preserveThrottles?: boolean;
  // Samsa's own
  wait?: boolean;
  minimizeMovement?: boolean;
  progressIntervalMs?: string;
}

export interface ReassignIO {
  /** Writes text as is (no newline added). */
  write(text: string): void;
  /** stderr, one line. */
  err(line: string): void;
  /** true when stdout is a terminal (--wait redraws its progress line). */
  tty?: boolean;
  /** Random source of --generate (Kafka draws start index and shift with java.util.Random). */
  random?: (n: number) => number;
  /**
   * The command line as typed (default process.argv): Kafka reports the first offending option in
   * command-line order.
   */
  argv?: readonly string[];
}

const ACTIONS = ['generate', 'execute', 'verify', 'cancel', 'list'] as const;
type Action = (typeof ACTIONS)[number];

const REQUIRED: Record<Action, string[]> = {
  generate: ['topics-to-move-json-file', 'broker-list'],
  execute: ['reassignment-json-file'],
  verify: ['reassignment-json-file'],
  cancel: ['reassignment-json-file'],
  list: [],
};

const PERMITTED: Record<Action, string[]> = {
  generate: ['bootstrap-server', 'broker-list', 'command-config', 'disable-rack-aware', 'minimize-movement'],
  execute: [
    'additional',
    'bootstrap-server',
    'command-config',
    'throttle',
    'replica-alter-log-dirs-throttle',
    'timeout',
    'wait',
    'progress-interval-ms',
  ],
  verify: ['bootstrap-server', 'command-config', 'preserve-throttles', 'progress-interval-ms'],
  cancel: ['bootstrap-server', 'command-config', 'preserve-throttles', 'timeout'],
  list: ['bootstrap-server', 'command-config', 'progress-interval-ms'],
};

/** The actions the legacy (2.x) tool accepted --zookeeper with. */
const ZK_ACTIONS: readonly Action[] = ['generate', 'execute', 'verify'];

/**
 * Options that need the Admin API: with --zookeeper and no --bootstrap-server the 2.x tool refused
 * them (its bootstrapServerOnlyArgs, in that order), and so do Samsa's progress options.
 */
const BOOTSTRAP_ONLY = [
  'additional',
  'cancel',
  'command-config',
  'replica-alter-log-dirs-throttle',
  'list',
  'timeout',
  'wait',
  'progress-interval-ms',
];

/** ReassignPartitionsCommand.HELP_TEXT: printed (as a usage error) when no option is given. */
export const HELP_TEXT = 'This tool helps to move topic partitions between replicas.';

const CANNOT_EXECUTE_BECAUSE_OF_EXISTING =
  'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.';
const YOU_MUST_RUN_VERIFY =
  'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.';

class UsageError extends Error {}

/** Runs the tool; resolves to the exit status. `given` lists the long option names on the command line. */
export async function runReassignPartitions(
  o: ReassignOptions,
  given: readonly string[],
  io: ReassignIO,
): Promise<number> {
  let action: Action;
  try {
    action = validateArgs(o, inCommandLineOrder(given, io.argv ?? process.argv));
  } catch (e) {
    io.err((e as Error).message);
    return 1;
  }
  const println = (s = '') => io.write(`${s}\n`);
  try {
    if (o.bootstrapServer === undefined) await runWithZooKeeper(action, o, io);
    else {
      if (o.zookeeper !== undefined)
        println(
          'Warning: ignoring deprecated --zookeeper option because --bootstrap-server was specified.  The --zookeeper option will be removed in a future version of Kafka.',
        );
      await runWithAdmin(action, o, io);
    }
    return 0;
  } catch (e) {
    if (e instanceof ReassignCommandError && e.terse) println(e.message);
    else if (e instanceof KafkaApiError) println(`Error: ${e.toString()}`);
    else println(`Error: ${(e as Error).message}`);
    return 1;
  }
}

/** `given` sorted by where each option first appears on the command line (unknown ones last). */
function inCommandLineOrder(given: readonly string[], argv: readonly string[]): string[] {
  const at = (g: string) => {
    const i = argv.findIndex((a) => a === `--${g}` || a.startsWith(`--${g}=`));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  return [...given]
    .map((g, i) => ({ g, i, at: at(g) }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((x) => x.g);
}

/**
 * validateAndParseArgs: the option values parse (joptsimple, before anything else), exactly one
 * action, a server, the action's required options, then no option outside its permitted set (in
 * command-line order); with --zookeeper alone, none of the Admin-only options.
 */
function validateArgs(o: ReassignOptions, given: readonly string[]): Action {
  if (given.length === 0) throw new UsageError(HELP_TEXT);
  for (const [flag, v] of [
    ['throttle', o.throttle],
    ['replica-alter-log-dirs-throttle', o.replicaAlterLogDirsThrottle],
    ['timeout', o.timeout],
    ['progress-interval-ms', o.progressIntervalMs],
  ] as const)
    if (v !== undefined && !/^[+-]?\d+$/.test(v.trim()))
      throw new UsageError(`Cannot parse argument '${v}' of option ${flag}`);
  const actions = ACTIONS.filter((a) => o[a]);
  if (actions.length !== 1)
    throw new UsageError(
      `Command must include exactly one action: ${ACTIONS.map((a) => `--${a}`).join(', ')}`,
    );
  const action = actions[0];
  if (o.bootstrapServer === undefined && o.zookeeper === undefined)
    throw new UsageError('Please specify --bootstrap-server');
  for (const r of REQUIRED[action])
    if (!given.includes(r)) throw new UsageError(`Missing required argument "[${r}]"`);
  const permitted = [...PERMITTED[action], ...(ZK_ACTIONS.includes(action) ? ['zookeeper'] : [])];
  for (const g of given) {
    if (g === action || REQUIRED[action].includes(g)) continue;
    if (!permitted.includes(g))
      throw new UsageError(`Option "[${g}]" can't be used with action "[${action}]"`);
  }
  if (o.bootstrapServer === undefined)
    for (const b of BOOTSTRAP_ONLY)
      if (given.includes(b)) throw new UsageError(`You must specify --bootstrap-server when using "[${b}]"`);
  return action;
}

function readFile(path: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    // Files.readAllBytes' NoSuchFileException: its message is the path.
    throw new ReassignCommandError(path);
  }
}

const long = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v.trim()));
const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

// ---- the Admin API path ----------------------------------------------------------------------------

/**
 * The Admin client settings: --command-config's properties (Utils.loadProps; a missing file fails
 * the command with its path as the message), bootstrap.servers from --bootstrap-server, client.id
 * defaulting to reassign-partitions-tool, request.timeout.ms (default 30000). This client speaks
 * PLAINTEXT only: another security.protocol is refused rather than ignored.
 */
export function adminSettings(o: ReassignOptions): {
  bootstrap: string;
  clientId: string;
  timeoutMs: number;
} {
  let props: Record<string, string> = {};
  if (o.commandConfig !== undefined) props = parseProperties(readFile(o.commandConfig));
  const protocol = (props['security.protocol'] ?? 'PLAINTEXT').trim().toUpperCase();
  if (protocol !== 'PLAINTEXT')
    throw new ReassignCommandError(
      `security.protocol ${props['security.protocol']} (from ${o.commandConfig}) is not supported: Samsa's admin client speaks PLAINTEXT only`,
    );
  let timeoutMs = 30000;
  const t = props['request.timeout.ms'];
  if (t !== undefined) {
    if (!/^\d+$/.test(t.trim()))
      throw new ReassignCommandError(
        `Invalid value ${t} for configuration request.timeout.ms: Not a number of type INT`,
      );
    timeoutMs = Number(t.trim());
  }
  return {
    bootstrap: o.bootstrapServer as string,
    clientId: props['client.id'] ?? 'reassign-partitions-tool',
    timeoutMs,
  };
}

async function runWithAdmin(action: Action, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const settings = adminSettings(o);
  const admin = await AdminClient.connect(settings.bootstrap, settings.clientId, settings.timeoutMs);
  try {
    switch (action) {
      case 'generate':
        return await generate(admin, o, io);
      case 'execute':
        return await execute(admin, o, io);
      case 'verify':
        return await verify(admin, o, io);
      case 'cancel':
        return await cancel(admin, o, io);
      case 'list':
        return await list(admin, o, io);
    }
  } finally {
    admin.close();
  }
}

/** describeTopics with the tool's "Topic foo not found." for a missing topic. */
async function currentAssignment(admin: AdminClient, topics: string[]): Promise<PartitionAssignment[]> {
  const described = await admin.describeTopics(topics);
  for (const t of topics) if (!described.has(t)) throw new KafkaApiError(3, `Topic ${t} not found.`);
  return [...described.entries()].flatMap(([topic, parts]) =>
    parts.map((p) => ({ topic, partition: p.partition, replicas: p.replicas })),
  );
}

function printGenerated(
  current: PartitionAssignment[],
  proposed: PartitionAssignment[],
  io: ReassignIO,
): void {
  io.write(`Current partition replica assignment\n${formatReassignmentJson(current)}\n\n`);
  io.write(`Proposed partition reassignment configuration\n${formatReassignmentJson(proposed)}\n`);
}

async function generate(admin: AdminClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const { brokers, topics } = parseGenerateArgs(
    readFile(o.topicsToMoveJsonFile as string),
    o.brokerList as string,
  );
  const current = await currentAssignment(admin, topics);
  const cluster = (await admin.describeCluster()).brokers;
  const metadata = generateBrokerMetadata(cluster, brokers, !o.disableRackAware);
  planAndPrint(current, metadata, o, io);
}

function planAndPrint(
  current: PartitionAssignment[],
  brokers: ReturnType<typeof generateBrokerMetadata>,
  o: ReassignOptions,
  io: ReassignIO,
): void {
  let kafkaPlan: PartitionAssignment[];
  try {
    kafkaPlan = generateAssignment(current, brokers, io.random);
  } catch (e) {
    throw new ReassignCommandError((e as Error).message);
  }
  if (!o.minimizeMovement) {
    printGenerated(current, kafkaPlan, io);
    return;
  }
  const minimized = minimizeMovement(current, brokers);
  printGenerated(current, minimized, io);
  io.write(
    `\nReplicas to move: ${countMoves(current, minimized)} with --minimize-movement, ${countMoves(current, kafkaPlan)} with Kafka's generator\n`,
  );
}

function ongoingByKey(ongoing: OngoingReassignment[]): Map<string, OngoingReassignment> {
  return new Map(ongoing.map((r) => [tpKey(r), r]));
}

async function execute(admin: AdminClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const println = (s = '') => io.write(`${s}\n`);
  const parsed = parseReassignmentJson(readFile(o.reassignmentJsonFile as string));
  validateExecuteAssignment(parsed);
  const interBrokerThrottle = long(o.throttle, -1);
  const logDirThrottle = long(o.replicaAlterLogDirsThrottle, -1);
  const timeoutMs = long(o.timeout, 10000);
  const ongoing = await admin.listPartitionReassignments(null);
  if (!o.additional && ongoing.length > 0)
    throw new ReassignCommandError(CANNOT_EXECUTE_BECAUSE_OF_EXISTING, true);
  const brokers = new Set(parsed.partitions.flatMap((p) => p.replicas));
  const live = new Set((await admin.describeCluster()).brokers.map((b) => b.id));
  const unknown = [...brokers].find((b) => !live.has(b));
  if (unknown !== undefined) throw new ReassignCommandError(`Unknown broker id ${unknown}`);
  const current = await currentPartitions(admin, parsed.partitions);
  if (parsed.logDirs.size > 0 && !admin.supports(ApiKey.AlterReplicaLogDirs))
    // Kafka would start the reassignments and then time out on the moves; refuse before changing anything.
    throw new ReassignCommandError(
      'Moving replicas between log directories (log_dirs other than "any") is not supported by this cluster',
      true,
    );

  println(
    `Current partition replica assignment\n\n${formatReassignmentJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback`,
  );
  if (interBrokerThrottle >= 0 || logDirThrottle >= 0) {
    println(YOU_MUST_RUN_VERIFY);
    if (interBrokerThrottle >= 0) {
      const moves = calculateProposedMoveMap(
        ongoing,
        parsed.partitions,
        new Map(current.map((p) => [currentKey(p), p.replicas])),
      );
      await setTopicThrottles(admin, leaderThrottles(moves), followerThrottles(moves));
      await setBrokerConfigs(admin, reassigningBrokers(moves), {
        [LEADER_THROTTLED_RATE]: String(interBrokerThrottle),
        [FOLLOWER_THROTTLED_RATE]: String(interBrokerThrottle),
      });
      println(`The inter-broker throttle limit was set to ${interBrokerThrottle} B/s`);
    }
    if (logDirThrottle >= 0) {
      const moving = [...new Set([...parsed.logDirs.values()].map((m) => m.broker))].sort((a, b) => a - b);
      await setBrokerConfigs(admin, moving, { [ALTER_LOG_DIRS_RATE]: String(logDirThrottle) });
      println(`The replica-alter-dir throttle limit was set to ${logDirThrottle} B/s`);
    }
  }
  const errors = await admin.alterPartitionReassignments(parsed.partitions);
  if (errors.size > 0) {
    const lines = [...parsed.partitions]
      .sort(compareTopicPartitions)
      .filter((p) => errors.has(tpKey(p)))
      .map((p) => `${tpString(p)}: ${errors.get(tpKey(p))!.message}`);
    throw new ReassignCommandError(`Error reassigning partition(s):\n${lines.join('\n')}`, true);
  }
  const names = [...parsed.partitions].sort(compareTopicPartitions).map(tpString);
  println(
    `Successfully started partition reassignment${names.length === 1 ? '' : 's'} for ${names.join(',')}`,
  );
  if (parsed.logDirs.size > 0) await executeLogDirMoves([...parsed.logDirs.values()], timeoutMs, admin, io);
  if (o.wait) await waitForCompletion(admin, parsed, interBrokerThrottle >= 0 || logDirThrottle >= 0, o, io);
}

/** getReplicaAssignmentForPartitions: the current replicas of each listed partition (all must exist). */
async function currentPartitions(
  admin: AdminClient,
  parts: readonly TopicPartition[],
): Promise<PartitionAssignment[]> {
  const topics = [...new Set(parts.map((p) => p.topic))];
  const all = await currentAssignment(admin, topics);
  const wanted = new Set(parts.map(tpKey));
  const found = all.filter((p) => wanted.has(tpKey(p)));
  const have = new Set(found.map(tpKey));
  const missing = parts.filter((p) => !have.has(tpKey(p)));
  if (missing.length > 0)
    throw new KafkaApiError(
      3,
      `Unable to find partition: ${javaHashOrder(missing, topicPartitionHash, tpKey)
        .map(tpString)
        .join(', ')}`,
    );
  return found;
}

type LogDirMove = { topic: string; partition: number; broker: number; dir: string };
const replicaString = (m: { topic: string; partition: number; broker: number }) =>
  `${m.topic}-${m.partition}-${m.broker}`;
const compareReplicas = (a: LogDirMove, b: LogDirMove) => a.broker - b.broker || compareTopicPartitions(a, b);

/** executeMoves: AlterReplicaLogDirs every 100 ms until all moves started (REPLICA_NOT_AVAILABLE is retried). */
async function executeLogDirMoves(
  moves: LogDirMove[],
  timeoutMs: number,
  admin: AdminClient,
  io: ReassignIO,
): Promise<void> {
  const started = Date.now();
  let pending = [...moves];
  for (;;) {
    const done: LogDirMove[] = [];
    for (const broker of new Set(pending.map((m) => m.broker))) {
      const mine = pending.filter((m) => m.broker === broker);
      let codes: Map<string, number>;
      try {
        codes = await admin.alterReplicaLogDirs(broker, mine);
      } catch {
        continue;
      }
      for (const m of mine) if (codes.get(tpKey(m)) === 0) done.push(m);
    }
    for (const m of done.sort(compareReplicas))
      io.write(
        `Successfully started moving log directory to ${m.dir} for replica ${m.topic}-${m.partition} with broker ${m.broker} \n`,
      );
    pending = pending.filter((m) => !done.includes(m));
    if (pending.length === 0) return;
    if (Date.now() >= started + timeoutMs)
      throw new ReassignCommandError(
        `Timed out before log directory move${pending.length === 1 ? '' : 's'} could be started for: ${pending
          .sort(compareReplicas)
          .map(replicaString)
          .join(',')}`,
        true,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

type MoveState =
  | { kind: 'missingLogDir' }
  | { kind: 'missingReplica' }
  | { kind: 'completed' }
  | { kind: 'cancelled'; current: string }
  | { kind: 'active'; current: string; future: string };

/** findLogDirMoveStates: where each listed replica is and whether it is moving to its target dir. */
async function logDirMoveStates(
  admin: AdminClient,
  moves: LogDirMove[],
): Promise<Map<LogDirMove, MoveState>> {
  const out = new Map<LogDirMove, MoveState>();
  for (const broker of new Set(moves.map((m) => m.broker))) {
    const mine = moves.filter((m) => m.broker === broker);
    let infos: Map<string, { current: string | null; future: string | null }> | null;
    try {
      infos = await admin.replicaLogDirs(broker, mine);
    } catch {
      infos = null;
    }
    for (const m of mine) {
      const info = infos?.get(tpKey(m));
      if (!info) out.set(m, { kind: 'missingReplica' });
      else if (info.current === null) out.set(m, { kind: 'missingLogDir' });
      else if (info.future === null)
        out.set(
          m,
          info.current === m.dir ? { kind: 'completed' } : { kind: 'cancelled', current: info.current },
        );
      else out.set(m, { kind: 'active', current: info.current, future: info.future });
    }
  }
  return out;
}

/** replicaMoveStatesToString */
function logDirMoveLines(states: Map<LogDirMove, MoveState>): string[] {
  return [...states.entries()]
    .sort((a, b) => compareReplicas(a[0], b[0]))
    .map(([m, s]) => {
      const p = `${m.topic}-${m.partition}`;
      switch (s.kind) {
        case 'missingLogDir':
          return `Partition ${p} is not found in any live log dir on broker ${m.broker}. There is likely an offline log directory on the broker.`;
        case 'missingReplica':
          return `Partition ${p} cannot be found in any live log directory on broker ${m.broker}.`;
        case 'active':
          return s.future === m.dir
            ? `Reassignment of replica ${replicaString(m)} is still in progress.`
            : `Partition ${p} on broker ${m.broker} is being moved to log dir ${s.future} instead of ${m.dir}.`;
        case 'cancelled':
          return `Partition ${p} on broker ${m.broker} is not being moved from log dir ${s.current} to ${m.dir}.`;
        case 'completed':
          return `Reassignment of replica ${replicaString(m)} completed successfully.`;
      }
    });
}

async function setTopicThrottles(
  admin: AdminClient,
  leader: Map<string, string>,
  follower: Map<string, string>,
): Promise<void> {
  const topics = [...new Set([...leader.keys(), ...follower.keys()])];
  const resources = topics.map((t) => ({
    resourceType: 2,
    resourceName: t,
    ops: [
      ...(leader.has(t) ? [{ name: LEADER_THROTTLED_REPLICAS, op: 0, value: leader.get(t)! }] : []),
      ...(follower.has(t) ? [{ name: FOLLOWER_THROTTLED_REPLICAS, op: 0, value: follower.get(t)! }] : []),
    ],
  }));
  const errs = await admin.incrementalAlterConfigs(resources);
  const err = errs.find((e) => e !== null);
  if (err) throw err;
}

async function setBrokerConfigs(
  admin: AdminClient,
  brokers: number[],
  configs: Record<string, string>,
): Promise<void> {
  const errs = await admin.incrementalAlterConfigs(
    brokers.map((b) => ({
      resourceType: 4,
      resourceName: String(b),
      ops: Object.entries(configs).map(([name, value]) => ({ name, op: 0, value })),
    })),
  );
  const err = errs.find((e) => e !== null);
  if (err) throw err;
}

/** clearAllThrottles: the three broker throttles everywhere, both topic throttles on the JSON's topics. */
async function clearAllThrottles(
  admin: AdminClient,
  targets: readonly PartitionAssignment[],
  io: ReassignIO,
): Promise<void> {
  const cluster = (await admin.describeCluster(true)).brokers.map((b) => b.id);
  const live = new Set(cluster);
  const brokers = javaHashSetOrder([...cluster, ...targets.flatMap((t) => t.replicas)]);
  io.write(
    `Clearing broker-level throttles on broker${brokers.length === 1 ? '' : 's'} ${brokers.join(',')}\n`,
  );
  // Brokers named in the JSON that are not alive cannot be reached; Kafka's admin client would time out on them.
  const reachable = brokers.filter((b) => live.has(b));
  const errs = await admin.incrementalAlterConfigs(
    reachable.map((b) => ({
      resourceType: 4,
      resourceName: String(b),
      ops: [LEADER_THROTTLED_RATE, FOLLOWER_THROTTLED_RATE, ALTER_LOG_DIRS_RATE].map((name) => ({
        name,
        op: 1,
        value: null,
      })),
    })),
  );
  const berr = errs.find((e) => e !== null);
  if (berr) throw berr;
  const topics = javaHashSetOrder(targets.map((t) => t.topic));
  io.write(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  const terrs = await admin.incrementalAlterConfigs(
    topics.map((t) => ({
      resourceType: 2,
      resourceName: t,
      ops: [LEADER_THROTTLED_REPLICAS, FOLLOWER_THROTTLED_REPLICAS].map((name) => ({
        name,
        op: 1,
        value: null,
      })),
    })),
  );
  const terr = terrs.find((e) => e !== null);
  if (terr) throw terr;
}

async function verify(admin: AdminClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const parsed = parseReassignmentJson(readFile(o.reassignmentJsonFile as string));
  const ongoing = await admin.listPartitionReassignments(null);
  const byKey = ongoingByKey(ongoing);
  const notFound = parsed.partitions.filter((p) => !byKey.has(tpKey(p)));
  const described = await admin.describeTopics([...new Set(notFound.map((p) => p.topic))]);
  const states = parsed.partitions.map((p) => {
    const r = byKey.get(tpKey(p));
    if (r) return { ...p, current: r.replicas, target: p.replicas, done: false };
    const info = described.get(p.topic)?.find((x) => x.partition === p.partition);
    return { ...p, current: info?.replicas ?? [], target: p.replicas, done: true };
  });
  const dedup = new Map(states.map((s) => [tpKey(s), s]));
  io.write(`${verifyLines([...dedup.values()]).join('\n')}\n`);
  const moveStates = await logDirMoveStates(admin, [...parsed.logDirs.values()]);
  io.write(`${logDirMoveLines(moveStates).join('\n')}\n`);
  const movesOngoing = [...moveStates.values()].some((st) => st.kind === 'active');
  const moving = [...dedup.values()].filter((s) => !s.done).map((s) => byKey.get(tpKey(s))!);
  if (moving.length > 0) {
    const lines = await progressLines(admin, moving, long(o.progressIntervalMs, 1000));
    if (lines.length > 0) io.write(`\nReassignment progress:\n${lines.join('\n')}\n`);
  }
  if (ongoing.length === 0 && !movesOngoing && !o.preserveThrottles)
    await clearAllThrottles(admin, parsed.partitions, io);
}

async function cancel(admin: AdminClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const println = (s = '') => io.write(`${s}\n`);
  const parsed = parseReassignmentJson(readFile(o.reassignmentJsonFile as string));
  const targets = [...new Map(parsed.partitions.map((p) => [tpKey(p), p])).values()];
  const ongoing = await admin.listPartitionReassignments(
    targets.map((t) => ({ topic: t.topic, partition: t.partition })),
  );
  // 3.9's Java tool cancels a listed reassignment only when it has no adding replicas or some
  // removing replicas: a pure expansion is left running.
  const toCancel = ongoing
    .filter((r) => r.addingReplicas.length === 0 || r.removingReplicas.length > 0)
    .sort(compareTopicPartitions);
  if (toCancel.length > 0) {
    const errors = await admin.alterPartitionReassignments(toCancel.map((r) => ({ ...r, replicas: null })));
    if (errors.size > 0) {
      const lines = toCancel
        .filter((r) => errors.has(tpKey(r)))
        .map((r) => `${tpString(r)}: ${errors.get(tpKey(r))!.message}`);
      throw new ReassignCommandError(
        `Error cancelling partition reassignment${errors.size === 1 ? '' : 's'} for:\n${lines.join('\n')}`,
        true,
      );
    }
    println(
      `Successfully cancelled partition reassignment${toCancel.length === 1 ? '' : 's'} for: ${toCancel.map(tpString).join(',')}`,
    );
  } else println('None of the specified partition reassignments are active.');
  const active = [...(await logDirMoveStates(admin, [...parsed.logDirs.values()])).entries()].flatMap(
    ([m, st]) => (st.kind === 'active' ? [{ ...m, dir: st.current }] : []),
  );
  if (active.length === 0) io.write('None of the specified partition moves are active.');
  else await executeLogDirMoves(active, long(o.timeout, 10000), admin, io);
  if (!o.preserveThrottles) await clearAllThrottles(admin, parsed.partitions, io);
}

async function list(admin: AdminClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const ongoing = await admin.listPartitionReassignments(null);
  io.write(`${listText(ongoing)}\n`);
  if (ongoing.length > 0) {
    const lines = await progressLines(admin, ongoing, long(o.progressIntervalMs, 1000));
    if (lines.length > 0) io.write(`\nReassignment progress:\n${lines.join('\n')}\n`);
  }
}

// ---- progress ----------------------------------------------------------------------------------------

type Sizes = Map<number, Map<string, number>>;

/** A broker that does not answer DescribeLogDirs this fast is left out of the progress figures. */
const PROGRESS_SAMPLE_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** DescribeLogDirs on every leader and adding replica of the moving partitions: broker → tp → bytes. */
async function sampleSizes(
  admin: AdminClient,
  moving: readonly OngoingReassignment[],
  leaders: ReadonlyMap<string, number>,
): Promise<Sizes> {
  const perBroker = new Map<number, Map<string, Set<number>>>();
  const want = (b: number, tp: TopicPartition) => {
    let m = perBroker.get(b);
    if (!m) perBroker.set(b, (m = new Map()));
    let s = m.get(tp.topic);
    if (!s) m.set(tp.topic, (s = new Set()));
    s.add(tp.partition);
  };
  for (const r of moving) {
    const leader = leaders.get(tpKey(r));
    if (leader !== undefined && leader >= 0) want(leader, r);
    for (const b of r.addingReplicas) want(b, r);
  }
  const out: Sizes = new Map();
  await Promise.all(
    [...perBroker].map(async ([b, topics]) => {
      try {
        out.set(
          b,
          await withTimeout(
            admin.logSizes(
              b,
              [...topics].map(([topic, ps]) => ({ topic, partitions: [...ps] })),
            ),
            PROGRESS_SAMPLE_TIMEOUT_MS,
          ),
        );
      } catch {
        // A broker that is down or lacks DescribeLogDirs: its replicas show as not started.
      }
    }),
  );
  return out;
}

async function leadersOf(
  admin: AdminClient,
  moving: readonly OngoingReassignment[],
): Promise<Map<string, number>> {
  const described = await admin.describeTopics([...new Set(moving.map((r) => r.topic))]);
  const out = new Map<string, number>();
  for (const [topic, parts] of described)
    for (const p of parts) out.set(tpKey({ topic, partition: p.partition }), p.leader);
  return out;
}

function progressOf(
  moving: readonly OngoingReassignment[],
  leaders: ReadonlyMap<string, number>,
  now: Sizes,
  nowMs: number,
  before?: { sizes: Sizes; atMs: number },
): Map<string, ReplicaProgress[]> {
  const out = new Map<string, ReplicaProgress[]>();
  for (const r of moving) {
    const k = tpKey(r);
    const leader = leaders.get(k) ?? -1;
    const leaderSize = now.get(leader)?.get(k) ?? 0;
    out.set(
      k,
      r.addingReplicas.map((b) => {
        const size = now.get(b)?.get(k) ?? 0;
        const prev = before?.sizes.get(b)?.get(k);
        return replicaProgress(
          b,
          leaderSize,
          size,
          prev === undefined
            ? before
              ? { size: 0, atMs: before.atMs }
              : undefined
            : { size: prev, atMs: before!.atMs },
          nowMs,
        );
      }),
    );
  }
  return out;
}

async function progressLines(
  admin: AdminClient,
  moving: OngoingReassignment[],
  intervalMs: number,
): Promise<string[]> {
  if (!admin.supports(ApiKey.DescribeLogDirs)) return [];
  const leaders = await leadersOf(admin, moving);
  let before: { sizes: Sizes; atMs: number } | undefined;
  if (intervalMs > 0) {
    before = { sizes: await sampleSizes(admin, moving, leaders), atMs: Date.now() };
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  const sizes = await sampleSizes(admin, moving, leaders);
  const progress = progressOf(moving, leaders, sizes, Date.now(), before);
  return [...moving].sort(compareTopicPartitions).map((r) => progressLine(r, progress.get(tpKey(r)) ?? []));
}

/** --wait: a progress line until none of the JSON's partitions is being reassigned. */
async function waitForCompletion(
  admin: AdminClient,
  parsed: ParsedReassignment,
  throttled: boolean,
  o: ReassignOptions,
  io: ReassignIO,
): Promise<void> {
  const started = Date.now();
  const interval = Math.max(100, long(o.progressIntervalMs, 1000));
  const targets = [...new Map(parsed.partitions.map((p) => [tpKey(p), p])).values()];
  const total = targets.length;
  let before: { sizes: Sizes; atMs: number } | undefined;
  let lastPrinted = 0;
  let lastLine = '';
  for (;;) {
    const moving = await admin.listPartitionReassignments(
      targets.map((t) => ({ topic: t.topic, partition: t.partition })),
    );
    if (moving.length === 0) break;
    let replicas: ReplicaProgress[] = [];
    if (admin.supports(ApiKey.DescribeLogDirs)) {
      const leaders = await leadersOf(admin, moving);
      const sizes = await sampleSizes(admin, moving, leaders);
      const now = Date.now();
      replicas = [...progressOf(moving, leaders, sizes, now, before).values()].flat();
      before = { sizes, atMs: now };
    }
    const line = summaryLine(total - moving.length, total, replicas, Date.now() - started);
    if (io.tty) {
      io.write(`\r${line.padEnd(lastLine.length)}`);
      lastLine = line;
    } else if (Date.now() - lastPrinted >= 5000) {
      io.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  if (io.tty && lastLine) io.write('\n');
  io.write(
    `Reassignment of ${total} partition${total === 1 ? '' : 's'} completed in ${((Date.now() - started) / 1000).toFixed(1)}s.\n`,
  );
  if (!throttled) return;
  if ((await admin.listPartitionReassignments(null)).length === 0)
    await clearAllThrottles(admin, parsed.partitions, io);
  else
    io.write(
      'Throttles left in place: other reassignments are still running; run --verify once they complete.\n',
    );
}

// ---- the legacy --zookeeper path ------------------------------------------------------------------

async function runWithZooKeeper(action: Action, o: ReassignOptions, io: ReassignIO): Promise<void> {
  io.write('Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.\n');
  // The ZooKeeper client logs its session at INFO; a tool's output is its own.
  setLogLevel(process.env.SAMSA_LOG_LEVEL ?? 'error');
  const client = new ZkClient({
    connect: o.zookeeper as string,
    sessionTimeoutMs: 30000,
    connectionTimeoutMs: 30000,
  });
  await client.connect();
  const zk = new KafkaZkClient(client);
  try {
    if (action === 'generate') await zkGenerate(zk, o, io);
    else if (action === 'execute') await zkExecute(zk, o, io);
    else if (action === 'verify') await zkVerify(zk, o, io);
  } finally {
    await client.close();
  }
}

/** The topics' assignments from their znodes; a missing topic fails with "Topic t not found." unless `strict` is false. */
async function zkAssignment(
  zk: KafkaZkClient,
  topics: string[],
  strict = true,
): Promise<PartitionAssignment[]> {
  const out: PartitionAssignment[] = [];
  for (const topic of topics) {
    const a = await zk.getTopicAssignment(topic);
    if (!a) {
      if (!strict) continue;
      throw new KafkaApiError(3, `Topic ${topic} not found.`);
    }
    for (const [partition, replicas] of a.partitions) out.push({ topic, partition, replicas });
  }
  return out.sort(compareTopicPartitions);
}

async function zkGenerate(zk: KafkaZkClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const { brokers, topics } = parseGenerateArgs(
    readFile(o.topicsToMoveJsonFile as string),
    o.brokerList as string,
  );
  const current = await zkAssignment(zk, topics);
  const registered = (await zk.getAllBrokers()).map((b) => ({ id: b.id, rack: b.rack }));
  planAndPrint(current, generateBrokerMetadata(registered, brokers, !o.disableRackAware), o, io);
}

interface ZkReassignmentZNode {
  version: number;
  partitions: Array<{ topic: string; partition: number; replicas: number[] }>;
}

async function zkExecute(zk: KafkaZkClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const println = (s = '') => io.write(`${s}\n`);
  const parsed = parseReassignmentJson(readFile(o.reassignmentJsonFile as string));
  validateExecuteAssignment(parsed);
  if (parsed.logDirs.size > 0)
    throw new ReassignCommandError(
      'bootstrap-server needs to be provided when replica reassignments are present.',
    );
  // verifyReplicasAndBrokersInAssignment: every partition exists (an unknown topic has none),
  // then every broker is registered; Scala's collection texts (insertion order).
  const all = await zkAssignment(zk, [...new Set(parsed.partitions.map((p) => p.topic))], false);
  const have = new Set(all.map(tpKey));
  const missing = parsed.partitions.filter((p) => !have.has(tpKey(p)));
  if (missing.length > 0)
    throw new ReassignCommandError(
      `The proposed assignment contains non-existent partitions: List(${missing.map(tpString).join(', ')})`,
    );
  const registered = new Set(await zk.getBrokerIds());
  const unknownBrokers = [...new Set(parsed.partitions.flatMap((p) => p.replicas))].filter(
    (b) => !registered.has(b),
  );
  if (unknownBrokers.length > 0)
    throw new ReassignCommandError(
      `The proposed assignment contains non-existent brokerIDs: ${unknownBrokers.join(',')}`,
    );
  if ((await zk.zk.exists(ZkPaths.reassignPartitions)) !== null)
    throw new ReassignCommandError(CANNOT_EXECUTE_BECAUSE_OF_EXISTING, true);
  const wanted = new Set(parsed.partitions.map(tpKey));
  const current = all.filter((p) => wanted.has(tpKey(p)));
  println(
    `Current partition replica assignment\n\n${formatReassignmentJson(current)}\n\nSave this to use as the --reassignment-json-file option during rollback`,
  );
  const throttle = long(o.throttle, -1);
  if (throttle >= 0) {
    println(YOU_MUST_RUN_VERIFY);
    const moves = calculateProposedMoveMap(
      [],
      parsed.partitions,
      new Map(current.map((p) => [currentKey(p), p.replicas])),
    );
    const leader = leaderThrottles(moves);
    const follower = followerThrottles(moves);
    for (const t of new Set([...leader.keys(), ...follower.keys()])) {
      const cfg = await zk.getEntityConfig('topics', t);
      if (leader.has(t)) cfg[LEADER_THROTTLED_REPLICAS] = leader.get(t)!;
      if (follower.has(t)) cfg[FOLLOWER_THROTTLED_REPLICAS] = follower.get(t)!;
      await zk.setEntityConfig('topics', t, cfg, true);
    }
    for (const b of reassigningBrokers(moves)) {
      const cfg = await zk.getEntityConfig('brokers', String(b));
      cfg[LEADER_THROTTLED_RATE] = String(throttle);
      cfg[FOLLOWER_THROTTLED_RATE] = String(throttle);
      await zk.setEntityConfig('brokers', String(b), cfg, true);
    }
    println(`The inter-broker throttle limit was set to ${throttle} B/s`);
  }
  const znode: ZkReassignmentZNode = {
    version: 1,
    partitions: parsed.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      replicas: p.replicas,
    })),
  };
  try {
    await zk.zk.create(ZkPaths.reassignPartitions, Buffer.from(JSON.stringify(znode)), CreateMode.PERSISTENT);
  } catch (e) {
    if (e instanceof ZkError && e.isNodeExists)
      throw new ReassignCommandError(CANNOT_EXECUTE_BECAUSE_OF_EXISTING, true);
    throw e;
  }
  const names = [...parsed.partitions].sort(compareTopicPartitions).map(tpString);
  println(
    `Successfully started partition reassignment${names.length === 1 ? '' : 's'} for ${names.join(',')}`,
  );
}

/** Partitions being reassigned according to ZooKeeper: the legacy znode's and every topic's adding/removing. */
async function zkOngoing(zk: KafkaZkClient): Promise<Set<string>> {
  const out = new Set<string>();
  const r = await zk.zk.getData(ZkPaths.reassignPartitions);
  if (r) {
    try {
      const o = JSON.parse(r.data.toString('utf8')) as Partial<ZkReassignmentZNode>;
      for (const p of o.partitions ?? []) out.add(tpKey(p));
    } catch {
      // Invalid JSON: the controller treats it as empty as well.
    }
  }
  for (const topic of await zk.getAllTopics()) {
    const a = await zk.getTopicAssignment(topic);
    if (!a) continue;
    for (const p of a.partitions.keys())
      if ((a.addingReplicas.get(p)?.length ?? 0) > 0 || (a.removingReplicas.get(p)?.length ?? 0) > 0)
        out.add(tpKey({ topic, partition: p }));
  }
  return out;
}

async function zkVerify(zk: KafkaZkClient, o: ReassignOptions, io: ReassignIO): Promise<void> {
  const parsed = parseReassignmentJson(readFile(o.reassignmentJsonFile as string));
  if (parsed.logDirs.size > 0)
    throw new ReassignCommandError(
      'bootstrap-server needs to be provided when replica reassignments are present.',
    );
  io.write(
    'Warning: because you are using the deprecated --zookeeper option, the results may be incomplete.  Use --bootstrap-server instead for more accurate results.\n',
  );
  const ongoing = await zkOngoing(zk);
  const states = [];
  for (const p of new Map(parsed.partitions.map((x) => [tpKey(x), x])).values()) {
    const a = await zk.getTopicAssignment(p.topic);
    states.push({
      ...p,
      current: a?.partitions.get(p.partition) ?? [],
      target: p.replicas,
      done: !ongoing.has(tpKey(p)),
    });
  }
  io.write(`${verifyLines(states).join('\n')}\n`);
  if (ongoing.size > 0 || o.preserveThrottles) return;
  const brokers = [
    ...new Set([...(await zk.getBrokerIds()), ...parsed.partitions.flatMap((p) => p.replicas)]),
  ].sort((a, b) => a - b);
  io.write(
    `Clearing broker-level throttles on broker${brokers.length === 1 ? '' : 's'} ${brokers.join(',')}\n`,
  );
  for (const b of brokers) {
    const cfg = await zk.getEntityConfig('brokers', String(b));
    const had = [LEADER_THROTTLED_RATE, FOLLOWER_THROTTLED_RATE, ALTER_LOG_DIRS_RATE].filter((k) => k in cfg);
    if (had.length === 0) continue;
    for (const k of had) delete cfg[k];
    await zk.setEntityConfig('brokers', String(b), cfg, true);
  }
  const topics = [...new Set(parsed.partitions.map((p) => p.topic))].sort();
  io.write(`Clearing topic-level throttles on topic${topics.length === 1 ? '' : 's'} ${topics.join(',')}\n`);
  for (const t of topics) {
    const cfg = await zk.getEntityConfig('topics', t);
    const had = [LEADER_THROTTLED_REPLICAS, FOLLOWER_THROTTLED_REPLICAS].filter((k) => k in cfg);
    if (had.length === 0) continue;
    for (const k of had) delete cfg[k];
    await zk.setEntityConfig('topics', t, cfg, true);
  }
}
