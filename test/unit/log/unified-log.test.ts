import * as fs from 'fs';
import * as path from 'path';
import {
  CorruptRecordError,
  OffsetOutOfRangeError,
  OffsetsOutOfOrderError,
  RecordBatchTooLargeError,
  UnexpectedAppendOffsetError,
} from '../../../src/log/errors';
import { LogConfig } from '../../../src/log/log-config';
import { Scheduler } from '../../../src/log/scheduler';
import { LogReadOk, LogReadResult, UnifiedLog, UnifiedLogOptions } from '../../../src/log/unified-log';
import * as v2 from '../../../src/protocol/records/batch';
import {
  appendRecords,
  batchRanges,
  captureLogs,
  fileSize,
  leaderInfo,
  makeBatch,
  MockTime,
  rmDir,
  segmentFiles,
  tmpDir,
} from './helpers';

let root: string;
let dir: string;
let time: MockTime;
let scheduler: Scheduler;
let logs: ReturnType<typeof captureLogs>;
const opened: UnifiedLog[] = [];

beforeEach(() => {
  root = tmpDir();
  dir = path.join(root, 'topic-0');
  time = new MockTime();
  scheduler = new Scheduler();
  logs = captureLogs();
});
afterEach(() => {
  for (const l of opened.splice(0)) l.closeHandlers();
  scheduler.shutdown();
  logs.restore();
  rmDir(root);
});

const baseConfig: Record<string, string> = {
  'segment.bytes': '1024',
  'segment.index.bytes': '800',
  'index.interval.bytes': '200',
  'file.delete.delay.ms': '0',
};

function open(overrides: Record<string, string> = {}, opts: Partial<UnifiedLogOptions> = {}): UnifiedLog {
  const log = UnifiedLog.open({
    dir,
    config: LogConfig.of({ ...baseConfig, ...overrides }),
    time,
    scheduler,
    ...opts,
  });
  opened.push(log);
  return log;
}

function ok(r: LogReadResult): LogReadOk {
  if (r.error !== null) throw new Error(`unexpected ${r.error}: ${r.message}`);
  return r;
}

/** Reads the whole log from `from` following segments, as a consumer would. */
function readAll(log: UnifiedLog, from = log.logStartOffset): bigint[] {
  const offsets: bigint[] = [];
  let next = from;
  while (next < log.highWatermark) {
    const r = ok(log.read(next, 1 << 20, 'highWatermark', true));
    const ranges = batchRanges(r.records);
    if (ranges.length === 0) break;
    for (const [first, last] of ranges) for (let o = first; o <= last; o++) if (o >= next) offsets.push(o);
    next = ranges[ranges.length - 1][1] + 1n;
  }
  return offsets;
}

const range = (from: number, to: number): bigint[] =>
  Array.from({ length: to - from }, (_, i) => BigInt(from + i));

const settle = () => new Promise((r) => setTimeout(r, 30));

describe('append and read', () => {
  test('round trip across segment rolls; file names, index sizes while active and after roll/close', () => {
    const log = open();
    for (let i = 0; i < 40; i++) appendRecords(log, 3, { valueSize: 20, timestamp: 1000 + i });
    log.updateHighWatermark(log.logEndOffset);
    expect(log.logEndOffset).toBe(120n);
    expect(log.numberOfSegments).toBeGreaterThan(3);
    expect(readAll(log)).toEqual(range(0, 120));
    const bases = log.logSegments().map((s) => s.baseOffset);
    expect(segmentFiles(dir).filter((f) => f.endsWith('.log'))).toEqual(
      bases.map((b) => `${b.toString().padStart(20, '0')}.log`),
    );
    for (const s of log.logSegments().slice(0, -1)) {
      expect(fileSize(s.log.path)).toBeLessThanOrEqual(1024);
      expect(fileSize(s.offsetIndex.path)).toBe(s.offsetIndex.entries * 8);
      expect(fileSize(s.timeIndex.path)).toBe(s.timeIndex.entries * 12);
      expect(s.offsetIndex.entries).toBeGreaterThan(0);
    }
    const active = log.activeSegment;
    expect(fileSize(active.offsetIndex.path)).toBe(800);
    expect(fileSize(active.timeIndex.path)).toBe(792);
    log.close();
    expect(fileSize(active.offsetIndex.path)).toBe(active.offsetIndex.entries * 8);
    expect(fileSize(active.timeIndex.path)).toBe(active.timeIndex.entries * 12);
  });

  test('a read serves one segment: from the batch holding the offset to the bound', () => {
    const log = open();
    const batches: Buffer[] = [];
    for (let i = 0; i < 20; i++) batches.push(appendRecords(log, 3, { valueSize: 20 }));
    log.updateHighWatermark(log.logEndOffset);
    const second = log.logSegments()[1];
    const r = ok(log.read(second.baseOffset + 1n, 1 << 20, 'highWatermark', false));
    expect(batchRanges(r.records)[0][0]).toBe(second.baseOffset);
    expect(r.records.length).toBe(second.size);
    expect(r.fetchOffsetMetadata).toEqual({
      messageOffset: second.baseOffset + 1n,
      segmentBaseOffset: second.baseOffset,
      relativePositionInSegment: 0,
    });
    expect(r.highWatermark).toBe(60n);
    expect(r.logStartOffset).toBe(0n);
    expect(r.lastStableOffset).toBe(60n);
    expect(r.logEndOffset).toBe(60n);
    // maxBytes smaller than a batch: cut, unless minOneMessage.
    expect(ok(log.read(0n, 10, 'highWatermark', false)).records.length).toBe(10);
    expect(ok(log.read(0n, 10, 'highWatermark', true)).records.equals(batches[0])).toBe(true);
  });

  test('isolation bounds: high watermark for consumers, log end for followers', () => {
    const log = open({ 'segment.bytes': '100000' });
    const batches: Buffer[] = [];
    for (let i = 0; i < 5; i++) batches.push(appendRecords(log, 2));
    expect(log.highWatermark).toBe(0n);
    expect(ok(log.read(0n, 1 << 20, 'highWatermark', true)).records.length).toBe(0);
    log.updateHighWatermark(6n);
    expect(
      ok(log.read(0n, 1 << 20, 'highWatermark', true)).records.equals(Buffer.concat(batches.slice(0, 3))),
    ).toBe(true);
    expect(
      ok(log.read(0n, 1 << 20, 'txnCommitted', true)).records.equals(Buffer.concat(batches.slice(0, 3))),
    ).toBe(true);
    expect(ok(log.read(0n, 1 << 20, 'logEnd', true)).records.equals(Buffer.concat(batches))).toBe(true);
    expect(ok(log.read(6n, 1 << 20, 'highWatermark', true)).records.length).toBe(0);
    expect(ok(log.read(8n, 1 << 20, 'highWatermark', true)).records.length).toBe(0); // above HW, below LEO
    expect(ok(log.read(10n, 1 << 20, 'logEnd', true)).records.length).toBe(0); // at LEO
    // HW inside a batch: that batch stays hidden.
    log.updateHighWatermark(5n);
    expect(batchRanges(ok(log.read(0n, 1 << 20, 'highWatermark', true)).records)).toEqual([
      [0n, 1n],
      [2n, 3n],
    ]);
    expect(log.updateHighWatermark(100n)).toBe(10n); // clamped to the log end
  });

  test('offsets outside [logStartOffset, logEndOffset] are OFFSET_OUT_OF_RANGE', () => {
    const log = open();
    appendRecords(log, 5);
    const r = log.read(6n, 100, 'logEnd', false);
    expect(r.error).toBe('OFFSET_OUT_OF_RANGE');
    if (r.error) {
      expect(r.errorCode).toBe(1);
      expect(r.message).toMatch(
        /Received request for offset 6 for partition topic-0, but we only have log segments upto 5/,
      );
      expect(r.logEndOffset).toBe(5n);
    }
    log.updateHighWatermark(5n);
    log.deleteRecordsBefore(3n);
    const below = log.read(2n, 100, 'highWatermark', false);
    expect(below.error).toBe('OFFSET_OUT_OF_RANGE');
    if (below.error) expect(below.message).toMatch(/starting from offset: 3/);
  });

  test('appendAsLeader checks the assigned offsets and the size', () => {
    const log = open();
    appendRecords(log, 3);
    const wrong = makeBatch(1n, 2);
    expect(() => log.appendAsLeader(wrong, 0, leaderInfo(wrong))).toThrow(UnexpectedAppendOffsetError);
    const huge = makeBatch(3n, 1, { valueSize: 2000 });
    const err = (() => {
      try {
        log.appendAsLeader(huge, 0, leaderInfo(huge));
      } catch (e) {
        return e as RecordBatchTooLargeError;
      }
    })();
    expect(err).toBeInstanceOf(RecordBatchTooLargeError);
    expect(err?.errorCode).toBe(18);
    expect(log.logEndOffset).toBe(3n);
    const result = log.appendAsLeader(makeBatch(3n, 2), 0, leaderInfo(makeBatch(3n, 2)));
    expect(result).toEqual({
      firstOffset: 3n,
      lastOffset: 4n,
      logStartOffset: 0n,
      logEndOffset: 5n,
      validBytes: makeBatch(3n, 2).length,
    });
  });

  test('a write-behind append is served to replicas at once and counts as written only once in the file', async () => {
    const log = open();
    appendRecords(log, 3);
    const b = makeBatch(3n, 2);
    log.appendAsLeader(b, 0, leaderInfo(b), true);
    expect(log.logEndOffset).toBe(5n);
    expect(log.writtenEndOffset).toBe(3n);
    expect(log.hasPendingWrites).toBe(true);
    // a follower's fetch (up to the log end) gets the queued batch
    const r = log.read(3n, 1 << 20, 'logEnd', true);
    expect(r.error).toBeNull();
    if (r.error === null) expect(r.records.equals(b)).toBe(true);
    await log.whenWritten();
    expect(log.writtenEndOffset).toBe(5n);
    expect(log.hasPendingWrites).toBe(false);
  });

  test('onAppend and onHighWatermarkUpdate hooks fire (delayed fetch wake-ups)', () => {
    const log = open();
    const events: unknown[] = [];
    const off = log.onAppend((e) => events.push(e));
    log.onHighWatermarkUpdate((hw) => events.push(`hw=${hw}`));
    const b = appendRecords(log, 4);
    log.updateHighWatermark(4n);
    log.updateHighWatermark(4n); // unchanged: no event
    off();
    appendRecords(log, 1);
    expect(events).toEqual([
      { firstOffset: 0n, lastOffset: 3n, logEndOffset: 4n, sizeInBytes: b.length },
      'hw=4',
    ]);
  });

  test('segment.ms rolls by record time of the first batch', () => {
    const log = open({ 'segment.ms': '1000', 'segment.bytes': '100000' });
    appendRecords(log, 1, { timestamp: 10_000 });
    appendRecords(log, 1, { timestamp: 10_900 });
    expect(log.numberOfSegments).toBe(1);
    appendRecords(log, 1, { timestamp: 11_001 });
    expect(log.logSegments().map((s) => s.baseOffset)).toEqual([0n, 2n]);
  });

  test('flush.messages flushes on append; rolls flush the old segment in the background', async () => {
    const log = open({ 'flush.messages': '2', 'segment.bytes': '100000' });
    appendRecords(log, 1);
    expect(log.recoveryPoint).toBe(0n);
    appendRecords(log, 1);
    expect(log.recoveryPoint).toBe(2n);
    const other = UnifiedLog.open({
      dir: path.join(root, 'other-0'),
      config: LogConfig.of(baseConfig),
      time,
      scheduler,
    });
    opened.push(other);
    for (let i = 0; i < 20; i++) appendRecords(other, 3, { valueSize: 20 });
    await other.awaitPendingFlushes();
    expect(other.recoveryPoint).toBe(other.activeSegment.baseOffset);
    other.flush();
    expect(other.recoveryPoint).toBe(60n);
  });
});

describe('follower appends', () => {
  test('batches are appended as-is; a truncated trailing batch is dropped; epochs come from the batches', () => {
    const log = open({ 'segment.bytes': '100000' });
    const a = makeBatch(0n, 3, { epoch: 1 });
    const b = makeBatch(3n, 2, { epoch: 1 });
    const c = makeBatch(5n, 4, { epoch: 4 });
    const d = makeBatch(9n, 1, { epoch: 4 });
    const result = log.appendAsFollower(Buffer.concat([a, b, c, d.subarray(0, 30)]));
    expect(result).toEqual({
      firstOffset: 0n,
      lastOffset: 8n,
      logStartOffset: 0n,
      logEndOffset: 9n,
      validBytes: a.length + b.length + c.length,
    });
    expect(log.leaderEpochCache.entries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 4, startOffset: 5n },
    ]);
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n2\n1 0\n4 5\n');
    expect(ok(log.read(0n, 1 << 20, 'logEnd', false)).records.equals(Buffer.concat([a, b, c]))).toBe(true);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 5n });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 9n });
    expect(log.appendAsFollower(d.subarray(0, 10)).firstOffset).toBe(-1n);
  });

  test('bad follower data is refused', () => {
    const log = open();
    log.appendAsFollower(makeBatch(0n, 3));
    expect(() => log.appendAsFollower(makeBatch(2n, 3))).toThrow(UnexpectedAppendOffsetError);
    const corrupt = makeBatch(3n, 3);
    corrupt[corrupt.length - 1] ^= 1;
    expect(() => log.appendAsFollower(corrupt)).toThrow(CorruptRecordError);
    expect(() => log.appendAsFollower(Buffer.concat([makeBatch(5n, 1), makeBatch(3n, 1)]))).toThrow(
      OffsetsOutOfOrderError,
    );
    expect(log.logEndOffset).toBe(3n);
  });

  test('an offset jump beyond int32 of the segment base rolls a new segment', () => {
    const log = open({ 'segment.bytes': '100000' });
    log.appendAsFollower(makeBatch(0n, 1));
    log.appendAsFollower(makeBatch(3_000_000_000n, 1));
    expect(log.logSegments().map((s) => s.baseOffset)).toEqual([0n, 3_000_000_000n]);
    expect(segmentFiles(dir)).toContain('00000000003000000000.log');
  });
});

describe('leader epochs', () => {
  test('new epochs are checkpointed when appended; the text is exact', () => {
    const log = open({ 'segment.bytes': '100000' });
    appendRecords(log, 3, { epoch: 0 });
    appendRecords(log, 3, { epoch: 0 });
    appendRecords(log, 2, { epoch: 2 });
    log.assignEpochStartOffset(5, log.logEndOffset); // a new leader at the log end
    appendRecords(log, 1, { epoch: 5 });
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n3\n0 0\n2 6\n5 8\n');
    expect(log.latestEpoch()).toBe(5);
    expect(log.epochForOffset(7n)).toBe(2);
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 6n });
    expect(log.endOffsetForEpoch(-1)).toBeNull();
  });
});

describe('recovery after an unclean shutdown', () => {
  function writeAndCrash(epochs: number[]): Buffer[] {
    const log = open({ 'segment.bytes': '100000' });
    const batches = epochs.map((epoch) => appendRecords(log, 3, { epoch, valueSize: 30 }));
    log.closeHandlers(); // no trimming, no flush: what a crash leaves behind
    opened.splice(opened.indexOf(log), 1);
    return batches;
  }
  const logFile = () => path.join(dir, '00000000000000000000.log');
  const reopen = () => open({ 'segment.bytes': '100000' }, { hadCleanShutdown: false, recoveryPoint: 0n });

  function expectRecovered(log: UnifiedLog, batches: Buffer[], keep: number) {
    expect(log.logEndOffset).toBe(BigInt(keep * 3));
    log.updateHighWatermark(log.logEndOffset);
    expect(readAll(log)).toEqual(range(0, keep * 3));
    expect(fileSize(logFile())).toBe(batches.slice(0, keep).reduce((a, b) => a + b.length, 0));
    const seg = log.activeSegment;
    for (let i = 0; i < seg.offsetIndex.entries; i++)
      expect(seg.offsetIndex.entry(i).offset).toBeLessThan(BigInt(keep * 3));
    expect(seg.offsetIndex.entries).toBeGreaterThan(0);
    // The next append continues right after the recovered data.
    appendRecords(log, 1, { epoch: 1 });
    expect(log.logEndOffset).toBe(BigInt(keep * 3 + 1));
  }

  test('a corrupt byte in the last batch: it is dropped with a warning; epoch cache trimmed', () => {
    const batches = writeAndCrash([0, 0, 0, 0, 0, 0, 0, 1]);
    const bytes = fs.readFileSync(logFile());
    bytes[bytes.length - 5] ^= 0x55;
    fs.writeFileSync(logFile(), bytes);
    const log = reopen();
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 0, startOffset: 0n }]);
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n0 0\n');
    expectRecovered(log, batches, 7);
    expect(logs.lines().join('')).toMatch(
      /WARN .*Found invalid messages in log segment .* at byte offset \d+: Record is corrupt/,
    );
  });

  test('the file cut in the middle of a batch', () => {
    const batches = writeAndCrash([0, 0, 0, 0, 0]);
    fs.truncateSync(logFile(), fileSize(logFile()) - 17);
    expectRecovered(reopen(), batches, 4);
    expect(logs.lines().join('')).toMatch(/WARN .*Found invalid messages/);
  });

  test('garbage after the last batch', () => {
    const batches = writeAndCrash([0, 0, 0, 0]);
    fs.appendFileSync(logFile(), Buffer.from('this is not a record batch at all, just junk bytes'));
    expectRecovered(reopen(), batches, 4);
  });

  test('zeros after the last batch (preallocated space, untrimmed index)', () => {
    const batches = writeAndCrash([0, 0, 0]);
    fs.appendFileSync(logFile(), Buffer.alloc(500));
    expectRecovered(reopen(), batches, 3);
  });

  test('corruption in an older segment deletes every later segment', () => {
    const log = open();
    for (let i = 0; i < 30; i++) appendRecords(log, 3, { valueSize: 20 });
    const segments = log.logSegments();
    expect(segments.length).toBeGreaterThan(3);
    log.closeHandlers();
    const victim = segments[1];
    const bytes = fs.readFileSync(victim.log.path);
    bytes[bytes.length - 2] ^= 0xff;
    fs.writeFileSync(victim.log.path, bytes);
    const again = open({}, { hadCleanShutdown: false, recoveryPoint: 0n });
    expect(again.numberOfSegments).toBe(2);
    expect(again.logEndOffset).toBe(segments[2].baseOffset - 3n);
    expect(segmentFiles(dir).filter((f) => f.endsWith('.log'))).toHaveLength(2);
  });

  test('recovery starts at the segment holding the recovery point', () => {
    const log = open();
    for (let i = 0; i < 30; i++) appendRecords(log, 3, { valueSize: 20 });
    const segments = log.logSegments();
    log.closeHandlers();
    // Corrupt a segment below the recovery point: not looked at.
    const old = segments[0];
    const bytes = fs.readFileSync(old.log.path);
    bytes[bytes.length - 2] ^= 0xff;
    fs.writeFileSync(old.log.path, bytes);
    const again = open({}, { hadCleanShutdown: false, recoveryPoint: segments[2].baseOffset + 1n });
    expect(again.numberOfSegments).toBe(segments.length);
    expect(again.logEndOffset).toBe(90n);
    expect(again.recoveryPoint).toBe(segments[2].baseOffset + 1n);
    expect(logs.lines().join('')).toMatch(
      new RegExp(`Recovering unflushed segment ${segments[2].baseOffset}\\b`),
    );
  });

  test('missing and corrupt index files are rebuilt', () => {
    const log = open();
    for (let i = 0; i < 20; i++) appendRecords(log, 3, { valueSize: 20 });
    log.updateHighWatermark(60n);
    const segments = log.logSegments();
    const entries = segments[0].offsetIndex.entries;
    log.close();
    fs.unlinkSync(segments[0].offsetIndex.path);
    fs.writeFileSync(segments[1].offsetIndex.path, Buffer.alloc(64)); // garbage, below the recovery point
    const again = open({}, { hadCleanShutdown: true, highWatermark: 60n });
    expect(again.logSegments()[0].offsetIndex.entries).toBe(entries);
    expect(readAll(again)).toEqual(range(0, 60));
    expect(logs.lines().join('')).toMatch(/Rebuilding the index files/);
  });
});

describe('ListOffsets by timestamp', () => {
  test('earliest, latest, max timestamp and a timestamp search across segments', () => {
    const log = open();
    for (let i = 0; i < 30; i++)
      appendRecords(log, 3, { timestamp: 10_000 + i * 100, valueSize: 20, epoch: i < 15 ? 1 : 2 });
    log.updateHighWatermark(log.logEndOffset);
    expect(log.fetchOffsetByTimestamp(-2n)).toEqual({ timestamp: -1n, offset: 0n, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(-1n)).toEqual({ timestamp: -1n, offset: 90n, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(-3n)).toEqual({ timestamp: 12_902n, offset: 89n, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(0n)).toEqual({ timestamp: 10_000n, offset: 0n, leaderEpoch: 1 });
    // Batch i has records at 10000+100i .. +2 with offsets 3i .. 3i+2.
    expect(log.fetchOffsetByTimestamp(11_001n)).toEqual({ timestamp: 11_001n, offset: 31n, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(11_003n)).toEqual({ timestamp: 11_100n, offset: 33n, leaderEpoch: 1 });
    expect(log.fetchOffsetByTimestamp(12_500n)).toEqual({ timestamp: 12_500n, offset: 75n, leaderEpoch: 2 });
    expect(log.fetchOffsetByTimestamp(13_000n)).toBeNull();
    log.deleteRecordsBefore(40n);
    expect(log.fetchOffsetByTimestamp(-2n)?.offset).toBe(40n);
    expect(log.fetchOffsetByTimestamp(0n)).toEqual({ timestamp: 11_301n, offset: 40n, leaderEpoch: 1 });
  });
});

describe('retention', () => {
  const day = 24 * 3600 * 1000;

  test('by time: segments whose newest record is older than retention.ms; files go via .deleted', async () => {
    const log = open({ 'retention.ms': String(7 * day) });
    const old = time.now - 10 * day;
    for (let i = 0; i < 20; i++) appendRecords(log, 3, { timestamp: old + i, valueSize: 20 });
    const oldSegments = log.numberOfSegments;
    for (let i = 0; i < 20; i++) appendRecords(log, 3, { timestamp: time.now + i, valueSize: 20 });
    // Segments holding only old records go; the first one with a new record stays.
    const firstNewIndex = log.logSegments().findIndex((s) => s.maxTimestampSoFar >= BigInt(time.now));
    expect(firstNewIndex).toBeGreaterThanOrEqual(oldSegments - 1);
    // Nothing goes above the high watermark.
    expect(log.deleteOldSegments()).toBe(0);
    log.updateHighWatermark(log.logEndOffset);
    const deleted = log.deleteOldSegments();
    expect(deleted).toBe(firstNewIndex);
    expect(log.logSegments()[0].maxTimestampSoFar).toBeGreaterThanOrEqual(BigInt(time.now));
    expect(log.logStartOffset).toBe(log.logSegments()[0].baseOffset);
    expect(segmentFiles(dir).some((f) => f.endsWith('.log.deleted'))).toBe(true);
    await settle();
    expect(segmentFiles(dir).some((f) => f.endsWith('.deleted'))).toBe(false);
    expect(readAll(log)).toEqual(range(Number(log.logStartOffset), 120));
    expect(logs.lines().join('')).toMatch(
      /Deleting segment LogSegment\(baseOffset=0, size=\d+\) due to retention time 604800000ms breach/,
    );
  });

  test('by time, everything expired: an empty active segment is rolled first', () => {
    const log = open({ 'retention.ms': '1000', 'segment.bytes': '100000' });
    appendRecords(log, 5, { timestamp: time.now - 5000 });
    log.updateHighWatermark(5n);
    expect(log.deleteOldSegments()).toBe(1);
    expect(log.logSegments().map((s) => s.baseOffset)).toEqual([5n]);
    expect(log.logStartOffset).toBe(5n);
    expect(log.logEndOffset).toBe(5n);
    expect(log.deleteOldSegments()).toBe(0); // an empty last segment is never deleted
  });

  test('by size: oldest segments while the log exceeds retention.bytes', () => {
    const log = open({ 'retention.bytes': '2500', 'retention.ms': '-1' });
    for (let i = 0; i < 30; i++) appendRecords(log, 3, { valueSize: 20 });
    log.updateHighWatermark(log.logEndOffset);
    const before = log.size;
    const deleted = log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    expect(log.size).toBeLessThanOrEqual(before);
    expect(log.size).toBeGreaterThanOrEqual(2500 - 1024);
    // One more segment would take it below retention.bytes: not deleted.
    expect(log.size - log.logSegments()[0].size).toBeLessThan(2500);
    expect(log.deleteOldSegments()).toBe(0);
  });

  test('by log start offset (after DeleteRecords), also for compacted topics', () => {
    const log = open({ 'cleanup.policy': 'compact', 'retention.ms': '1' });
    for (let i = 0; i < 30; i++) appendRecords(log, 3, { valueSize: 20, timestamp: 1 });
    log.updateHighWatermark(log.logEndOffset);
    const third = log.logSegments()[2];
    log.deleteRecordsBefore(third.baseOffset + 1n);
    expect(log.deleteOldSegments()).toBe(2); // retention.ms does not apply to compact-only topics
    expect(log.logSegments()[0]).toBe(third);
    expect(log.logStartOffset).toBe(third.baseOffset + 1n);
  });
});

describe('DeleteRecords', () => {
  test('moves the log start offset up to the high watermark; -1 means the high watermark', () => {
    const log = open({ 'segment.bytes': '100000' });
    appendRecords(log, 3, { epoch: 1 });
    appendRecords(log, 3, { epoch: 2 });
    log.updateHighWatermark(4n);
    expect(log.deleteRecordsBefore(2n)).toBe(2n);
    expect(log.deleteRecordsBefore(1n)).toBe(2n); // never backwards
    expect(() => log.deleteRecordsBefore(5n)).toThrow(OffsetOutOfRangeError);
    expect(log.deleteRecordsBefore(-1n)).toBe(4n);
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 2, startOffset: 4n }]);
    expect(batchRanges(ok(log.read(4n, 1000, 'logEnd', false)).records)).toEqual([[3n, 5n]]);
  });
});

describe('truncation', () => {
  test('truncateTo inside a segment and across segments', () => {
    const log = open();
    for (let i = 0; i < 30; i++) appendRecords(log, 3, { valueSize: 20, epoch: i < 20 ? 1 : 3 });
    log.updateHighWatermark(90n);
    const truncEvents: bigint[] = [];
    log.onTruncate((leo) => truncEvents.push(leo));
    expect(log.truncateTo(100n)).toBe(false);
    const target = log.logSegments()[1].baseOffset + 3n;
    expect(log.truncateTo(target)).toBe(true);
    expect(log.logEndOffset).toBe(target);
    expect(log.numberOfSegments).toBe(2);
    expect(log.highWatermark).toBe(target);
    expect(log.leaderEpochCache.entries()).toEqual([{ epoch: 1, startOffset: 0n }]);
    expect(truncEvents).toEqual([target]);
    expect(readAll(log)).toEqual(range(0, Number(target)));
    // The truncated segment is active again: appends continue in it with full-size indexes.
    expect(fileSize(log.activeSegment.offsetIndex.path)).toBe(800);
    appendRecords(log, 3, { epoch: 4 });
    expect(log.logEndOffset).toBe(target + 3n);
    expect(log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: target });
  });

  test('truncateTo below the first segment and truncateFullyAndStartAt restart the log', () => {
    const log = open();
    for (let i = 0; i < 10; i++) appendRecords(log, 3, { valueSize: 20 });
    log.updateHighWatermark(30n);
    log.deleteOldSegments();
    log.truncateFullyAndStartAt(500n);
    expect(log.logSegments().map((s) => s.baseOffset)).toEqual([500n]);
    expect(log.logStartOffset).toBe(500n);
    expect(log.logEndOffset).toBe(500n);
    expect(log.highWatermark).toBe(500n);
    expect(log.leaderEpochCache.entries()).toEqual([]);
    log.appendAsFollower(makeBatch(500n, 2, { epoch: 7 }));
    expect(log.logEndOffset).toBe(502n);
    expect(segmentFiles(dir).filter((f) => f.endsWith('.log'))).toEqual(['00000000000000000500.log']);
  });
});

describe('topic id and lifecycle', () => {
  test('partition.metadata is written and checked', () => {
    const log = open({}, { topicId: 'MTIzNDU2Nzg5MDEyMzQ1Ng' });
    expect(fs.readFileSync(path.join(dir, 'partition.metadata'), 'utf8')).toBe(
      'version: 0\ntopic_id: MTIzNDU2Nzg5MDEyMzQ1Ng',
    );
    expect(() => log.assignTopicId('ZXhhbXBsZXRvcGljaWQhIQ')).toThrow(/already contained topic ID/);
    log.close();
    expect(open().topicId).toBe('MTIzNDU2Nzg5MDEyMzQ1Ng');
  });

  test('close then reopen keeps everything; delete removes the directory', () => {
    const log = open();
    for (let i = 0; i < 10; i++) appendRecords(log, 3, { valueSize: 20, timestamp: 5000 + i });
    log.close();
    const again = open({}, { highWatermark: 30n });
    expect(again.logEndOffset).toBe(30n);
    expect(again.highWatermark).toBe(30n);
    expect(readAll(again)).toEqual(range(0, 30));
    expect(again.fetchOffsetByTimestamp(-3n)?.timestamp).toBe(5011n);
    again.delete();
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('batch headers on disk are unchanged bytes of what was appended', () => {
    const log = open({ 'segment.bytes': '100000' });
    const b = appendRecords(log, 3);
    log.close();
    const onDisk = fs.readFileSync(path.join(dir, '00000000000000000000.log'));
    expect(onDisk.equals(b)).toBe(true);
    expect(v2.isValidCrc(onDisk)).toBe(true);
  });
});
