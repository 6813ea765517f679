// A minimal, test-only ZooKeeper client for reading back what the broker wrote, over the `zookeeper`
// npm package (native C client, promise API). The broker's own client lives in src/zk/.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ZooKeeper = require('zookeeper') as ZooKeeperCtor;

interface NativeZk {
  init(config: Record<string, unknown>): NativeZk;
  once(event: 'connect', cb: () => void): void;
  once(event: 'close', cb: () => void): void;
  get(path: string, watch: boolean): Promise<[unknown, Buffer | string | null]>;
  get_children(path: string, watch: boolean): Promise<string[]>;
  exists(path: string, watch: boolean): Promise<unknown>;
  create(path: string, data: string | Buffer, flags: number): Promise<string>;
  set(path: string, data: string | Buffer, version: number): Promise<unknown>;
  delete_(path: string, version: number): Promise<void>;
  close(): void;
}

interface ZooKeeperCtor {
  new (config: Record<string, unknown>): NativeZk;
  constants: Record<string, number>;
}

export interface ZkClient {
  /** The znode's data, or null when the znode does not exist. */
  getData(path: string): Promise<Buffer | null>;
  /** The znode's data parsed as JSON, or null when the znode does not exist. */
  getJson<T = unknown>(path: string): Promise<T | null>;
  /** Children, sorted; [] when the znode does not exist. */
  getChildren(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  /** Creates the znode (parents must exist); returns the created path (differs for sequential). */
  create(
    path: string,
    data?: string | Buffer,
    opts?: { ephemeral?: boolean; sequential?: boolean },
  ): Promise<string>;
  setData(path: string, data: string | Buffer): Promise<void>;
  /** Deletes the znode; false when it did not exist. */
  delete(path: string): Promise<boolean>;
  close(): Promise<void>;
}

const ZNONODE = ZooKeeper.constants.ZNONODE ?? -101;

function isNoNode(e: unknown): boolean {
  // The package rejects with Error(`${rc} ${message}`).
  return e instanceof Error && e.message.startsWith(`${ZNONODE} `);
}

export async function connectZk(connectString: string, opts: { timeoutMs?: number } = {}): Promise<ZkClient> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const zk = new ZooKeeper({
    connect: connectString,
    timeout: 30_000, // session timeout
    debug_level: ZooKeeper.constants.ZOO_LOG_LEVEL_ERROR,
    host_order_deterministic: false,
    data_as_buffer: true,
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      zk.close();
      reject(new Error(`zk-client: could not connect to ${connectString} within ${timeoutMs} ms`));
    }, timeoutMs);
    zk.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    zk.init({});
  });

  let closed = false;
  // Using the native client after close() crashes the process: refuse instead.
  const live = (): NativeZk => {
    if (closed) throw new Error('zk-client: used after close()');
    return zk;
  };
  const getData = async (path: string): Promise<Buffer | null> => {
    try {
      const [, data] = await live().get(path, false);
      if (data === null || data === undefined) return Buffer.alloc(0);
      return Buffer.isBuffer(data) ? data : Buffer.from(data);
    } catch (e) {
      if (isNoNode(e)) return null;
      throw e;
    }
  };
  return {
    getData,
    async getJson<T>(path: string): Promise<T | null> {
      const data = await getData(path);
      return data === null ? null : (JSON.parse(data.toString('utf8')) as T);
    },
    async getChildren(path) {
      try {
        return (await live().get_children(path, false)).slice().sort();
      } catch (e) {
        if (isNoNode(e)) return [];
        throw e;
      }
    },
    async exists(path) {
      try {
        return Boolean(await live().exists(path, false));
      } catch (e) {
        if (isNoNode(e)) return false;
        throw e;
      }
    },
    create(path, data = '', o = {}) {
      const flags =
        (o.ephemeral ? ZooKeeper.constants.ZOO_EPHEMERAL : 0) |
        (o.sequential ? ZooKeeper.constants.ZOO_SEQUENCE : 0);
      return live().create(path, data, flags);
    },
    async setData(path, data) {
      await live().set(path, data, -1);
    },
    async delete(path) {
      try {
        await live().delete_(path, -1);
        return true;
      } catch (e) {
        if (isNoNode(e)) return false;
        throw e;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      zk.close();
    },
  };
}
