// Raw Kafka framing over a TCP socket, for tests that must send what no client library would:
// malformed frames, unknown API keys, unsupported versions, pipelined bursts.

import net from 'node:net';
import { Reader } from '../../src/protocol/codec/reader';
import { Writer } from '../../src/protocol/codec/writer';
import { decodeResponseHeader, encodeRequestHeader } from '../../src/protocol/header';
import { API_SPECS } from '../../src/protocol/messages/generated';

export class RawSocket {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawSocket(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  /** Frames `payload` with its int32 size and writes it. */
  sendFrame(payload: Buffer): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    this.socket.write(Buffer.concat([size, payload]));
  }

  /** Encodes a request with Samsa's codec (header chosen by version) and sends it. */
  sendRequest(apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
    const w = new Writer();
    encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: 'raw-test' });
    API_SPECS.get(apiKey)!.encodeRequest(w, body, apiVersion);
    this.sendFrame(w.toBuffer());
  }

  /** Next response frame payload, or null if the connection closes first / timeout passes. */
  async readFrame(timeoutMs = 5000): Promise<Buffer | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length >= 4 + size) {
          const frame = this.buf.subarray(4, 4 + size);
          this.buf = this.buf.subarray(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async readResponse<T>(
    apiKey: number,
    apiVersion: number,
    timeoutMs = 5000,
  ): Promise<{ correlationId: number; body: T } | null> {
    const f = await this.readFrame(timeoutMs);
    if (!f) return null;
    const r = new Reader(f);
    const { correlationId } = decodeResponseHeader(r, apiKey, apiVersion);
    return { correlationId, body: API_SPECS.get(apiKey)!.decodeResponse(r, apiVersion) as T };
  }

  /** Resolves true when the broker closes the connection within the timeout. */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
