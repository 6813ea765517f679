// AlterPartitionReassignments (key 45), v0 (flexible).
// Starts (replicas given) or cancels (replicas null) partition reassignments through the active
// controller (KafkaController.alterPartitionReassignments: validation, per-partition errors such as
// INVALID_REPLICA_ASSIGNMENT, NO_REASSIGNMENT_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION). The
// response comes once the reassignments have started, not when they complete; timeout_ms is
// ignored, as by Kafka's ZK controller. A partition listed twice counts once (the last entry
// wins). On a broker that is not the controller: top-level NOT_CONTROLLER.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { AlterPartitionReassignmentsRequest } from '../../protocol/messages/generated/AlterPartitionReassignmentsRequest';
import type { AlterPartitionReassignmentsResponseInit } from '../../protocol/messages/generated/AlterPartitionReassignmentsResponse';
import type { ApiHandler } from '../api-handler';

export interface ReassignmentTarget {
  topic: string;
  partition: number;
  /** null cancels */
  replicas: number[] | null;
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

/** What this handler needs from the controller (KafkaController implements it). */
export interface ReassignmentStarter {
  readonly isActive: boolean;
  /** Resolves to null when this broker is not (or no longer) the active controller. */
  alterPartitionReassignments?(list: ReassignmentTarget[]): Promise<ReassignmentResult[] | null>;
}

const NOT_CONTROLLER_MESSAGE = 'This is not the correct controller for this cluster.';

export function alterPartitionReassignmentsHandler(
  controller: ReassignmentStarter,
): ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponseInit> {
  return {
    apiKey: ApiKey.AlterPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const notController = {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NOT_CONTROLLER,
        errorMessage: NOT_CONTROLLER_MESSAGE,
        responses: [],
      };
      if (!controller.isActive) return notController;
      const byKey = new Map<string, ReassignmentTarget>();
      for (const t of req.topics)
        for (const p of t.partitions)
          byKey.set(`${t.name}\u0000${p.partitionIndex}`, {
            topic: t.name,
            partition: p.partitionIndex,
            replicas: p.replicas,
          });
      const list = [...byKey.values()];
      let results: ReassignmentResult[] | null;
      if (controller.alterPartitionReassignments)
        results = await controller.alterPartitionReassignments(list);
      else
        results = list.map((t) => ({
          ...t,
          errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
          errorMessage: 'Partition reassignment is not supported by this controller.',
        }));
      if (results === null) return notController;
      const topics = new Map<
        string,
        Array<{ partitionIndex: number; errorCode: number; errorMessage: string | null }>
      >();
      for (const r of results) {
        const list = topics.get(r.topic) ?? [];
        list.push({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
        topics.set(r.topic, list);
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        responses: [...topics.entries()].map(([name, partitions]) => ({ name, partitions })),
      };
    },
  };
}
