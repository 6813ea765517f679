// Fetch (key 1), v0-v17.
// Reads come straight from the segment files as opaque bytes (no record decoding), starting
// at the batch holding fetch_offset, bounded by partition_max_bytes and what is left of
// max_bytes (v3+). v3+ (KIP-74): the first partition that has data returns its first batch whole
// even past the limits; v0-v2 cut at the limit. Consumers see data up to the high watermark
// (read_committed: the last stable offset, equal to it while there are no transactions);
// replicas (replica_id >= 0, v15+ in replica_state) up to the log end. A replica must be in the
// partition's assignment (else UNKNOWN_LEADER_EPOCH); its fetch offset records its progress on
// the leader (ISR expansion, high watermark); with last_fetched_epoch (v12+) a diverging history
// is answered with diverging_epoch and no records. Replicas and consumers below v11 must fetch
// from the leader; a v11+ consumer (client metadata) is served by a follower too, up to the
// follower's high watermark, as Kafka does. Errors per partition: UNKNOWN_TOPIC_OR_PARTITION,
// UNKNOWN_TOPIC_ID (v13+, topics by id), FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v9+
// current_leader_epoch), NOT_LEADER_OR_FOLLOWER (v16+ with current_leader and node_endpoints,
// KIP-951), OFFSET_OUT_OF_RANGE; errors carry -1 offsets, except a consumer's
// OFFSET_OUT_OF_RANGE, which reports the high watermark and log start offset. Long-poll: when
// fewer than min_bytes are available the request waits (woken by appends and high watermark
// moves, no polling) up to max_wait_ms; a replica's progress is recorded on the first read
// only. v0-v3 get data
// down-converted to magic 0/1 (or UNSUPPORTED_VERSION when the topic has
// message.downconversion.enable=false). Incremental fetch sessions (KIP-227) are declined by
// answering session id 0, which every client handles as "full fetch each time". Large reads
// go into pooled buffers that return to the pool once the response is in the kernel.

import { MetadataCache } from '../../cluster/metadata-cache';
import { ZERO_UUID } from '../../protocol/codec/reader';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { FetchRequest } from '../../protocol/messages/generated/FetchRequest';
import type { FetchResponseInit } from '../../protocol/messages/generated/FetchResponse';
import { downConvert } from '../../protocol/records/legacy';
import { DATA_POOL, MemoryPool } from '../../network/memory-pool';
import type { ApiHandler } from '../api-handler';
import type { ReplicationQuota } from '../config-manager';
import { ReplicaManager } from '../replica-manager';

type PartitionOut = NonNullable<NonNullable<FetchResponseInit['responses']>[number]['partitions']>[number];

const READ_COMMITTED = 1;

export function fetchHandler(
  cache: MetadataCache,
  replicas: ReplicaManager,
  /** This broker's leader-side replication quota (leader.replication.throttled.rate/replicas). */
  leaderQuota?: ReplicationQuota,
  pool: MemoryPool = DATA_POOL,
): ApiHandler<FetchRequest, FetchResponseInit> {
  return {
    apiKey: ApiKey.Fetch,
    minVersion: 0,
    maxVersion: 17,
    async handle(req, ctx) {
      const v = ctx.apiVersion;
      const replicaId = v >= 15 ? req.replicaState.replicaId : req.replicaId;
      const isFollower = replicaId >= 0;
      const alloc = (size: number): Buffer => {
        const lease = pool.acquire(size);
        ctx.afterSend(lease.release);
        return lease.buffer;
      };
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

      let firstPass = true;
      for (;;) {
        let bytes = 0;
        let errors = false;
        let diverging = false;
        let firstWithData = true;
        const nodeEndpoints = new Map<
          number,
          { nodeId: number; host: string; port: number; rack: string | null }
        >();
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
              const out = { ...base, errorCode: code };
              if (
                v >= 16 &&
                t.topic !== null &&
                (code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.FENCED_LEADER_EPOCH)
              )
                out.currentLeader = currentLeader(
                  cache,
                  replicas,
                  t.topic,
                  fp.partition,
                  ctx.conn.listenerName,
                  nodeEndpoints,
                );
              return out;
            };
            if (t.topic === null) {
              parts.push(fail(ErrorCode.UNKNOWN_TOPIC_ID));
              continue;
            }
            const p = replicas.getPartition(t.topic, fp.partition);
            if (!p) {
              parts.push(
                fail(
                  cache.getPartition(t.topic, fp.partition)
                    ? ErrorCode.NOT_LEADER_OR_FOLLOWER
                    : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                ),
              );
              continue;
            }
            const committed = req.isolationLevel === READ_COMMITTED;
            const info = p.fetchRecords({
              replicaId,
              fetchOffset: fp.fetchOffset,
              currentLeaderEpoch: v >= 9 ? fp.currentLeaderEpoch : -1,
              lastFetchedEpoch: v >= 12 ? fp.lastFetchedEpoch : -1,
              logStartOffset: fp.logStartOffset,
              maxBytes: Math.max(0, Math.min(fp.partitionMaxBytes, maxBytes - bytes)),
              minOneMessage: v >= 3 && firstWithData,
              isolation: isFollower ? 'logEnd' : committed ? 'txnCommitted' : 'highWatermark',
              updateFetchState: firstPass,
              fetchOnlyLeader: isFollower || (replicaId === -1 && v < 11),
              alloc,
            });
            if (info.errorCode !== ErrorCode.NONE) {
              parts.push({
                ...fail(info.errorCode),
                highWatermark: info.highWatermark,
                lastStableOffset: info.lastStableOffset,
                logStartOffset: info.logStartOffset,
              });
              continue;
            }
            const out: PartitionOut = {
              ...base,
              highWatermark: info.highWatermark,
              lastStableOffset: info.lastStableOffset,
              logStartOffset: info.logStartOffset,
              abortedTransactions: committed ? [] : null,
            };
            if (info.divergingEpoch) {
              diverging = true;
              parts.push({ ...out, divergingEpoch: info.divergingEpoch });
              continue;
            }
            let records = info.records;
            // Replication throttle (KIP-73), leader side: a throttled replica that is not in the
            // ISR gets nothing while the leader's throttled traffic is over its rate.
            if (
              isFollower &&
              leaderQuota &&
              leaderQuota.isThrottled(t.topic, fp.partition) &&
              !p.isr.includes(replicaId)
            ) {
              if (leaderQuota.isQuotaExceeded()) records = Buffer.alloc(0);
              else leaderQuota.record(records.length);
            }
            if (v <= 3 && !isFollower && records.length > 0) {
              if (!p.config.messageDownconversionEnable) {
                parts.push({ ...out, errorCode: ErrorCode.UNSUPPORTED_VERSION });
                errors = true;
                continue;
              }
              try {
                records = (await downConvert(records, v <= 1 ? 0 : 1, fp.fetchOffset)).records;
              } catch (e) {
                const code = (e as { errorCode?: number }).errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
                parts.push({ ...out, errorCode: code });
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
        firstPass = false;
        const left = deadline - Date.now();
        if (bytes >= req.minBytes || errors || diverging || left <= 0 || keys.length === 0)
          return {
            throttleTimeMs: 0,
            errorCode: ErrorCode.NONE,
            sessionId: 0,
            responses,
            nodeEndpoints: [...nodeEndpoints.values()],
          };
        await replicas.waitForData(keys, left);
      }
    },
  };
}

/**
 * KIP-951: the leader we know of for a partition we cannot serve (our own replica's view, else
 * the metadata cache), with its endpoint on the request's listener added to node_endpoints.
 */
export function currentLeader(
  cache: MetadataCache,
  replicas: ReplicaManager,
  topic: string,
  partition: number,
  listenerName: string,
  nodeEndpoints: Map<number, { nodeId: number; host: string; port: number; rack: string | null }>,
): { leaderId: number; leaderEpoch: number } {
  const p = replicas.getPartition(topic, partition);
  let leaderId = -1;
  let leaderEpoch = -1;
  if (p && !p.isDeleted) {
    leaderId = p.leaderId;
    leaderEpoch = p.leaderEpoch;
  } else {
    const s = cache.getPartition(topic, partition)?.state;
    if (s) {
      leaderId = s.leader;
      leaderEpoch = s.leaderEpoch;
    }
  }
  const broker = leaderId >= 0 ? cache.brokers.get(leaderId) : undefined;
  const ep = broker?.endpoints.find((e) => e.listenerName === listenerName);
  if (broker && ep)
    nodeEndpoints.set(leaderId, { nodeId: leaderId, host: ep.host, port: ep.port, rack: broker.rack });
  return { leaderId, leaderEpoch };
}
