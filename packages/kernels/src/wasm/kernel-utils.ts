/**
 * @module Shared plumbing for kindling's wasm kernel overrides: the stock kernels they build on, a scope that
 * disposes intermediate tensor data, and tensors borrowed from kernel inputs. No Ignite counterpart.
 * Deviations: none (internal helpers).
 */

import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './heap-backend.js';
import { transpose2d } from './simd.js';

/** Arguments every kernel function receives. */
export type KernelArgs = Parameters<KernelFunc>[0];

export type { WasmHeapBackend } from './heap-backend.js';

/** A kernel implementation that returns a single output. */
export type SingleKernel = (args: KernelArgs) => TensorInfo;

/** The stock wasm kernels the overrides delegate to, captured when the fixes are installed. */
export interface StockKernels {
  readonly batchMatMul: KernelFunc;
  readonly fusedMatMul: KernelFunc;
  readonly transpose: KernelFunc;
  readonly reshape: KernelFunc;
}

/**
 * Reads the stock kernels needed by the overrides from TensorFlow.js's registry.
 *
 * @param configs - the kernel configs registered for 'wasm' before kindling replaced any of them, by kernel name.
 * @returns the stock kernels, or undefined when the wasm backend is not registered.
 */
export function stockKernels(configs: ReadonlyMap<string, KernelConfig | null>): StockKernels | undefined {
  const get = (name: string): KernelFunc | undefined => (configs.get(name) ?? tf.getKernel(name, 'wasm'))?.kernelFunc;
  const batchMatMul = get(tf.BatchMatMul);
  const fusedMatMul = get(tf._FusedMatMul);
  const transpose = get(tf.Transpose);
  const reshape = get(tf.Reshape);
  if (batchMatMul === undefined || fusedMatMul === undefined || transpose === undefined || reshape === undefined) return undefined;
  return { batchMatMul, fusedMatMul, transpose, reshape };
}

/** Product of a shape's dimensions (1 for a scalar shape). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Calls stock kernels directly (no engine bookkeeping) and disposes every intermediate result it made, except the
 * ones handed out with {@link KernelScope.keep}.
 */
export class KernelScope {
  readonly #temps: TensorInfo[] = [];
  readonly #backend: KernelBackend;
  readonly #stock: StockKernels;

  constructor(backend: KernelBackend, stock: StockKernels) {
    this.#backend = backend;
    this.#stock = stock;
  }

  #track(out: TensorInfo | TensorInfo[]): TensorInfo {
    const info = Array.isArray(out) ? out[0] : out;
    if (info === undefined) throw new Error('kindling wasm fix: a stock kernel returned no output');
    this.#temps.push(info);
    return info;
  }

  /** Transposes `x`: a matrix with kindling's SIMD loop where it can, else with the stock wasm Transpose kernel. */
  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    const simd = perm.length === 2 && perm[0] === 1 ? transpose2d(this.#backend as WasmHeapBackend, x) : null;
    return this.#track(simd ?? this.#stock.transpose({ inputs: { x }, backend: this.#backend, attrs: { perm } }));
  }

  /** Swaps the last two axes of `x`. */
  transposeLastTwo(x: TensorInfo): TensorInfo {
    const rank = x.shape.length;
    const perm = Array.from({ length: rank }, (_, i) => i);
    perm[rank - 2] = rank - 1;
    perm[rank - 1] = rank - 2;
    return this.transpose(x, perm);
  }

  /** Reshapes `x` (no copy); returns `x` itself when the shape is unchanged. */
  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
    return this.#track(this.#stock.reshape({ inputs: { x }, backend: this.#backend, attrs: { shape } }));
  }

  /** The stock (fast, XNNPACK) product of two non-transposed rank-2 or rank-3 operands with batch 1. */
  matMul(a: TensorInfo, b: TensorInfo): TensorInfo {
    const attrs = { transposeA: false, transposeB: false };
    return this.#track(this.#stock.batchMatMul({ inputs: { a, b }, backend: this.#backend, attrs }));
  }

  /** Calls a stock kernel and tracks its output. */
  run(kernel: KernelFunc, inputs: Record<string, TensorInfo | undefined>, attrs: Record<string, unknown>): TensorInfo {
    const clean: Record<string, TensorInfo> = {};
    for (const [k, v] of Object.entries(inputs)) if (v !== undefined) clean[k] = v;
    return this.#track(kernel({ inputs: clean, backend: this.#backend, attrs: attrs as tf.NamedAttrMap }));
  }

  /** Calls a stock kernel whose inputs are a list (Concat, Pack) and tracks its output. */
  runList(kernel: KernelFunc, list: TensorInfo[], attrs: Record<string, unknown>): TensorInfo {
    const inputs = list as unknown as tf.NamedTensorInfoMap;
    return this.#track(kernel({ inputs, backend: this.#backend, attrs: attrs as tf.NamedAttrMap }));
  }

  /** Adds a tensor info made outside the scope's kernels (e.g. `backend.write`) to the infos it disposes; returns it. */
  adopt(info: TensorInfo): TensorInfo {
    return this.#track(info);
  }

  /** Removes `info` from the scope so that it survives {@link KernelScope.dispose}; returns it. */
  keep(info: TensorInfo): TensorInfo {
    const i = this.#temps.lastIndexOf(info);
    if (i >= 0) this.#temps.splice(i, 1);
    return info;
  }

  /** Releases every intermediate result still held. */
  dispose(): void {
    for (const t of this.#temps.splice(0)) this.#backend.disposeData(t.dataId);
  }
}

/**
 * Wraps a kernel input as a Tensor that shares its data (the data's reference count is raised, so disposing the
 * tensor leaves the input intact), for kernels written with TensorFlow.js ops.
 *
 * @param info - the kernel input.
 * @param backend - the backend that owns the data.
 * @returns a tensor the caller must dispose.
 */
export function borrow<R extends tf.Rank = tf.Rank>(info: TensorInfo, backend: KernelBackend): tf.Tensor<R> {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend) as tf.Tensor<R>;
}

/**
 * Runs a kernel body written with TensorFlow.js ops on borrowed inputs, disposing the borrowed tensors afterwards.
 *
 * @param args - the kernel arguments.
 * @param names - the input names to borrow, in the order `body` receives them.
 * @param body - computes the output from the borrowed tensors (called inside tf.tidy).
 * @returns the output tensor, which the engine adopts as the kernel's result.
 */
export function withInputs(args: KernelArgs, names: readonly string[], body: (...xs: tf.Tensor[]) => tf.Tensor): TensorInfo {
  const backend = args.backend as KernelBackend;
  const inputs = args.inputs as Record<string, TensorInfo | undefined>;
  const xs = names.map((n) => {
    const info = inputs[n];
    if (info === undefined) throw new Error(`kindling wasm fix: missing kernel input '${n}'`);
    return borrow(info, backend);
  });
  try {
    return tf.tidy(() => body(...xs));
  } finally {
    for (const x of xs) x.dispose();
  }
}
