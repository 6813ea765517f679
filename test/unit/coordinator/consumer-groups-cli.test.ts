// Pieces of `samsa consumer-groups` and the group handlers that must match Java exactly: the
// HashMap iteration order Kafka's tool prints rows in (checked against real Kafka 3.x output),
// Utils.getDateTime, and InetAddress.toString() for the member host.

import { javaHashMapOrder, parseDateTime } from '../../../src/cli/consumer-groups';
import { clientHostOf } from '../../../src/coordinator/group/request-context';
import { javaStringHash } from '../../../src/coordinator/group/partitioner';
import type { RequestContext } from '../../../src/server/api-handler';

const tpHash = (topic: string, partition: number) =>
  (Math.imul(31, 31 + partition) + javaStringHash(topic)) | 0;

describe('java.util.HashMap order of TopicPartition keys', () => {
  test('matches kafka-consumer-groups --describe output of a real broker', () => {
    // From a Kafka 3.x `--describe` of a 5-partition topic "hello": rows 4, 2, 3, 0, 1.
    expect(javaHashMapOrder([0, 1, 2, 3, 4], (p) => tpHash('hello', p))).toEqual([4, 2, 3, 0, 1]);
    // And of "first_topic" with 3 partitions: 0, 1, 2.
    expect(javaHashMapOrder([0, 1, 2], (p) => tpHash('first_topic', p))).toEqual([0, 1, 2]);
  });

  test('resizes past 12 entries, keeps insertion order within a bucket', () => {
    const keys = Array.from({ length: 13 }, (_, i) => i);
    // 13 keys need a 32-slot table: identity hashes come out in ascending order.
    expect(javaHashMapOrder([...keys].reverse(), (k) => k)).toEqual(keys);
    // Same bucket (16 apart in a 16-slot table): insertion order.
    expect(javaHashMapOrder([17, 1, 33], (k) => k)).toEqual([17, 1, 33]);
  });
});

describe('--to-datetime (Utils.getDateTime)', () => {
  test('UTC without a zone, offsets and Z honoured', () => {
    expect(parseDateTime('2024-01-02T03:04:05.678')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(parseDateTime('2024-01-02T03:04:05.678Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(parseDateTime('2024-01-02T03:04:05.678+02:00')).toBe(Date.UTC(2024, 0, 2, 1, 4, 5, 678));
    expect(parseDateTime('2024-01-02T03:04:05.678-0130')).toBe(Date.UTC(2024, 0, 2, 4, 34, 5, 678));
    expect(() => parseDateTime('2024-01-02')).toThrow(/does not contain a 'T'/);
  });
});

describe('member host', () => {
  const ctx = (remoteAddress: string) => ({ conn: { remoteAddress } }) as unknown as RequestContext;
  test.each([
    ['127.0.0.1', '/127.0.0.1'],
    ['::ffff:10.1.2.3', '/10.1.2.3'],
    ['::1', '/0:0:0:0:0:0:0:1'],
    ['2001:db8::a:0:1', '/2001:db8:0:0:0:a:0:1'],
  ])('%s → %s', (addr, host) => expect(clientHostOf(ctx(addr))).toBe(host));
});
