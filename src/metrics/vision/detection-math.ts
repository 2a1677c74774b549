/**
 * @module Port of ignite/metrics/mean_average_precision.py `_BaseAveragePrecision` (threshold setup, average
 * precision over a precision-recall curve) and the COCO variant of ignite/metrics/vision: plain float64 functions
 * over number arrays, shared by MeanAveragePrecision and ObjectDetectionAvgPrecisionRecall. Internal.
 */

import * as tf from '@tensorflow/tfjs-core';
import { describeValue } from '../internal/tensors.js';

/**
 * Ignite's `_setup_thresholds`: a 1-D sequence (or tensor) of values in [0, 1], returned sorted.
 *
 * @param thresholds - the thresholds.
 * @param name - the option's name for errors.
 * @returns the sorted thresholds.
 * @throws TypeError when not a sequence or 1-D tensor; RangeError for values outside [0, 1].
 * @internal
 */
export function setupThresholds(thresholds: unknown, name: string): number[] {
  let values: number[];
  if (thresholds instanceof tf.Tensor) {
    if (thresholds.rank !== 1) {
      throw new RangeError(`${name} should be a one-dimensional tensor or a sequence of floats, given a ${thresholds.rank}-dimensional tensor.`);
    }
    values = Array.from(thresholds.dataSync());
  } else if (Array.isArray(thresholds) && thresholds.every((v) => typeof v === 'number')) {
    values = [...thresholds];
  } else {
    throw new TypeError(`${name} should be a sequence of floats or a tensor, given ${describeValue(thresholds)}.`);
  }
  values.sort((a, b) => a - b);
  if (values.length === 0 || (values[0] ?? 0) < 0 || (values.at(-1) ?? 0) > 1) {
    throw new RangeError(`${name} values should be between 0 and 1, given [${values.join(', ')}]`);
  }
  return values;
}

/**
 * Indices that sort `values` in decreasing order, ties kept in their original order (torch's stable argsort).
 *
 * @param values - the scores.
 * @returns the permutation.
 * @internal
 */
export function stableDescending(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0) || a - b);
}

/** First index `i` with `sorted[i] >= x` (numpy / torch `searchsorted`, left side). */
function searchLeft(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Ignite's `_compute_average_precision`: `Σ (r_k - r_{k-1}) P_k`, either over the curve's own recalls or, with
 * recall thresholds, over the thresholds (precision taken at the first point whose recall reaches each threshold,
 * 0 when none does).
 *
 * @param recall - increasing recalls.
 * @param precision - the matching precisions.
 * @param recThresholds - sorted recall thresholds, or null.
 * @returns the average precision.
 * @internal
 */
export function averagePrecision(recall: readonly number[], precision: readonly number[], recThresholds: readonly number[] | null): number {
  let r = recall;
  let p = precision;
  if (recThresholds !== null) {
    p = recThresholds.map((thr) => {
      const i = searchLeft(recall, thr);
      return i === recall.length ? 0 : (precision[i] ?? 0);
    });
    r = recThresholds;
  }
  let ap = 0;
  let prev = 0;
  r.forEach((ri, k) => {
    ap += (ri - prev) * (p[k] ?? 0);
    prev = ri;
  });
  return ap;
}

/**
 * COCO's average precision and recall of one class at one IoU threshold, from detections sorted by decreasing
 * score: the precision envelope (maximum over higher recalls) averaged at the recall thresholds.
 *
 * @param tp - 1 for a true positive, per detection.
 * @param fp - 1 for a false positive, per detection (a detection may be neither: ignored).
 * @param numGroundTruths - number of non-ignored ground truths (> 0).
 * @param recThresholds - sorted recall thresholds.
 * @returns the average precision and the final recall.
 * @internal
 */
export function averagePrecisionCoco(
  tp: readonly number[], fp: readonly number[], numGroundTruths: number, recThresholds: readonly number[],
): { ap: number; recall: number } {
  const recall: number[] = [];
  const precision: number[] = [];
  let tpSum = 0;
  let fpSum = 0;
  tp.forEach((x, i) => {
    tpSum += x;
    fpSum += fp[i] ?? 0;
    recall.push(tpSum / numGroundTruths);
    const predicted = tpSum + fpSum;
    precision.push(tpSum / (predicted === 0 ? 1 : predicted));
  });
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i] ?? 0, precision[i + 1] ?? 0);
  let sum = 0;
  for (const thr of recThresholds) {
    const i = searchLeft(recall, thr);
    if (i < recall.length) sum += precision[i] ?? 0;
  }
  return { ap: sum / recThresholds.length, recall: recall.at(-1) ?? 0 };
}

/**
 * Ignite's `MeanAveragePrecision._compute_recall_and_precision`: the precision-recall curve of binary targets,
 * one point per distinct score (scikit-learn's convention); recall is 1 everywhere when there is no positive.
 *
 * @param yTrue - 0/1 targets.
 * @param yPred - scores.
 * @returns increasing recalls and their precisions.
 * @internal
 */
export function precisionRecallCurve(yTrue: readonly number[], yPred: readonly number[]): { recall: number[]; precision: number[] } {
  const order = stableDescending(yPred);
  const positives = yTrue.reduce((a, b) => a + b, 0);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  order.forEach((idx, k) => {
    tp += yTrue[idx] ?? 0;
    const next = order[k + 1];
    if (next !== undefined && yPred[next] === yPred[idx]) return;
    recall.push(positives === 0 ? 1 : tp / positives);
    precision.push(tp / (k + 1));
  });
  return { recall, precision };
}
