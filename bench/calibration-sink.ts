// The calibration sink: the least a Kafka broker can do with a Produce request, to measure the load
// generator's ceiling on this machine. It speaks just enough of the protocol for a librdkafka
// producer (ApiVersions, Metadata: itself as the only broker, leader of partition 0 of whatever topic
// is asked for; Produce), using Samsa's own codec. For each Produce it decodes the request, walks the
// record batches of every partition checking magic and CRC-32C, appends the bytes to a file (page
// cache, no fsync; 256 MiB files, the oldest deleted beyond --retain-bytes, default never) and
// answers with increasing base offsets. (Deleting during a benchmark would be unfair to the broker:
// appends would reuse the pages just freed instead of fresh ones.)
// No log, no index, no ZooKeeper, no validation beyond the CRC.
//
// Run: node dist/bench/bench/calibration-sink.js --dir <dir> [--port N] [--retain-bytes N] (after
// `tsc -p bench`), or
// node -r ts-node/register/transpile-only bench/calibration-sink.ts ... (ts-node keeps the TypeScript
// compiler in the heap, which makes every major GC dearer: the bench runs it compiled).
// Prints `listening <port>` once it accepts connections. On SIGTERM/SIGINT it prints one JSON line
// with what it received ({requests, batches, records, bytes, crcErrors}) and exits.

import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Reader } from '../src/protocol/codec/reader';
import { Writer } from '../src/protocol/codec/writer';
import { decodeRequestHeader, encodeResponseHeader } from '../src/protocol/header';
import {
  API_SPECS,
  ApiKey,
  decodeMetadataRequest,
  decodeProduceRequest,
  encodeApiVersionsResponse,
  encodeMetadataResponse,
  encodeProduceResponse,
  type ProduceResponseTopicProduceResponseInit,
} from '../src/protocol/messages/generated';
import {
  isValidCrc,
  magic,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  sizeInBytes,
} from '../src/protocol/records/batch';

const NODE_ID = 0;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const TOPIC_ID = 'c2Ftc2EtYmVuY2gtc2luaw'; // any non-zero UUID
const ERR_NONE = 0;
const ERR_CORRUPT_MESSAGE = 2;
const ERR_UNSUPPORTED_VERSION = 35;
const MAX_FRAME = 100 * 1024 * 1024;

/**
 * The APIs the sink advertises, at every version Samsa's codec knows. Fetch is listed but not served:
 * librdkafka only uses record batch v2 (MsgVersion 2) with a broker that has Fetch v4+ too.
 */
const ADVERTISED = [ApiKey.Produce, ApiKey.Fetch, ApiKey.Metadata, ApiKey.ApiVersions].map((k) => {
  const spec = API_SPECS.get(k);
  if (spec === undefined) throw new Error(`no spec for API ${k}`);
  return { apiKey: k, minVersion: spec.minVersion, maxVersion: spec.maxVersion };
});

interface Stats {
  requests: number;
  batches: number;
  records: number;
  bytes: number;
  crcErrors: number;
}

/** Append-only files of SEGMENT_BYTES; the oldest are deleted beyond `retainBytes`. */
class SegmentedFile {
  private fd = -1;
  private written = 0;
  private index = 0;
  private readonly closed: Array<{ name: string; size: number }> = [];
  private closedBytes = 0;

  constructor(
    private readonly dir: string,
    private readonly retainBytes: number,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.roll();
  }

  private roll(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.closed.push({ name: this.name(this.index - 1), size: this.written });
      this.closedBytes += this.written;
      while (this.closed.length > 0 && this.closedBytes + SEGMENT_BYTES > this.retainBytes) {
        const old = this.closed.shift() as { name: string; size: number };
        fs.rmSync(old.name, { force: true });
        this.closedBytes -= old.size;
      }
    }
    this.fd = fs.openSync(this.name(this.index++), 'w');
    this.written = 0;
  }

  private name(i: number): string {
    return path.join(this.dir, `${String(i).padStart(20, '0')}.log`);
  }

  append(b: Buffer): void {
    if (this.written + b.length > SEGMENT_BYTES) this.roll();
    let off = 0;
    while (off < b.length) off += fs.writeSync(this.fd, b, off, b.length - off);
    this.written += b.length;
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

class Sink {
  readonly stats: Stats = { requests: 0, batches: 0, records: 0, bytes: 0, crcErrors: 0 };
  private nextOffset = 0n;
  port = 0;

  constructor(
    private readonly file: SegmentedFile,
    readonly host: string,
  ) {}

  /** Checks every batch; appends and returns the base offset, or null if a batch is corrupt. */
  private appendRecords(records: Buffer): bigint | null {
    let pos = 0;
    let count = 0;
    let batches = 0;
    while (pos < records.length) {
      if (records.length - pos < RECORD_BATCH_OVERHEAD || magic(records, pos) !== 2) return null;
      const size = sizeInBytes(records, pos);
      if (size < RECORD_BATCH_OVERHEAD || pos + size > records.length) return null;
      if (!isValidCrc(records, pos)) return null;
      count += records.readInt32BE(pos + RECORDS_COUNT_OFFSET);
      batches++;
      pos += size;
    }
    this.file.append(records);
    const base = this.nextOffset;
    this.nextOffset += BigInt(count);
    this.stats.batches += batches;
    this.stats.records += count;
    this.stats.bytes += records.length;
    return base;
  }

  /** Returns the response payload (header + body), or null for no response (acks=0). */
  handle(frame: Buffer): Buffer | null {
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    const w = new Writer({ initialCapacity: 256, zeroCopyThreshold: Infinity });
    const spec = ADVERTISED.find((s) => s.apiKey === h.apiKey);
    if (h.apiKey === ApiKey.ApiVersions) {
      // Too new a version: answer v0 with UNSUPPORTED_VERSION and our range (KIP-511).
      const ok = spec !== undefined && h.apiVersion <= spec.maxVersion;
      const v = ok ? h.apiVersion : 0;
      encodeResponseHeader(w, h.apiKey, v, h.correlationId);
      encodeApiVersionsResponse(
        w,
        { errorCode: ok ? ERR_NONE : ERR_UNSUPPORTED_VERSION, apiKeys: ADVERTISED, throttleTimeMs: 0 },
        v,
      );
      return w.toBuffer();
    }
    if (
      spec === undefined ||
      h.apiKey === ApiKey.Fetch ||
      h.apiVersion < spec.minVersion ||
      h.apiVersion > spec.maxVersion
    ) {
      throw new Error(`unsupported request: api ${h.apiKey} v${h.apiVersion}`);
    }
    this.stats.requests++;
    if (h.apiKey === ApiKey.Metadata) {
      const req = decodeMetadataRequest(r, h.apiVersion);
      const names = req.topics === null ? ['bench'] : req.topics.map((t) => t.name ?? 'bench');
      encodeResponseHeader(w, h.apiKey, h.apiVersion, h.correlationId);
      encodeMetadataResponse(
        w,
        {
          throttleTimeMs: 0,
          brokers: [{ nodeId: NODE_ID, host: this.host, port: this.port, rack: null }],
          clusterId: 'calibration-sink',
          controllerId: NODE_ID,
          topics: names.map((name) => ({
            errorCode: ERR_NONE,
            name,
            topicId: TOPIC_ID,
            isInternal: false,
            partitions: [
              {
                errorCode: ERR_NONE,
                partitionIndex: 0,
                leaderId: NODE_ID,
                leaderEpoch: 0,
                replicaNodes: [NODE_ID],
                isrNodes: [NODE_ID],
                offlineReplicas: [],
              },
            ],
          })),
        },
        h.apiVersion,
      );
      return w.toBuffer();
    }
    // Produce
    const req = decodeProduceRequest(r, h.apiVersion);
    const responses: ProduceResponseTopicProduceResponseInit[] = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const base = p.records === null ? null : this.appendRecords(p.records);
        if (base === null) this.stats.crcErrors++;
        return {
          index: p.index,
          errorCode: base === null ? ERR_CORRUPT_MESSAGE : ERR_NONE,
          baseOffset: base ?? -1n,
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
        };
      }),
    }));
    if (req.acks === 0) return null;
    encodeResponseHeader(w, h.apiKey, h.apiVersion, h.correlationId);
    encodeProduceResponse(w, { responses, throttleTimeMs: 0 }, h.apiVersion);
    return w.toBuffer();
  }
}

/**
 * Kafka framing (int32 size + payload); requests are handled synchronously, in order. Incoming bytes
 * are copied into one reusable buffer per connection: a fresh Buffer per 1 MB frame would be
 * mmap'd, page-faulted and zeroed each time, and freed only by a major GC.
 */
function serve(sink: Sink, socket: net.Socket): void {
  socket.setNoDelay(true);
  let acc = Buffer.allocUnsafe(4 * 1024 * 1024);
  let start = 0; // first unprocessed byte
  let end = 0; // end of the data in acc
  socket.on('data', (d: Buffer) => {
    if (end + d.length > acc.length) {
      // Move the partial frame to the front, growing the buffer if a frame needs more room.
      const pending = end - start;
      const need = pending + d.length;
      if (need > acc.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, acc.length * 2));
        acc.copy(bigger, 0, start, end);
        acc = bigger;
      } else {
        acc.copyWithin(0, start, end);
      }
      start = 0;
      end = pending;
    }
    d.copy(acc, end);
    end += d.length;
    while (end - start >= 4) {
      const size = acc.readInt32BE(start);
      if (size < 0 || size > MAX_FRAME) {
        socket.destroy();
        return;
      }
      if (end - start < 4 + size) break;
      const frame = acc.subarray(start + 4, start + 4 + size);
      start += 4 + size;
      let payload: Buffer | null;
      try {
        payload = sink.handle(frame); // done with `frame` when it returns (the write is synchronous)
      } catch (e) {
        process.stderr.write(`calibration sink: closing a connection: ${(e as Error).message}\n`);
        socket.destroy();
        return;
      }
      if (payload !== null) {
        const out = Buffer.allocUnsafe(4 + payload.length);
        out.writeInt32BE(payload.length, 0);
        payload.copy(out, 4);
        socket.write(out);
      }
    }
    if (start === end) start = end = 0;
  });
  socket.on('error', () => socket.destroy());
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const dir = arg('--dir');
  if (dir === undefined) {
    process.stderr.write(
      'usage: calibration-sink.ts --dir <data dir> [--port N] [--host H] [--retain-bytes N]\n',
    );
    process.exit(2);
  }
  const host = arg('--host') ?? '127.0.0.1';
  const file = new SegmentedFile(dir, Number(arg('--retain-bytes') ?? Number.MAX_SAFE_INTEGER));
  const sink = new Sink(file, host);
  const server = net.createServer({ noDelay: true }, (s) => serve(sink, s));
  const stop = () => {
    file.close();
    process.stdout.write(`${JSON.stringify(sink.stats)}\n`, () => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server.listen({ host, port: Number(arg('--port') ?? 0) }, () => {
    sink.port = (server.address() as net.AddressInfo).port;
    process.stdout.write(`listening ${sink.port}\n`);
  });
}

main();
