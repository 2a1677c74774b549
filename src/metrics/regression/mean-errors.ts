/**
 * @module Port of ignite/metrics/regression/fractional_absolute_error.py, fractional_bias.py,
 * geometric_mean_absolute_error.py, mean_absolute_relative_error.py, mean_error.py and mean_normalized_bias.py:
 * per-sample errors averaged over the samples of the epoch.
 * Deviations: sums are float32 on the device (Ignite: float64); MeanAbsoluteRelativeError and MeanNormalizedBias
 * count zero targets on the device and raise Ignite's "The ground truth has 0." from `compute()` rather than from
 * the `update()` that saw them (no device read per batch); no `device` option.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import type { MetricOptions } from '../metric.js';
import { SumRegression } from './base.js';

function stack(...sums: tf.Scalar[]): tf.Tensor1D {
  return tf.stack(sums) as tf.Tensor1D;
}

/** A per-sample error averaged over the epoch: `(1/n) Σ err(A_j, P_j)`. */
abstract class MeanOfErrors extends SumRegression {
  /** The per-sample errors of one batch (inside `tf.tidy`). */
  protected abstract errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor;

  protected sums(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
    return stack(tf.sum(this.errors(yPred, y)));
  }

  /**
   * @returns the mean error over all samples.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    this.requireExamples();
    return (this.totals()[0] ?? 0) / this.numExamples;
  }
}

/** A mean of errors relative to the target, which must never be 0. */
abstract class MeanOfRelativeErrors extends SumRegression {
  protected abstract errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor;

  protected sums(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
    return stack(tf.sum(this.errors(yPred, y)), tf.sum(tf.cast(tf.equal(y, 0), 'float32')));
  }

  /**
   * @returns the mean relative error over all samples.
   * @throws {@link NotComputableError} before any update, or when a target was 0.
   */
  compute(): number {
    this.requireExamples();
    const [sum = 0, zeros = 0] = this.totals();
    if (zeros > 0) {
      throw new NotComputableError(
        `The ground truth has 0. ${this.constructor.name} divides by the target, and ${zeros} target(s) this epoch ` +
          'were 0: drop those samples or use a metric without a relative error.',
      );
    }
    return sum / this.numExamples;
  }
}

/**
 * Fractional Absolute Error: `FAE = (1/n) Σ 2|A_j - P_j| / (|A_j| + |P_j|)`. Inputs `(N,)` or `(N, 1)` float32.
 *
 * @example
 * ```ts
 * const m = new FractionalAbsoluteError();
 * const yPred = tf.tensor2d([[3.8], [9.9], [-5.4], [2.1]]); // (N, 1) works as well as (N,)
 * m.update([yPred, tf.mul(yPred, 0.8)]);
 * m.compute(); // 0.2222 = 2 · 0.2 / 1.8 for every sample
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.FractionalAbsoluteError.html
 */
export class FractionalAbsoluteError extends MeanOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.mul(2, tf.abs(tf.sub(y, yPred))), tf.add(tf.abs(yPred), tf.abs(y)));
  }
}

/**
 * Fractional Bias: `FB = (1/n) Σ 2(A_j - P_j) / (A_j + P_j)` (Ignite adds 1e-30 to the denominator).
 *
 * @example
 * ```ts
 * const m = new FractionalBias();
 * const yPred = tf.tensor1d([3.8, 9.9, 5.4, 2.1]);
 * m.update([yPred, tf.mul(yPred, 1.5)]);
 * m.compute(); // 0.4 = 2 · 0.5 / 2.5: positive when the predictions are too low
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.FractionalBias.html
 */
export class FractionalBias extends MeanOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.mul(2, tf.sub(y, yPred)), tf.add(tf.add(yPred, y), 1e-30));
  }
}

/**
 * Geometric Mean Absolute Error: `GMAE = exp((1/n) Σ ln|A_j - P_j|)` (0 when one error is exactly 0).
 *
 * @example
 * ```ts
 * const m = new GeometricMeanAbsoluteError();
 * const yPred = tf.tensor1d([3.8, 9.9, -5.4, 2.1]);
 * m.update([yPred, tf.mul(yPred, 1.5)]);
 * m.compute(); // 2.2723, the geometric mean of the errors 1.9, 4.95, 2.7, 1.05
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.GeometricMeanAbsoluteError.html
 */
export class GeometricMeanAbsoluteError extends MeanOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.log(tf.abs(tf.sub(y, yPred)));
  }

  /**
   * @returns `exp` of the mean log absolute error.
   * @throws {@link NotComputableError} before any update.
   */
  override compute(): number {
    return Math.exp(super.compute());
  }
}

/**
 * Mean Error: `ME = (1/n) Σ (A_j - P_j)`.
 *
 * @example
 * ```ts
 * const m = new MeanError();
 * m.update([[0, 0.75, 1.5, 2.25, 3, 3.75], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 0.625: target minus prediction, so positive when the predictions are too low
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MeanError.html
 */
export class MeanError extends MeanOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.sub(y, yPred);
  }
}

/**
 * Mean Absolute Relative Error (also called MAPE, as a fraction): `MARE = (1/n) Σ |A_j - P_j| / |A_j|`. Targets
 * must not be 0.
 *
 * @example
 * ```ts
 * const m = new MeanAbsoluteRelativeError();
 * m.update([[0.75, 1.5, 2.25, 3, 3.75], [1, 2, 3, 4, 5]]);
 * m.compute(); // 0.25 (a target of 0 would make compute() throw NotComputableError)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MeanAbsoluteRelativeError.html
 */
export class MeanAbsoluteRelativeError extends MeanOfRelativeErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.abs(tf.sub(yPred, y)), tf.abs(y));
  }
}

/**
 * Mean Normalized Bias: `MNB = (1/n) Σ (A_j - P_j) / A_j`. Targets must not be 0.
 *
 * @example
 * ```ts
 * const m = new MeanNormalizedBias();
 * m.update([[0.75, 1.5, 2.25, 3, 3.75], [1, 2, 3, 4, 5]]);
 * m.compute(); // 0.25 (a target of 0 would make compute() throw NotComputableError)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MeanNormalizedBias.html
 */
export class MeanNormalizedBias extends MeanOfRelativeErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.sub(y, yPred), y);
  }
}
