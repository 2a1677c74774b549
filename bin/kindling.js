#!/usr/bin/env node
// The `kindling` command. The TypeScript sources are compiled to dist/ by `npm install` (the "prepare" script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('kindling: dist/ is missing; run `npm run build` (npm install does it) and try again.');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
