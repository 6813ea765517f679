// Kafka's PartitionStateMachine (ZooKeeper mode): the state of every partition as the controller
// sees it, and the only place where partitions get a leader. States and their valid previous
// states:
//
//   NewPartition         ← NonExistentPartition
//   OnlinePartition      ← NewPartition, OnlinePartition, OfflinePartition
//   OfflinePartition     ← NewPartition, OnlinePartition, OfflinePartition
//   NonExistentPartition ← OfflinePartition
//
// Transitions: → New records the state; New → Online creates the state znode (leader = first live
// replica, ISR = live replicas, epoch 0) and sends LeaderAndIsr(isNew) to the ISR; Offline/Online
// → Online runs an election strategy (offline/unclean, reassignment, preferred, controlled
// shutdown) with a conditional write of the state znode (retried on BADVERSION), then
// LeaderAndIsr to the strategy's recipients; → Offline and → NonExistent record the state. A
// failed transition leaves the state as it was. Every request of one handleStateChanges call goes
// out as one batch (UpdateMetadata for each changed partition rides along with LeaderAndIsr).
//
// state-change.log lines are Kafka's. Kafka writes the Offline/NonExistent transitions at TRACE;
// Samsa writes them at INFO so that state-change.log shows every transition (Kafka's old default
// of state.change.logger=TRACE). Facts: ../shared/reference/controller-and-replication.md §3, §5.

import type { Logger } from '../utils/logger';
import type { LeaderIsrAndControllerEpoch } from '../zk/zk-data';
import { ControllerContext, TopicPartition, tpKey } from './controller-context';
import type { ControllerRequestBatch } from './controller-request-batch';
import {
  controlledShutdownPartitionLeaderElection,
  Election,
  offlinePartitionLeaderElection,
  preferredReplicaPartitionLeaderElection,
  reassignPartitionLeaderElection,
} from './partition-leader-election';

export type PartitionState = 'NewPartition' | 'OnlinePartition' | 'OfflinePartition' | 'NonExistentPartition';

export const PARTITION_VALID_PREVIOUS_STATES: Readonly<Record<PartitionState, readonly PartitionState[]>> = {
  NewPartition: ['NonExistentPartition'],
  OnlinePartition: ['NewPartition', 'OnlinePartition', 'OfflinePartition'],
  OfflinePartition: ['NewPartition', 'OnlinePartition', 'OfflinePartition'],
  NonExistentPartition: ['OfflinePartition'],
};

/** Kafka's PartitionLeaderElectionStrategy. */
export type ElectionStrategy =
  | { kind: 'offline'; allowUnclean: boolean }
  | { kind: 'reassign' }
  | { kind: 'preferred' }
  | { kind: 'controlledShutdown' };

export const OFFLINE_ELECTION: ElectionStrategy = { kind: 'offline', allowUnclean: false };

export function strategyName(s: ElectionStrategy): string {
  switch (s.kind) {
    case 'offline':
      return `OfflinePartitionLeaderElectionStrategy(${s.allowUnclean})`;
    case 'reassign':
      return 'ReassignPartitionLeaderElectionStrategy';
    case 'preferred':
      return 'PreferredReplicaPartitionLeaderElectionStrategy';
    case 'controlledShutdown':
      return 'ControlledShutdownPartitionLeaderElectionStrategy';
  }
}

/** Kafka's LeaderAndIsr.toString (3.9: ISR members carry a broker epoch, -1 in ZooKeeper mode). */
export function leaderAndIsrString(s: LeaderIsrAndControllerEpoch): string {
  const isr = s.isr.map((b) => `BrokerState(brokerId=${b}, brokerEpoch=-1)`).join(', ');
  return `LeaderAndIsr(leader=${s.leader}, leaderEpoch=${s.leaderEpoch}, isrWithBrokerEpoch=[${isr}], leaderRecoveryState=${s.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'}, partitionEpoch=${s.partitionEpoch})`;
}

/** Kafka's LeaderIsrAndControllerEpoch.toString. */
export function leaderIsrAndControllerEpochString(s: LeaderIsrAndControllerEpoch): string {
  return `(Leader:${s.leader},ISR:${s.isr.join(',')},LeaderRecoveryState:${s.leaderRecoveryState === 1 ? 'RECOVERING' : 'RECOVERED'},LeaderEpoch:${s.leaderEpoch},ZkVersion:${s.partitionEpoch},ControllerEpoch:${s.controllerEpoch})`;
}

/** The partition state znodes, as the controller writes them (every write fenced). */
export interface PartitionStateStore {
  get(tp: TopicPartition): Promise<LeaderIsrAndControllerEpoch | null>;
  /** Creates the state znode (and its parents); false when it already exists. */
  create(tp: TopicPartition, state: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>): Promise<boolean>;
  /** Conditional write; the new zkVersion, or null when `expectedVersion` is stale (BADVERSION). */
  update(
    tp: TopicPartition,
    next: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>,
    expectedVersion: number,
  ): Promise<number | null>;
}

export interface StateMachineDeps {
  controllerId: number;
  ctx: ControllerContext;
  store: PartitionStateStore;
  newBatch(): ControllerRequestBatch;
  stateChangeLog: Logger;
}

export interface PartitionStateMachineDeps extends StateMachineDeps {
  /** The topic's effective unclean.leader.election.enable (topic override over broker config). */
  uncleanLeaderElectionEnabled(topic: string): Promise<boolean>;
}

/** Per partition (tpKey) of an OnlinePartition transition: the new state, or why it failed. */
export type ElectionResults = Map<string, { state: LeaderIsrAndControllerEpoch } | { error: string }>;

const MAX_ELECTION_ATTEMPTS = 10;

export class PartitionStateMachine {
  constructor(private readonly d: PartitionStateMachineDeps) {}

  private get ctx(): ControllerContext {
    return this.d.ctx;
  }

  /** Failover: initial states from what was read from ZooKeeper, then New/Offline → Online. */
  async startup(): Promise<ElectionResults> {
    this.initializePartitionState();
    return this.triggerOnlinePartitionStateChange();
  }

  shutdown(): void {
    this.ctx.partitionStateMachineStates.clear();
  }

  /** Kafka's initializePartitionState: live leader → Online, dead → Offline, no znode → New. */
  initializePartitionState(): void {
    for (const tp of this.ctx.allPartitions()) {
      const s = this.ctx.state(tp.topic, tp.partition);
      if (!s) this.ctx.putPartitionState(tp, 'NewPartition');
      else
        this.ctx.putPartitionState(
          tp,
          this.ctx.isReplicaOnline(s.leader) ? 'OnlinePartition' : 'OfflinePartition',
        );
    }
  }

  /** Every New/Offline partition (of `topic`, if given) not queued for deletion → Online. */
  triggerOnlinePartitionStateChange(topic?: string): Promise<ElectionResults> {
    const partitions = this.ctx
      .allPartitions()
      .filter(
        (tp) =>
          (topic === undefined || tp.topic === topic) &&
          !this.ctx.topicsToBeDeleted.has(tp.topic) &&
          ['NewPartition', 'OfflinePartition'].includes(this.ctx.partitionState(tp)),
      );
    return this.handleStateChanges(partitions, 'OnlinePartition', OFFLINE_ELECTION);
  }

  /**
   * Moves `partitions` to `targetState` (invalid transitions are logged and skipped) and sends the
   * resulting requests as one batch. Returns the election outcome of every partition that was
   * asked to go Online.
   */
  async handleStateChanges(
    partitions: TopicPartition[],
    targetState: PartitionState,
    strategy?: ElectionStrategy,
  ): Promise<ElectionResults> {
    const results: ElectionResults = new Map();
    if (partitions.length === 0) return results;
    const batch = this.d.newBatch();
    const valid: TopicPartition[] = [];
    for (const tp of partitions) {
      const cur = this.ctx.partitionState(tp);
      if (PARTITION_VALID_PREVIOUS_STATES[targetState].includes(cur)) valid.push(tp);
      else {
        this.logFailedStateChange(
          tp,
          cur,
          targetState,
          `java.lang.IllegalStateException: Partition ${tpString(tp)} should be in one of ${PARTITION_VALID_PREVIOUS_STATES[targetState].join(',')} states before moving to ${targetState} state. Instead it is in ${cur} state`,
        );
        if (targetState === 'OnlinePartition') results.set(key(tp), { error: 'invalid state transition' });
      }
    }
    switch (targetState) {
      case 'NewPartition':
        for (const tp of valid) {
          this.d.stateChangeLog.info(
            `Changed partition ${tpString(tp)} state from ${this.ctx.partitionState(tp)} to NewPartition with assigned replicas ${this.ctx.assignment(tp.topic, tp.partition)?.replicas.join(',') ?? ''}`,
          );
          this.ctx.putPartitionState(tp, 'NewPartition');
        }
        break;
      case 'OnlinePartition': {
        const uninitialized = valid.filter((tp) => this.ctx.partitionState(tp) === 'NewPartition');
        const toElect = valid.filter((tp) => this.ctx.partitionState(tp) !== 'NewPartition');
        for (const tp of uninitialized) {
          const r = await this.initializeLeaderAndIsr(tp, batch);
          results.set(key(tp), r);
          if ('state' in r) this.markOnline(tp, r.state);
        }
        if (toElect.length > 0) {
          if (!strategy)
            throw new Error('Election strategy is a required field when the target state is OnlinePartition');
          for (const [k, r] of await this.electLeaderForPartitions(toElect, strategy, batch))
            results.set(k, r);
        }
        break;
      }
      case 'OfflinePartition':
      case 'NonExistentPartition':
        for (const tp of valid) {
          this.d.stateChangeLog.info(
            `Changed partition ${tpString(tp)} state from ${this.ctx.partitionState(tp)} to ${targetState}`,
          );
          this.ctx.putPartitionState(tp, targetState);
        }
        break;
    }
    batch.send();
    return results;
  }

  private markOnline(tp: TopicPartition, s: LeaderIsrAndControllerEpoch): void {
    this.d.stateChangeLog.info(
      `Changed partition ${tpString(tp)} from ${this.ctx.partitionState(tp)} to OnlinePartition with state ${leaderAndIsrString(s)}`,
    );
    this.ctx.putPartitionState(tp, 'OnlinePartition');
  }

  /** New → Online: first live replica leads, the live replicas form the ISR, leader epoch 0. */
  private async initializeLeaderAndIsr(
    tp: TopicPartition,
    batch: ControllerRequestBatch,
  ): Promise<{ state: LeaderIsrAndControllerEpoch } | { error: string }> {
    const replicas = this.ctx.assignment(tp.topic, tp.partition)?.replicas ?? [];
    const live = replicas.filter((r) => this.ctx.isReplicaOnline(r));
    if (live.length === 0) {
      const msg = `Controller ${this.d.controllerId} epoch ${this.ctx.epoch} encountered error during state change of partition ${tpString(tp)} from New to Online, assigned replicas are [${replicas.join(',')}], live brokers are [${this.ctx.liveBrokerIds().join(', ')}]. No assigned replica is alive.`;
      this.logFailedStateChange(
        tp,
        'NewPartition',
        'OnlinePartition',
        `kafka.common.StateChangeFailedException: ${msg}`,
      );
      return { error: msg };
    }
    const next = {
      leader: live[0],
      leaderEpoch: 0,
      isr: live,
      controllerEpoch: this.ctx.epoch,
      leaderRecoveryState: 0,
    };
    if (!(await this.d.store.create(tp, next))) {
      // Someone (a previous controller) created it: keep what is there, the partition stays New.
      const existing = await this.d.store.get(tp);
      if (existing) this.ctx.partitionStates.set(key(tp), existing);
      this.logFailedStateChange(
        tp,
        'NewPartition',
        'OnlinePartition',
        'org.apache.zookeeper.KeeperException$NodeExistsException: KeeperErrorCode = NodeExists',
      );
      return { error: 'state znode already exists' };
    }
    const s = { ...next, partitionEpoch: 0 };
    this.ctx.partitionStates.set(key(tp), s);
    batch.addLeaderAndIsr(live, tp.topic, tp.partition, true);
    return { state: s };
  }

  /** Elections with `strategy`, retried while the state znode changes under us (BADVERSION). */
  private async electLeaderForPartitions(
    partitions: TopicPartition[],
    strategy: ElectionStrategy,
    batch: ControllerRequestBatch,
  ): Promise<ElectionResults> {
    const results: ElectionResults = new Map();
    const uncleanByTopic = new Map<string, boolean>();
    let remaining = partitions;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const retry: TopicPartition[] = [];
      for (const tp of remaining) {
        const from = this.ctx.partitionState(tp);
        const fail = (msg: string) => {
          this.logFailedStateChange(
            tp,
            from,
            'OnlinePartition',
            `kafka.common.StateChangeFailedException: ${msg}`,
          );
          results.set(key(tp), { error: msg });
        };
        if (attempt >= MAX_ELECTION_ATTEMPTS) {
          fail(`Failed to elect leader for partition ${tpString(tp)}: its state znode kept changing`);
          continue;
        }
        const current = await this.d.store.get(tp);
        if (!current) {
          fail(`LeaderAndIsr information doesn't exist for partition ${tpString(tp)} in ${from} state`);
          continue;
        }
        if (current.controllerEpoch > this.ctx.epoch) {
          fail(
            `Aborted leader election for partition ${tpString(tp)} since the LeaderAndIsr path was already written by another controller. This probably means that the current controller ${this.d.controllerId} went through a soft failure and another controller was elected with epoch ${current.controllerEpoch}.`,
          );
          continue;
        }
        this.ctx.partitionStates.set(key(tp), current);
        const elected = await this.elect(tp, current, strategy, uncleanByTopic);
        if (!elected) {
          fail(
            `Failed to elect leader for partition ${tpString(tp)} under strategy ${strategyName(strategy)}`,
          );
          continue;
        }
        const next = {
          leader: elected.election.leader,
          leaderEpoch: current.leaderEpoch + 1,
          isr: elected.election.isr,
          controllerEpoch: this.ctx.epoch,
          leaderRecoveryState: elected.election.leaderRecoveryState,
        };
        const version = await this.d.store.update(tp, next, current.partitionEpoch);
        if (version === null) {
          retry.push(tp);
          continue;
        }
        const s = { ...next, partitionEpoch: version };
        this.ctx.partitionStates.set(key(tp), s);
        batch.addLeaderAndIsr(elected.recipients, tp.topic, tp.partition, false);
        this.markOnline(tp, s);
        // An unclean election may have lost data: say so (Kafka only counts it in a metric).
        if (elected.unclean)
          this.d.stateChangeLog.info(
            `Changed partition ${tpString(tp)} to OnlinePartition with state ${leaderAndIsrString(s)} (unclean election)`,
          );
        results.set(key(tp), { state: s });
      }
      remaining = retry;
    }
    return results;
  }

  /** Kafka's PartitionLeaderElectionAlgorithms applied to one partition. */
  private async elect(
    tp: TopicPartition,
    current: LeaderIsrAndControllerEpoch,
    strategy: ElectionStrategy,
    uncleanByTopic: Map<string, boolean>,
  ): Promise<{ election: Election; recipients: number[]; unclean: boolean } | null> {
    const a = this.ctx.assignment(tp.topic, tp.partition);
    if (!a) return null;
    const online = (id: number) => this.ctx.isReplicaOnline(id);
    const rs = current.leaderRecoveryState;
    switch (strategy.kind) {
      case 'offline': {
        let unclean = strategy.allowUnclean;
        if (!unclean && !a.replicas.some((r) => online(r) && current.isr.includes(r))) {
          if (!uncleanByTopic.has(tp.topic))
            uncleanByTopic.set(tp.topic, await this.d.uncleanLeaderElectionEnabled(tp.topic));
          unclean = uncleanByTopic.get(tp.topic)!;
        }
        const e = offlinePartitionLeaderElection(a.replicas, current.isr, online, unclean, rs);
        if (!e) return null;
        return {
          election: e,
          recipients: a.replicas.filter(online),
          unclean: !current.isr.includes(e.leader),
        };
      }
      case 'reassign': {
        const target = a.replicas.filter((r) => !a.removingReplicas.includes(r));
        const e = reassignPartitionLeaderElection(target, current.isr, online, rs);
        return e && { election: e, recipients: target, unclean: false };
      }
      case 'preferred': {
        const e = preferredReplicaPartitionLeaderElection(a.replicas, current.isr, online, rs);
        return e && { election: e, recipients: a.replicas, unclean: false };
      }
      case 'controlledShutdown': {
        const liveOrShuttingDown = (id: number) => this.ctx.isLiveOrShuttingDown(id);
        const e = controlledShutdownPartitionLeaderElection(
          a.replicas,
          current.isr,
          liveOrShuttingDown,
          this.ctx.shuttingDownBrokerIds,
          rs,
        );
        return e && { election: e, recipients: a.replicas.filter(liveOrShuttingDown), unclean: false };
      }
    }
  }

  private logFailedStateChange(
    tp: TopicPartition,
    from: PartitionState,
    to: PartitionState,
    cause: string,
  ): void {
    this.d.stateChangeLog.error(
      `Controller ${this.d.controllerId} epoch ${this.ctx.epoch} failed to change state for partition ${tpString(tp)} from ${from} to ${to}\n${cause}`,
    );
  }
}

const key = (tp: TopicPartition): string => tpKey(tp.topic, tp.partition);
export const tpString = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;
