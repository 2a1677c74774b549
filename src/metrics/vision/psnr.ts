/**
 * @module Port of ignite/metrics/psnr.py `PSNR`.
 * Deviations: images are NHWC (TensorFlow.js's layout; Ignite's NCHW gives the same value since the mean runs over
 * every non-batch axis); the per-image MSE and the running sum are float32 on the device (Ignite: float64); no
 * `device` option (tensors stay on the active backend).
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { describeValue, fmtShape, toTensor } from '../internal/tensors.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';

/**
 * Converts `[yPred, y]` and checks Ignite's rules: same dtype, same shape (call inside `tf.tidy`).
 *
 * @param output - `[yPred, y]`.
 * @param metric - the metric's name for errors.
 * @returns the two tensors.
 * @throws TypeError for a malformed output or different dtypes; RangeError for different shapes.
 * @internal
 */
export function imagePair(output: unknown, metric: string): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(output) || output.length < 2) {
    throw new TypeError(`${metric}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
  }
  const yPred = toTensor(output[0], 'yPred');
  const y = toTensor(output[1], 'y');
  if (yPred.dtype !== y.dtype) {
    throw new TypeError(`Expected yPred and y to have the same data type. Got yPred: ${yPred.dtype} and y: ${y.dtype}.`);
  }
  if (fmtShape(yPred.shape) !== fmtShape(y.shape)) {
    throw new RangeError(
      `Expected yPred and y to have the same shape. Got yPred: ${fmtShape(yPred.shape)} and y: ${fmtShape(y.shape)}.`,
    );
  }
  return [yPred, y];
}

/** Options of {@link PSNR}: the common metric options. */
export type PSNROptions = MetricOptions;

/**
 * Average peak signal-to-noise ratio over images: `10 log10(dataRange² / (MSE + 1e-10))` per image, averaged.
 * Inputs: `yPred` and `y` of shape `(N, ...)` (e.g. NHWC images), same shape and dtype.
 *
 * @example
 * ```ts
 * // YCbCr images: only the Y channel (NHWC, channel 0) counts.
 * const yChannel = (o: unknown) => (o as tf.Tensor4D[]).map((t) => t.slice([0, 0, 0, 0], [-1, -1, -1, 1]));
 * new PSNR(219, { outputTransform: yChannel }).attach(evaluator, 'psnr');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.PSNR.html
 */
export class PSNR extends SummedMetric<number> {
  /** The data range of the target images (maximum possible value minus minimum). */
  readonly dataRange: number;

  /**
   * @param dataRange - the data range of the target images (distance between the minimum and maximum possible
   *   values, e.g. 1 or 255).
   * @param options - the common metric options.
   * @throws TypeError when `dataRange` is not a number.
   */
  constructor(dataRange: number, options: PSNROptions = {}) {
    super(options);
    if (typeof dataRange !== 'number' || !Number.isFinite(dataRange)) {
      throw new TypeError(`Argument dataRange should be a finite number, got ${describeValue(dataRange)}`);
    }
    this.dataRange = dataRange;
  }

  /**
   * The PSNR of every image of the batch, summed (inside `tf.tidy`); the state is Ignite's
   * `_sum_of_batchwise_psnr` and `_num_examples`, both all-reduced in `compute()`.
   *
   * @param output - `[yPred, y]` of shape `(N, ...)`.
   * @returns the sum and the number of images.
   * @throws TypeError when dtypes differ; RangeError when shapes differ.
   */
  protected batch(output: unknown): BatchPart {
    const [yPred, y] = imagePair(output, 'PSNR');
    const axes = Array.from({ length: Math.max(y.rank - 1, 0) }, (_, i) => i + 1);
    const mse = tf.mean(tf.squaredDifference(tf.cast(yPred, 'float32'), tf.cast(y, 'float32')), axes);
    const psnr = tf.mul(10, tf.log(tf.div(this.dataRange ** 2, tf.add(mse, 1e-10))));
    return { sum: tf.div(tf.sum(psnr), Math.LN10), count: y.rank === 0 ? 1 : (y.shape[0] ?? 0) };
  }

  /**
   * Reads the sum once.
   *
   * @returns the mean PSNR over all images.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example', 'PSNR');
    return (this.total.read() as number) / n;
  }
}
