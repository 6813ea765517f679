// __consumer_offsets key/value schemas against golden bytes written out by hand from Kafka 3.9's
// layouts (coordinators.md §2): int16 version first, then the fields; non-flexible versions use
// int16 string lengths, int32 byte lengths and int32 array counts, v4 values compact encodings.

import {
  decodeGroupMetadataValue,
  decodeMessageKey,
  decodeOffsetCommitValue,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
} from '../../../src/coordinator/group/records';
import { javaStringHash, partitionForKey } from '../../../src/coordinator/group/partitioner';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const str16 = (s: string) => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)]).toString('hex');
const i64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b.toString('hex');
};

describe('partition for a group (Java String.hashCode, Utils.abs)', () => {
  test.each([
    ['test', 3556498, 48],
    ['my-group', -1906497762, 12],
    ['console-consumer-12345', 158455506, 6],
    ['polygenelubricants', -2147483648, 0],
  ])('%s → hash %d → partition %d of 50', (key, hash, partition) => {
    expect(javaStringHash(key)).toBe(hash);
    expect(partitionForKey(key, 50)).toBe(partition);
  });

  test('UTF-16 code units, not bytes or code points', () => {
    // "é" is one UTF-16 unit (0xe9); "😀" is two (0xd83d 0xde00)
    expect(javaStringHash('é')).toBe(0xe9);
    expect(javaStringHash('😀')).toBe(0xd83d * 31 + 0xde00);
  });
});

describe('keys', () => {
  test('OffsetCommitKey is written at version 1: group, topic, partition', () => {
    const b = encodeOffsetCommitKey('g1', 'orders', 7);
    expect(b.toString('hex')).toBe('0001' + str16('g1') + str16('orders') + '00000007');
    expect(decodeMessageKey(b)).toEqual({
      kind: 'offset',
      version: 1,
      group: 'g1',
      topic: 'orders',
      partition: 7,
    });
  });

  test('OffsetCommitKey version 0 reads the same', () => {
    const b = hex('0000' + str16('g') + str16('t') + '00000002');
    expect(decodeMessageKey(b)).toEqual({ kind: 'offset', version: 0, group: 'g', topic: 't', partition: 2 });
  });

  test('GroupMetadataKey is version 2: group', () => {
    const b = encodeGroupMetadataKey('my-group');
    expect(b.toString('hex')).toBe('0002' + str16('my-group'));
    expect(decodeMessageKey(b)).toEqual({ kind: 'group', version: 2, group: 'my-group' });
  });

  test('other key versions are unknown', () => {
    expect(decodeMessageKey(hex('0003 0001 67'))).toEqual({ kind: 'unknown', version: 3 });
  });
});

describe('OffsetCommitValue', () => {
  test('written as v3: offset, leader epoch, metadata, commit timestamp', () => {
    const b = encodeOffsetCommitValue({
      offset: 42n,
      leaderEpoch: 5,
      metadata: 'meta',
      commitTimestamp: 1700000000000n,
      expireTimestamp: null,
    });
    expect(b.toString('hex')).toBe('0003' + i64(42) + '00000005' + str16('meta') + i64(1700000000000));
  });

  test('written as v1 when the commit has an expire timestamp (no leader epoch)', () => {
    const b = encodeOffsetCommitValue({
      offset: 42n,
      leaderEpoch: 5,
      metadata: '',
      commitTimestamp: 1000n,
      expireTimestamp: 2000n,
    });
    expect(b.toString('hex')).toBe('0001' + i64(42) + '0000' + i64(1000) + i64(2000));
    expect(decodeOffsetCommitValue(b)).toEqual({
      offset: 42n,
      leaderEpoch: -1,
      metadata: '',
      commitTimestamp: 1000n,
      expireTimestamp: 2000n,
    });
  });

  test('reads v0 and v2 (offset, metadata, commit timestamp)', () => {
    for (const v of ['0000', '0002']) {
      const b = hex(v + i64(9) + str16('x') + i64(77));
      expect(decodeOffsetCommitValue(b)).toEqual({
        offset: 9n,
        leaderEpoch: -1,
        metadata: 'x',
        commitTimestamp: 77n,
        expireTimestamp: null,
      });
    }
  });

  test('reads v3 with leader epoch −1', () => {
    const b = hex('0003' + i64(1) + 'ffffffff' + '0000' + i64(2));
    expect(decodeOffsetCommitValue(b).leaderEpoch).toBe(-1);
  });

  test('reads v4 (flexible: compact metadata, tagged fields)', () => {
    // compact string "ab" = uvarint 3 then bytes; empty tagged section 00
    const b = hex('0004' + i64(10) + '00000003' + '03' + Buffer.from('ab').toString('hex') + i64(5) + '00');
    expect(decodeOffsetCommitValue(b)).toEqual({
      offset: 10n,
      leaderEpoch: 3,
      metadata: 'ab',
      commitTimestamp: 5n,
      expireTimestamp: null,
    });
  });
});

describe('GroupMetadataValue', () => {
  const member = {
    memberId: 'm1',
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/h',
    rebalanceTimeout: 300000,
    sessionTimeout: 10000,
    subscription: hex('0102'),
    assignment: hex('03'),
  };
  const golden =
    '0003' +
    str16('consumer') +
    '00000001' +
    str16('range') +
    str16('m1') +
    i64(42) +
    '00000001' +
    str16('m1') +
    'ffff' +
    str16('c') +
    str16('/h') +
    '000493e0' +
    '00002710' +
    '00000002' +
    '0102' +
    '00000001' +
    '03';

  test('written as v3', () => {
    const b = encodeGroupMetadataValue({
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 42n,
      members: [member],
    });
    expect(b.toString('hex')).toBe(golden);
    expect(decodeGroupMetadataValue(b)).toEqual({
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 42n,
      members: [member],
    });
  });

  test('an empty group: null protocol and leader, no members', () => {
    const b = encodeGroupMetadataValue({
      protocolType: 'consumer',
      generation: 3,
      protocol: null,
      leader: null,
      currentStateTimestamp: 7n,
      members: [],
    });
    expect(b.toString('hex')).toBe(
      '0003' + str16('consumer') + '00000003' + 'ffff' + 'ffff' + i64(7) + '00000000',
    );
  });

  test('reads v0: no state timestamp, no rebalance timeout (session timeout used), no instance id', () => {
    const b = hex(
      '0000' +
        str16('consumer') +
        '00000002' +
        str16('range') +
        str16('m') +
        '00000001' +
        str16('m') +
        str16('c') +
        str16('/h') +
        '00001770' +
        '00000000' +
        '00000000',
    );
    const v = decodeGroupMetadataValue(b);
    expect(v.currentStateTimestamp).toBe(-1n);
    expect(v.members[0]).toEqual({
      memberId: 'm',
      groupInstanceId: null,
      clientId: 'c',
      clientHost: '/h',
      rebalanceTimeout: 6000,
      sessionTimeout: 6000,
      subscription: Buffer.alloc(0),
      assignment: Buffer.alloc(0),
    });
  });

  test('reads v4 (flexible) with a static member', () => {
    const cs = (s: string) => (s.length + 1).toString(16).padStart(2, '0') + Buffer.from(s).toString('hex');
    const b = hex(
      '0004' +
        cs('consumer') +
        '00000001' +
        cs('range') +
        cs('m') +
        i64(9) +
        '02' + // one member
        cs('m') +
        cs('inst') +
        cs('c') +
        cs('/h') +
        '0000ea60' +
        '00002710' +
        '02aa' + // compact bytes [aa]
        '01' + // compact empty bytes
        '00' + // member tagged fields
        '00', // top-level tagged fields
    );
    const v = decodeGroupMetadataValue(b);
    expect(v.members).toEqual([
      {
        memberId: 'm',
        groupInstanceId: 'inst',
        clientId: 'c',
        clientHost: '/h',
        rebalanceTimeout: 60000,
        sessionTimeout: 10000,
        subscription: hex('aa'),
        assignment: Buffer.alloc(0),
      },
    ]);
    expect(encodeGroupMetadataValue(v, 4).equals(b)).toBe(true);
  });
});
