// CreateTopics (key 19), v0-v7.
// Served by the controller only (NOT_CONTROLLER elsewhere, as in ZK-mode Kafka). Duplicate
// names in one request → INVALID_REQUEST for each. numPartitions/replicationFactor -1 (v4+)
// take the broker defaults. validateOnly (v1+) checks without writing. v5+ reports the
// resulting partition count, replication factor and the topic's configs; v7 the topic id.
// With timeoutMs > 0 the response waits until this broker's metadata shows every new
// partition with a leader (REQUEST_TIMED_OUT past the timeout), as Kafka's DelayedCreateTopics.

import { MetadataCache } from '../../cluster/metadata-cache';
import { ZERO_UUID } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { CreateTopicsRequest } from '../../protocol/messages/generated/CreateTopicsRequest';
import type { CreateTopicsResponseInit } from '../../protocol/messages/generated/CreateTopicsResponse';
import type { KafkaController } from '../../controller/kafka-controller';
import type { ApiHandler } from '../api-handler';
import type { ConfigEntry } from '../broker-services';
import { CreateTopicResult, ZkAdminManager } from '../zk-admin-manager';

export function createTopicsHandler(
  admin: ZkAdminManager,
  controller: KafkaController,
  cache: MetadataCache,
  describeConfigs: (overrides: Record<string, string>) => ConfigEntry[],
): ApiHandler<CreateTopicsRequest, CreateTopicsResponseInit> {
  return {
    apiKey: ApiKey.CreateTopics,
    minVersion: 0,
    maxVersion: 7,
    async handle(req, ctx) {
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results: CreateTopicResult[] = [];
      for (const t of req.topics) {
        const fail = (errorCode: number, errorMessage: string): CreateTopicResult => ({
          name: t.name,
          errorCode,
          errorMessage,
          topicId: null,
          numPartitions: -1,
          replicationFactor: -1,
          configs: {},
        });
        if ((counts.get(t.name) ?? 0) > 1) {
          if (!results.some((r) => r.name === t.name))
            results.push(
              fail(
                ErrorCode.INVALID_REQUEST,
                `Create topics request from client \`${ctx.clientId}\` contains multiple entries for the following topics: ${t.name}`,
              ),
            );
          continue;
        }
        if (!controller.isActive) {
          results.push(
            fail(ErrorCode.NOT_CONTROLLER, 'This is not the correct controller for this cluster.'),
          );
          continue;
        }
        results.push(
          await admin.createTopic(
            {
              name: t.name,
              numPartitions: t.numPartitions,
              replicationFactor: t.replicationFactor,
              assignments: t.assignments,
              configs: t.configs,
            },
            req.validateOnly,
          ),
        );
      }
      const created = results.filter((r) => r.errorCode === ErrorCode.NONE && !req.validateOnly);
      if (created.length > 0 && req.timeoutMs > 0) {
        const ready = () =>
          created.every((r) => {
            const t = cache.getTopic(r.name);
            return (
              t !== undefined &&
              t.partitions.size === r.numPartitions &&
              [...t.partitions.values()].every((p) => p.state !== null)
            );
          });
        if (!(await admin.waitForMetadata(ready, req.timeoutMs)))
          for (const r of created) {
            r.errorCode = ErrorCode.REQUEST_TIMED_OUT;
            r.errorMessage = `Timed out waiting for topic ${r.name} to be created.`;
          }
      }
      return {
        throttleTimeMs: 0,
        topics: results.map((r) => ({
          name: r.name,
          topicId: r.topicId ?? ZERO_UUID,
          errorCode: r.errorCode,
          errorMessage: ctx.apiVersion >= 1 ? r.errorMessage : null,
          numPartitions: r.errorCode === ErrorCode.NONE ? r.numPartitions : -1,
          replicationFactor: r.errorCode === ErrorCode.NONE ? r.replicationFactor : -1,
          configs:
            r.errorCode === ErrorCode.NONE
              ? describeConfigs(r.configs).map((c) => ({
                  name: c.name,
                  value: c.value,
                  readOnly: c.readOnly,
                  configSource: c.source,
                  isSensitive: c.sensitive,
                }))
              : null,
        })),
      };
    },
  };
}
