// Idempotent producer state (Kafka's ProducerStateManager) on real logs in temp dirs: duplicate
// detection over the last 5 batches, epoch fencing, sequence gaps and wrap-around, follower
// appends, rebuild from `.snapshot` files or a header scan on load, after truncation, expiry,
// and the hook in the leader's produce path.

import * as fs from 'fs';
import * as path from 'path';
import { LogConfig } from '../../../src/log/log-config';
import {
  checkProducerAppend,
  CorruptSnapshotError,
  decodeSnapshot,
  decrementSequence,
  encodeSnapshot,
  incrementSequence,
  inSequence,
  ProducerStateEntry,
  snapshotFile,
} from '../../../src/log/producer-state-manager';
import { Scheduler } from '../../../src/log/scheduler';
import { UnifiedLog, UnifiedLogOptions } from '../../../src/log/unified-log';
import { ErrorCode } from '../../../src/protocol/errors';
import { assignOffsets } from '../../../src/protocol/records/assign';
import * as v2 from '../../../src/protocol/records/batch';
import { buildRecordBatchSync, TimestampType } from '../../../src/protocol/records/records';
import { FakeContext, leaderAndIsr, newPartition, TestEnv } from '../replication/helpers';
import { captureLogs, MockTime, rmDir, tmpDir } from './helpers';

const INT32_MAX = 0x7fffffff;
const PID = 1000n;

let root: string;
let dir: string;
let time: MockTime;
let scheduler: Scheduler;
let logs: ReturnType<typeof captureLogs>;
const opened: UnifiedLog[] = [];

beforeEach(() => {
  root = tmpDir('samsa-psm-');
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

function open(config: Record<string, string> = {}, opts: Partial<UnifiedLogOptions> = {}): UnifiedLog {
  const log = UnifiedLog.open({
    dir,
    config: LogConfig.of({ 'file.delete.delay.ms': '0', ...config }),
    time,
    scheduler,
    ...opts,
  });
  opened.push(log);
  return log;
}

/** Closes like a clean shutdown (writes the producer snapshot) and forgets the log. */
function closeClean(log: UnifiedLog): void {
  log.close();
  opened.splice(opened.indexOf(log), 1);
}

/** Drops file handles like a crash (no snapshot at close). */
function crash(log: UnifiedLog): void {
  log.closeHandlers();
  opened.splice(opened.indexOf(log), 1);
}

/** A fresh client batch (base offset 0) of an idempotent producer. */
function idem(
  seq: number,
  count = 2,
  opts: { pid?: bigint; epoch?: number; transactional?: boolean; valueSize?: number } = {},
): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({
    key: `k${seq}-${i}`,
    value: Buffer.alloc(opts.valueSize ?? 10, 0x61 + (i % 26)),
    timestamp: BigInt(time.now + i),
  }));
  return buildRecordBatchSync(records, {
    producerId: opts.pid ?? PID,
    producerEpoch: opts.epoch ?? 0,
    baseSequence: seq,
    isTransactional: opts.transactional,
  });
}

interface Produced {
  errorCode: number;
  baseOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
  logStartOffset: bigint;
}

/** The leader path after validation: producer check, offset assignment, append. */
function produce(log: UnifiedLog, batch: Buffer, logAppendTime = false): Produced {
  const short = checkProducerAppend(log, batch, 'client', 0);
  if (short) return short;
  const a = assignOffsets(
    batch,
    log.logEndOffset,
    0,
    logAppendTime ? TimestampType.LogAppendTime : TimestampType.CreateTime,
    time.now,
  );
  log.appendAsLeader(batch, 0, {
    firstOffset: a.firstOffset,
    lastOffset: a.lastOffset,
    maxTimestamp: a.maxTimestamp,
    offsetOfMaxTimestamp: a.shallowOffsetOfMaxTimestamp,
    recordCount: v2.recordsCount(batch),
  });
  return {
    errorCode: ErrorCode.NONE,
    baseOffset: a.firstOffset,
    lastOffset: a.lastOffset,
    logAppendTime: a.logAppendTime,
    logStartOffset: log.logStartOffset,
  };
}

function expectOk(r: Produced, baseOffset: bigint): void {
  expect(r.errorCode).toBe(ErrorCode.NONE);
  expect(r.baseOffset).toBe(baseOffset);
}

/** Every batch's [baseOffset, baseSequence] in the log. */
function logBatches(log: UnifiedLog): [bigint, number][] {
  const out: [bigint, number][] = [];
  for (const s of log.logSegments()) {
    const bytes = fs.readFileSync(s.log.path);
    for (let pos = 0; pos + v2.RECORD_BATCH_OVERHEAD <= bytes.length; pos += v2.sizeInBytes(bytes, pos))
      out.push([v2.baseOffset(bytes, pos), v2.baseSequence(bytes, pos)]);
  }
  return out;
}

const snapshots = () =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.snapshot'))
    .sort();

describe('sequence arithmetic', () => {
  test('wraps from Integer.MAX_VALUE to 0', () => {
    expect(incrementSequence(5, 3)).toBe(8);
    expect(incrementSequence(INT32_MAX, 1)).toBe(0);
    expect(incrementSequence(INT32_MAX - 1, 3)).toBe(1);
    expect(decrementSequence(1, 3)).toBe(INT32_MAX - 1);
    expect(decrementSequence(0, 1)).toBe(INT32_MAX);
    expect(inSequence(4, 5)).toBe(true);
    expect(inSequence(INT32_MAX, 0)).toBe(true);
    expect(inSequence(4, 6)).toBe(false);
    expect(inSequence(-1, 0)).toBe(true);
  });
});

describe('leader checks', () => {
  test('a retry of any of the last 5 batches gets its original offsets and is not appended again', () => {
    const log = open();
    const offsets: bigint[] = [];
    for (let i = 0; i < 6; i++) {
      const r = produce(log, idem(i * 2));
      expectOk(r, BigInt(i * 2));
      offsets.push(r.baseOffset);
    }
    expect(log.logEndOffset).toBe(12n);
    // Batches 1..5 are cached: each retry answers with the original base/last offset.
    for (let i = 1; i < 6; i++) {
      const r = produce(log, idem(i * 2));
      expect(r).toMatchObject({
        errorCode: ErrorCode.NONE,
        baseOffset: offsets[i],
        lastOffset: offsets[i] + 1n,
        logAppendTime: BigInt(time.now + 1), // the cached batch's max timestamp
        logStartOffset: 0n,
      });
    }
    expect(log.logEndOffset).toBe(12n);
    // The first batch fell out of the window: a retry of it is out of sequence.
    expect(produce(log, idem(0)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A batch with the same first but a different last sequence is no duplicate either.
    expect(produce(log, idem(10, 1)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expectOk(produce(log, idem(12)), 12n);
    expect(logBatches(log).map(([, seq]) => seq)).toEqual([0, 2, 4, 6, 8, 10, 12]);
    const entry = log.producerStateManager.lastEntry(PID)!;
    expect(entry.batches.map((b) => b.lastSeq)).toEqual([5, 7, 9, 11, 13]);
  });

  test('LogAppendTime topics: a duplicate reports the append time of the original', () => {
    const log = open({ 'message.timestamp.type': 'LogAppendTime' });
    const first = produce(log, idem(0), true);
    expect(first.logAppendTime).toBe(BigInt(time.now));
    time.now += 5000;
    const retry = produce(log, idem(0), true);
    expect(retry).toMatchObject({ baseOffset: 0n, lastOffset: 1n, logAppendTime: first.logAppendTime });
  });

  test('epoch fencing: an older epoch is INVALID_PRODUCER_EPOCH, a new epoch must start at 0', () => {
    const log = open();
    expectOk(produce(log, idem(0, 2, { epoch: 3 })), 0n);
    expect(produce(log, idem(2, 2, { epoch: 2 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(produce(log, idem(0, 2, { epoch: 2 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(produce(log, idem(2, 2, { epoch: 4 })).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expectOk(produce(log, idem(0, 2, { epoch: 4 })), 2n);
    // The new epoch forgot the old epoch's batches.
    expect(log.producerStateManager.lastEntry(PID)!.producerEpoch).toBe(4);
    expect(log.producerStateManager.lastEntry(PID)!.batches).toHaveLength(1);
    expect(produce(log, idem(0, 2, { epoch: 3 })).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(log.logEndOffset).toBe(4n);
    expect(logs.lines().join('')).toContain('InvalidProducerEpochException: Epoch of producer 1000');
  });

  test('sequence gaps are OUT_OF_ORDER_SEQUENCE_NUMBER; an unknown producer may start anywhere', () => {
    const log = open();
    expectOk(produce(log, idem(42, 3)), 0n); // unknown producer: any first sequence
    expect(produce(log, idem(46)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(produce(log, idem(44)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expectOk(produce(log, idem(45)), 3n);
    // Producers are independent.
    expectOk(produce(log, idem(7, 1, { pid: 7n })), 5n);
    expect(log.logEndOffset).toBe(6n);
    expect(logs.lines().join('')).toContain(
      'OutOfOrderSequenceException: Out of order sequence number for producer 1000 at offset 3 in partition topic-0: 46 (incoming seq. number), 44 (current end sequence number)',
    );
  });

  test('sequences wrap from Integer.MAX_VALUE to 0', () => {
    const log = open();
    expectOk(produce(log, idem(INT32_MAX - 1, 3)), 0n); // sequences MAX-1, MAX, 0
    expect(log.producerStateManager.lastEntry(PID)!.lastSeq).toBe(0);
    expect(produce(log, idem(INT32_MAX - 1, 3))).toMatchObject({ baseOffset: 0n, lastOffset: 2n });
    expect(produce(log, idem(2)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expectOk(produce(log, idem(1)), 3n);
    const log2Dir = path.join(root, 'other-0');
    const other = UnifiedLog.open({ dir: log2Dir, config: LogConfig.of({}), time, scheduler });
    opened.push(other);
    expectOk(produce(other, idem(INT32_MAX, 1)), 0n);
    expectOk(produce(other, idem(0, 1)), 1n);
  });

  test('non-transactional batches while a transaction is open are INVALID_TXN_STATE', () => {
    const log = open();
    expectOk(produce(log, idem(0, 1, { transactional: true })), 0n);
    expect(produce(log, idem(1, 1)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expectOk(produce(log, idem(1, 1, { transactional: true })), 1n);
    expect(log.producerStateManager.lastEntry(PID)!.currentTxnFirstOffset).toBe(0n);
  });

  test('batches without a producer id are not tracked', () => {
    const log = open();
    const plain = buildRecordBatchSync([{ value: 'x', timestamp: BigInt(time.now) }], {});
    expectOk(produce(log, plain), 0n);
    expect(log.producerStateManager.isEmpty).toBe(true);
    expect(log.producerStateManager.mapEndOffset).toBe(1n);
  });
});

describe('followers', () => {
  test('a follower learns the producer state from replicated batches and detects the retry', () => {
    const leader = open();
    for (let i = 0; i < 3; i++) produce(leader, idem(i * 2));
    const followerDir = path.join(root, 'topic-1');
    const follower = UnifiedLog.open({ dir: followerDir, config: LogConfig.of({}), time, scheduler });
    opened.push(follower);
    const read = leader.read(0n, 1 << 20, 'logEnd', true);
    if (read.error !== null) throw new Error('read failed');
    follower.appendAsFollower(Buffer.from(read.records));
    // The follower becomes leader: the client retries its last two batches.
    expect(produce(follower, idem(4))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 4n });
    expect(produce(follower, idem(2))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2n });
    expectOk(produce(follower, idem(6)), 6n);
    expect(follower.logEndOffset).toBe(8n);
  });
});

describe('snapshots and rebuilds', () => {
  const smallSegments = { 'segment.bytes': '400' };

  test('a snapshot is taken at every roll and on close, in Kafka’s format', () => {
    const log = open(smallSegments);
    for (let i = 0; i < 8; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    const bases = log.logSegments().map((s) => s.baseOffset);
    expect(bases.length).toBeGreaterThan(2);
    // One snapshot per rolled segment base (older ones may be pruned after flushes).
    for (const f of snapshots()) expect(bases).toContain(BigInt(f.slice(0, 20)));
    closeClean(log);
    const latest = snapshotFile(dir, 16n);
    expect(fs.existsSync(latest)).toBe(true);
    const bytes = fs.readFileSync(latest);
    expect(bytes.readInt16BE(0)).toBe(1); // version
    expect(bytes.readInt32BE(6)).toBe(1); // entries
    expect(bytes.length).toBe(10 + 46);
    const [entry] = decodeSnapshot(bytes);
    expect(entry.producerId).toBe(PID);
    expect(entry.producerEpoch).toBe(0);
    expect(entry.lastSeq).toBe(15);
    expect(entry.lastDataOffset).toBe(15n);
    expect(entry.lastOffsetDelta).toBe(1);
    expect(entry.currentTxnFirstOffset).toBe(-1n);
  });

  test('after a clean restart the snapshot holds only the last batch (dedupe window of 1)', () => {
    let log = open(smallSegments);
    for (let i = 0; i < 5; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    closeClean(log);
    log = open(smallSegments);
    expect(log.producerStateManager.lastEntry(PID)!.batches).toHaveLength(1);
    expect(produce(log, idem(8))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 8n });
    expect(produce(log, idem(6)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expectOk(produce(log, idem(10)), 10n);
  });

  test('after a crash the state is rebuilt from the latest snapshot plus a header scan', () => {
    let log = open(smallSegments);
    for (let i = 0; i < 10; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    crash(log);
    log = open(smallSegments, { hadCleanShutdown: false });
    expect(log.logEndOffset).toBe(20n);
    const entry = log.producerStateManager.lastEntry(PID)!;
    // Batches after the last rolled segment's snapshot come back with their metadata.
    expect(entry.lastSeq).toBe(19);
    expect(produce(log, idem(18))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 18n });
    expectOk(produce(log, idem(20)), 20n);
  });

  test('without any snapshot an unclean start scans every segment from the log start', () => {
    let log = open(smallSegments);
    for (let i = 0; i < 5; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    produce(log, idem(0, 1, { pid: 5n, epoch: 2 }));
    crash(log);
    for (const f of snapshots()) fs.unlinkSync(path.join(dir, f));
    log = open(smallSegments, { hadCleanShutdown: false });
    const psm = log.producerStateManager;
    expect(psm.lastEntry(PID)!.batches.map((b) => b.lastOffset)).toEqual([1n, 3n, 5n, 7n, 9n]);
    expect(psm.lastEntry(5n)!.producerEpoch).toBe(2);
    for (let i = 0; i < 5; i++) expect(produce(log, idem(i * 2)).baseOffset).toBe(BigInt(i * 2));
    expect(log.logEndOffset).toBe(11n);
    // The load ends with a snapshot at the log end offset.
    expect(snapshots()).toContain('00000000000000000011.snapshot');
  });

  test('a clean start without snapshots skips the scan, as Kafka does after an upgrade', () => {
    let log = open();
    produce(log, idem(0));
    crash(log);
    for (const f of snapshots()) fs.unlinkSync(path.join(dir, f));
    log = open({}, { hadCleanShutdown: true });
    expect(log.producerStateManager.isEmpty).toBe(true);
    expect(snapshots()).toEqual(['00000000000000000002.snapshot']);
  });

  test('a corrupt snapshot is deleted and an older one (or the log) is used instead', () => {
    let log = open(smallSegments);
    for (let i = 0; i < 10; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    closeClean(log);
    const latest = path.join(dir, snapshots()[snapshots().length - 1]);
    const bytes = fs.readFileSync(latest);
    bytes[bytes.length - 1] ^= 0xff;
    fs.writeFileSync(latest, bytes);
    expect(() => decodeSnapshot(bytes)).toThrow(CorruptSnapshotError);
    log = open(smallSegments, { hadCleanShutdown: false });
    expect(logs.lines().join('')).toContain('Snapshot is corrupt (CRC is no longer valid)');
    expect(log.producerStateManager.lastEntry(PID)!.lastSeq).toBe(19);
    expect(produce(log, idem(18)).baseOffset).toBe(18n);
  });

  test('stray snapshots that match no segment are removed on load', () => {
    let log = open();
    produce(log, idem(0));
    closeClean(log);
    fs.writeFileSync(snapshotFile(dir, 1n), encodeSnapshot([]));
    fs.writeFileSync(snapshotFile(dir, 50n), encodeSnapshot([]));
    log = open();
    // 1 is no segment base and below the last one; 50 (above every segment) is dropped as > LEO.
    expect(snapshots()).toEqual(['00000000000000000002.snapshot']);
    expect(log.producerStateManager.lastEntry(PID)).toBeDefined();
  });

  test('encode/decode round trip keeps the last batch and the open transaction', () => {
    const e = new ProducerStateEntry(77n, 3, 9, 123n, 40n);
    e.addBatch(3, 10, 50n, 4, 123n);
    e.addBatch(3, 15, 55n, 4, 124n);
    const [d] = decodeSnapshot(encodeSnapshot([e, new ProducerStateEntry(5n, 1)]).subarray(0)).filter(
      (x) => x.producerId === 77n,
    );
    expect(d).toMatchObject({ producerId: 77n, producerEpoch: 3, coordinatorEpoch: 9 });
    expect(d.lastTimestamp).toBe(124n);
    expect(d.currentTxnFirstOffset).toBe(40n);
    expect(d.batches).toEqual([{ lastSeq: 15, lastOffset: 55n, offsetDelta: 4, timestamp: 124n }]);
    const empty = decodeSnapshot(encodeSnapshot([new ProducerStateEntry(5n, 1)]))[0];
    expect(empty.batches).toEqual([]);
    expect(empty.lastSeq).toBe(-1);
  });
});

describe('truncation and log start', () => {
  test('truncateTo rebuilds the state: truncated batches are no longer duplicates', () => {
    const log = open({ 'segment.bytes': '400' });
    for (let i = 0; i < 8; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    expect(log.truncateTo(10n)).toBe(true);
    const entry = log.producerStateManager.lastEntry(PID)!;
    expect(entry.lastSeq).toBe(9);
    expect(log.producerStateManager.mapEndOffset).toBe(10n);
    for (const f of snapshots()) expect(BigInt(f.slice(0, 20))).toBeLessThanOrEqual(10n);
    // The batch at 10 is gone: its retry is appended again, in sequence; 8 is still a duplicate.
    expect(produce(log, idem(8)).baseOffset).toBe(8n);
    expectOk(produce(log, idem(10)), 10n);
    expect(produce(log, idem(14)).errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  test('truncating away every batch of a producer forgets it', () => {
    const log = open();
    produce(log, buildRecordBatchSync([{ value: 'x', timestamp: BigInt(time.now) }], {}));
    produce(log, idem(0));
    log.truncateTo(1n);
    expect(log.producerStateManager.lastEntry(PID)).toBeUndefined();
    expectOk(produce(log, idem(30)), 1n);
  });

  test('truncateFullyAndStartAt empties the state and deletes the snapshots', () => {
    const log = open({ 'segment.bytes': '400' });
    for (let i = 0; i < 8; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    expect(snapshots().length).toBeGreaterThan(0);
    log.truncateFullyAndStartAt(100n);
    expect(log.producerStateManager.isEmpty).toBe(true);
    expect(snapshots()).toEqual([]);
    expectOk(produce(log, idem(16)), 100n);
  });

  test('retention deletes the snapshots of deleted segments; producers survive until they expire', async () => {
    const log = open({ 'segment.bytes': '400', 'retention.ms': '1000' });
    for (let i = 0; i < 8; i++) produce(log, idem(i * 2, 2, { valueSize: 60 }));
    log.updateHighWatermark(log.logEndOffset);
    const before = log.logSegments().map((s) => s.baseOffset);
    time.now += 10_000;
    expect(log.deleteOldSegments()).toBe(before.length);
    await new Promise((r) => setTimeout(r, 50));
    const remaining = new Set(log.logSegments().map((s) => s.baseOffset));
    for (const f of snapshots()) expect(remaining.has(BigInt(f.slice(0, 20)))).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.deleted'))).toEqual([]);
    expect(produce(log, idem(14)).baseOffset).toBe(14n); // still a duplicate
  });

  test('producers expire after producer.id.expiration.ms of inactivity', () => {
    let log = open({}, { producerIdExpirationMs: 60_000 });
    produce(log, idem(0));
    produce(log, idem(0, 1, { pid: 9n }));
    time.now += 30_000;
    produce(log, idem(1, 1, { pid: 9n }));
    time.now += 30_001; // the first producer's last batch (max timestamp t0 + 1) is 60 s old
    expect(log.removeExpiredProducers()).toBe(1);
    expect(log.producerStateManager.lastEntry(PID)).toBeUndefined();
    expect(log.producerStateManager.lastEntry(9n)).toBeDefined();
    // Unknown again: any sequence is accepted.
    expectOk(produce(log, idem(50)), 4n);
    closeClean(log);
    // Expired producers are also dropped when a snapshot is loaded.
    time.now += 120_000;
    log = open({}, { producerIdExpirationMs: 60_000 });
    expect(log.producerStateManager.isEmpty).toBe(true);
  });
});

describe('the leader produce path (Partition)', () => {
  let env: TestEnv;
  beforeEach(() => {
    env = new TestEnv();
    env.time.now = time.now;
  });
  afterEach(() => env.close());

  test('duplicates get the original offset, gaps OUT_OF_ORDER_SEQUENCE_NUMBER with the log start offset', async () => {
    const ctx = new FakeContext(0, env.time);
    const p = newPartition(env, ctx);
    p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 0, isr: [0], replicas: [0] }));
    const a = await p.appendRecordsToLeader(idem(0, 3), 1, 9);
    expect(a).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, lastOffset: 2n });
    const b = await p.appendRecordsToLeader(idem(3, 2), 1, 9);
    expect(b).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 3n });
    const retry = await p.appendRecordsToLeader(idem(0, 3), 1, 9);
    expect(retry).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, lastOffset: 2n });
    expect(p.log.logEndOffset).toBe(5n);
    const gap = await p.appendRecordsToLeader(idem(9, 1), 1, 9);
    expect(gap).toEqual({
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      errorMessage: null,
      recordErrors: [],
      baseOffset: -1n,
      lastOffset: -1n,
      logAppendTime: -1n,
      logStartOffset: 0n,
    });
    expect(p.log.logEndOffset).toBe(5n);
  });
});
