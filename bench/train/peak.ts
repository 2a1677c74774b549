/**
 * The GEMM probe of `npm run bench:train`: the machine's measured matrix-product peak (GFLOP/s) in float32 and
 * bfloat16 on the native backend's threads, so that each row's GFLOP/s can be read as a fraction of what the cores
 * reach on a large product ("how close to the limit"), and which library and instruction set each kernel family of
 * the native backend runs on.
 */
import { loadNativeAddon, type NativeAddon } from '../../packages/kernels/src/node/native/addon.js';

/** Peaks in GFLOP/s (null when not measurable: no native addon, or no bfloat16 path). */
export interface GemmPeak {
  float32: number | null;
  bfloat16: number | null;
  /** How each peak was reached, e.g. 'onednn 185, openblas 170'. */
  note: string;
  /** The native backend's library and ISA per kernel family (addon info().kernels). */
  kernels: Record<string, string>;
}

/** Probe shapes [M, N, K]: the best of a cache-friendly and a larger product. */
const SHAPES: readonly [number, number, number][] = [[512, 512, 512], [512, 1024, 1024]];

/** Best GFLOP/s of `reps` products of [M, K] x [K, N], over 5 rounds (after one warm-up product). */
function probeShape(addon: NativeAddon, bf16: boolean, [M, N, K]: readonly [number, number, number], reps: number): number {
  const a = Float32Array.from({ length: M * K }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
  const b = Float32Array.from({ length: K * N }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  const c = new Float32Array(M * N);
  const run = (): void => addon.matmul(a, b, c, 1, 1, 1, M, N, K, false, false, null, 0, 0, null, 0, 0, bf16);
  run();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < reps; i++) run();
    best = Math.min(best, (performance.now() - t) / reps);
  }
  if (!Number.isFinite(c[0] ?? NaN)) throw new Error('GEMM probe produced a non-finite value');
  return (2 * M * N * K) / (best * 1e6);
}

function probe(addon: NativeAddon, bf16: boolean, reps: number): number {
  return Math.max(...SHAPES.map((shape) => probeShape(addon, bf16, shape, reps)));
}

/**
 * Measures the float32 peak (the faster of oneDNN and OpenBLAS) and the bfloat16 peak (oneDNN, on CPUs with
 * bfloat16 dot products) of the native addon, on its current thread count. About a second.
 *
 * @returns the peaks, or nulls with the reason in `note` when the addon is unavailable.
 */
export function measureGemmPeak(): GemmPeak {
  const addon = loadNativeAddon();
  if (addon === null) return { float32: null, bfloat16: null, note: 'native addon unavailable', kernels: {} };
  const info = addon.info();
  const dnnl = info.dnnl?.enabled === true && addon.setDnnl !== undefined;
  const parts: string[] = [];
  let f32 = 0;
  if (dnnl) {
    const v = probe(addon, false, 4);
    parts.push(`float32 onednn ${v.toFixed(0)}`);
    f32 = Math.max(f32, v);
    addon.setDnnl?.(false);
  }
  try {
    const v = probe(addon, false, 4);
    parts.push(`float32 openblas ${v.toFixed(0)}`);
    f32 = Math.max(f32, v);
  } finally {
    if (dnnl) addon.setDnnl?.(true);
  }
  let bf16: number | null = null;
  if (dnnl && info.dnnl?.bf16 === true) {
    bf16 = probe(addon, true, 8);
    parts.push(`bfloat16 onednn ${bf16.toFixed(0)}`);
  }
  return { float32: f32, bfloat16: bf16, note: `best of ${SHAPES.map((x) => x.join('x')).join(' and ')} products, GFLOP/s: ${parts.join(', ')}`, kernels: addon.info().kernels ?? {} };
}
