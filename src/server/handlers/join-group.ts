// JoinGroup (key 11), v0-v9.
// v0 has no rebalance timeout (the session timeout is used); v4+ without a group instance id gets
// MEMBER_ID_REQUIRED with a fresh member id first (KIP-394) and must rejoin with it; v5+ static
// membership (group_instance_id); v7+ protocol_type in the response and a nullable protocol name
// (an empty name goes out as null, and as "" before v7); v8+ reason; v9+ skip_assignment for a
// static leader rejoining a Stable group. Only the leader gets the member list. The response is
// sent when the join phase completes (GroupCoordinator.handleJoinGroup).

import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { clientHostOf } from '../../coordinator/group/request-context';
import { ApiKey } from '../../protocol/messages/generated';
import type { JoinGroupRequest } from '../../protocol/messages/generated/JoinGroupRequest';
import type { JoinGroupResponseInit } from '../../protocol/messages/generated/JoinGroupResponse';
import type { ApiHandler } from '../api-handler';

export function joinGroupHandler(
  coordinator: GroupCoordinator,
): ApiHandler<JoinGroupRequest, JoinGroupResponseInit> {
  return {
    apiKey: ApiKey.JoinGroup,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const r = await coordinator.joinGroup({
        groupId: req.groupId,
        memberId: req.memberId,
        groupInstanceId: v >= 5 ? req.groupInstanceId : null,
        requireKnownMemberId: v >= 4 && (v < 5 || req.groupInstanceId === null),
        supportSkippingAssignment: v >= 9,
        clientId: ctx.clientId,
        clientHost: clientHostOf(ctx),
        rebalanceTimeoutMs: v === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
        sessionTimeoutMs: req.sessionTimeoutMs,
        protocolType: req.protocolType,
        protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
        reason: v >= 8 ? req.reason : null,
      });
      const name = r.protocolName;
      return {
        throttleTimeMs: 0,
        errorCode: r.error,
        generationId: r.generationId,
        protocolType: r.protocolType,
        protocolName: v >= 7 ? (name === '' ? null : name) : (name ?? ''),
        leader: r.leaderId,
        skipAssignment: r.skipAssignment,
        memberId: r.memberId,
        members: r.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: m.metadata,
        })),
      };
    },
  };
}
