import {
  calculateProposedMoveMap,
  countMoves,
  currentKey,
  followerThrottles,
  formatReassignmentJson,
  generateAssignment,
  generateBrokerMetadata,
  leaderThrottles,
  listText,
  minimizeMovement,
  parseGenerateArgs,
  parseReassignmentJson,
  parseTopicsToMoveJson,
  PartitionAssignment,
  progressLine,
  reassigningBrokers,
  ReassignCommandError,
  replicaProgress,
  summaryLine,
  validateExecuteAssignment,
  verifyLines,
} from '../../../src/admin/reassignment';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminSettings, javaHashSetOrder, runReassignPartitions } from '../../../src/cli/reassign-partitions';

const brokers = (ids: number[], rack: (id: number) => string | null = () => null) =>
  ids.map((id) => ({ id, rack: rack(id) }));
const parts = (topic: string, lists: number[][]): PartitionAssignment[] =>
  lists.map((replicas, partition) => ({ topic, partition, replicas }));
/** A random source returning the given draws in order (Kafka draws start index, then shift, per topic). */
const draws = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};
const errorOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ReassignCommandError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('--generate: Kafka’s placement with an injected random source', () => {
  test('5 brokers, 10 partitions, RF 3, start=shift=0 is AdminUtils’ documented layout', () => {
    const current = parts(
      'foo',
      Array.from({ length: 10 }, () => [0, 1, 2]),
    );
    const proposed = generateAssignment(current, brokers([0, 1, 2, 3, 4]), draws(0, 0));
    expect(proposed.map((p) => p.replicas)).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  test('start index and shift come from separate draws, per topic in topic order', () => {
    const current = [
      ...parts('a', [[1], [1], [1]]),
      ...parts('b', [
        [1, 2],
        [1, 2],
        [1, 2],
        [1, 2],
      ]),
    ];
    // a: start 2, shift 0 → leaders 3,1,2; b: start 1, shift 1 → first = (p+1)%3, follower shifted by 1+1.
    const proposed = generateAssignment(current, brokers([1, 2, 3]), draws(2, 0, 1, 1));
    expect(formatReassignmentJson(proposed)).toBe(
      '{"version":1,"partitions":[' +
        '{"topic":"a","partition":0,"replicas":[3],"log_dirs":["any"]},' +
        '{"topic":"a","partition":1,"replicas":[1],"log_dirs":["any"]},' +
        '{"topic":"a","partition":2,"replicas":[2],"log_dirs":["any"]},' +
        '{"topic":"b","partition":0,"replicas":[2,1],"log_dirs":["any","any"]},' +
        '{"topic":"b","partition":1,"replicas":[3,2],"log_dirs":["any","any"]},' +
        '{"topic":"b","partition":2,"replicas":[1,3],"log_dirs":["any","any"]},' +
        '{"topic":"b","partition":3,"replicas":[2,3],"log_dirs":["any","any"]}]}',
    );
  });

  test('rack-aware placement over the listed brokers; mixed racks are refused unless disabled', () => {
    const racks = (id: number) => ['r1', 'r3', 'r3', 'r2', 'r2', 'r1'][id];
    const cluster = brokers([0, 1, 2, 3, 4, 5], racks);
    const meta = generateBrokerMetadata(cluster, [0, 1, 2, 3, 4, 5, 9], true);
    const proposed = generateAssignment(
      parts(
        't',
        Array.from({ length: 7 }, () => [0, 1, 2]),
      ),
      meta,
      draws(0, 0),
    );
    expect(proposed.map((p) => p.replicas)).toEqual([
      [0, 3, 1],
      [3, 1, 5],
      [1, 5, 4],
      [5, 4, 2],
      [4, 2, 0],
      [2, 0, 3],
      [0, 4, 2],
    ]);
    const mixed = [
      { id: 1, rack: 'a' },
      { id: 2, rack: null },
    ];
    expect(errorOf(() => generateBrokerMetadata(mixed, [1, 2], true))).toBe(
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    );
    expect(generateBrokerMetadata(mixed, [1, 2], false)).toEqual(brokers([1, 2]));
  });

  test('argument checks', () => {
    const topics = '{"topics":[{"topic":"foo"},{"topic":"bar"}],"version":1}';
    expect(parseGenerateArgs(topics, '1,2,3')).toEqual({ brokers: [1, 2, 3], topics: ['foo', 'bar'] });
    expect(errorOf(() => parseGenerateArgs(topics, '1,2,1,2'))).toBe(
      'Broker list contains duplicate entries: [1, 2]',
    );
    expect(errorOf(() => parseGenerateArgs(topics, '1,x'))).toBe('For input string: "x"');
    expect(errorOf(() => parseGenerateArgs('{"topics":[{"topic":"a"},{"topic":"a"}]}', '1'))).toBe(
      'List of topics to reassign contains duplicate entries: [a]',
    );
    // ToolsUtils.duplicates returns a HashSet: printed in its iteration order, not input order.
    expect(errorOf(() => parseGenerateArgs(topics, '3,1,3,1'))).toBe(
      'Broker list contains duplicate entries: [1, 3]',
    );
    expect(
      errorOf(() =>
        parseGenerateArgs(
          '{"topics":[{"topic":"foo"},{"topic":"bar"},{"topic":"foo"},{"topic":"bar"}]}',
          '1',
        ),
      ),
    ).toBe('List of topics to reassign contains duplicate entries: [bar, foo]');
    expect(errorOf(() => parseTopicsToMoveJson('{"topics":'))).toBe('The input string is not a valid JSON');
    expect(errorOf(() => parseTopicsToMoveJson('{"version":2,"topics":[]}'))).toBe(
      'Not supported version field value 2',
    );
    expect(parseTopicsToMoveJson('{}')).toEqual([]);
  });
});

describe('--minimize-movement', () => {
  // Broker 1 holds every partition (and leads all of them); 2 and 3 hold half each.
  const skewed = parts('t', [
    [1, 2],
    [1, 2],
    [1, 2],
    [1, 3],
    [1, 3],
    [1, 3],
  ]);

  test('moves strictly fewer replicas than Kafka’s generator, for every start/shift', () => {
    const minimized = minimizeMovement(skewed, brokers([1, 2, 3]));
    const moves = countMoves(skewed, minimized);
    expect(moves).toBe(2);
    for (let start = 0; start < 3; start++)
      for (let shift = 0; shift < 3; shift++) {
        const kafka = generateAssignment(skewed, brokers([1, 2, 3]), draws(start, shift));
        expect(moves).toBeLessThan(countMoves(skewed, kafka));
      }
  });

  test('balances replicas and preferred leaders over the brokers', () => {
    const minimized = minimizeMovement(skewed, brokers([1, 2, 3]));
    const count = (f: (p: PartitionAssignment) => number[]) => {
      const m = new Map<number, number>();
      for (const p of minimized) for (const b of f(p)) m.set(b, (m.get(b) ?? 0) + 1);
      return [1, 2, 3].map((b) => m.get(b) ?? 0);
    };
    expect(count((p) => p.replicas)).toEqual([4, 4, 4]);
    expect(count((p) => [p.replicas[0]])).toEqual([2, 2, 2]);
    for (const p of minimized) expect(new Set(p.replicas).size).toBe(2);
  });

  test('a balanced layout does not move; a new broker takes exactly its share', () => {
    const balanced = parts('t', [
      [1, 2],
      [2, 3],
      [3, 1],
    ]);
    expect(countMoves(balanced, minimizeMovement(balanced, brokers([1, 2, 3])))).toBe(0);
    const onThree = parts(
      't',
      Array.from({ length: 8 }, (_, i) => [1 + (i % 3), 1 + ((i + 1) % 3)]),
    );
    // 16 replicas over 4 brokers: broker 4 needs 4 of them, nothing else has to move.
    expect(countMoves(onThree, minimizeMovement(onThree, brokers([1, 2, 3, 4])))).toBe(4);
  });

  test('replicas leave brokers that are not in the list; racks are spread', () => {
    const current = parts('t', [
      [1, 2],
      [2, 3],
      [3, 1],
    ]);
    const moved = minimizeMovement(current, brokers([1, 2, 4]));
    expect(moved.every((p) => !p.replicas.includes(3))).toBe(true);
    expect(countMoves(current, moved)).toBe(2);
    const rack = (id: number) => (id <= 2 ? 'a' : 'b');
    const sameRack = parts('r', [
      [1, 2],
      [1, 2],
    ]);
    const spread = minimizeMovement(sameRack, brokers([1, 2, 3, 4], rack));
    for (const p of spread) expect(new Set(p.replicas.map(rack)).size).toBe(2);
  });
});

describe('reassignment JSON', () => {
  test('parses version 1 with optional log_dirs; output is compact and sorted', () => {
    const parsed = parseReassignmentJson(
      '{"partitions":[{"topic":"b","partition":1,"replicas":[3,1]},{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","/data/x"]}]}',
    );
    expect(parsed.partitions).toEqual([
      { topic: 'b', partition: 1, replicas: [3, 1] },
      { topic: 'a', partition: 0, replicas: [1, 2] },
    ]);
    expect([...parsed.logDirs.values()]).toEqual([{ topic: 'a', partition: 0, broker: 2, dir: '/data/x' }]);
    expect(formatReassignmentJson(parsed.partitions, parsed.logDirs)).toBe(
      '{"version":1,"partitions":[{"topic":"a","partition":0,"replicas":[1,2],"log_dirs":["any","/data/x"]},{"topic":"b","partition":1,"replicas":[3,1],"log_dirs":["any","any"]}]}',
    );
  });

  test('malformed input gets Kafka’s messages', () => {
    expect(errorOf(() => parseReassignmentJson('{"partitions":[}'))).toMatch(
      /^com\.fasterxml\.jackson\.core\.JsonParseException: /,
    );
    expect(errorOf(() => parseReassignmentJson('{"version":2,"partitions":[]}'))).toBe(
      'Not supported version field value 2',
    );
    expect(errorOf(() => parseReassignmentJson('{"partitions":[{"partition":0,"replicas":[1]}]}'))).toBe(
      'No such field exists: `topic`',
    );
    expect(
      errorOf(() => parseReassignmentJson('{"partitions":[{"topic":"t","partition":"0","replicas":[1]}]}')),
    ).toBe('Expected `Int` value, received "0"');
    expect(
      errorOf(() =>
        parseReassignmentJson(
          '{"partitions":[{"topic":"foo","partition":0,"replicas":[1,2],"log_dirs":["any"]}]}',
        ),
      ),
    ).toBe('Size of replicas list [1, 2] is different from size of log dirs list [any] for partition foo-0');
  });

  test('--execute checks: empty, empty replicas, duplicate partitions, duplicate brokers', () => {
    const check = (json: string) => errorOf(() => validateExecuteAssignment(parseReassignmentJson(json)));
    expect(check('{"version":1,"partitions":[]}')).toBe('Partition reassignment list cannot be empty');
    expect(check('{"partitions":[{"topic":"t","partition":0,"replicas":[]}]}')).toBe(
      'Partition replica list cannot be empty',
    );
    expect(
      check(
        '{"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":0,"replicas":[2]}]}',
      ),
    ).toBe('Partition reassignment contains duplicate topic partitions: t-0');
    // A HashSet of TopicPartitions (hash 31·(31+p) + topic.hashCode()): t-1 iterates before t-0.
    expect(
      check(
        '{"partitions":[{"topic":"t","partition":0,"replicas":[1]},{"topic":"t","partition":1,"replicas":[1]},' +
          '{"topic":"t","partition":0,"replicas":[2]},{"topic":"t","partition":1,"replicas":[2]}]}',
      ),
    ).toBe('Partition reassignment contains duplicate topic partitions: t-1,t-0');
    expect(check('{"partitions":[{"topic":"t","partition":0,"replicas":[17,2,17,2]}]}')).toBe(
      'Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 17,2',
    );
    expect(
      check(
        '{"partitions":[{"topic":"t","partition":0,"replicas":[1,1,2,2]},{"topic":"t","partition":1,"replicas":[3,3]}]}',
      ),
    ).toBe(
      'Partition replica lists may not contain duplicate entries: t-0 contains multiple entries for 1,2. t-1 contains multiple entries for 3',
    );
  });
});

describe('throttles --execute sets', () => {
  test('foo-0 [1,2]→[2,3]: leader 0:1,0:2, follower 0:3, brokers 1,2,3', () => {
    const moves = calculateProposedMoveMap(
      [],
      [{ topic: 'foo', partition: 0, replicas: [2, 3] }],
      new Map([[currentKey({ topic: 'foo', partition: 0 }), [1, 2]]]),
    );
    expect(leaderThrottles(moves).get('foo')).toBe('0:1,0:2');
    expect(followerThrottles(moves).get('foo')).toBe('0:3');
    expect(reassigningBrokers(moves)).toEqual([1, 2, 3]);
  });

  test('in-flight moves count, with their origin replicas as sources; lists sort as strings', () => {
    const moves = calculateProposedMoveMap(
      [{ topic: 'foo', partition: 10, replicas: [4, 1, 2], addingReplicas: [4], removingReplicas: [2] }],
      [{ topic: 'foo', partition: 2, replicas: [5] }],
      new Map([[currentKey({ topic: 'foo', partition: 2 }), [1]]]),
    );
    expect(leaderThrottles(moves).get('foo')).toBe('10:1,10:2,2:1');
    expect(followerThrottles(moves).get('foo')).toBe('10:4,2:5');
  });
});

describe('output texts', () => {
  test('--verify status lines', () => {
    expect(
      verifyLines([
        { topic: 'foo', partition: 2, current: [1, 2], target: [3, 4], done: true },
        { topic: 'foo', partition: 0, current: [1, 2], target: [1, 2], done: true },
        { topic: 'foo', partition: 1, current: [1, 2, 3], target: [3], done: false },
      ]),
    ).toEqual([
      'Status of partition reassignment:',
      'Reassignment of partition foo-0 is completed.',
      'Reassignment of partition foo-1 is still in progress.',
      'There is no active reassignment of partition foo-2, but replica set is 1,2 rather than 3,4.',
    ]);
  });

  test('--list', () => {
    expect(listText([])).toBe('No partition reassignments found.');
    expect(
      listText([
        { topic: 'foo', partition: 1, replicas: [1, 2], addingReplicas: [], removingReplicas: [2] },
        {
          topic: 'foo',
          partition: 0,
          replicas: [3, 4, 5, 1, 2],
          addingReplicas: [4, 5],
          removingReplicas: [1, 2],
        },
      ]),
    ).toBe(
      'Current partition reassignments:\nfoo-0: replicas: 3,4,5,1,2. adding: 4,5. removing: 1,2.\nfoo-1: replicas: 1,2. removing: 2.',
    );
  });

  test('progress: bytes copied and remaining, rate between samples, ETA', () => {
    const mib = 1024 * 1024;
    const r = replicaProgress(4, 48 * mib, 12 * mib, { size: 6 * mib, atMs: 0 }, 2000);
    expect(r).toEqual({
      broker: 4,
      target: 48 * mib,
      copied: 12 * mib,
      remaining: 36 * mib,
      rate: 3 * mib,
      etaSeconds: 12,
    });
    expect(progressLine({ topic: 'foo', partition: 0 }, [r])).toBe(
      'foo-0: replica 4: 12.0 MiB of 48.0 MiB (25.0%), 36.0 MiB remaining, 3.0 MiB/s, ETA 12s',
    );
    expect(progressLine({ topic: 'foo', partition: 1 }, [replicaProgress(5, 100, 0)])).toBe(
      'foo-1: replica 5: 0 B of 100 B (0.0%), 100 B remaining, ETA unknown',
    );
    expect(summaryLine(1, 2, [r], 61_000)).toBe(
      'Progress: 1/2 partitions done, 12.0 MiB of 48.0 MiB copied (25.0%), 3.0 MiB/s, ETA 12s, elapsed 1m01s',
    );
  });

  test('sets print in java.util.HashSet order', () => {
    expect(javaHashSetOrder([3, 1, 2, 17, 1])).toEqual([1, 17, 2, 3]);
    // "foo".hashCode() = 101574 → bucket 7; "bar".hashCode() = 97299 → bucket 2.
    expect(javaHashSetOrder(['foo', 'bar'])).toEqual(['bar', 'foo']);
  });
});

describe('command line', () => {
  const run = async (opts: Record<string, unknown>, given: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReassignPartitions(opts, given, {
      write: (s) => out.push(s),
      err: (s) => err.push(s),
    });
    return { code, out: out.join(''), err: err.join('\n') };
  };

  test('exactly one action, a bootstrap server, the required and only the permitted options', async () => {
    expect(await run({ bootstrapServer: 'x:1' }, ['bootstrap-server'])).toEqual({
      code: 1,
      out: '',
      err: 'Command must include exactly one action: --generate, --execute, --verify, --cancel, --list',
    });
    expect((await run({ list: true }, ['list'])).err).toBe('Please specify --bootstrap-server');
    expect((await run({ verify: true, bootstrapServer: 'x:1' }, ['verify', 'bootstrap-server'])).err).toBe(
      'Missing required argument "[reassignment-json-file]"',
    );
    expect(
      (
        await run({ verify: true, bootstrapServer: 'x:1', reassignmentJsonFile: 'f', throttle: '5' }, [
          'verify',
          'bootstrap-server',
          'reassignment-json-file',
          'throttle',
        ])
      ).err,
    ).toBe('Option "[throttle]" can\'t be used with action "[verify]"');
    expect((await run({ list: true, zookeeper: 'z:1' }, ['list', 'zookeeper'])).err).toBe(
      'Option "[zookeeper]" can\'t be used with action "[list]"',
    );
    expect(
      (
        await run({ execute: true, bootstrapServer: 'x:1', reassignmentJsonFile: 'f', throttle: 'fast' }, [
          'execute',
          'bootstrap-server',
          'reassignment-json-file',
          'throttle',
        ])
      ).err,
    ).toBe("Cannot parse argument 'fast' of option throttle");
  });

  test('no option at all prints the help text; a value that does not parse fails before anything else', async () => {
    expect(await run({}, [])).toEqual({
      code: 1,
      out: '',
      err: 'This tool helps to move topic partitions between replicas.',
    });
    expect((await run({ throttle: 'x' }, ['throttle'])).err).toBe(
      "Cannot parse argument 'x' of option throttle",
    );
  });

  test('the first offending option in command-line order is reported', async () => {
    const opts = {
      bootstrapServer: 'x:1',
      execute: true,
      reassignmentJsonFile: 'f',
      brokerList: '1',
      topicsToMoveJsonFile: 't',
    };
    const given = [
      'bootstrap-server',
      'execute',
      'topics-to-move-json-file',
      'broker-list',
      'reassignment-json-file',
    ];
    const argv = [
      'node',
      'samsa',
      'reassign-partitions',
      '--bootstrap-server',
      'x:1',
      '--execute',
      '--broker-list',
      '1',
      '--topics-to-move-json-file',
      't',
      '--reassignment-json-file',
      'f',
    ];
    const err: string[] = [];
    const code = await runReassignPartitions(opts, given, {
      write: () => undefined,
      err: (s) => err.push(s),
      argv,
    });
    expect([code, err]).toEqual([1, ['Option "[broker-list]" can\'t be used with action "[execute]"']]);
  });

  test('--zookeeper as the 2.x tool took it', async () => {
    // Only with --generate, --execute and --verify, even next to --bootstrap-server.
    expect(
      (
        await run({ cancel: true, zookeeper: 'z:1', bootstrapServer: 'x:1', reassignmentJsonFile: 'f' }, [
          'cancel',
          'zookeeper',
          'bootstrap-server',
          'reassignment-json-file',
        ])
      ).err,
    ).toBe('Option "[zookeeper]" can\'t be used with action "[cancel]"');
    // Without --bootstrap-server, the options only the Admin API path has are refused.
    for (const [opt, value] of [
      ['additional', true],
      ['timeout', '5'],
      ['replica-alter-log-dirs-throttle', '5'],
      ['command-config', 'c.properties'],
      ['wait', true],
    ] as const) {
      const key = opt.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
      const r = await run({ execute: true, zookeeper: 'z:1', reassignmentJsonFile: 'f', [key]: value }, [
        'execute',
        'zookeeper',
        'reassignment-json-file',
        opt,
      ]);
      expect([r.code, r.err]).toEqual([1, `You must specify --bootstrap-server when using "[${opt}]"`]);
    }
  });

  test('--command-config: a missing file fails with its path; client.id and request.timeout.ms are used', async () => {
    const missing = path.join(os.tmpdir(), `samsa-no-such-${process.pid}.properties`);
    expect(
      await run({ list: true, bootstrapServer: 'x:1', commandConfig: missing }, [
        'list',
        'bootstrap-server',
        'command-config',
      ]),
    ).toEqual({
      code: 1,
      out: `Error: ${missing}\n`,
      err: '',
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-cc-'));
    try {
      const f = path.join(dir, 'admin.properties');
      fs.writeFileSync(
        f,
        '# admin\nclient.id=ops-tool\nrequest.timeout.ms=1234\nbootstrap.servers=ignored:1\n',
      );
      expect(adminSettings({ bootstrapServer: 'a:1', commandConfig: f })).toEqual({
        bootstrap: 'a:1',
        clientId: 'ops-tool',
        timeoutMs: 1234,
      });
      expect(adminSettings({ bootstrapServer: 'a:1' })).toEqual({
        bootstrap: 'a:1',
        clientId: 'reassign-partitions-tool',
        timeoutMs: 30000,
      });
      fs.writeFileSync(f, 'security.protocol=SSL\n');
      expect(() => adminSettings({ bootstrapServer: 'a:1', commandConfig: f })).toThrow(
        /security\.protocol SSL .* is not supported/,
      );
      fs.writeFileSync(f, 'request.timeout.ms=soon\n');
      expect(() => adminSettings({ bootstrapServer: 'a:1', commandConfig: f })).toThrow(
        'Invalid value soon for configuration request.timeout.ms: Not a number of type INT',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
