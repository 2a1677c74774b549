/**
 * @module Port of ignite/metrics/precision_recall_curve.py and the `RocCurve` of ignite/metrics/roc_auc.py: binary
 * precision-recall and ROC curves over the epoch.
 * Deviations: the curves are computed in TypeScript with scikit-learn's definitions (`precision_recall_curve`,
 * `roc_curve` with `drop_intermediate=True`, the first ROC threshold +Infinity as in scikit-learn >= 1.3) and
 * returned as three `number[]` (Ignite: float64 tensors); every rank computes the curve from the gathered data
 * (Ignite computes on rank 0 and broadcasts: same result).
 */

import type * as tf from '@tensorflow/tfjs-core';
import { EpochMetric, type EpochMetricOptions } from '../epoch-metric.js';
import { fmtShape } from '../internal/tensors.js';

/**
 * A curve: three arrays of the same meaning as scikit-learn's return values.
 *
 */
export type Curve = [number[], number[], number[]];

interface Counts {
  tps: number[];
  fps: number[];
  thresholds: number[];
}

/** scikit-learn's `_binary_clf_curve`: cumulative true/false positives at each distinct score, highest first. */
function binaryCounts(scores: ArrayLike<number>, labels: ArrayLike<number>, metric: string): Counts {
  if (scores.length !== labels.length) {
    throw new RangeError(`${metric}: yPred and y should have the same length, got ${scores.length} and ${labels.length}.`);
  }
  const bad = Array.from(labels).find((l) => l !== 0 && l !== 1);
  if (bad !== undefined) throw new RangeError(`${metric}: y should contain only 0 and 1, but found ${bad}.`);
  const order = Array.from(scores, (_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  const counts: Counts = { tps: [], fps: [], thresholds: [] };
  let tp = 0;
  order.forEach((idx, k) => {
    tp += labels[idx] ?? 0;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[idx]) {
      counts.tps.push(tp);
      counts.fps.push(k + 1 - tp);
      counts.thresholds.push(scores[idx] ?? 0);
    }
  });
  return counts;
}

/**
 * Precision-recall pairs for every distinct score (scikit-learn's `precision_recall_curve`): thresholds increase,
 * precision ends with 1 and recall with 0.
 *
 * @param scores - predicted scores.
 * @param labels - 0/1 targets.
 * @returns `[precision, recall, thresholds]`; without positive samples recall is 1 everywhere (sklearn warns).
 * @throws RangeError when the lengths differ or a label is not 0/1.
 * @example
 * ```ts
 * precisionRecallCurve([0.0474, 0.5987, 0.7109, 0.9997], [0, 0, 1, 1]);
 * // [[0.5, 0.6667, 1, 1, 1], [1, 1, 1, 0.5, 0], [0.0474, 0.5987, 0.7109, 0.9997]]
 * ```
 */
export function precisionRecallCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Curve {
  const { tps, fps, thresholds } = binaryCounts(scores, labels, 'PrecisionRecallCurve');
  const totalPos = tps.at(-1) ?? 0;
  const precision = tps.map((tp, i) => {
    const predicted = tp + (fps[i] ?? 0);
    return predicted === 0 ? 0 : tp / predicted;
  });
  const recall = tps.map((tp) => (totalPos === 0 ? 1 : tp / totalPos));
  return [[...precision.reverse(), 1], [...recall.reverse(), 0], thresholds.reverse()];
}

/**
 * The ROC curve (scikit-learn's `roc_curve` with `drop_intermediate=True`): collinear points are dropped and the
 * curve starts at (0, 0) with threshold +Infinity.
 *
 * @param scores - predicted scores.
 * @param labels - 0/1 targets.
 * @returns `[fpr, tpr, thresholds]` (thresholds decrease); fpr (tpr) is NaN when there is no negative (positive).
 * @throws RangeError when the lengths differ or a label is not 0/1.
 * @example
 * ```ts
 * rocCurve([0.0474, 0.5987, 0.7109, 0.9997], [0, 0, 1, 0]);
 * // [[0, 0.333, 0.333, 1], [0, 0, 1, 1], [Infinity, 0.9997, 0.7109, 0.0474]]
 * ```
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Curve {
  let { tps, fps, thresholds } = binaryCounts(scores, labels, 'RocCurve');
  if (tps.length > 2) {
    const keep = tps.map((_, i) => {
      if (i === 0 || i === tps.length - 1) return true;
      const d2 = (a: number[]): number => (a[i + 1] ?? 0) - 2 * (a[i] ?? 0) + (a[i - 1] ?? 0);
      return d2(fps) !== 0 || d2(tps) !== 0;
    });
    tps = tps.filter((_, i) => keep[i]);
    fps = fps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  const totalPos = tps.at(-1) ?? 0;
  const totalNeg = fps.at(-1) ?? 0;
  const fpr = [0, ...fps].map((v) => (totalNeg > 0 ? v / totalNeg : Number.NaN));
  const tpr = [0, ...tps].map((v) => (totalPos > 0 ? v / totalPos : Number.NaN));
  return [fpr, tpr, [Number.POSITIVE_INFINITY, ...thresholds]];
}

function binaryCurveFn(curve: (s: ArrayLike<number>, l: ArrayLike<number>) => Curve, metric: string) {
  return (p: tf.Tensor, t: tf.Tensor): Curve => {
    if (p.rank !== 1 || t.rank !== 1) {
      throw new RangeError(
        `${metric} is defined for binary data: yPred and y of shape (N,) or (N, 1), but given ${fmtShape(p.shape)} and ${fmtShape(t.shape)}.`,
      );
    }
    return curve(p.dataSync(), t.dataSync());
  };
}

/**
 * Precision-recall curve of binary scores over the epoch (an {@link EpochMetric}): `yPred` scores (probabilities
 * or confidences, e.g. after `tf.sigmoid` in the `outputTransform`) and `y` 0/1, of shape `(N,)` or `(N, 1)`.
 *
 * @example
 * ```ts
 * new PrecisionRecallCurve().attach(evaluator, 'pr_curve');
 * const [precision, recall, thresholds] = (await evaluator.run(data)).metrics.pr_curve as number[][];
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.PrecisionRecallCurve.html
 */
export class PrecisionRecallCurve extends EpochMetric<Curve> {
  /** @param options - `checkComputeFn` (default false, as in Ignite) and the common metric options. */
  constructor(options: EpochMetricOptions = {}) {
    super(binaryCurveFn(precisionRecallCurve, 'PrecisionRecallCurve'), { checkComputeFn: false, ...options });
  }

  /**
   * The curve of everything seen since the last reset (cached until the next update).
   *
   * @returns `[precision, recall, thresholds]`.
   * @throws NotComputableError before any update; RangeError when a label is not 0/1.
   */
  override compute(): Curve {
    return super.compute() as Curve;
  }
}

/**
 * ROC curve of binary scores over the epoch (an {@link EpochMetric}): `yPred` scores and `y` 0/1, of shape `(N,)`
 * or `(N, 1)`.
 *
 * @example
 * ```ts
 * new RocCurve().attach(evaluator, 'roc');
 * const [fpr, tpr, thresholds] = (await evaluator.run(data)).metrics.roc as number[][];
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.RocCurve.html
 */
export class RocCurve extends EpochMetric<Curve> {
  /** @param options - `checkComputeFn` (default false, as in Ignite) and the common metric options. */
  constructor(options: EpochMetricOptions = {}) {
    super(binaryCurveFn(rocCurve, 'RocCurve'), { checkComputeFn: false, ...options });
  }

  /**
   * The curve of everything seen since the last reset (cached until the next update).
   *
   * @returns `[fpr, tpr, thresholds]`.
   * @throws NotComputableError before any update; RangeError when a label is not 0/1.
   */
  override compute(): Curve {
    return super.compute() as Curve;
  }
}
