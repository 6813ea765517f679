// ControlledShutdown (key 7), v0-v3: a broker about to stop asks the controller to move its
// leaderships away. Answered by the active controller: error NONE and the partitions it still
// leads (empty when all moved); BROKER_NOT_AVAILABLE for an unknown broker, STALE_BROKER_EPOCH
// for an old registration, STALE_CONTROLLER_EPOCH when this broker is not the controller
// (Kafka's ControllerMovedException mapping). v0 uses request header v0.

import type { KafkaController } from '../../controller/kafka-controller';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ControlledShutdownRequest } from '../../protocol/messages/generated/ControlledShutdownRequest';
import type { ControlledShutdownResponseInit } from '../../protocol/messages/generated/ControlledShutdownResponse';
import type { ApiHandler } from '../api-handler';

export function controlledShutdownHandler(
  controller: KafkaController,
): ApiHandler<ControlledShutdownRequest, ControlledShutdownResponseInit> {
  return {
    apiKey: ApiKey.ControlledShutdown,
    minVersion: 0,
    maxVersion: 3,
    async handle(req) {
      if (!controller.isActive)
        return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, remainingPartitions: [] };
      const r = await controller.controlledShutdown(req.brokerId, req.brokerEpoch);
      return {
        errorCode: r.errorCode,
        remainingPartitions: r.remaining.map((tp) => ({ topicName: tp.topic, partitionIndex: tp.partition })),
      };
    },
  };
}
