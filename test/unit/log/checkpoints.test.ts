import * as fs from 'fs';
import * as path from 'path';
import { CheckpointReadError, OffsetCheckpointFile } from '../../../src/log/checkpoints';
import { LeaderEpochFileCache } from '../../../src/log/leader-epoch-cache';
import {
  formatMetaProperties,
  readMetaProperties,
  verifyAndWriteMetaProperties,
  parseJavaProperties,
} from '../../../src/log/meta-properties';
import { PartitionMetadataFile } from '../../../src/log/partition-metadata';
import { DirLock } from '../../../src/log/dir-lock';
import { captureLogs, rmDir, tmpDir } from './helpers';

let dir: string;
let logs: ReturnType<typeof captureLogs>;
beforeEach(() => {
  dir = tmpDir();
  logs = captureLogs();
});
afterEach(() => {
  logs.restore();
  rmDir(dir);
});

describe('OffsetCheckpointFile', () => {
  test("writes Kafka's exact text and reads it back", () => {
    const file = path.join(dir, 'recovery-point-offset-checkpoint');
    const cp = new OffsetCheckpointFile(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(''); // created empty
    expect(cp.read()).toEqual([]);
    cp.write([
      { topic: 'orders', partition: 0, offset: 1542n },
      { topic: '__consumer_offsets', partition: 17, offset: 88n },
    ]);
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n2\norders 0 1542\n__consumer_offsets 17 88\n');
    expect(fs.existsSync(`${file}.tmp`)).toBe(false);
    expect(cp.readMap()).toEqual(
      new Map([
        ['orders-0', 1542n],
        ['__consumer_offsets-17', 88n],
      ]),
    );
    cp.write([]);
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n0\n');
  });

  test('tolerant parsing like Java: any whitespace run, CRLF, version-only file', () => {
    const file = path.join(dir, 'cp');
    fs.writeFileSync(file, '0\r\n1\r\nt-x\t3   99\r\n');
    expect(new OffsetCheckpointFile(file).read()).toEqual([{ topic: 't-x', partition: 3, offset: 99n }]);
    fs.writeFileSync(file, '0\n');
    expect(new OffsetCheckpointFile(file).read()).toEqual([]);
  });

  test.each([
    ['1\n0\n', /Unrecognized version/],
    ['x\n0\n', /Malformed line/],
    ['0\n2\nt 0 1\n', /Expected 2 entries/],
    ['0\n1\nt 0\n', /Malformed line .*: t 0/],
    ['0\n1\nt zero 1\n', /Malformed line/],
    ['0\n1\n t 0 1\n', /Malformed line/],
    ['0\n1\nt 0 99999999999999999999\n', /Malformed line/],
    ['0\n1\nt 0 1\n\n', /Malformed line/],
  ])('malformed %j is rejected loudly', (text, error) => {
    const file = path.join(dir, 'cp');
    fs.writeFileSync(file, text);
    expect(() => new OffsetCheckpointFile(file).read()).toThrow(CheckpointReadError);
    expect(() => new OffsetCheckpointFile(file).read()).toThrow(error);
  });
});

describe('LeaderEpochFileCache', () => {
  const file = () => path.join(dir, 'leader-epoch-checkpoint');

  test('assign only records new epochs; the checkpoint text is exact', () => {
    const cache = new LeaderEpochFileCache(dir);
    cache.assign(0, 0n);
    cache.assign(0, 5n); // same epoch, later offset: not news
    cache.assign(2, 1580n);
    cache.assign(5, 1923n);
    expect(fs.readFileSync(file(), 'utf8')).toBe('0\n3\n0 0\n2 1580\n5 1923\n');
    expect(new LeaderEpochFileCache(dir).entries()).toEqual(cache.entries());
    expect(cache.latestEpoch()).toBe(5);
    expect(cache.previousEpoch()).toBe(2);
    expect(() => cache.assign(-1, 0n)).toThrow(RangeError);
  });

  test('a new entry removes conflicting ones (epoch >= new or start offset >= new)', () => {
    const cache = new LeaderEpochFileCache(dir);
    cache.assign(1, 10n);
    cache.assign(3, 20n);
    cache.assign(4, 30n);
    cache.assign(2, 25n);
    expect(cache.entries()).toEqual([
      { epoch: 1, startOffset: 10n },
      { epoch: 2, startOffset: 25n },
    ]);
    cache.assign(2, 15n); // same epoch, smaller start offset: replaces it
    expect(cache.entries()).toEqual([
      { epoch: 1, startOffset: 10n },
      { epoch: 2, startOffset: 15n },
    ]);
    expect(logs.lines().join('')).toMatch(/caused truncation of conflicting entries/);
  });

  test('endOffsetFor follows OffsetForLeaderEpoch semantics', () => {
    const cache = new LeaderEpochFileCache(dir);
    cache.assign(1, 0n);
    cache.assign(3, 100n);
    cache.assign(6, 250n);
    expect(cache.endOffsetFor(-1, 400n)).toEqual({ epoch: -1, endOffset: -1n });
    expect(cache.endOffsetFor(6, 400n)).toEqual({ epoch: 6, endOffset: 400n });
    expect(cache.endOffsetFor(1, 400n)).toEqual({ epoch: 1, endOffset: 100n });
    expect(cache.endOffsetFor(2, 400n)).toEqual({ epoch: 1, endOffset: 100n });
    expect(cache.endOffsetFor(4, 400n)).toEqual({ epoch: 3, endOffset: 250n });
    expect(cache.endOffsetFor(0, 400n)).toEqual({ epoch: 0, endOffset: 0n });
    expect(cache.endOffsetFor(7, 400n)).toEqual({ epoch: -1, endOffset: -1n });
    expect(cache.epochForOffset(99n)).toBe(1);
    expect(cache.epochForOffset(100n)).toBe(3);
    expect(cache.epochForOffset(1000n)).toBe(6);
  });

  test('truncateFromEnd / truncateFromStart', () => {
    const cache = new LeaderEpochFileCache(dir);
    cache.assign(1, 0n);
    cache.assign(3, 100n);
    cache.assign(6, 250n);
    cache.truncateFromEnd(250n);
    expect(cache.entries().map((e) => e.epoch)).toEqual([1, 3]);
    cache.truncateFromStart(120n);
    expect(cache.entries()).toEqual([{ epoch: 3, startOffset: 120n }]);
    expect(fs.readFileSync(file(), 'utf8')).toBe('0\n1\n3 120\n');
    cache.clearAndFlush();
    expect(fs.readFileSync(file(), 'utf8')).toBe('0\n0\n');
  });

  test('an unreadable checkpoint is logged and the cache starts empty', () => {
    fs.writeFileSync(file(), '0\n2\n1 0\n');
    expect(new LeaderEpochFileCache(dir).entries()).toEqual([]);
    expect(logs.lines().join('')).toMatch(/ERROR .*Error reading .*leader-epoch-checkpoint/);
  });
});

describe('partition.metadata', () => {
  test('exact text, no trailing newline; validation', () => {
    const f = new PartitionMetadataFile(dir);
    expect(f.read()).toBeNull();
    f.write('MTIzNDU2Nzg5MDEyMzQ1Ng');
    expect(fs.readFileSync(path.join(dir, 'partition.metadata'), 'utf8')).toBe(
      'version: 0\ntopic_id: MTIzNDU2Nzg5MDEyMzQ1Ng',
    );
    expect(f.read()).toEqual({ version: 0, topicId: 'MTIzNDU2Nzg5MDEyMzQ1Ng' });
    expect(() => f.write('AAAAAAAAAAAAAAAAAAAAAA')).toThrow(/Invalid topic id/);
    fs.writeFileSync(f.path, 'version: 1\ntopic_id: MTIzNDU2Nzg5MDEyMzQ1Ng');
    expect(() => f.read()).toThrow(/Unrecognized version/);
    fs.writeFileSync(f.path, 'version: 0\ntopic_id: short');
    expect(() => f.read()).toThrow(/Malformed/);
  });
});

describe('meta.properties', () => {
  test('text in the shape of Properties.store; keys in the Java broker order', () => {
    const text = formatMetaProperties(
      { brokerId: 1, clusterId: 'abcDEF-_123' },
      new Date(Date.UTC(2024, 10, 21, 10, 0, 0)),
    );
    expect(text).toBe('#\n#Thu Nov 21 10:00:00 UTC 2024\nbroker.id=1\nversion=0\ncluster.id=abcDEF-_123\n');
  });

  test('Java Properties parsing: separators, comments, escapes, continuation', () => {
    const p = parseJavaProperties('# c\n! c\n  a = 1\nb:2\nc 3\nd=x\\:y\\=z\ne=one\\\n    two\nf\n');
    expect([...p.entries()]).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', 'x:y=z'],
      ['e', 'onetwo'],
      ['f', ''],
    ]);
  });

  test('written where missing; mismatching broker.id / cluster.id / version are fatal with clear errors', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    verifyAndWriteMetaProperties([a, b], { brokerId: 3, clusterId: 'cid' });
    expect(readMetaProperties(a)).toEqual({
      version: 0,
      brokerId: 3,
      nodeId: null,
      clusterId: 'cid',
      directoryId: null,
    });
    expect(() => verifyAndWriteMetaProperties([a, b], { brokerId: 4, clusterId: 'cid' })).toThrow(
      /broker\.id 4 doesn't match stored broker\.id 3 in .*a\/meta\.properties/,
    );
    expect(() => verifyAndWriteMetaProperties([a, b], { brokerId: 3, clusterId: 'other' })).toThrow(
      /Cluster ID other doesn't match stored clusterId cid in .*meta\.properties/,
    );
    fs.writeFileSync(path.join(b, 'meta.properties'), 'version=1\nnode.id=3\ncluster.id=cid\n');
    expect(() => verifyAndWriteMetaProperties([a, b], { brokerId: 3, clusterId: 'cid' })).toThrow(
      /unexpected version 1/,
    );
    // A v0 file without cluster.id gets it filled in.
    fs.writeFileSync(path.join(b, 'meta.properties'), '#\nbroker.id=3\n');
    verifyAndWriteMetaProperties([a, b], { brokerId: 3, clusterId: 'cid' });
    expect(readMetaProperties(b)?.clusterId).toBe('cid');
  });
});

describe('.lock', () => {
  test('one holder at a time; released locks can be taken again', () => {
    const lock = DirLock.acquire(dir);
    expect(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).toMatch(
      new RegExp(`^pid=${process.pid}( start=\\d+)?\n$`),
    );
    expect(() => DirLock.acquire(dir)).toThrow(/Failed to acquire lock on file \.lock/);
    lock.release();
    expect(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).toBe('');
    DirLock.acquire(dir).release();
  });

  test('a lock left by a live process is refused, a dead one is taken over', () => {
    fs.writeFileSync(path.join(dir, '.lock'), `pid=${process.ppid}\n`);
    expect(() => DirLock.acquire(dir)).toThrow(/another process/);
    fs.writeFileSync(path.join(dir, '.lock'), 'pid=2147483646\n');
    DirLock.acquire(dir).release();
  });
});
