// Compression codecs of Kafka record batches (record-format.md §3), with Kafka's framing:
//
//  * gzip   — a plain RFC 1952 stream (node:zlib), like Java's GZIPOutputStream/GZIPInputStream.
//  * snappy — Java producers and the Java broker write snappy-java's "xerial" stream framing:
//             16-byte header (`\x82SNAPPY\0`, int32 version 1, int32 min-compatible 1), then chunks
//             of int32 BE length + raw Snappy block, each block covering at most 32 KiB of input.
//             librdkafka/kafkajs write raw (unframed) Snappy; snappy-java's reader falls back to raw
//             when the magic is absent, and so do we. We compress like Java (xerial framing).
//  * lz4    — the LZ4 *frame* format as Kafka's Lz4BlockOutputStream writes it: FLG 0x60 (version 1,
//             independent blocks, no checksums, no content size), BD 0x40 (64 KiB blocks), header
//             checksum byte, blocks (uint32 LE size, high bit = stored), end mark 0. Reading follows
//             Lz4BlockInputStream: magic required, reserved bits / dependent blocks rejected, content
//             size skipped, block checksums verified, content checksum read but not verified, header
//             checksum verified except for magic v0 data (KAFKA-3160: old clients computed it over
//             magic+FLG+BD; Kafka also *writes* that broken checksum when it builds magic v0 LZ4).
//  * zstd   — standard zstd frames.
//
// The block codecs come from maintained native libraries with prebuilt binaries on the npm registry
// (no install scripts): `snappy` (napi-rs, Rust snap), `lz4-napi` (napi-rs, lz4_flex, used for raw
// LZ4 blocks — the frame layer is ours so it matches Kafka byte for byte) and `@mongodb-js/zstd`
// 1.x (napi-rs, libzstd). zstd is only available asynchronously, hence async compress/decompress;
// the *Sync variants cover every codec but zstd.

import zlib from 'node:zlib';
import { promisify } from 'node:util';
import { CompressionType } from './batch';
import { CorruptRecordError, UnsupportedCompressionTypeError } from './errors';

/* eslint-disable @typescript-eslint/no-require-imports */
const snappy = require('snappy') as {
  compressSync(input: Uint8Array): Buffer;
  uncompressSync(input: Uint8Array, options?: { asBuffer?: boolean }): Buffer | string;
};
const lz4 = require('lz4-napi') as {
  compressSync(data: Buffer): Buffer;
  uncompressSync(data: Uint8Array): Buffer;
};
const zstd = require('@mongodb-js/zstd') as {
  compress(data: Buffer, level?: number): Promise<Buffer>;
  decompress(data: Buffer): Promise<Buffer>;
};
/* eslint-enable @typescript-eslint/no-require-imports */

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export { CompressionType };

/** Kafka's CompressionType.name for ids 0..4 (what dump-log prints as `compresscodec`). */
export const COMPRESSION_NAMES: readonly string[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Name of a codec id; throws for ids 5..7 like Kafka's CompressionType.forId. */
export function compressionTypeName(id: number): string {
  const name = COMPRESSION_NAMES[id];
  if (name === undefined) throw new UnsupportedCompressionTypeError(`Unknown compression type id: ${id}`);
  return name;
}

/** Codec id for a Kafka compression name (`none`, `gzip`, `snappy`, `lz4`, `zstd`). */
export function compressionTypeForName(name: string): CompressionType | undefined {
  const i = COMPRESSION_NAMES.indexOf(name);
  return i < 0 ? undefined : (i as CompressionType);
}

export function isValidCompressionType(id: number): id is CompressionType {
  return id >= 0 && id <= 4;
}

export interface CompressOptions {
  /** Codec level: gzip 1..9 or -1 (zlib default); zstd −131072..22 (default 3); ignored for snappy/lz4. */
  level?: number;
  /** Magic of the message being written; 0 makes LZ4 write Kafka's broken v0 header checksum. */
  magic?: number;
}

export interface DecompressOptions {
  /** Magic of the batch/wrapper the data comes from; 0 makes LZ4 ignore the header checksum. */
  magic?: number;
  /**
   * Refuse to produce more than this many bytes (compression bombs). Enforced before allocating for
   * gzip, snappy and LZ4 and for zstd frames that declare their size; other zstd frames are checked
   * after decompression. Default: unlimited.
   */
  maxBytes?: number;
}

/** Thrown (as CORRUPT_MESSAGE) when decompressed data would exceed DecompressOptions.maxBytes. */
export class DecompressedSizeError extends CorruptRecordError {
  constructor(codec: string, limit: number) {
    super(`Decompressed ${codec} data exceeds the limit of ${limit} bytes`);
  }
}

/** Inputs at least this large are gzipped on the libuv pool instead of the event loop. */
const ASYNC_GZIP_THRESHOLD = 64 * 1024;

export const DEFAULT_GZIP_LEVEL = -1;
export const DEFAULT_ZSTD_LEVEL = 3;
export const DEFAULT_LZ4_LEVEL = 9;

// ---------------------------------------------------------------------------------------------
// xxHash32 — only needed for LZ4 frame header/block checksums (a handful of bytes per frame).

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const round = (acc: number, lane: number): number => Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1);

/** xxHash32 of `buf[start, end)` (unsigned). */
export function xxhash32(buf: Uint8Array, seed = 0, start = 0, end = buf.length): number {
  const len = end - start;
  let p = start;
  let h: number;
  const lane = (i: number): number => buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = round(v1, lane(p));
      v2 = round(v2, lane(p + 4));
      v3 = round(v3, lane(p + 8));
      v4 = round(v4, lane(p + 12));
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(lane(p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(buf[p], P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

// ---------------------------------------------------------------------------------------------
// LZ4 frame (Kafka's Lz4BlockOutputStream / Lz4BlockInputStream)

export const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_FLG = 0x60; // version 01, block independence
const LZ4_BD = 0x40; // 64 KiB max block size
const LZ4_BLOCK_SIZE = 64 * 1024;
const LZ4_INCOMPRESSIBLE = 0x80000000;

/** Raw LZ4 block of `data` (lz4-napi prepends the uncompressed size; we drop it). */
function lz4Block(data: Buffer): Buffer {
  return lz4.compressSync(data).subarray(4);
}

function lz4FrameCompress(data: Buffer, brokenHeaderChecksum: boolean): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(7);
  header.writeUInt32LE(LZ4_FRAME_MAGIC, 0);
  header[4] = LZ4_FLG;
  header[5] = LZ4_BD;
  header[6] = (brokenHeaderChecksum ? xxhash32(header, 0, 0, 6) : xxhash32(header, 0, 4, 6)) >>> 8;
  parts.push(header);
  for (let off = 0; off < data.length; off += LZ4_BLOCK_SIZE) {
    const chunk = data.subarray(off, Math.min(off + LZ4_BLOCK_SIZE, data.length));
    const block = lz4Block(chunk);
    const size = Buffer.alloc(4);
    if (block.length === 0 || block.length >= chunk.length) {
      size.writeUInt32LE((chunk.length | LZ4_INCOMPRESSIBLE) >>> 0, 0);
      parts.push(size, chunk);
    } else {
      size.writeUInt32LE(block.length, 0);
      parts.push(size, block);
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

function lz4FrameDecompress(data: Buffer, ignoreHeaderChecksum: boolean, maxBytes = Infinity): Buffer {
  const fail = (msg: string): never => {
    throw new CorruptRecordError(`Failed to decompress lz4 data: ${msg}`);
  };
  if (data.length < 6) fail('Stream ended prematurely');
  if (data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) fail('Stream unsupported (invalid magic bytes)');
  const flg = data[4];
  const bd = data[5];
  if ((flg & 0x03) !== 0) fail('Reserved bits must be 0');
  if ((flg & 0x20) === 0) fail('Dependent block stream is unsupported');
  if (flg >>> 6 !== 1) fail(`Version ${flg >>> 6} is unsupported`);
  if ((bd & 0x0f) !== 0 || (bd & 0x80) !== 0) fail('Reserved BD bits must be 0');
  const blockSizeValue = (bd >>> 4) & 7;
  if (blockSizeValue < 4) fail('Block size value must be between 4 and 7');
  const maxBlockSize = 1 << (2 * blockSizeValue + 8);
  const contentChecksum = (flg & 0x04) !== 0;
  const blockChecksum = (flg & 0x10) !== 0;
  let p = 6;
  if (flg & 0x08) {
    if (data.length < p + 8) fail('Stream ended prematurely');
    p += 8;
  }
  if (data.length < p + 1) fail('Stream ended prematurely');
  if (!ignoreHeaderChecksum && data[p] !== (xxhash32(data, 0, 4, p) >>> 8) % 256) {
    fail('Stream frame descriptor corrupted');
  }
  p += 1;
  const out: Buffer[] = [];
  let total = 0;
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(maxBlockSize, 0);
  while (true) {
    if (data.length < p + 4) fail('Stream ended prematurely');
    const raw = data.readUInt32LE(p);
    p += 4;
    const stored = (raw & LZ4_INCOMPRESSIBLE) !== 0;
    const size = raw & 0x7fffffff;
    if (size === 0) {
      if (contentChecksum && data.length < p + 4) fail('Stream ended prematurely');
      break; // content checksum (if any) is read but, like Kafka 3.9, not verified
    }
    if (size > maxBlockSize) fail(`Block size ${size} exceeded max: ${maxBlockSize}`);
    if (data.length < p + size) fail('Stream ended prematurely');
    const block = data.subarray(p, p + size);
    // a block decompresses to at most maxBlockSize (≤ 4 MiB); stored blocks are checked before copying
    if (stored && total + size > maxBytes) throw new DecompressedSizeError('lz4', maxBytes);
    if (stored) {
      out.push(block);
    } else {
      try {
        // lz4-napi wants the uncompressed size prepended; the block maximum works as an upper bound.
        out.push(lz4.uncompressSync(Buffer.concat([prefix, block])));
      } catch (e) {
        fail((e as Error).message);
      }
    }
    total += out[out.length - 1].length;
    if (total > maxBytes) throw new DecompressedSizeError('lz4', maxBytes);
    p += size;
    if (blockChecksum) {
      if (data.length < p + 4) fail('Stream ended prematurely');
      if (data.readUInt32LE(p) !== xxhash32(block)) fail('Block checksum mismatch');
      p += 4;
    }
  }
  return out.length === 1 ? out[0] : Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Snappy (xerial framing)

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = 16;
const XERIAL_BLOCK_SIZE = 32 * 1024;

function hasXerialHeader(data: Buffer, pos: number): boolean {
  return data.length - pos >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, pos, pos + 8) === 0;
}

/** Uncompressed length from a raw snappy block's varint preamble. */
function snappyLength(data: Uint8Array): number {
  let v = 0;
  for (let i = 0, scale = 1; i < 5 && i < data.length; i++, scale *= 128) {
    v += (data[i] & 0x7f) * scale;
    if ((data[i] & 0x80) === 0) return v;
  }
  throw new Error('invalid snappy length preamble');
}

function snappyRaw(data: Uint8Array, budget = Infinity): Buffer {
  if (snappyLength(data) > budget) throw new RangeError('budget');
  return snappy.uncompressSync(data, { asBuffer: true }) as Buffer;
}

function xerialCompress(data: Buffer): Buffer {
  if (data.length === 0) return Buffer.alloc(0); // snappy-java writes nothing, not even the header
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let off = 0; off < data.length; off += XERIAL_BLOCK_SIZE) {
    const block = snappy.compressSync(data.subarray(off, Math.min(off + XERIAL_BLOCK_SIZE, data.length)));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function snappyDecompress(data: Buffer, maxBytes = Infinity): Buffer {
  let total = 0;
  const raw = (chunk: Uint8Array): Buffer => {
    let out: Buffer;
    try {
      out = snappyRaw(chunk, maxBytes - total);
    } catch (e) {
      if (e instanceof RangeError && e.message === 'budget')
        throw new DecompressedSizeError('snappy', maxBytes);
      throw e;
    }
    total += out.length;
    return out;
  };
  try {
    if (!hasXerialHeader(data, 0)) return data.length === 0 ? Buffer.alloc(0) : raw(data);
    const out: Buffer[] = [];
    let p = XERIAL_HEADER_SIZE;
    while (p < data.length) {
      // concatenated xerial streams: a second header may follow a chunk
      if (hasXerialHeader(data, p)) {
        p += XERIAL_HEADER_SIZE;
        continue;
      }
      if (data.length - p < 4) throw new Error('truncated chunk length');
      const len = data.readInt32BE(p);
      p += 4;
      if (len < 0 || data.length - p < len) throw new Error(`invalid chunk length ${len}`);
      out.push(raw(data.subarray(p, p + len)));
      p += len;
    }
    return Buffer.concat(out);
  } catch (e) {
    if (e instanceof DecompressedSizeError) throw e;
    throw new CorruptRecordError(`Failed to decompress snappy data: ${(e as Error).message}`);
  }
}

/** Frame_Content_Size of the first zstd frame, or null when the frame does not declare it. */
export function zstdDeclaredSize(data: Buffer): number | null {
  if (data.length < 5 || data.readUInt32LE(0) !== 0xfd2fb528) return null;
  const fhd = data[4];
  const fcsFlag = fhd >>> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const dictIdSize = [0, 1, 2, 4][fhd & 3];
  const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  if (fcsSize === 0) return null;
  const p = 5 + (singleSegment ? 0 : 1) + dictIdSize;
  if (data.length < p + fcsSize) return null;
  switch (fcsSize) {
    case 1:
      return data[p];
    case 2:
      return data.readUInt16LE(p) + 256;
    case 4:
      return data.readUInt32LE(p);
    default:
      return Number(data.readBigUInt64LE(p));
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

function checkType(type: number): void {
  if (!isValidCompressionType(type)) {
    throw new UnsupportedCompressionTypeError(`Unknown compression type id: ${type}`);
  }
}

function gzipLevel(level: number | undefined): number {
  return level === undefined ? DEFAULT_GZIP_LEVEL : level;
}

/** Synchronous compression for every codec but zstd (which has no synchronous binding here). */
export function compressSync(type: CompressionType, data: Buffer, opts: CompressOptions = {}): Buffer {
  checkType(type);
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return zlib.gzipSync(data, { level: gzipLevel(opts.level) });
    case CompressionType.Snappy:
      return xerialCompress(data);
    case CompressionType.Lz4:
      return lz4FrameCompress(data, opts.magic === 0);
    default:
      throw new UnsupportedCompressionTypeError('zstd compression is only available asynchronously');
  }
}

/** Compresses `data` with Kafka's framing for `type`. */
export async function compress(
  type: CompressionType,
  data: Buffer,
  opts: CompressOptions = {},
): Promise<Buffer> {
  if (type === CompressionType.Zstd) return zstd.compress(data, opts.level ?? DEFAULT_ZSTD_LEVEL);
  if (type === CompressionType.Gzip && data.length >= ASYNC_GZIP_THRESHOLD) {
    return gzipAsync(data, { level: gzipLevel(opts.level) });
  }
  return compressSync(type, data, opts);
}

function gunzipOptions(opts: DecompressOptions): zlib.ZlibOptions {
  return opts.maxBytes === undefined ? {} : { maxOutputLength: Math.max(1, opts.maxBytes) };
}

function gzipError(e: unknown, opts: DecompressOptions): never {
  if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' && opts.maxBytes !== undefined) {
    throw new DecompressedSizeError('gzip', opts.maxBytes);
  }
  throw new CorruptRecordError(`Failed to decompress gzip data: ${(e as Error).message}`);
}

/** Synchronous decompression for every codec but zstd. Corrupt input → CorruptRecordError. */
export function decompressSync(type: CompressionType, data: Buffer, opts: DecompressOptions = {}): Buffer {
  checkType(type);
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      try {
        return zlib.gunzipSync(data, gunzipOptions(opts));
      } catch (e) {
        return gzipError(e, opts);
      }
    case CompressionType.Snappy:
      return snappyDecompress(data, opts.maxBytes);
    case CompressionType.Lz4:
      return lz4FrameDecompress(data, opts.magic === 0, opts.maxBytes);
    default:
      throw new UnsupportedCompressionTypeError('zstd decompression is only available asynchronously');
  }
}

/** Decompresses Kafka-framed `data`. Corrupt input → CorruptRecordError. */
export async function decompress(
  type: CompressionType,
  data: Buffer,
  opts: DecompressOptions = {},
): Promise<Buffer> {
  if (type === CompressionType.Zstd) {
    const limit = opts.maxBytes ?? Infinity;
    const declared = zstdDeclaredSize(data);
    if (declared !== null && declared > limit) throw new DecompressedSizeError('zstd', limit);
    let out: Buffer;
    try {
      out = await zstd.decompress(data);
    } catch (e) {
      throw new CorruptRecordError(`Failed to decompress zstd data: ${(e as Error).message}`);
    }
    if (out.length > limit) throw new DecompressedSizeError('zstd', limit);
    return out;
  }
  if (type === CompressionType.Gzip && data.length >= ASYNC_GZIP_THRESHOLD / 4) {
    try {
      return await gunzipAsync(data, gunzipOptions(opts));
    } catch (e) {
      return gzipError(e, opts);
    }
  }
  return decompressSync(type, data, opts);
}
