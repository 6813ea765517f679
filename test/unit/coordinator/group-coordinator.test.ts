// The classic group state machine and offset handling of the group coordinator, driven through
// its public handle* methods with fake timers and an in-memory __consumer_offsets partition.

import {
  GroupCoordinator,
  GroupConfig,
  JoinGroupParams,
} from '../../../src/coordinator/group/group-coordinator';
import type { JoinGroupResult, OffsetAndMetadata } from '../../../src/coordinator/group/group-metadata';
import { GroupMetadataManager, StorageConfig } from '../../../src/coordinator/group/group-metadata-manager';
import { decodeGroupMetadataValue, decodeMessageKey } from '../../../src/coordinator/group/records';
import { ErrorCode } from '../../../src/protocol/errors';
import { decodeRecordsSync, splitBatches } from '../../../src/protocol/records/records';
import { setLogLevel } from '../../../src/utils/logger';
import { FakePartitions } from './fake-offsets-log';

const MIN = 60_000;

function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // user data null
  return Buffer.concat(parts);
}

interface Setup {
  coordinator: GroupCoordinator;
  manager: GroupMetadataManager;
  partitions: FakePartitions;
}

const storage = (o: Partial<StorageConfig> = {}): StorageConfig => ({
  brokerId: 0,
  offsetsTopicNumPartitions: 1,
  offsetsTopicCompressionCodec: 0,
  offsetsRetentionMs: 7 * 24 * 60 * MIN,
  offsetCommitTimeoutMs: 5000,
  offsetCommitRequiredAcks: -1,
  offsetsLoadBufferSize: 5 * 1024 * 1024,
  offsetMetadataMaxSize: 4096,
  ...o,
});

async function setup(
  groupConfig: Partial<GroupConfig> = {},
  storageConfig: Partial<StorageConfig> = {},
  partitions = new FakePartitions(storageConfig.offsetsTopicNumPartitions ?? 1),
): Promise<Setup> {
  const manager = new GroupMetadataManager(storage(storageConfig), partitions);
  const coordinator = new GroupCoordinator(
    0,
    {
      groupMinSessionTimeoutMs: 6000,
      groupMaxSessionTimeoutMs: 1_800_000,
      groupMaxSize: 100,
      groupInitialRebalanceDelayMs: 0,
      ...groupConfig,
    },
    manager,
  );
  coordinator.startup();
  for (const p of partitions.logs.keys()) await coordinator.onElection(p, 0);
  return { coordinator, manager, partitions };
}

function params(o: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    requireKnownMemberId: true,
    supportSkippingAssignment: false,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    rebalanceTimeoutMs: 10_000,
    sessionTimeoutMs: 10_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    ...o,
  };
}

/**
 * tick(ms) advances the clock exactly; tick() lets pending promises and short timer chains run
 * (fake timers fire a zero-delay timer set during a tick 1 ms later, so it steps 1 ms a few times).
 */
async function tick(ms?: number): Promise<void> {
  if (ms !== undefined) {
    await jest.advanceTimersByTimeAsync(ms);
    return;
  }
  for (let i = 0; i < 5; i++) await jest.advanceTimersByTimeAsync(1);
}

/** KIP-394 join: MEMBER_ID_REQUIRED, then the rejoin (still pending until the join phase ends). */
async function joinNew(
  c: GroupCoordinator,
  o: Partial<JoinGroupParams> = {},
): Promise<[Promise<JoinGroupResult>]> {
  const first = await c.joinGroup(params(o));
  expect(first.error).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  // Wrapped: awaiting joinNew must not wait for the join phase itself.
  return [c.joinGroup(params({ ...o, memberId: first.memberId }))];
}

function settled<T>(p: Promise<T>): { done: boolean; value?: T } {
  const s: { done: boolean; value?: T } = { done: false };
  void p.then((v) => {
    s.done = true;
    s.value = v;
  });
  return s;
}

async function sync(c: GroupCoordinator, j: JoinGroupResult, assignments: Record<string, Buffer> = {}) {
  return c.syncGroup({
    groupId: 'g',
    generationId: j.generationId,
    memberId: j.memberId,
    protocolType: null,
    protocolName: null,
    groupInstanceId: null,
    assignments: new Map(Object.entries(assignments)),
  });
}

function offset(o: bigint, metadata = ''): OffsetAndMetadata {
  return { offset: o, leaderEpoch: -1, metadata, commitTimestamp: BigInt(Date.now()), expireTimestamp: null };
}

function logRecords(s: Setup, partition = 0) {
  const log = s.partitions.logs.get(partition)!;
  const buf = log.read(0n, 1 << 30);
  return splitBatches(buf).batches.flatMap((b) =>
    decodeRecordsSync(buf, b.position).map((r) => ({ key: decodeMessageKey(r.key!), value: r.value })),
  );
}

beforeAll(() => setLogLevel('error'));

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('joining and syncing', () => {
  test('KIP-394: MEMBER_ID_REQUIRED first; the rejoin leads generation 1; SyncGroup stores the assignment → Stable', async () => {
    const s = await setup();
    const c = s.coordinator;
    const first = await c.joinGroup(params());
    expect(first).toMatchObject({ error: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, leaderId: '' });
    expect(first.memberId).toMatch(/^client-[0-9a-f-]{36}$/);
    expect(c.handleDescribeGroup('g').summary.state).toBe('Empty');

    const join = c.joinGroup(params({ memberId: first.memberId }));
    await tick();
    const j = await join;
    expect(j).toMatchObject({
      error: ErrorCode.NONE,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leaderId: first.memberId,
      memberId: first.memberId,
    });
    expect(j.members.map((m) => m.memberId)).toEqual([first.memberId]);
    expect(c.handleDescribeGroup('g').summary.state).toBe('CompletingRebalance');

    const r = await sync(c, j, { [j.memberId]: Buffer.from('assignment') });
    expect(r).toMatchObject({ error: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
    expect(r.assignment.toString()).toBe('assignment');
    const d = c.handleDescribeGroup('g').summary;
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(d.members[0].assignment.toString()).toBe('assignment');

    const records = logRecords(s);
    expect(records).toHaveLength(1);
    expect(records[0].key).toEqual({ kind: 'group', version: 2, group: 'g' });
    const v = decodeGroupMetadataValue(records[0].value!);
    expect(v).toMatchObject({
      protocolType: 'consumer',
      generation: 1,
      protocol: 'range',
      leader: j.memberId,
    });
    expect(v.members[0]).toMatchObject({
      memberId: j.memberId,
      clientId: 'client',
      clientHost: '/127.0.0.1',
    });
    expect(v.members[0].assignment.toString()).toBe('assignment');
  });

  test('JoinGroup v0-v3 (no KIP-394): the member is added at once', async () => {
    const { coordinator: c } = await setup();
    const join = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    expect(await join).toMatchObject({ error: ErrorCode.NONE, generationId: 1 });
  });

  test('a second member triggers a rebalance; the first learns it from its heartbeat and both join generation 2', async () => {
    const { coordinator: c } = await setup();
    const [j1p] = await joinNew(c, { clientId: 'a' });
    await tick();
    const j1 = await j1p;
    await sync(c, j1);
    expect(c.handleHeartbeat('g', j1.memberId, null, 1)).toBe(ErrorCode.NONE);

    const [j2p] = await joinNew(c, { clientId: 'b' });
    const j2s = settled(j2p);
    await tick();
    expect(c.handleDescribeGroup('g').summary.state).toBe('PreparingRebalance');
    expect(j2s.done).toBe(false);
    expect(c.handleHeartbeat('g', j1.memberId, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);

    const r1 = c.joinGroup(params({ clientId: 'a', memberId: j1.memberId }));
    await tick();
    const [a, b] = await Promise.all([r1, j2p]);
    expect(a.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(a.leaderId).toBe(j1.memberId);
    expect(a.members.map((m) => m.memberId).sort()).toEqual([j1.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);

    // The follower's SyncGroup waits for the leader's.
    const fs = settled(sync(c, b));
    await tick();
    expect(fs.done).toBe(false);
    await sync(c, a, { [a.memberId]: Buffer.from('A'), [b.memberId]: Buffer.from('B') });
    await tick();
    expect(fs.done).toBe(true);
    expect(fs.value!.assignment.toString()).toBe('B');
    expect(c.handleDescribeGroup('g').summary.state).toBe('Stable');
  });

  test('a member that misses its session timeout is removed and the others rebalance', async () => {
    const { coordinator: c } = await setup();
    const [a] = await joinNew(c, { clientId: 'a', sessionTimeoutMs: 6000 });
    const [b] = await joinNew(c, { clientId: 'b', sessionTimeoutMs: 30_000 });
    await tick();
    const [ja, jb] = await Promise.all([a, b]);
    expect(ja.generationId).toBe(1);
    expect(jb.generationId).toBe(1);
    const leader = ja.leaderId === ja.memberId ? ja : jb;
    await Promise.all([sync(c, ja), sync(c, jb)]);
    expect(c.handleDescribeGroup('g').summary.members).toHaveLength(2);

    // b keeps heartbeating; a goes silent.
    for (let t = 0; t < 5; t++) {
      await tick(1000);
      expect(c.handleHeartbeat('g', jb.memberId, null, 1)).toBe(ErrorCode.NONE);
    }
    expect(c.handleDescribeGroup('g').summary.state).toBe('Stable');
    await tick(1500);
    expect(c.handleDescribeGroup('g').summary.state).toBe('PreparingRebalance');
    expect(c.handleHeartbeat('g', jb.memberId, null, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c.handleHeartbeat('g', ja.memberId, null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = c.joinGroup(params({ clientId: 'b', memberId: jb.memberId, sessionTimeoutMs: 30_000 }));
    await tick();
    const r = await rejoin;
    expect(r).toMatchObject({ error: ErrorCode.NONE, generationId: 2, leaderId: jb.memberId });
    expect(r.members.map((m) => m.memberId)).toEqual([jb.memberId]);
    expect(leader).toBeDefined();
  });

  test('group.initial.rebalance.delay.ms: an Empty group waits, and each newcomer extends the wait within the rebalance timeout', async () => {
    const { coordinator: c } = await setup({ groupInitialRebalanceDelayMs: 3000 });
    const a = settled(c.joinGroup(params({ requireKnownMemberId: false, clientId: 'a' })));
    await tick(2000);
    const b = settled(c.joinGroup(params({ requireKnownMemberId: false, clientId: 'b' })));
    await tick(1000); // t=3000: b arrived during the delay → another delay
    expect(a.done).toBe(false);
    await tick(2999); // t=5999
    expect(a.done).toBe(false);
    await tick(1); // t=6000
    expect(a.done && b.done).toBe(true);
    expect(a.value!.generationId).toBe(1);
    expect(b.value!.generationId).toBe(1);
    expect(a.value!.members).toHaveLength(2);
  });

  test('the initial delay never exceeds the rebalance timeout', async () => {
    const { coordinator: c } = await setup({ groupInitialRebalanceDelayMs: 3000 });
    const results: Array<{ done: boolean }> = [];
    results.push(settled(c.joinGroup(params({ requireKnownMemberId: false, rebalanceTimeoutMs: 7000 }))));
    for (let t = 1; t <= 9; t++) {
      await tick(1000);
      if (t < 7)
        results.push(settled(c.joinGroup(params({ requireKnownMemberId: false, rebalanceTimeoutMs: 7000 }))));
    }
    // delays: 3000 (+newcomers) → 3000 (+newcomers) → 1000 (remaining) → complete at 7000
    expect(results.every((r) => r.done)).toBe(true);
  });

  test('protocol selection: only protocols every member supports; most first-choice votes wins', async () => {
    const { coordinator: c } = await setup();
    const rr = { name: 'roundrobin', metadata: subscription(['t']) };
    const range = { name: 'range', metadata: subscription(['t']) };
    const sticky = { name: 'sticky', metadata: subscription(['t']) };
    const joins = [
      [sticky, rr, range],
      [rr, range],
      [rr, sticky, range],
    ].map((protocols) => c.joinGroup(params({ requireKnownMemberId: false, protocols })));
    await tick();
    const results = await Promise.all(joins);
    expect(new Set(results.map((r) => r.protocolName))).toEqual(new Set(['roundrobin']));
  });

  test('INCONSISTENT_GROUP_PROTOCOL: another protocol type, or no protocol in common with all members', async () => {
    const { coordinator: c } = await setup();
    const j = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    await j;
    const other = await c.joinGroup(params({ requireKnownMemberId: false, protocolType: 'connect' }));
    expect(other).toMatchObject({
      error: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
      memberId: '',
      generationId: -1,
    });
    const noCommon = await c.joinGroup(
      params({ requireKnownMemberId: false, protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }),
    );
    expect(noCommon.error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const emptyType = await c.joinGroup(
      params({ groupId: 'other', requireKnownMemberId: false, protocolType: '' }),
    );
    expect(emptyType.error).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('validation errors', async () => {
    const { coordinator: c } = await setup({ groupMaxSize: 1 });
    expect((await c.joinGroup(params({ groupId: '' }))).error).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await c.joinGroup(params({ sessionTimeoutMs: 5999 }))).error).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await c.joinGroup(params({ sessionTimeoutMs: 1_800_001 }))).error).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await c.joinGroup(params({ memberId: 'nobody' }))).error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const a = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    const ja = await a;
    const full = await c.joinGroup(params({ requireKnownMemberId: false }));
    expect(full).toMatchObject({ error: ErrorCode.GROUP_MAX_SIZE_REACHED, memberId: '' });
    expect(c.handleHeartbeat('g', ja.memberId, null, 7)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync(c, { ...ja, generationId: 7 })).error).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.handleHeartbeat('g', 'nobody', null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.handleHeartbeat('missing', 'x', null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(
      (
        await c.syncGroup({
          groupId: 'g',
          generationId: 1,
          memberId: ja.memberId,
          protocolType: 'consumer',
          protocolName: 'roundrobin',
          groupInstanceId: null,
          assignments: new Map(),
        })
      ).error,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  test('a member that does not send SyncGroup within the rebalance timeout is removed', async () => {
    const { coordinator: c } = await setup();
    const [a] = await joinNew(c, { clientId: 'a' });
    const [b] = await joinNew(c, { clientId: 'b' });
    await tick();
    const [ja, jb] = await Promise.all([a, b]);
    const leader = ja.leaderId === ja.memberId ? ja : jb;
    const follower = leader === ja ? jb : ja;
    const ls = settled(sync(c, leader));
    await tick(10_000);
    // The leader's sync was answered when the group stored the assignment; the follower never synced.
    expect(ls.done).toBe(true);
    expect(c.handleHeartbeat('g', follower.memberId, null, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('static membership', () => {
  test('a known instance rejoining with an unknown member id replaces the old id without a rebalance; the old id is fenced', async () => {
    const { coordinator: c } = await setup();
    const j = c.joinGroup(params({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    await tick();
    const first = await j;
    expect(first.memberId).toMatch(/^i1-/);
    await sync(c, first, { [first.memberId]: Buffer.from('x') });
    expect(c.handleDescribeGroup('g').summary.state).toBe('Stable');

    const again = c.joinGroup(params({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    await tick();
    const second = await again;
    expect(second.error).toBe(ErrorCode.NONE);
    expect(second.memberId).not.toBe(first.memberId);
    expect(second.generationId).toBe(1);
    // Before v9 the old leader id comes back, so the new id does not run the assignor.
    expect(second.leaderId).toBe(first.memberId);
    expect(c.handleDescribeGroup('g').summary.state).toBe('Stable');
    expect(c.handleHeartbeat('g', first.memberId, 'i1', 1)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(c.handleHeartbeat('g', second.memberId, 'i1', 1)).toBe(ErrorCode.NONE);
    expect(c.handleHeartbeat('g', second.memberId, 'i2', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const s = await c.syncGroup({
      groupId: 'g',
      generationId: 1,
      memberId: second.memberId,
      protocolType: null,
      protocolName: null,
      groupInstanceId: 'i1',
      assignments: new Map(),
    });
    expect(s.assignment.toString()).toBe('x');
  });

  test('v9: the static leader rejoining a Stable group is told to skip the assignment', async () => {
    const { coordinator: c } = await setup();
    const j = c.joinGroup(params({ groupInstanceId: 'i1', requireKnownMemberId: false }));
    await tick();
    await sync(c, await j);
    const again = c.joinGroup(
      params({ groupInstanceId: 'i1', requireKnownMemberId: false, supportSkippingAssignment: true }),
    );
    await tick();
    const r = await again;
    expect(r).toMatchObject({ error: ErrorCode.NONE, skipAssignment: true, leaderId: r.memberId });
    expect(r.members.map((m) => m.memberId)).toEqual([r.memberId]);
  });

  test('static members are kept across a rebalance they miss; dynamic ones are dropped', async () => {
    const { coordinator: c } = await setup();
    const s1 = c.joinGroup(
      params({ groupInstanceId: 'i1', requireKnownMemberId: false, sessionTimeoutMs: 60_000 }),
    );
    const d1 = c.joinGroup(params({ requireKnownMemberId: false, clientId: 'dyn' }));
    await tick();
    const [js, jd] = await Promise.all([s1, d1]);
    await Promise.all([sync(c, js), sync(c, jd)]);
    // A third member joins; nobody else rejoins before the rebalance timeout.
    const third = c.joinGroup(params({ requireKnownMemberId: false, clientId: 'new' }));
    await tick(10_000);
    const r = await third;
    expect(r.generationId).toBe(2);
    const ids = c.handleDescribeGroup('g').summary.members.map((m) => m.memberId);
    expect(ids).toContain(js.memberId);
    expect(ids).not.toContain(jd.memberId);
  });
});

describe('LeaveGroup', () => {
  test('batch leave (v3+): members leave, unknown ones get UNKNOWN_MEMBER_ID, the group ends Empty', async () => {
    const s = await setup();
    const c = s.coordinator;
    const a = c.joinGroup(params({ requireKnownMemberId: false, clientId: 'a' }));
    const b = c.joinGroup(params({ requireKnownMemberId: false, groupInstanceId: 'ib' }));
    await tick();
    const [ja, jb] = await Promise.all([a, b]);
    await Promise.all([sync(c, ja), sync(c, jb)]);
    const r = c.handleLeaveGroup('g', [
      { memberId: ja.memberId, groupInstanceId: null, reason: 'bye' },
      { memberId: '', groupInstanceId: 'ib', reason: null },
      { memberId: 'ghost', groupInstanceId: null, reason: null },
    ]);
    expect(r.topLevelError).toBe(ErrorCode.NONE);
    expect(r.members.map((m) => m.error)).toEqual([
      ErrorCode.NONE,
      ErrorCode.NONE,
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    await tick();
    const d = c.handleDescribeGroup('g').summary;
    expect(d.state).toBe('Empty');
    const last = logRecords(s).at(-1)!;
    expect(decodeGroupMetadataValue(last.value!)).toMatchObject({
      generation: 2,
      protocol: null,
      members: [],
    });
  });

  test('leaving a missing group: NONE with UNKNOWN_MEMBER_ID per member', async () => {
    const { coordinator: c } = await setup();
    expect(c.handleLeaveGroup('nope', [{ memberId: 'm', groupInstanceId: null, reason: null }])).toEqual({
      topLevelError: ErrorCode.NONE,
      members: [{ memberId: 'm', groupInstanceId: null, error: ErrorCode.UNKNOWN_MEMBER_ID }],
    });
  });
});

describe('offsets', () => {
  test('a group without members commits with generation −1 and fetches its offsets', async () => {
    const s = await setup();
    const c = s.coordinator;
    const r = await c.commitOffsets('simple', '', null, -1, [
      { topic: 't', partition: 0, value: offset(10n, 'meta') },
      { topic: 't', partition: 1, value: offset(20n) },
    ]);
    expect(r.map((x) => x.error)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const f = c.handleFetchOffsets('simple', false, [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 5 },
    ]);
    expect(f.offsets).toEqual([
      { topic: 't', partition: 0, offset: 10n, leaderEpoch: -1, metadata: 'meta', error: ErrorCode.NONE },
      { topic: 't', partition: 5, offset: -1n, leaderEpoch: -1, metadata: '', error: ErrorCode.NONE },
    ]);
    expect(c.handleFetchOffsets('simple', false, null).offsets.map((o) => o.offset)).toEqual([10n, 20n]);
    expect(c.handleFetchOffsets('unknown', false, null).offsets).toEqual([]);
    expect(c.handleDescribeGroup('simple').summary).toMatchObject({ state: 'Empty', protocolType: '' });
    expect(logRecords(s).map((x) => x.key)).toEqual([
      { kind: 'offset', version: 1, group: 'simple', topic: 't', partition: 0 },
      { kind: 'offset', version: 1, group: 'simple', topic: 't', partition: 1 },
    ]);
  });

  test('require_stable: UNSTABLE_OFFSET_COMMIT while a commit is in flight', async () => {
    const s = await setup();
    let open!: () => void;
    s.partitions.logs.get(0)!.gate = new Promise((r) => (open = r));
    const commit = s.coordinator.commitOffsets('g', '', null, -1, [
      { topic: 't', partition: 0, value: offset(5n) },
    ]);
    await tick();
    expect(s.coordinator.handleFetchOffsets('g', true, [{ topic: 't', partition: 0 }]).offsets[0].error).toBe(
      ErrorCode.UNSTABLE_OFFSET_COMMIT,
    );
    expect(
      s.coordinator.handleFetchOffsets('g', false, [{ topic: 't', partition: 0 }]).offsets[0],
    ).toMatchObject({
      offset: -1n,
      error: ErrorCode.NONE,
    });
    open();
    await commit;
    expect(
      s.coordinator.handleFetchOffsets('g', true, [{ topic: 't', partition: 0 }]).offsets[0],
    ).toMatchObject({
      offset: 5n,
      error: ErrorCode.NONE,
    });
  });

  test('member commits: generation and member checks, REBALANCE_IN_PROGRESS before the assignment', async () => {
    const { coordinator: c } = await setup({}, { offsetMetadataMaxSize: 5 });
    const jp = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    const j = await jp;
    const tp = (o: bigint, m = '') => [{ topic: 't', partition: 0, value: offset(o, m) }];
    expect((await c.commitOffsets('g', j.memberId, null, 1, tp(1n)))[0].error).toBe(
      ErrorCode.REBALANCE_IN_PROGRESS,
    );
    await sync(c, j);
    expect((await c.commitOffsets('g', j.memberId, null, 1, tp(1n)))[0].error).toBe(ErrorCode.NONE);
    expect((await c.commitOffsets('g', j.memberId, null, 0, tp(1n)))[0].error).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await c.commitOffsets('g', 'x', null, 1, tp(1n)))[0].error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.commitOffsets('g', '', null, -1, tp(1n)))[0].error).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.commitOffsets('g', j.memberId, null, 1, tp(2n, 'toolong')))[0].error).toBe(
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
    );
    expect((await c.commitOffsets('missing', 'm', null, 3, tp(1n)))[0].error).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
  });

  test('append errors are mapped as Kafka maps them', async () => {
    const s = await setup();
    s.partitions.logs.get(0)!.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const r = await s.coordinator.commitOffsets('g', '', null, -1, [
      { topic: 't', partition: 0, value: offset(1n) },
    ]);
    expect(r[0].error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    s.partitions.logs.get(0)!.failWith = ErrorCode.MESSAGE_TOO_LARGE;
    const r2 = await s.coordinator.commitOffsets('g', '', null, -1, [
      { topic: 't', partition: 0, value: offset(1n) },
    ]);
    expect(r2[0].error).toBe(ErrorCode.INVALID_COMMIT_OFFSET_SIZE);
    expect(s.coordinator.handleFetchOffsets('g', true, null).offsets).toEqual([]);
  });

  test('expiry: an Empty group loses its offsets after the retention, with tombstones; commit-only groups per offset', async () => {
    const s = await setup({}, { offsetsRetentionMs: 60_000 });
    const c = s.coordinator;
    await c.commitOffsets('simple', '', null, -1, [{ topic: 't', partition: 0, value: offset(1n) }]);
    await tick(30_000);
    await c.commitOffsets('simple', '', null, -1, [{ topic: 't', partition: 1, value: offset(2n) }]);
    await tick(30_000);
    await s.manager.cleanupExpiredOffsets();
    expect(c.handleFetchOffsets('simple', false, null).offsets.map((o) => o.partition)).toEqual([1]);
    await tick(30_000);
    await s.manager.cleanupExpiredOffsets();
    expect(c.handleFetchOffsets('simple', false, null).offsets).toEqual([]);
    expect(c.handleDescribeGroup('simple').summary.state).toBe('Dead');
    const tombstones = logRecords(s).filter((r) => r.value === null);
    expect(tombstones.map((t) => t.key)).toEqual([
      { kind: 'offset', version: 1, group: 'simple', topic: 't', partition: 0 },
      { kind: 'offset', version: 1, group: 'simple', topic: 't', partition: 1 },
    ]);
  });
});

describe('loading and unloading (coordinator failover)', () => {
  test('a new coordinator loads groups and offsets from the partition; LOAD_IN_PROGRESS meanwhile; tombstones honoured', async () => {
    const s = await setup();
    const c = s.coordinator;
    const jp = c.joinGroup(params({ requireKnownMemberId: false, groupInstanceId: 'static-1' }));
    await tick();
    const j = await jp;
    await sync(c, j, { [j.memberId]: Buffer.from('A') });
    await c.commitOffsets('g', j.memberId, 'static-1', 1, [
      { topic: 't', partition: 0, value: offset(100n) },
      { topic: 't', partition: 1, value: offset(200n) },
    ]);
    await c.commitOffsets('g', j.memberId, 'static-1', 1, [
      { topic: 't', partition: 0, value: offset(150n) },
    ]);
    await c.commitOffsets('gone', '', null, -1, [{ topic: 'x', partition: 0, value: offset(1n) }]);
    expect((await c.handleDeleteGroups(['gone'])).get('gone')).toBe(ErrorCode.NONE);
    await c.commitOffsets('deleted-offsets', '', null, -1, [
      { topic: 'y', partition: 0, value: offset(1n) },
      { topic: 'y', partition: 1, value: offset(2n) },
    ]);
    expect(
      (await c.handleDeleteOffsets('deleted-offsets', [{ topic: 'y', partition: 0 }])).partitions,
    ).toEqual([{ topic: 'y', partition: 0, error: ErrorCode.NONE }]);

    // Failover: the old coordinator resigns, a new one (same log) is elected.
    s.partitions.logs.get(0)!.leaderEpoch = 1;
    await c.onResignation(0, 1);
    expect(c.handleHeartbeat('g', j.memberId, 'static-1', 1)).toBe(ErrorCode.NOT_COORDINATOR);

    const manager2 = new GroupMetadataManager(storage(), s.partitions);
    const c2 = new GroupCoordinator(
      1,
      {
        groupMinSessionTimeoutMs: 6000,
        groupMaxSessionTimeoutMs: 1_800_000,
        groupMaxSize: 100,
        groupInitialRebalanceDelayMs: 0,
      },
      manager2,
    );
    c2.startup();
    const loading = c2.onElection(0, 1);
    expect(c2.handleFetchOffsets('g', false, null).error).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(
      (
        await c2.syncGroup({
          groupId: 'g',
          generationId: 1,
          memberId: j.memberId,
          protocolType: null,
          protocolName: null,
          groupInstanceId: null,
          assignments: new Map(),
        })
      ).error,
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(c2.handleHeartbeat('g', j.memberId, 'static-1', 1)).toBe(ErrorCode.NONE);
    await loading;

    const d = c2.handleDescribeGroup('g').summary;
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocol: 'range' });
    expect(d.members.map((m) => [m.memberId, m.groupInstanceId, m.assignment.toString()])).toEqual([
      [j.memberId, 'static-1', 'A'],
    ]);
    expect(c2.handleFetchOffsets('g', false, null).offsets.map((o) => [o.partition, o.offset])).toEqual([
      [0, 150n],
      [1, 200n],
    ]);
    expect(c2.handleDescribeGroup('gone').summary.state).toBe('Dead');
    expect(c2.handleFetchOffsets('deleted-offsets', false, null).offsets.map((o) => o.partition)).toEqual([
      1,
    ]);
    expect(c2.handleHeartbeat('g', j.memberId, 'static-1', 1)).toBe(ErrorCode.NONE);
    // The loaded member must keep heartbeating, like any other.
    await tick(10_001);
    expect(c2.handleHeartbeat('g', j.memberId, 'static-1', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  test('NOT_COORDINATOR for groups of partitions this broker does not lead', async () => {
    const partitions = new FakePartitions(2);
    const manager = new GroupMetadataManager(storage({ offsetsTopicNumPartitions: 2 }), partitions);
    const c = new GroupCoordinator(
      0,
      {
        groupMinSessionTimeoutMs: 6000,
        groupMaxSessionTimeoutMs: 1_800_000,
        groupMaxSize: 100,
        groupInitialRebalanceDelayMs: 0,
      },
      manager,
    );
    c.startup();
    await c.onElection(0, 0);
    // "test" hashes to partition 0 of 2 (3556498 % 2), "a" (97) to partition 1.
    expect(manager.partitionFor('test')).toBe(0);
    expect(manager.partitionFor('a')).toBe(1);
    expect((await c.joinGroup(params({ groupId: 'a' }))).error).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.joinGroup(params({ groupId: 'test' }))).error).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(c.handleListGroups([], []).groups.map((g) => g.groupId)).toEqual(['test']);
  });

  test('before startup every group API answers COORDINATOR_NOT_AVAILABLE', async () => {
    const manager = new GroupMetadataManager(storage(), new FakePartitions(1));
    const c = new GroupCoordinator(
      0,
      {
        groupMinSessionTimeoutMs: 6000,
        groupMaxSessionTimeoutMs: 1_800_000,
        groupMaxSize: 100,
        groupInitialRebalanceDelayMs: 0,
      },
      manager,
    );
    expect((await c.joinGroup(params())).error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(c.handleListGroups([], []).error).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('admin APIs', () => {
  test('DeleteGroups: NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND, and tombstones for an Empty group', async () => {
    const s = await setup();
    const c = s.coordinator;
    const jp = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    const j = await jp;
    await sync(c, j);
    await c.commitOffsets('g', j.memberId, null, 1, [{ topic: 't', partition: 0, value: offset(3n) }]);
    let r = await c.handleDeleteGroups(['g', 'missing']);
    expect(r.get('g')).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(r.get('missing')).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    c.handleLeaveGroup('g', [{ memberId: j.memberId, groupInstanceId: null, reason: null }]);
    await tick();
    expect(c.handleDescribeGroup('g').summary.state).toBe('Empty');
    r = await c.handleDeleteGroups(['g']);
    expect(r.get('g')).toBe(ErrorCode.NONE);
    expect(c.handleDescribeGroup('g').summary.state).toBe('Dead');
    const tombstones = logRecords(s)
      .filter((x) => x.value === null)
      .map((x) => x.key);
    expect(tombstones).toEqual([
      { kind: 'offset', version: 1, group: 'g', topic: 't', partition: 0 },
      { kind: 'group', version: 2, group: 'g' },
    ]);
  });

  test('OffsetDelete: partitions of subscribed topics are refused while the group is active', async () => {
    const { coordinator: c } = await setup();
    const jp = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    const j = await jp;
    await sync(c, j);
    await c.commitOffsets('g', j.memberId, null, 1, [
      { topic: 't', partition: 0, value: offset(1n) },
      { topic: 'u', partition: 0, value: offset(2n) },
    ]);
    const r = await c.handleDeleteOffsets('g', [
      { topic: 't', partition: 0 },
      { topic: 'u', partition: 0 },
    ]);
    expect(r).toEqual({
      error: ErrorCode.NONE,
      partitions: [
        { topic: 't', partition: 0, error: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC },
        { topic: 'u', partition: 0, error: ErrorCode.NONE },
      ],
    });
    expect((await c.handleDeleteOffsets('nope', [])).error).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  test('ListGroups filters by state (case-insensitive) and type', async () => {
    const { coordinator: c } = await setup();
    await c.commitOffsets('simple', '', null, -1, [{ topic: 't', partition: 0, value: offset(1n) }]);
    const jp = c.joinGroup(params({ requireKnownMemberId: false }));
    await tick();
    await sync(c, await jp);
    const ids = (states: string[], types: string[] = []) =>
      c.handleListGroups(states, types).groups.map((g) => `${g.groupId}:${g.state}:${g.protocolType}`);
    expect(ids([])).toEqual(['simple:Empty:', 'g:Stable:consumer']);
    expect(ids(['stable'])).toEqual(['g:Stable:consumer']);
    expect(ids(['EMPTY', 'dead'])).toEqual(['simple:Empty:']);
    expect(ids([], ['Classic'])).toHaveLength(2);
    expect(ids([], ['consumer'])).toEqual([]);
  });
});
