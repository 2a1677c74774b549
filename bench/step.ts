/**
 * What the kernel benchmarks (wasm-kernels, native-kernels) share: one momentum-SGD training step of a tfjs-layers
 * model on random data, and the median.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A model to time: how to build it, its batch and input shape. */
export interface StepModel {
  make: () => tfl.Sequential;
  batch: number;
  inputShape: number[];
}

/**
 * One training step per call (softmax cross-entropy, SGD with momentum 0.9), on the backend current when it was made.
 *
 * @param m - the model, batch and input shape.
 * @returns the step; it reads the loss back, so each call ends when its kernels did.
 */
export function makeStep(m: StepModel): () => void {
  const model = m.make();
  const opt = tf.train.momentum(0.01, 0.9);
  const x = tf.randomNormal([m.batch, ...m.inputShape]);
  const y = tf.oneHot(tf.randomUniform([m.batch], 0, 10, 'int32'), 10);
  return () => {
    const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true);
    loss?.dataSync();
    tf.dispose(loss ?? []);
  };
}

/** The median of some numbers (NaN for none). */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
