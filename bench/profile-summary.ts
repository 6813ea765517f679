// Sums self time per function over V8 .cpuprofile files (node --cpu-prof) and prints the top ones.
//
// Run: ts-node --transpile-only bench/profile-summary.ts <file.cpuprofile | dir> [--top N]
// Self time of a node = its sample count x the average sampling interval. Functions are keyed by
// name + url + line, so the same function reached through different call paths is summed once.

import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from './paths';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface FunctionTime {
  name: string;
  location: string;
  selfMs: number;
  share: number;
}

function shortUrl(url: string): string {
  if (url === '') return '';
  const p = url.replace(/^file:\/\//, '');
  const root = REPO_ROOT + path.sep;
  return p.startsWith(root) ? p.slice(root.length) : p.replace(/^.*\/node_modules\//, 'node_modules/');
}

/**
 * A time window in microseconds of CLOCK_MONOTONIC, the clock of V8's profile timestamps and of
 * process.hrtime(), so another process can say when its phases ran.
 */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

/** Self time per function, biggest first, over all the given profiles (within `windows` if given). */
export function summarizeProfiles(
  files: string[],
  windows?: readonly ProfileWindow[],
): { totalMs: number; functions: FunctionTime[] } {
  const inWindows = (t: number) =>
    windows === undefined || windows.some((w) => t >= w.startUs && t <= w.endUs);
  const byKey = new Map<string, { name: string; location: string; us: number }>();
  let totalUs = 0;
  for (const file of files) {
    const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    const hits = new Map<number, number>();
    let usPerSample: number;
    if (prof.samples !== undefined && prof.samples.length > 0) {
      const deltas = prof.timeDeltas ?? [];
      let t = prof.startTime;
      let counted = 0;
      for (let i = 0; i < prof.samples.length; i++) {
        t += deltas[i] ?? 0;
        if (!inWindows(t)) continue;
        hits.set(prof.samples[i], (hits.get(prof.samples[i]) ?? 0) + 1);
        counted++;
      }
      if (counted === 0) continue;
      usPerSample = (prof.endTime - prof.startTime) / prof.samples.length;
    } else {
      let total = 0;
      for (const n of prof.nodes) {
        hits.set(n.id, n.hitCount ?? 0);
        total += n.hitCount ?? 0;
      }
      if (total === 0) continue;
      usPerSample = (prof.endTime - prof.startTime) / total;
    }
    for (const n of prof.nodes) {
      const count = hits.get(n.id) ?? 0;
      if (count === 0) continue;
      const cf = n.callFrame;
      const name = cf.functionName || '(anonymous)';
      const location = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
      const key = `${name}\u0000${location}`;
      const e = byKey.get(key) ?? { name, location, us: 0 };
      e.us += count * usPerSample;
      byKey.set(key, e);
      totalUs += count * usPerSample;
    }
  }
  const functions = [...byKey.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({
      name: e.name,
      location: e.location,
      selfMs: e.us / 1000,
      share: totalUs ? e.us / totalUs : 0,
    }));
  return { totalMs: totalUs / 1000, functions };
}

export function profileFiles(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs
    .readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(target, f));
}

/** Top functions by self time; shares are of busy time (everything but "(idle)"). */
export function formatSummary(s: { totalMs: number; functions: FunctionTime[] }, top: number): string {
  const idleMs = s.functions.find((f) => f.name === '(idle)' && f.location === '')?.selfMs ?? 0;
  const busyMs = s.totalMs - idleMs;
  const lines = [
    `sampled ${(s.totalMs / 1000).toFixed(2)} s, busy ${(busyMs / 1000).toFixed(2)} s; ` +
      `top ${top} functions by self time (share of busy time):`,
  ];
  for (const f of s.functions.filter((x) => x.name !== '(idle)' || x.location !== '').slice(0, top)) {
    const share = busyMs > 0 ? f.selfMs / busyMs : 0;
    lines.push(
      `${(share * 100).toFixed(1).padStart(6)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}${f.location ? `  (${f.location})` : ''}`,
    );
  }
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const targets = args.filter((a, i) => a !== '--top' && i !== topAt + 1);
  if (targets.length === 0) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile | dir> [--top N]\n');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfiles(targets.flatMap(profileFiles)), top));
}
