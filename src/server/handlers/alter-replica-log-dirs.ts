// AlterReplicaLogDirs (key 34), v0-v2 (v0 deprecated, same as v1; v2 flexible). As Kafka 3.9
// serves it, v0 included.
// Moves replicas between this broker's log dirs (JBOD). Per partition (a partition listed twice:
// the last dir wins): a path that is not one of log.dirs → LOG_DIR_NOT_FOUND, an offline dir →
// KAFKA_STORAGE_ERROR, a replica in an offline dir → KAFKA_STORAGE_ERROR, a topic name too long for
// the `-future` dir name → INVALID_TOPIC_EXCEPTION. A partition this broker does not host yet gets
// the dir as its preferred dir (its log is created there when the replica arrives) and answers
// REPLICA_NOT_AVAILABLE, which the tool retries. A replica already in the dir: NONE, nothing to do
// (a running move elsewhere is cancelled). Otherwise a future log `<topic>-<partition>.<uuid>-future`
// is created in the dir and the copy starts (NONE); the replica manager swaps it in once caught up.
// The copier obeys replica.alter.log.dirs.io.max.bytes.per.second, handed over here.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { AlterReplicaLogDirsRequest } from '../../protocol/messages/generated/AlterReplicaLogDirsRequest';
import type { AlterReplicaLogDirsResponseInit } from '../../protocol/messages/generated/AlterReplicaLogDirsResponse';
import type { AlterLogDirsQuota } from '../../replication/replica-alter-log-dirs';
import type { ReplicaManager } from '../replica-manager';
import type { ApiHandler } from '../api-handler';

export function alterReplicaLogDirsHandler(
  replicaManager: ReplicaManager,
  quota: AlterLogDirsQuota,
): ApiHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponseInit> {
  replicaManager.setAlterLogDirsQuota(quota);
  return {
    apiKey: ApiKey.AlterReplicaLogDirs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      // Kafka's getPartitionDirs: a map, so a partition named twice keeps the last dir.
      const dirs = new Map<string, { topic: string; partition: number; dir: string }>();
      for (const d of req.dirs)
        for (const t of d.topics)
          for (const partition of t.partitions)
            dirs.set(`${t.name}\u0000${partition}`, { topic: t.name, partition, dir: d.path });
      const moves = [...dirs.values()];
      const codes = await replicaManager.alterReplicaLogDirs(moves);
      const byTopic = new Map<string, Array<{ partitionIndex: number; errorCode: number }>>();
      for (const m of moves) {
        const list = byTopic.get(m.topic) ?? [];
        list.push({
          partitionIndex: m.partition,
          errorCode: codes.get(`${m.topic}-${m.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        });
        byTopic.set(m.topic, list);
      }
      return {
        throttleTimeMs: 0,
        results: [...byTopic.entries()].map(([topicName, partitions]) => ({ topicName, partitions })),
      };
    },
  };
}
