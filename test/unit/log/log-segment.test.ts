import * as fs from 'fs';
import * as path from 'path';
import { LeaderEpochFileCache } from '../../../src/log/leader-epoch-cache';
import { LogConfig } from '../../../src/log/log-config';
import { LogSegment } from '../../../src/log/log-segment';
import * as v2 from '../../../src/protocol/records/batch';
import { CompressionType } from '../../../src/protocol/records/batch';
import { decompressSync } from '../../../src/protocol/records/compression';
import { batchRanges, captureLogs, makeBatch, MockTime, rmDir, segmentFiles, tmpDir } from './helpers';

let dir: string;
let logs: ReturnType<typeof captureLogs>;
const time = new MockTime();
beforeEach(() => {
  dir = tmpDir();
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  rmDir(dir);
});

const config = (overrides: Record<string, string> = {}) =>
  LogConfig.of({ 'index.interval.bytes': '100', 'segment.index.bytes': '1024', ...overrides });

/** Appends batches of `n` records each from `base`; returns the batches. */
function fill(seg: LogSegment, base: bigint, batches: number, n = 3, ts = 1000): Buffer[] {
  const out: Buffer[] = [];
  let next = base;
  for (let i = 0; i < batches; i++) {
    const b = makeBatch(next, n, { timestamp: ts + i * 10 });
    seg.append(v2.lastOffset(b), v2.maxTimestamp(b), v2.lastOffset(b), b);
    out.push(b);
    next += BigInt(n);
  }
  return out;
}

test('file names are the 20-digit base offset', () => {
  const seg = LogSegment.open(dir, 368769n, config(), time);
  expect(segmentFiles(dir)).toEqual([
    '00000000000000368769.index',
    '00000000000000368769.log',
    '00000000000000368769.timeindex',
  ]);
  seg.close();
});

test('append then read returns the raw bytes from the batch holding the offset', () => {
  const seg = LogSegment.open(dir, 40n, config(), time);
  const batches = fill(seg, 40n, 10);
  expect(seg.size).toBe(batches.reduce((a, b) => a + b.length, 0));
  const r = seg.read(47n, 10_000, seg.size, false)!;
  const bytes = seg.log.read(r.region.position, r.region.length);
  // Offset 47 is inside batch [46, 48]: the read starts at that batch.
  expect(batchRanges(bytes)[0]).toEqual([46n, 48n]);
  expect(bytes.equals(Buffer.concat(batches.slice(2)))).toBe(true);
  expect(r.fetchOffsetMetadata).toEqual({
    messageOffset: 47n,
    segmentBaseOffset: 40n,
    relativePositionInSegment: batches[0].length * 2,
  });
  // maxSize cuts the last batch; minOneMessage returns the first batch whole.
  const cut = seg.read(40n, 20, seg.size, false)!;
  expect(cut.region.length).toBe(20);
  expect(cut.firstEntryIncomplete).toBe(true);
  const one = seg.read(40n, 20, seg.size, true)!;
  expect(one.region.length).toBe(batches[0].length);
  // maxPosition bounds the read; null (bound not in this segment) returns nothing.
  expect(seg.read(40n, 10_000, batches[0].length, false)!.region.length).toBe(batches[0].length);
  expect(seg.read(40n, 10_000, null, false)!.region.length).toBe(0);
  expect(seg.read(70n, 100, seg.size, false)).toBeNull();
  expect(seg.readNextOffset()).toBe(70n);
  seg.close();
});

test('an index entry is added once more than index.interval.bytes were appended since the last one', () => {
  const seg = LogSegment.open(dir, 0n, config({ 'index.interval.bytes': '150' }), time);
  const batches = fill(seg, 0n, 8);
  const size = batches[0].length; // every batch has the same size
  expect(size).toBeGreaterThan(75);
  expect(size).toBeLessThan(150);
  // First append never indexes; then an entry whenever the bytes since the last entry exceed 150.
  const expected: { offset: bigint; position: number }[] = [];
  let since = 0;
  let pos = 0;
  for (let i = 0; i < batches.length; i++) {
    if (since > 150) {
      expected.push({ offset: BigInt(i * 3 + 2), position: pos });
      since = 0;
    }
    since += size;
    pos += size;
  }
  expect(expected.length).toBeGreaterThan(1);
  expect(Array.from({ length: seg.offsetIndex.entries }, (_, i) => seg.offsetIndex.entry(i))).toEqual(
    expected,
  );
  expect(seg.timeIndex.entries).toBe(expected.length);
  seg.close();
});

test('translateOffset uses the index then scans headers', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  const batches = fill(seg, 0n, 20);
  const size = batches[0].length;
  expect(seg.offsetIndex.entries).toBeGreaterThan(0);
  for (let o = 0n; o < 60n; o++) {
    const t = seg.translateOffset(o)!;
    const i = Number(o / 3n);
    expect(t).toEqual({ offset: BigInt(i * 3 + 2), position: i * size, size });
  }
  expect(seg.translateOffset(60n)).toBeNull();
  seg.close();
});

test('roll conditions: size, time (first batch timestamp, jitter), full index, offset overflow', () => {
  const cfg = config({ 'segment.bytes': '1000' });
  const seg = LogSegment.open(dir, 0n, cfg, time, { rollJitterMs: 0 });
  const params = {
    maxSegmentMs: 1000,
    maxSegmentBytes: 1000,
    maxTimestampInMessages: 1500n,
    maxOffsetInMessages: 10n,
    messagesSize: 100,
    now: time.now,
  };
  expect(seg.shouldRoll(params)).toBe(false); // empty segment never rolls on time
  fill(seg, 0n, 1, 3, 1000);
  expect(seg.shouldRoll(params)).toBe(false);
  // The first batch's max timestamp is 1002: roll once a batch is more than segment.ms later.
  expect(seg.shouldRoll({ ...params, maxTimestampInMessages: 2002n })).toBe(false);
  expect(seg.shouldRoll({ ...params, maxTimestampInMessages: 2003n })).toBe(true);
  expect(seg.shouldRoll({ ...params, messagesSize: 1000 - seg.size })).toBe(false);
  expect(seg.shouldRoll({ ...params, messagesSize: 1000 - seg.size + 1 })).toBe(true);
  expect(seg.shouldRoll({ ...params, maxOffsetInMessages: 2147483648n })).toBe(true);
  seg.close();
  const jittered = LogSegment.open(dir, 100n, cfg, time, { rollJitterMs: 500 });
  fill(jittered, 100n, 1, 3, 1000);
  expect(jittered.shouldRoll({ ...params, maxOffsetInMessages: 110n, maxTimestampInMessages: 1503n })).toBe(
    true,
  );
  jittered.close();
  const tiny = LogSegment.open(
    dir,
    200n,
    config({ 'segment.index.bytes': '24', 'index.interval.bytes': '0' }),
    time,
  );
  fill(tiny, 200n, 2);
  expect(tiny.timeIndex.isFull()).toBe(true);
  expect(tiny.shouldRoll({ ...params, maxOffsetInMessages: 210n })).toBe(true);
  tiny.close();
});

test('without record timestamps the roll time is the segment creation time', () => {
  const t = new MockTime(5000);
  const seg = LogSegment.open(dir, 0n, config(), t, { rollJitterMs: 0 });
  const b = makeBatch(0n, 1, { timestamp: -1 });
  seg.append(0n, -1n, 0n, b);
  t.sleep(999);
  expect(seg.timeWaitedForRoll(t.now, -1n)).toBe(999);
  seg.close();
});

test('onBecomeInactiveSegment writes the final time entry and trims both indexes', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  fill(seg, 0n, 10);
  expect(fs.statSync(seg.offsetIndex.path).size).toBe(1024);
  expect(fs.statSync(seg.timeIndex.path).size).toBe(1020);
  seg.onBecomeInactiveSegment();
  expect(fs.statSync(seg.offsetIndex.path).size).toBe(seg.offsetIndex.entries * 8);
  expect(fs.statSync(seg.timeIndex.path).size).toBe(seg.timeIndex.entries * 12);
  expect(seg.timeIndex.lastEntry()).toEqual({ timestamp: 1092n, offset: 29n });
  seg.close();
});

test('reopening a closed segment restores max timestamp from the time index', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  fill(seg, 0n, 5);
  seg.close();
  const again = LogSegment.open(dir, 0n, config(), time, { fileAlreadyExists: true });
  expect(again.readMaxTimestampAndOffsetSoFar()).toEqual({ timestamp: 1042n, offset: 14n });
  expect(again.readNextOffset()).toBe(15n);
  again.close();
});

test('truncateTo cuts at the start of the batch holding the offset', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  const batches = fill(seg, 0n, 10);
  const removed = seg.truncateTo(16n); // batch [15, 17]
  expect(removed).toBe(batches[0].length * 5);
  expect(seg.readNextOffset()).toBe(15n);
  expect(seg.offsetIndex.lastOffset).toBeLessThan(15n);
  expect(seg.maxTimestampSoFar).toBe(1042n);
  expect(seg.truncateTo(0n)).toBe(batches[0].length * 5);
  expect(seg.size).toBe(0);
  expect(seg.maxTimestampSoFar).toBe(-1n);
  seg.close();
});

test('recover rebuilds indexes, assigns epochs and truncates a corrupt tail', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  const good: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const b = makeBatch(BigInt(i * 3), 3, { epoch: i < 3 ? 1 : 2, timestamp: 1000 + i });
    seg.append(v2.lastOffset(b), v2.maxTimestamp(b), v2.lastOffset(b), b);
    good.push(b);
  }
  const indexBefore = Array.from({ length: seg.offsetIndex.entries }, (_, i) => seg.offsetIndex.entry(i));
  seg.close();
  // Flip a byte inside the last batch's records: its CRC no longer matches.
  const file = path.join(dir, '00000000000000000000.log');
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 3] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const again = LogSegment.open(dir, 0n, config(), time, { fileAlreadyExists: true });
  const cache = new LeaderEpochFileCache(dir);
  const truncated = again.recover(cache);
  expect(truncated).toBe(good[5].length);
  expect(again.size).toBe(good.slice(0, 5).reduce((a, b) => a + b.length, 0));
  expect(again.readNextOffset()).toBe(15n);
  expect(cache.entries()).toEqual([
    { epoch: 1, startOffset: 0n },
    { epoch: 2, startOffset: 9n },
  ]);
  const indexAfter = Array.from({ length: again.offsetIndex.entries }, (_, i) => again.offsetIndex.entry(i));
  expect(indexAfter).toEqual(indexBefore.filter((e) => e.offset < 15n));
  expect(logs.lines().join('')).toMatch(
    /WARN .*Found invalid messages in log segment .*00000000000000000000\.log at byte offset \d+: Record is corrupt/,
  );
  again.close();
});

test('findOffsetByTimestamp looks inside batches (also compressed ones with a decompressor)', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  fill(seg, 0n, 10, 3, 1000); // batch i has timestamps 1000+10i .. 1002+10i
  expect(seg.findOffsetByTimestamp(1021n, 0n)).toEqual({ timestamp: 1021n, offset: 7n, leaderEpoch: 0 });
  expect(seg.findOffsetByTimestamp(1023n, 0n)).toEqual({ timestamp: 1030n, offset: 9n, leaderEpoch: 0 });
  expect(seg.findOffsetByTimestamp(0n, 5n)).toEqual({ timestamp: 1012n, offset: 5n, leaderEpoch: 0 });
  expect(seg.findOffsetByTimestamp(5000n, 0n)).toBeNull();
  const gz = makeBatch(30n, 4, { timestamp: 3000, compression: CompressionType.Gzip });
  seg.append(33n, 3003n, 33n, gz);
  const decompress = (t: number, d: Buffer) => decompressSync(t, d);
  expect(seg.findOffsetByTimestamp(3002n, 0n, decompress)).toEqual({
    timestamp: 3002n,
    offset: 32n,
    leaderEpoch: 0,
  });
  expect(seg.findMaxTimestampRecord(decompress)).toEqual({ timestamp: 3003n, offset: 33n, leaderEpoch: 0 });
  // Without a decompressor the batch's first offset and max timestamp answer.
  expect(seg.findOffsetByTimestamp(3002n, 0n)).toEqual({ timestamp: 3003n, offset: 30n, leaderEpoch: 0 });
  seg.close();
});

test('changeFileSuffixes renames every file; deleteIfExists removes them', () => {
  const seg = LogSegment.open(dir, 0n, config(), time);
  fill(seg, 0n, 2);
  seg.closeHandlers();
  seg.changeFileSuffixes('', '.deleted');
  expect(segmentFiles(dir)).toEqual([
    '00000000000000000000.index.deleted',
    '00000000000000000000.log.deleted',
    '00000000000000000000.timeindex.deleted',
  ]);
  seg.deleteIfExists();
  expect(segmentFiles(dir)).toEqual([]);
});

test('a new segment ignores stale index files left under its name', () => {
  fs.writeFileSync(path.join(dir, '00000000000000000000.index'), Buffer.alloc(16, 7));
  const seg = LogSegment.open(dir, 0n, config(), time);
  expect(seg.offsetIndex.entries).toBe(0);
  expect(fs.statSync(seg.offsetIndex.path).size).toBe(1024);
  seg.close();
});
