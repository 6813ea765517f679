// One client connection from this broker to another broker's inter-broker listener (Kafka's
// BlockingSend / NetworkClient for replica fetchers and the AlterPartition channel), built on
// KafkaConnection. Connects lazily; any failed request drops the connection so the next request
// reconnects, as does a connection the peer closed. One idle for longer than `maxIdleMs` is
// replaced before use, so a peer that vanished without closing costs a reconnect instead of a
// request timeout.

import { KafkaConnection } from '../client/network-client';
import { API_SPECS } from '../protocol/messages/generated';

export interface BrokerEndPoint {
  id: number;
  host: string;
  port: number;
}

export const sameEndPoint = (a: BrokerEndPoint, b: BrokerEndPoint): boolean =>
  a.id === b.id && a.host === b.host && a.port === b.port;

export const describeEndPoint = (e: BrokerEndPoint): string => `${e.host}:${e.port} (id: ${e.id} rack: null)`;

export class BrokerChannel {
  private conn: KafkaConnection | null = null;
  private connecting: Promise<KafkaConnection> | null = null;
  private lastUsed = 0;
  private closed = false;

  constructor(
    readonly endpoint: BrokerEndPoint,
    private readonly clientId: string,
    private readonly requestTimeoutMs: number,
    private readonly maxIdleMs = 5000,
  ) {}

  /**
   * Sends `body(version)` at the highest version both sides support (at most `maxVersion`).
   * Rejects on connection failure or timeout, after dropping the connection. `release` returns the
   * response's frame to the memory pool once nothing refers to it any more (optional).
   */
  async request<T>(
    apiKey: number,
    body: (version: number) => unknown,
    maxVersion?: number | ((conn: KafkaConnection) => number),
  ): Promise<{ response: T; version: number; release: () => void }> {
    const conn = await this.connection();
    try {
      const cap = typeof maxVersion === 'function' ? maxVersion(conn) : maxVersion;
      const version = conn.version(apiKey, cap);
      const { response, release } = await conn.sendLeased(apiKey, version, body(version));
      this.lastUsed = Date.now();
      return { response: response as T, version, release };
    } catch (e) {
      this.disconnect(conn);
      throw e;
    }
  }

  private async connection(): Promise<KafkaConnection> {
    if (this.closed) throw new Error(`Channel to broker ${this.endpoint.id} is closed`);
    if (this.conn && (this.conn.closed || Date.now() - this.lastUsed > this.maxIdleMs))
      this.disconnect(this.conn);
    if (this.conn) return this.conn;
    if (!this.connecting) {
      const c = new KafkaConnection(
        this.endpoint.host,
        this.endpoint.port,
        this.clientId,
        this.requestTimeoutMs,
      );
      this.connecting = c
        .connect()
        .then(() => {
          if (this.closed) {
            c.close();
            throw new Error(`Channel to broker ${this.endpoint.id} is closed`);
          }
          this.conn = c;
          this.lastUsed = Date.now();
          return c;
        })
        .catch((e: Error) => {
          c.close();
          throw new Error(
            `Failed to connect to node ${this.endpoint.id} (${this.endpoint.host}:${this.endpoint.port}): ${e.message}`,
          );
        })
        .finally(() => {
          this.connecting = null;
        });
    }
    return this.connecting;
  }

  private disconnect(c: KafkaConnection): void {
    c.close();
    if (this.conn === c) this.conn = null;
  }

  /** Closes the connection; requests in flight fail. The channel can be used again unless `final`. */
  close(final = true): void {
    if (final) this.closed = true;
    if (this.conn) this.disconnect(this.conn);
  }
}

export function apiName(apiKey: number): string {
  return API_SPECS.get(apiKey)?.name ?? String(apiKey);
}
