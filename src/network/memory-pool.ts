// Reusable buffers for the large, short-lived byte ranges of the data path (Kafka's MemoryPool,
// which bounds the memory of requests in flight; here the point is reuse): a produce request
// assembled from socket chunks, a range of a segment file read for a Fetch response, a fetch
// response arriving at a follower. Allocating a fresh megabyte for each of those makes V8 run a
// full GC every few tens of megabytes ("external memory pressure"), and the fresh pages cost a
// page fault each; a pooled slab is already mapped and invisible to the GC.
//
// A lease is returned exactly once, by whoever knows the bytes are no longer referenced (the
// response was handed to the kernel, the batches were appended). A lease never returned is
// simply garbage collected: forgetting to release costs only the reuse, never correctness.

/** A pooled buffer of exactly the requested length, until `release()`. */
export interface BufferLease {
  readonly buffer: Buffer;
  release(): void;
}

const NOOP_LEASE_RELEASE = (): void => undefined;

export class MemoryPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;

  /**
   * @param minPooled requests smaller than this get a plain allocation (not worth pooling)
   * @param maxPooledBytes free slabs kept at most, in bytes; beyond that released slabs are dropped
   */
  constructor(
    readonly minPooled = 64 * 1024,
    readonly maxPooledBytes = 64 * 1024 * 1024,
  ) {}

  /** A buffer of `size` bytes (contents undefined). */
  acquire(size: number): BufferLease {
    if (size < this.minPooled) return { buffer: Buffer.allocUnsafe(size), release: NOOP_LEASE_RELEASE };
    const cls = sizeClass(size);
    let slab = this.free.get(cls)?.pop();
    if (slab) this.pooledBytes -= cls;
    else slab = Buffer.allocUnsafeSlow(cls);
    const owned = slab;
    let released = false;
    return {
      buffer: owned.subarray(0, size),
      release: () => {
        if (released) return;
        released = true;
        this.put(owned);
      },
    };
  }

  /** Bytes held in free slabs (for tests and diagnostics). */
  get idleBytes(): number {
    return this.pooledBytes;
  }

  private put(slab: Buffer): void {
    if (this.pooledBytes + slab.length > this.maxPooledBytes) return;
    const list = this.free.get(slab.length);
    if (list) list.push(slab);
    else this.free.set(slab.length, [slab]);
    this.pooledBytes += slab.length;
  }
}

/** The power of two at or above `size`. */
function sizeClass(size: number): number {
  let c = 1;
  while (c < size) c *= 2;
  return c;
}

/** The broker's shared pool (one Node thread: no locking needed). */
export const DATA_POOL = new MemoryPool();
