// Broker start-up and shutdown, in Kafka's order (KafkaServer.startup): ZooKeeper session
// (starting an embedded ZooKeeper first when configured to and none answers), top-level
// paths, cluster id, broker id, log manager, metadata cache, socket server, broker
// registration, controller, replica manager; then "started". Shutdown reverses it and leaves
// the clean-shutdown marker so the next start skips log recovery.

import path from 'node:path';
import { MetadataCache } from '../cluster/metadata-cache';
import { KafkaConnection } from '../client/network-client';
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { ControlledShutdownResponse } from '../protocol/messages/generated/ControlledShutdownResponse';
import { KafkaController } from '../controller/kafka-controller';
import { SocketServer } from '../network/socket-server';
import { getLogger, Logger } from '../utils/logger';
import {
  EmbeddedZooKeeper,
  ensureZooKeeperInstalled,
  isZooKeeperReachable,
  parseConnectString,
  startEmbeddedZooKeeper,
} from '../zk/embedded-zookeeper';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { ZkClient } from '../zk/zk-client';
import { BrokerRegistration } from '../zk/zk-data';
import { KafkaConfig } from './kafka-config';
import { KafkaApis } from './kafka-apis';
import { registerHandlers } from './handlers';
import { ZkAdminManager } from './zk-admin-manager';
import { BrokerServices, createBrokerServices } from './broker-services';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0']);

export class KafkaServer {
  private log: Logger;
  brokerId: number;
  clusterId = '';
  brokerEpoch = -1;
  private embeddedZk: EmbeddedZooKeeper | null = null;
  private zkClient: ZkClient | null = null;
  kafkaZkClient: KafkaZkClient | null = null;
  metadataCache: MetadataCache | null = null;
  private socketServer: SocketServer | null = null;
  controller: KafkaController | null = null;
  services: BrokerServices | null = null;
  private shuttingDown: Promise<void> | null = null;

  constructor(readonly config: KafkaConfig) {
    this.brokerId = config.brokerId;
    this.log = getLogger('kafka.server.KafkaServer', `[KafkaServer id=${this.brokerId}]`);
  }

  async startup(): Promise<void> {
    this.log.info('starting');
    const cfg = this.config;
    const connect = await this.maybeStartEmbeddedZooKeeper();

    this.log.info(`Connecting to zookeeper on ${connect}`);
    await this.ensureChroot(connect);
    this.zkClient = new ZkClient({
      connect,
      sessionTimeoutMs: cfg.sessionTimeoutMs,
      connectionTimeoutMs: cfg.connectionTimeoutMs,
    });
    await this.zkClient.connect();
    const zk = new KafkaZkClient(this.zkClient);
    this.kafkaZkClient = zk;
    await zk.createTopLevelPaths();
    this.clusterId = await zk.getOrCreateClusterId();
    this.log.info(`Cluster ID = ${this.clusterId}`);
    if (this.brokerId < 0) {
      if (!cfg.bool('broker.id.generation.enable'))
        throw new Error('broker.id is not set and broker.id.generation.enable is false');
      this.brokerId = await zk.generateBrokerId(cfg.int('reserved.broker.max.id'));
      this.log = getLogger('kafka.server.KafkaServer', `[KafkaServer id=${this.brokerId}]`);
    }

    const cache = new MetadataCache(this.brokerId);
    cache.clusterId = this.clusterId;
    this.metadataCache = cache;

    this.services = await createBrokerServices(cfg, this.brokerId, this.clusterId, cache, zk);

    this.controller = new KafkaController(zk, {
      brokerId: this.brokerId,
      deleteTopicEnable: cfg.bool('delete.topic.enable'),
      interBrokerListener: cfg.interBrokerListenerName,
      brokerProps: cfg.props,
      autoLeaderRebalanceEnable: cfg.bool('auto.leader.rebalance.enable'),
      leaderImbalanceCheckIntervalMs: cfg.int('leader.imbalance.check.interval.seconds') * 1000,
      leaderImbalancePerBrokerPercentage: cfg.int('leader.imbalance.per.broker.percentage'),
      requestTimeoutMs: cfg.int('controller.socket.timeout.ms'),
    });
    const admin = new ZkAdminManager(cfg, zk, cache, this.services.validateTopicConfigs);
    const apis = new KafkaApis();
    registerHandlers(apis, {
      brokerId: this.brokerId,
      config: cfg,
      cache,
      admin,
      controller: this.controller,
      services: this.services,
      brokerEpoch: () => this.brokerEpoch,
      zk,
    });

    this.socketServer = new SocketServer(
      {
        listeners: cfg.listeners.map((l) => ({ listenerName: l.listenerName, host: l.host, port: l.port })),
        maxRequestSize: cfg.int('socket.request.max.bytes'),
        connectionsMaxIdleMs: cfg.int('connections.max.idle.ms'),
      },
      apis.process,
    );
    await this.socketServer.start();

    const registration = this.registration();
    this.brokerEpoch = await zk.registerBroker(registration, cfg.sessionTimeoutMs + 2000);
    this.log.info(
      `Registered broker ${this.brokerId} at path /brokers/ids/${this.brokerId} with addresses: ${registration.endpoints.map((e) => `${e.listenerName}://${e.host}:${e.port}`).join(',')}, czxid (broker epoch): ${this.brokerEpoch}`,
    );
    this.zkClient.onSessionReinit(async () => {
      this.brokerEpoch = await zk.registerBroker(this.registration());
      this.log.info(
        `Re-registered broker ${this.brokerId} after session expiry, broker epoch ${this.brokerEpoch}`,
      );
    });

    await this.controller.startup();
    await this.services.startup();
    // Serve clients once the controller's first UpdateMetadata has reached us (it names this
    // broker), so a client connecting right after "started" sees the cluster.
    await waitUntil(() => cache.isAlive(this.brokerId), 10_000);
    this.log.info('started');
  }

  /** Endpoints as registered: advertised listeners, with the actual bound port for port 0. */
  private registration(): BrokerRegistration {
    return {
      id: this.brokerId,
      endpoints: this.config.advertisedListeners.map((a) => ({
        listenerName: a.listenerName,
        securityProtocol: a.securityProtocol,
        host: a.host,
        port: a.port === 0 ? (this.socketServer?.boundPorts.get(a.listenerName) ?? 0) : a.port,
      })),
      rack: this.config.rack,
      jmxPort: -1,
      timestamp: String(Date.now()),
      features: {},
    };
  }

  /**
   * samsa.zookeeper.embedded: `true` always starts one; `auto` starts one when every server of
   * zookeeper.connect is on this machine and none answers. Its data lives next to the first
   * log dir (<parent of log dir>/zookeeper) so one data dir holds the whole single-node setup.
   */
  private async maybeStartEmbeddedZooKeeper(): Promise<string> {
    const mode = this.config.str('samsa.zookeeper.embedded');
    const connect = this.config.zkConnect;
    const servers = parseConnectString(connect);
    const local = servers.length === 1 && LOCAL_HOSTS.has(servers[0].host);
    if (mode === 'false' || (mode === 'auto' && !local)) return connect;
    if (mode === 'auto' && (await isZooKeeperReachable(connect, 1500))) return connect;
    if (!local)
      throw new Error('samsa.zookeeper.embedded=true needs zookeeper.connect to name a single local server');
    const install = await ensureZooKeeperInstalled(this.log);
    const dataDir = path.join(path.dirname(path.resolve(this.config.logDirs[0])), 'zookeeper');
    this.log.info(
      `No ZooKeeper answers at ${connect}: starting an embedded ZooKeeper on port ${servers[0].port} with data in ${dataDir}`,
    );
    this.embeddedZk = await startEmbeddedZooKeeper({
      dataDir,
      port: servers[0].port,
      install,
      stdio: 'ignore',
    });
    const slash = connect.indexOf('/');
    return `127.0.0.1:${this.embeddedZk.port}${slash >= 0 ? connect.slice(slash) : ''}`;
  }

  /** Kafka creates the chroot path (if any) before opening the chrooted session. */
  private async ensureChroot(connect: string): Promise<void> {
    const slash = connect.indexOf('/');
    if (slash < 0 || connect.slice(slash) === '/') return;
    const root = new ZkClient({
      connect: connect.slice(0, slash),
      sessionTimeoutMs: this.config.sessionTimeoutMs,
      connectionTimeoutMs: this.config.connectionTimeoutMs,
    });
    await root.connect();
    try {
      await root.createRecursive(connect.slice(slash));
    } finally {
      await root.close();
    }
  }

  /**
   * Controlled shutdown (controlled.shutdown.enable): ask the controller to move our leaderships
   * away before leaving, retrying controlled.shutdown.max.retries times.
   */
  private async controlledShutdown(): Promise<void> {
    const cache = this.metadataCache;
    if (!cache || !this.config.bool('controlled.shutdown.enable') || this.brokerEpoch < 0) return;
    const retries = this.config.int('controlled.shutdown.max.retries');
    const backoff = this.config.int('controlled.shutdown.retry.backoff.ms');
    for (let attempt = 1; attempt <= retries; attempt++) {
      const ctrl = cache.brokers.get(cache.controllerId);
      const ep = ctrl?.endpoints.find((e) => e.listenerName === this.config.interBrokerListenerName);
      if (ep) {
        const conn = new KafkaConnection(
          ep.host,
          ep.port,
          `broker-${this.brokerId}-controlled-shutdown`,
          30_000,
        );
        try {
          await conn.connect();
          const r = await conn.request<ControlledShutdownResponse>(ApiKey.ControlledShutdown, {
            brokerId: this.brokerId,
            brokerEpoch: BigInt(this.brokerEpoch),
          });
          if (r.errorCode === ErrorCode.NONE && r.remainingPartitions.length === 0) {
            this.log.info('Controlled shutdown request returned successfully');
            return;
          }
          this.log.info(
            `Remaining partitions to move: ${r.remainingPartitions.map((p) => `${p.topicName}-${p.partitionIndex}`).join(',')}, error ${r.errorCode}`,
          );
        } catch (e) {
          this.log.warn(
            `Error during controlled shutdown, possibly because leader movement took longer than the configured controller.socket.timeout.ms and/or request.timeout.ms: ${(e as Error).message}`,
          );
        } finally {
          conn.close();
        }
      }
      if (attempt < retries) {
        this.log.warn('Retrying controlled shutdown after the previous attempt failed...');
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
    this.log.warn('Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed');
  }

  shutdown(): Promise<void> {
    if (!this.shuttingDown) this.shuttingDown = this.doShutdown();
    return this.shuttingDown;
  }

  private async doShutdown(): Promise<void> {
    this.log.info('shutting down');
    const step = async (name: string, fn: () => Promise<void> | void) => {
      try {
        await fn();
      } catch (e) {
        this.log.warn(`Error during shutdown of ${name}: ${(e as Error).message}`);
      }
    };
    await step('controlled shutdown', () => this.controlledShutdown());
    await step('socket server', () => this.socketServer?.shutdown());
    await step('controller', () => this.controller?.shutdown());
    await step('broker services', () => this.services?.shutdown());
    // Only our own registration: a broker that failed to register must not remove another's.
    if (this.brokerEpoch >= 0)
      await step('broker registration', () => this.kafkaZkClient?.deregisterBroker(this.brokerId));
    await step('zookeeper client', () => this.zkClient?.close());
    await step('embedded zookeeper', () => this.embeddedZk?.stop());
    this.log.info('shut down completed');
  }
}

function waitUntil(pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const tick = () => (pred() || Date.now() > deadline ? resolve() : setTimeout(tick, 20));
    tick();
  });
}
