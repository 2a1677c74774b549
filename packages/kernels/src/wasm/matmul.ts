/**
 * @module Matrix-product overrides for TensorFlow.js's wasm backend. No Ignite counterpart (PyTorch's CPU matmul is
 * always fast). Deviations: results equal the stock kernels' within float32 rounding (a different summation order).
 *
 * The stock `BatchMatMul` / `_FusedMatMul` (tfjs-backend-wasm 4.22) call XNNPACK's fully-connected operator only
 * when neither operand is transposed and both have batch size 1; every other case (each backward matmul of
 * training, every batched product) runs a naive triple loop about 20x slower. These overrides rewrite each case
 * into fast-path calls: a transposed operand is materialised with the wasm `Transpose` kernel, or the product is
 * computed transposed (C^T = B^T A^T) when that moves less memory; batch dimensions are folded into the rows when
 * one side has batch 1, and batched products of large matrices are split into per-matrix fast calls.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope, sizeOf, type KernelArgs, type SingleKernel, type StockKernels, type WasmHeapBackend } from './kernel-utils.js';
import { transpose2d } from './simd.js';

/** How a rank-2 product with transposed operands is routed through the fast path. */
export type MatMulRoute = 'materialise' | 'transposed-product';

/** Per-matrix work (M*N*K) below which a batched product of equal batch sizes keeps the stock loop. */
const SPLIT_MIN_WORK = 16384;

/** Cost of XNNPACK packing one element of the right operand, relative to transposing one element (measured). */
const PACK_COST = 2.7;

/** Products smaller than this (M*N*K) without transposes keep the stock kernel: extra kernel calls would dominate. */
const REROUTE_MIN_WORK = 65536;

/**
 * Chooses the cheaper route for C = op(A) op(B) with C of shape [m, n] and inner size k. The fast kernel re-packs
 * its right operand on every call (it caches the packing per tensor, but training produces new tensors each step),
 * which costs about {@link PACK_COST} transposes per element, so the cost counted is the memory moved:
 * 'materialise' transposes the transposed operands and packs op(B) (k*n); 'transposed-product' computes
 * op(B)^T op(A)^T = C^T, transposing the operands not already in that layout, packing op(A)^T (k*m) and
 * transposing C back (m*n). Without transposes, 'materialise' is the stock kernel.
 *
 * @param m - rows of C.
 * @param n - columns of C.
 * @param k - the inner dimension.
 * @param transposeA - whether A is stored transposed ([k, m]).
 * @param transposeB - whether B is stored transposed ([n, k]).
 * @returns the route with the smaller estimated cost.
 */
export function chooseMatMulRoute(m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): MatMulRoute {
  const materialise = (transposeA ? k * m : 0) + (transposeB ? k * n : 0) + PACK_COST * k * n;
  const transposed = (transposeA ? 0 : k * m) + (transposeB ? 0 : k * n) + PACK_COST * k * m + m * n;
  return transposed < materialise ? 'transposed-product' : 'materialise';
}

/** C = op(A) op(B) for rank-2 operands, through the fast kernel only. */
function product2d(s: KernelScope, a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean): TensorInfo {
  const [m, k] = ta ? [a.shape[1] ?? 0, a.shape[0] ?? 0] : [a.shape[0] ?? 0, a.shape[1] ?? 0];
  const n = (tb ? b.shape[0] : b.shape[1]) ?? 0;
  if (chooseMatMulRoute(m, n, k, ta, tb) === 'materialise') {
    return s.matMul(ta ? s.transpose(a, [1, 0]) : a, tb ? s.transpose(b, [1, 0]) : b);
  }
  const ct = s.matMul(tb ? b : s.transpose(b, [1, 0]), ta ? a : s.transpose(a, [1, 0]));
  return s.transpose(ct, [1, 0]);
}

interface Dims {
  m: number;
  n: number;
  k: number;
  batchA: number;
  batchB: number;
  outShape: number[];
}

function dims(a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean): Dims {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = (ta ? a.shape[ra - 1] : a.shape[ra - 2]) ?? 0;
  const k = (ta ? a.shape[ra - 2] : a.shape[ra - 1]) ?? 0;
  const n = (tb ? b.shape[rb - 2] : b.shape[rb - 1]) ?? 0;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return { m, n, k, batchA: sizeOf(a.shape.slice(0, -2)), batchB: sizeOf(b.shape.slice(0, -2)), outShape: [...outer, m, n] };
}

/** Whether a plain (non-transposed, unbatched) product is cheaper computed transposed. */
function worthRerouting(d: Dims): boolean {
  return d.m * d.n * d.k >= REROUTE_MIN_WORK && chooseMatMulRoute(d.m, d.n, d.k, false, false) === 'transposed-product';
}

/** Batched product when B has batch 1: A's batch folds into the rows of one rank-2 product. */
function foldA(s: KernelScope, a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, d: Dims): TensorInfo {
  const b2 = s.reshape(b, tb ? [d.n, d.k] : [d.k, d.n]);
  if (d.batchA === 1) return product2d(s, s.reshape(a, ta ? [d.k, d.m] : [d.m, d.k]), b2, ta, tb);
  const a3 = s.reshape(a, ta ? [d.batchA, d.k, d.m] : [d.batchA, d.m, d.k]);
  const rows = s.reshape(ta ? s.transposeLastTwo(a3) : a3, [d.batchA * d.m, d.k]);
  return product2d(s, rows, b2, false, tb);
}

/** Batched product when A has batch 1: C[i]^T = op(B[i])^T op(A)^T, B's batch folded into the rows. */
function foldB(s: KernelScope, a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, d: Dims): TensorInfo {
  const b3 = s.reshape(b, tb ? [d.batchB, d.n, d.k] : [d.batchB, d.k, d.n]);
  const rows = s.reshape(tb ? b3 : s.transposeLastTwo(b3), [d.batchB * d.n, d.k]);
  const a2 = s.reshape(a, ta ? [d.k, d.m] : [d.m, d.k]);
  const ct = product2d(s, rows, a2, false, !ta);
  return s.transposeLastTwo(s.reshape(ct, [d.batchB, d.n, d.m]));
}

/** Batched product of equal batch sizes: one fast rank-2 product per matrix, then stacked. */
function splitBatch(s: KernelScope, a: TensorInfo, b: TensorInfo, ta: boolean, tb: boolean, d: Dims): TensorInfo {
  const slice = wasmKernel(tf.Slice);
  const a3 = s.reshape(a, ta ? [d.batchA, d.k, d.m] : [d.batchA, d.m, d.k]);
  const b3 = s.reshape(b, tb ? [d.batchB, d.n, d.k] : [d.batchB, d.k, d.n]);
  const a2 = [a3.shape[1] ?? 0, a3.shape[2] ?? 0];
  const b2 = [b3.shape[1] ?? 0, b3.shape[2] ?? 0];
  const parts: TensorInfo[] = [];
  for (let i = 0; i < d.batchA; i++) {
    const ai = s.run(slice, { x: a3 }, { begin: [i, 0, 0], size: [1, ...a2] });
    const bi = s.run(slice, { x: b3 }, { begin: [i, 0, 0], size: [1, ...b2] });
    parts.push(s.reshape(product2d(s, s.reshape(ai, a2), s.reshape(bi, b2), ta, tb), [1, d.m, d.n]));
  }
  return s.runList(wasmKernel(tf.Concat), parts, { axis: 0 });
}

function wasmKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'wasm');
  if (k === undefined) throw new Error(`kindling wasm fix: the wasm ${name} kernel is not registered`);
  return k.kernelFunc;
}

/**
 * Builds the `BatchMatMul` override.
 *
 * @param stock - the stock wasm kernels.
 * @returns the kernel function to register for 'wasm'.
 */
export function makeBatchMatMul(stock: StockKernels): SingleKernel {
  return (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.batchMatMul(args) as TensorInfo;
    const d = dims(a, b, ta, tb);
    if (d.m * d.n * d.k === 0 || (!ta && !tb && d.batchA === 1 && d.batchB === 1 && !worthRerouting(d))) {
      return stock.batchMatMul(args) as TensorInfo;
    }
    const canSplit = d.batchA === d.batchB && d.m * d.n * d.k >= SPLIT_MIN_WORK;
    if (d.batchB !== 1 && d.batchA !== 1 && !canSplit) return stock.batchMatMul(args) as TensorInfo;
    const s = new KernelScope(args.backend as KernelBackend, stock);
    try {
      let c: TensorInfo;
      if (d.batchB === 1) c = foldA(s, a, b, ta, tb, d);
      else if (d.batchA === 1) c = foldB(s, a, b, ta, tb, d);
      else c = splitBatch(s, a, b, ta, tb, d);
      return s.keep(s.reshape(c, d.outShape));
    } finally {
      s.dispose();
    }
  };
}

/**
 * Builds the `_FusedMatMul` override: transposed operands are materialised and A's batch is folded into the rows
 * when B has batch 1, so that the stock kernel applies bias and activation on its fast path.
 *
 * @param stock - the stock wasm kernels.
 * @returns the kernel function to register for 'wasm'.
 */
export function makeFusedMatMul(stock: StockKernels): SingleKernel {
  return (args: KernelArgs): TensorInfo => {
    const inputs = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const ta = attrs.transposeA === true;
    const tb = attrs.transposeB === true;
    const { a, b } = inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.fusedMatMul(args) as TensorInfo;
    const d = dims(a, b, ta, tb);
    if (d.m * d.n * d.k === 0 || (!ta && !tb && d.batchA === 1 && d.batchB === 1)) return stock.fusedMatMul(args) as TensorInfo;
    const s = new KernelScope(args.backend as KernelBackend, stock);
    try {
      let a3 = ta ? s.transposeLastTwo(a) : a;
      const b3 = tb ? s.transposeLastTwo(b) : b;
      if (d.batchB === 1) a3 = s.reshape(a3, [1, d.batchA * d.m, d.k]);
      const fused = { ...args.attrs, transposeA: false, transposeB: false };
      const c = s.run(stock.fusedMatMul, { ...args.inputs, a: a3, b: b3 }, fused);
      return s.keep(s.reshape(c, d.outShape));
    } finally {
      s.dispose();
    }
  };
}

/**
 * kindling's fused Dense layer (`FUSED_LAYER_KERNELS.dense`: `[M, K] x [K, N] + bias[N]`, then ReLU or nothing) on
 * wasm, as one kernel call: one XNNPACK fully-connected call with the bias and the activation fused (as TensorFlow.js's
 * own `tf.fused.matMul` runs outside a gradient tape; XNNPACK starts its sums from the bias, so the result equals the
 * unfused one within float32 rounding), or, when the product is cheaper computed transposed (few rows: XNNPACK
 * re-packs its right operand, the weights, on every call), the transposed product then the stock `Add` and `Relu`
 * (the unfused path's values), without TensorFlow.js's engine between them. Measured on the MLP at batch 64 with two
 * threads: step 14.4 ms vs 17.5-19.1 ms with the fused call.
 *
 * @param stock - the stock kernels.
 * @returns the kernel.
 */
export function makeDense(stock: StockKernels): SingleKernel {
  const fused = makeFusedMatMul(stock);
  return (args: KernelArgs): TensorInfo => {
    const { a, b, bias } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
    const [m = 0, k = 0] = a.shape;
    const n = b.shape[1] ?? 0;
    const s = new KernelScope(args.backend as KernelBackend, stock);
    try {
      // Few rows (small batches): the product is cheaper computed transposed (XNNPACK packs the small operand
      // instead of the weights, see chooseMatMulRoute), and bias and ReLU then run as two stock kernels here.
      if (worthRerouting({ m, n, k, batchA: 1, batchB: 1, outShape: [m, n] })) {
        const relu = args.attrs?.activation === 'relu';
        const ct = s.matMul(s.transpose(b, [1, 0]), s.transpose(a, [1, 0]));
        // C^T back to C with the bias and ReLU in the same SIMD pass (the values of Transpose, Add and Relu)
        const fused = transpose2d(args.backend as WasmHeapBackend, ct, { ...(bias === undefined ? {} : { bias }), relu });
        if (fused !== null) return fused;
        let c = s.transpose(ct, [1, 0]);
        if (bias !== undefined) c = s.run(wasmKernel(tf.Add), { a: c, b: bias }, {});
        if (relu) c = s.run(wasmKernel(tf.Relu), { x: c }, {});
        return s.keep(c);
      }
      const inputs = { a: s.reshape(a, [1, m, k]), b: s.reshape(b, [1, k, n]), bias };
      const c = s.run(fused, inputs, { transposeA: false, transposeB: false, activation: args.attrs?.activation ?? 'linear' });
      return s.keep(s.reshape(c, [m, n]));
    } finally {
      s.dispose();
    }
  };
}
