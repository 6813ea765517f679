// Kafka's replica placement (AdminUtils.assignReplicasToBrokers): leaders spread round-robin
// from a start index, followers shifted so that partition p's followers differ from p+n's,
// and a rack-aware variant alternating racks. Facts: ../shared/reference/reassignment.md §6.

export class AdminOperationError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const INVALID_PARTITIONS = 37;
const INVALID_REPLICATION_FACTOR = 38;
const INVALID_REPLICA_ASSIGNMENT = 39;

export interface BrokerMetadata {
  id: number;
  rack: string | null;
}

export interface AssignmentOptions {
  /** -1 = random, as Kafka picks for CreateTopics */
  fixedStartIndex?: number;
  /** -1 = 0 */
  startPartitionId?: number;
  random?: (n: number) => number;
}

const defaultRandom = (n: number) => Math.floor(Math.random() * n);

function replicaIndex(first: number, shift: number, j: number, n: number): number {
  const s = 1 + ((shift + j) % (n - 1));
  return (first + s) % n;
}

/** Returns partition id -> replica list for `nPartitions` new partitions. */
export function assignReplicasToBrokers(
  brokers: BrokerMetadata[],
  nPartitions: number,
  replicationFactor: number,
  opts: AssignmentOptions = {},
): Map<number, number[]> {
  if (nPartitions <= 0)
    throw new AdminOperationError(INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0)
    throw new AdminOperationError(INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length)
    throw new AdminOperationError(
      INVALID_REPLICATION_FACTOR,
      `Replication factor: ${replicationFactor} larger than available brokers: ${brokers.length}.`,
    );
  const withRack = brokers.filter((b) => b.rack !== null);
  if (withRack.length === 0)
    return assignRackUnaware(
      brokers.map((b) => b.id),
      nPartitions,
      replicationFactor,
      opts,
    );
  if (withRack.length < brokers.length)
    throw new AdminOperationError(
      INVALID_REPLICA_ASSIGNMENT,
      'Not all brokers have rack information for replica rack aware assignment.',
    );
  return assignRackAware(brokers, nPartitions, replicationFactor, opts);
}

function startAndShift(n: number, opts: AssignmentOptions): { start: number; shift: number; pid: number } {
  const rnd = opts.random ?? defaultRandom;
  const fixed = opts.fixedStartIndex ?? -1;
  const start = fixed >= 0 ? fixed : rnd(n);
  const shift = fixed >= 0 ? fixed : rnd(n);
  return { start, shift, pid: Math.max(0, opts.startPartitionId ?? -1) };
}

function assignRackUnaware(
  ids: number[],
  nPartitions: number,
  rf: number,
  opts: AssignmentOptions,
): Map<number, number[]> {
  const n = ids.length;
  const out = new Map<number, number[]>();
  const s = startAndShift(n, opts);
  let shift = s.shift;
  let pid = s.pid;
  for (let i = 0; i < nPartitions; i++, pid++) {
    if (pid > 0 && pid % n === 0) shift++;
    const first = (pid + s.start) % n;
    const replicas = [ids[first]];
    for (let j = 0; j < rf - 1; j++) replicas.push(ids[replicaIndex(first, shift, j, n)]);
    out.set(pid, replicas);
  }
  return out;
}

/** One broker per rack in turn (racks sorted, ids sorted within a rack) until all are taken. */
export function rackAlternatedBrokerList(brokers: BrokerMetadata[]): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack as string) ?? [];
    list.push(b.id);
    byRack.set(b.rack as string, list);
  }
  const racks = [...byRack.keys()].sort();
  const lists = racks.map((r) => (byRack.get(r) as number[]).sort((a, b) => a - b));
  const out: number[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const l of lists) if (round < l.length) out.push(l[round]);
  }
  return out;
}

function assignRackAware(
  brokers: BrokerMetadata[],
  nPartitions: number,
  rf: number,
  opts: AssignmentOptions,
): Map<number, number[]> {
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack as string]));
  const list = rackAlternatedBrokerList(brokers);
  const n = list.length;
  const numRacks = new Set(rackOf.values()).size;
  const out = new Map<number, number[]>();
  const s = startAndShift(n, opts);
  let shift = s.shift;
  let pid = s.pid;
  for (let i = 0; i < nPartitions; i++, pid++) {
    if (pid > 0 && pid % n === 0) shift++;
    const first = (pid + s.start) % n;
    const leader = list[first];
    const replicas = [leader];
    const racksWithReplicas = new Set([rackOf.get(leader)]);
    const brokersWithReplicas = new Set([leader]);
    let k = 0;
    for (let j = 0; j < rf - 1; j++) {
      for (;;) {
        const broker = list[replicaIndex(first, shift * numRacks, k, n)];
        k++;
        const rack = rackOf.get(broker);
        if (
          (!racksWithReplicas.has(rack) || racksWithReplicas.size === numRacks) &&
          (!brokersWithReplicas.has(broker) || brokersWithReplicas.size === n)
        ) {
          replicas.push(broker);
          racksWithReplicas.add(rack);
          brokersWithReplicas.add(broker);
          break;
        }
      }
    }
    out.set(pid, replicas);
  }
  return out;
}
