import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dumpLog } from '../../../src/cli/dump-log';
import { CompressionType, storedCrc } from '../../../src/protocol/records/batch';
import { crc32c } from '../../../src/protocol/records/crc32c';
import { buildLegacyRecords, encodeLegacyMessage } from '../../../src/protocol/records/legacy';
import {
  ControlRecordType,
  TimestampType,
  buildEndTransactionMarker,
  buildRecordBatch,
  buildRecordBatchSync,
} from '../../../src/protocol/records/records';

const T = 1_700_000_000_000n;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dump-log-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(
  files: string[],
  opts: { printDataLog?: boolean; deepIteration?: boolean; skipRecordMetadata?: boolean } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  await dumpLog({ files, ...opts, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { out, err };
}

const idx = (entries: [number, number][], zeros = 0) => {
  const b = Buffer.alloc((entries.length + zeros) * 8);
  entries.forEach(([o, p], i) => {
    b.writeInt32BE(o, i * 8);
    b.writeInt32BE(p, i * 8 + 4);
  });
  return b;
};
const tidx = (entries: [bigint, number][], zeros = 0) => {
  const b = Buffer.alloc((entries.length + zeros) * 12);
  entries.forEach(([t, o], i) => {
    b.writeBigInt64BE(t, i * 12);
    b.writeInt32BE(o, i * 12 + 8);
  });
  return b;
};

describe('dump-log on a v2 segment', () => {
  let a: Buffer, bb: Buffer, c: Buffer, d: Buffer;
  let log: string;
  beforeAll(async () => {
    a = buildRecordBatchSync(
      [
        {
          key: 'k1',
          value: 'hello',
          timestamp: T,
          headers: [
            { key: 'h1', value: 'x' },
            { key: 'h2', value: null },
          ],
        },
        { key: null, value: 'world', timestamp: T + 5n },
      ],
      { baseOffset: 0n, partitionLeaderEpoch: 0 },
    );
    bb = await buildRecordBatch(
      [
        { key: 'a', value: '1', timestamp: T + 100n },
        { key: 'b', value: '2', timestamp: T + 50n },
      ],
      {
        baseOffset: 2n,
        partitionLeaderEpoch: 1,
        compression: CompressionType.Gzip,
        producerId: 5n,
        producerEpoch: 1,
        baseSequence: 0,
        isTransactional: true,
      },
    );
    c = buildEndTransactionMarker({
      producerId: 5n,
      producerEpoch: 1,
      marker: { type: ControlRecordType.COMMIT, coordinatorEpoch: 3 },
      timestamp: T + 200n,
      baseOffset: 4n,
      partitionLeaderEpoch: 1,
    });
    d = buildRecordBatchSync([{ value: 'late', timestamp: 1 }], {
      baseOffset: 7n,
      partitionLeaderEpoch: 1,
      timestampType: TimestampType.LogAppendTime,
      logAppendTime: T + 300n,
    });
    log = path.join(dir, '00000000000000000000.log');
    writeFileSync(log, Buffer.concat([a, bb, c, d, Buffer.from('junk!')]));
  });

  const batchLines = () => {
    const pb = a.length;
    const pc = pb + bb.length;
    const pd = pc + c.length;
    return [
      `baseOffset: 0 lastOffset: 1 count: 2 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: ${T + 5n} size: ${a.length} magic: 2 compresscodec: none crc: ${storedCrc(a)} isvalid: true`,
      `baseOffset: 2 lastOffset: 3 count: 2 baseSequence: 0 lastSequence: 1 producerId: 5 producerEpoch: 1 partitionLeaderEpoch: 1 isTransactional: true isControl: false deleteHorizonMs: OptionalLong.empty position: ${pb} CreateTime: ${T + 100n} size: ${bb.length} magic: 2 compresscodec: gzip crc: ${storedCrc(bb)} isvalid: true`,
      `baseOffset: 4 lastOffset: 4 count: 1 baseSequence: -1 lastSequence: -1 producerId: 5 producerEpoch: 1 partitionLeaderEpoch: 1 isTransactional: true isControl: true deleteHorizonMs: OptionalLong.empty position: ${pc} CreateTime: ${T + 200n} size: 78 magic: 2 compresscodec: none crc: ${storedCrc(c)} isvalid: true`,
      `baseOffset: 7 lastOffset: 7 count: 1 baseSequence: -1 lastSequence: -1 producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 1 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: ${pd} LogAppendTime: ${T + 300n} size: ${d.length} magic: 2 compresscodec: none crc: ${storedCrc(d)} isvalid: true`,
    ];
  };

  it('prints batches', async () => {
    const { out, err } = await run([log]);
    expect(out).toEqual([
      `Dumping ${log}`,
      'Log starting offset: 0',
      ...batchLines(),
      'Found 5 invalid bytes at the end of 00000000000000000000.log',
    ]);
    expect(err).toEqual([]);
  });

  it('prints records with --deep-iteration and reports offset gaps', async () => {
    const { out, err } = await run([log], { deepIteration: true });
    const [la, lb, lc, ld] = batchLines();
    expect(out).toEqual([
      `Dumping ${log}`,
      'Log starting offset: 0',
      la,
      `| offset: 0 CreateTime: ${T} keySize: 2 valueSize: 5 sequence: -1 headerKeys: [h1,h2]`,
      `| offset: 1 CreateTime: ${T + 5n} keySize: -1 valueSize: 5 sequence: -1 headerKeys: []`,
      lb,
      `| offset: 2 CreateTime: ${T + 100n} keySize: 1 valueSize: 1 sequence: 0 headerKeys: []`,
      `| offset: 3 CreateTime: ${T + 50n} keySize: 1 valueSize: 1 sequence: 1 headerKeys: []`,
      lc,
      `| offset: 4 CreateTime: ${T + 200n} keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 3`,
      ld,
      `| offset: 7 LogAppendTime: ${T + 300n} keySize: -1 valueSize: 4 sequence: -1 headerKeys: []`,
      'Found 5 invalid bytes at the end of 00000000000000000000.log',
    ]);
    expect(err).toEqual([`Non-consecutive offsets in ${path.resolve(log)}`, '  4 is followed by 7']);
  });

  it('prints keys and payloads with --print-data-log (not for control records)', async () => {
    const { out } = await run([log], { printDataLog: true });
    expect(out[3]).toBe(
      `| offset: 0 CreateTime: ${T} keySize: 2 valueSize: 5 sequence: -1 headerKeys: [h1,h2] key: k1 payload: hello`,
    );
    expect(out[4]).toBe(
      `| offset: 1 CreateTime: ${T + 5n} keySize: -1 valueSize: 5 sequence: -1 headerKeys: [] payload: world`,
    );
    expect(out[9]).toMatch(/endTxnMarker: COMMIT coordinatorEpoch: 3$/);
    const skip = await run([log], { printDataLog: true, skipRecordMetadata: true });
    expect(skip.out[3]).toBe('| key: k1 payload: hello');
    expect(skip.out[4]).toBe(' payload: world');
  });

  it('dumps the offset index and reports mismatches', async () => {
    const file = path.join(dir, '00000000000000000000.index');
    writeFileSync(
      file,
      idx(
        [
          [3, a.length],
          [4, a.length],
        ],
        3,
      ),
    );
    const { out, err } = await run([file]);
    expect(out).toEqual([
      `Dumping ${file}`,
      `offset: 3 position: ${a.length}`,
      `offset: 4 position: ${a.length}`,
    ]);
    expect(err).toEqual([`Mismatches in :${path.resolve(file)}`, '  Index offset: 4, log offset: 3']);
  });

  it('dumps the time index and reports what does not match the log', async () => {
    writeFileSync(
      path.join(dir, '00000000000000000000.index'),
      idx(
        [
          [3, a.length],
          [4, a.length],
        ],
        3,
      ),
    );
    const file = path.join(dir, '00000000000000000000.timeindex');
    writeFileSync(
      file,
      tidx(
        [
          [T + 5n, 1],
          [T + 100n, 3],
          [T + 50n, 4],
          [T + 400n, 9],
        ],
        2,
      ),
    );
    const { out, err } = await run([file]);
    expect(out).toEqual([
      `Dumping ${file}`,
      `timestamp: ${T + 5n} offset: 1`,
      `timestamp: ${T + 100n} offset: 3`,
      `timestamp: ${T + 50n} offset: 4`,
      `timestamp: ${T + 400n} offset: 9`,
    ]);
    const abs = path.resolve(file);
    expect(err).toEqual([
      `Found timestamp mismatch in :${abs}`,
      `  Index timestamp: ${T + 50n}, log timestamp: ${T + 200n}`,
      `Found out of order timestamp in :${abs}`,
      `  Index timestamp: ${T + 50n}, Previously indexed timestamp: ${T + 100n}`,
      'The following indexed offsets are not found in the log.',
      'Indexed offset: 9, found log offset: -1',
    ]);
  });

  it('says so for empty indexes and unknown files', async () => {
    const file = path.join(dir, '00000000000000000000.index');
    writeFileSync(file, Buffer.alloc(0));
    const other = path.join(dir, 'notes.txt');
    writeFileSync(other, 'x');
    const { out, err } = await run([file, other]);
    expect(out).toEqual([`Dumping ${file}`, `${file} is empty.`, `Dumping ${other}`]);
    expect(err).toEqual([`Ignoring unknown file ${other}`]);
  });
});

describe('dump-log on legacy and corrupt segments', () => {
  it('prints legacy batches and records', async () => {
    const plain = encodeLegacyMessage(0, 0n, 0, -1n, Buffer.from('k'), Buffer.from('v'));
    const wrapped = await buildLegacyRecords(
      [
        { offset: 1n, timestamp: T, key: null, value: Buffer.from('a') },
        { offset: 2n, timestamp: T + 1n, key: Buffer.from('b'), value: Buffer.from('bb') },
      ],
      { magic: 1, compression: CompressionType.Gzip, timestampType: TimestampType.CreateTime },
    );
    const log = path.join(dir, '00000000000000000010.log');
    writeFileSync(log, Buffer.concat([plain, wrapped]));
    const { out } = await run([log], { printDataLog: true });
    expect(out).toEqual([
      `Dumping ${log}`,
      'Log starting offset: 10',
      `offset: 0 position: 0 NoTimestampType: -1 size: ${plain.length} magic: 0 compresscodec: none crc: ${plain.readUInt32BE(12)} isvalid: true`,
      `| offset: 0 NoTimestampType: -1 keySize: 1 valueSize: 1 isValid: true crc: ${plain.readUInt32BE(12)}} key: k payload: v`,
      `offset: 2 position: ${plain.length} CreateTime: ${T + 1n} size: ${wrapped.length} magic: 1 compresscodec: gzip crc: ${wrapped.readUInt32BE(12)} isvalid: true`,
      expect.stringMatching(
        new RegExp(
          `^\\| offset: 1 CreateTime: ${T} keySize: -1 valueSize: 1 isValid: true crc: \\d+} payload: a$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^\\| offset: 2 CreateTime: ${T + 1n} keySize: 1 valueSize: 2 isValid: true crc: \\d+} key: b payload: bb$`,
        ),
      ),
    ]);
  });

  it('flags bad CRCs and stops at corrupt framing like Kafka', async () => {
    const good = buildRecordBatchSync([{ value: 'x', timestamp: T }]);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 1;
    const log = path.join(dir, '00000000000000000020.log');
    writeFileSync(log, bad);
    expect((await run([log])).out[2]).toMatch(/crc: \d+ isvalid: false$/);
    const tiny = Buffer.from(good);
    tiny.writeInt32BE(3, 8);
    writeFileSync(log, Buffer.concat([good, tiny]));
    await expect(run([log])).rejects.toThrow(
      `Found record size 3 smaller than minimum record overhead (14) in file ${log}.`,
    );
  });
});

describe('dump-log on txn index and producer snapshots', () => {
  it('prints aborted transactions', async () => {
    const file = path.join(dir, '00000000000000000000.txnindex');
    const b = Buffer.alloc(34);
    b.writeInt16BE(0, 0);
    b.writeBigInt64BE(5n, 2);
    b.writeBigInt64BE(2n, 10);
    b.writeBigInt64BE(4n, 18);
    b.writeBigInt64BE(2n, 26);
    writeFileSync(file, b);
    expect((await run([file])).out).toEqual([
      `Dumping ${file}`,
      'version: 0 producerId: 5 firstOffset: 2 lastOffset: 4 lastStableOffset: 2',
    ]);
  });

  it('prints producer snapshot entries and reports corruption', async () => {
    const file = path.join(dir, '00000000000000000005.snapshot');
    const b = Buffer.alloc(10 + 46 * 2);
    b.writeInt16BE(1, 0);
    b.writeInt32BE(2, 6);
    let p = 10;
    for (const [pid, lastOffset, txn] of [
      [5n, 3n, -1n],
      [6n, -1n, 8n],
    ]) {
      b.writeBigInt64BE(pid, p);
      b.writeInt16BE(1, p + 8);
      b.writeInt32BE(lastOffset < 0n ? -1 : 1, p + 10);
      b.writeBigInt64BE(lastOffset, p + 14);
      b.writeInt32BE(lastOffset < 0n ? 0 : 1, p + 22);
      b.writeBigInt64BE(T, p + 26);
      b.writeInt32BE(2, p + 34);
      b.writeBigInt64BE(txn, p + 38);
      p += 46;
    }
    b.writeUInt32BE(crc32c(b.subarray(6)), 2);
    writeFileSync(file, b);
    expect((await run([file])).out).toEqual([
      `Dumping ${file}`,
      `producerId: 5 producerEpoch: 1 coordinatorEpoch: 2 currentTxnFirstOffset: OptionalLong.empty lastTimestamp: ${T} firstSequence: 0 lastSequence: 1 lastOffset: 3 offsetDelta: 1 timestamp: ${T}`,
      `producerId: 6 producerEpoch: 1 coordinatorEpoch: 2 currentTxnFirstOffset: OptionalLong[8] lastTimestamp: ${T} `,
    ]);
    b[20] ^= 1;
    writeFileSync(file, b);
    expect((await run([file])).err[0]).toMatch(
      /^Snapshot is corrupt \(CRC is no longer valid\)\. Stored crc: \d+\. Computed crc: \d+$/,
    );
  });
});
