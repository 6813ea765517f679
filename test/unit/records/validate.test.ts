import {
  CRC_OFFSET,
  CompressionType,
  RECORD_BATCH_OVERHEAD,
  computeCrc,
  isValidCrc,
  maxTimestamp,
} from '../../../src/protocol/records/batch';
import { ErrorCode } from '../../../src/protocol/errors';
import {
  TimestampType,
  buildRecordBatch,
  buildRecordBatchSync,
  decodeRecords,
  readBatchHeader,
  type RecordInput,
} from '../../../src/protocol/records/records';
import {
  validateRecordSet,
  type ValidationFailure,
  type ValidationSuccess,
} from '../../../src/protocol/records/validate';

const NOW = 1_700_000_000_000;
const recs = (n: number, ts = NOW): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: ts + i }));

async function ok(records: Buffer, cfg = {}): Promise<ValidationSuccess> {
  const r = await validateRecordSet(records, { now: NOW, topicPartition: 't-0', ...cfg });
  if (!r.ok) throw new Error(`expected success, got ${r.errorCode}: ${r.errorMessage}`);
  return r;
}

async function fail(records: Buffer, cfg = {}): Promise<ValidationFailure> {
  const r = await validateRecordSet(records, { now: NOW, topicPartition: 't-0', ...cfg });
  if (r.ok) throw new Error('expected failure');
  return r;
}

/** Rewrites a header field and refreshes the CRC, like a misbehaving producer would. */
function patch(b: Buffer, f: (b: Buffer) => void): Buffer {
  const c = Buffer.from(b);
  f(c);
  c.writeUInt32BE(computeCrc(c), CRC_OFFSET);
  return c;
}

describe('uncompressed v2 (in place)', () => {
  it('accepts a well-formed batch without copying it', async () => {
    const batch = buildRecordBatchSync(recs(3));
    const input = Buffer.concat([batch]);
    const r = await ok(input, { produceVersion: 9 });
    expect(r.inPlace).toBe(true);
    expect(r.converted).toBe(false);
    expect(r.records.buffer).toBe(input.buffer);
    expect(r.records.byteOffset).toBe(input.byteOffset);
    expect(r.recordCount).toBe(3);
    expect(r.firstTimestamp).toBe(BigInt(NOW));
    expect(r.maxTimestamp).toBe(BigInt(NOW + 2));
    expect(r.offsetOfMaxTimestampDelta).toBe(2);
    expect(r.batches).toHaveLength(1);
    expect(r.producerId).toBe(-1n);
  });

  it("corrects the producer's maxTimestamp in place (and only then the CRC)", async () => {
    const batch = patch(buildRecordBatchSync(recs(2)), (b) => b.writeBigInt64BE(5n, 35));
    const r = await ok(batch);
    expect(maxTimestamp(r.records)).toBe(BigInt(NOW + 1));
    expect(isValidCrc(r.records)).toBe(true);
  });

  it('drops a partial trailing batch like Kafka', async () => {
    const batch = buildRecordBatchSync(recs(1));
    const r = await ok(Buffer.concat([batch, batch.subarray(0, 20)]));
    expect(r.records.length).toBe(batch.length);
    expect(r.droppedBytes).toBe(20);
  });
});

describe('shallow checks (analyzeAndValidateRecords)', () => {
  const batch = buildRecordBatchSync(recs(2));

  it('bad CRC → CORRUPT_MESSAGE', async () => {
    const bad = Buffer.from(batch);
    bad[bad.length - 1] ^= 0xff;
    const r = await fail(bad);
    expect(r.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r.errorMessage).toMatch(/Record is corrupt \(stored crc = \d+\) in topic partition t-0/);
    expect(r.responseErrorMessage).toBeNull();
    expect(r.recordErrors).toEqual([]);
  });

  it('v2 batch shorter than 61 bytes → CORRUPT_MESSAGE', async () => {
    const short = Buffer.from(batch.subarray(0, 40));
    short.writeInt32BE(28, 8);
    expect((await fail(short)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('size field below 14 or unknown magic → CORRUPT_MESSAGE', async () => {
    const tiny = Buffer.from(batch);
    tiny.writeInt32BE(10, 8);
    expect((await fail(tiny)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const magic3 = Buffer.from(batch);
    magic3[16] = 3;
    expect((await fail(magic3)).errorMessage).toBe('Invalid magic found in record: 3');
  });

  it('a truncated only batch: INVALID_RECORD on Produce v3+, nothing to append before', async () => {
    const truncated = batch.subarray(0, batch.length - 1);
    const r = await fail(truncated, { produceVersion: 9 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toMatch(/must have at least one record batch/);
    const old = await ok(truncated, { produceVersion: 2 });
    expect(old.recordCount).toBe(0);
    expect(old.records.length).toBe(0);
  });

  it('batch larger than max.message.bytes → MESSAGE_TOO_LARGE', async () => {
    const r = await fail(batch, { maxMessageBytes: batch.length - 1 });
    expect(r.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(r.errorMessage).toBe(
      `The record batch size in the append to t-0 is ${batch.length} bytes which exceeds the maximum configured value of ${batch.length - 1}.`,
    );
  });

  it('client batch with baseOffset ≠ 0 → INVALID_RECORD', async () => {
    const moved = Buffer.from(batch);
    moved.writeBigInt64BE(5n, 0);
    expect((await fail(moved)).errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await ok(moved, { origin: 'coordinator' })).recordCount).toBe(2);
  });

  it('compression codec 5..7 → UNSUPPORTED_COMPRESSION_TYPE', async () => {
    const bad = patch(batch, (b) => b.writeInt16BE(5, 21));
    expect((await fail(bad)).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await fail(bad, { produceVersion: 9 })).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('segment.bytes exceeded → RECORD_LIST_TOO_LARGE', async () => {
    expect((await fail(batch, { segmentBytes: 50 })).errorCode).toBe(ErrorCode.RECORD_LIST_TOO_LARGE);
  });
});

describe('Produce v3+ shape (ProduceRequest.validateRecords)', () => {
  const batch = buildRecordBatchSync(recs(1));

  it('needs exactly one batch', async () => {
    const r = await fail(Buffer.concat([batch, batch]), { produceVersion: 3 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toMatch(/exactly one record batch/);
    const old = await fail(Buffer.concat([batch, batch]), { produceVersion: 2 });
    expect(old.errorMessage).toBe('Compressed outer record has more than one batch');
  });

  it('zstd needs Produce v7+', async () => {
    const z = await buildRecordBatch(recs(1), { compression: CompressionType.Zstd });
    expect((await fail(z, { produceVersion: 6 })).errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await ok(z, { produceVersion: 7 })).inPlace).toBe(true);
  });
});

describe('batch checks (LogValidator.validateBatch)', () => {
  const batch = buildRecordBatchSync(recs(2));

  it('record count must match the offset range', async () => {
    const r = await fail(patch(batch, (b) => b.writeInt32BE(0, 23)));
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toBe(
      'Inconsistent batch offset range [0, 0] and count of records 2 in topic partition t-0',
    );
    expect((await fail(patch(batch, (b) => b.writeInt32BE(-1, 23)))).errorMessage).toMatch(
      /invalid offset range/,
    );
  });

  it('clients may not write control batches', async () => {
    const r = await fail(patch(batch, (b) => b.writeInt16BE(0x20, 21)));
    expect(r.errorMessage).toBe('Clients are not allowed to write control records in topic partition t-0');
  });

  it('a producer id needs a sequence', async () => {
    const idem = buildRecordBatchSync(recs(1), { producerId: 7n, producerEpoch: 0, baseSequence: -1 });
    expect((await fail(idem)).errorMessage).toMatch(
      /Invalid sequence number -1 in record batch with producerId 7/,
    );
    const good = buildRecordBatchSync(recs(1), { producerId: 7n, producerEpoch: 0, baseSequence: 0 });
    const r = await ok(good);
    expect([r.producerId, r.producerEpoch, r.baseSequence]).toEqual([7n, 0, 0]);
  });

  it('record structure errors → INVALID_RECORD', async () => {
    const extra = patch(batch, (b) => b.writeInt32BE(1, 57));
    const r = await fail(patch(extra, (b) => b.writeInt32BE(0, 23)));
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.errorMessage).toMatch(/records still remaining/);
  });
});

describe('record checks', () => {
  it('timestamps outside before/after.max.ms → INVALID_TIMESTAMP with record errors', async () => {
    const b = buildRecordBatchSync([
      { key: 'a', value: 'x', timestamp: NOW - 10_000 },
      { key: 'b', value: 'y', timestamp: NOW },
      { key: 'c', value: 'z', timestamp: NOW + 10_000 },
    ]);
    const r = await fail(b, { timestampBeforeMaxMs: 1000, timestampAfterMaxMs: 2000 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(r.errorMessage).toBe('One or more records have been rejected due to invalid timestamp');
    expect(r.responseErrorMessage).toBe(r.errorMessage);
    expect(r.recordErrors).toEqual([
      {
        batchIndex: 0,
        message: `Timestamp ${NOW - 10_000} of message with offset 0 is out of range. The timestamp should be within [${NOW - 1000}, ${NOW + 2000}]`,
      },
      {
        batchIndex: 2,
        message: expect.stringContaining(`Timestamp ${NOW + 10_000} of message with offset 2`),
      },
    ]);
  });

  it('ignores timestamps of −1 and uses Java long arithmetic', async () => {
    await ok(buildRecordBatchSync([{ value: 'x', timestamp: -1 }]), { timestampBeforeMaxMs: 0 });
    // now − Long.MIN overflows to a negative difference in Java: accepted there, accepted here
    await ok(buildRecordBatchSync([{ value: 'x', timestamp: -(2n ** 63n) }]), { timestampBeforeMaxMs: 1000 });
  });

  it('a LogAppendTime batch from a producer is rejected on LogAppendTime topics', async () => {
    const lat = buildRecordBatchSync(recs(1), {
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: 5n,
    });
    const r = await fail(lat, { timestampType: TimestampType.LogAppendTime });
    expect(r.errorCode).toBe(ErrorCode.INVALID_TIMESTAMP);
    expect(r.recordErrors[0].message).toBe(
      'Invalid timestamp type in message DefaultRecord(offset=0, timestamp=5, key=2 bytes, value=2 bytes). Producer should not set timestamp type to LogAppendTime.',
    );
  });

  it('compacted topics reject keyless records → INVALID_RECORD with record errors', async () => {
    const b = buildRecordBatchSync([
      { key: 'a', value: '1', timestamp: NOW },
      { key: null, value: '2', timestamp: NOW },
    ]);
    const r = await fail(b, { compacted: true });
    expect(r.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(r.recordErrors).toEqual([
      { batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition t-0' },
    ]);
    expect(r.errorMessage).toBe(
      "One or more records have been rejected due to 1 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='Compacted topic cannot accept message without key in topic partition t-0')]",
    );
  });
});

describe('compressed batches', () => {
  it('same codec in and out: validated by decompressing, kept in place', async () => {
    const b = await buildRecordBatch(recs(50), { compression: CompressionType.Snappy });
    const r = await ok(b);
    expect(r.inPlace).toBe(true);
    expect(r.records.equals(b)).toBe(true);
    expect(r.sourceCompression).toBe(CompressionType.Snappy);
    expect(r.recordCount).toBe(50);
    expect(r.maxTimestamp).toBe(BigInt(NOW + 49));
  });

  it('recompresses to the topic codec', async () => {
    const b = await buildRecordBatch(recs(20), {
      compression: CompressionType.Lz4,
      producerId: 3n,
      producerEpoch: 1,
      baseSequence: 10,
    });
    const r = await ok(b, { compressionType: 'gzip' });
    expect(r.converted).toBe(true);
    expect(r.inPlace).toBe(false);
    const h = readBatchHeader(r.records);
    expect(h.compression).toBe(CompressionType.Gzip);
    expect([h.producerId, h.producerEpoch, h.baseSequence]).toEqual([3n, 1, 10]);
    const out = await decodeRecords(r.records);
    expect(out.map((x) => x.key?.toString())).toEqual(recs(20).map((x) => x.key));
  });

  it('compresses uncompressed input when the topic asks for it', async () => {
    const r = await ok(buildRecordBatchSync(recs(5)), { compressionType: 'zstd' });
    expect(readBatchHeader(r.records).compression).toBe(CompressionType.Zstd);
  });

  it('rebuilds when inner offsets are not 0..n−1 (old clients)', async () => {
    const b = await buildRecordBatch(
      recs(3).map((r, i) => ({ ...r, offsetDelta: i * 2 })),
      { compression: CompressionType.Gzip, lastOffsetDelta: 2 },
    );
    const r = await ok(b);
    expect(r.converted).toBe(true);
    expect((await decodeRecords(r.records)).map((x) => x.offsetDelta)).toEqual([0, 1, 2]);
  });

  it('corrupt compressed payload with a valid CRC → CORRUPT_MESSAGE', async () => {
    const b = await buildRecordBatch(recs(3), { compression: CompressionType.Gzip });
    const broken = patch(b, (x) => x.fill(0x41, RECORD_BATCH_OVERHEAD + 12, RECORD_BATCH_OVERHEAD + 20));
    expect((await fail(broken)).errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });

  it('rebuilt batches are re-checked against max.message.bytes', async () => {
    const input = Array.from({ length: 100 }, () => ({ value: 'x'.repeat(100), timestamp: NOW }));
    const b = await buildRecordBatch(input, { compression: CompressionType.Gzip });
    const r = await fail(b, { compressionType: 'uncompressed', maxMessageBytes: b.length + 10 });
    expect(r.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });
});

describe('compression bombs', () => {
  it('refuse batches that decompress beyond maxDecompressedBytes → CORRUPT_MESSAGE', async () => {
    const b = await buildRecordBatch([{ value: Buffer.alloc(1_000_000), timestamp: NOW }], {
      compression: CompressionType.Zstd,
    });
    expect(b.length).toBeLessThan(1000);
    const r = await fail(b, { maxDecompressedBytes: 100_000 });
    expect(r.errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(r.errorMessage).toMatch(/exceeds the limit/);
    expect((await ok(b)).recordCount).toBe(1);
  });
});
