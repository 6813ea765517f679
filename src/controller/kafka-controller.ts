// The controller (Kafka's KafkaController, ZooKeeper mode). Every broker races for the ephemeral
// /controller znode; the winner bumps /controller_epoch, loads its context from ZooKeeper and
// from then on decides leadership through Kafka's two state machines (partition-state-machine.ts,
// replica-state-machine.ts): new partitions go online, partitions whose leader died go offline and
// get a new leader from the ISR (unclean only when allowed — enabling it dynamically retries at
// once), replicas of dead brokers go offline (out of the ISRs), ISR changes arrive through
// AlterPartition, controlled shutdown moves leadership away, preferred leaders are restored,
// partitions are reassigned, topics are deleted (Kafka's TopicDeletionManager: replicas Offline →
// ReplicaDeletionStarted → Successful/Ineligible → NonExistent, then the znodes go). Every
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
import { addUncleanLeaderElectionListener } from '../server/config-manager';
import { getLogger, Logger } from '../utils/logger';
import { KafkaZkClient, randomUuid } from '../zk/kafka-zk-client';
import { CreateMode, WatchEvent, ZkError, ZkFence, ZkFencedError } from '../zk/zk-client';
import {
  BrokerRegistration,
  ControllerEpochZNode,
  ControllerZNode,
  LeaderIsrAndControllerEpoch,
  ZkPaths,
} from '../zk/zk-data';
import { ControllerChannelManager } from './controller-channel-manager';
import { ControllerContext, PartitionAndReplica, ReplicaAssignment, tpKey } from './controller-context';
import { ControllerRequestBatch } from './controller-request-batch';
import {
  leaderIsrAndControllerEpochString,
  OFFLINE_ELECTION,
  PartitionStateMachine,
  PartitionStateStore,
  tpString,
} from './partition-state-machine';
import { ReplicaStateMachine } from './replica-state-machine';
import { TopicDeletionManager } from './topic-deletion-manager';

export class ControllerMovedError extends Error {}

export interface KafkaControllerConfig {
  brokerId: number;
  deleteTopicEnable: boolean;
  interBrokerListener: string;
  /** The broker's properties; ConfigManager writes the dynamic log.* defaults through to it. */
  brokerProps: Record<string, string>;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalMs: number;
  leaderImbalancePerBrokerPercentage: number;
  requestTimeoutMs: number;
}

type TP = { topic: string; partition: number };

/** Kafka's first auto-rebalance check runs 5 s after failover. */
const FIRST_REBALANCE_CHECK_DELAY_MS = 5000;

export class KafkaController {
  private readonly log: Logger;
  private readonly stateChangeLog: Logger;
  activeControllerId = -1;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly ctx: ControllerContext;
  private channel: ControllerChannelManager | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  /** Incremented at every failover: timers of an earlier term do not reschedule themselves. */
  private term = 0;
  private readonly brokerId: number;
  private readonly partitionStateMachine: PartitionStateMachine;
  private readonly replicaStateMachine: ReplicaStateMachine;
  private readonly deletion: TopicDeletionManager;
  private readonly removeConfigListener: () => void;

  constructor(
    private readonly zkClient: KafkaZkClient,
    private readonly cfg: KafkaControllerConfig,
  ) {
    this.brokerId = cfg.brokerId;
    this.ctx = new ControllerContext(cfg.interBrokerListener);
    this.log = getLogger('kafka.controller.KafkaController', `[Controller id=${this.brokerId}]`);
    // Kafka's StateChangeLogger.withControllerEpoch: `[Controller id=N epoch=E] `.
    const withEpoch = () =>
      getLogger('state.change.logger', `[Controller id=${this.brokerId} epoch=${this.ctx.epoch}]`);
    const stateChange = (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') => (msg: string) =>
      withEpoch()[level](msg);
    this.stateChangeLog = {
      error: stateChange('error'),
      warn: stateChange('warn'),
      info: stateChange('info'),
      debug: stateChange('debug'),
      trace: stateChange('trace'),
      isDebugEnabled: () => withEpoch().isDebugEnabled(),
    };
    const deps = {
      controllerId: this.brokerId,
      ctx: this.ctx,
      store: this.stateStore,
      newBatch: () => this.newBatch(),
      stateChangeLog: this.stateChangeLog,
    };
    this.partitionStateMachine = new PartitionStateMachine({
      ...deps,
      uncleanLeaderElectionEnabled: (topic) => this.uncleanLeaderElectionEnabled(topic),
    });
    this.replicaStateMachine = new ReplicaStateMachine({
      ...deps,
      onStopReplicaResponse: (b, r, parts) => this.onStopReplicaResponse(b, r, parts),
    });
    this.deletion = new TopicDeletionManager({
      ctx: this.ctx,
      partitionStateMachine: this.partitionStateMachine,
      replicaStateMachine: this.replicaStateMachine,
      deleteTopicEnable: cfg.deleteTopicEnable,
      log: this.log,
      sendUpdateMetadata: (brokers, partitions) => this.sendUpdateMetadata(brokers, partitions),
      deleteTopicZNodes: (topic) => this.zkClient.deleteTopicZNodes(topic, this.fence),
    });
    // Kafka's TopicConfigHandler / DynamicLogConfig call enableTopicUncleanLeaderElection /
    // enableDefaultUncleanLeaderElection on the controller when the config turns it on.
    this.removeConfigListener = addUncleanLeaderElectionListener(this.brokerId, {
      topicUncleanLeaderElectionEnabled: (topic) => this.enableTopicUncleanLeaderElection(topic),
      defaultUncleanLeaderElectionEnabled: () => this.enableDefaultUncleanLeaderElection(),
    });
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
    this.removeConfigListener();
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
    if (this.rebalanceTimer) clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
    this.term++;
    this.partitionStateMachine.shutdown();
    this.replicaStateMachine.shutdown();
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

  /** The partition state znodes for the state machines, every write fenced. */
  private readonly stateStore: PartitionStateStore = {
    get: (tp) => this.zkClient.getPartitionState(tp.topic, tp.partition),
    create: async (tp, state) => {
      try {
        await this.zkClient.createPartitionState(tp.topic, tp.partition, state, this.fence);
        return true;
      } catch (e) {
        if (e instanceof ZkError && e.isNodeExists) return false;
        throw e;
      }
    },
    update: async (tp, next, expectedVersion) => {
      try {
        return await this.zkClient.updatePartitionState(
          tp.topic,
          tp.partition,
          next,
          expectedVersion,
          this.fence,
        );
      } catch (e) {
        if (e instanceof ZkError && e.isBadVersion) return null;
        throw e;
      }
    },
  };

  private newBatch(): ControllerRequestBatch {
    if (!this.channel) throw new ControllerMovedError();
    return new ControllerRequestBatch(this.ctx, this.channel, this.brokerId);
  }

  private sendUpdateMetadata(brokers: number[], partitions: TP[]): void {
    const batch = this.newBatch();
    batch.addUpdateMetadata(brokers, partitions);
    batch.send();
  }

  private async onControllerFailover(): Promise<void> {
    this.log.info('Initializing controller context');
    this.term++;
    this.channel = new ControllerChannelManager(this.brokerId, this.cfg.requestTimeoutMs);
    await this.zkClient.zk
      .setData(ZkPaths.feature, Buffer.from('{"version":2,"status":1,"features":{}}'))
      .catch(async () => {
        await this.zkClient.zk.createRecursive(
          ZkPaths.feature,
          Buffer.from('{"version":2,"status":1,"features":{}}'),
        );
      });
    const brokers = await this.readBrokers();
    for (const b of brokers.values()) this.addLiveBroker(b);
    this.log.info(
      `Initialized broker epochs cache: ${JSON.stringify(Object.fromEntries([...this.ctx.liveBrokers].map(([k, v]) => [k, v.epoch])))}`,
    );
    await this.loadTopics(true);
    // TopicDeletionManager.init: topics with an offline replica or a reassignment wait.
    for (const t of await this.zkClient.getTopicsMarkedForDeletion(this.onDeleteTopicsChange)) {
      if (!this.ctx.assignments.has(t)) continue;
      this.ctx.topicsToBeDeleted.add(t);
      const parts = [...this.ctx.assignments.get(t)!.values()];
      if (parts.some((a) => isReassigning(a) || a.replicas.some((r) => !this.ctx.isReplicaOnline(r))))
        this.ctx.topicsIneligibleForDeletion.add(t);
    }

    // Brokers need the broker list before LeaderAndIsr (Kafka sends it first).
    this.sendUpdateMetadata([...this.ctx.liveBrokers.keys()], []);
    await this.replicaStateMachine.startup();
    await this.partitionStateMachine.startup();
    // Reassignments: the legacy znode's first, then every partition still moving.
    await this.processZkReassignment();
    await this.resumeReassignments();
    await this.processZkPreferredElection();
    await this.deletion.resumeDeletions();
    if (this.cfg.autoLeaderRebalanceEnable)
      this.scheduleAutoLeaderRebalanceTask(FIRST_REBALANCE_CHECK_DELAY_MS);
    this.log.info(`Ready to serve as the new controller with epoch ${this.ctx.epoch}`);
  }

  /** The imbalance check after `delayMs`; each run schedules the next one (Kafka's scheduler). */
  private scheduleAutoLeaderRebalanceTask(delayMs: number): void {
    const term = this.term;
    this.rebalanceTimer = setTimeout(
      () =>
        void this.enqueue('AutoPreferredReplicaLeaderElection', async () => {
          if (!this.isActive || term !== this.term) return;
          try {
            await this.checkLeaderImbalance();
          } finally {
            if (this.isActive && term === this.term)
              this.scheduleAutoLeaderRebalanceTask(this.cfg.leaderImbalanceCheckIntervalMs);
          }
        }),
      delayMs,
    );
    this.rebalanceTimer.unref();
  }

  // ---- loading from ZooKeeper -------------------------------------------------------------

  private readonly onBrokersChange = () =>
    void this.enqueue('BrokerChange', () => this.processBrokerChange());
  private readonly onTopicsChange = () => void this.enqueue('TopicChange', () => this.processTopicChange());
  private readonly onDeleteTopicsChange = () =>
    void this.enqueue('TopicDeletion', () => this.processTopicDeletion());

  /** The registered brokers (re-arming the /brokers/ids watch). */
  private async readBrokers(): Promise<Map<number, BrokerRegistration>> {
    const out = new Map<number, BrokerRegistration>();
    for (const id of await this.zkClient.getBrokerIds(this.onBrokersChange)) {
      const b = await this.zkClient.getBroker(id);
      if (b) out.set(id, b);
    }
    return out;
  }

  private addLiveBroker(b: BrokerRegistration): void {
    this.ctx.liveBrokers.set(b.id, b);
    const ep = b.endpoints.find((e) => e.listenerName === this.cfg.interBrokerListener) ?? b.endpoints[0];
    if (ep) this.channel?.addBroker(b.id, ep.host, ep.port);
  }

  private removeLiveBroker(id: number): void {
    this.ctx.liveBrokers.delete(id);
    this.channel?.removeBroker(id);
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
    const parts = new Map<number, ReplicaAssignment>();
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

  /** A topic's effective unclean.leader.election.enable: its override, else the broker's (dynamic) one. */
  private async uncleanLeaderElectionEnabled(topic: string): Promise<boolean> {
    const overrides = await this.zkClient.getEntityConfig('topics', topic);
    return LogConfig.fromProperties(this.cfg.brokerProps, overrides).uncleanLeaderElectionEnable;
  }

  // ---- dynamic unclean.leader.election.enable ------------------------------------------------

  /** TopicUncleanLeaderElectionEnable: the topic's offline partitions get another chance at once. */
  enableTopicUncleanLeaderElection(topic: string): void {
    void this.enqueue('TopicUncleanLeaderElectionEnable', async () => {
      if (!this.isActive) return;
      await this.partitionStateMachine.triggerOnlinePartitionStateChange(topic);
    });
  }

  /** UncleanLeaderElectionEnable (dynamic broker default): every offline partition is retried. */
  enableDefaultUncleanLeaderElection(): void {
    void this.enqueue('UncleanLeaderElectionEnable', async () => {
      if (!this.isActive) return;
      await this.partitionStateMachine.triggerOnlinePartitionStateChange();
    });
  }

  // ---- broker changes --------------------------------------------------------------------

  /** Kafka's processBrokerChange: new brokers, then bounced ones (failure + startup), then dead ones. */
  private async processBrokerChange(): Promise<void> {
    if (!this.isActive) return;
    const current = await this.readBrokers();
    const sorted = (l: number[]) => l.sort((a, b) => a - b);
    const added = sorted([...current.keys()].filter((id) => !this.ctx.liveBrokers.has(id)));
    const bounced = sorted(
      [...current.keys()].filter(
        (id) =>
          this.ctx.liveBrokers.has(id) && this.ctx.liveBrokers.get(id)!.epoch !== current.get(id)!.epoch,
      ),
    );
    const dead = sorted([...this.ctx.liveBrokers.keys()].filter((id) => !current.has(id)));
    if (added.length + dead.length + bounced.length === 0) return;
    this.log.info(
      `Newly added brokers: ${added.join(',')}, deleted brokers: ${dead.join(',')}, bounced brokers: ${bounced.join(',')}, all live brokers: ${sorted([...current.keys()]).join(',')}`,
    );
    if (added.length > 0) {
      for (const id of added) this.addLiveBroker(current.get(id)!);
      await this.onBrokerStartup(added);
    }
    if (bounced.length > 0) {
      for (const id of bounced) this.removeLiveBroker(id);
      await this.onBrokerFailure(bounced);
      for (const id of bounced) this.addLiveBroker(current.get(id)!);
      await this.onBrokerStartup(bounced);
    }
    if (dead.length > 0) {
      for (const id of dead) this.removeLiveBroker(id);
      await this.onBrokerFailure(dead);
    }
  }

  private async onBrokerStartup(ids: number[]): Promise<void> {
    this.log.info(`New broker startup callback for ${ids.join(',')}`);
    const existing = [...this.ctx.liveBrokers.keys()].filter((id) => !ids.includes(id));
    // Existing brokers learn the new broker list; the new ones every partition with a leader.
    this.sendUpdateMetadata(existing, []);
    this.sendUpdateMetadata(ids, this.ctx.partitionsWithLeaders());
    const replicas = this.ctx.replicasOnBrokers(ids);
    await this.replicaStateMachine.handleStateChanges(replicas, 'OnlineReplica');
    await this.partitionStateMachine.triggerOnlinePartitionStateChange();
    await this.resumeReassignments(ids);
    const deleting = new Set(replicas.map((r) => r.topic).filter((t) => this.ctx.topicsToBeDeleted.has(t)));
    if (deleting.size > 0) {
      this.log.info(
        `Some replicas for topics scheduled for deletion ${[...deleting].join(',')} are on the newly restarted brokers ${ids.join(',')}. Signaling restart of topic deletion for these topics`,
      );
      await this.deletion.resumeDeletionForTopics([...deleting]);
    }
  }

  private async onBrokerFailure(ids: number[]): Promise<void> {
    this.log.info(`Broker failure callback for ${ids.join(',')}`);
    const wereShuttingDown = ids.filter((id) => this.ctx.shuttingDownBrokerIds.delete(id));
    if (wereShuttingDown.length > 0)
      this.log.info(`Removed ${wereShuttingDown.join(',')} from list of shutting down brokers.`);
    await this.onReplicasBecomeOffline(this.ctx.replicasOnBrokers(ids));
  }

  /**
   * Partitions led by an offline replica → Offline, then every New/Offline partition → Online;
   * the replicas → OfflineReplica (out of the ISRs: one leader-epoch bump per partition and
   * replica, even when no new leader was found); replicas of topics being deleted fail deletion.
   */
  private async onReplicasBecomeOffline(replicas: PartitionAndReplica[]): Promise<void> {
    const forDeletion = replicas.filter((r) => this.ctx.topicsToBeDeleted.has(r.topic));
    const notForDeletion = replicas.filter((r) => !this.ctx.topicsToBeDeleted.has(r.topic));
    await this.partitionStateMachine.handleStateChanges(
      this.ctx.partitionsWithOfflineLeader(),
      'OfflinePartition',
    );
    const results = await this.partitionStateMachine.triggerOnlinePartitionStateChange();
    await this.replicaStateMachine.handleStateChanges(notForDeletion, 'OfflineReplica');
    if (forDeletion.length > 0) await this.deletion.failReplicaDeletion(forDeletion);
    // Nothing changed leadership or ISRs: the brokers still have to learn the broker list.
    if (notForDeletion.length === 0 && [...results.values()].every((r) => 'error' in r))
      this.sendUpdateMetadata([...this.ctx.liveBrokers.keys()], []);
  }

  // ---- topics ------------------------------------------------------------------------------

  private async processTopicChange(): Promise<void> {
    if (!this.isActive) return;
    const fresh = await this.loadTopics(false);
    if (fresh.length === 0) return;
    this.log.info(`New topics: [${fresh.join(',')}]`);
    await this.onNewPartitionCreation(this.ctx.allPartitions().filter((tp) => fresh.includes(tp.topic)));
  }

  /** Kafka's onNewPartitionCreation: New partition/replicas, then Online (leader and ISR initialized). */
  private async onNewPartitionCreation(tps: TP[]): Promise<void> {
    this.log.info(
      `New partition creation callback for ${tps.map((tp) => `${tp.topic}-${tp.partition}`).join(',')}`,
    );
    await this.partitionStateMachine.handleStateChanges(tps, 'NewPartition');
    await this.replicaStateMachine.handleStateChanges(this.ctx.replicasForPartitions(tps), 'NewReplica');
    await this.partitionStateMachine.handleStateChanges(tps, 'OnlinePartition', OFFLINE_ELECTION);
    await this.replicaStateMachine.handleStateChanges(this.ctx.replicasForPartitions(tps), 'OnlineReplica');
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
      await this.onNewPartitionCreation(added);
    }
  }

  // ---- topic deletion (topic-deletion-manager.ts) ------------------------------------------------

  private async processTopicDeletion(): Promise<void> {
    if (!this.isActive) return;
    const marked = await this.zkClient.getTopicsMarkedForDeletion(this.onDeleteTopicsChange);
    const queued: string[] = [];
    for (const topic of marked) {
      if (!this.cfg.deleteTopicEnable) {
        this.log.info(`Removing ${topic} from /admin/delete_topics since delete.topic.enable is false`);
        await this.zkClient.zk.deleteRecursive(ZkPaths.deleteTopic(topic), this.fence);
        continue;
      }
      if (!this.ctx.assignments.has(topic)) {
        this.log.info(`Ignoring request to delete non-existing topic ${topic}`);
        await this.zkClient.zk.deleteRecursive(ZkPaths.deleteTopic(topic), this.fence);
        continue;
      }
      queued.push(topic);
    }
    if (queued.length === 0) return;
    this.log.info(`Starting topic deletion for topics ${queued.join(',')}`);
    for (const t of queued) this.ctx.topicsToBeDeleted.add(t);
    this.deletion.markTopicIneligibleForDeletion(
      queued.filter((t) => [...this.ctx.assignments.get(t)!.values()].some(isReassigning)),
      'topic reassignment in progress',
    );
    await this.deletion.enqueueTopicsForDeletion(queued);
  }

  /**
   * A StopReplica(delete) response (from the channel, outside the event queue): handled as
   * Kafka's TopicDeletionStopReplicaResponseReceived event.
   */
  private onStopReplicaResponse(
    brokerId: number,
    response: unknown,
    partitions: Array<TP & { deletePartition: boolean }>,
  ): void {
    const term = this.term;
    void this.enqueue('TopicDeletionStopReplicaResponseReceived', async () => {
      if (!this.isActive || term !== this.term) return;
      await this.deletion.stopReplicaResponseReceived(
        brokerId,
        response as StopReplicaResponse | null,
        partitions,
      );
    });
  }

  // ---- requests from brokers ---------------------------------------------------------------

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
    // Replicated partitions with leader info, not being deleted.
    const toActOn = this.ctx
      .partitionsOnBroker(brokerId)
      .filter(
        (tp) =>
          this.ctx.assignment(tp.topic, tp.partition)!.replicas.length > 1 &&
          this.ctx.state(tp.topic, tp.partition) !== undefined &&
          !this.ctx.topicsToBeDeleted.has(tp.topic),
      );
    const led = toActOn.filter((tp) => this.ctx.state(tp.topic, tp.partition)!.leader === brokerId);
    const followed = toActOn.filter((tp) => this.ctx.state(tp.topic, tp.partition)!.leader !== brokerId);
    await this.partitionStateMachine.handleStateChanges(led, 'OnlinePartition', {
      kind: 'controlledShutdown',
    });
    const batch = this.newBatch();
    for (const tp of followed) batch.addStopReplica(brokerId, tp.topic, tp.partition, false);
    batch.send();
    // Followers leave the ISR and the leaders hear of it.
    await this.replicaStateMachine.handleStateChanges(
      followed.map((tp) => ({ ...tp, replica: brokerId })),
      'OfflineReplica',
    );
    const remaining = this.ctx
      .partitionsLedBy(brokerId)
      .filter(
        (tp) =>
          this.ctx.assignment(tp.topic, tp.partition)!.replicas.length > 1 &&
          !this.ctx.topicsToBeDeleted.has(tp.topic),
      );
    return { errorCode: ErrorCode.NONE, remaining };
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
      const out = [];
      const toElect: TP[] = [];
      for (const tp of partitions ?? this.ctx.allPartitions()) {
        const res = { ...tp, errorCode: ErrorCode.NONE as number, errorMessage: null as string | null };
        out.push(res);
        const s = this.ctx.state(tp.topic, tp.partition);
        const a = this.ctx.assignment(tp.topic, tp.partition);
        if (!s || !a) res.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (this.ctx.topicsToBeDeleted.has(tp.topic)) res.errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
        else if (type === 0 ? s.leader === a.replicas[0] : s.leader >= 0 && this.ctx.isLive(s.leader))
          res.errorCode = ErrorCode.ELECTION_NOT_NEEDED;
        else toElect.push(tp);
      }
      const results = await this.partitionStateMachine.handleStateChanges(
        toElect,
        'OnlinePartition',
        type === 0 ? { kind: 'preferred' } : { kind: 'offline', allowUnclean: true },
      );
      for (const res of out) {
        const r = results.get(tpKey(res.topic, res.partition));
        if (r && 'error' in r) {
          res.errorCode =
            type === 0 ? ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE : ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE;
          res.errorMessage = r.error;
        }
      }
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

  /**
   * Kafka's stopRemovedReplicasOfReassignedPartition: the replicas go OfflineReplica (out of the
   * ISR), ReplicaDeletionStarted (StopReplica delete), ReplicaDeletionSuccessful, NonExistent.
   */
  private async stopRemovedReplicas(tp: TP, replicas: number[]): Promise<void> {
    if (replicas.length === 0) return;
    const rs = replicas.map((replica) => ({ ...tp, replica }));
    await this.replicaStateMachine.handleStateChanges(rs, 'OfflineReplica');
    await this.replicaStateMachine.handleStateChanges(rs, 'ReplicaDeletionStarted');
    await this.replicaStateMachine.handleStateChanges(rs, 'ReplicaDeletionSuccessful');
    await this.replicaStateMachine.handleStateChanges(rs, 'NonExistentReplica');
  }

  private async onPartitionReassignment(tp: TP, target: number[]): Promise<void> {
    // While a reassignment is in progress, deletion is not allowed.
    this.deletion.markTopicIneligibleForDeletion([tp.topic], 'topic reassignment in progress');
    const current = this.ctx.assignment(tp.topic, tp.partition)!;
    const next = reassignmentState(originOf(current), target);
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
    // Replicas a cancelled or replaced reassignment was adding.
    await this.stopRemovedReplicas(tp, dropped);
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
      if (started) await this.reassignmentPhaseA(tp, a);
      return;
    }
    await this.reassignmentPhaseB(tp, a);
  }

  /**
   * Kafka's updateLeaderEpochAndSendRequest: leader epoch + 1 (conditional, re-read on
   * BADVERSION), then LeaderAndIsr to `recipients`. False when the state is not ours to change.
   */
  private async updateLeaderEpochAndSendRequest(tp: TP, recipients: number[]): Promise<boolean> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const cur = await this.zkClient.getPartitionState(tp.topic, tp.partition);
      if (!cur || cur.controllerEpoch > this.ctx.epoch) return false;
      try {
        const s = await this.writeState(
          tp,
          { ...cur, leaderEpoch: cur.leaderEpoch + 1, controllerEpoch: this.ctx.epoch },
          cur.partitionEpoch,
        );
        const batch = this.newBatch();
        batch.addLeaderAndIsr(recipients, tp.topic, tp.partition, false);
        batch.send();
        this.stateChangeLog.info(
          `Sent LeaderAndIsr request ${leaderIsrAndControllerEpochString(s)} with new replica assignment [${recipients.join(',')}] to leader ${s.leader} for partition being reassigned ${tp.topic}-${tp.partition}`,
        );
        return true;
      } catch (e) {
        if (!(e instanceof ZkError && e.isBadVersion)) throw e;
      }
    }
    return false;
  }

  /** Phase A: epoch bump with LeaderAndIsr to every replica; the adding ones → NewReplica. */
  private async reassignmentPhaseA(tp: TP, a: ReplicaAssignment): Promise<void> {
    await this.updateLeaderEpochAndSendRequest(tp, a.replicas);
    await this.replicaStateMachine.handleStateChanges(
      a.addingReplicas.map((replica) => ({ ...tp, replica })),
      'NewReplica',
    );
  }

  /** Phase B: the target is in the ISR — move leadership into it, drop the removed replicas. */
  private async reassignmentPhaseB(tp: TP, a: ReplicaAssignment): Promise<void> {
    const target = targetOf(a);
    const removing = a.removingReplicas;
    // B1: the adding replicas are online.
    await this.replicaStateMachine.handleStateChanges(
      a.addingReplicas.map((replica) => ({ ...tp, replica })),
      'OnlineReplica',
    );
    // B2: RS = TRS in memory.
    this.ctx.assignments.get(tp.topic)!.set(tp.partition, {
      replicas: target,
      addingReplicas: [],
      removingReplicas: [],
    });
    // B3: a leader outside the target (or dead) is replaced; a live one just gets a new epoch.
    const cur = this.ctx.state(tp.topic, tp.partition)!;
    if (!target.includes(cur.leader) || !this.ctx.isReplicaOnline(cur.leader))
      await this.partitionStateMachine.handleStateChanges([tp], 'OnlinePartition', { kind: 'reassign' });
    else await this.updateLeaderEpochAndSendRequest(tp, target);
    // B4/B5: the removed replicas go offline and are deleted.
    await this.stopRemovedReplicas(tp, removing);
    // B6-B8
    await this.writeTopicAssignment(tp.topic);
    this.sendUpdateMetadata([...this.ctx.liveBrokers.keys()], [tp]);
    await this.removeFromZkReassignment([tp], target);
    this.log.info(`Completed reassignment of ${tp.topic}-${tp.partition} to [${target.join(',')}]`);
    await this.deletion.resumeDeletionForTopics([tp.topic]);
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

  // Legacy path: /admin/preferred_replica_election, {"version":1,"partitions":[{"topic","partition"}]}
  // (what kafka-preferred-replica-election.sh wrote), handled as Kafka's ZkTriggered election:
  // preferred elections for the listed partitions, then the znode is deleted.
  private readonly onZkPreferredElection = (ev: WatchEvent) => {
    if (ev === WatchEvent.Created || ev === WatchEvent.Changed)
      void this.enqueue('ZkPreferredReplicaElection', () => this.processZkPreferredElection());
  };

  private async processZkPreferredElection(): Promise<void> {
    if (!this.isActive) return;
    const path = ZkPaths.preferredReplicaElection;
    const r = await this.zkClient.zk.getData(path);
    if (!r) {
      await this.zkClient.zk.exists(path, this.onZkPreferredElection);
      return;
    }
    let listed: TP[] = [];
    try {
      const json = JSON.parse(r.data.toString('utf8')) as { partitions?: TP[] };
      listed = (json.partitions ?? []).filter(
        (e) => typeof e.topic === 'string' && Number.isInteger(e.partition),
      );
    } catch (e) {
      this.log.error(`Invalid JSON in ${path}: ${(e as Error).message}; deleting it`);
    }
    const unknown = listed.filter((tp) => !this.ctx.assignment(tp.topic, tp.partition));
    if (unknown.length > 0)
      this.log.warn(
        `Skipping replica leader election (PREFERRED) for partitions ${unknown.map(tpString).join(',')} by ZkTriggered since the respective topics do not exist.`,
      );
    const known = listed.filter((tp) => this.ctx.assignment(tp.topic, tp.partition));
    const deleting = known.filter((tp) => this.ctx.topicsToBeDeleted.has(tp.topic));
    if (deleting.length > 0)
      this.log.warn(
        `Skipping replica leader election (PREFERRED) for partitions ${deleting.map(tpString).join(',')} by ZkTriggered since the respective topics are being deleted`,
      );
    const electable = known.filter((tp) => {
      const s = this.ctx.state(tp.topic, tp.partition);
      return !this.ctx.topicsToBeDeleted.has(tp.topic) && s?.leader !== this.preferredOf(tp);
    });
    await this.partitionStateMachine.handleStateChanges(electable, 'OnlinePartition', { kind: 'preferred' });
    for (const tp of electable) {
      const leader = this.ctx.state(tp.topic, tp.partition)?.leader;
      if (leader === this.preferredOf(tp))
        this.log.info(
          `Partition ${tpString(tp)} completed preferred replica leader election. New leader is ${leader}`,
        );
      else
        this.log.warn(
          `Partition ${tpString(tp)} failed to complete preferred replica leader election to ${this.preferredOf(tp)}. Leader is still ${leader}`,
        );
    }
    await this.zkClient.zk.delete(path, -1, this.fence).catch((e) => {
      if (!(e instanceof ZkError && e.isNoNode)) throw e;
    });
    await this.zkClient.zk.exists(path, this.onZkPreferredElection);
  }

  private preferredOf(tp: TP): number | undefined {
    return this.ctx.assignment(tp.topic, tp.partition)?.replicas[0];
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
    for (const [preferred, tps] of byPreferred) {
      const notLed = tps.filter((tp) => {
        const s = this.ctx.state(tp.topic, tp.partition);
        return s !== undefined && s.leader !== preferred;
      });
      const ratio = notLed.length / tps.length;
      if (ratio <= this.cfg.leaderImbalancePerBrokerPercentage / 100) continue;
      const candidates = notLed.filter(
        (tp) =>
          this.ctx.isReplicaOnline(preferred) &&
          this.ctx.state(tp.topic, tp.partition)!.isr.includes(preferred),
      );
      await this.partitionStateMachine.handleStateChanges(candidates, 'OnlinePartition', {
        kind: 'preferred',
      });
    }
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
