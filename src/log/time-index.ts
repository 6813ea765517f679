// Sparse time index of a segment (Kafka's TimeIndex): 12-byte entries [int64 timestamp]
// [int32 relative offset]. Entry (T, O): T is the largest timestamp in the segment up to the
// batch ending at O, the batch that carried T. Timestamps strictly increase; one slot is kept
// free for the final entry written when the segment is rolled or closed. storage-format.md §2.1.

import { AbstractIndex, MAX_RELATIVE_OFFSET } from './abstract-index';
import { CorruptIndexError, InvalidOffsetError, LogSegmentOffsetOverflowError } from './errors';

export interface TimestampOffset {
  readonly timestamp: bigint;
  readonly offset: bigint;
}

const ENTRY_SIZE = 12;
/** Timestamps as numbers for comparisons: exact below 2^53 ms, far beyond any real clock. */
const tsAt = (buf: Buffer, slot: number): number =>
  buf.readInt32BE(slot * ENTRY_SIZE) * 4294967296 + buf.readUInt32BE(slot * ENTRY_SIZE + 4);
const relAt = (buf: Buffer, slot: number): number => buf.readInt32BE(slot * ENTRY_SIZE + 8);

export class TimeIndex extends AbstractIndex {
  static readonly ENTRY_SIZE = ENTRY_SIZE;
  private cachedLastEntry: TimestampOffset | null = null;

  constructor(path: string, baseOffset: bigint, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, ENTRY_SIZE);
  }

  /** The last slot is reserved for the entry written on roll/close. */
  override isFull(): boolean {
    return this._entries >= this.maxEntries - 1;
  }

  /** Last entry, or (-1, baseOffset) when empty. Reads one entry, not the whole file. */
  lastEntry(): TimestampOffset {
    if (this.cachedLastEntry === null) {
      if (this._entries === 0) {
        this.cachedLastEntry = { timestamp: -1n, offset: this.baseOffset };
      } else {
        const raw = this.readRawEntry(this._entries - 1);
        this.cachedLastEntry = {
          timestamp: raw.readBigInt64BE(0),
          offset: this.baseOffset + BigInt(raw.readInt32BE(8)),
        };
      }
    }
    return this.cachedLastEntry;
  }

  entry(slot: number): TimestampOffset {
    if (slot < 0 || slot >= this._entries)
      throw new RangeError(`Slot ${slot} out of range [0, ${this._entries})`);
    const buf = this.entryBytes();
    return {
      timestamp: buf.readBigInt64BE(slot * ENTRY_SIZE),
      offset: this.baseOffset + BigInt(relAt(buf, slot)),
    };
  }

  /** Greatest entry with timestamp <= target, or (-1, baseOffset). */
  lookup(targetTimestamp: bigint): TimestampOffset {
    const slot = this.largestLowerBoundSlotFor(Number(targetTimestamp), tsAt);
    return slot < 0 ? { timestamp: -1n, offset: this.baseOffset } : this.entry(slot);
  }

  /**
   * Appends (timestamp, offset) if the timestamp is larger than the last entry's; the same entry
   * again (segment closed twice, rolled then closed) is a no-op. `skipFullCheck` is for the
   * final entry on roll/close, which uses the reserved slot.
   */
  maybeAppend(timestamp: bigint, offset: bigint, skipFullCheck = false): void {
    const last = this.lastEntry();
    if (!skipFullCheck && this.isFull()) {
      throw new RangeError(`Attempt to append to a full time index (size = ${this._entries}).`);
    }
    if (this._entries !== 0 && offset < last.offset) {
      throw new InvalidOffsetError(
        `Attempt to append an offset (${offset}) to slot ${this._entries} no larger than the last offset appended (${last.offset}) to ${this.path}.`,
      );
    }
    if (this._entries !== 0 && timestamp < last.timestamp) {
      throw new InvalidOffsetError(
        `Attempt to append a timestamp (${timestamp}) to slot ${this._entries} no larger than the last timestamp appended (${last.timestamp}) to ${this.path}.`,
      );
    }
    if (timestamp <= last.timestamp) return;
    if (this._entries >= this.maxEntries) return; // no room at all (tiny segment.index.bytes)
    const rel = offset - this.baseOffset;
    if (rel < 0n || rel > BigInt(MAX_RELATIVE_OFFSET)) {
      throw new LogSegmentOffsetOverflowError(`Integer overflow for offset: ${offset} (${this.path})`);
    }
    const at = this.reserveEntry();
    const buf = this.entryBytes();
    buf.writeBigInt64BE(timestamp, at);
    buf.writeInt32BE(Number(rel), at + 8);
    this._entries++;
    this.cachedLastEntry = { timestamp, offset };
  }

  /** Removes every entry with offset >= `offset`. */
  truncateTo(offset: bigint): void {
    // Keep the entries whose relative offset is below the target's (relative offsets are ints).
    const slot = this.largestLowerBoundSlotFor(Number(offset - this.baseOffset) - 1, relAt);
    this.truncateToEntries(slot + 1);
  }

  protected override onTruncated(): void {
    this.cachedLastEntry = null;
  }

  protected checkEntries(): void {
    const buf = this.entryBytes();
    let prevTs = -Infinity;
    let prevRel = -1;
    for (let i = 0; i < this._entries; i++) {
      const ts = tsAt(buf, i);
      const rel = relAt(buf, i);
      if (ts <= prevTs || rel < prevRel || rel < 0) {
        throw new CorruptIndexError(
          `Corrupt time index found, time index file (${this.path}) has non-increasing entry (${ts}, ${rel}) at slot ${i} after (${prevTs}, ${prevRel}).`,
        );
      }
      prevTs = ts;
      prevRel = rel;
    }
  }
}
