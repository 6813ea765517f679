// kafka-reassign-partitions' data handling, independent of the network (so it is unit-tested):
// the reassignment and topics-to-move JSON formats with Kafka's validation and messages, the
// --generate placement (Kafka's AdminUtils per topic), the throttle lists --execute sets, the
// --minimize-movement planner (Samsa's own) and the progress figures --verify/--list/--wait show.
// Facts: ../shared/reference/reassignment.md §4–§6.

import { assignReplicasToBrokers, BrokerMetadata } from './replica-assignment';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionAssignment extends TopicPartition {
  replicas: number[];
}

/** A failure the tool reports as Kafka does: TerseException → the message alone, else `Error: <message>`. */
export class ReassignCommandError extends Error {
  constructor(
    message: string,
    readonly terse = false,
  ) {
    super(message);
  }
}

export const tpString = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;
const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

/** Java's List/Set toString: `[1, 2]`. */
const javaSet = (items: Iterable<unknown>): string => `[${[...items].join(', ')}]`;

// ---- java.util.HashSet iteration order (the tool prints several sets as Java iterates them) ------

/** String.hashCode. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Integer.hashCode / String.hashCode. */
export const javaHash = (x: string | number): number => (typeof x === 'number' ? x | 0 : javaStringHash(x));

/** TopicPartition.hashCode: 31 * (31 + partition) + topic.hashCode(). */
export const topicPartitionHash = (tp: TopicPartition): number =>
  (Math.imul(31, 31 + tp.partition) + javaStringHash(tp.topic)) | 0;

/**
 * The elements of a java.util.HashSet built by adding `items` in order (duplicates by `key`
 * collapse onto the first), in its iteration order: by bucket of the spread hash in a table of
 * 16 doubled while more than 3/4 full, then insertion order within a bucket (short chains).
 */
export function javaHashOrder<T>(
  items: readonly T[],
  hash: (t: T) => number,
  key: (t: T) => string = (t) => String(t),
): T[] {
  const seen = new Set<string>();
  const unique: T[] = [];
  for (const x of items) {
    const k = key(x);
    if (!seen.has(k)) {
      seen.add(k);
      unique.push(x);
    }
  }
  let n = 16;
  while (unique.length > n * 0.75) n *= 2;
  const bucket = (x: T) => {
    const h = hash(x);
    return (h ^ (h >>> 16)) & (n - 1);
  };
  return unique
    .map((x, i) => ({ x, i, b: bucket(x) }))
    .sort((a, b) => a.b - b.b || a.i - b.i)
    .map((e) => e.x);
}

/** Elements of a java.util.HashSet of Integers or Strings built by adding `items` in order. */
export function javaHashSetOrder<T extends string | number>(items: readonly T[]): T[] {
  return javaHashOrder(items, javaHash);
}

function duplicates<T>(list: readonly T[], key: (t: T) => string = String): T[] {
  const seen = new Set<string>();
  const dups = new Map<string, T>();
  for (const x of list) {
    const k = key(x);
    if (seen.has(k)) dups.set(k, x);
    seen.add(k);
  }
  return [...dups.values()];
}

// ---- JSON ---------------------------------------------------------------------------------------

function describeJson(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ReassignCommandError(`com.fasterxml.jackson.core.JsonParseException: ${(e as Error).message}`);
  }
}

function asObject(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ReassignCommandError(`Expected JSON object, received ${describeJson(v)}`);
  return v as Record<string, unknown>;
}

function field(o: Record<string, unknown>, name: string): unknown {
  if (!(name in o)) throw new ReassignCommandError(`No such field exists: \`${name}\``);
  return o[name];
}

function asInt(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
    throw new ReassignCommandError(`Expected \`Int\` value, received ${describeJson(v)}`);
  return v;
}

function asString(v: unknown): string {
  if (typeof v !== 'string')
    throw new ReassignCommandError(`Expected \`String\` value, received ${describeJson(v)}`);
  return v;
}

function asArray(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ReassignCommandError(`Expected JSON array, received ${describeJson(v)}`);
  return v;
}

function version(o: Record<string, unknown>): number {
  return o.version === undefined ? 1 : asInt(o.version);
}

export interface ParsedReassignment {
  /** In file order, duplicates kept (validated by --execute). */
  partitions: PartitionAssignment[];
  /** Explicit log dirs (not "any"): `topic\0partition\0broker` → absolute dir. */
  logDirs: Map<string, { topic: string; partition: number; broker: number; dir: string }>;
}

/** parsePartitionReassignmentData: `{"version":1,"partitions":[{"topic","partition","replicas","log_dirs"?}]}` */
export function parseReassignmentJson(text: string): ParsedReassignment {
  const js = asObject(parseJson(text));
  const v = version(js);
  if (v !== 1) throw new ReassignCommandError(`Not supported version field value ${v}`);
  const partitions: PartitionAssignment[] = [];
  const logDirs: ParsedReassignment['logDirs'] = new Map();
  if (js.partitions !== undefined) {
    for (const item of asArray(js.partitions)) {
      const p = asObject(item);
      const topic = asString(field(p, 'topic'));
      const partition = asInt(field(p, 'partition'));
      const replicas = asArray(field(p, 'replicas')).map(asInt);
      const dirs = p.log_dirs !== undefined ? asArray(p.log_dirs).map(asString) : replicas.map(() => 'any');
      if (dirs.length !== replicas.length)
        throw new ReassignCommandError(
          `Size of replicas list ${javaSet(replicas)} is different from size of log dirs list ${javaSet(dirs)} for partition ${topic}-${partition}`,
        );
      partitions.push({ topic, partition, replicas });
      dirs.forEach((dir, i) => {
        if (dir !== 'any')
          logDirs.set(`${topic}\u0000${partition}\u0000${replicas[i]}`, {
            topic,
            partition,
            broker: replicas[i],
            dir,
          });
      });
    }
  }
  return { partitions, logDirs };
}

/** parseExecuteAssignmentArgs: Kafka's --execute checks on the parsed JSON. */
export function validateExecuteAssignment(parsed: ParsedReassignment): void {
  const parts = parsed.partitions;
  if (parts.length === 0) throw new ReassignCommandError('Partition reassignment list cannot be empty');
  if (parts.some((p) => p.replicas.length === 0))
    throw new ReassignCommandError('Partition replica list cannot be empty');
  const dupParts = javaHashOrder(duplicates(parts, tpKey), topicPartitionHash, tpKey);
  if (dupParts.length > 0)
    throw new ReassignCommandError(
      `Partition reassignment contains duplicate topic partitions: ${dupParts.map(tpString).join(',')}`,
    );
  const dupReplicas = parts
    .map((p) => ({ p, dups: javaHashSetOrder(duplicates(p.replicas)) }))
    .filter((x) => x.dups.length > 0)
    .map((x) => `${tpString(x.p)} contains multiple entries for ${x.dups.join(',')}`);
  if (dupReplicas.length > 0)
    throw new ReassignCommandError(
      `Partition replica lists may not contain duplicate entries: ${dupReplicas.join('. ')}`,
    );
}

/** parseTopicsData: `{"topics":[{"topic":"foo"}],"version":1}` → topic names. */
export function parseTopicsToMoveJson(text: string): string[] {
  let js: unknown;
  try {
    js = JSON.parse(text);
  } catch {
    throw new ReassignCommandError('The input string is not a valid JSON');
  }
  const o = asObject(js);
  const v = version(o);
  if (v !== 1) throw new ReassignCommandError(`Not supported version field value ${v}`);
  if (o.topics === undefined) return [];
  return asArray(o.topics).map((t) => asString(field(asObject(t), 'topic')));
}

/** parseGenerateAssignmentArgs: the broker list and topics, without duplicates. */
export function parseGenerateArgs(
  topicsJson: string,
  brokerList: string,
): { brokers: number[]; topics: string[] } {
  const brokers = brokerList.split(',').map((s) => {
    if (!/^[+-]?\d+$/.test(s) || Number(s) < -(2 ** 31) || Number(s) >= 2 ** 31)
      throw new ReassignCommandError(`For input string: "${s}"`);
    return Number(s);
  });
  const dupBrokers = javaHashSetOrder(duplicates(brokers));
  if (dupBrokers.length > 0)
    throw new ReassignCommandError(`Broker list contains duplicate entries: ${javaSet(dupBrokers)}`);
  const topics = parseTopicsToMoveJson(topicsJson);
  const dupTopics = javaHashSetOrder(duplicates(topics));
  if (dupTopics.length > 0)
    throw new ReassignCommandError(
      `List of topics to reassign contains duplicate entries: ${javaSet(dupTopics)}`,
    );
  return { brokers, topics };
}

/** formatAsReassignmentJson: compact, sorted by topic then partition, log_dirs always present. */
export function formatReassignmentJson(
  parts: readonly PartitionAssignment[],
  logDirs: ParsedReassignment['logDirs'] = new Map(),
): string {
  const sorted = [...parts].sort(compareTopicPartitions);
  return JSON.stringify({
    version: 1,
    partitions: sorted.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      replicas: p.replicas,
      log_dirs: p.replicas.map((r) => logDirs.get(`${p.topic}\u0000${p.partition}\u0000${r}`)?.dir ?? 'any'),
    })),
  });
}

// ---- --generate -----------------------------------------------------------------------------------

/**
 * getBrokerMetadata: the listed brokers that exist, in the cluster's order, with racks unless
 * rack awareness is off; some with and some without racks → Kafka's error.
 */
export function generateBrokerMetadata(
  cluster: ReadonlyArray<{ id: number; rack: string | null }>,
  brokerIds: readonly number[],
  rackAware: boolean,
): BrokerMetadata[] {
  const wanted = new Set(brokerIds);
  const out = cluster
    .filter((b) => wanted.has(b.id))
    .map((b) => ({ id: b.id, rack: rackAware ? b.rack : null }));
  const rackless = out.filter((b) => b.rack === null).length;
  if (rackAware && rackless !== 0 && rackless !== out.length)
    throw new ReassignCommandError(
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    );
  return out;
}

/**
 * calculateAssignment: per topic, Kafka's assignReplicasToBrokers over the given brokers with
 * the topic's partition count and the replica count of its first partition (random start and
 * shift, drawn from `random`).
 */
export function generateAssignment(
  current: readonly PartitionAssignment[],
  brokers: readonly BrokerMetadata[],
  random?: (n: number) => number,
): PartitionAssignment[] {
  const byTopic = groupByTopic(current);
  const out: PartitionAssignment[] = [];
  for (const [topic, parts] of byTopic) {
    const rf = parts[0].replicas.length;
    const a = assignReplicasToBrokers([...brokers], parts.length, rf, { random });
    for (const [partition, replicas] of a) out.push({ topic, partition, replicas });
  }
  return out.sort(compareTopicPartitions);
}

function groupByTopic(parts: readonly PartitionAssignment[]): Map<string, PartitionAssignment[]> {
  const m = new Map<string, PartitionAssignment[]>();
  for (const p of [...parts].sort(compareTopicPartitions)) {
    const l = m.get(p.topic) ?? [];
    l.push(p);
    m.set(p.topic, l);
  }
  return m;
}

/** Replicas a plan adds to partitions (each needs a full copy of the partition's data). */
export function countMoves(
  current: readonly PartitionAssignment[],
  proposed: readonly PartitionAssignment[],
): number {
  const cur = new Map(current.map((p) => [tpKey(p), new Set(p.replicas)]));
  let moves = 0;
  for (const p of proposed) {
    const old = cur.get(tpKey(p)) ?? new Set<number>();
    moves += p.replicas.filter((r) => !old.has(r)).length;
  }
  return moves;
}

// ---- --minimize-movement ------------------------------------------------------------------------

/**
 * A plan that balances each topic's replicas (floor/ceil of its replica count per broker) and its
 * preferred leaders over the given brokers while keeping as many current replicas in place as
 * possible. Per topic this is a min-cost flow: every partition sends its replica count through
 * edges to the brokers (one unit per broker), keeping a current replica earns a reward, and each
 * broker absorbs its floor share at a large reward, one more unit freely and anything beyond at a
 * large cost — so balance comes first, then the fewest moves, then (for the +1 shares) the brokers
 * with the least load so far. With racks on every broker (and at least as many racks as replicas)
 * a partition takes at most one replica per rack, even where that costs balance (as Kafka's
 * rack-aware placement).
 * Preferred leaders are then balanced by reordering replicas (no data moves), current ones first.
 */
export function minimizeMovement(
  current: readonly PartitionAssignment[],
  brokers: readonly BrokerMetadata[],
): PartitionAssignment[] {
  const ids = brokers.map((b) => b.id).sort((a, b) => a - b);
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
  const rackAware = brokers.length > 0 && brokers.every((b) => b.rack !== null);
  const racks = [...new Set(brokers.map((b) => b.rack as string))].sort();
  const load = new Map(ids.map((id) => [id, 0]));
  const leaderLoad = new Map(ids.map((id) => [id, 0]));
  const out: PartitionAssignment[] = [];

  for (const [topic, parts] of groupByTopic(current)) {
    for (const p of parts)
      if (p.replicas.length > ids.length)
        throw new ReassignCommandError(
          `Replication factor: ${p.replicas.length} larger than available brokers: ${ids.length}.`,
        );
    const useRacks = rackAware && parts.every((p) => p.replicas.length <= racks.length);
    const chosen =
      placeReplicas(parts, ids, load, useRacks ? rackOf : null) ?? placeReplicas(parts, ids, load, null);
    if (!chosen) throw new ReassignCommandError(`Unable to place the replicas of topic ${topic}`);

    // Preferred leaders: balance by reordering, keeping current leaders where possible.
    const n = ids.length;
    const lBase = Math.floor(parts.length / n);
    const lExtra = parts.length % n;
    const lPref = [...ids].sort((a, b) => leaderLoad.get(a)! - leaderLoad.get(b)! || a - b);
    const lQuota = new Map(ids.map((id) => [id, lBase]));
    for (const id of lPref.slice(0, lExtra)) lQuota.set(id, lBase + 1);
    const leaders =
      matchLeaders(chosen, parts, lQuota) ??
      matchLeaders(chosen, parts, new Map(ids.map((id) => [id, lBase + (lExtra > 0 ? 1 : 0)])));
    parts.forEach((p, i) => {
      const leader = leaders?.[i] ?? chosen[i][0];
      const r = [leader, ...chosen[i].filter((b) => b !== leader)];
      out.push({ topic, partition: p.partition, replicas: r });
      leaderLoad.set(leader, leaderLoad.get(leader)! + 1);
      for (const b of r) load.set(b, load.get(b)! + 1);
    });
  }
  return out.sort(compareTopicPartitions);
}

/** One topic's replica sets (current replicas first, in their order), or null when infeasible. */
function placeReplicas(
  parts: readonly PartitionAssignment[],
  ids: readonly number[],
  load: ReadonlyMap<number, number>,
  rackOf: ReadonlyMap<number, string | null> | null,
): number[][] | null {
  const n = ids.length;
  const total = parts.reduce((s, p) => s + p.replicas.length, 0);
  const base = Math.floor(total / n);
  const extra = total % n;
  const KEEP = n * n + 1;
  const BIG = KEEP * (total + 1);
  const racks = rackOf ? [...new Set(ids.map((b) => rackOf.get(b) as string))].sort() : [];
  const P = parts.length;
  const rackNode = (i: number, r: number) => P + i * racks.length + r;
  const brokerNode = (j: number) => P + P * racks.length + j;
  const S = P + P * racks.length + n;
  const T = S + 1;
  const g = new MinCostFlow(T + 1);
  parts.forEach((p, i) => g.addEdge(S, i, p.replicas.length, 0));
  const edges: Array<{ i: number; b: number; e: number }> = [];
  parts.forEach((p, i) => {
    if (rackOf) racks.forEach((_, r) => g.addEdge(i, rackNode(i, r), 1, 0));
    ids.forEach((b, j) => {
      const from = rackOf ? rackNode(i, racks.indexOf(rackOf.get(b) as string)) : i;
      edges.push({ i, b, e: g.addEdge(from, brokerNode(j), 1, p.replicas.includes(b) ? -KEEP : 0) });
    });
  });
  const byLoad = [...ids].sort((a, b) => load.get(a)! - load.get(b)! || a - b);
  ids.forEach((b, j) => {
    if (base > 0) g.addEdge(brokerNode(j), T, base, -BIG);
    if (extra > 0) g.addEdge(brokerNode(j), T, 1, byLoad.indexOf(b));
    // Beyond its share only when racks leave no other way (rack spread wins over balance).
    g.addEdge(brokerNode(j), T, total, BIG);
  });
  if (g.run(S, T, total) < total) return null;
  return parts.map((p, i) => {
    const got = edges.filter((x) => x.i === i && g.flow(x.e) > 0).map((x) => x.b);
    return [...p.replicas.filter((b) => got.includes(b)), ...got.filter((b) => !p.replicas.includes(b))];
  });
}

/** Min-cost flow by successive shortest paths (Bellman–Ford queue: costs may be negative). */
class MinCostFlow {
  private readonly adj: number[][];
  private readonly to: number[] = [];
  private readonly cap: number[] = [];
  private readonly cost: number[] = [];

  constructor(nodes: number) {
    this.adj = Array.from({ length: nodes }, () => []);
  }

  addEdge(u: number, v: number, cap: number, cost: number): number {
    const id = this.to.length;
    this.to.push(v, u);
    this.cap.push(cap, 0);
    this.cost.push(cost, -cost);
    this.adj[u].push(id);
    this.adj[v].push(id + 1);
    return id;
  }

  flow(edge: number): number {
    return this.cap[edge + 1];
  }

  /** Sends up to `limit` units from s to t at minimum cost; returns the units sent. */
  run(s: number, t: number, limit: number): number {
    const N = this.adj.length;
    let sent = 0;
    while (sent < limit) {
      const dist = new Array<number>(N).fill(Infinity);
      const via = new Array<number>(N).fill(-1);
      const inQueue = new Uint8Array(N);
      dist[s] = 0;
      const queue = [s];
      inQueue[s] = 1;
      for (let qi = 0; qi < queue.length; qi++) {
        const u = queue[qi];
        inQueue[u] = 0;
        for (const e of this.adj[u]) {
          if (this.cap[e] <= 0) continue;
          const v = this.to[e];
          const d = dist[u] + this.cost[e];
          if (d < dist[v]) {
            dist[v] = d;
            via[v] = e;
            if (!inQueue[v]) {
              inQueue[v] = 1;
              queue.push(v);
            }
          }
        }
      }
      if (dist[t] === Infinity) break;
      let push = limit - sent;
      for (let v = t; v !== s; v = this.to[via[v] ^ 1]) push = Math.min(push, this.cap[via[v]]);
      for (let v = t; v !== s; v = this.to[via[v] ^ 1]) {
        this.cap[via[v]] -= push;
        this.cap[via[v] ^ 1] += push;
      }
      sent += push;
    }
    return sent;
  }
}

/** A tiny max-flow network (Ford–Fulkerson, DFS augmenting paths in edge insertion order). */
class FlowNetwork {
  private readonly adj: number[][];
  private readonly to: number[] = [];
  private readonly cap: number[] = [];

  constructor(nodes: number) {
    this.adj = Array.from({ length: nodes }, () => []);
  }

  /** Adds u→v with capacity c; returns the edge id (its flow is read with flow()). */
  addEdge(u: number, v: number, c: number): number {
    const id = this.to.length;
    this.to.push(v, u);
    this.cap.push(c, 0);
    this.adj[u].push(id);
    this.adj[v].push(id + 1);
    return id;
  }

  flow(edge: number): number {
    return this.cap[edge + 1];
  }

  maxFlow(s: number, t: number): number {
    let total = 0;
    for (;;) {
      const seen = new Uint8Array(this.adj.length);
      const push = (u: number): boolean => {
        if (u === t) return true;
        seen[u] = 1;
        for (const e of this.adj[u]) {
          const v = this.to[e];
          if (this.cap[e] > 0 && !seen[v] && push(v)) {
            this.cap[e]--;
            this.cap[e ^ 1]++;
            return true;
          }
        }
        return false;
      };
      if (!push(s)) return total;
      total++;
    }
  }
}

/** One preferred leader per partition among its replicas, at most quota[b] per broker; current first. */
function matchLeaders(
  replicas: readonly number[][],
  parts: readonly PartitionAssignment[],
  quota: ReadonlyMap<number, number>,
): number[] | null {
  const ids = [...quota.keys()];
  const P = replicas.length;
  const S = P + ids.length;
  const T = S + 1;
  const g = new FlowNetwork(T + 1);
  for (let i = 0; i < P; i++) g.addEdge(S, i, 1);
  const edges: Array<{ i: number; b: number; e: number }> = [];
  replicas.forEach((r, i) => {
    const cur = parts[i].replicas[0];
    const ordered = [...r].sort((a, b) => Number(b === cur) - Number(a === cur));
    for (const b of ordered) edges.push({ i, b, e: g.addEdge(i, P + ids.indexOf(b), 1) });
  });
  ids.forEach((b, j) => g.addEdge(P + j, T, quota.get(b) ?? 0));
  if (g.maxFlow(S, T) < P) return null;
  const out = replicas.map(() => -1);
  for (const x of edges) if (g.flow(x.e) > 0) out[x.i] = x.b;
  return out;
}

// ---- throttles ------------------------------------------------------------------------------------

export interface PartitionMove {
  sources: Set<number>;
  destinations: Set<number>;
}

export interface OngoingReassignment extends TopicPartition {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/**
 * calculateProposedMoveMap: every current reassignment (sources = replicas − adding,
 * destinations = adding) plus the proposed ones (sources from an in-flight move or the current
 * replicas; destinations = proposed − sources). topic → partition → move.
 */
export function calculateProposedMoveMap(
  ongoing: readonly OngoingReassignment[],
  proposed: readonly PartitionAssignment[],
  current: ReadonlyMap<string, number[]>,
): Map<string, Map<number, PartitionMove>> {
  const moves = new Map<string, Map<number, PartitionMove>>();
  const topicMoves = (t: string) => {
    let m = moves.get(t);
    if (!m) moves.set(t, (m = new Map()));
    return m;
  };
  for (const r of ongoing) {
    const sources = new Set(r.replicas.filter((b) => !r.addingReplicas.includes(b)));
    topicMoves(r.topic).set(r.partition, { sources, destinations: new Set(r.addingReplicas) });
  }
  for (const p of proposed) {
    const m = topicMoves(p.topic);
    const inFlight = m.get(p.partition);
    let sources: Set<number>;
    if (inFlight) sources = new Set(inFlight.sources);
    else {
      const cur = current.get(tpKey(p));
      if (!cur)
        throw new ReassignCommandError(`Trying to reassign a topic partition ${tpString(p)} with 0 replicas`);
      sources = new Set(cur);
    }
    const destinations = new Set(p.replicas.filter((b) => !sources.has(b)));
    m.set(p.partition, { sources, destinations });
  }
  return moves;
}

/** Map key for calculateProposedMoveMap's `current` argument. */
export const currentKey = tpKey;

const sortedJoin = (items: Set<string>) => [...items].sort().join(',');

/** leader.replication.throttled.replicas per topic: `p:source` for every source, sorted as strings. */
export function leaderThrottles(
  moves: ReadonlyMap<string, ReadonlyMap<number, PartitionMove>>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [topic, m] of moves) {
    const items = new Set<string>();
    for (const [p, mv] of m) for (const s of mv.sources) items.add(`${p}:${s}`);
    out.set(topic, sortedJoin(items));
  }
  return out;
}

/** follower.replication.throttled.replicas per topic: `p:dest` for destinations not among the sources. */
export function followerThrottles(
  moves: ReadonlyMap<string, ReadonlyMap<number, PartitionMove>>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [topic, m] of moves) {
    const items = new Set<string>();
    for (const [p, mv] of m) for (const d of mv.destinations) if (!mv.sources.has(d)) items.add(`${p}:${d}`);
    out.set(topic, sortedJoin(items));
  }
  return out;
}

/** Every broker that sends or receives data in the moves. */
export function reassigningBrokers(moves: ReadonlyMap<string, ReadonlyMap<number, PartitionMove>>): number[] {
  const s = new Set<number>();
  for (const m of moves.values())
    for (const mv of m.values()) {
      for (const b of mv.sources) s.add(b);
      for (const b of mv.destinations) s.add(b);
    }
  return [...s].sort((a, b) => a - b);
}

// ---- text ------------------------------------------------------------------------------------------

/** --verify's partition lines (partitionReassignmentStatesToString). */
export function verifyLines(
  states: ReadonlyArray<TopicPartition & { current: number[]; target: number[]; done: boolean }>,
): string[] {
  const out = ['Status of partition reassignment:'];
  for (const s of [...states].sort(compareTopicPartitions)) {
    if (!s.done) out.push(`Reassignment of partition ${tpString(s)} is still in progress.`);
    else if (s.current.join(',') === s.target.join(','))
      out.push(`Reassignment of partition ${tpString(s)} is completed.`);
    else
      out.push(
        `There is no active reassignment of partition ${tpString(s)}, but replica set is ${s.current.join(',')} rather than ${s.target.join(',')}.`,
      );
  }
  return out;
}

/** --list (curReassignmentsToString). */
export function listText(ongoing: readonly OngoingReassignment[]): string {
  if (ongoing.length === 0) return 'No partition reassignments found.';
  const lines = [...ongoing].sort(compareTopicPartitions).map((r) => {
    let s = `${tpString(r)}: replicas: ${r.replicas.join(',')}.`;
    if (r.addingReplicas.length > 0) s += ` adding: ${r.addingReplicas.join(',')}.`;
    if (r.removingReplicas.length > 0) s += ` removing: ${r.removingReplicas.join(',')}.`;
    return s;
  });
  return `Current partition reassignments:\n${lines.join('\n')}`;
}

// ---- progress -----------------------------------------------------------------------------------

export interface ReplicaProgress {
  broker: number;
  /** The leader's partition size (bytes): what the new replica must hold when caught up. */
  target: number;
  /** Bytes the adding replica holds now (0 before its log exists). */
  copied: number;
  remaining: number;
  /** Bytes/s between two samples, null without a previous sample. */
  rate: number | null;
  /** Seconds to go at that rate, null when unknown (no rate, or not advancing). */
  etaSeconds: number | null;
}

/** One adding replica's progress from DescribeLogDirs sizes (and an earlier sample of its size). */
export function replicaProgress(
  broker: number,
  leaderSize: number,
  size: number,
  previous?: { size: number; atMs: number },
  nowMs = Date.now(),
): ReplicaProgress {
  const copied = Math.min(size, leaderSize);
  const remaining = Math.max(0, leaderSize - size);
  let rate: number | null = null;
  if (previous && nowMs > previous.atMs)
    rate = Math.max(0, ((size - previous.size) * 1000) / (nowMs - previous.atMs));
  const etaSeconds = remaining === 0 ? 0 : rate && rate > 0 ? remaining / rate : null;
  return { broker, target: leaderSize, copied, remaining, rate, etaSeconds };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `foo-0: replica 4: 12.0 MiB of 48.0 MiB (25.0%), 36.0 MiB remaining, 3.1 MiB/s, ETA 12s` */
export function progressLine(tp: TopicPartition, replicas: readonly ReplicaProgress[]): string {
  if (replicas.length === 0) return `${tpString(tp)}: no replicas being added (removing only)`;
  const parts = replicas.map((r) => {
    const pct = r.target > 0 ? (100 * r.copied) / r.target : 100;
    let s = `replica ${r.broker}: ${formatBytes(r.copied)} of ${formatBytes(r.target)} (${pct.toFixed(1)}%), ${formatBytes(r.remaining)} remaining`;
    if (r.rate !== null) s += `, ${formatBytes(r.rate)}/s`;
    s += r.etaSeconds === null ? ', ETA unknown' : `, ETA ${formatDuration(r.etaSeconds)}`;
    return s;
  });
  return `${tpString(tp)}: ${parts.join('; ')}`;
}

/** The one-line summary `--execute --wait` keeps updating. */
export function summaryLine(
  done: number,
  total: number,
  replicas: readonly ReplicaProgress[],
  elapsedMs: number,
): string {
  const target = replicas.reduce((s, r) => s + r.target, 0);
  const copied = replicas.reduce((s, r) => s + r.copied, 0);
  const remaining = replicas.reduce((s, r) => s + r.remaining, 0);
  const rates = replicas.filter((r) => r.rate !== null);
  const rate = rates.length > 0 ? rates.reduce((s, r) => s + (r.rate ?? 0), 0) : null;
  const pct = target > 0 ? (100 * copied) / target : 100;
  let s = `Progress: ${done}/${total} partitions done, ${formatBytes(copied)} of ${formatBytes(target)} copied (${pct.toFixed(1)}%)`;
  if (rate !== null) s += `, ${formatBytes(rate)}/s`;
  if (remaining === 0) s += ', finishing';
  else if (rate && rate > 0) s += `, ETA ${formatDuration(remaining / rate)}`;
  s += `, elapsed ${formatDuration(elapsedMs / 1000)}`;
  return s;
}
