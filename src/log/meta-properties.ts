// `meta.properties` at the top of each log dir: which broker and cluster the data belongs to.
// Java Properties text (two comment lines, then key=value lines), written via tmp + fsync +
// rename. A ZooKeeper-mode broker only accepts version 0 and refuses to start when the stored
// broker.id or cluster.id differ from its own, so data never silently joins the wrong cluster.
// storage-format.md §1.1.

import * as fs from 'fs';
import * as path from 'path';
import { LogDirError } from './errors';
import { isNotFound, writeFileAtomically } from './fs-utils';

export const META_PROPERTIES_FILE = 'meta.properties';

export interface MetaProperties {
  /** 0 when the `version` key is missing. */
  readonly version: number;
  readonly brokerId: number | null;
  readonly nodeId: number | null;
  readonly clusterId: string | null;
  readonly directoryId: string | null;
}

/** Parses Java Properties text (Properties.load): comments, continuations, escapes, = : or space. */
export function parseJavaProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const natural = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < natural.length; i++) {
    let line = natural[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    // A line ending in an odd number of backslashes continues on the next one.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < natural.length) {
      line = line.slice(0, -1) + natural[++i].replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    let key = '';
    while (k < line.length) {
      const c = line[k];
      if (c === '\\' && k + 1 < line.length) {
        key += c + line[k + 1];
        k += 2;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') break;
      key += c;
      k++;
    }
    while (k < line.length && /[ \t\f]/.test(line[k])) k++;
    if (k < line.length && (line[k] === '=' || line[k] === ':')) k++;
    while (k < line.length && /[ \t\f]/.test(line[k])) k++;
    out.set(unescape(key), unescape(line.substring(k)));
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.substring(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

/** Properties.saveConvert: escapes for a key (all spaces) or a value (a leading space). */
function escapeProperty(s: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === ' ') out += isKey || i === 0 ? '\\ ' : ' ';
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\f') out += '\\f';
    else if ('=:#!\\'.includes(c)) out += `\\${c}`;
    else out += c;
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** java.util.Date#toString in UTC: `Thu Nov 21 10:00:00 UTC 2024`. */
export function javaDateString(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}

/** Java's String.hashCode. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Order Properties.store (JDK 9-17) writes keys in: the iteration order of its backing
 * ConcurrentHashMap of 16 bins (bin = spread(hash) & 15, insertion order within a bin). For
 * Kafka's keys that is broker.id, version, cluster.id. Readers do not care; this only makes our
 * files look like the Java broker's.
 */
function javaPropertiesOrder(keys: readonly string[]): string[] {
  const bin = (k: string): number => {
    const h = javaHash(k);
    return (h ^ (h >>> 16)) & 0x7fffffff & 15;
  };
  return keys
    .map((k, i) => ({ k, i, b: bin(k) }))
    .sort((a, b) => a.b - b.b || a.i - b.i)
    .map((e) => e.k);
}

/** Text of a v0 meta.properties for a ZooKeeper-mode broker. */
export function formatMetaProperties(
  props: { brokerId: number; clusterId: string | null; directoryId?: string | null },
  now: Date = new Date(),
): string {
  // Insertion order of Kafka's MetaProperties.toProperties.
  const entries = new Map<string, string>([['version', '0']]);
  if (props.clusterId !== null) entries.set('cluster.id', props.clusterId);
  entries.set('broker.id', String(props.brokerId));
  if (props.directoryId) entries.set('directory.id', props.directoryId);
  let out = `#\n#${javaDateString(now)}\n`;
  for (const k of javaPropertiesOrder([...entries.keys()])) {
    out += `${escapeProperty(k, true)}=${escapeProperty(entries.get(k)!, false)}\n`;
  }
  return out;
}

function parseIntProperty(file: string, key: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const s = raw.trim();
  if (!/^[+-]?\d+$/.test(s) || Number(s) > 0x7fffffff || Number(s) < -0x80000000) {
    throw new LogDirError(`Failed to parse ${key} '${raw}' in ${file}: not an integer.`);
  }
  return Number(s);
}

/** Reads `<dir>/meta.properties`; null when absent. */
export function readMetaProperties(dir: string): MetaProperties | null {
  const file = path.join(dir, META_PROPERTIES_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw new LogDirError(`Failed to read ${file}: ${(e as Error).message}`);
  }
  const props = parseJavaProperties(text);
  const version = parseIntProperty(file, 'version', props.get('version')) ?? 0;
  return {
    version,
    brokerId: parseIntProperty(file, 'broker.id', props.get('broker.id')),
    nodeId: parseIntProperty(file, 'node.id', props.get('node.id')),
    clusterId: props.get('cluster.id') ?? null,
    directoryId: props.get('directory.id') ?? null,
  };
}

export function writeMetaProperties(
  dir: string,
  props: { brokerId: number; clusterId: string | null; directoryId?: string | null },
): void {
  writeFileAtomically(path.join(dir, META_PROPERTIES_FILE), formatMetaProperties(props));
}

/**
 * The broker id stored in the dirs' meta.properties (for broker.id generation when the config
 * leaves it unset), or null. Throws when dirs disagree.
 */
export function storedBrokerId(dirs: readonly string[]): number | null {
  let found: { id: number; dir: string } | null = null;
  for (const dir of dirs) {
    const id = readMetaProperties(dir)?.brokerId ?? null;
    if (id === null) continue;
    if (found && found.id !== id) {
      throw new LogDirError(
        `Stored broker.id ${id} in ${path.join(dir, META_PROPERTIES_FILE)} doesn't match broker.id ${found.id} stored in ${path.join(found.dir, META_PROPERTIES_FILE)}. Each log directory of a broker must belong to the same broker.`,
      );
    }
    found = { id, dir };
  }
  return found?.id ?? null;
}

/**
 * Startup check of every log dir's meta.properties against this broker, then (re)writes the
 * file where it is missing or differs. Fails with a message naming the file and both values when
 * the data belongs to another broker or cluster, or when the file is version 1 (KRaft).
 */
export function verifyAndWriteMetaProperties(
  dirs: readonly string[],
  expected: { brokerId: number; clusterId: string | null },
): void {
  const existing = new Map<string, MetaProperties | null>();
  for (const dir of dirs) {
    const file = path.join(dir, META_PROPERTIES_FILE);
    const meta = readMetaProperties(dir);
    existing.set(dir, meta);
    if (meta === null) continue;
    if (meta.version !== 0) {
      throw new LogDirError(
        `Found unexpected version ${meta.version} in ${file}. ZK-based brokers that are not migrating only support version 0 (which is implicit when the \`version\` field is missing).`,
      );
    }
    if (meta.brokerId !== null && meta.brokerId !== expected.brokerId) {
      throw new LogDirError(
        `The broker.id ${expected.brokerId} doesn't match stored broker.id ${meta.brokerId} in ${file}. If you moved your data, make sure your configured broker.id matches. If you intend to create a new broker, you should remove all data in your data directories (log.dirs).`,
      );
    }
    if (meta.clusterId !== null && expected.clusterId !== null && meta.clusterId !== expected.clusterId) {
      throw new LogDirError(
        `The Cluster ID ${expected.clusterId} doesn't match stored clusterId ${meta.clusterId} in ${file}. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.`,
      );
    }
  }
  for (const dir of dirs) {
    const meta = existing.get(dir) ?? null;
    const clusterId = expected.clusterId ?? meta?.clusterId ?? null;
    if (meta && meta.brokerId === expected.brokerId && meta.clusterId === clusterId) continue;
    writeMetaProperties(dir, {
      brokerId: expected.brokerId,
      clusterId,
      directoryId: meta?.directoryId ?? null,
    });
  }
}
