import * as fs from 'fs';
import * as path from 'path';
import { InconsistentTopicIdError, LogDirError } from '../../../src/log/errors';
import { LogConfig, LogManagerConfig } from '../../../src/log/log-config';
import { LogManager, LogManagerOptions } from '../../../src/log/log-manager';
import { appendRecords, batchRanges, captureLogs, MockTime, rmDir, tmpDir } from './helpers';

let root: string;
let dirA: string;
let dirB: string;
let logs: ReturnType<typeof captureLogs>;
const managers: LogManager[] = [];
const time = new MockTime();

beforeEach(() => {
  root = tmpDir();
  dirA = path.join(root, 'a');
  dirB = path.join(root, 'b');
  logs = captureLogs();
});
afterEach(() => {
  for (const m of managers.splice(0)) m.shutdown();
  logs.restore();
  rmDir(root);
});

const topicConfig = LogConfig.of({
  'segment.bytes': '1024',
  'index.interval.bytes': '200',
  'file.delete.delay.ms': '0',
});

function start(opts: Partial<LogManagerOptions> = {}, props: Record<string, string> = {}): LogManager {
  const mgr = LogManager.startup({
    settings: LogManagerConfig.fromProperties({ 'log.dirs': `${dirA},${dirB}`, ...props }),
    brokerId: 1,
    clusterId: 'test-cluster',
    defaultConfig: topicConfig,
    time,
    startBackgroundTasks: false,
    ...opts,
  });
  managers.push(mgr);
  return mgr;
}

function stop(mgr: LogManager): void {
  mgr.shutdown();
  managers.splice(managers.indexOf(mgr), 1);
}

const read = (f: string) => fs.readFileSync(f, 'utf8');

test('startup prepares each dir: meta.properties, .lock, empty checkpoint files', () => {
  start();
  for (const d of [dirA, dirB]) {
    expect(read(path.join(d, 'meta.properties'))).toMatch(
      /^#\n#\w{3} \w{3} \d\d \d\d:\d\d:\d\d UTC \d{4}\nbroker\.id=1\nversion=0\ncluster\.id=test-cluster\n$/,
    );
    expect(read(path.join(d, '.lock'))).toMatch(new RegExp(`^pid=${process.pid}( start=\\d+)?\n$`));
    expect(read(path.join(d, 'recovery-point-offset-checkpoint'))).toBe('');
    expect(read(path.join(d, 'log-start-offset-checkpoint'))).toBe('');
    expect(fs.existsSync(path.join(d, '.kafka_cleanshutdown'))).toBe(false);
  }
});

test('new logs go to the dir with the fewest partitions', () => {
  const mgr = start();
  const placed = ['t-0', 't-1', 't-2', 'u-0', 'u-1'].map((name) => {
    const [topic, p] = name.split('-');
    return mgr.getOrCreateLog(topic, Number(p)).parentDir;
  });
  expect(placed).toEqual([dirA, dirB, dirA, dirB, dirA]);
  expect(fs.existsSync(path.join(dirB, 't-1'))).toBe(true);
  expect(mgr.getOrCreateLog('t', 0)).toBe(mgr.getLog('t', 0));
  expect(mgr.partitionCounts()).toEqual(
    new Map([
      [dirA, 3],
      [dirB, 2],
    ]),
  );
});

test('clean shutdown writes checkpoints and the marker; restart skips recovery and restores offsets', () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('orders', 0, 'MTIzNDU2Nzg5MDEyMzQ1Ng');
  for (let i = 0; i < 20; i++) appendRecords(log, 3, { valueSize: 20 });
  log.updateHighWatermark(60n);
  mgr.getOrCreateLog('orders', 1);
  log.deleteRecordsBefore(10n);
  stop(mgr);
  expect(read(path.join(dirA, '.kafka_cleanshutdown'))).toBe('{"version":0,"brokerEpoch":-1}');
  expect(read(path.join(dirA, 'recovery-point-offset-checkpoint'))).toBe('0\n1\norders 0 60\n');
  expect(read(path.join(dirB, 'recovery-point-offset-checkpoint'))).toBe('0\n1\norders 1 0\n');
  expect(read(path.join(dirA, 'log-start-offset-checkpoint'))).toBe('0\n1\norders 0 10\n');
  expect(read(path.join(dirB, 'log-start-offset-checkpoint'))).toBe('0\n0\n');
  expect(read(path.join(dirA, 'replication-offset-checkpoint'))).toBe('0\n1\norders 0 60\n');
  expect(read(path.join(dirA, '.lock'))).toBe('');

  const again = start();
  expect(fs.existsSync(path.join(dirA, '.kafka_cleanshutdown'))).toBe(false);
  const reloaded = again.getLog('orders', 0)!;
  expect(reloaded.logEndOffset).toBe(60n);
  expect(reloaded.logStartOffset).toBe(10n);
  expect(reloaded.highWatermark).toBe(60n);
  expect(reloaded.recoveryPoint).toBe(60n);
  expect(reloaded.topicId).toBe('MTIzNDU2Nzg5MDEyMzQ1Ng');
  expect(again.getLog('orders', 1)!.parentDir).toBe(dirB);
  expect(logs.lines().join('')).toMatch(
    /Skipping recovery of 1 logs from .*a since clean shutdown file was found/,
  );
  expect(() => again.getOrCreateLog('orders', 0, 'ZXhhbXBsZXRvcGljaWQhIQ')).toThrow(InconsistentTopicIdError);
});

test('without the marker, segments after the recovery point are recovered', () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('t', 0);
  for (let i = 0; i < 5; i++) appendRecords(log, 3);
  const file = log.activeSegment.log.path;
  stop(mgr);
  fs.unlinkSync(path.join(dirA, '.kafka_cleanshutdown'));
  fs.writeFileSync(path.join(dirA, 'recovery-point-offset-checkpoint'), '0\n1\nt 0 9\n');
  fs.appendFileSync(file, Buffer.from('torn write'));
  const again = start();
  const reloaded = again.getLog('t', 0)!;
  expect(reloaded.logEndOffset).toBe(15n);
  expect(reloaded.recoveryPoint).toBe(9n);
  expect(logs.lines().join('')).toMatch(/Recovering 1 logs from .* since no clean shutdown file was found/);
  expect(logs.lines().join('')).toMatch(/Found invalid messages in log segment/);
});

test('an unreadable checkpoint is reported and recovery starts from 0', () => {
  const mgr = start();
  appendRecords(mgr.getOrCreateLog('t', 0), 3);
  stop(mgr);
  fs.unlinkSync(path.join(dirA, '.kafka_cleanshutdown'));
  fs.writeFileSync(path.join(dirA, 'recovery-point-offset-checkpoint'), '0\n2\nt 0 3\n');
  const again = start();
  expect(again.getLog('t', 0)!.recoveryPoint).toBe(0n);
  expect(logs.lines().join('')).toMatch(
    /WARN .*Error occurred while reading .*recovery-point-offset-checkpoint, resetting the recovery checkpoint to 0: Expected 2 entries/,
  );
});

test('deleteLog renames to <topic>-<partition>.<uuid>-delete and removes it later', async () => {
  const mgr = start();
  const log = mgr.getOrCreateLog('gone', 3);
  appendRecords(log, 3);
  mgr.getOrCreateLog('kept', 0);
  mgr.getOrCreateLog('kept', 1);
  expect(log.parentDir).toBe(dirA);
  expect(mgr.deleteLog('gone', 3)).toBe(true);
  expect(mgr.deleteLog('gone', 3)).toBe(false);
  expect(mgr.getLog('gone', 3)).toBeUndefined();
  expect(path.basename(log.dir)).toMatch(/^gone-3\.[0-9a-f]{32}-delete$/);
  expect(read(path.join(dirA, 'recovery-point-offset-checkpoint'))).toBe('0\n1\nkept 1 0\n');
  await new Promise((r) => setTimeout(r, 20));
  await mgr.awaitPendingDeletions();
  expect(fs.existsSync(log.dir)).toBe(false);
  expect(fs.readdirSync(dirA).filter((n) => n.startsWith('gone'))).toEqual([]);
});

test('startup: -delete dirs are removed, -future dirs are kept (not current logs), other names are fatal', async () => {
  fs.mkdirSync(path.join(dirA, 'x-0.0123456789abcdef0123456789abcdef-delete'), { recursive: true });
  fs.mkdirSync(path.join(dirA, 'x-1.0123456789abcdef0123456789abcdef-future'), { recursive: true });
  fs.mkdirSync(path.join(dirA, 'remote-log-index-cache'), { recursive: true });
  const mgr = start();
  expect(mgr.allLogs()).toEqual([]);
  await new Promise((r) => setTimeout(r, 20));
  await mgr.awaitPendingDeletions();
  expect(
    fs
      .readdirSync(dirA)
      .filter((n) => n.startsWith('x-'))
      .sort(),
  ).toEqual(['x-1.0123456789abcdef0123456789abcdef-future']);
  stop(mgr);
  fs.mkdirSync(path.join(dirB, 'lost+found'));
  expect(() => start()).toThrow(
    /Found directory .*lost\+found, 'lost\+found' is not in the form of topic-partition/,
  );
  // The failed startup released its locks.
  fs.rmdirSync(path.join(dirB, 'lost+found'));
  start();
});

test('a dir can only be used by one manager; meta.properties mismatches are fatal', () => {
  start();
  expect(() => start()).toThrow(LogDirError);
  expect(() => start()).toThrow(/Failed to acquire lock/);
  stop(managers[0]);
  expect(() => start({ brokerId: 2 })).toThrow(/broker\.id 2 doesn't match stored broker\.id 1/);
  expect(() => start({ clusterId: 'other' })).toThrow(
    /Cluster ID other doesn't match stored clusterId test-cluster/,
  );
  start();
});

test('retention, flush and checkpoint tasks run in the background', async () => {
  const clock = new MockTime(Date.now());
  const mgr = start(
    {
      startBackgroundTasks: true,
      time: clock,
      topicConfig: () =>
        topicConfig.withTopicOverrides({
          'retention.ms': '1000',
          'segment.bytes': '1024',
          'file.delete.delay.ms': '0',
        }),
    },
    {
      'log.initial.task.delay.ms': '0',
      'log.retention.check.interval.ms': '10',
      'log.flush.offset.checkpoint.interval.ms': '10',
      'replica.high.watermark.checkpoint.interval.ms': '10',
    },
  );
  const log = mgr.getOrCreateLog('t', 0);
  for (let i = 0; i < 20; i++) appendRecords(log, 3, { valueSize: 20, timestamp: clock.now - 10_000 });
  log.roll();
  appendRecords(log, 3, { timestamp: clock.now });
  log.updateHighWatermark(log.logEndOffset);
  log.flush();
  await new Promise((r) => setTimeout(r, 100));
  expect(log.logStartOffset).toBe(60n);
  expect(batchRanges(log.activeSegment.log.read(0, log.activeSegment.size))).toEqual([[60n, 62n]]);
  expect(read(path.join(dirA, 'recovery-point-offset-checkpoint'))).toBe('0\n1\nt 0 63\n');
  expect(read(path.join(dirA, 'replication-offset-checkpoint'))).toBe('0\n1\nt 0 63\n');
});
