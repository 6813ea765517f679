// Sparse offset index of a segment (Kafka's OffsetIndex): 8-byte entries
// [int32 relative offset][int32 file position], strictly increasing. Entry (O, P) means the
// batch whose last offset is O starts at byte P. A lookup returns the greatest entry <= target,
// from where the caller scans batch headers forward. storage-format.md §2.1.

import { AbstractIndex, MAX_RELATIVE_OFFSET } from './abstract-index';
import { CorruptIndexError, InvalidOffsetError, LogSegmentOffsetOverflowError } from './errors';

export interface OffsetPosition {
  readonly offset: bigint;
  readonly position: number;
}

const ENTRY_SIZE = 8;
const relAt = (buf: Buffer, slot: number): number => buf.readInt32BE(slot * ENTRY_SIZE);

export class OffsetIndex extends AbstractIndex {
  static readonly ENTRY_SIZE = ENTRY_SIZE;
  private cachedLastOffset: bigint | null = null;

  constructor(path: string, baseOffset: bigint, maxIndexSize: number) {
    super(path, baseOffset, maxIndexSize, ENTRY_SIZE);
  }

  /** Offset of the last entry, or the base offset when empty. */
  get lastOffset(): bigint {
    if (this.cachedLastOffset === null) {
      this.cachedLastOffset =
        this._entries === 0
          ? this.baseOffset
          : this.baseOffset + BigInt(this.readRawEntry(this._entries - 1).readInt32BE(0));
    }
    return this.cachedLastOffset;
  }

  /** Greatest entry with offset <= target, or (baseOffset, 0). */
  lookup(targetOffset: bigint): OffsetPosition {
    const slot = this.largestLowerBoundSlotFor(Number(targetOffset - this.baseOffset), relAt);
    return slot < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(slot);
  }

  entry(slot: number): OffsetPosition {
    if (slot < 0 || slot >= this._entries)
      throw new RangeError(`Slot ${slot} out of range [0, ${this._entries})`);
    const buf = this.entryBytes();
    return {
      offset: this.baseOffset + BigInt(buf.readInt32BE(slot * ENTRY_SIZE)),
      position: buf.readInt32BE(slot * ENTRY_SIZE + 4),
    };
  }

  /** Adds (offset, position); offsets must strictly increase. */
  append(offset: bigint, position: number): void {
    if (this.isFull()) throw new RangeError(`Attempt to append to a full index (size = ${this._entries}).`);
    if (this._entries !== 0 && offset <= this.lastOffset) {
      throw new InvalidOffsetError(
        `Attempt to append an offset (${offset}) to position ${this._entries} no larger than the last offset appended (${this.lastOffset}) to ${this.path}.`,
      );
    }
    const rel = this.relativeOffset(offset);
    const at = this.reserveEntry();
    const buf = this.entryBytes();
    buf.writeInt32BE(rel, at);
    buf.writeInt32BE(position, at + 4);
    this._entries++;
    this.cachedLastOffset = offset;
  }

  /** Removes every entry with offset >= `offset`. */
  truncateTo(offset: bigint): void {
    // Keep the entries whose relative offset is below the target's (relative offsets are ints).
    const slot = this.largestLowerBoundSlotFor(Number(offset - this.baseOffset) - 1, relAt);
    this.truncateToEntries(slot + 1);
  }

  protected override onTruncated(): void {
    this.cachedLastOffset = null;
  }

  /** Checks that positions stay below `logSize` (an index pointing past the .log is stale). */
  checkPositions(logSize: number): void {
    if (this._entries === 0) return;
    const last = this.entry(this._entries - 1);
    if (last.position >= logSize) {
      throw new CorruptIndexError(
        `Corrupt index found, index file (${this.path}) has an entry at position ${last.position} beyond the log size ${logSize}.`,
      );
    }
  }

  protected checkEntries(): void {
    const buf = this.entryBytes();
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this._entries; i++) {
      const rel = buf.readInt32BE(i * ENTRY_SIZE);
      const pos = buf.readInt32BE(i * ENTRY_SIZE + 4);
      if (rel <= prevRel || pos <= prevPos || rel < 0) {
        throw new CorruptIndexError(
          `Corrupt index found, index file (${this.path}) has non-increasing entry (${rel}, ${pos}) at slot ${i} after (${prevRel}, ${prevPos}).`,
        );
      }
      prevRel = rel;
      prevPos = pos;
    }
  }

  private relativeOffset(offset: bigint): number {
    const rel = offset - this.baseOffset;
    if (rel < 0n || rel > BigInt(MAX_RELATIVE_OFFSET)) {
      throw new LogSegmentOffsetOverflowError(
        `Integer overflow for offset: ${offset} (${this.path}): relative offset to base ${this.baseOffset} does not fit an int32`,
      );
    }
    return Number(rel);
  }
}
