/**
 * @module Port of ignite/metrics/top_k_categorical_accuracy.py.
 * Deviations: ties are broken by `tf.topk` (lower index first); counts are int32 on the device.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { Metric, type MetricOptions } from './metric.js';
import { DeviceSum, describeValue, fmtShape, isIntegerTensor, toTensor } from './internal/tensors.js';
import { syncedNumber, syncedSum, type SyncedState } from './internal/sync.js';

/**
 * Options of {@link TopKCategoricalAccuracy}.
 *
 */
export interface TopKOptions extends MetricOptions {
  /** How many top predictions may contain the target. @defaultValue 5 */
  k?: number;
}

/**
 * Top-k categorical accuracy: the fraction of samples whose target is among the `k` highest scores.
 * `yPred` `(N, C)` scores, `y` `(N,)` int32 labels.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.TopKCategoricalAccuracy.html
 */
export class TopKCategoricalAccuracy extends Metric<number> {
  readonly #k: number;
  readonly #numCorrect = new DeviceSum();
  #numExamples = 0;

  /**
   * @param options - `k` and the common metric options.
   * @throws RangeError for `k < 1`.
   */
  constructor(options: TopKOptions = {}) {
    const { k = 5, ...rest } = options;
    super(rest);
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`Argument k should be a positive integer, got ${k}`);
    this.#k = k;
  }

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#numCorrect), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the counts. */
  reset(): void {
    this.#numCorrect.reset();
    this.#numExamples = 0;
  }

  /**
   * Counts the samples of one batch whose target is in the top k (no device read).
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws TypeError / RangeError for malformed inputs or `k` larger than the number of classes.
   */
  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`TopKCategoricalAccuracy.update expects [yPred, y], but given ${describeValue(output)}.`);
    }
    let n = 0;
    this.#numCorrect.add(() => {
      const yPred = toTensor(output[0], 'yPred');
      const y = toTensor(output[1], 'y');
      if (yPred.rank !== 2 || y.rank !== 1 || y.shape[0] !== yPred.shape[0]) {
        throw new RangeError(
          `TopKCategoricalAccuracy expects yPred of shape (N, C) and y of shape (N,), but given yPred ` +
            `${fmtShape(yPred.shape)} and y ${fmtShape(y.shape)}.`,
        );
      }
      if (!isIntegerTensor(y)) {
        throw new TypeError(`y should be an int32 tensor of class indices, but given ${y.dtype}. Use tf.cast(y, 'int32').`);
      }
      if ((yPred.shape[1] ?? 0) < this.#k) {
        throw new RangeError(`k=${this.#k} is larger than the number of classes ${yPred.shape[1]} of yPred.`);
      }
      n = yPred.shape[0] ?? 0;
      const { indices } = tf.topk(yPred, this.#k);
      const hits = tf.equal(indices, tf.expandDims(tf.cast(y, 'int32'), 1));
      return tf.sum(tf.cast(hits, 'int32'));
    });
    this.#numExamples += n;
  }

  /**
   * Reads the count once.
   *
   * @returns the top-k accuracy.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    if (this.#numExamples === 0) {
      throw new NotComputableError('TopKCategoricalAccuracy must have at least one example before it can be computed.');
    }
    return (this.#numCorrect.read() as number) / this.#numExamples;
  }
}
