// LeaderAndIsr and StopReplica requests flattened across versions, and their responses in
// Kafka's shape per version (LeaderAndIsrRequest.getErrorResponse and the per-partition error
// maps of ReplicaManager.becomeLeaderOrFollower / stopReplicas).

import type { LeaderAndIsrPartitionState } from '../cluster/partition';
import { ZERO_UUID } from '../protocol/codec/reader';
import type { LeaderAndIsrRequest } from '../protocol/messages/generated/LeaderAndIsrRequest';
import type { LeaderAndIsrResponseInit } from '../protocol/messages/generated/LeaderAndIsrResponse';
import type { StopReplicaRequest } from '../protocol/messages/generated/StopReplicaRequest';

export interface LeaderAndIsrEntry {
  topic: string;
  partition: number;
  /** null when the request has none (v0-v4) or the zero uuid */
  topicId: string | null;
  state: LeaderAndIsrPartitionState;
}

/** Partition states in request order; topic ids only from v5. */
export function leaderAndIsrEntries(req: LeaderAndIsrRequest, version: number): LeaderAndIsrEntry[] {
  const toState = (p: LeaderAndIsrRequest['topicStates'][number]['partitionStates'][number]) => ({
    controllerEpoch: p.controllerEpoch,
    leader: p.leader,
    leaderEpoch: p.leaderEpoch,
    isr: p.isr,
    partitionEpoch: p.partitionEpoch,
    replicas: p.replicas,
    addingReplicas: p.addingReplicas ?? [],
    removingReplicas: p.removingReplicas ?? [],
    isNew: p.isNew,
    leaderRecoveryState: p.leaderRecoveryState,
  });
  if (version <= 1)
    return req.ungroupedPartitionStates.map((p) => ({
      topic: p.topicName,
      partition: p.partitionIndex,
      topicId: null,
      state: toState(p),
    }));
  return req.topicStates.flatMap((t) =>
    t.partitionStates.map((p) => ({
      topic: t.topicName,
      partition: p.partitionIndex,
      topicId: version >= 5 && t.topicId && t.topicId !== ZERO_UUID ? t.topicId : null,
      state: toState(p),
    })),
  );
}

export interface PartitionError {
  topic: string;
  partition: number;
  errorCode: number;
}

/**
 * v0-v4: partition errors with topic names; v5+: grouped by the topic id the request carried
 * (topics in first-seen order).
 */
export function leaderAndIsrResponse(
  req: LeaderAndIsrRequest,
  version: number,
  errorCode: number,
  errors: PartitionError[],
): LeaderAndIsrResponseInit {
  if (version < 5)
    return {
      errorCode,
      partitionErrors: errors.map((e) => ({
        topicName: e.topic,
        partitionIndex: e.partition,
        errorCode: e.errorCode,
      })),
    };
  const requestTopicIds = new Map(req.topicStates.map((t) => [t.topicName, t.topicId]));
  const topics = new Map<
    string,
    { topicId: string; partitionErrors: Array<{ partitionIndex: number; errorCode: number }> }
  >();
  for (const e of errors) {
    const topicId = requestTopicIds.get(e.topic) ?? ZERO_UUID;
    let t = topics.get(topicId);
    if (!t) topics.set(topicId, (t = { topicId, partitionErrors: [] }));
    t.partitionErrors.push({ partitionIndex: e.partition, errorCode: e.errorCode });
  }
  return { errorCode, topics: [...topics.values()] };
}

/** The whole request refused with `errorCode`: every partition carries it too (Kafka's getErrorResponse). */
export function leaderAndIsrErrorResponse(
  req: LeaderAndIsrRequest,
  version: number,
  errorCode: number,
): LeaderAndIsrResponseInit {
  return leaderAndIsrResponse(
    req,
    version,
    errorCode,
    leaderAndIsrEntries(req, version).map((e) => ({ topic: e.topic, partition: e.partition, errorCode })),
  );
}

export interface StopReplicaEntry {
  topic: string;
  partition: number;
  /** -1 none (v0-v2), -2 topic being deleted */
  leaderEpoch: number;
  deletePartition: boolean;
}

export function stopReplicaEntries(req: StopReplicaRequest, version: number): StopReplicaEntry[] {
  if (version === 0)
    return req.ungroupedPartitions.map((p) => ({
      topic: p.topicName,
      partition: p.partitionIndex,
      leaderEpoch: -1,
      deletePartition: req.deletePartitions,
    }));
  if (version <= 2)
    return req.topics.flatMap((t) =>
      t.partitionIndexes.map((partition) => ({
        topic: t.name,
        partition,
        leaderEpoch: -1,
        deletePartition: req.deletePartitions,
      })),
    );
  return req.topicStates.flatMap((t) =>
    t.partitionStates.map((p) => ({
      topic: t.topicName,
      partition: p.partitionIndex,
      leaderEpoch: p.leaderEpoch,
      deletePartition: p.deletePartition,
    })),
  );
}
