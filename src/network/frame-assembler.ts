// Kafka framing on the receiving side: int32 size, then that many bytes. The bytes arrive in a
// read buffer that the next socket read overwrites (net's `onread`), so every byte kept is
// copied out at once — a large frame straight into a pooled slab, a small one into a small
// allocation. Reading into one reused buffer instead of letting Node allocate 64 KB per read
// keeps the data path's garbage (and V8's "external memory pressure" GCs) away.

import { BufferLease, MemoryPool } from './memory-pool';

export class FrameAssembler {
  private readonly prefix = Buffer.alloc(4);
  private prefixHave = 0;
  private frame: { lease: BufferLease; have: number } | null = null;
  private failed = false;

  /**
   * @param checkSize returns why a declared size is refused (the stream is then abandoned), or null
   * @param onFrame receives each complete frame (without its size prefix); the lease is the caller's
   */
  constructor(
    private readonly pool: MemoryPool,
    private readonly checkSize: (size: number) => string | null,
    private readonly onFrame: (lease: BufferLease) => void,
    private readonly onBadSize: (reason: string) => void,
  ) {}

  /** Takes `buf[0..n)`; copies what it keeps. Returns false once a bad size was seen. */
  push(buf: Buffer, n: number): boolean {
    let at = 0;
    while (at < n && !this.failed) {
      if (this.frame === null) {
        const k = Math.min(4 - this.prefixHave, n - at);
        buf.copy(this.prefix, this.prefixHave, at, at + k);
        this.prefixHave += k;
        at += k;
        if (this.prefixHave < 4) break;
        this.prefixHave = 0;
        const size = this.prefix.readInt32BE(0);
        const problem = this.checkSize(size);
        if (problem !== null) {
          this.failed = true;
          this.onBadSize(problem);
          break;
        }
        this.frame = { lease: this.pool.acquire(size), have: 0 };
      }
      const f = this.frame;
      const k = Math.min(f.lease.buffer.length - f.have, n - at);
      buf.copy(f.lease.buffer, f.have, at, at + k);
      f.have += k;
      at += k;
      if (f.have === f.lease.buffer.length) {
        this.frame = null;
        this.onFrame(f.lease);
      }
    }
    return !this.failed;
  }

  /** Gives back the slab of a frame still being received (the connection is gone). */
  discard(): void {
    this.frame?.lease.release();
    this.frame = null;
  }
}
