/**
 * @module training/fused-losses The fused sparse softmax cross-entropy behind `crossEntropyLoss` on class indices,
 * on backends that register its kernel (backends/fused-kernels.ts; 'kindling-native' does), and its gradient.
 * Ignite counterpart: none (PyTorch's `cross_entropy` is one kernel forward and one backward, which this gives
 * TensorFlow.js). Deviations: none — equal to the unfused computation within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS } from '../backends/fused-kernels.js';

const KERNEL = FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy;

// The gradient of the per-sample losses with respect to the logits is the kernel's second output (saved by the
// engine), scaled per row by the incoming gradient. The labels are int32 class indices: never differentiated
// (TensorFlow.js prunes them from the tape, as they do not depend on the variables).
tf.registerGradient({
  kernelName: KERNEL,
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const dLoss = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor;
    const backprop = saved[0] as tf.Tensor;
    return { logits: () => tf.mul(tf.expandDims(dLoss, 1), backprop) };
  },
});

/**
 * Whether the active backend has the fused sparse softmax cross-entropy kernel.
 *
 * @returns true on 'kindling-native' (once registered).
 * @example
 * ```ts
 * if (fusedCrossEntropyAvailable()) console.log('one kernel per cross-entropy');
 * ```
 */
export function fusedCrossEntropyAvailable(): boolean {
  return tf.getKernel(KERNEL, tf.getBackend()) !== undefined;
}

/**
 * Per-sample softmax cross-entropy of `logits` `[N, C]` against int32 class indices `[N]` in one kernel call, or
 * null when the active backend has no fused kernel (or the dtypes/shapes are not these): the caller then runs the
 * unfused ops. Samples whose label is outside `[0, C)` get a loss of 0 and no gradient (the caller weights or
 * rejects them).
 *
 * @param logits - float32 `[N, C]`.
 * @param labels - int32 `[N]`.
 * @returns float32 `[N]`, differentiable with respect to `logits`, or null.
 * @example
 * ```ts
 * const perSample = fusedSparseSoftmaxCrossEntropy(logits, labels) ?? unfused(logits, labels);
 * ```
 */
export function fusedSparseSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor | null {
  if (!fusedCrossEntropyAvailable()) return null;
  if (logits.dtype !== 'float32' || logits.rank !== 2 || labels.dtype !== 'int32' || labels.rank !== 1 ||
    labels.shape[0] !== logits.shape[0] || logits.size === 0) return null;
  const [loss, backprop] = tf.engine().runKernel(KERNEL, { logits, labels }, {}) as unknown as [tf.Tensor, tf.Tensor];
  backprop.dispose(); // the engine keeps its own reference for the gradient
  return loss;
}
