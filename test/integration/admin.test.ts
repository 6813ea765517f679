// Admin APIs and tools against a real three-broker cluster: AlterConfigs / IncrementalAlterConfigs
// with propagation to the other brokers, `samsa configs`, CreatePartitions through `samsa topics
// --alter`, DescribeCluster, DescribeLogDirs, and `samsa reassign-partitions`' rejections
// (nothing changes in ZooKeeper). Data-moving reassignments are covered with the controller's
// reassignment support.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KafkaConnection } from '../../src/client/network-client';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { AlterConfigsResponse } from '../../src/protocol/messages/generated/AlterConfigsResponse';
import type { CreatePartitionsResponse } from '../../src/protocol/messages/generated/CreatePartitionsResponse';
import type { DescribeClusterResponse } from '../../src/protocol/messages/generated/DescribeClusterResponse';
import type { DescribeConfigsResponse } from '../../src/protocol/messages/generated/DescribeConfigsResponse';
import type { DescribeLogDirsResponse } from '../../src/protocol/messages/generated/DescribeLogDirsResponse';
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/messages/generated/IncrementalAlterConfigsResponse';
import type { ListPartitionReassignmentsResponse } from '../../src/protocol/messages/generated/ListPartitionReassignmentsResponse';
import { Cluster, connectZk, runKcat, runSamsa, startCluster, stopAll, waitFor, ZkClient } from '../harness';

jest.setTimeout(180_000);

let cluster: Cluster;
let zk: ZkClient;
const conns: KafkaConnection[] = [];
let tmp: string;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3 });
  zk = await connectZk(cluster.zk.connectString);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-admin-test-'));
});

afterAll(async () => {
  for (const c of conns) c.close();
  await zk?.close();
  await stopAll();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function connect(brokerId: number): Promise<KafkaConnection> {
  const b = cluster.brokers[brokerId];
  const c = new KafkaConnection(b.host, b.port, 'admin-test');
  await c.connect();
  conns.push(c);
  return c;
}

async function controllerId(): Promise<number> {
  const data = await zk.getData('/controller');
  return JSON.parse(String(data)).brokerid as number;
}

async function createTopic(name: string, partitions: number, rf: number): Promise<void> {
  const r = await runSamsa([
    'topics',
    '--bootstrap-server',
    cluster.bootstrap,
    '--create',
    '--topic',
    name,
    '--partitions',
    String(partitions),
    '--replication-factor',
    String(rf),
  ]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}

async function describeConfigs(
  conn: KafkaConnection,
  resourceType: number,
  resourceName: string,
): Promise<DescribeConfigsResponse['results'][number]> {
  const r = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
    resources: [{ resourceType, resourceName, configurationKeys: null }],
    includeSynonyms: true,
    includeDocumentation: false,
  });
  return r.results[0];
}

const entry = (res: DescribeConfigsResponse['results'][number], name: string) =>
  res.configs.find((c) => c.name === name);

async function incremental(
  conn: KafkaConnection,
  resourceType: number,
  resourceName: string,
  configs: Array<{ name: string; configOperation: number; value: string | null }>,
  validateOnly = false,
) {
  const r = await conn.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, {
    resources: [{ resourceType, resourceName, configs }],
    validateOnly,
  });
  return r.responses[0];
}

async function zkJson(p: string): Promise<Record<string, unknown> | null> {
  const d = await zk.getData(p);
  return d === null ? null : (JSON.parse(String(d)) as Record<string, unknown>);
}

describe('AlterConfigs and IncrementalAlterConfigs', () => {
  beforeAll(() => createTopic('cfg', 2, 2));

  test('a topic config set on one broker is visible from another, with its source and synonyms', async () => {
    const b0 = await connect(0);
    const b2 = await connect(2);
    const r = await incremental(b0, 2, 'cfg', [
      { name: 'retention.ms', configOperation: 0, value: '123456890' },
      { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
    ]);
    expect(r).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'cfg' });
    expect(await zkJson('/config/topics/cfg')).toEqual({
      version: 1,
      config: { 'retention.ms': '123456890', 'cleanup.policy': 'delete,compact' },
    });
    const described = await describeConfigs(b2, 2, 'cfg');
    expect(entry(described, 'retention.ms')).toMatchObject({
      value: '123456890',
      configSource: 1,
      synonyms: [{ name: 'retention.ms', value: '123456890', source: 1 }],
    });
    expect(entry(described, 'cleanup.policy')).toMatchObject({
      value: 'delete,compact',
      configSource: 1,
      synonyms: [
        { name: 'cleanup.policy', value: 'delete,compact', source: 1 },
        { name: 'log.cleanup.policy', value: 'delete', source: 5 },
      ],
    });
    // Every broker hears about it under /config/changes.
    const changes = (await zk.getChildren('/config/changes')).filter((c) => c.startsWith('config_change_'));
    const last = changes.sort().at(-1)!;
    expect(await zkJson(`/config/changes/${last}`)).toEqual({ version: 2, entity_path: 'topics/cfg' });
  });

  test('AlterConfigs replaces the whole set; validateOnly changes nothing', async () => {
    const b1 = await connect(1);
    const alter = (configs: Array<{ name: string; value: string | null }>, validateOnly: boolean) =>
      b1.request<AlterConfigsResponse>(ApiKey.AlterConfigs, {
        resources: [{ resourceType: 2, resourceName: 'cfg', configs }],
        validateOnly,
      });
    expect((await alter([{ name: 'segment.bytes', value: '1048576' }], true)).responses[0].errorCode).toBe(0);
    expect((await zkJson('/config/topics/cfg'))!.config).toEqual({
      'retention.ms': '123456890',
      'cleanup.policy': 'delete,compact',
    });
    expect((await alter([{ name: 'segment.bytes', value: '1048576' }], false)).responses[0].errorCode).toBe(
      0,
    );
    expect((await zkJson('/config/topics/cfg'))!.config).toEqual({ 'segment.bytes': '1048576' });
    const b0 = await connect(0);
    const d = await describeConfigs(b0, 2, 'cfg');
    expect(entry(d, 'retention.ms')).toMatchObject({ value: '604800000', configSource: 5 });
    expect(entry(d, 'segment.bytes')).toMatchObject({ value: '1048576', configSource: 1 });
  });

  test('Kafka’s errors for unknown topics, unknown names, bad values and static broker configs', async () => {
    const b0 = await connect(0);
    expect(
      await incremental(b0, 2, 'no-such-topic', [{ name: 'retention.ms', configOperation: 0, value: '1' }]),
    ).toMatchObject({
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      errorMessage: "The topic 'no-such-topic' does not exist.",
    });
    expect(
      await incremental(b0, 2, 'cfg', [{ name: 'retention.hours', configOperation: 0, value: '1' }]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: 'Unknown topic config name: retention.hours',
    });
    expect(
      await incremental(b0, 2, 'cfg', [{ name: 'retention.ms', configOperation: 0, value: 'soon' }]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage:
        "Invalid config value for resource ConfigResource(type=TOPIC, name='cfg'): Invalid value soon for configuration retention.ms: Not a number of type LONG",
    });
    expect(
      await incremental(b0, 2, 'cfg', [{ name: 'retention.ms', configOperation: 2, value: '1' }]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Config value append is not allowed for config key: retention.ms',
    });
    expect(
      await incremental(b0, 4, '0', [{ name: 'log.dirs', configOperation: 0, value: '/tmp/x' }]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage:
        "Invalid config value for resource ConfigResource(type=BROKER, name='0'): Cannot update these configs dynamically: Set(log.dirs)",
    });
    expect(
      await incremental(b0, 4, '1', [
        { name: 'leader.replication.throttled.rate', configOperation: 0, value: '1' },
      ]),
    ).toMatchObject({
      errorCode: ErrorCode.INVALID_REQUEST,
      errorMessage: 'Unexpected broker id, expected 0, but received 1',
    });
    expect((await zkJson('/config/topics/cfg'))!.config).toEqual({ 'segment.bytes': '1048576' });
  });

  test('per-broker and cluster-default broker configs, propagated to every broker', async () => {
    const b1 = await connect(1);
    expect(
      await incremental(b1, 4, '1', [
        { name: 'leader.replication.throttled.rate', configOperation: 0, value: '1048576' },
        { name: 'follower.replication.throttled.rate', configOperation: 0, value: '1048576' },
      ]),
    ).toMatchObject({ errorCode: 0 });
    expect(await zkJson('/config/brokers/1')).toEqual({
      version: 1,
      config: {
        'leader.replication.throttled.rate': '1048576',
        'follower.replication.throttled.rate': '1048576',
      },
    });
    expect(entry(await describeConfigs(b1, 4, '1'), 'leader.replication.throttled.rate')).toMatchObject({
      value: '1048576',
      configSource: 2,
      readOnly: false,
    });

    // A cluster-wide log default set through broker 0 changes the topic defaults broker 2 reports.
    const b0 = await connect(0);
    expect(
      await incremental(b0, 4, '', [{ name: 'log.retention.ms', configOperation: 0, value: '86400000' }]),
    ).toMatchObject({
      errorCode: 0,
    });
    expect(await zkJson('/config/brokers/<default>')).toEqual({
      version: 1,
      config: { 'log.retention.ms': '86400000' },
    });
    const b2 = await connect(2);
    await waitFor(
      async () => entry(await describeConfigs(b2, 2, 'cfg'), 'retention.ms')?.value === '86400000',
      { message: 'broker 2 to apply the cluster default', timeoutMs: 15_000 },
    );
    expect(entry(await describeConfigs(b2, 2, 'cfg'), 'retention.ms')).toMatchObject({
      configSource: 3,
      // Kafka lists every synonym from the primary name on: the hours default stays.
      synonyms: [
        { name: 'log.retention.ms', value: '86400000', source: 3 },
        { name: 'log.retention.hours', value: '168', source: 5 },
      ],
    });
    const dflt = await describeConfigs(b2, 4, '');
    expect(dflt.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ['log.retention.ms', '86400000', 3],
    ]);
    expect(
      await incremental(b0, 4, '', [{ name: 'log.retention.ms', configOperation: 1, value: null }]),
    ).toMatchObject({
      errorCode: 0,
    });
    await waitFor(
      async () => entry(await describeConfigs(b2, 2, 'cfg'), 'retention.ms')?.value === '604800000',
      { message: 'broker 2 to drop the cluster default', timeoutMs: 15_000 },
    );
  });
});

describe('samsa configs', () => {
  const configs = (...args: string[]) =>
    runSamsa(['configs', '--bootstrap-server', cluster.bootstrap, ...args]);

  beforeAll(() => createTopic('cfgcli', 1, 1));

  test('--alter --add-config / --describe / --delete-config on a topic', async () => {
    let r = await configs(
      '--entity-type',
      'topics',
      '--entity-name',
      'cfgcli',
      '--alter',
      '--add-config',
      'min.insync.replicas=2,retention.ms=86400000,leader.replication.throttled.replicas=[0:1,0:2]',
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Completed updating config for topic cfgcli.\n');
    r = await configs('--entity-type', 'topics', '--entity-name', 'cfgcli', '--describe');
    expect(r.stdout).toBe(
      [
        'Dynamic configs for topic cfgcli are:',
        '  leader.replication.throttled.replicas=0:1,0:2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:leader.replication.throttled.replicas=0:1,0:2}',
        '  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}',
        '  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}',
        '',
      ].join('\n'),
    );
    r = await configs('--topic', 'cfgcli', '--alter', '--delete-config', 'min.insync.replicas,retention.ms');
    expect(r.stdout).toBe('Completed updating config for topic cfgcli.\n');
    r = await configs('--topic', 'cfgcli', '--describe', '--all');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('All configs for topic cfgcli are:');
    expect(lines).toContain(
      '  min.insync.replicas=1 sensitive=false synonyms={DEFAULT_CONFIG:min.insync.replicas=1}',
    );
    expect(lines).toContain(
      '  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}',
    );
    expect(lines.slice(1)).toEqual([...lines.slice(1)].sort());
  });

  test('brokers: per broker and the cluster default', async () => {
    let r = await configs(
      '--entity-type',
      'brokers',
      '--entity-name',
      '2',
      '--alter',
      '--add-config',
      'log.cleaner.backoff.ms=20000',
    );
    expect(r.stdout).toBe('Completed updating config for broker 2.\n');
    r = await configs('--entity-type', 'brokers', '--entity-name', '2', '--describe');
    expect(r.stdout).toBe(
      'Dynamic configs for broker 2 are:\n  log.cleaner.backoff.ms=20000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.backoff.ms=20000, DEFAULT_CONFIG:log.cleaner.backoff.ms=15000}\n',
    );
    r = await configs(
      '--entity-type',
      'brokers',
      '--entity-default',
      '--alter',
      '--add-config',
      'log.cleaner.backoff.ms=30000',
    );
    expect(r.stdout).toBe('Completed updating default config for brokers in the cluster.\n');
    r = await configs('--entity-type', 'brokers', '--entity-default', '--describe');
    expect(r.stdout).toBe(
      'Default configs for brokers in the cluster are:\n  log.cleaner.backoff.ms=30000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=30000}\n',
    );
    await waitFor(
      async () =>
        (await configs('--broker', '2', '--describe')).stdout.includes(
          'DYNAMIC_BROKER_CONFIG:log.cleaner.backoff.ms=20000, DYNAMIC_DEFAULT_BROKER_CONFIG:log.cleaner.backoff.ms=30000, DEFAULT_CONFIG',
        ),
      { message: 'broker 2 to see the default', timeoutMs: 15_000 },
    );
  });

  test('Kafka’s errors', async () => {
    let r = await configs('--topic', 'cfgcli', '--alter', '--delete-config', 'not.set');
    expect([r.code, r.stdout, r.stderr]).toEqual([1, '', 'Invalid config(s): not.set\n']);
    r = await configs('--topic', 'cfgcli', '--describe', '--alter');
    expect([r.code, r.stderr]).toEqual([1, 'Command must include exactly one action: --describe, --alter\n']);
    r = await configs('--entity-type', 'brokers', '--entity-name', 'x', '--describe');
    expect(r.stderr).toBe('The entity name for brokers must be a valid integer broker id, but it is: x\n');
    // DescribeConfigs answers an unknown topic with the error code alone: the client's default text.
    r = await configs('--topic', 'no-such-topic', '--describe');
    expect([r.code, r.stdout, r.stderr.split('\n').slice(0, 2)]).toEqual([
      1,
      'Dynamic configs for topic no-such-topic are:\n',
      [
        `Error while executing config command with args '--bootstrap-server ${cluster.bootstrap} --topic no-such-topic --describe'`,
        'java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.',
      ],
    ]);
    r = await configs('--topic', 'cfgcli', '--alter', '--add-config', 'retention.ms=soon');
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([
      `Error while executing config command with args '--bootstrap-server ${cluster.bootstrap} --topic cfgcli --alter --add-config retention.ms=soon'`,
      "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Invalid config value for resource ConfigResource(type=TOPIC, name='cfgcli'): Invalid value soon for configuration retention.ms: Not a number of type LONG",
    ]);
  });
});

describe('CreatePartitions (samsa topics --alter --partitions)', () => {
  beforeAll(() => createTopic('grow', 2, 2));

  test('grows the topic; kcat sees the new partitions with leaders', async () => {
    const r = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--alter',
      '--topic',
      'grow',
      '--partitions',
      '5',
    ]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '', '']);
    const assignment = (await zkJson('/brokers/topics/grow'))!.partitions as Record<string, number[]>;
    expect(Object.keys(assignment).sort()).toEqual(['0', '1', '2', '3', '4']);
    for (const replicas of Object.values(assignment)) expect(new Set(replicas).size).toBe(2);
    await waitFor(
      async () => {
        const k = await runKcat(['-b', cluster.brokers[2].bootstrap, '-L', '-t', 'grow', '-J']);
        const md = JSON.parse(k.stdout) as { topics: Array<{ partitions: Array<{ leader: number }> }> };
        return md.topics[0].partitions.length === 5 && md.topics[0].partitions.every((p) => p.leader >= 0);
      },
      { message: 'kcat to see 5 partitions with leaders', timeoutMs: 20_000 },
    );
    const describe = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--describe',
      '--topic',
      'grow',
    ]);
    expect(describe.stdout.split('\n')[0]).toMatch(/\tPartitionCount: 5\tReplicationFactor: 2\t/);
  });

  test('manual assignment of the new partitions; Kafka’s errors', async () => {
    let r = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--alter',
      '--topic',
      'grow',
      '--partitions',
      '6',
      '--replica-assignment',
      '0:1,1:2,2:0,0:1,1:2,2:0',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(((await zkJson('/brokers/topics/grow'))!.partitions as Record<string, number[]>)['5']).toEqual([
      2, 0,
    ]);
    r = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--alter',
      '--topic',
      'grow',
      '--partitions',
      '3',
    ]);
    expect([r.code, r.stderr]).toEqual([
      1,
      'Error while executing topic command : Topic currently has 6 partitions, which is higher than the requested 3.\n',
    ]);
    r = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--alter',
      '--topic',
      'grow',
      '--partitions',
      '7',
      '--replica-assignment',
      '0:1,1:2,2:0,0:1,1:2,2:0,0:9',
    ]);
    expect(r.stderr).toBe(
      'Error while executing topic command : Unknown broker(s) in replica assignment: 9.\n',
    );
    r = await runSamsa(['topics', '--bootstrap-server', cluster.bootstrap, '--alter', '--topic', 'grow']);
    expect(r.stderr).toBe('Missing required argument "[partitions]"\n');
  });

  test('only the controller serves it', async () => {
    const ctrl = await controllerId();
    const other = await connect((ctrl + 1) % 3);
    const r = await other.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: [{ name: 'grow', count: 10, assignments: null }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(r.results).toEqual([
      expect.objectContaining({ name: 'grow', errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null }),
    ]);
    const c = await connect(ctrl);
    const dup = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: [
        { name: 'grow', count: 10, assignments: null },
        { name: 'grow', count: 11, assignments: null },
        { name: 'nope', count: 2, assignments: null },
      ],
      timeoutMs: 0,
      validateOnly: true,
    });
    expect(dup.results.map((x) => [x.name, x.errorCode, x.errorMessage])).toEqual([
      ['grow', ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.'],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'nope' does not exist."],
    ]);
  });
});

describe('DescribeCluster and DescribeLogDirs', () => {
  test('DescribeCluster lists every broker and the controller', async () => {
    const b1 = await connect(1);
    const r = await b1.request<DescribeClusterResponse>(ApiKey.DescribeCluster, {
      includeClusterAuthorizedOperations: true,
      endpointType: 1,
    });
    expect(r.errorCode).toBe(0);
    expect(r.controllerId).toBe(await controllerId());
    expect(r.clusterId).toBe(JSON.parse(String(await zk.getData('/cluster/id'))).id);
    expect(r.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack])).toEqual(
      cluster.brokers.map((b) => [b.id, b.host, b.port, null]),
    );
    expect(r.clusterAuthorizedOperations).toBe(8096);
    const wrong = await b1.request<DescribeClusterResponse>(ApiKey.DescribeCluster, { endpointType: 2 });
    expect([wrong.errorCode, wrong.errorMessage]).toEqual([
      ErrorCode.MISMATCHED_ENDPOINT_TYPE,
      'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER',
    ]);
  });

  test('DescribeLogDirs sizes grow with produced data', async () => {
    await createTopic('sizes', 1, 1);
    const assignment = (await zkJson('/brokers/topics/sizes'))!.partitions as Record<string, number[]>;
    const owner = assignment['0'][0];
    const conn = await connect(owner);
    const size = async () => {
      const r = await conn.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, {
        topics: [{ topic: 'sizes', partitions: [0] }],
      });
      expect(r.results).toHaveLength(1);
      expect(r.results[0].logDir).toBe(path.resolve(cluster.brokers[owner].logDirs));
      expect(r.results[0].totalBytes).toBeGreaterThan(0n);
      const p = r.results[0].topics.find((t) => t.name === 'sizes')?.partitions[0];
      return p ? Number(p.partitionSize) : -1;
    };
    await waitFor(async () => (await size()) === 0, { message: 'the empty log', timeoutMs: 15_000 });
    const payload = Array.from({ length: 200 }, (_, i) => `record-${i}-${'x'.repeat(200)}`).join('\n') + '\n';
    const k = await runKcat(['-P', '-b', cluster.bootstrap, '-t', 'sizes', '-p', '0'], { input: payload });
    expect(k.code).toBe(0);
    await waitFor(async () => (await size()) > 200 * 200, { message: 'the log to grow', timeoutMs: 15_000 });
  });
});

describe('samsa reassign-partitions: rejected input changes nothing', () => {
  const reassign = (...args: string[]) => runSamsa(['reassign-partitions', ...args]);
  const file = (name: string, text: string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, text);
    return p;
  };
  let before: string;
  const snapshot = async () =>
    JSON.stringify([
      await zkJson('/brokers/topics/moves'),
      await zkJson('/config/topics/moves'),
      await zk.exists('/admin/reassign_partitions'),
      ...(await Promise.all([0, 1, 2].map((b) => zkJson(`/config/brokers/${b}`)))),
    ]);

  beforeAll(async () => {
    await createTopic('moves', 3, 2);
    before = await snapshot();
  });

  test.each([
    [
      'malformed JSON',
      '{"version":1,"partitions":[',
      /^Error: com\.fasterxml\.jackson\.core\.JsonParseException: /,
      null,
    ],
    [
      'an unknown topic',
      '{"partitions":[{"topic":"nope","partition":0,"replicas":[0,1]}]}',
      /^Error: org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: Topic nope not found\.$/,
      /^Error: The proposed assignment contains non-existent partitions: List\(nope-0\)$/,
    ],
    [
      'an unknown partition',
      '{"partitions":[{"topic":"moves","partition":9,"replicas":[0,1]}]}',
      /^Error: org\.apache\.kafka\.common\.errors\.UnknownTopicOrPartitionException: Unable to find partition: moves-9$/,
      /^Error: The proposed assignment contains non-existent partitions: List\(moves-9\)$/,
    ],
    [
      'a duplicate broker',
      '{"partitions":[{"topic":"moves","partition":0,"replicas":[0,0]}]}',
      /^Error: Partition replica lists may not contain duplicate entries: moves-0 contains multiple entries for 0$/,
      null,
    ],
    [
      'a dead broker',
      '{"partitions":[{"topic":"moves","partition":0,"replicas":[0,7]}]}',
      /^Error: Unknown broker id 7$/,
      /^Error: The proposed assignment contains non-existent brokerIDs: 7$/,
    ],
    [
      'a log_dirs/replicas size mismatch',
      '{"partitions":[{"topic":"moves","partition":0,"replicas":[0,1],"log_dirs":["any"]}]}',
      /^Error: Size of replicas list \[0, 1\] is different from size of log dirs list \[any\] for partition moves-0$/,
      null,
    ],
    [
      'an empty list',
      '{"version":1,"partitions":[]}',
      /^Error: Partition reassignment list cannot be empty$/,
      null,
    ],
  ] as Array<[string, string, RegExp, RegExp | null]>)(
    '--execute with %s',
    // Every row has four entries: jest passes `done` in place of a missing one.
    async (_what, json, expected, viaZk) => {
      const f = file('bad.json', json);
      // The --zookeeper path checks as the 2.x tool's verifyReplicasAndBrokersInAssignment did.
      for (const [via, want] of [
        [['--bootstrap-server', cluster.bootstrap], expected],
        [['--zookeeper', cluster.zk.connectString], viaZk ?? expected],
      ] as const) {
        const r = await reassign(...via, '--execute', '--reassignment-json-file', f, '--throttle', '1000');
        expect(r.code).toBe(1);
        const lines = r.stdout.trimEnd().split('\n');
        expect(lines.at(-1)).toMatch(want);
        expect(await snapshot()).toBe(before);
      }
    },
  );

  test('usage errors', async () => {
    let r = await reassign('--bootstrap-server', cluster.bootstrap, '--execute', '--verify');
    expect([r.code, r.stderr]).toEqual([
      1,
      'Command must include exactly one action: --generate, --execute, --verify, --cancel, --list\n',
    ]);
    r = await reassign('--bootstrap-server', cluster.bootstrap, '--list', '--throttle', '5');
    expect(r.stderr).toBe('Option "[throttle]" can\'t be used with action "[list]"\n');
    r = await reassign('--execute', '--reassignment-json-file', 'x');
    expect(r.stderr).toBe('Please specify --bootstrap-server\n');
    r = await reassign(
      '--zookeeper',
      cluster.zk.connectString,
      '--execute',
      '--reassignment-json-file',
      'x',
      '--additional',
    );
    expect([r.code, r.stderr]).toEqual([
      1,
      'You must specify --bootstrap-server when using "[additional]"\n',
    ]);
    r = await reassign(
      '--bootstrap-server',
      cluster.bootstrap,
      '--execute',
      '--broker-list',
      '1',
      '--topics-to-move-json-file',
      'x',
      '--reassignment-json-file',
      'x',
    );
    expect(r.stderr).toBe('Option "[broker-list]" can\'t be used with action "[execute]"\n');
    r = await reassign();
    expect([r.code, r.stderr]).toEqual([1, 'This tool helps to move topic partitions between replicas.\n']);
    expect(await snapshot()).toBe(before);
  });

  test('--generate prints the current and a proposed assignment (and --minimize-movement its move counts)', async () => {
    const topics = file('topics.json', '{"topics":[{"topic":"moves"}],"version":1}');
    const assignment = (await zkJson('/brokers/topics/moves'))!.partitions as Record<string, number[]>;
    const current = JSON.stringify({
      version: 1,
      partitions: [0, 1, 2].map((p) => ({
        topic: 'moves',
        partition: p,
        replicas: assignment[String(p)],
        log_dirs: ['any', 'any'],
      })),
    });
    for (const via of [
      ['--bootstrap-server', cluster.bootstrap],
      ['--zookeeper', cluster.zk.connectString],
      ['--bootstrap-server', cluster.bootstrap, '--zookeeper', cluster.zk.connectString],
    ]) {
      const r = await reassign(
        ...via,
        '--generate',
        '--topics-to-move-json-file',
        topics,
        '--broker-list',
        '0,1,2',
      );
      expect(r.code).toBe(0);
      // Both servers: the 2.x tool warned and used the Admin API.
      if (via.length === 4)
        expect(r.stdout.split('\n')[0]).toBe(
          'Warning: ignoring deprecated --zookeeper option because --bootstrap-server was specified.  The --zookeeper option will be removed in a future version of Kafka.',
        );
      const lines = r.stdout.split('\n').filter((l) => !l.startsWith('Warning: '));
      expect(lines.slice(0, 4)).toEqual([
        'Current partition replica assignment',
        current,
        '',
        'Proposed partition reassignment configuration',
      ]);
      const proposed = JSON.parse(lines[4]) as { partitions: Array<{ replicas: number[] }> };
      expect(proposed.partitions).toHaveLength(3);
      for (const p of proposed.partitions) expect(new Set(p.replicas).size).toBe(2);
    }
    const m = await reassign(
      '--bootstrap-server',
      cluster.bootstrap,
      '--generate',
      '--minimize-movement',
      '--topics-to-move-json-file',
      topics,
      '--broker-list',
      '0,1,2',
    );
    expect(m.stdout).toMatch(/\nReplicas to move: 0 with --minimize-movement, \d+ with Kafka's generator\n$/);
    const missing = file('missing.json', '{"topics":[{"topic":"nope"}]}');
    const e = await reassign(
      '--bootstrap-server',
      cluster.bootstrap,
      '--generate',
      '--topics-to-move-json-file',
      missing,
      '--broker-list',
      '0,1',
    );
    expect([e.code, e.stdout]).toEqual([
      1,
      'Error: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic nope not found.\n',
    ]);
    expect(await snapshot()).toBe(before);
  });

  test('--verify of the current layout reports completion and clears throttles; --list', async () => {
    const assignment = (await zkJson('/brokers/topics/moves'))!.partitions as Record<string, number[]>;
    const f = file(
      'current.json',
      JSON.stringify({
        version: 1,
        partitions: [{ topic: 'moves', partition: 1, replicas: assignment['1'] }],
      }),
    );
    // A throttle left behind on a topic and a broker.
    const c0 = await connect(0);
    await incremental(c0, 4, '0', [
      { name: 'leader.replication.throttled.rate', configOperation: 0, value: '100' },
    ]);
    await incremental(c0, 2, 'moves', [
      { name: 'leader.replication.throttled.replicas', configOperation: 0, value: '1:0' },
    ]);
    // Nothing is being reassigned in this cluster at this point, so --verify clears the throttles.
    const ctrl = await connect(await controllerId());
    const list = await ctrl.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, {
      timeoutMs: 1000,
      topics: null,
    });
    expect([list.errorCode, list.topics]).toEqual([ErrorCode.NONE, []]);
    {
      const r = await reassign(
        '--bootstrap-server',
        cluster.bootstrap,
        '--verify',
        '--reassignment-json-file',
        f,
      );
      expect([r.code, r.stdout]).toEqual([
        0,
        'Status of partition reassignment:\nReassignment of partition moves-1 is completed.\n\nClearing broker-level throttles on brokers 0,1,2\nClearing topic-level throttles on topic moves\n',
      ]);
      expect((await zkJson('/config/brokers/0'))!.config).toEqual({});
      expect((await zkJson('/config/topics/moves'))!.config).toEqual({});
      const l = await reassign('--bootstrap-server', cluster.bootstrap, '--list');
      expect([l.code, l.stdout]).toEqual([0, 'No partition reassignments found.\n']);
    }
  });
});

describe('samsa reassign-partitions moves data (controller reassignment + replication)', () => {
  const reassign = (...args: string[]) => runSamsa(['reassign-partitions', ...args], { timeoutMs: 120_000 });
  const file = (name: string, value: unknown) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  const assignmentOf = async (topic: string) => (await zkJson(`/brokers/topics/${topic}`))!;
  const produce = async (topic: string, partition: number, n: number) => {
    const payload =
      Array.from({ length: n }, (_, i) => `p${partition}-${i}-${'y'.repeat(500)}`).join('\n') + '\n';
    const k = await runKcat(
      ['-P', '-b', cluster.bootstrap, '-t', topic, '-p', String(partition), '-X', 'acks=all'],
      {
        input: payload,
      },
    );
    expect(k.code).toBe(0);
  };
  const consume = async (broker: number, topic: string, partition: number) => {
    const k = await runKcat(
      [
        '-C',
        '-b',
        cluster.brokers[broker].bootstrap,
        '-t',
        topic,
        '-p',
        String(partition),
        '-e',
        '-q',
        '-o',
        'beginning',
      ],
      { timeoutMs: 30_000 },
    );
    return k.stdout.split('\n').filter(Boolean);
  };
  const verifyUntilDone = async (json: string, ...extra: string[]) => {
    let out = '';
    await waitFor(
      async () => {
        const r = await reassign(...extra, '--verify', '--reassignment-json-file', json);
        out = r.stdout;
        return r.code === 0 && !out.includes('is still in progress');
      },
      { message: 'the reassignment to complete', timeoutMs: 60_000, intervalMs: 500 },
    );
    return out;
  };

  test('--execute with a throttle moves the replicas; --verify reports completion and clears the throttles', async () => {
    await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      'mover',
      '--replica-assignment',
      '0,1',
    ]);
    await waitFor(async () => (await consume(0, 'mover', 0)).length === 0, { message: 'mover to be online' });
    await produce('mover', 0, 400);
    await produce('mover', 1, 300);
    const target = file('mover.json', {
      version: 1,
      partitions: [
        { topic: 'mover', partition: 0, replicas: [1, 2] },
        { topic: 'mover', partition: 1, replicas: [2, 0] },
      ],
    });
    const r = await reassign(
      '--bootstrap-server',
      cluster.bootstrap,
      '--execute',
      '--reassignment-json-file',
      target,
      '--throttle',
      '50000000',
    );
    expect(r.stderr).toBe('');
    expect([r.code, r.stdout]).toEqual([
      0,
      [
        'Current partition replica assignment',
        '',
        '{"version":1,"partitions":[{"topic":"mover","partition":0,"replicas":[0],"log_dirs":["any"]},{"topic":"mover","partition":1,"replicas":[1],"log_dirs":["any"]}]}',
        '',
        'Save this to use as the --reassignment-json-file option during rollback',
        'Warning: You must run --verify periodically, until the reassignment completes, to ensure the throttle is removed.',
        'The inter-broker throttle limit was set to 50000000 B/s',
        'Successfully started partition reassignments for mover-0,mover-1',
        '',
      ].join('\n'),
    ]);
    // The throttles Kafka's tool sets (reassignment.md §4), unless the move already finished and
    // a concurrent --verify cleared them (none runs here).
    expect((await zkJson('/config/topics/mover'))!.config).toEqual({
      'leader.replication.throttled.replicas': '0:0,1:1',
      'follower.replication.throttled.replicas': '0:1,0:2,1:0,1:2',
    });
    for (const b of [0, 1, 2])
      expect((await zkJson(`/config/brokers/${b}`))!.config).toMatchObject({
        'leader.replication.throttled.rate': '50000000',
        'follower.replication.throttled.rate': '50000000',
      });

    const out = await verifyUntilDone(target, '--bootstrap-server', cluster.bootstrap);
    expect(out).toBe(
      [
        'Status of partition reassignment:',
        'Reassignment of partition mover-0 is completed.',
        'Reassignment of partition mover-1 is completed.',
        '',
        'Clearing broker-level throttles on brokers 0,1,2',
        'Clearing topic-level throttles on topic mover',
        '',
      ].join('\n'),
    );
    expect(await assignmentOf('mover')).toMatchObject({
      partitions: { '0': [1, 2], '1': [2, 0] },
      adding_replicas: {},
      removing_replicas: {},
    });
    expect((await zkJson('/config/topics/mover'))!.config).toEqual({});
    for (const b of [0, 1, 2]) {
      const cfg = (await zkJson(`/config/brokers/${b}`))!.config as Record<string, string>;
      expect(cfg['leader.replication.throttled.rate']).toBeUndefined();
      expect(cfg['follower.replication.throttled.rate']).toBeUndefined();
    }
    // The data is on the new replicas: consume from each new leader.
    await waitFor(async () => (await consume(1, 'mover', 0)).length === 400, {
      message: 'mover-0 on its new leader',
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await consume(2, 'mover', 1)).length === 300, {
      message: 'mover-1 on its new leader',
      timeoutMs: 30_000,
    });
    const ls = await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--describe',
      '--topic',
      'mover',
    ]);
    expect(ls.stdout).not.toContain('Adding Replicas');
  });

  test('--execute --wait follows the move to the end; --list', async () => {
    const back = file('mover-back.json', {
      version: 1,
      partitions: [
        { topic: 'mover', partition: 0, replicas: [0] },
        { topic: 'mover', partition: 1, replicas: [1] },
      ],
    });
    const r = await reassign(
      '--bootstrap-server',
      cluster.bootstrap,
      '--execute',
      '--reassignment-json-file',
      back,
      '--throttle',
      '50000000',
      '--wait',
      '--progress-interval-ms',
      '200',
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toContain('Successfully started partition reassignments for mover-0,mover-1');
    expect(lines.some((l) => /^Reassignment of 2 partitions completed in \d+\.\d+s\.$/.test(l))).toBe(true);
    expect(lines.slice(-2)).toEqual([
      'Clearing broker-level throttles on brokers 0,1,2',
      'Clearing topic-level throttles on topic mover',
    ]);
    expect((await assignmentOf('mover')).partitions).toEqual({ '0': [0], '1': [1] });
    await waitFor(async () => (await consume(0, 'mover', 0)).length === 400, {
      message: 'mover-0 back on broker 0',
      timeoutMs: 30_000,
    });
    const l = await reassign('--bootstrap-server', cluster.bootstrap, '--list');
    expect(l.stdout).toBe('No partition reassignments found.\n');
  });

  test('the legacy --zookeeper path writes /admin/reassign_partitions and the controller carries it out', async () => {
    const target = file('zk.json', {
      version: 1,
      partitions: [{ topic: 'mover', partition: 1, replicas: [2, 1] }],
    });
    const r = await reassign(
      '--zookeeper',
      cluster.zk.connectString,
      '--execute',
      '--reassignment-json-file',
      target,
    );
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n')).toEqual([
      'Warning: --zookeeper is deprecated, and will be removed in a future version of Kafka.',
      'Current partition replica assignment',
      '',
      '{"version":1,"partitions":[{"topic":"mover","partition":1,"replicas":[1],"log_dirs":["any"]}]}',
      '',
      'Save this to use as the --reassignment-json-file option during rollback',
      'Successfully started partition reassignment for mover-1',
      '',
    ]);
    const out = await verifyUntilDone(target, '--zookeeper', cluster.zk.connectString);
    expect(out).toContain('Reassignment of partition mover-1 is completed.\n');
    expect(out).toContain(
      'Clearing broker-level throttles on brokers 0,1,2\nClearing topic-level throttles on topic mover\n',
    );
    await waitFor(async () => !(await zk.exists('/admin/reassign_partitions')), {
      message: 'the controller to remove /admin/reassign_partitions',
      timeoutMs: 20_000,
    });
    expect((await assignmentOf('mover')).partitions).toMatchObject({ '1': [2, 1] });
  });

  test('a move that cannot finish: --list, topics --describe show it, --cancel reverts it', async () => {
    await runSamsa([
      'topics',
      '--bootstrap-server',
      cluster.bootstrap,
      '--create',
      '--topic',
      'stuck',
      '--replica-assignment',
      '0',
    ]);
    await waitFor(async () => (await consume(0, 'stuck', 0)).length === 0, { message: 'stuck to be online' });
    await produce('stuck', 0, 50);
    // A broker that stops answering cannot fetch, so the move to it stays in progress. Not the
    // controller: the tool must still reach the controller to start and cancel the move.
    const ctrl = (await zk.getJson<{ brokerid: number }>('/controller'))!.brokerid;
    const s = [2, 1].find((b) => b !== ctrl)!;
    const target = file('stuck.json', {
      version: 1,
      partitions: [{ topic: 'stuck', partition: 0, replicas: [s] }],
    });
    cluster.brokers[s].kill('SIGSTOP');
    try {
      const r = await reassign(
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--execute',
        '--reassignment-json-file',
        target,
      );
      expect(r.stdout).toContain('Successfully started partition reassignment for stuck-0\n');
      const l = await reassign(
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--list',
        '--progress-interval-ms',
        '0',
      );
      expect(l.stdout.split('\n').slice(0, 2)).toEqual([
        'Current partition reassignments:',
        `stuck-0: replicas: ${s},0. adding: ${s}. removing: 0.`,
      ]);
      expect(l.stdout).toContain(`\nReassignment progress:\nstuck-0: replica ${s}: 0 B of `);
      const d = await runSamsa([
        'topics',
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--describe',
        '--topic',
        'stuck',
      ]);
      expect(d.stdout).toContain('\tReplicationFactor: 1\t');
      expect(d.stdout).toContain(`\tReplicas: ${s},0\t`);
      expect(d.stdout).toContain(`\tAdding Replicas: ${s}\tRemoving Replicas: 0\tElr: N/A`);
      const again = await reassign(
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--execute',
        '--reassignment-json-file',
        target,
      );
      expect([again.code, again.stdout]).toEqual([
        1,
        'Cannot execute because there is an existing partition assignment.  Use --additional to override this and create a new partition assignment in addition to the existing one. The --additional flag can also be used to change the throttle by resubmitting the current reassignment.\n',
      ]);
      const v = await reassign(
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--verify',
        '--reassignment-json-file',
        target,
        '--progress-interval-ms',
        '0',
      );
      expect(v.stdout.split('\n').slice(0, 3)).toEqual([
        'Status of partition reassignment:',
        'Reassignment of partition stuck-0 is still in progress.',
        '',
      ]);
      expect(v.stdout).not.toContain('Clearing');
      const c = await reassign(
        '--bootstrap-server',
        cluster.brokers[0].bootstrap,
        '--cancel',
        '--reassignment-json-file',
        target,
        '--preserve-throttles',
      );
      expect([c.code, c.stdout]).toEqual([
        0,
        'Successfully cancelled partition reassignment for: stuck-0\nNone of the specified partition moves are active.',
      ]);
    } finally {
      cluster.brokers[s].kill('SIGCONT');
    }
    await waitFor(async () => JSON.stringify((await assignmentOf('stuck')).partitions) === '{"0":[0]}', {
      message: 'the cancelled move to revert',
      timeoutMs: 20_000,
    });
    await waitFor(async () => zk.exists(`/brokers/ids/${s}`), {
      message: `broker ${s} to be registered`,
      timeoutMs: 30_000,
    });
    expect(await consume(0, 'stuck', 0)).toHaveLength(50);
  });
});
