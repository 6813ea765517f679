// ListOffsets (key 2), v0-v9.
// Per partition, answered by the leader: -2 EARLIEST → log start offset; -1 LATEST → high
// watermark (read_committed, v2+: last stable offset; replicas: log end offset); -3
// MAX_TIMESTAMP (v7+) → the record with the largest timestamp; -4 EARLIEST_LOCAL (v8+) → log
// start offset (no tiered storage); -5 LATEST_TIERED (v9) → -1 (nothing tiered); any other value
// → the first offset whose timestamp is >= it, found through the time indexes (-1/-1 when none).
// v0 answers old_style_offsets (a single offset, Kafka's common case). v4+ reports the leader
// epoch of the returned offset and checks current_leader_epoch (FENCED/UNKNOWN_LEADER_EPOCH).
// Errors: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER.

import { MetadataCache } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ListOffsetsRequest } from '../../protocol/messages/generated/ListOffsetsRequest';
import type { ListOffsetsResponseInit } from '../../protocol/messages/generated/ListOffsetsResponse';
import type { ApiHandler } from '../api-handler';
import { ReplicaManager } from '../replica-manager';

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;

type PartitionOut = NonNullable<NonNullable<ListOffsetsResponseInit['topics']>[number]['partitions']>[number];

export function listOffsetsHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
): ApiHandler<ListOffsetsRequest, ListOffsetsResponseInit> {
  return {
    apiKey: ApiKey.ListOffsets,
    minVersion: 0,
    maxVersion: 9,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const isReplica = req.replicaId >= 0;
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((rp): PartitionOut => {
            const base = {
              partitionIndex: rp.partitionIndex,
              timestamp: -1n,
              offset: -1n,
              leaderEpoch: -1,
              oldStyleOffsets: [],
            };
            if (!cache.getPartition(t.name, rp.partitionIndex))
              return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            const p = replicas.getPartition(t.name, rp.partitionIndex);
            if (!p || !p.isLeader) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
            if (v >= 4 && rp.currentLeaderEpoch !== -1 && rp.currentLeaderEpoch !== p.leaderEpoch)
              return {
                ...base,
                errorCode:
                  rp.currentLeaderEpoch < p.leaderEpoch
                    ? ErrorCode.FENCED_LEADER_EPOCH
                    : ErrorCode.UNKNOWN_LEADER_EPOCH,
              };
            const log = p.log;
            let found: { offset: bigint; timestamp: bigint; leaderEpoch: number } | null;
            switch (rp.timestamp) {
              case EARLIEST_TIMESTAMP:
              case EARLIEST_LOCAL_TIMESTAMP:
                found = {
                  offset: log.logStartOffset,
                  timestamp: -1n,
                  leaderEpoch: log.epochForOffset(log.logStartOffset),
                };
                break;
              case LATEST_TIMESTAMP: {
                const offset = isReplica ? log.logEndOffset : log.highWatermark;
                found = { offset, timestamp: -1n, leaderEpoch: log.latestEpoch() };
                break;
              }
              case LATEST_TIERED_TIMESTAMP:
                found = { offset: -1n, timestamp: -1n, leaderEpoch: -1 };
                break;
              default: {
                const r = log.fetchOffsetByTimestamp(rp.timestamp);
                found = r ? { offset: r.offset, timestamp: r.timestamp, leaderEpoch: r.leaderEpoch } : null;
                // Consumers never see offsets above the high watermark.
                if (found && !isReplica && found.offset >= log.highWatermark) found = null;
              }
            }
            if (v === 0)
              return {
                ...base,
                errorCode: ErrorCode.NONE,
                oldStyleOffsets: found && found.offset >= 0n ? [found.offset] : [],
              };
            return {
              ...base,
              errorCode: ErrorCode.NONE,
              offset: found ? found.offset : -1n,
              timestamp: found ? found.timestamp : -1n,
              leaderEpoch: found ? found.leaderEpoch : -1,
            };
          }),
        })),
      };
    },
  };
}
