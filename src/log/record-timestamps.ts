// Record-level (offset, timestamp) walk of one batch, for ListOffsets: finding the first record
// at/after a timestamp and the record holding the max timestamp needs the records themselves,
// not just batch headers (Kafka's FileRecords.searchForTimestamp / batch.offsetOfMaxTimestamp).
// Only the leading fields of each record are decoded (length, attributes, timestampDelta,
// offsetDelta). Compressed batches need a decompressor from the codec layer; without one the
// caller falls back to batch-level answers.

import * as v2 from '../protocol/records/batch';
import { BatchHeader } from './batch-headers';

/** Decompresses a batch payload (everything after the 61-byte v2 header) for a codec id 1..4. */
export type RecordsDecompressor = (compressionType: number, payload: Buffer) => Buffer;

export type ScanOutcome = 'found' | 'exhausted' | 'unsupported';

/** Reads a zigzag varint as a JS number (exact for |value| < 2^53). Returns [value, next]. */
function readVarNumber(buf: Buffer, pos: number, maxBytes: number): [number, number] {
  let raw = 0;
  let mult = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= buf.length) throw new RangeError('varint runs past the end of the records');
    const b = buf[pos++];
    raw += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return [raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, pos];
    mult *= 128;
  }
  throw new RangeError('varint too long');
}

/**
 * Calls `visit(offset, timestamp)` for each record of `batch` (the whole batch bytes) in order
 * until it returns true ('found'). 'unsupported' = records cannot be read here (compressed
 * without decompressor, legacy wrapper, malformed): use batch-level information instead.
 */
export function scanRecordTimestamps(
  batch: Buffer,
  header: BatchHeader,
  visit: (offset: bigint, timestamp: bigint) => boolean,
  decompress?: RecordsDecompressor,
): ScanOutcome {
  if (header.magic < 2) {
    // An uncompressed legacy message is its own single record; v0 has no timestamp.
    if (!header.baseOffsetKnown) return 'unsupported';
    return visit(header.lastOffset, header.maxTimestamp) ? 'found' : 'exhausted';
  }
  try {
    const count = v2.recordsCount(batch);
    const codec = v2.compressionType(batch);
    const logAppendTime = v2.isLogAppendTime(batch);
    const baseOffset = v2.baseOffset(batch);
    const baseTimestamp = v2.baseTimestamp(batch);
    const payload = batch.subarray(v2.RECORD_BATCH_OVERHEAD, header.sizeInBytes);
    let data: Buffer;
    if (codec === v2.CompressionType.None) data = payload;
    else if (decompress) data = decompress(codec, payload);
    else return 'unsupported';
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const [length, afterLength] = readVarNumber(data, pos, 5);
      const end = afterLength + length;
      const [tsDelta, afterTs] = readVarNumber(data, afterLength + 1, 10);
      const [offsetDelta] = readVarNumber(data, afterTs, 5);
      // LogAppendTime batches: every record's timestamp is the batch's max timestamp.
      const timestamp = logAppendTime ? header.maxTimestamp : baseTimestamp + BigInt(tsDelta);
      if (visit(baseOffset + BigInt(offsetDelta), timestamp)) return 'found';
      pos = end;
    }
    return 'exhausted';
  } catch {
    return 'unsupported';
  }
}
