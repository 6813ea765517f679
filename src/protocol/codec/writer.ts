// Growable writer for the Kafka wire primitives (../shared/reference/protocol.md §3).
//
// Zero-copy records: a record set at least `zeroCopyThreshold` bytes long (default 4 KiB) handed to
// writeRecords() is not copied; the writer closes its current segment and keeps a reference to the
// caller's Buffer as a separate chunk. toBuffers() returns the chunks for a vectored socket write
// (the record Buffers must stay unchanged until that write completes); toBuffer() concatenates them.
// Integer writes go through Node's Buffer methods, which throw a RangeError for out-of-range values.

import { MAX_STRING_LENGTH, TaggedField } from './reader';

export type { TaggedField };

export interface WriterOptions {
  /** Initial buffer size in bytes (default 256). */
  initialCapacity?: number;
  /** Record sets at least this long are kept as separate chunks (default 4096; Infinity = always copy). */
  zeroCopyThreshold?: number;
}

const UUID_RE = /^[A-Za-z0-9_-]{21}[AQgw]$/;
const EMPTY = Buffer.alloc(0);

export class Writer {
  private buf: Buffer<ArrayBuffer>;
  private pos = 0;
  /** Start in `buf` of the bytes not yet moved to `chunks`. */
  private segStart = 0;
  /** Total length of `chunks`. */
  private flushed = 0;
  private chunks: Buffer[] | null = null;
  private readonly zeroCopyThreshold: number;

  constructor(options: number | WriterOptions = {}) {
    const opts = typeof options === 'number' ? { initialCapacity: options } : options;
    this.buf = Buffer.allocUnsafe(Math.max(16, opts.initialCapacity ?? 256));
    this.zeroCopyThreshold = opts.zeroCopyThreshold ?? 4096;
  }

  /** Encodes with `fn` into a fresh writer and returns the bytes (used for tagged-field payloads). */
  static build(fn: (w: Writer) => void, initialCapacity = 64): Buffer<ArrayBuffer> {
    const w = new Writer({ initialCapacity, zeroCopyThreshold: Infinity });
    fn(w);
    return w.toBuffer();
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.segStart;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.segStart;
    let cap = this.buf.length * 2;
    while (cap < used + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, this.segStart, this.pos);
    this.buf = next;
    this.pos = used;
    this.segStart = 0;
  }

  writeInt8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeInt8(v, this.pos);
  }

  writeUInt8(v: number): void {
    this.ensure(1);
    this.pos = this.buf.writeUInt8(v, this.pos);
  }

  writeInt16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
  }

  writeUInt16(v: number): void {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
  }

  writeInt32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
  }

  writeUInt32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v, this.pos);
  }

  writeInt64(v: bigint): void {
    if (typeof v !== 'bigint') throw new TypeError(`int64 values are bigints, got ${typeof v} ${String(v)}`);
    this.ensure(8);
    this.pos = this.buf.writeBigInt64BE(v, this.pos);
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleBE(v, this.pos);
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = v ? 1 : 0;
  }

  /** Kafka's text form: base64url without padding, 22 characters. */
  writeUuid(v: string): void {
    if (typeof v !== 'string' || !UUID_RE.test(v)) throw new Error(`invalid UUID ${JSON.stringify(v)}`);
    this.ensure(16);
    this.pos += this.buf.write(v, this.pos, 16, 'base64url');
  }

  /** LEB128 of 0..2^32-1. */
  writeUnsignedVarint(v: number): void {
    if (v >= 0 && v < 0x80 && (v | 0) === v) {
      this.ensure(1);
      this.buf[this.pos++] = v;
      return;
    }
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
      throw new RangeError(`unsigned varint out of range: ${v}`);
    this.ensure(5);
    const buf = this.buf;
    while (v >= 0x80) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[this.pos++] = v;
  }

  /** Zigzag LEB128 int32 (record format). */
  writeVarint(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff)
      throw new RangeError(`varint out of range: ${v}`);
    this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag LEB128 int64 (record format). */
  writeVarlong(v: bigint): void {
    this.ensure(10);
    const buf = this.buf;
    if (v >= -0x8000000000000n && v <= 0x8000000000000n) {
      // |v| <= 2^51: the zigzag value fits a double exactly
      const n = Number(v);
      let z = n >= 0 ? n * 2 : -n * 2 - 1;
      while (z >= 0x80) {
        buf[this.pos++] = (z % 128) | 0x80;
        z = Math.floor(z / 128);
      }
      buf[this.pos++] = z;
      return;
    }
    if (v < -0x8000000000000000n || v > 0x7fffffffffffffffn)
      throw new RangeError(`varlong out of range: ${v}`);
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (z >= 0x80n) {
      buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    buf[this.pos++] = Number(z);
  }

  /** Length prefix of a string/bytes/array (`len` -1 = null). */
  private writeLength(len: number, flexible: boolean, wide: boolean): void {
    if (flexible) this.writeUnsignedVarint(len + 1);
    else if (wide) this.writeInt32(len);
    else this.writeInt16(len);
  }

  writeString(v: string, flexible: boolean): void {
    if (typeof v !== 'string') throw new Error(`expected a string, got ${v === null ? 'null' : typeof v}`);
    // byteLength is exact; ASCII-only strings (the common case) have length === byteLength
    const len = Buffer.byteLength(v, 'utf8');
    if (len > MAX_STRING_LENGTH) throw new RangeError(`string of ${len} bytes exceeds ${MAX_STRING_LENGTH}`);
    this.writeLength(len, flexible, false);
    this.ensure(len);
    this.pos += this.buf.write(v, this.pos, len, 'utf8');
  }

  writeNullableString(v: string | null, flexible: boolean): void {
    if (v === null) this.writeLength(-1, flexible, false);
    else this.writeString(v, flexible);
  }

  writeBytes(v: Buffer, flexible: boolean): void {
    if (!(v instanceof Uint8Array))
      throw new Error(`expected a Buffer, got ${v === null ? 'null' : typeof v}`);
    this.writeLength(v.length, flexible, true);
    this.writeRaw(v);
  }

  writeNullableBytes(v: Buffer | null, flexible: boolean): void {
    if (v === null) this.writeLength(-1, flexible, true);
    else this.writeBytes(v, flexible);
  }

  /** A record set (nullable bytes framing); large ones become zero-copy chunks. */
  writeRecords(v: Buffer | null, flexible: boolean): void {
    if (v === null) {
      this.writeLength(-1, flexible, true);
      return;
    }
    if (!(v instanceof Uint8Array)) throw new Error(`expected a Buffer for records, got ${typeof v}`);
    this.writeLength(v.length, flexible, true);
    if (v.length >= this.zeroCopyThreshold) this.appendChunk(v);
    else this.writeRaw(v);
  }

  /** Array element count (`len` -1 = null). */
  writeArrayLength(len: number, flexible: boolean): void {
    this.writeLength(len, flexible, true);
  }

  writeArray<T>(v: readonly T[], flexible: boolean, writeElem: (e: T) => void): void {
    if (!Array.isArray(v)) throw new Error(`expected an array, got ${v === null ? 'null' : typeof v}`);
    this.writeLength(v.length, flexible, true);
    for (const e of v) writeElem(e);
  }

  writeNullableArray<T>(v: readonly T[] | null, flexible: boolean, writeElem: (e: T) => void): void {
    if (v === null) this.writeLength(-1, flexible, true);
    else this.writeArray(v, flexible, writeElem);
  }

  /** Copies `v` into the output. */
  writeRaw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Appends `v` by reference (no copy) as its own chunk. */
  appendChunk(v: Buffer): void {
    if (v.length === 0) return;
    if (this.chunks === null) this.chunks = [];
    if (this.pos > this.segStart) {
      this.chunks.push(this.buf.subarray(this.segStart, this.pos));
      this.flushed += this.pos - this.segStart;
      this.segStart = this.pos;
    }
    this.chunks.push(v);
    this.flushed += v.length;
  }

  /**
   * A tagged-field section: `known` (generated fields, ascending tags) merged with `unknown`
   * (preserved from decoding) in ascending tag order.
   */
  writeTaggedFields(known: readonly TaggedField[] | null, unknown: readonly TaggedField[] | undefined): void {
    let fields: readonly TaggedField[];
    if (unknown === undefined || unknown.length === 0) {
      if (known === null || known.length === 0) {
        this.ensure(1);
        this.buf[this.pos++] = 0; // empty section
        return;
      }
      fields = known;
    } else if (known === null || known.length === 0) {
      fields = isSorted(unknown) ? unknown : [...unknown].sort(byTag);
    } else {
      fields = [...known, ...unknown].sort(byTag);
    }
    this.writeUnsignedVarint(fields.length);
    for (const f of fields) {
      this.writeUnsignedVarint(f.tag);
      this.writeUnsignedVarint(f.data.length);
      this.writeRaw(f.data);
    }
  }

  /** Writes a placeholder int32 and returns its offset, for patchInt32() (e.g. a size prefix). */
  reserveInt32(): number {
    const at = this.length;
    this.writeInt32(0);
    return at;
  }

  /** Overwrites the int32 at `offset` (as returned by reserveInt32 / length). */
  patchInt32(offset: number, v: number): void {
    const inSegment = offset - this.flushed;
    if (inSegment >= 0) {
      if (inSegment + 4 > this.pos - this.segStart)
        throw new RangeError(`patch offset ${offset} out of range`);
      this.buf.writeInt32BE(v, this.segStart + inSegment);
      return;
    }
    // The int32 lies in an earlier chunk; reserveInt32 never splits, so it is within one chunk.
    let base = 0;
    for (const c of this.chunks ?? []) {
      if (offset < base + c.length) {
        if (offset + 4 > base + c.length) throw new RangeError(`patch offset ${offset} spans chunks`);
        c.writeInt32BE(v, offset - base);
        return;
      }
      base += c.length;
    }
    throw new RangeError(`patch offset ${offset} out of range`);
  }

  /** The output as one Buffer (a view of the internal buffer unless there are chunks). */
  toBuffer(): Buffer<ArrayBuffer> {
    const tail = this.buf.subarray(this.segStart, this.pos);
    if (this.chunks === null) return tail;
    return Buffer.concat(tail.length > 0 ? [...this.chunks, tail] : this.chunks, this.length);
  }

  /** The output as a list of Buffers for a vectored write (no copies of zero-copy chunks). */
  toBuffers(): Buffer[] {
    const tail = this.buf.subarray(this.segStart, this.pos);
    if (this.chunks === null) return [tail];
    return tail.length > 0 ? [...this.chunks, tail] : this.chunks.length > 0 ? [...this.chunks] : [EMPTY];
  }
}

function byTag(a: TaggedField, b: TaggedField): number {
  return a.tag - b.tag;
}

function isSorted(fields: readonly TaggedField[]): boolean {
  for (let i = 1; i < fields.length; i++) if (fields[i - 1].tag > fields[i].tag) return false;
  return true;
}

/** Thrown by generated encoders when null is given for a field that is not nullable in the version. */
export function nullNotAllowed(field: string, version: number): never {
  throw new Error(`${field}: null is not allowed in version ${version}`);
}
