// `samsa server-start server.properties [--override key=value]…` (kafka-server-start.sh).
// Bad config stops start-up with one line naming the key; SIGTERM/SIGINT shut down cleanly.

import { InvalidConfigurationError } from '../log/errors';
import { LogConfig, LogManagerConfig } from '../log/log-config';
import { ConfigException, KafkaConfig } from '../server/kafka-config';
import { KafkaServer } from '../server/kafka-server';
import fs from 'node:fs';
import { addLogFiles, getLogger, setLogLevel } from '../utils/logger';
import { CliError } from './cli-error';

export function parseOverrides(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new CliError(`Invalid override '${kv}': expected key=value`);
    out[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
  }
  return out;
}

export async function serverStart(configFile: string, overrides: string[]): Promise<void> {
  let config: KafkaConfig;
  try {
    config = KafkaConfig.fromFile(configFile, parseOverrides(overrides));
    // The log.* settings are LogConfig's: resolve them now so a bad value stops start-up here.
    LogConfig.fromProperties(config.props, {});
    LogManagerConfig.fromProperties(config.props);
  } catch (e) {
    if (e instanceof ConfigException || e instanceof InvalidConfigurationError) throw new CliError(e.message);
    throw e;
  }
  const level = config.str('samsa.log.level') ?? config.str('log4j.root.loglevel');
  if (level) setLogLevel(level);
  const logDir = config.str('samsa.log.dir') ?? process.env.LOG_DIR;
  if (logDir) {
    fs.mkdirSync(logDir, { recursive: true });
    addLogFiles(logDir);
  }
  const log = getLogger('kafka.Kafka$');
  for (const k of config.unknownKeys)
    log.warn(`The configuration '${k}' was supplied but isn't a known config.`);

  const server = new KafkaServer(config);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`Received ${signal}: shutting down`);
    server.shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A bug in one request must not take the broker down: log it, as Kafka's threads do.
  process.on('uncaughtException', (e) => log.error(`Uncaught exception: ${e.stack}`));
  process.on('unhandledRejection', (e) =>
    log.error(`Unhandled rejection: ${(e as Error)?.stack ?? String(e)}`),
  );

  try {
    await server.startup();
  } catch (e) {
    log.error(`Fatal error during KafkaServer startup. Prepare to shutdown: ${(e as Error).message}`);
    await server.shutdown();
    throw new CliError((e as Error).message);
  }
}
