// The controller (Kafka's KafkaController, ZooKeeper mode): every broker races for the
// ephemeral /controller znode; the winner bumps /controller_epoch and from then on brings new
// partitions online (initial leader = first live replica in assignment order, ISR = live
// replicas) and completes topic deletions requested under /admin/delete_topics. Losers watch
// /controller and run for election when it disappears.
//
// Not yet here (the cluster issue): LeaderAndIsr/UpdateMetadata/StopReplica to brokers, leader
// failover, ISR changes, controlled shutdown. Brokers learn leadership from ZooKeeper watches.
// The npm ZooKeeper client has no multi(), so writes are fenced by re-checking that
// /controller_epoch still has our zkVersion right before each write instead of atomically.

import { getLogger } from '../utils/logger';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { CreateMode, WatchEvent, ZkError } from '../zk/zk-client';
import { ControllerEpochZNode, ControllerZNode, ZkPaths } from '../zk/zk-data';

export class ControllerMovedError extends Error {}

export class KafkaController {
  private readonly log;
  private readonly stateChangeLog;
  activeControllerId = -1;
  epoch = 0;
  private epochZkVersion = -1;
  private stopped = false;
  /** Controller events run one at a time, as Kafka's ControllerEventManager does. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly zkClient: KafkaZkClient,
    private readonly brokerId: number,
    private readonly deleteTopicEnable: boolean,
  ) {
    this.log = getLogger('kafka.controller.KafkaController', `[Controller id=${brokerId}]`);
    this.stateChangeLog = getLogger('state.change.logger', `[Controller id=${brokerId}]`);
  }

  get isActive(): boolean {
    return this.activeControllerId === this.brokerId && !this.stopped;
  }

  async startup(): Promise<void> {
    this.zkClient.zk.onSessionReinit(() => this.enqueue('RegisterBrokerAndReelect', () => this.elect()));
    await this.enqueue('Startup', () => this.elect());
  }

  async shutdown(): Promise<void> {
    const wasActive = this.isActive;
    this.stopped = true;
    await this.chain;
    if (wasActive) {
      try {
        await this.zkClient.zk.delete(ZkPaths.controller);
      } catch {
        // session closing: ZooKeeper removes the ephemeral anyway
      }
    }
  }

  private enqueue(name: string, fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (e) {
        if (e instanceof ControllerMovedError) {
          this.log.info(`Controller moved to another broker during ${name}; resigning.`);
          this.resign();
        } else this.log.error(`Error processing event ${name}: ${(e as Error).stack}`);
      }
    });
    return this.chain;
  }

  private readonly onControllerChange = (ev: WatchEvent) => {
    void this.enqueue(ev === WatchEvent.Deleted ? 'Reelect' : 'ControllerChange', () => this.elect());
  };

  /** Reads /controller (re-arming the watch); runs for election when nobody holds it. */
  private async elect(): Promise<void> {
    const current = await this.zkClient.getControllerId(this.onControllerChange);
    if (current !== -1) {
      if (this.activeControllerId === this.brokerId && current !== this.brokerId) this.resign();
      this.activeControllerId = current;
      return;
    }
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
      this.epoch = epochNode.epoch + 1;
      this.epochZkVersion = stat.version;
    } catch (e) {
      // Somebody bumped the epoch under us: give the znode back and let them win.
      await this.zkClient.zk.delete(ZkPaths.controller).catch(() => undefined);
      throw e;
    }
    this.activeControllerId = this.brokerId;
    this.log.info(
      `${this.brokerId} successfully elected as the controller. Epoch incremented to ${this.epoch} and epoch zk version is now ${this.epochZkVersion}`,
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

  private resign(): void {
    if (this.activeControllerId === this.brokerId) this.log.info('Resigned');
    this.activeControllerId = -1;
    this.epochZkVersion = -1;
  }

  /** The fence: our epoch's zkVersion must still be current before any controller write. */
  private async checkEpoch(): Promise<void> {
    const r = await this.zkClient.zk.getData(ZkPaths.controllerEpoch);
    if (!r || r.stat.version !== this.epochZkVersion) throw new ControllerMovedError();
  }

  private async onControllerFailover(): Promise<void> {
    await this.processTopicChange();
    await this.processTopicDeletion();
  }

  private async processTopicChange(): Promise<void> {
    if (!this.isActive) return;
    const topics = await this.zkClient.getAllTopics(
      () => void this.enqueue('TopicChange', () => this.processTopicChange()),
    );
    for (const topic of topics) await this.onlineNewPartitions(topic);
  }

  /** NewPartition -> OnlinePartition for partitions that have no state znode yet. */
  private async onlineNewPartitions(topic: string): Promise<void> {
    const assignment = await this.zkClient.getTopicAssignment(topic, (ev) => {
      if (ev === WatchEvent.Changed)
        void this.enqueue('PartitionModifications', () => this.onlineNewPartitions(topic));
    });
    if (!assignment) return;
    const live = new Set(await this.zkClient.getBrokerIds());
    for (const [partition, replicas] of [...assignment.partitions].sort((a, b) => a[0] - b[0])) {
      if (await this.zkClient.getPartitionState(topic, partition)) continue;
      const liveReplicas = replicas.filter((r) => live.has(r));
      if (liveReplicas.length === 0) {
        this.stateChangeLog.error(
          `Controller ${this.brokerId} epoch ${this.epoch} failed to change state for partition ${topic}-${partition} from NewPartition to OnlinePartition: no assigned replica is alive (${replicas.join(',')})`,
        );
        continue;
      }
      const state = {
        leader: liveReplicas[0],
        leaderEpoch: 0,
        isr: liveReplicas,
        controllerEpoch: this.epoch,
        leaderRecoveryState: 0,
      };
      await this.checkEpoch();
      try {
        await this.zkClient.createPartitionState(topic, partition, state);
      } catch (e) {
        if (e instanceof ZkError && e.isNodeExists) continue;
        throw e;
      }
      this.stateChangeLog.info(
        `Changed partition ${topic}-${partition} from NewPartition to OnlinePartition with state LeaderAndIsr(leader=${state.leader}, leaderEpoch=0, isr=${state.isr.join(',')}, partitionEpoch=0)`,
      );
    }
  }

  private async processTopicDeletion(): Promise<void> {
    if (!this.isActive) return;
    const marked = await this.zkClient.getTopicsMarkedForDeletion(
      () => void this.enqueue('TopicDeletion', () => this.processTopicDeletion()),
    );
    for (const topic of marked) {
      await this.checkEpoch();
      if (!this.deleteTopicEnable) {
        this.log.info(`Removing ${topic} from /admin/delete_topics since delete.topic.enable is false`);
        await this.zkClient.zk.deleteRecursive(ZkPaths.deleteTopic(topic));
        continue;
      }
      // Brokers drop their replicas when the topic leaves /brokers/topics (they watch it);
      // StopReplica(delete=true) replaces that once controller requests exist.
      await this.zkClient.deleteTopicZNodes(topic);
      this.log.info(`Deletion of topic ${topic} successfully completed`);
    }
  }
}
