// Names of everything the log layer puts on disk (Kafka's LogFileUtils and the naming helpers of
// UnifiedLog): 20-digit zero-padded segment file names, suffixes for files pending deletion, and
// partition directory names including the `-delete` / `-future` / `-stray` variants.
// storage-format.md §1.4, §1.5.

import { randomUUID } from 'crypto';
import * as path from 'path';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
export const PRODUCER_SNAPSHOT_FILE_SUFFIX = '.snapshot';
/** Appended to segment files that are waiting for their delayed deletion. */
export const DELETED_FILE_SUFFIX = '.deleted';
/** Temporary files of the log cleaner / segment split. */
export const CLEANED_FILE_SUFFIX = '.cleaned';
export const SWAP_FILE_SUFFIX = '.swap';

export const DELETE_DIR_SUFFIX = '-delete';
export const FUTURE_DIR_SUFFIX = '-future';
export const STRAY_DIR_SUFFIX = '-stray';

const DELETE_DIR_PATTERN = /^(\S+)-(\S+)\.(\S+)-delete$/;
const FUTURE_DIR_PATTERN = /^(\S+)-(\S+)\.(\S+)-future$/;
const STRAY_DIR_PATTERN = /^(\S+)-(\S+)\.(\S+)-stray$/;

/** Max length of a file name on common file systems; delete-dir names are capped to it. */
const MAX_FILE_NAME_LENGTH = 255;

/** `%020d` of a segment base offset. */
export function filenamePrefixFromOffset(offset: bigint): string {
  return offset.toString().padStart(20, '0');
}

export function logFile(dir: string, baseOffset: bigint, suffix = ''): string {
  return path.join(dir, filenamePrefixFromOffset(baseOffset) + LOG_FILE_SUFFIX + suffix);
}

export function offsetIndexFile(dir: string, baseOffset: bigint, suffix = ''): string {
  return path.join(dir, filenamePrefixFromOffset(baseOffset) + INDEX_FILE_SUFFIX + suffix);
}

export function timeIndexFile(dir: string, baseOffset: bigint, suffix = ''): string {
  return path.join(dir, filenamePrefixFromOffset(baseOffset) + TIME_INDEX_FILE_SUFFIX + suffix);
}

export function transactionIndexFile(dir: string, baseOffset: bigint, suffix = ''): string {
  return path.join(dir, filenamePrefixFromOffset(baseOffset) + TXN_INDEX_FILE_SUFFIX + suffix);
}

/** Offset encoded in a segment/index/snapshot file name (digits before the first '.'), or null. */
export function offsetFromFileName(fileName: string): bigint | null {
  const base = path.basename(fileName);
  const dot = base.indexOf('.');
  const digits = dot < 0 ? base : base.substring(0, dot);
  return /^\d+$/.test(digits) ? BigInt(digits) : null;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Key used for maps and checkpoints: the normal directory name `<topic>-<partition>`. */
export function topicPartitionName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export type PartitionDirKind = 'normal' | 'delete' | 'future' | 'stray';

export interface ParsedPartitionDir extends TopicPartition {
  readonly kind: PartitionDirKind;
}

/**
 * Parses a partition directory name the way Kafka does: strip a `.<uuid>-delete|-future|-stray`
 * suffix, then split at the last '-'. Returns null for names Kafka would reject (its broker
 * refuses to start on them; the caller decides how loud to be).
 */
export function parseTopicPartitionName(dirName: string): ParsedPartitionDir | null {
  if (!dirName || !dirName.includes('-')) return null;
  let kind: PartitionDirKind = 'normal';
  if (dirName.endsWith(DELETE_DIR_SUFFIX)) kind = 'delete';
  else if (dirName.endsWith(FUTURE_DIR_SUFFIX)) kind = 'future';
  else if (dirName.endsWith(STRAY_DIR_SUFFIX)) kind = 'stray';
  if (kind === 'delete' && !DELETE_DIR_PATTERN.test(dirName)) return null;
  if (kind === 'future' && !FUTURE_DIR_PATTERN.test(dirName)) return null;
  if (kind === 'stray' && !STRAY_DIR_PATTERN.test(dirName)) return null;
  const name = kind === 'normal' ? dirName : dirName.substring(0, dirName.lastIndexOf('.'));
  const dash = name.lastIndexOf('-');
  const topic = name.substring(0, dash);
  const partitionString = name.substring(dash + 1);
  if (!topic || !/^[+-]?\d+$/.test(partitionString)) return null;
  const partition = Number(partitionString);
  if (partition > 0x7fffffff || partition < -0x80000000) return null;
  return { topic, partition, kind };
}

function dirNameWithUniqueSuffix(
  topic: string,
  partition: number,
  dirSuffix: string,
  capLength: boolean,
): string {
  const uniqueId = randomUUID().replace(/-/g, '');
  const suffix = `-${partition}.${uniqueId}${dirSuffix}`;
  const prefixLength = capLength
    ? Math.min(topic.length, MAX_FILE_NAME_LENGTH - suffix.length)
    : topic.length;
  return topic.substring(0, prefixLength) + suffix;
}

/** `<topic>-<partition>.<uuid32hex>-delete`, topic part truncated so the name fits 255 chars. */
export function logDeleteDirName(topic: string, partition: number): string {
  return dirNameWithUniqueSuffix(topic, partition, DELETE_DIR_SUFFIX, true);
}

/** `<topic>-<partition>.<uuid32hex>-future` (not truncated). */
export function logFutureDirName(topic: string, partition: number): string {
  return dirNameWithUniqueSuffix(topic, partition, FUTURE_DIR_SUFFIX, false);
}
