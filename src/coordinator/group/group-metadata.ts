// One classic group's state (Kafka's GroupMetadata + MemberMetadata): the state machine
// Empty → PreparingRebalance → CompletingRebalance → Stable (→ Dead from anywhere), members with
// their protocols, timeouts and parked Join/Sync responses, static members, pending member ids,
// protocol votes, the committed offsets with their commit-record offsets, and in-flight commits.
// Nothing here does I/O or schedules anything; the coordinator drives it.

import { randomUUID } from 'node:crypto';
import { Reader } from '../../protocol/codec/reader';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const GROUP_STATES: readonly GroupState[] = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
];

const VALID_PREVIOUS_STATES: Record<GroupState, readonly GroupState[]> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  Empty: ['PreparingRebalance'],
};

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
  memberId: string;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string;
  skipAssignment: boolean;
  error: number;
}

export interface SyncGroupResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
  error: number;
}

const EMPTY = Buffer.alloc(0);

export function joinError(memberId: string, error: number): JoinGroupResult {
  return {
    members: [],
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: '',
    skipAssignment: false,
    error,
  };
}

export function syncError(error: number): SyncGroupResult {
  return { protocolType: null, protocolName: null, assignment: EMPTY, error };
}

export class MemberMetadata {
  assignment: Buffer = EMPTY;
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  isNew = false;
  heartbeatSatisfied = false;
  /** The session (or new-member join) expiry timer. */
  heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public supportedProtocols: Protocol[],
  ) {}

  get isStaticMember(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /** Members awaiting a Join or Sync response count as alive; new members must heartbeat by joining. */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return this.heartbeatSatisfied;
    if (this.isAwaitingJoin || this.isAwaitingSync) return true;
    return this.heartbeatSatisfied;
  }

  metadata(protocol: string): Buffer {
    const p = this.supportedProtocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`Member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: Protocol[]): boolean {
    if (protocols.length !== this.supportedProtocols.length) return false;
    return protocols.every(
      (p, i) =>
        p.name === this.supportedProtocols[i].name && p.metadata.equals(this.supportedProtocols[i].metadata),
    );
  }

  /** This member's vote: its first-listed protocol among the candidates. */
  vote(candidates: Set<string>): string {
    const p = this.supportedProtocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`Member ${this.memberId} does not support any of the candidate protocols`);
    return p.name;
  }
}

export interface OffsetAndMetadata {
  offset: bigint;
  /** −1 = none. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  expireTimestamp: bigint | null;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

interface CommittedOffset extends TopicPartition {
  /** Offset of the batch holding the commit record in __consumer_offsets (null while unknown). */
  appendedBatchOffset: bigint | null;
  value: OffsetAndMetadata;
}

/** The topics in a ConsumerProtocolSubscription, read with the v0 prefix every version shares. */
export function subscribedTopicsOf(metadata: Buffer): string[] {
  const r = new Reader(metadata);
  r.readInt16(); // version
  return r.readArray(false, () => r.readString(false));
}

export class GroupMetadata {
  private state: GroupState;
  currentStateTimestamp: number | null;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  private leaderId: string | null = null;
  private readonly members = new Map<string, MemberMetadata>();
  private readonly staticMembers = new Map<string, string>();
  private readonly pendingMembers = new Set<string>();
  private numMembersAwaitingJoin = 0;
  private readonly supportedProtocols = new Map<string, number>();
  private readonly offsets = new Map<string, CommittedOffset>();
  private readonly pendingOffsetCommits = new Map<string, OffsetAndMetadata>();
  private readonly pendingSyncMembers = new Set<string>();
  private subscribedTopics: Set<string> | null = null;
  newMemberAdded = false;

  // Delayed operations (Kafka's purgatories), owned by the coordinator.
  joinTimer: NodeJS.Timeout | null = null;
  /** The pending join phase: a DelayedJoin (completes early once all rejoined) or the initial delay. */
  joinOp: { kind: 'join' | 'initial' } | null = null;
  syncTimer: NodeJS.Timeout | null = null;
  readonly pendingMemberTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    readonly groupId: string,
    initialState: GroupState,
    private readonly now: () => number = Date.now,
  ) {
    this.state = initialState;
    this.currentStateTimestamp = now();
  }

  get currentState(): GroupState {
    return this.state;
  }

  is(s: GroupState): boolean {
    return this.state === s;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`no member ${memberId} in group ${this.groupId}`);
    return m;
  }

  get size(): number {
    return this.members.size;
  }

  get numAwaiting(): number {
    return this.numMembersAwaitingJoin;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  get leaderOrNull(): string | null {
    return this.leaderId;
  }

  /** Loading from the log only. */
  setLeader(leaderId: string | null): void {
    this.leaderId = leaderId;
  }

  get currentStateTimestampOrDefault(): bigint {
    return BigInt(this.currentStateTimestamp ?? -1);
  }

  get isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  allMembers(): string[] {
    return [...this.members.keys()];
  }

  allMemberMetadata(): MemberMetadata[] {
    return [...this.members.values()];
  }

  allStaticMembers(): string[] {
    return [...this.staticMembers.keys()];
  }

  add(member: MemberMetadata, callback: ((r: JoinGroupResult) => void) | null = null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId))
        throw new Error(
          `Static member with groupInstanceId=${member.groupInstanceId} cannot be added to group ${this.groupId} since it is already a member`,
        );
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    for (const p of member.supportedProtocols)
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
    member.awaitingJoin = callback;
    if (member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.decSupportedProtocols(member);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  private decSupportedProtocols(member: MemberMetadata): void {
    for (const p of member.supportedProtocols)
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) - 1);
  }

  /** Whether the current leader rejoined, electing another joined member otherwise. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader && leader.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Static members: the member id of an instance is replaced, everything else kept. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.members.get(oldMemberId);
    if (!member) throw new Error(`Cannot replace non-existing member id ${oldMemberId}`);
    this.members.delete(oldMemberId);
    // Fence a duplicate instance at once if it is parked in Join or Sync.
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, 82 /* FENCED_INSTANCE_ID */));
    this.maybeInvokeSyncCallback(member, syncError(82));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  addPendingMember(memberId: string): boolean {
    if (this.pendingMembers.has(memberId)) return false;
    this.pendingMembers.add(memberId);
    return true;
  }

  hasStaticMember(groupInstanceId: string): boolean {
    return this.staticMembers.has(groupInstanceId);
  }

  currentStaticMemberId(groupInstanceId: string): string | null {
    return this.staticMembers.get(groupInstanceId) ?? null;
  }

  addPendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.add(memberId);
  }

  removePendingSyncMember(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
  }

  hasReceivedSyncFromAllMembers(): boolean {
    return this.pendingSyncMembers.size === 0;
  }

  allPendingSyncMembers(): string[] {
    return [...this.pendingSyncMembers];
  }

  clearPendingSyncMembers(): void {
    this.pendingSyncMembers.clear();
  }

  /** The join phase may complete: every member has a parked JoinGroup and no member id is pending. */
  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): MemberMetadata[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  get rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  generateMemberId(clientId: string, groupInstanceId: string | null): string {
    return `${groupInstanceId ?? clientId}-${randomUUID()}`;
  }

  canRebalance(): boolean {
    return VALID_PREVIOUS_STATES.PreparingRebalance.includes(this.state);
  }

  transitionTo(target: GroupState): void {
    if (!VALID_PREVIOUS_STATES[target].includes(this.state))
      throw new Error(
        `Group ${this.groupId} should be in the ${VALID_PREVIOUS_STATES[target].join(',')} states before moving to ${target} state. Instead it is in ${this.state} state`,
      );
    this.state = target;
    this.currentStateTimestamp = this.now();
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const n = this.members.size;
    return new Set([...this.supportedProtocols].filter(([, c]) => c === n).map(([p]) => p));
  }

  /** Each member votes for its first supported candidate; the most votes wins (first seen on ties). */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error('Cannot select protocol for empty group');
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [p, c] of votes) {
      if (c > bestVotes) {
        best = p;
        bestVotes = c;
      }
    }
    return best;
  }

  /** Whether a member with this protocol type and protocols may join. */
  supportsProtocols(memberProtocolType: string, memberProtocols: Set<string>): boolean {
    if (this.is('Empty')) return memberProtocolType !== '' && memberProtocols.size > 0;
    return (
      this.protocolType === memberProtocolType &&
      [...memberProtocols].some((p) => (this.supportedProtocols.get(p) ?? 0) === this.members.size)
    );
  }

  updateMember(
    member: MemberMetadata,
    protocols: Protocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: ((r: JoinGroupResult) => void) | null,
  ): void {
    this.decSupportedProtocols(member);
    member.supportedProtocols = protocols;
    for (const p of protocols)
      this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = callback;
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinGroupResult): void {
    const cb = member.awaitingJoin;
    if (cb === null) return;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
  }

  /** Returns whether a parked SyncGroup was answered. */
  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (cb === null) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty');
    }
    this.clearPendingSyncMembers();
  }

  /** The member list the leader receives: ids, instance ids and metadata for the chosen protocol. */
  currentMemberMetadata(): JoinGroupResult['members'] {
    if (this.is('Dead') || this.is('PreparingRebalance'))
      throw new Error(`Cannot obtain member metadata for group ${this.groupId} in state ${this.state}`);
    const protocol = this.protocolName as string;
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }));
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    try {
      const topics = new Set<string>();
      for (const m of this.members.values())
        for (const t of subscribedTopicsOf(m.metadata(this.protocolName))) topics.add(t);
      return topics;
    } catch {
      return null;
    }
  }

  /** Recomputes the subscription (after a load). */
  refreshSubscribedTopics(): void {
    this.subscribedTopics = this.computeSubscribedTopics();
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null ? true : this.subscribedTopics.has(topic);
  }

  // ---- offsets ---------------------------------------------------------------------------

  initializeOffsets(
    offsets: Array<TopicPartition & { appendedBatchOffset: bigint | null; value: OffsetAndMetadata }>,
  ): void {
    for (const o of offsets) this.offsets.set(tpKey(o.topic, o.partition), { ...o });
  }

  offset(topic: string, partition: number): OffsetAndMetadata | null {
    return this.offsets.get(tpKey(topic, partition))?.value ?? null;
  }

  allOffsets(): Array<TopicPartition & { value: OffsetAndMetadata }> {
    return [...this.offsets.values()];
  }

  get numOffsets(): number {
    return this.offsets.size;
  }

  hasOffsets(): boolean {
    return this.offsets.size > 0 || this.pendingOffsetCommits.size > 0;
  }

  prepareOffsetCommit(commits: Array<TopicPartition & { value: OffsetAndMetadata }>): void {
    for (const c of commits) this.pendingOffsetCommits.set(tpKey(c.topic, c.partition), c.value);
  }

  /** The commit record is in the log: the offset becomes visible (unless a later record already is). */
  onOffsetCommitAppend(tp: TopicPartition, value: OffsetAndMetadata, appendedBatchOffset: bigint): void {
    const k = tpKey(tp.topic, tp.partition);
    if (this.pendingOffsetCommits.has(k)) {
      const cur = this.offsets.get(k);
      if (!cur || cur.appendedBatchOffset === null || cur.appendedBatchOffset < appendedBatchOffset)
        this.offsets.set(k, { ...tp, appendedBatchOffset, value });
    }
    if (this.pendingOffsetCommits.get(k) === value) this.pendingOffsetCommits.delete(k);
  }

  failPendingOffsetWrite(tp: TopicPartition, value: OffsetAndMetadata): void {
    const k = tpKey(tp.topic, tp.partition);
    if (this.pendingOffsetCommits.get(k) === value) this.pendingOffsetCommits.delete(k);
  }

  hasPendingOffsetCommitsForTopicPartition(topic: string, partition: number): boolean {
    return this.pendingOffsetCommits.has(tpKey(topic, partition));
  }

  /** Removes the given partitions' offsets (pending ones too); returns those that were committed. */
  removeOffsets(tps: TopicPartition[]): Array<TopicPartition & { value: OffsetAndMetadata }> {
    const out: Array<TopicPartition & { value: OffsetAndMetadata }> = [];
    for (const tp of tps) {
      const k = tpKey(tp.topic, tp.partition);
      this.pendingOffsetCommits.delete(k);
      const cur = this.offsets.get(k);
      if (cur) {
        this.offsets.delete(k);
        out.push(cur);
      }
    }
    return out;
  }

  removeAllOffsets(): Array<TopicPartition & { value: OffsetAndMetadata }> {
    return this.removeOffsets([...this.offsets.values()]);
  }

  /**
   * Kafka's offset expiration: Empty groups with a protocol type expire everything once the retention
   * has passed since the group became Empty (or since the commit when that time is unknown); Stable
   * consumer groups with known subscriptions expire offsets of topics they no longer subscribe to;
   * commit-only groups expire each offset from its commit time. Explicit expire timestamps (value v1)
   * win; partitions with an in-flight commit never expire.
   */
  removeExpiredOffsets(
    currentTimestamp: number,
    offsetRetentionMs: number,
  ): Array<TopicPartition & { value: OffsetAndMetadata }> {
    const now = BigInt(currentTimestamp);
    const retention = BigInt(offsetRetentionMs);
    const expired = (base: (o: CommittedOffset) => bigint, subscribed: Set<string> = new Set()) =>
      [...this.offsets.values()].filter((o) => {
        if (subscribed.has(o.topic)) return false;
        if (this.pendingOffsetCommits.has(tpKey(o.topic, o.partition))) return false;
        const exp = o.value.expireTimestamp;
        return exp === null ? now - base(o) >= retention : now >= exp;
      });
    let list: CommittedOffset[] = [];
    if (this.protocolType !== null && this.is('Empty')) {
      const stateTs = this.currentStateTimestamp;
      list = expired((o) => (stateTs !== null ? BigInt(stateTs) : o.value.commitTimestamp));
    } else if (
      this.protocolType === CONSUMER_PROTOCOL_TYPE &&
      this.subscribedTopics !== null &&
      this.is('Stable')
    ) {
      list = expired((o) => o.value.commitTimestamp, this.subscribedTopics);
    } else if (this.protocolType === null) {
      list = expired((o) => o.value.commitTimestamp);
    }
    for (const o of list) this.offsets.delete(tpKey(o.topic, o.partition));
    return list;
  }

  overview(): { groupId: string; protocolType: string; state: GroupState } {
    return { groupId: this.groupId, protocolType: this.protocolType ?? '', state: this.state };
  }

  /** DescribeGroups: metadata and assignments only when Stable. */
  summary(): {
    state: GroupState;
    protocolType: string;
    protocol: string;
    members: Array<{
      memberId: string;
      groupInstanceId: string | null;
      clientId: string;
      clientHost: string;
      metadata: Buffer;
      assignment: Buffer;
    }>;
  } {
    const stable = this.is('Stable');
    const protocol = stable ? (this.protocolName ?? '') : '';
    return {
      state: this.state,
      protocolType: this.protocolType ?? '',
      protocol,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(protocol) : EMPTY,
        assignment: stable ? m.assignment : EMPTY,
      })),
    };
  }
}
