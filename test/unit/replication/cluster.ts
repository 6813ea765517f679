// An in-process cluster for replication tests: real ReplicaManagers, logs, socket servers and
// the real Produce/Fetch/ListOffsets/LeaderAndIsr/StopReplica/OffsetForLeaderEpoch handlers,
// with the controller played by the test (LeaderAndIsr sent straight to each broker's replica
// manager, AlterPartition answered by a scripted handler on broker 0).

import { KafkaConnection } from '../../../src/client/network-client';
import { MetadataCache } from '../../../src/cluster/metadata-cache';
import { LogConfig, LogManagerConfig } from '../../../src/log/log-config';
import { LogManager } from '../../../src/log/log-manager';
import { SocketServer } from '../../../src/network/socket-server';
import { ErrorCode } from '../../../src/protocol/errors';
import { ApiKey } from '../../../src/protocol/messages/generated';
import type { AlterPartitionRequest } from '../../../src/protocol/messages/generated/AlterPartitionRequest';
import type { AlterPartitionResponseInit } from '../../../src/protocol/messages/generated/AlterPartitionResponse';
import type { LeaderAndIsrRequest } from '../../../src/protocol/messages/generated/LeaderAndIsrRequest';
import type { ApiHandler } from '../../../src/server/api-handler';
import { apiVersionsHandler } from '../../../src/server/handlers/api-versions';
import { fetchHandler } from '../../../src/server/handlers/fetch';
import { leaderAndIsrHandler } from '../../../src/server/handlers/leader-and-isr';
import { listOffsetsHandler } from '../../../src/server/handlers/list-offsets';
import { offsetForLeaderEpochHandler } from '../../../src/server/handlers/offset-for-leader-epoch';
import { produceHandler } from '../../../src/server/handlers/produce';
import { stopReplicaHandler } from '../../../src/server/handlers/stop-replica';
import { KafkaApis } from '../../../src/server/kafka-apis';
import { KafkaConfig } from '../../../src/server/kafka-config';
import { ReplicaManager } from '../../../src/server/replica-manager';
import type { KafkaZkClient } from '../../../src/zk/kafka-zk-client';
import { rmDir, tmpDir } from '../log/helpers';

export const TOPIC = 't';
export const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

export interface ControllerState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
  replicas: number[];
}

export class Broker {
  readonly cache: MetadataCache;
  readonly logManager: LogManager;
  readonly replicas: ReplicaManager;
  readonly server: SocketServer;
  readonly apis = new KafkaApis();
  port = 0;

  constructor(
    readonly id: number,
    readonly dir: string,
    props: Record<string, string>,
    topicConfig: Record<string, string>,
  ) {
    const all = {
      'broker.id': String(id),
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:0',
      'log.dirs': dir,
      'zookeeper.connect': '127.0.0.1:1',
      ...props,
    };
    const config = new KafkaConfig(all);
    this.cache = new MetadataCache(id);
    this.logManager = LogManager.startup({
      settings: LogManagerConfig.fromProperties(all),
      brokerId: id,
      clusterId: 'test',
      defaultConfig: LogConfig.fromProperties(all),
      startBackgroundTasks: false,
    });
    const zk = { getEntityConfig: async () => topicConfig } as unknown as KafkaZkClient;
    this.replicas = new ReplicaManager(config, id, this.cache, zk, this.logManager);
    this.replicas.setBrokerEpochSupplier(() => 100 + id);
    const epoch = () => 100 + id;
    this.apis.register(apiVersionsHandler(() => this.apis.supportedApis()));
    this.apis.register(produceHandler(this.cache, this.replicas));
    this.apis.register(fetchHandler(this.cache, this.replicas));
    this.apis.register(listOffsetsHandler(this.cache, this.replicas));
    this.apis.register(leaderAndIsrHandler(this.replicas, epoch));
    this.apis.register(stopReplicaHandler(this.replicas, epoch));
    this.apis.register(offsetForLeaderEpochHandler(this.cache, this.replicas));
    this.server = new SocketServer(
      {
        listeners: [{ listenerName: 'PLAINTEXT', host: '127.0.0.1', port: 0 }],
        maxRequestSize: 104857600,
        connectionsMaxIdleMs: 600000,
      },
      this.apis.process,
    );
  }

  async start(): Promise<void> {
    await this.server.start();
    this.port = this.server.boundPorts.get('PLAINTEXT')!;
    await this.replicas.startup();
  }

  partition() {
    return this.replicas.getPartition(TOPIC, 0);
  }

  async stop(): Promise<void> {
    await this.server.shutdown();
    await this.replicas.shutdown();
    this.logManager.shutdown();
  }
}

export class TestCluster {
  readonly root = tmpDir('samsa-repl-cluster-');
  readonly brokers: Broker[] = [];
  /** The partition state as the (scripted) controller knows it. */
  state: ControllerState = {
    leader: 0,
    leaderEpoch: 0,
    isr: [0, 1, 2],
    partitionEpoch: 0,
    replicas: [0, 1, 2],
  };
  readonly alterPartitionRequests: AlterPartitionRequest[] = [];
  private correlationId = 0;
  private readonly clients: KafkaConnection[] = [];
  /** When set, AlterPartition answers this error for every partition. */
  alterPartitionError: number | null = null;

  constructor(
    private readonly n: number,
    private readonly props: Record<string, string> = {},
    private readonly topicConfig: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    for (let id = 0; id < this.n; id++) {
      const b = new Broker(id, `${this.root}/b${id}`, this.props, this.topicConfig);
      this.brokers.push(b);
      await b.start();
    }
    this.brokers[0].apis.register(this.alterPartitionHandler());
    const regs = this.brokers.map((b) => ({
      id: b.id,
      endpoints: [
        { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: b.port },
      ],
      rack: null,
      jmxPort: -1,
      timestamp: '0',
      features: {},
    }));
    for (const b of this.brokers) {
      b.cache.setBrokers(regs);
      b.cache.controllerId = 0;
      b.cache.setTopic(TOPIC, {
        partitions: new Map([[0, this.state.replicas]]),
        addingReplicas: new Map(),
        removingReplicas: new Map(),
        topicId: TOPIC_ID,
      });
    }
  }

  private alterPartitionHandler(): ApiHandler<AlterPartitionRequest, AlterPartitionResponseInit> {
    return {
      apiKey: ApiKey.AlterPartition,
      minVersion: 0,
      maxVersion: 3,
      handle: (req) => {
        this.alterPartitionRequests.push(req);
        return {
          throttleTimeMs: 0,
          errorCode: ErrorCode.NONE,
          topics: req.topics.map((t) => ({
            topicName: t.topicName,
            topicId: t.topicId,
            partitions: t.partitions.map((p) => {
              const s = this.state;
              const isr =
                p.newIsrWithEpochs.length > 0 ? p.newIsrWithEpochs.map((b) => b.brokerId) : p.newIsr;
              const answer = (errorCode: number) => ({
                partitionIndex: p.partitionIndex,
                errorCode,
                leaderId: s.leader,
                leaderEpoch: s.leaderEpoch,
                isr: s.isr,
                leaderRecoveryState: 0,
                partitionEpoch: s.partitionEpoch,
              });
              if (this.alterPartitionError !== null) return answer(this.alterPartitionError);
              if (p.leaderEpoch < s.leaderEpoch) return answer(ErrorCode.FENCED_LEADER_EPOCH);
              if (p.partitionEpoch < s.partitionEpoch) return answer(ErrorCode.INVALID_UPDATE_VERSION);
              this.state = { ...s, isr, partitionEpoch: s.partitionEpoch + 1 };
              return { ...answer(ErrorCode.NONE), isr, partitionEpoch: this.state.partitionEpoch };
            }),
          })),
        };
      },
    };
  }

  /** The controller elects: new leader epoch (and partition epoch), LeaderAndIsr to `to` (default all). */
  async elect(change: Partial<ControllerState>, to: number[] = this.brokers.map((b) => b.id)) {
    const s = this.state;
    this.state = { ...s, leaderEpoch: s.leaderEpoch + 1, partitionEpoch: s.partitionEpoch + 1, ...change };
    return this.sendLeaderAndIsr(to);
  }

  async sendLeaderAndIsr(to: number[] = this.brokers.map((b) => b.id)) {
    const s = this.state;
    const req: LeaderAndIsrRequest = {
      controllerId: 0,
      isKRaftController: false,
      controllerEpoch: 1,
      brokerEpoch: -1n,
      type: 0,
      ungroupedPartitionStates: [],
      topicStates: [
        {
          topicName: TOPIC,
          topicId: TOPIC_ID,
          partitionStates: [
            {
              topicName: TOPIC,
              partitionIndex: 0,
              controllerEpoch: 1,
              leader: s.leader,
              leaderEpoch: s.leaderEpoch,
              isr: s.isr,
              partitionEpoch: s.partitionEpoch,
              replicas: s.replicas,
              addingReplicas: [],
              removingReplicas: [],
              isNew: false,
              leaderRecoveryState: 0,
            },
          ],
        },
      ],
      liveLeaders: [],
    };
    return Promise.all(
      to.map((id) => this.brokers[id].replicas.becomeLeaderOrFollower(req, 7, this.correlationId++)),
    );
  }

  async client(id: number): Promise<KafkaConnection> {
    const c = new KafkaConnection('127.0.0.1', this.brokers[id].port, 'test-client', 10000);
    await c.connect();
    this.clients.push(c);
    return c;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all(this.brokers.map((b) => b.stop()));
    rmDir(this.root);
  }
}

export async function waitUntil(what: string, pred: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
