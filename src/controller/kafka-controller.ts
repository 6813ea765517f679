// The controller (Kafka's KafkaController, ZooKeeper mode). Every broker races for the ephemeral
// /controller znode; the winner bumps /controller_epoch, loads its context from ZooKeeper and
// from then on decides leadership: new partitions go online (leader = first live replica, ISR =
// live replicas), offline partitions get a leader from the ISR (unclean only when allowed),
// replicas of dead brokers leave the ISR, ISR changes arrive through AlterPartition, controlled
// shutdown moves leadership away, preferred leaders are restored, topics are deleted. Every
// decision reaches brokers as LeaderAndIsr / UpdateMetadata / StopReplica. Events run one at a
// time (Kafka's single controller event thread). Losers watch /controller.
//
// Fencing, as Kafka's KafkaZkClient does it: every controller write is a ZooKeeper multi whose
// first op checks that /controller_epoch still has the zkVersion this controller's election
// wrote (src/zk/zk-multi-session.ts: the npm client has no multi). A deposed controller's write
// fails as a whole, whatever happens between its last read and its write.

import { ErrorCode } from '../protocol/errors';
import type { AlterPartitionRequest } from '../protocol/messages/generated/AlterPartitionRequest';
import type { AlterPartitionResponseInit } from '../protocol/messages/generated/AlterPartitionResponse';
import type { StopReplicaResponse } from '../protocol/messages/generated/StopReplicaResponse';
import { LogConfig } from '../log/log-config';
import { getLogger, Logger } from '../utils/logger';
import { KafkaZkClient, randomUuid } from '../zk/kafka-zk-client';
import { CreateMode, WatchEvent, ZkError, ZkFence, ZkFencedError } from '../zk/zk-client';
import { ControllerEpochZNode, ControllerZNode, LeaderIsrAndControllerEpoch, ZkPaths } from '../zk/zk-data';
import { ControllerChannelManager } from './controller-channel-manager';
import { ControllerContext, ReplicaAssignment, tpKey } from './controller-context';
import { ControllerRequestBatch } from './controller-request-batch';
import {
  controlledShutdownPartitionLeaderElection,
  Election,
  offlinePartitionLeaderElection,
  preferredReplicaPartitionLeaderElection,
} from './partition-leader-election';

export class ControllerMovedError extends Error {}

export interface KafkaControllerConfig {
  brokerId: number;
  deleteTopicEnable: boolean;
  interBrokerListener: string;
  brokerProps: Record<string, string>;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalMs: number;
  leaderImbalancePerBrokerPercentage: number;
  requestTimeoutMs: number;
}

type TP = { topic: string; partition: number };

export class KafkaController {
  private readonly log: Logger;
  private readonly stateChangeLog: Logger;
  activeControllerId = -1;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly ctx: ControllerContext;
  private channel: ControllerChannelManager | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private readonly brokerId: number;

  constructor(
    private readonly zkClient: KafkaZkClient,
    private readonly cfg: KafkaControllerConfig,
  ) {
    this.brokerId = cfg.brokerId;
    this.ctx = new ControllerContext(cfg.interBrokerListener);
    this.log = getLogger('kafka.controller.KafkaController', `[Controller id=${this.brokerId}]`);
    this.stateChangeLog = getLogger('state.change.logger', `[Controller id=${this.brokerId}]`);
  }

  get isActive(): boolean {
    return this.activeControllerId === this.brokerId && !this.stopped;
  }

  get epoch(): number {
    return this.ctx.epoch;
  }

  async startup(): Promise<void> {
    this.zkClient.zk.onSessionReinit(() => this.enqueue('RegisterBrokerAndReelect', () => this.elect()));
    await this.enqueue('Startup', () => this.elect());
  }

  async shutdown(): Promise<void> {
    const wasActive = this.isActive;
    this.stopped = true;
    await this.chain;
    this.onResignation();
    if (wasActive) await this.zkClient.zk.delete(ZkPaths.controller).catch(() => undefined);
  }

  private enqueue<T>(name: string, fn: () => Promise<T>): Promise<T | undefined> {
    const run = this.chain.then(async () => {
      if (this.stopped) return undefined;
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ControllerMovedError || e instanceof ZkFencedError) {
          this.log.info(
            `Controller moved to another broker when processing ${name}. Trigger controller move listener immediately`,
          );
          await this.elect().catch(() => undefined);
        } else this.log.error(`Error processing event ${name}: ${(e as Error).stack}`);
        return undefined;
      }
    });
    this.chain = run.then(() => undefined);
    return run;
  }

  // ---- election and failover ------------------------------------------------------------

  private readonly onControllerChange = (ev: WatchEvent) => {
    void this.enqueue(ev === WatchEvent.Deleted ? 'Reelect' : 'ControllerChange', () => this.elect());
  };

  private async elect(): Promise<void> {
    const current = await this.zkClient.getControllerId(this.onControllerChange);
    if (current !== -1) {
      if (this.isActive && current !== this.brokerId) this.onResignation();
      this.activeControllerId = current;
      return;
    }
    if (this.isActive) this.onResignation();
    const epochNode = await this.readOrCreateEpoch();
    try {
      await this.zkClient.zk.create(
        ZkPaths.controller,
        ControllerZNode.encode(this.brokerId),
        CreateMode.EPHEMERAL,
      );
    } catch (e) {
      if (e instanceof ZkError && e.isNodeExists) {
        this.activeControllerId = await this.zkClient.getControllerId();
        return;
      }
      throw e;
    }
    try {
      const stat = await this.zkClient.zk.setData(
        ZkPaths.controllerEpoch,
        ControllerEpochZNode.encode(epochNode.epoch + 1),
        epochNode.version,
      );
      this.ctx.epoch = epochNode.epoch + 1;
      this.ctx.epochZkVersion = stat.version;
    } catch (e) {
      await this.zkClient.zk.delete(ZkPaths.controller).catch(() => undefined);
      throw e;
    }
    this.activeControllerId = this.brokerId;
    this.log.info(
      `${this.brokerId} successfully elected as the controller. Epoch incremented to ${this.ctx.epoch} and epoch zk version is now ${this.ctx.epochZkVersion}`,
    );
    await this.onControllerFailover();
  }

  private async readOrCreateEpoch(): Promise<{ epoch: number; version: number }> {
    for (;;) {
      const r = await this.zkClient.zk.getData(ZkPaths.controllerEpoch);
      if (r) return { epoch: ControllerEpochZNode.decode(r.data), version: r.stat.version };
      try {
        await this.zkClient.zk.create(ZkPaths.controllerEpoch, ControllerEpochZNode.encode(0));
      } catch (e) {
        if (!(e instanceof ZkError && e.isNodeExists)) throw e;
      }
    }
  }

  private onResignation(): void {
    if (this.activeControllerId === this.brokerId) this.log.info('Resigned');
    this.activeControllerId = -1;
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    this.rebalanceTimer = null;
    this.channel?.shutdown();
    this.channel = null;
    this.ctx.reset();
  }

  /**
   * The fence on every controller write: each one is a ZooKeeper multi that first checks that
   * /controller_epoch still has the zkVersion our election wrote, so a deposed controller's write
   * fails as a whole (ZkFencedError) instead of overwriting its successor's state.
   */
  private get fence(): ZkFence {
    // -1 would match any version: after resignation there is nothing to fence with.
    if (this.ctx.epochZkVersion < 0) throw new ControllerMovedError();
    return { path: ZkPaths.controllerEpoch, version: this.ctx.epochZkVersion };
  }

  private newBatch(): ControllerRequestBatch {
    return new ControllerRequestBatch(this.ctx, this.channel!, this.brokerId);
  }

  private async onControllerFailover(): Promise<void> {
    this.log.info('Initializing controller context');
    this.channel = new ControllerChannelManager(this.brokerId, this.cfg.requestTimeoutMs);
    await this.zkClient.zk
      .setData(ZkPaths.feature, Buffer.from('{"version":2,"status":1,"features":{}}'))
      .catch(async () => {
        await this.zkClient.zk.createRecursive(
          ZkPaths.feature,
          Buffer.from('{"version":2,"status":1,"features":{}}'),
        );
      });
    await this.loadBrokers(true);
    await this.loadTopics(true);
    for (const t of await this.zkClient.getTopicsMarkedForDeletion(this.onDeleteTopicsChange))
      if (this.ctx.assignments.has(t)) this.ctx.topicsToBeDeleted.add(t);

    // Brokers need the broker list before LeaderAndIsr (Kafka sends it first).
    const batch = this.newBatch();
    batch.addUpdateMetadata([...this.ctx.liveBrokers.keys()], []);
    batch.send();
    // Replicas on live brokers learn the current state.
    const all = this.ctx.allPartitions().filter((tp) => !this.ctx.topicsToBeDeleted.has(tp.topic));
    const b2 = this.newBatch();
    for (const tp of all) {
      const s = this.ctx.state(tp.topic, tp.partition);
      if (!s) continue;
      const replicas = this.ctx.assignment(tp.topic, tp.partition)!.replicas;
      b2.addLeaderAndIsr(
        replicas.filter((r) => this.ctx.isLive(r)),
        tp.topic,
        tp.partition,
        false,
      );
    }
    b2.send();
    await this.electOfflineAndNewPartitions();
    // Reassignments: the legacy znode's first, then every partition still moving.
    await this.processZkReassignment();
    await this.resumeReassignments();
    await this.resumeDeletions();
    if (this.cfg.autoLeaderRebalanceEnable) {
      this.rebalanceTimer = setInterval(
        () => void this.enqueue('AutoPreferredReplicaLeaderElection', () => this.checkLeaderImbalance()),
        this.cfg.leaderImbalanceCheckIntervalMs,
      );
      this.rebalanceTimer.unref();
    }
    this.log.info(`Ready to serve as the new controller with epoch ${this.ctx.epoch}`);
  }

  // ---- loading from ZooKeeper -------------------------------------------------------------

  private readonly onBrokersChange = () =>
    void this.enqueue('BrokerChange', () => this.processBrokerChange());
  private readonly onTopicsChange = () => void this.enqueue('TopicChange', () => this.processTopicChange());
  private readonly onDeleteTopicsChange = () =>
    void this.enqueue('TopicDeletion', () => this.processTopicDeletion());

  private async loadBrokers(
    initial: boolean,
  ): Promise<{ added: number[]; removed: number[]; bounced: number[] }> {
    const ids = await this.zkClient.getBrokerIds(this.onBrokersChange);
    const seen = new Set<number>();
    const added: number[] = [];
    const bounced: number[] = [];
    for (const id of ids) {
      const b = await this.zkClient.getBroker(id);
      if (!b) continue;
      seen.add(id);
      const prev = this.ctx.liveBrokers.get(id);
      if (!prev) added.push(id);
      else if (prev.epoch !== b.epoch) bounced.push(id);
      this.ctx.liveBrokers.set(id, b);
    }
    const removed = [...this.ctx.liveBrokers.keys()].filter((id) => !seen.has(id));
    for (const id of removed) {
      this.ctx.liveBrokers.delete(id);
      this.ctx.shuttingDownBrokerIds.delete(id);
    }
    for (const id of [...added, ...bounced]) {
      const b = this.ctx.liveBrokers.get(id)!;
      const ep = b.endpoints.find((e) => e.listenerName === this.cfg.interBrokerListener) ?? b.endpoints[0];
      if (bounced.includes(id)) this.channel?.removeBroker(id);
      if (ep) this.channel?.addBroker(id, ep.host, ep.port);
    }
    for (const id of removed) this.channel?.removeBroker(id);
    if (initial)
      this.log.info(
        `Initialized broker epochs cache: ${JSON.stringify(Object.fromEntries([...this.ctx.liveBrokers].map(([k, v]) => [k, v.epoch])))}`,
      );
    return { added, removed, bounced };
  }

  private async loadTopics(initial: boolean): Promise<string[]> {
    const topics = await this.zkClient.getAllTopics(this.onTopicsChange);
    const fresh: string[] = [];
    for (const t of [...this.ctx.assignments.keys()]) if (!topics.includes(t)) this.ctx.removeTopic(t);
    for (const t of topics) {
      if (this.ctx.assignments.has(t)) continue;
      if (await this.loadTopic(t)) fresh.push(t);
    }
    if (initial) this.log.info(`Initialized controller context with ${this.ctx.assignments.size} topics`);
    return fresh;
  }

  /** Reads a topic's assignment (watching it) and its partition states into the context. */
  private async loadTopic(topic: string): Promise<boolean> {
    const a = await this.zkClient.getTopicAssignment(topic, (ev) => {
      if (ev === WatchEvent.Changed)
        void this.enqueue('PartitionModifications', () => this.processPartitionModifications(topic));
    });
    if (!a) return false;
    if (a.topicId === null) {
      // Kafka assigns missing topic ids (IBP >= 2.8) at failover / creation.
      a.topicId = randomUuid();
      await this.zkClient.setTopicAssignment(topic, a, -1, this.fence);
    }
    this.ctx.topicIds.set(topic, a.topicId);
    const parts = new Map<
      number,
      { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }
    >();
    for (const [p, replicas] of a.partitions) {
      parts.set(p, {
        replicas,
        addingReplicas: a.addingReplicas.get(p) ?? [],
        removingReplicas: a.removingReplicas.get(p) ?? [],
      });
      const s = await this.zkClient.getPartitionState(topic, p);
      if (s) this.ctx.partitionStates.set(tpKey(topic, p), s);
    }
    this.ctx.assignments.set(topic, parts);
    return true;
  }

  // ---- partition state machine ---------------------------------------------------------------

  /** Writes a new leader/ISR (conditional on the partition epoch) and returns the stored state. */
  private async writeState(
    tp: TP,
    next: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>,
    expectedVersion: number,
  ): Promise<LeaderIsrAndControllerEpoch> {
    const version = await this.zkClient.updatePartitionState(
      tp.topic,
      tp.partition,
      next,
      expectedVersion,
      this.fence,
    );
    const s = { ...next, partitionEpoch: version };
    this.ctx.partitionStates.set(tpKey(tp.topic, tp.partition), s);
    return s;
  }

  /** New → Online: first live replica leads, live replicas form the ISR, epoch 0. */
  private async initializeLeaderAndIsr(tp: TP, batch: ControllerRequestBatch): Promise<boolean> {
    const replicas = this.ctx.assignment(tp.topic, tp.partition)!.replicas;
    const live = replicas.filter((r) => this.ctx.isLive(r));
    if (live.length === 0) {
      this.stateChangeLog.error(
        `Controller ${this.brokerId} epoch ${this.ctx.epoch} failed to change state for partition ${tp.topic}-${tp.partition} from NewPartition to OnlinePartition: No assigned replica is alive (${replicas.join(',')})`,
      );
      return false;
    }
    const state = {
      leader: live[0],
      leaderEpoch: 0,
      isr: live,
      controllerEpoch: this.ctx.epoch,
      leaderRecoveryState: 0,
    };
    try {
      await this.zkClient.createPartitionState(tp.topic, tp.partition, state, this.fence);
    } catch (e) {
      if (e instanceof ZkError && e.isNodeExists) {
        const existing = await this.zkClient.getPartitionState(tp.topic, tp.partition);
        if (existing) this.ctx.partitionStates.set(tpKey(tp.topic, tp.partition), existing);
        return false;
      }
      throw e;
    }
    this.ctx.partitionStates.set(tpKey(tp.topic, tp.partition), { ...state, partitionEpoch: 0 });
    this.stateChangeLog.info(
      `Changed partition ${tp.topic}-${tp.partition} from NewPartition to OnlinePartition with state LeaderAndIsr(leader=${state.leader}, leaderEpoch=0, isr=${live.join(',')}, leaderRecoveryState=RECOVERED, partitionEpoch=0)`,
    );
    batch.addLeaderAndIsr(live, tp.topic, tp.partition, true);
    return true;
  }

  private uncleanAllowed(topic: string, overrides: Record<string, string>): boolean {
    return LogConfig.fromProperties(this.cfg.brokerProps, overrides).uncleanLeaderElectionEnable;
  }

  /**
   * Runs `elect` on the partition with the freshest state from ZooKeeper, retrying on a
   * concurrent change; sends LeaderAndIsr to `recipients`. Returns the new state or null.
   */
  private async electLeader(
    tp: TP,
    batch: ControllerRequestBatch,
    elect: (current: LeaderIsrAndControllerEpoch, assignment: number[]) => Election | null,
    recipients: (assignment: number[]) => number[],
    reason: string,
  ): Promise<LeaderIsrAndControllerEpoch | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.zkClient.getPartitionState(tp.topic, tp.partition);
      if (!current) return null;
      if (current.controllerEpoch > this.ctx.epoch) throw new ControllerMovedError();
      const assignment = this.ctx.assignment(tp.topic, tp.partition)!.replicas;
      const e = elect(current, assignment);
      if (!e) {
        this.ctx.partitionStates.set(tpKey(tp.topic, tp.partition), current);
        this.stateChangeLog.error(
          `Controller ${this.brokerId} epoch ${this.ctx.epoch} failed to elect a leader for partition ${tp.topic}-${tp.partition} (${reason}): no eligible replica among assigned [${assignment.join(',')}], ISR [${current.isr.join(',')}]`,
        );
        return null;
      }
      try {
        const s = await this.writeState(
          tp,
          {
            leader: e.leader,
            leaderEpoch: current.leaderEpoch + 1,
            isr: e.isr,
            controllerEpoch: this.ctx.epoch,
            leaderRecoveryState: e.leaderRecoveryState,
          },
          current.partitionEpoch,
        );
        this.stateChangeLog.info(
          `Changed partition ${tp.topic}-${tp.partition} to OnlinePartition with state LeaderAndIsr(leader=${s.leader}, leaderEpoch=${s.leaderEpoch}, isr=${s.isr.join(',')}, leaderRecoveryState=${s.leaderRecoveryState ? 'RECOVERING' : 'RECOVERED'}, partitionEpoch=${s.partitionEpoch}) (${reason})`,
        );
        batch.addLeaderAndIsr(recipients(assignment), tp.topic, tp.partition, false);
        return s;
      } catch (err) {
        if (err instanceof ZkError && err.isBadVersion) continue;
        throw err;
      }
    }
    return null;
  }

  /** Offline-partition election (unclean when allowed); LeaderAndIsr to the live replicas. */
  private electOffline(tp: TP, batch: ControllerRequestBatch, unclean: boolean, reason: string) {
    return this.electLeader(
      tp,
      batch,
      (cur, a) =>
        offlinePartitionLeaderElection(
          a,
          cur.isr,
          (id) => this.ctx.isLive(id),
          unclean,
          cur.leaderRecoveryState,
        ),
      (a) => a.filter((r) => this.ctx.isLive(r)),
      reason,
    );
  }

  /** Preferred-replica election; LeaderAndIsr to the live replicas. */
  private electPreferred(tp: TP, batch: ControllerRequestBatch, reason: string) {
    return this.electLeader(
      tp,
      batch,
      (cur, a) =>
        preferredReplicaPartitionLeaderElection(
          a,
          cur.isr,
          (id) => this.ctx.isLive(id),
          cur.leaderRecoveryState,
        ),
      (a) => a.filter((r) => this.ctx.isLive(r)),
      reason,
    );
  }

  /** New and offline partitions (no state, or a dead leader) go online. */
  private async electOfflineAndNewPartitions(only?: TP[]): Promise<void> {
    const batch = this.newBatch();
    const topicConfigs = new Map<string, Record<string, string>>();
    for (const tp of only ?? this.ctx.allPartitions()) {
      if (this.ctx.topicsToBeDeleted.has(tp.topic)) continue;
      const s = this.ctx.state(tp.topic, tp.partition);
      if (!s) {
        await this.initializeLeaderAndIsr(tp, batch);
        continue;
      }
      if (s.leader >= 0 && this.ctx.isLive(s.leader)) continue;
      let overrides = topicConfigs.get(tp.topic);
      if (!overrides)
        topicConfigs.set(tp.topic, (overrides = await this.zkClient.getEntityConfig('topics', tp.topic)));
      const unclean = this.uncleanAllowed(tp.topic, overrides);
      const r = await this.electOffline(tp, batch, unclean, 'offline partition election');
      if (!r) {
        // Still offline: record "no leader" so metadata reports LEADER_NOT_AVAILABLE.
        const cur = this.ctx.state(tp.topic, tp.partition)!;
        if (cur.leader !== -1 && !this.ctx.isLive(cur.leader)) {
          try {
            await this.writeState(
              tp,
              { ...cur, leader: -1, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.ctx.epoch },
              cur.partitionEpoch,
            );
          } catch (e) {
            if (!(e instanceof ZkError && e.isBadVersion)) throw e;
          }
          batch.addUpdateMetadata([...this.ctx.liveBrokers.keys()], [tp]);
        }
      }
    }
    batch.send();
  }

  // ---- broker changes --------------------------------------------------------------------

  private async processBrokerChange(): Promise<void> {
    if (!this.isActive) return;
    const { added, removed, bounced } = await this.loadBrokers(false);
    if (added.length + removed.length + bounced.length === 0) return;
    this.log.info(
      `Newly added brokers: ${added.join(',')}, deleted brokers: ${removed.join(',')}, bounced brokers: ${bounced.join(',')}, all live brokers: ${this.ctx.liveBrokerIds().join(',')}`,
    );
    const dead = [...removed, ...bounced];
    if (dead.length > 0) await this.onBrokerFailure(dead);
    const fresh = [...added, ...bounced];
    if (fresh.length > 0) await this.onBrokerStartup(fresh);
  }

  private async onBrokerStartup(ids: number[]): Promise<void> {
    const batch = this.newBatch();
    const existing = [...this.ctx.liveBrokers.keys()].filter((id) => !ids.includes(id));
    batch.addUpdateMetadata(existing, []);
    const withState = this.ctx
      .allPartitions()
      .filter((tp) => this.ctx.state(tp.topic, tp.partition) && !this.ctx.topicsToBeDeleted.has(tp.topic));
    batch.addUpdateMetadata(ids, withState);
    for (const id of ids)
      for (const tp of this.ctx.partitionsOnBroker(id))
        if (this.ctx.state(tp.topic, tp.partition) && !this.ctx.topicsToBeDeleted.has(tp.topic))
          batch.addLeaderAndIsr([id], tp.topic, tp.partition, false);
    batch.send();
    await this.electOfflineAndNewPartitions();
    await this.resumeReassignments(ids);
    await this.resumeDeletions();
  }

  private async onBrokerFailure(ids: number[]): Promise<void> {
    // Leaders on dead brokers: elect new ones from the ISR.
    await this.electOfflineAndNewPartitions(
      this.ctx.allPartitions().filter((tp) => {
        const s = this.ctx.state(tp.topic, tp.partition);
        return s !== undefined && ids.includes(s.leader);
      }),
    );
    // Dead followers leave the ISR (OfflineReplica), unless they are its last member.
    const batch = this.newBatch();
    for (const id of ids) await this.removeReplicaFromIsr(id, batch);
    batch.addUpdateMetadata([...this.ctx.liveBrokers.keys()], []);
    batch.send();
  }

  /** OfflineReplica transition: drop `replica` from every ISR it is in (leader -1 if it led). */
  private async removeReplicaFromIsr(replica: number, batch: ControllerRequestBatch): Promise<void> {
    for (const tp of this.ctx.partitionsOnBroker(replica)) {
      if (this.ctx.topicsToBeDeleted.has(tp.topic)) continue;
      await this.removeReplicaFromPartitionIsr(tp, replica, batch);
    }
  }

  /** One partition's OfflineReplica step: leave the ISR (never emptying it), epoch + 1. */
  private async removeReplicaFromPartitionIsr(
    tp: TP,
    replica: number,
    batch: ControllerRequestBatch,
  ): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.zkClient.getPartitionState(tp.topic, tp.partition);
      if (!cur || !cur.isr.includes(replica)) return;
      if (cur.controllerEpoch > this.ctx.epoch) throw new ControllerMovedError();
      const isr = cur.isr.length === 1 ? cur.isr : cur.isr.filter((r) => r !== replica);
      const leader = cur.leader === replica ? -1 : cur.leader;
      try {
        const s = await this.writeState(
          tp,
          { ...cur, leader, isr, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.ctx.epoch },
          cur.partitionEpoch,
        );
        this.stateChangeLog.info(
          `Changed partition ${tp.topic}-${tp.partition} state to LeaderAndIsr(leader=${s.leader}, leaderEpoch=${s.leaderEpoch}, isr=${s.isr.join(',')}) after removing replica ${replica} from the ISR`,
        );
        const others = this.ctx
          .assignment(tp.topic, tp.partition)!
          .replicas.filter((r) => r !== replica && this.ctx.isLiveOrShuttingDown(r));
        batch.addLeaderAndIsr(others, tp.topic, tp.partition, false);
        return;
      } catch (e) {
        if (!(e instanceof ZkError && e.isBadVersion)) throw e;
      }
    }
  }

  // ---- topics ------------------------------------------------------------------------------

  private async processTopicChange(): Promise<void> {
    if (!this.isActive) return;
    const fresh = await this.loadTopics(false);
    if (fresh.length === 0) return;
    this.log.info(`New topics: [${fresh.join(',')}]`);
    await this.electOfflineAndNewPartitions(
      this.ctx.allPartitions().filter((tp) => fresh.includes(tp.topic)),
    );
  }

  private async processPartitionModifications(topic: string): Promise<void> {
    if (!this.isActive || !this.ctx.assignments.has(topic)) return;
    const a = await this.zkClient.getTopicAssignment(topic, (ev) => {
      if (ev === WatchEvent.Changed)
        void this.enqueue('PartitionModifications', () => this.processPartitionModifications(topic));
    });
    if (!a) return;
    const known = this.ctx.assignments.get(topic)!;
    const added: TP[] = [];
    for (const [p, replicas] of a.partitions) {
      if (known.has(p)) {
        const k = known.get(p)!;
        k.replicas = replicas;
        k.addingReplicas = a.addingReplicas.get(p) ?? [];
        k.removingReplicas = a.removingReplicas.get(p) ?? [];
        continue;
      }
      known.set(p, {
        replicas,
        addingReplicas: a.addingReplicas.get(p) ?? [],
        removingReplicas: a.removingReplicas.get(p) ?? [],
      });
      added.push({ topic, partition: p });
    }
    if (added.length > 0) {
      this.log.info(
        `New partitions to be added ${added.map((tp) => `${tp.topic}-${tp.partition}`).join(',')}`,
      );
      await this.electOfflineAndNewPartitions(added);
    }
  }

  private readonly pendingStopReplica = new Map<string, Set<number>>();

  private async processTopicDeletion(): Promise<void> {
    if (!this.isActive) return;
    const marked = await this.zkClient.getTopicsMarkedForDeletion(this.onDeleteTopicsChange);
    for (const topic of marked) {
      if (!this.cfg.deleteTopicEnable) {
        this.log.info(`Removing ${topic} from /admin/delete_topics since delete.topic.enable is false`);
        await this.zkClient.zk.deleteRecursive(ZkPaths.deleteTopic(topic), this.fence);
        continue;
      }
      if (!this.ctx.assignments.has(topic)) {
        await this.zkClient.zk.deleteRecursive(ZkPaths.deleteTopic(topic), this.fence);
        continue;
      }
      this.ctx.topicsToBeDeleted.add(topic);
    }
    await this.resumeDeletions();
  }

  /**
   * Deletes queued topics whose replicas are all on live brokers: UpdateMetadata with
   * LeaderDuringDelete, StopReplica(delete) to every replica, znodes removed once all answered.
   * Topics with a replica on a dead broker wait for it (Kafka's "ineligible for deletion").
   */
  private async resumeDeletions(): Promise<void> {
    for (const topic of [...this.ctx.topicsToBeDeleted]) {
      if (this.pendingStopReplica.has(topic)) continue;
      const parts = [...(this.ctx.assignments.get(topic)?.entries() ?? [])];
      const replicas = new Set(parts.flatMap(([, a]) => a.replicas));
      if ([...replicas].some((r) => !this.ctx.isLiveOrShuttingDown(r))) {
        this.log.info(`Topic ${topic} is ineligible for deletion: a replica is on a dead broker`);
        continue;
      }
      if (parts.some(([, a]) => isReassigning(a))) {
        this.log.info(`Topic ${topic} is ineligible for deletion: a reassignment is in progress`);
        continue;
      }
      this.log.info(`Topic deletion callback for ${topic}`);
      const batch = this.newBatch();
      batch.addUpdateMetadata(
        [...this.ctx.liveBrokers.keys()],
        parts.map(([p]) => ({ topic, partition: p })),
      );
      for (const [p, a] of parts) for (const r of a.replicas) batch.addStopReplica(r, topic, p, true);
      const waiting = new Set(replicas);
      this.pendingStopReplica.set(topic, waiting);
      batch.send((brokerId, resp) => {
        // null: a broker that does not serve StopReplica drops the replica when the topic
        // leaves its metadata (UpdateMetadata with LeaderDuringDelete above).
        const r = (resp as StopReplicaResponse | null) ?? { errorCode: ErrorCode.NONE };
        if (r.errorCode !== ErrorCode.NONE) {
          this.log.warn(
            `StopReplica for topic ${topic} failed on broker ${brokerId} (error ${r.errorCode}); retrying later`,
          );
          this.pendingStopReplica.delete(topic);
          return;
        }
        waiting.delete(brokerId);
        if (waiting.size === 0)
          void this.enqueue('TopicDeletionStopReplicaResponseReceived', () =>
            this.completeDeleteTopic(topic),
          );
      });
      if (waiting.size === 0) await this.completeDeleteTopic(topic);
    }
  }

  private async completeDeleteTopic(topic: string): Promise<void> {
    this.pendingStopReplica.delete(topic);
    if (!this.isActive) return;
    await this.zkClient.deleteTopicZNodes(topic, this.fence);
    this.ctx.removeTopic(topic);
    this.log.info(`Deletion of topic ${topic} successfully completed`);
  }

  // ---- requests from brokers ---------------------------------------------------------------

  /** AlterPartition (key 56): a leader's ISR change, validated and written (§8). */
  alterPartition(req: AlterPartitionRequest, version: number): Promise<AlterPartitionResponseInit> {
    return this.enqueue('AlterPartitionReceived', async () => this.processAlterPartition(req, version)).then(
      (r) => r ?? { errorCode: ErrorCode.NOT_CONTROLLER, topics: [], throttleTimeMs: 0 },
    );
  }

  private async processAlterPartition(
    req: AlterPartitionRequest,
    version: number,
  ): Promise<AlterPartitionResponseInit> {
    if (!this.isActive) return { errorCode: ErrorCode.NOT_CONTROLLER, topics: [], throttleTimeMs: 0 };
    const broker = this.ctx.liveBrokers.get(req.brokerId);
    if (!broker || (req.brokerEpoch !== -1n && BigInt(broker.epoch ?? -1) !== req.brokerEpoch))
      return { errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [], throttleTimeMs: 0 };
    const byId = new Map([...this.ctx.topicIds].filter(([, id]) => id).map(([t, id]) => [id as string, t]));
    const batch = this.newBatch();
    const topics = [];
    const changedIsr: TP[] = [];
    for (const t of req.topics) {
      const topic = version >= 2 ? byId.get(t.topicId) : t.topicName;
      const partitions = [];
      for (const p of t.partitions) {
        const out = {
          partitionIndex: p.partitionIndex,
          errorCode: ErrorCode.NONE as number,
          leaderId: -1,
          leaderEpoch: -1,
          isr: [] as number[],
          leaderRecoveryState: 0,
          partitionEpoch: -1,
        };
        const cur = topic ? this.ctx.state(topic, p.partitionIndex) : undefined;
        if (!topic || !cur) {
          out.errorCode =
            version >= 2 && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          partitions.push(out);
          continue;
        }
        const newIsr = version >= 3 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr;
        const fill = (s: LeaderIsrAndControllerEpoch) =>
          Object.assign(out, {
            leaderId: s.leader,
            leaderEpoch: s.leaderEpoch,
            isr: s.isr,
            leaderRecoveryState: s.leaderRecoveryState,
            partitionEpoch: s.partitionEpoch,
          });
        if (p.partitionEpoch > cur.partitionEpoch || p.leaderEpoch > cur.leaderEpoch)
          out.errorCode = ErrorCode.NOT_CONTROLLER;
        else if (p.leaderEpoch < cur.leaderEpoch) out.errorCode = ErrorCode.FENCED_LEADER_EPOCH;
        else if (sameIsr(newIsr, cur.isr) && p.leaderRecoveryState === cur.leaderRecoveryState) fill(cur);
        else if (p.partitionEpoch < cur.partitionEpoch) out.errorCode = ErrorCode.INVALID_UPDATE_VERSION;
        else if (
          (p.leaderRecoveryState === 1 && newIsr.length > 1) ||
          (cur.leaderRecoveryState === 0 && p.leaderRecoveryState === 1)
        )
          out.errorCode = ErrorCode.INVALID_REQUEST;
        else if (newIsr.some((r) => !this.ctx.isLive(r)))
          out.errorCode = version >= 2 ? ErrorCode.INELIGIBLE_REPLICA : ErrorCode.OPERATION_NOT_ATTEMPTED;
        else {
          try {
            const s = await this.writeState(
              { topic, partition: p.partitionIndex },
              {
                leader: cur.leader,
                leaderEpoch: cur.leaderEpoch,
                isr: newIsr,
                controllerEpoch: this.ctx.epoch,
                leaderRecoveryState: p.leaderRecoveryState,
              },
              p.partitionEpoch,
            );
            this.stateChangeLog.info(
              `ISR for partition ${topic}-${p.partitionIndex} changed from [${cur.isr.join(',')}] to [${s.isr.join(',')}] by broker ${req.brokerId}, partition epoch ${s.partitionEpoch}`,
            );
            fill(s);
            changedIsr.push({ topic, partition: p.partitionIndex });
            batch.addUpdateMetadata(
              [...this.ctx.liveBrokers.keys()],
              [{ topic, partition: p.partitionIndex }],
            );
          } catch (e) {
            if (e instanceof ZkError && e.isBadVersion) out.errorCode = ErrorCode.INVALID_UPDATE_VERSION;
            else throw e;
          }
        }
        partitions.push(out);
      }
      topics.push({ topicName: t.topicName, topicId: t.topicId, partitions });
    }
    batch.send();
    // An ISR that now holds a reassignment's whole target completes it (phase B).
    await this.checkReassignmentAfterIsrChange(changedIsr);
    return { errorCode: ErrorCode.NONE, topics, throttleTimeMs: 0 };
  }

  /**
   * ControlledShutdown (key 7): the broker stops counting as live; leaderships move to other
   * ISR members, followers leave the ISR; answers with the partitions it still leads.
   */
  controlledShutdown(brokerId: number, brokerEpoch: bigint): Promise<{ errorCode: number; remaining: TP[] }> {
    return this.enqueue('ControlledShutdown', async () =>
      this.processControlledShutdown(brokerId, brokerEpoch),
    ).then((r) => r ?? { errorCode: ErrorCode.NOT_CONTROLLER, remaining: [] });
  }

  private async processControlledShutdown(
    brokerId: number,
    brokerEpoch: bigint,
  ): Promise<{ errorCode: number; remaining: TP[] }> {
    if (!this.isActive) return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH, remaining: [] };
    const b = this.ctx.liveBrokers.get(brokerId);
    if (!b) return { errorCode: ErrorCode.BROKER_NOT_AVAILABLE, remaining: [] };
    if (brokerEpoch !== -1n && brokerEpoch < BigInt(b.epoch ?? -1))
      return { errorCode: ErrorCode.STALE_BROKER_EPOCH, remaining: [] };
    this.ctx.shuttingDownBrokerIds.add(brokerId);
    this.log.info(`Shutting down broker ${brokerId}`);
    const batch = this.newBatch();
    for (const tp of this.ctx.partitionsOnBroker(brokerId)) {
      const a = this.ctx.assignment(tp.topic, tp.partition)!;
      const s = this.ctx.state(tp.topic, tp.partition);
      if (!s || a.replicas.length <= 1 || this.ctx.topicsToBeDeleted.has(tp.topic)) continue;
      if (s.leader === brokerId) {
        await this.electLeader(
          tp,
          batch,
          (cur, assignment) =>
            controlledShutdownPartitionLeaderElection(
              assignment,
              cur.isr,
              (id) => this.ctx.isLiveOrShuttingDown(id),
              this.ctx.shuttingDownBrokerIds,
              cur.leaderRecoveryState,
            ),
          (assignment) => assignment.filter((r) => this.ctx.isLiveOrShuttingDown(r)),
          'controlled shutdown',
        );
      } else {
        batch.addStopReplica(brokerId, tp.topic, tp.partition, false);
      }
    }
    batch.send();
    const followerBatch = this.newBatch();
    await this.removeReplicaFromIsrWhereFollower(brokerId, followerBatch);
    followerBatch.send();
    const remaining = this.ctx
      .partitionsLedBy(brokerId)
      .filter(
        (tp) =>
          this.ctx.assignment(tp.topic, tp.partition)!.replicas.length > 1 &&
          !this.ctx.topicsToBeDeleted.has(tp.topic),
      );
    return { errorCode: ErrorCode.NONE, remaining };
  }

  private async removeReplicaFromIsrWhereFollower(
    brokerId: number,
    batch: ControllerRequestBatch,
  ): Promise<void> {
    for (const tp of this.ctx.partitionsOnBroker(brokerId)) {
      const s = this.ctx.state(tp.topic, tp.partition);
      const a = this.ctx.assignment(tp.topic, tp.partition)!;
      if (
        !s ||
        s.leader === brokerId ||
        a.replicas.length <= 1 ||
        !s.isr.includes(brokerId) ||
        s.isr.length <= 1
      )
        continue;
      try {
        const ns = await this.writeState(
          tp,
          {
            ...s,
            isr: s.isr.filter((r) => r !== brokerId),
            leaderEpoch: s.leaderEpoch + 1,
            controllerEpoch: this.ctx.epoch,
          },
          s.partitionEpoch,
        );
        this.stateChangeLog.info(
          `Removed shutting-down broker ${brokerId} from the ISR of ${tp.topic}-${tp.partition}: [${ns.isr.join(',')}]`,
        );
        batch.addLeaderAndIsr(
          a.replicas.filter((r) => r !== brokerId && this.ctx.isLiveOrShuttingDown(r)),
          tp.topic,
          tp.partition,
          false,
        );
      } catch (e) {
        if (!(e instanceof ZkError && e.isBadVersion)) throw e;
      }
    }
  }

  /**
   * ElectLeaders (key 43): PREFERRED (0) or UNCLEAN (1) for the given partitions (null = all).
   * Per-partition errors as Kafka: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE,
   * ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION.
   */
  electLeaders(
    type: number,
    partitions: TP[] | null,
  ): Promise<Array<TP & { errorCode: number; errorMessage: string | null }> | null> {
    return this.enqueue('ReplicaLeaderElection', async () => {
      if (!this.isActive) return null;
      const batch = this.newBatch();
      const out = [];
      for (const tp of partitions ?? this.ctx.allPartitions()) {
        const res = { ...tp, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
        out.push(res);
        const s = this.ctx.state(tp.topic, tp.partition);
        const a = this.ctx.assignment(tp.topic, tp.partition);
        if (!s || !a) {
          res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          continue;
        }
        if (this.ctx.topicsToBeDeleted.has(tp.topic)) {
          res.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
          continue;
        }
        if (type === 0) {
          if (s.leader === a.replicas[0]) {
            res.errorCode = ErrorCode.ELECTION_NOT_NEEDED;
            continue;
          }
          const r = await this.electPreferred(tp, batch, 'preferred replica election');
          if (!r) {
            res.errorCode = ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE;
            res.errorMessage = `Failed to elect leader for partition ${tp.topic}-${tp.partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy`;
          }
        } else {
          if (s.leader >= 0 && this.ctx.isLive(s.leader)) {
            res.errorCode = ErrorCode.ELECTION_NOT_NEEDED;
            continue;
          }
          const r = await this.electOffline(tp, batch, true, 'unclean election');
          if (!r) {
            res.errorCode = ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
            res.errorMessage = `Failed to elect leader for partition ${tp.topic}-${tp.partition} under strategy OfflinePartitionLeaderElectionStrategy(true)`;
          }
        }
      }
      batch.send();
      return out;
    }).then((r) => r ?? null);
  }

  // ---- partition reassignment (KIP-455; reassignment.md §2-§3) -------------------------------

  /**
   * AlterPartitionReassignments: per partition start, re-target or cancel (replicas null).
   * Returns null when this broker is not the active controller.
   */
  alterPartitionReassignments(
    list: Array<TP & { replicas: number[] | null }>,
  ): Promise<Array<TP & { errorCode: number; errorMessage: string | null }> | null> {
    return this.enqueue('ApiPartitionReassignment', async () => {
      if (!this.isActive) return null;
      const out = [];
      const accepted: TP[] = [];
      for (const r of list) {
        const res = {
          topic: r.topic,
          partition: r.partition,
          errorCode: ErrorCode.NONE as number,
          errorMessage: null as string | null,
        };
        out.push(res);
        const a = this.ctx.assignment(r.topic, r.partition);
        if (r.replicas !== null) {
          const origin = a ? originOf(a) : [];
          const err = this.validateTarget(r.replicas, origin);
          if (err) {
            Object.assign(res, { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: err });
            continue;
          }
        } else if (!a || !isReassigning(a)) {
          Object.assign(res, {
            errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS,
            errorMessage: 'No reassignment in progress',
          });
          continue;
        }
        if (!a || this.ctx.topicsToBeDeleted.has(r.topic)) {
          Object.assign(res, {
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            errorMessage: 'The partition does not exist.',
          });
          continue;
        }
        accepted.push(r);
        await this.onPartitionReassignment(r, r.replicas ?? originOf(a));
      }
      if (accepted.length > 0) await this.removeFromZkReassignment(accepted);
      return out;
    }).then((r) => r ?? null);
  }

  private validateTarget(target: number[], origin: number[]): string | null {
    if (target.length === 0) return 'Empty replica list specified in partition reassignment.';
    if (new Set(target).size !== target.length)
      return `Duplicate replica ids in partition reassignment replica list: ${target.join(',')}`;
    if (target.some((r) => r < 0)) return `Invalid broker id in replica list: ${target.join(',')}`;
    const added = minus(target, origin);
    if (added.some((r) => !this.ctx.isLive(r)))
      return `Replica assignment has brokers that are not alive. Replica list: ${target.join(',')}, live broker list: ${this.ctx.liveBrokerIds().join(',')}`;
    return null;
  }

  /** ListPartitionReassignments: partitions being reassigned (null filter = all). */
  listPartitionReassignments(partitions: TP[] | null): Promise<Array<TP & ReplicaAssignment> | null> {
    return this.enqueue('ListPartitionReassignments', async () => {
      if (!this.isActive) return null;
      const out = [];
      for (const tp of partitions ?? this.ctx.allPartitions()) {
        const a = this.ctx.assignment(tp.topic, tp.partition);
        if (a && isReassigning(a)) out.push({ ...tp, ...a });
      }
      return out;
    }).then((r) => r ?? null);
  }

  /** Writes a topic's whole assignment (with adding/removing replicas) to /brokers/topics/<t>. */
  private async writeTopicAssignment(topic: string): Promise<void> {
    const parts = this.ctx.assignments.get(topic)!;
    await this.zkClient.setTopicAssignment(
      topic,
      {
        partitions: new Map([...parts].map(([p, a]) => [p, a.replicas])),
        addingReplicas: new Map([...parts].map(([p, a]) => [p, a.addingReplicas])),
        removingReplicas: new Map([...parts].map(([p, a]) => [p, a.removingReplicas])),
        topicId: this.ctx.topicIds.get(topic) ?? null,
      },
      -1,
      this.fence,
    );
  }

  /** Stops and deletes replicas (OfflineReplica → ReplicaDeletionStarted) of one partition. */
  private async stopAndDeleteReplicas(
    tp: TP,
    replicas: number[],
    batch: ControllerRequestBatch,
  ): Promise<void> {
    for (const r of replicas) {
      batch.addStopReplica(r, tp.topic, tp.partition, false);
      await this.removeReplicaFromPartitionIsr(tp, r, batch);
      batch.addStopReplica(r, tp.topic, tp.partition, true);
    }
  }

  private async onPartitionReassignment(tp: TP, target: number[]): Promise<void> {
    const current = this.ctx.assignment(tp.topic, tp.partition)!;
    const next = reassignmentState(originOf(current), target);
    const batch = this.newBatch();
    // Phase U: ZooKeeper first, so a new controller can resume.
    const changed =
      next.replicas.join(',') !== current.replicas.join(',') ||
      next.addingReplicas.join(',') !== current.addingReplicas.join(',') ||
      next.removingReplicas.join(',') !== current.removingReplicas.join(',');
    const dropped = minus(current.replicas, next.replicas);
    if (changed) {
      this.ctx.assignments.get(tp.topic)!.set(tp.partition, next);
      await this.writeTopicAssignment(tp.topic);
      this.log.info(
        `Updated assignment for ${tp.topic}-${tp.partition}: replicas [${next.replicas.join(',')}], adding [${next.addingReplicas.join(',')}], removing [${next.removingReplicas.join(',')}]`,
      );
    }
    if (dropped.length > 0) await this.stopAndDeleteReplicas(tp, dropped, batch);
    batch.send();
    await this.maybeCompleteReassignment(tp, true);
  }

  /** Completion test and phases A/B; `started` = the reassignment was (re)started just now. */
  private async maybeCompleteReassignment(tp: TP, started: boolean): Promise<void> {
    const a = this.ctx.assignment(tp.topic, tp.partition);
    if (!a) return;
    const state = await this.zkClient.getPartitionState(tp.topic, tp.partition);
    if (!state) return;
    this.ctx.partitionStates.set(tpKey(tp.topic, tp.partition), state);
    const target = targetOf(a);
    if (isReassigning(a) && !target.every((r) => state.isr.includes(r))) {
      if (started) await this.reassignmentPhaseA(tp, a, state);
      return;
    }
    await this.reassignmentPhaseB(tp, a);
  }

  /** Phase A: epoch bump; LeaderAndIsr to the origin replicas and (IsNew) the adding ones. */
  private async reassignmentPhaseA(
    tp: TP,
    a: ReplicaAssignment,
    state: LeaderIsrAndControllerEpoch,
  ): Promise<void> {
    const batch = this.newBatch();
    try {
      await this.writeState(
        tp,
        { ...state, leaderEpoch: state.leaderEpoch + 1, controllerEpoch: this.ctx.epoch },
        state.partitionEpoch,
      );
    } catch (e) {
      if (!(e instanceof ZkError && e.isBadVersion)) throw e;
      return this.maybeCompleteReassignment(tp, true);
    }
    batch.addLeaderAndIsr(originOf(a), tp.topic, tp.partition, false);
    batch.addLeaderAndIsr(a.addingReplicas, tp.topic, tp.partition, true);
    batch.send();
  }

  /** Phase B: the target is in the ISR — move leadership into it, drop the removed replicas. */
  private async reassignmentPhaseB(tp: TP, a: ReplicaAssignment): Promise<void> {
    const target = targetOf(a);
    const removing = a.removingReplicas;
    const final: ReplicaAssignment = { replicas: target, addingReplicas: [], removingReplicas: [] };
    this.ctx.assignments.get(tp.topic)!.set(tp.partition, final);
    const batch = this.newBatch();
    const cur = this.ctx.state(tp.topic, tp.partition)!;
    if (!target.includes(cur.leader) || !this.ctx.isLive(cur.leader)) {
      await this.electLeader(
        tp,
        batch,
        (c) => {
          const leader = target.find((r) => this.ctx.isLive(r) && c.isr.includes(r));
          return leader === undefined
            ? null
            : { leader, isr: c.isr, leaderRecoveryState: c.leaderRecoveryState };
        },
        () => target,
        'reassignment',
      );
    } else {
      try {
        await this.writeState(
          tp,
          { ...cur, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.ctx.epoch },
          cur.partitionEpoch,
        );
        batch.addLeaderAndIsr(target, tp.topic, tp.partition, false);
      } catch (e) {
        if (!(e instanceof ZkError && e.isBadVersion)) throw e;
      }
    }
    for (const r of removing) {
      batch.addStopReplica(r, tp.topic, tp.partition, false);
      await this.removeReplicaFromPartitionIsr(tp, r, batch);
      batch.addStopReplica(r, tp.topic, tp.partition, true);
    }
    await this.writeTopicAssignment(tp.topic);
    batch.addUpdateMetadata([...this.ctx.liveBrokers.keys()], [tp]);
    batch.send();
    await this.removeFromZkReassignment([tp], target);
    this.log.info(`Completed reassignment of ${tp.topic}-${tp.partition} to [${target.join(',')}]`);
    if (this.ctx.topicsToBeDeleted.has(tp.topic)) await this.resumeDeletions();
  }

  /** After an accepted AlterPartition: a reassignment may now be complete. */
  private async checkReassignmentAfterIsrChange(tps: TP[]): Promise<void> {
    for (const tp of tps) {
      const a = this.ctx.assignment(tp.topic, tp.partition);
      if (a && isReassigning(a)) await this.maybeCompleteReassignment(tp, false);
    }
  }

  /** Re-drives in-flight reassignments (failover, or a broker of a target came back). */
  private async resumeReassignments(onlyWithBroker?: number[]): Promise<void> {
    for (const tp of this.ctx.allPartitions()) {
      const a = this.ctx.assignment(tp.topic, tp.partition)!;
      if (!isReassigning(a)) continue;
      if (onlyWithBroker && !targetOf(a).some((r) => onlyWithBroker.includes(r))) continue;
      await this.onPartitionReassignment(tp, targetOf(a));
    }
  }

  // Legacy path: /admin/reassign_partitions (creation watch only).
  private readonly onZkReassignment = (ev: WatchEvent) => {
    if (ev === WatchEvent.Created || ev === WatchEvent.Changed)
      void this.enqueue('ZkPartitionReassignment', () => this.processZkReassignment());
  };

  private async processZkReassignment(): Promise<void> {
    if (!this.isActive) return;
    const r = await this.zkClient.zk.getData(ZkPaths.reassignPartitions);
    if (!r) {
      await this.zkClient.zk.exists(ZkPaths.reassignPartitions, this.onZkReassignment);
      return;
    }
    let entries: Array<{ topic: string; partition: number; replicas: number[] }>;
    try {
      entries = (JSON.parse(r.data.toString('utf8')) as { partitions?: typeof entries }).partitions ?? [];
    } catch (e) {
      this.log.error(`Invalid JSON in ${ZkPaths.reassignPartitions}: ${(e as Error).message}; ignoring it`);
      return;
    }
    const failed: TP[] = [];
    for (const e of entries) {
      if (!this.ctx.assignment(e.topic, e.partition) || this.ctx.topicsToBeDeleted.has(e.topic)) {
        failed.push(e);
        continue;
      }
      await this.onPartitionReassignment(e, e.replicas);
    }
    if (failed.length > 0) await this.removeFromZkReassignment(failed);
  }

  /** Drops entries from /admin/reassign_partitions (those matching `done` targets, if given). */
  private async removeFromZkReassignment(tps: TP[], doneTarget?: number[]): Promise<void> {
    const r = await this.zkClient.zk.getData(ZkPaths.reassignPartitions);
    if (!r) return;
    let json: {
      version: number;
      partitions: Array<{ topic: string; partition: number; replicas: number[] }>;
    };
    try {
      json = JSON.parse(r.data.toString('utf8'));
    } catch {
      return;
    }
    const keep = (json.partitions ?? []).filter(
      (e) =>
        !tps.some(
          (tp) =>
            tp.topic === e.topic &&
            tp.partition === e.partition &&
            (doneTarget === undefined || e.replicas.join(',') === doneTarget.join(',')),
        ),
    );
    if (keep.length === (json.partitions ?? []).length) return;
    if (keep.length === 0) {
      await this.zkClient.zk.delete(ZkPaths.reassignPartitions, r.stat.version, this.fence).catch((e) => {
        if (e instanceof ZkFencedError) throw e; // otherwise someone rewrote or removed it: fine
      });
      await this.zkClient.zk.exists(ZkPaths.reassignPartitions, this.onZkReassignment);
    } else {
      await this.zkClient.zk.setData(
        ZkPaths.reassignPartitions,
        JSON.stringify({ version: 1, partitions: keep }),
        r.stat.version,
        this.fence,
      );
    }
  }

  /** auto.leader.rebalance.enable: preferred elections where a broker's imbalance > threshold. */
  private async checkLeaderImbalance(): Promise<void> {
    if (!this.isActive) return;
    const byPreferred = new Map<number, TP[]>();
    for (const tp of this.ctx.allPartitions()) {
      if (this.ctx.topicsToBeDeleted.has(tp.topic)) continue;
      const preferred = this.ctx.assignment(tp.topic, tp.partition)!.replicas[0];
      const l = byPreferred.get(preferred) ?? [];
      l.push(tp);
      byPreferred.set(preferred, l);
    }
    const toElect: TP[] = [];
    for (const [preferred, tps] of byPreferred) {
      const notLed = tps.filter((tp) => this.ctx.state(tp.topic, tp.partition)?.leader !== preferred);
      const ratio = notLed.length / tps.length;
      if (ratio > this.cfg.leaderImbalancePerBrokerPercentage / 100 && this.ctx.isLive(preferred))
        toElect.push(
          ...notLed.filter((tp) => this.ctx.state(tp.topic, tp.partition)?.isr.includes(preferred)),
        );
    }
    if (toElect.length === 0) return;
    const batch = this.newBatch();
    for (const tp of toElect) await this.electPreferred(tp, batch, 'auto preferred replica election');
    batch.send();
  }
}

// ---- partition reassignment (KIP-455) ---------------------------------------------------------

const distinct = (l: number[]): number[] => [...new Set(l)];
const minus = (a: number[], b: number[]): number[] => a.filter((x) => !b.includes(x));
const originOf = (a: ReplicaAssignment): number[] => minus(a.replicas, a.addingReplicas);
const targetOf = (a: ReplicaAssignment): number[] => minus(a.replicas, a.removingReplicas);
const isReassigning = (a: ReplicaAssignment): boolean =>
  a.addingReplicas.length > 0 || a.removingReplicas.length > 0;

/** RS = distinct(T ++ O), AR = RS − O, RR = RS − T (reassignment.md §1). */
export function reassignmentState(origin: number[], target: number[]): ReplicaAssignment {
  const replicas = distinct([...target, ...origin]);
  return { replicas, addingReplicas: minus(replicas, origin), removingReplicas: minus(replicas, target) };
}

function sameIsr(a: number[], b: number[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}
