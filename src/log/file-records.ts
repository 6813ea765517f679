// The .log file of a segment (Kafka's FileRecords): batches appended with positioned writes on a
// descriptor we keep open, the size tracked in memory, reads by exact region. The broker is one
// Node thread and the data lands in the page cache, so a synchronous pwrite/pwritev per append
// is the cheapest option (no promise, no queue, no copy) and keeps append ordering trivial.
// fsync is never on the append path: flushes are explicit (flush()) or async (flushAsync()).

import * as fs from 'fs';
import {
  HEADER_SIZE_UP_TO_MAGIC,
  MAX_HEADER_SIZE,
  MIN_DECLARED_SIZE,
  BatchHeader,
  parseBatchHeader,
} from './batch-headers';
import { fsyncPathAsync } from './fs-utils';
import { LOG_OVERHEAD } from '../protocol/records/batch';

/** A byte range of a segment file, e.g. what a Fetch sends. Valid until the segment is deleted. */
export interface FileRegion {
  readonly path: string;
  readonly fd: number;
  readonly position: number;
  readonly length: number;
}

/** Writes every byte of `bufs` at `position`, looping over short writes. */
function writeFully(fd: number, bufs: readonly Buffer[], position: number): void {
  let pending = bufs.filter((b) => b.length > 0);
  let pos = position;
  while (pending.length > 0) {
    const written =
      pending.length === 1
        ? fs.writeSync(fd, pending[0], 0, pending[0].length, pos)
        : fs.writevSync(fd, pending as Buffer[], pos);
    pos += written;
    let left = written;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (left >= b.length) {
        left -= b.length;
      } else {
        rest.push(left > 0 ? b.subarray(left) : b);
        left = 0;
      }
    }
    pending = rest;
  }
}

/** Reads exactly `length` bytes at `position` into `target[offset..]`; returns bytes read (short at EOF). */
export function readFully(
  fd: number,
  target: Buffer,
  offset: number,
  length: number,
  position: number,
): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, target, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export class FileRecords {
  private _path: string;
  private fd: number;
  private size: number;
  /** Changes made / changes covered by a completed fsync (an async fsync only covers what preceded it). */
  private changes = 0;
  private syncedChanges = 0;
  private closed = false;

  private constructor(path: string, fd: number, size: number) {
    this._path = path;
    this.fd = fd;
    this.size = size;
  }

  /**
   * Opens (or creates, truncating any leftover) a segment file. With `preallocate` a new file is
   * extended to `initFileSize` up front and trimmed back on roll/close.
   */
  static open(path: string, fileAlreadyExists: boolean, initFileSize = 0, preallocate = false): FileRecords {
    if (fileAlreadyExists) {
      const fd = fs.openSync(path, 'r+');
      return new FileRecords(path, fd, fs.fstatSync(fd).size);
    }
    const fd = fs.openSync(path, 'w+');
    if (preallocate && initFileSize > 0) fs.ftruncateSync(fd, initFileSize);
    return new FileRecords(path, fd, 0);
  }

  get path(): string {
    return this._path;
  }

  /** Bytes of batches in the file (not the preallocated length). */
  get sizeInBytes(): number {
    return this.size;
  }

  /** Appends whole batches at the end; one pwrite (or pwritev for several buffers). */
  append(records: Buffer | readonly Buffer[]): number {
    const bufs = Buffer.isBuffer(records) ? [records] : records;
    let total = 0;
    for (const b of bufs) total += b.length;
    if (total === 0) return 0;
    if (this.size + total > 0x7fffffff) {
      throw new RangeError(`Appending ${total} bytes would make ${this._path} larger than 2 GiB`);
    }
    writeFully(this.fd, bufs, this.size);
    this.size += total;
    this.changes++;
    return total;
  }

  /** The region [position, position + length) clamped to the data in the file. */
  slice(position: number, length: number): FileRegion {
    if (position < 0 || position > this.size) {
      throw new RangeError(`Invalid position ${position} in ${this._path} of size ${this.size}`);
    }
    const len = Math.max(0, Math.min(length, this.size - position));
    return { path: this._path, fd: this.fd, position, length: len };
  }

  /** Reads a region into a new Buffer of exactly its length. */
  read(position: number, length: number): Buffer {
    const region = this.slice(position, length);
    const buf = Buffer.allocUnsafe(region.length);
    const n = readFully(this.fd, buf, 0, region.length, position);
    return n === region.length ? buf : buf.subarray(0, n);
  }

  /** Cuts the file to `targetSize` bytes; returns the bytes removed. */
  truncateTo(targetSize: number): number {
    const original = this.size;
    if (targetSize > original || targetSize < 0) {
      throw new RangeError(
        `Attempt to truncate log segment ${this._path} to ${targetSize} bytes failed, size of this log segment is ${original} bytes.`,
      );
    }
    if (targetSize < fs.fstatSync(this.fd).size) {
      fs.ftruncateSync(this.fd, targetSize);
      this.changes++;
    }
    this.size = targetSize;
    return original - targetSize;
  }

  /** Drops preallocated space beyond the data. */
  trim(): void {
    if (fs.fstatSync(this.fd).size !== this.size) {
      fs.ftruncateSync(this.fd, this.size);
      this.changes++;
    }
  }

  /** fsync, if anything changed since the last one. */
  flush(): void {
    if (this.changes === this.syncedChanges || this.closed) return;
    const covered = this.changes;
    fs.fsyncSync(this.fd);
    this.syncedChanges = covered;
  }

  /** fsync on the thread pool. */
  async flushAsync(): Promise<void> {
    if (this.changes === this.syncedChanges) return;
    const covered = this.changes;
    await fsyncPathAsync(this._path);
    if (covered > this.syncedChanges) this.syncedChanges = covered;
  }

  lastModified(): number {
    return fs.statSync(this._path).mtimeMs;
  }

  renameTo(newPath: string): void {
    fs.renameSync(this._path, newPath);
    this._path = newPath;
  }

  /** flush, trim and close (clean shutdown). */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.trim();
    this.closeHandlers();
  }

  /** Releases the descriptor without touching the file. */
  closeHandlers(): void {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Closes and deletes the file; false if it was already gone. */
  deleteIfExists(): boolean {
    this.closeHandlers();
    try {
      fs.unlinkSync(this._path);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /** Iterates batch headers from `start` (a batch boundary) to the end of the data. */
  batches(start = 0, chunkSize = 16 * 1024): FileBatchIterator {
    return new FileBatchIterator(this.fd, start, this.size, chunkSize);
  }
}

/** Why iteration stopped before the end: a truncated tail or impossible framing. */
export interface IterationStop {
  readonly kind: 'partial' | 'corrupt';
  readonly position: number;
  readonly reason: string;
}

/**
 * Walks batch headers of a file region with chunked positioned reads (several headers per read
 * when batches are small). Stops silently at a truncated tail, like Kafka's FileLogInputStream;
 * `stop` tells why it stopped early.
 */
export class FileBatchIterator {
  private readonly chunk: Buffer;
  private chunkStart = 0;
  private chunkLength = 0;
  private position: number;
  stop: IterationStop | null = null;

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
    chunkSize: number,
  ) {
    this.chunk = Buffer.allocUnsafe(Math.max(chunkSize, MAX_HEADER_SIZE));
    this.position = start;
  }

  next(): BatchHeader | null {
    const pos = this.position;
    if (this.stop) return null;
    if (pos >= this.end - HEADER_SIZE_UP_TO_MAGIC) {
      if (pos < this.end) this.stop = { kind: 'partial', position: pos, reason: 'truncated batch header' };
      return null;
    }
    const at = this.ensure(pos, Math.min(MAX_HEADER_SIZE, this.end - pos));
    if (at < 0) {
      this.stop = { kind: 'partial', position: pos, reason: 'file shorter than expected' };
      return null;
    }
    const declared = this.chunk.readInt32BE(at + 8);
    if (declared < MIN_DECLARED_SIZE) {
      this.stop = {
        kind: 'corrupt',
        position: pos,
        reason: `Found record size ${declared} smaller than minimum record overhead (${MIN_DECLARED_SIZE})`,
      };
      return null;
    }
    if (pos > this.end - LOG_OVERHEAD - declared) {
      this.stop = { kind: 'partial', position: pos, reason: 'truncated batch' };
      return null;
    }
    const header = parseBatchHeader(this.chunk, at, pos);
    if (typeof header === 'string') {
      this.stop = { kind: 'corrupt', position: pos, reason: header };
      return null;
    }
    this.position = pos + header.sizeInBytes;
    return header;
  }

  /**
   * The whole bytes of `h` (the last batch returned by next()). A view into the read buffer when
   * the batch fits in it: valid only until the next call.
   */
  batchBytes(h: BatchHeader): Buffer {
    if (h.sizeInBytes <= this.chunk.length) {
      const at = this.ensure(h.position, h.sizeInBytes);
      if (at >= 0) return this.chunk.subarray(at, at + h.sizeInBytes);
    }
    const buf = Buffer.allocUnsafe(h.sizeInBytes);
    const n = readFully(this.fd, buf, 0, h.sizeInBytes, h.position);
    return n === h.sizeInBytes ? buf : buf.subarray(0, n);
  }

  /** Makes [pos, pos + n) available in the chunk; returns its index there, -1 past EOF. */
  private ensure(pos: number, n: number): number {
    if (pos >= this.chunkStart && pos + n <= this.chunkStart + this.chunkLength) return pos - this.chunkStart;
    const want = Math.min(this.chunk.length, this.end - pos);
    const got = readFully(this.fd, this.chunk, 0, want, pos);
    this.chunkStart = pos;
    this.chunkLength = got;
    return got >= n ? 0 : -1;
  }
}
