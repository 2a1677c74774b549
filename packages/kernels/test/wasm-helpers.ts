// Shared helpers of the wasm kernel-fix tests: seeded random data, running one computation on a named backend,
// comparing within float32 tolerance, and a plain-TS matrix product as an independent reference.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { installWasmFixes, uninstallWasmFixes } from '../src/index.js';

/** Seeded uniform values in [-1, 1) (Park-Miller). */
export function rand(shape: readonly number[], seed: number): Float32Array {
  let s = seed * 7919 + 1;
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return (s / 2147483647) * 2 - 1;
  });
}

/** A float32 tensor of seeded random values. */
export function randT(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(rand(shape, seed), shape);
}

/** Runs `f` on `backend` (tidied) and returns its outputs' values and shapes. */
export async function runOn(backend: string, f: () => tf.Tensor | tf.Tensor[]): Promise<{ values: Float32Array[]; shapes: number[][] }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    return { values: list.map((t) => Float32Array.from(t.dataSync())), shapes: list.map((t) => t.shape) };
  });
}

/** Asserts `actual` equals `expected` within `tol` relative to the reference's largest magnitude. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 2e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i] as number));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * scale)) assert.fail(`${what} at ${i}: ${a} vs ${e} (tolerance ${tol * scale})`);
  }
}

/** Runs `f` on wasm and on cpu and asserts equal shapes and values. */
export async function assertWasmMatchesCpu(f: () => tf.Tensor | tf.Tensor[], what: string, tol = 2e-5): Promise<Float32Array[]> {
  const wasm = await runOn('wasm', f);
  const cpu = await runOn('cpu', f);
  await tf.setBackend('wasm');
  assert.deepEqual(wasm.shapes, cpu.shapes, `${what}: shapes`);
  wasm.values.forEach((v, i) => assertClose(v, cpu.values[i] as Float32Array, `${what} #${i}`, tol));
  return wasm.values;
}

/** Plain-TS batched matrix product with optional transposes and batch broadcasting (row-major, rank 2 or 3). */
export function refMatMul(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean): Float32Array {
  const [ba, ra, ca] = aShape.length === 3 ? aShape as [number, number, number] : [1, aShape[0] ?? 0, aShape[1] ?? 0];
  const [bb, rb, cb] = bShape.length === 3 ? bShape as [number, number, number] : [1, bShape[0] ?? 0, bShape[1] ?? 0];
  const [m, k] = ta ? [ca, ra] : [ra, ca];
  const n = tb ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float32Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const ao = (ba === 1 ? 0 : p) * ra * ca;
    const bo = (bb === 1 ? 0 : p) * rb * cb;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = a[ao + (ta ? q * ca + i : i * ca + q)] as number;
          const bv = b[bo + (tb ? j * cb + q : q * cb + j)] as number;
          s += av * bv;
        }
        out[p * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

/** Plain-TS depthwise convolution gradients (NHWC, filter [fh, fw, c, mult]) with strides, dilations and padding. */
export function refDepthwiseGrads(
  x: Float32Array, xs: readonly number[], f: Float32Array, fs: readonly number[], dy: Float32Array, info: tf.backend_util.Conv2DInfo,
): { dx: Float32Array; dw: Float32Array } {
  const [nb, h, w, ch] = xs as [number, number, number, number];
  const [fh, fw, , mult] = fs as [number, number, number, number];
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(f.length);
  for (let b = 0; b < nb; b++) for (let y = 0; y < oh; y++) for (let xo = 0; xo < ow; xo++) {
    for (let i = 0; i < fh; i++) for (let j = 0; j < fw; j++) {
      const r = y * sh + i * dh - top;
      const s = xo * sw + j * dw - left;
      if (r < 0 || r >= h || s < 0 || s >= w) continue;
      for (let c = 0; c < ch; c++) for (let q = 0; q < mult; q++) {
        const g = dy[((b * oh + y) * ow + xo) * ch * mult + c * mult + q] as number;
        const xi = ((b * h + r) * w + s) * ch + c;
        const fi = ((i * fw + j) * ch + c) * mult + q;
        gw[fi] = (gw[fi] as number) + g * (x[xi] as number);
        gx[xi] = (gx[xi] as number) + g * (f[fi] as number);
      }
    }
  }
  return { dx: gx, dw: gw };
}

/** `before` hook of the kernel-fix suites: wasm active, kindling's fixes installed, TF.js's per-kernel leak check on. */
export async function useFixedWasm(): Promise<void> {
  await tf.setBackend('wasm');
  assert.ok(installWasmFixes());
  tf.env().set('IS_TEST', true); // a kernel that leaks backend data throws
}

/** `after` hook matching {@link useFixedWasm}. */
export function leaveFixedWasm(): void {
  tf.env().set('IS_TEST', false);
  uninstallWasmFixes();
}
