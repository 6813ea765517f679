// Public surface of the log layer (storage of partition data in Kafka's on-disk format).

export * from './errors';
export {
  LogConfig,
  LogManagerConfig,
  TOPIC_CONFIG_NAMES,
  validateTopicOverrides,
  extractLogConfigMap,
} from './log-config';
export type { TimestampType } from './log-config';
export { LogManager, CLEAN_SHUTDOWN_FILE } from './log-manager';
export type { LogManagerOptions } from './log-manager';
export {
  UnifiedLog,
  LATEST_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  MAX_TIMESTAMP,
  EARLIEST_LOCAL_TIMESTAMP,
  LATEST_TIERED_TIMESTAMP,
} from './unified-log';
export type {
  AppendEvent,
  FetchIsolation,
  LeaderAppendInfo,
  LogAppendResult,
  LogReadOk,
  LogReadOutOfRange,
  LogReadResult,
  UnifiedLogOptions,
} from './unified-log';
export type { LogOffsetMetadata, TimestampAndOffset } from './log-segment';
export { LogSegment } from './log-segment';
export { LeaderEpochFileCache } from './leader-epoch-cache';
export type { EpochEntry, EpochEndOffset } from './leader-epoch-cache';
export { OffsetCheckpointFile, CheckpointFile, CheckpointReadError } from './checkpoints';
export type { TopicPartitionOffset } from './checkpoints';
export { PartitionMetadataFile, isValidTopicId } from './partition-metadata';
export {
  readMetaProperties,
  verifyAndWriteMetaProperties,
  storedBrokerId,
  formatMetaProperties,
} from './meta-properties';
export type { MetaProperties } from './meta-properties';
export { Scheduler } from './scheduler';
export { SystemTime } from './time';
export type { Time } from './time';
export type { RecordsDecompressor } from './record-timestamps';
export { topicPartitionName, parseTopicPartitionName, filenamePrefixFromOffset } from './log-file-names';
