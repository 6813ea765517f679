// The follower side's fetchers (Kafka's ReplicaFetcherManager / AbstractFetcherManager):
// num.replica.fetchers fetchers per source broker, a partition going to fetcher
// abs(31 * topic.hashCode + partition) % num.replica.fetchers, each fetcher with its own
// connection. A fetcher whose leader moved to another endpoint is replaced; fetchers left
// without partitions are shut down after each LeaderAndIsr / StopReplica.

import { getLogger } from '../utils/logger';
import { BrokerEndPoint, describeEndPoint, sameEndPoint } from './broker-channel';
import { FetcherHost, InitialFetchState, ReplicaFetcher, ReplicaFetcherConfig } from './replica-fetcher';

/** Java's String.hashCode. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs(31 * topic.hashCode() + partition) % numFetchers. */
export function fetcherIdFor(topic: string, partition: number, numFetchers: number): number {
  const h = (Math.imul(31, javaStringHashCode(topic)) + partition) | 0;
  const abs = h === -2147483648 ? 0 : Math.abs(h);
  return abs % numFetchers;
}

export class ReplicaFetcherManager {
  private readonly log;
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** Partitions dropped after an error, until the next LeaderAndIsr adds them again. */
  readonly failedPartitions = new Set<string>();

  constructor(
    private readonly cfg: ReplicaFetcherConfig & { numFetchers: number },
    private readonly host: FetcherHost,
  ) {
    this.log = getLogger(
      'kafka.server.ReplicaFetcherManager',
      `[ReplicaFetcherManager on broker ${cfg.brokerId}]`,
    );
  }

  /** The fetcher currently replicating `key`, if any (tests, diagnostics). */
  fetcherFor(key: string): ReplicaFetcher | undefined {
    for (const f of this.fetchers.values()) if (f.fetchState(key)) return f;
    return undefined;
  }

  allFetchers(): ReplicaFetcher[] {
    return [...this.fetchers.values()];
  }

  addFetcherForPartitions(initial: InitialFetchState[]): void {
    const groups = new Map<
      string,
      { leader: BrokerEndPoint; fetcherId: number; states: InitialFetchState[] }
    >();
    for (const i of initial) {
      const fetcherId = fetcherIdFor(i.topic, i.partition, this.cfg.numFetchers);
      const k = `${i.leader.id}-${fetcherId}`;
      const g = groups.get(k);
      if (g) g.states.push(i);
      else groups.set(k, { leader: i.leader, fetcherId, states: [i] });
    }
    for (const [k, g] of groups) {
      let fetcher = this.fetchers.get(k);
      let carried: ReturnType<ReplicaFetcher['takeStates']> = [];
      if (fetcher && !sameEndPoint(fetcher.leader, g.leader)) {
        // The leader moved to another endpoint: a new fetcher takes over its partitions.
        carried = fetcher.takeStates();
        this.fetchers.delete(k);
        void fetcher.shutdown();
        fetcher = undefined;
      }
      if (!fetcher) {
        fetcher = new ReplicaFetcher(g.fetcherId, g.leader, this.cfg, this.host, (key) =>
          this.failedPartitions.add(key),
        );
        this.fetchers.set(k, fetcher);
        fetcher.restoreStates(carried);
        fetcher.start();
      }
      for (const s of g.states) this.failedPartitions.delete(`${s.topic}-${s.partition}`);
      fetcher.addPartitions(g.states);
      this.log.info(
        `Added fetcher to broker ${g.leader.id} for partitions ${g.states
          .map(
            (s) =>
              `${s.topic}-${s.partition} -> InitialFetchState(topicId=${s.topicId ?? 'None'}, leader=${describeEndPoint(s.leader)}, currentLeaderEpoch=${s.currentLeaderEpoch}, fetchOffset=${s.initOffset})`,
          )
          .join(', ')}`,
      );
    }
  }

  removeFetcherForPartitions(keys: Iterable<string>): void {
    const all = [...keys];
    if (all.length === 0) return;
    const removed: string[] = [];
    for (const f of this.fetchers.values()) removed.push(...f.removePartitions(all));
    for (const k of all) this.failedPartitions.delete(k);
    if (removed.length > 0) this.log.info(`Removed fetcher for partitions ${removed.join(',')}`);
  }

  updateTopicId(key: string, topicId: string | null): void {
    for (const f of this.fetchers.values()) f.updateTopicId(key, topicId);
  }

  shutdownIdleFetcherThreads(): void {
    for (const [k, f] of this.fetchers) {
      if (f.partitionCount > 0) continue;
      this.fetchers.delete(k);
      void f.shutdown();
    }
  }

  async shutdown(): Promise<void> {
    this.log.info('shutting down');
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(all.map((f) => f.shutdown()));
    this.log.info('shutdown completed');
  }
}
