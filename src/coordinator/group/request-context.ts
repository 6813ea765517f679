// What the group handlers take from a request's connection.

import type { RequestContext } from '../../server/api-handler';

/**
 * The client host as Kafka records it: java.net.InetAddress.toString() of the peer, which is
 * "/<ip>" when no host name was resolved (IPv4-mapped IPv6 addresses shown as plain IPv4).
 */
export function clientHostOf(ctx: RequestContext): string {
  const addr = ctx.conn.remoteAddress ?? '';
  return `/${addr.startsWith('::ffff:') ? addr.slice(7) : addr}`;
}
