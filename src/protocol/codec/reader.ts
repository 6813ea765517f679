// Bounds-checked reader for the Kafka wire primitives (../shared/reference/protocol.md §3).
// Every read checks the remaining length first and throws a ProtocolError on malformed input, so a
// request handler can treat any exception from a decoder as "close the connection".
// bytes/records are returned as zero-copy subarrays of the input buffer: they stay valid only as
// long as the caller does not reuse that buffer.

/** Malformed or truncated wire data. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** One entry of a tagged-field section: the tag and its encoded payload. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Kafka's limit for any string field (int16 length, also applied to compact strings). */
export const MAX_STRING_LENGTH = 0x7fff;

/** Kafka's text form of the all-zero UUID. */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export class Reader {
  readonly buf: Buffer;
  offset: number;

  constructor(buf: Buffer, offset = 0) {
    if (offset < 0 || offset > buf.length) throw new RangeError(`offset ${offset} outside buffer`);
    this.buf = buf;
    this.offset = offset;
  }

  remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.buf.length - this.offset < n) {
      throw new ProtocolError(
        `truncated input: ${what} needs ${n} bytes at offset ${this.offset}, ${this.remaining()} left`,
      );
    }
  }

  skip(n: number): void {
    if (n < 0) throw new ProtocolError(`cannot skip ${n} bytes`);
    this.need(n, 'skip');
    this.offset += n;
  }

  /** The next n bytes as a zero-copy subarray. */
  readSlice(n: number): Buffer {
    if (n < 0) throw new ProtocolError(`negative length ${n}`);
    this.need(n, 'byte range');
    const start = this.offset;
    this.offset += n;
    return this.buf.subarray(start, start + n);
  }

  /** int16 at offset+delta without consuming it. */
  peekInt16(delta = 0): number {
    if (this.buf.length - this.offset - delta < 2) throw new ProtocolError('truncated input: peek int16');
    return this.buf.readInt16BE(this.offset + delta);
  }

  readInt8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.offset++);
  }

  readInt16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readUInt16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readUInt32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  readInt64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** Any non-zero byte is true (Kafka's rule). */
  readBool(): boolean {
    this.need(1, 'bool');
    return this.buf[this.offset++] !== 0;
  }

  /** 16 bytes, returned in Kafka's text form (base64url without padding, 22 chars). */
  readUuid(): string {
    this.need(16, 'uuid');
    const s = this.buf.toString('base64url', this.offset, this.offset + 16);
    this.offset += 16;
    return s;
  }

  /** LEB128, at most 5 bytes, value 0..2^32-1. */
  readUnsignedVarint(): number {
    const pos = this.offset;
    if (pos < this.buf.length && this.buf[pos] < 0x80) {
      // one byte: lengths of short strings/arrays and empty tagged sections
      this.offset = pos + 1;
      return this.buf[pos];
    }
    return this.readLongUnsignedVarint();
  }

  private readLongUnsignedVarint(): number {
    const buf = this.buf;
    const start = this.offset;
    let pos = start;
    let value = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= buf.length) throw new ProtocolError(`truncated input: unsigned varint at offset ${start}`);
      const b = buf[pos++];
      value |= (b & 0x7f) << shift; // < 2^28: stays a positive int32
      if (b < 0x80) {
        this.offset = pos;
        return value;
      }
    }
    if (pos >= buf.length) throw new ProtocolError(`truncated input: unsigned varint at offset ${start}`);
    const b = buf[pos++];
    if (b > 0x0f) {
      throw new ProtocolError(
        b & 0x80
          ? `unsigned varint longer than 5 bytes at offset ${start}`
          : `unsigned varint overflows 32 bits at offset ${start}`,
      );
    }
    this.offset = pos;
    return value + b * 0x10000000;
  }

  /** Zigzag LEB128 int32 (record format). */
  readVarint(): number {
    const u = this.readUnsignedVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag LEB128 int64, at most 10 bytes (record format). */
  readVarlong(): bigint {
    const buf = this.buf;
    const start = this.offset;
    let pos = start;
    let small = 0; // first 7 groups (49 bits) accumulate exactly in a double
    let mul = 1;
    for (let i = 0; i < 7; i++, mul *= 128) {
      if (pos >= buf.length) throw new ProtocolError(`truncated input: varlong at offset ${start}`);
      const b = buf[pos++];
      small += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        this.offset = pos;
        return BigInt(small % 2 === 0 ? small / 2 : -(small + 1) / 2);
      }
    }
    let big = BigInt(small);
    for (let i = 7; i < 10; i++) {
      if (pos >= buf.length) throw new ProtocolError(`truncated input: varlong at offset ${start}`);
      const b = buf[pos++];
      if (i === 9 && b > 0x01) throw new ProtocolError(`varlong overflows 64 bits at offset ${start}`);
      big |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        this.offset = pos;
        return (big >> 1n) ^ -(big & 1n);
      }
    }
    throw new ProtocolError(`varlong longer than 10 bytes at offset ${start}`);
  }

  /** Length prefix of a string/bytes/array: -1 = null. */
  private readLength(flexible: boolean, wide: boolean): number {
    if (flexible) return this.readUnsignedVarint() - 1;
    const n = wide ? this.readInt32() : this.readInt16();
    return n < 0 ? -1 : n;
  }

  private stringBody(len: number): string {
    if (len > MAX_STRING_LENGTH) throw new ProtocolError(`string length ${len} exceeds ${MAX_STRING_LENGTH}`);
    this.need(len, 'string');
    const start = this.offset;
    this.offset += len;
    return this.buf.toString('utf8', start, start + len);
  }

  readString(flexible: boolean): string {
    const len = this.readLength(flexible, false);
    if (len < 0) throw new ProtocolError(`null for a non-nullable string at offset ${this.offset}`);
    return this.stringBody(len);
  }

  readNullableString(flexible: boolean): string | null {
    const len = this.readLength(flexible, false);
    return len < 0 ? null : this.stringBody(len);
  }

  /** Zero-copy. */
  readBytes(flexible: boolean): Buffer {
    const len = this.readLength(flexible, true);
    if (len < 0) throw new ProtocolError(`null for non-nullable bytes at offset ${this.offset}`);
    return this.readSlice(len);
  }

  /** Zero-copy. */
  readNullableBytes(flexible: boolean): Buffer | null {
    const len = this.readLength(flexible, true);
    return len < 0 ? null : this.readSlice(len);
  }

  /** A record set, opaque and zero-copy (same framing as nullable bytes). */
  readRecords(flexible: boolean): Buffer | null {
    return this.readNullableBytes(flexible);
  }

  /**
   * Array element count, -1 for null. Rejects counts larger than the remaining bytes (Kafka's check:
   * no element is smaller than one byte).
   */
  readArrayLength(flexible: boolean): number {
    const n = this.readLength(flexible, true);
    if (n > this.buf.length - this.offset) {
      throw new ProtocolError(`array count ${n} exceeds the ${this.remaining()} remaining bytes`);
    }
    return n;
  }

  /** A non-nullable array; `readElem` reads one element from this reader. */
  readArray<T>(flexible: boolean, readElem: () => T): T[] {
    const n = this.readArrayLength(flexible);
    if (n < 0) throw new ProtocolError(`null for a non-nullable array at offset ${this.offset}`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(readElem());
    return out;
  }

  readNullableArray<T>(flexible: boolean, readElem: () => T): T[] | null {
    const n = this.readArrayLength(flexible);
    if (n < 0) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(readElem());
    return out;
  }

  /**
   * A tagged-field section. For each field, `onTag` (if given) gets the tag and a reader over exactly
   * its payload, and returns true if it decoded a known tag. The other fields are returned in wire
   * order (payloads zero-copy), or undefined if there are none.
   */
  readTaggedFields(onTag?: (tag: number, tr: Reader) => boolean): TaggedField[] | undefined {
    const count = this.readUnsignedVarint();
    let unknown: TaggedField[] | undefined;
    for (let i = 0; i < count; i++) {
      const tag = this.readUnsignedVarint();
      const data = this.readSlice(this.readUnsignedVarint());
      if (onTag === undefined || !onTag(tag, new Reader(data))) (unknown ??= []).push({ tag, data });
    }
    return unknown;
  }
}
