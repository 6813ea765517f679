// What the group handlers take from a request's connection.

import { isIPv6 } from 'node:net';
import type { RequestContext } from '../../server/api-handler';

/** An IPv6 address as java.net.Inet6Address prints it: eight hex groups, no "::", no leading zeros. */
function javaIpv6(addr: string): string {
  const [ip, zone] = addr.split('%');
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const text = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  return zone ? `${text}%${zone}` : text;
}

/**
 * The client host as Kafka records it: java.net.InetAddress.toString() of the peer, which is
 * "/<ip>" when no host name was resolved (IPv4-mapped IPv6 addresses shown as plain IPv4).
 */
export function clientHostOf(ctx: RequestContext): string {
  const addr = ctx.conn.remoteAddress ?? '';
  if (addr.startsWith('::ffff:') && !isIPv6(addr.slice(7))) return `/${addr.slice(7)}`;
  return `/${isIPv6(addr) ? javaIpv6(addr) : addr}`;
}
