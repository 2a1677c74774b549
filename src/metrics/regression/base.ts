/**
 * @module Port of ignite/metrics/regression/_base.py: the input checks shared by Ignite's regression metrics, a
 * base for the metrics that sum per-sample errors on the device, and a base for those that store the whole epoch.
 * Deviations: TF.js has one float dtype, so inputs must be float32 tensors (nested arrays are converted to
 * float32); sums are float32 on the device (Ignite: float64) and finish in float64 JavaScript numbers; a value
 * check that Ignite does with a device read in `update()` ("The ground truth has 0.") is counted on the device and
 * raised by `compute()`.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { EpochMetric, type EpochMetricOptions } from '../epoch-metric.js';
import type { MetricOptions } from '../metric.js';
import { describeValue, fmtShape, isTensor, toTensor } from '../internal/tensors.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';

function isColumn(t: tf.Tensor): boolean {
  return t.rank === 1 || (t.rank === 2 && t.shape[1] === 1);
}

function asFloat(value: unknown, role: string): tf.Tensor {
  if (isTensor(value)) {
    if (value.dtype !== 'float32') {
      throw new TypeError(
        `Input ${role} dtype should be float32, but given ${value.dtype}. Cast it with tf.cast(${role}, 'float32').`,
      );
    }
    return value;
  }
  return tf.cast(toTensor(value, role), 'float32');
}

/**
 * Converts and checks `[yPred, y]` as Ignite's `_BaseRegression.update` does (call inside `tf.tidy`): both float32
 * of the same shape `(N,)` or `(N, 1)`; `(N, 1)` is squeezed to `(N,)`.
 *
 * @param output - `[yPred, y]` (tensors or nested arrays of numbers).
 * @param metric - the metric's name for error messages.
 * @returns the two `(N,)` float32 tensors.
 * @throws TypeError for a malformed output or a non-float32 tensor; RangeError for a bad or mismatched shape.
 * @internal
 */
export function regressionInputs(output: unknown, metric: string): [tf.Tensor1D, tf.Tensor1D] {
  if (!Array.isArray(output) || output.length < 2) {
    throw new TypeError(`${metric}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
  }
  const yPred = asFloat(output[0], 'yPred');
  const y = asFloat(output[1], 'y');
  if (!isColumn(yPred)) {
    throw new RangeError(`Input yPred should have shape (N,) or (N, 1), but given ${fmtShape(yPred.shape)}`);
  }
  if (!isColumn(y)) {
    throw new RangeError(`Input y should have shape (N,) or (N, 1), but given ${fmtShape(y.shape)}`);
  }
  if (fmtShape(yPred.shape) !== fmtShape(y.shape)) {
    throw new RangeError(`Input data shapes should be the same, but given ${fmtShape(yPred.shape)} and ${fmtShape(y.shape)}`);
  }
  return [tf.reshape(yPred, [-1]), tf.reshape(y, [-1])];
}

/**
 * Base of the regression metrics that keep per-batch sums on the device (Ignite's `_BaseRegression` with
 * `@sync_all_reduce` of its sums and `_num_examples`). Subclasses return the batch's sums as a 1-D tensor of a
 * fixed length and finish the metric from the totals in `compute()`.
 *
 * @example
 * ```ts
 * class SumOfErrors extends SumRegression {
 *   protected sums(p: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D { return tf.stack([tf.sum(tf.sub(y, p))]) as tf.Tensor1D; }
 *   compute(): number { return this.totals()[0] ?? 0; }
 * }
 * ```
 */
export abstract class SumRegression extends SummedMetric<number> {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  /**
   * The batch's contributions (inside `tf.tidy`), e.g. `[Σ errors]`.
   *
   * @param yPred - predictions, `(N,)` float32.
   * @param y - targets, `(N,)` float32.
   * @returns a 1-D tensor whose length is the same on every call.
   */
  protected abstract sums(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D;

  /**
   * Checks one batch and returns its sums (inside `tf.tidy`; no device read).
   *
   * @param output - `[yPred, y]` of the same shape `(N,)` or `(N, 1)`, float32.
   * @returns the sums and the number of samples.
   * @throws TypeError for a malformed output or a non-float32 tensor; RangeError for a bad shape.
   */
  protected batch(output: unknown): BatchPart {
    const [yPred, y] = regressionInputs(output, this.constructor.name);
    return { sum: this.sums(yPred, y), count: yPred.shape[0] };
  }

  /** @returns the number of samples seen since the last reset (all ranks inside `compute()`). */
  protected get numExamples(): number {
    return this.count;
  }

  /** @returns the totals (one device read); zeros before any update. */
  protected totals(): number[] {
    const v = this.total.read();
    return typeof v === 'number' ? [v] : (v as number[]);
  }

  /**
   * Throws Ignite's "must have at least one example" error when nothing was seen.
   *
   * @returns nothing.
   * @throws {@link NotComputableError} before any update.
   */
  protected requireExamples(): void {
    this.countOrThrow('example');
  }
}

/**
 * Options of the regression metrics that store the whole epoch.
 */
export type StoredRegressionOptions = EpochMetricOptions;

/**
 * Base of the regression metrics that store every prediction and target of the epoch (Ignite's `EpochMetric`
 * based ones): the values are gathered across ranks and `fn` runs on plain numbers in float64.
 *
 * @example
 * ```ts
 * class MaxError extends StoredRegression {
 *   constructor() { super((p, y) => Math.max(...p.map((v, i) => Math.abs(v - (y[i] ?? 0)))), { regressionChecks: true }); }
 * }
 * ```
 */
export abstract class StoredRegression extends EpochMetric<number> {
  readonly #checks: boolean;
  #seen = false;

  /**
   * @param fn - computes the metric from all predictions and targets (same length).
   * @param options - `regressionChecks` (Ignite's `_BaseRegression` input checks), `checkComputeFn` and the common
   *   metric options.
   */
  constructor(
    fn: (yPred: Float64Array, y: Float64Array) => number,
    options: StoredRegressionOptions & { regressionChecks: boolean },
  ) {
    const { regressionChecks, ...rest } = options;
    super((p, t) => {
      if (p.size !== t.size) {
        throw new RangeError(`yPred and y should have the same number of elements, but given ${fmtShape(p.shape)} and ${fmtShape(t.shape)}`);
      }
      return fn(Float64Array.from(p.dataSync()), Float64Array.from(t.dataSync()));
    }, rest);
    this.#checks = regressionChecks;
  }

  /** Disposes the stored batches. */
  override reset(): void {
    super.reset();
    this.#seen = false;
  }

  /**
   * Checks (Ignite's regression checks where the Ignite metric has them) and stores one batch.
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws TypeError / RangeError for malformed inputs.
   */
  override update(output: unknown): void {
    const pair = tf.tidy((): tf.Tensor[] | undefined => {
      if (this.#checks) return regressionInputs(output, this.constructor.name).map((t) => tf.clone(t));
      // Nested arrays have no dtype: read them as float32 so that integer-looking batches keep the stored dtype.
      if (!Array.isArray(output) || output.length < 2) return undefined;
      return output.slice(0, 2).map((v: unknown, i) => (isTensor(v) ? tf.clone(v) : asFloat(v, i === 0 ? 'yPred' : 'y')));
    });
    try {
      super.update(pair ?? output);
    } finally {
      if (pair) tf.dispose(pair);
    }
    this.#seen = true;
  }

  /**
   * Computes the metric over the stored epoch (gathered across ranks).
   *
   * @returns the metric.
   * @throws {@link NotComputableError} before any update.
   */
  override compute(): number {
    if (!this.#seen) {
      throw new NotComputableError(`${this.constructor.name} must have at least one example before it can be computed.`);
    }
    return super.compute() as number;
  }
}

/**
 * Median of the values (the mean of the two middle values for an even count, as Ignite's `_torch_median`).
 *
 * @param values - the values (not modified).
 * @returns the median; NaN when empty.
 * @internal
 */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const hi = sorted[n >> 1] ?? Number.NaN;
  return n % 2 === 1 ? hi : ((sorted[(n >> 1) - 1] ?? Number.NaN) + hi) / 2;
}
