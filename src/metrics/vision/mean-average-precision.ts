/**
 * @module Port of ignite/metrics/mean_average_precision.py `MeanAveragePrecision`: the mean over classes of the
 * average precision of binary, multiclass or multilabel scores (a classification metric in Ignite 0.5.3; for
 * object detection use ObjectDetectionAvgPrecisionRecall).
 * Deviations: inputs are kept on the device and read once in `compute()`, which also runs the value checks (0/1
 * targets, class indices below the number of classes) instead of `update()`; the curve is computed in float64
 * JavaScript; `compute()` before any update is a NotComputableError (Ignite: RuntimeError); a float `y` in the
 * multiclass case is accepted when it holds whole numbers (Ignite warns).
 */

import * as tf from '@tensorflow/tfjs-core';
import { allGather } from '../../distributed/collectives.js';
import { getWorldSize } from '../../distributed/context.js';
import { NotComputableError } from '../../errors.js';
import type { ClassificationType } from '../classification.js';
import { Metric, type MetricOptions } from '../metric.js';
import { classesLast, describeValue, fmtShape, toTensor } from '../internal/tensors.js';
import { averagePrecision, precisionRecallCurve, setupThresholds } from './detection-math.js';

/**
 * How the per-class average precisions combine: `'macro'` (mean), `'weighted'` (by class support), `'micro'`
 * (one curve over all classes' scores), or `null` (the per-class values).
 *
 */
export type ClassMean = 'micro' | 'macro' | 'weighted' | null;

/**
 * Options of {@link MeanAveragePrecision}.
 *
 */
export interface MeanAveragePrecisionOptions extends MetricOptions {
  /** Recall thresholds in [0, 1] (any order); by default the curve's own recalls. */
  recThresholds?: readonly number[] | tf.Tensor;
  /** How to average over classes (ignored for binary data). @defaultValue 'macro' */
  classMean?: ClassMean;
  /** Inputs are multilabel: `yPred` and `y` both `(N, L, ...)`. @defaultValue false */
  isMultilabel?: boolean;
}

/**
 * Mean average precision of classification scores: binary `yPred (N, ...)` probabilities with 0/1 `y (N, ...)`;
 * multiclass `yPred (N, C, ...)` scores with class indices `y (N, ...)`; multilabel (`isMultilabel`) `yPred` and
 * 0/1 `y` both `(N, L, ...)`.
 *
 * @example
 * ```ts
 * const map = new MeanAveragePrecision();
 * map.update([tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]), tf.tensor1d([0, 2], 'int32')]);
 * map.compute(); // 1 when every class's positives outrank its negatives
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MeanAveragePrecision.html
 */
export class MeanAveragePrecision extends Metric<number | number[]> {
  readonly #recThresholds: number[] | null;
  readonly #classMean: ClassMean;
  readonly #isMultilabel: boolean;
  #type: ClassificationType | null = null;
  #numClasses = 0;
  #preds: tf.Tensor[] = [];
  #targets: tf.Tensor[] = [];

  /**
   * @param options - recall thresholds, class mean, multilabel flag and the common metric options.
   * @throws TypeError / RangeError for malformed thresholds or an unknown `classMean`.
   */
  constructor(options: MeanAveragePrecisionOptions = {}) {
    const { recThresholds, classMean = 'macro', isMultilabel = false, ...rest } = options;
    super(rest);
    this.#recThresholds = recThresholds === undefined ? null : setupThresholds(recThresholds, 'recThresholds');
    if (classMean !== null && !['micro', 'macro', 'weighted'].includes(classMean)) {
      throw new RangeError(`Wrong \`classMean\` parameter, given ${String(classMean)}`);
    }
    this.#classMean = classMean;
    this.#isMultilabel = isMultilabel;
  }

  /** Disposes the stored batches. */
  reset(): void {
    tf.dispose([...this.#preds, ...this.#targets]);
    this.#preds = [];
    this.#targets = [];
    this.#type = null;
    this.#numClasses = 0;
  }

  /**
   * Checks shapes and types and stores a copy of the batch as `(samples, classes)` scores and targets.
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws TypeError for a malformed output or integer scores; RangeError for incompatible shapes or a change of
   *   data type / number of classes since the last reset.
   */
  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`MeanAveragePrecision.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
    }
    const [p, t] = tf.tidy(() => {
      const yPred = toTensor(output[0], 'yPred');
      const y = toTensor(output[1], 'y');
      if (yPred.dtype !== 'float32') throw new TypeError(`\`yPred\` should be a float tensor, given ${yPred.dtype}`);
      const [type, numClasses] = this.#detect(yPred, y);
      this.#check(type, numClasses);
      // Copies: the caller may dispose its tensors after update() (classesLast returns rank-2 inputs as they are).
      if (type === 'binary') return [tf.reshape(yPred, [-1, 1]), tf.reshape(tf.cast(y, 'float32'), [-1, 1])];
      const targets = type === 'multiclass' ? tf.reshape(tf.cast(y, 'float32'), [-1, 1]) : classesLast(tf.cast(y, 'float32'));
      return [tf.clone(classesLast(yPred)), tf.clone(targets)];
    });
    this.#preds.push(p);
    this.#targets.push(t);
  }

  #detect(yPred: tf.Tensor, y: tf.Tensor): [ClassificationType, number] {
    const shapes = `y ${fmtShape(y.shape)} and yPred ${fmtShape(yPred.shape)}`;
    if (y.rank + 1 === yPred.rank) {
      const rest = [yPred.shape[0], ...yPred.shape.slice(2)];
      if (fmtShape(rest) !== fmtShape(y.shape)) throw new RangeError(`y and yPred must have compatible shapes, but given ${shapes}.`);
      const c = yPred.shape[1] ?? 1;
      if (this.#isMultilabel) throw new RangeError(`y and yPred must have same shape of (batch_size, num_categories, ...), but given ${shapes}.`);
      return c === 1 ? ['binary', 1] : ['multiclass', c];
    }
    if (y.rank !== yPred.rank || fmtShape(y.shape) !== fmtShape(yPred.shape)) {
      throw new RangeError(
        'y must have shape of (batch_size, ...) and yPred must have shape of (batch_size, num_categories, ...) or ' +
          `(batch_size, ...), but given ${shapes}.`,
      );
    }
    if (!this.#isMultilabel) return ['binary', 1];
    if (y.rank < 2 || (y.shape[1] ?? 0) < 2) {
      throw new RangeError(`y and yPred must have same shape of (batch_size, num_categories, ...) and num_categories > 1, but given ${shapes}.`);
    }
    return ['multilabel', y.shape[1] ?? 0];
  }

  #check(type: ClassificationType, numClasses: number): void {
    if (this.#type === null) {
      this.#type = type;
      this.#numClasses = numClasses;
    } else if (this.#type !== type) {
      throw new RangeError(`Input data type has changed from ${this.#type} to ${type}.`);
    } else if (this.#numClasses !== numClasses) {
      throw new RangeError(`Input data number of classes has changed from ${this.#numClasses} to ${numClasses}`);
    }
  }

  /** Reads (and in a distributed run gathers) the stored batches as per-class rows: scores and 0/1 targets. */
  #rows(): { scores: number[][]; targets: number[][] } {
    const [p, t] = tf.tidy(() => {
      let preds = tf.concat(this.#preds, 0);
      let targets = tf.concat(this.#targets, 0);
      if (getWorldSize() > 1) {
        preds = allGather(preds);
        targets = allGather(targets);
      }
      return [preds.arraySync() as number[][], targets.arraySync() as number[][]];
    });
    const c = this.#numClasses;
    const scores = Array.from({ length: c }, (_, k) => p.map((row) => row[k] ?? 0));
    let targets: number[][];
    if (this.#type === 'multiclass') {
      const labels = t.map((row) => row[0] ?? 0);
      const bad = labels.find((l) => !Number.isInteger(l) || l < 0 || l >= c);
      if (bad !== undefined) {
        throw new RangeError(`yPred contains fewer classes than y. Number of classes in prediction is ${c} and an element in y has invalid class = ${bad + 1}.`);
      }
      targets = Array.from({ length: c }, (_, k) => labels.map((l) => (l === k ? 1 : 0)));
    } else {
      targets = Array.from({ length: c }, (_, k) => t.map((row) => row[k] ?? 0));
      if (targets.some((r) => r.some((v) => v !== 0 && v !== 1))) throw new RangeError("For binary cases, y must be comprised of 0's and 1's.");
    }
    return { scores, targets };
  }

  /**
   * Reads every stored batch once and computes the average precisions.
   *
   * @returns binary: the AP; otherwise the class mean, or one AP per class when `classMean` is null.
   * @throws {@link NotComputableError} before any update; RangeError for invalid target values.
   */
  compute(): number | number[] {
    if (this.#preds.length === 0) {
      throw new NotComputableError('MeanAveragePrecision must have at least one example before it can be computed.');
    }
    let { scores, targets } = this.#rows();
    if (this.#classMean === 'micro' && this.#type !== 'binary') {
      scores = [scores.flat()];
      targets = [targets.flat()];
    }
    const support = targets.map((r) => r.reduce((a, b) => a + b, 0));
    const aps = targets.map((r, k) => {
      const { recall, precision } = precisionRecallCurve(r, scores[k] ?? []);
      return averagePrecision(recall, precision, this.#recThresholds);
    });
    if (this.#type === 'binary') return aps[0] ?? 0;
    if (this.#classMean === null) return aps;
    if (this.#classMean === 'weighted') {
      const total = support.reduce((a, b) => a + b, 0);
      return aps.reduce((acc, ap, k) => acc + ap * (support[k] ?? 0), 0) / total;
    }
    return aps.reduce((a, b) => a + b, 0) / aps.length;
  }
}
