// The .log file of a segment (Kafka's FileRecords): batches appended with positioned writes on a
// descriptor we keep open, the size tracked in memory, reads by exact region. The broker is one
// Node thread and the data lands in the page cache, so a synchronous pwrite/pwritev per append
// is the cheapest option (no promise, no queue, no copy) and keeps append ordering trivial.
// fsync is never on the append path: flushes are explicit (flush()) or async (flushAsync()).
//
// Write-behind (appendDeferred): the leader's produce path queues its batches and writes them on
// the next turn of the event loop (setImmediate), after the replica fetches the append woke up
// have been answered. Followers then copy the data while the leader fills its own page cache:
// on a machine where writing to fresh page-cache pages is the main cost per byte, that takes one
// page-cache write off the acks=all critical path. Until written, the queued bytes are part of
// the file for every reader here (they are overlaid on what the file returns), every operation
// that changes or syncs the file writes the queue first, and the producer is answered only after
// whenWritten() — Kafka's promise (acknowledged = in the page cache) holds.

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

/** Appended bytes not yet in the file. */
interface PendingWrite {
  readonly position: number;
  readonly bufs: readonly Buffer[];
  readonly length: number;
}

export class FileRecords {
  private _path: string;
  private fd: number;
  private size: number;
  private pending: PendingWrite[] = [];
  private writeScheduled = false;
  private writeWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
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
    const total = this.checkAppend(bufs);
    if (total === 0) return 0;
    this.writePending();
    writeFully(this.fd, bufs, this.size);
    this.size += total;
    this.changes++;
    return total;
  }

  /**
   * Appends like append(), but the bytes reach the file on the next turn of the event loop (or
   * earlier, when another operation needs the file). The buffers must stay unchanged until
   * whenWritten() resolves.
   */
  appendDeferred(records: Buffer | readonly Buffer[]): number {
    const bufs = Buffer.isBuffer(records) ? [records] : records;
    const total = this.checkAppend(bufs);
    if (total === 0) return 0;
    this.pending.push({ position: this.size, bufs, length: total });
    this.size += total;
    if (!this.writeScheduled) {
      this.writeScheduled = true;
      setImmediate(() => {
        this.writeScheduled = false;
        try {
          this.writePending();
        } catch {
          // reported to whoever waits in whenWritten(); the log goes offline from there
        }
      });
    }
    return total;
  }

  /** True while deferred appends are not yet in the file. */
  get hasPendingWrites(): boolean {
    return this.pending.length > 0;
  }

  /** Resolves once every deferred append so far is in the file; rejects if writing it failed. */
  whenWritten(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.writeWaiters.push({ resolve, reject }));
  }

  /** Writes the deferred appends now (every operation that touches the file does this first). */
  writePending(): void {
    if (this.pending.length === 0) return;
    const waiters = this.writeWaiters;
    this.writeWaiters = [];
    try {
      while (this.pending.length > 0) {
        const w = this.pending[0];
        writeFully(this.fd, w.bufs, w.position);
        this.pending.shift();
        this.changes++;
      }
    } catch (e) {
      // What could not be written is not part of the file: the size goes back to the last write.
      this.size = this.pending[0].position;
      this.pending = [];
      for (const w of waiters) w.reject(e as Error);
      throw e;
    }
    for (const w of waiters) w.resolve();
  }

  private checkAppend(bufs: readonly Buffer[]): number {
    let total = 0;
    for (const b of bufs) total += b.length;
    if (this.size + total > 0x7fffffff) {
      throw new RangeError(`Appending ${total} bytes would make ${this._path} larger than 2 GiB`);
    }
    return total;
  }

  /**
   * Reads [position, position + length) into target[offset..] as the file will hold it: file
   * contents with the deferred appends laid over them. Returns the bytes read (short at the end).
   */
  readInto(target: Buffer, offset: number, length: number, position: number): number {
    const n = readFully(this.fd, target, offset, length, position);
    let got = n;
    for (const w of this.pending) {
      const from = Math.max(position, w.position);
      const to = Math.min(position + length, w.position + w.length);
      if (from >= to) continue;
      let at = w.position;
      for (const b of w.bufs) {
        const s = Math.max(from, at);
        const e = Math.min(to, at + b.length);
        if (s < e) b.copy(target, offset + (s - position), s - at, e - at);
        at += b.length;
      }
      got = Math.max(got, to - position);
    }
    return got;
  }

  /** The region [position, position + length) clamped to the data in the file. */
  slice(position: number, length: number): FileRegion {
    if (position < 0 || position > this.size) {
      throw new RangeError(`Invalid position ${position} in ${this._path} of size ${this.size}`);
    }
    const len = Math.max(0, Math.min(length, this.size - position));
    return { path: this._path, fd: this.fd, position, length: len };
  }

  /** Reads a region into a Buffer of exactly its length (from `alloc`, default a new one). */
  read(position: number, length: number, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
    const region = this.slice(position, length);
    const buf = alloc(region.length);
    const n = this.readInto(buf, 0, region.length, position);
    return n === region.length ? buf : buf.subarray(0, n);
  }

  /** Cuts the file to `targetSize` bytes; returns the bytes removed. */
  truncateTo(targetSize: number): number {
    this.writePending();
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
    this.writePending();
    if (fs.fstatSync(this.fd).size !== this.size) {
      fs.ftruncateSync(this.fd, this.size);
      this.changes++;
    }
  }

  /** fsync, if anything changed since the last one. */
  flush(): void {
    if (!this.closed) this.writePending();
    if (this.changes === this.syncedChanges || this.closed) return;
    const covered = this.changes;
    fs.fsyncSync(this.fd);
    this.syncedChanges = covered;
  }

  /** fsync on the thread pool. */
  async flushAsync(): Promise<void> {
    if (!this.closed) this.writePending();
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
    this.writePending();
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
    return new FileBatchIterator(this, start, this.size, chunkSize);
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
    private readonly file: FileRecords,
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
    const n = this.file.readInto(buf, 0, h.sizeInBytes, h.position);
    return n === h.sizeInBytes ? buf : buf.subarray(0, n);
  }

  /** Makes [pos, pos + n) available in the chunk; returns its index there, -1 past EOF. */
  private ensure(pos: number, n: number): number {
    if (pos >= this.chunkStart && pos + n <= this.chunkStart + this.chunkLength) return pos - this.chunkStart;
    const want = Math.min(this.chunk.length, this.end - pos);
    const got = this.file.readInto(this.chunk, 0, want, pos);
    this.chunkStart = pos;
    this.chunkLength = got;
    return got >= n ? 0 : -1;
  }
}
