// Collects the controller's requests for one state change and sends them per broker in Kafka's
// order: LeaderAndIsr, then UpdateMetadata, then StopReplica (ControllerBrokerRequestBatch).
// A LeaderAndIsr entry for a partition also updates every broker's metadata for it.

import { ApiKey } from '../protocol/messages/generated';
import type { LeaderAndIsrRequestInit } from '../protocol/messages/generated/LeaderAndIsrRequest';
import type { StopReplicaRequestInit } from '../protocol/messages/generated/StopReplicaRequest';
import type { UpdateMetadataRequestInit } from '../protocol/messages/generated/UpdateMetadataRequest';
import { ControllerChannelManager } from './controller-channel-manager';
import { ControllerContext, tpKey } from './controller-context';

const SECURITY_PROTOCOL_ID: Record<string, number> = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 };
/** Leader id announced for partitions of topics queued for deletion (LeaderDuringDelete). */
export const LEADER_DURING_DELETE = -2;

interface TP {
  topic: string;
  partition: number;
}

export class ControllerRequestBatch {
  private readonly leaderAndIsr = new Map<number, Map<string, TP & { isNew: boolean }>>();
  private readonly updateMetadataBrokers = new Set<number>();
  private readonly updateMetadataPartitions = new Map<string, TP>();
  private readonly stopReplica = new Map<number, Map<string, TP & { deletePartition: boolean }>>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly channel: ControllerChannelManager,
    private readonly controllerId: number,
  ) {}

  addLeaderAndIsr(brokerIds: number[], topic: string, partition: number, isNew: boolean): void {
    for (const b of brokerIds) {
      if (!this.ctx.isLiveOrShuttingDown(b)) continue;
      let m = this.leaderAndIsr.get(b);
      if (!m) this.leaderAndIsr.set(b, (m = new Map()));
      const prev = m.get(tpKey(topic, partition));
      m.set(tpKey(topic, partition), { topic, partition, isNew: isNew || (prev?.isNew ?? false) });
    }
    this.addUpdateMetadata([...this.ctx.liveBrokers.keys()], [{ topic, partition }]);
  }

  /** Brokers to update; `partitions` (possibly none: the broker list alone) to include. */
  addUpdateMetadata(brokerIds: number[], partitions: TP[]): void {
    for (const b of brokerIds) if (this.ctx.isLiveOrShuttingDown(b)) this.updateMetadataBrokers.add(b);
    for (const tp of partitions) this.updateMetadataPartitions.set(tpKey(tp.topic, tp.partition), tp);
  }

  addStopReplica(brokerId: number, topic: string, partition: number, deletePartition: boolean): void {
    if (!this.ctx.isLiveOrShuttingDown(brokerId)) return;
    let m = this.stopReplica.get(brokerId);
    if (!m) this.stopReplica.set(brokerId, (m = new Map()));
    const key = tpKey(topic, partition);
    m.set(key, {
      topic,
      partition,
      deletePartition: deletePartition || (m.get(key)?.deletePartition ?? false),
    });
  }

  get isEmpty(): boolean {
    return (
      this.leaderAndIsr.size === 0 && this.updateMetadataBrokers.size === 0 && this.stopReplica.size === 0
    );
  }

  /**
   * Sends everything collected. `onStopReplicaResponse` gets each StopReplica response (used by
   * topic deletion to learn when replicas are gone).
   */
  send(
    onStopReplicaResponse?: (
      brokerId: number,
      response: unknown,
      partitions: Array<TP & { deletePartition: boolean }>,
    ) => void,
  ): void {
    const epoch = this.ctx.epoch;
    const brokerEpoch = (b: number) => BigInt(this.ctx.liveBrokers.get(b)?.epoch ?? -1);
    for (const [b, parts] of this.leaderAndIsr)
      this.sendLeaderAndIsr(b, [...parts.values()], epoch, brokerEpoch(b));
    if (this.updateMetadataBrokers.size > 0) {
      const parts = [...this.updateMetadataPartitions.values()];
      for (const b of this.updateMetadataBrokers) this.sendUpdateMetadata(b, parts, epoch, brokerEpoch(b));
    }
    for (const [b, parts] of this.stopReplica) {
      const sent = [...parts.values()];
      const byTopic = groupByTopic(sent);
      const body: StopReplicaRequestInit = {
        controllerId: this.controllerId,
        controllerEpoch: epoch,
        brokerEpoch: brokerEpoch(b),
        topicStates: [...byTopic].map(([topicName, ps]) => ({
          topicName,
          partitionStates: ps.map((p) => ({
            partitionIndex: p.partition,
            leaderEpoch: this.ctx.topicsToBeDeleted.has(topicName)
              ? -2
              : (this.ctx.state(topicName, p.partition)?.leaderEpoch ?? -1),
            deletePartition: p.deletePartition,
          })),
        })),
      };
      this.channel.send(b, {
        apiKey: ApiKey.StopReplica,
        maxVersion: 4,
        body: () => body,
        onResponse: (r) => onStopReplicaResponse?.(b, r, sent),
      });
    }
    this.leaderAndIsr.clear();
    this.updateMetadataBrokers.clear();
    this.updateMetadataPartitions.clear();
    this.stopReplica.clear();
  }

  private sendLeaderAndIsr(
    b: number,
    parts: Array<TP & { isNew: boolean }>,
    epoch: number,
    brokerEpoch: bigint,
  ): void {
    const leaders = new Set<number>();
    const byTopic = groupByTopic(parts.filter((p) => this.ctx.state(p.topic, p.partition)));
    const body: LeaderAndIsrRequestInit = {
      controllerId: this.controllerId,
      controllerEpoch: epoch,
      brokerEpoch,
      type: 0,
      topicStates: [...byTopic].map(([topicName, ps]) => ({
        topicName,
        topicId: this.ctx.topicIds.get(topicName) ?? undefined,
        partitionStates: ps.map((p) => {
          const s = this.ctx.state(p.topic, p.partition)!;
          const a = this.ctx.assignment(p.topic, p.partition);
          if (s.leader >= 0) leaders.add(s.leader);
          return {
            topicName,
            partitionIndex: p.partition,
            controllerEpoch: s.controllerEpoch,
            leader: s.leader,
            leaderEpoch: s.leaderEpoch,
            isr: s.isr,
            partitionEpoch: s.partitionEpoch,
            replicas: a?.replicas ?? [],
            addingReplicas: a?.addingReplicas ?? [],
            removingReplicas: a?.removingReplicas ?? [],
            isNew: p.isNew,
            leaderRecoveryState: s.leaderRecoveryState,
          };
        }),
      })),
      liveLeaders: [...leaders].flatMap((id) => {
        const ep = this.interBrokerEndpoint(id);
        return ep ? [{ brokerId: id, hostName: ep.host, port: ep.port }] : [];
      }),
    };
    this.channel.send(b, { apiKey: ApiKey.LeaderAndIsr, maxVersion: 7, body: () => body });
  }

  private sendUpdateMetadata(b: number, parts: TP[], epoch: number, brokerEpoch: bigint): void {
    const byTopic = groupByTopic(parts.filter((p) => this.ctx.state(p.topic, p.partition)));
    const body: UpdateMetadataRequestInit = {
      controllerId: this.controllerId,
      controllerEpoch: epoch,
      brokerEpoch,
      topicStates: [...byTopic].map(([topicName, ps]) => ({
        topicName,
        topicId: this.ctx.topicIds.get(topicName) ?? undefined,
        partitionStates: ps.map((p) => {
          const s = this.ctx.state(p.topic, p.partition)!;
          const replicas = this.ctx.assignment(p.topic, p.partition)?.replicas ?? [];
          return {
            topicName,
            partitionIndex: p.partition,
            controllerEpoch: s.controllerEpoch,
            leader: this.ctx.topicsToBeDeleted.has(topicName) ? LEADER_DURING_DELETE : s.leader,
            leaderEpoch: s.leaderEpoch,
            isr: s.isr,
            zkVersion: s.partitionEpoch,
            replicas,
            offlineReplicas: replicas.filter((r) => !this.ctx.isLiveOrShuttingDown(r)),
          };
        }),
      })),
      liveBrokers: [...this.ctx.liveBrokers.values()].map((br) => ({
        id: br.id,
        v0Host: br.endpoints[0]?.host ?? '',
        v0Port: br.endpoints[0]?.port ?? -1,
        endpoints: br.endpoints.map((e) => ({
          port: e.port,
          host: e.host,
          listener: e.listenerName,
          securityProtocol: SECURITY_PROTOCOL_ID[e.securityProtocol] ?? 0,
        })),
        rack: br.rack,
      })),
    };
    this.channel.send(b, { apiKey: ApiKey.UpdateMetadata, maxVersion: 8, body: () => body });
  }

  private interBrokerEndpoint(id: number): { host: string; port: number } | undefined {
    const b = this.ctx.liveBrokers.get(id);
    return b?.endpoints.find((e) => e.listenerName === this.ctx.interBrokerListener) ?? b?.endpoints[0];
  }
}

function groupByTopic<T extends TP>(parts: T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const p of parts) {
    const l = m.get(p.topic);
    if (l) l.push(p);
    else m.set(p.topic, [p]);
  }
  for (const l of m.values()) l.sort((a, b) => a.partition - b.partition);
  return m;
}
