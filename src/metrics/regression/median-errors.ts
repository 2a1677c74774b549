/**
 * @module Port of ignite/metrics/regression/median_absolute_error.py, median_absolute_percentage_error.py,
 * median_relative_absolute_error.py and geometric_mean_relative_absolute_error.py: metrics that need every
 * prediction and target of the epoch (stored on the device, gathered across ranks in `compute()`).
 * Deviations: the final reduction runs in float64 JavaScript numbers (Ignite: float32 torch ops); no `device`
 * option. As in Ignite, the three median metrics accept any `(N,)` / `(N, T)` numeric inputs (EpochMetric's
 * checks), while GeometricMeanRelativeAbsoluteError applies the regression checks (float32, `(N,)` or `(N, 1)`).
 */

import type { MetricOptions } from '../metric.js';
import { StoredRegression, median } from './base.js';

function absErrors(yPred: Float64Array, y: Float64Array): Float64Array {
  return yPred.map((p, i) => Math.abs((y[i] ?? Number.NaN) - p));
}

function meanOf(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** `|A_j - P_j| / |A_j - mean(A)|` for every sample. */
function relativeAbsErrors(yPred: Float64Array, y: Float64Array): Float64Array {
  const yMean = meanOf(y);
  return absErrors(yPred, y).map((e, i) => e / Math.abs((y[i] ?? Number.NaN) - yMean));
}

/**
 * Median Absolute Error: `MdAE = median_j |A_j - P_j|` over the epoch.
 *
 * @example
 * ```ts
 * const m = new MedianAbsoluteError();
 * const y = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32'); // any numeric dtype
 * m.update([tf.mul(tf.cast(y, 'float32'), 0.75), y]);
 * m.compute(); // 0.625: an even count gives the mean of the two middle errors 0.5 and 0.75
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MedianAbsoluteError.html
 */
export class MedianAbsoluteError extends StoredRegression {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super((p, y) => median(absErrors(p, y)), { ...options, regressionChecks: false });
  }
}

/**
 * Median Absolute Percentage Error: `MdAPE = 100 · median_j |A_j - P_j| / |A_j|` over the epoch.
 *
 * @example
 * ```ts
 * const m = new MedianAbsolutePercentageError();
 * m.update([[0.75, 1.5, 2.25, 3, 3.75], [1, 2, 3, 4, 5]]);
 * m.compute(); // 25 (a percentage, not a fraction)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MedianAbsolutePercentageError.html
 */
export class MedianAbsolutePercentageError extends StoredRegression {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(
      (p, y) => 100 * median(absErrors(p, y).map((e, i) => e / Math.abs(y[i] ?? Number.NaN))),
      { ...options, regressionChecks: false },
    );
  }
}

/**
 * Median Relative Absolute Error: `MdRAE = median_j |A_j - P_j| / |A_j - mean(A)|` over the epoch.
 *
 * @example
 * ```ts
 * const m = new MedianRelativeAbsoluteError();
 * m.update([[0, 0.75, 1.5, 2.25, 3, 3.75], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 0.5833: the median of 0, 1/6, 1, 3/2, 2/3, 1/2 (mean(A) = 2.5 over the whole epoch)
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.MedianRelativeAbsoluteError.html
 */
export class MedianRelativeAbsoluteError extends StoredRegression {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super((p, y) => median(relativeAbsErrors(p, y)), { ...options, regressionChecks: false });
  }
}

/**
 * Geometric Mean Relative Absolute Error: `GMRAE = exp((1/n) Σ ln(|A_j - P_j| / |A_j - mean(A)|))` over the
 * epoch (0 when one prediction is exact). Inputs `(N,)` or `(N, 1)` float32.
 *
 * @example
 * ```ts
 * const m = new GeometricMeanRelativeAbsoluteError();
 * m.update([[0, 0.75, 1.5, 2.25, 3, 3.75], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 0: one exact prediction (the first) makes the geometric mean 0
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.GeometricMeanRelativeAbsoluteError.html
 */
export class GeometricMeanRelativeAbsoluteError extends StoredRegression {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super((p, y) => Math.exp(meanOf(relativeAbsErrors(p, y).map((v) => Math.log(v)))), {
      ...options,
      regressionChecks: true,
      checkComputeFn: false,
    });
  }
}
