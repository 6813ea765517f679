// A ZooKeeper session of its own that only runs multi transactions (zk-multi-protocol.ts), opened
// on first use and re-opened after a connection loss. It holds no ephemerals and no watches, so
// losing it loses nothing: an operation in flight then fails with CONNECTIONLOSS, as it would on
// the main session. Kept alive with pings at a third of the negotiated timeout.

import * as net from 'node:net';
import { parseConnectString } from './embedded-zookeeper';
import { ZkCode, ZkError } from './zk-errors';
import {
  JuteReader,
  NOTIFICATION_XID,
  OpCode,
  PING_XID,
  ZkOp,
  ZkOpResult,
  decodeConnectResponse,
  decodeMultiResponse,
  decodeReplyHeader,
  encodeConnectRequest,
  encodeHeaderOnly,
  encodeMultiRequest,
} from './zk-multi-protocol';

/** One op of a multi failed: the whole transaction was rolled back. */
export class ZkMultiOpError extends ZkError {
  constructor(
    code: number,
    readonly op: ZkOp,
    readonly opIndex: number,
  ) {
    super(code, op.path, `op ${opIndex} (${op.type}) of a multi`);
  }
}

export interface ZkMultiSessionOptions {
  /** Kafka's zookeeper.connect: `host:port[,host:port…][/chroot]`. */
  connect: string;
  sessionTimeoutMs: number;
  connectionTimeoutMs: number;
}

interface Connection {
  socket: net.Socket;
  pending: Map<number, { resolve: (frame: Buffer) => void; reject: (e: Error) => void }>;
  pingTimer: NodeJS.Timeout;
}

export class ZkMultiSession {
  private conn: Connection | null = null;
  private connecting: Promise<Connection> | null = null;
  private nextXid = 1;
  private closed = false;
  private readonly servers: Array<{ host: string; port: number }>;
  private readonly chroot: string;

  constructor(private readonly opts: ZkMultiSessionOptions) {
    const slash = opts.connect.indexOf('/');
    this.servers = parseConnectString(opts.connect);
    this.chroot = slash >= 0 ? opts.connect.slice(slash).replace(/\/+$/, '') : '';
  }

  /**
   * Runs `ops` atomically. Resolves with one result per op; a failed op rejects with
   * ZkMultiOpError (nothing applied); a lost connection with ZkError CONNECTIONLOSS (outcome
   * unknown, as for any ZooKeeper write).
   */
  async multi(ops: readonly ZkOp[]): Promise<ZkOpResult[]> {
    if (this.closed) throw new ZkError(ZkCode.CLOSING, ops[0]?.path ?? '', 'multi session closed');
    const conn = await this.connection();
    const xid = this.nextXid++;
    const rooted = ops.map((op) => ({ ...op, path: this.rooted(op.path) }));
    const frame = await this.send(conn, xid, encodeMultiRequest(xid, rooted));
    const r = new JuteReader(frame);
    const header = decodeReplyHeader(r);
    if (header.err !== 0) {
      // Op failures come back as results; an error here is about the session (expired, closing):
      // drop it, the next call opens a new one.
      conn.socket.destroy();
      throw new ZkError(header.err, ops[0]?.path ?? '', 'multi');
    }
    const results = decodeMultiResponse(r);
    const failed = results.findIndex((x) => x.type === 'error' && x.err !== 0);
    if (failed >= 0) {
      const err = results[failed] as { err: number };
      throw new ZkMultiOpError(err.err, ops[failed], failed);
    }
    return results.map((x) => (x.type === 'create' ? { ...x, path: this.unrooted(x.path) } : x));
  }

  /** Ends the session (closeSession) and the connection. */
  async close(): Promise<void> {
    this.closed = true;
    const conn = this.conn ?? (await this.connecting?.catch(() => null)) ?? null;
    if (!conn) return;
    await this.send(conn, this.nextXid++, encodeHeaderOnly(this.nextXid - 1, OpCode.closeSession)).catch(
      () => undefined,
    );
    conn.socket.destroy();
  }

  private rooted(path: string): string {
    return this.chroot === '' ? path : path === '/' ? this.chroot : this.chroot + path;
  }

  private unrooted(path: string): string {
    if (this.chroot === '' || !path.startsWith(this.chroot)) return path;
    return path.slice(this.chroot.length) || '/';
  }

  private send(conn: Connection, xid: number, packet: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      // A reply that never comes is a lost connection: give up after the session timeout.
      const timer = setTimeout(() => {
        conn.socket.destroy(new Error('no reply within the session timeout'));
      }, this.opts.sessionTimeoutMs);
      conn.pending.set(xid, {
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      conn.socket.write(packet);
    });
  }

  private connection(): Promise<Connection> {
    if (this.conn && !this.conn.socket.destroyed) return Promise.resolve(this.conn);
    if (!this.connecting) {
      this.connecting = this.open().finally(() => (this.connecting = null));
    }
    return this.connecting;
  }

  private async open(): Promise<Connection> {
    const start = Math.floor(Math.random() * this.servers.length);
    let last: Error | null = null;
    for (let i = 0; i < this.servers.length; i++) {
      const server = this.servers[(start + i) % this.servers.length];
      try {
        const conn = await this.openTo(server.host, server.port);
        this.conn = conn;
        return conn;
      } catch (e) {
        last = e as Error;
      }
    }
    throw new ZkError(ZkCode.CONNECTIONLOSS, '', `multi session: ${last?.message ?? 'no server'}`);
  }

  private openTo(host: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.setNoDelay(true);
      let acc: Buffer = Buffer.alloc(0);
      let conn: Connection | null = null;
      const fail = (e: Error) => {
        if (conn) return;
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(
        () => fail(new Error(`no session from ${host}:${port} within ${this.opts.connectionTimeoutMs} ms`)),
        this.opts.connectionTimeoutMs,
      );
      socket.on('connect', () => socket.write(encodeConnectRequest(this.opts.sessionTimeoutMs)));
      socket.on('data', (chunk: Buffer) => {
        acc = acc.length === 0 ? chunk : Buffer.concat([acc, chunk]);
        while (acc.length >= 4) {
          const len = acc.readInt32BE(0);
          if (acc.length < 4 + len) break;
          const frame = acc.subarray(4, 4 + len);
          acc = acc.subarray(4 + len);
          if (!conn) {
            const resp = decodeConnectResponse(frame);
            if (resp.timeoutMs <= 0) return fail(new Error(`${host}:${port} refused the session`));
            clearTimeout(timer);
            const pingEveryMs = Math.max(100, Math.floor(resp.timeoutMs / 3));
            conn = {
              socket,
              pending: new Map(),
              pingTimer: setInterval(
                () => socket.write(encodeHeaderOnly(PING_XID, OpCode.ping)),
                pingEveryMs,
              ),
            };
            conn.pingTimer.unref();
            resolve(conn);
            continue;
          }
          const xid = frame.readInt32BE(0);
          if (xid === PING_XID || xid === NOTIFICATION_XID) continue;
          const waiter = conn.pending.get(xid);
          conn.pending.delete(xid);
          waiter?.resolve(frame);
        }
      });
      socket.on('error', (e) => fail(e));
      socket.on('close', () => {
        fail(new Error(`${host}:${port} closed the connection`));
        if (!conn) return;
        clearInterval(conn.pingTimer);
        if (this.conn === conn) this.conn = null;
        for (const w of conn.pending.values())
          w.reject(new ZkError(ZkCode.CONNECTIONLOSS, '', 'multi session connection lost'));
        conn.pending.clear();
      });
    });
  }
}
