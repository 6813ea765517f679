// Kafka's leader election rules (PartitionLeaderElectionAlgorithms), as pure functions over the
// assignment order, the ISR and which replicas are live. Facts:
// ../shared/reference/controller-and-replication.md §5.

export interface Election {
  leader: number;
  isr: number[];
  /** 1 = RECOVERING after an unclean election, else 0 */
  leaderRecoveryState: number;
}

/** Offline partition: first live ISR member in assignment order; unclean → first live replica. */
export function offlinePartitionLeaderElection(
  assignment: number[],
  isr: number[],
  isLive: (id: number) => boolean,
  uncleanAllowed: boolean,
  leaderRecoveryState: number,
): Election | null {
  const leader = assignment.find((r) => isLive(r) && isr.includes(r));
  if (leader !== undefined) return { leader, isr: isr.filter((r) => isLive(r)), leaderRecoveryState };
  if (!uncleanAllowed) return null;
  const unclean = assignment.find((r) => isLive(r));
  if (unclean === undefined) return null;
  return { leader: unclean, isr: [unclean], leaderRecoveryState: 1 };
}

/** Preferred replica: the first of the assignment, if live and in the ISR. */
export function preferredReplicaPartitionLeaderElection(
  assignment: number[],
  isr: number[],
  isLive: (id: number) => boolean,
  leaderRecoveryState: number,
): Election | null {
  const preferred = assignment[0];
  if (preferred === undefined || !isLive(preferred) || !isr.includes(preferred)) return null;
  return { leader: preferred, isr, leaderRecoveryState };
}

/** Controlled shutdown: move leadership to an ISR member that is not shutting down. */
export function controlledShutdownPartitionLeaderElection(
  assignment: number[],
  isr: number[],
  isLiveOrShuttingDown: (id: number) => boolean,
  shuttingDown: ReadonlySet<number>,
  leaderRecoveryState: number,
): Election | null {
  const leader = assignment.find((r) => isLiveOrShuttingDown(r) && isr.includes(r) && !shuttingDown.has(r));
  if (leader === undefined) return null;
  return { leader, isr: isr.filter((r) => !shuttingDown.has(r)), leaderRecoveryState };
}

/** Reassignment: first target replica that is live and in the ISR. */
export function reassignPartitionLeaderElection(
  targetReplicas: number[],
  isr: number[],
  isLive: (id: number) => boolean,
  leaderRecoveryState: number,
): Election | null {
  const leader = targetReplicas.find((r) => isLive(r) && isr.includes(r));
  if (leader === undefined) return null;
  return { leader, isr, leaderRecoveryState };
}
