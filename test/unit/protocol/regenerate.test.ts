// The committed generated code must be exactly what the generator produces from the specs.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { generate, generateAll } from '../../../scripts/generate-messages';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const specDir = path.resolve(repoRoot, '..', 'shared', 'kafka-message-specs');
const committedDir = path.join(repoRoot, 'src', 'protocol', 'messages', 'generated');
const haveSpecs = fs.existsSync(specDir);

if (!haveSpecs) console.log(`regeneration check skipped: spec directory ${specDir} does not exist`);

const specTest = haveSpecs ? test : test.skip;
const why = haveSpecs ? '' : ` (skipped: ${specDir} does not exist)`;

specTest(`committed generated files equal a fresh generator run${why}`, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-gen-'));
  try {
    fs.writeFileSync(path.join(tmp, 'Stale.ts'), '// left over from an older spec set\n');
    const names = generate(specDir, tmp);
    expect(fs.readdirSync(tmp).sort()).toEqual([...names].sort()); // stale file removed
    expect(fs.readdirSync(committedDir).sort()).toEqual([...names].sort());
    const differing = names.filter(
      (n) =>
        fs.readFileSync(path.join(tmp, n), 'utf8') !== fs.readFileSync(path.join(committedDir, n), 'utf8'),
    );
    expect(differing).toEqual([]); // if this fails: run `npm run generate` and commit the result
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

specTest(`the generator is deterministic${why}`, () => {
  const a = generateAll(specDir);
  const b = generateAll(specDir);
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [name, content] of a) expect(b.get(name)).toBe(content);
  expect(a.get('index.ts')).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // no timestamps
});
