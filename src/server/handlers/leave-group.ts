// LeaveGroup (key 13), v0-v5.
// v0-v2 remove one member (member_id) and answer with one error code; v3+ batch `members`
// (member_id, group_instance_id; reason v5+) with a result per member. An empty member id with an
// instance id removes that static member (admin removal). A missing group answers NONE with
// UNKNOWN_MEMBER_ID per member (v0-v2: UNKNOWN_MEMBER_ID).

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { LeaveGroupRequest } from '../../protocol/messages/generated/LeaveGroupRequest';
import type { LeaveGroupResponseInit } from '../../protocol/messages/generated/LeaveGroupResponse';
import type { ApiHandler } from '../api-handler';

export function leaveGroupHandler(
  coordinator: GroupCoordinator,
): ApiHandler<LeaveGroupRequest, LeaveGroupResponseInit> {
  return {
    apiKey: ApiKey.LeaveGroup,
    minVersion: 0,
    maxVersion: 5,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const members =
        v >= 3
          ? req.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              reason: v >= 5 ? m.reason : null,
            }))
          : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
      const r = coordinator.handleLeaveGroup(req.groupId, members);
      if (v < 3) {
        const errorCode =
          r.topLevelError !== ErrorCode.NONE ? r.topLevelError : (r.members[0]?.error ?? ErrorCode.NONE);
        return { throttleTimeMs: 0, errorCode };
      }
      return {
        throttleTimeMs: 0,
        errorCode: r.topLevelError,
        members: r.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: m.error,
        })),
      };
    },
  };
}
