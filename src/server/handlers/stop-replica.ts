// StopReplica (key 5), v0-v4: the controller tells this broker to stop replicating partitions
// and, with delete_partition (v0-v2: one delete_partitions flag per request), to delete them. An
// older broker epoch than ours → STALE_BROKER_EPOCH with no partition errors; the rest
// (controller epoch, per-partition leader epoch -2/-1/>= ours else FENCED_LEADER_EPOCH, stopping
// fetchers, deleting logs) is ReplicaManager.stopReplicas.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { StopReplicaRequest } from '../../protocol/messages/generated/StopReplicaRequest';
import type { StopReplicaResponseInit } from '../../protocol/messages/generated/StopReplicaResponse';
import { getLogger } from '../../utils/logger';
import type { ApiHandler } from '../api-handler';
import type { ReplicaManager } from '../replica-manager';

export function stopReplicaHandler(
  replicas: ReplicaManager,
  brokerEpoch: () => number,
): ApiHandler<StopReplicaRequest, StopReplicaResponseInit> {
  const log = getLogger('kafka.server.KafkaApis');
  return {
    apiKey: ApiKey.StopReplica,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const current = brokerEpoch();
      if (req.brokerEpoch !== -1n && req.brokerEpoch < BigInt(current)) {
        log.info(
          `Received StopReplica request with broker epoch ${req.brokerEpoch} smaller than the current broker epoch ${current} from controller ${req.controllerId} with epoch ${req.controllerEpoch}.`,
        );
        return { errorCode: ErrorCode.STALE_BROKER_EPOCH, partitionErrors: [] };
      }
      return replicas.stopReplicas(req, ctx.apiVersion, ctx.header.correlationId);
    },
  };
}
