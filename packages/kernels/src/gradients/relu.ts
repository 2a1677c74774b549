/**
 * @module gradients/relu `Relu`'s gradient in one fused kernel (`dy * step(x)`, see contract.ts) on backends that
 * register it, and TensorFlow.js's own formula elsewhere: same values on every backend, one kernel instead of two
 * where fused. Installed by `installKernels()`; nothing changes until then.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_GRADIENT_KERNELS } from '../contract.js';

/**
 * The gradient of `Relu` at `x` for the incoming gradient `dy`: `dy * step(x)`, in one fused kernel on backends
 * that register it (bit-identical), TensorFlow.js's `Step` and `Multiply` elsewhere.
 *
 * @param dy - the incoming gradient.
 * @param x - the Relu's input, or its output (`step` agrees on both: positive exactly where the input is).
 * @returns the gradient with respect to `x`.
 */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  // (an empty tensor takes the unfused path: the fused kernel has no cpu fallback to hand it to)
  return dy.dtype === 'float32' && x.dtype === 'float32' && x.size > 0 && tf.getKernel(FUSED_GRADIENT_KERNELS.reluGrad, tf.getBackend()) !== undefined
    ? tf.engine().runKernel<tf.Tensor>(FUSED_GRADIENT_KERNELS.reluGrad, { dy, x }, {})
    : tf.mul(dy, tf.step(tf.cast(x, 'float32')));
}

const RELU_GRADIENT: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => reluGradient(dy as tf.Tensor, saved[0] as tf.Tensor) }),
};

/** TensorFlow.js's own `Relu` gradient, kept while kindling's is installed (null: there was none). */
let replaced: tf.GradConfig | null | undefined;

/** Registers kindling's `Relu` gradient, keeping the one it replaces. Idempotent. */
export function installReluGradient(): void {
  if (replaced !== undefined) return;
  replaced = tf.getGradient(tf.Relu) ?? null;
  tf.registerGradient(RELU_GRADIENT);
}

/** Puts TensorFlow.js's own `Relu` gradient back. Idempotent. */
export function uninstallReluGradient(): void {
  if (replaced === undefined) return;
  tf.unregisterGradient(tf.Relu);
  if (replaced !== null) tf.registerGradient(replaced);
  replaced = undefined;
}
