// Moving a replica between log dirs below the network layer: the log manager's future logs
// (creation, preferred dirs, loading at start-up, truncation kept in step, the swap), the
// partition's future replica, and the copier (ReplicaAlterLogDirsManager) with its quota.

import * as fs from 'fs';
import * as path from 'path';
import { Partition } from '../../../src/cluster/partition';
import { LogConfig, LogManagerConfig } from '../../../src/log/log-config';
import { LogDirNotFoundError, LogManager } from '../../../src/log/log-manager';
import type { UnifiedLog } from '../../../src/log/unified-log';
import {
  AlterLogDirsQuota,
  ReplicaAlterLogDirsManager,
} from '../../../src/replication/replica-alter-log-dirs';
import { appendRecords, batchRanges, captureLogs, MockTime, rmDir, tmpDir } from '../log/helpers';
import { FakeContext, leaderAndIsr } from './helpers';

let root: string;
let dirA: string;
let dirB: string;
let logs: ReturnType<typeof captureLogs>;
const managers: LogManager[] = [];
const copiers: ReplicaAlterLogDirsManager[] = [];
const time = new MockTime();

beforeEach(() => {
  root = tmpDir('samsa-move-');
  dirA = path.join(root, 'a');
  dirB = path.join(root, 'b');
  logs = captureLogs();
});
afterEach(async () => {
  for (const c of copiers.splice(0)) await c.shutdown();
  for (const m of managers.splice(0)) m.shutdown();
  logs.restore();
  rmDir(root);
});

const config = LogConfig.of({ 'segment.bytes': '4096', 'file.delete.delay.ms': '0' });

function start(): LogManager {
  const mgr = LogManager.startup({
    settings: LogManagerConfig.fromProperties({ 'log.dirs': `${dirA},${dirB}` }),
    brokerId: 0,
    clusterId: 'c',
    defaultConfig: config,
    time,
    startBackgroundTasks: false,
  });
  managers.push(mgr);
  return mgr;
}

function stop(mgr: LogManager): void {
  mgr.shutdown();
  managers.splice(managers.indexOf(mgr), 1);
}

function partitionOf(mgr: LogManager, log: UnifiedLog): Partition {
  const ctx = new FakeContext(0, time);
  ctx.truncateTo = (l, offset) => void mgr.truncateTo(l.topic, l.partition, offset);
  return new Partition(log.topic, log.partition, log, ctx);
}

function copier(mgr: LogManager, p: Partition, quota?: AlterLogDirsQuota): ReplicaAlterLogDirsManager {
  const c = new ReplicaAlterLogDirsManager(
    { brokerId: 0, fetchMaxBytes: 1000, fetchResponseMaxBytes: 10_000, fetchBackoffMs: 5 },
    {
      getPartition: (t, n) => (t === p.topic && n === p.partition ? p : undefined),
      replaceCurrentWithFutureLog: (t, n) => mgr.replaceCurrentWithFutureLog(t, n),
      truncateFutureTo: (t, n, o) => void mgr.truncateFutureTo(t, n, o),
      truncateFutureFullyAndStartAt: (t, n, o) => void mgr.truncateFutureFullyAndStartAt(t, n, o),
      quota: () => quota,
    },
  );
  copiers.push(c);
  return c;
}

/** Every record batch of a log, as bytes, from the batch holding its start (across segments). */
function contents(log: UnifiedLog): Buffer {
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = log.read(offset, 1 << 24, 'logEnd', true);
    if (r.error !== null || r.records.length === 0) throw new Error(`nothing at ${offset}`);
    parts.push(r.records);
    const ranges = batchRanges(r.records);
    offset = ranges[ranges.length - 1][1] + 1n;
  }
  return Buffer.concat(parts);
}

const until = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

test('preferred dirs, future log creation and its errors', () => {
  const mgr = start();
  expect(() => mgr.isLogDirOnline(path.join(root, 'c'))).toThrow(LogDirNotFoundError);
  expect(mgr.isLogDirOnline(dirB)).toBe(true);

  // Not hosted yet: the log is created in the preferred dir, even if the other has fewer partitions.
  mgr.getOrCreateLog('other', 0);
  mgr.maybeUpdatePreferredLogDir('t', 0, mgr.getLog('other', 0)!.parentDir);
  const log = mgr.getOrCreateLog('t', 0);
  expect(log.parentDir).toBe(mgr.getLog('other', 0)!.parentDir);
  expect(mgr.preferredLogDir('t', 0)).toBeUndefined();

  const target = log.parentDir === dirA ? dirB : dirA;
  expect(() => mgr.getOrCreateFutureLog('t', 0, log.parentDir)).toThrow(/current log directory/);
  const future = mgr.getOrCreateFutureLog('t', 0, target);
  expect(future.parentDir).toBe(target);
  expect(path.basename(future.dir)).toMatch(/^t-0\.[0-9a-f]{32}-future$/);
  expect(mgr.getOrCreateFutureLog('t', 0, target)).toBe(future);
  expect(mgr.isFutureLog(future)).toBe(true);
  expect(mgr.allLogs()).not.toContain(future);
  // Already moving there: no preferred dir is recorded.
  mgr.maybeUpdatePreferredLogDir('t', 0, target);
  expect(mgr.preferredLogDir('t', 0)).toBeUndefined();

  expect(mgr.deleteFutureLog('t', 0)).toBe(true);
  expect(mgr.getFutureLog('t', 0)).toBeUndefined();
  expect(fs.readdirSync(target).filter((n) => n.endsWith('-future'))).toEqual([]);
});

test('the copier fills the future log and swaps it in with HW, log start and leader epochs', async () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('t', 0);
  const p = partitionOf(mgr, log);
  p.makeLeader(leaderAndIsr({ leader: 0, leaderEpoch: 3, isr: [0], replicas: [0] }));
  for (let i = 0; i < 40; i++) appendRecords(log, 10, { epoch: 3, valueSize: 50 });
  log.updateHighWatermark(300n);
  log.maybeIncrementLogStartOffset(25n, 'test');
  // A new leader epoch without records yet.
  log.assignEpochStartOffset(4, log.logEndOffset);
  const before = contents(log);
  const oldDir = log.dir;
  const target = log.parentDir === dirA ? dirB : dirA;

  expect(p.maybeCreateFutureReplica(log.parentDir, () => mgr.getOrCreateFutureLog('t', 0, target))).toBe(
    false,
  );
  expect(p.maybeCreateFutureReplica(target, () => mgr.getOrCreateFutureLog('t', 0, target))).toBe(true);
  const c = copier(mgr, p);
  c.addPartitions([{ topic: 't', partition: 0 }]);
  await until(() => p.futureLog === null);

  const moved = p.log;
  expect(moved).not.toBe(log);
  expect(moved.dir).toBe(path.join(target, 't-0'));
  expect(mgr.getLog('t', 0)).toBe(moved);
  expect(moved.logEndOffset).toBe(400n);
  expect(moved.highWatermark).toBe(300n);
  expect(moved.logStartOffset).toBe(25n);
  expect(moved.latestEpoch()).toBe(4);
  expect(moved.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 400n });
  // The whole batches holding the log start are kept, as in the source.
  expect(contents(moved).equals(before)).toBe(true);
  expect(c.partitions()).toEqual([]);
  // Appends after the swap go to the new log.
  appendRecords(moved, 5, { epoch: 4 });
  expect(moved.logEndOffset).toBe(405n);
  // The old directory went to -delete and is removed (file.delete.delay.ms 0).
  expect(fs.existsSync(oldDir)).toBe(false);
  await new Promise((r) => setTimeout(r, 20));
  await mgr.awaitPendingDeletions();
  expect(fs.readdirSync(path.dirname(oldDir)).filter((n) => n.startsWith('t-0'))).toEqual([]);

  // The checkpoints know the log in its new dir only.
  stop(mgr);
  const again = start();
  expect(again.getLog('t', 0)!.dir).toBe(path.join(target, 't-0'));
  expect(again.getLog('t', 0)!.logEndOffset).toBe(405n);
  expect(again.getLog('t', 0)!.highWatermark).toBe(300n);
  expect(again.getLog('t', 0)!.logStartOffset).toBe(25n);
});

test('a throttled copy waits while the quota is exceeded and records the bytes it copies', async () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('t', 0);
  const p = partitionOf(mgr, log);
  for (let i = 0; i < 20; i++) appendRecords(log, 10, { valueSize: 50 });
  const target = log.parentDir === dirA ? dirB : dirA;
  p.maybeCreateFutureReplica(target, () => mgr.getOrCreateFutureLog('t', 0, target));
  let exceeded = true;
  let recorded = 0;
  const c = copier(mgr, p, { isQuotaExceeded: () => exceeded, record: (b) => (recorded += b) });
  c.addPartitions([{ topic: 't', partition: 0 }]);
  await new Promise((r) => setTimeout(r, 50));
  expect(p.futureLog!.logEndOffset).toBe(0n);
  exceeded = false;
  await until(() => p.futureLog === null);
  expect(recorded).toBe(log.size);
});

test('truncating the current log truncates the future log; a future log survives a restart and is realigned', async () => {
  let mgr = start();
  const log = mgr.getOrCreateLog('t', 0);
  for (let i = 0; i < 10; i++) appendRecords(log, 10, { epoch: 1 });
  const target = log.parentDir === dirA ? dirB : dirA;
  const future = mgr.getOrCreateFutureLog('t', 0, target);
  future.appendAsFollower(contents(log));
  expect(future.logEndOffset).toBe(100n);
  mgr.truncateTo('t', 0, 60n);
  expect(future.logEndOffset).toBe(60n);
  const futureDir = future.dir;

  // Restart: the future log is loaded from its -future dir.
  stop(mgr);
  mgr = start();
  const loaded = mgr.getFutureLog('t', 0)!;
  expect(loaded.dir).toBe(futureDir);
  expect(loaded.logEndOffset).toBe(60n);
  const current = mgr.getLog('t', 0)!;
  expect(current.logEndOffset).toBe(60n);
  // The current log diverges from the future one (a new leader's history from offset 40).
  current.truncateTo(40n);
  for (let i = 0; i < 3; i++) appendRecords(current, 10, { epoch: 2 });
  const p = partitionOf(mgr, current);
  p.maybeCreateFutureReplica(target, () => loaded);
  const c = copier(mgr, p);
  c.addPartitions([{ topic: 't', partition: 0 }]);
  await until(() => p.futureLog === null);
  expect(p.log.dir).toBe(path.join(target, 't-0'));
  expect(p.log.logEndOffset).toBe(70n);
  expect(p.log.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 40n });
  expect(contents(p.log).equals(contents(mgr.getLog('t', 0)!))).toBe(true);
});

test('deleting a replica removes its future log too', () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('t', 0);
  const target = log.parentDir === dirA ? dirB : dirA;
  mgr.getOrCreateFutureLog('t', 0, target);
  expect(mgr.deleteLog('t', 0)).toBe(true);
  expect(mgr.getFutureLog('t', 0)).toBeUndefined();
  for (const d of [dirA, dirB])
    expect(fs.readdirSync(d).filter((n) => n.startsWith('t-0') && !n.endsWith('-delete'))).toEqual([]);
});
