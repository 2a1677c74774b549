/**
 * @module Kernel fixes for TensorFlow.js's wasm backend (tfjs-backend-wasm 4.22): fast transposed and batched matrix
 * products, fast convolution and max-pool gradients, and the gradient kernels it lacks (`Conv2DBackpropFilter`,
 * tensorflow/tfjs#8474; depthwise backprops; `UnsortedSegmentSum`), so that dense, convolutional and embedding
 * models train on wasm, and fast; kindling's fused Dense layer, cross-entropy (wasm-losses.ts) and optimizer updates (wasm-updates.ts: one kernel
 * call per variable, for `applyGradients`); and an `Identity` that shares data instead of copying it (the clones TensorFlow.js
 * makes of every tensor a gradient saves). No Ignite counterpart (PyTorch's CPU kernels need no fixing). Deviations: none; every override matches the cpu backend
 * within float32 rounding.
 *
 * Hand-written because no library ships kernel overrides for tfjs-backend-wasm; the stock XNNPACK kernels do the
 * arithmetic, the overrides only rearrange memory around them.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs-core';
import { stockKernels, type SingleKernel, type StockKernels } from './kernel-utils.js';
import { makeBatchMatMul, makeDense, makeFusedMatMul } from './matmul.js';
import { makeDenseGrad, makeReluGrad } from './dense-grad.js';
import { makeBiasActGrad, makeConvLayer } from './conv-layer.js';
import { makeSum } from './reduce.js';
import { FUSED_GRADIENT_KERNELS, FUSED_LAYER_KERNELS, FUSED_LOSS_KERNELS, FUSED_UPDATE_KERNELS, setFusedLossMaxSize } from '../contract.js';
import { WASM_FUSED_LOSS_MAX_SIZE, wasmSparseSoftmaxCrossEntropy } from './losses.js';
import { installFusedPaths } from '../gradients/index.js';
import { wasmUpdateKernels } from './updates.js';
import { conv2dBackpropFilter, conv2dBackpropInput, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv.js';
import { unsortedSegmentSum } from './segment.js';
import { makeMaxPoolGrad } from './pool.js';

/** The kernels kindling registers for the 'wasm' backend, by TensorFlow.js kernel name. */
export const WASM_FIXED_KERNELS: readonly string[] = Object.freeze([
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNativeBackpropInput,
  tf.DepthwiseConv2dNativeBackpropFilter,
  tf.UnsortedSegmentSum,
  tf.MaxPoolGrad,
  tf.Identity,
  tf.Sum,
  FUSED_LAYER_KERNELS.dense,
  FUSED_LAYER_KERNELS.denseGrad,
  FUSED_GRADIENT_KERNELS.reluGrad,
  FUSED_LAYER_KERNELS.conv2d,
  FUSED_LAYER_KERNELS.biasActGrad,
  ...Object.values(FUSED_UPDATE_KERNELS),
  FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy,
]);

/**
 * `Identity` sharing its input's data (reference-counted), as the cpu backend does, instead of the stock wasm kernel's
 * copy: TensorFlow.js clones every tensor a gradient saves (both operands of each product, so a whole weight matrix per
 * layer per step) and no wasm kernel writes into its inputs, so the copy bought nothing. Strings keep the stock kernel.
 */
function makeIdentity(stock: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') {
      if (stock === undefined) throw new TypeError("wasm Identity: no input 'x' or a string tensor without the stock kernel");
      return stock(args);
    }
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
}

function implementation(name: string, stock: StockKernels, original: KernelConfig | null): SingleKernel | KernelFunc {
  switch (name) {
    case tf.Identity: return makeIdentity(original?.kernelFunc);
    case tf.Sum: return makeSum(original?.kernelFunc);
    case FUSED_LAYER_KERNELS.dense: return makeDense(stock);
    case FUSED_LAYER_KERNELS.denseGrad: return makeDenseGrad(stock);
    case FUSED_GRADIENT_KERNELS.reluGrad: return makeReluGrad(stock);
    case FUSED_LAYER_KERNELS.conv2d: return makeConvLayer(tf.getKernel(tf.Conv2D, 'wasm')?.kernelFunc, tf.getKernel(tf.FusedConv2D, 'wasm')?.kernelFunc);
    case FUSED_LAYER_KERNELS.biasActGrad: return makeBiasActGrad();
    case FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy: return wasmSparseSoftmaxCrossEntropy;
    case FUSED_UPDATE_KERNELS.sgd: case FUSED_UPDATE_KERNELS.momentum: case FUSED_UPDATE_KERNELS.adam:
      return wasmUpdateKernels(stock)[name]!;
    case tf.MaxPoolGrad: return makeMaxPoolGrad(original?.kernelFunc);
    case tf.BatchMatMul: return makeBatchMatMul(stock);
    case tf._FusedMatMul: return makeFusedMatMul(stock);
    case tf.Conv2DBackpropInput: return conv2dBackpropInput;
    case tf.Conv2DBackpropFilter: return conv2dBackpropFilter;
    case tf.DepthwiseConv2dNativeBackpropInput: return depthwiseBackpropInput;
    case tf.DepthwiseConv2dNativeBackpropFilter: return depthwiseBackpropFilter;
    default: return unsortedSegmentSum;
  }
}

/** The stock config of every replaced kernel (null: the stock backend had none), while the fixes are installed. */
const replaced = new Map<string, KernelConfig | null>();

/**
 * Installs kindling's wasm kernel fixes: registers its kernels for the 'wasm' backend, unregistering (and keeping)
 * the stock ones it replaces. Idempotent. Call it after importing `@tensorflow/tfjs-backend-wasm`, before or after
 * the backend is initialised; the fixes apply to every later kernel call on wasm.
 *
 * @returns true when the fixes are installed, false when the wasm backend is not registered (nothing is changed).
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { installWasmFixes } from 'kindling';
 *
 * installWasmFixes();
 * await tf.setBackend('wasm');
 * // conv nets and embeddings now train on wasm; backward matmuls take the fast path
 * ```
 */
export function installWasmFixes(): boolean {
  if (replaced.size > 0) return true;
  const originals = new Map<string, KernelConfig | null>(WASM_FIXED_KERNELS.map((n) => [n, tf.getKernel(n, 'wasm') ?? null]));
  const stock = stockKernels(originals);
  if (stock === undefined) return false;
  for (const [name, original] of originals) {
    if (original !== null) tf.unregisterKernel(name, 'wasm');
    // Keep the stock setupFunc/disposeFunc: the backend runs them at initialisation and the delegates rely on them.
    const base: KernelConfig = original ?? { kernelName: name, backendName: 'wasm', kernelFunc: () => [] };
    tf.registerKernel({ ...base, kernelFunc: implementation(name, stock, original) });
    replaced.set(name, original);
  }
  setFusedLossMaxSize('wasm', WASM_FUSED_LOSS_MAX_SIZE);
  installFusedPaths(); // the gradients of the fused kernels and the layer routes
  return true;
}

/**
 * Removes kindling's wasm kernels and re-registers the stock ones (the very same configs). Idempotent.
 *
 * @example
 * ```ts
 * import { installWasmFixes, uninstallWasmFixes } from 'kindling';
 *
 * installWasmFixes();
 * uninstallWasmFixes(); // tf.getKernel('BatchMatMul', 'wasm') is the stock config again
 * ```
 */
export function uninstallWasmFixes(): void {
  for (const [name, original] of replaced) {
    tf.unregisterKernel(name, 'wasm');
    if (original !== null) tf.registerKernel(original);
  }
  replaced.clear();
}

/**
 * Whether kindling's wasm kernel fixes are installed.
 *
 * @returns true between {@link installWasmFixes} and {@link uninstallWasmFixes}.
 * @example
 * ```ts
 * import { installWasmFixes, wasmFixesInstalled } from 'kindling';
 *
 * installWasmFixes();
 * wasmFixesInstalled(); // true
 * ```
 */
export function wasmFixesInstalled(): boolean {
  return replaced.size > 0;
}
