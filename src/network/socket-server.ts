// The socket server: Kafka framing (int32 size + payload), one request in processing per
// connection with responses written strictly in request order (Kafka mutes the channel while a
// request is in flight; pipelined requests wait in the buffer), socket.request.max.bytes
// enforced on the size prefix, and idle connections closed after connections.max.idle.ms.
// One departure, invisible on the wire: a request whose remaining work is only waiting (an
// acks=all produce once appended) may unmute the connection, so the producer's next requests
// are appended while it replicates; responses still leave in request order.
// Everything protocol-level is the RequestProcessor's business; a throw there closes only
// that connection.

import net from 'node:net';
import { getLogger } from '../utils/logger';
import { FrameAssembler } from './frame-assembler';
import { BufferLease, DATA_POOL, MemoryPool } from './memory-pool';

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

/**
 * Handles one request. The connection is muted (Kafka's term: its next request waits) until the
 * outcome is in, or until the processor calls `unmute`; responses go out in request order
 * either way.
 */
export type RequestProcessor = (
  payload: Buffer,
  conn: Connection,
  unmute: () => void,
) => Promise<RequestOutcome> | RequestOutcome;

export interface SocketServerConfig {
  listeners: Array<{ listenerName: string; host: string; port: number }>;
  maxRequestSize: number;
  connectionsMaxIdleMs: number;
  sendBufferBytes?: number;
  receiveBufferBytes?: number;
}

/** Every connection reads into this one buffer: reads are handled one at a time and copied out. */
const SHARED_READ_BUFFER = Buffer.allocUnsafeSlow(512 * 1024);

/** Complete requests waiting behind the one in flight; beyond this, reading pauses (Kafka mutes). */
const MAX_QUEUED_REQUEST_BYTES = 4 * 1024 * 1024;

/** Requests that unmuted the connection and wait for their responses (a producer's in-flight 5). */
const MAX_UNMUTED_IN_FLIGHT = 5;

interface SocketHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  useUserBuffer?(buf: Buffer): void;
}

/**
 * Makes an accepted socket read into `buffer` and call `onRead(n)` per read: what net's `onread`
 * option does for sockets Node connects itself, which it does not offer for accepted ones. It
 * fills the same internal slots, found by name; false (and nothing changed) where this Node has
 * no such slots, and the caller then listens to 'data'.
 */
function readIntoBuffer(socket: net.Socket, buffer: Buffer, onRead: (n: number) => boolean): boolean {
  const symbols = Object.getOwnPropertySymbols(socket);
  const slot = (name: string) => symbols.find((sym) => sym.description === name);
  const [kBuffer, kBufferCb, kBufferGen] = [slot('kBuffer'), slot('kBufferCb'), slot('kBufferGen')];
  const handle = (socket as unknown as { _handle?: SocketHandle })._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== 'function') return false;
  const slots = socket as unknown as Record<symbol, unknown>;
  slots[kBuffer] = buffer;
  slots[kBufferCb] = (n: number) => onRead(n);
  slots[kBufferGen] = null;
  handle.useUserBuffer(buffer);
  return true;
}

class ClientConnection implements Connection {
  readonly id: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  lastActive = Date.now();
  private readonly frames: FrameAssembler;
  /** Complete requests not yet processed, in arrival order. */
  private ready: BufferLease[] = [];
  private readyBytes = 0;
  private readPaused = false;
  /** The latest request's response step: each one waits for the one before it. */
  private lastResponse: Promise<void> = Promise.resolve();
  private readonly unmutedInFlight: Array<Promise<void>> = [];
  private readonly readsIntoBuffer: boolean;
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
    this.frames = new FrameAssembler(
      server.pool,
      (size) => {
        if (size >= 0 && size <= server.config.maxRequestSize) return null;
        server.log.warn(
          `Closing connection ${this.id}: request size ${size} is larger than socket.request.max.bytes=${server.config.maxRequestSize} or negative`,
        );
        return 'invalid request size';
      },
      (lease) => this.onFrame(lease),
      (reason) => this.close(reason),
    );
    socket.setNoDelay(true);
    this.readsIntoBuffer = readIntoBuffer(socket, SHARED_READ_BUFFER, (n) =>
      this.onRead(SHARED_READ_BUFFER, n),
    );
    if (!this.readsIntoBuffer) socket.on('data', (d: Buffer) => this.onRead(d, d.length));
    socket.on('error', () => this.close('socket error'));
    socket.on('close', () => this.onClosed());
    socket.resume(); // accepted paused, so that no read happens before the buffer is in place
  }

  /** False pauses reading until the queued requests are processed. */
  private onRead(buf: Buffer, n: number): boolean {
    this.lastActive = Date.now();
    this.frames.push(buf, n);
    if (this.readyBytes <= MAX_QUEUED_REQUEST_BYTES || this.closed) return true;
    this.readPaused = true;
    if (!this.readsIntoBuffer) this.socket.pause(); // the buffer path stops on the false
    return false;
  }

  private onFrame(lease: BufferLease): void {
    this.ready.push(lease);
    this.readyBytes += lease.buffer.length;
    void this.pump();
  }

  private resumeReading(): void {
    this.readPaused = false;
    if (!this.readsIntoBuffer) {
      this.socket.resume();
      return;
    }
    // What net does when a paused socket resumes (tryReadStart); the stream API cannot, as
    // reads into a user buffer never go through push().
    const handle = (this.socket as unknown as { _handle?: SocketHandle })._handle;
    if (handle && !handle.reading && !this.socket.destroyed) {
      handle.reading = true;
      if (handle.readStart() !== 0) this.close('cannot resume reading');
    }
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      while (!this.closed) {
        const next = this.ready.shift();
        if (next === undefined) break;
        this.readyBytes -= next.buffer.length;
        if (this.readPaused && this.readyBytes <= MAX_QUEUED_REQUEST_BYTES) this.resumeReading();
        let unmute!: () => void;
        const unmuted = new Promise<void>((resolve) => (unmute = resolve));
        const outcome = this.process(next, unmute);
        const finished = this.lastResponse.then(() => this.finish(next, outcome));
        this.lastResponse = finished;
        this.unmutedInFlight.push(finished);
        await Promise.race([finished, unmuted]);
        // Unmuted requests whose responses are not out yet are bounded too (oldest first).
        while (this.unmutedInFlight.length >= MAX_UNMUTED_IN_FLIGHT) await this.unmutedInFlight.shift();
      }
    } finally {
      this.processing = false;
    }
  }

  private async process(request: BufferLease, unmute: () => void): Promise<RequestOutcome> {
    try {
      return await this.server.processor(request.buffer, this, unmute);
    } catch (e) {
      this.server.log.error(`Unexpected error processing a request from ${this.id}: ${(e as Error).stack}`);
      return { kind: 'close', reason: 'internal error' };
    }
  }

  /** Acts on a request's outcome once every earlier response is out: in request order. */
  private async finish(request: BufferLease, pending: Promise<RequestOutcome>): Promise<void> {
    const outcome = await pending;
    if (outcome.requestConsumed) request.release();
    if (this.closed) return;
    if (outcome.kind === 'close') this.close(outcome.reason);
    else if (outcome.kind === 'send') await this.write(outcome.payload, outcome.onSent);
    else outcome.onSent?.();
    this.lastActive = Date.now();
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
    this.frames.discard();
    // Unprocessed requests: nothing refers to their bytes (the one in flight keeps its own).
    for (const lease of this.ready) lease.release();
    this.ready = [];
    this.readyBytes = 0;
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
      const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
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
