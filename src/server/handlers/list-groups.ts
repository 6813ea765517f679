// ListGroups (key 16), v0-v5.
// The groups this broker coordinates: id, protocol type, state (v4+), type (v5+, always
// "classic"). v4+ states_filter (case-insensitive), v5+ types_filter (only "classic" matches).
// COORDINATOR_LOAD_IN_PROGRESS (with the groups loaded so far) while an offsets partition loads.

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ApiKey } from '../../protocol/messages/generated';
import type { ListGroupsRequest } from '../../protocol/messages/generated/ListGroupsRequest';
import type { ListGroupsResponseInit } from '../../protocol/messages/generated/ListGroupsResponse';
import type { ApiHandler } from '../api-handler';

export function listGroupsHandler(
  coordinator: GroupCoordinator,
): ApiHandler<ListGroupsRequest, ListGroupsResponseInit> {
  return {
    apiKey: ApiKey.ListGroups,
    minVersion: 0,
    maxVersion: 5,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = coordinator.handleListGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        groups: r.groups.map((g) => ({
          groupId: g.groupId,
          protocolType: g.protocolType,
          groupState: g.state,
          groupType: 'classic',
        })),
      };
    },
  };
}
