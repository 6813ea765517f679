// UpdateMetadata (key 6), v0-v8: the controller's view of live brokers and partition states,
// merged into this broker's MetadataCache (what Metadata answers from, identical on every
// broker). A request from an older controller → STALE_CONTROLLER_EPOCH; one carrying an older
// broker epoch than our registration → STALE_BROKER_EPOCH. Leader -2 (LeaderDuringDelete) drops
// the partition. v0 brokers carry one PLAINTEXT endpoint; v1-v2 endpoints are named by their
// security protocol; v3+ by listener name.

import { MetadataCache, PartitionMetadata } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { UpdateMetadataRequest } from '../../protocol/messages/generated/UpdateMetadataRequest';
import type { UpdateMetadataResponseInit } from '../../protocol/messages/generated/UpdateMetadataResponse';
import { getLogger } from '../../utils/logger';
import type { BrokerRegistration } from '../../zk/zk-data';
import type { ApiHandler } from '../api-handler';

const PROTOCOL_NAMES = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export function updateMetadataHandler(
  cache: MetadataCache,
  brokerEpoch: () => number,
): ApiHandler<UpdateMetadataRequest, UpdateMetadataResponseInit> {
  const log = getLogger('state.change.logger', `[Broker id=${cache.localBrokerId}]`);
  return {
    apiKey: ApiKey.UpdateMetadata,
    minVersion: 0,
    maxVersion: 8,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      if (req.controllerEpoch < cache.controllerEpoch) {
        log.warn(
          `Received UpdateMetadata request with stale controller epoch ${req.controllerEpoch} from controller ${req.controllerId}; current controller epoch is ${cache.controllerEpoch}`,
        );
        return { errorCode: ErrorCode.STALE_CONTROLLER_EPOCH };
      }
      if (req.brokerEpoch !== -1n && req.brokerEpoch < BigInt(brokerEpoch()))
        return { errorCode: ErrorCode.STALE_BROKER_EPOCH };
      cache.controllerEpoch = req.controllerEpoch;
      cache.controllerId = req.controllerId;

      const brokers: BrokerRegistration[] = req.liveBrokers.map((b) => ({
        id: b.id,
        endpoints:
          v === 0
            ? [{ listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: b.v0Host, port: b.v0Port }]
            : b.endpoints.map((e) => {
                const protocol = PROTOCOL_NAMES[e.securityProtocol] ?? 'PLAINTEXT';
                return {
                  listenerName: v >= 3 ? e.listener : protocol,
                  securityProtocol: protocol,
                  host: e.host,
                  port: e.port,
                };
              }),
        rack: b.rack,
        jmxPort: -1,
        timestamp: '',
        features: {},
      }));
      cache.setBrokers(brokers);

      const states =
        v >= 5
          ? req.topicStates.flatMap((t) =>
              t.partitionStates.map((p) => ({
                ...p,
                topicName: t.topicName,
                topicId: v >= 7 ? t.topicId : null,
              })),
            )
          : req.ungroupedPartitionStates.map((p) => ({ ...p, topicId: null as string | null }));
      const changed: PartitionMetadata[] = [];
      for (const p of states) {
        if (p.leader === -2) {
          cache.removePartition(p.topicName, p.partitionIndex);
          continue;
        }
        changed.push(
          cache.updatePartition(
            p.topicName,
            p.topicId === 'AAAAAAAAAAAAAAAAAAAAAA' ? null : p.topicId,
            p.partitionIndex,
            p.replicas,
            {
              leader: p.leader,
              leaderEpoch: p.leaderEpoch,
              isr: p.isr,
              controllerEpoch: p.controllerEpoch,
              leaderRecoveryState: 0,
              partitionEpoch: p.zkVersion,
            },
          ),
        );
      }
      if (changed.length > 0) cache.emit('partitionsChanged', changed);
      return { errorCode: ErrorCode.NONE };
    },
  };
}
