// The socket server's framing over a real TCP socket: frames split at any byte, pipelined far
// beyond what it queues before pausing reads, answered in order, pooled buffers returned; muting
// (one request at a time) unless a request unmutes the connection.

import net from 'node:net';
import { MemoryPool } from '../../../src/network/memory-pool';
import { RequestOutcome, SocketServer } from '../../../src/network/socket-server';

function frame(seq: number, size: number): Buffer {
  const b = Buffer.alloc(4 + size, seq & 0xff);
  b.writeInt32BE(size, 0);
  b.writeInt32BE(seq, 4);
  return b;
}

async function withServer(
  processor: (payload: Buffer, unmute: () => void) => Promise<RequestOutcome> | RequestOutcome,
  pool: MemoryPool,
  run: (port: number) => Promise<void>,
): Promise<void> {
  const server = new SocketServer(
    {
      listeners: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
      maxRequestSize: 2 * 1024 * 1024,
      connectionsMaxIdleMs: 60_000,
    },
    (payload, _conn, unmute) => processor(payload, unmute),
    pool,
  );
  await server.start();
  try {
    await run(server.boundPorts.get('PLAINTEXT')!);
  } finally {
    await server.shutdown();
  }
}

/** Reads `count` size-prefixed responses of 4 bytes (the echoed sequence number). */
function readResponses(socket: net.Socket, count: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const seen: number[] = [];
    let acc = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      acc = Buffer.concat([acc, d]);
      while (acc.length >= 8) {
        seen.push(acc.readInt32BE(4));
        acc = acc.subarray(8);
      }
      if (seen.length === count) resolve(seen);
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${seen.length} responses`)));
  });
}

const echoSeq = (payload: Buffer): RequestOutcome => ({
  kind: 'send',
  payload: [payload.subarray(0, 4)],
  requestConsumed: true,
});

test('24 MB of pipelined 1 MB requests, written in odd-sized pieces, are all answered in order', async () => {
  const pool = new MemoryPool();
  const payloadOk: boolean[] = [];
  await withServer(
    async (payload) => {
      const seq = payload.readInt32BE(0);
      payloadOk.push(payload.length === 1024 * 1024 && payload[payload.length - 1] === (seq & 0xff));
      await new Promise((r) => setTimeout(r, 2)); // slower than the client: requests pile up
      return echoSeq(payload);
    },
    pool,
    async (port) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      await new Promise((r) => socket.once('connect', r));
      const all = Buffer.concat(Array.from({ length: 24 }, (_, i) => frame(i, 1024 * 1024)));
      const done = readResponses(socket, 24);
      for (let at = 0, step = 3; at < all.length; at += step, step = (step * 7919) % 200_003) {
        socket.write(all.subarray(at, Math.min(all.length, at + step)));
      }
      expect(await done).toEqual(Array.from({ length: 24 }, (_, i) => i));
      socket.destroy();
    },
  );
  expect(payloadOk).toEqual(Array(24).fill(true));
  // every 1 MB request was assembled in a pooled slab and given back
  expect(pool.idleBytes).toBeGreaterThanOrEqual(1024 * 1024);
});

test('small requests split at every byte are reassembled', async () => {
  await withServer(echoSeq, new MemoryPool(), async (port) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    await new Promise((r) => socket.once('connect', r));
    const all = Buffer.concat(Array.from({ length: 50 }, (_, i) => frame(i, 4 + (i % 9))));
    const done = readResponses(socket, 50);
    for (let i = 0; i < all.length; i++) {
      socket.write(all.subarray(i, i + 1));
      if (i % 37 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await done).toEqual(Array.from({ length: 50 }, (_, i) => i));
    socket.destroy();
  });
});

test('an oversized size prefix closes only that connection', async () => {
  await withServer(echoSeq, new MemoryPool(), async (port) => {
    const bad = net.connect({ port, host: '127.0.0.1' });
    const good = net.connect({ port, host: '127.0.0.1' });
    await Promise.all([bad, good].map((s) => new Promise((r) => s.once('connect', r))));
    const closed = new Promise((r) => bad.once('close', r));
    bad.on('error', () => undefined);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(3 * 1024 * 1024);
    bad.write(prefix);
    await closed;
    const done = readResponses(good, 1);
    good.write(frame(7, 8));
    expect(await done).toEqual([7]);
    good.destroy();
  });
});

test('requests that unmute let the next ones run, and responses still leave in order', async () => {
  const events: string[] = [];
  await withServer(
    async (payload, unmute) => {
      const seq = payload.readInt32BE(0);
      events.push(`start ${seq}`);
      if (seq < 3) {
        unmute(); // like an appended acks=all produce waiting for replication
        await new Promise((r) => setTimeout(r, 40 - seq * 10));
      }
      events.push(`end ${seq}`);
      return echoSeq(payload);
    },
    new MemoryPool(),
    async (port) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      await new Promise((r) => socket.once('connect', r));
      const done = readResponses(socket, 5);
      socket.write(Buffer.concat(Array.from({ length: 5 }, (_, i) => frame(i, 8))));
      expect(await done).toEqual([0, 1, 2, 3, 4]);
      socket.destroy();
    },
  );
  // 1, 2 and 3 ran while 0 waited (2 even finished first); 3 did not unmute, so 4 waited for
  // 3's response, which waited for 0, 1 and 2's.
  expect(events.slice(0, 4)).toEqual(['start 0', 'start 1', 'start 2', 'start 3']);
  expect(events.indexOf('end 2')).toBeLessThan(events.indexOf('end 0'));
  expect(events.indexOf('start 4')).toBeGreaterThan(events.indexOf('end 0'));
});

test('requests that do not unmute are processed one at a time', async () => {
  let running = 0;
  let maxRunning = 0;
  await withServer(
    async (payload) => {
      maxRunning = Math.max(maxRunning, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return echoSeq(payload);
    },
    new MemoryPool(),
    async (port) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      await new Promise((r) => socket.once('connect', r));
      const done = readResponses(socket, 10);
      socket.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => frame(i, 8))));
      expect(await done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      socket.destroy();
    },
  );
  expect(maxRunning).toBe(1);
});
