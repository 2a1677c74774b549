/**
 * @module Port of ignite/metrics/cohen_kappa.py: Cohen's kappa over the epoch, unweighted, linear or quadratic.
 * Deviations: the score is computed in TypeScript with scikit-learn's `cohen_kappa_score` definition (no sklearn);
 * values that are not whole numbers are rejected (sklearn rejects continuous targets); an undefined kappa (a single
 * label in both inputs) is NaN, as in sklearn.
 */

import type * as tf from '@tensorflow/tfjs-core';
import { EpochMetric, type EpochMetricOptions } from '../epoch-metric.js';
import { fmtShape } from '../internal/tensors.js';

/**
 * The weighting of disagreements: `null` (every disagreement costs 1), `'linear'` (|i - j|) or `'quadratic'`
 * ((i - j)²), where i and j are the positions of the two labels among the sorted labels seen.
 *
 */
export type KappaWeights = null | 'linear' | 'quadratic';

/**
 * Options of {@link CohenKappa}.
 *
 */
export interface CohenKappaOptions extends EpochMetricOptions {
  /** The weighting of disagreements. @defaultValue null */
  weights?: KappaWeights;
}

/**
 * Cohen's kappa of two label sequences (scikit-learn's `cohen_kappa_score`): `1 - Σ w·O / Σ w·E`, where O is the
 * confusion matrix over the sorted union of labels and E the outer product of its marginals divided by N.
 *
 * @param y1 - labels of the first rater (whole numbers).
 * @param y2 - labels of the second rater, same length.
 * @param weights - `null`, `'linear'` or `'quadratic'`.
 * @returns kappa in [-1, 1], or NaN when it is undefined (one label only).
 * @throws RangeError when the lengths differ, the inputs are empty, or a value is not a whole number.
 */
export function cohenKappaScore(y1: ArrayLike<number>, y2: ArrayLike<number>, weights: KappaWeights = null): number {
  if (y1.length !== y2.length || y1.length === 0) {
    throw new RangeError(`cohenKappaScore expects two non-empty label arrays of the same length, got ${y1.length} and ${y2.length}.`);
  }
  const all = [...Array.from(y1), ...Array.from(y2)];
  const bad = all.find((v) => !Number.isInteger(v));
  if (bad !== undefined) {
    throw new RangeError(`CohenKappa expects class labels (whole numbers), but found ${bad}. Pass labels, not scores (e.g. tf.argMax(yPred, 1)).`);
  }
  const labels = [...new Set(all)].sort((a, b) => a - b);
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const observed = new Array<number>(k * k).fill(0);
  const rows = new Array<number>(k).fill(0);
  const cols = new Array<number>(k).fill(0);
  for (let n = 0; n < y1.length; n++) {
    const i = index.get(y1[n] ?? 0) ?? 0;
    const j = index.get(y2[n] ?? 0) ?? 0;
    observed[i * k + j] = (observed[i * k + j] ?? 0) + 1;
    rows[i] = (rows[i] ?? 0) + 1;
    cols[j] = (cols[j] ?? 0) + 1;
  }
  const weight = (i: number, j: number): number => {
    if (weights === 'linear') return Math.abs(i - j);
    if (weights === 'quadratic') return (i - j) ** 2;
    return i === j ? 0 : 1;
  };
  let num = 0;
  let den = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      num += weight(i, j) * (observed[i * k + j] ?? 0);
      den += (weight(i, j) * (rows[i] ?? 0) * (cols[j] ?? 0)) / y1.length;
    }
  }
  return 1 - num / den;
}

const WEIGHTS: readonly unknown[] = [null, 'linear', 'quadratic'];

/**
 * Cohen's kappa between predicted and true class labels over the epoch (an {@link EpochMetric}). Inputs: `yPred`
 * and `y` of shape `(N,)` or `(N, 1)` holding class labels.
 *
 * @example
 * ```ts
 * // yPred holds scores (N, C): turn them into labels first.
 * const kappa = new CohenKappa({
 *   weights: 'quadratic',
 *   outputTransform: (o) => { const [p, y] = o as [tf.Tensor, tf.Tensor]; return [tf.argMax(p, 1), y]; },
 * });
 * kappa.attach(evaluator, 'kappa');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.CohenKappa.html
 */
export class CohenKappa extends EpochMetric<number> {
  /** The weighting of disagreements. */
  readonly weights: KappaWeights;

  /**
   * @param options - `weights`, `checkComputeFn` (default false, as in Ignite) and the common metric options.
   * @throws RangeError for an unknown `weights`.
   */
  constructor(options: CohenKappaOptions = {}) {
    const { weights = null, ...rest } = options;
    if (!WEIGHTS.includes(weights)) {
      throw new RangeError(`Kappa Weighting type must be null or 'linear' or 'quadratic', got ${String(weights)}.`);
    }
    super((p: tf.Tensor, t: tf.Tensor) => {
      if (p.rank !== 1 || t.rank !== 1) {
        throw new RangeError(
          `CohenKappa expects class labels yPred and y of shape (N,) or (N, 1), but given ${fmtShape(p.shape)} and ${fmtShape(t.shape)}.`,
        );
      }
      return cohenKappaScore(t.dataSync(), p.dataSync(), weights);
    }, { checkComputeFn: false, ...rest });
    this.weights = weights;
  }

  /**
   * Cohen's kappa of everything seen since the last reset.
   *
   * @returns kappa (NaN when undefined).
   * @throws {@link NotComputableError} before any update; RangeError for inputs that are not labels.
   */
  override compute(): number {
    return super.compute() as number;
  }
}
