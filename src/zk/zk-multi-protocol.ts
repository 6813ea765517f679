// The few ZooKeeper wire records Samsa writes itself (jute encoding, ZooKeeper 3.4): the session
// handshake, pings, closeSession and the multi transaction with its create / delete / setData /
// check ops. The `zookeeper` npm client has no multi, and Kafka's controller fences every write
// with a multi that first checks /controller_epoch's version (KafkaZkClient's CheckOp), so
// zk-multi-session.ts speaks just this part of the protocol on a connection of its own.
//
// Jute: int = 4 bytes big-endian, long = 8, bool = 1, buffer/ustring = int length (-1 = null) and
// bytes, vector = int count and elements. Every packet is prefixed by its int length.

import type { Stat } from './zk-client';

export const OpCode = {
  create: 1,
  delete: 2,
  setData: 5,
  ping: 11,
  check: 13,
  multi: 14,
  closeSession: -11,
  error: -1,
} as const;

/** Reserved xids: pings are answered with -2; notifications (never asked for here) carry -1. */
export const PING_XID = -2;
export const NOTIFICATION_XID = -1;

export type ZkOp =
  | { type: 'create'; path: string; data: Buffer; flags: number }
  | { type: 'delete'; path: string; version: number }
  | { type: 'setData'; path: string; data: Buffer; version: number }
  | { type: 'check'; path: string; version: number };

/** Per-op outcome: created path, new stat, or nothing (check / delete). */
export type ZkOpResult =
  | { type: 'create'; path: string }
  | { type: 'setData'; stat: Stat }
  | { type: 'delete' }
  | { type: 'check' }
  | { type: 'error'; err: number };

class JuteWriter {
  private chunks: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }
  long(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(v);
    this.chunks.push(b);
    return this;
  }
  bool(v: boolean): this {
    this.chunks.push(Buffer.from([v ? 1 : 0]));
    return this;
  }
  buffer(v: Buffer | null): this {
    if (v === null) return this.int(-1);
    this.int(v.length);
    this.chunks.push(v);
    return this;
  }
  ustring(v: string): this {
    return this.buffer(Buffer.from(v, 'utf8'));
  }
  /** The whole record, prefixed by its length as every packet on the wire is. */
  framed(): Buffer {
    const body = Buffer.concat(this.chunks);
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(body.length);
    return Buffer.concat([len, body]);
  }
}

export class JuteReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('truncated ZooKeeper response');
  }
  int(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  long(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bool(): boolean {
    this.need(1);
    return this.buf[this.pos++] !== 0;
  }
  buffer(): Buffer | null {
    const len = this.int();
    if (len < 0) return null;
    this.need(len);
    const v = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return v;
  }
  ustring(): string {
    return (this.buffer() ?? Buffer.alloc(0)).toString('utf8');
  }
  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

/** ConnectRequest for a new session (protocol version 0, no previous zxid or session). */
export function encodeConnectRequest(sessionTimeoutMs: number): Buffer {
  return new JuteWriter()
    .int(0)
    .long(0n)
    .int(sessionTimeoutMs)
    .long(0n)
    .buffer(Buffer.alloc(16))
    .bool(false)
    .framed();
}

export interface ConnectResponse {
  timeoutMs: number;
  sessionId: bigint;
}

export function decodeConnectResponse(body: Buffer): ConnectResponse {
  const r = new JuteReader(body);
  r.int(); // protocol version
  const timeoutMs = r.int();
  const sessionId = r.long();
  r.buffer(); // password: only needed to resume a session, which this client never does
  return { timeoutMs, sessionId };
}

/** A request without a body (ping, closeSession). */
export function encodeHeaderOnly(xid: number, type: number): Buffer {
  return new JuteWriter().int(xid).int(type).framed();
}

/** Everything ZooKeeper's OPEN_ACL_UNSAFE grants, to "world:anyone" (what Kafka uses without ACLs). */
const PERMS_ALL = 31;

export function encodeMultiRequest(xid: number, ops: readonly ZkOp[]): Buffer {
  const w = new JuteWriter().int(xid).int(OpCode.multi);
  for (const op of ops) {
    w.int(OpCode[op.type]).bool(false).int(-1); // MultiHeader
    switch (op.type) {
      case 'create':
        w.ustring(op.path).buffer(op.data).int(1).int(PERMS_ALL).ustring('world').ustring('anyone');
        w.int(op.flags);
        break;
      case 'delete':
      case 'check':
        w.ustring(op.path).int(op.version);
        break;
      case 'setData':
        w.ustring(op.path).buffer(op.data).int(op.version);
        break;
    }
  }
  return w.int(-1).bool(true).int(-1).framed();
}

export interface ReplyHeader {
  xid: number;
  zxid: bigint;
  err: number;
}

export function decodeReplyHeader(r: JuteReader): ReplyHeader {
  return { xid: r.int(), zxid: r.long(), err: r.int() };
}

function decodeStat(r: JuteReader): Stat {
  const czxid = Number(r.long());
  const mzxid = Number(r.long());
  const ctime = Number(r.long());
  const mtime = Number(r.long());
  const version = r.int();
  const cversion = r.int();
  r.int(); // aversion
  const ephemeralOwner = r.long().toString(16);
  r.int(); // dataLength
  const numChildren = r.int();
  r.long(); // pzxid
  return { czxid, mzxid, version, cversion, numChildren, ephemeralOwner, ctime, mtime };
}

/** The MultiResponse after the reply header: one result per op, in order. */
export function decodeMultiResponse(r: JuteReader): ZkOpResult[] {
  const out: ZkOpResult[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int(); // header err, repeated in the error result's body
    if (done) return out;
    switch (type) {
      case OpCode.create:
        out.push({ type: 'create', path: r.ustring() });
        break;
      case OpCode.setData:
        out.push({ type: 'setData', stat: decodeStat(r) });
        break;
      case OpCode.delete:
        out.push({ type: 'delete' });
        break;
      case OpCode.check:
        out.push({ type: 'check' });
        break;
      case OpCode.error:
        out.push({ type: 'error', err: r.int() });
        break;
      default:
        throw new RangeError(`unknown op type ${type} in a multi response`);
    }
  }
}
