// Issue "Foundation": a real ZooKeeper and real broker processes, talked to by kafkajs, kcat,
// the samsa CLI and raw sockets; the ZooKeeper layout read back and compared with Kafka's.

import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../src/protocol/errors';
import { ApiKey } from '../../src/protocol/messages/generated';
import type { ApiVersionsResponse } from '../../src/protocol/messages/generated/ApiVersionsResponse';
import type { MetadataResponse } from '../../src/protocol/messages/generated/MetadataResponse';
import {
  BrokerProcess,
  connectZk,
  runKcat,
  runProcess,
  runSamsa,
  startBroker,
  startTestZooKeeper,
  stopAll,
  TestZooKeeper,
  waitFor,
  ZkClient,
} from '../harness';
import { RawSocket } from '../harness/raw-socket';

jest.setTimeout(120_000);

let zk: TestZooKeeper;
let broker: BrokerProcess;
let zkc: ZkClient;

beforeAll(async () => {
  zk = await startTestZooKeeper();
  broker = await startBroker({
    id: 1,
    zkConnect: zk.connectString,
    overrides: {
      'connections.max.idle.ms': '3000',
      'socket.request.max.bytes': '1048576',
      'broker.rack': 'r1',
    },
  });
  zkc = await connectZk(zk.connectString);
});

afterAll(async () => {
  await zkc?.close();
  await stopAll();
});

const kafka = () =>
  new Kafka({ brokers: [broker.bootstrap], clientId: 'foundation-test', logLevel: logLevel.NOTHING });

describe('ZooKeeper registration in Kafka’s layout', () => {
  test('/brokers/ids/<id> holds Kafka’s version-5 registration JSON', async () => {
    const reg = await zkc.getJson<Record<string, unknown>>('/brokers/ids/1');
    expect(reg).not.toBeNull();
    expect(Object.keys(reg!).sort()).toEqual(
      [
        'endpoints',
        'features',
        'host',
        'jmx_port',
        'listener_security_protocol_map',
        'port',
        'rack',
        'timestamp',
        'version',
      ].sort(),
    );
    expect(reg!.version).toBe(5);
    expect(reg!.host).toBe('127.0.0.1');
    expect(reg!.port).toBe(broker.port);
    expect(reg!.endpoints).toEqual([`PLAINTEXT://127.0.0.1:${broker.port}`]);
    expect(reg!.listener_security_protocol_map).toEqual({ PLAINTEXT: 'PLAINTEXT' });
    expect(reg!.jmx_port).toBe(-1);
    expect(reg!.rack).toBe('r1');
    expect(reg!.features).toEqual({});
    expect(typeof reg!.timestamp).toBe('string');
    expect(Math.abs(Number(reg!.timestamp) - Date.now())).toBeLessThan(120_000);
  });

  test('persistent paths, cluster id, controller and epoch are Kafka’s', async () => {
    for (const p of [
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
    ]) {
      expect(await zkc.exists(p)).toBe(true);
      expect((await zkc.getData(p))!.length).toBe(0); // created with no data, as Kafka does
    }
    const cluster = await zkc.getJson<{ version: string; id: string }>('/cluster/id');
    expect(cluster!.version).toBe('1');
    expect(cluster!.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const controller = await zkc.getJson<Record<string, unknown>>('/controller');
    expect(controller).toMatchObject({ version: 2, brokerid: 1, kraftControllerEpoch: -1 });
    expect(typeof controller!.timestamp).toBe('string');
    expect((await zkc.getData('/controller_epoch'))!.toString()).toBe('1');
  });

  test('a second broker with the same id refuses to start with a clear message', async () => {
    const dup = startBroker({ id: 1, zkConnect: zk.connectString, readyTimeoutMs: 15000 });
    await expect(dup).rejects.toThrow(/already exists|another broker/);
  });
});

describe('topics through kafkajs admin, kcat and the samsa CLI', () => {
  test('kafkajs creates, lists, describes and deletes topics; znodes match Kafka’s format', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({
          topics: [
            {
              topic: 'orders',
              numPartitions: 3,
              configEntries: [{ name: 'retention.ms', value: '86400000' }],
            },
          ],
        }),
      ).toBe(true);
      expect(await admin.listTopics()).toContain('orders');
      const md = await admin.fetchTopicMetadata({ topics: ['orders'] });
      expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
      for (const p of md.topics[0].partitions) {
        expect(p.leader).toBe(1);
        expect(p.replicas).toEqual([1]);
        expect(p.isr).toEqual([1]);
      }
      const cluster = await admin.describeCluster();
      expect(cluster.controller).toBe(1);
      expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: broker.port }]);

      const topic = await zkc.getJson<Record<string, unknown>>('/brokers/topics/orders');
      expect(topic).toMatchObject({
        version: 3,
        partitions: { '0': [1], '1': [1], '2': [1] },
        adding_replicas: {},
        removing_replicas: {},
      });
      expect(topic!.topic_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const state = await zkc.getJson<Record<string, unknown>>('/brokers/topics/orders/partitions/0/state');
      expect(state).toEqual({ controller_epoch: 1, leader: 1, version: 1, leader_epoch: 0, isr: [1] });
      expect(await zkc.getJson('/config/topics/orders')).toEqual({
        version: 1,
        config: { 'retention.ms': '86400000' },
      });

      // Kafka's errors for the usual mistakes
      await expect(admin.createTopics({ topics: [{ topic: 'orders' }] })).resolves.toBe(false); // exists
      const createError = async (t: Parameters<typeof admin.createTopics>[0]['topics'][number]) => {
        try {
          await admin.createTopics({ topics: [t] });
        } catch (e) {
          return (e as { errors: Array<{ type: string }> }).errors[0].type;
        }
        return 'NONE';
      };
      expect(await createError({ topic: 'bad name!' })).toBe('INVALID_TOPIC_EXCEPTION');
      expect(await createError({ topic: 'rf', replicationFactor: 3 })).toBe('INVALID_REPLICATION_FACTOR');
      expect(await createError({ topic: 'np', numPartitions: 0 })).toBe('INVALID_PARTITIONS');
      expect(await createError({ topic: 'cfg', configEntries: [{ name: 'no.such', value: '1' }] })).toBe(
        'INVALID_CONFIG',
      );
      expect(
        await createError({ topic: 'orders_x', replicaAssignment: [{ partition: 0, replicas: [1, 1] }] }),
      ).toBe('INVALID_REPLICA_ASSIGNMENT');

      await admin.deleteTopics({ topics: ['orders'] });
      expect(await admin.listTopics()).not.toContain('orders');
      // The response comes once no broker lists the topic; the controller removes the znodes
      // when every replica has answered StopReplica(delete=true), as Kafka does.
      await waitFor(async () => !(await zkc.exists('/brokers/topics/orders')), { timeoutMs: 15_000 });
      expect(await zkc.exists('/config/topics/orders')).toBe(false);
      expect(await zkc.exists('/admin/delete_topics/orders')).toBe(false);
    } finally {
      await admin.disconnect();
    }
  });

  test('kcat -L lists the broker and topics', async () => {
    const created = await runSamsa([
      'topics',
      '--bootstrap-server',
      broker.bootstrap,
      '--create',
      '--topic',
      'kc',
      '--partitions',
      '2',
    ]);
    expect(created.stdout.trim()).toBe('Created topic kc.');
    expect(created.code).toBe(0);
    const r = await runKcat(['-b', broker.bootstrap, '-L']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`broker 1 at 127.0.0.1:${broker.port} (controller)`);
    expect(r.stdout).toContain('topic "kc" with 2 partitions:');
    expect(r.stdout).toContain('partition 0, leader 1, replicas: 1, isrs: 1');
    expect(r.stdout).toContain('partition 1, leader 1, replicas: 1, isrs: 1');
  });

  test('samsa topics prints what kafka-topics prints', async () => {
    const bs = broker.bootstrap;
    const c = await runSamsa([
      'topics',
      '--bootstrap-server',
      bs,
      '--create',
      '--topic',
      'cli-t',
      '--partitions',
      '2',
      '--replication-factor',
      '1',
    ]);
    expect(c.stdout).toBe('Created topic cli-t.\n');
    const dup = await runSamsa(['topics', '--bootstrap-server', bs, '--create', '--topic', 'cli-t']);
    expect(dup.code).toBe(1);
    expect(dup.stderr.trim()).toBe("Error while executing topic command : Topic 'cli-t' already exists.");
    const quiet = await runSamsa([
      'topics',
      '--bootstrap-server',
      bs,
      '--create',
      '--topic',
      'cli-t',
      '--if-not-exists',
    ]);
    expect(quiet.code).toBe(0);

    const list = await runSamsa(['topics', '--bootstrap-server', bs, '--list']);
    expect(list.stdout.split('\n')).toContain('cli-t');

    const d = await runSamsa(['topics', '--bootstrap-server', bs, '--describe', '--topic', 'cli-t']);
    const lines = d.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^Topic: cli-t\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 2\tReplicationFactor: 1\tConfigs: /,
    );
    expect(lines[1]).toBe(
      '\tTopic: cli-t\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
    );
    expect(lines[2]).toBe(
      '\tTopic: cli-t\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A',
    );

    const missing = await runSamsa(['topics', '--bootstrap-server', bs, '--describe', '--topic', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      "Error while executing topic command : Topic 'nope' does not exist as expected",
    );

    const del = await runSamsa(['topics', '--bootstrap-server', bs, '--delete', '--topic', 'cli-t']);
    expect(del.code).toBe(0);
    const after = await runSamsa(['topics', '--bootstrap-server', bs, '--list']);
    expect(after.stdout.split('\n')).not.toContain('cli-t');

    const noAction = await runSamsa(['topics', '--bootstrap-server', bs]);
    expect(noAction.code).toBe(1);
    expect(noAction.stderr.trim()).toBe(
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete',
    );
  });

  test('Metadata auto-creates a topic on first request, LEADER_NOT_AVAILABLE meanwhile', async () => {
    const s = await RawSocket.connect(broker.port);
    try {
      s.sendRequest(ApiKey.Metadata, 9, 7, { topics: [{ name: 'auto-made' }], allowAutoTopicCreation: true });
      const r = await s.readResponse<MetadataResponse>(ApiKey.Metadata, 9);
      expect(r!.correlationId).toBe(7);
      expect(r!.body.topics[0]).toMatchObject({
        name: 'auto-made',
        errorCode: ErrorCode.LEADER_NOT_AVAILABLE,
      });
      await waitFor(async () => await zkc.exists('/brokers/topics/auto-made/partitions/0/state'), {
        timeoutMs: 10000,
      });
      s.sendRequest(ApiKey.Metadata, 9, 8, {
        topics: [{ name: 'auto-made' }, { name: 'not ok' }],
        allowAutoTopicCreation: false,
      });
      const r2 = await s.readResponse<MetadataResponse>(ApiKey.Metadata, 9);
      expect(r2!.body.topics[0]).toMatchObject({ name: 'auto-made', errorCode: 0 });
      expect(r2!.body.topics[0].partitions[0]).toMatchObject({
        leaderId: 1,
        replicaNodes: [1],
        isrNodes: [1],
      });
      expect(r2!.body.topics[1]).toMatchObject({
        name: 'not ok',
        errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
      });
      s.sendRequest(ApiKey.Metadata, 4, 9, {
        topics: [{ name: 'never-made' }],
        allowAutoTopicCreation: false,
      });
      const r3 = await s.readResponse<MetadataResponse>(ApiKey.Metadata, 4);
      expect(r3!.body.topics[0]).toMatchObject({
        name: 'never-made',
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      });
    } finally {
      s.close();
    }
  });
});

describe('the socket server under bad input', () => {
  /** The broker still answers an ApiVersions request on a fresh connection. */
  async function stillServes(): Promise<void> {
    const s = await RawSocket.connect(broker.port);
    try {
      s.sendRequest(ApiKey.ApiVersions, 3, 1, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      const r = await s.readResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 3);
      expect(r!.body.errorCode).toBe(0);
    } finally {
      s.close();
    }
  }

  test('ApiVersions advertises only served APIs; a too-new version gets the v0 fallback', async () => {
    const s = await RawSocket.connect(broker.port);
    try {
      s.sendRequest(ApiKey.ApiVersions, 3, 1, { clientSoftwareName: 'test', clientSoftwareVersion: '1.0' });
      const r = await s.readResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 3);
      const keys = r!.body.apiKeys.map((k) => k.apiKey);
      expect(keys).toEqual(
        expect.arrayContaining([
          ApiKey.Metadata,
          ApiKey.ApiVersions,
          ApiKey.CreateTopics,
          ApiKey.DeleteTopics,
        ]),
      );
      expect(r!.body.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions)).toEqual({
        apiKey: 18,
        minVersion: 0,
        maxVersion: 4,
      });

      // version 99 of ApiVersions: header v2 (flexible), answered with a v0 body
      const raw = Buffer.alloc(2 + 2 + 4 + 2 + 1);
      raw.writeInt16BE(18, 0);
      raw.writeInt16BE(99, 2);
      raw.writeInt32BE(42, 4);
      raw.writeInt16BE(-1, 8); // null client id
      raw.writeUInt8(0, 10); // no tagged fields
      s.sendFrame(raw);
      const fb = await s.readResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 0);
      expect(fb!.correlationId).toBe(42);
      expect(fb!.body.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(fb!.body.apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);

      s.sendRequest(ApiKey.ApiVersions, 3, 2, {
        clientSoftwareName: 'bad name!',
        clientSoftwareVersion: '1',
      });
      const bad = await s.readResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 3);
      expect(bad!.body.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      expect(bad!.body.apiKeys).toEqual([]);
    } finally {
      s.close();
    }
  });

  test('pipelined requests are answered strictly in order', async () => {
    const s = await RawSocket.connect(broker.port);
    try {
      for (let i = 0; i < 50; i++) {
        if (i % 2 === 0) s.sendRequest(ApiKey.Metadata, 1, i, { topics: null });
        else s.sendRequest(ApiKey.ApiVersions, 0, i, {});
      }
      for (let i = 0; i < 50; i++) {
        const r = await s.readResponse(
          i % 2 === 0 ? ApiKey.Metadata : ApiKey.ApiVersions,
          i % 2 === 0 ? 1 : 0,
        );
        expect(r!.correlationId).toBe(i);
      }
    } finally {
      s.close();
    }
  });

  test.each([
    ['unknown API key', () => Buffer.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff])],
    ['unsupported version of Metadata', () => Buffer.from([0, 3, 0, 99, 0, 0, 0, 1, 0xff, 0xff])],
    ['a header cut short', () => Buffer.from([0, 3, 0])],
    ['an unparsable body', () => Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff])],
  ])('%s closes the connection without a response', async (_name, frame) => {
    const s = await RawSocket.connect(broker.port);
    s.sendFrame(frame());
    expect(await s.readFrame(3000)).toBeNull();
    expect(await s.waitClosed(3000)).toBe(true);
    await stillServes();
  });

  test('a frame over socket.request.max.bytes or with a negative size closes the connection', async () => {
    for (const size of [1048577, -5]) {
      const s = await RawSocket.connect(broker.port);
      const b = Buffer.alloc(4);
      b.writeInt32BE(size);
      s.write(b);
      expect(await s.waitClosed(3000)).toBe(true);
    }
    await stillServes();
  });

  test('thousands of random and truncated frames never take the broker down', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => RawSocket.connect(broker.port)));
    for (let i = 0; i < 4000; i++) {
      const s = sockets[i % sockets.length];
      if (s.closed) {
        sockets[i % sockets.length] = await RawSocket.connect(broker.port);
        continue;
      }
      const len = 1 + (i % 60);
      const payload = randomBytes(len);
      if (i % 3 === 0 && len >= 2) payload.writeInt16BE([0, 1, 3, 18, 19, 20][i % 6], 0); // plausible API key, junk after
      if (i % 7 === 0)
        s.write(payload.subarray(0, 3)); // garbage that is not even a frame
      else s.sendFrame(payload);
    }
    for (const s of sockets) s.close();
    expect(broker.isRunning()).toBe(true);
    await stillServes();
  });

  test('idle connections are closed after connections.max.idle.ms', async () => {
    const s = await RawSocket.connect(broker.port);
    s.sendRequest(ApiKey.ApiVersions, 0, 1, {});
    expect(await s.readFrame()).not.toBeNull();
    expect(await s.waitClosed(10000)).toBe(true);
  });
});

describe('start-up and lifecycle', () => {
  test('bad config stops start-up with one line naming the key', async () => {
    const r = await runSamsa([
      'server-start',
      '/dev/null',
      '--override',
      'zookeeper.connect=x:1',
      '--override',
      'num.partitions=abc',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    );
    const missing = await runSamsa(['server-start', '/dev/null']);
    expect(missing.stderr.trim()).toBe(
      'Missing required configuration "zookeeper.connect" which has no default value.',
    );
    const listener = await runSamsa([
      'server-start',
      '/dev/null',
      '--override',
      'zookeeper.connect=x:1',
      '--override',
      'listeners=FOO://:1',
    ]);
    expect(listener.stderr.trim()).toMatch(
      /^Invalid value FOO:\/\/:1 for configuration listeners: No security protocol defined for listener FOO$/,
    );
  });

  test('docker-compose.yml is a valid compose file', async () => {
    const r = await runProcess('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
      timeoutMs: 60000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('after its ZooKeeper session expires the broker registers again', async () => {
    const b = await startBroker({
      id: 7,
      zkConnect: zk.connectString,
      overrides: { 'zookeeper.session.timeout.ms': '4000' },
    });
    const before = await zkc.getJson<Record<string, unknown>>('/brokers/ids/7');
    expect(before).not.toBeNull();
    b.kill('SIGSTOP');
    await waitFor(async () => !(await zkc.exists('/brokers/ids/7')), {
      timeoutMs: 20000,
      message: 'session never expired',
    });
    b.kill('SIGCONT');
    await waitFor(async () => zkc.exists('/brokers/ids/7'), {
      timeoutMs: 20000,
      message: 'broker did not re-register',
    });
    expect(b.isRunning()).toBe(true);
    await b.stop();
  });

  test('SIGKILL: the registration disappears after the session timeout; SIGTERM removes it at once', async () => {
    const b = await startBroker({ id: 8, zkConnect: zk.connectString });
    expect(await zkc.exists('/brokers/ids/8')).toBe(true);
    await b.kill9();
    const killedAt = Date.now();
    await waitFor(async () => !(await zkc.exists('/brokers/ids/8')), { timeoutMs: 20000 });
    expect(Date.now() - killedAt).toBeGreaterThan(1000); // it took the session timeout, not an explicit delete

    const c = await startBroker({ id: 9, zkConnect: zk.connectString });
    expect(await c.stop()).toBe(0);
    expect(await zkc.exists('/brokers/ids/9')).toBe(false);
  });
});
