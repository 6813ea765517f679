// Logging through winston in the shape of Kafka's server.log:
//   [2026-11-21 11:02:03,456] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)
// Each component asks for a logger named like Kafka's class, so grep habits carry over.

import winston from 'winston';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const levels = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

export function kafkaTimestamp(d = new Date()): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`
  );
}

const lineFormat = winston.format.printf((info) => {
  const level = info.level === 'warn' ? 'WARN' : String(info.level).toUpperCase();
  const name = info.loggerName ? ` (${String(info.loggerName)})` : '';
  return `[${kafkaTimestamp()}] ${level} ${String(info.message)}${name}`;
});

const root = winston.createLogger({
  levels,
  level: process.env.SAMSA_LOG_LEVEL ?? 'info',
  format: lineFormat,
  transports: [new winston.transports.Console({ stderrLevels: [] })],
});

export function setLogLevel(level: string): void {
  if (!(level.toLowerCase() in levels)) throw new Error(`unknown log level: ${level}`);
  root.level = level.toLowerCase();
}

/** Only the lines of loggers whose name starts with one of `prefixes` (empty = every line). */
const byLoggerName = (prefixes: string[], exclude = false) =>
  winston.format((info) => {
    const name = String(info.loggerName ?? '');
    const match = prefixes.some((p) => name.startsWith(p));
    return (exclude ? !match : match || prefixes.length === 0) ? info : false;
  })();

const CONTROLLER_LOGGERS = ['kafka.controller.'];
const STATE_CHANGE_LOGGERS = ['state.change.logger'];

/**
 * Kafka's log files in `dir` (its log4j.properties): server.log for the broker,
 * controller.log for the controller, state-change.log for leadership/ISR decisions.
 */
export function addLogFiles(dir: string): void {
  const file = (name: string, format: winston.Logform.Format) =>
    new winston.transports.File({
      filename: `${dir}/${name}`,
      format: winston.format.combine(format, lineFormat),
    });
  root.add(file('server.log', byLoggerName([...CONTROLLER_LOGGERS, ...STATE_CHANGE_LOGGERS], true)));
  root.add(file('controller.log', byLoggerName(CONTROLLER_LOGGERS)));
  root.add(file('state-change.log', byLoggerName(STATE_CHANGE_LOGGERS)));
}

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  isDebugEnabled(): boolean;
}

/** A logger named like Kafka's class (`kafka.log.UnifiedLog`), with an optional `[prefix] `. */
export function getLogger(loggerName: string, prefix = ''): Logger {
  const p = prefix ? `${prefix} ` : '';
  const log = (level: LogLevel, msg: string) => root.log({ level, message: p + msg, loggerName });
  return {
    error: (m) => log('error', m),
    warn: (m) => log('warn', m),
    info: (m) => log('info', m),
    debug: (m) => log('debug', m),
    trace: (m) => log('trace', m),
    isDebugEnabled: () => levels[root.level as LogLevel] >= levels.debug,
  };
}
