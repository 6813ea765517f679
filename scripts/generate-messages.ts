// Generates src/protocol/messages/generated/** from Kafka's JSON message specs
// (../shared/kafka-message-specs, schema language described in ../shared/reference/protocol.md §2).
//
// Usage: npx ts-node --transpile-only scripts/generate-messages.ts [specDir] [outDir]
//   (npm run generate). Output is deterministic: same specs in, same bytes out.
//
// What is generated:
//   * every request/response whose request lists `zkBroker` (all valid versions);
//   * the data schemas ConsumerProtocolAssignment, ConsumerProtocolSubscription, DefaultPrincipalData
//     and any `*Key` / `*Value` data schema;
//   * index.ts (re-exports, ApiKey enum, API_SPECS registry) and schemas.json (the normalized model,
//     used by the protocol tests to build fully populated messages without the spec directory).

import * as fs from 'fs';
import * as path from 'path';

// ---------------------------------------------------------------------------------------------
// Model

/** Inclusive version range; `hi` is OPEN for "N+". */
export interface Versions {
  lo: number;
  hi: number;
}

export const OPEN = 0x7fff;

export type PrimName =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'uuid'
  | 'bytes'
  | 'records';

export type FieldType =
  { kind: 'prim'; prim: PrimName } | { kind: 'struct'; struct: string } | { kind: 'array'; elem: FieldType };

/** Default value of a field, JSON-friendly (int64 as a decimal string). */
export type DefaultValue =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; value: number }
  | { kind: 'int64'; value: string }
  | { kind: 'string'; value: string }
  | { kind: 'emptyBytes' }
  | { kind: 'emptyArray' }
  | { kind: 'struct' };

export interface FieldModel {
  /** Name in the spec (PascalCase). */
  specName: string;
  /** TypeScript property name (camelCase). */
  name: string;
  type: FieldType;
  /** Versions in which the field exists (null = none). */
  versions: Versions | null;
  nullableVersions: Versions | null;
  tag: number | null;
  taggedVersions: Versions | null;
  /** Field-level flexibleVersions override (null = use the message's). */
  flexibleVersions: Versions | null;
  hasFlexibleOverride: boolean;
  default: DefaultValue;
  about: string;
}

export interface StructModel {
  /** Name in the spec. */
  name: string;
  /** TypeScript interface name (message name + struct name; the message name for the root). */
  tsName: string;
  fields: FieldModel[];
  /** Hull of the versions in which this struct is encoded. */
  range: Versions;
}

export interface MessageModel {
  name: string;
  type: 'request' | 'response' | 'data';
  apiKey: number | null;
  listeners: string[];
  validVersions: Versions;
  flexibleVersions: Versions | null;
  deprecatedVersions: Versions | null;
  /** Root struct first, then nested structs in order of first use. */
  structs: StructModel[];
  sourceFile: string;
}

const PRIMS = new Set<string>([
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

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

const DATA_SPECS = new Set([
  'ConsumerProtocolAssignment',
  'ConsumerProtocolSubscription',
  'DefaultPrincipalData',
]);

// ---------------------------------------------------------------------------------------------
// Spec parsing

/** Removes // and /* *\/ comments outside of string literals. */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function parseVersions(s: string | undefined): Versions | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (t === 'none' || t === '') return null;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: OPEN };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range "${s}"`);
}

export function intersect(a: Versions | null, b: Versions | null): Versions | null {
  if (a === null || b === null) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : null;
}

export function versionsText(v: Versions | null): string {
  if (v === null) return 'none';
  if (v.hi === OPEN) return `${v.lo}+`;
  return v.lo === v.hi ? `${v.lo}` : `${v.lo}-${v.hi}`;
}

/** JSON name -> camelCase property: the leading capital run is lower-cased (KRaftVersion -> kRaftVersion). */
export function camelCase(name: string): string {
  const m = /^[A-Z]+/.exec(name);
  if (!m) return name;
  const run = m[0];
  if (run.length === name.length) return name.toLowerCase();
  if (run.length === 1 || !/[a-z]/.test(name[run.length])) return run.toLowerCase() + name.slice(run.length);
  return run.slice(0, -1).toLowerCase() + name.slice(run.length - 1);
}

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  flexibleVersions?: string;
  default?: string | number | boolean;
  about?: string;
  fields?: RawField[];
}

interface RawStruct {
  name: string;
  versions?: string;
  fields: RawField[];
}

interface RawSpec {
  apiKey?: number;
  type: string;
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions: string;
  deprecatedVersions?: string;
  fields: RawField[];
  commonStructs?: RawStruct[];
}

export function readSpecFile(file: string): RawSpec {
  return JSON.parse(stripJsonComments(fs.readFileSync(file, 'utf8'))) as RawSpec;
}

function parseType(t: string): FieldType {
  if (t.startsWith('[]')) {
    const elem = parseType(t.slice(2));
    if (elem.kind === 'array') throw new Error(`nested array type ${t}`);
    if (elem.kind === 'prim' && elem.prim === 'records') throw new Error(`array of records ${t}`);
    return { kind: 'array', elem };
  }
  if (PRIMS.has(t)) return { kind: 'prim', prim: t as PrimName };
  if (!/^[A-Z][A-Za-z0-9]*$/.test(t)) throw new Error(`bad type ${t}`);
  return { kind: 'struct', struct: t };
}

function parseIntDefault(raw: string | number, what: string): number {
  if (typeof raw === 'number') return raw;
  const m = /^(-?)0x([0-9a-f]+)$/i.exec(raw.trim());
  const n = m ? (m[1] ? -1 : 1) * parseInt(m[2], 16) : Number(raw.trim());
  if (!Number.isInteger(n)) throw new Error(`${what}: bad integer default ${raw}`);
  return n;
}

const INT_RANGES: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

function parseDefault(f: RawField, type: FieldType, nullable: boolean, what: string): DefaultValue {
  const raw = f.default;
  const isNull = raw === 'null';
  if (isNull && !nullable) throw new Error(`${what}: default null on a field that is not always nullable`);
  if (type.kind === 'array') {
    if (raw !== undefined && raw !== '' && !isNull)
      throw new Error(`${what}: unsupported array default ${raw}`);
    return isNull ? { kind: 'null' } : { kind: 'emptyArray' };
  }
  if (type.kind === 'struct') {
    if (raw !== undefined && raw !== '' && !isNull)
      throw new Error(`${what}: unsupported struct default ${raw}`);
    return isNull ? { kind: 'null' } : { kind: 'struct' };
  }
  const empty = raw === undefined || raw === '';
  switch (type.prim) {
    case 'bool':
      if (empty) return { kind: 'bool', value: false };
      if (raw === true || raw === 'true') return { kind: 'bool', value: true };
      if (raw === false || raw === 'false') return { kind: 'bool', value: false };
      throw new Error(`${what}: bad bool default ${raw}`);
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const n = empty ? 0 : parseIntDefault(raw as string | number, what);
      const [lo, hi] = INT_RANGES[type.prim];
      if (n < lo || n > hi) throw new Error(`${what}: default ${raw} out of range`);
      return { kind: 'number', value: n };
    }
    case 'int64': {
      if (empty) return { kind: 'int64', value: '0' };
      const s = String(raw).trim();
      const m = /^(-?)0x([0-9a-f]+)$/i.exec(s);
      const v = m ? (m[1] ? -1n : 1n) * BigInt('0x' + m[2]) : BigInt(s);
      return { kind: 'int64', value: v.toString() };
    }
    case 'float64': {
      const n = empty ? 0 : Number(raw);
      if (Number.isNaN(n) && raw !== 'NaN') throw new Error(`${what}: bad float default ${raw}`);
      return { kind: 'number', value: n };
    }
    case 'string':
      if (isNull) return { kind: 'null' };
      return { kind: 'string', value: empty ? '' : String(raw) };
    case 'uuid':
      if (!empty) throw new Error(`${what}: uuid defaults are not supported`);
      return { kind: 'string', value: ZERO_UUID };
    case 'bytes':
      if (isNull) return { kind: 'null' };
      if (!empty) throw new Error(`${what}: bytes defaults are not supported`);
      return { kind: 'emptyBytes' };
    case 'records':
      if (!empty && !isNull) throw new Error(`${what}: records defaults are not supported`);
      return { kind: 'null' };
  }
}

function covers(outer: Versions | null, inner: Versions | null): boolean {
  if (inner === null) return true;
  return outer !== null && outer.lo <= inner.lo && outer.hi >= inner.hi;
}

export function buildModel(raw: RawSpec, sourceFile: string): MessageModel {
  const valid = parseVersions(raw.validVersions);
  if (valid === null) throw new Error(`${raw.name}: no valid versions`);
  const flexible = parseVersions(raw.flexibleVersions);
  const common = new Map<string, RawStruct>();
  for (const s of raw.commonStructs ?? []) common.set(s.name, s);

  const structs: StructModel[] = [];
  const byName = new Map<string, StructModel>();
  const inlineDefined = new Set<string>();

  const makeFields = (owner: string, rawFields: RawField[]): FieldModel[] => {
    const seenNames = new Set<string>();
    const seenTags = new Set<number>();
    return rawFields.map((f) => {
      const what = `${raw.name}.${owner}.${f.name}`;
      const type = parseType(f.type);
      const versions = intersect(parseVersions(f.versions), valid);
      const nullableVersions = parseVersions(f.nullableVersions);
      if (nullableVersions !== null) {
        const ok =
          (type.kind === 'prim' && ['string', 'bytes', 'records'].includes(type.prim)) ||
          type.kind === 'array' ||
          type.kind === 'struct';
        if (!ok) throw new Error(`${what}: type ${f.type} cannot be nullable`);
      }
      const taggedVersions = parseVersions(f.taggedVersions);
      const tag = f.tag ?? null;
      if ((tag === null) !== (taggedVersions === null))
        throw new Error(`${what}: tag without taggedVersions`);
      if (taggedVersions !== null) {
        if (taggedVersions.hi !== OPEN) throw new Error(`${what}: taggedVersions must be open-ended`);
        if (!covers(flexible, taggedVersions)) throw new Error(`${what}: tagged outside flexible versions`);
        if (seenTags.has(tag as number)) throw new Error(`${what}: duplicate tag ${tag}`);
        seenTags.add(tag as number);
      }
      const flexOverride = f.flexibleVersions !== undefined;
      if (flexOverride && !(type.kind === 'prim' && (type.prim === 'string' || type.prim === 'bytes'))) {
        throw new Error(`${what}: flexibleVersions override on ${f.type}`);
      }
      const name = camelCase(f.name);
      if (seenNames.has(name)) throw new Error(`${what}: duplicate field name ${name}`);
      seenNames.add(name);
      const alwaysNullable = versions === null || covers(nullableVersions, versions);
      const field: FieldModel = {
        specName: f.name,
        name,
        type,
        versions,
        nullableVersions,
        tag,
        taggedVersions,
        flexibleVersions: flexOverride ? parseVersions(f.flexibleVersions) : null,
        hasFlexibleOverride: flexOverride,
        default: parseDefault(f, type, nullableVersions !== null && alwaysNullable, what),
        about: (f.about ?? '').trim(),
      };
      const structName =
        type.kind === 'struct' ? type.struct : type.kind === 'array' ? elemStruct(type) : null;
      if (structName !== null) {
        if (f.fields) {
          if (inlineDefined.has(structName) || common.has(structName)) {
            throw new Error(`${what}: struct ${structName} defined more than once`);
          }
          inlineDefined.add(structName);
          addStruct(structName, f.fields);
        } else {
          const c = common.get(structName);
          if (!c) throw new Error(`${what}: unknown struct type ${structName}`);
          if (!byName.has(structName)) addStruct(structName, c.fields);
        }
      } else if (f.fields) {
        throw new Error(`${what}: fields on a primitive type`);
      }
      return field;
    });
  };

  const addStruct = (name: string, rawFields: RawField[]): void => {
    const s: StructModel = { name, tsName: raw.name + name, fields: [], range: { lo: OPEN, hi: -1 } };
    structs.push(s);
    byName.set(name, s);
    s.fields = makeFields(name, rawFields);
  };

  const root: StructModel = { name: raw.name, tsName: raw.name, fields: [], range: valid };
  structs.push(root);
  root.fields = makeFields(raw.name, raw.fields);

  // Version hull of each struct: union over every place it is used.
  const visit = (s: StructModel, range: Versions): void => {
    const before = s.range;
    const lo = Math.min(before.lo, range.lo);
    const hi = Math.max(before.hi, range.hi);
    if (s !== root && lo === before.lo && hi === before.hi) return;
    if (s !== root) s.range = { lo, hi };
    for (const f of s.fields) {
      const structName =
        f.type.kind === 'struct' ? f.type.struct : f.type.kind === 'array' ? elemStruct(f.type) : null;
      const r = intersect(f.versions, range);
      if (structName !== null && r !== null) visit(byName.get(structName) as StructModel, r);
    }
  };
  visit(root, valid);
  for (const s of structs) {
    if (s.range.hi < s.range.lo) s.range = { lo: valid.lo, hi: valid.lo }; // never encoded; keep valid
  }

  if (raw.type !== 'request' && raw.type !== 'response' && raw.type !== 'data') {
    throw new Error(`${raw.name}: unsupported spec type ${raw.type}`);
  }
  return {
    name: raw.name,
    type: raw.type,
    apiKey: raw.apiKey ?? null,
    listeners: raw.listeners ?? [],
    validVersions: valid,
    flexibleVersions: flexible,
    deprecatedVersions: parseVersions(raw.deprecatedVersions),
    structs,
    sourceFile,
  };
}

function elemStruct(t: FieldType): string | null {
  return t.kind === 'array' && t.elem.kind === 'struct' ? t.elem.struct : null;
}

/** Loads the specs this broker needs: zkBroker request/response pairs and the selected data schemas. */
export function loadModels(specDir: string): MessageModel[] {
  const files = fs
    .readdirSync(specDir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const raws = files.map((f) => ({ file: f, spec: readSpecFile(path.join(specDir, f)) }));
  const zkKeys = new Set<number>();
  for (const { spec } of raws) {
    if (spec.type === 'request' && (spec.listeners ?? []).includes('zkBroker'))
      zkKeys.add(spec.apiKey as number);
  }
  const models: MessageModel[] = [];
  for (const { file, spec } of raws) {
    const api = (spec.type === 'request' || spec.type === 'response') && zkKeys.has(spec.apiKey as number);
    const data = spec.type === 'data' && (DATA_SPECS.has(spec.name) || /(Key|Value)$/.test(spec.name));
    if (api || data) models.push(buildModel(spec, file));
  }
  // Responses carry no listeners: inherit them from the request.
  const listeners = new Map<number, string[]>();
  for (const m of models) if (m.type === 'request') listeners.set(m.apiKey as number, m.listeners);
  for (const m of models) {
    if (m.type === 'response') m.listeners = listeners.get(m.apiKey as number) ?? [];
  }
  return models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Code generation helpers

const RESERVED_LOCALS = new Set([
  'r',
  'w',
  'm',
  'version',
  'flexible',
  'tagged',
  'result',
  'unknownTagged',
  'tagCount',
  'i',
  'tag',
  'data',
  'tr',
  'tw',
  'e',
  // JavaScript reserved words and awkward globals
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'new',
  'null',
  'return',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'let',
  'static',
  'implements',
  'interface',
  'package',
  'private',
  'protected',
  'public',
  'await',
  'arguments',
  'eval',
  'undefined',
  'Buffer',
  'Reader',
  'Writer',
  'Number',
  'Error',
]);

function local(name: string): string {
  return RESERVED_LOCALS.has(name) ? `${name}_` : name;
}

function q(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/**
 * Condition (TypeScript expression over `version`) that is true for versions in `range`, assuming
 * `version` is known to lie within `within`. Returns 'true' / 'false' when constant.
 */
function condIn(range: Versions | null, within: Versions): string {
  const r = intersect(range, within);
  if (r === null) return 'false';
  const needLo = r.lo > within.lo;
  const needHi = r.hi < within.hi;
  if (!needLo && !needHi) return 'true';
  if (r.lo === r.hi) return `version === ${r.lo}`;
  if (needLo && needHi) return `version >= ${r.lo} && version <= ${r.hi}`;
  return needLo ? `version >= ${r.lo}` : `version <= ${r.hi}`;
}

function paren(cond: string): string {
  return /^[\w.]+$/.test(cond) ? cond : `(${cond})`;
}

/** Versions where the field is a regular (non-tagged) field. */
function regularVersions(f: FieldModel): Versions | null {
  if (f.versions === null) return null;
  if (f.taggedVersions === null) return f.versions;
  const hi = Math.min(f.versions.hi, f.taggedVersions.lo - 1);
  return f.versions.lo <= hi ? { lo: f.versions.lo, hi } : null;
}

function taggedRange(f: FieldModel): Versions | null {
  return intersect(f.versions, f.taggedVersions);
}

function isNullableType(f: FieldModel): boolean {
  return f.nullableVersions !== null || f.default.kind === 'null' || isRecords(f.type);
}

function isRecords(t: FieldType): boolean {
  return t.kind === 'prim' && t.prim === 'records';
}

// ---------------------------------------------------------------------------------------------
// Per-message generator

class MessageGenerator {
  private readonly m: MessageModel;
  private readonly structs: Map<string, StructModel>;
  private readonly flexibleMessage: boolean;
  private readonly needDefault = new Set<string>();
  private readonly needIsDefault = new Set<string>();
  private usesTaggedField = false;
  private usesNullNotAllowed = false;
  private usesProtocolError = false;

  constructor(m: MessageModel) {
    this.m = m;
    this.structs = new Map(m.structs.map((s) => [s.name, s]));
    this.flexibleMessage = m.flexibleVersions !== null;
  }

  private struct(name: string): StructModel {
    const s = this.structs.get(name);
    if (!s) throw new Error(`${this.m.name}: unknown struct ${name}`);
    return s;
  }

  private tsType(t: FieldType, init: boolean): string {
    if (t.kind === 'array') {
      const e = this.tsType(t.elem, init);
      return init ? `readonly ${e}[]` : `${e}[]`;
    }
    if (t.kind === 'struct') return this.struct(t.struct).tsName + (init ? 'Init' : '');
    switch (t.prim) {
      case 'bool':
        return 'boolean';
      case 'int64':
        return 'bigint';
      case 'string':
      case 'uuid':
        return 'string';
      case 'bytes':
      case 'records':
        return 'Buffer';
      default:
        return 'number';
    }
  }

  private fieldType(f: FieldModel, init: boolean): string {
    const base = this.tsType(f.type, init);
    return isNullableType(f) ? `${base} | null` : base;
  }

  /** Default value expression (fresh objects for arrays/structs/buffers). */
  private defaultExpr(f: FieldModel): string {
    const d = f.default;
    switch (d.kind) {
      case 'null':
        return 'null';
      case 'bool':
        return String(d.value);
      case 'number':
        return Object.is(d.value, -0) ? '-0' : String(d.value);
      case 'int64':
        return `${d.value}n`;
      case 'string':
        return q(d.value);
      case 'emptyBytes':
        return 'Buffer.alloc(0)';
      case 'emptyArray':
        return '[]';
      case 'struct': {
        const s = this.struct((f.type as { struct: string }).struct);
        this.needDefault.add(s.name);
        return `default${s.tsName}()`;
      }
    }
  }

  /** Expression comparing `x` (never undefined) with the field's default. */
  private equalsDefault(f: FieldModel, x: string): string {
    const d = f.default;
    const nullable = isNullableType(f);
    switch (d.kind) {
      case 'null':
        return `${x} === null`;
      case 'emptyBytes':
      case 'emptyArray':
        return nullable ? `(${x} !== null && ${x}.length === 0)` : `${x}.length === 0`;
      case 'struct': {
        const call = `${this.isDefaultFn(f)}(${x}, version)`;
        return nullable ? `(${x} !== null && ${call})` : call;
      }
      default:
        return `${x} === ${this.defaultExpr(f)}`;
    }
  }

  /** Negation of equalsDefault. */
  private differsFromDefault(f: FieldModel, x: string): string {
    const d = f.default;
    const nullable = isNullableType(f);
    switch (d.kind) {
      case 'null':
        return `${x} !== null`;
      case 'emptyBytes':
      case 'emptyArray':
        return nullable ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
      case 'struct': {
        const call = `${this.isDefaultFn(f)}(${x}, version)`;
        return nullable ? `(${x} === null || !${call})` : `!${call}`;
      }
      default:
        return `${x} !== ${this.defaultExpr(f)}`;
    }
  }

  private isDefaultFn(f: FieldModel): string {
    const s = this.struct((f.type as { struct: string }).struct);
    this.needIsDefault.add(s.name);
    return `isDefault${s.tsName}`;
  }

  private flexExpr(f: FieldModel, within: Versions, flexible: string): string {
    return f.hasFlexibleOverride ? condIn(f.flexibleVersions, within) : flexible;
  }

  // ---- decoding -----------------------------------------------------------------------------

  /** Expression reading a value of type `t` from reader `rd`. */
  private readExpr(f: FieldModel, t: FieldType, rd: string, flex: string, nullable: string): string {
    const pick = (plain: string, nul: string): string =>
      nullable === 'false' ? plain : nullable === 'true' ? nul : `(${nullable} ? ${nul} : ${plain})`;
    if (t.kind === 'array') {
      const elem = this.readElemExpr(t.elem, rd, flex);
      return pick(
        `${rd}.readArray(${flex}, () => ${elem})`,
        `${rd}.readNullableArray(${flex}, () => ${elem})`,
      );
    }
    if (t.kind === 'struct') {
      const s = this.struct(t.struct);
      const call = `decode${s.tsName}(${rd}, version)`;
      return pick(call, `(${rd}.readInt8() < 0 ? null : ${call})`);
    }
    switch (t.prim) {
      case 'string':
        return pick(`${rd}.readString(${flex})`, `${rd}.readNullableString(${flex})`);
      case 'bytes':
        return pick(`${rd}.readBytes(${flex})`, `${rd}.readNullableBytes(${flex})`);
      case 'records':
        return pick(`${rd}.readBytes(${flex})`, `${rd}.readRecords(${flex})`);
      default:
        return this.readElemExpr(t, rd, flex);
    }
  }

  private readElemExpr(t: FieldType, rd: string, flex: string): string {
    if (t.kind === 'struct') return `decode${this.struct(t.struct).tsName}(${rd}, version)`;
    if (t.kind === 'array') throw new Error('nested arrays');
    const fn: Record<PrimName, string> = {
      bool: 'readBool()',
      int8: 'readInt8()',
      int16: 'readInt16()',
      uint16: 'readUInt16()',
      int32: 'readInt32()',
      uint32: 'readUInt32()',
      int64: 'readInt64()',
      float64: 'readFloat64()',
      uuid: 'readUuid()',
      string: `readString(${flex})`,
      bytes: `readBytes(${flex})`,
      records: `readRecords(${flex})`,
    };
    return `${rd}.${fn[t.prim]}`;
  }

  private genDecode(s: StructModel, isRoot: boolean): string {
    const range = s.range;
    const flexCond = condIn(this.m.flexibleVersions, range);
    const flexible = flexCond === 'true' || flexCond === 'false' ? flexCond : 'flexible';
    const body: string[] = [];
    const taggedFields = s.fields.filter((f) => condIn(taggedRange(f), range) !== 'false');
    const tagged = new Set(taggedFields);
    for (const f of s.fields) {
      const name = local(f.name);
      const type = this.fieldType(f, false);
      const present = condIn(regularVersions(f), range);
      const kw = tagged.has(f) ? 'let' : 'const';
      if (present === 'false') {
        // no annotation on a primitive literal (no-inferrable-types); `let` widens it anyway
        const literal = ['bool', 'number', 'int64', 'string'].includes(f.default.kind);
        body.push(`  ${kw} ${name}${literal ? '' : `: ${type}`} = ${this.defaultExpr(f)};`);
        continue;
      }
      const within = intersect(regularVersions(f), range) as Versions;
      const nullable = condIn(f.nullableVersions, within);
      const expr = this.readExpr(f, f.type, 'r', this.flexExpr(f, within, flexible), nullable);
      if (present === 'true') body.push(`  ${kw} ${name}: ${type} = ${expr};`);
      else body.push(`  ${kw} ${name}: ${type} = ${present} ? ${expr} : ${this.defaultExpr(f)};`);
    }
    if (this.flexibleMessage && flexible !== 'false') {
      this.usesTaggedField = true;
      if (taggedFields.length === 0) {
        const read = 'r.readTaggedFields()';
        body.push(
          `  const unknownTagged = ${flexible === 'true' ? read : `flexible ? ${read} : undefined`};`,
        );
      } else {
        const ind = flexible === 'true' ? '  ' : '    ';
        body.push('  let unknownTagged: TaggedField[] | undefined;');
        if (flexible !== 'true') body.push('  if (flexible) {');
        body.push(`${ind}unknownTagged = r.readTaggedFields((tag, tr) => {`);
        const flexRange = intersect(this.m.flexibleVersions, range) as Versions;
        for (const f of taggedFields) {
          const tr = taggedRange(f) as Versions;
          const c = condIn(tr, flexRange);
          const within = intersect(tr, range) as Versions;
          const nullable = condIn(f.nullableVersions, within);
          const expr = this.readExpr(f, f.type, 'tr', 'true', nullable);
          const test = c === 'true' ? `tag === ${f.tag}` : `tag === ${f.tag} && ${c}`;
          body.push(`${ind}  if (${test}) {`);
          body.push(`${ind}    ${local(f.name)} = ${expr};`);
          body.push(`${ind}    return true;`);
          body.push(`${ind}  }`);
        }
        body.push(`${ind}  return false;`);
        body.push(`${ind}});`);
        if (flexible !== 'true') body.push('  }');
      }
    }
    const props = s.fields.map((f) => (local(f.name) === f.name ? f.name : `${f.name}: ${local(f.name)}`));
    const hasUnknown = this.flexibleMessage && flexible !== 'false';
    const objLit = props.length === 0 ? '{}' : `{ ${props.join(', ')} }`;
    if (hasUnknown) {
      body.push(`  const result: ${s.tsName} = ${objLit};`);
      body.push('  if (unknownTagged !== undefined) result._unknownTaggedFields = unknownTagged;');
      body.push('  return result;');
    } else {
      body.push(`  return ${objLit};`);
    }
    const lines: string[] = [];
    const text = body.join('\n');
    const usesVersion = /\bversion\b/.test(text) || flexible === 'flexible';
    const usesR = /\br\b/.test(text);
    const rParam = usesR ? 'r' : '_r';
    const vParam = usesVersion || isRoot ? 'version' : '_version';
    if (isRoot) {
      lines.push(`export function decode${s.tsName}(${rParam}: Reader, ${vParam}: number): ${s.tsName} {`);
      lines.push(this.versionCheck());
    } else {
      lines.push(`function decode${s.tsName}(${rParam}: Reader, ${vParam}: number): ${s.tsName} {`);
    }
    if (flexible === 'flexible') lines.push(`  const flexible = ${flexCond};`);
    lines.push(text);
    lines.push('}');
    return lines.join('\n');
  }

  private versionCheck(): string {
    const v = this.m.validVersions;
    return (
      `  if (!Number.isInteger(version) || version < ${v.lo} || version > ${v.hi}) {\n` +
      `    throw new Error(\`${this.m.name}: unsupported version \${version}\`);\n` +
      `  }`
    );
  }

  // ---- encoding -----------------------------------------------------------------------------

  /** Statements writing value `x` (never undefined, maybe null) of field f with writer `wr`. */
  private writeStmts(
    f: FieldModel,
    x: string,
    wr: string,
    flex: string,
    nullable: string,
    ind: string,
  ): string[] {
    const out: string[] = [];
    const mayBeNull = isNullableType(f);
    let nul = nullable;
    if (mayBeNull && nullable !== 'true') {
      this.usesNullNotAllowed = true;
      const field = q(`${this.m.name}.${f.name}`);
      if (nullable === 'false') out.push(`${ind}if (${x} === null) nullNotAllowed(${field}, version);`);
      else out.push(`${ind}if (${x} === null && !${paren(nullable)}) nullNotAllowed(${field}, version);`);
      // After the check, a null value implies the version is nullable: use the nullable writer.
      if (nullable !== 'false') nul = 'true';
    }
    if (!mayBeNull) nul = 'false';
    const t = f.type;
    if (t.kind === 'array') {
      const elem = this.writeElemExpr(t.elem, 'e', wr, flex);
      const method = nul === 'false' ? 'writeArray' : 'writeNullableArray';
      out.push(`${ind}${wr}.${method}(${x}, ${flex}, (e) => ${elem});`);
    } else if (t.kind === 'struct') {
      const s = this.struct(t.struct);
      const call = `encode${s.tsName}(${wr}, ${x}, version);`;
      if (nul === 'false') {
        out.push(`${ind}${call}`);
      } else {
        out.push(`${ind}if (${x} === null) {`);
        out.push(`${ind}  ${wr}.writeInt8(-1);`);
        out.push(`${ind}} else {`);
        out.push(`${ind}  ${wr}.writeInt8(1);`);
        out.push(`${ind}  ${call}`);
        out.push(`${ind}}`);
      }
    } else {
      switch (t.prim) {
        case 'string':
          out.push(`${ind}${wr}.${nul === 'false' ? 'writeString' : 'writeNullableString'}(${x}, ${flex});`);
          break;
        case 'bytes':
          out.push(`${ind}${wr}.${nul === 'false' ? 'writeBytes' : 'writeNullableBytes'}(${x}, ${flex});`);
          break;
        case 'records':
          out.push(`${ind}${wr}.writeRecords(${x}, ${flex});`);
          break;
        default:
          out.push(`${ind}${this.writeElemExpr(t, x, wr, flex)};`);
      }
    }
    return out;
  }

  private writeElemExpr(t: FieldType, x: string, wr: string, flex: string): string {
    if (t.kind === 'struct') return `encode${this.struct(t.struct).tsName}(${wr}, ${x}, version)`;
    if (t.kind === 'array') throw new Error('nested arrays');
    const fn: Record<PrimName, string> = {
      bool: `writeBool(${x})`,
      int8: `writeInt8(${x})`,
      int16: `writeInt16(${x})`,
      uint16: `writeUInt16(${x})`,
      int32: `writeInt32(${x})`,
      uint32: `writeUInt32(${x})`,
      int64: `writeInt64(${x})`,
      float64: `writeFloat64(${x})`,
      uuid: `writeUuid(${x})`,
      string: `writeString(${x}, ${flex})`,
      bytes: `writeBytes(${x}, ${flex})`,
      records: `writeRecords(${x}, ${flex})`,
    };
    return `${wr}.${fn[t.prim]}`;
  }

  /** `const name = <m.field or its default>;` */
  private resolveValue(f: FieldModel, name: string, ind: string): string {
    const d = f.type.kind === 'struct' && f.default.kind === 'struct' ? '{}' : this.defaultExpr(f);
    if (isNullableType(f)) return `${ind}const ${name} = m.${f.name} === undefined ? ${d} : m.${f.name};`;
    return `${ind}const ${name} = m.${f.name} ?? ${d};`;
  }

  private genEncode(s: StructModel, isRoot: boolean): string {
    const range = s.range;
    const flexCond = condIn(this.m.flexibleVersions, range);
    const flexible = flexCond === 'true' || flexCond === 'false' ? flexCond : 'flexible';
    const body: string[] = [];
    for (const f of s.fields) {
      const present = condIn(regularVersions(f), range);
      if (present === 'false') continue;
      const within = intersect(regularVersions(f), range) as Versions;
      const nullable = condIn(f.nullableVersions, within);
      const flex = this.flexExpr(f, within, flexible);
      const ind = present === 'true' ? '  ' : '    ';
      const name = local(f.name);
      const simple = !isNullableType(f) && f.type.kind === 'prim';
      if (present !== 'true') body.push(`  if (${present}) {`);
      if (simple) {
        const d = this.defaultExpr(f);
        body.push(`${ind}${this.writeElemExpr(f.type, `m.${f.name} ?? ${d}`, 'w', flex)};`);
      } else {
        body.push(this.resolveValue(f, name, ind));
        body.push(...this.writeStmts(f, name, 'w', flex, nullable, ind));
      }
      if (present !== 'true') body.push('  }');
    }
    if (this.flexibleMessage && flexible !== 'false') {
      this.usesTaggedField = true;
      const taggedFields = s.fields.filter((f) => condIn(taggedRange(f), range) !== 'false');
      const ind = flexible === 'true' ? '  ' : '    ';
      if (flexible !== 'true') body.push('  if (flexible) {');
      if (taggedFields.length === 0) {
        body.push(`${ind}w.writeTaggedFields(null, m._unknownTaggedFields);`);
      } else {
        body.push(`${ind}const tagged: TaggedField[] = [];`);
        const flexRange = intersect(this.m.flexibleVersions, range) as Versions;
        for (const f of taggedFields) {
          const tr = taggedRange(f) as Versions;
          const c = condIn(tr, flexRange);
          const within = intersect(tr, range) as Versions;
          const nullable = condIn(f.nullableVersions, within);
          const ind2 = c === 'true' ? ind : ind + '  ';
          const name = local(f.name);
          if (c !== 'true') body.push(`${ind}if (${c}) {`);
          body.push(this.resolveValue(f, name, ind2));
          body.push(`${ind2}if (${this.differsFromDefault(f, name)}) {`);
          const stmts = this.writeStmts(f, name, 'tw', 'true', nullable, ind2 + '    ');
          // null checks come first, outside the payload builder
          const checks = stmts.filter((l) => l.includes('nullNotAllowed('));
          const writes = stmts.filter((l) => !l.includes('nullNotAllowed('));
          for (const l of checks) body.push(l.replace(ind2 + '    ', ind2 + '  '));
          if (writes.length === 1) {
            body.push(
              `${ind2}  tagged.push({ tag: ${f.tag}, data: Writer.build((tw) => ${writes[0].trim().replace(/;$/, '')}) });`,
            );
          } else {
            body.push(`${ind2}  tagged.push({`);
            body.push(`${ind2}    tag: ${f.tag},`);
            body.push(`${ind2}    data: Writer.build((tw) => {`);
            for (const l of writes) body.push('  ' + l);
            body.push(`${ind2}    }),`);
            body.push(`${ind2}  });`);
          }
          body.push(`${ind2}}`);
          if (c !== 'true') body.push(`${ind}}`);
        }
        body.push(`${ind}w.writeTaggedFields(tagged, m._unknownTaggedFields);`);
      }
      if (flexible !== 'true') body.push('  }');
    }
    const text = body.join('\n');
    const usesVersion = /\bversion\b/.test(text) || flexible === 'flexible';
    const usesW = /\bw\b/.test(text);
    const usesM = /\bm\b/.test(text);
    const wParam = usesW ? 'w' : '_w';
    const mParam = usesM ? 'm' : '_m';
    const vParam = usesVersion || isRoot ? 'version' : '_version';
    const lines: string[] = [];
    if (isRoot) {
      lines.push(
        `export function encode${s.tsName}(${wParam}: Writer, ${mParam}: ${s.tsName}Init, ${vParam}: number): void {`,
      );
      lines.push(this.versionCheck());
    } else {
      lines.push(
        `function encode${s.tsName}(${wParam}: Writer, ${mParam}: ${s.tsName}Init, ${vParam}: number): void {`,
      );
    }
    if (flexible === 'flexible') lines.push(`  const flexible = ${flexCond};`);
    if (text) lines.push(text);
    lines.push('}');
    return lines.join('\n');
  }

  private genDefault(s: StructModel): string {
    const props = s.fields.map((f) => `    ${f.name}: ${this.defaultExpr(f)},`);
    if (props.length === 0) return `function default${s.tsName}(): ${s.tsName} {\n  return {};\n}`;
    return [`function default${s.tsName}(): ${s.tsName} {`, '  return {', ...props, '  };', '}'].join('\n');
  }

  private genIsDefault(s: StructModel): string {
    const parts: string[] = [];
    for (const f of s.fields) {
      const c = condIn(f.versions, s.range);
      if (c === 'false') continue;
      const eq = `(m.${f.name} === undefined || ${this.equalsDefault(f, `m.${f.name}`)})`;
      parts.push(c === 'true' ? eq : `(!${paren(c)} || ${eq})`);
    }
    if (this.flexibleMessage && condIn(this.m.flexibleVersions, s.range) !== 'false') {
      parts.push('(m._unknownTaggedFields === undefined || m._unknownTaggedFields.length === 0)');
    }
    const text = parts.length === 0 ? 'true' : parts.join(' &&\n    ');
    const vParam = /\bversion\b/.test(text) ? 'version' : '_version';
    const mParam = /\bm\b/.test(text) ? 'm' : '_m';
    return `function isDefault${s.tsName}(${mParam}: ${s.tsName}Init, ${vParam}: number): boolean {\n  return (\n    ${text}\n  );\n}`;
  }

  private fieldDoc(f: FieldModel): string {
    const facts: string[] = [`versions ${versionsText(f.versions)}`];
    if (f.nullableVersions) facts.push(`nullable ${versionsText(f.nullableVersions)}`);
    if (f.tag !== null) facts.push(`tag ${f.tag} in ${versionsText(f.taggedVersions)}`);
    if (f.hasFlexibleOverride) facts.push(`flexible ${versionsText(f.flexibleVersions)}`);
    const d = f.default;
    if (d.kind === 'null') facts.push('default null');
    else if (d.kind === 'int64' && d.value !== '0') facts.push(`default ${d.value}`);
    else if (d.kind === 'number' && d.value !== 0) facts.push(`default ${d.value}`);
    else if (d.kind === 'bool' && d.value) facts.push('default true');
    else if (d.kind === 'string' && d.value !== '' && d.value !== ZERO_UUID)
      facts.push(`default ${q(d.value)}`);
    const about = f.about.replace(/\*\//g, '* /').replace(/\s+/g, ' ');
    return `  /** ${about ? about + ' ' : ''}(${facts.join('; ')}) */`;
  }

  private genInterfaces(s: StructModel): string {
    const out: string[] = [];
    out.push(`export interface ${s.tsName} {`);
    for (const f of s.fields) {
      out.push(this.fieldDoc(f));
      out.push(`  ${f.name}: ${this.fieldType(f, false)};`);
    }
    if (this.flexibleMessage) out.push('  _unknownTaggedFields?: TaggedField[];');
    out.push('}');
    out.push('');
    out.push(`/** Encoder input for {@link ${s.tsName}}: missing fields are encoded as their defaults. */`);
    out.push(`export interface ${s.tsName}Init {`);
    for (const f of s.fields) out.push(`  ${f.name}?: ${this.fieldType(f, true)};`);
    if (this.flexibleMessage) out.push('  _unknownTaggedFields?: readonly TaggedField[];');
    out.push('}');
    return out.join('\n');
  }

  generate(): string {
    const m = this.m;
    const [root, ...nested] = m.structs;
    const sections: string[] = [];
    sections.push(this.genInterfaces(root));
    for (const s of nested) sections.push(this.genInterfaces(s));
    sections.push(this.genEncode(root, true));
    sections.push(this.genDecode(root, true));
    for (const s of nested) {
      sections.push(this.genEncode(s, false));
      sections.push(this.genDecode(s, false));
    }
    // default/isDefault functions may require further ones: iterate to a fixed point, then emit in model order.
    const emittedDefault = new Set<string>();
    const emittedIsDefault = new Set<string>();
    const extra = new Map<string, string>();
    for (;;) {
      const pendingD = [...this.needDefault].filter((n) => !emittedDefault.has(n));
      const pendingI = [...this.needIsDefault].filter((n) => !emittedIsDefault.has(n));
      if (pendingD.length === 0 && pendingI.length === 0) break;
      for (const n of pendingD) {
        emittedDefault.add(n);
        extra.set(`d:${n}`, this.genDefault(this.struct(n)));
      }
      for (const n of pendingI) {
        emittedIsDefault.add(n);
        extra.set(`i:${n}`, this.genIsDefault(this.struct(n)));
      }
    }
    for (const s of m.structs) {
      const d = extra.get(`d:${s.name}`);
      if (d) sections.push(d);
      const i = extra.get(`i:${s.name}`);
      if (i) sections.push(i);
    }

    const readerImports = ['Reader'];
    if (this.usesProtocolError) readerImports.push('ProtocolError');
    const writerImports: string[] = [];
    if (this.usesTaggedField) writerImports.push('TaggedField');
    writerImports.push('Writer');
    if (this.usesNullNotAllowed) writerImports.push('nullNotAllowed');
    const head = fileHeader(m);
    return (
      head +
      `import { ${readerImports.join(', ')} } from '../../codec/reader';\n` +
      `import { ${writerImports.join(', ')} } from '../../codec/writer';\n\n` +
      sections.join('\n\n') +
      '\n'
    );
  }
}

function apiName(m: MessageModel): string {
  return m.name.replace(/(Request|Response)$/, '');
}

function fileHeader(m: MessageModel): string {
  const lines = [
    `// ${m.name}: generated by scripts/generate-messages.ts from ${m.sourceFile} (Apache Kafka 3.9).`,
    '// DO NOT EDIT: change the generator or the spec and run `npm run generate`.',
    '//',
  ];
  if (m.apiKey !== null) lines.push(`// API key: ${m.apiKey} (${apiName(m)}), ${m.type}.`);
  else lines.push(`// Data schema (no API key, no header).`);
  lines.push(`// Valid versions: ${versionsText(m.validVersions)}.`);
  lines.push(`// Flexible versions: ${versionsText(m.flexibleVersions)}.`);
  if (m.deprecatedVersions) lines.push(`// Deprecated versions: ${versionsText(m.deprecatedVersions)}.`);
  lines.push(
    '//',
    '// Encoding is lenient: fields the requested version does not have are silently skipped, and',
    '// missing (undefined) fields are encoded as their defaults. Encoding null into a field that is not',
    '// nullable in that version throws. Tagged fields are written only when they differ from their',
    '// default. Decoding fills fields absent from the version with their defaults; bytes and records',
    '// are zero-copy views of the input buffer. Unknown tagged fields are kept in _unknownTaggedFields',
    '// and written back on encode.',
    '',
  );
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// index.ts

function generateIndex(models: MessageModel[]): string {
  const out: string[] = [];
  out.push('// Generated by scripts/generate-messages.ts (Apache Kafka 3.9 message specs). DO NOT EDIT.');
  out.push('//');
  out.push('// Re-exports every generated message plus the registry of the APIs a ZooKeeper-mode broker');
  out.push('// exposes (every request spec whose listeners include zkBroker).');
  out.push('');
  out.push("import { Reader } from '../../codec/reader';");
  out.push("import { Writer } from '../../codec/writer';");
  const requests = models
    .filter((m) => m.type === 'request')
    .sort((a, b) => (a.apiKey as number) - (b.apiKey as number));
  const responses = new Map(models.filter((m) => m.type === 'response').map((m) => [m.apiKey as number, m]));
  for (const req of requests) {
    const res = responses.get(req.apiKey as number);
    if (!res) throw new Error(`no response spec for ${req.name}`);
    if (versionsText(res.validVersions) !== versionsText(req.validVersions)) {
      throw new Error(`${req.name}: request and response valid versions differ`);
    }
    if (versionsText(res.flexibleVersions) !== versionsText(req.flexibleVersions)) {
      throw new Error(`${req.name}: request and response flexible versions differ`);
    }
    out.push(
      `import { decode${req.name}, encode${req.name}, ${req.name}Init } from './${req.name}';`,
      `import { decode${res.name}, encode${res.name}, ${res.name}Init } from './${res.name}';`,
    );
  }
  out.push('');
  for (const m of models) out.push(`export * from './${m.name}';`);
  out.push('');
  out.push('/** API keys of the APIs a ZooKeeper-mode broker exposes. */');
  out.push('export enum ApiKey {');
  for (const req of requests) out.push(`  ${apiName(req)} = ${req.apiKey},`);
  out.push('}');
  out.push('');
  out.push('export interface ApiSpec {');
  out.push('  apiKey: number;');
  out.push('  /** Spec name without the Request/Response suffix, e.g. "Produce". */');
  out.push('  name: string;');
  out.push('  minVersion: number;');
  out.push('  maxVersion: number;');
  out.push('  /** First flexible version (flexible versions are open-ended); null = never flexible. */');
  out.push('  flexibleMin: number | null;');
  out.push('  listeners: string[];');
  out.push('  decodeRequest(r: Reader, version: number): unknown;');
  out.push('  encodeRequest(w: Writer, msg: unknown, version: number): void;');
  out.push('  decodeResponse(r: Reader, version: number): unknown;');
  out.push('  encodeResponse(w: Writer, msg: unknown, version: number): void;');
  out.push('}');
  out.push('');
  out.push('/** Every API a ZooKeeper-mode broker exposes, by API key. */');
  out.push('export const API_SPECS: ReadonlyMap<number, ApiSpec> = new Map<number, ApiSpec>([');
  for (const req of requests) {
    const res = responses.get(req.apiKey as number) as MessageModel;
    const flex = req.flexibleVersions;
    if (flex !== null && flex.hi !== OPEN)
      throw new Error(`${req.name}: flexible versions are not open-ended`);
    out.push('  [');
    out.push(`    ${req.apiKey},`);
    out.push('    {');
    out.push(`      apiKey: ${req.apiKey},`);
    out.push(`      name: ${q(apiName(req))},`);
    out.push(`      minVersion: ${req.validVersions.lo},`);
    out.push(`      maxVersion: ${req.validVersions.hi},`);
    out.push(`      flexibleMin: ${flex === null ? 'null' : flex.lo},`);
    out.push(`      listeners: [${req.listeners.map(q).join(', ')}],`);
    out.push(`      decodeRequest: decode${req.name},`);
    out.push(
      `      encodeRequest: (w, msg, version) => encode${req.name}(w, msg as ${req.name}Init, version),`,
    );
    out.push(`      decodeResponse: decode${res.name},`);
    out.push(
      `      encodeResponse: (w, msg, version) => encode${res.name}(w, msg as ${res.name}Init, version),`,
    );
    out.push('    },');
    out.push('  ],');
  }
  out.push(']);');
  return out.join('\n') + '\n';
}

/**
 * The normalized model, for tests (no `about` texts), one field per line. Versions are written in the
 * spec's text form ("3+", "0-7"; null = none); types are the spec's type strings.
 */
function generateSchemasJson(models: MessageModel[]): string {
  const typeText = (t: FieldType): string =>
    t.kind === 'array' ? `[]${typeText(t.elem)}` : t.kind === 'struct' ? t.struct : t.prim;
  const vt = (v: Versions | null): string | null => (v === null ? null : versionsText(v));
  const msgs = models.map((m) => {
    const head = JSON.stringify({
      name: m.name,
      type: m.type,
      apiKey: m.apiKey,
      validVersions: vt(m.validVersions),
      flexibleVersions: vt(m.flexibleVersions),
    });
    const structs = m.structs.map((s) => {
      const fields = s.fields.map((f) => {
        const o: Record<string, unknown> = { name: f.name, type: typeText(f.type), versions: vt(f.versions) };
        if (f.nullableVersions) o.nullableVersions = vt(f.nullableVersions);
        if (f.tag !== null) {
          o.tag = f.tag;
          o.taggedVersions = vt(f.taggedVersions);
        }
        if (f.hasFlexibleOverride) o.flexibleVersions = vt(f.flexibleVersions);
        o.default = f.default;
        return '      ' + JSON.stringify(o);
      });
      const sh = JSON.stringify({ name: s.name, tsName: s.tsName }).slice(0, -1);
      return `    ${sh}, "fields": [\n${fields.join(',\n')}\n    ]}`;
    });
    return `  ${head.slice(0, -1)}, "structs": [\n${structs.join(',\n')}\n  ]}`;
  });
  return `[\n${msgs.join(',\n')}\n]\n`;
}

// ---------------------------------------------------------------------------------------------
// Driver

/** Generates every file into memory: file name -> content. */
export function generateAll(specDir: string): Map<string, string> {
  const models = loadModels(specDir);
  const files = new Map<string, string>();
  const exported = new Map<string, string>();
  const claim = (id: string, owner: string): void => {
    const prev = exported.get(id);
    if (prev !== undefined) throw new Error(`exported name ${id} clashes between ${prev} and ${owner}`);
    exported.set(id, owner);
  };
  for (const m of models) {
    for (const s of m.structs) {
      claim(s.tsName, m.name);
      claim(s.tsName + 'Init', m.name);
    }
    claim(`encode${m.name}`, m.name);
    claim(`decode${m.name}`, m.name);
    files.set(`${m.name}.ts`, new MessageGenerator(m).generate());
  }
  for (const id of ['ApiKey', 'ApiSpec', 'API_SPECS']) claim(id, 'index');
  files.set('index.ts', generateIndex(models));
  files.set('schemas.json', generateSchemasJson(models));
  return files;
}

/** Writes the generated files into outDir, removing stale generated files. Returns the file names. */
export function generate(specDir: string, outDir: string): string[] {
  const files = generateAll(specDir);
  fs.mkdirSync(outDir, { recursive: true });
  for (const existing of fs.readdirSync(outDir)) {
    if (!files.has(existing) && /\.(ts|json)$/.test(existing)) fs.unlinkSync(path.join(outDir, existing));
  }
  for (const [name, content] of files) {
    const file = path.join(outDir, name);
    if (!fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content) fs.writeFileSync(file, content);
  }
  return [...files.keys()];
}

if (require.main === module) {
  const specDir = path.resolve(
    process.argv[2] ?? path.resolve(__dirname, '..', '..', 'shared', 'kafka-message-specs'),
  );
  const outDir = path.resolve(
    process.argv[3] ?? path.resolve(__dirname, '..', 'src', 'protocol', 'messages', 'generated'),
  );
  const names = generate(specDir, outDir);
  console.log(`generated ${names.length} files in ${path.relative(process.cwd(), outDir) || '.'}`);
}
