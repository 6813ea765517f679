// LeaderAndIsr (key 4), v0-v7: the controller tells this broker which partitions it leads or
// follows, with leader epoch, ISR and partition epoch. A request carrying an older broker epoch
// than our registration's czxid (-1 = unknown, accepted) is refused with STALE_BROKER_EPOCH for
// the whole request; the rest (controller epoch, per-partition leader epochs, topic ids, becoming
// leader or follower) is ReplicaManager.becomeLeaderOrFollower. Responses: v0-v4 partition errors
// by topic name, v5+ grouped by topic id.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { LeaderAndIsrRequest } from '../../protocol/messages/generated/LeaderAndIsrRequest';
import type { LeaderAndIsrResponseInit } from '../../protocol/messages/generated/LeaderAndIsrResponse';
import { leaderAndIsrErrorResponse } from '../../replication/control-requests';
import { getLogger } from '../../utils/logger';
import type { ApiHandler } from '../api-handler';
import type { ReplicaManager } from '../replica-manager';

export function leaderAndIsrHandler(
  replicas: ReplicaManager,
  brokerEpoch: () => number,
): ApiHandler<LeaderAndIsrRequest, LeaderAndIsrResponseInit> {
  const log = getLogger('kafka.server.KafkaApis');
  return {
    apiKey: ApiKey.LeaderAndIsr,
    minVersion: 0,
    maxVersion: 7,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const current = brokerEpoch();
      if (req.brokerEpoch !== -1n && req.brokerEpoch < BigInt(current)) {
        log.info(
          `Received LeaderAndIsr request with broker epoch ${req.brokerEpoch} smaller than the current broker epoch ${current} from controller ${req.controllerId} with epoch ${req.controllerEpoch}.`,
        );
        return leaderAndIsrErrorResponse(req, v, ErrorCode.STALE_BROKER_EPOCH);
      }
      return replicas.becomeLeaderOrFollower(req, v, ctx.header.correlationId);
    },
  };
}
