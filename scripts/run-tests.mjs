#!/usr/bin/env node
// Runs every test/**/*.test.ts and packages/*/test/**/*.test.ts with Node's built-in runner (TypeScript through tsx).
// The workspace packages resolve to their TypeScript sources (the "kindling-source" export condition), in this process
// and in every process a test spawns (NODE_OPTIONS), so tests never depend on a stale build.
// Node 20's `--test` takes no recursive globs, so the file list is built here.
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const roots = ['test', ...readdirSync('packages').map((p) => join('packages', p, 'test')).filter((d) => statSync(d, { throwIfNoEntry: false })?.isDirectory())];
const files = roots.flatMap(find).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error(`no test files match ${JSON.stringify(filters)}`);
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --conditions=kindling-source`.trim() },
});
process.exit(res.status ?? 1);
