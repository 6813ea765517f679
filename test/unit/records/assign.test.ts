import {
  attributes,
  baseOffset,
  isLogAppendTime,
  isValidCrc,
  lastOffset,
  maxTimestamp,
  partitionLeaderEpoch,
  storedCrc,
} from '../../../src/protocol/records/batch';
import { assignOffsets } from '../../../src/protocol/records/assign';
import {
  TimestampType,
  buildRecordBatchSync,
  decodeRecordsSync,
} from '../../../src/protocol/records/records';
import { validateRecordSet } from '../../../src/protocol/records/validate';

const NOW = 1_700_000_000_000;

describe('assignOffsets', () => {
  const build = () =>
    buildRecordBatchSync([
      { key: 'a', value: '1', timestamp: NOW },
      { key: 'b', value: '2', timestamp: NOW + 9 },
      { key: 'c', value: '3', timestamp: NOW + 4 },
    ]);

  it('CreateTime: stamps base offset and leader epoch in place, CRC untouched', async () => {
    const batch = build();
    const crc = storedCrc(batch);
    const v = await validateRecordSet(batch, { now: NOW });
    if (!v.ok) throw new Error(v.errorMessage);
    const r = assignOffsets(v.records, 100n, 7, TimestampType.CreateTime, NOW + 50, v);
    expect(v.records.buffer).toBe(batch.buffer);
    expect(baseOffset(batch)).toBe(100n);
    expect(lastOffset(batch)).toBe(102n);
    expect(partitionLeaderEpoch(batch)).toBe(7);
    expect(storedCrc(batch)).toBe(crc);
    expect(isValidCrc(batch)).toBe(true);
    expect(r).toEqual({
      firstOffset: 100n,
      lastOffset: 102n,
      maxTimestamp: BigInt(NOW + 9),
      offsetOfMaxTimestamp: 101n,
      shallowOffsetOfMaxTimestamp: 102n,
      logAppendTime: -1n,
    });
    expect(decodeRecordsSync(batch).map((x) => x.offset)).toEqual([100n, 101n, 102n]);
  });

  it('without a hint the offset of the max timestamp is the shallow one', () => {
    const r = assignOffsets(build(), 0n, 0, TimestampType.CreateTime, NOW);
    expect(r.offsetOfMaxTimestamp).toBe(2n);
  });

  it('LogAppendTime: sets the type bit and maxTimestamp, recomputes the CRC', () => {
    const batch = build();
    const crc = storedCrc(batch);
    const r = assignOffsets(batch, 5n, 1, TimestampType.LogAppendTime, NOW + 1000);
    expect(isLogAppendTime(batch)).toBe(true);
    expect(attributes(batch) & 0x08).toBe(0x08);
    expect(maxTimestamp(batch)).toBe(BigInt(NOW + 1000));
    expect(storedCrc(batch)).not.toBe(crc);
    expect(isValidCrc(batch)).toBe(true);
    expect(r).toEqual({
      firstOffset: 5n,
      lastOffset: 7n,
      maxTimestamp: BigInt(NOW + 1000),
      offsetOfMaxTimestamp: 5n,
      shallowOffsetOfMaxTimestamp: 7n,
      logAppendTime: BigInt(NOW + 1000),
    });
    expect(decodeRecordsSync(batch).every((x) => x.timestamp === BigInt(NOW + 1000))).toBe(true);
  });

  it('handles several batches and empty sets', () => {
    const set = Buffer.concat([build(), build()]);
    const r = assignOffsets(set, 10n, 2, TimestampType.CreateTime, NOW);
    expect(baseOffset(set, 0)).toBe(10n);
    expect(baseOffset(set, set.length / 2)).toBe(13n);
    expect(r.lastOffset).toBe(15n);
    expect(r.shallowOffsetOfMaxTimestamp).toBe(12n);
    expect(assignOffsets(Buffer.alloc(0), 10n, 2, TimestampType.CreateTime, NOW).lastOffset).toBe(9n);
  });
});
