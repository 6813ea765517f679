// A thin promise wrapper over the `zookeeper` npm package (the native C client), shaped like
// Kafka's ZooKeeperClient: one session at a time, typed errors by ZooKeeper code, one-shot
// watches handed to callbacks, and re-creation of the session after it expires (with the
// registered `onSessionReinit` handlers run so owners re-create ephemerals and re-arm watches).

import { EventEmitter } from 'node:events';
import { getLogger } from '../utils/logger';
import { ZkCode, ZkError } from './zk-errors';
import type { ZkOp, ZkOpResult } from './zk-multi-protocol';
import { ZkMultiSession } from './zk-multi-session';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const NativeZooKeeper = require('zookeeper') as NativeZkConstructor;

interface NativeStat {
  czxid: number;
  mzxid: number;
  version: number;
  cversion: number;
  numChildren: number;
  ephemeralOwner: string;
  dataLength: number;
  ctime: Date | number;
  mtime: Date | number;
}

type WatchCb = (type: number, state: number, path: string) => void;

interface NativeZk extends EventEmitter {
  init(config: object): NativeZk;
  close(): void;
  readonly client_id: string;
  a_create(
    path: string,
    data: Buffer | string | null,
    flags: number,
    cb: (rc: number, err: string, path: string) => void,
  ): void;
  a_exists(path: string, watch: boolean, cb: (rc: number, err: string, stat: NativeStat) => void): void;
  aw_exists(path: string, watchCb: WatchCb, cb: (rc: number, err: string, stat: NativeStat) => void): void;
  a_get(
    path: string,
    watch: boolean,
    cb: (rc: number, err: string, stat: NativeStat, data: Buffer | null) => void,
  ): void;
  aw_get(
    path: string,
    watchCb: WatchCb,
    cb: (rc: number, err: string, stat: NativeStat, data: Buffer | null) => void,
  ): void;
  a_get_children2(
    path: string,
    watch: boolean,
    cb: (rc: number, err: string, children: string[], stat: NativeStat) => void,
  ): void;
  aw_get_children2(
    path: string,
    watchCb: WatchCb,
    cb: (rc: number, err: string, children: string[], stat: NativeStat) => void,
  ): void;
  a_set(
    path: string,
    data: Buffer | string | null,
    version: number,
    cb: (rc: number, err: string, stat: NativeStat) => void,
  ): void;
  a_delete_(path: string, version: number, cb: (rc: number, err: string) => void): void;
}
type NativeZkConstructor = new (config: object) => NativeZk;

export { ZkCode, ZkError } from './zk-errors';

/**
 * A write guard: the write applies only while the znode at `path` still has `version`, checked in
 * the same multi transaction (Kafka's controller fences its writes with /controller_epoch's).
 */
export interface ZkFence {
  readonly path: string;
  readonly version: number;
}

/** The fence's check failed: nothing was written (for the controller: it has been deposed). */
export class ZkFencedError extends ZkError {
  constructor(
    code: number,
    readonly fence: ZkFence,
    readonly target: string,
  ) {
    super(code, fence.path, `fenced write to ${target}: expected version ${fence.version}`);
  }
}

export const CreateMode = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
} as const;

export interface Stat {
  czxid: number;
  mzxid: number;
  version: number;
  cversion: number;
  numChildren: number;
  ephemeralOwner: string;
  ctime: number;
  mtime: number;
}

/** Watch event types, as ZooKeeper numbers them in the C client. */
export enum WatchEvent {
  Created = 1,
  Deleted = 2,
  Changed = 3,
  Child = 4,
  Session = -1,
  NotWatching = -2,
}

export type Watcher = (event: WatchEvent, path: string) => void;

function toStat(s: NativeStat): Stat {
  const t = (d: Date | number) => (d instanceof Date ? d.getTime() : Number(d));
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    version: s.version,
    cversion: s.cversion,
    numChildren: s.numChildren,
    ephemeralOwner: s.ephemeralOwner,
    ctime: t(s.ctime),
    mtime: t(s.mtime),
  };
}

export interface ZkClientOptions {
  connect: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
}

export class ZkClient extends EventEmitter {
  private zk: NativeZk | null = null;
  private closed = false;
  private readonly log = getLogger('kafka.zookeeper.ZooKeeperClient', '[ZooKeeperClient Kafka server]');
  private readonly reinitHandlers: Array<() => Promise<void>> = [];
  private multiSession: ZkMultiSession | null = null;

  constructor(readonly opts: ZkClientOptions) {
    super();
  }

  /** Opens a session, waiting at most connectionTimeoutMs (Kafka's ZooKeeperClientTimeoutException). */
  async connect(): Promise<void> {
    this.log.info(`Initializing a new session to ${this.opts.connect}.`);
    const zk = new NativeZooKeeper({
      connect: this.opts.connect,
      timeout: this.opts.sessionTimeoutMs,
      debug_level: 1, // ZOO_LOG_LEVEL_ERROR: the C client is chatty on stderr otherwise
      host_order_deterministic: false,
      data_as_buffer: true,
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        try {
          zk.close();
        } catch {
          // already closed
        }
        reject(
          new Error(
            `Timed out waiting for connection while in state: CONNECTING (zookeeper.connect=${this.opts.connect})`,
          ),
        );
      }, this.opts.connectionTimeoutMs);
      const onConnect = () => {
        cleanup();
        resolve();
      };
      const onClose = (_zk: unknown, code: number) => {
        cleanup();
        reject(new Error(`ZooKeeper session closed while connecting (code ${code})`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        zk.removeListener('connect', onConnect);
        zk.removeListener('close', onClose);
      };
      zk.on('connect', onConnect);
      zk.on('close', onClose);
      zk.init({});
    });
    this.zk = zk;
    zk.on('close', (_z: unknown, code: number) => {
      if (this.closed || this.zk !== zk) return;
      this.zk = null;
      this.log.warn(`Session expired (code ${code}); re-creating the session.`);
      this.emit('expired');
      void this.reinitialize();
    });
    zk.on('connecting', () => this.emit('disconnected'));
    zk.on('connect', () => this.emit('reconnected'));
    this.log.info('Connected.');
  }

  /** Registers a handler run after every new session (ephemerals re-created, watches re-armed). */
  onSessionReinit(handler: () => Promise<void>): void {
    this.reinitHandlers.push(handler);
  }

  private async reinitialize(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      try {
        await this.connect();
        break;
      } catch (e) {
        this.log.warn(`Unable to re-create the session: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    for (const h of this.reinitHandlers) {
      try {
        await h();
      } catch (e) {
        this.log.error(`Error in session re-initialization handler: ${(e as Error).stack}`);
      }
    }
    this.emit('reinitialized');
  }

  get sessionId(): string {
    return this.handle().client_id;
  }

  private handle(): NativeZk {
    if (!this.zk) throw new ZkError(ZkCode.CONNECTIONLOSS, '', 'no session');
    return this.zk;
  }

  private watchCb(watcher: Watcher | undefined): WatchCb | undefined {
    if (!watcher) return undefined;
    return (type, _state, path) => {
      if (type === WatchEvent.Session) return;
      try {
        watcher(type as WatchEvent, path);
      } catch (e) {
        this.log.error(`Watcher for ${path} failed: ${(e as Error).stack}`);
      }
    };
  }

  /**
   * An operation whose callback never comes (the C client can drop callbacks of a handle that is
   * closing while its session expires) fails with CONNECTIONLOSS after the session timeout, so
   * no caller — a request handler holding its connection, the controller's event queue — waits
   * forever.
   */
  private bounded<T>(path: string, op: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ZkError(ZkCode.CONNECTIONLOSS, path, 'no answer within the session timeout')),
        this.opts.sessionTimeoutMs + 2000,
      );
    });
    return Promise.race([op, timeout]).finally(() => clearTimeout(timer));
  }

  /**
   * Runs `ops` as one ZooKeeper transaction, on a session of its own (the native client has no
   * multi). Rejects with ZkMultiOpError when an op fails; then nothing was applied.
   */
  async multi(ops: readonly ZkOp[]): Promise<ZkOpResult[]> {
    if (this.closed) throw new ZkError(ZkCode.CLOSING, ops[0]?.path ?? '', 'client closed');
    this.multiSession ??= new ZkMultiSession(this.opts);
    return this.multiSession.multi(ops);
  }

  /** `op` in a multi behind a check of `fence`; the fence failing surfaces as ZkFencedError. */
  private async fenced(fence: ZkFence, op: ZkOp): Promise<ZkOpResult> {
    try {
      const results = await this.multi([{ type: 'check', path: fence.path, version: fence.version }, op]);
      return results[1];
    } catch (e) {
      const failed = e as ZkError & { opIndex?: number };
      if (failed.opIndex === 0) throw new ZkFencedError(failed.code, fence, op.path);
      if (failed.opIndex === 1) throw new ZkError(failed.code, op.path);
      throw e;
    }
  }

  create(
    path: string,
    data: Buffer | string | null,
    mode: number = CreateMode.PERSISTENT,
    fence?: ZkFence,
  ): Promise<string> {
    if (fence) {
      const bytes = data === null ? Buffer.alloc(0) : Buffer.from(data);
      return this.fenced(fence, { type: 'create', path, data: bytes, flags: mode }).then(
        (r) => (r as { path: string }).path,
      );
    }
    return this.bounded(
      path,
      new Promise((resolve, reject) =>
        // null would be stored as the 4 bytes "null" by the native binding: empty data instead
        this.handle().a_create(
          path,
          data === null ? Buffer.alloc(0) : Buffer.from(data),
          mode,
          (rc, err, p) => (rc === 0 ? resolve(p) : reject(new ZkError(rc, path, err))),
        ),
      ),
    );
  }

  /** Creates `path` and missing parents (persistent, empty); NODEEXISTS on the leaf is ignored. */
  async createRecursive(
    path: string,
    data: Buffer | string | null = null,
    mode: number = CreateMode.PERSISTENT,
  ): Promise<void> {
    try {
      await this.create(path, data, mode);
    } catch (e) {
      if (e instanceof ZkError && e.isNoNode) {
        const parent = path.slice(0, path.lastIndexOf('/'));
        if (parent) await this.createRecursive(parent);
        try {
          await this.create(path, data, mode);
        } catch (e2) {
          if (!(e2 instanceof ZkError && e2.isNodeExists)) throw e2;
        }
      } else if (!(e instanceof ZkError && e.isNodeExists)) throw e;
    }
  }

  /** Stat of `path`, or null when absent; `watcher` fires on create/delete/change. */
  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    const cb =
      (resolve: (s: Stat | null) => void, reject: (e: Error) => void) =>
      (rc: number, err: string, stat: NativeStat) =>
        rc === 0
          ? resolve(toStat(stat))
          : rc === ZkCode.NONODE
            ? resolve(null)
            : reject(new ZkError(rc, path, err));
    return this.bounded(
      path,
      new Promise((resolve, reject) => {
        const w = this.watchCb(watcher);
        if (w) this.handle().aw_exists(path, w, cb(resolve, reject));
        else this.handle().a_exists(path, false, cb(resolve, reject));
      }),
    );
  }

  /** Data and stat, or null when the node does not exist (the watcher is then not set). */
  getData(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: Stat } | null> {
    return this.bounded(
      path,
      new Promise((resolve, reject) => {
        const cb = (rc: number, err: string, stat: NativeStat, data: Buffer | null) => {
          if (rc === 0) resolve({ data: data ?? Buffer.alloc(0), stat: toStat(stat) });
          else if (rc === ZkCode.NONODE) resolve(null);
          else reject(new ZkError(rc, path, err));
        };
        const w = this.watchCb(watcher);
        if (w) this.handle().aw_get(path, w, cb);
        else this.handle().a_get(path, false, cb);
      }),
    );
  }

  /** Children names (unsorted, as ZooKeeper returns them), or null when the node does not exist. */
  getChildren(path: string, watcher?: Watcher): Promise<string[] | null> {
    return this.bounded(
      path,
      new Promise((resolve, reject) => {
        const cb = (rc: number, err: string, children: string[]) => {
          if (rc === 0) resolve(children);
          else if (rc === ZkCode.NONODE) resolve(null);
          else reject(new ZkError(rc, path, err));
        };
        const w = this.watchCb(watcher);
        if (w) this.handle().aw_get_children2(path, w, cb);
        else this.handle().a_get_children2(path, false, cb);
      }),
    );
  }

  /** Conditional write (`version` -1 = any); BADVERSION/NONODE reject with ZkError. */
  setData(path: string, data: Buffer | string, version = -1, fence?: ZkFence): Promise<Stat> {
    if (fence)
      return this.fenced(fence, { type: 'setData', path, data: Buffer.from(data), version }).then(
        (r) => (r as { stat: Stat }).stat,
      );
    return this.bounded(
      path,
      new Promise((resolve, reject) =>
        this.handle().a_set(path, Buffer.from(data), version, (rc, err, stat) =>
          rc === 0 ? resolve(toStat(stat)) : reject(new ZkError(rc, path, err)),
        ),
      ),
    );
  }

  delete(path: string, version = -1, fence?: ZkFence): Promise<void> {
    if (fence) return this.fenced(fence, { type: 'delete', path, version }).then(() => undefined);
    return this.bounded(
      path,
      new Promise((resolve, reject) =>
        this.handle().a_delete_(path, version, (rc, err) =>
          rc === 0 ? resolve() : reject(new ZkError(rc, path, err)),
        ),
      ),
    );
  }

  /** Deletes a subtree bottom-up; absent nodes are fine (someone else got there first). */
  async deleteRecursive(path: string, fence?: ZkFence): Promise<void> {
    const children = await this.getChildren(path);
    if (children === null) return;
    for (const c of children) await this.deleteRecursive(`${path}/${c}`, fence);
    try {
      await this.delete(path, -1, fence);
    } catch (e) {
      if (!(e instanceof ZkError && e.isNoNode)) throw e;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const multi = this.multiSession;
    this.multiSession = null;
    await multi?.close();
    const zk = this.zk;
    this.zk = null;
    if (!zk) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      zk.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      zk.close();
    });
    this.log.info('Closed.');
  }
}
