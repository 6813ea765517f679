// kafka-console-producer's line parsing: Kafka's LineMessageReader rules and Java's readLine.

import { CliError } from '../../../src/cli/cli-error';
import {
  javaSplit,
  LineMessageReader,
  parseKeyValueArgs,
  readLines,
} from '../../../src/cli/console-producer';
import { KafkaClientError } from '../../../src/client/producer';

const reader = (props: Record<string, string> = {}) =>
  new LineMessageReader().configure({ topic: 't', ...props });
const str = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));
const parsed = (r: LineMessageReader, line: string) => {
  const p = r.readRecord(line);
  return { key: str(p.key), value: str(p.value), headers: p.headers.map((h) => [h.key, str(h.value)]) };
};

describe('LineMessageReader', () => {
  test('by default the whole line is the value; no key, no headers', () => {
    expect(parsed(reader(), 'hello\tworld')).toEqual({ key: null, value: 'hello\tworld', headers: [] });
    expect(parsed(reader(), '')).toEqual({ key: null, value: '', headers: [] });
  });

  test('parse.key splits at the first key.separator (default tab)', () => {
    const r = reader({ 'parse.key': 'true' });
    expect(parsed(r, 'key0\tvalue0')).toEqual({ key: 'key0', value: 'value0', headers: [] });
    expect(parsed(r, 'k\tv\twith tab')).toEqual({ key: 'k', value: 'v\twith tab', headers: [] });
    expect(parsed(r, 'k\t')).toEqual({ key: 'k', value: '', headers: [] });
    expect(parsed(r, '\tv')).toEqual({ key: '', value: 'v', headers: [] });
  });

  test('custom and multi-character key separators; parse.key is trimmed and case-insensitive', () => {
    expect(parsed(reader({ 'parse.key': ' TRUE ', 'key.separator': ':' }), 'a:b:c')).toEqual({
      key: 'a',
      value: 'b:c',
      headers: [],
    });
    expect(parsed(reader({ 'parse.key': 'true', 'key.separator': '::' }), 'a::b')).toEqual({
      key: 'a',
      value: 'b',
      headers: [],
    });
    expect(parsed(reader({ 'parse.key': 'yes' }), 'a\tb').key).toBeNull();
  });

  test('parse.headers + parse.key: "h1:v1,h2:v2<tab>key<tab>value"', () => {
    const r = reader({ 'parse.key': 'true', 'parse.headers': 'true' });
    expect(parsed(r, 'headerKey0:headerValue0,headerKey1:headerValue1\tkey0\tvalue0')).toEqual({
      key: 'key0',
      value: 'value0',
      headers: [
        ['headerKey0', 'headerValue0'],
        ['headerKey1', 'headerValue1'],
      ],
    });
    // the header value runs to the next separator; ':' inside it stays
    expect(parsed(r, 'h:a:b\tk\tv').headers).toEqual([['h', 'a:b']]);
    // empty header value, repeated header keys kept in order
    expect(parsed(r, 'h:,h:x\tk\tv').headers).toEqual([
      ['h', ''],
      ['h', 'x'],
    ]);
  });

  test('parse.headers alone: "h1:v1<tab>value"', () => {
    expect(parsed(reader({ 'parse.headers': 'true' }), 'a:1\tthe value')).toEqual({
      key: null,
      value: 'the value',
      headers: [['a', '1']],
    });
  });

  test('custom headers.delimiter, headers.separator (a Java regex), headers.key.separator', () => {
    const r = reader({
      'parse.key': 'true',
      'parse.headers': 'true',
      'headers.delimiter': '|',
      'headers.separator': '[;&]',
      'headers.key.separator': '=',
    });
    expect(parsed(r, 'a=1;b=2&c=3|k\tv')).toEqual({
      key: 'k',
      value: 'v',
      headers: [
        ['a', '1'],
        ['b', '2'],
        ['c', '3'],
      ],
    });
  });

  test("Java's split: trailing empty pairs are dropped, a leading empty pair is an error", () => {
    const r = reader({ 'parse.headers': 'true' });
    expect(parsed(r, 'a:1,b:2,,\tv').headers).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(() => r.readRecord(',a:1\tv')).toThrow(
      "No header key separator found in pair '' on line number 2",
    );
  });

  test('errors name the separator and the line number, as Kafka', () => {
    const r = reader({ 'parse.key': 'true', 'parse.headers': 'true' });
    expect(parsed(r, 'h:1\tk\tv').key).toBe('k');
    expect(() => r.readRecord('no delimiter here')).toThrow(
      "No headers delimiter found on line number 2: 'no delimiter here'",
    );
    expect(() => r.readRecord('h:1\tnokeysep')).toThrow(
      "No key separator found on line number 3: 'h:1\tnokeysep'",
    );
    expect(() => r.readRecord('h1\tk\tv')).toThrow(
      "No header key separator found in pair 'h1' on line number 4",
    );
    try {
      r.readRecord('x');
    } catch (e) {
      expect(e).toBeInstanceOf(KafkaClientError);
      expect(String(e)).toBe(
        "org.apache.kafka.common.KafkaException: No headers delimiter found on line number 5: 'x'",
      );
    }
  });

  test('ignore.error: a missing separator leaves the key (or headers) out; a bare header key gets a null value', () => {
    const r = reader({ 'parse.key': 'true', 'parse.headers': 'true', 'ignore.error': 'true' });
    expect(parsed(r, 'just a value')).toEqual({ key: null, value: 'just a value', headers: [] });
    expect(parsed(r, 'h1,h2:x\tk\tv')).toEqual({
      key: 'k',
      value: 'v',
      headers: [
        ['h1', null],
        ['h2', 'x'],
      ],
    });
    const k = reader({ 'parse.key': 'true', 'ignore.error': 'true' });
    expect(parsed(k, 'no separator')).toEqual({ key: null, value: 'no separator', headers: [] });
  });

  test('null.marker turns a key, value or header value equal to it into null', () => {
    const r = reader({ 'parse.key': 'true', 'parse.headers': 'true', 'null.marker': '<NULL>' });
    expect(parsed(r, 'h:<NULL>\t<NULL>\tv')).toEqual({ key: null, value: 'v', headers: [['h', null]] });
    expect(parsed(r, 'h:x\tk\t<NULL>')).toEqual({ key: 'k', value: null, headers: [['h', 'x']] });
    // the whole headers part equal to the marker: no headers at all
    expect(parsed(r, '<NULL>\tk\tv')).toEqual({ key: 'k', value: 'v', headers: [] });
    // only an exact match counts
    expect(parsed(r, 'h:x\t<NULL>x\t <NULL>')).toEqual({
      key: '<NULL>x',
      value: ' <NULL>',
      headers: [['h', 'x']],
    });
    expect(() => r.readRecord('<NULL>:x\tk\tv')).toThrow(
      "Header keys should not be equal to the null marker '<NULL>' as they can't be null",
    );
    // without parse.key the value alone is compared
    expect(parsed(reader({ 'null.marker': 'NULL' }), 'NULL').value).toBeNull();
  });

  test("configuration conflicts are rejected with Kafka's messages", () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'headers.separator': '\t' }, 'headers.delimiter and headers.separator may not be equal'],
      [{ 'headers.key.separator': '\t' }, 'headers.delimiter and headers.key.separator may not be equal'],
      [{ 'headers.key.separator': ',' }, 'headers.separator and headers.key.separator may not be equal'],
      [{ 'null.marker': '\t', 'headers.delimiter': '|' }, 'null.marker and key.separator may not be equal'],
      [{ 'null.marker': ',' }, 'null.marker and headers.separator may not be equal'],
      [
        { 'null.marker': '|', 'headers.delimiter': '|', 'key.separator': ';' },
        'null.marker and headers.delimiter may not be equal',
      ],
      [{ 'null.marker': ':' }, 'null.marker and headers.key.separator may not be equal'],
    ];
    for (const [props, message] of cases) {
      expect(() => reader(props)).toThrow(CliError);
      expect(() => reader(props)).toThrow(`org.apache.kafka.common.KafkaException: ${message}`);
    }
    // key.separator may equal headers.delimiter (both tab by default)
    expect(() => reader({ 'parse.key': 'true', 'parse.headers': 'true' })).not.toThrow();
  });

  test('values are UTF-8 bytes of the line', () => {
    const p = reader({ 'parse.key': 'true' }).readRecord('ключ\tзначение ✓');
    expect(p.key).toEqual(Buffer.from('ключ', 'utf8'));
    expect(p.value).toEqual(Buffer.from('значение ✓', 'utf8'));
  });
});

describe('readLines (BufferedReader.readLine)', () => {
  async function lines(chunks: Array<string | Buffer>): Promise<string[]> {
    async function* gen() {
      for (const c of chunks) yield typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
    }
    const out: string[] = [];
    for await (const l of readLines(gen())) out.push(l);
    return out;
  }

  test('\\n, \\r\\n and \\r all end a line; a last line without terminator counts; empty lines are kept', async () => {
    expect(await lines(['a\nb\r\nc\rd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(await lines(['a\n\nb\n'])).toEqual(['a', '', 'b']);
    expect(await lines([''])).toEqual([]);
    expect(await lines(['\n'])).toEqual(['']);
  });

  test('terminators and UTF-8 characters split across chunks', async () => {
    expect(await lines(['a\r', '\nb\r', 'c'])).toEqual(['a', 'b', 'c']);
    expect(await lines(['a\r', '\r\n', 'b'])).toEqual(['a', '', 'b']);
    const euro = Buffer.from('€\n', 'utf8');
    expect(await lines([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)])).toEqual(['€']);
    expect(await lines(['ab', 'cd\nef', '', 'gh'])).toEqual(['abcd', 'efgh']);
  });
});

describe('javaSplit (String.split with limit 0)', () => {
  test('semantics of Java', () => {
    expect(javaSplit('a,b,c', /,/)).toEqual(['a', 'b', 'c']);
    expect(javaSplit('', /,/)).toEqual(['']);
    expect(javaSplit('abc', /,/)).toEqual(['abc']);
    expect(javaSplit(',', /,/)).toEqual([]);
    expect(javaSplit('a,,b,,', /,/)).toEqual(['a', '', 'b']);
    expect(javaSplit(',a', /,/)).toEqual(['', 'a']);
    expect(javaSplit('a1b22c', /\d+/)).toEqual(['a', 'b', 'c']);
  });
});

describe('parseKeyValueArgs (--property / --producer-property)', () => {
  test('splits at the first =, a missing value is empty', () => {
    expect(parseKeyValueArgs(['a=b', 'key.separator==', 'x=1=2', 'flag'])).toEqual({
      a: 'b',
      'key.separator': '=',
      x: '1=2',
      flag: '',
    });
  });
});
