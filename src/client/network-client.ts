// A small Kafka protocol client built on Samsa's own codec, for the CLI tools that need fields
// kafkajs does not expose (topic ids, config sources, reassignment state). One connection per
// broker, requests pipelined and matched by correlation id, versions negotiated with
// ApiVersions (the highest both sides support). Socket reads land in one reused buffer and are
// copied once into the frame they belong to; large frames come from the memory pool, and
// `sendLeased` hands the caller the lease so it can return the frame when done with it.

import net from 'node:net';
import { FrameAssembler } from '../network/frame-assembler';
import { BufferLease, DATA_POOL, MemoryPool } from '../network/memory-pool';
import { Reader } from '../protocol/codec/reader';
import { Writer } from '../protocol/codec/writer';
import { decodeResponseHeader, encodeRequestHeader } from '../protocol/header';
import { API_SPECS, ApiKey } from '../protocol/messages/generated';
import type { ApiVersionsResponse } from '../protocol/messages/generated/ApiVersionsResponse';
import type { MetadataResponse } from '../protocol/messages/generated/MetadataResponse';

export class KafkaConnection {
  private socket: net.Socket | null = null;
  /** Set once the socket closed (by us, the peer, or an idle timeout): sends then fail fast. */
  closed = false;
  private correlationId = 0;
  private readonly inflight = new Map<
    number,
    {
      apiKey: number;
      version: number;
      resolve: (r: { response: unknown; release: () => void }) => void;
      reject: (e: Error) => void;
    }
  >();
  /** Frames being reassembled from the reused read buffer. */
  private readonly frames: FrameAssembler;
  private versions = new Map<number, { min: number; max: number }>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly clientId = 'samsa-cli',
    private readonly timeoutMs = 30000,
    pool: MemoryPool = DATA_POOL,
  ) {
    this.frames = new FrameAssembler(
      pool,
      (size) => (size < 4 ? `invalid response size ${size} from ${this.host}:${this.port}` : null),
      (lease) => this.dispatch(lease),
      (reason) => this.socket?.destroy(new Error(reason)),
    );
  }

  async connect(): Promise<void> {
    const readBuffer = Buffer.allocUnsafe(64 * 1024);
    await new Promise<void>((resolve, reject) => {
      const s = net.connect(
        {
          host: this.host,
          port: this.port,
          onread: {
            buffer: readBuffer,
            callback: (n) => {
              this.frames.push(readBuffer, n);
              return true;
            },
          },
        },
        () => {
          s.removeListener('error', reject);
          resolve();
        },
      );
      s.once('error', reject);
      s.setTimeout(this.timeoutMs, () =>
        s.destroy(new Error(`connection to ${this.host}:${this.port} timed out`)),
      );
      this.socket = s;
    });
    const s = this.socket!;
    s.setTimeout(0);
    s.on('error', (e) => this.failAll(e));
    s.on('close', () => {
      this.closed = true;
      this.failAll(new Error(`connection to ${this.host}:${this.port} closed`));
    });
    const av = (await this.send(ApiKey.ApiVersions, 0, {})) as ApiVersionsResponse;
    for (const k of av.apiKeys) this.versions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /** Highest version of `apiKey` both this codec and the broker support. */
  version(apiKey: number, cap = Infinity): number {
    const spec = API_SPECS.get(apiKey);
    const broker = this.versions.get(apiKey);
    if (!spec || !broker) throw new Error(`the broker does not support API ${spec?.name ?? apiKey}`);
    const v = Math.min(spec.maxVersion, broker.max, cap);
    if (v < Math.max(spec.minVersion, broker.min)) throw new Error(`no common version for API ${spec.name}`);
    return v;
  }

  async send(apiKey: number, version: number, body: unknown): Promise<unknown> {
    return (await this.sendLeased(apiKey, version, body)).response;
  }

  /**
   * Like send, and hands over the response frame: the decoded response may point into it (records)
   * until `release()` returns it to the pool. Not calling release is safe (the GC takes it).
   */
  sendLeased(
    apiKey: number,
    version: number,
    body: unknown,
  ): Promise<{ response: unknown; release: () => void }> {
    const spec = API_SPECS.get(apiKey);
    if (!spec) return Promise.reject(new Error(`unknown API ${apiKey}`));
    if (this.closed || !this.socket)
      return Promise.reject(new Error(`connection to ${this.host}:${this.port} closed`));
    const correlationId = this.correlationId++;
    const w = new Writer();
    encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId, clientId: this.clientId });
    spec.encodeRequest(w, body, version);
    const payload = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.inflight.delete(correlationId);
        reject(new Error(`request ${spec.name} timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.inflight.set(correlationId, {
        apiKey,
        version,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket!.write(Buffer.concat([size, payload]));
    });
  }

  /** Sends at the highest common version. */
  request<T>(apiKey: number, body: unknown, cap?: number): Promise<T> {
    return this.send(apiKey, this.version(apiKey, cap), body) as Promise<T>;
  }

  private dispatch(lease: BufferLease): void {
    const frame = lease.buffer;
    const cid = frame.readInt32BE(0);
    const req = this.inflight.get(cid);
    if (!req) {
      lease.release();
      return;
    }
    this.inflight.delete(cid);
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, req.apiKey, req.version);
      req.resolve({
        response: API_SPECS.get(req.apiKey)!.decodeResponse(r, req.version),
        release: lease.release,
      });
    } catch (e) {
      lease.release();
      req.reject(e as Error);
    }
  }

  private failAll(e: Error): void {
    for (const r of this.inflight.values()) r.reject(e);
    this.inflight.clear();
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}

/** Parses `host:port[,host:port…]` and connects to the first broker that answers. */
export async function connectBootstrap(bootstrap: string, timeoutMs = 30000): Promise<KafkaConnection> {
  const errors: string[] = [];
  for (const hp of bootstrap
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(hp);
    if (!m) throw new Error(`Invalid url in bootstrap.servers: ${hp}`);
    const c = new KafkaConnection(m[1].replace(/^\[|\]$/g, ''), Number(m[2]), 'samsa-cli', timeoutMs);
    try {
      await c.connect();
      return c;
    } catch (e) {
      errors.push(`${hp}: ${(e as Error).message}`);
    }
  }
  throw new Error(`Could not connect to any bootstrap server (${errors.join('; ')})`);
}

/** Connects to the controller named in Metadata (admin requests that must go there). */
export async function connectController(conn: KafkaConnection): Promise<KafkaConnection> {
  const md = await conn.request<MetadataResponse>(ApiKey.Metadata, { topics: [] });
  const ctrl = md.brokers.find((b) => b.nodeId === md.controllerId);
  if (!ctrl) throw new Error('No controller is available in the cluster');
  if (ctrl.host === conn.host && ctrl.port === conn.port) return conn;
  const c = new KafkaConnection(ctrl.host, ctrl.port);
  await c.connect();
  return c;
}
