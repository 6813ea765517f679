// Kafka's TopicDeletionManager: deletes the topics queued in /admin/delete_topics through the two
// state machines. A topic's partitions go OfflinePartition → NonExistentPartition (once),
// brokers are told to stop serving it (UpdateMetadata with leader -2), replicas on dead brokers
// become ReplicaDeletionIneligible and the topic waits ("offline replicas"); live replicas go
// OfflineReplica → ReplicaDeletionStarted (StopReplica delete=true). Each StopReplica result makes
// a replica ReplicaDeletionSuccessful or, on error, ReplicaDeletionIneligible (the topic waits:
// "failed replica deletion"; its failed replicas go back to OfflineReplica and the deletion is
// restarted when the topic is resumed — a broker hosting it starts, a reassignment ends, or a new
// controller takes over). Once every replica is successful they become NonExistentReplica, the
// znodes are removed and the topic is forgotten.

import { ErrorCode } from '../protocol/errors';
import type { StopReplicaResponse } from '../protocol/messages/generated/StopReplicaResponse';
import type { Logger } from '../utils/logger';
import { ControllerContext, PartitionAndReplica, TopicPartition } from './controller-context';
import type { PartitionStateMachine } from './partition-state-machine';
import type { ReplicaStateMachine } from './replica-state-machine';

export interface TopicDeletionManagerDeps {
  ctx: ControllerContext;
  partitionStateMachine: PartitionStateMachine;
  replicaStateMachine: ReplicaStateMachine;
  deleteTopicEnable: boolean;
  log: Logger;
  sendUpdateMetadata(brokers: number[], partitions: TopicPartition[]): void;
  /** /brokers/topics/<t> (recursively), /config/topics/<t>, /admin/delete_topics/<t>, fenced. */
  deleteTopicZNodes(topic: string): Promise<void>;
}

export class TopicDeletionManager {
  constructor(private readonly d: TopicDeletionManagerDeps) {}

  /** Queues topics (already validated) and moves every queued deletion forward. */
  async enqueueTopicsForDeletion(topics: string[]): Promise<void> {
    for (const t of topics) this.d.ctx.topicsToBeDeleted.add(t);
    await this.resumeDeletions();
  }

  markTopicIneligibleForDeletion(topics: string[], reason: string): void {
    const halted = topics.filter((t) => this.d.ctx.topicsToBeDeleted.has(t));
    if (halted.length === 0) return;
    for (const t of halted) this.d.ctx.topicsIneligibleForDeletion.add(t);
    this.d.log.info(`Halted deletion of topics ${halted.join(',')} due to ${reason}`);
  }

  async resumeDeletionForTopics(topics: string[]): Promise<void> {
    const resumed = topics.filter((t) => this.d.ctx.topicsToBeDeleted.has(t));
    if (resumed.length === 0) return;
    for (const t of resumed) this.d.ctx.topicsIneligibleForDeletion.delete(t);
    await this.resumeDeletions();
  }

  private isTopicEligibleForDeletion(topic: string): boolean {
    return (
      this.d.ctx.topicsToBeDeleted.has(topic) &&
      !this.d.ctx.isAnyReplicaInState(topic, 'ReplicaDeletionStarted') &&
      !this.d.ctx.topicsIneligibleForDeletion.has(topic)
    );
  }

  /**
   * Kafka's resumeDeletions: topics whose replicas are all deleted are completed; those with
   * failed replicas (ReplicaDeletionIneligible, none in flight) get them back to OfflineReplica;
   * eligible topics (nothing in flight, not on hold) (re)start deletion.
   */
  async resumeDeletions(): Promise<void> {
    const queued = [...this.d.ctx.topicsToBeDeleted];
    if (queued.length > 0) this.d.log.info(`Handling deletion for topics ${queued.join(',')}`);
    const retry: string[] = [];
    const eligible: string[] = [];
    for (const topic of queued) {
      if (this.d.ctx.areAllReplicasInState(topic, 'ReplicaDeletionSuccessful')) {
        await this.completeDeleteTopic(topic);
        this.d.log.info(`Deletion of topic ${topic} successfully completed`);
        continue;
      }
      if (
        !this.d.ctx.isAnyReplicaInState(topic, 'ReplicaDeletionStarted') &&
        this.d.ctx.isAnyReplicaInState(topic, 'ReplicaDeletionIneligible')
      )
        retry.push(topic);
      if (this.isTopicEligibleForDeletion(topic)) {
        this.d.log.info(`Deletion of topic ${topic} (re)started`);
        eligible.push(topic);
      }
    }
    if (retry.length > 0) {
      this.d.log.info(
        `Retrying deletion of topics ${retry.join(',')} since replicas were not successfully deleted`,
      );
      await this.d.replicaStateMachine.handleStateChanges(
        retry.flatMap((t) => this.d.ctx.replicasInState(t, 'ReplicaDeletionIneligible')),
        'OfflineReplica',
      );
    }
    if (eligible.length > 0) await this.onTopicDeletion(eligible);
  }

  /** Partitions Offline → NonExistent (first time only), LeaderDuringDelete to all, replicas deleted. */
  private async onTopicDeletion(topics: string[]): Promise<void> {
    const unseen = topics.filter((t) => !this.d.ctx.topicsWithDeletionStarted.has(t));
    if (unseen.length > 0) {
      const parts = this.d.ctx.allPartitions().filter((tp) => unseen.includes(tp.topic));
      await this.d.partitionStateMachine.handleStateChanges(parts, 'OfflinePartition');
      await this.d.partitionStateMachine.handleStateChanges(parts, 'NonExistentPartition');
      for (const t of unseen) this.d.ctx.topicsWithDeletionStarted.add(t);
    }
    // Brokers stop serving the topics (UpdateMetadata with leader -2).
    this.d.sendUpdateMetadata(
      [...this.d.ctx.liveBrokers.keys()],
      this.d.ctx.allPartitions().filter((tp) => topics.includes(tp.topic)),
    );
    await this.onPartitionDeletion(topics);
  }

  /** Dead replicas → ReplicaDeletionIneligible; live ones not yet deleted → Offline → DeletionStarted. */
  private async onPartitionDeletion(topics: string[]): Promise<void> {
    const dead: PartitionAndReplica[] = [];
    const retry: PartitionAndReplica[] = [];
    const withDead: string[] = [];
    for (const topic of topics) {
      const replicas = this.d.ctx.replicasForTopic(topic);
      const deadOfTopic = replicas.filter((r) => !this.d.ctx.isReplicaOnline(r.replica));
      dead.push(...deadOfTopic);
      retry.push(
        ...replicas.filter(
          (r) =>
            this.d.ctx.isReplicaOnline(r.replica) &&
            this.d.ctx.replicaState(r) !== 'ReplicaDeletionSuccessful',
        ),
      );
      if (deadOfTopic.length > 0) withDead.push(topic);
    }
    await this.d.replicaStateMachine.handleStateChanges(dead, 'ReplicaDeletionIneligible');
    await this.d.replicaStateMachine.handleStateChanges(retry, 'OfflineReplica');
    await this.d.replicaStateMachine.handleStateChanges(retry, 'ReplicaDeletionStarted');
    this.markTopicIneligibleForDeletion(withDead, 'offline replicas');
  }

  /**
   * Kafka's TopicDeletionStopReplicaResponseReceived: per-partition errors (or a top-level one)
   * fail those replicas' deletion (ReplicaDeletionIneligible, retried later), the others are
   * ReplicaDeletionSuccessful. A broker that does not serve StopReplica at all (null) drops the
   * replicas with the topic's metadata (LeaderDuringDelete): success.
   */
  async stopReplicaResponseReceived(
    brokerId: number,
    response: StopReplicaResponse | null,
    partitions: Array<TopicPartition & { deletePartition: boolean }>,
  ): Promise<void> {
    const deleting = partitions.filter(
      (p) => p.deletePartition && this.d.ctx.topicsWithDeletionStarted.has(p.topic),
    );
    const errorOf = (tp: TopicPartition): number => {
      if (!response) return ErrorCode.NONE;
      if (response.errorCode !== ErrorCode.NONE) return response.errorCode;
      return (
        response.partitionErrors.find((e) => e.topicName === tp.topic && e.partitionIndex === tp.partition)
          ?.errorCode ?? ErrorCode.NONE
      );
    };
    const failed = deleting.filter((tp) => errorOf(tp) !== ErrorCode.NONE);
    const done = deleting.filter((tp) => errorOf(tp) === ErrorCode.NONE);
    if (failed.length > 0) {
      this.d.log.warn(
        `Deletion failed for replicas ${failed.map((tp) => `${tp.topic}-${tp.partition} (error ${errorOf(tp)})`).join(',')} on broker ${brokerId}`,
      );
      await this.failReplicaDeletion(failed.map((tp) => ({ ...tp, replica: brokerId })));
    }
    if (done.length > 0) await this.completeReplicaDeletion(done.map((tp) => ({ ...tp, replica: brokerId })));
  }

  private async completeReplicaDeletion(replicas: PartitionAndReplica[]): Promise<void> {
    const deleted = replicas.filter((r) => this.d.ctx.topicsToBeDeleted.has(r.topic));
    await this.d.replicaStateMachine.handleStateChanges(deleted, 'ReplicaDeletionSuccessful');
    await this.resumeDeletions();
  }

  /** Failed replicas → ReplicaDeletionIneligible; their topics wait (retried on resume). */
  async failReplicaDeletion(replicas: PartitionAndReplica[]): Promise<void> {
    if (!this.d.deleteTopicEnable) return;
    const failed = replicas.filter((r) => this.d.ctx.topicsToBeDeleted.has(r.topic));
    if (failed.length === 0) return;
    await this.d.replicaStateMachine.handleStateChanges(failed, 'ReplicaDeletionIneligible');
    this.markTopicIneligibleForDeletion([...new Set(failed.map((r) => r.topic))], 'failed replica deletion');
    await this.resumeDeletions();
  }

  /** Every replica deleted: replicas → NonExistent, znodes removed (fenced), topic forgotten. */
  private async completeDeleteTopic(topic: string): Promise<void> {
    await this.d.replicaStateMachine.handleStateChanges(
      this.d.ctx.replicasInState(topic, 'ReplicaDeletionSuccessful'),
      'NonExistentReplica',
    );
    await this.d.deleteTopicZNodes(topic);
    this.d.ctx.removeTopic(topic);
  }
}
