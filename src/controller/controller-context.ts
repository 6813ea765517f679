// What the active controller knows (Kafka's ControllerContext), rebuilt from ZooKeeper at every
// failover: live brokers and their epochs, brokers shutting down, every topic's assignment and
// id, every partition's leader/ISR state (with its zkVersion, the partition epoch), the state of
// every partition and replica in the two state machines, topics queued for deletion (and those
// whose deletion started or is on hold).

import type { BrokerRegistration, LeaderIsrAndControllerEpoch } from '../zk/zk-data';
import type { PartitionState } from './partition-state-machine';
import type { ReplicaState } from './replica-state-machine';

export interface ReplicaAssignment {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`;

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** One replica of one partition (Kafka's PartitionAndReplica). */
export interface PartitionAndReplica extends TopicPartition {
  replica: number;
}

/** PartitionAndReplica.toString */
export const replicaString = (r: PartitionAndReplica): string =>
  `[Topic=${r.topic},Partition=${r.partition},Replica=${r.replica}]`;

const replicaKey = (r: PartitionAndReplica): string => `${r.topic}-${r.partition}/${r.replica}`;

export class ControllerContext {
  constructor(readonly interBrokerListener: string) {}

  epoch = 0;
  epochZkVersion = -1;
  readonly liveBrokers = new Map<number, BrokerRegistration>();
  readonly shuttingDownBrokerIds = new Set<number>();
  readonly topicIds = new Map<string, string | null>();
  readonly assignments = new Map<string, Map<number, ReplicaAssignment>>();
  readonly partitionStates = new Map<string, LeaderIsrAndControllerEpoch>();
  readonly topicsToBeDeleted = new Set<string>();
  /** Queued topics whose partitions went Offline → NonExistent (TopicDeletionManager). */
  readonly topicsWithDeletionStarted = new Set<string>();
  /** Queued topics whose deletion waits (offline replica, failed StopReplica, reassignment). */
  readonly topicsIneligibleForDeletion = new Set<string>();
  /** Partition state machine states, by tpKey. */
  readonly partitionStateMachineStates = new Map<string, PartitionState>();
  /** Replica state machine states, by `topic-partition/replica`. */
  readonly replicaStates = new Map<string, ReplicaState>();

  reset(): void {
    this.liveBrokers.clear();
    this.shuttingDownBrokerIds.clear();
    this.topicIds.clear();
    this.assignments.clear();
    this.partitionStates.clear();
    this.topicsToBeDeleted.clear();
    this.topicsWithDeletionStarted.clear();
    this.topicsIneligibleForDeletion.clear();
    this.partitionStateMachineStates.clear();
    this.replicaStates.clear();
  }

  // ---- state machine states -----------------------------------------------------------------

  /** A partition's state; partitions the machine never saw are NonExistentPartition. */
  partitionState(tp: TopicPartition): PartitionState {
    return this.partitionStateMachineStates.get(tpKey(tp.topic, tp.partition)) ?? 'NonExistentPartition';
  }

  putPartitionState(tp: TopicPartition, state: PartitionState): void {
    this.partitionStateMachineStates.set(tpKey(tp.topic, tp.partition), state);
  }

  partitionsInState(state: PartitionState): TopicPartition[] {
    return this.allPartitions().filter((tp) => this.partitionState(tp) === state);
  }

  /** A replica's state; replicas the machine never saw are NonExistentReplica. */
  replicaState(r: PartitionAndReplica): ReplicaState {
    return this.replicaStates.get(replicaKey(r)) ?? 'NonExistentReplica';
  }

  putReplicaState(r: PartitionAndReplica, state: ReplicaState): void {
    this.replicaStates.set(replicaKey(r), state);
  }

  removeReplicaState(r: PartitionAndReplica): void {
    this.replicaStates.delete(replicaKey(r));
  }

  /** Every assigned replica of the topic's partitions. */
  replicasForTopic(topic: string): PartitionAndReplica[] {
    const parts = this.assignments.get(topic);
    if (!parts) return [];
    return [...parts.keys()]
      .sort((a, b) => a - b)
      .flatMap((partition) =>
        parts.get(partition)!.replicas.map((replica) => ({ topic, partition, replica })),
      );
  }

  replicasForPartitions(tps: TopicPartition[]): PartitionAndReplica[] {
    return tps.flatMap((tp) =>
      (this.assignment(tp.topic, tp.partition)?.replicas ?? []).map((replica) => ({ ...tp, replica })),
    );
  }

  replicasOnBrokers(brokerIds: number[]): PartitionAndReplica[] {
    return this.allPartitions().flatMap((tp) =>
      this.assignment(tp.topic, tp.partition)!
        .replicas.filter((r) => brokerIds.includes(r))
        .map((replica) => ({ ...tp, replica })),
    );
  }

  replicasInState(topic: string, state: ReplicaState): PartitionAndReplica[] {
    return this.replicasForTopic(topic).filter((r) => this.replicaState(r) === state);
  }

  areAllReplicasInState(topic: string, state: ReplicaState): boolean {
    return this.replicasForTopic(topic).every((r) => this.replicaState(r) === state);
  }

  isAnyReplicaInState(topic: string, state: ReplicaState): boolean {
    return this.replicasForTopic(topic).some((r) => this.replicaState(r) === state);
  }

  /** Kafka's isReplicaOnline (Samsa has no per-directory failures): the broker is live. */
  isReplicaOnline(brokerId: number): boolean {
    return this.isLive(brokerId);
  }

  /** Partitions with leader info whose leader is not online (topics being deleted excluded). */
  partitionsWithOfflineLeader(): TopicPartition[] {
    return this.allPartitions().filter((tp) => {
      const s = this.state(tp.topic, tp.partition);
      return s !== undefined && !this.isReplicaOnline(s.leader) && !this.topicsToBeDeleted.has(tp.topic);
    });
  }

  /** Partitions with leader info, topics being deleted excluded (Kafka's partitionsWithLeaders). */
  partitionsWithLeaders(): TopicPartition[] {
    return this.allPartitions().filter(
      (tp) => this.state(tp.topic, tp.partition) !== undefined && !this.topicsToBeDeleted.has(tp.topic),
    );
  }

  /** Registered and not shutting down: what elections may pick. */
  isLive(brokerId: number): boolean {
    return this.liveBrokers.has(brokerId) && !this.shuttingDownBrokerIds.has(brokerId);
  }

  isLiveOrShuttingDown(brokerId: number): boolean {
    return this.liveBrokers.has(brokerId);
  }

  liveBrokerIds(): number[] {
    return [...this.liveBrokers.keys()].filter((id) => this.isLive(id)).sort((a, b) => a - b);
  }

  allPartitions(): Array<{ topic: string; partition: number }> {
    const out: Array<{ topic: string; partition: number }> = [];
    for (const [topic, parts] of this.assignments)
      for (const partition of [...parts.keys()].sort((a, b) => a - b)) out.push({ topic, partition });
    return out;
  }

  assignment(topic: string, partition: number): ReplicaAssignment | undefined {
    return this.assignments.get(topic)?.get(partition);
  }

  state(topic: string, partition: number): LeaderIsrAndControllerEpoch | undefined {
    return this.partitionStates.get(tpKey(topic, partition));
  }

  partitionsOnBroker(brokerId: number): Array<{ topic: string; partition: number }> {
    return this.allPartitions().filter((tp) =>
      this.assignment(tp.topic, tp.partition)!.replicas.includes(brokerId),
    );
  }

  partitionsLedBy(brokerId: number): Array<{ topic: string; partition: number }> {
    return this.allPartitions().filter((tp) => this.state(tp.topic, tp.partition)?.leader === brokerId);
  }

  removeTopic(topic: string): void {
    for (const r of this.replicasForTopic(topic)) this.removeReplicaState(r);
    for (const p of this.assignments.get(topic)?.keys() ?? []) {
      this.partitionStates.delete(tpKey(topic, p));
      this.partitionStateMachineStates.delete(tpKey(topic, p));
    }
    this.assignments.delete(topic);
    this.topicIds.delete(topic);
    this.topicsToBeDeleted.delete(topic);
    this.topicsWithDeletionStarted.delete(topic);
    this.topicsIneligibleForDeletion.delete(topic);
  }
}
