// Round trip of every generated message in every valid version: a fully populated value (every field
// of the version set to a non-default value, tagged fields included, nullable fields both null and
// non-null, arrays of two elements, unknown tagged fields) is encoded, decoded and re-encoded.

import { Reader } from '../../../src/protocol/codec/reader';
import { Writer } from '../../../src/protocol/codec/writer';
import * as generated from '../../../src/protocol/messages/generated';
import { API_SPECS } from '../../../src/protocol/messages/generated';
import {
  buildSkeleton,
  defaultStruct,
  inRange,
  loadSchemas,
  MessageBuilder,
  MessageJson,
  NullMode,
  versionsOf,
} from './schema-values';

type Encode = (w: Writer, msg: unknown, version: number) => void;
type Decode = (r: Reader, version: number) => unknown;

const schemas = loadSchemas();
const exportsByName = generated as unknown as Record<string, unknown>;

/** Codec functions: through API_SPECS for API messages (what the server uses), else by export name. */
function codecOf(m: MessageJson): { encode: Encode; decode: Decode } {
  if (m.type === 'request' || m.type === 'response') {
    const spec = API_SPECS.get(m.apiKey as number);
    if (!spec) throw new Error(`${m.name} is not in API_SPECS`);
    return m.type === 'request'
      ? { encode: spec.encodeRequest, decode: spec.decodeRequest }
      : { encode: spec.encodeResponse, decode: spec.decodeResponse };
  }
  return {
    encode: exportsByName[`encode${m.name}`] as Encode,
    decode: exportsByName[`decode${m.name}`] as Decode,
  };
}

function encode(fn: Encode, msg: unknown, version: number): Buffer {
  const w = new Writer({ initialCapacity: 16 });
  fn(w, msg, version);
  return w.toBuffer();
}

function decodeAll(fn: Decode, buf: Buffer, version: number): unknown {
  const r = new Reader(buf);
  const out = fn(r, version);
  expect(r.remaining()).toBe(0);
  return out;
}

const cases: [string, MessageJson, number][] = [];
for (const m of schemas) for (const v of versionsOf(m)) cases.push([`${m.name} v${v}`, m, v]);

test('the model covers 62 APIs (request + response) and the 3 data schemas', () => {
  expect(schemas.filter((m) => m.type === 'request')).toHaveLength(62);
  expect(schemas.filter((m) => m.type === 'response')).toHaveLength(62);
  expect(schemas.filter((m) => m.type === 'data').map((m) => m.name)).toEqual([
    'ConsumerProtocolAssignment',
    'ConsumerProtocolSubscription',
    'DefaultPrincipalData',
  ]);
  expect(cases.length).toBeGreaterThan(500);
});

describe.each(cases)('%s', (_name, m, version) => {
  const { encode: enc, decode: dec } = codecOf(m);

  test.each<NullMode>(['nonNull', 'null'])('fully populated (%s) round-trips byte for byte', (mode) => {
    const { input, expected } = new MessageBuilder(m, version, mode).build();
    const bytes = encode(enc, input, version);
    const decoded = decodeAll(dec, bytes, version);
    expect(decoded).toStrictEqual(expected);
    expect(encode(enc, decoded, version).equals(bytes)).toBe(true);
    // the junk in fields absent from the version was skipped: encoding the expected value is identical
    expect(encode(enc, expected, version).equals(bytes)).toBe(true);
  });

  test('an empty Init encodes every field as its default', () => {
    const bytes = encode(enc, {}, version);
    const decoded = decodeAll(dec, bytes, version);
    expect(decoded).toStrictEqual(defaultStruct(m, m.structs[0].name));
    expect(encode(enc, decoded, version).equals(bytes)).toBe(true);
  });

  test('a sparse Init (arrays of empty structs) gets defaults at every depth', () => {
    const { input, expected } = buildSkeleton(m, version);
    const bytes = encode(enc, input, version);
    const decoded = decodeAll(dec, bytes, version);
    expect(decoded).toStrictEqual(expected);
    expect(encode(enc, decoded, version).equals(bytes)).toBe(true);
  });

  test('truncated input is rejected', () => {
    const { input } = new MessageBuilder(m, version, 'nonNull').build();
    const bytes = encode(enc, input, version);
    if (bytes.length === 0) {
      // only a body without any field in this version is empty (e.g. ApiVersions v0-2)
      expect(m.structs[0].fields.filter((f) => inRange(version, f.versions))).toEqual([]);
      return;
    }
    // cutting the last byte always breaks the message (every message ends with a fixed-size field,
    // a length-prefixed value, or a tagged-field section)
    expect(() => dec(new Reader(bytes.subarray(0, bytes.length - 1)), version)).toThrow();
  });
});
