// A led partition's ISR as the leader sees it (Kafka's PartitionState): either committed (what
// the controller last confirmed, through LeaderAndIsr or an AlterPartition response) or with one
// change in flight. While an expansion is pending the new member already counts for the high
// watermark and acks=all (the "maximal" ISR: stricter, so harmless if the change fails); while
// a shrink is pending the old ISR still counts until the controller confirms.

export interface CommittedIsr {
  readonly kind: 'committed';
  readonly isr: readonly number[];
  readonly leaderRecoveryState: number;
}

/** What the leader proposed to the controller (one AlterPartition partition entry). */
export interface ProposedLeaderAndIsr {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly leaderRecoveryState: number;
  readonly partitionEpoch: number;
}

export interface PendingExpandIsr {
  readonly kind: 'pendingExpand';
  readonly newInSyncReplicaId: number;
  readonly sent: ProposedLeaderAndIsr;
  readonly lastCommitted: CommittedIsr;
}

export interface PendingShrinkIsr {
  readonly kind: 'pendingShrink';
  readonly outOfSyncReplicaIds: readonly number[];
  readonly sent: ProposedLeaderAndIsr;
  readonly lastCommitted: CommittedIsr;
}

export type IsrState = CommittedIsr | PendingExpandIsr | PendingShrinkIsr;

export function committedIsr(isr: readonly number[], leaderRecoveryState = 0): CommittedIsr {
  return { kind: 'committed', isr: [...isr], leaderRecoveryState };
}

/** The ISR last confirmed by the controller. */
export function isrOf(s: IsrState): readonly number[] {
  return s.kind === 'committed' ? s.isr : s.lastCommitted.isr;
}

/** The ISR used for the high watermark and acks=all: committed ISR plus a pending new member. */
export function maximalIsrOf(s: IsrState): readonly number[] {
  if (s.kind === 'pendingExpand') {
    const isr = s.lastCommitted.isr;
    return isr.includes(s.newInSyncReplicaId) ? isr : [...isr, s.newInSyncReplicaId];
  }
  return isrOf(s);
}

export function isInflight(s: IsrState): boolean {
  return s.kind !== 'committed';
}

export function describeIsrState(s: IsrState): string {
  const isr = `[${isrOf(s).join(',')}]`;
  switch (s.kind) {
    case 'committed':
      return `CommittedPartitionState(isr=${isr}, leaderRecoveryState=${s.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'})`;
    case 'pendingExpand':
      return `PendingExpandIsr(newInSyncReplicaId=${s.newInSyncReplicaId}, sentLeaderAndIsr=${describeProposal(s.sent)}, leaderRecoveryState=${s.lastCommitted.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'}, lastCommittedState=${describeIsrState(s.lastCommitted)})`;
    case 'pendingShrink':
      return `PendingShrinkIsr(outOfSyncReplicaIds=[${s.outOfSyncReplicaIds.join(',')}], sentLeaderAndIsr=${describeProposal(s.sent)}, leaderRecoveryState=${s.lastCommitted.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'}, lastCommittedState=${describeIsrState(s.lastCommitted)})`;
  }
}

export function describeProposal(p: ProposedLeaderAndIsr): string {
  return `LeaderAndIsr(leader=${p.leaderId}, leaderEpoch=${p.leaderEpoch}, isrWithBrokerEpoch=[${p.isr.map((id) => `BrokerState(brokerId=${id}, brokerEpoch=-1)`).join(', ')}], leaderRecoveryState=${p.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'}, partitionEpoch=${p.partitionEpoch})`;
}
