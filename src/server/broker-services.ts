// The broker's data-plane services beside the network and ZooKeeper layers: the log manager
// and the replica manager that owns partitions, the dynamic config manager (config change
// notifications, AlterConfigs, replication throttles) with the config views that DescribeConfigs
// and CreateTopics report (Kafka's sources and synonyms), and CreatePartitions' placement.

import { MetadataCache } from '../cluster/metadata-cache';
import { PartitionAdmin } from '../admin/partition-admin';
import { LogConfig, LogManagerConfig, validateTopicOverrides } from '../log/log-config';
import { LogManager } from '../log/log-manager';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { ConfigManager } from './config-manager';
import { KafkaConfig } from './kafka-config';
import { ReplicaManager } from './replica-manager';
import { createGroupCoordinator, GroupCoordinatorService } from '../coordinator/group/wiring';
import type { TopicConfigValidator } from './zk-admin-manager';

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: number;
  readOnly: boolean;
  sensitive: boolean;
  /** Kafka's ConfigType id (1 BOOLEAN, 2 STRING, 3 INT, 4 SHORT, 5 LONG, 6 DOUBLE, 7 LIST, 9 PASSWORD); 0 unknown */
  type: number;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

export interface BrokerServices {
  logManager: LogManager;
  replicaManager: ReplicaManager;
  /** The group coordinator and its request handlers. */
  groupCoordinator: GroupCoordinatorService;
  /** Dynamic configs: change notifications, AlterConfigs, replication throttles (getThrottle). */
  configManager: ConfigManager;
  /** CreatePartitions' validation, placement and /brokers/topics/<t> update. */
  partitionAdmin: PartitionAdmin;
  validateTopicConfigs: TopicConfigValidator;
  /** A topic's configs as LogConfig resolves them with these overrides. */
  describeTopicConfigs(overrides: Record<string, string>): ConfigEntry[];
  /** Reads the topic's overrides from ZooKeeper; null when the topic does not exist. */
  topicConfigs(topic: string): Promise<ConfigEntry[] | null>;
  brokerConfigs(): ConfigEntry[];
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createBrokerServices(
  config: KafkaConfig,
  brokerId: number,
  clusterId: string,
  cache: MetadataCache,
  zk: KafkaZkClient,
): Promise<BrokerServices> {
  const logManager = LogManager.startup({
    settings: LogManagerConfig.fromProperties(config.props),
    brokerId,
    clusterId,
    defaultConfig: LogConfig.fromProperties(config.props),
  });
  const replicaManager = new ReplicaManager(config, brokerId, cache, zk, logManager);
  const configManager = new ConfigManager({ brokerId, config, zk, cache, logManager, replicaManager });
  replicaManager.setFollowerQuota(configManager.quotas.follower);
  const describeTopicConfigs = (overrides: Record<string, string>): ConfigEntry[] =>
    configManager.describeTopic(overrides);
  const groupCoordinator = createGroupCoordinator({ brokerId, config, cache, replicaManager, zk });
  return {
    logManager,
    replicaManager,
    groupCoordinator,
    configManager,
    partitionAdmin: new PartitionAdmin(zk),
    validateTopicConfigs: (configs) => validateTopicOverrides(configs),
    describeTopicConfigs,
    async topicConfigs(topic) {
      if (!cache.getTopic(topic) && !(await zk.topicExists(topic))) return null;
      return describeTopicConfigs(await zk.getEntityConfig('topics', topic));
    },
    brokerConfigs: () => configManager.describeBroker(true),
    async startup() {
      await replicaManager.startup();
      await configManager.startup();
      await groupCoordinator.startup();
    },
    async shutdown() {
      await configManager.shutdown();
      await groupCoordinator.shutdown();
      await replicaManager.shutdown();
      logManager.shutdown();
    },
  };
}
