import { ConfigException, KafkaConfig, parseProperties } from '../../../src/server/kafka-config';

const base = { 'zookeeper.connect': 'localhost:2181' };

describe('server.properties parsing', () => {
  test('Java properties syntax: comments, separators, continuations, escapes', () => {
    const p = parseProperties('# c\n! c2\na=1\nb : 2\nc 3\nd=x\\\n  y\ne=tab\\tnl\\u0041\n  f = spaced  \n');
    expect(p).toEqual({ a: '1', b: '2', c: '3', d: 'xy', e: 'tab\tnlA', f: 'spaced  ' });
  });

  test("Kafka's defaults apply", () => {
    const c = new KafkaConfig(base);
    expect(c.brokerId).toBe(-1);
    expect(c.listeners).toEqual([
      { listenerName: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 },
    ]);
    expect(c.logDirs).toEqual(['/tmp/kafka-logs']);
    expect(c.int('socket.request.max.bytes')).toBe(104857600);
    expect(c.sessionTimeoutMs).toBe(18000);
    expect(c.connectionTimeoutMs).toBe(18000);
    expect(c.int('num.partitions')).toBe(1);
    expect(c.bool('auto.create.topics.enable')).toBe(true);
  });

  test('advertised listeners and custom listener names', () => {
    const c = new KafkaConfig({
      ...base,
      listeners: 'INTERNAL://0.0.0.0:9092,EXTERNAL://:19092',
      'advertised.listeners': 'INTERNAL://b1:9092,EXTERNAL://localhost:19092',
      'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT',
      'inter.broker.listener.name': 'INTERNAL',
    });
    expect(c.interBrokerListenerName).toBe('INTERNAL');
    expect(c.advertisedListeners.map((l) => `${l.listenerName}://${l.host}:${l.port}`)).toEqual([
      'INTERNAL://b1:9092',
      'EXTERNAL://localhost:19092',
    ]);
  });

  test.each([
    [{}, 'Missing required configuration "zookeeper.connect" which has no default value.'],
    [
      { ...base, 'num.partitions': 'abc' },
      'Invalid value abc for configuration num.partitions: Not a number of type INT',
    ],
    [
      { ...base, 'num.partitions': '0' },
      'Invalid value 0 for configuration num.partitions: Value must be at least 1',
    ],
    [{ ...base, listeners: 'FOO://:9092' }, 'No security protocol defined for listener FOO'],
    [{ ...base, listeners: 'PLAINTEXT:9092' }, 'Unable to parse PLAINTEXT:9092 to a broker endpoint'],
    [{ ...base, 'auto.create.topics.enable': 'yes' }, 'Expected value to be either true or false'],
    [{ ...base, 'connections.max.idle.ms': '1e3' }, 'Not a number of type LONG'],
    [
      { ...base, listeners: 'INTERNAL://:1', 'listener.security.protocol.map': 'INTERNAL:PLAINTEXT' },
      'inter.broker.listener.name must be a listener name defined in advertised.listeners',
    ],
  ])('bad config %j stops start-up naming the key', (props, message) => {
    expect(() => new KafkaConfig(props as Record<string, string>)).toThrow(ConfigException);
    expect(() => new KafkaConfig(props as Record<string, string>)).toThrow(message);
  });

  test('unknown keys are reported, not fatal', () => {
    const c = new KafkaConfig({ ...base, 'no.such.key': '1', 'log.segment.bytes': '1000' });
    expect(c.unknownKeys).toEqual(['no.such.key']);
  });
});
