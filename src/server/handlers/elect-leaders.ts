// ElectLeaders (key 43), v0-v2: PREFERRED (0) or UNCLEAN (1, v1+) leader elections, run by the
// controller (NOT_CONTROLLER elsewhere). topic_partitions null = every partition. Per-partition
// errors: ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE,
// UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION (topic being deleted). With a null list
// (every partition) Kafka's KafkaApis.handleElectLeaders leaves out only the partitions whose
// result is ELECTION_NOT_NEEDED: the elected ones and every failure are reported.

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

export function electLeadersHandler(
  controller: KafkaController,
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
      const results = await controller.electLeaders(type, wanted);
      if (results === null) return fail(ErrorCode.NOT_CONTROLLER);
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
