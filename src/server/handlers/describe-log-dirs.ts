// DescribeLogDirs (key 35), v0-v4.
// This broker's log dirs (log.dirs order), each with the requested partitions it holds (topics
// null = every log): partition_size = the log's bytes on disk (UnifiedLog.size), offset_lag =
// max(HW − LEO, 0) for a current log, how far a future log (is_future_key = true: the copy
// AlterReplicaLogDirs is making in this dir) is behind the current log, −1 when the partition is
// not hosted (Kafka's getLogEndOffsetLag). As Kafka's ReplicaManager.describeLogDirs, a dir lists
// every topic it holds a log of, with an empty partition list when none of that topic's
// partitions were asked for; an offline dir answers KAFKA_STORAGE_ERROR. v4 adds the volume's
// total and usable bytes; v3+ a top-level error code.

import fs from 'node:fs';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DescribeLogDirsRequest } from '../../protocol/messages/generated/DescribeLogDirsRequest';
import type { DescribeLogDirsResponseInit } from '../../protocol/messages/generated/DescribeLogDirsResponse';
import type { LogManager } from '../../log/log-manager';
import type { UnifiedLog } from '../../log/unified-log';
import type { ReplicaManager } from '../replica-manager';
import type { ApiHandler } from '../api-handler';

type Result = NonNullable<DescribeLogDirsResponseInit['results']>[number];

const LONG_MAX = 9223372036854775807n;

function volumeBytes(dir: string): { total: bigint; usable: bigint } {
  try {
    const s = fs.statfsSync(dir, { bigint: true });
    const total = s.blocks * s.bsize;
    const usable = s.bavail * s.bsize;
    // adjustForLargeFileSystems: a negative size means "more than Long.MAX_VALUE".
    return { total: total < 0n ? LONG_MAX : total, usable: usable < 0n ? LONG_MAX : usable };
  } catch {
    return { total: -1n, usable: -1n };
  }
}

export function describeLogDirsHandler(
  logManager: LogManager,
  replicaManager: Pick<ReplicaManager, 'logEndOffsetLag'>,
): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInit> {
  return {
    apiKey: ApiKey.DescribeLogDirs,
    minVersion: 0,
    maxVersion: 4,
    handle(req) {
      const logs = logManager.allLogsWithFuture();
      const wanted =
        req.topics === null
          ? null
          : new Set(req.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)));
      const results: Result[] = logManager.logDirs.map((dir) => {
        if (!logManager.isLogDirOnline(dir))
          return {
            errorCode: ErrorCode.KAFKA_STORAGE_ERROR,
            logDir: dir,
            topics: [],
            totalBytes: -1n,
            usableBytes: -1n,
          };
        const { total, usable } = volumeBytes(dir);
        const byTopic = new Map<string, UnifiedLog[]>();
        for (const l of logs) {
          if (l.parentDir !== dir) continue;
          const list = byTopic.get(l.topic) ?? [];
          list.push(l);
          byTopic.set(l.topic, list);
        }
        const topics = [...byTopic.entries()].map(([name, ls]) => ({
          name,
          partitions: ls
            .filter((l) => wanted === null || wanted.has(`${l.topic}\u0000${l.partition}`))
            .sort((a, b) => a.partition - b.partition)
            .map((l) => {
              const isFuture = logManager.isFutureLog(l);
              return {
                partitionIndex: l.partition,
                partitionSize: BigInt(l.size),
                offsetLag: replicaManager.logEndOffsetLag(l.topic, l.partition, l.logEndOffset, isFuture),
                isFutureKey: isFuture,
              };
            }),
        }));
        return { errorCode: ErrorCode.NONE, logDir: dir, topics, totalBytes: total, usableBytes: usable };
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
    },
  };
}
