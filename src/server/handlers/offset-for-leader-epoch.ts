// OffsetForLeaderEpoch (key 23), v0-v4: where a leader epoch ends in the leader's log. Consumers
// (replica_id -1, v3+) use it after a leader change to detect truncation (KIP-320); followers
// used it before truncation on fetch. Per partition: current_leader_epoch (v2+, -1 = not given)
// must match ours (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH), we must lead the partition
// (NOT_LEADER_OR_FOLLOWER; UNKNOWN_TOPIC_OR_PARTITION when the cluster does not know it); then
// the answer is Kafka's end-offset-for-epoch rule: the latest epoch ends at the log end offset;
// an earlier one at the start of the next larger epoch, reported with the largest known epoch <=
// the requested one (the requested epoch itself if it is below all known ones); unknown → -1/-1.

import { MetadataCache } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { OffsetForLeaderEpochRequest } from '../../protocol/messages/generated/OffsetForLeaderEpochRequest';
import type { OffsetForLeaderEpochResponseInit } from '../../protocol/messages/generated/OffsetForLeaderEpochResponse';
import type { ApiHandler } from '../api-handler';
import type { ReplicaManager } from '../replica-manager';

export function offsetForLeaderEpochHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
): ApiHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInit> {
  return {
    apiKey: ApiKey.OffsetForLeaderEpoch,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      return {
        throttleTimeMs: 0,
        topics: req.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((rp) => {
            const fail = (errorCode: number) => ({
              partition: rp.partition,
              errorCode,
              leaderEpoch: -1,
              endOffset: -1n,
            });
            const p = replicas.getPartition(t.topic, rp.partition);
            if (!p)
              return fail(
                cache.getPartition(t.topic, rp.partition)
                  ? ErrorCode.NOT_LEADER_OR_FOLLOWER
                  : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              );
            const r = p.lastOffsetForLeaderEpoch(v >= 2 ? rp.currentLeaderEpoch : -1, rp.leaderEpoch, true);
            return {
              partition: rp.partition,
              errorCode: r.errorCode,
              leaderEpoch: r.leaderEpoch,
              endOffset: r.endOffset,
            };
          }),
        })),
      };
    },
  };
}
