// Builds message values for the round-trip tests from the generator's normalized model
// (src/protocol/messages/generated/schemas.json), so the tests run without the spec directory.

import * as fs from 'fs';
import * as path from 'path';

export const GENERATED_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'src',
  'protocol',
  'messages',
  'generated',
);

export type DefaultJson =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'int64'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'emptyBytes' }
  | { kind: 'emptyArray' }
  | { kind: 'struct' };

export interface FieldJson {
  name: string;
  type: string;
  versions: string | null;
  nullableVersions?: string;
  tag?: number;
  taggedVersions?: string;
  flexibleVersions?: string | null;
  default: DefaultJson;
}

export interface StructJson {
  name: string;
  tsName: string;
  fields: FieldJson[];
}

export interface MessageJson {
  name: string;
  type: 'request' | 'response' | 'data';
  apiKey: number | null;
  validVersions: string;
  flexibleVersions: string | null;
  structs: StructJson[];
}

export function loadSchemas(): MessageJson[] {
  return JSON.parse(fs.readFileSync(path.join(GENERATED_DIR, 'schemas.json'), 'utf8')) as MessageJson[];
}

export interface Range {
  lo: number;
  hi: number;
}

export function parseRange(text: string | null | undefined): Range | null {
  if (text === null || text === undefined || text === 'none') return null;
  if (text.endsWith('+')) return { lo: Number(text.slice(0, -1)), hi: Infinity };
  const [lo, hi] = text.split('-');
  return { lo: Number(lo), hi: Number(hi ?? lo) };
}

export function inRange(v: number, text: string | null | undefined): boolean {
  const r = parseRange(text);
  return r !== null && v >= r.lo && v <= r.hi;
}

export function versionsOf(m: MessageJson): number[] {
  const r = parseRange(m.validVersions) as Range;
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}

const PRIMS = new Set([
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'uuid',
  'bytes',
  'records',
]);

type Obj = Record<string, unknown>;

/**
 * Deterministic value factory. Every call yields a new value so that fields swapped on the wire
 * would be noticed.
 */
class Values {
  private c = 0;

  next(): number {
    return ++this.c;
  }

  prim(type: string, dflt: DefaultJson): unknown {
    const c = this.next();
    switch (type) {
      case 'bool':
        return !(dflt.kind === 'bool' && dflt.value);
      case 'int8':
        return c % 2 === 0 ? (c % 120) + 2 : -((c % 120) + 2);
      case 'int16':
        return c % 2 === 0 ? 1000 + c : -1000 - c;
      case 'uint16':
        return 65535 - c;
      case 'int32':
        return c % 2 === 0 ? 100000 * c + 7 : -100000 * c - 7;
      case 'uint32':
        return 4294967295 - c;
      case 'int64':
        // beyond 2^53, and negative
        return c % 2 === 0 ? 2n ** 53n + 12345n + BigInt(c) : -(2n ** 62n) - BigInt(c);
      case 'float64':
        return c % 2 === 0 ? c + 0.25 : -1.5e300;
      case 'string':
        return `s${c}-é€😀`;
      case 'uuid': {
        const b = Buffer.alloc(16);
        for (let i = 0; i < 16; i++) b[i] = (c * 31 + i * 7) & 0xff;
        return b.toString('base64url');
      }
      case 'bytes':
        return Buffer.from([c & 0xff, 0, 0xff, 7]);
      case 'records':
        return Buffer.from(`records-${c}`);
      default:
        throw new Error(`unknown primitive ${type}`);
    }
  }
}

export type NullMode = 'nonNull' | 'null';

export interface Built {
  /** Encoder input: every field of every version set (absent ones with non-default junk). */
  input: Obj;
  /** What decoding must give back: fields absent in the version hold their defaults. */
  expected: Obj;
}

/** Value of a field's default, as the decoder produces it. */
export function defaultValue(msg: MessageJson, f: FieldJson): unknown {
  const d = f.default;
  switch (d.kind) {
    case 'null':
      return null;
    case 'bool':
    case 'number':
    case 'string':
      return d.value;
    case 'int64':
      return BigInt(d.value);
    case 'emptyBytes':
      return Buffer.alloc(0);
    case 'emptyArray':
      return [];
    case 'struct':
      return defaultStruct(msg, f.type);
  }
}

export function defaultStruct(msg: MessageJson, structName: string): Obj {
  const s = findStruct(msg, structName);
  const out: Obj = {};
  for (const f of s.fields) out[f.name] = defaultValue(msg, f);
  return out;
}

function findStruct(msg: MessageJson, name: string): StructJson {
  const s = msg.structs.find((x) => x.name === name);
  if (!s) throw new Error(`${msg.name}: no struct ${name}`);
  return s;
}

export class MessageBuilder {
  private readonly values = new Values();

  constructor(
    private readonly msg: MessageJson,
    private readonly version: number,
    private readonly mode: NullMode,
  ) {}

  private get flexible(): boolean {
    return inRange(this.version, this.msg.flexibleVersions);
  }

  build(): Built {
    return this.struct(this.msg.structs[0].name, true);
  }

  private struct(name: string, present: boolean): Built {
    const s = findStruct(this.msg, name);
    const input: Obj = {};
    const expected: Obj = {};
    for (const f of s.fields) {
      const fieldPresent = present && inRange(this.version, f.versions);
      if (!fieldPresent) {
        // junk that the encoder must skip; decoding yields the default
        input[f.name] = this.value(f, false).input;
        expected[f.name] = defaultValue(this.msg, f);
        continue;
      }
      if (this.mode === 'null' && inRange(this.version, f.nullableVersions)) {
        input[f.name] = null;
        expected[f.name] = null;
        continue;
      }
      const v = this.value(f, true);
      input[f.name] = v.input;
      expected[f.name] = v.expected;
    }
    if (present && this.flexible && this.mode === 'nonNull') {
      // unknown tags (above every known tag) must survive decode + encode
      const unknown = [
        { tag: 1000, data: Buffer.from([1, 2, 3]) },
        { tag: 70000, data: Buffer.alloc(0) },
      ];
      input._unknownTaggedFields = unknown;
      expected._unknownTaggedFields = unknown;
    }
    return { input, expected };
  }

  private value(f: FieldJson, present: boolean): { input: unknown; expected: unknown } {
    const t = f.type;
    if (t.startsWith('[]')) {
      const elem = t.slice(2);
      const input: unknown[] = [];
      const expected: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        if (PRIMS.has(elem)) {
          const v = this.values.prim(elem, { kind: 'null' });
          input.push(v);
          expected.push(v);
        } else {
          const b = this.struct(elem, present);
          input.push(b.input);
          expected.push(b.expected);
        }
      }
      return { input, expected };
    }
    if (PRIMS.has(t)) {
      const v = this.values.prim(t, f.default);
      return { input: v, expected: v };
    }
    return this.struct(t, present);
  }
}

/**
 * A sparse value: every array of structs holds one element and every struct field is present, but
 * all primitive fields are left out, so the encoder must fill in the defaults at every depth.
 */
export function buildSkeleton(msg: MessageJson, version: number, structName = msg.structs[0].name): Built {
  const s = findStruct(msg, structName);
  const input: Obj = {};
  const expected: Obj = {};
  for (const f of s.fields) {
    const present = inRange(version, f.versions);
    const elem = f.type.startsWith('[]') ? f.type.slice(2) : null;
    if (present && elem !== null && !PRIMS.has(elem)) {
      const b = buildSkeleton(msg, version, elem);
      input[f.name] = [b.input];
      expected[f.name] = [b.expected];
    } else if (present && elem === null && !PRIMS.has(f.type) && f.default.kind === 'struct') {
      const b = buildSkeleton(msg, version, f.type);
      input[f.name] = b.input;
      expected[f.name] = b.expected;
    } else {
      expected[f.name] = defaultValue(msg, f);
    }
  }
  return { input, expected };
}
