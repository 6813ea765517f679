// The `.lock` file of a log directory. Kafka holds an OS file lock on it; Node has no file-lock
// API, so ownership is recorded as the holder's pid in the file: a live process other than us
// holding it means another broker uses the directory. The file is emptied on release (Kafka
// leaves an empty `.lock`), so only a crash leaves a pid behind, and a dead pid is taken over.
// Locks taken by this process are tracked too, so two LogManagers in one process conflict.

import * as fs from 'fs';
import * as path from 'path';
import { LogDirError } from './errors';

export const LOCK_FILE_NAME = '.lock';

const heldInThisProcess = new Set<string>();

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, …]; null when unavailable. */
function procStat(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Process start time (clock ticks since boot), to tell a recycled pid from the lock's holder. */
function startTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

function processAlive(pid: number, started: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat === null) return true; // no /proc: trust kill(0)
  // A killed broker nobody has reaped yet is a zombie: it holds nothing.
  if (stat[0] === 'Z' || stat[0] === 'X') return false;
  return started === null || stat[19] === started;
}

export class DirLock {
  readonly file: string;
  private released = false;

  private constructor(file: string) {
    this.file = file;
  }

  /** Takes the lock of `dir` or throws naming the directory. */
  static acquire(dir: string): DirLock {
    const file = path.resolve(dir, LOCK_FILE_NAME);
    const failure = (): LogDirError =>
      new LogDirError(
        `Failed to acquire lock on file ${LOCK_FILE_NAME} in ${path.resolve(dir)}. A Kafka instance in another process or thread is using this directory.`,
      );
    if (heldInThisProcess.has(file)) throw failure();
    let content = '';
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const match = /^pid=(\d+)(?: start=(\d+))?/.exec(content);
    if (match) {
      const pid = Number(match[1]);
      if (pid !== process.pid && processAlive(pid, match[2] ?? null)) throw failure();
    }
    const started = startTime(process.pid);
    fs.writeFileSync(file, `pid=${process.pid}${started ? ` start=${started}` : ''}\n`);
    heldInThisProcess.add(file);
    return new DirLock(file);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    heldInThisProcess.delete(this.file);
    try {
      fs.writeFileSync(this.file, '');
    } catch {
      // the directory may be gone (failed disk); nothing else to release
    }
  }
}
