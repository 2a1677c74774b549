/**
 * @module Port of ignite/metrics/confusion_matrix.py: ConfusionMatrix and the helpers IoU, mIoU, DiceCoefficient,
 * JaccardIndex, cmAccuracy, cmPrecision and cmRecall (MetricsLambda built on a ConfusionMatrix).
 * Deviations: the matrix is accumulated on the device as `oneHot(y)ᵀ · oneHot(argmax(yPred))` (int32 running
 * counts) instead of `bincount`; results are plain `number[][]` / `number[]`; helpers take an options
 * object (`{ ignoreIndex }`).
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { Metric, type MetricOptions } from './metric.js';
import { MetricsLambda } from './metrics-lambda.js';
import { DeviceSum, classesLast, describeValue, fmtShape, isIntegerTensor, toTensor } from './internal/tensors.js';
import { syncedNumber, syncedSum, type SyncedState } from './internal/sync.js';
import { meanOf } from './internal/numeric.js';

/**
 * Normalisation of the confusion matrix.
 *
 */
export type ConfusionMatrixAverage = 'samples' | 'recall' | 'precision';

/**
 * Options of {@link ConfusionMatrix}.
 *
 */
export interface ConfusionMatrixOptions extends MetricOptions {
  /** `'samples'`: divide by the number of samples; `'recall'`: rows sum to 1; `'precision'`: columns sum to 1. */
  average?: ConfusionMatrixAverage;
}

/**
 * Confusion matrix for multiclass data (rows: true class, columns: predicted class). `yPred` `(N, C, ...)` scores,
 * `y` `(N, ...)` int32 labels; targets outside `[0, C)` (e.g. an "ignore" label such as 255) are skipped.
 *
 * @example
 * ```ts
 * const cm = new ConfusionMatrix(3);
 * cm.attach(evaluator, 'cm');
 * mIoU(cm).attach(evaluator, 'miou');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.confusion_matrix.ConfusionMatrix.html
 */
export class ConfusionMatrix extends Metric<number[][]> {
  /** Number of classes. */
  readonly numClasses: number;
  /** Normalisation, if any. */
  readonly average: ConfusionMatrixAverage | undefined;
  readonly #matrix = new DeviceSum();
  #numExamples = 0;

  /**
   * @param numClasses - number of classes (> 1).
   * @param options - `average` and the common metric options.
   * @throws RangeError for `numClasses <= 1` or an unknown `average`.
   */
  constructor(numClasses: number, options: ConfusionMatrixOptions = {}) {
    const { average, ...rest } = options;
    super(rest);
    if (average !== undefined && !['samples', 'recall', 'precision'].includes(average)) {
      throw new RangeError(
        `Argument average can be undefined or one of 'samples', 'recall', 'precision', got ${String(average)}`,
      );
    }
    if (!Number.isInteger(numClasses) || numClasses <= 1) {
      throw new RangeError(`Argument numClasses needs to be an integer > 1, got ${numClasses}`);
    }
    this.numClasses = numClasses;
    this.average = average;
  }

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#matrix), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the matrix. */
  reset(): void {
    this.#matrix.reset();
    this.#numExamples = 0;
  }

  #checkShape(yPred: tf.Tensor, y: tf.Tensor): void {
    const c = this.numClasses;
    if (yPred.rank < 2) {
      throw new RangeError(
        `yPred must have shape (batchSize, numClasses (currently set to ${c}), ...), but given ${fmtShape(yPred.shape)}`,
      );
    }
    if (yPred.shape[1] !== c) {
      throw new RangeError(`yPred does not have correct number of classes: ${yPred.shape[1]} vs ${c}`);
    }
    const predShape = fmtShape([yPred.shape[0] ?? 0, ...yPred.shape.slice(2)]);
    if (y.rank + 1 !== yPred.rank || fmtShape(y.shape) !== predShape) {
      throw new RangeError(
        `yPred must have shape (batchSize, numClasses (currently set to ${c}), ...) and y must have shape of ` +
          `(batchSize, ...), but given ${fmtShape(y.shape)} vs ${fmtShape(yPred.shape)}.`,
      );
    }
    if (!isIntegerTensor(y)) {
      throw new TypeError(`y should be an int32 tensor of class indices, but given ${y.dtype}. Use tf.cast(y, 'int32').`);
    }
  }

  /**
   * Adds one batch to the matrix on the device.
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws RangeError / TypeError for malformed inputs.
   */
  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`ConfusionMatrix.update expects [yPred, y], but given ${describeValue(output)}.`);
    }
    let n = 0;
    this.#matrix.add(() => {
      const yPred = toTensor(output[0], 'yPred');
      const y = toTensor(output[1], 'y');
      this.#checkShape(yPred, y);
      n = yPred.shape[0] ?? 0;
      const pred = tf.argMax(classesLast(yPred), 1);
      // oneHot gives an all-zero row for indices outside [0, C): those targets are skipped, as in Ignite.
      const t = tf.oneHot(tf.reshape<tf.Rank.R1>(tf.cast(y, 'int32'), [-1]), this.numClasses);
      const p = tf.oneHot(pred, this.numClasses);
      // float32 matMul is exact up to 2^24 per cell and batch; the running matrix is int32 (exact up to 2^31).
      return tf.cast(tf.matMul(tf.cast(t, 'float32'), tf.cast(p, 'float32'), true, false), 'int32');
    });
    this.#numExamples += n;
  }

  /**
   * Reads the matrix back once and normalises it if `average` is set.
   *
   * @returns the `C x C` matrix.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number[][] {
    if (this.#numExamples === 0) {
      throw new NotComputableError('Confusion matrix must have at least one example before it can be computed.');
    }
    const m = this.#matrix.read() as number[][];
    if (this.average === 'samples') return m.map((row) => row.map((v) => v / this.#numExamples));
    if (this.average === 'recall') {
      return m.map((row) => {
        const s = row.reduce((a, b) => a + b, 0);
        return row.map((v) => v / (s + 1e-15));
      });
    }
    if (this.average === 'precision') {
      const cols = m[0]?.map((_, j) => m.reduce((a, row) => a + (row[j] ?? 0), 0)) ?? [];
      return m.map((row) => row.map((v, j) => v / ((cols[j] ?? 0) + 1e-15)));
    }
    return m;
  }
}

/**
 * Options of the confusion-matrix helpers.
 *
 */
export interface IgnoreIndexOptions {
  /** A class index in `[0, C)` left out of the result. */
  ignoreIndex?: number;
}

function checkCm(cm: unknown, options: IgnoreIndexOptions): ConfusionMatrix {
  if (!(cm instanceof ConfusionMatrix)) {
    throw new TypeError(`Argument cm should be instance of ConfusionMatrix, but given ${describeValue(cm)}`);
  }
  if (!(cm.average === undefined || cm.average === 'samples')) {
    throw new RangeError("ConfusionMatrix should have average attribute either undefined or 'samples'");
  }
  const idx = options.ignoreIndex;
  if (idx !== undefined && !(Number.isInteger(idx) && idx >= 0 && idx < cm.numClasses)) {
    throw new RangeError(`ignoreIndex should be integer and in the range of [0, ${cm.numClasses}), but given ${idx}`);
  }
  return cm;
}

const diag = (m: number[][]): number[] => m.map((row, i) => row[i] ?? 0);
const rowSums = (m: number[][]): number[] => m.map((row) => row.reduce((a, b) => a + b, 0));
const colSums = (m: number[][]): number[] => m.map((_, j) => m.reduce((a, row) => a + (row[j] ?? 0), 0));
const dropIndex = (v: number[], idx: number | undefined): number[] => (idx === undefined ? v : v.filter((_, i) => i !== idx));

/**
 * Intersection over union per class: `TP / (TP + FP + FN)`.
 *
 * @param cm - a ConfusionMatrix with `average` undefined or 'samples'.
 * @param options - `ignoreIndex` to drop one class from the result.
 * @returns a MetricsLambda producing one number per class.
 * @throws TypeError / RangeError for an invalid `cm` or `ignoreIndex`.
 */
export function IoU(cm: ConfusionMatrix, options: IgnoreIndexOptions = {}): MetricsLambda<number[]> {
  checkCm(cm, options);
  return new MetricsLambda((m: number[][]) => {
    const d = diag(m);
    const r = rowSums(m);
    const c = colSums(m);
    return dropIndex(d.map((x, i) => x / ((r[i] ?? 0) + (c[i] ?? 0) - x + 1e-15)), options.ignoreIndex);
  }, cm);
}

/**
 * Mean IoU over classes.
 *
 * @param cm - a ConfusionMatrix with `average` undefined or 'samples'.
 * @param options - `ignoreIndex`.
 * @returns a MetricsLambda producing a number.
 */
export function mIoU(cm: ConfusionMatrix, options: IgnoreIndexOptions = {}): MetricsLambda<number> {
  return new MetricsLambda((v: number[]) => meanOf(v), IoU(cm, options));
}

/**
 * Jaccard index per class (identical to {@link IoU}).
 *
 * @param cm - a ConfusionMatrix.
 * @param options - `ignoreIndex`.
 * @returns a MetricsLambda producing one number per class.
 */
export function JaccardIndex(cm: ConfusionMatrix, options: IgnoreIndexOptions = {}): MetricsLambda<number[]> {
  return IoU(cm, options);
}

/**
 * Dice coefficient per class: `2 TP / (2 TP + FP + FN)`.
 *
 * @param cm - a ConfusionMatrix with `average` undefined or 'samples'.
 * @param options - `ignoreIndex`.
 * @returns a MetricsLambda producing one number per class.
 */
export function DiceCoefficient(cm: ConfusionMatrix, options: IgnoreIndexOptions = {}): MetricsLambda<number[]> {
  checkCm(cm, options);
  return new MetricsLambda((m: number[][]) => {
    const d = diag(m);
    const r = rowSums(m);
    const c = colSums(m);
    return dropIndex(d.map((x, i) => (2 * x) / ((r[i] ?? 0) + (c[i] ?? 0) + 1e-15)), options.ignoreIndex);
  }, cm);
}

/**
 * Accuracy from a confusion matrix: trace / total.
 *
 * @param cm - a ConfusionMatrix.
 * @returns a MetricsLambda producing a number.
 */
export function cmAccuracy(cm: ConfusionMatrix): MetricsLambda<number> {
  checkCm(cm, {});
  return new MetricsLambda((m: number[][]) => {
    const total = rowSums(m).reduce((a, b) => a + b, 0);
    return diag(m).reduce((a, b) => a + b, 0) / (total + 1e-15);
  }, cm);
}

/**
 * Precision per class from a confusion matrix (mean over classes when `average`).
 *
 * @param cm - a ConfusionMatrix.
 * @param average - return the mean over classes. @defaultValue true
 * @returns a MetricsLambda.
 */
export function cmPrecision(cm: ConfusionMatrix, average = true): MetricsLambda<number | number[]> {
  checkCm(cm, {});
  return new MetricsLambda((m: number[][]) => {
    const c = colSums(m);
    const v = diag(m).map((x, i) => x / ((c[i] ?? 0) + 1e-15));
    return average ? meanOf(v) : v;
  }, cm);
}

/**
 * Recall per class from a confusion matrix (mean over classes when `average`).
 *
 * @param cm - a ConfusionMatrix.
 * @param average - return the mean over classes. @defaultValue true
 * @returns a MetricsLambda.
 */
export function cmRecall(cm: ConfusionMatrix, average = true): MetricsLambda<number | number[]> {
  checkCm(cm, {});
  return new MetricsLambda((m: number[][]) => {
    const r = rowSums(m);
    const v = diag(m).map((x, i) => x / ((r[i] ?? 0) + 1e-15));
    return average ? meanOf(v) : v;
  }, cm);
}
