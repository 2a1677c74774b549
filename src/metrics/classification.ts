/**
 * @module Port of `_BaseClassification` (ignite/metrics/accuracy.py): shape checks and binary / multiclass /
 * multilabel detection shared by Accuracy, Precision and Recall.
 * Deviations: value checks that need the data (binary inputs are 0/1, multiclass labels are in [0, C)) run on the
 * device and are reported by `compute()` instead of `update()`, so updates never block on a device read; a float
 * `y` in the multiclass case is a TypeError (Ignite only warns) because TF.js one-hot/equality need int32 labels.
 */

import * as tf from '@tensorflow/tfjs-core';
import { Metric, type MetricOptions } from './metric.js';
import { DeferredChecks, describeValue, fmtShape, isIntegerTensor, toTensor } from './internal/tensors.js';

/**
 * The kind of classification data, detected from shapes on the first update.
 *
 */
export type ClassificationType = 'binary' | 'multiclass' | 'multilabel';

/**
 * Options of classification metrics.
 *
 */
export interface ClassificationOptions extends MetricOptions {
  /** Inputs are multilabel: `yPred` and `y` both `(N, C, ...)` of 0/1. @defaultValue false */
  isMultilabel?: boolean;
}

/**
 * Base of classification metrics: validates `[yPred, y]`, detects the data type, and keeps it fixed between resets.
 *
 */
export abstract class ClassificationMetric<TResult> extends Metric<TResult> {
  /** Whether inputs are multilabel. */
  readonly isMultilabel: boolean;
  /** Data type detected since the last reset, or null. */
  protected type: ClassificationType | null = null;
  /** Number of classes detected since the last reset, or null. */
  protected numClasses: number | null = null;
  /** Value checks evaluated in `compute()`. */
  protected readonly checks = new DeferredChecks();

  /**
   * @param options - {@link ClassificationOptions}.
   */
  constructor(options: ClassificationOptions = {}) {
    const { isMultilabel = false, ...rest } = options;
    super(rest);
    this.isMultilabel = isMultilabel;
  }

  /** Clears the detected type and the pending value checks; subclasses call `super.reset()`. */
  reset(): void {
    this.type = null;
    this.numClasses = null;
    this.checks.reset();
  }

  /** Saves the detected type and number of classes with the state. @returns the extras. */
  protected override stateExtras(): Record<string, unknown> {
    return { type: this.type, numClasses: this.numClasses };
  }

  /** Restores the detected type and number of classes. @param extras - saved by `stateExtras`. */
  protected override loadStateExtras(extras: Record<string, unknown>): void {
    const type = extras['type'];
    this.type = type === 'binary' || type === 'multiclass' || type === 'multilabel' ? type : null;
    this.numClasses = typeof extras['numClasses'] === 'number' ? extras['numClasses'] : null;
  }

  /**
   * Converts and validates one output (call inside `tf.tidy`).
   *
   * @param output - `[yPred, y]`.
   * @returns the tensors and the detected type.
   * @throws TypeError / RangeError on malformed output, shapes or dtypes.
   */
  protected prepare(output: unknown): { yPred: tf.Tensor; y: tf.Tensor; type: ClassificationType } {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(
        `${this.constructor.name}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`,
      );
    }
    const yPred = toTensor(output[0], 'yPred');
    const y = toTensor(output[1], 'y');
    this.checkShape(yPred, y);
    const type = this.checkType(yPred, y);
    return { yPred, y, type };
  }

  /**
   * Ignite's `_check_shape`.
   *
   * @param yPred - predictions.
   * @param y - targets.
   * @returns nothing.
   * @throws RangeError when shapes are incompatible.
   */
  protected checkShape(yPred: tf.Tensor, y: tf.Tensor): void {
    const shapes = `${fmtShape(y.shape)} vs ${fmtShape(yPred.shape)}`;
    if (!(y.rank === yPred.rank || y.rank + 1 === yPred.rank)) {
      throw new RangeError(
        'y must have shape of (batchSize, ...) and yPred must have shape of (batchSize, numCategories, ...) ' +
          `or (batchSize, ...), but given ${shapes}.`,
      );
    }
    const predShape = y.rank + 1 === yPred.rank ? [yPred.shape[0], ...yPred.shape.slice(2)] : yPred.shape;
    if (fmtShape(y.shape) !== fmtShape(predShape)) {
      throw new RangeError(`y and yPred must have compatible shapes, but given y ${shapes.replace(' vs ', ' vs yPred ')}.`);
    }
    if (this.isMultilabel && !(y.rank === yPred.rank && y.rank > 1 && (y.shape[1] ?? 0) > 1)) {
      throw new RangeError(
        'y and yPred must have same shape of (batchSize, numCategories, ...) and numCategories > 1, ' +
          `but given y ${fmtShape(y.shape)} and yPred ${fmtShape(yPred.shape)}.`,
      );
    }
  }

  /**
   * Ignite's `_check_type`: detects binary / multiclass / multilabel, queues value checks, and rejects a change
   * of type or number of classes since the last reset.
   *
   * @param yPred - predictions.
   * @param y - targets.
   * @returns the detected type.
   * @throws TypeError for non-integer multiclass labels; RangeError when the type or class count changed.
   */
  protected checkType(yPred: tf.Tensor, y: tf.Tensor): ClassificationType {
    let type: ClassificationType;
    let numClasses: number;
    if (y.rank + 1 === yPred.rank) {
      numClasses = yPred.shape[1] ?? 1;
      type = numClasses === 1 ? 'binary' : 'multiclass';
    } else {
      type = this.isMultilabel ? 'multilabel' : 'binary';
      numClasses = this.isMultilabel ? (yPred.shape[1] ?? 1) : 1;
    }
    if (type === 'multiclass') this.#checkLabels(y, numClasses);
    else this.#checkBinaryValues(yPred, y);
    if (this.type === null) {
      this.type = type;
      this.numClasses = numClasses;
    } else if (this.type !== type) {
      throw new RangeError(`Input data type has changed from ${this.type} to ${type}.`);
    } else if (this.numClasses !== numClasses) {
      throw new RangeError(`Input data number of classes has changed from ${this.numClasses} to ${numClasses}`);
    }
    return type;
  }

  #checkLabels(y: tf.Tensor, numClasses: number): void {
    if (!isIntegerTensor(y)) {
      throw new TypeError(
        `For multiclass data, y should be an int32 tensor of class indices, but given ${y.dtype} with shape ` +
          `${fmtShape(y.shape)}. Convert it with tf.cast(y, 'int32').`,
      );
    }
    this.checks.count(
      'labels',
      () => tf.sum(tf.logicalOr(tf.less(y, 0), tf.greaterEqual(y, numClasses))),
      () =>
        new RangeError(
          `yPred contains fewer classes than y: the number of classes in the prediction is ${numClasses} and ` +
            `y has class indices outside [0, ${numClasses}).`,
        ),
    );
  }

  #checkBinaryValues(yPred: tf.Tensor, y: tf.Tensor): void {
    const notBinary = (t: tf.Tensor): tf.Tensor => {
      const f = tf.cast(t, 'float32');
      return tf.sum(tf.notEqual(f, tf.square(f)));
    };
    this.checks.count('binary_y', () => notBinary(y), () => new RangeError("For binary cases, y must be comprised of 0's and 1's."));
    this.checks.count(
      'binary_y_pred',
      () => notBinary(yPred),
      () =>
        new RangeError(
          "For binary cases, yPred must be comprised of 0's and 1's (threshold probabilities in outputTransform, " +
            'e.g. tf.round(yPred)). For multiclass scores of shape (N, C), y must hold class indices of shape (N,): ' +
            'convert one-hot targets with tf.argMax(y, 1).',
        ),
    );
  }
}
