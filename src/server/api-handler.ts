// The contract between the request dispatcher and one API's handler (one file per API in
// handlers/, each with a header comment listing its versions and behaviour).

import type { Connection } from '../network/socket-server';
import type { RequestHeader } from '../protocol/header';

export interface RequestContext {
  header: RequestHeader;
  apiVersion: number;
  clientId: string;
  conn: Connection;
  /**
   * Runs `fn` once the response has been handed to the kernel (pooled buffers the response
   * points into go back to their pool then). Not run when no response goes out.
   */
  afterSend(fn: () => void): void;
  /**
   * Lets the connection's next request start while this one waits; its response still goes
   * out in order. Produce calls it once its batches are appended and only replication (acks=all)
   * is awaited, so a producer's pipelined requests reach the log while earlier ones replicate.
   */
  unmute(): void;
}

/**
 * `handle` returns the response body (encoded at the request's version), or null when no
 * response is sent (Produce acks=0). It may throw `CloseConnection` to hang up, as Kafka does
 * for acks=0 failures.
 */
export interface ApiHandler<Req = unknown, Res = unknown> {
  apiKey: number;
  /** The versions Samsa serves; ApiVersions advertises exactly these. */
  minVersion: number;
  maxVersion: number;
  handle(request: Req, ctx: RequestContext): Promise<Res | null> | Res | null;
}

export class CloseConnection extends Error {}
