// Kafka's operations on its ZooKeeper layout (KafkaZkClient): typed reads and writes of the
// znodes in zk-data.ts. Callers never build paths or JSON themselves.

import { randomBytes } from 'node:crypto';
import { CreateMode, Stat, Watcher, ZkClient, ZkError, ZkFence } from './zk-client';
import {
  BrokerIdZNode,
  BrokerRegistration,
  ClusterIdZNode,
  ConfigChangeNotification,
  ConfigEntityZNode,
  ControllerZNode,
  LeaderIsrAndControllerEpoch,
  PERSISTENT_ZK_PATHS,
  TopicAssignment,
  TopicPartitionStateZNode,
  TopicZNode,
  ZkPaths,
} from './zk-data';

/** A random UUID in Kafka's text form (22-char URL-safe base64, no padding). */
export function randomUuid(): string {
  const b = randomBytes(16);
  // version 4 / IETF variant bits, as java.util.UUID.randomUUID sets them
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  return b.toString('base64url');
}

export class KafkaZkClient {
  constructor(readonly zk: ZkClient) {}

  async createTopLevelPaths(): Promise<void> {
    for (const p of PERSISTENT_ZK_PATHS) await this.zk.createRecursive(p);
  }

  /** Reads /cluster/id, creating it with a fresh id when absent (the first broker wins). */
  async getOrCreateClusterId(): Promise<string> {
    const existing = await this.zk.getData(ZkPaths.clusterId);
    if (existing) return ClusterIdZNode.decode(existing.data);
    const id = randomUuid();
    try {
      await this.zk.createRecursive(ZkPaths.clusterId, ClusterIdZNode.encode(id));
    } catch (e) {
      if (!(e instanceof ZkError && e.isNodeExists)) throw e;
    }
    const created = await this.zk.getData(ZkPaths.clusterId);
    if (!created) throw new Error('/cluster/id vanished right after creation');
    return ClusterIdZNode.decode(created.data);
  }

  /** broker.id generation (broker.id=-1): zkVersion of /brokers/seqid after a blind write + reserved max. */
  async generateBrokerId(reservedMax: number): Promise<number> {
    await this.zk.createRecursive(ZkPaths.brokerSeqId);
    const stat = await this.zk.setData(ZkPaths.brokerSeqId, Buffer.alloc(0), -1);
    return stat.version + reservedMax;
  }

  /**
   * Registers the broker's ephemeral znode and returns its czxid (the broker epoch).
   * A node left by a previous session of ours is replaced; one owned by another live
   * session means another broker has this id, and start-up must stop.
   */
  async registerBroker(info: BrokerRegistration, waitForStaleMs = 0): Promise<number> {
    const path = ZkPaths.brokerId(info.id);
    await this.checkEndpointsUnique(info);
    const data = BrokerIdZNode.encode(info);
    const deadline = Date.now() + waitForStaleMs;
    for (;;) {
      try {
        // Kafka creates empty then sets data in one multi. Our multis run on a session of their
        // own, which must not own the registration; creating with data directly is the same
        // znode content, atomically, on the broker's session.
        await this.zk.create(path, data, CreateMode.EPHEMERAL);
        const stat = await this.zk.exists(path);
        if (!stat) throw new Error(`${path} disappeared right after creation`);
        return stat.czxid;
      } catch (e) {
        if (!(e instanceof ZkError && e.isNodeExists)) throw e;
        const stat = await this.zk.exists(path);
        if (!stat) continue;
        const session = this.zk.sessionId;
        if (stat.ephemeralOwner === session) return stat.czxid;
        // Unlike Kafka, which fails at once, give a node left by our own killed predecessor the
        // session timeout to expire; a live broker keeps it, and we fail as Kafka does.
        if (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          continue;
        }
        throw new Error(
          `Error while creating ephemeral at ${path}, node already exists and owner '${stat.ephemeralOwner}' ` +
            `does not match current session '${session}' (is another broker running with broker.id=${info.id}?)`,
          { cause: e },
        );
      }
    }
  }

  private async checkEndpointsUnique(info: BrokerRegistration): Promise<void> {
    for (const b of await this.getAllBrokers()) {
      if (b.id === info.id) continue;
      for (const e of info.endpoints)
        if (b.endpoints.some((o) => o.host === e.host && o.port === e.port && e.host !== ''))
          throw new Error(
            `Configured end points ${e.host}:${e.port} in advertised listeners are already registered by broker ${b.id}`,
          );
    }
  }

  async deregisterBroker(id: number): Promise<void> {
    try {
      await this.zk.delete(ZkPaths.brokerId(id));
    } catch (e) {
      if (!(e instanceof ZkError && e.isNoNode)) throw e;
    }
  }

  async getBrokerIds(watcher?: Watcher): Promise<number[]> {
    const ids = (await this.zk.getChildren(ZkPaths.brokerIds, watcher)) ?? [];
    return ids.map(Number).sort((a, b) => a - b);
  }

  async getBroker(id: number, watcher?: Watcher): Promise<BrokerRegistration | null> {
    const r = await this.zk.getData(ZkPaths.brokerId(id), watcher);
    if (!r) return null;
    return { ...BrokerIdZNode.decode(id, r.data), epoch: r.stat.czxid };
  }

  async getAllBrokers(): Promise<BrokerRegistration[]> {
    const out: BrokerRegistration[] = [];
    for (const id of await this.getBrokerIds()) {
      const b = await this.getBroker(id);
      if (b) out.push(b);
    }
    return out;
  }

  async getControllerId(watcher?: Watcher): Promise<number> {
    const r = await this.zk.getData(ZkPaths.controller, watcher);
    if (!r) {
      if (watcher) await this.zk.exists(ZkPaths.controller, watcher);
      return -1;
    }
    return ControllerZNode.decode(r.data);
  }

  async getAllTopics(watcher?: Watcher): Promise<string[]> {
    return ((await this.zk.getChildren(ZkPaths.topics, watcher)) ?? []).sort();
  }

  async getTopicAssignment(topic: string, watcher?: Watcher): Promise<TopicAssignment | null> {
    const r = await this.zk.getData(ZkPaths.topic(topic), watcher);
    return r ? TopicZNode.decode(topic, r.data) : null;
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await this.zk.exists(ZkPaths.topic(topic))) !== null;
  }

  /** Creates /brokers/topics/<t>; NODEEXISTS surfaces as ZkError (TOPIC_ALREADY_EXISTS upstream). */
  async createTopicAssignment(topic: string, assignment: TopicAssignment): Promise<void> {
    await this.zk.create(ZkPaths.topic(topic), TopicZNode.encode(assignment));
  }

  async setTopicAssignment(
    topic: string,
    assignment: TopicAssignment,
    expectedVersion = -1,
    fence?: ZkFence,
  ): Promise<Stat> {
    return this.zk.setData(ZkPaths.topic(topic), TopicZNode.encode(assignment), expectedVersion, fence);
  }

  async getPartitionState(
    topic: string,
    partition: number,
    watcher?: Watcher,
  ): Promise<LeaderIsrAndControllerEpoch | null> {
    const path = ZkPaths.partitionState(topic, partition);
    const r = await this.zk.getData(path, watcher);
    return r ? TopicPartitionStateZNode.decode(path, r.data, r.stat.version) : null;
  }

  /** Creates the state znode (and its parents) for a partition going online for the first time. */
  async createPartitionState(
    topic: string,
    partition: number,
    state: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>,
    fence?: ZkFence,
  ): Promise<void> {
    // The empty parents are the same whoever creates them; the state itself is fenced.
    await this.zk.createRecursive(ZkPaths.topicPartition(topic, partition));
    await this.zk.create(
      ZkPaths.partitionState(topic, partition),
      TopicPartitionStateZNode.encode(state),
      CreateMode.PERSISTENT,
      fence,
    );
  }

  async updatePartitionState(
    topic: string,
    partition: number,
    state: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>,
    expectedVersion: number,
    fence?: ZkFence,
  ): Promise<number> {
    const stat = await this.zk.setData(
      ZkPaths.partitionState(topic, partition),
      TopicPartitionStateZNode.encode(state),
      expectedVersion,
      fence,
    );
    return stat.version;
  }

  async getEntityConfig(entityType: string, name: string): Promise<Record<string, string>> {
    const r = await this.zk.getData(ZkPaths.config(entityType, name));
    return ConfigEntityZNode.decode(r ? r.data : null);
  }

  /** Writes /config/<type>/<name> and announces it under /config/changes, as AdminZkClient does. */
  async setEntityConfig(
    entityType: string,
    name: string,
    config: Record<string, string>,
    notify = true,
  ): Promise<void> {
    const path = ZkPaths.config(entityType, name);
    const data = ConfigEntityZNode.encode(config);
    try {
      await this.zk.setData(path, data);
    } catch (e) {
      if (!(e instanceof ZkError && e.isNoNode)) throw e;
      await this.zk.createRecursive(path, data);
    }
    if (notify)
      await this.zk.create(
        `${ZkPaths.configChanges}/${ConfigChangeNotification.prefix}`,
        ConfigChangeNotification.encode(`${entityType}/${name}`),
        CreateMode.PERSISTENT_SEQUENTIAL,
      );
  }

  async isTopicMarkedForDeletion(topic: string): Promise<boolean> {
    return (await this.zk.exists(ZkPaths.deleteTopic(topic))) !== null;
  }

  async markTopicForDeletion(topic: string): Promise<void> {
    try {
      await this.zk.create(ZkPaths.deleteTopic(topic), null);
    } catch (e) {
      if (!(e instanceof ZkError && e.isNodeExists)) throw e;
    }
  }

  async getTopicsMarkedForDeletion(watcher?: Watcher): Promise<string[]> {
    return (await this.zk.getChildren(ZkPaths.deleteTopics, watcher)) ?? [];
  }

  /** Removes every znode of a deleted topic: assignment, partition states, config, marker. */
  async deleteTopicZNodes(topic: string, fence?: ZkFence): Promise<void> {
    await this.zk.deleteRecursive(ZkPaths.topic(topic), fence);
    await this.zk.deleteRecursive(ZkPaths.topicConfig(topic), fence);
    await this.zk.deleteRecursive(ZkPaths.deleteTopic(topic), fence);
  }
}
