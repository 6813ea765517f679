// Reader/Writer primitives: encodings from protocol.md §3, bounds checks, zero-copy chunks.

import { ProtocolError, Reader, ZERO_UUID } from '../../../src/protocol/codec/reader';
import { Writer } from '../../../src/protocol/codec/writer';
import { decodeFetchResponse, encodeFetchResponse } from '../../../src/protocol/messages/generated';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function written(fn: (w: Writer) => void): string {
  const w = new Writer({ initialCapacity: 1 });
  fn(w);
  return w.toBuffer().toString('hex');
}

describe('encodings', () => {
  test('examples of protocol.md §3', () => {
    expect(written((w) => w.writeString('', true))).toBe('01');
    expect(written((w) => w.writeNullableString(null, true))).toBe('00');
    expect(written((w) => w.writeArray([1, 2], true, (e) => w.writeInt32(e)))).toBe('030000000100000002');
    expect(written((w) => w.writeNullableString(null, false))).toBe('ffff');
    expect(written((w) => w.writeNullableBytes(null, false))).toBe('ffffffff');
    expect(written((w) => w.writeBytes(Buffer.from([9]), false))).toBe('0000000109');
  });

  test('unsigned varints', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [1, '01'],
      [127, '7f'],
      [128, '8001'],
      [300, 'ac02'],
      [16383, 'ff7f'],
      [16384, '808001'],
      [0xffffffff, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      expect(written((w) => w.writeUnsignedVarint(v))).toBe(h);
      const r = new Reader(hex(h));
      expect(r.readUnsignedVarint()).toBe(v);
      expect(r.remaining()).toBe(0);
    }
    expect(() => new Writer().writeUnsignedVarint(-1)).toThrow(RangeError);
    expect(() => new Writer().writeUnsignedVarint(2 ** 32)).toThrow(RangeError);
  });

  test('zigzag varints and varlongs', () => {
    const ints: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [-64, '7f'],
      [64, '8001'],
      [2147483647, 'feffffff0f'],
      [-2147483648, 'ffffffff0f'],
    ];
    for (const [v, h] of ints) {
      expect(written((w) => w.writeVarint(v))).toBe(h);
      expect(new Reader(hex(h)).readVarint()).toBe(v);
    }
    const longs: [bigint, string][] = [
      [0n, '00'],
      [-1n, '01'],
      [1n, '02'],
      [2n ** 53n + 1n, '8280808080808020'],
      [9223372036854775807n, 'feffffffffffffffff01'],
      [-9223372036854775808n, 'ffffffffffffffffff01'],
    ];
    for (const [v, h] of longs) {
      expect(written((w) => w.writeVarlong(v))).toBe(h);
      const r = new Reader(hex(h));
      expect(r.readVarlong()).toBe(v);
      expect(r.remaining()).toBe(0);
    }
    for (let i = -70000; i <= 70000; i += 997) {
      const w = new Writer();
      w.writeVarlong(BigInt(i) * 123456789n);
      w.writeVarint(i);
      const r = new Reader(w.toBuffer());
      expect(r.readVarlong()).toBe(BigInt(i) * 123456789n);
      expect(r.readVarint()).toBe(i);
    }
  });

  test('fixed-size integers, float64, bool', () => {
    const w = new Writer({ initialCapacity: 1 });
    w.writeInt8(-2);
    w.writeInt16(-3);
    w.writeUInt16(65535);
    w.writeInt32(-4);
    w.writeUInt32(4294967295);
    w.writeInt64(-(2n ** 63n));
    w.writeFloat64(1.5);
    w.writeBool(true);
    const buf = w.toBuffer();
    expect(buf.toString('hex')).toBe(
      'fe' + 'fffd' + 'ffff' + 'fffffffc' + 'ffffffff' + '8000000000000000' + '3ff8000000000000' + '01',
    );
    const r = new Reader(buf);
    expect([r.readInt8(), r.readInt16(), r.readUInt16(), r.readInt32(), r.readUInt32()]).toEqual([
      -2, -3, 65535, -4, 4294967295,
    ]);
    expect(r.readInt64()).toBe(-(2n ** 63n));
    expect(r.readFloat64()).toBe(1.5);
    expect(r.readBool()).toBe(true);
    expect(new Reader(hex('02')).readBool()).toBe(true); // any non-zero byte is true
    expect(() => new Writer().writeInt16(40000)).toThrow(/out of range/); // Node's own range check
  });

  test('uuids use the base64url text form', () => {
    expect(written((w) => w.writeUuid(ZERO_UUID))).toBe('00'.repeat(16));
    const bytes = hex('0123456789abcdeffedcba9876543210');
    const text = bytes.toString('base64url');
    expect(text).toHaveLength(22);
    expect(written((w) => w.writeUuid(text))).toBe(bytes.toString('hex'));
    expect(new Reader(bytes).readUuid()).toBe(text);
    expect(() => new Writer().writeUuid('not-a-uuid')).toThrow();
    expect(() => new Writer().writeUuid('AAAAAAAAAAAAAAAAAAAAAB')).toThrow(); // low bits of the last char must be 0
  });

  test('strings are measured in UTF-8 bytes and limited to 32767', () => {
    expect(written((w) => w.writeString('é', false))).toBe('0002c3a9');
    expect(written((w) => w.writeString('é', true))).toBe('03c3a9');
    expect(() => new Writer().writeString('x'.repeat(32768), false)).toThrow(RangeError);
    expect(() => new Writer().writeString('x'.repeat(32768), true)).toThrow(RangeError);
    expect(
      new Reader(Buffer.concat([hex('7fff'), Buffer.alloc(32767, 0x61)])).readString(false),
    ).toHaveLength(32767);
  });

  test('tagged-field sections merge known and unknown fields in tag order', () => {
    const w = new Writer();
    w.writeTaggedFields(
      [
        { tag: 0, data: hex('aa') },
        { tag: 5, data: hex('bbbb') },
      ],
      [
        { tag: 9, data: hex('') },
        { tag: 3, data: hex('cc') },
      ],
    );
    expect(w.toBuffer().toString('hex')).toBe('04' + '0001aa' + '0301cc' + '0502bbbb' + '0900');
    const unknown = new Reader(w.toBuffer()).readTaggedFields((tag) => tag === 5);
    expect(unknown?.map((f) => [f.tag, f.data.toString('hex')])).toEqual([
      [0, 'aa'],
      [3, 'cc'],
      [9, ''],
    ]);
    expect(written((ww) => ww.writeTaggedFields(null, undefined))).toBe('00');
  });
});

describe('Reader rejects bad input with ProtocolError', () => {
  const bad: [string, Buffer, (r: Reader) => unknown][] = [
    ['truncated int8', hex(''), (r) => r.readInt8()],
    ['truncated int16', hex('00'), (r) => r.readInt16()],
    ['truncated int32', hex('000000'), (r) => r.readInt32()],
    ['truncated int64', hex('00000000000000'), (r) => r.readInt64()],
    ['truncated float64', hex('3ff8'), (r) => r.readFloat64()],
    ['truncated uuid', hex('00'.repeat(15)), (r) => r.readUuid()],
    ['truncated bool', hex(''), (r) => r.readBool()],
    ['truncated string body', hex('0005 6162'), (r) => r.readString(false)],
    ['truncated compact string body', hex('06 6162'), (r) => r.readString(true)],
    ['truncated bytes body', hex('00000004 01'), (r) => r.readBytes(false)],
    ['truncated records', hex('0a 0102'), (r) => r.readRecords(true)],
    ['truncated length prefix', hex('00'), (r) => r.readNullableString(false)],
    ['truncated unsigned varint', hex('8080'), (r) => r.readUnsignedVarint()],
    ['unsigned varint longer than 5 bytes', hex('8080808080 01'), (r) => r.readUnsignedVarint()],
    ['unsigned varint beyond 32 bits', hex('ffffffff1f'), (r) => r.readUnsignedVarint()],
    ['varlong longer than 10 bytes', hex('80'.repeat(10) + '01'), (r) => r.readVarlong()],
    ['truncated varlong', hex('80'.repeat(8)), (r) => r.readVarlong()],
    ['negative length for a non-nullable string', hex('ffff'), (r) => r.readString(false)],
    ['null compact non-nullable string', hex('00'), (r) => r.readString(true)],
    ['negative length for non-nullable bytes', hex('fffffffe'), (r) => r.readBytes(false)],
    [
      'string longer than 32767',
      Buffer.concat([hex('81 80 02'), Buffer.alloc(32768)]),
      (r) => r.readString(true),
    ],
    ['array count larger than the remaining bytes', hex('00000003 0000'), (r) => r.readArrayLength(false)],
    ['huge compact array count', hex('ffffffff0f'), (r) => r.readArrayLength(true)],
    ['null for a non-nullable array', hex('ffffffff'), (r) => r.readArray(false, () => r.readInt8())],
    ['array elements missing', hex('00000002 01'), (r) => r.readArray(false, () => r.readInt8())],
    ['tagged field larger than the input', hex('01 00 05 0102'), (r) => r.readTaggedFields()],
    ['negative skip', hex('00'), (r) => r.skip(-1)],
    ['skip beyond the end', hex('00'), (r) => r.skip(2)],
    ['peek beyond the end', hex('00'), (r) => r.peekInt16()],
  ];
  test.each(bad)('%s', (_name, buf, read) => {
    expect(() => read(new Reader(buf))).toThrow(ProtocolError);
  });

  test('nullable lengths: any negative length is null (Kafka reads -1 and below as null)', () => {
    expect(new Reader(hex('ffff')).readNullableString(false)).toBeNull();
    expect(new Reader(hex('ffffffff')).readNullableBytes(false)).toBeNull();
    expect(new Reader(hex('00')).readNullableBytes(true)).toBeNull();
    expect(new Reader(hex('ffffffff')).readArrayLength(false)).toBe(-1);
    expect(new Reader(hex('00')).readArrayLength(true)).toBe(-1);
  });

  test('decoders surface ProtocolError for malformed messages', () => {
    // Fetch v4 response whose topic count claims more entries than there are bytes
    expect(() => decodeFetchResponse(new Reader(hex('00000000 7fffffff')), 4)).toThrow(ProtocolError);
  });
});

describe('Writer', () => {
  test('grows from a tiny buffer and returns exactly the bytes written', () => {
    const w = new Writer({ initialCapacity: 1 });
    for (let i = 0; i < 10000; i++) w.writeInt32(i);
    const buf = w.toBuffer();
    expect(buf.length).toBe(40000);
    expect(w.length).toBe(40000);
    expect(buf.readInt32BE(39996)).toBe(9999);
  });

  test('reserveInt32/patchInt32 fill in a size prefix', () => {
    const w = new Writer();
    const at = w.reserveInt32();
    w.writeString('hello', false);
    w.patchInt32(at, w.length - 4);
    expect(w.toBuffer().toString('hex')).toBe('00000007' + '0005' + Buffer.from('hello').toString('hex'));
  });

  test('large record sets become separate zero-copy chunks', () => {
    const big = Buffer.alloc(5000, 7);
    const small = Buffer.alloc(100, 8);
    const w = new Writer({ initialCapacity: 8, zeroCopyThreshold: 4096 });
    const size = w.reserveInt32();
    w.writeInt16(1);
    w.writeRecords(big, false);
    w.writeRecords(small, true);
    w.writeRecords(null, true);
    w.patchInt32(size, w.length - 4);
    const chunks = w.toBuffers();
    expect(chunks).toHaveLength(3);
    expect(chunks[1]).toBe(big); // the caller's Buffer itself, not a copy
    const joined = w.toBuffer();
    expect(Buffer.concat(chunks).equals(joined)).toBe(true);
    expect(joined.length).toBe(w.length);
    expect(joined.toString('hex')).toBe(
      (4 + 2 + 4 + 5000 + 1 + 100 + 1 - 4).toString(16).padStart(8, '0') +
        '0001' +
        '00001388' +
        big.toString('hex') +
        '65' +
        small.toString('hex') +
        '00',
    );
  });

  test('without a threshold records are copied and there is one chunk', () => {
    const w = new Writer({ zeroCopyThreshold: Infinity });
    w.writeRecords(Buffer.alloc(10000, 1), false);
    expect(w.toBuffers()).toHaveLength(1);
  });

  test('a Fetch response with a large record set encodes without copying it', () => {
    const records = Buffer.alloc(64 * 1024, 3);
    const w = new Writer();
    encodeFetchResponse(
      w,
      { responses: [{ topic: 't', partitions: [{ partitionIndex: 0, highWatermark: 10n, records }] }] },
      11,
    );
    const chunks = w.toBuffers();
    expect(chunks).toContain(records);
    const decoded = decodeFetchResponse(new Reader(Buffer.concat(chunks)), 11);
    expect(decoded.responses[0].partitions[0].records?.equals(records)).toBe(true);
  });
});
