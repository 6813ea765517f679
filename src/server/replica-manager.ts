// The partitions this broker hosts (Kafka's ReplicaManager): follows the metadata cache to
// create logs for assigned replicas and become leader or follower with the epoch and ISR the
// controller decided, deletes the logs of deleted topics, and lets Fetch long-polls wait for
// appends without polling (Kafka's DelayedFetch purgatory, reduced to "wake on append").

import { EventEmitter } from 'node:events';
import { MetadataCache, PartitionMetadata } from '../cluster/metadata-cache';
import { Partition } from '../cluster/partition';
import { LogConfig } from '../log/log-config';
import type { LogManager } from '../log/log-manager';
import { getLogger } from '../utils/logger';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { KafkaConfig } from './kafka-config';

/**
 * Events: 'becomeLeader' (Partition) when this broker starts leading a partition or its leader
 * epoch changes; 'becomeFollower' (Partition) when it stops leading; 'partitionRemoved'
 * (Partition) when the replica is deleted. Coordinators load and unload their state on these.
 */
export class ReplicaManager extends EventEmitter {
  private readonly log;
  private readonly partitions = new Map<string, Partition>();
  private chain: Promise<void> = Promise.resolve();
  /** Fetch long-polls waiting for data, by partition key (DelayedFetch, keyed like Kafka's purgatory). */
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly config: KafkaConfig,
    private readonly brokerId: number,
    private readonly cache: MetadataCache,
    private readonly zk: KafkaZkClient,
    readonly logManager: LogManager,
  ) {
    super();
    this.log = getLogger('kafka.server.ReplicaManager', `[ReplicaManager broker=${brokerId}]`);
  }

  async startup(): Promise<void> {
    this.cache.on(
      'partitionsChanged',
      (ps: PartitionMetadata[]) => void this.enqueue(() => this.applyMetadata(ps)),
    );
    this.cache.on('topicRemoved', (t: { name: string }) => void this.enqueue(() => this.removeTopic(t.name)));
    const all = [...this.cache.topics.values()].flatMap((t) => [...t.partitions.values()]);
    await this.enqueue(() => this.applyMetadata(all));
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    this.chain = this.chain
      .then(fn)
      .catch((e: Error) => this.log.error(`Error applying metadata: ${e.stack}`));
    return this.chain;
  }

  getPartition(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(`${topic}-${partition}`);
  }

  allPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /** Topic config: broker log.* defaults with the topic's overrides from /config/topics/<t>. */
  async topicLogConfig(topic: string): Promise<LogConfig> {
    return LogConfig.fromProperties(this.config.props, await this.zk.getEntityConfig('topics', topic));
  }

  private async applyMetadata(ps: PartitionMetadata[]): Promise<void> {
    const configs = new Map<string, LogConfig>();
    for (const pm of ps) {
      if (!pm.replicas.includes(this.brokerId) || pm.state === null) continue;
      const topic = this.cache.getTopic(pm.topic);
      if (!topic) continue;
      const key = `${pm.topic}-${pm.partition}`;
      let p = this.partitions.get(key);
      if (!p) {
        let cfg = configs.get(pm.topic);
        if (!cfg) configs.set(pm.topic, (cfg = await this.topicLogConfig(pm.topic)));
        const log = this.logManager.getOrCreateLog(pm.topic, pm.partition, topic.topicId, cfg);
        p = new Partition(pm.topic, pm.partition, topic.topicId, this.brokerId, log, cfg);
        p.on('append', () => this.wakeWaiters(key));
        p.on('highWatermark', () => this.wakeWaiters(key));
        this.partitions.set(key, p);
      }
      const s = pm.state;
      if (s.leader === this.brokerId) {
        const changed = !p.isLeader || p.leaderEpoch !== s.leaderEpoch;
        if (changed)
          this.log.info(
            `Leader ${key} with topic id ${topic.topicId} starts at leader epoch ${s.leaderEpoch} from offset ${p.log.logEndOffset} with partition epoch ${s.partitionEpoch}, high watermark ${p.log.highWatermark}, ISR [${s.isr.join(',')}]`,
          );
        p.makeLeader(s.leaderEpoch, s.isr, s.partitionEpoch);
        if (changed) this.emit('becomeLeader', p);
      } else {
        const wasLeader = p.isLeader;
        p.makeFollower(s.leader, s.leaderEpoch, s.isr, s.partitionEpoch);
        if (wasLeader) this.emit('becomeFollower', p);
      }
    }
  }

  private async removeTopic(topic: string): Promise<void> {
    for (const [key, p] of this.partitions) {
      if (p.topic !== topic) continue;
      this.partitions.delete(key);
      this.emit('partitionRemoved', p);
      this.logManager.deleteLog(p.topic, p.partition);
      this.log.info(`Deleted log for partition ${key} (topic deleted)`);
      this.wakeWaiters(key);
    }
  }

  private wakeWaiters(key: string): void {
    const ws = this.waiters.get(key);
    if (!ws) return;
    this.waiters.delete(key);
    for (const w of ws) w();
  }

  /** Resolves on the next append (or HW move) to one of `keys` (`topic-partition`), or after `timeoutMs`. */
  waitForData(keys: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const k of keys) this.waiters.get(k)?.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(done);
      }
    });
  }

  async shutdown(): Promise<void> {
    await this.chain;
    for (const k of [...this.waiters.keys()]) this.wakeWaiters(k);
  }
}
