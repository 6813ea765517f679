// AlterPartition (key 56), v0-v3: a partition leader asks the controller to change the ISR.
// Served by the active controller only (NOT_CONTROLLER elsewhere); validation and the ZooKeeper
// write follow Kafka's order (KafkaController.processAlterPartition): STALE_BROKER_EPOCH,
// UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID, NOT_CONTROLLER for epochs ahead of ours,
// FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INVALID_REQUEST for recovery-state misuse,
// INELIGIBLE_REPLICA (v2+) / OPERATION_NOT_ATTEMPTED (v0-v1) for non-live members.

import type { KafkaController } from '../../controller/kafka-controller';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { AlterPartitionRequest } from '../../protocol/messages/generated/AlterPartitionRequest';
import type { AlterPartitionResponseInit } from '../../protocol/messages/generated/AlterPartitionResponse';
import type { ApiHandler } from '../api-handler';

export function alterPartitionHandler(
  controller: KafkaController,
): ApiHandler<AlterPartitionRequest, AlterPartitionResponseInit> {
  return {
    apiKey: ApiKey.AlterPartition,
    minVersion: 0,
    maxVersion: 3,
    async handle(req, ctx) {
      if (!controller.isActive) return { errorCode: ErrorCode.NOT_CONTROLLER, topics: [], throttleTimeMs: 0 };
      return controller.alterPartition(req, ctx.apiVersion);
    },
  };
}
