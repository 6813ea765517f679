// kafka-console-consumer's output: Kafka's DefaultMessageFormatter columns and separators.

import { DefaultMessageFormatter } from '../../../src/cli/console-consumer';
import type { ConsumerRecord } from '../../../src/client/consumer';
import { TimestampType } from '../../../src/protocol/records/records';

const record = (over: Partial<ConsumerRecord> = {}): ConsumerRecord => ({
  topic: 't',
  partition: 2,
  offset: 42n,
  timestamp: 1700000000000n,
  timestampType: TimestampType.CreateTime,
  key: Buffer.from('k1'),
  value: Buffer.from('v1'),
  headers: [],
  ...over,
});

const fmt = (props: Record<string, string>, r: ConsumerRecord = record()) =>
  new DefaultMessageFormatter().configure(props).format(r).toString('utf8');

describe('DefaultMessageFormatter', () => {
  test('by default only the value and a newline', () => {
    expect(fmt({})).toBe('v1\n');
    expect(fmt({}, record({ value: null }))).toBe('null\n');
    expect(fmt({}, record({ value: Buffer.alloc(0) }))).toBe('\n');
  });

  test('print.key: key<tab>value, null for a null key', () => {
    expect(fmt({ 'print.key': 'true' })).toBe('k1\tv1\n');
    expect(fmt({ 'print.key': 'true' }, record({ key: null }))).toBe('null\tv1\n');
    expect(fmt({ 'print.key': 'true' }, record({ key: null, value: null }))).toBe('null\tnull\n');
  });

  test('print.timestamp: CreateTime:<ms>, LogAppendTime:<ms>, NO_TIMESTAMP for magic 0', () => {
    expect(fmt({ 'print.timestamp': 'true' })).toBe('CreateTime:1700000000000\tv1\n');
    expect(fmt({ 'print.timestamp': 'true' }, record({ timestampType: TimestampType.LogAppendTime }))).toBe(
      'LogAppendTime:1700000000000\tv1\n',
    );
    expect(
      fmt(
        { 'print.timestamp': 'true' },
        record({ timestampType: TimestampType.NoTimestampType, timestamp: -1n }),
      ),
    ).toBe('NO_TIMESTAMP\tv1\n');
    expect(fmt({ 'print.timestamp': 'true' }, record({ timestamp: -1n }))).toBe('CreateTime:-1\tv1\n');
  });

  test('every column in Kafka order: timestamp, partition, offset, headers, key, value', () => {
    const all = {
      'print.timestamp': 'true',
      'print.partition': 'true',
      'print.offset': 'true',
      'print.headers': 'true',
      'print.key': 'true',
    };
    const headers = [
      { key: 'h1', value: Buffer.from('v1') },
      { key: 'h2', value: null },
    ];
    expect(fmt(all, record({ headers }))).toBe(
      'CreateTime:1700000000000\tPartition:2\tOffset:42\th1:v1,h2:null\tk1\tv1\n',
    );
    expect(fmt(all)).toBe('CreateTime:1700000000000\tPartition:2\tOffset:42\tNO_HEADERS\tk1\tv1\n');
  });

  test('print.value=false: the last printed column ends the line', () => {
    expect(fmt({ 'print.key': 'true', 'print.value': 'false' })).toBe('k1\n');
    expect(fmt({ 'print.timestamp': 'true', 'print.value': 'false' })).toBe('CreateTime:1700000000000\n');
    expect(fmt({ 'print.offset': 'true', 'print.partition': 'true', 'print.value': 'false' })).toBe(
      'Partition:2\tOffset:42\n',
    );
    expect(fmt({ 'print.headers': 'true', 'print.value': 'false' })).toBe('NO_HEADERS\n');
    expect(fmt({ 'print.value': 'false' })).toBe('');
  });

  test('key.separator, line.separator, headers.separator and null.literal', () => {
    const props = {
      'print.key': 'true',
      'print.headers': 'true',
      'key.separator': ' | ',
      'line.separator': '\r\n',
      'headers.separator': ';',
      'null.literal': '<nil>',
    };
    const headers = [
      { key: 'a', value: Buffer.from('1') },
      { key: 'b', value: null },
    ];
    expect(fmt(props, record({ key: null, headers }))).toBe('a:1;b:<nil> | <nil> | v1\r\n');
  });

  test('boolean properties are trimmed and case-insensitive; anything else is false', () => {
    expect(fmt({ 'print.key': ' TRUE ' })).toBe('k1\tv1\n');
    expect(fmt({ 'print.key': 'yes' })).toBe('v1\n');
    expect(fmt({ 'print.value': 'False' })).toBe('');
  });

  test('bytes are written as they are (no re-encoding)', () => {
    const raw = Buffer.from([0xff, 0x00, 0xc3, 0x28]);
    const out = new DefaultMessageFormatter().configure({}).format(record({ value: raw }));
    expect(out).toEqual(Buffer.concat([raw, Buffer.from('\n')]));
  });

  test('deserializers: numbers printed as text, unknown classes logged and ignored', () => {
    const n = Buffer.alloc(4);
    n.writeInt32BE(-7);
    const long = Buffer.alloc(8);
    long.writeBigInt64BE(1234567890123n);
    expect(
      fmt(
        {
          'print.key': 'true',
          'key.deserializer': 'org.apache.kafka.common.serialization.IntegerDeserializer',
          'value.deserializer': 'org.apache.kafka.common.serialization.LongDeserializer',
        },
        record({ key: n, value: long }),
      ),
    ).toBe('-7\t1234567890123\n');
    const logged: string[] = [];
    const f = new DefaultMessageFormatter().configure(
      { 'value.deserializer': 'com.example.Nope' },
      (level, m) => logged.push(`${level} ${m}`),
    );
    expect(f.format(record()).toString()).toBe('v1\n');
    expect(logged).toEqual(['ERROR Unable to instantiate a deserializer from com.example.Nope']);
    expect(() =>
      new DefaultMessageFormatter()
        .configure({ 'value.deserializer': 'org.apache.kafka.common.serialization.IntegerDeserializer' })
        .format(record()),
    ).toThrow('Size of data received by IntegerDeserializer is not 4');
  });
});
