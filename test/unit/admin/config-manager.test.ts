// The ConfigManager against an in-memory ZooKeeper: change notifications applied in order and
// once, old ones purged, topic throttle lists and broker throttle rates exposed through
// getThrottle/quotas, and dynamic log defaults re-applied to every log without losing its
// topic overrides.

import { LogConfig } from '../../../src/log/log-config';
import { UNLIMITED_RATE } from '../../../src/admin/dynamic-broker-config';
import { CONFIG_CHANGE_EXPIRATION_MS, ConfigManager } from '../../../src/server/config-manager';
import { WatchEvent } from '../../../src/zk/zk-client';

type Watcher = (ev: WatchEvent, path: string) => void;

/** The slice of KafkaZkClient/ZkClient the ConfigManager uses, over a map of znodes. */
class FakeZk {
  nodes = new Map<string, { data: Buffer; ctime: number }>();
  private seq = 0;
  private watchers: Watcher[] = [];
  now = 1_000_000_000;

  readonly zk = {
    getChildren: async (path: string, watcher?: Watcher) => {
      if (watcher) this.watchers.push(watcher);
      const prefix = `${path}/`;
      return [...this.nodes.keys()]
        .filter((k) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
        .map((k) => k.slice(prefix.length));
    },
    getData: async (path: string) => {
      const n = this.nodes.get(path);
      return n ? { data: n.data, stat: { ctime: n.ctime } } : null;
    },
    exists: async (path: string) => {
      const n = this.nodes.get(path);
      return n ? { ctime: n.ctime } : null;
    },
    delete: async (path: string) => {
      this.nodes.delete(path);
    },
    onSessionReinit: () => undefined,
  };

  put(path: string, value: unknown, ctime = this.now): void {
    this.nodes.set(path, { data: Buffer.from(JSON.stringify(value)), ctime });
  }

  notify(entityPath: string, ctime = this.now): void {
    this.put(
      `/config/changes/config_change_${String(this.seq++).padStart(10, '0')}`,
      { version: 2, entity_path: entityPath },
      ctime,
    );
    const ws = this.watchers;
    this.watchers = [];
    for (const w of ws) w(WatchEvent.Child, '/config/changes');
  }

  async getEntityConfig(type: string, name: string): Promise<Record<string, string>> {
    const n = this.nodes.get(`/config/${type}/${name}`);
    return n ? (JSON.parse(n.data.toString()) as { config: Record<string, string> }).config : {};
  }

  async setEntityConfig(
    type: string,
    name: string,
    config: Record<string, string>,
    notify = true,
  ): Promise<void> {
    this.put(`/config/${type}/${name}`, { version: 1, config });
    if (notify) this.notify(`${type}/${name}`);
  }

  async topicExists(): Promise<boolean> {
    return true;
  }
}

interface FakeLog {
  topic: string;
  config: LogConfig;
}

function setup(brokerId = 1) {
  const zk = new FakeZk();
  const logs: FakeLog[] = [
    { topic: 't', config: LogConfig.fromProperties({}, { 'segment.bytes': '1048576' }) },
    { topic: 'u', config: LogConfig.fromProperties() },
  ];
  let defaults = LogConfig.fromProperties();
  const logManager = {
    allLogs: () => logs,
    updateTopicConfig: (topic: string, lc: LogConfig) => {
      for (const l of logs) if (l.topic === topic) l.config = lc;
    },
    updateDefaultConfig: (lc: LogConfig) => {
      defaults = lc;
    },
  };
  const props: Record<string, string> = { 'log.retention.hours': '24' };
  const cm = new ConfigManager({
    brokerId,
    config: { props } as never,
    zk: zk as never,
    cache: { getTopic: () => ({}) } as never,
    logManager: logManager as never,
    replicaManager: { allPartitions: () => [] } as never,
    now: () => zk.now,
  });
  return { zk, cm, logs, props, defaults: () => defaults };
}

/** Lets the ConfigManager's asynchronous notification processing run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

test('startup applies the existing entity configs and throttles; changes arrive through notifications', async () => {
  const { zk, cm } = setup(1);
  zk.put('/config/brokers/1', { version: 1, config: { 'leader.replication.throttled.rate': '1000' } });
  zk.put('/config/brokers/2', { version: 1, config: { 'leader.replication.throttled.rate': '7' } });
  zk.put('/config/topics/t', {
    version: 1,
    config: { 'leader.replication.throttled.replicas': '0:1,1:2,2:1' },
  });
  await cm.startup();
  expect(cm.getThrottle('t', 0)).toEqual({
    leaderThrottled: true,
    followerThrottled: false,
    leaderRate: 1000,
    followerRate: UNLIMITED_RATE,
  });
  expect(cm.getThrottle('t', 1).leaderThrottled).toBe(false);
  expect(cm.getThrottle('t', 2).leaderThrottled).toBe(true);

  const changed: string[] = [];
  cm.on('throttleChanged', () => changed.push('throttle'));
  await zk.setEntityConfig('topics', 't', { 'follower.replication.throttled.replicas': '*' });
  await settle();
  expect(cm.getThrottle('t', 5)).toMatchObject({ leaderThrottled: false, followerThrottled: true });
  await zk.setEntityConfig('brokers', '1', { 'follower.replication.throttled.rate': '0' });
  await settle();
  expect(cm.quotas.leader.rate).toBe(UNLIMITED_RATE);
  expect(cm.quotas.follower.rate).toBe(0);
  // The cluster default does not set this broker's rates (Kafka reads them from the broker's own entity).
  await zk.setEntityConfig('brokers', '<default>', { 'follower.replication.throttled.rate': '5' });
  await settle();
  expect(cm.quotas.follower.rate).toBe(0);
  expect(changed).toEqual(['throttle', 'throttle']);
  await cm.shutdown();
});

test('notifications are applied once, in order; ones older than 15 minutes are deleted', async () => {
  const { zk, cm } = setup();
  zk.put('/config/topics/t', { version: 1, config: {} });
  zk.notify('topics/t', zk.now - CONFIG_CHANGE_EXPIRATION_MS - 1);
  zk.notify('topics/t', zk.now - 1000);
  const applied: string[] = [];
  cm.on('topicConfigChanged', (t: string) => applied.push(t));
  await cm.startup();
  // Once at bootstrap (every entity config), then once per notification.
  expect(applied).toEqual(['t', 't', 't']);
  expect([...zk.nodes.keys()].filter((k) => k.startsWith('/config/changes/'))).toEqual([
    '/config/changes/config_change_0000000001',
  ]);
  await zk.setEntityConfig('topics', 'u', { 'retention.ms': '1000' });
  await settle();
  expect(applied).toEqual(['t', 't', 't', 'u']);
  await cm.shutdown();
});

test('dynamic log defaults reach every log and config.props, topic overrides win, removal restores', async () => {
  const { zk, cm, logs, props, defaults } = setup();
  await cm.startup();
  await zk.setEntityConfig('brokers', '<default>', {
    'log.retention.ms': '5000',
    'log.segment.bytes': '2097152',
  });
  await settle();
  expect(props['log.retention.ms']).toBe('5000');
  expect(defaults().retentionMs).toBe(5000);
  const [t, u] = logs;
  expect([t.config.retentionMs, t.config.segmentBytes]).toEqual([5000, 1048576]);
  expect([u.config.retentionMs, u.config.segmentBytes]).toEqual([5000, 2097152]);
  // This broker's own entity wins over the cluster default.
  await zk.setEntityConfig('brokers', '1', { 'log.retention.ms': '7000' });
  await settle();
  expect(u.config.retentionMs).toBe(7000);
  await zk.setEntityConfig('brokers', '1', {});
  await zk.setEntityConfig('brokers', '<default>', {});
  await settle();
  expect(props['log.retention.ms']).toBeUndefined();
  expect([u.config.retentionMs, u.config.segmentBytes]).toEqual([86_400_000, 1073741824]);
  expect(t.config.segmentBytes).toBe(1048576);
  await cm.shutdown();
});
