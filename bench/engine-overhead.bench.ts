/**
 * Engine overhead per iteration: a trivial process function run by the Engine vs. a bare `for` loop doing the same
 * work (same function calls, same data), with 0 and with 5 sync no-op handlers on ITERATION_COMPLETED.
 * Interleaved (bare, engine, bare, engine, ...), fixed iteration count, minimum and median reported, results
 * consumed so nothing is optimised away.
 * Run: npm run bench -- engine-overhead
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Engine, Events, silentLogger } from '../src/index.js';

const N = 1_000_000;
const ROUNDS = 7;
const data = Array.from({ length: N }, (_, i) => i);
let sink = 0;

const step = (_e: unknown, b: number): number => b + 1;
const noop = (): void => {
  sink++;
};

function bare(handlers: number): number {
  const fns = Array.from({ length: handlers }, () => noop);
  const t = performance.now();
  let out = 0;
  for (let i = 0; i < data.length; i++) {
    out = step(null, data[i] as number);
    for (let h = 0; h < fns.length; h++) (fns[h] as () => void)();
  }
  sink += out;
  return performance.now() - t;
}

async function engineRun(handlers: number): Promise<number> {
  const engine = new Engine(step, { logger: silentLogger });
  for (let h = 0; h < handlers; h++) engine.on(Events.ITERATION_COMPLETED, noop);
  const t = performance.now();
  const state = await engine.run(data);
  const dt = performance.now() - t;
  sink += state.output ?? 0;
  return dt;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const usPerIter = (ms: number): number => (ms * 1000) / N;

async function measure(handlers: number): Promise<Record<string, number>> {
  const b: number[] = [];
  const e: number[] = [];
  bare(handlers);
  await engineRun(handlers); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    b.push(bare(handlers));
    e.push(await engineRun(handlers));
  }
  const overhead = e.map((x, i) => usPerIter(x - (b[i] as number)));
  return {
    handlers,
    bareUsPerIterMin: usPerIter(Math.min(...b)),
    engineUsPerIterMin: usPerIter(Math.min(...e)),
    engineUsPerIterMedian: usPerIter(median(e)),
    overheadUsPerIterMedian: median(overhead),
    overheadUsPerIterMin: Math.min(...overhead),
    ratioMedian: median(e.map((x, i) => x / (b[i] as number))),
  };
}

const results = [await measure(0), await measure(5)];
console.log(`engine overhead, ${N} iterations x ${ROUNDS} interleaved rounds (node ${process.version})`);
console.log('handlers | bare us/it | engine us/it (min / median) | overhead us/it (median) | engine/bare ratio');
for (const r of results) {
  console.log(
    `${String(r['handlers']).padStart(8)} | ${r['bareUsPerIterMin']!.toFixed(4).padStart(10)} | ` +
      `${r['engineUsPerIterMin']!.toFixed(3)} / ${r['engineUsPerIterMedian']!.toFixed(3)}`.padStart(27) +
      ` | ${r['overheadUsPerIterMedian']!.toFixed(3).padStart(23)} | ${r['ratioMedian']!.toFixed(1)}x`,
  );
}
const target = results[1]!['overheadUsPerIterMedian']! < 0.5;
console.log(`target (< 0.5 us overhead with 5 sync handlers): ${target ? 'met' : 'NOT met'}`);
console.log('for scale, measured on a 2-vCPU AMD EPYC: PyTorch-Ignite 0.5.3: 3.9 us (0 handlers), 5.3 us (5 handlers); bare Python loop 0.03 us');
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/engine-overhead.json', JSON.stringify({ date: new Date().toISOString(), N, ROUNDS, results, sink: sink > 0 }, null, 2));
