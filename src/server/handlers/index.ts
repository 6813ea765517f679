// Every API this broker serves, registered with the dispatcher. ApiVersions advertises
// exactly this set.

import { MetadataCache } from '../../cluster/metadata-cache';
import { KafkaController } from '../../controller/kafka-controller';
import { ErrorCode } from '../../protocol/errors';
import { BrokerServices } from '../broker-services';
import { KafkaApis } from '../kafka-apis';
import { KafkaConfig } from '../kafka-config';
import { ZkAdminManager } from '../zk-admin-manager';
import { apiVersionsHandler } from './api-versions';
import { createTopicsHandler } from './create-topics';
import { deleteTopicsHandler } from './delete-topics';
import { describeConfigsHandler } from './describe-configs';
import { deleteRecordsHandler } from './delete-records';
import { fetchHandler } from './fetch';
import { listOffsetsHandler } from './list-offsets';
import { produceHandler } from './produce';
import { metadataHandler } from './metadata';
import { alterPartitionHandler } from './alter-partition';
import { controlledShutdownHandler } from './controlled-shutdown';
import { electLeadersHandler } from './elect-leaders';
import { updateMetadataHandler } from './update-metadata';
import { leaderAndIsrHandler } from './leader-and-isr';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch';
import { stopReplicaHandler } from './stop-replica';
import { withClusterDefaultBrokerResource } from '../config-manager';
import { alterConfigsHandler } from './alter-configs';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs';
import { createPartitionsHandler } from './create-partitions';
import { describeClusterHandler } from './describe-cluster';
import { describeLogDirsHandler } from './describe-log-dirs';
import { alterReplicaLogDirsHandler } from './alter-replica-log-dirs';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments';
import { KafkaZkClient } from '../../zk/kafka-zk-client';
import { ProducerIdManager } from '../producer-id-manager';
import { DEFAULT_TRANSACTION_MAX_TIMEOUT_MS, initProducerIdHandler } from './init-producer-id';

export interface HandlerDeps {
  brokerId: number;
  config: KafkaConfig;
  cache: MetadataCache;
  admin: ZkAdminManager;
  controller: KafkaController;
  services: BrokerServices;
  /** Our registration's czxid, checked against controller requests. */
  brokerEpoch: () => number;
  /** The broker's ZooKeeper client (producer id blocks); InitProducerId is served only with it. */
  zk?: KafkaZkClient;
}

export function registerHandlers(apis: KafkaApis, d: HandlerDeps): void {
  const replicas = d.services.replicaManager;
  apis.register(apiVersionsHandler(() => apis.supportedApis()));
  apis.register(updateMetadataHandler(d.cache, d.brokerEpoch));
  apis.register(alterPartitionHandler(d.controller));
  apis.register(controlledShutdownHandler(d.controller));
  apis.register(electLeadersHandler(d.controller, d.cache));
  apis.register(produceHandler(d.cache, replicas));
  apis.register(fetchHandler(d.cache, replicas, d.services.configManager.quotas.leader));
  apis.register(listOffsetsHandler(d.cache, replicas));
  apis.register(deleteRecordsHandler(d.cache, replicas));
  replicas.setBrokerEpochSupplier(d.brokerEpoch);
  apis.register(leaderAndIsrHandler(replicas, d.brokerEpoch));
  apis.register(stopReplicaHandler(replicas, d.brokerEpoch));
  apis.register(offsetForLeaderEpochHandler(d.cache, replicas));
  apis.register(
    metadataHandler(d.config, d.cache, {
      async createTopicWithDefaults(name) {
        // Internal topics are created with their own settings, as Kafka's AutoTopicCreationManager does.
        if (name === '__consumer_offsets') {
          d.services.groupCoordinator.createOffsetsTopic();
          return ErrorCode.NONE;
        }
        const r = await d.admin.createTopic(
          { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] },
          false,
        );
        return r.errorCode === ErrorCode.NONE ? ErrorCode.NONE : r.errorCode;
      },
    }),
  );
  apis.register(
    createTopicsHandler(d.admin, d.controller, d.cache, (o) => d.services.describeTopicConfigs(o)),
  );
  apis.register(deleteTopicsHandler(d.config, d.admin, d.controller, d.cache));
  for (const h of d.services.groupCoordinator.handlers) apis.register(h);
  apis.register(
    withClusterDefaultBrokerResource(
      describeConfigsHandler({
        brokerId: d.brokerId,
        topicConfigs: (t) => d.services.topicConfigs(t),
        brokerConfigs: () => d.services.brokerConfigs(),
      }),
      d.services.configManager,
    ),
  );
  const cm = d.services.configManager;
  apis.register(alterConfigsHandler(d.brokerId, cm));
  apis.register(incrementalAlterConfigsHandler(d.brokerId, cm));
  apis.register(
    createPartitionsHandler(d.controller, d.services.partitionAdmin, d.cache, (p, t) =>
      d.admin.waitForMetadata(p, t),
    ),
  );
  apis.register(describeClusterHandler(d.cache));
  apis.register(describeLogDirsHandler(d.services.logManager, replicas));
  apis.register(alterReplicaLogDirsHandler(replicas, d.services.configManager.quotas.alterLogDirs));
  apis.register(alterPartitionReassignmentsHandler(d.controller));
  apis.register(listPartitionReassignmentsHandler(d.controller));
  if (d.zk)
    apis.register(
      initProducerIdHandler(
        new ProducerIdManager(d.brokerId, d.zk.zk),
        Number(d.config.str('transaction.max.timeout.ms') ?? DEFAULT_TRANSACTION_MAX_TIMEOUT_MS),
      ),
    );
}
