// DeleteGroups (key 42), v0-v2.
// Deletes Empty groups: they become Dead and tombstones for their offsets (and their metadata, if
// they ever had a generation) go to __consumer_offsets. Groups with members get NON_EMPTY_GROUP,
// unknown ones GROUP_ID_NOT_FOUND; coordinator errors per group.

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DeleteGroupsRequest } from '../../protocol/messages/generated/DeleteGroupsRequest';
import type { DeleteGroupsResponseInit } from '../../protocol/messages/generated/DeleteGroupsResponse';
import type { ApiHandler } from '../api-handler';

export function deleteGroupsHandler(
  coordinator: GroupCoordinator,
): ApiHandler<DeleteGroupsRequest, DeleteGroupsResponseInit> {
  return {
    apiKey: ApiKey.DeleteGroups,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const ids = [...new Set(req.groupsNames)];
      const errors = await coordinator.handleDeleteGroups(ids);
      return {
        throttleTimeMs: 0,
        results: ids.map((groupId) => ({ groupId, errorCode: errors.get(groupId) ?? ErrorCode.NONE })),
      };
    },
  };
}
