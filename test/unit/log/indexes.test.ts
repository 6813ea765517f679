import * as fs from 'fs';
import * as path from 'path';
import { CorruptIndexError, InvalidOffsetError } from '../../../src/log/errors';
import { OffsetIndex } from '../../../src/log/offset-index';
import { TimeIndex } from '../../../src/log/time-index';
import { rmDir, tmpDir } from './helpers';

let dir: string;
beforeEach(() => (dir = tmpDir()));
afterEach(() => rmDir(dir));

describe('OffsetIndex', () => {
  test('a new file is preallocated to the max size rounded down to whole entries', () => {
    const idx = new OffsetIndex(path.join(dir, 'a.index'), 100n, 10485760);
    expect(fs.statSync(idx.path).size).toBe(10485760);
    expect(idx.maxEntries).toBe(1310720);
    expect(idx.entries).toBe(0);
    const odd = new OffsetIndex(path.join(dir, 'b.index'), 0n, 1003);
    expect(fs.statSync(odd.path).size).toBe(1000);
    odd.close();
    idx.close();
  });

  test('lookup returns the greatest entry <= target, or (base, 0)', () => {
    const idx = new OffsetIndex(path.join(dir, 'a.index'), 100n, 4096);
    idx.append(110n, 4100);
    idx.append(120n, 8200);
    idx.append(135n, 12300);
    expect(idx.lookup(99n)).toEqual({ offset: 100n, position: 0 });
    expect(idx.lookup(109n)).toEqual({ offset: 100n, position: 0 });
    expect(idx.lookup(110n)).toEqual({ offset: 110n, position: 4100 });
    expect(idx.lookup(134n)).toEqual({ offset: 120n, position: 8200 });
    expect(idx.lookup(10_000n)).toEqual({ offset: 135n, position: 12300 });
    expect(idx.lastOffset).toBe(135n);
    expect(() => idx.append(135n, 20000)).toThrow(InvalidOffsetError);
    idx.close();
  });

  test('entries are written as [int32 relative offset][int32 position]; trimmed on close; reopened by file length', () => {
    const file = path.join(dir, 'a.index');
    const idx = new OffsetIndex(file, 1000n, 4096);
    idx.append(1005n, 300);
    idx.append(1010n, 700);
    idx.close();
    const bytes = fs.readFileSync(file);
    expect(bytes.toString('hex')).toBe('00000005' + '0000012c' + '0000000a' + '000002bc');
    const reopened = new OffsetIndex(file, 1000n, 4096);
    expect(reopened.entries).toBe(2);
    expect(reopened.isFull()).toBe(true); // a trimmed index has no room until resized
    expect(reopened.lookup(1007n)).toEqual({ offset: 1005n, position: 300 });
    reopened.resize(4096);
    expect(reopened.isFull()).toBe(false);
    reopened.append(1020n, 900);
    reopened.flush();
    expect(fs.statSync(file).size).toBe(4096);
    expect(fs.readFileSync(file).subarray(16, 24).toString('hex')).toBe('00000014' + '00000384');
    reopened.close();
  });

  test('truncateTo removes entries at and above the offset', () => {
    const idx = new OffsetIndex(path.join(dir, 'a.index'), 0n, 4096);
    for (const [o, p] of [
      [10n, 100],
      [20n, 200],
      [30n, 300],
    ] as const)
      idx.append(o, p);
    idx.truncateTo(25n);
    expect(idx.entries).toBe(2);
    idx.truncateTo(20n);
    expect(idx.entries).toBe(1);
    expect(idx.lastOffset).toBe(10n);
    idx.truncateTo(0n);
    expect(idx.entries).toBe(0);
    expect(idx.lastOffset).toBe(0n);
    idx.close();
  });

  test('isFull at maxEntries; relative offsets must fit an int32', () => {
    const idx = new OffsetIndex(path.join(dir, 'a.index'), 0n, 16);
    idx.append(1n, 1);
    idx.append(2n, 2);
    expect(idx.isFull()).toBe(true);
    expect(() => idx.append(3n, 3)).toThrow(/full/);
    const big = new OffsetIndex(path.join(dir, 'b.index'), 0n, 64);
    expect(() => big.append(2147483648n, 1)).toThrow(/overflow/i);
    idx.close();
    big.close();
  });

  test('sanity check on load: garbage (an untrimmed zero tail, a bad length) is detected', () => {
    const file = path.join(dir, 'a.index');
    const buf = Buffer.alloc(32);
    buf.writeInt32BE(5, 0);
    buf.writeInt32BE(100, 4); // then zero entries: not increasing
    fs.writeFileSync(file, buf);
    expect(() => new OffsetIndex(file, 0n, 4096).load()).toThrow(CorruptIndexError);
    fs.writeFileSync(file, Buffer.alloc(13));
    expect(() => new OffsetIndex(file, 0n, 4096).load()).toThrow(/multiple of 8/);
  });
});

describe('TimeIndex', () => {
  test('preallocation rounds 10 MiB down to 12-byte entries; one slot is reserved', () => {
    const idx = new TimeIndex(path.join(dir, 'a.timeindex'), 0n, 10485760);
    expect(fs.statSync(idx.path).size).toBe(10485756);
    expect(idx.maxEntries).toBe(873813);
    const small = new TimeIndex(path.join(dir, 'b.timeindex'), 0n, 36);
    small.maybeAppend(10n, 1n);
    expect(small.isFull()).toBe(false);
    small.maybeAppend(20n, 2n);
    expect(small.isFull()).toBe(true);
    expect(() => small.maybeAppend(30n, 3n)).toThrow(/full/);
    small.maybeAppend(30n, 3n, true);
    expect(small.entries).toBe(3);
    idx.close();
    small.close();
  });

  test('only strictly larger timestamps are appended; lookup finds the greatest ts <= target', () => {
    const file = path.join(dir, 'a.timeindex');
    const idx = new TimeIndex(file, 50n, 4096);
    expect(idx.lastEntry()).toEqual({ timestamp: -1n, offset: 50n });
    idx.maybeAppend(1000n, 55n);
    idx.maybeAppend(1000n, 56n); // same timestamp: ignored
    idx.maybeAppend(2000n, 60n);
    expect(idx.entries).toBe(2);
    expect(() => idx.maybeAppend(3000n, 59n)).toThrow(InvalidOffsetError);
    expect(idx.lookup(999n)).toEqual({ timestamp: -1n, offset: 50n });
    expect(idx.lookup(1500n)).toEqual({ timestamp: 1000n, offset: 55n });
    expect(idx.lookup(5000n)).toEqual({ timestamp: 2000n, offset: 60n });
    idx.close();
    expect(fs.readFileSync(file).toString('hex')).toBe(
      '00000000000003e8' + '00000005' + '00000000000007d0' + '0000000a',
    );
    const reopened = new TimeIndex(file, 50n, 4096);
    expect(reopened.lastEntry()).toEqual({ timestamp: 2000n, offset: 60n });
    reopened.truncateTo(60n);
    expect(reopened.entries).toBe(1);
    expect(reopened.lastEntry()).toEqual({ timestamp: 1000n, offset: 55n });
    reopened.close();
  });

  test('sanity check: timestamps must increase', () => {
    const file = path.join(dir, 'a.timeindex');
    fs.writeFileSync(file, Buffer.alloc(36));
    expect(() => new TimeIndex(file, 0n, 4096).load()).toThrow(CorruptIndexError);
  });
});
