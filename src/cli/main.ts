// The `samsa` command: Kafka's tools under one roof, with Kafka's flag names.
//   samsa server-start <server.properties> [--override k=v]…   (kafka-server-start.sh)
//   samsa topics …                                             (kafka-topics.sh)
//   samsa configs …                                            (kafka-configs.sh)
//   samsa reassign-partitions …                                (kafka-reassign-partitions.sh)
//   samsa dump-log --files …                                   (kafka-dump-log.sh)
//   samsa console-producer / console-consumer …                (kafka-console-*.sh)
// Errors print one line on stderr and exit with code 1.

import { Command, CommanderError, Option } from 'commander';
import { CliError } from './cli-error';
import { runConsoleConsumer, type ConsoleConsumerOptions } from './console-consumer';
import { runConsoleProducer, type ConsoleProducerOptions } from './console-producer';
import { runConsumerGroups, type ConsumerGroupsOptions } from './consumer-groups';
import { runConfigs, type ConfigsOptions } from './configs';
import { dumpLog } from './dump-log';
import { runReassignPartitions, type ReassignOptions } from './reassign-partitions';
import { serverStart } from './server-start';
import { runTopics, TopicsOptions } from './topics';

const collect = (v: string, prev: string[]) => [...prev, v];

function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${msg.split('\n')[0]}\n`);
  process.exit(1);
}

function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      fail(e);
    }
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('samsa')
    .description('Samsa: an Apache-Kafka-compatible broker coordinated by ZooKeeper')
    .exitOverride();
  program.configureOutput({ outputError: (s, write) => write(s.split('\n')[0] + '\n') });

  program
    .command('server-start')
    .description('Start a broker (kafka-server-start.sh)')
    .argument('<config>', 'server.properties file')
    .option('--override <property=value>', 'override a property of the config file (repeatable)', collect, [])
    .action(
      action(async (config: string, opts: { override: string[] }) => serverStart(config, opts.override)),
    );

  program
    .command('topics')
    .description('Create, delete, describe, or list topics (kafka-topics.sh)')
    .option('--bootstrap-server <server(s)>', 'the Kafka server(s) to connect to')
    .option('--create', 'create a new topic')
    .option('--list', 'list all available topics')
    .option('--describe', 'list details for the given topics')
    .option('--delete', 'delete a topic')
    .option('--alter', 'alter the number of partitions and replica assignment')
    .option(
      '--topic <topic>',
      'the topic to create, alter, describe or delete (a regular expression except for --create)',
    )
    .option('--partitions <n>', 'the number of partitions for the topic')
    .option('--replication-factor <n>', 'the replication factor for each partition')
    .option(
      '--replica-assignment <list>',
      'manual assignment: broker_id_for_part1_replica1:broker_id_for_part1_replica2,…',
    )
    .option('--config <name=value>', 'a topic configuration override (repeatable)', collect, [])
    .option('--if-exists', 'only alter, describe or delete topics that exist')
    .option('--if-not-exists', 'only create the topic if it does not exist')
    .option('--exclude-internal', 'exclude internal topics from --list and --describe')
    .option('--topics-with-overrides', 'only show topics that have overridden configs')
    .option('--under-replicated-partitions', 'only show under-replicated partitions')
    .option('--unavailable-partitions', 'only show partitions whose leader is not available')
    .addOption(new Option('--command-config <file>', 'client config properties (accepted, not used)'))
    .action(action(async (opts: TopicsOptions) => runTopics(opts, (s) => process.stdout.write(s + '\n'))));

  program
    .command('configs')
    .description('Add/remove and describe dynamic configs of topics and brokers (kafka-configs.sh)')
    .option('--bootstrap-server <server(s)>', 'the Kafka server(s) to connect to')
    .option('--command-config <file>', 'admin client properties (accepted, not used)')
    .option('--entity-type <type>', "type of entity: 'topics' or 'brokers' (repeatable)", collect, [])
    .option('--entity-name <name>', 'name of entity: topic name or broker id (repeatable)', collect, [])
    .option('--entity-default', 'the default entity (brokers: the cluster-wide default)')
    .option('--topic <topic>', 'same as --entity-type topics --entity-name <topic>')
    .option('--broker <id>', 'same as --entity-type brokers --entity-name <id>')
    .option('--broker-defaults', 'same as --entity-type brokers --entity-default')
    .option('--alter', 'alter the configuration of the entity')
    .option('--describe', 'list configs of the given entity')
    .option('--all', 'with --describe: every config, not only the dynamic ones')
    .option('--add-config <k=v,k2=[v1,v2]>', 'configs to add or change')
    .option('--add-config-file <file>', 'a properties file of configs to add or change')
    .option('--delete-config <k1,k2>', 'config keys to remove (repeatable)', collect, [])
    .option('--force', 'suppress console prompts (accepted, not used)')
    .action(async (opts: ConfigsOptions, cmd: Command) => {
      const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
      const at = raw.indexOf('configs');
      const code = await runConfigs(opts, at >= 0 ? raw.slice(at + 1) : [], {
        out: (s) => process.stdout.write(s + '\n'),
        err: (s) => process.stderr.write(s + '\n'),
      });
      if (code !== 0) process.exit(code);
    });

  program
    .command('reassign-partitions')
    .description('Move partitions between brokers (kafka-reassign-partitions.sh)')
    .option('--bootstrap-server <server(s)>', 'the Kafka server(s) to connect to')
    .option(
      '--zookeeper <host:port[/chroot]>',
      'DEPRECATED (legacy path): write /admin/reassign_partitions directly',
    )
    .option('--command-config <file>', 'admin client properties (accepted, not used)')
    .option('--generate', 'generate a candidate partition reassignment configuration')
    .option('--execute', 'start the reassignment given by --reassignment-json-file')
    .option('--verify', 'check the status of the reassignment given by --reassignment-json-file')
    .option('--cancel', 'cancel the active reassignments given by --reassignment-json-file')
    .option('--list', 'list the partition reassignments in progress')
    .option('--topics-to-move-json-file <file>', 'with --generate: the topics to move')
    .option('--broker-list <0,1,2>', 'with --generate: the brokers to move them to')
    .option('--disable-rack-aware', 'with --generate: ignore the brokers’ racks')
    .option('--reassignment-json-file <file>', 'the reassignment JSON (see --generate)')
    .option('--throttle <bytes/s>', 'with --execute: inter-broker replication throttle (default -1: none)')
    .option(
      '--replica-alter-log-dirs-throttle <bytes/s>',
      'with --execute: log dir move throttle (default -1: none)',
    )
    .option('--timeout <ms>', 'how long to retry starting log dir moves (default 10000)')
    .option('--additional', 'with --execute: allowed while other reassignments run')
    .option('--preserve-throttles', 'with --verify/--cancel: keep the throttles')
    .option('--wait', 'with --execute: follow the reassignment with a progress line until it completes')
    .option('--minimize-movement', 'with --generate: balance while moving as few replicas as possible')
    .option(
      '--progress-interval-ms <ms>',
      'sampling interval of the progress figures (default 1000; 0: no rate)',
    )
    .action(async (opts: ReassignOptions, cmd: Command) => {
      const given = cmd.options
        .filter((opt) => cmd.getOptionValueSource(opt.attributeName()) === 'cli')
        .map((opt) => (opt.long ?? '').replace(/^--/, ''));
      const code = await runReassignPartitions(opts, given, {
        write: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s + '\n'),
        tty: Boolean(process.stdout.isTTY),
      });
      if (code !== 0) process.exit(code);
    });

  program
    .command('dump-log')
    .description('Dump the contents of log segments and indexes (kafka-dump-log.sh)')
    .requiredOption(
      '--files <file1,file2,...>',
      'comma-separated list of data and index log files to be dumped',
    )
    .option('--print-data-log', 'print the content of each record (implies --deep-iteration)')
    .option('--deep-iteration', 'iterate through the records inside each batch')
    .option('--skip-record-metadata', 'skip printing metadata of each record')
    .option('--verify-index-only', 'only verify the index log without printing its content')
    .option('--index-sanity-check', 'only check the index sanity without printing its content')
    .option('--max-message-size <n>', 'size of the largest message', '5242880')
    .action(
      action(
        async (o: {
          files: string;
          printDataLog?: boolean;
          deepIteration?: boolean;
          skipRecordMetadata?: boolean;
          verifyIndexOnly?: boolean;
          indexSanityCheck?: boolean;
          maxMessageSize: string;
        }) => {
          const maxMessageSize = Number(o.maxMessageSize);
          if (!Number.isInteger(maxMessageSize) || maxMessageSize <= 0)
            throw new CliError(`Invalid value '${o.maxMessageSize}' for --max-message-size`);
          await dumpLog({
            files: o.files
              .split(',')
              .map((f) => f.trim())
              .filter(Boolean),
            printDataLog: o.printDataLog,
            deepIteration: o.deepIteration || o.printDataLog,
            skipRecordMetadata: o.skipRecordMetadata,
            verifyIndexOnly: o.verifyIndexOnly,
            indexSanityCheck: o.indexSanityCheck,
            maxMessageSize,
          });
        },
      ),
    );

  program
    .command('console-producer')
    .description('Read lines from standard input and publish them to Kafka (kafka-console-producer.sh)')
    .option('--bootstrap-server <server(s)>', 'REQUIRED unless --broker-list: the server(s) to connect to')
    .option('--broker-list <list>', 'DEPRECATED, use --bootstrap-server instead')
    .option('--topic <topic>', 'REQUIRED: the topic id to produce messages to')
    .option('--sync', 'send each message synchronously, one at a time as they arrive')
    .option('--compression-codec [codec]', "'none', 'gzip', 'snappy', 'lz4' or 'zstd' (bare: gzip)")
    .option('--batch-size <size>', 'batch.size (default 16384)')
    .option('--message-send-max-retries <n>', 'retries (default 3)')
    .option('--retry-backoff-ms <ms>', 'retry.backoff.ms (default 100)')
    .option('--timeout <ms>', 'linger.ms in asynchronous mode (default 1000)')
    .option('--request-required-acks <acks>', 'acks (default -1)')
    .option('--request-timeout-ms <ms>', 'request.timeout.ms (default 1500)')
    .option('--metadata-expiry-ms <ms>', 'metadata.max.age.ms (default 300000)')
    .option('--max-block-ms <ms>', 'max.block.ms (default 60000)')
    .option('--max-memory-bytes <n>', 'buffer.memory (default 33554432)')
    .option('--max-partition-memory-bytes <n>', 'batch.size, overrides --batch-size')
    .option('--line-reader <class>', 'the message reader (only LineMessageReader)')
    .option('--socket-buffer-size <n>', 'send.buffer.bytes (accepted, not used)')
    .option('--property <prop>', 'a message reader property key=value (repeatable)', collect, [])
    .option('--reader-config <file>', 'message reader properties file')
    .option('--producer-property <prop>', 'a producer property key=value (repeatable)', collect, [])
    .option('--producer.config <file>', 'producer properties file')
    .action(
      action(async (opts: ConsoleProducerOptions & { 'producer.config'?: string }) =>
        runConsoleProducer(
          { ...opts, producerConfig: opts['producer.config'] },
          {
            stdin: process.stdin,
            stdout: (s) => process.stdout.write(s),
            stderr: (s) => process.stderr.write(s),
            interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
          },
        ),
      ),
    );

  program
    .command('console-consumer')
    .description('Read data from Kafka topics and write it to standard output (kafka-console-consumer.sh)')
    .option('--bootstrap-server <server(s)>', 'REQUIRED: the server(s) to connect to')
    .option('--topic <topic>', 'the topic to consume on')
    .option('--include <regex>', 'regular expression of the topics to consume')
    .option('--whitelist <regex>', 'DEPRECATED, use --include instead')
    .option('--partition <n>', 'the partition to consume from (from its end unless --offset)')
    .option('--offset <offset>', "a non-negative offset, 'earliest' or 'latest' (needs --partition)")
    .option('--from-beginning', 'start with the earliest message rather than the latest')
    .option('--max-messages <n>', 'exit after consuming this many messages')
    .option('--timeout-ms <ms>', 'exit when no message arrived for this long')
    .option('--skip-message-on-error', 'skip a message that cannot be printed instead of stopping')
    .option('--property <prop>', 'a formatter property key=value (repeatable)', collect, [])
    .option('--formatter <class>', 'the message formatter (only DefaultMessageFormatter)')
    .option('--formatter-config <file>', 'formatter properties file')
    .option('--consumer-property <prop>', 'a consumer property key=value (repeatable)', collect, [])
    .option('--consumer.config <file>', 'consumer properties file')
    .option('--key-deserializer <class>', 'deserializer for keys')
    .option('--value-deserializer <class>', 'deserializer for values')
    .option('--isolation-level <level>', 'read_committed or read_uncommitted (default)')
    .option('--group <group>', 'the consumer group id (needs a broker with consumer groups)')
    .option('--enable-systest-events', 'accepted, not used')
    .action(
      action(async (opts: ConsoleConsumerOptions & { 'consumer.config'?: string }) =>
        runConsoleConsumer(
          { ...opts, consumerConfig: opts['consumer.config'] },
          {
            stdout: (b) =>
              new Promise<void>((resolve, reject) => {
                const ok = process.stdout.write(b, (e) => (e ? reject(e) : undefined));
                if (ok) resolve();
                else process.stdout.once('drain', resolve);
              }),
            stderr: (s) => process.stderr.write(s),
          },
        ),
      ),
    );

  program
    .command('consumer-groups')
    .description('List, describe, delete consumer groups and reset their offsets (kafka-consumer-groups.sh)')
    .option('--bootstrap-server <server(s)>', 'REQUIRED: the server(s) to connect to')
    .option('--list', 'list all consumer groups')
    .option('--describe', 'describe consumer groups and list offset lag')
    .option('--delete', 'delete groups (their offsets and ownership information)')
    .option('--reset-offsets', 'reset offsets of consumer groups (inactive groups only)')
    .option('--delete-offsets', 'delete offsets of a consumer group')
    .option('--group <group>', 'the consumer group to act on (repeatable)', collect, [])
    .option('--all-groups', 'apply to all consumer groups')
    .option(
      '--topic <topic>',
      'topic (or topic:p1,p2) to reset or delete offsets of (repeatable)',
      collect,
      [],
    )
    .option('--all-topics', 'consider all topics assigned to a group in --reset-offsets')
    .option('--members', 'describe the members of the group')
    .option('--verbose', 'more detail with --members')
    .option('--offsets', 'describe the group with its partitions and lag (the default)')
    .option('--state [states]', '--describe: the group state; --list: show states, or filter by them')
    .option('--type [types]', '--list: show group types, or filter by them')
    .option('--dry-run', 'only show the offsets a reset would set (the default)')
    .option('--execute', 'execute the reset')
    .option('--export', 'print the reset plan as CSV')
    .option('--to-offset <offset>', 'reset offsets to this offset')
    .option('--to-datetime <datetime>', "reset offsets to those at a time, 'YYYY-MM-DDTHH:mm:SS.sss'")
    .option('--by-duration <duration>', "reset offsets to those a duration ago, 'PnDTnHnMnS'")
    .option('--to-earliest', 'reset offsets to the earliest offsets')
    .option('--to-latest', 'reset offsets to the latest offsets')
    .option('--to-current', 'reset offsets to the current offsets')
    .option('--shift-by <n>', 'shift the current offsets by n (may be negative)')
    .option('--from-file <file>', 'reset offsets to those of a CSV file (not supported)')
    .option('--timeout <ms>', 'timeout for admin requests (default 5000)')
    .addOption(new Option('--command-config <file>', 'admin client config properties (accepted, not used)'))
    .action(
      action(async (opts: ConsumerGroupsOptions) =>
        runConsumerGroups(opts, {
          out: (s) => process.stdout.write(s),
          err: (s) => process.stderr.write(s),
        }),
      ),
    );

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `samsa dump-log … | head`: a closed pipe ends the command quietly, as for any Unix tool.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 1);
    if (e instanceof CliError) fail(e);
    fail(e);
  }
}

if (require.main === module) void main(process.argv);
