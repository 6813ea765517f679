// `samsa consumer-groups` — kafka-consumer-groups.sh (Kafka 3.9's ConsumerGroupCommand): --list
// [--state [s,…]], --describe (--offsets, --members [--verbose], --state), --delete,
// --reset-offsets (--to-earliest/--to-latest/--to-offset/--to-datetime/--by-duration/--shift-by/
// --to-current, --dry-run/--execute/--export) and --delete-offsets, with Kafka's flags, column
// layout, row order and messages. Like Kafka's AdminClient it finds each group's coordinator
// (FindCoordinator) and talks to it; ListGroups goes to every broker.
//
// Where Kafka writes what: tables and "Error: …" lines on stdout; "has no active members" /
// "is rebalancing" notes and WARN lines on stderr. Usage errors exit 1; other failures are
// printed as "Error: Executing consumer group command failed due to …" and exit 0, as Kafka's
// tool does.

import { connectBootstrap, KafkaConnection } from '../client/network-client';
import { Reader } from '../protocol/codec/reader';
import { ErrorCode, errorName, isRetriable } from '../protocol/errors';
import { ApiKey, decodeConsumerProtocolAssignment } from '../protocol/messages/generated';
import type { DeleteGroupsResponse } from '../protocol/messages/generated/DeleteGroupsResponse';
import type { DescribeGroupsResponse } from '../protocol/messages/generated/DescribeGroupsResponse';
import type { FindCoordinatorResponse } from '../protocol/messages/generated/FindCoordinatorResponse';
import type { ListGroupsResponse } from '../protocol/messages/generated/ListGroupsResponse';
import type { ListOffsetsResponse } from '../protocol/messages/generated/ListOffsetsResponse';
import type { MetadataResponse } from '../protocol/messages/generated/MetadataResponse';
import type { OffsetCommitResponse } from '../protocol/messages/generated/OffsetCommitResponse';
import type { OffsetDeleteResponse } from '../protocol/messages/generated/OffsetDeleteResponse';
import type { OffsetFetchResponse } from '../protocol/messages/generated/OffsetFetchResponse';
import { CliError } from './cli-error';

export interface ConsumerGroupsOptions {
  bootstrapServer?: string;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  resetOffsets?: boolean;
  deleteOffsets?: boolean;
  group: string[];
  allGroups?: boolean;
  topic: string[];
  allTopics?: boolean;
  members?: boolean;
  verbose?: boolean;
  offsets?: boolean;
  state?: string | boolean;
  type?: string | boolean;
  dryRun?: boolean;
  execute?: boolean;
  export?: boolean;
  toOffset?: string;
  toDatetime?: string;
  byDuration?: string;
  toEarliest?: boolean;
  toLatest?: boolean;
  toCurrent?: boolean;
  shiftBy?: string;
  fromFile?: string;
  timeout?: string;
  commandConfig?: string;
}

export interface ConsumerGroupsIo {
  out(s: string): void;
  err(s: string): void;
}

const MISSING = '-';
const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** ConsumerGroupState names, in Kafka's enum order (UNKNOWN excluded). */
const GROUP_STATES = [
  'PreparingRebalance',
  'CompletingRebalance',
  'Stable',
  'Dead',
  'Empty',
  'Assigning',
  'Reconciling',
];

/** Kafka exception class names and messages, for the error texts the tool prints. */
const EXCEPTIONS: Record<number, [string, string]> = {
  [ErrorCode.NON_EMPTY_GROUP]: ['GroupNotEmptyException', 'The group is not empty.'],
  [ErrorCode.GROUP_ID_NOT_FOUND]: ['GroupIdNotFoundException', 'The group id does not exist.'],
  [ErrorCode.INVALID_GROUP_ID]: ['InvalidGroupIdException', 'The configured groupId is invalid.'],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: ['GroupAuthorizationException', 'Group authorization failed.'],
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: [
    'UnknownTopicOrPartitionException',
    'This server does not host this topic-partition.',
  ],
  [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]: [
    'GroupSubscribedToTopicException',
    'The consumer group is actively subscribed to the topic',
  ],
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: [
    'CoordinatorNotAvailableException',
    'The coordinator is not available.',
  ],
  [ErrorCode.UNKNOWN_MEMBER_ID]: ['UnknownMemberIdException', 'The coordinator is not aware of this member.'],
  [ErrorCode.REBALANCE_IN_PROGRESS]: [
    'RebalanceInProgressException',
    'The group is rebalancing, so a rejoin is needed.',
  ],
};

function exceptionText(code: number): string {
  const e = EXCEPTIONS[code];
  return e
    ? `org.apache.kafka.common.errors.${e[0]}: ${e[1]}`
    : `org.apache.kafka.common.KafkaException: ${errorName(code)}`;
}

class ToolError extends Error {}

// ---- Java collection ordering -------------------------------------------------------------
// The tool prints partitions in java.util.HashMap iteration order: buckets ascending, insertion
// order within a bucket. Reproducing it keeps row order identical to Kafka's.

function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** TopicPartition.hashCode(). */
function tpHash(tp: TP): number {
  return (Math.imul(31, 31 + tp.partition) + javaStringHash(tp.topic)) | 0;
}

/** Order of `items` (distinct keys) after insertion into a java.util.HashMap of that initial capacity. */
export function javaHashMapOrder<T>(items: T[], hash: (t: T) => number, initialCapacity = 16): T[] {
  let cap = 1;
  while (cap < initialCapacity) cap <<= 1;
  while (items.length > cap * 0.75) cap <<= 1;
  const bucket = (t: T) => {
    const h = hash(t);
    return (h ^ (h >>> 16)) & (cap - 1);
  };
  return items
    .map((t, i) => ({ t, i, b: bucket(t) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.t);
}

/** Iteration order of `new HashSet<>(list)`. */
function javaHashSetOrder<T>(items: T[], hash: (t: T) => number): T[] {
  return javaHashMapOrder(items, hash, Math.max(Math.floor(items.length / 0.75) + 1, 16));
}

/** Java's %-Ns. */
const pad = (s: string | number, n: number) => String(s).padEnd(n);

// ---- a small admin client --------------------------------------------------------------------

interface TP {
  topic: string;
  partition: number;
}

const tpKey = (tp: TP) => `${tp.topic}\u0000${tp.partition}`;

interface Node {
  nodeId: number;
  host: string;
  port: number;
}

interface MemberDescription {
  consumerId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  assignment: TP[];
}

interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  partitionAssignor: string;
  members: MemberDescription[];
  coordinator: Node;
}

class GroupAdmin {
  private readonly conns = new Map<string, KafkaConnection>();

  constructor(
    private readonly bootstrap: KafkaConnection,
    readonly timeoutMs: number,
  ) {
    this.conns.set(`${bootstrap.host}:${bootstrap.port}`, bootstrap);
  }

  async conn(node: { host: string; port: number }): Promise<KafkaConnection> {
    const key = `${node.host}:${node.port}`;
    let c = this.conns.get(key);
    if (!c) {
      c = new KafkaConnection(node.host, node.port, 'samsa-consumer-groups', this.timeoutMs);
      await c.connect();
      this.conns.set(key, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
  }

  metadata(topics: string[] | null): Promise<MetadataResponse> {
    return this.bootstrap.request<MetadataResponse>(ApiKey.Metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })),
      allowAutoTopicCreation: false,
    });
  }

  private async findCoordinator(groupId: string): Promise<{ error: number; node: Node }> {
    const v = this.bootstrap.version(ApiKey.FindCoordinator);
    const r = await this.bootstrap.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, {
      key: groupId,
      keyType: 0,
      coordinatorKeys: [groupId],
    });
    if (v >= 4) {
      const c = r.coordinators[0];
      return {
        error: c?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        node: c ?? { nodeId: -1, host: '', port: -1 },
      };
    }
    return { error: r.errorCode, node: r };
  }

  /**
   * Runs `fn` against the group's coordinator, finding it again after NOT_COORDINATOR or
   * COORDINATOR_NOT_AVAILABLE and retrying retriable errors until the timeout (Kafka's
   * AdminApiDriver). `fn` returns the group-level error and its result.
   */
  async withCoordinator<T>(
    groupId: string,
    fn: (conn: KafkaConnection, node: Node) => Promise<{ error: number; value: T }>,
  ): Promise<{ error: number; value: T | null; node: Node | null }> {
    const deadline = Date.now() + this.timeoutMs;
    let lastError: number = ErrorCode.REQUEST_TIMED_OUT;
    while (Date.now() < deadline) {
      const found = await this.findCoordinator(groupId);
      if (found.error === ErrorCode.NONE) {
        const conn = await this.conn(found.node);
        const r = await fn(conn, found.node);
        if (!isRetriable(r.error)) return { error: r.error, value: r.value, node: found.node };
        lastError = r.error;
      } else if (!isRetriable(found.error)) {
        return { error: found.error, value: null, node: null };
      } else lastError = found.error;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new ToolError(
      `org.apache.kafka.common.errors.TimeoutException: Call(callName=findCoordinator, deadlineMs=${deadline}) timed out (last error: ${errorName(lastError)})`,
    );
  }

  /** ListGroups on every broker; consumer groups only (protocol type "consumer" or ""). */
  async listGroups(
    states: string[],
  ): Promise<Array<{ groupId: string; state: string | null; type: string | null }>> {
    const md = await this.metadata([]);
    const out: Array<{ groupId: string; state: string | null; type: string | null }> = [];
    for (const b of md.brokers) {
      const c = await this.conn(b);
      const r = await c.request<ListGroupsResponse>(ApiKey.ListGroups, {
        statesFilter: states,
        typesFilter: [],
      });
      if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
        throw new ToolError(exceptionText(r.errorCode));
      for (const g of r.groups) {
        if (g.protocolType !== CONSUMER_PROTOCOL_TYPE && g.protocolType !== '') continue;
        if (states.length > 0 && !states.map((s) => s.toLowerCase()).includes(g.groupState.toLowerCase()))
          continue;
        out.push({ groupId: g.groupId, state: g.groupState || null, type: g.groupType || 'classic' });
      }
    }
    return out;
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const r = await this.withCoordinator(groupId, async (conn) => {
      const d = await conn.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, {
        groups: [groupId],
        includeAuthorizedOperations: false,
      });
      const g = d.groups[0];
      return { error: g?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, value: g };
    });
    if (r.error !== ErrorCode.NONE || !r.value) throw new ToolError(exceptionText(r.error));
    const g = r.value;
    if (g.protocolType !== CONSUMER_PROTOCOL_TYPE && g.protocolType !== '')
      throw new ToolError(
        `java.lang.IllegalArgumentException: GroupId ${groupId} is not a consumer group (${g.protocolType}).`,
      );
    return {
      groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      partitionAssignor: g.protocolData,
      coordinator: r.node!,
      members: g.members.map((m) => ({
        consumerId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: decodeAssignment(m.memberAssignment),
      })),
    };
  }

  /** Committed offsets (OffsetFetch, all partitions) in response order. */
  async committedOffsets(groupId: string): Promise<Map<string, { tp: TP; offset: bigint }>> {
    const r = await this.withCoordinator(groupId, async (conn) => {
      const v = conn.version(ApiKey.OffsetFetch);
      const f = await conn.request<OffsetFetchResponse>(ApiKey.OffsetFetch, {
        groupId,
        topics: null,
        groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }],
        requireStable: false,
      });
      if (v >= 8) {
        const g = f.groups[0];
        return { error: g?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, value: g?.topics ?? [] };
      }
      return { error: f.errorCode, value: f.topics };
    });
    if (r.error !== ErrorCode.NONE) throw new ToolError(exceptionText(r.error));
    const out = new Map<string, { tp: TP; offset: bigint }>();
    for (const t of r.value ?? [])
      for (const p of t.partitions)
        if (p.committedOffset >= 0n) {
          const tp = { topic: t.name, partition: p.partitionIndex };
          out.set(tpKey(tp), { tp, offset: p.committedOffset });
        }
    return out;
  }

  /** ListOffsets (read_uncommitted) for a spec: −2 earliest, −1 latest, or a timestamp. Unknown → null. */
  async listOffsets(tps: TP[], spec: bigint): Promise<Map<string, bigint | null>> {
    const out = new Map<string, bigint | null>();
    if (tps.length === 0) return out;
    const topics = [...new Set(tps.map((t) => t.topic))];
    const md = await this.metadata(topics);
    const leaders = new Map<string, number>();
    for (const t of md.topics)
      for (const p of t.partitions)
        if (p.errorCode === ErrorCode.NONE)
          leaders.set(tpKey({ topic: t.name!, partition: p.partitionIndex }), p.leaderId);
    const byLeader = new Map<number, TP[]>();
    for (const tp of tps) {
      const l = leaders.get(tpKey(tp));
      if (l === undefined || l < 0) {
        out.set(tpKey(tp), null);
        continue;
      }
      byLeader.set(l, [...(byLeader.get(l) ?? []), tp]);
    }
    for (const [leader, list] of byLeader) {
      const b = md.brokers.find((x) => x.nodeId === leader);
      if (!b) {
        for (const tp of list) out.set(tpKey(tp), null);
        continue;
      }
      const c = await this.conn(b);
      const byTopic = new Map<string, number[]>();
      for (const tp of list) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const r = await c.request<ListOffsetsResponse>(
        ApiKey.ListOffsets,
        {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((partitionIndex) => ({
              partitionIndex,
              currentLeaderEpoch: -1,
              timestamp: spec,
              maxNumOffsets: 1,
            })),
          })),
        },
        7,
      );
      for (const t of r.topics)
        for (const p of t.partitions)
          out.set(
            tpKey({ topic: t.name, partition: p.partitionIndex }),
            p.errorCode === ErrorCode.NONE ? p.offset : null,
          );
    }
    return out;
  }

  /** OffsetCommit as an admin: generation −1, no member (alterConsumerGroupOffsets). */
  async commitOffsets(groupId: string, offsets: Array<{ tp: TP; offset: bigint }>): Promise<void> {
    const byTopic = new Map<string, Array<{ partition: number; offset: bigint }>>();
    for (const o of offsets)
      byTopic.set(o.tp.topic, [
        ...(byTopic.get(o.tp.topic) ?? []),
        { partition: o.tp.partition, offset: o.offset },
      ]);
    const r = await this.withCoordinator(groupId, async (conn) => {
      const c = await conn.request<OffsetCommitResponse>(ApiKey.OffsetCommit, {
        groupId,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: '',
          })),
        })),
      });
      const errors = c.topics
        .flatMap((t) => t.partitions.map((p) => p.errorCode))
        .filter((e) => e !== ErrorCode.NONE);
      return { error: errors[0] ?? ErrorCode.NONE, value: null };
    });
    if (r.error !== ErrorCode.NONE) throw new ToolError(exceptionText(r.error));
  }

  async deleteGroup(groupId: string): Promise<number> {
    const r = await this.withCoordinator(groupId, async (conn) => {
      const d = await conn.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      return { error: d.results[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, value: null };
    });
    return r.error;
  }

  async deleteOffsets(
    groupId: string,
    tps: TP[],
  ): Promise<{ error: number; partitions: Map<string, number> }> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const r = await this.withCoordinator(groupId, async (conn) => {
      const d = await conn.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, {
        groupId,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({ partitionIndex })),
        })),
      });
      return { error: d.errorCode, value: d };
    });
    const partitions = new Map<string, number>();
    for (const t of r.value?.topics ?? [])
      for (const p of t.partitions)
        partitions.set(tpKey({ topic: t.name, partition: p.partitionIndex }), p.errorCode);
    return { error: r.error, partitions };
  }
}

/** ConsumerProtocolAssignment → partitions (empty bytes → none), read at the newest version we know. */
function decodeAssignment(b: Buffer): TP[] {
  if (b.length === 0) return [];
  const version = b.readInt16BE(0);
  const r = new Reader(b, 2);
  const a = decodeConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
  return a.assignedPartitions.flatMap((t) =>
    t.partitions.map((partition) => ({ topic: t.topic, partition })),
  );
}

// ---- the command ----------------------------------------------------------------------------

function parseLong(v: string, flag: string): bigint {
  if (!/^[-+]?\d+$/.test(v.trim())) throw new CliError(`Cannot parse argument '${v}' of option ${flag}`);
  return BigInt(v.trim());
}

/** Kafka's Utils.getDateTime: 'yyyy-MM-ddTHH:mm:ss.SSS' with an optional zone (UTC without one). */
export function parseDateTime(s: string): number {
  const parts = s.split('T');
  if (parts.length < 2)
    throw new CliError(`Error parsing timestamp. It does not contain a 'T' according to ISO8601 format`);
  let ts = s;
  const second = parts[1];
  if (!(second.includes('+') || second.includes('-') || second.includes('Z'))) ts = `${ts}Z`;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(Z|[+-]\d{2}(?::?\d{2})?)$/.exec(ts);
  if (!m) throw new CliError(`Unparseable date: "${s}"`);
  const zone = m[8];
  let offsetMin = 0;
  if (zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    offsetMin = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? '0'));
  }
  const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +m[7]);
  return utc - offsetMin * 60_000;
}

/** ISO-8601 durations as java.time.Duration.parse accepts them (PnDTnHnMn.nS). */
function parseDuration(s: string): number {
  const m =
    /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+(?:[.,]\d+)?)S)?)?$/i.exec(s);
  if (!m || (m[2] ?? m[3] ?? m[4] ?? m[5]) === undefined)
    throw new CliError(`Text cannot be parsed to a Duration`);
  const ms =
    Number(m[2] ?? 0) * 86_400_000 +
    Number(m[3] ?? 0) * 3_600_000 +
    Number(m[4] ?? 0) * 60_000 +
    Number((m[5] ?? '0').replace(',', '.')) * 1000;
  return m[1] === '-' ? -ms : ms;
}

function checkArgs(o: ConsumerGroupsOptions, err: (s: string) => void): void {
  const actions = [o.list, o.describe, o.delete, o.resetOffsets, o.deleteOffsets].filter(Boolean).length;
  if (actions !== 1)
    throw new CliError(
      'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets',
    );
  if (!o.bootstrapServer) throw new CliError('Missing required argument "[bootstrap-server]"');
  const hasGroup = o.group.length > 0 || o.allGroups;
  if (o.describe) {
    if (!hasGroup) throw new CliError('Option [describe] takes one of these options: [all-groups], [group]');
    if ([o.members, o.offsets, o.state !== undefined].filter(Boolean).length > 1)
      throw new CliError(
        'Option [describe] takes at most one of these options: [members], [offsets], [state]',
      );
    if (typeof o.state === 'string')
      throw new CliError('Option [describe] does not take a value for [state]');
  }
  if ((o.members || o.verbose || o.offsets) && !o.describe)
    throw new CliError(
      `Option ${o.members ? '[members]' : o.verbose ? '[verbose]' : '[offsets]'} can only be used with [describe]`,
    );
  if (o.state !== undefined && !o.describe && !o.list)
    throw new CliError('Option [state] can only be used with [describe] or [list]');
  if (o.delete) {
    if (!hasGroup) throw new CliError('Option [delete] takes one of these options: [all-groups], [group]');
    if (o.topic.length > 0)
      throw new CliError(
        'The consumer does not support topic-specific offset deletion from a consumer group.',
      );
  }
  if (o.deleteOffsets && (o.group.length === 0 || o.topic.length === 0))
    throw new CliError('Option [delete-offsets] takes the following options: [group], [topic]');
  if (o.resetOffsets) {
    if (o.dryRun && o.execute)
      throw new CliError('Option [reset-offsets] only accepts one of [execute] and [dry-run]');
    if (!o.dryRun && !o.execute)
      err(
        'WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n',
      );
    if (!hasGroup)
      throw new CliError('Option [reset-offsets] takes one of these options: [all-groups], [group]');
    const scenarios = [
      o.toOffset !== undefined,
      o.toDatetime !== undefined,
      o.byDuration !== undefined,
      o.toEarliest,
      o.toLatest,
      o.toCurrent,
      o.shiftBy !== undefined,
      o.fromFile !== undefined,
    ].filter(Boolean).length;
    if (scenarios > 1)
      throw new CliError('Option [reset-offsets] takes only one of the reset specifications');
    if (scenarios === 0)
      throw new CliError(
        "Option '[reset-offsets]' requires one of the following scenarios: [to-offset, shift-by, to-datetime, by-duration, to-earliest, to-latest, to-current, from-file]",
      );
    if (o.fromFile !== undefined) throw new CliError('--from-file is not supported by samsa consumer-groups');
    if (o.allTopics && o.topic.length > 0)
      throw new CliError('Option [reset-offsets] takes only one of these options: [all-topics], [topic]');
    if (!o.allTopics && o.topic.length === 0)
      throw new CliError('One of the reset scopes should be defined: --all-topics, --topic.');
  } else if (o.dryRun || o.execute || o.export) {
    throw new CliError('Option [dry-run], [execute] and [export] can only be used with [reset-offsets]');
  }
}

export async function runConsumerGroups(o: ConsumerGroupsOptions, io: ConsumerGroupsIo): Promise<void> {
  checkArgs(o, io.err);
  const timeoutMs = o.timeout !== undefined ? Number(parseLong(o.timeout, '[timeout]')) : 5000;
  const printError = (msg: string) => io.out(`\nError: ${msg}\n`);
  let admin: GroupAdmin | null = null;
  try {
    admin = new GroupAdmin(await connectBootstrap(o.bootstrapServer!, Math.max(timeoutMs, 5000)), timeoutMs);
    if (o.list) await listGroups(admin, o, io);
    else if (o.describe) await describeGroups(admin, o, io, printError);
    else if (o.delete) await deleteGroups(admin, o, io, printError);
    else if (o.resetOffsets) await resetOffsets(admin, o, io, printError);
    else if (o.deleteOffsets) await deleteOffsets(admin, o, io, printError);
  } catch (e) {
    if (e instanceof CliError) throw e;
    printError(`Executing consumer group command failed due to ${(e as Error).message}`);
  } finally {
    admin?.close();
  }
}

async function groupIdsOf(admin: GroupAdmin, o: ConsumerGroupsOptions): Promise<string[]> {
  if (o.allGroups) return (await admin.listGroups([])).map((g) => g.groupId);
  return o.group;
}

function parseStates(input: string): string[] {
  const parsed = input.split(',').map((s) => s.trim());
  const valid = parsed.map((s) => GROUP_STATES.find((g) => g.toLowerCase() === s.toLowerCase()));
  if (valid.some((v) => v === undefined))
    throw new CliError(`Invalid state list '${input}'. Valid states are: ${GROUP_STATES.join(', ')}`);
  return [...new Set(valid as string[])];
}

async function listGroups(admin: GroupAdmin, o: ConsumerGroupsOptions, io: ConsumerGroupsIo): Promise<void> {
  const includeState = o.state !== undefined;
  const includeType = o.type !== undefined;
  if (!includeState && !includeType) {
    for (const g of await admin.listGroups([])) io.out(`${g.groupId}\n`);
    return;
  }
  const states = typeof o.state === 'string' && o.state !== '' ? parseStates(o.state) : [];
  let types: string[] = [];
  if (typeof o.type === 'string' && o.type !== '') {
    types = o.type
      .toLowerCase()
      .split(',')
      .map((s) => s.trim());
    if (types.some((t) => t !== 'classic' && t !== 'consumer'))
      throw new CliError(`Invalid types list '${o.type}'. Valid types are: Consumer, Classic, Share`);
  }
  // Every group of a ZooKeeper-mode broker is a classic group.
  const classic = types.length === 0 || types.includes('classic');
  const groups = classic ? await admin.listGroups(states) : [];
  const width = Math.max(15, ...groups.map((g) => g.groupId.length)) + 10;
  const row = (cols: string[]) => {
    let s = pad(cols[0], width);
    for (const c of cols.slice(1)) s += ` ${pad(c, 20)}`;
    return `${s}\n`;
  };
  const header = ['GROUP'];
  if (includeType) header.push('TYPE');
  if (includeState) header.push('STATE');
  io.out(row(header));
  for (const g of groups) {
    const cols = [g.groupId];
    if (includeType) cols.push(g.type === 'classic' ? 'Classic' : 'Unknown');
    if (includeState) cols.push(GROUP_STATES.find((s) => s === g.state) ?? 'Unknown');
    io.out(row(cols));
  }
}

/** Kafka's shouldPrintMemberState: the state notes, and whether there is anything to print. */
function shouldPrintMemberState(
  group: string,
  state: string,
  numRows: number | null,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): boolean {
  if (numRows === null) {
    printError(`The consumer group '${group}' does not exist.`);
    return false;
  }
  switch (state) {
    case 'Dead':
      printError(`Consumer group '${group}' does not exist.`);
      break;
    case 'Empty':
      io.err(`\nConsumer group '${group}' has no active members.\n`);
      break;
    case 'PreparingRebalance':
    case 'CompletingRebalance':
    case 'Assigning':
    case 'Reconciling':
      io.err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
      break;
    case 'Stable':
      break;
    default:
      throw new ToolError(
        `org.apache.kafka.common.KafkaException: Expected a valid consumer group state, but found '${state}'.`,
      );
  }
  return state !== 'Dead' && numRows > 0;
}

interface OffsetRow {
  group: string;
  topic: string | null;
  partition: number | null;
  offset: bigint | null;
  logEndOffset: bigint | null;
  consumerId: string;
  host: string;
  clientId: string;
}

async function describeGroups(
  admin: GroupAdmin,
  o: ConsumerGroupsOptions,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): Promise<void> {
  const groupIds = [...new Set(await groupIdsOf(admin, o))].sort();
  const descriptions: GroupDescription[] = [];
  for (const g of groupIds) descriptions.push(await admin.describeGroup(g));
  if (o.members) {
    for (const d of descriptions) printMembers(d, !!o.verbose, io, printError);
  } else if (o.state !== undefined) {
    for (const d of descriptions) printState(d, io, printError);
  } else {
    for (const d of descriptions) printOffsets(d, await collectOffsets(admin, d), io, printError);
  }
}

async function collectOffsets(admin: GroupAdmin, d: GroupDescription): Promise<OffsetRow[]> {
  const committedRaw = await admin.committedOffsets(d.groupId);
  // The admin client hands back a HashMap of the committed offsets.
  const committed = javaHashMapOrder([...committedRaw.values()], (e) => tpHash(e.tp));
  const offsetOf = new Map(committed.map((e) => [tpKey(e.tp), e.offset]));
  const rows: OffsetRow[] = [];
  const assigned = new Set<string>();
  // Members with partitions, most partitions first (a stable sort keeps the describe order otherwise).
  const members = d.members
    .filter((m) => m.assignment.length > 0)
    .map((m, i) => ({ m, i }))
    .sort((a, b) => b.m.assignment.length - a.m.assignment.length || a.i - b.i)
    .map((x) => x.m);
  const describe = async (tps: TP[], consumerId: string, host: string, clientId: string) => {
    const sorted = tps
      .map((tp, i) => ({ tp, i }))
      .sort((a, b) => a.tp.partition - b.tp.partition || a.i - b.i)
      .map((x) => x.tp);
    const leos = await admin.listOffsets(sorted, -1n);
    for (const tp of javaHashMapOrder(sorted, tpHash)) {
      rows.push({
        group: d.groupId,
        topic: tp.topic,
        partition: tp.partition,
        offset: offsetOf.get(tpKey(tp)) ?? null,
        logEndOffset: leos.get(tpKey(tp)) ?? null,
        consumerId,
        host,
        clientId,
      });
    }
  };
  for (const m of members) {
    const tps = javaHashSetOrder(m.assignment, tpHash);
    for (const tp of tps) assigned.add(tpKey(tp));
    await describe(tps, m.consumerId, m.host, m.clientId);
  }
  const unassigned = javaHashMapOrder(
    committed.filter((e) => !assigned.has(tpKey(e.tp))).map((e) => e.tp),
    tpHash,
  );
  if (unassigned.length > 0) await describe(unassigned, MISSING, MISSING, MISSING);
  return rows;
}

function printOffsets(
  d: GroupDescription,
  rows: OffsetRow[],
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): void {
  if (!shouldPrintMemberState(d.groupId, d.state, rows.length, io, printError)) return;
  let g = 15;
  let t = 15;
  let c = 15;
  let h = 15;
  for (const r of rows) {
    g = Math.max(g, r.group.length);
    t = Math.max(t, (r.topic ?? MISSING).length);
    c = Math.max(c, r.consumerId.length);
    h = Math.max(h, r.host.length);
  }
  const line = (cols: string[]) =>
    `\n${pad(cols[0], g)} ${pad(cols[1], t)} ${pad(cols[2], 10)} ${pad(cols[3], 15)} ${pad(cols[4], 15)} ${pad(cols[5], 15)} ${pad(cols[6], c)} ${pad(cols[7], h)} ${cols[8]}`;
  let out = line([
    'GROUP',
    'TOPIC',
    'PARTITION',
    'CURRENT-OFFSET',
    'LOG-END-OFFSET',
    'LAG',
    'CONSUMER-ID',
    'HOST',
    'CLIENT-ID',
  ]);
  for (const r of rows) {
    const lag =
      r.offset !== null && r.offset !== -1n && r.logEndOffset !== null
        ? String(r.logEndOffset - r.offset)
        : MISSING;
    out += line([
      r.group,
      r.topic ?? MISSING,
      r.partition === null ? MISSING : String(r.partition),
      r.offset === null ? MISSING : String(r.offset),
      r.logEndOffset === null ? MISSING : String(r.logEndOffset),
      lag,
      r.consumerId,
      r.host,
      r.clientId,
    ]);
  }
  io.out(`${out}\n`);
}

function printMembers(
  d: GroupDescription,
  verbose: boolean,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): void {
  let g = 15;
  let c = 15;
  let inst = 17;
  let h = 15;
  let cl = 15;
  let includeInstance = false;
  if (shouldPrintMemberState(d.groupId, d.state, d.members.length, io, printError)) {
    for (const m of d.members) {
      g = Math.max(g, d.groupId.length);
      c = Math.max(c, m.consumerId.length);
      inst = Math.max(inst, (m.groupInstanceId ?? '').length);
      h = Math.max(h, m.host.length);
      cl = Math.max(cl, m.clientId.length);
      includeInstance = includeInstance || (m.groupInstanceId ?? '') !== '';
    }
  }
  const cols = (x: string[]) =>
    includeInstance
      ? `${pad(x[0], g)} ${pad(x[1], c)} ${pad(x[2], inst)} ${pad(x[3], h)} ${pad(x[4], cl)} ${pad(x[5], 15)} `
      : `${pad(x[0], g)} ${pad(x[1], c)} ${pad(x[3], h)} ${pad(x[4], cl)} ${pad(x[5], 15)} `;
  let out = `\n${cols(['GROUP', 'CONSUMER-ID', 'GROUP-INSTANCE-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS'])}`;
  if (verbose) out += 'ASSIGNMENT';
  out += '\n';
  for (const m of d.members) {
    out += cols([
      d.groupId,
      m.consumerId,
      m.groupInstanceId ?? '',
      m.host,
      m.clientId,
      String(m.assignment.length),
    ]);
    if (verbose) {
      if (m.assignment.length === 0) out += MISSING;
      else {
        // Kafka 3.9 groups by topic and prints each topic's partitions (sorted as text) in parentheses.
        const byTopic = new Map<string, string[]>();
        for (const tp of m.assignment)
          byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), String(tp.partition)]);
        out += [...byTopic.values()]
          .map((ps) => `(${[...ps].sort().join(',')})`)
          .sort()
          .join(', ');
      }
    }
    out += '\n';
  }
  io.out(out);
}

function printState(d: GroupDescription, io: ConsumerGroupsIo, printError: (m: string) => void): void {
  if (!shouldPrintMemberState(d.groupId, d.state, 1, io, printError)) return;
  const coordinator = `${d.coordinator.host}:${d.coordinator.port}  (${d.coordinator.nodeId})`;
  const w = Math.max(25, coordinator.length);
  // Kafka's layout: the first column takes the coordinator's width, the second 25.
  const line = (x: string[]) =>
    `\n${pad(x[0], w)} ${pad(x[1], 25)} ${pad(x[2], 20)} ${pad(x[3], 15)} ${x[4]}`;
  io.out(
    line(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']) +
      line([d.groupId, coordinator, d.partitionAssignor, d.state, String(d.members.length)]) +
      '\n',
  );
}

async function deleteGroups(
  admin: GroupAdmin,
  o: ConsumerGroupsOptions,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): Promise<void> {
  const groupIds = await groupIdsOf(admin, o);
  const success: string[] = [];
  const failed: Array<[string, number]> = [];
  for (const g of new Set(groupIds)) {
    const e = await admin.deleteGroup(g);
    if (e === ErrorCode.NONE) success.push(g);
    else failed.push([g, e]);
  }
  const order = (ids: string[]) => javaHashMapOrder(ids, javaStringHash);
  if (failed.length === 0) {
    io.out(`Deletion of requested consumer groups ('${order(success).join(', ')}') was successful.\n`);
    return;
  }
  printError('Deletion of some consumer groups failed:');
  for (const [g, e] of failed)
    io.out(
      `* Group '${g}' could not be deleted due to: java.util.concurrent.ExecutionException: ${exceptionText(e)}\n`,
    );
  if (success.length > 0)
    io.out(`\nThese consumer groups were deleted successfully: '${order(success).join("'")}', '\n`);
}

/** `t`, or `t:0,1,2` (explicit partitions). */
function parseTopicArg(arg: string): { topic: string; partitions: number[] | null } {
  if (!arg.includes(':')) return { topic: arg, partitions: null };
  const parts = arg.split(':');
  if (parts.length !== 2)
    throw new CliError(`Invalid topic arg '${arg}', expected topic name and partitions`);
  return {
    topic: parts[0],
    partitions: parts[1].split(',').map((p) => {
      if (!/^-?\d+$/.test(p)) throw new CliError(`Invalid partition '${p}' specified in topic arg '${arg}''`);
      return Number(p);
    }),
  };
}

async function topicPartitionsOf(admin: GroupAdmin, topics: string[]): Promise<TP[]> {
  const specified: TP[] = [];
  const whole: string[] = [];
  for (const arg of topics) {
    const t = parseTopicArg(arg);
    if (t.partitions === null) whole.push(t.topic);
    else for (const partition of t.partitions) specified.push({ topic: t.topic, partition });
  }
  if (whole.length > 0) {
    const md = await admin.metadata(whole);
    for (const t of md.topics) {
      if (t.errorCode !== ErrorCode.NONE) throw new ToolError(exceptionText(t.errorCode));
      for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex))
        specified.push({ topic: t.name!, partition: p.partitionIndex });
    }
  }
  return specified;
}

async function resetOffsets(
  admin: GroupAdmin,
  o: ConsumerGroupsOptions,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): Promise<void> {
  const groupIds = await groupIdsOf(admin, o);
  const dryRun = o.dryRun || !o.execute;
  const result = new Map<string, Array<{ tp: TP; offset: bigint }>>();
  for (const groupId of new Set(groupIds)) {
    const d = await admin.describeGroup(groupId);
    if (d.state !== 'Empty' && d.state !== 'Dead') {
      printError(
        `Assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${d.state}.`,
      );
      result.set(groupId, []);
      continue;
    }
    const committed = await admin.committedOffsets(groupId);
    const partitions = o.allTopics
      ? javaHashMapOrder(
          [...committed.values()].map((e) => e.tp),
          tpHash,
        )
      : await topicPartitionsOf(admin, o.topic);
    const prepared = await prepareOffsets(admin, o, partitions, committed, io);
    if (!dryRun) await admin.commitOffsets(groupId, prepared);
    result.set(
      groupId,
      javaHashMapOrder(prepared, (x) => tpHash(x.tp)),
    );
  }
  const groups = javaHashMapOrder([...result.keys()], javaStringHash);
  if (o.export) {
    const single = o.group.length === 1;
    let csv = '';
    for (const g of groups)
      for (const x of result.get(g)!)
        csv += single
          ? `${x.tp.topic},${x.tp.partition},${x.offset}\n`
          : `${g},${x.tp.topic},${x.tp.partition},${x.offset}\n`;
    io.out(`${csv}\n`);
    return;
  }
  const line = (c: string[]) => `\n${pad(c[0], 30)} ${pad(c[1], 30)} ${pad(c[2], 10)} ${pad(c[3], 15)}`;
  if (groups.length === 0) return;
  let out = line(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET']);
  for (const g of groups)
    for (const x of result.get(g)!) out += line([g, x.tp.topic, String(x.tp.partition), String(x.offset)]);
  io.out(`${out}\n`);
}

async function prepareOffsets(
  admin: GroupAdmin,
  o: ConsumerGroupsOptions,
  partitions: TP[],
  committed: Map<string, { tp: TP; offset: bigint }>,
  io: ConsumerGroupsIo,
): Promise<Array<{ tp: TP; offset: bigint }>> {
  const fromLog = async (spec: bigint, what: string) => {
    const offsets = await admin.listOffsets(partitions, spec);
    return partitions.map((tp) => {
      const off = offsets.get(tpKey(tp));
      if (off === null || off === undefined)
        throw new CliError(`Error getting ${what} offset of topic partition: ${tp.topic}-${tp.partition}`);
      return { tp, offset: off };
    });
  };
  /** Requested offsets outside [log start, log end] are moved to the nearest end (Kafka's checkOffsetsRange). */
  const checkRange = async (requested: Array<{ tp: TP; offset: bigint }>) => {
    const tps = requested.map((r) => r.tp);
    const starts = await admin.listOffsets(tps, -2n);
    const ends = await admin.listOffsets(tps, -1n);
    return requested.map((r) => {
      const end = ends.get(tpKey(r.tp));
      const start = starts.get(tpKey(r.tp));
      const name = `${r.tp.topic}-${r.tp.partition}`;
      if (end !== null && end !== undefined && r.offset > end) {
        io.err(
          `[${new Date().toISOString()}] WARN New offset (${r.offset}) is higher than latest offset for topic partition ${name}. Value will be set to ${end} (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand)\n`,
        );
        return { tp: r.tp, offset: end };
      }
      if (start !== null && start !== undefined && r.offset < start) {
        io.err(
          `[${new Date().toISOString()}] WARN New offset (${r.offset}) is lower than earliest offset for topic partition ${name}. Value will be set to ${start} (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand)\n`,
        );
        return { tp: r.tp, offset: start };
      }
      return r;
    });
  };
  const byTimestamp = async (timestamp: number) => {
    const offsets = await admin.listOffsets(partitions, BigInt(timestamp));
    const missing = partitions.filter((tp) => (offsets.get(tpKey(tp)) ?? -1n) === -1n);
    for (const tp of missing)
      io.out(
        `\nWarn: Partition ${tp.partition} from topic ${tp.topic} is empty. Falling back to latest known offset.\n`,
      );
    const latest = await admin.listOffsets(missing, -1n);
    return partitions.map((tp) => {
      const off = missing.includes(tp) ? latest.get(tpKey(tp)) : offsets.get(tpKey(tp));
      if (off === null || off === undefined)
        throw new CliError(
          `Error getting offset by timestamp of topic partition: ${tp.topic}-${tp.partition}`,
        );
      return { tp, offset: off };
    });
  };
  if (o.toOffset !== undefined) {
    const n = parseLong(o.toOffset, '[to-offset]');
    return checkRange(partitions.map((tp) => ({ tp, offset: n })));
  }
  if (o.toEarliest) return fromLog(-2n, 'starting');
  if (o.toLatest) return fromLog(-1n, 'ending');
  if (o.shiftBy !== undefined) {
    const n = parseLong(o.shiftBy, '[shift-by]');
    return checkRange(
      partitions.map((tp) => {
        const cur = committed.get(tpKey(tp));
        if (!cur)
          throw new CliError(
            `Cannot shift offset for partition ${tp.topic}-${tp.partition} since there is no current committed offset`,
          );
        return { tp, offset: cur.offset + n };
      }),
    );
  }
  if (o.toDatetime !== undefined) return byTimestamp(parseDateTime(o.toDatetime));
  if (o.byDuration !== undefined) return byTimestamp(Date.now() - parseDuration(o.byDuration));
  // --to-current: the committed offset, else the log end.
  const without = partitions.filter((tp) => !committed.has(tpKey(tp)));
  const ends = await admin.listOffsets(without, -1n);
  return partitions.map((tp) => {
    const cur = committed.get(tpKey(tp));
    if (cur) return { tp, offset: cur.offset };
    const end = ends.get(tpKey(tp));
    if (end === null || end === undefined)
      throw new CliError(`Error getting ending offset of topic partition: ${tp.topic}-${tp.partition}`);
    return { tp, offset: end };
  });
}

async function deleteOffsets(
  admin: GroupAdmin,
  o: ConsumerGroupsOptions,
  io: ConsumerGroupsIo,
  printError: (m: string) => void,
): Promise<void> {
  const groupId = o.group[0];
  const partitions = await topicPartitionsOf(admin, o.topic);
  const r = await admin.deleteOffsets(groupId, partitions);
  const errorOf = (tp: TP) =>
    r.error !== ErrorCode.NONE ? r.error : (r.partitions.get(tpKey(tp)) ?? ErrorCode.NONE);
  // The admin result fails as a whole with the group error, else with the first partition error.
  const topLevel =
    r.error !== ErrorCode.NONE
      ? r.error
      : (partitions.map(errorOf).find((e) => e !== ErrorCode.NONE) ?? ErrorCode.NONE);
  switch (topLevel) {
    case ErrorCode.NONE:
      io.out(`Request succeed for deleting offsets with topic ${o.topic.join(', ')} group ${groupId}\n`);
      break;
    case ErrorCode.INVALID_GROUP_ID:
      printError(`'${groupId}' is not valid.`);
      break;
    case ErrorCode.GROUP_ID_NOT_FOUND:
      printError(`'${groupId}' does not exist.`);
      break;
    case ErrorCode.GROUP_AUTHORIZATION_FAILED:
      printError(`Access to '${groupId}' is not authorized.`);
      break;
    case ErrorCode.NON_EMPTY_GROUP:
      printError(`Deleting offsets of a consumer group '${groupId}' is forbidden if the group is not empty.`);
      break;
    case ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC:
    case ErrorCode.TOPIC_AUTHORIZATION_FAILED:
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      printError('Encounter some partition level error, see the follow-up details:');
      break;
    default:
      printError(`Encounter some unknown error: ${errorName(topLevel)}`);
  }
  const line = (c: string[]) => `\n${pad(c[0], 30)} ${pad(c[1], 15)} ${pad(c[2], 15)}`;
  let out = line(['TOPIC', 'PARTITION', 'STATUS']);
  const rows = partitions
    .map((tp) => ({ tp, error: errorOf(tp) }))
    .sort((a, b) =>
      a.tp.topic + a.tp.partition < b.tp.topic + b.tp.partition
        ? -1
        : a.tp.topic + a.tp.partition > b.tp.topic + b.tp.partition
          ? 1
          : 0,
    );
  for (const x of rows)
    out += line([
      x.tp.topic,
      String(x.tp.partition),
      x.error === ErrorCode.NONE ? 'Successful' : `Error: :${exceptionText(x.error)}`,
    ]);
  io.out(`${out}\n`);
}
