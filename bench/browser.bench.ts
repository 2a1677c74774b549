/**
 * Training speed in the browser vs Node, in one run: steps/s of `kindling train`'s MLP (batch 64, Adam, kindling's
 * supervised trainer; bench/browser/mlp-steps.ts) on each browser backend of headless Chromium (wasm with kindling's
 * kernels single-threaded and threaded in a cross-origin isolated page, webgl and WebGPU on SwiftShader, cpu) next to
 * Node's wasm and kindling-native backends. Interleaved rounds (every backend once per round), fixed step counts,
 * minimum and median per step; the target is the browser's wasm within 1.3x of Node's wasm step time.
 * Run: npm run bench -- browser
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import type { Page } from 'playwright-core';
import { activateBackend, registeredBackends } from '../src/index.js';
import { launch, serve } from '../test/browser/harness.js';
import { mlpSteps, type Steps } from './browser/mlp-steps.js';

const ROUNDS = 5;
const WARMUP = 10;
/** Steps per round: fewer on the slow backends (software GPUs, plain JavaScript). */
const STEPS: Record<string, number> = { wasm: 40, 'wasm-threads': 40, 'kindling-native': 40, webgl: 8, webgpu: 8, cpu: 4 };

interface Runner {
  name: string;
  note: string;
  steps: Steps;
}

async function buildPage(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kindling-bench-browser-'));
  await esbuild.build({ entryPoints: [join(import.meta.dirname, 'browser', 'page.ts')], bundle: true, format: 'esm', platform: 'browser',
    conditions: ['kindling-source'], outfile: join(dir, 'page.js'), logLevel: 'error' });
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) copyFileSync(join(wasmDir, f), join(dir, f));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><html><body><script type="module" src="./page.js"></script></body></html>');
  return dir;
}

async function browserRunner(page: Page, url: string, name: string): Promise<Runner | null> {
  await page.goto(url);
  await page.waitForFunction(() => { const b = (window as unknown as { bench: { steps?: unknown; error?: string } }).bench; return b.steps !== undefined || b.error !== undefined; }, undefined, { timeout: 120_000 });
  const info = await page.evaluate(() => { const b = (window as unknown as { bench: { reason?: string; error?: string } }).bench; return { reason: b.reason, error: b.error }; });
  if (info.error !== undefined) {
    console.log(`browser ${name}: unavailable (${info.error})`);
    return null;
  }
  const steps: Steps = (n) => page.evaluate((k) => (window as unknown as { bench: { steps: Steps } }).bench.steps(k), n);
  return { name: `browser ${name}`, note: info.reason ?? '', steps };
}

async function nodeRunner(backend: string): Promise<Runner | null> {
  if (!registeredBackends().includes(backend)) {
    console.log(`node ${backend}: not registered`);
    return null;
  }
  await activateBackend(backend);
  const steps = mlpSteps(backend);
  // Each round switches the active backend back to this one (the model's variables live on it).
  return { name: `node ${backend}`, note: '', steps: async (n) => { await tf.setBackend(backend); return steps(n); } };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  const server = await serve(await buildPage());
  const browser = await launch();
  // The Node entry's installers (kindling-native, when its addon is built).
  const { installNodeKernels } = await import('@kindling/kernels/node');
  installNodeKernels();
  try {
    const pages = await Promise.all(Array.from({ length: 5 }, async () => (await browser.newContext()).newPage()));
    const runners = (await Promise.all([
      nodeRunner('kindling-native'), nodeRunner('wasm'),
      browserRunner(pages[0] as Page, `${server.origin}/?backend=wasm`, 'wasm'),
      browserRunner(pages[1] as Page, `${server.origin}/isolated/?backend=wasm`, 'wasm-threads'),
      browserRunner(pages[2] as Page, `${server.origin}/?backend=webgl`, 'webgl'),
      browserRunner(pages[3] as Page, `${server.origin}/?backend=webgpu`, 'webgpu'),
      browserRunner(pages[4] as Page, `${server.origin}/?backend=cpu`, 'cpu'),
    ])).filter((r): r is Runner => r !== null);
    const key = (r: Runner): string => r.name.split(' ')[1] as string;
    for (const r of runners) await r.steps(Math.min(WARMUP, STEPS[key(r)] ?? WARMUP));
    const times = new Map<string, number[]>(runners.map((r) => [r.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of runners) {
        const n = STEPS[key(r)] ?? 10;
        times.get(r.name)?.push((await r.steps(n)) / n);
      }
    }
    console.log(`CPU: ${cpu}, ${availableParallelism()} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes share the machine)`);
    console.log(`MLP 784-256-128-10, batch 64, Adam; ${ROUNDS} interleaved rounds; ms per step (min / median), steps/s from the median`);
    for (const r of runners) {
      const t = times.get(r.name) ?? [];
      console.log(`${r.name.padEnd(22)} ${Math.min(...t).toFixed(2).padStart(8)} / ${median(t).toFixed(2).padStart(8)} ms  ${(1000 / median(t)).toFixed(1).padStart(7)} steps/s  ${r.note}`);
    }
    const node = median(times.get('node wasm') ?? []);
    for (const name of ['browser wasm', 'browser wasm-threads']) {
      const b = median(times.get(name) ?? []);
      if (Number.isFinite(b) && Number.isFinite(node)) console.log(`${name} / node wasm step time: ${(b / node).toFixed(2)}x (target <= 1.3x)`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
