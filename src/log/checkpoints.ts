// Text checkpoint files (Kafka's CheckpointFile): a version line, a count line, then one entry
// per line, '\n'-separated. Written to <file>.tmp, fsynced, renamed over the file, and the
// directory fsynced, so a crash leaves either the old or the new content. Reading is strict
// (wrong version, bad numbers, bad entries, count mismatch all throw CheckpointReadError) and
// the caller chooses the fallback and logs it loudly, as Kafka's LogManager does.
// storage-format.md §1.2 (offset checkpoints) and §5 (leader-epoch-checkpoint).

import * as fs from 'fs';
import { isNotFound, writeFileAtomically } from './fs-utils';
import { topicPartitionName } from './log-file-names';

export class CheckpointReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointReadError';
  }
}

export interface CheckpointEntryFormat<T> {
  toLine(entry: T): string;
  /** Parses one entry line, or returns null when it is malformed. */
  fromLine(line: string): T | null;
}

const INT_PATTERN = /^[+-]?\d+$/;

/** Java's Integer.parseInt: no whitespace, int32 range. */
export function parseJavaInt(s: string): number | null {
  if (!INT_PATTERN.test(s)) return null;
  const n = Number(s);
  return n >= -0x80000000 && n <= 0x7fffffff ? n : null;
}

/** Java's Long.parseLong: no whitespace, int64 range. */
export function parseJavaLong(s: string): bigint | null {
  if (!INT_PATTERN.test(s)) return null;
  const n = BigInt(s);
  return n >= -9223372036854775808n && n <= 9223372036854775807n ? n : null;
}

/** Splits text into lines like BufferedReader.readLine (\n, \r\n or \r; no empty last line). */
function readLines(text: string): string[] {
  if (text.length === 0) return [];
  const lines = text.split(/\r\n|\n|\r/);
  if (/(\r\n|\n|\r)$/.test(text)) lines.pop();
  return lines;
}

export class CheckpointFile<T> {
  readonly path: string;
  readonly version: number;
  private readonly format: CheckpointEntryFormat<T>;

  /** Creates the file empty when it does not exist (as Kafka does when opening it). */
  constructor(path: string, version: number, format: CheckpointEntryFormat<T>, createIfMissing = true) {
    this.path = path;
    this.version = version;
    this.format = format;
    if (createIfMissing) {
      try {
        fs.writeFileSync(path, '', { flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** Serialized form: version, count, entries, each line '\n'-terminated. */
  render(entries: readonly T[]): string {
    let out = `${this.version}\n${entries.length}\n`;
    for (const e of entries) out += `${this.format.toLine(e)}\n`;
    return out;
  }

  write(entries: readonly T[], sync = true): void {
    writeFileAtomically(this.path, this.render(entries), sync);
  }

  /** Entries in file order. Missing/empty file or version-only file = none. */
  read(): T[] {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const lines = readLines(text);
    if (lines.length === 0) return [];
    const version = parseJavaInt(lines[0]);
    if (version === null) throw this.malformed(lines[0]);
    if (version !== this.version) {
      throw new CheckpointReadError(`Unrecognized version of the checkpoint file (${this.path}): ${version}`);
    }
    if (lines.length === 1) return [];
    const expected = parseJavaInt(lines[1]);
    if (expected === null) throw this.malformed(lines[1]);
    const entries: T[] = [];
    for (let i = 2; i < lines.length; i++) {
      const entry = this.format.fromLine(lines[i]);
      if (entry === null) throw this.malformed(lines[i]);
      entries.push(entry);
    }
    if (entries.length !== expected) {
      throw new CheckpointReadError(
        `Expected ${expected} entries in checkpoint file (${this.path}), but found only ${entries.length}`,
      );
    }
    return entries;
  }

  private malformed(line: string): CheckpointReadError {
    return new CheckpointReadError(`Malformed line in checkpoint file (${this.path}): ${line}`);
  }
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

const OFFSET_ENTRY_FORMAT: CheckpointEntryFormat<TopicPartitionOffset> = {
  toLine: (e) => `${e.topic} ${e.partition} ${e.offset}`,
  fromLine: (line) => {
    const parts = line.split(/\s+/);
    if (parts.length !== 3) return null;
    const partition = parseJavaInt(parts[1]);
    const offset = parseJavaLong(parts[2]);
    if (partition === null || offset === null) return null;
    return { topic: parts[0], partition, offset };
  },
};

export const RECOVERY_POINT_CHECKPOINT_FILE = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT_FILE = 'log-start-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** `<topic> <partition> <offset>` checkpoints of a log dir (version 0). */
export class OffsetCheckpointFile {
  private readonly file: CheckpointFile<TopicPartitionOffset>;

  constructor(path: string, createIfMissing = true) {
    this.file = new CheckpointFile(path, 0, OFFSET_ENTRY_FORMAT, createIfMissing);
  }

  get path(): string {
    return this.file.path;
  }

  write(offsets: Iterable<TopicPartitionOffset>): void {
    this.file.write([...offsets]);
  }

  read(): TopicPartitionOffset[] {
    return this.file.read();
  }

  /** Offsets keyed by `<topic>-<partition>`. */
  readMap(): Map<string, bigint> {
    const out = new Map<string, bigint>();
    for (const e of this.read()) out.set(topicPartitionName(e.topic, e.partition), e.offset);
    return out;
  }
}
