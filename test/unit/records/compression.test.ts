import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import {
  CompressionType,
  DecompressedSizeError,
  compress,
  compressSync,
  compressionTypeForName,
  compressionTypeName,
  decompress,
  decompressSync,
  xxhash32,
  zstdDeclaredSize,
} from '../../../src/protocol/records/compression';
import { CorruptRecordError, UnsupportedCompressionTypeError } from '../../../src/protocol/records/errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const lz4 = require('lz4-napi') as {
  compressFrameSync(d: Buffer): Buffer;
  decompressFrameSync(d: Buffer): Buffer;
  compressSync(d: Buffer): Buffer;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappy') as { compressSync(d: Buffer): Buffer };

function sample(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    // half compressible text, half noise
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = i % 64 < 32 ? 97 + (i % 7) : x >>> 24;
  }
  return b;
}

const codecs = [
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
];

describe('xxhash32', () => {
  it('matches the reference vectors', () => {
    expect(xxhash32(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxhash32(Buffer.from('a'))).toBe(0x550d7456);
    expect(xxhash32(Buffer.from('abc'))).toBe(0x32d153ff);
    expect(xxhash32(Buffer.from('Nobody inspects the spammish repetition'))).toBe(0xe2293b2f);
  });
});

describe('codec names', () => {
  it('maps ids and names like Kafka', () => {
    expect([0, 1, 2, 3, 4].map(compressionTypeName)).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    expect(compressionTypeForName('lz4')).toBe(CompressionType.Lz4);
    expect(compressionTypeForName('producer')).toBeUndefined();
    expect(() => compressionTypeName(5)).toThrow(UnsupportedCompressionTypeError);
  });
});

describe('round trips', () => {
  for (const codec of codecs) {
    for (const n of [0, 1, 1000, 70_000, 300_000]) {
      it(`${compressionTypeName(codec)} ${n} bytes`, async () => {
        const data = sample(n, n + codec);
        const c = await compress(codec, data);
        expect((await decompress(codec, c)).equals(data)).toBe(true);
        if (codec !== CompressionType.Zstd) {
          expect(decompressSync(codec, compressSync(codec, data)).equals(data)).toBe(true);
        }
      });
    }
  }

  it('zstd has no synchronous path', () => {
    expect(() => compressSync(CompressionType.Zstd, Buffer.from('x'))).toThrow(
      UnsupportedCompressionTypeError,
    );
    expect(() => decompressSync(CompressionType.Zstd, Buffer.from('x'))).toThrow(
      UnsupportedCompressionTypeError,
    );
  });

  it('rejects codec ids 5..7', async () => {
    await expect(decompress(5 as CompressionType, Buffer.from('x'))).rejects.toThrow(
      UnsupportedCompressionTypeError,
    );
  });
});

describe('gzip', () => {
  it('interoperates with plain zlib gzip streams both ways', async () => {
    const data = sample(5000);
    expect(zlib.gunzipSync(await compress(CompressionType.Gzip, data)).equals(data)).toBe(true);
    expect((await decompress(CompressionType.Gzip, zlib.gzipSync(data, { level: 1 }))).equals(data)).toBe(
      true,
    );
    const big = sample(200_000);
    expect((await decompress(CompressionType.Gzip, zlib.gzipSync(big))).equals(big)).toBe(true);
  });

  it('reports corrupt data as CORRUPT_MESSAGE', async () => {
    await expect(decompress(CompressionType.Gzip, Buffer.from('not gzip at all'))).rejects.toThrow(
      CorruptRecordError,
    );
  });
});

describe('lz4 frame', () => {
  it("writes Kafka's frame header: magic, FLG 0x60, BD 0x40, HC", () => {
    const c = compressSync(CompressionType.Lz4, Buffer.from('hello hello hello hello'));
    expect(c.subarray(0, 7).toString('hex')).toBe('04224d18604082');
    expect(c.subarray(-4).toString('hex')).toBe('00000000');
  });

  it('splits input into 64 KiB blocks and stores incompressible blocks raw', () => {
    const noise = randomBytes(70_000);
    const c = compressSync(CompressionType.Lz4, noise);
    const first = c.readUInt32LE(7);
    expect(first >>> 31).toBe(1); // stored
    expect(first & 0x7fffffff).toBe(65536);
    expect(decompressSync(CompressionType.Lz4, c).equals(noise)).toBe(true);
  });

  it('interoperates with a standard LZ4 frame implementation', () => {
    const data = sample(150_000);
    expect(lz4.decompressFrameSync(compressSync(CompressionType.Lz4, data)).equals(data)).toBe(true);
    expect(decompressSync(CompressionType.Lz4, lz4.compressFrameSync(data)).equals(data)).toBe(true);
  });

  it('writes and tolerates the broken v0 header checksum (KAFKA-3160)', () => {
    const data = Buffer.from('legacy v0 lz4 payload');
    const v0 = compressSync(CompressionType.Lz4, data, { magic: 0 });
    expect(v0[6]).toBe((xxhash32(v0, 0, 0, 6) >>> 8) & 0xff);
    expect(v0[6]).not.toBe(0x82);
    expect(() => decompressSync(CompressionType.Lz4, v0)).toThrow(/descriptor corrupted/);
    expect(() => decompressSync(CompressionType.Lz4, v0, { magic: 1 })).toThrow(CorruptRecordError);
    expect(decompressSync(CompressionType.Lz4, v0, { magic: 0 }).equals(data)).toBe(true);
  });

  it('verifies block checksums and skips a declared content size', () => {
    const data = Buffer.from('checksummed block checksummed block checksummed block');
    const block = lz4.compressSync(data).subarray(4);
    const flg = 0x60 | 0x10 | 0x08; // block checksum + content size
    const desc = Buffer.alloc(2 + 8);
    desc[0] = flg;
    desc[1] = 0x40;
    desc.writeBigUInt64LE(BigInt(data.length), 2);
    const hc = Buffer.from([(xxhash32(desc) >>> 8) & 0xff]);
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length, 0);
    const sum = Buffer.alloc(4);
    sum.writeUInt32LE(xxhash32(block), 0);
    const magic = Buffer.from('04224d18', 'hex');
    const frame = Buffer.concat([magic, desc, hc, size, block, sum, Buffer.alloc(4)]);
    expect(decompressSync(CompressionType.Lz4, frame).equals(data)).toBe(true);
    const bad = Buffer.from(frame);
    bad[magic.length + desc.length + 1 + 4 + block.length] ^= 1;
    expect(() => decompressSync(CompressionType.Lz4, bad)).toThrow(/Block checksum mismatch/);
  });

  it('rejects what Kafka rejects', () => {
    expect(() => decompressSync(CompressionType.Lz4, Buffer.from('garbage garbage'))).toThrow(
      /invalid magic/,
    );
    const dependent = Buffer.from('04224d184040', 'hex'); // FLG without block independence
    expect(() => decompressSync(CompressionType.Lz4, Buffer.concat([dependent, Buffer.alloc(8)]))).toThrow(
      /Dependent block/,
    );
    const truncated = compressSync(CompressionType.Lz4, sample(1000));
    expect(() => decompressSync(CompressionType.Lz4, truncated.subarray(0, 20))).toThrow(CorruptRecordError);
  });
});

describe('snappy', () => {
  it('writes the xerial framing Java writes', () => {
    const data = sample(40_000);
    const c = compressSync(CompressionType.Snappy, data);
    expect(c.subarray(0, 16).toString('hex')).toBe('82534e41505059000000000100000001');
    const firstChunk = c.readInt32BE(16);
    const second = c.readInt32BE(20 + firstChunk);
    expect(20 + firstChunk + 4 + second).toBe(c.length); // 32 KiB + 7232 bytes → two chunks
  });

  it('reads hand-made xerial streams, concatenated streams and raw snappy', () => {
    const a = Buffer.from('first chunk of data, first chunk of data');
    const b = Buffer.from('second chunk');
    const header = Buffer.from('82534e41505059000000000100000001', 'hex');
    const chunk = (d: Buffer) => {
      const c = snappy.compressSync(d);
      const len = Buffer.alloc(4);
      len.writeInt32BE(c.length, 0);
      return Buffer.concat([len, c]);
    };
    const xerial = Buffer.concat([header, chunk(a), chunk(b)]);
    expect(decompressSync(CompressionType.Snappy, xerial).toString()).toBe(a.toString() + b.toString());
    const twice = Buffer.concat([header, chunk(a), header, chunk(b)]);
    expect(decompressSync(CompressionType.Snappy, twice).toString()).toBe(a.toString() + b.toString());
    expect(decompressSync(CompressionType.Snappy, snappy.compressSync(a)).equals(a)).toBe(true);
  });

  it('reports corrupt data as CORRUPT_MESSAGE', () => {
    expect(() => decompressSync(CompressionType.Snappy, Buffer.from('ffffffffffff', 'hex'))).toThrow(
      CorruptRecordError,
    );
  });
});

describe('zstd', () => {
  it('produces standard zstd frames', async () => {
    const c = await compress(CompressionType.Zstd, sample(1000));
    expect(c.readUInt32LE(0)).toBe(0xfd2fb528);
    await expect(decompress(CompressionType.Zstd, Buffer.from('nope'))).rejects.toThrow(CorruptRecordError);
  });
});

describe('decompressed size bound', () => {
  const data = Buffer.alloc(300_000, 'z');

  it.each(codecs.filter((c) => c !== CompressionType.None))(
    'codec %i refuses to exceed maxBytes',
    async (codec) => {
      const c = await compress(codec, data);
      await expect(decompress(codec, c, { maxBytes: 100_000 })).rejects.toThrow(DecompressedSizeError);
      expect((await decompress(codec, c, { maxBytes: 300_000 })).length).toBe(300_000);
    },
  );

  it('reads the declared zstd frame content size', () => {
    expect(zstdDeclaredSize(Buffer.from('28b52ffd2005', 'hex'))).toBe(5); // single segment, 1-byte size
    expect(zstdDeclaredSize(Buffer.from('28b52ffd6000100000', 'hex'))).toBe(0x1000 + 256); // 2-byte size, +256 bias
    expect(zstdDeclaredSize(Buffer.from('28b52ffd0058', 'hex'))).toBeNull();
  });
});
