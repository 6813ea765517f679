// Metadata (key 3), v0-v12.
// Answers from the MetadataCache. Brokers are listed with their endpoint for the listener the
// request arrived on. topics=null (v1+) or [] at v0 means all topics. Unknown topics are
// auto-created when auto.create.topics.enable and the request allows it (always for v0-v3),
// answered LEADER_NOT_AVAILABLE meanwhile (Kafka's behaviour); illegal names get
// INVALID_TOPIC_EXCEPTION. v10+ may name topics by id (UNKNOWN_TOPIC_ID when unknown).
// Partitions without a live leader report LEADER_NOT_AVAILABLE; offline replicas (v5+) are
// replicas on brokers that are not registered. v0 filters dead replicas and flags them
// REPLICA_NOT_AVAILABLE, as Kafka does for that version only.

import { INTERNAL_TOPICS, MetadataCache, TopicMetadata } from '../../cluster/metadata-cache';
import { ZERO_UUID } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { MetadataRequest } from '../../protocol/messages/generated/MetadataRequest';
import type { MetadataResponseInit } from '../../protocol/messages/generated/MetadataResponse';
import type { ApiHandler } from '../api-handler';
import { KafkaConfig } from '../kafka-config';
import { topicNameError } from '../topic-validation';

type TopicOut = NonNullable<MetadataResponseInit['topics']>[number];

/** All operations on a topic when no authorizer is configured (AclOperation bit set). */
const TOPIC_ALL_OPERATIONS = 3576;

export interface AutoTopicCreator {
  /** Creates the topic with broker defaults; resolves to an error code (NONE on success). */
  createTopicWithDefaults(name: string): Promise<number>;
}

export function metadataHandler(
  config: KafkaConfig,
  cache: MetadataCache,
  autoCreator: AutoTopicCreator,
): ApiHandler<MetadataRequest, MetadataResponseInit> {
  const topicOut = (t: TopicMetadata, version: number, includeOps: boolean): TopicOut => ({
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId ?? ZERO_UUID,
    isInternal: INTERNAL_TOPICS.has(t.name),
    topicAuthorizedOperations: includeOps ? TOPIC_ALL_OPERATIONS : -2147483648,
    partitions: [...t.partitions.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((p) => {
        const s = p.state;
        const dead = p.replicas.filter((r) => !cache.isAlive(r));
        let errorCode: number = ErrorCode.NONE;
        let replicas = p.replicas;
        let isr = s?.isr ?? [];
        if (!s || s.leader < 0 || !cache.isAlive(s.leader)) errorCode = ErrorCode.LEADER_NOT_AVAILABLE;
        else if (version === 0 && (dead.length > 0 || isr.some((r) => !cache.isAlive(r)))) {
          errorCode = ErrorCode.REPLICA_NOT_AVAILABLE;
          replicas = replicas.filter((r) => cache.isAlive(r));
          isr = isr.filter((r) => cache.isAlive(r));
        }
        return {
          errorCode,
          partitionIndex: p.partition,
          leaderId: s && cache.isAlive(s.leader) ? s.leader : -1,
          leaderEpoch: s ? s.leaderEpoch : -1,
          replicaNodes: replicas,
          isrNodes: isr,
          offlineReplicas: dead,
        };
      }),
  });

  const errorTopic = (name: string | null, topicId: string, errorCode: number): TopicOut => ({
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
  });

  return {
    apiKey: ApiKey.Metadata,
    minVersion: 0,
    maxVersion: 12,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const listener = ctx.conn.listenerName;
      const includeOps = v >= 8 && req.includeTopicAuthorizedOperations;
      const allowAutoCreate =
        config.bool('auto.create.topics.enable') && (v < 4 || req.allowAutoTopicCreation);
      const allTopics = req.topics === null || (v === 0 && req.topics.length === 0);
      const topics: TopicOut[] = [];
      if (allTopics) {
        for (const t of [...cache.topics.values()].sort((a, b) => a.name.localeCompare(b.name)))
          topics.push(topicOut(t, v, includeOps));
      } else {
        const byId = new Map([...cache.topics.values()].filter((t) => t.topicId).map((t) => [t.topicId!, t]));
        const seen = new Set<string>();
        for (const rt of req.topics ?? []) {
          if (v >= 10 && rt.name === null) {
            const t = byId.get(rt.topicId);
            topics.push(
              t ? topicOut(t, v, includeOps) : errorTopic(null, rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID),
            );
            continue;
          }
          const name = rt.name as string;
          if (seen.has(name)) continue;
          seen.add(name);
          const t = cache.getTopic(name);
          if (t) {
            topics.push(topicOut(t, v, includeOps));
          } else if (topicNameError(name) !== null) {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
          } else if (allowAutoCreate) {
            const code = await autoCreator.createTopicWithDefaults(name);
            const reported =
              code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS
                ? ErrorCode.LEADER_NOT_AVAILABLE
                : code;
            topics.push(errorTopic(name, ZERO_UUID, reported));
          } else {
            topics.push(errorTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
          }
        }
      }
      return {
        throttleTimeMs: 0,
        brokers: cache.aliveBrokers().flatMap((b) => {
          const ep = b.endpoints.find((e) => e.listenerName === listener);
          return ep ? [{ nodeId: b.id, host: ep.host, port: ep.port, rack: b.rack }] : [];
        }),
        clusterId: cache.clusterId,
        controllerId: cache.controllerId,
        topics,
        clusterAuthorizedOperations: -2147483648,
      };
    },
  };
}
