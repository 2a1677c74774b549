/**
 * Training-step time on TensorFlow.js's wasm backend with and without kindling's kernel fixes, and on the cpu
 * backend: MLP 784-512-256-10 (batch 64 and 256) and CNN conv32-pool-conv64-pool-fc128-fc10 on 28x28 (batch 64),
 * ReLU, softmax cross-entropy, SGD with momentum 0.9. Configurations run interleaved (A B C A B C ...), each round
 * timing several steps after a warm-up; medians over rounds and ratios are printed: the machines here are shared and noisy, so only ratios measured side by side in one run are meaningful.
 *
 * Run: node --import tsx bench/wasm-kernels.bench.ts [--rounds N] [--no-cpu] [--profile]
 *   --no-cpu    skip the cpu backend (its CNN step takes seconds)
 *   --profile   also print the per-kernel time of one fixed-wasm step of each model
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { cnn, mlp } from '../../../bench/train/models.js';
import { makeStep, median, type StepModel } from '../../../bench/step.js';
import { installWasmFixes, uninstallWasmFixes, WASM_FIXED_KERNELS } from '../src/index.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1] ?? 5) || 5;
const WITH_CPU = !args.includes('--no-cpu');
const PROFILE = args.includes('--profile');

type Mode = 'wasm stock' | 'wasm missing-only' | 'wasm + kindling' | 'cpu';

/** Sets the kernel registry for a mode: stock, only the kernels wasm lacks added, or all fixes. */
function setMode(mode: Mode): void {
  uninstallWasmFixes();
  if (mode === 'wasm stock' || mode === 'cpu') return;
  const stock = new Map(WASM_FIXED_KERNELS.map((n) => [n, tf.getKernel(n, 'wasm')]));
  installWasmFixes();
  if (mode === 'wasm missing-only') {
    for (const [name, config] of stock) {
      if (config === undefined) continue;
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(config);
    }
  }
}



interface Bench extends StepModel {
  name: string;
  batch: number;
  modes: Mode[];
  steps: (mode: Mode) => number;
  make: () => tfl.Sequential;
  inputShape: number[];
}



async function run(b: Bench): Promise<void> {
  const steps = new Map<Mode, () => void>();
  const times = new Map<Mode, number[]>();
  for (const mode of b.modes) {
    await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
    setMode(mode);
    const step = makeStep(b);
    try {
      step(); // warm-up (and the check that this configuration can train at all)
      steps.set(mode, step);
      times.set(mode, []);
    } catch (e) {
      console.log(`${b.name}: ${mode} cannot train: ${(e as Error).message.split('\n')[0] ?? ''}`);
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [mode, step] of steps) {
      await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
      setMode(mode);
      const n = b.steps(mode);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) step();
      times.get(mode)?.push((performance.now() - t0) / n);
    }
  }
  const fixed = median(times.get('wasm + kindling') ?? []);
  for (const [mode, ts] of times) {
    const m = median(ts);
    const ratio = mode === 'wasm + kindling' ? '' : `  (kindling wasm is ${(m / fixed).toFixed(2)}x faster)`;
    console.log(`${b.name}: ${mode.padEnd(18)} ${m.toFixed(1).padStart(8)} ms/step  ${Math.round((b.batch * 1000) / m).toString().padStart(6)} samples/s${ratio}`);
  }
}

async function profile(b: Bench): Promise<void> {
  await tf.setBackend('wasm');
  setMode('wasm + kindling');
  const step = makeStep(b);
  step();
  const info = await tf.profile(() => step());
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
  const top = [...byKernel].sort((p, q) => q[1] - p[1]).slice(0, 10);
  console.log(`${b.name} kernel time (one fixed-wasm step): ${top.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', ')} ms`);
}

const cpu: Mode[] = WITH_CPU ? ['cpu'] : [];
const benches: Bench[] = [
  { name: 'MLP b64', batch: 64, make: mlp, inputShape: [784], modes: ['wasm stock', 'wasm + kindling', ...cpu], steps: (m) => (m === 'wasm + kindling' ? 20 : 4) },
  { name: 'MLP b256', batch: 256, make: mlp, inputShape: [784], modes: ['wasm stock', 'wasm + kindling', ...cpu], steps: (m) => (m === 'wasm + kindling' ? 10 : 2) },
  { name: 'CNN b64', batch: 64, make: cnn, inputShape: [28, 28, 1], modes: ['wasm stock', 'wasm missing-only', 'wasm + kindling', ...cpu], steps: (m) => (m === 'cpu' ? 1 : 3) },
];

await tf.setBackend('wasm');
console.log(`tfjs ${tf.version_core}, wasm threads: ${String(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'))}, ${ROUNDS} interleaved rounds`);
for (const b of benches) await run(b);
if (PROFILE) for (const b of benches) await profile(b);
uninstallWasmFixes();
