// Heartbeat (key 12), v0-v4.
// Keeps a member's session alive. Errors: UNKNOWN_MEMBER_ID (no such group/member, or Empty),
// FENCED_INSTANCE_ID (v3+ static member replaced), ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS
// (the member must rejoin; the session is still refreshed), the coordinator errors; NONE while the
// coordinator is still loading the group.

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ApiKey } from '../../protocol/messages/generated';
import type { HeartbeatRequest } from '../../protocol/messages/generated/HeartbeatRequest';
import type { HeartbeatResponseInit } from '../../protocol/messages/generated/HeartbeatResponse';
import type { ApiHandler } from '../api-handler';

export function heartbeatHandler(
  coordinator: GroupCoordinator,
): ApiHandler<HeartbeatRequest, HeartbeatResponseInit> {
  return {
    apiKey: ApiKey.Heartbeat,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const errorCode = coordinator.handleHeartbeat(
        req.groupId,
        req.memberId,
        ctx.apiVersion >= 3 ? req.groupInstanceId : null,
        req.generationId,
      );
      return { throttleTimeMs: 0, errorCode };
    },
  };
}
