import zlib from 'node:zlib';
import { CompressionType, isValidCrc } from '../../../src/protocol/records/batch';
import { compressSync, xxhash32 } from '../../../src/protocol/records/compression';
import { ErrorCode } from '../../../src/protocol/errors';
import { assignOffsets } from '../../../src/protocol/records/assign';
import {
  buildLegacyRecords,
  crc32,
  crc32Js,
  downConvert,
  encodeLegacyMessage,
  legacyRecords,
  readLegacyMessage,
} from '../../../src/protocol/records/legacy';
import {
  TimestampType,
  buildEndTransactionMarker,
  buildRecordBatch,
  buildRecordBatchSync,
  ControlRecordType,
  decodeRecordsSync,
  readBatchHeader,
} from '../../../src/protocol/records/records';
import { validateRecordSet } from '../../../src/protocol/records/validate';

const NOW = 1_700_000_000_000n;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const b = (s: string) => Buffer.from(s);

function withCrc(entry: Buffer): Buffer {
  entry.writeUInt32BE(crc32Js(entry.subarray(16)), 12);
  return entry;
}

describe('CRC-32', () => {
  it('is IEEE CRC-32 (java.util.zip.CRC32)', () => {
    expect(crc32(b('123456789'))).toBe(0xcbf43926);
    expect(crc32Js(b('123456789'))).toBe(0xcbf43926);
  });
});

describe('legacy messages', () => {
  it('encodes v0 exactly', () => {
    const expected = withCrc(hex('0000000000000005 00000010 00000000 00 00 ffffffff 00000002 6869'));
    const got = encodeLegacyMessage(0, 5n, 0, -1n, null, b('hi'));
    expect(got.toString('hex')).toBe(expected.toString('hex'));
    const m = readLegacyMessage(got);
    expect(m).toMatchObject({
      offset: 5n,
      magic: 0,
      timestamp: -1n,
      timestampType: TimestampType.NoTimestampType,
    });
    expect(m.isValid).toBe(true);
    expect(m.value?.toString()).toBe('hi');
  });

  it('encodes v1 exactly', () => {
    const expected = withCrc(
      hex('0000000000000005 00000018 00000000 01 00 0000018bcfe56800 00000001 6b 00000001 76'),
    );
    const got = encodeLegacyMessage(1, 5n, 0, NOW, b('k'), b('v'));
    expect(got.toString('hex')).toBe(expected.toString('hex'));
    const m = readLegacyMessage(got);
    expect(m).toMatchObject({ magic: 1, timestamp: NOW, timestampType: TimestampType.CreateTime });
    got[got.length - 1] ^= 1;
    expect(readLegacyMessage(got).isValid).toBe(false);
  });

  it('builds v1 wrappers with relative inner offsets and the max timestamp', async () => {
    const set = await buildLegacyRecords(
      [
        { offset: 100n, timestamp: NOW + 5n, key: null, value: b('a') },
        { offset: 101n, timestamp: NOW, key: null, value: b('b') },
      ],
      { magic: 1, compression: CompressionType.Gzip, timestampType: TimestampType.CreateTime },
    );
    const w = readLegacyMessage(set);
    expect(w).toMatchObject({ offset: 101n, compression: 1, timestamp: NOW + 5n, key: null });
    const inner = zlib.gunzipSync(w.value as Buffer);
    expect(readLegacyMessage(inner).offset).toBe(0n);
    const { records } = await legacyRecords(set);
    expect(records.map((r) => r.absoluteOffset)).toEqual([100n, 101n]);
  });
});

/** A v1 wrapper with custom outer offset around `inner` entries. */
function wrapper(codec: CompressionType, outerOffset: bigint, inner: Buffer[], attrs = 0, ts = NOW): Buffer {
  const value = compressSync(codec, Buffer.concat(inner), { magic: 1 });
  return encodeLegacyMessage(1, outerOffset, codec | attrs, ts, null, value);
}

describe('produce: up-conversion to v2', () => {
  it('rewrites an uncompressed v1 set into one v2 batch like Kafka', async () => {
    const set = Buffer.concat([
      encodeLegacyMessage(1, 0n, 0, NOW, b('k'), b('v')),
      encodeLegacyMessage(1, 1n, 0, NOW + 1n, null, b('w')),
    ]);
    const r = await validateRecordSet(set, { produceVersion: 2, now: Number(NOW) });
    if (!r.ok) throw new Error(r.errorMessage);
    expect(r.converted).toBe(true);
    expect(r.recordCount).toBe(2);
    const expected = buildRecordBatchSync([
      { key: 'k', value: 'v', timestamp: NOW },
      { key: null, value: 'w', timestamp: NOW + 1n },
    ]);
    expect(r.records.toString('hex')).toBe(expected.toString('hex'));
    const a = assignOffsets(r.records, 40n, 3, TimestampType.LogAppendTime, NOW + 99n, r);
    expect(a.lastOffset).toBe(41n);
    expect(readBatchHeader(r.records)).toMatchObject({
      baseOffset: 40n,
      partitionLeaderEpoch: 3,
      maxTimestamp: NOW + 99n,
    });
    expect(isValidCrc(r.records)).toBe(true);
  });

  it('keeps v0 timestamps at −1', async () => {
    const set = Buffer.concat([
      encodeLegacyMessage(0, 0n, 0, -1n, b('a'), b('1')),
      encodeLegacyMessage(0, 0n, 0, -1n, b('b'), b('2')),
    ]);
    const r = await validateRecordSet(set, { produceVersion: 0 });
    if (!r.ok) throw new Error(r.errorMessage);
    const h = readBatchHeader(r.records);
    expect([h.baseTimestamp, h.maxTimestamp, h.recordsCount, h.producerId]).toEqual([-1n, -1n, 2, -1n]);
    expect(decodeRecordsSync(r.records).map((x) => x.timestamp)).toEqual([-1n, -1n]);
  });

  it('converts a compressed v1 wrapper to a v2 batch with the same codec', async () => {
    const inner = [0, 1, 2].map((i) =>
      encodeLegacyMessage(1, BigInt(i), 0, NOW + BigInt(i), b(`k${i}`), b(`v${i}`)),
    );
    for (const outer of [2n, 0n]) {
      const r = await validateRecordSet(wrapper(CompressionType.Gzip, outer, inner), {
        produceVersion: 2,
        now: Number(NOW),
      });
      if (!r.ok) throw new Error(r.errorMessage);
      expect(readBatchHeader(r.records).compression).toBe(CompressionType.Gzip);
      const out = decodeRecordsSync(r.records);
      expect(out.map((x) => [x.offsetDelta, x.key?.toString(), x.timestamp])).toEqual([
        [0, 'k0', NOW],
        [1, 'k1', NOW + 1n],
        [2, 'k2', NOW + 2n],
      ]);
      expect(r.maxTimestamp).toBe(NOW + 2n);
    }
  });

  it('accepts old LZ4 v0 wrappers with the broken header checksum', async () => {
    const inner = [encodeLegacyMessage(0, 7n, 0, -1n, null, b('x'))];
    const value = compressSync(CompressionType.Lz4, Buffer.concat(inner), { magic: 0 });
    expect(value[6]).toBe((xxhash32(value, 0, 0, 6) >>> 8) & 0xff);
    const set = encodeLegacyMessage(0, 7n, CompressionType.Lz4, -1n, null, value);
    const r = await validateRecordSet(set, { produceVersion: 1, compressionType: 'uncompressed' });
    if (!r.ok) throw new Error(r.errorMessage);
    expect(decodeRecordsSync(r.records)[0].value?.toString()).toBe('x');
  });

  it('rejects what LogValidator rejects', async () => {
    const inner = [0, 1, 2].map((i) => encodeLegacyMessage(1, BigInt(i), 0, NOW, b('k'), b('v')));
    const v = (set: Buffer, cfg = {}) =>
      validateRecordSet(set, { produceVersion: 2, now: Number(NOW), topicPartition: 't-0', ...cfg });

    const badOuter = await v(wrapper(CompressionType.Gzip, 1n, inner));
    expect(badOuter).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_RECORD });
    expect(badOuter.ok || badOuter.errorMessage).toMatch(
      /wrapper offset '1' is less than the last inner message offset '2'/,
    );

    const corruptInner = [...inner];
    corruptInner[1] = Buffer.from(corruptInner[1]);
    corruptInner[1][corruptInner[1].length - 1] ^= 1;
    expect(await v(wrapper(CompressionType.Gzip, 2n, corruptInner))).toMatchObject({
      ok: false,
      errorCode: ErrorCode.CORRUPT_MESSAGE,
    });

    const mixed = [inner[0], encodeLegacyMessage(0, 1n, 0, -1n, b('k'), b('v'))];
    const mm = await v(wrapper(CompressionType.Snappy, 1n, mixed));
    expect(mm).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_RECORD });
    expect(mm.ok ? [] : mm.recordErrors.map((e) => e.batchIndex)).toEqual([1]);

    const nested = [encodeLegacyMessage(1, 0n, CompressionType.Gzip, NOW, null, b('zz'))];
    const ne = await v(wrapper(CompressionType.Gzip, 0n, nested));
    expect(ne.ok ? '' : ne.recordErrors[0].message).toMatch(
      /should not have an inner record with a compression attribute/,
    );

    const lat = await v(wrapper(CompressionType.Gzip, 2n, inner, 0x08), {
      timestampType: TimestampType.LogAppendTime,
    });
    expect(lat).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP });

    const empty = encodeLegacyMessage(1, 0n, CompressionType.Gzip, NOW, null, zlib.gzipSync(Buffer.alloc(0)));
    expect(await v(empty)).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_RECORD });

    const magics = Buffer.concat([
      encodeLegacyMessage(0, 0n, 0, -1n, null, b('a')),
      encodeLegacyMessage(1, 1n, 0, NOW, null, b('b')),
    ]);
    const mg = await v(magics);
    expect(mg.ok || mg.errorMessage).toBe(
      "Batch magic 1 is not the same as the first batch's magic byte 0 in topic partition t-0",
    );

    const badCrc = encodeLegacyMessage(1, 0n, 0, NOW, null, b('a'));
    badCrc[badCrc.length - 1] ^= 1;
    expect(await v(badCrc)).toMatchObject({ ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE });

    const v2first = Buffer.concat([
      buildRecordBatchSync([{ value: 'x', timestamp: NOW }]),
      encodeLegacyMessage(1, 0n, 0, NOW, null, b('a')),
    ]);
    expect(await v(v2first)).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_RECORD });
    expect(await v(encodeLegacyMessage(1, 0n, 0, NOW, null, b('a')), { produceVersion: 3 })).toMatchObject({
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
    });
  });
});

describe('fetch: down-conversion', () => {
  const src = () =>
    buildRecordBatchSync(
      [
        { key: 'a', value: '1', timestamp: NOW, headers: [{ key: 'h', value: 'x' }] },
        { key: 'b', value: '2', timestamp: NOW + 1n },
        { key: null, value: '3', timestamp: NOW + 2n },
      ],
      { baseOffset: 10n, partitionLeaderEpoch: 4 },
    );

  it('uncompressed → one v1 message per record from the fetch offset, headers dropped', async () => {
    const { records, numRecordsConverted } = await downConvert(src(), 1, 11n);
    const expected = Buffer.concat([
      withCrc(hex('000000000000000b 00000018 00000000 01 00 0000018bcfe56801 00000001 62 00000001 32')),
      withCrc(hex('000000000000000c 00000017 00000000 01 00 0000018bcfe56802 ffffffff 00000001 33')),
    ]);
    expect(records.toString('hex')).toBe(expected.toString('hex'));
    expect(numRecordsConverted).toBe(2);
  });

  it('uncompressed → v0 drops timestamps', async () => {
    const { records } = await downConvert(src(), 0, 10n);
    expect(records.subarray(0, 28).toString('hex')).toBe(
      withCrc(hex('000000000000000a 00000010 00000000 00 00 00000001 61 00000001 31')).toString('hex'),
    );
    expect(records.length).toBe(28 * 2 + 27);
  });

  it('compressed → one wrapper per batch, whole batch kept, relative inner offsets for v1', async () => {
    const batch = await buildRecordBatch(
      [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, timestamp: NOW + BigInt(i) })),
      { baseOffset: 10n, compression: CompressionType.Gzip },
    );
    const { records } = await downConvert(batch, 1, 12n);
    const w = readLegacyMessage(records);
    expect(w).toMatchObject({ offset: 12n, magic: 1, compression: 1, timestamp: NOW + 2n, key: null });
    expect(records.length).toBe(w.sizeInBytes);
    const inner = zlib.gunzipSync(w.value as Buffer);
    expect(readLegacyMessage(inner).offset).toBe(0n);
    const { records: deep } = await legacyRecords(records);
    expect(deep.map((r) => [r.absoluteOffset, r.key?.toString()])).toEqual([
      [10n, 'k0'],
      [11n, 'k1'],
      [12n, 'k2'],
    ]);
    const v0 = await downConvert(batch, 0, 10n);
    const inner0 = zlib.gunzipSync(readLegacyMessage(v0.records).value as Buffer);
    expect(readLegacyMessage(inner0).offset).toBe(10n);
  });

  it('LZ4 to v0 writes the broken header checksum Kafka writes', async () => {
    const batch = await buildRecordBatch([{ value: 'x', timestamp: NOW }], {
      compression: CompressionType.Lz4,
    });
    const { records } = await downConvert(batch, 0, 0n);
    const value = readLegacyMessage(records).value as Buffer;
    expect(value[6]).toBe((xxhash32(value, 0, 0, 6) >>> 8) & 0xff);
    const { records: deep } = await legacyRecords(records);
    expect(deep[0].value?.toString()).toBe('x');
  });

  it('keeps LogAppendTime as the message timestamp type', async () => {
    const batch = buildRecordBatchSync([{ value: 'x', timestamp: 1 }], {
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: NOW,
    });
    const m = readLegacyMessage((await downConvert(batch, 1, 0n)).records);
    expect(m).toMatchObject({ attributes: 0x08, timestamp: NOW, timestampType: TimestampType.LogAppendTime });
  });

  it('drops control batches and a truncated trailing batch, refuses zstd', async () => {
    const marker = buildEndTransactionMarker({
      producerId: 1n,
      producerEpoch: 0,
      marker: { type: ControlRecordType.COMMIT, coordinatorEpoch: 0 },
      timestamp: NOW,
      baseOffset: 13n,
    });
    const next = src();
    next.writeBigInt64BE(14n, 0);
    const set = Buffer.concat([src(), marker, next.subarray(0, 50)]);
    const { records } = await downConvert(set, 1, 10n);
    expect(records.length).toBe((await downConvert(src(), 1, 10n)).records.length);
    const z = await buildRecordBatch([{ value: 'x' }], { compression: CompressionType.Zstd });
    await expect(downConvert(z, 1, 0n)).rejects.toMatchObject({
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    });
  });

  it('copies legacy batches already at or below the target magic', async () => {
    const v0 = encodeLegacyMessage(0, 3n, 0, -1n, null, b('old'));
    expect((await downConvert(v0, 1, 0n)).records.equals(v0)).toBe(true);
  });

  it('fills with an overflow entry when nothing converts, or on request', async () => {
    const partial = src().subarray(0, 40);
    const { records } = await downConvert(partial, 1, 0n);
    expect(records.length).toBe(40);
    expect(records.readBigInt64BE(0)).toBe(-1n);
    expect(records.readInt32BE(8)).toBe(61);
    const padded = await downConvert(src(), 1, 12n, { padToOriginalSize: true });
    expect(padded.records.length).toBe(src().length);
    expect(readLegacyMessage(padded.records).offset).toBe(12n);
    expect(padded.records.readBigInt64BE(35)).toBe(-1n);
    const bigger = await downConvert(src(), 1, 10n, { padToOriginalSize: true });
    expect(bigger.records.length).toBeGreaterThan(src().length); // max(original, converted)
  });
});
