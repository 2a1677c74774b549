/**
 * @module Port of ignite/metrics/multilabel_confusion_matrix.py: one 2x2 confusion matrix per class for
 * multilabel data.
 * Deviations: the result is a plain `number[][][]` (Ignite: an int64 or float64 tensor); counts are int32 on the
 * device; the 0/1 value checks are reported by `compute()` (so `update()` never blocks on a device read); a
 * non-integer dtype is a TypeError.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { Metric, type MetricOptions } from '../metric.js';
import { syncedNumber, syncedSum, type SyncedState } from '../internal/sync.js';
import { DeferredChecks, DeviceSum, describeValue, fmtShape, isIntegerTensor, toTensor } from '../internal/tensors.js';

/**
 * Options of {@link MultiLabelConfusionMatrix}.
 *
 */
export interface MultiLabelConfusionMatrixOptions extends MetricOptions {
  /** Divide each class's matrix by its sum. @defaultValue false */
  normalized?: boolean;
}

/**
 * Confusion matrices of multilabel data: `yPred` and `y` of shape `(N, numClasses, ...)` holding 0/1 (int32 or
 * bool). The result `M` has shape `(numClasses, 2, 2)`: `M[i][0][0]` true negatives, `M[i][0][1]` false positives,
 * `M[i][1][0]` false negatives and `M[i][1][1]` true positives of class i (counts, or rates when `normalized`).
 *
 * @example
 * ```ts
 * const mlcm = new MultiLabelConfusionMatrix(3);
 * mlcm.update([tf.tensor2d([[1, 1, 0], [1, 0, 1]], undefined, 'int32'), tf.tensor2d([[0, 0, 1], [1, 0, 0]], undefined, 'int32')]);
 * mlcm.compute(); // [[[0, 1], [0, 1]], [[1, 1], [0, 0]], [[0, 1], [1, 0]]]
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MultiLabelConfusionMatrix.html
 */
export class MultiLabelConfusionMatrix extends Metric<number[][][]> {
  /** The number of classes. */
  readonly numClasses: number;
  /** Whether `compute()` returns rates. */
  readonly normalized: boolean;
  readonly #matrix = new DeviceSum();
  readonly #checks = new DeferredChecks();
  #numExamples = 0;

  /**
   * @param numClasses - the number of classes (> 1).
   * @param options - `normalized` and the common metric options.
   * @throws RangeError when `numClasses <= 1`.
   */
  constructor(numClasses: number, options: MultiLabelConfusionMatrixOptions = {}) {
    const { normalized = false, ...rest } = options;
    super(rest);
    if (!(Number.isInteger(numClasses) && numClasses > 1)) {
      throw new RangeError(`Argument numClasses needs to be > 1, got ${String(numClasses)}`);
    }
    this.numClasses = numClasses;
    this.normalized = normalized;
  }

  /** Ignite's `@sync_all_reduce("confusion_matrix", "_num_examples")`. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#matrix), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the matrices. */
  reset(): void {
    this.#matrix.reset();
    this.#checks.reset();
    this.#numExamples = 0;
  }

  /**
   * Adds one batch's true negatives, false positives, false negatives and true positives per class.
   *
   * @param output - `[yPred, y]`, both `(N, numClasses, ...)` of 0/1.
   * @returns nothing.
   * @throws RangeError for wrong shapes; TypeError for a non-integer dtype.
   */
  update(output: unknown): void {
    let n = 0;
    this.#matrix.add(() => {
      const [yPred, y] = this.#prepare(output);
      n = y.shape[0] ?? 0;
      const c = this.numClasses;
      const perm = [1, 0, ...Array.from({ length: y.rank - 2 }, (_, i) => i + 2)];
      const t = tf.reshape(tf.transpose(tf.cast(y, 'int32'), perm), [c, -1]);
      const p = tf.reshape(tf.transpose(tf.cast(yPred, 'int32'), perm), [c, -1]);
      const tp = tf.sum(tf.mul(t, p), 1);
      const fp = tf.sub(tf.sum(p, 1), tp);
      const fn = tf.sub(tf.sum(t, 1), tp);
      const tn = tf.sub(tf.sub(tf.sub(tf.scalar(t.shape[1] ?? 0, 'int32'), tp), fp), fn);
      return tf.reshape(tf.stack([tn, fp, fn, tp], 1), [c, 2, 2]);
    });
    this.#numExamples += n;
  }

  #prepare(output: unknown): [tf.Tensor, tf.Tensor] {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`MultiLabelConfusionMatrix.update expects [yPred, y], but given ${describeValue(output)}.`);
    }
    const yPred = toTensor(output[0], 'yPred');
    const y = toTensor(output[1], 'y');
    const c = this.numClasses;
    for (const [t, name] of [[yPred, 'yPred'], [y, 'y']] as const) {
      if (t.rank < 2) throw new RangeError(`${name} must at least have shape (batch_size, num_classes (currently set to ${c}), ...)`);
    }
    if (yPred.shape[0] !== y.shape[0]) {
      throw new RangeError(`yPred and y have different batch size: ${yPred.shape[0]} vs ${y.shape[0]}`);
    }
    if (yPred.shape[1] !== c) throw new RangeError(`yPred does not have correct number of classes: ${yPred.shape[1]} vs ${c}`);
    if (y.shape[1] !== c) throw new RangeError(`y does not have correct number of classes: ${y.shape[1]} vs ${c}`);
    if (fmtShape(y.shape) !== fmtShape(yPred.shape)) {
      throw new RangeError(`y and yPred shapes must match, but given ${fmtShape(y.shape)} and ${fmtShape(yPred.shape)}.`);
    }
    for (const [t, name] of [[yPred, 'yPred'], [y, 'y']] as const) {
      if (!isIntegerTensor(t)) throw new TypeError(`${name} must be of an integer type (int32 or bool), got ${t.dtype}.`);
      const key = `${name}_binary`;
      this.#checks.count(key, () => tf.sum(tf.cast(tf.notEqual(t, tf.square(t)), 'int32')), () => new RangeError(`${name} must be a binary tensor`));
    }
    return [yPred, y];
  }

  /**
   * Reads the matrices back once.
   *
   * @returns `(numClasses, 2, 2)` counts, or rates (each class's matrix divided by its sum) when `normalized`.
   * @throws NotComputableError before any update; RangeError when an input was not 0/1.
   */
  compute(): number[][][] {
    if (this.#numExamples === 0) {
      throw new NotComputableError('Confusion matrix must have at least one example before it can be computed.');
    }
    this.#checks.verify();
    const m = this.#matrix.read() as number[][][];
    if (!this.normalized) return m;
    return m.map((cls) => {
      const total = cls.flat().reduce((a, b) => a + b, 0);
      return cls.map((row) => row.map((v) => v / total));
    });
  }
}
