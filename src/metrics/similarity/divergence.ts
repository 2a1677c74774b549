/**
 * @module Port of ignite/metrics/kl_divergence.py and js_divergence.py: the mean Kullback-Leibler and
 * Jensen-Shannon divergences between the class distributions of targets and predictions (both given as logits).
 * Deviations: `(B, C, ...)` inputs keep Ignite's layout (classes on axis 1, like the other kindling classification
 * metrics); sums are float32 on the device.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { logitRows } from './entropy.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';
import { checkSameShape, floatPair } from './summed-metric.js';

/**
 * Mean `D_KL(p ‖ q) = Σ_c p_c log(p_c / q_c)`, where p is the softmax of `y` (ground truth) and q the softmax of
 * `yPred`. Inputs: logits `(B, C)` or `(B, C, ...)` of the same shape.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.KLDivergence.html
 */
export class KLDivergence extends SummedMetric {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super(options);
  }

  protected batch(output: unknown): BatchPart {
    const [yPred, y] = floatPair(output, this.constructor.name);
    checkSameShape(yPred, y, ['yPred', 'y']);
    const q = logitRows(yPred);
    const p = logitRows(y);
    return { sum: this.divergenceSum(tf.logSoftmax(q, 1), tf.logSoftmax(p, 1)), count: q.shape[0] };
  }

  /**
   * The batch's summed divergence from log-probabilities (inside `tf.tidy`).
   *
   * @param logQ - log-probabilities of the predictions `(rows, C)`.
   * @param logP - log-probabilities of the targets `(rows, C)`.
   * @returns a scalar.
   */
  protected divergenceSum(logQ: tf.Tensor, logP: tf.Tensor): tf.Tensor {
    return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)));
  }

  /**
   * The mean divergence since the last reset (natural logarithm).
   *
   * @returns the divergence in nats.
   * @throws NotComputableError before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example');
    return (this.total.read() as number) / n;
  }
}

/**
 * Mean Jensen-Shannon divergence `½ D_KL(p ‖ m) + ½ D_KL(q ‖ m)` with `m = (p + q) / 2`, where p and q are the
 * softmax of `y` and `yPred`. Inputs: logits `(B, C)` or `(B, C, ...)` of the same shape.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.JSDivergence.html
 */
export class JSDivergence extends KLDivergence {
  protected override divergenceSum(logQ: tf.Tensor, logP: tf.Tensor): tf.Tensor {
    const q = tf.exp(logQ);
    const p = tf.exp(logP);
    const logM = tf.log(tf.div(tf.add(p, q), 2));
    return tf.add(tf.sum(tf.mul(q, tf.sub(logQ, logM))), tf.sum(tf.mul(p, tf.sub(logP, logM))));
  }

  /**
   * The mean Jensen-Shannon divergence since the last reset (natural logarithm).
   *
   * @returns the divergence in nats, in [0, ln 2].
   * @throws NotComputableError before any update.
   */
  override compute(): number {
    return super.compute() / 2;
  }
}
