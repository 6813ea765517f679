// Kafka's default partitioner for keyed records: toPositive(murmur2(key)) % numPartitions.

import { randomBytes } from 'node:crypto';
import { murmur2, partitionForKey, recordSizeUpperBound, toPositive } from '../../../src/client/producer';

/**
 * MurmurHash2 written straight from its definition with exact integer arithmetic (BigInt, mod 2^32),
 * independent of the Math.imul implementation under test.
 */
function murmur2Reference(data: Uint8Array): number {
  const M32 = 0xffffffffn;
  const m = 0x5bd1e995n;
  const mul = (a: bigint, b: bigint) => (a * b) & M32;
  let h = (0x9747b28cn ^ BigInt(data.length)) & M32;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) {
    let k =
      BigInt(data[i]) |
      (BigInt(data[i + 1]) << 8n) |
      (BigInt(data[i + 2]) << 16n) |
      (BigInt(data[i + 3]) << 24n);
    k = mul(k, m);
    k ^= k >> 24n;
    k = mul(k, m);
    h = mul(h, m) ^ k;
  }
  const rest = data.length - i;
  if (rest > 0) {
    if (rest >= 3) h ^= BigInt(data[i + 2]) << 16n;
    if (rest >= 2) h ^= BigInt(data[i + 1]) << 8n;
    h ^= BigInt(data[i]);
    h = mul(h, m);
  }
  h ^= h >> 13n;
  h = mul(h, m);
  h ^= h >> 15n;
  return Number(BigInt.asIntN(32, h));
}

describe('murmur2', () => {
  test("Kafka's UtilsTest.testMurmur2 values", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  test("librdkafka's java_murmur2_results (every tail length, unaligned starts, empty key)", () => {
    const cases: Array<[string, number]> = [
      ['kafka', 0xd067cf64],
      ['giberish123456789', 0x8f552b0c],
      ['1234', 0x9fc97b14],
      ['234', 0xe7c009ca],
      ['34', 0x873930da],
      ['4', 0x5a4b5ca1],
      ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x78424f1c],
      ['reAmbleWillBeRemoved,ThePrePartThatIs', 0x4a62b377],
      ['eAmbleWillBeRemoved,ThePrePartThatIs', 0xe0e4e09e],
      ['AmbleWillBeRemoved,ThePrePartThatIs', 0x62b8b43f],
      ['', 0x106e08d9],
    ];
    for (const [key, hash] of cases) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash | 0]);
  });

  test('matches the definition (exact arithmetic) for random keys of every length 0..64', () => {
    for (let len = 0; len <= 64; len++) {
      for (let n = 0; n < 20; n++) {
        const key = randomBytes(len);
        expect(murmur2(key)).toBe(murmur2Reference(key));
      }
    }
    // bytes ≥ 0x80 everywhere (Java's signed bytes are masked with 0xff)
    const high = Buffer.alloc(13, 0xff);
    expect(murmur2(high)).toBe(murmur2Reference(high));
  });

  test('always a signed 32-bit integer', () => {
    for (let i = 0; i < 200; i++) {
      const h = murmur2(randomBytes(i % 17));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(-(2 ** 31));
      expect(h).toBeLessThan(2 ** 31);
    }
  });
});

describe('partitionForKey', () => {
  test('toPositive clears the sign bit (not Math.abs)', () => {
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-(2 ** 31))).toBe(0);
    expect(toPositive(-973932308)).toBe(1173551340);
    expect(toPositive(479470107)).toBe(479470107);
  });

  test('toPositive(murmur2(key)) % numPartitions', () => {
    const cases: Array<[string, number[]]> = [
      // key, partitions for 1, 3, 7, 10, 32 partitions
      ['21', [0, 0, 3, 0, 12]],
      ['foobar', [0, 0, 0, 6, 30]],
      ['abc', [0, 0, 4, 7, 27]],
      ['a-little-bit-long-string', [0, 2, 1, 2, 0]],
    ];
    for (const [key, expected] of cases)
      expect([1, 3, 7, 10, 32].map((n) => partitionForKey(Buffer.from(key), n))).toEqual(expected);
  });

  test('the partition depends on the key bytes only', () => {
    for (let i = 0; i < 100; i++) {
      const key = randomBytes(1 + (i % 30));
      const p = partitionForKey(key, 12);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(12);
      expect(partitionForKey(Buffer.from(key), 12)).toBe(p);
    }
  });
});

describe('recordSizeUpperBound (what max.request.size is checked against)', () => {
  test('61-byte batch header + MAX_RECORD_OVERHEAD 21 + key, value and headers', () => {
    // null key: 1; value: varint 1 + 5; header count: 1
    expect(recordSizeUpperBound(null, Buffer.from('hello'), [])).toBe(61 + 21 + 1 + 6 + 1);
    // key 1 + 1; value varint(1000) 2 + 1000; headers: count 1, key 1 + 1, null value 1
    expect(recordSizeUpperBound(Buffer.from('k'), Buffer.alloc(1000), [{ key: 'h', value: null }])).toBe(
      61 + 21 + 2 + 1002 + 4,
    );
  });
});
