// The broker's view of the cluster (Kafka's ZkMetadataCache): live brokers, topics with their
// assignment and leader/ISR, the controller id and epoch. Metadata responses and leadership
// decisions read it; it is fed only by the controller's UpdateMetadata requests (the
// UpdateMetadata handler), never by ZooKeeper watches, so every broker answers Metadata alike.
// Listeners hear which partitions changed so the replica manager can react.

import { EventEmitter } from 'node:events';
import { BrokerRegistration, LeaderIsrAndControllerEpoch, TopicAssignment } from '../zk/zk-data';

export interface PartitionMetadata {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
  /** null while the partition has no state znode yet */
  state: LeaderIsrAndControllerEpoch | null;
}

export interface TopicMetadata {
  name: string;
  topicId: string | null;
  partitions: Map<number, PartitionMetadata>;
}

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

export class MetadataCache extends EventEmitter {
  clusterId = '';
  controllerId = -1;
  /**
   * Highest controller epoch seen in a LeaderAndIsr/UpdateMetadata/StopReplica: requests from an
   * older controller are refused with STALE_CONTROLLER_EPOCH (Kafka keeps it in ReplicaManager).
   */
  controllerEpoch = 0;
  readonly brokers = new Map<number, BrokerRegistration>();
  readonly topics = new Map<string, TopicMetadata>();

  constructor(readonly localBrokerId: number) {
    super();
  }

  aliveBrokers(): BrokerRegistration[] {
    return [...this.brokers.values()].sort((a, b) => a.id - b.id);
  }

  isAlive(brokerId: number): boolean {
    return this.brokers.has(brokerId);
  }

  getTopic(name: string): TopicMetadata | undefined {
    return this.topics.get(name);
  }

  getPartition(topic: string, partition: number): PartitionMetadata | undefined {
    return this.topics.get(topic)?.partitions.get(partition);
  }

  /** Topic whose name collides with `name` once '.' and '_' are folded (Kafka forbids both). */
  collidingTopic(name: string): string | undefined {
    const fold = (s: string) => s.replace(/\./g, '_');
    for (const t of this.topics.keys()) if (t !== name && fold(t) === fold(name)) return t;
    return undefined;
  }

  setBrokers(brokers: BrokerRegistration[]): void {
    this.brokers.clear();
    for (const b of brokers) this.brokers.set(b.id, b);
    this.emit('brokersChanged');
  }

  setTopic(name: string, assignment: TopicAssignment): void {
    const prev = this.topics.get(name);
    const partitions = new Map<number, PartitionMetadata>();
    for (const [p, replicas] of assignment.partitions) {
      partitions.set(p, {
        topic: name,
        partition: p,
        replicas,
        addingReplicas: assignment.addingReplicas.get(p) ?? [],
        removingReplicas: assignment.removingReplicas.get(p) ?? [],
        state: prev?.partitions.get(p)?.state ?? null,
      });
    }
    this.topics.set(name, { name, topicId: assignment.topicId, partitions });
    this.emit('partitionsChanged', [...partitions.values()]);
  }

  setPartitionState(topic: string, partition: number, state: LeaderIsrAndControllerEpoch | null): void {
    const p = this.getPartition(topic, partition);
    if (!p) return;
    p.state = state;
    this.emit('partitionsChanged', [p]);
  }

  /** Sets one partition's assignment and state (UpdateMetadata), creating the topic if new. */
  updatePartition(
    topic: string,
    topicId: string | null,
    partition: number,
    replicas: number[],
    state: LeaderIsrAndControllerEpoch,
  ): PartitionMetadata {
    let t = this.topics.get(topic);
    if (!t) this.topics.set(topic, (t = { name: topic, topicId, partitions: new Map() }));
    if (topicId !== null) t.topicId = topicId;
    const prev = t.partitions.get(partition);
    const pm: PartitionMetadata = {
      topic,
      partition,
      replicas,
      addingReplicas: prev?.addingReplicas ?? [],
      removingReplicas: prev?.removingReplicas ?? [],
      state,
    };
    t.partitions.set(partition, pm);
    return pm;
  }

  /** Drops a partition (a topic being deleted); the topic goes with its last partition. */
  removePartition(topic: string, partition: number): void {
    const t = this.topics.get(topic);
    if (!t) return;
    t.partitions.delete(partition);
    if (t.partitions.size === 0) this.removeTopic(topic);
  }

  removeTopic(name: string): void {
    const t = this.topics.get(name);
    if (!t) return;
    this.topics.delete(name);
    this.emit('topicRemoved', t);
  }
}
