// Shared machinery of the sparse segment indexes (Kafka's AbstractIndex), reworked for Node
// where mmap is not available: the entries live in an in-memory Buffer mirror that lookups
// binary-search, and the file is written with positioned writes. Appends only touch memory;
// new entries reach the file on flush/trim/close (one pwrite for all of them). That is safe
// because a crash recovers every segment above the recovery point (rebuilding its indexes), and
// a segment only gets below the recovery point through flush(), which writes them first.
//
// File sizing follows Kafka exactly: a new index file is preallocated (sparse) to
// segment.index.bytes rounded down to the entry size; an existing file's length says how many
// entries it holds (length / entrySize), so files are trimmed to their entries on roll/close and
// re-extended when a segment becomes active again. The mirror of an existing file is read lazily
// on first use (most old segments are never looked up).

import * as fs from 'fs';
import { fsyncPathAsync, isNotFound } from './fs-utils';
import { CorruptIndexError } from './errors';

/** Largest relative offset an entry can hold. */
export const MAX_RELATIVE_OFFSET = 0x7fffffff;

export abstract class AbstractIndex {
  readonly baseOffset: bigint;
  readonly maxIndexSize: number;
  readonly entrySize: number;

  private _path: string;
  private fd: number | null = null;
  /** File length in bytes (Kafka's mmap length): maxEntries * entrySize. */
  private length: number;
  private _maxEntries: number;
  protected _entries: number;
  /** Entries [0, persistedEntries) are in the file; the rest only in the mirror. */
  private persistedEntries: number;
  /** Changes made / changes covered by a completed fsync. */
  private changes = 0;
  private syncedChanges = 0;
  /** Entry bytes; capacity grows on demand. Null until loaded from an existing file. */
  private mirror: Buffer | null = null;

  protected constructor(path: string, baseOffset: bigint, maxIndexSize: number, entrySize: number) {
    this._path = path;
    this.baseOffset = baseOffset;
    this.maxIndexSize = maxIndexSize;
    this.entrySize = entrySize;
    let existing: number | null = null;
    try {
      existing = fs.statSync(path).size;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    if (existing === null) {
      if (maxIndexSize < entrySize) throw new RangeError(`Invalid max index size: ${maxIndexSize}`);
      this.length = this.roundDown(maxIndexSize);
      this.fd = fs.openSync(path, 'w+');
      fs.ftruncateSync(this.fd, this.length);
      this._entries = 0;
      this.mirror = Buffer.alloc(Math.min(this.length, 64 * entrySize));
    } else {
      this.length = existing;
      this._entries = Math.floor(existing / entrySize);
    }
    this._maxEntries = Math.floor(this.length / entrySize);
    this.persistedEntries = this._entries;
  }

  get path(): string {
    return this._path;
  }

  get entries(): number {
    return this._entries;
  }

  get maxEntries(): number {
    return this._maxEntries;
  }

  /** Current file length in bytes. */
  get sizeInBytes(): number {
    return this.length;
  }

  get isLoaded(): boolean {
    return this.mirror !== null;
  }

  isFull(): boolean {
    return this._entries >= this._maxEntries;
  }

  /** Reads the entries of an existing file into memory and sanity-checks them. */
  load(): void {
    if (this.mirror !== null) return;
    const fileLength = this.length;
    const bytes = this._entries * this.entrySize;
    const buf = Buffer.alloc(Math.max(bytes, this.entrySize));
    if (bytes > 0) {
      const fd = fs.openSync(this._path, 'r');
      try {
        let done = 0;
        while (done < bytes) {
          const n = fs.readSync(fd, buf, done, bytes - done, done);
          if (n === 0) break;
          done += n;
        }
        if (done < bytes) buf.fill(0, done);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.mirror = buf;
    if (fileLength % this.entrySize !== 0) {
      throw new CorruptIndexError(
        `Index file ${this._path} is corrupt, found ${fileLength} bytes which is neither positive nor a multiple of ${this.entrySize}.`,
      );
    }
    this.checkEntries();
  }

  /** Throws CorruptIndexError if the loaded entries are out of order or out of range. */
  protected abstract checkEntries(): void;

  /** The loaded entry bytes (loads them on first use). */
  protected entryBytes(): Buffer {
    if (this.mirror === null) this.load();
    return this.mirror!;
  }

  /** Reads one raw entry without loading the whole file (used for last-entry lookups). */
  protected readRawEntry(slot: number): Buffer {
    if (this.mirror !== null) return this.mirror.subarray(slot * this.entrySize, (slot + 1) * this.entrySize);
    const buf = Buffer.alloc(this.entrySize);
    const fd = fs.openSync(this._path, 'r');
    try {
      fs.readSync(fd, buf, 0, this.entrySize, slot * this.entrySize);
    } finally {
      fs.closeSync(fd);
    }
    return buf;
  }

  /** Room for one more entry in the mirror; returns the byte position to write it at. */
  protected reserveEntry(): number {
    const buf = this.entryBytes();
    const pos = this._entries * this.entrySize;
    if (pos + this.entrySize > buf.length) {
      const grown = Buffer.alloc(
        Math.min(Math.max(buf.length * 2, pos + this.entrySize), Math.max(this.length, pos + this.entrySize)),
      );
      buf.copy(grown, 0, 0, pos);
      this.mirror = grown;
    }
    return pos;
  }

  /**
   * Largest slot whose key is <= target, or -1 if none (also for an empty index). `keyAt` must be
   * non-decreasing over slots.
   */
  protected largestLowerBoundSlotFor(target: number, keyAt: (buf: Buffer, slot: number) => number): number {
    if (this._entries === 0) return -1;
    const buf = this.entryBytes();
    if (keyAt(buf, 0) > target) return -1;
    let lo = 0;
    let hi = this._entries - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (keyAt(buf, mid) > target) hi = mid - 1;
      else lo = mid;
    }
    return lo;
  }

  /** Writes entries that only exist in memory to the file (one pwrite). */
  writeDirty(): void {
    if (this.persistedEntries >= this._entries || this.mirror === null) {
      this.persistedEntries = Math.min(this.persistedEntries, this._entries);
      return;
    }
    const from = this.persistedEntries * this.entrySize;
    const to = this._entries * this.entrySize;
    const fd = this.openFd();
    let done = 0;
    while (done < to - from)
      done += fs.writeSync(fd, this.mirror, from + done, to - from - done, from + done);
    this.persistedEntries = this._entries;
    this.changes++;
  }

  /** Sets the file length (rounded down to whole entries); maxEntries follows it. */
  resize(newSize: number): boolean {
    const rounded = this.roundDown(newSize);
    if (rounded === this.length) return false;
    this.writeDirty();
    fs.ftruncateSync(this.openFd(), rounded);
    this.length = rounded;
    this._maxEntries = Math.floor(rounded / this.entrySize);
    this.changes++;
    return true;
  }

  /** Shrinks the file to its entries (segment rolled or closed) and releases the descriptor. */
  trimToValidSize(): void {
    this.writeDirty();
    this.resize(this._entries * this.entrySize);
    this.closeFd();
  }

  /** Forgets every entry from slot `n` on. */
  truncateToEntries(n: number): void {
    if (n < this._entries) this.entryBytes();
    this._entries = Math.min(n, this._entries);
    this.persistedEntries = Math.min(this.persistedEntries, this._entries);
    this.onTruncated();
  }

  /** Hook for subclasses caching their last entry. */
  protected onTruncated(): void {}

  /** Empties the index and gives it its full size again (segment recovery). */
  reset(): void {
    if (this.mirror === null) this.mirror = Buffer.alloc(64 * this.entrySize);
    this._entries = 0;
    this.persistedEntries = 0;
    this.onTruncated();
    this.resize(this.maxIndexSize);
  }

  /** Writes pending entries and fsyncs if anything changed. */
  flush(): void {
    this.writeDirty();
    if (this.changes === this.syncedChanges) return;
    const covered = this.changes;
    if (this.fd !== null) {
      fs.fsyncSync(this.fd);
    } else {
      const fd = fs.openSync(this._path, 'r');
      try {
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.syncedChanges = covered;
  }

  /** Writes pending entries now and fsyncs on the thread pool. */
  async flushAsync(): Promise<void> {
    this.writeDirty();
    if (this.changes === this.syncedChanges) return;
    const covered = this.changes;
    await fsyncPathAsync(this._path);
    if (covered > this.syncedChanges) this.syncedChanges = covered;
  }

  renameTo(newPath: string): void {
    try {
      fs.renameSync(this._path, newPath);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    this._path = newPath;
  }

  /** Trim and release (clean close). */
  close(): void {
    this.trimToValidSize();
  }

  /** Releases the descriptor without writing or trimming (the segment is going away). */
  closeHandler(): void {
    this.closeFd();
  }

  deleteIfExists(): boolean {
    this.closeFd();
    try {
      fs.unlinkSync(this._path);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  private openFd(): number {
    if (this.fd === null) this.fd = fs.openSync(this._path, 'r+');
    return this.fd;
  }

  private closeFd(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }

  private roundDown(n: number): number {
    return n - (n % this.entrySize);
  }
}
