// DeleteTopics (key 20), v0-v6.
// Served by the controller only (NOT_CONTROLLER elsewhere). v0-v5 name topics; v6 names or
// ids (UNKNOWN_TOPIC_ID for an unknown id, INVALID_REQUEST when both/neither are given).
// delete.topic.enable=false → TOPIC_DELETION_DISABLED (v3+) or INVALID_REQUEST (older).
// The topic is marked under /admin/delete_topics and the response waits (up to timeoutMs)
// until it has left this broker's metadata, else REQUEST_TIMED_OUT — Kafka's DelayedDeleteTopics.

import { MetadataCache } from '../../cluster/metadata-cache';
import { ZERO_UUID } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DeleteTopicsRequest } from '../../protocol/messages/generated/DeleteTopicsRequest';
import type { DeleteTopicsResponseInit } from '../../protocol/messages/generated/DeleteTopicsResponse';
import type { KafkaController } from '../../controller/kafka-controller';
import type { ApiHandler } from '../api-handler';
import { KafkaConfig } from '../kafka-config';
import { ZkAdminManager } from '../zk-admin-manager';

interface Result {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}

export function deleteTopicsHandler(
  config: KafkaConfig,
  admin: ZkAdminManager,
  controller: KafkaController,
  cache: MetadataCache,
): ApiHandler<DeleteTopicsRequest, DeleteTopicsResponseInit> {
  return {
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const wanted: Array<{ name: string | null; topicId: string }> =
        v >= 6
          ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
          : req.topicNames.map((n) => ({ name: n, topicId: ZERO_UUID }));
      const results: Result[] = [];
      const pending: string[] = [];
      for (const w of wanted) {
        const r: Result = { name: w.name, topicId: w.topicId, errorCode: ErrorCode.NONE, errorMessage: null };
        results.push(r);
        const byId = w.topicId !== ZERO_UUID;
        if (byId && w.name !== null) {
          r.errorCode = ErrorCode.INVALID_REQUEST;
          r.errorMessage = 'Only one of topic name or topic id may be provided';
          continue;
        }
        if (byId) {
          const t = [...cache.topics.values()].find((x) => x.topicId === w.topicId);
          if (!t) {
            r.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
            continue;
          }
          r.name = t.name;
        } else if (w.name === null) {
          r.errorCode = ErrorCode.INVALID_REQUEST;
          r.errorMessage = 'Neither topic name nor id were specified.';
          continue;
        } else {
          r.topicId = cache.getTopic(w.name)?.topicId ?? ZERO_UUID;
        }
        if (!config.bool('delete.topic.enable')) {
          r.errorCode = v < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
          continue;
        }
        if (!controller.isActive) {
          r.errorCode = ErrorCode.NOT_CONTROLLER;
          continue;
        }
        const res = await admin.deleteTopic(r.name as string);
        r.errorCode = res.errorCode;
        r.errorMessage = res.errorMessage;
        if (res.errorCode === ErrorCode.NONE) pending.push(r.name as string);
      }
      if (pending.length > 0) {
        const gone = () => pending.every((n) => !cache.getTopic(n));
        if (!(await admin.waitForMetadata(gone, req.timeoutMs)))
          for (const r of results)
            if (r.name !== null && pending.includes(r.name) && cache.getTopic(r.name))
              r.errorCode = ErrorCode.REQUEST_TIMED_OUT;
      }
      return {
        throttleTimeMs: 0,
        responses: results.map((r) => ({
          name: r.name,
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: v >= 5 ? r.errorMessage : null,
        })),
      };
    },
  };
}
