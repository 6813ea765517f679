// FileRecords write-behind (appendDeferred): queued bytes are part of the file for every reader
// before they are written, whenWritten() resolves once they are on disk (page cache), and every
// operation that changes the file writes the queue first.

import * as fs from 'fs';
import * as path from 'path';
import { FileRecords } from '../../../src/log/file-records';
import { makeBatch, rmDir, tmpDir } from './helpers';

let dir: string;
beforeEach(() => {
  dir = tmpDir();
});
afterEach(() => rmDir(dir));

const onDisk = (file: string): Buffer => fs.readFileSync(file);

test('deferred appends are read back before they reach the file, and reach it on the next turn', async () => {
  const file = path.join(dir, '00000000000000000000.log');
  const fr = FileRecords.open(file, false, 1 << 20, true);
  const a = makeBatch(0n, 3);
  const b = makeBatch(3n, 2, { valueSize: 5000 });
  fr.append(a);
  fr.appendDeferred(b);
  expect(fr.sizeInBytes).toBe(a.length + b.length);
  expect(fr.hasPendingWrites).toBe(true);
  // not in the file yet (the preallocated tail is still zeros) …
  expect(
    onDisk(file)
      .subarray(a.length, a.length + b.length)
      .equals(b),
  ).toBe(false);
  // … but every reader sees it: whole reads, reads across the boundary, and the batch iterator
  expect(fr.read(0, a.length + b.length).equals(Buffer.concat([a, b]))).toBe(true);
  expect(
    fr.read(a.length - 10, 30).equals(Buffer.concat([a, b]).subarray(a.length - 10, a.length + 20)),
  ).toBe(true);
  const it = fr.batches(0, 128);
  const offsets: bigint[] = [];
  for (let h = it.next(); h !== null; h = it.next()) {
    offsets.push(h.baseOffset);
    if (h.baseOffset === 3n) expect(it.batchBytes(h).equals(b)).toBe(true);
  }
  expect(offsets).toEqual([0n, 3n]);
  expect(it.stop).toBeNull();

  await fr.whenWritten();
  expect(fr.hasPendingWrites).toBe(false);
  expect(
    onDisk(file)
      .subarray(0, a.length + b.length)
      .equals(Buffer.concat([a, b])),
  ).toBe(true);
  fr.close();
  expect(onDisk(file).length).toBe(a.length + b.length);
});

test('truncation, a synchronous append and close write the queue first, in order', () => {
  const file = path.join(dir, '00000000000000000000.log');
  const fr = FileRecords.open(file, false);
  const a = makeBatch(0n, 1);
  const b = makeBatch(1n, 1);
  const c = makeBatch(2n, 1);
  fr.appendDeferred(a);
  fr.appendDeferred(b);
  fr.truncateTo(a.length); // b is dropped after being written: the file ends after a
  expect(fr.hasPendingWrites).toBe(false);
  expect(onDisk(file).equals(a)).toBe(true);
  fr.appendDeferred(b);
  fr.append(c); // a plain append lands after the queued one
  expect(onDisk(file).equals(Buffer.concat([a, b, c]))).toBe(true);
  fr.appendDeferred(a);
  fr.close();
  expect(onDisk(file).equals(Buffer.concat([a, b, c, a]))).toBe(true);
});

test('a file with nothing queued is written at once and whenWritten resolves immediately', async () => {
  const fr = FileRecords.open(path.join(dir, 'x.log'), false);
  await expect(fr.whenWritten()).resolves.toBeUndefined();
  fr.append(makeBatch(0n, 1));
  expect(fr.hasPendingWrites).toBe(false);
  fr.close();
});
