/**
 * @module Port of ignite/metrics/regression/canberra_metric.py, manhattan_distance.py, wave_hedges_distance.py and
 * maximum_absolute_error.py: sums (not means) of per-sample errors, and the largest absolute error.
 * Deviations: sums are float32 on the device (Ignite: float64); MaximumAbsoluteError keeps its running maximum on
 * the device (Ignite reads it back after every batch) and reduces it with MAX across ranks; no `device` option.
 * As in Ignite, the three distances return 0 (not an error) before any update.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { Metric, type MetricOptions } from '../metric.js';
import { readTensor } from '../internal/tensors.js';
import type { SyncedState } from '../internal/sync.js';
import { SumRegression, regressionInputs } from './base.js';

/** A sum of per-sample errors over the epoch. */
abstract class SumOfErrors extends SumRegression {
  protected abstract errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor;

  protected sums(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
    return tf.reshape(tf.sum(this.errors(yPred, y)), [1]);
  }

  /** @returns the sum of the errors over all samples (0 before any update, as in Ignite). */
  compute(): number {
    return this.totals()[0] ?? 0;
  }
}

/**
 * Canberra Metric: `CM = Σ |A_j - P_j| / (|A_j| + |P_j|)` (Ignite adds 1e-15 to the denominator).
 *
 * @example
 * ```ts
 * const m = new CanberraMetric();
 * m.update([tf.tensor1d([3.8, 9.9, -5.4, 2.1]), tf.tensor1d([5.7, 14.85, -8.1, 3.15])]); // y = 1.5 yPred
 * m.compute(); // 0.8: a sum (not a mean) of four terms 0.5|P| / 2.5|P|
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.CanberraMetric.html
 */
export class CanberraMetric extends SumOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.abs(tf.sub(y, yPred)), tf.add(tf.add(tf.abs(yPred), tf.abs(y)), 1e-15));
  }
}

/**
 * Manhattan Distance: `MD = Σ |A_j - P_j|`.
 *
 * @example
 * ```ts
 * const m = new ManhattanDistance();
 * m.update([[0, 0.75, 1.5, 2.25, 3, 3.75], [0, 1, 2, 3, 4, 5]]); // nested arrays are read as float32
 * m.compute(); // 3.75, the sum of |A - P|
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.ManhattanDistance.html
 */
export class ManhattanDistance extends SumOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.abs(tf.sub(y, yPred));
  }
}

/**
 * Wave Hedges Distance: `WHD = Σ |A_j - P_j| / max(A_j, P_j)` (Ignite adds 1e-30 to the denominator).
 *
 * @example
 * ```ts
 * const m = new WaveHedgesDistance();
 * m.update([[0, 0.75, 1.5, 2.25, 3, 3.75], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 1.25: five terms 0.25, and 0 for the 0/0 sample (the 1e-30 offset)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.WaveHedgesDistance.html
 */
export class WaveHedgesDistance extends SumOfErrors {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected errors(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor {
    return tf.div(tf.abs(tf.sub(y, yPred)), tf.add(tf.maximum(yPred, y), 1e-30));
  }
}

/**
 * Maximum Absolute Error: `MaxAE = max_j |A_j - P_j|` over the epoch. Inputs `(N,)` or `(N, 1)` float32.
 *
 * @example
 * ```ts
 * const m = new MaximumAbsoluteError();
 * m.update([[0, 0.75, 1.5], [0, 1, 2]]);
 * m.update([[2.25, 3, 3.75], [3, 4, 5]]);
 * m.compute(); // 1.25, the largest error of the epoch
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MaximumAbsoluteError.html
 */
export class MaximumAbsoluteError extends Metric<number> {
  #max: tf.Tensor | null = null;

  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  /** Ignite's `@sync_all_reduce("_max_of_absolute_errors:MAX")`. @returns the declaration. */
  protected override syncedState(): SyncedState[] {
    return [{ op: 'MAX', get: () => this.#max, set: (v) => { this.#max = v instanceof tf.Tensor ? v : null; } }];
  }

  /** Disposes the running maximum. */
  reset(): void {
    this.#max?.dispose();
    this.#max = null;
  }

  /**
   * Folds the batch's largest absolute error into the running maximum (on the device).
   *
   * @param output - `[yPred, y]` of the same shape `(N,)` or `(N, 1)`, float32.
   * @returns nothing.
   * @throws TypeError for a malformed output or a non-float32 tensor; RangeError for a bad shape.
   */
  update(output: unknown): void {
    const prev = this.#max;
    this.#max = tf.tidy(() => {
      const [yPred, y] = regressionInputs(output, 'MaximumAbsoluteError');
      const batchMax = yPred.size === 0 ? tf.scalar(-Infinity) : tf.max(tf.abs(tf.sub(yPred, y)));
      return prev === null ? batchMax : tf.maximum(prev, batchMax);
    });
    prev?.dispose();
  }

  /**
   * Reads the running maximum once.
   *
   * @returns the largest absolute error seen this epoch.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const value = this.#max === null ? -1 : (readTensor(this.#max) as number);
    if (value < 0) {
      throw new NotComputableError('MaximumAbsoluteError must have at least one example before it can be computed.');
    }
    return value;
  }
}
