// Run the Samsa CLI or kcat as a child process and collect what it printed.

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT, SAMSA_MAIN } from './broker';
import { track, untrack, type Resource } from './processes';

export interface RunResult {
  /** Null when killed by a signal (e.g. after the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Default 30 s; SIGKILL after it. */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
}

export function runProcess(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    let settled = false;
    const resource: Resource = {
      order: 0,
      stop: () => {
        child.kill('SIGKILL');
        return done;
      },
      killNow: () => child.kill('SIGKILL'),
    };
    const done = new Promise<void>((r) => child.on('close', () => r()));
    track(resource);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    child.stdin.on('error', () => undefined); // the program may exit without reading its input
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      untrack(resource);
      if (!settled) {
        settled = true;
        reject(new Error(`cannot run ${command}: ${e.message}`));
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      untrack(resource);
      if (settled) return;
      settled = true;
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
}

/** `node dist/cli/main.js ...args` */
export function runSamsa(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  if (!fs.existsSync(SAMSA_MAIN)) {
    return Promise.reject(new Error(`${SAMSA_MAIN} does not exist: run \`npm run build\` first`));
  }
  return runProcess(process.execPath, [SAMSA_MAIN, ...args], opts);
}

/** The kcat binary: $KCAT, /usr/bin/kcat, or kcat/kafkacat on PATH. */
export function findKcat(): string {
  const candidates = [process.env.KCAT, '/usr/bin/kcat'];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir) candidates.push(path.join(dir, 'kcat'), path.join(dir, 'kafkacat'));
  }
  for (const c of candidates) {
    if (!c) continue;
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error('kcat is required by this test but was not found: install it (apt-get install -y kcat)');
}

/** `kcat ...args` */
export function runKcat(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  let kcat: string;
  try {
    kcat = findKcat();
  } catch (e) {
    return Promise.reject(e);
  }
  return runProcess(kcat, args, opts);
}
