// The broker's data-plane services beside the network and ZooKeeper layers: the log manager
// and the replica manager that owns partitions, plus the topic-config rules they define.
// Kept behind one interface so KafkaServer and the handlers see a single object.

import { MetadataCache } from '../cluster/metadata-cache';
import { KafkaZkClient } from '../zk/kafka-zk-client';
import { KafkaConfig } from './kafka-config';
import type { TopicConfigValidator } from './zk-admin-manager';

export interface BrokerServices {
  validateTopicConfigs: TopicConfigValidator;
  /** Topic configs as CreateTopics v5+ reports them: name, value, source (5 default, 4 static broker, 1 topic). */
  describeTopicConfigs(
    topic: string,
    overrides: Record<string, string>,
  ): Array<{ name: string; value: string | null; source: number }>;
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createBrokerServices(
  _config: KafkaConfig,
  _brokerId: number,
  _clusterId: string,
  _cache: MetadataCache,
  _zk: KafkaZkClient,
): Promise<BrokerServices> {
  return {
    validateTopicConfigs: () => undefined,
    describeTopicConfigs: (_t, overrides) =>
      Object.entries(overrides).map(([name, value]) => ({ name, value, source: 1 })),
    startup: async () => undefined,
    shutdown: async () => undefined,
  };
}
