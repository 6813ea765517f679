// CRC-32C (Castagnoli), the checksum of record batch v2. The native implementation from
// @node-rs/crc32 (prebuilt binaries, SSE4.2/ARMv8 instructions) is ~20x faster than JS; the
// table-driven fallback keeps the broker working where no prebuilt binary matches the platform.

type Crc32cFn = (buf: Uint8Array, initial?: number) => number;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32cJs(buf: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (let i = 0; i < buf.length; i++) crc = TABLE[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

function loadNative(): Crc32cFn | null {
  if (process.env.SAMSA_CRC32C === 'js') return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('@node-rs/crc32') as { crc32c: (b: Uint8Array, i?: number) => number };
    return (b, i) => mod.crc32c(b, i ?? 0) >>> 0;
  } catch {
    return null;
  }
}

const native = loadNative();

/** CRC-32C of `buf` (unsigned 32-bit). */
export const crc32c: Crc32cFn = native ?? crc32cJs;
export const crc32cIsNative = native !== null;
