/**
 * @module Side effect: makes sure TensorFlow.js's gradient functions are registered. `@tensorflow/tfjs-core` alone
 * does not register them; tfjs-layers does on import (its Node bundle inlines them, its ESM entry imports
 * `register_all_gradients`), and the supervised steps differentiate any model, including plain functions of
 * tf.Variables. Listed in package.json `sideEffects` so bundlers keep it.
 *
 * Then replaces `Relu`'s gradient by one that runs the fused `dy * step(x)` kernel (backends/fused-kernels.ts) on
 * backends that have it, and TensorFlow.js's own formula elsewhere: same values on every backend, one kernel
 * instead of two where fused.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GRADIENT_KERNELS } from '../backends/fused-kernels.js';

/**
 * The gradient of `Relu` at `x` for the incoming gradient `dy`: `dy * step(x)`, in one fused kernel on backends
 * that register it (bit-identical), TensorFlow.js's `Step` and `Multiply` elsewhere.
 *
 * @param dy - the incoming gradient.
 * @param x - the Relu's input, or its output (`step` agrees on both: positive exactly where the input is).
 * @returns the gradient with respect to `x`.
 * @example
 * ```ts
 * const dx = reluGradient(dy, x);
 * ```
 */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  // (an empty tensor takes the unfused path: the fused kernel has no cpu fallback to hand it to)
  return dy.dtype === 'float32' && x.dtype === 'float32' && x.size > 0 && tf.getKernel(FUSED_GRADIENT_KERNELS.reluGrad, tf.getBackend()) !== undefined
    ? tf.engine().runKernel<tf.Tensor>(FUSED_GRADIENT_KERNELS.reluGrad, { dy, x }, {})
    : tf.mul(dy, tf.step(tf.cast(x, 'float32')));
}

tf.registerGradient({
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0] as tf.Tensor) }),
});
