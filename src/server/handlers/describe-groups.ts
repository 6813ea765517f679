// DescribeGroups (key 15), v0-v5.
// Per group: error (coordinator errors; an unknown group is NONE with state "Dead"), state name,
// protocol type, protocol (only when Stable), members (client id, "/<ip>" host; metadata and
// assignment only when Stable; group_instance_id v4+). v3+ include_authorized_operations: without
// an authorizer every GROUP operation (READ, DELETE, DESCRIBE = 328), else Integer.MIN_VALUE.

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DescribeGroupsRequest } from '../../protocol/messages/generated/DescribeGroupsRequest';
import type { DescribeGroupsResponseInit } from '../../protocol/messages/generated/DescribeGroupsResponse';
import type { ApiHandler } from '../api-handler';

/** READ(3), DELETE(6), DESCRIBE(8) as an AclOperation bit field. */
export const GROUP_ALL_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const NOT_REQUESTED = -2147483648;

export function describeGroupsHandler(
  coordinator: GroupCoordinator,
): ApiHandler<DescribeGroupsRequest, DescribeGroupsResponseInit> {
  return {
    apiKey: ApiKey.DescribeGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(req, ctx) {
      const includeOps = ctx.apiVersion >= 3 && req.includeAuthorizedOperations;
      return {
        throttleTimeMs: 0,
        groups: req.groups.map((groupId) => {
          const { error, summary } = coordinator.handleDescribeGroup(groupId);
          return {
            errorCode: error,
            groupId,
            groupState: summary.state,
            protocolType: summary.protocolType,
            protocolData: summary.protocol,
            members: summary.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.metadata,
              memberAssignment: m.assignment,
            })),
            authorizedOperations:
              includeOps && error === ErrorCode.NONE ? GROUP_ALL_OPERATIONS : NOT_REQUESTED,
          };
        }),
      };
    },
  };
}
