import { CompressionType, RECORD_BATCH_OVERHEAD, isValidCrc } from '../../../src/protocol/records/batch';
import { crc32cJs } from '../../../src/protocol/records/crc32c';
import { InvalidRecordError } from '../../../src/protocol/records/errors';
import {
  ByteCursor,
  ControlRecordType,
  TimestampType,
  buildEndTransactionMarker,
  buildRecordBatch,
  buildRecordBatchSync,
  decodeRecords,
  decodeRecordsSync,
  incrementSequence,
  parseEndTransactionMarker,
  readBatchHeader,
  scanRecords,
  sizeOfVarint,
  sizeOfVarlong,
  splitBatches,
  writeVarint,
  writeVarlong,
} from '../../../src/protocol/records/records';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('varints', () => {
  it('encodes the reference examples', () => {
    const cases: [number, string][] = [
      [0, '00'],
      [-1, '01'],
      [1, '02'],
      [63, '7e'],
      [-64, '7f'],
      [64, '8001'],
      [300, 'd804'],
      [2147483647, 'feffffff0f'],
      [-2147483648, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      const b = Buffer.alloc(10);
      const n = writeVarint(b, 0, v);
      expect(b.subarray(0, n).toString('hex')).toBe(h);
      expect(sizeOfVarint(v)).toBe(n);
      expect(new ByteCursor(b, 0, n).varint()).toBe(v);
      const l = Buffer.alloc(10);
      expect(l.subarray(0, writeVarlong(l, 0, v)).toString('hex')).toBe(h);
    }
  });

  it('round-trips varlongs across the 64-bit range', () => {
    const values = [
      0n,
      1n,
      -1n,
      2n ** 47n,
      -(2n ** 47n),
      2n ** 53n + 1n,
      -(2n ** 63n),
      2n ** 63n - 1n,
      1700000000000n,
    ];
    for (const v of values) {
      const b = Buffer.alloc(10);
      const n = writeVarlong(b, 0, v);
      expect(sizeOfVarlong(v)).toBe(n);
      expect(BigInt(new ByteCursor(b, 0, n).varlong())).toBe(v);
      expect(new ByteCursor(b, 0, n).varlongBig()).toBe(v);
    }
    expect(writeVarlong(Buffer.alloc(10), 0, -(2n ** 63n))).toBe(10);
  });

  it('rejects over-long varints', () => {
    expect(() => new ByteCursor(hex('ffffffffff01'), 0, 6).varint()).toThrow(InvalidRecordError);
  });
});

describe('builder', () => {
  it('matches a hand-computed golden layout', () => {
    const batch = buildRecordBatchSync([{ key: 'k', value: 'v', timestamp: 1700000000000n }]);
    const expected = hex(`
      0000000000000000  0000003a  ffffffff  02  00000000
      0000  00000000  0000018bcfe56800  0000018bcfe56800
      ffffffffffffffff  ffff  ffffffff  00000001
      10 00 00 00 02 6b 02 76 00`);
    expect(batch.length).toBe(70);
    // CRC-32C over attributes..end, computed by the independent table implementation
    const crc = crc32cJs(expected.subarray(21));
    expected.writeUInt32BE(crc, 17);
    expect(batch.toString('hex')).toBe(expected.toString('hex'));
    expect(crc).toBe(0xe99b8dd8);
    expect(isValidCrc(batch)).toBe(true);
  });

  it('encodes producer fields, attributes, headers, nulls and deltas', () => {
    const batch = buildRecordBatchSync(
      [
        {
          key: null,
          value: 'a',
          timestamp: 1000,
          headers: [
            { key: 'h1', value: 'x' },
            { key: 'h2', value: null },
          ],
        },
        { key: 'b', value: null, timestamp: 900 },
        { value: 'c', timestamp: 1500 },
      ],
      {
        baseOffset: 42n,
        partitionLeaderEpoch: 7,
        producerId: 99n,
        producerEpoch: 3,
        baseSequence: 2147483646,
        isTransactional: true,
      },
    );
    const h = readBatchHeader(batch);
    expect(h).toMatchObject({
      baseOffset: 42n,
      partitionLeaderEpoch: 7,
      magic: 2,
      attributes: 0x10,
      isTransactional: true,
      isControl: false,
      lastOffsetDelta: 2,
      lastOffset: 44n,
      baseTimestamp: 1000n,
      maxTimestamp: 1500n,
      producerId: 99n,
      producerEpoch: 3,
      baseSequence: 2147483646,
      lastSequence: 0, // wraps past Integer.MAX_VALUE
      recordsCount: 3,
      timestampType: TimestampType.CreateTime,
    });
    const recs = decodeRecordsSync(batch);
    expect(recs.map((r) => [r.offset, r.timestamp, r.sequence])).toEqual([
      [42n, 1000n, 2147483646],
      [43n, 900n, 2147483647],
      [44n, 1500n, 0],
    ]);
    expect(recs[0].key).toBeNull();
    expect(recs[0].headers).toEqual([
      { key: 'h1', value: Buffer.from('x') },
      { key: 'h2', value: null },
    ]);
    expect(recs[1].value).toBeNull();
    expect(recs[1].timestampDelta).toBe(-100n);
    expect(incrementSequence(2147483647, 1)).toBe(0);
  });

  it('builds LogAppendTime batches whose records read the append time', () => {
    const batch = buildRecordBatchSync([{ value: 'x', timestamp: 5 }], {
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: 77n,
    });
    const h = readBatchHeader(batch);
    expect(h.timestampType).toBe(TimestampType.LogAppendTime);
    expect(h.maxTimestamp).toBe(77n);
    expect(decodeRecordsSync(batch)[0].timestamp).toBe(77n);
  });

  it.each([CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd])(
    'compresses the records region with codec %i',
    async (codec) => {
      const input = Array.from({ length: 200 }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}`.repeat(10),
        timestamp: 1700000000000n + BigInt(i),
      }));
      const batch = await buildRecordBatch(input, { compression: codec });
      const h = readBatchHeader(batch);
      expect(h.compression).toBe(codec);
      expect(h.recordsCount).toBe(200);
      expect(isValidCrc(batch)).toBe(true);
      const plain = buildRecordBatchSync(input);
      expect(batch.length).toBeLessThan(plain.length);
      const recs = await decodeRecords(batch);
      expect(recs.map((r) => r.value?.toString())).toEqual(input.map((r) => r.value));
      expect(recs[199].offset).toBe(199n);
    },
  );

  it('builds the 78-byte end transaction marker', () => {
    const b = buildEndTransactionMarker({
      producerId: 5n,
      producerEpoch: 1,
      marker: { type: ControlRecordType.COMMIT, coordinatorEpoch: 9 },
      timestamp: 1234n,
    });
    expect(b.length).toBe(78);
    const h = readBatchHeader(b);
    expect(h.attributes).toBe(0x30);
    expect(h.baseSequence).toBe(-1);
    const [r] = decodeRecordsSync(b);
    expect(r.sizeInBytes).toBe(17);
    expect(parseEndTransactionMarker(r.key, r.value)).toEqual({
      type: ControlRecordType.COMMIT,
      coordinatorEpoch: 9,
    });
  });
});

describe('scanning and framing', () => {
  const batch = buildRecordBatchSync([
    { key: 'a', value: 'b', timestamp: 1 },
    { key: 'c', value: 'd', timestamp: 2 },
  ]);

  it('walks records without copying', () => {
    const seen: number[] = [];
    scanRecords(batch, RECORD_BATCH_OVERHEAD, batch.length, 2, (v) => seen.push(v.offsetDelta));
    expect(seen).toEqual([0, 1]);
  });

  it("rejects structures Kafka's DefaultRecord rejects", () => {
    const scan = (b: Buffer, count: number) => () =>
      scanRecords(b, RECORD_BATCH_OVERHEAD, b.length, count, () => {});
    expect(scan(batch, 1)).toThrow(/records still remaining/);
    expect(scan(batch, 3)).toThrow(/premature EOF/);
    expect(scan(batch, -1)).toThrow(/invalid record count/);
    const badLen = Buffer.from(batch);
    badLen[RECORD_BATCH_OVERHEAD] = 0x7e; // body length 63 > remaining
    expect(scan(badLen, 2)).toThrow(/Invalid record size/);
    const badHeaders = Buffer.from(batch);
    badHeaders[RECORD_BATCH_OVERHEAD + 8] = 0x01; // header count −1
    expect(scan(badHeaders, 2)).toThrow(/invalid number of record headers/);
  });

  it('splits record sets and stops at a partial trailing batch', () => {
    const set = Buffer.concat([batch, batch, batch.subarray(0, 30)]);
    const r = splitBatches(set);
    expect(r.batches.map((b) => b.position)).toEqual([0, batch.length]);
    expect(r.validBytes).toBe(batch.length * 2);
    const tiny = Buffer.from(batch);
    tiny.writeInt32BE(13, 8);
    expect(() => splitBatches(tiny)).toThrow(/minimum record overhead/);
    const badMagic = Buffer.from(batch);
    badMagic[16] = 3;
    expect(() => splitBatches(badMagic)).toThrow(/Invalid magic/);
    expect(splitBatches(badMagic, { mode: 'file' }).batches).toHaveLength(1);
  });
});
