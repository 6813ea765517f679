// Kafka's ZooKeeper layout in one place: every path and the exact JSON written to it
// (Kafka's ZkData.scala; ../shared/reference/zookeeper-layout.md). Jackson writes compact JSON,
// and so does JSON.stringify; some values are deliberately strings (timestamp, cluster version).

export const ZkPaths = {
  clusterId: '/cluster/id',
  brokerIds: '/brokers/ids',
  brokerId: (id: number) => `/brokers/ids/${id}`,
  brokerSeqId: '/brokers/seqid',
  topics: '/brokers/topics',
  topic: (t: string) => `/brokers/topics/${t}`,
  topicPartitions: (t: string) => `/brokers/topics/${t}/partitions`,
  topicPartition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  partitionState: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  deleteTopics: '/admin/delete_topics',
  deleteTopic: (t: string) => `/admin/delete_topics/${t}`,
  reassignPartitions: '/admin/reassign_partitions',
  preferredReplicaElection: '/admin/preferred_replica_election',
  config: (entityType: string, name: string) => `/config/${entityType}/${name}`,
  topicConfig: (t: string) => `/config/topics/${t}`,
  configChanges: '/config/changes',
  isrChangeNotification: '/isr_change_notification',
  logDirEventNotification: '/log_dir_event_notification',
  feature: '/feature',
  latestProducerIdBlock: '/latest_producer_id_block',
  consumers: '/consumers',
} as const;

/** Created (persistent, empty) by every broker at start-up, as KafkaZkClient.createTopLevelPaths. */
export const PERSISTENT_ZK_PATHS = [
  '/consumers',
  '/brokers/ids',
  '/brokers/topics',
  '/brokers/seqid',
  '/config/changes',
  '/admin/delete_topics',
  '/isr_change_notification',
  '/latest_producer_id_block',
  '/log_dir_event_notification',
  '/config/topics',
  '/config/clients',
  '/config/users',
  '/config/brokers',
  '/config/ips',
];

const enc = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8');

function parse(data: Buffer, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Invalid JSON in ${what}: ${(e as Error).message}`, { cause: e });
  }
}

// ---- /cluster/id -------------------------------------------------------------------------

export const ClusterIdZNode = {
  encode: (id: string) => enc({ version: '1', id }),
  decode: (data: Buffer): string => String(parse(data, '/cluster/id').id),
};

// ---- /brokers/ids/<id> -------------------------------------------------------------------

export interface BrokerEndpoint {
  listenerName: string;
  securityProtocol: string;
  host: string;
  port: number;
}

export interface BrokerRegistration {
  id: number;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  jmxPort: number;
  timestamp: string;
  features: Record<string, { min_version: number; max_version: number }>;
  /** czxid of the registration znode: the broker epoch. */
  epoch?: number;
}

export const BrokerIdZNode = {
  /** Version 5 (IBP >= 2.7-IV0), as KafkaServer writes it. */
  encode(b: BrokerRegistration): Buffer {
    const plain = b.endpoints.find((e) => e.securityProtocol === 'PLAINTEXT');
    const o: Record<string, unknown> = {
      features: b.features,
      listener_security_protocol_map: Object.fromEntries(
        b.endpoints.map((e) => [e.listenerName, e.securityProtocol]),
      ),
      endpoints: b.endpoints.map((e) => `${e.listenerName}://${formatHost(e.host)}:${e.port}`),
      jmx_port: b.jmxPort,
      port: plain ? plain.port : -1,
      host: plain ? plain.host : null,
      version: 5,
      timestamp: b.timestamp,
    };
    if (b.rack !== null) o.rack = b.rack;
    return enc(o);
  },
  decode(id: number, data: Buffer): BrokerRegistration {
    const o = parse(data, `/brokers/ids/${id}`);
    const version = Number(o.version);
    let endpoints: BrokerEndpoint[];
    if (version === 1 || !Array.isArray(o.endpoints)) {
      endpoints = [
        {
          listenerName: 'PLAINTEXT',
          securityProtocol: 'PLAINTEXT',
          host: String(o.host),
          port: Number(o.port),
        },
      ];
    } else {
      const map = (o.listener_security_protocol_map ?? {}) as Record<string, string>;
      endpoints = (o.endpoints as string[]).map((s) => {
        const m = /^([^:]+):\/\/(\[[^\]]+\]|[^:]*):(\d+)$/.exec(s);
        if (!m) throw new Error(`Invalid endpoint ${s} in /brokers/ids/${id}`);
        const listenerName = m[1];
        return {
          listenerName,
          securityProtocol: map[listenerName] ?? listenerName,
          host: m[2].replace(/^\[|\]$/g, ''),
          port: Number(m[3]),
        };
      });
    }
    return {
      id,
      endpoints,
      rack: typeof o.rack === 'string' ? o.rack : null,
      jmxPort: o.jmx_port === undefined ? -1 : Number(o.jmx_port),
      timestamp: String(o.timestamp ?? ''),
      features: (o.features ?? {}) as BrokerRegistration['features'],
    };
  },
};

function formatHost(h: string): string {
  return h.includes(':') ? `[${h}]` : h;
}

// ---- /controller, /controller_epoch --------------------------------------------------------

export const ControllerZNode = {
  encode: (brokerId: number, timestamp = Date.now()) =>
    enc({ version: 2, brokerid: brokerId, timestamp: String(timestamp), kraftControllerEpoch: -1 }),
  decode: (data: Buffer): number => {
    const o = parse(data, '/controller');
    return o.brokerid === undefined ? -1 : Number(o.brokerid);
  },
};

export const ControllerEpochZNode = {
  encode: (epoch: number) => Buffer.from(String(epoch)),
  decode: (data: Buffer) => Number(data.toString('utf8')),
};

// ---- /brokers/topics/<t> -----------------------------------------------------------------

export interface TopicAssignment {
  /** partition -> ordered replica list (first = preferred leader) */
  partitions: Map<number, number[]>;
  addingReplicas: Map<number, number[]>;
  removingReplicas: Map<number, number[]>;
  topicId: string | null;
}

const mapToObj = (m: Map<number, number[]>) =>
  Object.fromEntries([...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]));

const objToMap = (o: unknown): Map<number, number[]> =>
  new Map(Object.entries((o ?? {}) as Record<string, number[]>).map(([k, v]) => [Number(k), v.map(Number)]));

export const TopicZNode = {
  /** Version 3, as 3.x always writes. */
  encode(a: TopicAssignment): Buffer {
    const o: Record<string, unknown> = {
      partitions: mapToObj(a.partitions),
      topic_id: a.topicId ?? undefined,
      adding_replicas: mapToObj(new Map([...a.addingReplicas].filter(([, r]) => r.length > 0))),
      removing_replicas: mapToObj(new Map([...a.removingReplicas].filter(([, r]) => r.length > 0))),
      version: 3,
    };
    if (a.topicId === null) delete o.topic_id;
    return enc(o);
  },
  decode(topic: string, data: Buffer): TopicAssignment {
    const o = parse(data, `/brokers/topics/${topic}`);
    return {
      partitions: objToMap(o.partitions),
      addingReplicas: objToMap(o.adding_replicas),
      removingReplicas: objToMap(o.removing_replicas),
      topicId: typeof o.topic_id === 'string' ? o.topic_id : null,
    };
  },
};

// ---- /brokers/topics/<t>/partitions/<p>/state --------------------------------------------

export interface LeaderIsrAndControllerEpoch {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  controllerEpoch: number;
  /** 0 RECOVERED (field absent), 1 RECOVERING */
  leaderRecoveryState: number;
  /** zkVersion of the state znode: the partition epoch */
  partitionEpoch: number;
}

export const TopicPartitionStateZNode = {
  encode(s: Omit<LeaderIsrAndControllerEpoch, 'partitionEpoch'>): Buffer {
    const o: Record<string, unknown> = {
      controller_epoch: s.controllerEpoch,
      leader: s.leader,
      version: 1,
      leader_epoch: s.leaderEpoch,
      isr: s.isr,
    };
    if (s.leaderRecoveryState !== 0) o.leader_recovery_state = s.leaderRecoveryState;
    return enc(o);
  },
  decode(path: string, data: Buffer, zkVersion: number): LeaderIsrAndControllerEpoch {
    const o = parse(data, path);
    return {
      leader: Number(o.leader),
      leaderEpoch: Number(o.leader_epoch),
      isr: ((o.isr ?? []) as number[]).map(Number),
      controllerEpoch: Number(o.controller_epoch),
      leaderRecoveryState: o.leader_recovery_state === undefined ? 0 : Number(o.leader_recovery_state),
      partitionEpoch: zkVersion,
    };
  },
};

// ---- /config/<type>/<name>, /config/changes ------------------------------------------------

export const ConfigEntityZNode = {
  encode: (config: Record<string, string>) => enc({ version: 1, config }),
  decode(data: Buffer | null): Record<string, string> {
    if (!data || data.length === 0) return {};
    const o = parse(data, 'config entity');
    const c = (o.config ?? {}) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v)]));
  },
};

export const ConfigChangeNotification = {
  prefix: 'config_change_',
  encode: (entityPath: string) => enc({ version: 2, entity_path: entityPath }),
};

// ---- /feature ------------------------------------------------------------------------------

export const FeatureZNode = {
  encode: () => enc({ version: 2, status: 1, features: {} }),
};
