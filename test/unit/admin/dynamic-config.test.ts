import {
  BrokerConfigState,
  CONFIG_SOURCE_NAMES,
  ConfigValueError,
  describeBrokerConfigs,
  describeTopicConfigs,
  parseThrottledPartitions,
  throttledReplicaListError,
  validateDynamicBrokerConfigs,
} from '../../../src/admin/dynamic-broker-config';
import { formatConfigLine, parseAddConfig } from '../../../src/cli/configs';
import { preprocessAlterResources, ReplicationQuota } from '../../../src/server/config-manager';

const state = (s: Partial<BrokerConfigState> = {}): BrokerConfigState => ({
  staticProps: s.staticProps ?? {},
  dynamicDefault: s.dynamicDefault ?? {},
  dynamicBroker: s.dynamicBroker ?? {},
});
const line = (e: ReturnType<typeof describeTopicConfigs>[number]) => formatConfigLine(e);

describe('topic configs as DescribeConfigs reports them (ConfigHelper.createTopicConfigEntry)', () => {
  test('an override comes first, then the broker synonyms that are set or have a default', () => {
    const entries = describeTopicConfigs(state(), {
      'min.insync.replicas': '2',
      'retention.ms': '123456890',
    });
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(line(byName.get('min.insync.replicas')!)).toBe(
      '  min.insync.replicas=2 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=2, DEFAULT_CONFIG:min.insync.replicas=1}',
    );
    // log.retention.ms has no default: its hours synonym is dropped (Kafka drops everything before the primary name).
    expect(line(byName.get('retention.ms')!)).toBe(
      '  retention.ms=123456890 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=123456890}',
    );
    expect(line(byName.get('cleanup.policy')!)).toBe(
      '  cleanup.policy=delete sensitive=false synonyms={DEFAULT_CONFIG:log.cleanup.policy=delete}',
    );
    expect(byName.get('cleanup.policy')!.source).toBe(5);
    expect(byName.get('min.insync.replicas')!.source).toBe(1);
  });

  test('static and dynamic broker values are synonyms in Kafka’s order and set the source', () => {
    const entries = describeTopicConfigs(
      state({
        staticProps: { 'log.segment.bytes': '2000000', 'log.retention.hours': '24' },
        dynamicDefault: { 'log.segment.bytes': '3000000' },
      }),
      {},
    );
    const seg = entries.find((e) => e.name === 'segment.bytes')!;
    expect(seg.value).toBe('3000000');
    expect(seg.source).toBe(3);
    expect(line(seg)).toBe(
      '  segment.bytes=3000000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.segment.bytes=3000000, STATIC_BROKER_CONFIG:log.segment.bytes=2000000, DEFAULT_CONFIG:log.segment.bytes=1073741824}',
    );
    // The effective value follows log.retention.hours, but the synonym list starts at log.retention.ms.
    const ret = entries.find((e) => e.name === 'retention.ms')!;
    expect(ret.value).toBe('86400000');
    expect(ret.source).toBe(5);
    expect(ret.synonyms).toEqual([]);
  });
});

describe('broker configs (createBrokerConfigEntry)', () => {
  const s = state({
    staticProps: { 'broker.id': '0', 'log.retention.hours': '24' },
    dynamicDefault: { 'log.retention.ms': '1000', 'leader.replication.throttled.rate': '10' },
    dynamicBroker: { 'log.retention.ms': '2000', 'follower.replication.throttled.rate': '20' },
  });

  test('per broker: the value in effect, every layer as a synonym; dynamic configs are not read-only', () => {
    const e = describeBrokerConfigs(s, true);
    const ret = e.find((x) => x.name === 'log.retention.ms')!;
    expect(ret.value).toBe('2000');
    expect(ret.readOnly).toBe(false);
    expect(ret.synonyms.map((x) => `${CONFIG_SOURCE_NAMES[x.source]}:${x.name}=${x.value}`)).toEqual([
      'DYNAMIC_BROKER_CONFIG:log.retention.ms=2000',
      'DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000',
      'STATIC_BROKER_CONFIG:log.retention.hours=24',
      'DEFAULT_CONFIG:log.retention.hours=168',
    ]);
    expect(e.find((x) => x.name === 'broker.id')!).toMatchObject({ value: '0', source: 4, readOnly: true });
    expect(e.find((x) => x.name === 'follower.replication.throttled.rate')!).toMatchObject({
      value: '20',
      source: 2,
    });
  });

  test('the cluster default resource lists only its own entries with their default synonym', () => {
    expect(describeBrokerConfigs(s, false).map(formatConfigLine)).toEqual([
      '  leader.replication.throttled.rate=10 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:leader.replication.throttled.rate=10}',
      '  log.retention.ms=1000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:log.retention.ms=1000}',
    ]);
  });
});

describe('validation', () => {
  const fails = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigValueError);
      return (e as Error).message;
    }
    throw new Error('expected a ConfigValueError');
  };

  test('dynamic broker configs: static keys refused, types and ranges checked, custom keys allowed', () => {
    expect(
      fails(() => validateDynamicBrokerConfigs({ 'broker.id': '3', 'log.dirs': '/x' }, state(), true)),
    ).toBe('Cannot update these configs dynamically: Set(broker.id, log.dirs)');
    expect(
      fails(() => validateDynamicBrokerConfigs({ 'leader.replication.throttled.rate': 'x' }, state(), true)),
    ).toBe('Invalid value x for configuration leader.replication.throttled.rate: Not a number of type LONG');
    expect(
      fails(() =>
        validateDynamicBrokerConfigs({ 'follower.replication.throttled.rate': '-1' }, state(), false),
      ),
    ).toBe(
      'Invalid value -1 for configuration follower.replication.throttled.rate: Value must be at least 0',
    );
    expect(
      fails(() => validateDynamicBrokerConfigs({ 'log.cleanup.policy': 'shred' }, state(), false)),
    ).toMatch(
      /^Invalid value shred for configuration log.cleanup.policy: String must be one of: compact, delete$/,
    );
    expect(() =>
      validateDynamicBrokerConfigs(
        { 'log.retention.ms': '1000', 'leader.replication.throttled.rate': '0', 'my.custom.key': 'x' },
        state(),
        true,
      ),
    ).not.toThrow();
  });

  test('throttled replica lists', () => {
    expect(throttledReplicaListError('leader.replication.throttled.replicas', '0:1, 1:2,')).toBeNull();
    expect(throttledReplicaListError('leader.replication.throttled.replicas', '*')).toBeNull();
    expect(throttledReplicaListError('leader.replication.throttled.replicas', '0-1')).toBe(
      "Invalid value [0-1] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
    );
    expect(parseThrottledPartitions('0:1,1:2,2:1', 1)).toEqual([0, 2]);
    expect(parseThrottledPartitions('*', 7)).toBe('all');
    expect(parseThrottledPartitions('', 1)).toEqual([]);
  });

  test('AlterConfigs preprocessing', () => {
    const r = preprocessAlterResources(
      [
        { resourceType: 2, resourceName: 't', configs: [{ name: 'a', value: '1' }] },
        { resourceType: 2, resourceName: 't', configs: [] },
        { resourceType: 4, resourceName: '1', configs: [] },
        { resourceType: 4, resourceName: 'x', configs: [] },
        { resourceType: 2, resourceName: 'u', configs: [{ name: 'a', value: null, configOperation: 0 }] },
        { resourceType: 2, resourceName: 'v', configs: [{ name: 'a', value: null, configOperation: 1 }] },
        {
          resourceType: 2,
          resourceName: 'w',
          configs: [
            { name: 'a', value: '1', configOperation: 0 },
            { name: 'a', value: '2', configOperation: 0 },
          ],
        },
      ],
      0,
      true,
    );
    expect(Object.fromEntries([...r].map(([i, x]) => [i, x.errorMessage]))).toEqual({
      0: 'Each resource must appear at most once.',
      1: 'Each resource must appear at most once.',
      2: 'Unexpected broker id, expected 0, but received 1',
      3: 'Node id must be an integer, but it is: x',
      4: 'Null value not supported for : a',
      6: 'Error due to duplicate config keys',
    });
    expect([...r.values()].every((x) => x.errorCode === 42)).toBe(true);
  });
});

describe('kafka-configs --add-config parsing', () => {
  test('commas inside brackets stay in the value; brackets are dropped', () => {
    expect(parseAddConfig('a=1,b=[x,y],c=, d = 2 ')).toEqual([
      ['a', '1'],
      ['b', 'x,y'],
      ['c', ''],
      ['d', '2'],
    ]);
    expect(parseAddConfig('leader.replication.throttled.replicas=[0:1,1:2]')).toEqual([
      ['leader.replication.throttled.replicas', '0:1,1:2'],
    ]);
    expect(() => parseAddConfig('a=1=2')).toThrow(
      'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".',
    );
  });
});

describe('replication quota', () => {
  test('never exceeded when unlimited; measured over the windows once a rate is set', () => {
    let now = 0;
    const q = new ReplicationQuota('leader', 11, 1000, () => now);
    q.record(1e12);
    expect(q.isQuotaExceeded()).toBe(false);
    q.updateQuota(1000);
    // 1e12 bytes over at least 10 s of windows: far above 1000 B/s.
    expect(q.isQuotaExceeded()).toBe(true);
    now = 20_000; // the sample has aged out
    expect(q.isQuotaExceeded()).toBe(false);
    q.record(5000); // 5000 B over the 10 s minimum window: 500 B/s
    expect(q.measuredRate()).toBe(500);
    expect(q.isQuotaExceeded()).toBe(false);
    q.record(10000);
    expect(q.isQuotaExceeded()).toBe(true);
  });

  test('throttled partitions per topic', () => {
    const q = new ReplicationQuota('follower');
    q.markThrottled('t', [0, 2]);
    q.markThrottled('all', 'all');
    expect([
      q.isThrottled('t', 0),
      q.isThrottled('t', 1),
      q.isThrottled('all', 9),
      q.isThrottled('x', 0),
    ]).toEqual([true, false, true, false]);
    q.removeThrottle('t');
    expect(q.isThrottled('t', 0)).toBe(false);
  });
});
