/**
 * @module Port of ignite/metrics/accuracy.py `Accuracy`: binary, multiclass and multilabel accuracy.
 * Deviations: see `classification.ts` (value checks are reported by `compute()`); counts are int32 on the device.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { ClassificationMetric, type ClassificationOptions } from './classification.js';
import { DeviceSum, classesLast } from './internal/tensors.js';
import { syncedNumber, syncedSum, type SyncedState } from './internal/sync.js';

/**
 * Accuracy: the fraction of correct predictions. Binary: `yPred` and `y` of 0/1 with the same shape. Multiclass:
 * `yPred` `(N, C, ...)` scores and `y` `(N, ...)` int32 labels. Multilabel (`isMultilabel`): both `(N, C, ...)` of
 * 0/1, and a sample is correct when all its labels match.
 *
 * @example
 * ```ts
 * const acc = new Accuracy();
 * acc.update([tf.tensor2d([[0.1, 0.9], [0.8, 0.2]]), tf.tensor1d([1, 1], 'int32')]);
 * acc.compute(); // 0.5
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Accuracy.html
 */
export class Accuracy extends ClassificationMetric<number> {
  readonly #numCorrect = new DeviceSum();
  #numExamples = 0;

  /**
   * @param options - `isMultilabel` and the common metric options.
   */
  constructor(options: ClassificationOptions = {}) {
    super(options);
  }

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#numCorrect), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the counts. */
  override reset(): void {
    super.reset();
    this.#numCorrect.reset();
    this.#numExamples = 0;
  }

  /**
   * Accumulates the number of correct predictions of one batch (no device read).
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws TypeError / RangeError for malformed inputs.
   */
  update(output: unknown): void {
    let n = 0;
    this.#numCorrect.add(() => {
      const { yPred, y, type } = this.prepare(output);
      let correct: tf.Tensor;
      if (type === 'binary') {
        correct = tf.equal(tf.cast(tf.reshape(yPred, [-1]), 'float32'), tf.cast(tf.reshape(y, [-1]), 'float32'));
      } else if (type === 'multiclass') {
        correct = tf.reshape(tf.equal(tf.argMax(yPred, 1), tf.cast(y, 'int32')), [-1]);
      } else {
        const p = tf.cast(classesLast(yPred), 'float32');
        const t = tf.cast(classesLast(y), 'float32');
        correct = tf.all(tf.equal(p, t), -1);
      }
      n = correct.shape[0] ?? 0;
      return tf.sum(tf.cast(correct, 'int32'));
    });
    this.#numExamples += n;
  }

  /**
   * Reads the counts back once.
   *
   * @returns correct / examples.
   * @throws {@link NotComputableError} before any update; RangeError when a deferred value check failed.
   */
  compute(): number {
    if (this.#numExamples === 0) {
      throw new NotComputableError('Accuracy must have at least one example before it can be computed.');
    }
    this.checks.verify();
    return (this.#numCorrect.read() as number) / this.#numExamples;
  }
}
