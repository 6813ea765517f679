// An in-memory stand-in for what the controller's state machines talk to: the partition state
// znodes (with zkVersions and BADVERSION), the brokers' request queues (every request recorded,
// StopReplica answered with a chosen response) and state-change.log (lines recorded).

import type {
  ControllerChannelManager,
  ControllerRequest,
} from '../../../src/controller/controller-channel-manager';
import { ControllerContext, tpKey, TopicPartition } from '../../../src/controller/controller-context';
import { ControllerRequestBatch } from '../../../src/controller/controller-request-batch';
import type { PartitionStateStore } from '../../../src/controller/partition-state-machine';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { Logger } from '../../../src/utils/logger';
import type { BrokerRegistration, LeaderIsrAndControllerEpoch } from '../../../src/zk/zk-data';

export type State = Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>;

export interface SentRequest {
  broker: number;
  apiKey: number;
  body: Record<string, unknown>;
}

export class Fixture {
  readonly ctx = new ControllerContext('PLAINTEXT');
  readonly znodes = new Map<string, LeaderIsrAndControllerEpoch>();
  readonly writes: Array<{ tp: string; state: State }> = [];
  readonly sent: SentRequest[] = [];
  readonly lines: Array<{ level: string; msg: string }> = [];
  /** BADVERSION for the next n conditional writes. */
  badVersions = 0;
  /** What brokers answer to StopReplica (null: the broker does not serve it). */
  stopReplicaResponse: (broker: number, body: Record<string, unknown>) => unknown = () => ({
    errorCode: 0,
    partitionErrors: [],
  });

  constructor(liveBrokers: number[], epoch = 5) {
    this.ctx.epoch = epoch;
    for (const id of liveBrokers) this.addBroker(id);
  }

  addBroker(id: number): void {
    const b: BrokerRegistration = {
      id,
      endpoints: [
        { host: 'localhost', port: 9000 + id, listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' },
      ],
      rack: null,
      jmxPort: -1,
      timestamp: '0',
      features: {},
      epoch: 100 + id,
    };
    this.ctx.liveBrokers.set(id, b);
  }

  /** A topic with the given assignment per partition; `states` also written as znodes. */
  addTopic(topic: string, replicas: number[][], states: Array<State | null> = []): void {
    const parts = new Map<
      number,
      { replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }
    >();
    replicas.forEach((r, p) => {
      parts.set(p, { replicas: r, addingReplicas: [], removingReplicas: [] });
      const s = states[p];
      if (s) {
        const full = { ...s, partitionEpoch: 3 };
        this.znodes.set(tpKey(topic, p), full);
        this.ctx.partitionStates.set(tpKey(topic, p), full);
      }
    });
    this.ctx.assignments.set(topic, parts);
    this.ctx.topicIds.set(topic, 'AAAAAAAAAAAAAAAAAAAAAA');
  }

  readonly store: PartitionStateStore = {
    get: async (tp) => this.znodes.get(key(tp)) ?? null,
    create: async (tp, state) => {
      if (this.znodes.has(key(tp))) return false;
      this.znodes.set(key(tp), { ...state, partitionEpoch: 0 });
      this.writes.push({ tp: key(tp), state });
      return true;
    },
    update: async (tp, next, expectedVersion) => {
      const cur = this.znodes.get(key(tp));
      if (!cur) throw new Error('NoNode');
      if (this.badVersions > 0) {
        this.badVersions--;
        // Someone else (a leader's AlterPartition) wrote in between.
        this.znodes.set(key(tp), { ...cur, partitionEpoch: cur.partitionEpoch + 1 });
        return null;
      }
      if (cur.partitionEpoch !== expectedVersion) return null;
      this.znodes.set(key(tp), { ...next, partitionEpoch: cur.partitionEpoch + 1 });
      this.writes.push({ tp: key(tp), state: next });
      return cur.partitionEpoch + 1;
    },
  };

  private readonly channel = {
    send: (broker: number, req: ControllerRequest) => {
      const body = req.body(req.maxVersion) as Record<string, unknown>;
      this.sent.push({ broker, apiKey: req.apiKey, body });
      if (req.apiKey === ApiKey.StopReplica)
        req.onResponse?.(this.stopReplicaResponse(broker, body), req.maxVersion);
    },
  } as unknown as ControllerChannelManager;

  readonly stateChangeLog: Logger = {
    error: (msg) => this.lines.push({ level: 'ERROR', msg }),
    warn: (msg) => this.lines.push({ level: 'WARN', msg }),
    info: (msg) => this.lines.push({ level: 'INFO', msg }),
    debug: () => undefined,
    trace: () => undefined,
    isDebugEnabled: () => false,
  };

  deps() {
    return {
      controllerId: 0,
      ctx: this.ctx,
      store: this.store,
      newBatch: () => new ControllerRequestBatch(this.ctx, this.channel, 0),
      stateChangeLog: this.stateChangeLog,
    };
  }

  /** LeaderAndIsr partition states sent to `broker`, as `topic-p` → leader/epoch/isr/isNew. */
  leaderAndIsrTo(
    broker: number,
  ): Array<{ tp: string; leader: number; leaderEpoch: number; isr: number[]; isNew: boolean }> {
    return this.sent
      .filter((r) => r.broker === broker && r.apiKey === ApiKey.LeaderAndIsr)
      .flatMap((r) =>
        (
          r.body.topicStates as Array<{ topicName: string; partitionStates: Array<Record<string, unknown>> }>
        ).flatMap((t) =>
          t.partitionStates.map((p) => ({
            tp: `${t.topicName}-${p.partitionIndex as number}`,
            leader: p.leader as number,
            leaderEpoch: p.leaderEpoch as number,
            isr: p.isr as number[],
            isNew: p.isNew as boolean,
          })),
        ),
      );
  }

  /** StopReplica partitions sent to `broker`, as `topic-p:delete`. */
  stopReplicaTo(broker: number): string[] {
    return this.sent
      .filter((r) => r.broker === broker && r.apiKey === ApiKey.StopReplica)
      .flatMap((r) =>
        (
          r.body.topicStates as Array<{ topicName: string; partitionStates: Array<Record<string, unknown>> }>
        ).flatMap((t) =>
          t.partitionStates.map(
            (p) => `${t.topicName}-${p.partitionIndex as number}:${String(p.deletePartition)}`,
          ),
        ),
      );
  }

  log(level?: string): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.msg);
  }
}

const key = (tp: TopicPartition) => tpKey(tp.topic, tp.partition);
