/**
 * @module backends/fused-losses The fused sparse softmax cross-entropy behind `crossEntropyLoss` on class indices,
 * on backends that register its kernel (the contract of `@kindling/kernels`; 'kindling-native' and kindling's wasm
 * kernels do; its gradient is registered with them).
 * Ignite counterpart: none (PyTorch's `cross_entropy` is one kernel forward and one backward, which this gives
 * TensorFlow.js). Deviations: none — equal to the unfused computation within float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS, fusedLossMaxSizeOn } from '@kindling/kernels/contract';

const KERNEL = FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy;

/**
 * Whether `crossEntropyLoss(logits, labels)` can run the fused kernel: the active backend has it, the logits are
 * float32 `[N, C]` (not empty, and at most `WASM_FUSED_LOSS_MAX_SIZE` elements on wasm) and the labels int32 class
 * indices `[N]`.
 *
 * @param logits - the loss input.
 * @param labels - the loss target.
 * @returns true when {@link fusedSparseSoftmaxCrossEntropy} applies.
 */
export function canFuseCrossEntropy(logits: tf.Tensor, labels: tf.Tensor): boolean {
  const backend = tf.getBackend();
  return logits.dtype === 'float32' && logits.rank === 2 && logits.size > 0 && labels.dtype === 'int32' &&
    labels.rank === 1 && labels.shape[0] === logits.shape[0] && tf.getKernel(KERNEL, backend) !== undefined &&
    logits.size <= fusedLossMaxSizeOn(backend);
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
 */
export function fusedSparseSoftmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor, reduction: 'none' | 'mean' | 'sum' = 'none'): tf.Tensor {
  const [loss, backprop] = tf.engine().runKernel(KERNEL, { logits, labels }, { reduction }) as unknown as [tf.Tensor, tf.Tensor];
  backprop.dispose(); // the engine keeps its own reference for the gradient
  return loss;
}
