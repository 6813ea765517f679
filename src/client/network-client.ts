// A small Kafka protocol client built on Samsa's own codec, for the CLI tools that need fields
// kafkajs does not expose (topic ids, config sources, reassignment state). One connection per
// broker, requests pipelined and matched by correlation id, versions negotiated with
// ApiVersions (the highest both sides support).

import net from 'node:net';
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
    { apiKey: number; version: number; resolve: (r: unknown) => void; reject: (e: Error) => void }
  >();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private versions = new Map<number, { min: number; max: number }>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly clientId = 'samsa-cli',
    private readonly timeoutMs = 30000,
  ) {}

  async connect(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: this.host, port: this.port }, () => {
        s.removeListener('error', reject);
        resolve();
      });
      s.once('error', reject);
      s.setTimeout(this.timeoutMs, () =>
        s.destroy(new Error(`connection to ${this.host}:${this.port} timed out`)),
      );
      this.socket = s;
    });
    const s = this.socket!;
    s.setTimeout(0);
    s.on('data', (d) => this.onData(d));
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

  send(apiKey: number, version: number, body: unknown): Promise<unknown> {
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

  /**
   * Chunks are kept until a whole frame is there and joined once per frame: re-concatenating
   * the partial buffer on every TCP chunk made large fetch responses quadratic.
   */
  private onData(d: Buffer): void {
    this.chunks.push(d);
    this.buffered += d.length;
    for (;;) {
      if (this.buffered < 4) return;
      if (this.chunks[0].length < 4) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const size = this.chunks[0].readInt32BE(0);
      if (this.buffered < 4 + size) return;
      if (this.chunks[0].length < 4 + size) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
      const head = this.chunks[0];
      const frame = head.subarray(4, 4 + size);
      if (head.length === 4 + size) this.chunks.shift();
      else this.chunks[0] = head.subarray(4 + size);
      this.buffered -= 4 + size;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    const cid = frame.readInt32BE(0);
    const req = this.inflight.get(cid);
    if (!req) return;
    this.inflight.delete(cid);
    try {
      const r = new Reader(frame);
      decodeResponseHeader(r, req.apiKey, req.version);
      req.resolve(API_SPECS.get(req.apiKey)!.decodeResponse(r, req.version));
    } catch (e) {
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
