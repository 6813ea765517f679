// SyncGroup (key 14), v0-v5.
// Members of the new generation send SyncGroup; the leader's carries the assignment. The leader's
// assignment is stored in __consumer_offsets (GroupMetadataValue) and then every parked member gets
// its own. v3+ group_instance_id; v5+ protocol_type and protocol_name are mandatory (else
// INCONSISTENT_GROUP_PROTOCOL) and checked against the group's, and returned on success.

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { SyncGroupRequest } from '../../protocol/messages/generated/SyncGroupRequest';
import type { SyncGroupResponseInit } from '../../protocol/messages/generated/SyncGroupResponse';
import type { ApiHandler } from '../api-handler';

export function syncGroupHandler(
  coordinator: GroupCoordinator,
): ApiHandler<SyncGroupRequest, SyncGroupResponseInit> {
  return {
    apiKey: ApiKey.SyncGroup,
    minVersion: 0,
    maxVersion: 5,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      if (v >= 5 && (req.protocolType === null || req.protocolName === null))
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
          protocolType: null,
          protocolName: null,
          assignment: Buffer.alloc(0),
        };
      const assignments = new Map<string, Buffer>();
      for (const a of req.assignments) assignments.set(a.memberId, a.assignment);
      const r = await coordinator.syncGroup({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        protocolType: v >= 5 ? req.protocolType : null,
        protocolName: v >= 5 ? req.protocolName : null,
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        assignments,
      });
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        protocolType: r.protocolType,
        protocolName: r.protocolName,
        assignment: r.assignment,
      };
    },
  };
}
