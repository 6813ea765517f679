// ListPartitionReassignments (key 46), v0 (flexible).
// The reassignments in progress, from the active controller (KafkaController
// .listPartitionReassignments): per partition the full replica set and the replicas being added
// and removed. topics null lists every reassignment; requested partitions that are not being
// reassigned are silently left out. timeout_ms is ignored. On a broker that is not the
// controller: top-level NOT_CONTROLLER.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ListPartitionReassignmentsRequest } from '../../protocol/messages/generated/ListPartitionReassignmentsRequest';
import type { ListPartitionReassignmentsResponseInit } from '../../protocol/messages/generated/ListPartitionReassignmentsResponse';
import type { ApiHandler } from '../api-handler';

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/** What this handler needs from the controller (KafkaController implements it). */
export interface ReassignmentLister {
  readonly isActive: boolean;
  /** Resolves to null when this broker is not (or no longer) the active controller. */
  listPartitionReassignments?(
    partitions: Array<{ topic: string; partition: number }> | null,
  ): Promise<OngoingReassignment[] | null>;
}

export function listPartitionReassignmentsHandler(
  controller: ReassignmentLister,
): ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInit> {
  return {
    apiKey: ApiKey.ListPartitionReassignments,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const notController = {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NOT_CONTROLLER,
        errorMessage: 'This is not the correct controller for this cluster.',
        topics: [],
      };
      if (!controller.isActive) return notController;
      const partitions =
        req.topics === null
          ? null
          : req.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
      // A controller without reassignment support has none in progress.
      const ongoing = controller.listPartitionReassignments
        ? await controller.listPartitionReassignments(partitions)
        : [];
      if (ongoing === null) return notController;
      const topics = new Map<string, OngoingReassignment[]>();
      for (const r of ongoing) {
        const list = topics.get(r.topic) ?? [];
        list.push(r);
        topics.set(r.topic, list);
      }
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topics: [...topics.entries()].map(([name, list]) => ({
          name,
          partitions: list
            .sort((a, b) => a.partition - b.partition)
            .map((r) => ({
              partitionIndex: r.partition,
              replicas: r.replicas,
              addingReplicas: r.addingReplicas,
              removingReplicas: r.removingReplicas,
            })),
        })),
      };
    },
  };
}
