/**
 * Plain-TypeScript reference kernels for the autocast tests: matmul and valid, stride-1 NHWC convolutions with
 * their gradients, computed in double and rounded like an autocast kernel (operands and output rounded with the
 * independent encoder of half-reference.ts). Inputs are chosen by the tests so that every float32 sum is exact.
 */
import { refRound, rng } from './half-reference.js';

export type Dtype = 'float16' | 'bfloat16' | null;

/** Rounds with the reference encoder, or only to float32 when `dtype` is null. */
export function r(values: ArrayLike<number>, dtype: Dtype): Float32Array {
  return dtype === null ? Float32Array.from(values) : refRound(values, dtype);
}

/** C = A (m x k) @ B (k x n), row-major, in autocast numerics. */
export function refMatMul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, dtype: Dtype): Float32Array {
  const ra = r(a, dtype);
  const rb = r(b, dtype);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ra[i * k + p] ?? 0) * (rb[p * n + j] ?? 0);
      out[i * n + j] = s;
    }
  }
  return r(out, dtype);
}

/** Transpose of a row-major m x n matrix. */
export function transpose(a: Float32Array, m: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j] ?? 0;
  return out;
}

/** Shape of a single-batch NHWC conv problem: input h x w x c, filter fh x fw x c x o, valid padding, stride 1. */
export interface ConvShape { h: number; w: number; c: number; fh: number; fw: number; o: number }

const idx4 = (a: number, b: number, c: number, d: number, [, B, C, D]: number[]): number =>
  ((a * (B ?? 0) + b) * (C ?? 0) + c) * (D ?? 0) + d;

/** y = conv2d(x, f), valid, stride 1, batch 1. */
export function refConv2d(x: Float32Array, f: Float32Array, s: ConvShape, dtype: Dtype): Float32Array {
  const rx = r(x, dtype);
  const rf = r(f, dtype);
  const oh = s.h - s.fh + 1;
  const ow = s.w - s.fw + 1;
  const out = new Float64Array(oh * ow * s.o);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < s.o; o++) {
    let sum = 0;
    for (let p = 0; p < s.fh; p++) for (let q = 0; q < s.fw; q++) for (let c = 0; c < s.c; c++) {
      sum += (rx[idx4(0, i + p, j + q, c, [1, s.h, s.w, s.c])] ?? 0) * (rf[idx4(p, q, c, o, [s.fh, s.fw, s.c, s.o])] ?? 0);
    }
    out[idx4(0, i, j, o, [1, oh, ow, s.o])] = sum;
  }
  return r(out, dtype);
}

/** dx of conv2d given dy (Conv2DBackpropInput). */
export function refConv2dDx(dy: Float32Array, f: Float32Array, s: ConvShape, dtype: Dtype): Float32Array {
  const rdy = r(dy, dtype);
  const rf = r(f, dtype);
  const oh = s.h - s.fh + 1;
  const ow = s.w - s.fw + 1;
  const out = new Float64Array(s.h * s.w * s.c);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < s.o; o++) {
    for (let p = 0; p < s.fh; p++) for (let q = 0; q < s.fw; q++) for (let c = 0; c < s.c; c++) {
      const at = idx4(0, i + p, j + q, c, [1, s.h, s.w, s.c]);
      const term = (rdy[idx4(0, i, j, o, [1, oh, ow, s.o])] ?? 0) * (rf[idx4(p, q, c, o, [s.fh, s.fw, s.c, s.o])] ?? 0);
      out[at] = (out[at] ?? 0) + term;
    }
  }
  return r(out, dtype);
}

/** dfilter of conv2d given dy (Conv2DBackpropFilter). */
export function refConv2dDf(x: Float32Array, dy: Float32Array, s: ConvShape, dtype: Dtype): Float32Array {
  const rx = r(x, dtype);
  const rdy = r(dy, dtype);
  const oh = s.h - s.fh + 1;
  const ow = s.w - s.fw + 1;
  const out = new Float64Array(s.fh * s.fw * s.c * s.o);
  for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < s.o; o++) {
    for (let p = 0; p < s.fh; p++) for (let q = 0; q < s.fw; q++) for (let c = 0; c < s.c; c++) {
      const at = idx4(p, q, c, o, [s.fh, s.fw, s.c, s.o]);
      const term = (rx[idx4(0, i + p, j + q, c, [1, s.h, s.w, s.c])] ?? 0) * (rdy[idx4(0, i, j, o, [1, oh, ow, s.o])] ?? 0);
      out[at] = (out[at] ?? 0) + term;
    }
  }
  return r(out, dtype);
}

/** Values whose rounding matters: random sign, magnitude in [1, 2) with a full float32 mantissa. */
export function randomFloats(n: number, seed: number): Float32Array {
  const random = rng(seed);
  return Float32Array.from({ length: n }, () => (random() < 0.5 ? -1 : 1) * (1 + random()));
}

/** Small integers in [-4, 4]: exact in every format, so products with rounded floats and their sums stay exact. */
export function randomInts(n: number, seed: number): Float32Array {
  const random = rng(seed);
  return Float32Array.from({ length: n }, () => Math.floor(random() * 9) - 4);
}
