/**
 * @module training/fused-losses The fused sparse softmax cross-entropy behind `crossEntropyLoss` on class indices,
 * on backends that register its kernel (backends/fused-kernels.ts; 'kindling-native' does), and its gradient.
 * Ignite counterpart: none (PyTorch's `cross_entropy` is one kernel forward and one backward, which this gives
 * TensorFlow.js). Deviations: none — equal to the unfused computation within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS } from '../backends/fused-kernels.js';
import { WASM_FUSED_LOSS_MAX_SIZE } from '../backends/wasm-losses.js';

const KERNEL = FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy;

// The gradient of the per-sample losses with respect to the logits is the kernel's second output (saved by the
// engine), scaled per row by the incoming gradient. The labels are int32 class indices: never differentiated
// (TensorFlow.js prunes them from the tape, as they do not depend on the variables).
tf.registerGradient({
  kernelName: KERNEL,
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const dLoss = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor;
    const backprop = saved[0] as tf.Tensor;
    const reduction = attrs['reduction'] ?? 'none';
    if (reduction === 'none') return { logits: () => tf.mul(tf.expandDims(dLoss, 1), backprop) };
    // A reduced loss: Mean's gradient (dLoss / N for every sample) or Sum's (dLoss), then the rows' gradient.
    return { logits: () => tf.mul(reduction === 'mean' ? tf.div(dLoss, backprop.shape[0] ?? 1) : dLoss, backprop) };
  },
});

/** Per backend, the largest logits its fused kernel is faster on (wasm's is scalar JavaScript). */
const MAX_SIZE: Readonly<Record<string, number>> = { wasm: WASM_FUSED_LOSS_MAX_SIZE };

/**
 * Whether `crossEntropyLoss(logits, labels)` can run the fused kernel: the active backend has it, the logits are
 * float32 `[N, C]` (not empty, and at most `WASM_FUSED_LOSS_MAX_SIZE` elements on wasm) and the labels int32 class
 * indices `[N]`.
 *
 * @param logits - the loss input.
 * @param labels - the loss target.
 * @returns true when {@link fusedSparseSoftmaxCrossEntropy} applies.
 * @example
 * ```ts
 * const perSample = canFuseCrossEntropy(logits, labels) ? fusedSparseSoftmaxCrossEntropy(logits, labels) : unfused();
 * ```
 */
export function canFuseCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return logits.dtype === 'float32' && logits.rank === 2 && logits.size > 0 && labels.dtype === 'int32' &&
    labels.rank === 1 && labels.shape[0] === logits.shape[0] && tf.getKernel(KERNEL, backend) !== undefined &&
    logits.size <= (MAX_SIZE[backend] ?? Infinity);
}

/**
 * Per-sample softmax cross-entropy of `logits` `[N, C]` against int32 class indices `[N]` in one kernel call
 * (check {@link canFuseCrossEntropy} first), or its mean or sum in the same call. Samples whose label is outside
 * `[0, C)` get a loss of 0 and no gradient (the caller weights or rejects them; the mean still counts them).
 *
 * @param logits - float32 `[N, C]`.
 * @param labels - int32 `[N]`.
 * @param reduction - `'none'` (default): the `[N]` losses; `'mean'` / `'sum'`: their mean / sum, a scalar.
 * @returns float32 `[N]` or a scalar, differentiable with respect to `logits`.
 * @example
 * ```ts
 * const perSample = fusedSparseSoftmaxCrossEntropy(logits, labels);
 * ```
 */
export function fusedSparseSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, reduction: 'none' | 'mean' | 'sum' = 'none'): tf.Tensor {
  const [loss, backprop] = tf.engine().runKernel(KERNEL, { logits, labels }, { reduction }) as unknown as [tf.Tensor, tf.Tensor];
  backprop.dispose(); // the engine keeps its own reference for the gradient
  return loss;
}
