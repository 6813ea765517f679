// An embedded, standalone ZooKeeper for development: when `zookeeper.connect` was not configured and
// nothing answers on the default address, the broker starts ZooKeeper from the system's install (Debian's
// `zookeeper` package) as a child process, with its data under the broker's data dir.
//
// Tying the child's life to ours. Linux has no portable "die with parent" for an arbitrary program
// short of prctl(PR_SET_PDEATHSIG), which Node cannot call for a child. So the child is started through
// `/bin/sh -c`, which first forks a tiny watchdog subshell that blocks reading the child's stdin (a pipe
// whose only writer is this Node process) and then `exec`s java, so java keeps the shell's pid and is
// our direct child (pid, signals and exit status are java's own). The pipe reaches end-of-file when this
// process closes it, which the kernel does however we go, SIGKILL and crashes included; the watchdog then
// sends SIGTERM to java and SIGKILL after a grace period. No polling, no extra Node process, nothing
// started when we stop normally: `stop()` ends the pipe after java exited and the watchdog just leaves.
// Node marks its own end of such pipes close-on-exec, so other children cannot keep it open.
//
// The child runs in its own session (`detached`), so a Ctrl-C in the broker's terminal reaches the broker
// only: the broker can still talk to ZooKeeper during its controlled shutdown, then stops ZooKeeper.
// Once serving, the child and its pipes are unref'd: a running embedded ZooKeeper does not keep the
// broker's event loop alive (were the broker to exit without stopping it, the watchdog stops it).

import { spawn, type ChildProcessByStdio } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { Readable, Writable } from 'stream';
import { getLogger, type Logger } from '../utils/logger';

const log = getLogger('samsa.zk.EmbeddedZooKeeper');

export interface ZooKeeperInstall {
  java: string;
  classpath: string;
  version?: string;
}

export interface FindZooKeeperOptions {
  /** Environment to read JAVA_HOME, PATH and ZOOKEEPER_HOME from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Debian's jar directory (default /usr/share/java). */
  javaLibDir?: string;
}

const DEBIAN_JAVA_LIB_DIR = '/usr/share/java';
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set and holds one, else `java` from PATH. */
export function findJava(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.JAVA_HOME) {
    const p = path.join(env.JAVA_HOME, 'bin', 'java');
    if (isExecutableFile(p)) return p;
  }
  return findOnPath('java', env);
}

/** "3.8.0" from a sibling named like `zookeeper-3.8.0.jar`. */
function versionFromJarNames(dir: string): string | undefined {
  try {
    for (const f of fs.readdirSync(dir)) {
      const m = /^zookeeper-(\d+\.\d+\.\d+)\.jar$/.exec(f);
      if (m) return m[1];
    }
  } catch {
    // unreadable directory: version stays unknown
  }
  return undefined;
}

/**
 * The classpath of Debian's packaging. Debian runs ZooKeeper with `/etc/zookeeper/conf:/usr/share/java/
 * zookeeper.jar` (/usr/share/zookeeper/bin/zkEnv.sh → /etc/zookeeper/conf/environment); the jar's manifest
 * Class-Path brings jute, netty, jetty, jackson, commons-cli, slf4j-api, ... That gives no SLF4J binding
 * (slf4j-api 1.7 falls back to a no-op logger and ZooKeeper logs nothing at all, errors included), so we
 * add Debian's log4j 1.2 binding when present: the package depends on liblog4j1.2-java and libslf4j-java.
 * /etc/zookeeper/conf is left out: we configure logging ourselves.
 */
function debianClasspath(dir: string): string | null {
  const jar = path.join(dir, 'zookeeper.jar');
  if (!isFile(jar)) return null;
  const parts = [jar];
  for (const extra of ['zookeeper-jute.jar', 'slf4j-log4j12.jar', 'log4j-1.2.jar']) {
    const p = path.join(dir, extra);
    if (isFile(p)) parts.push(p);
  }
  return parts.join(path.delimiter);
}

/** Apache's binary tarball: `$ZOOKEEPER_HOME/lib/*.jar` (logback and its config included). */
function tarballClasspath(home: string): string | null {
  const lib = path.join(home, 'lib');
  let jars: string[];
  try {
    jars = fs.readdirSync(lib).filter((f) => f.endsWith('.jar'));
  } catch {
    return null;
  }
  if (!jars.some((f) => /^zookeeper-\d.*\.jar$/.test(f) && !f.includes('jute'))) return null;
  return jars
    .sort()
    .map((f) => path.join(lib, f))
    .join(path.delimiter);
}

function findClasspath(opts: FindZooKeeperOptions): { classpath: string; version?: string } | null {
  const env = opts.env ?? process.env;
  if (env.ZOOKEEPER_HOME) {
    const cp = tarballClasspath(env.ZOOKEEPER_HOME);
    if (cp) return { classpath: cp, version: versionFromJarNames(path.join(env.ZOOKEEPER_HOME, 'lib')) };
  }
  const dir = opts.javaLibDir ?? DEBIAN_JAVA_LIB_DIR;
  const cp = debianClasspath(dir);
  return cp ? { classpath: cp, version: versionFromJarNames(dir) } : null;
}

/**
 * Finds a ZooKeeper server to run: `$ZOOKEEPER_HOME/lib` (Apache tarball) if set, else Debian's
 * /usr/share/java/zookeeper.jar; java from JAVA_HOME or PATH. Null when either is missing.
 */
export function findZooKeeperInstall(opts: FindZooKeeperOptions = {}): ZooKeeperInstall | null {
  const java = findJava(opts.env ?? process.env);
  const cp = findClasspath(opts);
  if (!java || !cp) return null;
  return cp.version
    ? { java, classpath: cp.classpath, version: cp.version }
    : { java, classpath: cp.classpath };
}

function installHint(missingJar: boolean, missingJava: boolean): string {
  const what = [missingJar ? 'ZooKeeper' : '', missingJava ? 'Java' : ''].filter(Boolean).join(' and ');
  const pkgs = missingJar ? 'zookeeper' : 'default-jre-headless';
  return (
    `An embedded ZooKeeper is needed but ${what} is not installed ` +
    `(looked for ${path.join(DEBIAN_JAVA_LIB_DIR, 'zookeeper.jar')} or $ZOOKEEPER_HOME/lib, ` +
    `and java in $JAVA_HOME/bin or PATH). ` +
    `On Debian/Ubuntu run: sudo apt-get install -y ${pkgs}. ` +
    `Elsewhere install Apache ZooKeeper 3.8 and a Java 11+ runtime and set ZOOKEEPER_HOME to the ` +
    `ZooKeeper directory (the one holding lib/). ` +
    `Or run ZooKeeper yourself and set zookeeper.connect to it.`
  );
}

type InstallLogger = Pick<Logger, 'info' | 'warn'>;

function runCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (b: Buffer) => {
      output = (output + b.toString('utf8')).slice(-16384);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (e) => resolve({ code: null, output: output + String(e) }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Returns the install, installing Debian's `zookeeper` package with apt-get when it is missing and we
 * are root on a machine with apt-get (running `apt-get update` first if the install fails, e.g. for
 * lack of package lists). Otherwise throws an Error that says exactly what to install.
 */
export async function ensureZooKeeperInstalled(
  logger: InstallLogger = log,
  opts: FindZooKeeperOptions & { allowInstall?: boolean } = {},
): Promise<ZooKeeperInstall> {
  const found = findZooKeeperInstall(opts);
  if (found) return found;
  const env = opts.env ?? process.env;
  const missingJar = findClasspath(opts) === null;
  const missingJava = findJava(env) === null;
  // The zookeeper package depends on a Java runtime; a jar without java needs only the runtime.
  const packages = missingJar ? ['zookeeper'] : ['default-jre-headless'];
  const aptGet = findOnPath('apt-get', env);
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (opts.allowInstall === false || !aptGet || !isRoot) {
    throw new Error(installHint(missingJar, missingJava));
  }
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  const installArgs = ['install', '-y', ...packages];
  logger.info(
    `ZooKeeper is not installed: running apt-get ${installArgs.join(' ')} (this can take a minute)`,
  );
  let r = await runCommand(aptGet, installArgs, aptEnv);
  if (r.code !== 0) {
    logger.warn(
      `apt-get ${installArgs.join(' ')} failed (exit code ${r.code}); running apt-get update and retrying`,
    );
    const u = await runCommand(aptGet, ['update'], aptEnv);
    if (u.code !== 0) logger.warn(`apt-get update failed (exit code ${u.code}): ${u.output.slice(-2000)}`);
    r = await runCommand(aptGet, installArgs, aptEnv);
  }
  if (r.code !== 0) {
    throw new Error(
      `apt-get ${installArgs.join(' ')} failed (exit code ${r.code}); ${installHint(missingJar, missingJava)}\n` +
        `apt-get output (tail):\n${r.output.slice(-4000)}`,
    );
  }
  const after = findZooKeeperInstall(opts);
  if (!after) {
    throw new Error(`apt-get installed ${packages.join(' ')} but ${installHint(missingJar, missingJava)}`);
  }
  logger.info(`Installed ZooKeeper${versionSuffix(after)} (java ${after.java})`);
  return after;
}

// ---------------------------------------------------------------------------------------------------
// Processes tied to this one

/** A child whose stdin is the watchdog pipe (see the top of this file) and whose stdout/stderr are pipes. */
export type TiedChildProcess = ChildProcessByStdio<Writable, Readable, Readable>;

export interface TiedSpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Own session/process group, so terminal signals (Ctrl-C) reach only us. Default false. */
  detached?: boolean;
  /** After SIGTERM from the watchdog, how long before SIGKILL. Default 10 s. */
  killGraceMs?: number;
}

// $0 is the program, "$@" its arguments. fd 3 keeps the pipe for the watchdog, whose stdin POSIX sh
// would otherwise point at /dev/null; the program gets /dev/null as stdin and no fd 3. In the subshell
// $$ is the invoking shell's pid, which is the program's pid after exec.
function watchdogScript(graceTicks: number): string {
  return [
    'exec 3<&0 </dev/null',
    '(',
    '  while read -r _; do :; done',
    '  kill -TERM $$ 2>/dev/null || exit 0',
    '  i=0',
    '  while kill -0 $$ 2>/dev/null; do',
    `    i=$((i+1)); if [ "$i" -gt ${graceTicks} ]; then kill -KILL $$ 2>/dev/null; exit 0; fi`,
    '    sleep 0.1',
    '  done',
    ') <&3 >/dev/null 2>&1 &',
    'exec "$0" "$@" 3<&-',
  ].join('\n');
}

/**
 * Spawns `command args` so that it is terminated (SIGTERM, then SIGKILL after `killGraceMs`) when this
 * process goes away for any reason, or when the returned child's stdin is ended. The child's pid is
 * `command`'s own pid. End `child.stdin` once the child has exited so the watchdog leaves too.
 */
export function spawnTiedToParent(
  command: string,
  args: string[],
  opts: TiedSpawnOptions = {},
): TiedChildProcess {
  const graceTicks = Math.max(1, Math.ceil((opts.killGraceMs ?? 10_000) / 100));
  const child = spawn('/bin/sh', ['-c', watchdogScript(graceTicks), command, ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: opts.detached ?? false,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Writes never happen; ending the pipe after the child died must not throw EPIPE at us.
  child.stdin.on('error', () => undefined);
  return child;
}

// ---------------------------------------------------------------------------------------------------
// Four-letter words

function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Sends a four-letter word (`ruok`, `srvr`, `conf`, ...) and resolves with the whole reply. */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to '${word}' from ${formatHostPort(host, port)} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('error', (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `host:port` pairs of a connect string like `a:2181,[::1]:2182/chroot` (port defaults to 2181). */
export function parseConnectString(connectString: string): Array<{ host: string; port: number }> {
  const slash = connectString.indexOf('/');
  const hosts = slash >= 0 ? connectString.slice(0, slash) : connectString;
  const out: Array<{ host: string; port: number }> = [];
  for (const raw of hosts.split(',')) {
    const s = raw.trim();
    if (!s) continue;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s);
    if (!m) continue;
    out.push({ host: m[1], port: m[2] ? Number(m[2]) : 2181 });
  }
  return out;
}

/**
 * True when some server of the connect string answers a four-letter word. Any reply counts, "not in the
 * whitelist" and "not currently serving requests" included: something that speaks ZooKeeper is there.
 */
export async function isZooKeeperReachable(connectString: string, timeoutMs = 2000): Promise<boolean> {
  const servers = parseConnectString(connectString);
  const answers = await Promise.all(
    servers.map((s) =>
      fourLetterWord(s.host, s.port, 'srvr', timeoutMs).then(
        (reply) => reply.length > 0,
        () => false,
      ),
    ),
  );
  return answers.some(Boolean);
}

// ---------------------------------------------------------------------------------------------------
// The embedded server

export interface EmbeddedZooKeeper {
  connectString: string;
  port: number;
  dataDir: string;
  pid: number;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves when the process has exited (whoever ended it). */
  waitForExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process printed (its WARN and ERROR log lines), the last 256 KiB. */
  output(): string;
}

export interface StartEmbeddedZooKeeperOptions {
  /** Holds zoo.cfg, the logging config, ZooKeeper's snapshots and transaction logs (version-2/). */
  dataDir: string;
  /** 0 or undefined: a free port. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  install?: ZooKeeperInstall;
  /** Default 2000 ms, so session timeouts from 4 s to 40 s are accepted. */
  tickTime?: number;
  /**
   * 'pipe' (default): output kept for output() and error messages. 'inherit': also copied to our
   * stdout/stderr. 'ignore': kept only until the server serves (for startup errors).
   */
  stdio?: 'inherit' | 'ignore' | 'pipe';
  /** Also append all output to this file. */
  logFile?: string;
  /** Default 30 s. */
  startupTimeoutMs?: number;
  /** fsync the transaction log on every write (ZooKeeper's forceSync); default true. */
  forceSync?: boolean;
  /** More zoo.cfg lines, e.g. { maxSessionTimeout: '60000' }. */
  extraConfig?: Record<string, string>;
  /** More JVM arguments, after ours. */
  jvmArgs?: string[];
  /** Default 10 s, for stop() and for the watchdog. */
  stopGraceMs?: number;
}

const OUTPUT_LIMIT = 256 * 1024;

const live = new Set<TiedChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The watchdogs would do this too once our pipes close; this is just quicker on a normal exit.
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE' || e.code === 'EACCES') resolve(false);
      else reject(e);
    });
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function pickFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function zooCfg(o: {
  dataDir: string;
  host: string;
  port: number;
  tickTime: number;
  forceSync: boolean;
  extra: Record<string, string>;
}): string {
  const cfg: Record<string, string> = {
    tickTime: String(o.tickTime),
    dataDir: o.dataDir,
    clientPort: String(o.port),
    clientPortAddress: o.host,
    maxClientCnxns: '0',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': 'ruok,srvr,stat,conf,cons,mntr,envi,wchs,dump',
    // Keep the data dir from growing without bound under a long-running broker.
    'autopurge.snapRetainCount': '3',
    'autopurge.purgeInterval': '1',
    ...(o.forceSync ? {} : { forceSync: 'no' }),
    ...o.extra,
  };
  const lines = Object.entries(cfg).map(([k, v]) => `${k}=${v}`);
  return `# Written by Samsa for its embedded ZooKeeper; rewritten on every start.\n${lines.join('\n')}\n`;
}

// Debian's jars log through slf4j → log4j 1.2; Apache's tarball through logback. Both get WARN and up on
// stdout in Kafka's line shape; the two expected warnings of a standalone server are silenced.
const LOG4J_PROPERTIES = `log4j.rootLogger=WARN, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Target=System.out
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=[%d{yyyy-MM-dd HH:mm:ss,SSS}] %p %m (%c)%n
log4j.logger.org.apache.zookeeper.server.quorum.QuorumPeerMain=ERROR
log4j.logger.org.apache.zookeeper.server.ServerCnxnFactory=ERROR
`;

const LOGBACK_XML = `<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>[%d{yyyy-MM-dd HH:mm:ss,SSS}] %level %msg \\(%logger\\)%n</pattern></encoder>
  </appender>
  <logger name="org.apache.zookeeper.server.quorum.QuorumPeerMain" level="ERROR"/>
  <logger name="org.apache.zookeeper.server.ServerCnxnFactory" level="ERROR"/>
  <root level="WARN"><appender-ref ref="CONSOLE"/></root>
</configuration>
`;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** `p`, or 'timeout' after `ms`; the timer does not outlive the race. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Alive and not a zombie (an orphan's zombie lingers where pid 1 does not reap). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

const PID_FILE = 'zookeeper_server.pid';

/** Refuses a data dir that a live ZooKeeper of ours still uses: two servers on one dir corrupt it. */
function checkNotRunning(dataDir: string): void {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  let cmdline: string;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (cmdline.includes(MAIN_CLASS)) {
    throw new Error(`An embedded ZooKeeper (pid ${pid}) is already running with data dir ${dataDir}`);
  }
}

class StartupError extends Error {
  constructor(
    message: string,
    readonly bindFailed: boolean,
  ) {
    super(message);
  }
}

/**
 * Starts a standalone ZooKeeper child process and resolves once it serves requests (it answers
 * `conf` with our data dir, so a server that was already on the port does not count).
 */
export async function startEmbeddedZooKeeper(
  opts: StartEmbeddedZooKeeperOptions,
): Promise<EmbeddedZooKeeper> {
  const install = opts.install ?? findZooKeeperInstall();
  if (!install) throw new Error(installHint(findClasspath({}) === null, findJava() === null));
  const host = opts.host ?? '127.0.0.1';
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  checkNotRunning(dataDir);

  if (opts.port) {
    if (!(await isPortFree(opts.port, host))) {
      throw new Error(
        `Cannot start the embedded ZooKeeper: ${formatHostPort(host, opts.port)} is already in use ` +
          `by another process (if that is a ZooKeeper, set zookeeper.connect to it)`,
      );
    }
    return launch(opts, install, host, dataDir, opts.port);
  }
  // A free port can be taken between our probe and ZooKeeper's bind: try another one then.
  for (let attempt = 1; ; attempt++) {
    const port = await pickFreePort(host);
    try {
      return await launch(opts, install, host, dataDir, port);
    } catch (e) {
      if (!(e instanceof StartupError && e.bindFailed) || attempt >= 3) throw e;
      log.warn(`Port ${port} was taken before the embedded ZooKeeper could bind it; trying another one`);
    }
  }
}

async function launch(
  opts: StartEmbeddedZooKeeperOptions,
  install: ZooKeeperInstall,
  host: string,
  dataDir: string,
  port: number,
): Promise<EmbeddedZooKeeper> {
  const started = Date.now();
  const timeoutMs = opts.startupTimeoutMs ?? 30_000;
  const graceMs = opts.stopGraceMs ?? 10_000;
  const stdio = opts.stdio ?? 'pipe';
  const cfgPath = path.join(dataDir, 'zoo.cfg');
  const log4jPath = path.join(dataDir, 'log4j.properties');
  const logbackPath = path.join(dataDir, 'logback.xml');
  fs.writeFileSync(
    cfgPath,
    zooCfg({
      dataDir,
      host,
      port,
      tickTime: opts.tickTime ?? 2000,
      forceSync: opts.forceSync ?? true,
      extra: opts.extraConfig ?? {},
    }),
  );
  fs.writeFileSync(log4jPath, LOG4J_PROPERTIES);
  fs.writeFileSync(logbackPath, LOGBACK_XML);

  const args = [
    '-Xms32m',
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Dzookeeper.jmx.log4j.disable=true',
    `-Dlog4j.configuration=file:${log4jPath}`,
    `-Dlogback.configurationFile=${logbackPath}`,
    ...(opts.jvmArgs ?? []),
    '-cp',
    install.classpath,
    MAIN_CLASS,
    cfgPath,
  ];
  const child = spawnTiedToParent(install.java, args, {
    cwd: dataDir,
    detached: true,
    killGraceMs: graceMs,
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`Cannot start the embedded ZooKeeper: spawning /bin/sh failed`);
  }
  live.add(child);
  installExitHook();
  fs.writeFileSync(path.join(dataDir, PID_FILE), `${pid}\n`);

  let output = '';
  let serving = false;
  const logStream = opts.logFile ? fs.createWriteStream(opts.logFile, { flags: 'a' }) : null;
  logStream?.on('error', (e) => log.warn(`Cannot write the embedded ZooKeeper's log ${opts.logFile}: ${e}`));
  const onData = (forward: NodeJS.WriteStream) => (b: Buffer) => {
    if (stdio !== 'ignore' || !serving) output = (output + b.toString('utf8')).slice(-OUTPUT_LIMIT);
    if (stdio === 'inherit') forward.write(b);
    logStream?.write(b);
  };
  child.stdout.on('data', onData(process.stdout));
  child.stderr.on('data', onData(process.stderr));

  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let stopping = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exitInfo) return;
      exitInfo = { code, signal };
      live.delete(child);
      child.stdin.end(); // the watchdog leaves
      try {
        const pidFile = path.join(dataDir, PID_FILE);
        if (fs.readFileSync(pidFile, 'utf8').trim() === String(pid)) fs.unlinkSync(pidFile);
      } catch {
        // data dir already removed
      }
      if (serving && !stopping) {
        log.error(
          `Embedded ZooKeeper (pid ${pid}) exited unexpectedly with ${describeExit(exitInfo)}; ` +
            `last output:\n${tail(output)}`,
        );
      }
      resolve(exitInfo);
    };
    child.on('exit', done);
    child.on('error', (e) => {
      output += `\n${String(e)}`;
      done(null, null);
    });
  });
  // Flush the last output before anyone reads it.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const exitedAndClosed = async () => {
    const info = await exited;
    await within(closed, 200);
    return info;
  };

  const connectString = formatHostPort(host, port);
  log.info(
    `Starting embedded ZooKeeper${versionSuffix(install)} on ${connectString}, data dir ${dataDir} (pid ${pid})`,
  );

  const expectedDataDirs = new Set([path.join(dataDir, 'version-2')]);
  try {
    expectedDataDirs.add(path.join(fs.realpathSync(dataDir), 'version-2'));
  } catch {
    // keep the resolved path only
  }
  const deadline = started + timeoutMs;
  while (true) {
    if (exitInfo) {
      const info = await exitedAndClosed();
      logStream?.end();
      const bindFailed = /BindException|Address already in use/.test(output);
      throw new StartupError(
        `The embedded ZooKeeper exited during startup with ${describeExit(info)}` +
          (bindFailed ? ` (${connectString} is already in use)` : '') +
          (info.code === 127 ? ` (${install.java} could not be executed)` : '') +
          `. Command: ${install.java} ${args.join(' ')}\nLast output:\n${tail(output)}`,
        bindFailed,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitedAndClosed();
      logStream?.end();
      throw new StartupError(
        `The embedded ZooKeeper (pid ${pid}) did not serve on ${connectString} within ${timeoutMs} ms. ` +
          `Command: ${install.java} ${args.join(' ')}\nLast output:\n${tail(output)}`,
        false,
      );
    }
    const reply = await fourLetterWord(host, port, 'conf', 1000).catch(() => '');
    const m = /^dataDir=(.*)$/m.exec(reply);
    if (m) {
      if (expectedDataDirs.has(m[1].trim())) break;
      child.kill('SIGKILL');
      await exitedAndClosed();
      logStream?.end();
      throw new StartupError(
        `Another ZooKeeper (data dir ${m[1].trim()}) answered on ${connectString}, not the embedded one`,
        true,
      );
    }
    await sleep(25);
  }
  serving = true;
  setRef(child, false);
  if (stdio === 'ignore') output = '';
  log.info(
    `Embedded ZooKeeper is serving on ${connectString} (pid ${pid}, started in ${Date.now() - started} ms)`,
  );

  let stopPromise: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (stopPromise) return stopPromise;
    stopping = true;
    setRef(child, true); // keep the event loop alive until it is gone
    stopPromise = (async () => {
      if (!exitInfo) {
        log.info(`Stopping embedded ZooKeeper (pid ${pid})`);
        child.kill('SIGTERM');
        if ((await within(exited, graceMs)) === 'timeout') {
          log.warn(`Embedded ZooKeeper (pid ${pid}) did not stop within ${graceMs} ms; killing it`);
          child.kill('SIGKILL');
        }
      }
      await exitedAndClosed();
      await new Promise<void>((r) => (logStream ? logStream.end(r) : r()));
      log.info(`Embedded ZooKeeper (pid ${pid}) stopped`);
    })();
    return stopPromise;
  };

  return {
    connectString,
    port,
    dataDir,
    pid,
    stop,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!exitInfo) child.kill(signal);
    },
    waitForExit: () => exited,
    output: () => output,
  };
}

function versionSuffix(install: ZooKeeperInstall): string {
  return install.version ? ` ${install.version}` : '';
}

/** Whether the child and its pipes keep our event loop alive. */
function setRef(child: TiedChildProcess, ref: boolean): void {
  if (ref) child.ref();
  else child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr] as unknown as Array<Partial<net.Socket>>) {
    if (ref) s.ref?.();
    else s.unref?.();
  }
}

function describeExit(info: { code: number | null; signal: NodeJS.Signals | null }): string {
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

function tail(s: string, lines = 40): string {
  const all = s.trimEnd().split('\n');
  return all.slice(-lines).join('\n') || '(no output)';
}
