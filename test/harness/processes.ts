// Everything the harness starts is registered here, so a test file can end with
// `afterAll(stopAll)` and a dying jest worker leaves nothing behind:
//  - stopAll() stops brokers and CLI runs first, then ZooKeepers (brokers shut down cleanly only while
//    ZooKeeper is up), then removes the temporary directories;
//  - on process exit, whatever is left is SIGKILLed and the directories removed;
//  - and should the worker itself be SIGKILLed, each child's watchdog (spawnTiedToParent in
//    src/zk/embedded-zookeeper.ts) terminates it once the worker's end of its stdin pipe is gone.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface Resource {
  /** 0: brokers, clients; 1: ZooKeeper. Lower stops first. */
  readonly order: number;
  stop(): Promise<unknown>;
  /** Synchronous last resort for process exit. */
  killNow(): void;
}

const resources = new Set<Resource>();
const tempDirs = new Set<string>();
let hooked = false;

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const r of resources) {
      try {
        r.killNow();
      } catch {
        // already gone
      }
    }
    for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
  });
}

export function track(r: Resource): void {
  hook();
  resources.add(r);
}

export function untrack(r: Resource): void {
  resources.delete(r);
}

/** A fresh directory under os.tmpdir(), removed by removeTempDir, stopAll or at exit. */
export function makeTempDir(prefix: string): string {
  hook();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  await fs.promises.rm(dir, { recursive: true, force: true });
}

/** Stops everything the harness started in this process and removes its temporary directories. */
export async function stopAll(): Promise<void> {
  const orders = [...new Set([...resources].map((r) => r.order))].sort((a, b) => a - b);
  const errors: unknown[] = [];
  for (const order of orders) {
    const batch = [...resources].filter((r) => r.order === order);
    const results = await Promise.allSettled(batch.map((r) => r.stop()));
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    for (const r of batch) resources.delete(r);
  }
  await Promise.all([...tempDirs].map((d) => removeTempDir(d)));
  if (errors.length > 0) {
    throw new Error(`stopAll: ${errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ')}`);
  }
}

/** Alive and not a zombie (orphans' zombies linger where pid 1 does not reap them). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return !fs.existsSync('/proc/self/stat'); // no procfs: trust kill(0); with procfs: it just exited
  }
}
