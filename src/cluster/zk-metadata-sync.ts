// Keeps the MetadataCache in step with ZooKeeper through watches on /brokers/ids,
// /brokers/topics, each topic's assignment, each partition's state and /controller.
// ZooKeeper watches are one-shot: every handler re-reads with a new watch (Kafka's pattern).
// Re-armed after a session expiry. The controller's UpdateMetadata will supersede this.

import { getLogger } from '../utils/logger';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { WatchEvent } from '../zk/zk-client';
import { MetadataCache } from './metadata-cache';

export class ZkMetadataSync {
  private readonly log = getLogger('kafka.server.metadata.ZkMetadataCache');
  private stopped = false;
  private readonly watchedStates = new Set<string>();
  /** Serializes refreshes so a burst of watch events never interleaves reads. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly zkClient: KafkaZkClient,
    private readonly cache: MetadataCache,
  ) {}

  async start(): Promise<void> {
    await this.loadAll();
    this.zkClient.zk.onSessionReinit(() => this.loadAll());
  }

  stop(): void {
    this.stopped = true;
  }

  private enqueue(what: string, fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (e) {
        if (!this.stopped) this.log.warn(`Failed to refresh ${what} from ZooKeeper: ${(e as Error).message}`);
      }
    });
    return this.chain;
  }

  private loadAll(): Promise<void> {
    this.watchedStates.clear();
    return this.enqueue('metadata', async () => {
      await this.refreshBrokers();
      await this.refreshController();
      await this.refreshTopics();
    });
  }

  private async refreshBrokers(): Promise<void> {
    const ids = await this.zkClient.getBrokerIds(
      () => void this.enqueue('brokers', () => this.refreshBrokers()),
    );
    const brokers = [];
    for (const id of ids) {
      const b = await this.zkClient.getBroker(id);
      if (b) brokers.push(b);
    }
    this.cache.setBrokers(brokers);
  }

  private async refreshController(): Promise<void> {
    this.cache.controllerId = await this.zkClient.getControllerId(
      () => void this.enqueue('controller', () => this.refreshController()),
    );
  }

  private async refreshTopics(): Promise<void> {
    const topics = await this.zkClient.getAllTopics(
      () => void this.enqueue('topics', () => this.refreshTopics()),
    );
    const present = new Set(topics);
    for (const t of [...this.cache.topics.keys()]) if (!present.has(t)) this.cache.removeTopic(t);
    for (const t of topics) if (!this.cache.topics.has(t)) await this.refreshTopic(t);
  }

  private async refreshTopic(topic: string): Promise<void> {
    const assignment = await this.zkClient.getTopicAssignment(topic, (ev) => {
      if (ev !== WatchEvent.Deleted) void this.enqueue(`topic ${topic}`, () => this.refreshTopic(topic));
    });
    if (!assignment) {
      this.cache.removeTopic(topic);
      return;
    }
    this.cache.setTopic(topic, assignment);
    for (const p of assignment.partitions.keys()) await this.refreshPartitionState(topic, p, false);
  }

  private async refreshPartitionState(topic: string, partition: number, fromWatch: boolean): Promise<void> {
    const key = `${topic}-${partition}`;
    if (!fromWatch && this.watchedStates.has(key)) return;
    this.watchedStates.add(key);
    const watcher = (ev: WatchEvent) => {
      this.watchedStates.delete(key);
      if (!this.cache.getTopic(topic)) return;
      void this.enqueue(`partition ${key}`, () => this.refreshPartitionState(topic, partition, true));
      void ev;
    };
    let state = await this.zkClient.getPartitionState(topic, partition, watcher);
    if (state === null) {
      // Not created yet: watch for its creation instead.
      const stat = await this.zkClient.zk.exists(
        `/brokers/topics/${topic}/partitions/${partition}/state`,
        watcher,
      );
      if (stat) state = await this.zkClient.getPartitionState(topic, partition);
    }
    this.cache.setPartitionState(topic, partition, state);
  }
}
