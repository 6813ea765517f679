// Where things are, whether the bench runs compiled (dist/bench/bench/*.js, what `npm run bench`
// does) or from source through ts-node (bench/*.ts).

import * as fs from 'fs';
import * as path from 'path';

function findRepoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (
      fs.existsSync(path.join(dir, 'package.json')) &&
      fs.existsSync(path.join(dir, 'bench', 'producer.py'))
    ) {
      return dir;
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the repository above ${__dirname}`);
  }
}

export const REPO_ROOT = findRepoRoot();
export const BENCH_SRC = path.join(REPO_ROOT, 'bench');
/** True when running as compiled JavaScript. */
export const COMPILED = __filename.endsWith('.js');

/** node arguments that run the bench module `name` (without extension) in the same form as this one. */
export function benchModuleArgs(name: string): string[] {
  if (COMPILED) return [path.join(__dirname, `${name}.js`)];
  return ['-r', require.resolve('ts-node/register/transpile-only'), path.join(BENCH_SRC, `${name}.ts`)];
}
