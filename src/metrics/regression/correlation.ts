/**
 * @module Port of ignite/metrics/regression/pearson_correlation.py, spearman_correlation.py and
 * kendall_correlation.py.
 * Deviations: Spearman and Kendall do not need scipy: the rank statistics are computed in TypeScript (float64) with
 * scipy's definitions (average ranks for ties; tau-b / tau-c), so there is no "requires scipy" error; Pearson's
 * five sums are float32 on the device (as in Ignite) and the formula runs in float64; no `device` option.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { StoredRegression, SumRegression, type StoredRegressionOptions } from './base.js';
import { kendall, spearman } from './ranks.js';

/**
 * Options of {@link PearsonCorrelation}.
 */
export interface PearsonCorrelationOptions extends MetricOptions {
  /** Lower bound of the denominator, to avoid a division by zero. @defaultValue 1e-8 */
  eps?: number;
}

/**
 * Pearson correlation coefficient of predictions and targets over the epoch:
 * `r = cov(P, A) / max(sqrt(var(P) var(A)), eps)`, from five running sums (reduced across ranks).
 *
 * @example
 * ```ts
 * const m = new PearsonCorrelation();
 * m.update([[0.5, 1.3, 1.9, 2.8, 4.1, 6.0], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 0.9769
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.PearsonCorrelation.html
 */
export class PearsonCorrelation extends SumRegression {
  readonly #eps: number;

  /**
   * @param options - `eps` and the common metric options.
   * @throws TypeError when `eps` is not a number.
   */
  constructor(options: PearsonCorrelationOptions = {}) {
    const { eps = 1e-8, ...rest } = options;
    super(rest);
    if (typeof eps !== 'number') throw new TypeError(`Argument eps should be a number, but given ${typeof eps}`);
    this.#eps = eps;
  }

  protected sums(yPred: tf.Tensor1D, y: tf.Tensor1D): tf.Tensor1D {
    return tf.stack([tf.sum(yPred), tf.sum(y), tf.sum(tf.square(yPred)), tf.sum(tf.square(y)), tf.sum(tf.mul(yPred, y))]) as tf.Tensor1D;
  }

  /**
   * Reads the five sums once.
   *
   * @returns the correlation coefficient.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    this.requireExamples();
    const n = this.numExamples;
    const [sp = 0, sy = 0, spp = 0, syy = 0, spy = 0] = this.totals();
    const cov = spy / n - (sp * sy) / (n * n);
    const pMean = sp / n;
    const yMean = sy / n;
    const pVar = Math.max(spp / n - pMean * pMean, 0);
    const yVar = Math.max(syy / n - yMean * yMean, 0);
    return cov / Math.max(Math.sqrt(pVar * yVar + this.#eps ** 2), this.#eps);
  }
}

/**
 * Spearman's rank correlation coefficient of predictions and targets over the epoch (Pearson's r of the ranks,
 * ties ranked by their average; NaN when either side is constant). Inputs `(N,)` or `(N, 1)` float32.
 *
 * @example
 * ```ts
 * const m = new SpearmanRankCorrelation();
 * m.update([[0.5, 2.8, 1.9, 1.3, 6.0, 4.1], [0, 1, 2, 3, 4, 5]]);
 * m.compute(); // 0.7143, from the ranks only
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.SpearmanRankCorrelation.html
 */
export class SpearmanRankCorrelation extends StoredRegression {
  /** @param options - `checkComputeFn` (default true) and the common metric options. */
  constructor(options: StoredRegressionOptions = {}) {
    super((p, y) => spearman(p, y), { ...options, regressionChecks: true });
  }
}

/**
 * Kendall's tau variant: `'b'` adjusts for ties in either variable, `'c'` (Stuart's tau-c) for rectangular tables.
 */
export type KendallVariant = 'b' | 'c';

/**
 * Options of {@link KendallRankCorrelation}.
 */
export interface KendallRankCorrelationOptions extends StoredRegressionOptions {
  /** Which tau to compute. @defaultValue 'b' */
  variant?: KendallVariant;
}

/**
 * Kendall rank correlation coefficient (tau-b or tau-c) of predictions and targets over the epoch (NaN when either
 * side is constant). Inputs `(N,)` or `(N, 1)` float32.
 *
 * @example
 * ```ts
 * const m = new KendallRankCorrelation({ variant: 'c' }); // 'b' and 'c' differ only when there are ties
 * m.update([[0.5, 2.8, 1.9, 1.3, 6.0], [0, 1, 2, 3, 4]]);
 * m.update([[4.1], [5]]); // the pairs are counted over the whole epoch
 * m.compute(); // 0.4667 = (11 - 4) / 15
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.regression.KendallRankCorrelation.html
 */
export class KendallRankCorrelation extends StoredRegression {
  /**
   * @param options - `variant`, `checkComputeFn` (default true) and the common metric options.
   * @throws RangeError when `variant` is neither 'b' nor 'c'.
   */
  constructor(options: KendallRankCorrelationOptions = {}) {
    const { variant = 'b', ...rest } = options;
    if (variant !== 'b' && variant !== 'c') {
      throw new RangeError(`variant accepts 'b' or 'c', got ${JSON.stringify(variant)}.`);
    }
    super((p, y) => kendall(p, y, variant), { ...rest, regressionChecks: true });
  }
}
