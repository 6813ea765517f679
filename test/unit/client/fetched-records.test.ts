// What the console consumer makes of a partition's fetched bytes (Kafka's CompletedFetch):
// positions inside batches, control batches, aborted transactions, CRCs, codecs, timestamps.

import { decodeFetchedRecords, READ_COMMITTED, READ_UNCOMMITTED } from '../../../src/client/consumer';
import { KafkaClientError } from '../../../src/client/producer';
import { CompressionType } from '../../../src/protocol/records/batch';
import {
  buildEndTransactionMarker,
  buildRecordBatch,
  buildRecordBatchSync,
  ControlRecordType,
  TimestampType,
} from '../../../src/protocol/records/records';

const values = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}${i}`, timestamp: 1000 + i }));

const opts = (
  isolationLevel = READ_UNCOMMITTED,
  aborted: Array<{ producerId: bigint; firstOffset: bigint }> = [],
) => ({
  isolationLevel,
  abortedTransactions: aborted,
  checkCrcs: true,
});

async function decode(data: Buffer, from: bigint, o = opts()) {
  const r = await decodeFetchedRecords('t', 0, data, from, o);
  return { values: r.records.map((x) => `${x.offset}:${x.value?.toString()}`), next: r.nextOffset };
}

describe('decodeFetchedRecords', () => {
  test('records from the fetch offset on, even inside a batch; the next offset follows the last batch', async () => {
    const data = Buffer.concat([
      buildRecordBatchSync(values(3, 'a'), { baseOffset: 0n }),
      buildRecordBatchSync(values(2, 'b'), { baseOffset: 3n }),
    ]);
    expect(await decode(data, 0n)).toEqual({ values: ['0:a0', '1:a1', '2:a2', '3:b0', '4:b1'], next: 5n });
    expect(await decode(data, 2n)).toEqual({ values: ['2:a2', '3:b0', '4:b1'], next: 5n });
    expect(await decode(data, 4n)).toEqual({ values: ['4:b1'], next: 5n });
  });

  test('keys, headers, CreateTime timestamps come through', async () => {
    const batch = buildRecordBatchSync(
      [
        {
          key: 'k',
          value: 'v',
          headers: [
            { key: 'h', value: 'x' },
            { key: 'n', value: null },
          ],
          timestamp: 1700000000000,
        },
      ],
      { baseOffset: 7n },
    );
    const { records } = await decodeFetchedRecords('t', 3, batch, 7n, opts());
    expect(records).toHaveLength(1);
    const r = records[0];
    expect(r.partition).toBe(3);
    expect(r.offset).toBe(7n);
    expect(r.key?.toString()).toBe('k');
    expect(r.timestamp).toBe(1700000000000n);
    expect(r.timestampType).toBe(TimestampType.CreateTime);
    expect(r.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
      ['h', 'x'],
      ['n', null],
    ]);
  });

  test('LogAppendTime batches report the broker time for every record', async () => {
    const batch = buildRecordBatchSync(values(2, 'a'), {
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: 1234n,
    });
    const { records } = await decodeFetchedRecords('t', 0, batch, 0n, opts());
    expect(records.map((r) => [r.timestampType, r.timestamp])).toEqual([
      [TimestampType.LogAppendTime, 1234n],
      [TimestampType.LogAppendTime, 1234n],
    ]);
  });

  test('compressed batches are decompressed (every codec)', async () => {
    for (const compression of [
      CompressionType.Gzip,
      CompressionType.Snappy,
      CompressionType.Lz4,
      CompressionType.Zstd,
    ]) {
      const data = await buildRecordBatch(values(3, 'c'), { baseOffset: 10n, compression });
      expect(await decode(data, 11n)).toEqual({ values: ['11:c1', '12:c2'], next: 13n });
    }
  });

  test('a partial batch at the end (fetch size limit) is left for the next fetch', async () => {
    const whole = buildRecordBatchSync(values(1, 'a'), { baseOffset: 0n });
    const next = buildRecordBatchSync(values(1, 'b'), { baseOffset: 1n });
    const data = Buffer.concat([whole, next.subarray(0, next.length - 5)]);
    expect(await decode(data, 0n)).toEqual({ values: ['0:a0'], next: 1n });
  });

  test('control batches are never returned but move the position', async () => {
    const data = Buffer.concat([
      buildRecordBatchSync(values(2, 't'), {
        baseOffset: 0n,
        producerId: 5n,
        producerEpoch: 0,
        isTransactional: true,
      }),
      buildEndTransactionMarker({
        producerId: 5n,
        producerEpoch: 0,
        marker: { type: ControlRecordType.COMMIT, coordinatorEpoch: 0 },
        timestamp: 2000n,
        baseOffset: 2n,
      }),
    ]);
    expect(await decode(data, 0n)).toEqual({ values: ['0:t0', '1:t1'], next: 3n });
    expect(await decode(data, 0n, opts(READ_COMMITTED))).toEqual({ values: ['0:t0', '1:t1'], next: 3n });
  });

  test('read_committed drops the batches of aborted transactions; read_uncommitted keeps them', async () => {
    const txn = (pid: bigint, base: bigint, prefix: string) =>
      buildRecordBatchSync(values(2, prefix), {
        baseOffset: base,
        producerId: pid,
        producerEpoch: 0,
        isTransactional: true,
      });
    const marker = (pid: bigint, base: bigint, type: ControlRecordType.ABORT | ControlRecordType.COMMIT) =>
      buildEndTransactionMarker({
        producerId: pid,
        producerEpoch: 0,
        marker: { type, coordinatorEpoch: 0 },
        timestamp: 0n,
        baseOffset: base,
      });
    const data = Buffer.concat([
      buildRecordBatchSync(values(1, 'plain'), { baseOffset: 0n }),
      txn(7n, 1n, 'aborted'), // 1-2
      txn(8n, 3n, 'committed'), // 3-4
      marker(7n, 5n, ControlRecordType.ABORT),
      marker(8n, 6n, ControlRecordType.COMMIT),
      txn(7n, 7n, 'later'), // 7-8: producer 7 again, a new transaction that was not aborted
    ]);
    const aborted = [{ producerId: 7n, firstOffset: 1n }];
    expect(await decode(data, 0n, opts(READ_COMMITTED, aborted))).toEqual({
      values: ['0:plain0', '3:committed0', '4:committed1', '7:later0', '8:later1'],
      next: 9n,
    });
    expect((await decode(data, 0n, opts(READ_UNCOMMITTED, aborted))).values).toEqual([
      '0:plain0',
      '1:aborted0',
      '2:aborted1',
      '3:committed0',
      '4:committed1',
      '7:later0',
      '8:later1',
    ]);
  });

  test('a corrupt batch fails with the Java consumer message', async () => {
    const batch = buildRecordBatchSync(values(1, 'a'), { baseOffset: 0n });
    batch[batch.length - 2] ^= 0x01; // a byte of the value
    await expect(decodeFetchedRecords('t', 0, batch, 0n, opts())).rejects.toThrow(KafkaClientError);
    await expect(decodeFetchedRecords('t', 0, batch, 0n, opts())).rejects.toThrow(
      /^Record batch for partition t-0 at offset 0 is invalid, cause: Record is corrupt \(stored crc = \d+, computed crc = \d+\)$/,
    );
    // check.crcs=false reads it anyway
    await expect(
      decodeFetchedRecords('t', 0, batch, 0n, { ...opts(), checkCrcs: false }),
    ).resolves.toBeDefined();
  });
});
