// OffsetFetch (key 9), v0-v9.
// v0 reads the offsets ZooKeeper holds (/consumers/<group>/offsets/<topic>/<partition>; none, or an
// unknown partition → −1 with UNKNOWN_TOPIC_OR_PARTITION). v1-v7 ask the group coordinator for
// one group: the listed partitions (−1/"" and NONE when there is no commit) or, v2+ with
// topics = null, every partition with an offset; v2+ have a top-level error code (v0-v1 put a
// group error on every partition); v5+ return the committed leader epoch; v7+ require_stable
// (UNSTABLE_OFFSET_COMMIT while a commit to that partition is in flight). v8+ batch groups, a
// group error leaving that group's topics empty.

import { MetadataCache } from '../../cluster/metadata-cache';
import { GroupCoordinator } from '../../coordinator/group/group-coordinator';
import type { FetchedOffset } from '../../coordinator/group/group-metadata-manager';
import type { ZkOffsetStore } from '../../coordinator/group/zk-offsets';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { OffsetFetchRequest } from '../../protocol/messages/generated/OffsetFetchRequest';
import type { OffsetFetchResponseInit } from '../../protocol/messages/generated/OffsetFetchResponse';
import type { ApiHandler } from '../api-handler';

interface TopicResult {
  name: string;
  partitions: Array<{
    partitionIndex: number;
    committedOffset: bigint;
    committedLeaderEpoch: number;
    metadata: string;
    errorCode: number;
  }>;
}

function byTopic(offsets: FetchedOffset[]): TopicResult[] {
  const out = new Map<string, TopicResult>();
  for (const o of offsets) {
    let t = out.get(o.topic);
    if (!t) out.set(o.topic, (t = { name: o.topic, partitions: [] }));
    t.partitions.push({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: o.error,
    });
  }
  return [...out.values()];
}

/** The requested partitions, each with `error` (Kafka's OffsetFetchResponse.groupError before v8). */
function errorTopics(
  topics: Array<{ name: string; partitionIndexes: number[] }> | null,
  error: number,
): TopicResult[] {
  return (topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({
      partitionIndex,
      committedOffset: -1n,
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode: error,
    })),
  }));
}

export function offsetFetchHandler(
  coordinator: GroupCoordinator,
  cache: MetadataCache,
  zkOffsets: ZkOffsetStore,
): ApiHandler<OffsetFetchRequest, OffsetFetchResponseInit> {
  const fetchGroup = (
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
    requireStable: boolean,
  ): { error: number; topics: TopicResult[] } => {
    const tps =
      topics === null
        ? null
        : topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
    const r = coordinator.handleFetchOffsets(groupId, requireStable, tps);
    if (r.error !== ErrorCode.NONE) return { error: r.error, topics: errorTopics(topics, r.error) };
    return { error: ErrorCode.NONE, topics: byTopic(r.offsets) };
  };
  return {
    apiKey: ApiKey.OffsetFetch,
    minVersion: 0,
    maxVersion: 9,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      if (v === 0) {
        const offsets: FetchedOffset[] = [];
        for (const t of req.topics ?? []) {
          for (const partition of t.partitionIndexes) {
            const none = { topic: t.name, partition, offset: -1n, leaderEpoch: -1, metadata: '' };
            if (!cache.getPartition(t.name, partition)) {
              offsets.push({ ...none, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
              continue;
            }
            try {
              const o = await zkOffsets.fetch(req.groupId, t.name, partition);
              offsets.push(
                o === null
                  ? { ...none, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
                  : { ...none, offset: o, error: ErrorCode.NONE },
              );
            } catch {
              offsets.push({ ...none, error: ErrorCode.UNKNOWN_SERVER_ERROR });
            }
          }
        }
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics: byTopic(offsets) };
      }
      if (v >= 8) {
        return {
          throttleTimeMs: 0,
          groups: req.groups.map((g) => {
            const r = fetchGroup(g.groupId, g.topics, req.requireStable);
            return {
              groupId: g.groupId,
              errorCode: r.error,
              topics: r.error === ErrorCode.NONE ? r.topics : [],
            };
          }),
        };
      }
      const r = fetchGroup(req.groupId, req.topics, v >= 7 && req.requireStable);
      return { throttleTimeMs: 0, errorCode: r.error, topics: r.topics };
    },
  };
}
