// What the active controller knows (Kafka's ControllerContext), rebuilt from ZooKeeper at every
// failover: live brokers and their epochs, brokers shutting down, every topic's assignment and
// id, every partition's leader/ISR state (with its zkVersion, the partition epoch), topics
// queued for deletion.

import type { BrokerRegistration, LeaderIsrAndControllerEpoch } from '../zk/zk-data';

export interface ReplicaAssignment {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`;

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

  reset(): void {
    this.liveBrokers.clear();
    this.shuttingDownBrokerIds.clear();
    this.topicIds.clear();
    this.assignments.clear();
    this.partitionStates.clear();
    this.topicsToBeDeleted.clear();
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
    for (const p of this.assignments.get(topic)?.keys() ?? []) this.partitionStates.delete(tpKey(topic, p));
    this.assignments.delete(topic);
    this.topicIds.delete(topic);
    this.topicsToBeDeleted.delete(topic);
  }
}
