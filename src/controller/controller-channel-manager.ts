// The controller's connections to brokers (Kafka's ControllerChannelManager): one queue per
// live broker, requests sent in order over the broker's inter-broker listener, retried after a
// reconnect (100 ms backoff) until they succeed or the broker is removed. Responses are handed
// back to the caller's callback; queued requests of a removed broker are dropped.

import { KafkaConnection } from '../client/network-client';
import { getLogger } from '../utils/logger';

export interface ControllerRequest {
  apiKey: number;
  /** The highest version the controller sends; capped by what the broker advertises. */
  maxVersion: number;
  /** Builds the body for the negotiated version (the broker epoch can change between retries). */
  body: (version: number) => unknown;
  /** `response` is null when the broker does not serve the API at all (version -1). */
  onResponse?: (response: unknown, version: number) => void;
}

interface BrokerQueue {
  brokerId: number;
  host: string;
  port: number;
  queue: ControllerRequest[];
  conn: KafkaConnection | null;
  running: boolean;
  removed: boolean;
}

const RETRY_BACKOFF_MS = 100;

export class ControllerChannelManager {
  private readonly brokers = new Map<number, BrokerQueue>();
  private readonly log;

  constructor(
    controllerId: number,
    private readonly requestTimeoutMs: number,
  ) {
    this.log = getLogger(
      'kafka.controller.ControllerChannelManager',
      `[Channel manager on controller ${controllerId}]`,
    );
  }

  hasBroker(id: number): boolean {
    return this.brokers.has(id);
  }

  addBroker(brokerId: number, host: string, port: number): void {
    const existing = this.brokers.get(brokerId);
    if (existing && existing.host === host && existing.port === port) return;
    if (existing) this.removeBroker(brokerId);
    this.brokers.set(brokerId, {
      brokerId,
      host,
      port,
      queue: [],
      conn: null,
      running: false,
      removed: false,
    });
  }

  removeBroker(brokerId: number): void {
    const b = this.brokers.get(brokerId);
    if (!b) return;
    b.removed = true;
    b.queue = [];
    b.conn?.close();
    this.brokers.delete(brokerId);
  }

  send(brokerId: number, request: ControllerRequest): void {
    const b = this.brokers.get(brokerId);
    if (!b) {
      this.log.debug(`Dropping request ${request.apiKey} to broker ${brokerId}: not live`);
      return;
    }
    b.queue.push(request);
    void this.drain(b);
  }

  private async drain(b: BrokerQueue): Promise<void> {
    if (b.running) return;
    b.running = true;
    try {
      while (!b.removed && b.queue.length > 0) {
        const req = b.queue[0];
        try {
          if (!b.conn) {
            const c = new KafkaConnection(b.host, b.port, `controller`, this.requestTimeoutMs);
            await c.connect();
            if (b.removed) {
              c.close();
              return;
            }
            b.conn = c;
          }
          let version: number;
          try {
            version = b.conn.version(req.apiKey, req.maxVersion);
          } catch (e) {
            // The broker does not serve this API at all: retrying cannot help.
            this.log.error(`Dropping request ${req.apiKey} to broker ${b.brokerId}: ${(e as Error).message}`);
            b.queue.shift();
            req.onResponse?.(null, -1);
            continue;
          }
          const resp = await b.conn.send(req.apiKey, version, req.body(version));
          b.queue.shift();
          try {
            req.onResponse?.(resp, version);
          } catch (e) {
            this.log.error(`Error handling response from broker ${b.brokerId}: ${(e as Error).stack}`);
          }
        } catch (e) {
          if (b.removed) return;
          this.log.warn(
            `Controller failed to send request ${req.apiKey} to broker ${b.brokerId} (${b.host}:${b.port}): ${(e as Error).message}. Reconnecting to broker.`,
          );
          b.conn?.close();
          b.conn = null;
          await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS));
        }
      }
    } finally {
      b.running = false;
    }
  }

  shutdown(): void {
    for (const id of [...this.brokers.keys()]) this.removeBroker(id);
  }
}
