/**
 * @module kindling's own WebAssembly SIMD loops for the wasm backend: a small module, assembled here from bytes,
 * that imports the wasm backend's memory and runs the fused optimizer updates and a Dense layer's ReLU gradient with
 * its bias sums as single vectorised passes over the heap. No Ignite counterpart (PyTorch's vectorised CPU kernels
 * play this role). Deviations: none: every element goes through the same float32 operations, in the same order, as
 * the stock kernels they replace (IEEE-exact in WebAssembly), so the results are bit-identical.
 *
 * Why hand-assembled: TensorFlow.js's wasm kernels are compiled into its own binary, and a composition of them makes
 * one pass over the data per operation (Momentum: 4 passes over three arrays; measured 1.6 ms per step for the MLP's
 * 400k-weight layer), while scalar JavaScript over the heap is slower still. A second WebAssembly module can share
 * the backend's memory (functions: wasm-simd-funcs.ts; encoder: wasm-asm.ts). It is compiled synchronously (it is
 * about 2 KB, under the 4 KB browsers allow on the main thread), once per backend memory.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './heap-backend.js';
import { moduleBytes, type Func } from './asm.js';
import { ADAM, BIAS_RELU, MOMENTUM, POOL_GRAD_WINDOW, RELU_GRAD, RELU_GRAD_SUMS, SGD, transposeFunc } from './simd-funcs.js';

const FUNCS: Record<string, Func> = {
  sgd: SGD, momentum: MOMENTUM, adam: ADAM, reluGradSums: RELU_GRAD_SUMS, transpose: transposeFunc(false), transposeBiasRelu: transposeFunc(true),
  poolGradWindow: POOL_GRAD_WINDOW, reluGrad: RELU_GRAD, biasRelu: BIAS_RELU,
};

/**
 * The module's bytes (for tests: browsers compile at most 4 KB synchronously on the main thread).
 *
 * @param shared - for a shared memory (the threaded build).
 * @returns the bytes.
 */
export function simdModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  return moduleBytes(FUNCS, shared);
}

/** The exported loops (pointers and lengths in bytes). */
export interface SimdLoops {
  sgd(v: number, g: number, out: number, bytes: number, c: number): void;
  momentum(v: number, acc: number, g: number, outV: number, outAcc: number, bytes: number, c: number, m: number, nesterov: number): void;
  adam(v: number, m1: number, m2: number, g: number, outV: number, outM1: number, outM2: number, bytes: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, c1: number, c2: number, eps: number, negLr: number): void;
  reluGradSums(dy: number, y: number, g: number, sums: number, rows: number, rowBytes: number, vecBytes: number, relu: number): void;
  transpose(src: number, dst: number, rowBlocks: number, colBytes: number, srcStride: number, dstStride: number): void;
  transposeBiasRelu(src: number, dst: number, rowBlocks: number, colBytes: number, srcStride: number, dstStride: number, bias: number, mode: number): void;
  poolGradWindow(x: number, dx: number, dy: number, rows: number, cols: number, rowStride: number, colStride: number, chanBytes: number): void;
  reluGrad(dy: number, x: number, out: number, bytes: number): void;
  biasRelu(x: number, bias: number, out: number, rows: number, rowBytes: number, vecBytes: number, mode: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();
let enabled = true;

/**
 * Turns kindling's SIMD loops on or off (on by default); off, the kernels that use them run TensorFlow.js's stock
 * wasm kernels instead, with the same results: a switch for tests and for comparing the two.
 *
 * @param on - false for the stock kernels.
 * @example
 * ```ts
 * import { setWasmSimdLoops } from 'kindling';
 * setWasmSimdLoops(false); // the fused optimizer updates run XNNPACK's Multiply and Add again
 * ```
 */
export function setWasmSimdLoops(on: boolean): void {
  enabled = on;
}

/** The backend's WebAssembly.Memory: exported by the single-threaded builds, imported (and kept) by the threaded one. */
function memoryOf(backend: WasmHeapBackend): WebAssembly.Memory | null {
  const wasm = (backend as unknown as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * kindling's SIMD loops on the wasm backend's heap, or null where they cannot run (no WebAssembly SIMD in this
 * engine, or a backend build that does not expose its memory): callers then use the stock kernels.
 *
 * @param backend - the wasm backend.
 * @returns the loops, bound to the backend's memory.
 * @example
 * ```ts
 * const loops = simdLoops(backend);
 * loops?.sgd(vPtr, gPtr, outPtr, 4 * n4, c); // pointers: typedArrayFromHeap(info).byteOffset
 * ```
 */
export function simdLoops(backend: WasmHeapBackend): SimdLoops | null {
  const memory = enabled ? memoryOf(backend) : null;
  if (memory === null) return null;
  let loops = instances.get(memory);
  if (loops === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(FUNCS, shared)), { env: { memory } });
      loops = instance.exports as unknown as SimdLoops;
    } catch {
      loops = null; // no SIMD (or no shared memory support) in this engine
    }
    instances.set(memory, loops);
  }
  return loops;
}

/** What {@link transpose2d} applies to each transposed value: a bias per output column, then a ReLU. */
export interface TransposeEpilogue {
  /** float32 `[rows of x]`: added to every output row. */
  bias?: TensorInfo;
  relu?: boolean;
}

/**
 * Transposes a rank-2 tensor of 32-bit values on the wasm heap with the SIMD loop (4 x 4 blocks; the edges in
 * JavaScript): the same bits as TensorFlow.js's wasm `Transpose`, several times faster on large matrices. With an
 * epilogue (float32 only), also adds a bias per output column and applies a ReLU, with the values of the wasm `Add`
 * and `Relu` kernels run after the transpose.
 *
 * @param backend - the wasm backend.
 * @param x - a rank-2 float32 or int32 tensor on it.
 * @param epilogue - bias and ReLU to fuse (float32 `x` only).
 * @returns the new `[cols, rows]` tensor data (the caller owns it), or null when the loops are unavailable or `x` is
 *   not such a tensor.
 */
export function transpose2d(backend: WasmHeapBackend, x: TensorInfo, epilogue: TransposeEpilogue = {}): TensorInfo | null {
  const loops = simdLoops(backend);
  const fused = epilogue.bias !== undefined || epilogue.relu === true;
  if (loops === null || x.shape.length !== 2 || (x.dtype !== 'float32' && (fused || x.dtype !== 'int32'))) return null;
  const [rows = 0, cols = 0] = x.shape;
  if (epilogue.bias !== undefined && (epilogue.bias.dtype !== 'float32' || epilogue.bias.shape.length !== 1 || epilogue.bias.shape[0] !== rows)) return null;
  const out = backend.makeOutput([cols, rows], x.dtype);
  if (rows * cols === 0) return out;
  // Views after the allocation (it may grow the heap); 32-bit integer views copy any bits exactly.
  const xv = backend.typedArrayFromHeap(x), ov = backend.typedArrayFromHeap(out);
  const src = new Int32Array(xv.buffer, xv.byteOffset, rows * cols), dst = new Int32Array(ov.buffer, ov.byteOffset, rows * cols);
  const rows4 = rows - (rows % 4), cols4 = cols - (cols % 4);
  const bias = epilogue.bias === undefined ? null : backend.typedArrayFromHeap(epilogue.bias) as Float32Array;
  if (rows4 > 0 && cols4 > 0) {
    if (fused) {
      const mode = (bias === null ? 0 : 1) | (epilogue.relu === true ? 2 : 0);
      loops.transposeBiasRelu(src.byteOffset, dst.byteOffset, rows4 / 4, 4 * cols4, 4 * cols, 4 * rows, bias?.byteOffset ?? 0, mode);
    } else {
      loops.transpose(src.byteOffset, dst.byteOffset, rows4 / 4, 4 * cols4, 4 * cols, 4 * rows);
    }
  }
  const fsrc = new Float32Array(src.buffer, src.byteOffset, rows * cols), fdst = new Float32Array(dst.buffer, dst.byteOffset, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = r < rows4 ? cols4 : 0; c < cols; c++) {
      if (!fused) {
        dst[c * rows + r] = src[r * cols + c]!;
        continue;
      }
      const o = c * rows + r;
      if (bias !== null) fdst[o] = fsrc[r * cols + c]! + bias[r]!;
      else dst[o] = src[r * cols + c]!;
      // the wasm Relu: the signed-integer max of the bits with 0 (every value with its sign bit set becomes +0)
      if (epilogue.relu === true && dst[o]! < 0) dst[o] = 0;
    }
  }
  return out;
}
