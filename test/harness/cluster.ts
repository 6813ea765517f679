import { startBroker, type BrokerProcess } from './broker';
import { startTestZooKeeper, type TestZooKeeper } from './zookeeper';

export interface Cluster {
  zk: TestZooKeeper;
  /** brokers[i] has broker.id i. */
  brokers: BrokerProcess[];
  /** Every broker's host:port, comma-separated. */
  bootstrap: string;
  /** Stops the brokers (in parallel), then ZooKeeper; removes their directories. */
  stop(): Promise<void>;
}

export interface StartClusterOptions {
  brokers: number;
  /** For every broker. */
  overrides?: Record<string, string>;
  /** Per broker, on top of `overrides`. */
  brokerOverrides?: (id: number) => Record<string, string>;
  env?: Record<string, string>;
  /** See StartBrokerOptions.main. */
  main?: string;
}

/** A real ZooKeeper and `brokers` real broker processes (ids 0..n-1), started in parallel. */
export async function startCluster(opts: StartClusterOptions): Promise<Cluster> {
  const zk = await startTestZooKeeper();
  const results = await Promise.allSettled(
    Array.from({ length: opts.brokers }, (_, id) =>
      startBroker({
        id,
        zkConnect: zk.connectString,
        overrides: { ...opts.overrides, ...opts.brokerOverrides?.(id) },
        env: opts.env,
        main: opts.main,
      }),
    ),
  );
  const brokers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.allSettled(brokers.map((b) => b.destroy()));
    await zk.stop();
  };
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { zk, brokers, bootstrap: brokers.map((b) => b.bootstrap).join(','), stop };
}
