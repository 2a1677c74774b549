/**
 * @module The `Sum` kernel for TensorFlow.js's wasm backend over leading axes (the bias gradient of a convolution:
 * `[batch, height, width, channels]` summed over the first three axes), as column sums in one SIMD pass over the heap
 * (wasm-simd.ts). The stock kernel first transposes its input so that the summed axes come last (a full copy of a
 * large gradient, with a scalar loop), then sums each row: 15 ms of a 116 ms CNN step here. No Ignite counterpart
 * (PyTorch's `sum` kernel). Deviations: none: the same float32 additions in the same order (each output sums its
 * inputs in row order, from 0), so bit-identical; every other case runs the stock kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc } from '@tensorflow/tfjs-core';
import { sizeOf, type KernelArgs, type WasmHeapBackend } from './kernel-utils.js';
import { simdLoops } from './simd.js';

/**
 * Builds the `Sum` override: float32 sums over the leading `k` axes of a tensor whose other axes hold at least 4
 * values (one SIMD vector) go through kindling's loop, the rest to `stock`.
 *
 * @param stock - the stock wasm `Sum` kernel (undefined: only the cases above can run).
 * @returns the kernel function to register for 'wasm'.
 */
export function makeSum(stock: KernelFunc | undefined): KernelFunc {
  const fallback = (args: KernelArgs): ReturnType<KernelFunc> => {
    if (stock === undefined) throw new Error('kindling wasm fix: the stock wasm Sum kernel is not registered');
    return stock(args);
  };
  return (args: KernelArgs) => {
    const x = args.inputs.x;
    const b = args.backend as WasmHeapBackend;
    const loops = x?.dtype === 'float32' ? simdLoops(b) : null;
    if (x === undefined || loops === null) return fallback(args);
    const rank = x.shape.length;
    const raw = args.attrs?.axis as number | number[] | null | undefined;
    const axes = [...new Set(tf.util.parseAxisParam(raw ?? x.shape.map((_, i) => i), x.shape))].sort((p, q) => p - q);
    const k = axes.length;
    if (k === 0 || k >= rank || axes[k - 1] !== k - 1) return fallback(args); // not a leading block of axes
    const rows = sizeOf(x.shape.slice(0, k)), cols = sizeOf(x.shape.slice(k));
    if (cols < 4 || rows < 2) return fallback(args);
    const outShape = args.attrs?.keepDims === true ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    const out = b.makeOutput(outShape, 'float32');
    // Views after the allocation (it may grow the heap).
    const src = b.typedArrayFromHeap(x) as Float32Array, sums = b.typedArrayFromHeap(out) as Float32Array;
    sums.fill(0);
    const cols4 = cols - (cols % 4);
    loops.reluGradSums(src.byteOffset, 0, 0, sums.byteOffset, rows, 4 * cols, 4 * cols4, 0);
    for (let c = cols4; c < cols; c++) {
      let s = 0;
      for (let r = 0, i = c; r < rows; r++, i += cols) s = Math.fround(s + src[i]!);
      sums[c] = s;
    }
    return out;
  };
}
