// The classic group coordinator (Kafka 3.9's kafka.coordinator.group.GroupCoordinator, the one a
// ZooKeeper-mode broker runs): JoinGroup (KIP-394 member ids, static membership), SyncGroup,
// Heartbeat, LeaveGroup, offset commits and fetches, DescribeGroups, ListGroups, DeleteGroups and
// OffsetDelete, with Kafka's validation order and error codes. Kafka's delayed operations become
// timers: the join phase (rebalance timeout, or group.initial.rebalance.delay.ms for an Empty
// group, extended while new members keep arriving), the sync phase (rebalance timeout), member
// session expiry (session timeout; 5 minutes for a new member's first join) and pending member id
// expiry. Responses to parked requests are callbacks, resolved when the phase completes.

import { ErrorCode } from '../../protocol/errors';
import { getLogger, Logger } from '../../utils/logger';
import {
  GroupMetadata,
  GroupState,
  joinError,
  JoinGroupResult,
  MemberMetadata,
  OffsetAndMetadata,
  Protocol,
  syncError,
  SyncGroupResult,
  TopicPartition,
} from './group-metadata';
import { FetchedOffset, GroupMetadataManager } from './group-metadata-manager';
import { GROUP_METADATA_TOPIC_NAME } from './partitioner';

/** A new member's first JoinGroup may wait this long before its member is dropped (Kafka's constant). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export interface GroupConfig {
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  groupInitialRebalanceDelayMs: number;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  /** JoinGroup v4+ without an instance id (KIP-394). */
  requireKnownMemberId: boolean;
  /** JoinGroup v9+ (KIP-814). */
  supportSkippingAssignment: boolean;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  reason: string | null;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  protocolType: string | null;
  protocolName: string | null;
  groupInstanceId: string | null;
  assignments: Map<string, Buffer>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResult {
  topLevelError: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; error: number }>;
}

export interface GroupSummary {
  state: string;
  protocolType: string;
  protocol: string;
  members: ReturnType<GroupMetadata['summary']>['members'];
}

type Api =
  | 'JoinGroup'
  | 'SyncGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'OffsetCommit'
  | 'OffsetFetch'
  | 'DescribeGroups'
  | 'DeleteGroups'
  | 'OffsetDelete'
  | 'TxnOffsetCommit';

const EMPTY = Buffer.alloc(0);

export class GroupCoordinator {
  private readonly log: Logger;
  private active = false;

  constructor(
    private readonly brokerId: number,
    private readonly groupConfig: GroupConfig,
    readonly groupManager: GroupMetadataManager,
  ) {
    this.log = getLogger('kafka.coordinator.group.GroupCoordinator', `[GroupCoordinator ${brokerId}]:`);
  }

  get isActive(): boolean {
    return this.active;
  }

  startup(): void {
    this.log.info('Starting up.');
    this.active = true;
    this.log.info('Startup complete.');
  }

  shutdown(): void {
    this.log.info('Shutting down.');
    this.active = false;
    this.groupManager.shutdown();
    for (const g of this.groupManager.currentGroups()) this.onGroupUnloaded(g);
    this.log.info('Shutdown complete.');
  }

  partitionFor(groupId: string): number {
    return this.groupManager.partitionFor(groupId);
  }

  // ---- common validation -----------------------------------------------------------------

  private isValidGroupId(groupId: string, api: Api): boolean {
    // Offset APIs, DescribeGroups and DeleteGroups accept "" for backwards compatibility.
    if (api === 'OffsetCommit' || api === 'OffsetFetch' || api === 'DescribeGroups' || api === 'DeleteGroups')
      return groupId !== null;
    return groupId !== null && groupId !== '';
  }

  /** INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR or null. */
  validateGroupStatus(groupId: string, api: Api): number | null {
    if (!this.isValidGroupId(groupId, api)) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.groupManager.isGroupLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.groupManager.isGroupLocal(groupId)) return ErrorCode.NOT_COORDINATOR;
    return null;
  }

  /** The instance id must map to this member id (FENCED_INSTANCE_ID otherwise); the member must exist. */
  private validateCurrentMember(
    group: GroupMetadata,
    memberId: string,
    groupInstanceId: string | null,
    operation: string,
  ): number | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === null) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) {
        this.log.info(
          `Request memberId=${memberId} for static member with groupInstanceId=${groupInstanceId} is fenced by current memberId=${current} during operation ${operation}`,
        );
        return ErrorCode.FENCED_INSTANCE_ID;
      }
      return null;
    }
    return group.has(memberId) ? null : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  // ---- JoinGroup -------------------------------------------------------------------------

  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.currentState) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (
          (group.has(memberId) && group.get(memberId).isAwaitingJoin) ||
          group.numAwaiting < this.groupConfig.groupMaxSize
        );
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.groupConfig.groupMaxSize;
    }
  }

  joinGroup(p: JoinGroupParams): Promise<JoinGroupResult> {
    return new Promise((resolve) => this.handleJoinGroup(p, resolve));
  }

  handleJoinGroup(p: JoinGroupParams, callback: (r: JoinGroupResult) => void): void {
    const statusError = this.validateGroupStatus(p.groupId, 'JoinGroup');
    if (statusError !== null) return callback(joinError(p.memberId, statusError));
    if (
      p.sessionTimeoutMs < this.groupConfig.groupMinSessionTimeoutMs ||
      p.sessionTimeoutMs > this.groupConfig.groupMaxSessionTimeoutMs
    )
      return callback(joinError(p.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    const isUnknownMember = p.memberId === '';
    // The group is created only for a member without an id; a known id for a missing group is rejected.
    const group = this.groupManager.getOrMaybeCreateGroup(p.groupId, isUnknownMember);
    if (!group) return callback(joinError(p.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    const reason = p.reason ?? 'not provided';
    if (!this.acceptJoiningMember(group, p.memberId)) {
      group.remove(p.memberId);
      callback(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, p, reason, callback);
    } else {
      this.doCurrentMemberJoinGroup(group, p, reason, callback);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  private doNewMemberJoinGroup(
    group: GroupMetadata,
    p: JoinGroupParams,
    reason: string,
    callback: (r: JoinGroupResult) => void,
  ): void {
    if (group.is('Dead')) {
      // The group just moved away (or is being deleted): the member should find its coordinator again.
      return callback(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name))))
      return callback(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    const newMemberId = group.generateMemberId(p.clientId, p.groupInstanceId);
    if (p.groupInstanceId !== null) {
      const oldMemberId = group.currentStaticMemberId(p.groupInstanceId);
      if (oldMemberId !== null) {
        this.log.info(
          `Static member with groupInstanceId=${p.groupInstanceId} and unknown member id joins group ${group.groupId} in ${group.currentState} state. Replacing previously mapped member ${oldMemberId} with this groupInstanceId.`,
        );
        this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, p, reason, callback);
      } else {
        this.log.info(
          `Static member with groupInstanceId=${p.groupInstanceId} and unknown member id joins group ${group.groupId} in ${group.currentState} state. Created a new member id ${newMemberId} for this member and add to the group.`,
        );
        this.addMemberAndRebalance(group, newMemberId, p, reason, callback);
      }
    } else if (p.requireKnownMemberId) {
      // KIP-394: hand out the id and wait for the member to come back with it.
      this.log.info(
        `Dynamic member with unknown member id joins group ${group.groupId} in ${group.currentState} state. Created a new member id ${newMemberId} and request the member to rejoin with this id.`,
      );
      group.addPendingMember(newMemberId);
      this.addPendingMemberExpiration(group, newMemberId, p.sessionTimeoutMs);
      callback(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    } else {
      this.log.info(
        `Dynamic Member with unknown member id joins group ${group.groupId} in ${group.currentState} state. Created a new member id ${newMemberId} for this member and add to the group.`,
      );
      this.addMemberAndRebalance(group, newMemberId, p, reason, callback);
    }
  }

  private doCurrentMemberJoinGroup(
    group: GroupMetadata,
    p: JoinGroupParams,
    reason: string,
    callback: (r: JoinGroupResult) => void,
  ): void {
    const memberId = p.memberId;
    if (group.is('Dead')) return callback(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(p.protocolType, new Set(p.protocols.map((x) => x.name))))
      return callback(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    if (group.isPendingMember(memberId)) {
      if (p.groupInstanceId !== null) {
        // Pending member ids are only handed to dynamic members (Kafka throws IllegalStateException).
        this.log.error(
          `Received unexpected JoinGroup with groupInstanceId=${p.groupInstanceId} for pending member with memberId=${memberId}`,
        );
        return callback(joinError(memberId, ErrorCode.UNKNOWN_SERVER_ERROR));
      }
      this.log.info(
        `Pending dynamic member with id ${memberId} joins group ${group.groupId} in ${group.currentState} state. Adding to the group now.`,
      );
      return this.addMemberAndRebalance(group, memberId, p, reason, callback);
    }
    const memberError = this.validateCurrentMember(group, memberId, p.groupInstanceId, 'join-group');
    if (memberError !== null) return callback(joinError(memberId, memberError));
    const member = group.get(memberId);
    const current = (leaderMembers: boolean): JoinGroupResult => ({
      members: leaderMembers && group.isLeader(memberId) ? group.currentMemberMetadata() : [],
      memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leaderId: group.leaderOrNull ?? '',
      skipAssignment: false,
      error: ErrorCode.NONE,
    });
    switch (group.currentState) {
      case 'PreparingRebalance':
        this.updateMemberAndRebalance(
          group,
          member,
          p,
          `Member ${member.memberId} joining group during ${group.currentState}; client reason: ${reason}`,
          callback,
        );
        return;
      case 'CompletingRebalance':
        if (member.matches(p.protocols)) {
          // Same metadata (it probably missed the JoinGroup response): the current generation again.
          callback(current(true));
        } else {
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Updating metadata for member ${member.memberId} during ${group.currentState}; client reason: ${reason}`,
            callback,
          );
        }
        return;
      case 'Stable':
        if (group.isLeader(memberId)) {
          // The leader rejoining forces a rebalance (e.g. topic metadata changed for its assignor).
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Leader ${member.memberId} re-joining group during ${group.currentState}; client reason: ${reason}`,
            callback,
          );
        } else if (!member.matches(p.protocols)) {
          this.updateMemberAndRebalance(
            group,
            member,
            p,
            `Updating metadata for member ${member.memberId} during ${group.currentState}; client reason: ${reason}`,
            callback,
          );
        } else {
          callback(current(false));
        }
        return;
      case 'Empty':
      case 'Dead':
        this.log.warn(
          `Attempt to add rejoining member ${memberId} of group ${group.groupId} in unexpected group state ${group.currentState}`,
        );
        callback(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        return;
    }
  }

  private addMemberAndRebalance(
    group: GroupMetadata,
    memberId: string,
    p: JoinGroupParams,
    reason: string,
    callback: (r: JoinGroupResult) => void,
  ): void {
    const member = new MemberMetadata(
      memberId,
      p.groupInstanceId,
      p.clientId,
      p.clientHost,
      p.rebalanceTimeoutMs,
      p.sessionTimeoutMs,
      p.protocolType,
      p.protocols,
    );
    member.isNew = true;
    // While the first generation forms, each new member extends the initial rebalance delay.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, callback);
    this.clearPendingMemberExpiration(group, memberId);
    // A new member cannot heartbeat until it has joined: its JoinGroup is bounded instead.
    this.completeAndScheduleNextExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(
      group,
      `Adding new member ${memberId} with group instance id ${p.groupInstanceId === null ? 'None' : `Some(${p.groupInstanceId})`}; client reason: ${reason}`,
    );
  }

  private updateStaticMemberAndRebalance(
    group: GroupMetadata,
    oldMemberId: string,
    newMemberId: string,
    p: JoinGroupParams,
    reason: string,
    callback: (r: JoinGroupResult) => void,
  ): void {
    const groupInstanceId = p.groupInstanceId as string;
    const currentLeader = group.leaderOrNull;
    const member = group.replaceStaticMember(groupInstanceId, oldMemberId, newMemberId);
    // The old id's session timer dies with it; the new id gets a fresh one.
    this.completeAndScheduleNextHeartbeatExpiration(group, member);
    const oldRebalanceTimeoutMs = member.rebalanceTimeoutMs;
    const oldSessionTimeoutMs = member.sessionTimeoutMs;
    const oldProtocols = member.supportedProtocols;
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, callback);
    switch (group.currentState) {
      case 'Stable': {
        // No rebalance unless the group's protocol would change: persist the new member id only.
        const selected = group.selectProtocol();
        if (group.protocolName === selected) {
          this.log.info(
            `Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance.`,
          );
          const assignment = new Map(group.allMemberMetadata().map((m) => [m.memberId, m.assignment]));
          this.groupManager.storeGroup(group, assignment, (error) => {
            if (error !== ErrorCode.NONE) {
              this.log.warn(`Failed to persist metadata for group ${group.groupId}: ${error}`);
              // Revert: the old member id stays in place.
              group.updateMember(member, oldProtocols, oldRebalanceTimeoutMs, oldSessionTimeoutMs, null);
              const oldMember = group.replaceStaticMember(groupInstanceId, newMemberId, oldMemberId);
              this.completeAndScheduleNextHeartbeatExpiration(group, oldMember);
              callback({
                members: [],
                memberId: '',
                generationId: group.generationId,
                protocolType: group.protocolType,
                protocolName: group.protocolName,
                leaderId: currentLeader ?? '',
                skipAssignment: false,
                error,
              });
            } else if (p.supportSkippingAssignment) {
              // v9+: the leader learns it leads, but must not run the assignor (KIP-814).
              const isLeader = group.isLeader(newMemberId);
              group.maybeInvokeJoinCallback(member, {
                members: isLeader ? group.currentMemberMetadata() : [],
                memberId: newMemberId,
                generationId: group.generationId,
                protocolType: group.protocolType,
                protocolName: group.protocolName,
                leaderId: group.leaderOrNull ?? '',
                skipAssignment: isLeader,
                error: ErrorCode.NONE,
              });
            } else {
              // Before v9 the old leader id is returned so the new id never acts as leader.
              group.maybeInvokeJoinCallback(member, {
                members: [],
                memberId: newMemberId,
                generationId: group.generationId,
                protocolType: group.protocolType,
                protocolName: group.protocolName,
                leaderId: currentLeader ?? '',
                skipAssignment: false,
                error: ErrorCode.NONE,
              });
            }
          });
        } else {
          this.maybePrepareRebalance(
            group,
            `Group's selectedProtocol will change because static member ${member.memberId} with instance id ${groupInstanceId} joined with change of protocol; client reason: ${reason}`,
          );
        }
        return;
      }
      case 'CompletingRebalance':
        // The leader may already be assigning the old member id: start over.
        this.prepareRebalance(
          group,
          `Updating metadata for static member ${member.memberId} with instance id ${groupInstanceId}; client reason: ${reason}`,
        );
        return;
      case 'PreparingRebalance':
        return;
      case 'Empty':
      case 'Dead':
        this.log.error(
          `Group ${group.groupId} was not supposed to be in the state ${group.currentState} when the unknown static member ${groupInstanceId} rejoins.`,
        );
        group.maybeInvokeJoinCallback(member, joinError(newMemberId, ErrorCode.UNKNOWN_SERVER_ERROR));
        return;
    }
  }

  private updateMemberAndRebalance(
    group: GroupMetadata,
    member: MemberMetadata,
    p: JoinGroupParams,
    reason: string,
    callback: (r: JoinGroupResult) => void,
  ): void {
    group.updateMember(member, p.protocols, p.rebalanceTimeoutMs, p.sessionTimeoutMs, callback);
    this.maybePrepareRebalance(group, reason);
  }

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
  }

  prepareRebalance(group: GroupMetadata, reason: string): void {
    // Members waiting for their assignment must rejoin.
    if (group.is('CompletingRebalance'))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is('Empty');
    const rebalanceTimeout = group.rebalanceTimeoutMs;
    group.transitionTo('PreparingRebalance');
    this.log.info(
      `Preparing to rebalance group ${group.groupId} in state ${group.currentState} with old generation ${group.generationId} (${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)}) (reason: ${reason})`,
    );
    if (wasEmpty) {
      const delay = this.groupConfig.groupInitialRebalanceDelayMs;
      this.scheduleJoin(group, {
        kind: 'initial',
        configuredDelay: delay,
        delay,
        remaining: Math.max(rebalanceTimeout - delay, 0),
      });
    } else {
      this.scheduleJoin(group, { kind: 'join', delay: rebalanceTimeout });
      this.tryCompleteJoin(group);
    }
  }

  private scheduleJoin(
    group: GroupMetadata,
    op:
      | { kind: 'join'; delay: number }
      | { kind: 'initial'; configuredDelay: number; delay: number; remaining: number },
  ): void {
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinOp = { kind: op.kind };
    const timer = setTimeout(() => {
      if (group.joinTimer !== timer) return;
      group.joinTimer = null;
      group.joinOp = null;
      this.onJoinTimer(group, op);
    }, op.delay);
    group.joinTimer = timer;
  }

  private onJoinTimer(
    group: GroupMetadata,
    op:
      | { kind: 'join'; delay: number }
      | { kind: 'initial'; configuredDelay: number; delay: number; remaining: number },
  ): void {
    if (op.kind === 'initial' && group.newMemberAdded && op.remaining !== 0) {
      // More members joined during the delay: wait another delay, within the rebalance timeout.
      group.newMemberAdded = false;
      const delay = Math.min(op.configuredDelay, op.remaining);
      const remaining = Math.max(op.remaining - op.delay, 0);
      this.scheduleJoin(group, { kind: 'initial', configuredDelay: op.configuredDelay, delay, remaining });
      return;
    }
    this.onCompleteJoin(group);
  }

  /** Kafka's DelayedJoin.tryComplete: the join phase ends once every member has rejoined. */
  private tryCompleteJoin(group: GroupMetadata): void {
    if (group.joinOp?.kind !== 'join' || !group.hasAllMembersJoined()) return;
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    group.joinOp = null;
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: GroupMetadata): void {
    const notYetRejoinedDynamic = group.notYetRejoinedMembers().filter((m) => !m.isStaticMember);
    if (notYetRejoinedDynamic.length > 0) {
      this.log.info(
        `Group ${group.groupId} removed dynamic members who haven't joined: ${notYetRejoinedDynamic.map((m) => m.memberId).join(',')}`,
      );
      for (const m of notYetRejoinedDynamic) {
        group.remove(m.memberId);
        this.removeHeartbeatForLeavingMember(m);
      }
    }
    if (group.is('Dead')) {
      this.log.info(`Group ${group.groupId} is dead, skipping rebalance stage`);
    } else if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined: wait another rebalance timeout for session expiry to clear the members.
      this.log.error(`Group ${group.groupId} could not complete rebalance because no members rejoined`);
      this.scheduleJoin(group, { kind: 'join', delay: group.rebalanceTimeoutMs });
      this.tryCompleteJoin(group);
    } else {
      group.initNextGeneration();
      if (group.is('Empty')) {
        this.log.info(
          `Group ${group.groupId} with generation ${group.generationId} is now empty (${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)})`,
        );
        this.groupManager.storeGroup(group, new Map(), (error) => {
          // Not fatal: the previous generation may reappear after a failover and then time out.
          if (error !== ErrorCode.NONE)
            this.log.warn(`Failed to write empty metadata for group ${group.groupId}: ${error}`);
        });
      } else {
        this.log.info(
          `Stabilized group ${group.groupId} generation ${group.generationId} (${GROUP_METADATA_TOPIC_NAME}-${this.partitionFor(group.groupId)}) with ${group.size} members`,
        );
        for (const member of group.allMemberMetadata()) {
          group.maybeInvokeJoinCallback(member, {
            members: group.isLeader(member.memberId) ? group.currentMemberMetadata() : [],
            memberId: member.memberId,
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leaderId: group.leaderOrNull ?? '',
            skipAssignment: false,
            error: ErrorCode.NONE,
          });
          this.completeAndScheduleNextHeartbeatExpiration(group, member);
          member.isNew = false;
          group.addPendingSyncMember(member.memberId);
        }
        this.schedulePendingSync(group);
      }
    }
  }

  // ---- sync phase timer (DelayedSync) -------------------------------------------------------

  private schedulePendingSync(group: GroupMetadata): void {
    if (group.syncTimer) clearTimeout(group.syncTimer);
    const generationId = group.generationId;
    const timer = setTimeout(() => {
      if (group.syncTimer !== timer) return;
      group.syncTimer = null;
      this.onExpirePendingSync(group, generationId);
    }, group.rebalanceTimeoutMs);
    group.syncTimer = timer;
  }

  private maybeCompleteSyncExpiration(group: GroupMetadata): void {
    if (!group.syncTimer) return;
    const done =
      group.is('Dead') ||
      group.is('Empty') ||
      group.is('PreparingRebalance') ||
      group.hasReceivedSyncFromAllMembers();
    if (done) {
      clearTimeout(group.syncTimer);
      group.syncTimer = null;
    }
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.removePendingSyncMember(memberId);
    this.maybeCompleteSyncExpiration(group);
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.clearPendingSyncMembers();
    this.maybeCompleteSyncExpiration(group);
  }

  private onExpirePendingSync(group: GroupMetadata, generationId: number): void {
    if (generationId !== group.generationId) {
      this.log.error(
        `Received unexpected notification of sync expiration for ${group.groupId} with an old generation ${generationId} while the group has ${group.generationId}.`,
      );
      return;
    }
    if (group.is('Dead') || group.is('Empty') || group.is('PreparingRebalance')) {
      this.log.error(
        `Received unexpected notification of sync expiration after group ${group.groupId} already transitioned to the ${group.currentState} state.`,
      );
      return;
    }
    if (group.hasReceivedSyncFromAllMembers()) return;
    const pending = group.allPendingSyncMembers();
    for (const memberId of pending) {
      const m = group.has(memberId) ? group.get(memberId) : null;
      group.remove(memberId);
      if (m) this.removeHeartbeatForLeavingMember(m);
    }
    this.log.debug(
      `Group ${group.groupId} removed members who haven't sent their sync request: ${pending.join(',')}`,
    );
    this.prepareRebalance(group, `Removing ${pending.join(',')} on pending sync request expiration`);
  }

  // ---- member session timers (DelayedHeartbeat) -------------------------------------------

  private completeAndScheduleNextHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata): void {
    this.completeAndScheduleNextExpiration(group, member, member.sessionTimeoutMs);
  }

  private completeAndScheduleNextExpiration(
    group: GroupMetadata,
    member: MemberMetadata,
    timeoutMs: number,
  ): void {
    if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer);
    member.heartbeatSatisfied = false;
    const timer = setTimeout(() => {
      if (member.heartbeatTimer !== timer) return;
      member.heartbeatTimer = null;
      this.onExpireHeartbeat(group, member);
    }, timeoutMs);
    member.heartbeatTimer = timer;
  }

  private removeHeartbeatForLeavingMember(member: MemberMetadata): void {
    if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  private onExpireHeartbeat(group: GroupMetadata, member: MemberMetadata): void {
    if (group.is('Dead')) {
      this.log.info(
        `Received notification of heartbeat expiration for member ${member.memberId} after group ${group.groupId} had already been unloaded or deleted.`,
      );
      return;
    }
    if (!group.has(member.memberId) || group.get(member.memberId) !== member) {
      this.log.debug(`Member ${member.memberId} has already been removed from the group.`);
      return;
    }
    if (!member.hasSatisfiedHeartbeat()) {
      this.log.info(
        `Member ${member.memberId} in group ${group.groupId} has failed, removing it from the group`,
      );
      this.removeMemberAndUpdateGroup(
        group,
        member,
        `removing member ${member.memberId} on heartbeat expiration`,
      );
    }
  }

  private addPendingMemberExpiration(group: GroupMetadata, memberId: string, timeoutMs: number): void {
    this.clearPendingMemberExpiration(group, memberId);
    const timer = setTimeout(() => {
      if (group.pendingMemberTimers.get(memberId) !== timer) return;
      group.pendingMemberTimers.delete(memberId);
      if (group.is('Dead') || !group.isPendingMember(memberId)) return;
      this.log.info(
        `Pending member ${memberId} in group ${group.groupId} has been removed after session timeout expiration.`,
      );
      this.removePendingMemberAndUpdateGroup(group, memberId);
    }, timeoutMs);
    group.pendingMemberTimers.set(memberId, timer);
  }

  private clearPendingMemberExpiration(group: GroupMetadata, memberId: string): void {
    const t = group.pendingMemberTimers.get(memberId);
    if (t) clearTimeout(t);
    group.pendingMemberTimers.delete(memberId);
  }

  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string): void {
    // A member dropped while its JoinGroup is parked gets UNKNOWN_MEMBER_ID and rejoins if it is alive.
    group.maybeInvokeJoinCallback(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.maybeInvokeSyncCallback(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.removeHeartbeatForLeavingMember(member);
    switch (group.currentState) {
      case 'Dead':
      case 'Empty':
        return;
      case 'Stable':
      case 'CompletingRebalance':
        this.maybePrepareRebalance(group, reason);
        return;
      case 'PreparingRebalance':
        this.tryCompleteJoin(group);
        return;
    }
  }

  private removePendingMemberAndUpdateGroup(group: GroupMetadata, memberId: string): void {
    group.remove(memberId);
    this.clearPendingMemberExpiration(group, memberId);
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  // ---- SyncGroup -------------------------------------------------------------------------

  syncGroup(p: SyncGroupParams): Promise<SyncGroupResult> {
    return new Promise((resolve) => this.handleSyncGroup(p, resolve));
  }

  handleSyncGroup(p: SyncGroupParams, callback: (r: SyncGroupResult) => void): void {
    const statusError = this.validateGroupStatus(p.groupId, 'SyncGroup');
    // While loading, the rebalance state is lost: REBALANCE_IN_PROGRESS makes the member rejoin
    // without looking for its coordinator again (older clients do not expect LOAD_IN_PROGRESS here).
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
      return callback(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (statusError !== null) return callback(syncError(statusError));
    const group = this.groupManager.getGroup(p.groupId);
    if (!group) return callback(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.doSyncGroup(group, p, callback);
  }

  private validateSyncGroup(group: GroupMetadata, p: SyncGroupParams): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, p.memberId, p.groupInstanceId, 'sync-group');
    if (memberError !== null) return memberError;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (p.protocolType !== null && group.protocolType !== p.protocolType)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (p.protocolName !== null && group.protocolName !== p.protocolName)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    return null;
  }

  private doSyncGroup(
    group: GroupMetadata,
    p: SyncGroupParams,
    callback: (r: SyncGroupResult) => void,
  ): void {
    const error = this.validateSyncGroup(group, p);
    if (error !== null) return callback(syncError(error));
    switch (group.currentState) {
      case 'Empty':
        return callback(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return callback(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        const member = group.get(p.memberId);
        // A retried SyncGroup replaces the parked one (the client gave up on it).
        if (member.awaitingSync) member.awaitingSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = callback;
        this.removePendingSyncMember(group, p.memberId);
        if (group.isLeader(p.memberId)) {
          this.log.info(
            `Assignment received from leader ${p.memberId} for group ${group.groupId} for generation ${group.generationId}. The group has ${group.size} members, ${group.allStaticMembers().length} of which are static.`,
          );
          // Members the leader left out get an empty assignment.
          const assignment = new Map<string, Buffer>();
          const missing: string[] = [];
          for (const id of group.allMembers()) {
            const a = p.assignments.get(id);
            if (a === undefined) missing.push(id);
            assignment.set(id, a === undefined ? EMPTY : Buffer.from(a));
          }
          if (missing.length > 0)
            this.log.warn(
              `Setting empty assignments for members ${missing.join(',')} of ${group.groupId} for generation ${group.generationId}`,
            );
          const generationId = group.generationId;
          this.groupManager.storeGroup(group, assignment, (storeError) => {
            // Another rebalance may have started meanwhile: then this result is stale.
            if (!group.is('CompletingRebalance') || generationId !== group.generationId) return;
            if (storeError !== ErrorCode.NONE) {
              this.resetAndPropagateAssignmentError(group, storeError);
              this.maybePrepareRebalance(
                group,
                `Error ${storeError} when storing group assignment during SyncGroup (member: ${p.memberId})`,
              );
            } else {
              this.setAndPropagateAssignment(group, assignment);
              group.transitionTo('Stable');
            }
          });
        }
        return;
      }
      case 'Stable': {
        this.removePendingSyncMember(group, p.memberId);
        const member = group.get(p.memberId);
        callback({
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
          error: ErrorCode.NONE,
        });
        this.completeAndScheduleNextHeartbeatExpiration(group, member);
        return;
      }
      case 'Dead':
        return callback(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  private setAndPropagateAssignment(group: GroupMetadata, assignment: Map<string, Buffer>): void {
    for (const m of group.allMemberMetadata()) m.assignment = assignment.get(m.memberId) ?? EMPTY;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, error: number): void {
    for (const m of group.allMemberMetadata()) m.assignment = EMPTY;
    this.propagateAssignment(group, error);
  }

  private propagateAssignment(group: GroupMetadata, error: number): void {
    const ok = error === ErrorCode.NONE;
    for (const member of group.allMemberMetadata()) {
      if (member.assignment.length === 0 && ok)
        this.log.warn(
          `Sending empty assignment to member ${member.memberId} of ${group.groupId} for generation ${group.generationId} with no errors`,
        );
      const answered = group.maybeInvokeSyncCallback(member, {
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: member.assignment,
        error,
      });
      // Sessions restart after the assignment is out: expiries while awaiting it were ignored.
      if (answered) this.completeAndScheduleNextHeartbeatExpiration(group, member);
    }
  }

  // ---- Heartbeat -------------------------------------------------------------------------

  handleHeartbeat(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
  ): number {
    const statusError = this.validateGroupStatus(groupId, 'Heartbeat');
    // Still loading: answer blindly, the member learns of any rebalance later.
    if (statusError === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (statusError !== null) return statusError;
    const group = this.groupManager.getGroup(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const memberError = this.validateCurrentMember(group, memberId, groupInstanceId, 'heartbeat');
    if (memberError !== null) return memberError;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.currentState) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
      case 'Stable':
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        return ErrorCode.REBALANCE_IN_PROGRESS;
      default:
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }

  // ---- LeaveGroup ------------------------------------------------------------------------

  handleLeaveGroup(groupId: string, leaving: MemberIdentity[]): LeaveGroupResult {
    const statusError = this.validateGroupStatus(groupId, 'LeaveGroup');
    if (statusError !== null) return { topLevelError: statusError, members: [] };
    const group = this.groupManager.getGroup(groupId);
    const out = (m: MemberIdentity, error: number) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      error,
    });
    if (!group)
      return {
        topLevelError: ErrorCode.NONE,
        members: leaving.map((m) => out(m, ErrorCode.UNKNOWN_MEMBER_ID)),
      };
    if (group.is('Dead')) return { topLevelError: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const removeCurrent = (memberId: string, reason: string | null) => {
      const member = group.get(memberId);
      const why = reason ?? 'not provided';
      this.removeMemberAndUpdateGroup(
        group,
        member,
        `Removing member ${memberId} on LeaveGroup; client reason: ${why}`,
      );
      this.log.info(
        `Member ${memberId} has left group ${groupId} through explicit \`LeaveGroup\`; client reason: ${why}`,
      );
    };
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const current = m.groupInstanceId === null ? null : group.currentStaticMemberId(m.groupInstanceId);
        if (current === null) return out(m, ErrorCode.UNKNOWN_MEMBER_ID);
        removeCurrent(current, m.reason);
        return out(m, ErrorCode.NONE);
      }
      if (group.isPendingMember(m.memberId)) {
        this.removePendingMemberAndUpdateGroup(group, m.memberId);
        this.log.info(
          `Pending member with memberId=${m.memberId} has left group ${groupId} through explicit \`LeaveGroup\` request`,
        );
        return out(m, ErrorCode.NONE);
      }
      const error = this.validateCurrentMember(group, m.memberId, m.groupInstanceId, 'leave-group');
      if (error !== null) return out(m, error);
      removeCurrent(m.memberId, m.reason);
      return out(m, ErrorCode.NONE);
    });
    return { topLevelError: ErrorCode.NONE, members };
  }

  // ---- offsets ---------------------------------------------------------------------------

  commitOffsets(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    offsets: Array<TopicPartition & { value: OffsetAndMetadata }>,
  ): Promise<Array<TopicPartition & { error: number }>> {
    return new Promise((resolve) =>
      this.handleCommitOffsets(groupId, memberId, groupInstanceId, generationId, offsets, resolve),
    );
  }

  handleCommitOffsets(
    groupId: string,
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    offsets: Array<TopicPartition & { value: OffsetAndMetadata }>,
    callback: (r: Array<TopicPartition & { error: number }>) => void,
  ): void {
    const all = (error: number) =>
      callback(offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })));
    const statusError = this.validateGroupStatus(groupId, 'OffsetCommit');
    if (statusError !== null) return all(statusError);
    let group = this.groupManager.getGroup(groupId);
    if (!group) {
      if (generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      // Not using group management: a "simple" group that only stores offsets.
      this.log.info(`Creating simple consumer group ${groupId} via manual offset commit.`);
      group = this.groupManager.addGroup(new GroupMetadata(groupId, 'Empty'));
    }
    const error = this.validateOffsetCommit(group, generationId, memberId, groupInstanceId);
    if (error !== null) return all(error);
    switch (group.currentState) {
      case 'Empty':
        this.groupManager.storeOffsets(group, offsets, callback);
        return;
      case 'Stable':
      case 'PreparingRebalance':
        // Commits during PreparingRebalance are fine; the heartbeat tells the member to rejoin.
        this.completeAndScheduleNextHeartbeatExpiration(group, group.get(memberId));
        this.groupManager.storeOffsets(group, offsets, callback);
        return;
      case 'CompletingRebalance':
        // A member of the new generation has not got its assignment yet.
        return all(ErrorCode.REBALANCE_IN_PROGRESS);
      default:
        return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  private validateOffsetCommit(
    group: GroupMetadata,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
  ): number | null {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation −1 (admin clients, manual assignment) may commit to an Empty group.
    if (generationId < 0 && group.is('Empty')) return null;
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const memberError = this.validateCurrentMember(group, memberId, groupInstanceId, 'offset-commit');
      if (memberError !== null) return memberError;
      return generationId !== group.generationId ? ErrorCode.ILLEGAL_GENERATION : null;
    }
    // Only members may commit to a group with members.
    if (!group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    return null;
  }

  /** OffsetFetch: a group error, or the offsets (all of the group's when `tps` is null). */
  handleFetchOffsets(
    groupId: string,
    requireStable: boolean,
    tps: TopicPartition[] | null,
  ): { error: number; offsets: FetchedOffset[] } {
    const statusError = this.validateGroupStatus(groupId, 'OffsetFetch');
    if (statusError !== null) return { error: statusError, offsets: [] };
    // Offsets are returned whatever the group state: the group may use Kafka only for storage.
    return { error: ErrorCode.NONE, offsets: this.groupManager.getOffsets(groupId, requireStable, tps) };
  }

  // ---- admin -----------------------------------------------------------------------------

  handleListGroups(
    states: string[],
    types: string[],
  ): { error: number; groups: Array<{ groupId: string; protocolType: string; state: GroupState }> } {
    if (!this.active) return { error: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const error = this.groupManager.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    const wantedStates = new Set(states.map((s) => s.toLowerCase()));
    // Every group of this coordinator is a classic group; any other type filter matches nothing.
    const typeOk = types.length === 0 || types.some((t) => t.toLowerCase() === 'classic');
    const groups = this.groupManager
      .currentGroups()
      .filter((g) => this.groupManager.isGroupLocal(g.groupId))
      .filter((g) => (wantedStates.size === 0 || wantedStates.has(g.currentState.toLowerCase())) && typeOk)
      .map((g) => g.overview());
    return { error, groups };
  }

  handleDescribeGroup(groupId: string): { error: number; summary: GroupSummary } {
    const statusError = this.validateGroupStatus(groupId, 'DescribeGroups');
    if (statusError !== null)
      return { error: statusError, summary: { state: '', protocolType: '', protocol: '', members: [] } };
    const group = this.groupManager.getGroup(groupId);
    if (!group)
      return {
        error: ErrorCode.NONE,
        summary: { state: 'Dead', protocolType: '', protocol: '', members: [] },
      };
    return { error: ErrorCode.NONE, summary: group.summary() };
  }

  async handleDeleteGroups(groupIds: string[]): Promise<Map<string, number>> {
    const errors = new Map<string, number>();
    const eligible: GroupMetadata[] = [];
    for (const groupId of groupIds) {
      const statusError = this.validateGroupStatus(groupId, 'DeleteGroups');
      if (statusError !== null) {
        errors.set(groupId, statusError);
        continue;
      }
      const group = this.groupManager.getGroup(groupId);
      const notFound = () =>
        this.groupManager.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR;
      if (!group) {
        errors.set(groupId, notFound());
        continue;
      }
      switch (group.currentState) {
        case 'Dead':
          errors.set(groupId, notFound());
          break;
        case 'Empty':
          group.transitionTo('Dead');
          eligible.push(group);
          break;
        default:
          errors.set(groupId, ErrorCode.NON_EMPTY_GROUP);
      }
    }
    if (eligible.length > 0) {
      const removed = await this.groupManager.cleanupGroupMetadata(eligible, (g) => g.removeAllOffsets());
      for (const g of eligible) errors.set(g.groupId, ErrorCode.NONE);
      this.log.info(
        `The following groups were deleted: ${eligible.map((g) => g.groupId).join(', ')}. A total of ${removed} offsets were removed.`,
      );
    }
    return errors;
  }

  async handleDeleteOffsets(
    groupId: string,
    tps: TopicPartition[],
  ): Promise<{ error: number; partitions: Array<TopicPartition & { error: number }> }> {
    const statusError = this.validateGroupStatus(groupId, 'OffsetDelete');
    if (statusError !== null) return { error: statusError, partitions: [] };
    const group = this.groupManager.getGroup(groupId);
    const notFound = () =>
      this.groupManager.groupNotExists(groupId) ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.NOT_COORDINATOR;
    if (!group) return { error: notFound(), partitions: [] };
    let eligible: TopicPartition[] = [];
    const partitions: Array<TopicPartition & { error: number }> = [];
    switch (group.currentState) {
      case 'Dead':
        return { error: notFound(), partitions: [] };
      case 'Empty':
        eligible = tps;
        break;
      default:
        if (!group.isConsumerGroup) return { error: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
        for (const tp of tps) {
          if (group.isSubscribedToTopic(tp.topic))
            partitions.push({ ...tp, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
          else eligible.push(tp);
        }
    }
    if (eligible.length > 0) {
      const removed = await this.groupManager.cleanupGroupMetadata([group], (g) => g.removeOffsets(eligible));
      for (const tp of eligible) partitions.push({ ...tp, error: ErrorCode.NONE });
      this.log.info(
        `The following offsets of the group ${groupId} were deleted: ${eligible.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}. A total of ${removed} offsets were removed.`,
      );
    }
    return { error: ErrorCode.NONE, partitions };
  }

  /** Topic partitions that no longer exist lose their offsets in every group. */
  async handleDeletedPartitions(tps: TopicPartition[]): Promise<void> {
    const groups = this.groupManager.currentGroups().filter((g) => this.groupManager.isGroupLocal(g.groupId));
    const removed = await this.groupManager.cleanupGroupMetadata(groups, (g) => g.removeOffsets(tps));
    if (removed > 0)
      this.log.info(
        `Removed ${removed} offsets associated with deleted partitions: ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(', ')}.`,
      );
  }

  // ---- partition leadership -----------------------------------------------------------------

  /** This broker now leads the offsets partition: load its groups (LOAD_IN_PROGRESS meanwhile). */
  onElection(offsetsPartition: number, coordinatorEpoch: number): Promise<void> {
    this.log.info(
      `Elected as the group coordinator for partition ${offsetsPartition} in epoch ${coordinatorEpoch}`,
    );
    return this.groupManager.scheduleLoadGroupAndOffsets(offsetsPartition, coordinatorEpoch, (g) =>
      this.onGroupLoaded(g),
    );
  }

  /** This broker no longer leads it: its groups are unloaded. */
  onResignation(offsetsPartition: number, coordinatorEpoch: number | null): Promise<void> {
    this.log.info(
      `Resigned as the group coordinator for partition ${offsetsPartition} in epoch ${coordinatorEpoch ?? 'None'}`,
    );
    return this.groupManager.scheduleRemoveGroupsForPartition(offsetsPartition, coordinatorEpoch, (g) =>
      this.onGroupUnloaded(g),
    );
  }

  private onGroupLoaded(group: GroupMetadata): void {
    this.log.info(`Loading group metadata for ${group.groupId} with generation ${group.generationId}`);
    if (group.size > this.groupConfig.groupMaxSize)
      this.prepareRebalance(
        group,
        `Freshly-loaded group is over capacity (${this.groupConfig.groupMaxSize}). Rebalancing in order to give a chance for consumers to commit offsets`,
      );
    for (const m of group.allMemberMetadata()) this.completeAndScheduleNextHeartbeatExpiration(group, m);
  }

  private onGroupUnloaded(group: GroupMetadata): void {
    this.log.info(`Unloading group metadata for ${group.groupId} with generation ${group.generationId}`);
    const previous = group.currentState;
    group.transitionTo('Dead');
    for (const m of group.allMemberMetadata()) {
      if (previous === 'PreparingRebalance')
        group.maybeInvokeJoinCallback(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
      else group.maybeInvokeSyncCallback(m, syncError(ErrorCode.NOT_COORDINATOR));
      this.removeHeartbeatForLeavingMember(m);
    }
    if (group.joinTimer) clearTimeout(group.joinTimer);
    group.joinTimer = null;
    group.joinOp = null;
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
    for (const t of group.pendingMemberTimers.values()) clearTimeout(t);
    group.pendingMemberTimers.clear();
    group.clearPendingSyncMembers();
  }
}
