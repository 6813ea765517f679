// A real ZooKeeper (the system's install, via the product's embedded-ZooKeeper code) in a fresh
// temporary directory that stop() removes. Never a mock.

import {
  startEmbeddedZooKeeper,
  type EmbeddedZooKeeper,
  type StartEmbeddedZooKeeperOptions,
} from '../../src/zk/embedded-zookeeper';
import { makeTempDir, removeTempDir, track, untrack, type Resource } from './processes';

export interface TestZooKeeper extends EmbeddedZooKeeper {
  /**
   * Stops the server (SIGKILL with `{ kill: true }`) and starts it again on the same port and data dir,
   * keeping the znodes: for tests of ZooKeeper outages. `pid` changes; the handle stays valid.
   */
  restart(opts?: { kill?: boolean }): Promise<void>;
}

export type TestZooKeeperOptions = Partial<Omit<StartEmbeddedZooKeeperOptions, 'dataDir'>>;

export async function startTestZooKeeper(opts: TestZooKeeperOptions = {}): Promise<TestZooKeeper> {
  const dir = makeTempDir('samsa-zk-');
  const startOpts: StartEmbeddedZooKeeperOptions = {
    dataDir: dir,
    // Fine-grained session expiry (sessions of 1 s to 60 s), no fsync: tests want speed, not durability.
    tickTime: 500,
    forceSync: false,
    startupTimeoutMs: 30_000,
    stopGraceMs: 5_000,
    ...opts,
    extraConfig: { maxSessionTimeout: '60000', ...opts.extraConfig },
  };
  let zk: EmbeddedZooKeeper;
  try {
    zk = await startEmbeddedZooKeeper(startOpts);
  } catch (e) {
    await removeTempDir(dir);
    throw e;
  }
  let stopped: Promise<void> | null = null;
  const resource: Resource = {
    order: 1,
    stop: () => handle.stop(),
    killNow: () => zk.kill('SIGKILL'),
  };
  const handle: TestZooKeeper = {
    connectString: zk.connectString,
    port: zk.port,
    dataDir: zk.dataDir,
    get pid() {
      return zk.pid;
    },
    stop() {
      stopped ??= (async () => {
        try {
          await zk.stop();
        } finally {
          untrack(resource);
          await removeTempDir(dir);
        }
      })();
      return stopped;
    },
    kill: (signal) => zk.kill(signal),
    waitForExit: () => zk.waitForExit(),
    output: () => zk.output(),
    async restart(o = {}) {
      if (stopped) throw new Error('restart() after stop()');
      if (o.kill) {
        zk.kill('SIGKILL');
        await zk.waitForExit();
      }
      await zk.stop();
      zk = await startEmbeddedZooKeeper({ ...startOpts, port: handle.port });
    },
  };
  track(resource);
  return handle;
}
