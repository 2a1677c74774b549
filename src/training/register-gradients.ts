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

tf.registerGradient({
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const g = dy as tf.Tensor;
    const x = saved[0] as tf.Tensor;
    return {
      x: () => g.dtype === 'float32' && x.dtype === 'float32' && tf.getKernel(FUSED_GRADIENT_KERNELS.reluGrad, tf.getBackend()) !== undefined
        ? tf.engine().runKernel<tf.Tensor>(FUSED_GRADIENT_KERNELS.reluGrad, { dy: g, x }, {})
        : tf.mul(g, tf.step(tf.cast(x, 'float32'))),
    };
  },
});
