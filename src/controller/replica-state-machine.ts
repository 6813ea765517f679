// Kafka's ReplicaStateMachine (ZooKeeper mode): the state of every assigned replica. States and
// their valid previous states:
//
//   NewReplica                ← NonExistentReplica
//   OnlineReplica             ← NewReplica, OnlineReplica, OfflineReplica, ReplicaDeletionIneligible
//   OfflineReplica            ← NewReplica, OnlineReplica, OfflineReplica, ReplicaDeletionIneligible
//   ReplicaDeletionStarted    ← OfflineReplica
//   ReplicaDeletionSuccessful ← ReplicaDeletionStarted
//   ReplicaDeletionIneligible ← OfflineReplica, ReplicaDeletionStarted
//   NonExistentReplica        ← ReplicaDeletionSuccessful
//
// Transitions: → NewReplica sends LeaderAndIsr(isNew) to the replica (refused if it is the
// current leader); → OnlineReplica sends it the current LeaderAndIsr (from NewReplica it only
// makes sure the replica is assigned); → OfflineReplica sends StopReplica(delete=false), removes
// the replica from every ISR it is in (leader -1 if it led; an ISR of one is kept) with one
// leader-epoch bump, and sends the new state to the other replicas; → ReplicaDeletionStarted
// sends StopReplica(delete=true); → ReplicaDeletionSuccessful / Ineligible record the state;
// → NonExistentReplica drops the replica from the assignment. Invalid transitions are logged and
// skipped. One handleStateChanges call = one batch of requests.
//
// Kafka logs successful replica transitions at TRACE; Samsa writes them at INFO (see
// partition-state-machine.ts). Facts: ../shared/reference/controller-and-replication.md §4.

import type { LeaderIsrAndControllerEpoch } from '../zk/zk-data';
import { PartitionAndReplica, replicaString, TopicPartition, tpKey } from './controller-context';
import type { ControllerRequestBatch } from './controller-request-batch';
import { leaderIsrAndControllerEpochString, StateMachineDeps, tpString } from './partition-state-machine';

export type ReplicaState =
  | 'NewReplica'
  | 'OnlineReplica'
  | 'OfflineReplica'
  | 'ReplicaDeletionStarted'
  | 'ReplicaDeletionSuccessful'
  | 'ReplicaDeletionIneligible'
  | 'NonExistentReplica';

export const REPLICA_VALID_PREVIOUS_STATES: Readonly<Record<ReplicaState, readonly ReplicaState[]>> = {
  NewReplica: ['NonExistentReplica'],
  OnlineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica', 'ReplicaDeletionIneligible'],
  OfflineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica', 'ReplicaDeletionIneligible'],
  ReplicaDeletionStarted: ['OfflineReplica'],
  ReplicaDeletionSuccessful: ['ReplicaDeletionStarted'],
  ReplicaDeletionIneligible: ['OfflineReplica', 'ReplicaDeletionStarted'],
  NonExistentReplica: ['ReplicaDeletionSuccessful'],
};

export interface ReplicaStateMachineDeps extends StateMachineDeps {
  /** StopReplica responses of requests that deleted partitions (topic deletion follows them). */
  onStopReplicaResponse(
    brokerId: number,
    response: unknown,
    partitions: Array<TopicPartition & { deletePartition: boolean }>,
  ): void;
}

const MAX_ISR_WRITE_ATTEMPTS = 10;

export class ReplicaStateMachine {
  constructor(private readonly d: ReplicaStateMachineDeps) {}

  private get ctx() {
    return this.d.ctx;
  }

  /**
   * Failover (Kafka's startup): replicas on live brokers are OnlineReplica, the others
   * ReplicaDeletionIneligible; then the online ones get their LeaderAndIsr (→ OnlineReplica) and
   * the offline ones leave the ISRs (→ OfflineReplica).
   */
  async startup(): Promise<void> {
    this.initializeReplicaState();
    const all = this.ctx.replicasForPartitions(this.ctx.allPartitions());
    await this.handleStateChanges(
      all.filter((r) => this.ctx.isReplicaOnline(r.replica)),
      'OnlineReplica',
    );
    await this.handleStateChanges(
      all.filter((r) => !this.ctx.isReplicaOnline(r.replica)),
      'OfflineReplica',
    );
  }

  shutdown(): void {
    this.ctx.replicaStates.clear();
  }

  initializeReplicaState(): void {
    for (const r of this.ctx.replicasForPartitions(this.ctx.allPartitions()))
      this.ctx.putReplicaState(
        r,
        this.ctx.isReplicaOnline(r.replica) ? 'OnlineReplica' : 'ReplicaDeletionIneligible',
      );
  }

  async handleStateChanges(replicas: PartitionAndReplica[], targetState: ReplicaState): Promise<void> {
    if (replicas.length === 0) return;
    const batch = this.d.newBatch();
    const byReplica = new Map<number, PartitionAndReplica[]>();
    for (const r of replicas) {
      const l = byReplica.get(r.replica);
      if (l) l.push(r);
      else byReplica.set(r.replica, [r]);
    }
    for (const [replicaId, rs] of byReplica)
      await this.doHandleStateChanges(replicaId, rs, targetState, batch);
    batch.send((brokerId, response, partitions) => {
      if (partitions.some((p) => p.deletePartition))
        this.d.onStopReplicaResponse(brokerId, response, partitions);
    });
  }

  private async doHandleStateChanges(
    replicaId: number,
    replicas: PartitionAndReplica[],
    targetState: ReplicaState,
    batch: ControllerRequestBatch,
  ): Promise<void> {
    const valid: PartitionAndReplica[] = [];
    for (const r of replicas) {
      const cur = this.ctx.replicaState(r);
      if (REPLICA_VALID_PREVIOUS_STATES[targetState].includes(cur)) valid.push(r);
      else
        this.logFailedStateChange(
          r,
          cur,
          targetState,
          `java.lang.IllegalStateException: Replica ${replicaString(r)} should be in the ${REPLICA_VALID_PREVIOUS_STATES[targetState].join(',')} states before moving to ${targetState} state. Instead it is in ${cur} state`,
        );
    }
    switch (targetState) {
      case 'NewReplica':
        for (const r of valid) {
          const s = this.ctx.state(r.topic, r.partition);
          if (s && s.leader === replicaId) {
            this.logFailedStateChange(
              r,
              this.ctx.replicaState(r),
              'OfflineReplica',
              `kafka.common.StateChangeFailedException: Replica ${replicaId} for partition ${tpString(r)} cannot be moved to NewReplica state as it is being requested to become leader`,
            );
            continue;
          }
          if (s) batch.addLeaderAndIsr([replicaId], r.topic, r.partition, true);
          this.transition(r, 'NewReplica');
        }
        break;
      case 'OnlineReplica':
        for (const r of valid) {
          if (this.ctx.replicaState(r) === 'NewReplica') {
            const a = this.ctx.assignment(r.topic, r.partition);
            if (a && !a.replicas.includes(replicaId)) a.replicas = [...a.replicas, replicaId];
          } else if (this.ctx.state(r.topic, r.partition)) {
            batch.addLeaderAndIsr([replicaId], r.topic, r.partition, false);
          }
          this.transition(r, 'OnlineReplica');
        }
        break;
      case 'OfflineReplica': {
        for (const r of valid) batch.addStopReplica(replicaId, r.topic, r.partition, false);
        const withLeader = valid.filter((r) => this.ctx.state(r.topic, r.partition));
        const withoutLeader = valid.filter((r) => !this.ctx.state(r.topic, r.partition));
        const updated = await this.removeReplicasFromIsr(replicaId, withLeader);
        for (const r of withLeader) {
          const u = updated.get(tpKey(r.topic, r.partition));
          if (!u && this.ctx.topicsToBeDeleted.has(r.topic)) {
            // Its state znode is already gone: nothing to remove it from.
            this.transition(r, 'OfflineReplica');
            continue;
          }
          if (!u || 'error' in u) {
            this.logFailedStateChange(
              r,
              this.ctx.replicaState(r),
              'OfflineReplica',
              `kafka.common.StateChangeFailedException: ${u?.error ?? 'no state'}`,
            );
            continue;
          }
          if (u.changed)
            this.d.stateChangeLog.info(
              `Partition ${tpString(r)} state changed to ${leaderIsrAndControllerEpochString(u.state)} after removing replica ${replicaId} from the ISR as part of transition to OfflineReplica`,
            );
          if (!this.ctx.topicsToBeDeleted.has(r.topic)) {
            const others = (this.ctx.assignment(r.topic, r.partition)?.replicas ?? []).filter(
              (x) => x !== replicaId,
            );
            batch.addLeaderAndIsr(others, r.topic, r.partition, false);
          }
          this.transition(r, 'OfflineReplica');
        }
        for (const r of withoutLeader) {
          batch.addUpdateMetadata([...this.ctx.liveBrokers.keys()], [r]);
          this.transition(r, 'OfflineReplica');
        }
        break;
      }
      case 'ReplicaDeletionStarted':
        for (const r of valid) {
          this.transition(r, 'ReplicaDeletionStarted');
          batch.addStopReplica(replicaId, r.topic, r.partition, true);
        }
        break;
      case 'ReplicaDeletionIneligible':
      case 'ReplicaDeletionSuccessful':
        for (const r of valid) this.transition(r, targetState);
        break;
      case 'NonExistentReplica':
        for (const r of valid) {
          const a = this.ctx.assignment(r.topic, r.partition);
          if (a) {
            a.replicas = a.replicas.filter((x) => x !== replicaId);
            a.addingReplicas = a.addingReplicas.filter((x) => x !== replicaId);
            a.removingReplicas = a.removingReplicas.filter((x) => x !== replicaId);
          }
          this.logSuccessfulTransition(r, this.ctx.replicaState(r), 'NonExistentReplica');
          this.ctx.removeReplicaState(r);
        }
        break;
    }
  }

  /**
   * Kafka's removeReplicasFromIsr: for each partition whose ISR holds `replicaId`, leader -1 if it
   * led, ISR minus the replica unless it is the last member, leader epoch + 1, written
   * conditionally (re-read and retried on BADVERSION). Partitions whose ISR lacks the replica are
   * returned unchanged.
   */
  private async removeReplicasFromIsr(
    replicaId: number,
    partitions: TopicPartition[],
  ): Promise<Map<string, { state: LeaderIsrAndControllerEpoch; changed: boolean } | { error: string }>> {
    const out = new Map<
      string,
      { state: LeaderIsrAndControllerEpoch; changed: boolean } | { error: string }
    >();
    let remaining = partitions;
    for (let attempt = 0; remaining.length > 0 && attempt < MAX_ISR_WRITE_ATTEMPTS; attempt++) {
      const retry: TopicPartition[] = [];
      for (const tp of remaining) {
        const k = tpKey(tp.topic, tp.partition);
        const cur = await this.d.store.get(tp);
        if (!cur) {
          if (!this.ctx.topicsToBeDeleted.has(tp.topic))
            out.set(k, {
              error: `Failed to change state of replica ${replicaId} for partition ${tpString(tp)} since the leader and isr path in zookeeper is empty`,
            });
          continue;
        }
        if (cur.controllerEpoch > this.ctx.epoch) {
          out.set(k, {
            error: `Leader and isr path written by another controller. This probably means the current controller with epoch ${this.ctx.epoch} went through a soft failure and another controller was elected with epoch ${cur.controllerEpoch}. Aborting state change by this controller`,
          });
          continue;
        }
        if (!cur.isr.includes(replicaId)) {
          this.ctx.partitionStates.set(k, cur);
          out.set(k, { state: cur, changed: false });
          continue;
        }
        const next = {
          leader: cur.leader === replicaId ? -1 : cur.leader,
          leaderEpoch: cur.leaderEpoch + 1,
          isr: cur.isr.length === 1 ? cur.isr : cur.isr.filter((r) => r !== replicaId),
          controllerEpoch: this.ctx.epoch,
          leaderRecoveryState: cur.leaderRecoveryState,
        };
        const version = await this.d.store.update(tp, next, cur.partitionEpoch);
        if (version === null) {
          retry.push(tp);
          continue;
        }
        const s = { ...next, partitionEpoch: version };
        this.ctx.partitionStates.set(k, s);
        out.set(k, { state: s, changed: true });
      }
      remaining = retry;
    }
    for (const tp of remaining)
      out.set(tpKey(tp.topic, tp.partition), {
        error: `Failed to remove replica ${replicaId} from the ISR of ${tpString(tp)}: its state znode kept changing`,
      });
    return out;
  }

  private transition(r: PartitionAndReplica, to: ReplicaState): void {
    this.logSuccessfulTransition(r, this.ctx.replicaState(r), to);
    this.ctx.putReplicaState(r, to);
  }

  private logSuccessfulTransition(r: PartitionAndReplica, from: ReplicaState, to: ReplicaState): void {
    this.d.stateChangeLog.info(
      `Changed state of replica ${r.replica} for partition ${tpString(r)} from ${from} to ${to}`,
    );
  }

  private logFailedStateChange(
    r: PartitionAndReplica,
    from: ReplicaState,
    to: ReplicaState,
    cause: string,
  ): void {
    this.d.stateChangeLog.error(
      `Controller ${this.d.controllerId} epoch ${this.ctx.epoch} initiated state change of replica ${r.replica} for partition ${tpString(r)} from ${from} to ${to} failed\n${cause}`,
    );
  }
}
