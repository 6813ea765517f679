// A real broker process: `node dist/cli/main.js server-start <server.properties> --override k=v ...`,
// ready once it prints Kafka's `[KafkaServer id=N] started (kafka.server.KafkaServer)`.

import * as fs from 'fs';
import * as path from 'path';
import { spawnTiedToParent, type TiedChildProcess } from '../../src/zk/embedded-zookeeper';
import { freePort } from './ports';
import { makeTempDir, removeTempDir, track, untrack, type Resource } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SAMSA_MAIN = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

const READY = /started \(kafka\.server\.KafkaServer\)/;
const OUTPUT_LIMIT = 8 * 1024 * 1024;

export interface StartBrokerOptions {
  id: number;
  zkConnect: string;
  /** Default: a free port. */
  port?: number;
  /** Default: `logs/` in a fresh temporary directory. */
  logDirs?: string;
  /** Passed as `--override key=value` after the properties file. */
  overrides?: Record<string, string>;
  /** Added to the environment. */
  env?: Record<string, string>;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Default 15 s: how long stop() waits after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /** Script to run instead of dist/cli/main.js; the harness's own tests use a stub. */
  main?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What the harness puts in server.properties (a test's `overrides` win). */
export function baseBrokerProperties(
  id: number,
  port: number,
  logDirs: string,
  zkConnect: string,
): Record<string, string> {
  const listener = `PLAINTEXT://127.0.0.1:${port}`;
  return {
    'broker.id': String(id),
    listeners: listener,
    'advertised.listeners': listener,
    'log.dirs': logDirs,
    'zookeeper.connect': zkConnect,
    'zookeeper.session.timeout.ms': '6000',
    'zookeeper.connection.timeout.ms': '10000',
    'num.partitions': '1',
    'default.replication.factor': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '5',
    'group.initial.rebalance.delay.ms': '0',
    'log.retention.check.interval.ms': '1000',
    'log.cleaner.dedupe.buffer.size': '2097152',
  };
}

function propertiesText(props: Record<string, string>): string {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  const lines = Object.entries(props).map(([k, v]) => `${k}=${esc(v)}`);
  return `# Written by the Samsa test harness\n${lines.join('\n')}\n`;
}

function tail(s: string, lines = 60): string {
  return s.trimEnd().split('\n').slice(-lines).join('\n') || '(no output)';
}

export class BrokerProcess implements Resource {
  readonly order = 0;
  readonly host = '127.0.0.1';
  readonly bootstrap: string;
  /** The properties file the broker was started with. */
  readonly configFile: string;
  private child: TiedChildProcess | null = null;
  private out = '';
  /** Output of the current incarnation only (readiness, error messages). */
  private run = '';
  private exitInfo: ExitStatus | null = null;
  private exited: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  private stopping: Promise<number | null> | null = null;
  private destroyed = false;

  constructor(
    readonly id: number,
    readonly port: number,
    readonly logDirs: string,
    private readonly opts: StartBrokerOptions,
    private readonly workDir: string | null,
  ) {
    this.bootstrap = `${this.host}:${port}`;
    this.configFile = path.join(workDir ?? logDirs, `server-${id}.properties`);
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  /** Everything the broker printed (stdout and stderr), across restarts. */
  output(): string {
    return this.out;
  }

  isRunning(): boolean {
    return this.child !== null && this.exitInfo === null;
  }

  /** Starts the process and waits until it is ready; used by startBroker and restart. */
  async launch(): Promise<void> {
    if (this.isRunning()) throw new Error(`broker ${this.id} is already running (pid ${this.pid})`);
    const main = this.opts.main ?? SAMSA_MAIN;
    if (!fs.existsSync(main)) {
      throw new Error(`${main} does not exist: run \`npm run build\` before the integration tests`);
    }
    fs.mkdirSync(path.dirname(this.configFile), { recursive: true });
    fs.writeFileSync(
      this.configFile,
      propertiesText(baseBrokerProperties(this.id, this.port, this.logDirs, this.opts.zkConnect)),
    );
    const overrides = Object.entries(this.opts.overrides ?? {}).flatMap(([k, v]) => [
      '--override',
      `${k}=${v}`,
    ]);
    const level = process.env.SAMSA_LOG_LEVEL;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The readiness line is logged at INFO.
      SAMSA_LOG_LEVEL: level === 'debug' || level === 'trace' ? level : 'info',
      ...this.opts.env,
    };
    const child = spawnTiedToParent(process.execPath, [main, 'server-start', this.configFile, ...overrides], {
      cwd: REPO_ROOT,
      env,
      killGraceMs: 5_000,
    });
    this.child = child;
    this.exitInfo = null;
    this.stopping = null;
    if (this.out) this.out += `\n----- [harness] broker ${this.id} restarting -----\n`;
    this.run = '';
    const collect = (b: Buffer) => {
      const s = b.toString('utf8');
      this.out += s;
      this.run += s;
      if (this.out.length > OUTPUT_LIMIT) this.out = this.out.slice(-OUTPUT_LIMIT);
      if (this.run.length > OUTPUT_LIMIT) this.run = this.run.slice(-OUTPUT_LIMIT);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    this.exited = new Promise<ExitStatus>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        child.stdin.end(); // releases the watchdog
        // Let the last output arrive before anyone reads it.
        void Promise.race([closed, new Promise((r) => setTimeout(r, 200).unref())]).then(() => {
          this.exitInfo = { code, signal };
          resolve(this.exitInfo);
        });
      };
      child.on('exit', finish);
      child.on('error', (e) => {
        collect(Buffer.from(`\n[harness] ${String(e)}\n`));
        finish(null, null);
      });
    });
    track(this);

    const timeoutMs = this.opts.readyTimeoutMs ?? 30_000;
    const started = Date.now();
    const ready = await new Promise<'ready' | 'exit' | 'timeout'>((resolve) => {
      const timer = setInterval(() => {
        if (READY.test(this.run)) finish('ready');
        else if (Date.now() - started > timeoutMs) finish('timeout');
      }, 20);
      const finish = (r: 'ready' | 'exit' | 'timeout') => {
        clearInterval(timer);
        resolve(r);
      };
      void this.exited.then(() => finish('exit'));
    });
    if (ready === 'ready' && this.exitInfo === null) return;
    if (ready === 'timeout') await this.kill9();
    const status = await this.exited;
    const how = ready === 'timeout' ? `was not ready within ${timeoutMs} ms` : `exited (${describe(status)})`;
    throw new BrokerStartError(
      `broker ${this.id} on ${this.bootstrap} ${how}. Output (tail):\n${tail(this.run)}`,
      /EADDRINUSE|address already in use/i.test(this.run),
    );
  }

  /** Sends a signal (default SIGTERM) without waiting. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.isRunning()) this.child?.kill(signal);
  }

  /** SIGTERM, wait for exit (SIGKILL after the grace period); resolves with the exit code. */
  stop(): Promise<number | null> {
    if (!this.isRunning()) return this.exited.then((s) => s.code);
    this.stopping ??= (async () => {
      this.kill('SIGTERM');
      const grace = this.opts.stopGraceMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.kill('SIGKILL');
      return (await this.exited).code;
    })();
    return this.stopping;
  }

  /** SIGKILL and wait for the exit: a crash. */
  async kill9(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }

  /** Resolves with the exit status once the process has exited. */
  waitForExit(): Promise<ExitStatus> {
    return this.exited;
  }

  /** Stops the process if it runs, then starts it again with the same id, port, config and log dirs. */
  async restart(): Promise<BrokerProcess> {
    if (this.destroyed) throw new Error(`broker ${this.id} was destroyed`);
    await this.stop();
    await this.launch();
    return this;
  }

  /** stop() and remove the directories the harness created for this broker. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    try {
      await this.stop();
    } finally {
      untrack(this);
      if (this.workDir) await removeTempDir(this.workDir);
    }
  }

  killNow(): void {
    if (this.isRunning()) this.child?.kill('SIGKILL');
  }
}

class BrokerStartError extends Error {
  constructor(
    message: string,
    readonly portInUse: boolean,
  ) {
    super(message);
  }
}

function describe(s: ExitStatus): string {
  return s.signal ? `signal ${s.signal}` : `exit code ${s.code}`;
}

/** Starts a broker process and waits until it logs that it started. */
export async function startBroker(opts: StartBrokerOptions): Promise<BrokerProcess> {
  // A picked port can be taken before the broker binds it: pick another one then.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const workDir = makeTempDir(`samsa-broker-${opts.id}-`);
    const logDirs = opts.logDirs ?? path.join(workDir, 'logs');
    const broker = new BrokerProcess(opts.id, port, logDirs, opts, workDir);
    try {
      await broker.launch();
      return broker;
    } catch (e) {
      await broker.destroy();
      if (opts.port !== undefined || !(e instanceof BrokerStartError && e.portInUse) || attempt >= 3) throw e;
    }
  }
}
