// A scripted Kafka broker for client unit tests: decodes requests with Samsa's codec and answers
// with whatever the test's handler returns (null = no response, as for acks=0 Produce).

import net from 'node:net';
import { Reader } from '../../../src/protocol/codec/reader';
import { Writer } from '../../../src/protocol/codec/writer';
import { decodeRequestHeader, encodeResponseHeader } from '../../../src/protocol/header';
import { API_SPECS, ApiKey } from '../../../src/protocol/messages/generated';

export interface FakeRequest {
  apiKey: number;
  version: number;
  body: unknown;
  broker: FakeKafka;
}

export type FakeHandler = (req: FakeRequest) => unknown;

/** The APIs the fake advertises by default (Samsa's codec range for each). */
export const CLIENT_APIS = [
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
];

/** The classic consumer group APIs. */
export const GROUP_APIS = [
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetFetch,
  ApiKey.OffsetCommit,
];

export class FakeKafka {
  readonly requests: FakeRequest[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    readonly nodeId: number,
    public handler: FakeHandler,
    readonly apis: number[] = CLIENT_APIS,
  ) {}

  async start(): Promise<this> {
    this.server = net.createServer((s) => this.onConnection(s));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Requests of one API (ApiVersions excluded by default). */
  of(apiKey: number): FakeRequest[] {
    return this.requests.filter((r) => r.apiKey === apiKey);
  }

  private onConnection(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        void this.answer(s, frame);
      }
    });
  }

  private async answer(s: net.Socket, frame: Buffer): Promise<void> {
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    const spec = API_SPECS.get(h.apiKey)!;
    const body = spec.decodeRequest(r, h.apiVersion);
    let response: unknown;
    if (h.apiKey === ApiKey.ApiVersions) {
      response = {
        errorCode: 0,
        apiKeys: this.apis.map((k) => ({
          apiKey: k,
          minVersion: API_SPECS.get(k)!.minVersion,
          maxVersion: API_SPECS.get(k)!.maxVersion,
        })),
      };
    } else {
      const req = { apiKey: h.apiKey, version: h.apiVersion, body, broker: this };
      this.requests.push(req);
      response = await this.handler(req);
    }
    if (response === null) return;
    const w = new Writer();
    encodeResponseHeader(w, h.apiKey, h.apiVersion, h.correlationId);
    spec.encodeResponse(w, response, h.apiVersion);
    const payload = w.toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    if (!s.destroyed) s.write(Buffer.concat([size, payload]));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A Metadata response body: brokers and topics → partition leaders. */
export function metadataBody(
  brokers: FakeKafka[],
  topics: Record<string, number[] | { error: number }>,
  requested: Array<{ name: string | null }> | null,
): unknown {
  const names = requested === null ? Object.keys(topics) : requested.map((t) => t.name ?? '');
  return {
    brokers: brokers.map((b) => ({ nodeId: b.nodeId, host: '127.0.0.1', port: b.port, rack: null })),
    clusterId: 'fake',
    controllerId: brokers[0].nodeId,
    topics: names.map((name) => {
      const t = topics[name];
      if (t === undefined) return { errorCode: 3, name, partitions: [] };
      if (!Array.isArray(t)) return { errorCode: t.error, name, partitions: [] };
      return {
        errorCode: 0,
        name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        partitions: t.map((leader, partitionIndex) => ({
          errorCode: 0,
          partitionIndex,
          leaderId: leader,
          leaderEpoch: 0,
          replicaNodes: [leader],
          isrNodes: [leader],
          offlineReplicas: [],
        })),
      };
    }),
  };
}
