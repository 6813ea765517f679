// The broker's data-plane services beside the network and ZooKeeper layers: the log manager
// and the replica manager that owns partitions, plus the config views (topic configs as
// LogConfig resolves them, broker configs) that DescribeConfigs and CreateTopics report.

import { MetadataCache } from '../cluster/metadata-cache';
import { LogConfig, LogManagerConfig, validateTopicOverrides } from '../log/log-config';
import { LogManager } from '../log/log-manager';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { CONFIG_KEYS, KafkaConfig } from './kafka-config';
import { ReplicaManager } from './replica-manager';
import { createGroupCoordinator, GroupCoordinatorService } from '../coordinator/group/wiring';
import type { TopicConfigValidator } from './zk-admin-manager';

/** DescribeConfigs sources (Kafka's ConfigSource ids). */
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

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

const KIND_TYPE: Record<string, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  password: 9,
};
const SOURCE_ID = {
  topic: ConfigSource.DYNAMIC_TOPIC_CONFIG,
  broker: ConfigSource.STATIC_BROKER_CONFIG,
  default: ConfigSource.DEFAULT_CONFIG,
};

export interface BrokerServices {
  logManager: LogManager;
  replicaManager: ReplicaManager;
  /** The group coordinator and its request handlers. */
  groupCoordinator: GroupCoordinatorService;
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
  const describeTopicConfigs = (overrides: Record<string, string>): ConfigEntry[] => {
    const lc = LogConfig.fromProperties(config.props, overrides);
    return lc
      .entries()
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([name, value]) => {
        const source = SOURCE_ID[lc.source(name) ?? 'default'];
        const synonyms = [{ name, value, source }];
        return { name, value, source, readOnly: false, sensitive: false, type: 0, synonyms };
      });
  };
  const logManager = LogManager.startup({
    settings: LogManagerConfig.fromProperties(config.props),
    brokerId,
    clusterId,
    defaultConfig: LogConfig.fromProperties(config.props),
  });
  const replicaManager = new ReplicaManager(config, brokerId, cache, zk, logManager);
  const groupCoordinator = createGroupCoordinator({ brokerId, config, cache, replicaManager, zk });
  return {
    logManager,
    replicaManager,
    groupCoordinator,
    validateTopicConfigs: (configs) => validateTopicOverrides(configs),
    describeTopicConfigs,
    async topicConfigs(topic) {
      if (!cache.getTopic(topic) && !(await zk.topicExists(topic))) return null;
      return describeTopicConfigs(await zk.getEntityConfig('topics', topic));
    },
    brokerConfigs() {
      return Object.entries(CONFIG_KEYS)
        .map(([name, def]) => {
          const set = config.props[name] !== undefined;
          const value = set ? config.props[name] : (def.dflt ?? null);
          const source = set ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
          return {
            name,
            value,
            source,
            readOnly: true,
            sensitive: def.kind === 'password',
            type: KIND_TYPE[def.kind] ?? 0,
            synonyms: [{ name, value, source }],
          };
        })
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    async startup() {
      await replicaManager.startup();
      await groupCoordinator.startup();
    },
    async shutdown() {
      await groupCoordinator.shutdown();
      await replicaManager.shutdown();
      logManager.shutdown();
    },
  };
}
