// OffsetDelete (key 47), v0.
// Deletes a group's committed offsets for the listed partitions (tombstones in
// __consumer_offsets). Empty groups: all listed; consumer groups with members: partitions of
// topics they subscribe to get GROUP_SUBSCRIBED_TO_TOPIC, the rest are deleted; other non-empty
// groups NON_EMPTY_GROUP; unknown groups GROUP_ID_NOT_FOUND. Unknown topics or partitions get
// UNKNOWN_TOPIC_OR_PARTITION. A group-level error leaves the topic list empty.

import { MetadataCache } from '../../cluster/metadata-cache';
import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { OffsetDeleteRequest } from '../../protocol/messages/generated/OffsetDeleteRequest';
import type { OffsetDeleteResponseInit } from '../../protocol/messages/generated/OffsetDeleteResponse';
import type { ApiHandler } from '../api-handler';

export function offsetDeleteHandler(
  coordinator: GroupCoordinator,
  cache: MetadataCache,
): ApiHandler<OffsetDeleteRequest, OffsetDeleteResponseInit> {
  return {
    apiKey: ApiKey.OffsetDelete,
    minVersion: 0,
    maxVersion: 0,
    async handle(req) {
      const results = new Map<string, Map<number, number>>();
      const put = (topic: string, partition: number, error: number) => {
        let m = results.get(topic);
        if (!m) results.set(topic, (m = new Map()));
        m.set(partition, error);
      };
      const valid: Array<{ topic: string; partition: number }> = [];
      for (const t of req.topics) {
        const known = cache.getTopic(t.name);
        for (const p of t.partitions) {
          if (!known || !known.partitions.has(p.partitionIndex))
            put(t.name, p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          else valid.push({ topic: t.name, partition: p.partitionIndex });
        }
      }
      const r = await coordinator.handleDeleteOffsets(req.groupId, valid);
      if (r.error !== ErrorCode.NONE) return { errorCode: r.error, throttleTimeMs: 0, topics: [] };
      for (const p of r.partitions) put(p.topic, p.partition, p.error);
      return {
        errorCode: ErrorCode.NONE,
        throttleTimeMs: 0,
        topics: [...results].map(([name, parts]) => ({
          name,
          partitions: [...parts].map(([partitionIndex, errorCode]) => ({ partitionIndex, errorCode })),
        })),
      };
    },
  };
}
