import { MemoryPool } from '../../../src/network/memory-pool';

describe('MemoryPool', () => {
  test('small requests are plain allocations, large ones are reused after release', () => {
    const pool = new MemoryPool(1024, 1 << 20);
    const small = pool.acquire(100);
    expect(small.buffer.length).toBe(100);
    small.release();
    expect(pool.idleBytes).toBe(0);

    const a = pool.acquire(3000);
    expect(a.buffer.length).toBe(3000);
    a.buffer.fill(1);
    a.release();
    expect(pool.idleBytes).toBe(4096);
    const b = pool.acquire(2500); // same size class: the same memory
    expect(b.buffer.buffer).toBe(a.buffer.buffer);
    expect(b.buffer.length).toBe(2500);
    expect(pool.idleBytes).toBe(0);
  });

  test('a lease released twice goes back once; leases held at once never share memory', () => {
    const pool = new MemoryPool(1024, 1 << 20);
    const a = pool.acquire(2000);
    a.release();
    a.release();
    expect(pool.idleBytes).toBe(2048);
    const b = pool.acquire(2000);
    const c = pool.acquire(2000);
    expect(b.buffer.buffer).not.toBe(c.buffer.buffer);
    b.buffer.fill(7);
    c.buffer.fill(9);
    expect(b.buffer.every((x) => x === 7)).toBe(true);
  });

  test('keeps at most maxPooledBytes of idle slabs', () => {
    const pool = new MemoryPool(1024, 8192);
    const leases = [1, 2, 3].map(() => pool.acquire(4096));
    leases.forEach((l) => l.release());
    expect(pool.idleBytes).toBe(8192);
  });
});
