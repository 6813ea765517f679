// CreatePartitions on the controller broker (Kafka's ZkAdminManager.createPartitions and
// AdminZkClient.createNewPartitionsAssignment): validates the new count and any manual
// assignment, places new partitions with Kafka's algorithm (brokers sorted by id, start index at
// the first broker whose id ≥ partition 0's first replica, partition ids continuing the topic) and
// rewrites /brokers/topics/<t>; the controller's data watch on that znode creates the partitions.

import { ErrorCode } from '../protocol/errors';
import { getLogger } from '../utils/logger';
import type { KafkaZkClient } from '../zk/kafka-zk-client';
import type { BrokerRegistration, TopicAssignment } from '../zk/zk-data';
import { AdminOperationError, assignReplicasToBrokers, BrokerMetadata } from './replica-assignment';

export interface NewPartitionsRequest {
  name: string;
  count: number;
  /** One replica list per new partition, or null to let Kafka's placement decide. */
  assignments: number[][] | null;
}

export interface NewPartitionsResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  /** The full assignment after the change (set on success). */
  assignment?: Map<number, number[]>;
}

/** Thrown for a whole-request failure (Kafka lets it escape the per-topic loop). */
export class CreatePartitionsRequestError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

const NOT_ALL_RACKS =
  'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.';

/** AdminZkClient.getBrokerMetadatas(RackAwareMode.Enforced): registered brokers sorted by id. */
export function enforcedBrokerMetadata(brokers: readonly BrokerRegistration[]): BrokerMetadata[] {
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const withRack = sorted.filter((b) => b.rack !== null).length;
  if (withRack > 0 && withRack < sorted.length)
    throw new AdminOperationError(ErrorCode.UNKNOWN_SERVER_ERROR, NOT_ALL_RACKS);
  return sorted.map((b) => ({ id: b.id, rack: b.rack }));
}

/**
 * The replicas of the new partitions (partition id → replicas), from a manual assignment (checked
 * against Kafka's rules) or Kafka's placement continuing the existing layout.
 */
export function newPartitionsAssignment(
  topic: string,
  existing: ReadonlyMap<number, readonly number[]>,
  brokers: readonly BrokerMetadata[],
  count: number,
  manual: number[][] | null,
): Map<number, number[]> {
  const p0 = existing.get(0);
  if (!p0)
    throw new AdminOperationError(
      ErrorCode.UNKNOWN_SERVER_ERROR,
      `Unexpected existing replica assignment for topic '${topic}', partition id 0 is missing.`,
    );
  const current = existing.size;
  const increment = count - current;
  if (increment < 0)
    throw new AdminOperationError(
      ErrorCode.INVALID_PARTITIONS,
      `Topic currently has ${current} partitions, which is higher than the requested ${count}.`,
    );
  if (increment === 0)
    throw new AdminOperationError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
  const brokerIds = new Set(brokers.map((b) => b.id));
  if (manual !== null) {
    const unknown = [...new Set(manual.flat())].filter((id) => !brokerIds.has(id));
    if (unknown.length > 0)
      throw new AdminOperationError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Unknown broker(s) in replica assignment: ${unknown.join(', ')}.`,
      );
    if (manual.length !== increment)
      throw new AdminOperationError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Increasing the number of partitions by ${increment} but ${manual.length} assignments provided.`,
      );
    const proposed = new Map(manual.map((replicas, i) => [current + i, replicas]));
    const bad: Array<[number, number]> = [];
    for (const [pid, replicas] of proposed) {
      if (replicas.length === 0)
        throw new AdminOperationError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Cannot have replication factor of 0 for partition id ${pid}.`,
        );
      if (new Set(replicas).size !== replicas.length)
        throw new AdminOperationError(
          ErrorCode.INVALID_REPLICA_ASSIGNMENT,
          `Duplicate brokers not allowed in replica assignment: ${replicas.join(', ')} for partition id ${pid}.`,
        );
      if (replicas.length !== p0.length) bad.push([pid, replicas.length]);
    }
    if (bad.length > 0)
      throw new AdminOperationError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Inconsistent replication factor between partitions, partition 0 has ${p0.length} while partitions [${bad
          .map((b) => b[0])
          .join(', ')}] have replication factors [${bad.map((b) => b[1]).join(', ')}], respectively.`,
      );
    return proposed;
  }
  const startIndex = Math.max(
    0,
    brokers.findIndex((b) => b.id >= p0[0]),
  );
  return assignReplicasToBrokers([...brokers], increment, p0.length, {
    fixedStartIndex: startIndex,
    startPartitionId: current,
  });
}

export class PartitionAdmin {
  private readonly log = getLogger('kafka.server.ZkAdminManager');

  constructor(private readonly zk: KafkaZkClient) {}

  /** The topic has a deletion marker (/admin/delete_topics/<t>): the controller will delete it. */
  isQueuedForDeletion(topic: string): Promise<boolean> {
    return this.zk.isTopicMarkedForDeletion(topic);
  }

  /**
   * Validates and (unless validateOnly) performs each topic's increase. Per-topic errors are
   * results; a cluster-level failure (brokers with and without racks) throws
   * CreatePartitionsRequestError.
   */
  async createPartitions(
    topics: readonly NewPartitionsRequest[],
    validateOnly: boolean,
  ): Promise<NewPartitionsResult[]> {
    let brokers: BrokerMetadata[];
    try {
      brokers = enforcedBrokerMetadata(await this.zk.getAllBrokers());
    } catch (e) {
      throw new CreatePartitionsRequestError(ErrorCode.UNKNOWN_SERVER_ERROR, (e as Error).message);
    }
    const out: NewPartitionsResult[] = [];
    for (const t of topics) {
      try {
        out.push({
          name: t.name,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          assignment: await this.createOne(t, brokers, validateOnly),
        });
      } catch (e) {
        if (e instanceof AdminOperationError) {
          this.log.info(`Error processing create partitions request for topic ${t.name}: ${e.message}`);
          out.push({ name: t.name, errorCode: e.errorCode, errorMessage: e.message });
        } else {
          this.log.error(`Error creating partitions for topic ${t.name}: ${(e as Error).stack}`);
          out.push({
            name: t.name,
            errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
            errorMessage: (e as Error).message,
          });
        }
      }
    }
    return out;
  }

  private async createOne(
    t: NewPartitionsRequest,
    brokers: BrokerMetadata[],
    validateOnly: boolean,
  ): Promise<Map<number, number[]>> {
    const current: TopicAssignment | null = await this.zk.getTopicAssignment(t.name);
    if (!current || current.partitions.size === 0)
      throw new AdminOperationError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `The topic '${t.name}' does not exist.`,
      );
    const reassigning = [...current.partitions.keys()].some(
      (p) =>
        (current.addingReplicas.get(p)?.length ?? 0) > 0 ||
        (current.removingReplicas.get(p)?.length ?? 0) > 0,
    );
    if (reassigning)
      throw new AdminOperationError(
        ErrorCode.REASSIGNMENT_IN_PROGRESS,
        `A partition reassignment is in progress for the topic '${t.name}'.`,
      );
    const added = newPartitionsAssignment(t.name, current.partitions, brokers, t.count, t.assignments);
    const all = new Map([...current.partitions, ...added]);
    if (validateOnly) return all;
    this.log.info(
      `Creating ${added.size} partitions for '${t.name}' with the following replica assignment: ${JSON.stringify(Object.fromEntries(added))}.`,
    );
    await this.zk.setTopicAssignment(t.name, {
      partitions: all,
      addingReplicas: current.addingReplicas,
      removingReplicas: current.removingReplicas,
      topicId: current.topicId,
    });
    return all;
  }
}
