// Shared helpers of the log-layer tests: temp dirs, a settable clock, v2 batches built with the
// records module's builder, and capture of log lines (which also keeps test output quiet).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v2 from '../../../src/protocol/records/batch';
import { buildRecordBatchSync, RecordInput } from '../../../src/protocol/records/records';
import { CompressionType } from '../../../src/protocol/records/batch';
import type { Time } from '../../../src/log/time';
import { setLogLevel } from '../../../src/utils/logger';
import type { LeaderAppendInfo, UnifiedLog } from '../../../src/log/unified-log';

export function tmpDir(prefix = 'samsa-log-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export class MockTime implements Time {
  constructor(public now = 1_700_000_000_000) {}
  milliseconds(): number {
    return this.now;
  }
  sleep(ms: number): void {
    this.now += ms;
  }
}

export interface BatchOptions {
  /** Leader epoch stamped in the header (default 0). */
  epoch?: number;
  /** Timestamp of the first record; each next record +1 ms (default 1000). */
  timestamp?: bigint | number;
  /** Bytes per record value (default 10). */
  valueSize?: number;
  compression?: CompressionType;
  logAppendTime?: bigint;
}

/** A valid v2 batch of `count` records at `baseOffset`. */
export function makeBatch(baseOffset: bigint, count: number, opts: BatchOptions = {}): Buffer {
  const ts = BigInt(opts.timestamp ?? 1000);
  const records: RecordInput[] = [];
  for (let i = 0; i < count; i++) {
    records.push({
      key: `k${i}`,
      value: Buffer.alloc(opts.valueSize ?? 10, 0x61 + (i % 26)),
      timestamp: ts + BigInt(i),
    });
  }
  return buildRecordBatchSync(records, {
    baseOffset,
    partitionLeaderEpoch: opts.epoch ?? 0,
    compression: opts.compression,
    ...(opts.logAppendTime !== undefined ? { timestampType: 1, logAppendTime: opts.logAppendTime } : {}),
  });
}

/** What the produce path's validation would hand to appendAsLeader for `batch`. */
export function leaderInfo(batch: Buffer): LeaderAppendInfo {
  return {
    firstOffset: v2.baseOffset(batch),
    lastOffset: v2.lastOffset(batch),
    maxTimestamp: v2.maxTimestamp(batch),
    offsetOfMaxTimestamp: v2.lastOffset(batch),
    recordCount: v2.recordsCount(batch),
  };
}

/** Appends one leader batch of `count` records at the log end; returns it. */
export function appendRecords(log: UnifiedLog, count: number, opts: BatchOptions = {}): Buffer {
  const batch = makeBatch(log.nextOffset(), count, opts);
  log.appendAsLeader(batch, opts.epoch ?? 0, leaderInfo(batch));
  return batch;
}

/** [baseOffset, lastOffset] of each whole batch in a record set. */
export function batchRanges(records: Buffer): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let pos = 0;
  while (records.length - pos >= v2.LOG_OVERHEAD) {
    const size = v2.sizeInBytes(records, pos);
    if (pos + size > records.length) break;
    out.push([v2.baseOffset(records, pos), v2.lastOffset(records, pos)]);
    pos += size;
  }
  return out;
}

/**
 * Captures (and silences) log lines written by the broker logger. Winston's console transport
 * writes to `console._stdout` when it exists (checked on every line), so that is where the
 * capture goes, whether jest runs the file in band or in a worker.
 */
export function captureLogs(): { lines: () => string[]; restore: () => void } {
  const captured: string[] = [];
  const c = console as unknown as { _stdout?: { write(chunk: string): boolean } };
  const had = Object.prototype.hasOwnProperty.call(c, '_stdout');
  const previous = c._stdout;
  // The tests assert on INFO lines; the jest setup may have lowered the level for quiet output.
  setLogLevel('info');
  c._stdout = {
    write: (chunk: string) => {
      captured.push(String(chunk));
      return true;
    },
  };
  return {
    lines: () => captured.slice(),
    restore: () => {
      setLogLevel(process.env.SAMSA_TEST_LOG_LEVEL ?? process.env.SAMSA_LOG_LEVEL ?? 'warn');
      if (had) c._stdout = previous;
      else delete c._stdout;
    },
  };
}

export function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{20}\./.test(f))
    .sort();
}

export function fileSize(file: string): number {
  return fs.statSync(file).size;
}
