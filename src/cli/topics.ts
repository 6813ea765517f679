// `samsa topics` — kafka-topics.sh: --create, --list, --describe, --delete and --alter
// --partitions [--replica-assignment] (CreatePartitions on the controller; the assignment lists
// every partition, the new ones are those past the current count), with Kafka's flags, output
// lines and error texts. --describe asks the controller for reassignments in progress and, as
// TopicCommand, prints `Adding Replicas`/`Removing Replicas` for moving partitions and counts the
// replication factor without the replicas being added.

import { connectBootstrap, connectController, KafkaConnection } from '../client/network-client';
import { ZERO_UUID } from '../protocol/codec/reader';
import { errorName, ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { CreateTopicsResponse } from '../protocol/messages/generated/CreateTopicsResponse';
import type { DeleteTopicsResponse } from '../protocol/messages/generated/DeleteTopicsResponse';
import type { CreatePartitionsResponse } from '../protocol/messages/generated/CreatePartitionsResponse';
import type { DescribeConfigsResponse } from '../protocol/messages/generated/DescribeConfigsResponse';
import type { ListPartitionReassignmentsResponse } from '../protocol/messages/generated/ListPartitionReassignmentsResponse';
import type { MetadataResponse } from '../protocol/messages/generated/MetadataResponse';
import { CliError } from './cli-error';

export interface TopicsOptions {
  bootstrapServer?: string;
  create?: boolean;
  list?: boolean;
  describe?: boolean;
  delete?: boolean;
  alter?: boolean;
  topic?: string;
  partitions?: string;
  replicationFactor?: string;
  replicaAssignment?: string;
  config: string[];
  ifExists?: boolean;
  ifNotExists?: boolean;
  excludeInternal?: boolean;
  topicsWithOverrides?: boolean;
  underReplicatedPartitions?: boolean;
  unavailablePartitions?: boolean;
}

const INTERNAL = new Set(['__consumer_offsets', '__transaction_state']);

/** Kafka-style human message for an error code in a topic result. */
function topicError(code: number, message: string | null): CliError {
  const texts: Record<number, string> = {
    [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
    [ErrorCode.NOT_CONTROLLER]: 'This is not the correct controller for this cluster.',
    [ErrorCode.REQUEST_TIMED_OUT]: 'The request timed out.',
  };
  return new CliError(`Error while executing topic command : ${message ?? texts[code] ?? errorName(code)}`);
}

function parseInt32(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw new CliError(`Invalid value '${v}' for ${flag}: not an integer`);
  return Number(v);
}

/** `0:1,1:2` → partition 0 on brokers 0,1 (':' separates replicas, ',' partitions), as Kafka parses it. */
export function parseReplicaAssignment(s: string): number[][] {
  return s.split(',').map((p, i) => {
    const ids = p.split(':').map((x) => parseInt32(x.trim(), '--replica-assignment'));
    if (new Set(ids).size !== ids.length)
      throw new CliError(`Partition replica lists may not contain duplicate entries: partition ${i} (${p})`);
    return ids;
  });
}

function parseConfigs(list: string[]): Array<{ name: string; value: string }> {
  return list.flatMap((entry) =>
    entry.split(',').map((kv) => {
      const i = kv.indexOf('=');
      if (i <= 0)
        throw new CliError(`Invalid topic config: all configs to be added must be in the format "key=val".`);
      return { name: kv.slice(0, i).trim(), value: kv.slice(i + 1).trim() };
    }),
  );
}

/** Java-regex whole match, as Kafka's IncludeList for --topic on list/describe/delete. */
function topicMatcher(pattern: string | undefined): (t: string) => boolean {
  if (!pattern) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern.replace(/^"|"$/g, '')})$`);
  } catch {
    return (t) => t === pattern;
  }
  return (t) => re.test(t);
}

export async function runTopics(o: TopicsOptions, out: (s: string) => void): Promise<void> {
  const actions = [o.create, o.list, o.describe, o.delete, o.alter].filter(Boolean).length;
  if (actions !== 1)
    throw new CliError(
      'Command must include exactly one action: --list, --describe, --create, --alter or --delete',
    );
  if (!o.bootstrapServer) throw new CliError('Missing required argument "[bootstrap-server]"');
  if ((o.create || o.delete || o.alter) && !o.topic)
    throw new CliError('Missing required argument "[topic]"');
  if (o.alter) {
    if (o.config.length > 0)
      throw new CliError(
        'Option "[config]" can\'t be used with option "[alter]" (To alter topic configurations, the kafka-configs tool can be used.)',
      );
    if (o.replicationFactor !== undefined)
      throw new CliError('Option "[replication-factor]" can\'t be used with option "[alter]"');
    if (o.partitions === undefined) throw new CliError('Missing required argument "[partitions]"');
  }
  if (o.create && !o.replicaAssignment && o.partitions === undefined && o.replicationFactor === undefined) {
    // Kafka allows both to default to the broker settings.
  }
  const conn = await connectBootstrap(o.bootstrapServer);
  try {
    if (o.create) await create(conn, o, out);
    else if (o.list) await list(conn, o, out);
    else if (o.describe) await describe(conn, o, out);
    else if (o.delete) await del(conn, o);
    else if (o.alter) await alter(conn, o);
  } finally {
    conn.close();
  }
}

async function metadata(conn: KafkaConnection, topics: string[] | null): Promise<MetadataResponse> {
  return conn.request<MetadataResponse>(ApiKey.Metadata, {
    topics: topics === null ? null : topics.map((name) => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation: false,
  });
}

async function create(conn: KafkaConnection, o: TopicsOptions, out: (s: string) => void): Promise<void> {
  const name = o.topic as string;
  const partitions = o.partitions !== undefined ? parseInt32(o.partitions, '--partitions') : -1;
  const rf = o.replicationFactor !== undefined ? parseInt32(o.replicationFactor, '--replication-factor') : -1;
  if (o.replicationFactor !== undefined && (rf < 1 || rf > 32767))
    throw new CliError(
      'Error while executing topic command : The replication factor must be between 1 and 32767 inclusive',
    );
  if (o.partitions !== undefined && partitions < 1)
    throw new CliError('Error while executing topic command : The partitions must be greater than 0');
  let assignments: Array<{ partitionIndex: number; brokerIds: number[] }> = [];
  if (o.replicaAssignment) {
    if (o.partitions !== undefined || o.replicationFactor !== undefined)
      throw new CliError(
        'Option "[replica-assignment]" can\'t be used with option "[partitions]" or "[replication-factor]"',
      );
    assignments = parseReplicaAssignment(o.replicaAssignment).map((brokerIds, partitionIndex) => ({
      partitionIndex,
      brokerIds,
    }));
  }
  if (/[._]/.test(name))
    out(
      "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.",
    );
  const ctrl = await connectController(conn);
  try {
    const res = await ctrl.request<CreateTopicsResponse>(ApiKey.CreateTopics, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor: rf,
          assignments,
          configs: parseConfigs(o.config),
        },
      ],
      timeoutMs: 30000,
      validateOnly: false,
    });
    const r = res.topics[0];
    if (r.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && o.ifNotExists) return;
    if (r.errorCode !== ErrorCode.NONE) throw topicError(r.errorCode, r.errorMessage);
    out(`Created topic ${name}.`);
  } finally {
    if (ctrl !== conn) ctrl.close();
  }
}

async function listTopicNames(conn: KafkaConnection, o: TopicsOptions): Promise<string[]> {
  const md = await metadata(conn, null);
  const match = topicMatcher(o.topic);
  return md.topics
    .map((t) => t.name as string)
    .filter((n) => match(n) && !(o.excludeInternal && INTERNAL.has(n)))
    .sort();
}

async function list(conn: KafkaConnection, o: TopicsOptions, out: (s: string) => void): Promise<void> {
  const names = await listTopicNames(conn, o);
  if (names.length > 0) out(names.join('\n'));
}

function ensureTopicExists(names: string[], o: TopicsOptions): void {
  if (names.length === 0 && o.topic && !o.ifExists)
    throw new CliError(`Error while executing topic command : Topic '${o.topic}' does not exist as expected`);
}

async function topicConfigs(conn: KafkaConnection, names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let supported = true;
  try {
    conn.version(ApiKey.DescribeConfigs);
  } catch {
    supported = false;
  }
  if (!supported || names.length === 0) return out;
  const res = await conn.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, {
    resources: names.map((n) => ({ resourceType: 2, resourceName: n, configurationKeys: null })),
    includeSynonyms: false,
    includeDocumentation: false,
  });
  for (const r of res.results) {
    // isDefault() in the Java client: source DEFAULT_CONFIG (5); v0 reports isDefault directly.
    const set = r.configs.filter((c) => (c.configSource === -1 ? !c.isDefault : c.configSource !== 5));
    out.set(r.resourceName, set.map((c) => `${c.name}=${c.value ?? ''}`).join(','));
  }
  return out;
}

async function describe(conn: KafkaConnection, o: TopicsOptions, out: (s: string) => void): Promise<void> {
  const names = await listTopicNames(conn, o);
  ensureTopicExists(names, o);
  if (names.length === 0) return;
  const md = await metadata(conn, names);
  const configs = await topicConfigs(conn, names);
  const reassignments = await listReassignments(
    conn,
    md.topics.map((t) => ({ name: t.name as string, partitions: t.partitions.map((p) => p.partitionIndex) })),
  );
  const live = new Set(md.brokers.map((b) => b.nodeId));
  const reportOnly = o.underReplicatedPartitions || o.unavailablePartitions;
  for (const t of md.topics.sort((a, b) => (a.name as string).localeCompare(b.name as string))) {
    const name = t.name as string;
    const conf = configs.get(name) ?? '';
    if (o.topicsWithOverrides && conf === '') continue;
    const parts = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    if (!reportOnly) {
      let line = `Topic: ${name}`;
      if (t.topicId !== ZERO_UUID) line += `\tTopicId: ${t.topicId}`;
      const rf = parts[0]
        ? replicationFactor(parts[0].replicaNodes, reassignments.get(`${name}-${parts[0].partitionIndex}`))
        : 0;
      line += `\tPartitionCount: ${parts.length}\tReplicationFactor: ${rf}\tConfigs: ${conf}`;
      out(line);
    }
    if (o.topicsWithOverrides) continue;
    for (const p of parts) {
      const hasLeader = p.leaderId >= 0;
      const ra = reassignments.get(`${name}-${p.partitionIndex}`);
      if (o.underReplicatedPartitions && !(replicationFactor(p.replicaNodes, ra) - p.isrNodes.length > 0))
        continue;
      if (o.unavailablePartitions && hasLeader && live.has(p.leaderId)) continue;
      const moving = ra
        ? `\tAdding Replicas: ${ra.addingReplicas.join(',')}\tRemoving Replicas: ${ra.removingReplicas.join(',')}`
        : '';
      out(
        `\tTopic: ${name}\tPartition: ${p.partitionIndex}\tLeader: ${hasLeader ? p.leaderId : 'none'}` +
          `\tReplicas: ${p.replicaNodes.join(',')}\tIsr: ${p.isrNodes.join(',')}${moving}\tElr: N/A\tLastKnownElr: N/A`,
      );
    }
  }
}

async function del(conn: KafkaConnection, o: TopicsOptions): Promise<void> {
  const names = (await listTopicNames(conn, o)).filter((n) => !INTERNAL.has(n) || n === o.topic);
  ensureTopicExists(names, o);
  if (names.length === 0) return;
  const ctrl = await connectController(conn);
  try {
    const res = await ctrl.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, {
      topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
      topicNames: names,
      timeoutMs: 30000,
    });
    const failed = res.responses.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) throw topicError(failed.errorCode, failed.errorMessage);
  } finally {
    if (ctrl !== conn) ctrl.close();
  }
}

interface Reassignment {
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

/**
 * Reassignments in progress for the given partitions, keyed `topic-partition`, from the controller.
 * A broker without ListPartitionReassignments has none to report (TopicCommand ignores
 * UnsupportedVersionException the same way); neither has a cluster between controllers.
 */
async function listReassignments(
  conn: KafkaConnection,
  topics: Array<{ name: string; partitions: number[] }>,
): Promise<Map<string, Reassignment>> {
  const out = new Map<string, Reassignment>();
  try {
    conn.version(ApiKey.ListPartitionReassignments);
  } catch {
    return out;
  }
  if (topics.length === 0) return out;
  let ctrl: KafkaConnection;
  try {
    ctrl = await connectController(conn);
  } catch {
    // No controller right now (an election in progress): describe without reassignment details.
    return out;
  }
  try {
    const r = await ctrl.request<ListPartitionReassignmentsResponse>(ApiKey.ListPartitionReassignments, {
      timeoutMs: 30000,
      topics: topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions })),
    });
    if (r.errorCode === ErrorCode.NOT_CONTROLLER) return out;
    if (r.errorCode !== ErrorCode.NONE) throw topicError(r.errorCode, r.errorMessage);
    for (const t of r.topics)
      for (const p of t.partitions)
        out.set(`${t.name}-${p.partitionIndex}`, {
          replicas: p.replicas,
          addingReplicas: p.addingReplicas,
          removingReplicas: p.removingReplicas,
        });
  } finally {
    if (ctrl !== conn) ctrl.close();
  }
  return out;
}

/** TopicCommand.getReplicationFactor: while replicas move, the count without those being added. */
function replicationFactor(replicas: number[], ra: Reassignment | undefined): number {
  const moving =
    ra !== undefined &&
    replicas.some((r) => ra.addingReplicas.includes(r) || ra.removingReplicas.includes(r));
  return moving ? ra.replicas.length - ra.addingReplicas.length : replicas.length;
}

/** --alter --partitions N [--replica-assignment …]: CreatePartitions for every matching topic; silent on success. */
async function alter(conn: KafkaConnection, o: TopicsOptions): Promise<void> {
  const count = parseInt32(o.partitions as string, '--partitions');
  const assignment = o.replicaAssignment ? parseReplicaAssignment(o.replicaAssignment) : null;
  const names = await listTopicNames(conn, o);
  ensureTopicExists(names, o);
  if (names.length === 0) return;
  const md = await metadata(conn, names);
  const current = new Map(md.topics.map((t) => [t.name as string, t.partitions.length]));
  const ctrl = await connectController(conn);
  try {
    const res = await ctrl.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, {
      topics: names.map((name) => ({
        name,
        count,
        assignments:
          assignment === null
            ? null
            : assignment.slice(current.get(name) ?? 0).map((brokerIds) => ({ brokerIds })),
      })),
      timeoutMs: 30000,
      validateOnly: false,
    });
    const failed = res.results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) throw topicError(failed.errorCode, failed.errorMessage);
  } finally {
    if (ctrl !== conn) ctrl.close();
  }
}
