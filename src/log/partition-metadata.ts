// `partition.metadata` in a partition directory: the topic id the partition belongs to, so a
// recreated topic with the same name is never confused with the old one's data. Two lines, no
// trailing newline: `version: 0` and `topic_id: <22-char base64url Uuid>`; written via tmp +
// fsync + rename. storage-format.md §6.

import * as fs from 'fs';
import * as path from 'path';
import { isNotFound, writeFileAtomically } from './fs-utils';

export const PARTITION_METADATA_FILE = 'partition.metadata';
const CURRENT_VERSION = 0;
const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export class PartitionMetadataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartitionMetadataError';
  }
}

/** True for a Kafka Uuid string: base64url of 16 bytes (22 chars, no padding), not all-zero. */
export function isValidTopicId(topicId: string): boolean {
  if (!/^[A-Za-z0-9_-]{22}$/.test(topicId) || topicId === ZERO_UUID) return false;
  return Buffer.from(topicId, 'base64url').length === 16;
}

export interface PartitionMetadata {
  readonly version: number;
  readonly topicId: string;
}

export class PartitionMetadataFile {
  readonly path: string;

  constructor(dir: string) {
    this.path = path.join(dir, PARTITION_METADATA_FILE);
  }

  exists(): boolean {
    return fs.existsSync(this.path);
  }

  write(topicId: string): void {
    if (!isValidTopicId(topicId)) throw new PartitionMetadataError(`Invalid topic id ${topicId}`);
    writeFileAtomically(this.path, `version: ${CURRENT_VERSION}\ntopic_id: ${topicId}`);
  }

  /** The stored metadata, or null when the file does not exist; throws when malformed. */
  read(): PartitionMetadata | null {
    let text: string;
    try {
      text = fs.readFileSync(this.path, 'utf8');
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const lines = text.split(/\r\n|\n|\r/);
    const malformed = (line: string | undefined): PartitionMetadataError =>
      new PartitionMetadataError(`Malformed line in checkpoint file (${this.path}): ${line ?? ''}`);
    const versionParts = (lines[0] ?? '').split(/:\s+/);
    if (versionParts.length !== 2 || versionParts[0] !== 'version') throw malformed(lines[0]);
    if (!/^[+-]?\d+$/.test(versionParts[1])) throw malformed(lines[0]);
    const version = Number(versionParts[1]);
    if (version !== CURRENT_VERSION) {
      throw new PartitionMetadataError(
        `Unrecognized version of partition metadata file (${this.path}): ${version}`,
      );
    }
    const idParts = (lines[1] ?? '').split(/:\s+/);
    if (idParts.length !== 2 || idParts[0] !== 'topic_id' || !isValidTopicId(idParts[1]))
      throw malformed(lines[1]);
    return { version, topicId: idParts[1] };
  }
}
