// OffsetCommit (key 8), v0-v9.
// v0 stores offsets in ZooKeeper (/consumers/<group>/offsets/<topic>/<partition>), as Kafka does;
// v1+ go to the group coordinator, which appends them to __consumer_offsets (OffsetCommitValue v3,
// v1 when v2-v4 carry retention_time_ms ≠ −1: expire timestamp = now + retention). v1 carries a
// per-partition commit timestamp (−1 = now); v6+ the leader epoch; v7+ group_instance_id. Unknown
// topics or partitions get UNKNOWN_TOPIC_OR_PARTITION; metadata longer than
// offset.metadata.max.bytes OFFSET_METADATA_TOO_LARGE; the others the coordinator's result
// (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID, REBALANCE_IN_PROGRESS, coordinator
// errors, append errors as Kafka maps them).

import { MetadataCache } from '../../cluster/metadata-cache';
import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import type { OffsetAndMetadata } from '../../coordinator/group/group-metadata';
import type { ZkOffsetStore } from '../../coordinator/group/zk-offsets';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { OffsetCommitRequest } from '../../protocol/messages/generated/OffsetCommitRequest';
import type { OffsetCommitResponseInit } from '../../protocol/messages/generated/OffsetCommitResponse';
import { getLogger } from '../../utils/logger';
import type { ApiHandler } from '../api-handler';

type TopicOut = NonNullable<OffsetCommitResponseInit['topics']>[number];

export interface OffsetCommitDeps {
  coordinator: GroupCoordinator;
  cache: MetadataCache;
  zkOffsets: ZkOffsetStore;
  offsetMetadataMaxBytes: number;
  now?: () => number;
}

export function offsetCommitHandler(
  d: OffsetCommitDeps,
): ApiHandler<OffsetCommitRequest, OffsetCommitResponseInit> {
  const log = getLogger('kafka.server.KafkaApis');
  const now = d.now ?? Date.now;
  return {
    apiKey: ApiKey.OffsetCommit,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const results = new Map<string, Map<number, number>>();
      const order: string[] = [];
      const put = (topic: string, partition: number, error: number) => {
        let m = results.get(topic);
        if (!m) {
          results.set(topic, (m = new Map()));
          order.push(topic);
        }
        m.set(partition, error);
      };
      const valid: Array<{
        topic: string;
        partition: number;
        offset: bigint;
        leaderEpoch: number;
        metadata: string | null;
        commitTimestamp: bigint;
      }> = [];
      for (const t of req.topics) {
        const known = d.cache.getTopic(t.name);
        for (const p of t.partitions) {
          if (!known || !known.partitions.has(p.partitionIndex)) {
            put(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            continue;
          }
          put(t.name, p.partitionIndex, ErrorCode.NONE); // placeholder, keeps the request's order
          valid.push({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata: p.committedMetadata,
            commitTimestamp: p.commitTimestamp,
          });
        }
      }
      if (v === 0) {
        // Version 0 always stores offsets in ZooKeeper.
        for (const o of valid) {
          if (o.metadata !== null && o.metadata.length > d.offsetMetadataMaxBytes) {
            put(o.topic, o.partition, ErrorCode.OFFSET_METADATA_TOO_LARGE);
            continue;
          }
          try {
            await d.zkOffsets.commit(req.groupId, o.topic, o.partition, o.offset);
          } catch (e) {
            log.warn(`Error committing offset of ${req.groupId} to ZooKeeper: ${(e as Error).message}`);
            put(o.topic, o.partition, ErrorCode.UNKNOWN_SERVER_ERROR);
          }
        }
      } else if (valid.length > 0) {
        const current = now();
        const expireTimestamp = req.retentionTimeMs === -1n ? null : BigInt(current) + req.retentionTimeMs;
        const offsets = valid.map((o) => {
          const value: OffsetAndMetadata = {
            offset: o.offset,
            leaderEpoch: o.leaderEpoch,
            metadata: o.metadata ?? '',
            commitTimestamp: o.commitTimestamp === -1n ? BigInt(current) : o.commitTimestamp,
            expireTimestamp,
          };
          return { topic: o.topic, partition: o.partition, value };
        });
        const r = await d.coordinator.commitOffsets(
          req.groupId,
          req.memberId,
          v >= 7 ? req.groupInstanceId : null,
          req.generationIdOrMemberEpoch,
          offsets,
        );
        for (const x of r) put(x.topic, x.partition, x.error);
      }
      const topics: TopicOut[] = order.map((name) => ({
        name,
        partitions: [...results.get(name)!].map(([partitionIndex, errorCode]) => ({
          partitionIndex,
          errorCode,
        })),
      }));
      return { throttleTimeMs: 0, topics };
    },
  };
}
