/**
 * @module Port of ignite/metrics/entropy.py and mutual_information.py: the mean entropy of the predicted class
 * distributions, and the mutual information between inputs and predictions.
 * Deviations: sums are float32 on the device (Ignite: the default torch dtype, float32 too); `(B, C, ...)` inputs
 * keep Ignite's layout (classes on axis 1, like the other kindling classification metrics).
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { syncedSum, type SyncedState } from '../internal/sync.js';
import { DeviceSum, classesLast, fmtShape } from '../internal/tensors.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';
import { floatPair } from './summed-metric.js';

/**
 * Logits `(B, C)` or `(B, C, ...)` as rows of class logits `(B·..., C)` (call inside `tf.tidy`).
 *
 * @param yPred - the logits.
 * @returns the 2-D logits.
 * @throws RangeError for a 1-D input.
 * @internal
 */
export function logitRows(yPred: tf.Tensor): tf.Tensor2D {
  if (yPred.rank < 2) {
    throw new RangeError(`yPred must be in the shape of (B, C) or (B, C, ...), got ${fmtShape(yPred.shape)}.`);
  }
  return classesLast(yPred);
}

/**
 * Mean entropy `-Σ_c p_c log p_c` of the softmax of the logits, over samples (and positions for `(B, C, ...)`).
 * `update([yPred, y])` takes unnormalized logits; `y` is not used.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Entropy.html
 */
export class Entropy extends SummedMetric {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected batch(output: unknown): BatchPart {
    const rows = logitRows(floatPair(output, this.constructor.name)[0]);
    const prob = tf.softmax(rows, 1);
    this.addProbabilities(prob);
    return { sum: tf.neg(tf.sum(tf.mul(prob, tf.logSoftmax(rows, 1)))), count: rows.shape[0] };
  }

  /**
   * Hook for subclasses: receives each batch's class probabilities `(rows, C)` (inside `tf.tidy`).
   *
   * @param _prob - the probabilities.
   * @returns nothing.
   */
  protected addProbabilities(_prob: tf.Tensor2D): void {}

  /**
   * The mean entropy since the last reset (natural logarithm).
   *
   * @returns the entropy in nats.
   * @throws NotComputableError before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example');
    return (this.total.read() as number) / n;
  }
}

/**
 * Mutual information between inputs and predictions, `H(mean_i p_i) - mean_i H(p_i)` (clamped at 0), from logits
 * `(B, C)` or `(B, C, ...)`; `y` is not used.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MutualInformation.html
 */
export class MutualInformation extends Entropy {
  readonly #probSum = new DeviceSum();

  protected override syncedState(): SyncedState[] {
    return [...super.syncedState(), syncedSum(this.#probSum)];
  }

  /** Clears the sums. */
  override reset(): void {
    super.reset();
    this.#probSum.reset();
  }

  protected override addProbabilities(prob: tf.Tensor2D): void {
    this.#probSum.add(() => tf.sum(prob, 0));
  }

  /**
   * The mutual information since the last reset (natural logarithm).
   *
   * @returns a number >= 0, in nats.
   * @throws NotComputableError before any update.
   */
  override compute(): number {
    const conditional = super.compute();
    const n = this.count;
    const marginal = (this.#probSum.read() as number[]).map((s) => s / n);
    const marginalEntropy = -marginal.reduce((acc, p) => acc + p * Math.log(p), 0);
    return Math.max(0, marginalEntropy - conditional);
  }
}
