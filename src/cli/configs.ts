// `samsa configs` — kafka-configs.sh (3.9) for topics and brokers over --bootstrap-server:
// --describe [--all] prints "Dynamic|All configs for topic t are:" / "Default configs for brokers in
// the cluster are:" and one `  name=value sensitive=… synonyms={SOURCE:name=value, …}` line per
// entry (sorted by name; without --all only the entity's own dynamic entries); --alter
// --add-config k=v,k2=[a,b] / --add-config-file f / --delete-config k (IncrementalAlterConfigs SET
// and DELETE; deleting a key the entity does not set fails with "Invalid config(s): k") prints
// "Completed updating config for topic t." / "Completed updating default config for brokers in the
// cluster.". Kafka's option checks and messages; errors the broker reports are printed as the Java
// tool prints them ("Error while executing config command with args '…'" then the exception).

import fs from 'node:fs';
import { AdminClient, ConfigOp, DescribedConfigEntry, KafkaApiError } from '../admin/admin-client';
import { CONFIG_SOURCE_NAMES } from '../admin/dynamic-broker-config';
import { javaHashSetOrder } from '../admin/reassignment';
import { parseProperties } from '../server/kafka-config';
import { topicNameError } from '../server/topic-validation';

export interface ConfigsOptions {
  bootstrapServer?: string;
  commandConfig?: string;
  entityType: string[];
  entityName: string[];
  entityDefault?: boolean;
  topic?: string;
  broker?: string;
  brokerDefaults?: boolean;
  alter?: boolean;
  describe?: boolean;
  all?: boolean;
  addConfig?: string;
  addConfigFile?: string;
  deleteConfig: string[];
  force?: boolean;
}

export interface ConfigsIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

const SUPPORTED_BY_KAFKA = [
  'topics',
  'clients',
  'users',
  'brokers',
  'ips',
  'broker-loggers',
  'client-metrics',
  'groups',
];
const SUPPORTED = ['topics', 'brokers'];
const RESOURCE = { topics: 2, brokers: 4 } as const;

/** IllegalArgumentException / InvalidConfigurationException: the message alone on stderr. */
class UsageError extends Error {}

/** Any other failure: Kafka prints the command line and the exception. */
class CommandFailure extends Error {
  constructor(readonly javaText: string) {
    super(javaText);
  }
}

const singular = (entityType: string) => entityType.replace(/s$/, '');

/** parseConfigsToBeAdded: split on commas outside [...], then key=value; brackets dropped. */
export function parseAddConfig(spec: string): Array<[string, string]> {
  const outside = '(?=[^\\]]*(?:\\[|$))';
  const items = spec.split(new RegExp(`,${outside}`));
  while (items.length > 0 && items[items.length - 1] === '') items.pop(); // Java's split drops trailing empties
  return items.map((item) => {
    const kv = item.split(new RegExp(`\\s*=\\s*${outside}`));
    if (kv.length !== 2)
      throw new UsageError(
        'requirement failed: Invalid entity config: all configs to be added must be in the format "key=val".',
      );
    return [kv[0].trim(), kv[1].replace(/\[?\]?/g, '').trim()];
  });
}

function entityTypesOf(o: ConfigsOptions): string[] {
  const out = [...o.entityType];
  if (o.topic !== undefined) out.push('topics');
  if (o.broker !== undefined) out.push('brokers');
  if (o.brokerDefaults) out.push('brokers');
  return out;
}

function entityNamesOf(o: ConfigsOptions): string[] {
  const out = [...o.entityName];
  if (o.entityDefault) out.push('');
  if (o.topic !== undefined) out.push(o.topic);
  if (o.broker !== undefined) out.push(o.broker);
  if (o.brokerDefaults) out.push('');
  return out;
}

/** ConfigCommandOptions.checkArgs for the bootstrap-server path. */
function checkArgs(o: ConfigsOptions): void {
  const actions = [o.alter, o.describe].filter(Boolean).length;
  if (actions !== 1) throw new UsageError('Command must include exactly one action: --describe, --alter');
  if (
    o.describe &&
    (o.addConfig !== undefined || o.addConfigFile !== undefined || o.deleteConfig.length > 0)
  ) {
    const bad =
      o.addConfig !== undefined
        ? 'add-config'
        : o.addConfigFile !== undefined
          ? 'add-config-file'
          : 'delete-config';
    throw new UsageError(`Option "[describe]" can't be used with option "[${bad}]"`);
  }
  if (o.all && !o.describe) throw new UsageError('Option "[all]" can\'t be used with option "[alter]"');
  const types = entityTypesOf(o);
  const dup = types.filter((t, i) => types.indexOf(t) !== i);
  if (dup.length > 0)
    throw new UsageError(`Duplicate entity type(s) specified: ${[...new Set(dup)].join(',')}`);
  for (const t of types)
    if (!SUPPORTED_BY_KAFKA.includes(t))
      throw new UsageError(
        `Invalid entity-type ${t}, --entity-type must be one of ${SUPPORTED_BY_KAFKA.join(',')} with the --bootstrap-server or --bootstrap-controller argument`,
      );
  if (types.length === 0) throw new UsageError('At least one entity type must be specified');
  if (types.length > 1 && !(types.length === 2 && types.includes('users') && types.includes('clients')))
    throw new UsageError("Only 'users' and 'clients' entity types may be specified together");
  if (
    (o.entityName.length > 0 || o.entityType.length > 0 || o.entityDefault) &&
    (o.topic !== undefined || o.broker !== undefined || o.brokerDefaults)
  )
    throw new UsageError(
      '--entity-{type,name,default} should not be used in conjunction with specific entity flags',
    );
  if (!o.bootstrapServer)
    throw new UsageError(
      'One of the required --bootstrap-server, --boostrap-controller, or --zookeeper arguments must be specified',
    );
  const names = entityNamesOf(o);
  const hasName = names.some((n) => n !== '');
  const hasDefault = names.some((n) => n === '');
  if (hasName && types.includes('brokers'))
    for (const n of names.filter((x) => x !== ''))
      if (!/^[+-]?\d+$/.test(n))
        throw new UsageError(
          `The entity name for ${types[0]} must be a valid integer broker id, but it is: ${n}`,
        );
  if (o.alter) {
    if (['users', 'clients', 'brokers', 'ips'].some((t) => types.includes(t))) {
      if (!hasName && !hasDefault)
        throw new UsageError(
          'an entity-name or default entity must be specified with --alter of users, clients, brokers or ips',
        );
    } else if (!hasName)
      throw new UsageError(`an entity name must be specified with --alter of ${types.join(',')}`);
    if (o.addConfig !== undefined && o.addConfigFile !== undefined)
      throw new UsageError('Only one of --add-config or --add-config-file must be specified');
    if (o.addConfig === undefined && o.addConfigFile === undefined && o.deleteConfig.length === 0)
      throw new UsageError(
        'At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter',
      );
  }
  for (const t of types)
    if (!SUPPORTED.includes(t))
      throw new UsageError(`Entity type ${t} is not supported by Samsa (only topics and brokers)`);
}

/** Runs the command; resolves to the exit status (0 or 1), having printed what Kafka prints. */
export async function runConfigs(
  o: ConfigsOptions,
  rawArgs: readonly string[],
  io: ConfigsIO,
): Promise<number> {
  try {
    checkArgs(o);
    const types = entityTypesOf(o);
    const names = entityNamesOf(o);
    if (o.alter && types.length !== names.length)
      throw new UsageError('An entity name must be specified for every entity type');
    const admin = await AdminClient.connect(o.bootstrapServer as string, 'samsa-configs');
    try {
      if (o.alter) await alter(admin, types[0], names[0], o, io);
      else await describe(admin, types[0], names.length > 0 ? names[0] : null, Boolean(o.all), io);
    } finally {
      admin.close();
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return 1;
    }
    io.err(`Error while executing config command with args '${rawArgs.join(' ')}'`);
    if (e instanceof CommandFailure) io.err(e.javaText);
    else if (e instanceof KafkaApiError) io.err(`java.util.concurrent.ExecutionException: ${e.toString()}`);
    else io.err(`${(e as Error).message}`);
    return 1;
  }
}

/** One --describe entry: `  name=value sensitive=false synonyms={SOURCE:name=value, …}` (null prints as null). */
export function formatConfigLine(e: {
  name: string;
  value: string | null;
  sensitive: boolean;
  synonyms: ReadonlyArray<{ name: string; value: string | null; source: number }>;
}): string {
  const synonyms = e.synonyms
    .map((s) => `${CONFIG_SOURCE_NAMES[s.source] ?? 'UNKNOWN'}:${s.name}=${s.value}`)
    .join(', ');
  return `  ${e.name}=${e.value} sensitive=${e.sensitive} synonyms={${synonyms}}`;
}

function configSourceFor(entityType: string, name: string): number {
  if (entityType === 'topics') return 1; // DYNAMIC_TOPIC_CONFIG
  return name === '' ? 3 : 2; // DYNAMIC_DEFAULT_BROKER_CONFIG : DYNAMIC_BROKER_CONFIG
}

/** getResourceConfig: the entity's configs with synonyms, only its dynamic ones unless --all. */
async function resourceConfig(
  admin: AdminClient,
  entityType: string,
  name: string,
  describeAll: boolean,
  includeSynonyms = true,
): Promise<DescribedConfigEntry[]> {
  if (entityType === 'topics' && name !== '') {
    const err = topicNameError(name);
    if (err) throw new CommandFailure(`org.apache.kafka.common.errors.InvalidTopicException: ${err}`);
  }
  const entries = await admin.describeConfigs(
    RESOURCE[entityType as keyof typeof RESOURCE],
    name,
    includeSynonyms,
  );
  const source = configSourceFor(entityType, name);
  return entries
    .filter((e) => describeAll || e.source === source)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function describe(
  admin: AdminClient,
  entityType: string,
  entityName: string | null,
  describeAll: boolean,
  io: ConfigsIO,
): Promise<void> {
  let entities: string[];
  if (entityName !== null) entities = [entityName];
  else if (entityType === 'topics') {
    // listTopics(listInternal=true).names(): a HashMap's key set, iterated in java.util.HashSet order.
    const md = await admin.metadata(null);
    entities = javaHashSetOrder(md.topics.map((t) => t.name as string));
  } else entities = [...(await admin.describeCluster()).brokers.map((b) => String(b.id)), ''];
  for (const entity of entities) {
    if (entity === '' && entityType === 'brokers')
      io.out(`Default configs for ${entityType} in the cluster are:`);
    else io.out(`${describeAll ? 'All' : 'Dynamic'} configs for ${singular(entityType)} ${entity} are:`);
    for (const e of await resourceConfig(admin, entityType, entity, describeAll)) io.out(formatConfigLine(e));
  }
}

async function alter(
  admin: AdminClient,
  entityType: string,
  entityName: string,
  o: ConfigsOptions,
  io: ConfigsIO,
): Promise<void> {
  const toAdd: Array<[string, string]> = [];
  if (o.addConfigFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(o.addConfigFile, 'utf8');
    } catch (e) {
      throw new CommandFailure(
        `java.nio.file.NoSuchFileException: ${o.addConfigFile} (${(e as Error).message})`,
      );
    }
    toAdd.push(...Object.entries(parseProperties(text)));
  }
  if (o.addConfig !== undefined) toAdd.push(...parseAddConfig(o.addConfig));
  const added = new Map(toAdd);
  if (added.has('message.format.version'))
    io.out(
      `WARNING: The configuration message.format.version=${added.get('message.format.version')} is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker or if the inter.broker.protocol.version is 3.0 or newer. This configuration is deprecated and it will be removed in Apache Kafka 4.0.`,
    );
  for (const k of added.keys())
    if (!/^[a-zA-Z0-9._-]*$/.test(k)) throw new UsageError(`Invalid character found for config key: ${k}`);
  const toDelete = o.deleteConfig.flatMap((d) => d.split(',')).map((d) => d.trim());

  const current = new Set(
    (await resourceConfig(admin, entityType, entityName, false, false)).map((e) => e.name),
  );
  const invalid = toDelete.filter((d) => !current.has(d));
  if (invalid.length > 0) throw new UsageError(`Invalid config(s): ${invalid.join(',')}`);

  const ops: ConfigOp[] = [
    ...[...added].map(([name, value]) => ({ name, op: 0, value })),
    ...toDelete.map((name) => ({ name, op: 1, value: '' })),
  ];
  const [err] = await admin.incrementalAlterConfigs([
    { resourceType: RESOURCE[entityType as keyof typeof RESOURCE], resourceName: entityName, ops },
  ]);
  if (err) throw err;
  if (entityName !== '') io.out(`Completed updating config for ${singular(entityType)} ${entityName}.`);
  else io.out(`Completed updating default config for ${entityType} in the cluster.`);
}
