// Produce (key 0), v0-v11.
// acks must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS for every partition). Per partition:
// UNKNOWN_TOPIC_OR_PARTITION for unknown topics, NOT_LEADER_OR_FOLLOWER when we don't lead it,
// INVALID_TOPIC_EXCEPTION for internal topics unless the client id is `__admin_client`, then
// the leader's validate → assign offsets in place → append (Partition.appendRecordsToLeader;
// record batches stay opaque). A bad partition never spoils the others. v8+ carry
// record_errors/error_message. Transactional batches without a transactional id fail the whole
// request with TRANSACTIONAL_ID_AUTHORIZATION_FAILED. acks=0 sends no response and closes the
// connection if any partition failed, as Kafka does. acks=-1: NOT_ENOUGH_REPLICAS before the
// append when the ISR is smaller than min(min.insync.replicas, replica count); after the append
// the request waits (produce purgatory, woken by high watermark moves) until every appended
// partition's high watermark passed its last offset, then answers NONE or
// NOT_ENOUGH_REPLICAS_AFTER_APPEND (ISR shrank meanwhile; the data is written), or
// NOT_LEADER_OR_FOLLOWER if leadership moved, or REQUEST_TIMED_OUT at timeout_ms. v10+:
// NOT_LEADER_OR_FOLLOWER carries the current leader and its endpoint (KIP-951).

import { INTERNAL_TOPICS, MetadataCache } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ProduceRequest } from '../../protocol/messages/generated/ProduceRequest';
import type { ProduceResponseInit } from '../../protocol/messages/generated/ProduceResponse';
import {
  isTransactional,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  RECORD_BATCH_OVERHEAD,
} from '../../protocol/records/batch';
import { ApiHandler, CloseConnection } from '../api-handler';
import { ReplicaManager } from '../replica-manager';
import { currentLeader } from './fetch';

type PartitionOut = NonNullable<
  NonNullable<ProduceResponseInit['responses']>[number]['partitionResponses']
>[number];

const hasTransactionalBatch = (records: Buffer | null): boolean =>
  records !== null &&
  records.length >= RECORD_BATCH_OVERHEAD &&
  records.readInt8(MAGIC_OFFSET) === 2 &&
  records.length >= LOG_OVERHEAD &&
  isTransactional(records);

export function produceHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
): ApiHandler<ProduceRequest, ProduceResponseInit> {
  return {
    apiKey: ApiKey.Produce,
    minVersion: 0,
    maxVersion: 11,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const acks = req.acks;
      const errorFor = (code: number): Omit<PartitionOut, 'index'> => ({
        errorCode: code,
        baseOffset: -1n,
        logAppendTimeMs: -1n,
        logStartOffset: -1n,
      });

      let wholeRequestError: number | null = null;
      if (acks !== -1 && acks !== 0 && acks !== 1) wholeRequestError = ErrorCode.INVALID_REQUIRED_ACKS;
      else if (
        req.transactionalId === null &&
        req.topicData.some((t) => t.partitionData.some((p) => hasTransactionalBatch(p.records)))
      )
        wholeRequestError = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;

      /** acks=all: appended partitions waiting for replication, by response entry. */
      const waiting: Array<{ out: PartitionOut; topic: string; partition: number; requiredOffset: bigint }> =
        [];
      const responses = await Promise.all(
        req.topicData.map(async (t) => ({
          name: t.name,
          partitionResponses: await Promise.all(
            t.partitionData.map(async (pd): Promise<PartitionOut> => {
              const out = (r: Omit<PartitionOut, 'index'>): PartitionOut => ({ index: pd.index, ...r });
              if (wholeRequestError !== null) return out(errorFor(wholeRequestError));
              if (!cache.getPartition(t.name, pd.index))
                return out(errorFor(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
              if (INTERNAL_TOPICS.has(t.name) && ctx.clientId !== '__admin_client')
                return out(errorFor(ErrorCode.INVALID_TOPIC_EXCEPTION));
              const p = replicas.getPartition(t.name, pd.index);
              if (!p || !p.isLeader) return out(errorFor(ErrorCode.NOT_LEADER_OR_FOLLOWER));
              const r = await p.appendRecordsToLeader(pd.records ?? Buffer.alloc(0), acks, v);
              const result = out({
                errorCode: r.errorCode,
                baseOffset: r.baseOffset,
                logAppendTimeMs: r.logAppendTime,
                logStartOffset: r.logStartOffset,
                recordErrors: r.recordErrors.map((e) => ({
                  batchIndex: e.batchIndex,
                  batchIndexErrorMessage: e.message,
                })),
                errorMessage: r.errorMessage,
              });
              if (acks === -1 && r.errorCode === ErrorCode.NONE)
                waiting.push({
                  out: result,
                  topic: t.name,
                  partition: pd.index,
                  requiredOffset: r.lastOffset + 1n,
                });
              return result;
            }),
          ),
        })),
      );
      if (acks === 0) {
        if (responses.some((t) => t.partitionResponses.some((p) => p.errorCode !== ErrorCode.NONE)))
          throw new CloseConnection('acks=0 produce failed');
        return null;
      }
      if (waiting.length > 0) {
        ctx.unmute(); // every batch is in the log: only replication is awaited from here
        const codes = await replicas.awaitReplication(waiting, req.timeoutMs);
        codes.forEach((code, i) => (waiting[i].out.errorCode = code));
      }
      const nodeEndpoints = new Map<
        number,
        { nodeId: number; host: string; port: number; rack: string | null }
      >();
      if (v >= 10)
        for (const t of responses)
          for (const p of t.partitionResponses)
            if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER)
              p.currentLeader = currentLeader(
                cache,
                replicas,
                t.name,
                p.index ?? -1,
                ctx.conn.listenerName,
                nodeEndpoints,
              );
      return { responses, throttleTimeMs: 0, nodeEndpoints: [...nodeEndpoints.values()] };
    },
  };
}
