// The public API's shape: the root entry is exactly the subpath entries of package.json (so it cannot drift from
// them), and the committed API report (api/*.api.md) matches the sources, so any public change is a reviewed diff.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { REPORTS, apiReport } from '../../scripts/api-report.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, unknown> };
const rootIndex = readFileSync('src/index.ts', 'utf8');

describe('kindling package entries', () => {
  it('the root index re-exports every subpath entry of package.json, and nothing else', () => {
    const subpaths = Object.keys(pkg.exports)
      .filter((k) => k !== '.' && k !== './package.json' && k !== './node')
      .map((k) => k.slice(2))
      .sort();
    const starred = [...rootIndex.matchAll(/^export \* from '\.\/(.+?)(?:\/index)?\.js';$/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(starred, subpaths);
  });

  it('the root index has no hand-kept export list (only `export *`, the idist namespace and one disambiguation)', () => {
    const lines = rootIndex.split('\n').filter((l) => l.startsWith('export '));
    const other = lines.filter((l) => !l.startsWith('export * from ') && !l.startsWith('export * as idist ') && !l.startsWith('export type { NestedNumbers }'));
    assert.deepEqual(other, []);
  });

  for (const [dir, file] of REPORTS) {
    it(`${file.split('/').pop()} is up to date (run \`npm run api:report\` and review the diff)`, () => {
      assert.equal(readFileSync(file, 'utf8'), apiReport(dir));
    });
  }
});
