/**
 * @module gradients/loss The gradient of the fused sparse softmax cross-entropy kernel (see contract.ts), registered
 * by `installKernels()`. The gradient of the per-sample losses with respect to the logits is the kernel's second
 * output (saved by the engine), scaled per row by the incoming gradient. The labels are int32 class indices: never
 * differentiated (TensorFlow.js prunes them from the tape, as they do not depend on the variables).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS } from '../contract.js';

/** The fused cross-entropy kernel's gradient. */
export const CROSS_ENTROPY_GRADIENT: tf.GradConfig = {
  kernelName: FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy,
  outputsToSave: [false, true],
  gradFunc: (dy, saved, attrs) => {
    const dLoss = (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor;
    const backprop = saved[0] as tf.Tensor;
    const reduction = attrs['reduction'] ?? 'none';
    if (reduction === 'none') return { logits: () => tf.mul(tf.expandDims(dLoss, 1), backprop) };
    // A reduced loss: Mean's gradient (dLoss / N for every sample) or Sum's (dLoss), then the rows' gradient.
    return { logits: () => tf.mul(reduction === 'mean' ? tf.div(dLoss, backprop.shape[0] ?? 1) : dLoss, backprop) };
  },
};
