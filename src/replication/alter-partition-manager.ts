// Sends leaders' ISR changes to the controller (Kafka's DefaultAlterPartitionManager, ZK mode with
// IBP >= 2.7-IV2): at most one pending change per partition, all pending changes batched into one
// AlterPartition request, one request in flight at a time. Top-level errors and connection
// failures keep the changes queued and retry after 50 ms, with no overall timeout; a partition
// missing from the response is re-sent. The controller is the metadata cache's controller id,
// reached on the inter-broker listener. v3 carries NewIsrWithEpochs (broker epoch -1 in ZK
// mode) and topic ids; without topic ids the request falls back to v1 (topic names).

import { ErrorCode, errorName } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { AlterPartitionRequestInit } from '../protocol/messages/generated/AlterPartitionRequest';
import type { AlterPartitionResponse } from '../protocol/messages/generated/AlterPartitionResponse';
import { getLogger } from '../utils/logger';
import { BrokerChannel, BrokerEndPoint, sameEndPoint } from './broker-channel';
import type { ProposedLeaderAndIsr } from './isr-state';

export interface AlterPartitionItem {
  topic: string;
  partition: number;
  /** null when the topic has no id (v0-v1, by name) */
  topicId: string | null;
  leaderAndIsr: ProposedLeaderAndIsr;
}

export interface CommittedLeaderAndIsr {
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}

export type AlterPartitionOutcome =
  { ok: true; leaderAndIsr: CommittedLeaderAndIsr } | { ok: false; errorCode: number };

export interface AlterPartitionManagerOptions {
  brokerId: number;
  brokerEpoch: () => number;
  /** The controller's inter-broker endpoint, null while unknown. */
  controllerEndpoint: () => BrokerEndPoint | null;
  requestTimeoutMs: number;
  retryBackoffMs?: number;
}

interface Pending {
  item: AlterPartitionItem;
  resolve: (o: AlterPartitionOutcome) => void;
}

const key = (topic: string, partition: number) => `${topic}-${partition}`;

export class AlterPartitionManager {
  private readonly log = getLogger('kafka.server.DefaultAlterPartitionManager');
  private readonly unsent = new Map<string, Pending>();
  private inflight = false;
  private channel: BrokerChannel | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private running = true;
  private lastWarn = 0;

  constructor(private readonly opts: AlterPartitionManagerOptions) {}

  /**
   * Queues an ISR change. Resolves with the controller's answer for it; a partition that already
   * has a change queued or in flight gets OPERATION_NOT_ATTEMPTED at once.
   */
  submit(item: AlterPartitionItem): Promise<AlterPartitionOutcome> {
    const k = key(item.topic, item.partition);
    if (this.unsent.has(k)) {
      this.log.debug(
        `Failed to enqueue ISR change state ${JSON.stringify(item.leaderAndIsr)} for partition ${k} since there is already an inflight request`,
      );
      return Promise.resolve({ ok: false, errorCode: ErrorCode.OPERATION_NOT_ATTEMPTED });
    }
    return new Promise((resolve) => {
      this.unsent.set(k, { item, resolve });
      this.maybePropagate();
    });
  }

  /** Number of changes queued or in flight (tests, metrics). */
  get pendingCount(): number {
    return this.unsent.size;
  }

  private maybePropagate(): void {
    if (!this.running || this.inflight || this.retryTimer || this.unsent.size === 0) return;
    const batch = [...this.unsent.values()];
    this.inflight = true;
    void this.send(batch).then((retry) => {
      this.inflight = false;
      if (retry) this.scheduleRetry();
      else this.maybePropagate();
    });
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.maybePropagate();
    }, this.opts.retryBackoffMs ?? 50);
    this.retryTimer.unref();
  }

  /** Sends one batch; true when it must be retried (nothing answered). */
  private async send(batch: Pending[]): Promise<boolean> {
    const endpoint = this.opts.controllerEndpoint();
    if (!endpoint) {
      this.warnThrottled('No controller is known yet; AlterPartition request queued');
      return true;
    }
    if (!this.channel || !sameEndPoint(this.channel.endpoint, endpoint)) {
      this.channel?.close();
      this.channel = new BrokerChannel(
        endpoint,
        `broker-${this.opts.brokerId}-alter-partition`,
        this.opts.requestTimeoutMs,
      );
    }
    const canUseTopicIds = batch.every((p) => p.item.topicId !== null);
    const brokerEpoch = this.opts.brokerEpoch();
    const byTopic = new Map<string, Pending[]>();
    for (const p of batch) {
      const t = byTopic.get(p.item.topic);
      if (t) t.push(p);
      else byTopic.set(p.item.topic, [p]);
    }
    const body: AlterPartitionRequestInit = {
      brokerId: this.opts.brokerId,
      brokerEpoch: BigInt(brokerEpoch),
      topics: [...byTopic.entries()].map(([topic, ps]) => ({
        topicName: topic,
        topicId: ps[0].item.topicId ?? undefined,
        partitions: ps.map(({ item }) => ({
          partitionIndex: item.partition,
          leaderEpoch: item.leaderAndIsr.leaderEpoch,
          newIsr: [...item.leaderAndIsr.isr],
          newIsrWithEpochs: item.leaderAndIsr.isr.map((brokerId) => ({ brokerId, brokerEpoch: -1n })),
          leaderRecoveryState: item.leaderAndIsr.leaderRecoveryState,
          partitionEpoch: item.leaderAndIsr.partitionEpoch,
        })),
      })),
    };
    this.log.debug(
      `Sending AlterPartition to controller ${JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`,
    );
    let response: AlterPartitionResponse;
    let version: number;
    try {
      ({ response, version } = await this.channel.request<AlterPartitionResponse>(
        ApiKey.AlterPartition,
        () => body,
        canUseTopicIds ? 3 : 1,
      ));
    } catch (e) {
      this.warnThrottled(
        `Failed to send AlterPartition to the controller at ${endpoint.host}:${endpoint.port}: ${(e as Error).message}`,
      );
      return true;
    }
    return this.handleResponse(response, version, batch, brokerEpoch);
  }

  private handleResponse(
    response: AlterPartitionResponse,
    version: number,
    batch: Pending[],
    sentBrokerEpoch: number,
  ): boolean {
    if (response.errorCode === ErrorCode.STALE_BROKER_EPOCH) {
      this.log.warn(`Broker had a stale broker epoch (${sentBrokerEpoch}), retrying.`);
      return true;
    }
    if (response.errorCode !== ErrorCode.NONE) {
      this.log.warn(
        `Controller returned an unexpected top-level error when handling AlterPartition request: ${errorName(response.errorCode)}`,
      );
      return true;
    }
    const nameById = new Map(batch.filter((p) => p.item.topicId).map((p) => [p.item.topicId!, p.item.topic]));
    const answers = new Map<string, AlterPartitionOutcome>();
    for (const t of response.topics) {
      const topic = version > 1 ? nameById.get(t.topicId) : t.topicName;
      if (!topic) {
        this.log.error(
          `Received an unexpected topic ${JSON.stringify(t.topicName || t.topicId)} in the alter partition response, ignoring it.`,
        );
        continue;
      }
      for (const p of t.partitions) {
        answers.set(
          key(topic, p.partitionIndex),
          p.errorCode === ErrorCode.NONE
            ? {
                ok: true,
                leaderAndIsr: {
                  leaderId: p.leaderId,
                  leaderEpoch: p.leaderEpoch,
                  isr: p.isr,
                  leaderRecoveryState: p.leaderRecoveryState,
                  partitionEpoch: p.partitionEpoch,
                },
              }
            : { ok: false, errorCode: p.errorCode },
        );
      }
    }
    for (const pending of batch) {
      const k = key(pending.item.topic, pending.item.partition);
      const answer = answers.get(k);
      if (!answer) {
        this.log.warn(`Partition ${k} was sent but not included in the response`);
        continue;
      }
      // Cleared before the callback so it can submit a new change at once.
      if (this.unsent.get(k) === pending) this.unsent.delete(k);
      pending.resolve(answer);
    }
    return false;
  }

  private warnThrottled(msg: string): void {
    const now = Date.now();
    if (now - this.lastWarn < 5000) return this.log.debug(msg);
    this.lastWarn = now;
    this.log.warn(msg);
  }

  shutdown(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.channel?.close();
    this.unsent.clear();
  }
}
