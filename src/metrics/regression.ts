/**
 * @module Port of ignite/metrics/mean_squared_error.py, root_mean_squared_error.py, mean_absolute_error.py,
 * mean_pairwise_distance.py and regression/r2_score.py.
 * Deviations: sums are float32 on the device (Ignite: float64); R2Score reads its three sums once and finishes in
 * float64 JavaScript numbers.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from './metric.js';
import { describeValue, fmtShape, toTensor } from './internal/tensors.js';
import { SummedMetric, type BatchPart } from './internal/summed-metric.js';

/**
 * Converts `[yPred, y]` to float tensors, `y` reshaped like `yPred` (call inside `tf.tidy`).
 *
 * @param output - `[yPred, y]`.
 * @param metric - metric name for errors.
 * @param sameShape - require identical shapes (Ignite's `_BaseRegression`), not only the same number of elements.
 * @returns the two tensors.
 * @throws TypeError for a malformed output; RangeError when the sizes (or shapes) differ.
 */
function regressionPair(output: unknown, metric: string, sameShape = false): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(output) || output.length < 2) {
    throw new TypeError(`${metric}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
  }
  const yPred = tf.cast(toTensor(output[0], 'yPred'), 'float32');
  const y = tf.cast(toTensor(output[1], 'y'), 'float32');
  if (sameShape && fmtShape(y.shape) !== fmtShape(yPred.shape)) {
    throw new RangeError(`Input data shapes should be the same, but given ${fmtShape(yPred.shape)} and ${fmtShape(y.shape)}`);
  }
  if (y.size !== yPred.size) {
    throw new RangeError(
      `${metric}: yPred and y must have the same number of elements, but given yPred ${fmtShape(yPred.shape)} ` +
        `and y ${fmtShape(y.shape)}.`,
    );
  }
  return [yPred, tf.reshape(y, yPred.shape)];
}

/**
 * Base of metrics that sum a per-batch quantity and divide by the number of samples (`y.shape[0]`).
 *
 */
export abstract class SampleAverage extends SummedMetric<number> {
  /** The batch's contribution to the sum (scalar). */
  protected abstract term(yPred: tf.Tensor, y: tf.Tensor): tf.Tensor;

  /**
   * The batch's sum and number of samples (inside `tf.tidy`).
   *
   * @param output - `[yPred, y]`.
   * @returns the sum and the count to add.
   */
  protected batch(output: unknown): BatchPart {
    const [yPred, y] = this.prepare(output);
    return { sum: this.term(yPred, y), count: y.rank === 0 ? 1 : (y.shape[0] ?? 0) };
  }

  /** Converts and validates the output (inside `tf.tidy`). */
  protected prepare(output: unknown): [tf.Tensor, tf.Tensor] {
    return regressionPair(output, this.constructor.name);
  }

  /**
   * Reads the sum once.
   *
   * @returns sum / number of samples.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example');
    return (this.total.read() as number) / n;
  }
}

/**
 * Mean squared error: sum of squared errors divided by the number of samples (`y.shape[0]`).
 *
 * @example
 * ```ts
 * const mse = new MeanSquaredError();
 * mse.update([tf.tensor2d([[0], [0]]), tf.tensor2d([[3], [4]])]);
 * mse.compute(); // 12.5
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MeanSquaredError.html
 */
export class MeanSquaredError extends SampleAverage {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected term(yPred: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.sum(tf.squaredDifference(yPred, y));
  }
}

/**
 * Root mean squared error: `sqrt(MeanSquaredError)`.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.RootMeanSquaredError.html
 */
export class RootMeanSquaredError extends MeanSquaredError {
  /**
   * @returns the square root of the mean squared error.
   * @throws {@link NotComputableError} before any update.
   */
  override compute(): number {
    return Math.sqrt(super.compute());
  }
}

/**
 * Mean absolute error: sum of absolute errors divided by the number of samples.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MeanAbsoluteError.html
 */
export class MeanAbsoluteError extends SampleAverage {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected term(yPred: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return tf.sum(tf.abs(tf.sub(yPred, y)));
  }
}

/**
 * Options of {@link MeanPairwiseDistance}.
 *
 */
export interface MeanPairwiseDistanceOptions extends MetricOptions {
  /** The norm degree. @defaultValue 2 */
  p?: number;
  /** Added to the difference to avoid division by zero (torch's `pairwise_distance`). @defaultValue 1e-6 */
  eps?: number;
}

/**
 * Mean over samples of the p-norm of `yPred - y + eps` along the last axis (torch `pairwise_distance`).
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MeanPairwiseDistance.html
 */
export class MeanPairwiseDistance extends SampleAverage {
  readonly #p: number;
  readonly #eps: number;

  /**
   * @param options - `p`, `eps` and the common metric options.
   * @throws RangeError for `p <= 0`.
   */
  constructor(options: MeanPairwiseDistanceOptions = {}) {
    const { p = 2, eps = 1e-6, ...rest } = options;
    super(rest);
    if (!(p > 0)) throw new RangeError(`Argument p should be positive, got ${p}`);
    this.#p = p;
    this.#eps = eps;
  }

  protected override prepare(output: unknown): [tf.Tensor, tf.Tensor] {
    const [yPred, y] = regressionPair(output, 'MeanPairwiseDistance');
    if (yPred.rank !== 2) {
      throw new RangeError(`MeanPairwiseDistance expects yPred and y of shape (N, D), but given ${fmtShape(yPred.shape)}.`);
    }
    return [yPred, y];
  }

  protected term(yPred: tf.Tensor, y: tf.Tensor): tf.Tensor {
    const diff = tf.abs(tf.add(tf.sub(yPred, y), this.#eps));
    const norms = tf.pow(tf.sum(tf.pow(diff, this.#p), -1), 1 / this.#p);
    return tf.sum(norms);
  }
}

/**
 * Coefficient of determination: `1 - SSE / (Σy² - (Σy)² / N)`, for `(N,)` or `(N, 1)` inputs.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.R2Score.html
 */
export class R2Score extends SummedMetric<number> {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  /**
   * SSE, Σy and Σy² of one batch (inside `tf.tidy`).
   *
   * @param output - `[yPred, y]` of shape `(N,)` or `(N, 1)`.
   * @returns the three sums and the number of samples.
   * @throws RangeError when shapes differ or are not `(N,)` / `(N, 1)`.
   */
  protected batch(output: unknown): BatchPart {
    const [yPred, y] = regressionPair(output, 'R2Score', true);
    if (!(yPred.rank === 1 || (yPred.rank === 2 && yPred.shape[1] === 1))) {
      throw new RangeError(`Input yPred should have shape (N,) or (N, 1), but given ${fmtShape(yPred.shape)}`);
    }
    return { sum: tf.stack([tf.sum(tf.squaredDifference(yPred, y)), tf.sum(y), tf.sum(tf.square(y))]), count: yPred.shape[0] ?? 0 };
  }

  /**
   * Reads the three sums once.
   *
   * @returns the R² score.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example', 'R2Score');
    const [sse = 0, ySum = 0, ySqSum = 0] = this.total.read() as number[];
    return 1 - sse / (ySqSum - (ySum * ySum) / n);
  }
}
