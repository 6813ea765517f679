// ElectLeaders (key 43), v0-v2: PREFERRED (0) or UNCLEAN (1, v1+) leader elections, run by the
// controller (NOT_CONTROLLER elsewhere). topic_partitions null = every partition. Per-partition
// errors: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
// UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION (topic being deleted). With a null list
// (every partition) Kafka's KafkaApis.handleElectLeaders leaves out only the partitions whose
// result is ELECTION_NOT_NEEDED: the elected ones and every failure are reported.
// As Kafka's DelayedElectLeader, the answer waits (up to timeout_ms) until this broker's metadata
// shows the new leaders, so a client that asks for metadata next sees them; partitions still
// not showing it at the timeout get REQUEST_TIMED_OUT.

import type { MetadataCache } from '../../cluster/metadata-cache';
import type { KafkaController } from '../../controller/kafka-controller';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ElectLeadersRequest } from '../../protocol/messages/generated/ElectLeadersRequest';
import type { ElectLeadersResponseInit } from '../../protocol/messages/generated/ElectLeadersResponse';
import type { ApiHandler } from '../api-handler';

/** The messages Kafka's controller gives these results (processReplicaLeaderElection). */
const KAFKA_MESSAGES: Readonly<Record<number, string>> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'The partition does not exist.',
  [ErrorCode.INVALID_TOPIC_EXCEPTION]: 'The topic is being deleted',
};

/** Leader epochs in this broker's metadata, to tell when an election has reached it. */
function leaderEpochOf(cache: MetadataCache, topic: string, partition: number): number {
  return cache.getPartition(topic, partition)?.state?.leaderEpoch ?? -1;
}

/**
 * Resolves with the partitions whose epoch in `cache` is still at most their `before` epoch
 * when `timeoutMs` passes (empty when all moved on). Woken by metadata updates, no polling.
 */
function awaitNewEpochs(
  cache: MetadataCache,
  before: Map<string, { topic: string; partition: number; epoch: number }>,
  timeoutMs: number,
): Promise<Set<string>> {
  const pending = () =>
    new Set(
      [...before].filter(([, b]) => leaderEpochOf(cache, b.topic, b.partition) <= b.epoch).map(([k]) => k),
    );
  if (pending().size === 0) return Promise.resolve(new Set());
  return new Promise((resolve) => {
    const done = (left: Set<string>) => {
      clearTimeout(timer);
      cache.removeListener('partitionsChanged', check);
      resolve(left);
    };
    const check = () => {
      if (pending().size === 0) done(new Set());
    };
    const timer = setTimeout(() => done(pending()), Math.max(0, timeoutMs));
    cache.on('partitionsChanged', check);
  });
}

export function electLeadersHandler(
  controller: KafkaController,
  cache: MetadataCache,
): ApiHandler<ElectLeadersRequest, ElectLeadersResponseInit> {
  return {
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(req, ctx) {
      const fail = (errorCode: number): ElectLeadersResponseInit => ({
        throttleTimeMs: 0,
        errorCode,
        replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
          topic: t.topic,
          partitionResult: t.partitions.map((p) => ({ partitionId: p, errorCode, errorMessage: null })),
        })),
      });
      if (!controller.isActive) return fail(ErrorCode.NOT_CONTROLLER);
      const type = ctx.apiVersion >= 1 ? req.electionType : 0;
      const wanted =
        req.topicPartitions === null
          ? null
          : req.topicPartitions.flatMap((t) =>
              t.partitions.map((partition) => ({ topic: t.topic, partition })),
            );
      const epochsBefore = new Map(
        (wanted ?? []).map((tp) => [
          `${tp.topic}-${tp.partition}`,
          { ...tp, epoch: leaderEpochOf(cache, tp.topic, tp.partition) },
        ]),
      );
      if (wanted === null)
        for (const t of cache.topics.values())
          for (const p of t.partitions.values())
            epochsBefore.set(`${t.name}-${p.partition}`, {
              topic: t.name,
              partition: p.partition,
              epoch: p.state?.leaderEpoch ?? -1,
            });
      const results = await controller.electLeaders(type, wanted);
      if (results === null) return fail(ErrorCode.NOT_CONTROLLER);
      const elected = new Map<string, { topic: string; partition: number; epoch: number }>();
      for (const r of results) {
        const key = `${r.topic}-${r.partition}`;
        const before = epochsBefore.get(key);
        if (r.errorCode === ErrorCode.NONE && before) elected.set(key, before);
      }
      const late = await awaitNewEpochs(cache, elected, req.timeoutMs);
      for (const r of results)
        if (r.errorCode === ErrorCode.NONE && late.has(`${r.topic}-${r.partition}`))
          r.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      const shown =
        wanted === null ? results.filter((r) => r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) : results;
      const byTopic = new Map<string, typeof shown>();
      for (const r of shown) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        replicaElectionResults: [...byTopic].map(([topic, rs]) => ({
          topic,
          partitionResult: rs.map((r) => ({
            partitionId: r.partition,
            errorCode: r.errorCode,
            errorMessage: r.errorMessage ?? KAFKA_MESSAGES[r.errorCode] ?? null,
          })),
        })),
      };
    },
  };
}
