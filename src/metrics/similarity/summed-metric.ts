/**
 * @module Input helpers of the similarity and information metrics; their base, `SummedMetric` (a sum kept on the
 * device plus a count of samples or batches), lives in ../internal/summed-metric.ts.
 * Not part of the public API.
 */

import * as tf from '@tensorflow/tfjs-core';
import { describeValue, fmtShape, toTensor } from '../internal/tensors.js';

/**
 * Converts `[yPred, y]` to two float32 tensors (call inside `tf.tidy`).
 *
 * @param output - `[yPred, y]`.
 * @param metric - the metric's name for errors.
 * @returns the two tensors.
 * @throws TypeError when the output is not a pair of tensor-likes.
 */
export function floatPair(output: unknown, metric: string): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(output) || output.length < 2) {
    throw new TypeError(`${metric}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
  }
  return [tf.cast(toTensor(output[0], 'yPred'), 'float32'), tf.cast(toTensor(output[1], 'y'), 'float32')];
}

/**
 * Ignite's "same shape" check.
 *
 * @param a - first tensor.
 * @param b - second tensor.
 * @param names - the two names in the message.
 * @returns nothing.
 * @throws RangeError when the shapes differ.
 */
export function checkSameShape(a: tf.Tensor, b: tf.Tensor, names: [string, string]): void {
  if (fmtShape(a.shape) !== fmtShape(b.shape)) {
    throw new RangeError(`${names[0]} and ${names[1]} must be in the same shape, got ${fmtShape(a.shape)} != ${fmtShape(b.shape)}.`);
  }
}

/**
 * Flattens every axis after the first: `(B, ...)` → `(B, D)`.
 *
 * @param t - a tensor of rank >= 2.
 * @param name - its name for errors.
 * @returns the 2-D tensor.
 * @throws RangeError for rank < 2.
 */
export function flattenSamples(t: tf.Tensor, name: string): tf.Tensor2D {
  if (t.rank < 2) throw new RangeError(`${name} must be in the shape of (B, ...), got ${fmtShape(t.shape)}.`);
  return tf.reshape<tf.Rank.R2>(t, [t.shape[0] ?? 0, -1]);
}
