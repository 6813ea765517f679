// The socket server: Kafka framing (int32 size + payload), one request in processing per
// connection with responses written strictly in request order (Kafka mutes the channel while a
// request is in flight; pipelined requests wait in the buffer), socket.request.max.bytes
// enforced on the size prefix, and idle connections closed after connections.max.idle.ms.
// Everything protocol-level is the RequestProcessor's business; a throw there closes only
// that connection.

import net from 'node:net';
import { getLogger } from '../utils/logger';
import { BufferLease, DATA_POOL, MemoryPool } from './memory-pool';

const EMPTY = Buffer.alloc(0);

/** What the processor wants done after a request: send frames, send nothing, or hang up. */
export type RequestOutcome = (
  | { kind: 'send'; payload: Buffer[] } // response payload (header + body), without size prefix
  | { kind: 'noResponse' }
  | { kind: 'close'; reason: string }
) & {
  /** Nothing refers to the request's bytes any more: their buffer may be reused. */
  requestConsumed?: boolean;
  /** Runs once the response is in the kernel's hands (or at once when nothing is sent). */
  onSent?: () => void;
};

export interface Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly listenerName: string;
  close(reason: string): void;
}

export type RequestProcessor = (
  payload: Buffer,
  conn: Connection,
) => Promise<RequestOutcome> | RequestOutcome;

export interface SocketServerConfig {
  listeners: Array<{ listenerName: string; host: string; port: number }>;
  maxRequestSize: number;
  connectionsMaxIdleMs: number;
  sendBufferBytes?: number;
  receiveBufferBytes?: number;
}

class ClientConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  lastActive = Date.now();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private processing = false;
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    readonly listenerName: string,
    private readonly server: SocketServer,
    seq: number,
  ) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.id = `${socket.localAddress}:${socket.localPort}-${this.remoteAddress}:${this.remotePort}-${seq}`;
    socket.setNoDelay(true);
    socket.on('data', (d) => this.onData(d));
    socket.on('error', () => this.close('socket error'));
    socket.on('close', () => this.onClosed());
  }

  private onData(d: Buffer): void {
    this.lastActive = Date.now();
    this.chunks.push(d);
    this.buffered += d.length;
    void this.pump();
  }

  /**
   * Takes the next complete frame off the buffer, or null; closes on a bad size prefix. A frame
   * that spans socket chunks is copied once, into a pooled buffer when it is large.
   */
  private nextFrame(): { frame: Buffer; lease: BufferLease | null } | null {
    if (this.buffered < 4) return null;
    if (this.chunks[0].length < 4) {
      this.chunks.unshift(this.take(4, Buffer.allocUnsafe(4)));
      this.buffered += 4;
    }
    const size = this.chunks[0].readInt32BE(0);
    if (size < 0 || size > this.server.config.maxRequestSize) {
      this.server.log.warn(
        `Closing connection ${this.id}: request size ${size} is larger than socket.request.max.bytes=${this.server.config.maxRequestSize} or negative`,
      );
      this.close('invalid request size');
      return null;
    }
    if (this.buffered < 4 + size) return null;
    const head = this.chunks[0];
    if (head.length >= 4 + size) {
      const frame = head.subarray(4, 4 + size);
      if (head.length === 4 + size) this.chunks.shift();
      else this.chunks[0] = head.subarray(4 + size);
      this.buffered -= 4 + size;
      return { frame, lease: null };
    }
    this.take(4, null);
    const lease = this.server.pool.acquire(size);
    return { frame: this.take(size, lease.buffer), lease };
  }

  /** Moves the next `n` buffered bytes into `target` (or drops them when null). */
  private take(n: number, target: Buffer | null): Buffer {
    let done = 0;
    while (done < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - done);
      if (target) c.copy(target, done, 0, k);
      done += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return target ?? EMPTY;
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed) {
        const next = this.nextFrame();
        if (next === null) break;
        let outcome: RequestOutcome;
        try {
          outcome = await this.server.processor(next.frame, this);
        } catch (e) {
          this.server.log.error(
            `Unexpected error processing a request from ${this.id}: ${(e as Error).stack}`,
          );
          outcome = { kind: 'close', reason: 'internal error' };
        }
        if (outcome.requestConsumed) next.lease?.release();
        if (this.closed) break;
        if (outcome.kind === 'close') {
          this.close(outcome.reason);
          break;
        }
        if (outcome.kind === 'send') await this.write(outcome.payload, outcome.onSent);
        else outcome.onSent?.();
        this.lastActive = Date.now();
      }
    } finally {
      this.processing = false;
    }
  }

  /** Writes one size-prefixed response; waits for drain when the kernel buffer is full. */
  private write(payload: Buffer[], onSent?: () => void): Promise<void> {
    let size = 0;
    for (const b of payload) size += b.length;
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(size, 0);
    this.socket.cork();
    let ok = this.socket.write(prefix);
    // Writes complete in order: the last one's callback means the kernel has every byte.
    for (let i = 0; i < payload.length; i++)
      ok = this.socket.write(payload[i], i === payload.length - 1 ? onSent : undefined) && ok;
    if (payload.length === 0) onSent?.();
    this.socket.uncork();
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.removeListener('drain', done);
        this.socket.removeListener('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.server.log.debug(`Closing connection ${this.id}: ${reason}`);
    this.socket.destroy();
  }

  private onClosed(): void {
    this.closed = true;
    this.server.connections.delete(this);
  }
}

export class SocketServer {
  readonly log = getLogger('kafka.network.SocketServer', '[SocketServer listenerType=ZK_BROKER]');
  readonly connections = new Set<ClientConnection>();
  private servers: net.Server[] = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** listener name -> bound port (useful when configured with port 0) */
  readonly boundPorts = new Map<string, number>();

  constructor(
    readonly config: SocketServerConfig,
    readonly processor: RequestProcessor,
    readonly pool: MemoryPool = DATA_POOL,
  ) {}

  async start(): Promise<void> {
    for (const l of this.config.listeners) {
      const server = net.createServer({ noDelay: true }, (socket) => {
        if (this.config.receiveBufferBytes && this.config.receiveBufferBytes > 0) {
          // Node exposes no SO_RCVBUF setter; the kernel's autotuning applies (Kafka's -1).
        }
        this.connections.add(new ClientConnection(socket, l.listenerName, this, this.seq++));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: l.host === '' ? undefined : l.host, port: l.port, backlog: 511 }, () => {
          server.removeListener('error', reject);
          resolve();
        });
      });
      server.on('error', (e) => this.log.error(`Listener ${l.listenerName} error: ${e.message}`));
      const addr = server.address() as net.AddressInfo;
      this.boundPorts.set(l.listenerName, addr.port);
      this.servers.push(server);
      this.log.info(
        `Created data-plane acceptor and processors for endpoint : ListenerName(${l.listenerName})`,
      );
    }
    const idleMs = this.config.connectionsMaxIdleMs;
    if (idleMs > 0) {
      this.idleTimer = setInterval(() => this.closeIdle(), Math.min(Math.max(idleMs / 4, 50), 10000));
      this.idleTimer.unref();
    }
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const c of this.connections)
      if (now - c.lastActive > this.config.connectionsMaxIdleMs)
        c.close('idle for longer than connections.max.idle.ms');
  }

  /** Stops accepting and closes every connection. */
  async shutdown(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    for (const c of this.connections) c.close('shutdown');
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers = [];
  }
}
