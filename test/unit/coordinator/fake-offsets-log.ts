// An in-memory __consumer_offsets partition for coordinator unit tests: appends assign offsets
// like a leader (base offset rewritten in the batch), reads return whole batches from the one
// holding the offset. Leadership can be flipped to simulate a failover.

import { setBaseOffset, LAST_OFFSET_DELTA_OFFSET } from '../../../src/protocol/records/batch';
import { ErrorCode } from '../../../src/protocol/errors';
import type {
  OffsetsPartition,
  OffsetsPartitions,
} from '../../../src/coordinator/group/group-metadata-manager';

export class FakeOffsetsLog implements OffsetsPartition {
  readonly batches: Array<{ base: bigint; last: bigint; bytes: Buffer }> = [];
  isLeader = true;
  leaderEpoch = 0;
  /** When set, appends fail with this error code. */
  failWith: number | null = null;
  /** Appends wait for this promise (to hold commits "in flight"). */
  gate: Promise<void> | null = null;
  private leo = 0n;

  constructor(readonly partition: number) {}

  logStartOffset(): bigint {
    return this.batches.length > 0 ? this.batches[0].base : this.leo;
  }

  logEndOffset(): bigint {
    return this.leo;
  }

  read(offset: bigint, maxBytes: number): Buffer {
    const out: Buffer[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.last < offset) continue;
      if (out.length > 0 && size + b.bytes.length > maxBytes) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return Buffer.concat(out);
  }

  async append(records: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
    if (this.gate) await this.gate;
    if (!this.isLeader) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, baseOffset: -1n };
    if (this.failWith !== null) return { errorCode: this.failWith, baseOffset: -1n };
    const bytes = Buffer.from(records);
    const base = this.leo;
    setBaseOffset(bytes, base);
    const last = base + BigInt(bytes.readInt32BE(LAST_OFFSET_DELTA_OFFSET));
    this.batches.push({ base, last, bytes });
    this.leo = last + 1n;
    return { errorCode: ErrorCode.NONE, baseOffset: base };
  }
}

export class FakePartitions implements OffsetsPartitions {
  readonly logs = new Map<number, FakeOffsetsLog>();
  constructor(n: number) {
    for (let i = 0; i < n; i++) this.logs.set(i, new FakeOffsetsLog(i));
  }
  get(partition: number): OffsetsPartition | null {
    return this.logs.get(partition) ?? null;
  }
}
