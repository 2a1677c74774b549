#!/usr/bin/env node
// Runs every bench/*.bench.ts and packages/*/bench/*.bench.ts one after the other (never two at once: with 2
// cores, a second busy process slows a 2-thread run many times over).
// Usage: node scripts/run-bench.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const filters = process.argv.slice(2);
// kindling's benchmarks, then each workspace package's (the kernels'), run on the packages' TypeScript sources.
const dirs = ['bench', ...readdirSync('packages').map((p) => join('packages', p, 'bench')).filter((d) => existsSync(d))];
const files = dirs
  .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.bench.ts')).sort().map((f) => join(d, f)))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
let failed = 0;
for (const f of files) {
  console.log(`\n== ${f}`);
  const res = spawnSync(process.execPath, ['--conditions=kindling-source', '--import', 'tsx', f], { stdio: 'inherit' });
  if (res.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
