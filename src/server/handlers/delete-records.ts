// DeleteRecords (key 21), v0-v2.
// Advances a partition's log start offset on the leader (whole segments below it are deleted
// by the log). offset -1 means "up to the high watermark"; an offset above the high watermark
// or below 0 → OFFSET_OUT_OF_RANGE. low_watermark is the resulting log start offset. With the
// ISR reduced to the leader the result is final at once (Kafka's DelayedDeleteRecords waits for
// followers to catch up to it). Errors: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
// POLICY_VIOLATION on compacted-only topics (Kafka refuses delete-records there).

import { MetadataCache } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DeleteRecordsRequest } from '../../protocol/messages/generated/DeleteRecordsRequest';
import type { DeleteRecordsResponseInit } from '../../protocol/messages/generated/DeleteRecordsResponse';
import type { ApiHandler } from '../api-handler';
import { ReplicaManager } from '../replica-manager';

export function deleteRecordsHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
): ApiHandler<DeleteRecordsRequest, DeleteRecordsResponseInit> {
  return {
    apiKey: ApiKey.DeleteRecords,
    minVersion: 0,
    maxVersion: 2,
    handle(req) {
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((rp) => {
            const out = (errorCode: number, lowWatermark = -1n) => ({
              partitionIndex: rp.partitionIndex,
              errorCode,
              lowWatermark,
            });
            if (!cache.getPartition(t.name, rp.partitionIndex))
              return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            const p = replicas.getPartition(t.name, rp.partitionIndex);
            if (!p || !p.isLeader) return out(ErrorCode.NOT_LEADER_OR_FOLLOWER);
            if (!p.config.delete) return out(ErrorCode.POLICY_VIOLATION);
            const hw = p.log.highWatermark;
            const offset = rp.offset === -1n ? hw : rp.offset;
            if (offset < 0n || offset > hw) return out(ErrorCode.OFFSET_OUT_OF_RANGE);
            p.log.deleteRecordsBefore(offset);
            return out(ErrorCode.NONE, p.log.logStartOffset);
          }),
        })),
      };
    },
  };
}
