// Request dispatch (Kafka's RequestChannel + KafkaApis): parse the header, refuse what Kafka
// refuses by closing the connection (unknown API key, unsupported version, unparsable header
// or body), answer ApiVersions' version fallback, run the API's handler and frame the response
// with the header version Kafka uses for that API and version.

import type { Connection, RequestOutcome } from '../network/socket-server';
import { Reader } from '../protocol/codec/reader';
import { Writer } from '../protocol/codec/writer';
import { decodeRequestHeader, encodeResponseHeader, RequestHeader } from '../protocol/header';
import { API_SPECS, ApiKey } from '../protocol/messages/generated';
import { ErrorCode } from '../protocol/errors';
import { getLogger } from '../utils/logger';
import { ApiHandler, CloseConnection, RequestContext } from './api-handler';

export class KafkaApis {
  private readonly log = getLogger('kafka.server.KafkaApis');
  private readonly handlers = new Map<number, ApiHandler>();

  register(handler: ApiHandler<never, unknown>): void {
    const spec = API_SPECS.get(handler.apiKey);
    if (!spec) throw new Error(`no spec for API key ${handler.apiKey}`);
    if (handler.minVersion < spec.minVersion || handler.maxVersion > spec.maxVersion)
      throw new Error(
        `${spec.name}: handler versions exceed the spec's ${spec.minVersion}-${spec.maxVersion}`,
      );
    this.handlers.set(handler.apiKey, handler as ApiHandler);
  }

  /** The (key, min, max) triples ApiVersions advertises: only what a handler serves. */
  supportedApis(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()]
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  versionRange(apiKey: number): { minVersion: number; maxVersion: number } | undefined {
    return this.handlers.get(apiKey);
  }

  readonly process = async (
    payload: Buffer,
    conn: Connection,
    unmute: () => void = () => undefined,
  ): Promise<RequestOutcome> => {
    const r = new Reader(payload);
    let header: RequestHeader;
    try {
      header = decodeRequestHeader(r);
    } catch (e) {
      return { kind: 'close', reason: `unparsable request header: ${(e as Error).message}` };
    }
    const { apiKey, apiVersion } = header;
    const handler = this.handlers.get(apiKey);
    const spec = API_SPECS.get(apiKey);
    if (!handler || !spec) {
      this.log.warn(`Closing connection ${conn.id}: unknown or unsupported API key ${apiKey}`);
      return { kind: 'close', reason: `unknown API key ${apiKey}` };
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions && apiVersion > handler.maxVersion) {
        // KIP-511: answer a too-new ApiVersions with a v0 body naming our own range.
        return this.respond(header, 0, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey, minVersion: handler.minVersion, maxVersion: handler.maxVersion }],
        });
      }
      this.log.warn(`Closing connection ${conn.id}: unsupported version ${apiVersion} of ${spec.name}`);
      return { kind: 'close', reason: `unsupported version ${apiVersion} of API ${apiKey}` };
    }
    let body: unknown;
    try {
      body = spec.decodeRequest(r, apiVersion);
    } catch (e) {
      this.log.warn(
        `Closing connection ${conn.id}: cannot parse ${spec.name} v${apiVersion}: ${(e as Error).message}`,
      );
      return { kind: 'close', reason: 'unparsable request body' };
    }
    const afterSend: Array<() => void> = [];
    const ctx: RequestContext = {
      header,
      apiVersion,
      clientId: header.clientId,
      conn,
      afterSend: (fn) => afterSend.push(fn),
      unmute,
    };
    // A produce request's batches are written to the log (or rejected) before its handler
    // returns, and nothing keeps them: its buffer can be reused. Other requests' byte fields
    // are views into the request that may live on (group metadata, assignments).
    const requestConsumed = apiKey === ApiKey.Produce;
    let response: unknown;
    try {
      response = await handler.handle(body as never, ctx);
    } catch (e) {
      if (e instanceof CloseConnection) return { kind: 'close', reason: e.message, requestConsumed };
      this.log.error(`Error handling ${spec.name} v${apiVersion} from ${conn.id}: ${(e as Error).stack}`);
      // Not consumed: other partitions of the request may still be on their way to the log.
      return { kind: 'close', reason: 'handler error' };
    }
    if (response === null) return { kind: 'noResponse', requestConsumed };
    const onSent = afterSend.length === 0 ? undefined : () => afterSend.splice(0).forEach((fn) => fn());
    return { ...this.respond(header, apiVersion, response), requestConsumed, onSent };
  };

  private respond(header: RequestHeader, version: number, body: unknown): RequestOutcome {
    const spec = API_SPECS.get(header.apiKey)!;
    const w = new Writer();
    encodeResponseHeader(w, header.apiKey, version, header.correlationId);
    spec.encodeResponse(w, body, version);
    return { kind: 'send', payload: w.toBuffers() };
  }
}
