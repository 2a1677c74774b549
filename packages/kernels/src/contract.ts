/**
 * @module contract The contract between kindling and the backends that accelerate it: the fused kernels' names,
 * inputs, attributes and outputs; the registry of reduced-precision kernels that `autocast` uses; and the state
 * that fused paths read (which backends an `autocast` scope is active on, per-backend size limits). Importing it
 * changes nothing in TensorFlow.js. A backend that registers them makes `applyGradients` update each variable in one kernel call instead
 * of the 2 (SGD), 4 (Momentum) or 11 (Adam) kernels of TensorFlow.js's optimizers, `crossEntropyLoss` on class
 * indices run one kernel forward and one backward instead of about ten each, `Relu`'s gradient one kernel instead
 * of two, and a Dense or Conv2D layer's product (convolution), bias and ReLU one kernel while a gradient tape
 * records, with one-kernel gradients. 'kindling-native' registers all of them, and so do kindling's wasm fixes;
 * elsewhere the unfused paths run. No Ignite counterpart (PyTorch's fused optimizers and its `cross_entropy` kernel
 * play this role). Deviations: none; the optimizer updates, the Relu gradient and the layers are bit-identical to
 * TensorFlow.js's (the wasm Dense layer within float32 rounding), the loss equal to the unfused computation within
 * float32 rounding.
 */
import type { KernelFunc, NamedAttrMap, NamedTensorInfoMap } from '@tensorflow/tfjs-core';

/**
 * Kernel names of the fused updates, by TensorFlow.js optimizer.
 *
 * - `sgd` — inputs `{ value, gradient, c }` (`c` = the optimizer's `-learningRate` scalar); no attributes;
 *   outputs `[newValue]` = `c * gradient + value`.
 * - `momentum` — inputs `{ value, accumulation, gradient, c, m }`; attribute `useNesterov`; outputs
 *   `[newValue, newAccumulation]` with `newAccumulation = m * accumulation + gradient` and
 *   `newValue = c * newAccumulation + value` (Nesterov: `c * (gradient + newAccumulation * m) + value`).
 * - `adam` — inputs `{ value, firstMoment, secondMoment, gradient, accBeta1, accBeta2 }`; attributes `beta1`,
 *   `beta2`, `epsilon`, `learningRate`; outputs `[newValue, newFirstMoment, newSecondMoment]`, computed like
 *   `AdamOptimizer.applyGradients` (float32 operations in the same order).
 *
 */
export const FUSED_UPDATE_KERNELS = {
  sgd: 'KindlingSgdUpdate',
  momentum: 'KindlingMomentumUpdate',
  adam: 'KindlingAdamUpdate',
} as const;

/**
 * Optional: a backend with the fused update kernels may also run them in place, overwriting the value and slot
 * tensors' storage (outputs in order: value, then the slots) when it can prove that nothing else observes it;
 * `applyGradients` tries this first and runs the kernel (new tensors, assigned) when it returns false.
 *
 */
export interface FusedInPlaceBackend {
  runFusedUpdateInPlace(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): boolean;
}

/** The optimizers with a fused update kernel. */
export type FusedOptimizerKind = keyof typeof FUSED_UPDATE_KERNELS;

/**
 * Kernel names of the fused losses.
 *
 * - `sparseSoftmaxCrossEntropy` — inputs `{ logits, labels }` (float32 `[N, C]`, int32 `[N]`); attribute
 *   `reduction` (`'none'`, the default, `'mean'` or `'sum'`); outputs `[loss, backprop]`: the float32 per-sample
 *   losses `loss[i] = -logSoftmax(logits[i])[labels[i]]` (`[N]`), or their mean or sum as the `Mean` / `Sum` kernel
 *   computes it (`[]`), and float32 `[N, C]` with `backprop[i] = softmax(logits[i]) - oneHot(labels[i])`, the
 *   gradient of `loss[i]`. A label outside `[0, C)` (an ignored sample) gives a loss of 0 and a zero gradient row.
 *   Its gradient (registered by kindling) is `dLoss[:, None] * backprop`, `(dLoss / N) * backprop` for the mean
 *   and `dLoss * backprop` for the sum (Mean's and Sum's gradients, then the rows').
 *
 */
export const FUSED_LOSS_KERNELS = {
  sparseSoftmaxCrossEntropy: 'KindlingSparseSoftmaxCrossEntropy',
} as const;

/**
 * Kernel names of the fused gradients.
 *
 * - `reluGrad` — inputs `{ dy, x }` (float32, same shape); outputs `dy * step(x)` (TensorFlow.js's `Step`: 1 for
 *   x > 0, 0 otherwise, NaN for NaN), the gradient of `Relu` in one kernel instead of `Step` and `Multiply`.
 *   kindling registers `Relu`'s gradient to use it where the backend has it (bit-identical results).
 *
 */
export const FUSED_GRADIENT_KERNELS = {
  reluGrad: 'KindlingReluGrad',
} as const;

/**
 * Kernel names of the fused layers.
 *
 * - `dense` — inputs `{ a, b, bias? }` (float32 `[M, K]`, `[K, N]`, `[N]`); attributes `transposeA: false`,
 *   `transposeB: false`, `activation` (`'linear'` or `'relu'`); outputs `activation(a·b + bias)`, `[M, N]`, with
 *   the same values as `BatchMatMul`, then `Add`, then `Relu` on that backend (TensorFlow.js's `_FusedMatMul`
 *   contract, which the backend's `_FusedMatMul` kernel may serve; within float32 rounding when it adds the bias
 *   first, as XNNPACK does on wasm). kindling registers its gradient and, while a
 *   gradient tape records, routes `tf.fused.matMul` (what tf.layers' Dense layer calls) to it on backends that
 *   register it: one kernel forward and three backward per Dense layer, where TensorFlow.js runs
 *   `BatchMatMul`, `Add` and `Relu` under a tape (it fuses only when not recording).
 * - `denseGrad` — optional, the backward pass of `dense` in one kernel: inputs `{ dy, a, y }` (float32 `[M, N]`,
 *   `[M, K]`, and the dense kernel's output `[M, N]`, only with `activation: 'relu'`); attribute `activation`;
 *   outputs `[dB, dBias, g]`: `g = dy * step(y)` (`[M, N]`, the ReLU's gradient; absent for `'linear'`, where
 *   `g = dy`), `dB = aᵀ·g` (`[K, N]`) and `dBias` = the column sums of `g` (`[N]`), with the values of
 *   `KindlingReluGrad`, `BatchMatMul` (transposeA) and `Sum` on that backend. Where a backend registers it, the
 *   dense kernel's gradient runs it, plus one product for `a`'s gradient when `a` needs one: one or two kernels
 *   back instead of three or four.
 * - `conv2d` — inputs `{ x, filter, bias? }` (float32 NHWC `[N, H, W, C]`, `[fh, fw, C, K]`, `[K]`); attributes
 *   `strides`, `pad` (`'valid'`, `'same'` or a number), `dataFormat: 'NHWC'`, `dilations: [1, 1]`, `activation`
 *   (`'linear'` or `'relu'`); outputs `activation(conv2d(x, filter) + bias)` with the values of `Conv2D`, then `Add`,
 *   then `Relu` on that backend (TensorFlow.js's `FusedConv2D` contract). kindling routes `tf.fused.conv2d` (what
 *   tf.layers' Conv2D calls) to it while a gradient tape records, as for `dense`, and registers its gradient.
 * - `biasActGrad` — inputs `{ dy, y }` (float32, channels last; `y`, the layer's output, only with
 *   `activation: 'relu'`); attribute `activation`; outputs `[dBias, g]`: `g = dy * step(y)` (absent for `'linear'`)
 *   and `dBias`, the sums of `g` over every axis but the last, with the values of `KindlingReluGrad` and `Sum` on
 *   that backend. The gradient of `conv2d` runs it, then the two convolution backprops.
 *
 */
export const FUSED_LAYER_KERNELS = {
  dense: 'KindlingDense',
  denseGrad: 'KindlingDenseGrad',
  conv2d: 'KindlingConv2D',
  biasActGrad: 'KindlingBiasActGrad',
} as const;

/** A reduced floating-point dtype of mixed precision (TensorFlow.js has neither as a tensor dtype). */
export type AmpDtype = 'float16' | 'bfloat16';

/** Kernels that compute natively in a reduced dtype, by `backend/kernel/dtype`. */
const reducedPrecisionKernels = new Map<string, KernelFunc>();

/**
 * Registers a kernel that computes natively in a reduced dtype (for example bfloat16 matmul with float32
 * accumulation): inside kindling's `autocast` with that dtype, on that backend, it replaces the emulation
 * (rounding float32 operands with tensor ops). It must have autocast's semantics: float32 operands rounded to
 * `dtype` (round-to-nearest-even), products accumulated in at least float32, the float32 output rounded to `dtype`.
 *
 * @param backendName - the backend, e.g. `'kindling-native'`.
 * @param kernelName - one of kindling's `AUTOCAST_KERNELS`.
 * @param dtype - the reduced dtype it computes in.
 * @param kernelFunc - the kernel, or null to remove a registration.
 */
export function registerReducedPrecisionKernel(backendName: string, kernelName: string, dtype: AmpDtype, kernelFunc: KernelFunc | null): void {
  const key = `${backendName}/${kernelName}/${dtype}`;
  if (kernelFunc === null) reducedPrecisionKernels.delete(key);
  else reducedPrecisionKernels.set(key, kernelFunc);
}

/**
 * The reduced-precision kernel registered for a backend, kernel and dtype (see
 * {@link registerReducedPrecisionKernel}), if any.
 *
 * @param backendName - the backend.
 * @param kernelName - the kernel.
 * @param dtype - the reduced dtype.
 * @returns the kernel function, or undefined when autocast emulates that dtype there.
 */
export function reducedPrecisionKernel(backendName: string, kernelName: string, dtype: AmpDtype): KernelFunc | undefined {
  return reducedPrecisionKernels.get(`${backendName}/${kernelName}/${dtype}`);
}

/** Per backend name, how many `autocast` scopes have swapped reduced-precision kernels in. */
const autocastDepth = new Map<string, number>();

/**
 * Records that an `autocast` scope starts (`+1`) or ends (`-1`) on a backend. Called by kindling's `autocast`.
 *
 * @param backendName - the backend the scope swapped kernels on.
 * @param delta - `+1` when the scope starts, `-1` when it ends.
 */
export function noteAutocastScope(backendName: string, delta: 1 | -1): void {
  const depth = (autocastDepth.get(backendName) ?? 0) + delta;
  if (depth > 0) autocastDepth.set(backendName, depth);
  else autocastDepth.delete(backendName);
}

/**
 * Whether an `autocast` scope is active on `backendName` right now. Fused paths that would bypass the
 * reduced-precision kernels (the fused Dense and Conv2D routes) check it and step aside.
 *
 * @param backendName - a TensorFlow.js backend name.
 * @returns true inside `autocast(...)` on that backend.
 */
export function autocastActiveOn(backendName: string): boolean {
  return autocastDepth.has(backendName);
}

/** Per backend name, the largest logits (in elements) its fused cross-entropy kernel is faster on. */
const fusedLossMaxSize = new Map<string, number>();

/**
 * Sets the largest logits tensor (in elements) for which a backend's fused sparse softmax cross-entropy kernel should
 * be used (a backend whose kernel is slower than the unfused path on large inputs sets it when it registers).
 *
 * @param backendName - the backend.
 * @param maxSize - elements, or `Infinity` for no limit.
 */
export function setFusedLossMaxSize(backendName: string, maxSize: number): void {
  fusedLossMaxSize.set(backendName, maxSize);
}

/**
 * The largest logits tensor (in elements) on which `backendName`'s fused cross-entropy kernel should run.
 *
 * @param backendName - the backend.
 * @returns elements (`Infinity` unless the backend set a limit).
 */
export function fusedLossMaxSizeOn(backendName: string): number {
  return fusedLossMaxSize.get(backendName) ?? Infinity;
}
