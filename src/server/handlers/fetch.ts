// Fetch (key 1), v0-v17.
// Reads come straight from the segment files as opaque bytes (no record decoding), starting
// at the batch holding fetch_offset, bounded by partition_max_bytes and what is left of
// max_bytes (v3+). v3+ (KIP-74): the first partition that has data returns its first batch whole
// even past the limits; v0-v2 cut at the limit. Consumers see data up to the high watermark
// (read_committed: the last stable offset, equal to it while there are no transactions);
// replicas (replica_id >= 0) up to the log end. Errors per partition: UNKNOWN_TOPIC_OR_PARTITION,
// UNKNOWN_TOPIC_ID (v13+, topics by id), NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH /
// UNKNOWN_LEADER_EPOCH (v9+ current_leader_epoch), OFFSET_OUT_OF_RANGE. Long-poll: when fewer
// than min_bytes are available the request waits (woken by appends, no polling) up to
// max_wait_ms. v0-v3 get data down-converted to magic 0/1 (or UNSUPPORTED_VERSION when the
// topic has message.downconversion.enable=false). Incremental fetch sessions (KIP-227) are
// declined by answering session id 0, which every client handles as "full fetch each time".

import { MetadataCache } from '../../cluster/metadata-cache';
import type { Partition } from '../../cluster/partition';
import { ZERO_UUID } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { FetchRequest } from '../../protocol/messages/generated/FetchRequest';
import type { FetchResponseInit } from '../../protocol/messages/generated/FetchResponse';
import { downConvert } from '../../protocol/records/legacy';
import type { ApiHandler } from '../api-handler';
import { ReplicaManager } from '../replica-manager';

type PartitionOut = NonNullable<NonNullable<FetchResponseInit['responses']>[number]['partitions']>[number];

const READ_COMMITTED = 1;

export function fetchHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
): ApiHandler<FetchRequest, FetchResponseInit> {
  return {
    apiKey: ApiKey.Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
      const isFollower = replicaId >= 0;
      if (v >= 7 && req.sessionId !== 0)
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
          sessionId: 0,
          responses: [],
        };

      // Resolve topics (by id from v13) once; unknown ones answer with an error per partition.
      const byId = new Map(
        [...cache.topics.values()].filter((t) => t.topicId).map((t) => [t.topicId as string, t.name]),
      );
      const wanted = req.topics.map((t) => ({
        topic: v >= 13 ? (byId.get(t.topicId) ?? null) : t.topic,
        topicId: t.topicId,
        partitions: t.partitions,
      }));
      const keys = wanted.flatMap((t) =>
        t.topic === null ? [] : t.partitions.map((p) => `${t.topic}-${p.partition}`),
      );
      const deadline = Date.now() + Math.max(0, req.maxWaitMs);
      const maxBytes = v >= 3 ? req.maxBytes : 0x7fffffff;

      for (;;) {
        let bytes = 0;
        let errors = false;
        let firstWithData = true;
        const responses = [];
        for (const t of wanted) {
          const parts: PartitionOut[] = [];
          for (const fp of t.partitions) {
            const base: PartitionOut = {
              partitionIndex: fp.partition,
              errorCode: ErrorCode.NONE,
              highWatermark: -1n,
              lastStableOffset: -1n,
              logStartOffset: -1n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: Buffer.alloc(0),
            };
            const fail = (code: number): PartitionOut => {
              errors = true;
              return { ...base, errorCode: code };
            };
            if (t.topic === null) {
              parts.push(fail(ErrorCode.UNKNOWN_TOPIC_ID));
              continue;
            }
            if (!cache.getPartition(t.topic, fp.partition)) {
              parts.push(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
              continue;
            }
            const p = replicas.getPartition(t.topic, fp.partition);
            if (!p || !p.isLeader) {
              parts.push(fail(ErrorCode.NOT_LEADER_OR_FOLLOWER));
              continue;
            }
            if (v >= 9 && fp.currentLeaderEpoch !== -1 && fp.currentLeaderEpoch !== p.leaderEpoch) {
              parts.push(
                fail(
                  fp.currentLeaderEpoch < p.leaderEpoch
                    ? ErrorCode.FENCED_LEADER_EPOCH
                    : ErrorCode.UNKNOWN_LEADER_EPOCH,
                ),
              );
              continue;
            }
            const out = readPartition(p, fp.fetchOffset, {
              maxBytes: Math.max(0, Math.min(fp.partitionMaxBytes, maxBytes - bytes)),
              minOneMessage: v >= 3 && firstWithData,
              isolationCommitted: req.isolationLevel === READ_COMMITTED,
              isFollower,
              base,
            });
            if (out.errorCode !== ErrorCode.NONE) errors = true;
            let records = out.records as Buffer;
            if (v <= 3 && !isFollower && records.length > 0) {
              if (!p.config.messageDownconversionEnable) {
                parts.push({ ...out, errorCode: ErrorCode.UNSUPPORTED_VERSION, records: Buffer.alloc(0) });
                errors = true;
                continue;
              }
              try {
                records = (await downConvert(records, v <= 1 ? 0 : 1, fp.fetchOffset)).records;
              } catch (e) {
                const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
                parts.push({ ...out, errorCode: code, records: Buffer.alloc(0) });
                errors = true;
                continue;
              }
            }
            if (records.length > 0) firstWithData = false;
            bytes += records.length;
            parts.push({ ...out, records });
          }
          responses.push({ topic: t.topic ?? '', topicId: t.topicId ?? ZERO_UUID, partitions: parts });
        }
        const left = deadline - Date.now();
        if (bytes >= req.minBytes || errors || left <= 0 || keys.length === 0)
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
        await replicas.waitForData(keys, left);
      }
    },
  };
}

function readPartition(
  p: Partition,
  fetchOffset: bigint,
  o: {
    maxBytes: number;
    minOneMessage: boolean;
    isolationCommitted: boolean;
    isFollower: boolean;
    base: PartitionOut;
  },
): PartitionOut {
  const log = p.log;
  const hw = log.highWatermark;
  const meta = {
    ...o.base,
    highWatermark: hw,
    lastStableOffset: hw,
    logStartOffset: log.logStartOffset,
    abortedTransactions: o.isolationCommitted ? [] : null,
  };
  const isolation = o.isFollower ? 'logEnd' : o.isolationCommitted ? 'txnCommitted' : 'highWatermark';
  const r = log.read(fetchOffset, o.maxBytes, isolation, o.minOneMessage);
  if (r.error !== null) return { ...meta, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
  return { ...meta, lastStableOffset: r.lastStableOffset, records: r.records };
}
