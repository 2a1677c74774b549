/**
 * Training-step time on kindling's native OpenBLAS backend ('kindling-native') against TensorFlow.js's wasm backend
 * (with kindling's kernel fixes) and cpu backend, same models and data: MLP 784-512-256-10 (batch 64 and 256) and
 * CNN conv32-pool-conv64-pool-fc128-fc10 on 28x28 (batch 64), ReLU, softmax cross-entropy, SGD momentum 0.9, built
 * with tfjs-layers and trained with `optimizer.minimize`. Then the matmul kernels in float32 (sgemm) and bfloat16
 * (the autocast kernel) at the MLP's shapes, and an MLP step under autocast('bfloat16') with emulated rounding vs
 * the native bfloat16 kernels. Configurations run interleaved (A B C A B C ...), each round timing
 * several steps after a warm-up; medians over rounds and ratios are printed: the machines here are shared and noisy, so only ratios measured side by side in one run are meaningful.
 *
 * Run: node --import tsx bench/native-kernels.bench.ts [--rounds N] [--no-cpu] [--no-wasm] [--profile]
 *   --no-cpu    skip the cpu backend (its CNN step takes seconds)
 *   --profile   also print the per-kernel time of one native step of each model
 * 'native 1 thread' is the same backend with OpenBLAS and the elementwise loops on one thread.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { cnn, mlp } from '../../../bench/train/models.js';
import { makeStep, median, type StepModel } from '../../../bench/step.js';
import { autocast, registerReducedPrecisionKernel } from '../../../src/amp/autocast.js';
import { installWasmFixes, uninstallWasmFixes } from '../src/index.js';
import {
  NATIVE_BACKEND_NAME, nativeBackendStatus, nativeBf16KernelFunc, nativeFallbackCounts, registerNativeBackend, setNativeBackendThreads,
} from '../src/node.js';

const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1] ?? 5) || 5;
const WITH_CPU = !args.includes('--no-cpu');
const WITH_WASM = !args.includes('--no-wasm');
const PROFILE = args.includes('--profile');

type Mode = 'native' | 'native 1 thread' | 'wasm + kindling' | 'cpu';
const backendOf = (mode: Mode): string => (mode.startsWith('native') ? NATIVE_BACKEND_NAME : mode === 'cpu' ? 'cpu' : 'wasm');

/** Selects a mode's backend (and the native backend's thread count). */
async function use(mode: Mode): Promise<void> {
  await tf.setBackend(backendOf(mode));
  setNativeBackendThreads(mode === 'native 1 thread' ? 1 : availableParallelism());
}



interface Bench extends StepModel {
  name: string;
  batch: number;
  steps: (mode: Mode) => number;
  make: () => tfl.Sequential;
  inputShape: number[];
}



async function run(b: Bench, modes: Mode[]): Promise<void> {
  const steps = new Map<Mode, () => void>();
  const times = new Map<Mode, number[]>();
  for (const mode of modes) {
    await use(mode);
    const step = makeStep(b);
    step(); // warm-up
    step();
    steps.set(mode, step);
    times.set(mode, []);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [mode, step] of steps) {
      await use(mode);
      const n = b.steps(mode);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) step();
      times.get(mode)?.push((performance.now() - t0) / n);
    }
  }
  const native = median(times.get('native') ?? []);
  for (const [mode, ts] of times) {
    const m = median(ts);
    const ratio = mode === 'native' ? '' : `  (native is ${(m / native).toFixed(1)}x faster)`;
    console.log(`${b.name}: ${mode.padEnd(16)} ${m.toFixed(2).padStart(9)} ms/step  ${Math.round((b.batch * 1000) / m).toString().padStart(6)} samples/s${ratio}`);
  }
}

async function profile(b: Bench): Promise<void> {
  await use('native');
  const step = makeStep(b);
  step();
  const info = await tf.profile(() => step());
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0));
  const top = [...byKernel].sort((p, q) => q[1] - p[1]).slice(0, 12);
  console.log(`${b.name} kernel time (one native step): ${top.map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', ')} ms`);
}

/** float32 vs bfloat16 (autocast kernel) BatchMatMul on the native backend, interleaved, median GFLOP/s. */
async function matmulBench(): Promise<void> {
  await use('native');
  const f32 = tf.getKernel(tf.BatchMatMul, NATIVE_BACKEND_NAME)?.kernelFunc;
  const bf16 = nativeBf16KernelFunc(tf.BatchMatMul);
  if (f32 === undefined || bf16 === null) return;
  const backend = tf.backend();
  // [m, k, n, transposeA, transposeB]: the MLP's forward and backward products at batch 256 and 64.
  const shapes: [number, number, number, boolean, boolean][] = [
    [256, 784, 512, false, false], [256, 512, 256, false, false], [256, 256, 512, false, true], [784, 256, 512, true, false],
    [64, 784, 512, false, false], [1024, 1024, 1024, false, false],
  ];
  for (const [m, k, n, ta, tb] of shapes) {
    const a = tf.randomNormal(ta ? [k, m] : [m, k]), b = tf.randomNormal(tb ? [n, k] : [k, n]);
    const kernels: [string, tf.KernelFunc][] = [['float32', f32], ['bfloat16', bf16]];
    const times = new Map<string, number[]>(kernels.map(([name]) => [name, []]));
    const reps = Math.max(3, Math.round(1e9 / (2 * m * n * k)));
    const once = (f: tf.KernelFunc): void => {
      const out = f({ inputs: { a, b }, backend, attrs: { transposeA: ta, transposeB: tb } }) as tf.TensorInfo;
      backend.disposeData(out.dataId);
    };
    for (const [, f] of kernels) once(f);
    for (let r = 0; r < ROUNDS * 2; r++) {
      for (const [name, f] of kernels) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) once(f);
        times.get(name)?.push((performance.now() - t0) / reps);
      }
    }
    const [t32, t16] = [median(times.get('float32') ?? []), median(times.get('bfloat16') ?? [])];
    const gf = (t: number): string => ((2 * m * n * k) / t / 1e6).toFixed(0).padStart(4);
    console.log(`matmul ${m}x${k}x${n}${ta ? ' tA' : ''}${tb ? ' tB' : ''}: float32 ${t32.toFixed(3)} ms (${gf(t32)} GFLOP/s), ` +
      `bfloat16 ${t16.toFixed(3)} ms (${gf(t16)} GFLOP/s), bfloat16/float32 time ${(t16 / t32).toFixed(2)}`);
    tf.dispose([a, b]);
  }
}

/** MLP b64 steps under autocast('bfloat16') on the native backend: emulated rounding vs the native bf16 kernels. */
async function autocastBench(): Promise<void> {
  await use('native');
  const b: Bench = { name: 'MLP b64 autocast bf16', batch: 64, make: mlp, inputShape: [784], steps: () => 10 };
  const plain = makeStep(b);
  const step = (): void => autocast('bfloat16', plain);
  const names = [tf.BatchMatMul, tf._FusedMatMul];
  const setNative = (on: boolean): void => {
    for (const k of names) registerReducedPrecisionKernel(NATIVE_BACKEND_NAME, k, 'bfloat16', on ? nativeBf16KernelFunc(k) : null);
  };
  const times: Record<string, number[]> = { emulated: [], native: [], float32: [] };
  for (const on of [false, true]) {
    setNative(on);
    step();
  }
  plain();
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ['emulated', 'native', 'float32']) {
      setNative(mode === 'native');
      const f = mode === 'float32' ? plain : step;
      const t0 = performance.now();
      for (let i = 0; i < 10; i++) f();
      times[mode]?.push((performance.now() - t0) / 10);
    }
  }
  setNative(false);
  const [e, n, f] = [median(times.emulated ?? []), median(times.native ?? []), median(times.float32 ?? [])];
  console.log(`${b.name}: emulated rounding ${e.toFixed(2)} ms/step, native bf16 kernels ${n.toFixed(2)} ms/step ` +
    `(${(e / n).toFixed(1)}x faster), float32 without autocast ${f.toFixed(2)} ms/step`);
}

if (!registerNativeBackend()) {
  console.log(`kindling-native unavailable: ${nativeBackendStatus().reason}`);
  process.exit(0);
}
console.log(`tfjs ${tf.version_core}; ${nativeBackendStatus().reason}; ${ROUNDS} interleaved rounds`);
await tf.setBackend('wasm');
installWasmFixes();
const modes: Mode[] = ['native', 'native 1 thread', ...(WITH_WASM ? ['wasm + kindling' as const] : []), ...(WITH_CPU ? ['cpu' as const] : [])];
const benches: Bench[] = [
  { name: 'MLP b64', batch: 64, make: mlp, inputShape: [784], steps: (m) => (m.startsWith('native') ? 30 : m === 'cpu' ? 2 : 10) },
  { name: 'MLP b256', batch: 256, make: mlp, inputShape: [784], steps: (m) => (m.startsWith('native') ? 10 : m === 'cpu' ? 1 : 4) },
  { name: 'CNN b64', batch: 64, make: cnn, inputShape: [28, 28, 1], steps: (m) => (m.startsWith('native') ? 6 : m === 'cpu' ? 1 : 3) },
];
for (const b of benches) await run(b, modes);
await matmulBench();
await autocastBench();
if (PROFILE) for (const b of benches) await profile(b);
const fallbacks = [...nativeFallbackCounts()];
console.log(`native kernels that fell back to cpu: ${fallbacks.length === 0 ? 'none' : fallbacks.map(([k, n]) => `${k} x${n}`).join(', ')}`);
uninstallWasmFixes();
