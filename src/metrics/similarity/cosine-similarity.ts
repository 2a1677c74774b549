/**
 * @module Port of ignite/metrics/cosine_similarity.py: the mean cosine similarity between predictions and targets.
 * Deviations: each norm is clamped at `eps` separately (`x·y / (max(‖x‖, eps) · max(‖y‖, eps))`, what current
 * PyTorch's `cosine_similarity` computes); different shapes of `yPred` and `y` are a RangeError; the sum is float32.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';
import { checkSameShape, flattenSamples, floatPair } from './summed-metric.js';

/**
 * Options of {@link CosineSimilarity}.
 *
 */
export interface CosineSimilarityOptions extends MetricOptions {
  /** Lower bound of each norm, to avoid a division by zero. @defaultValue 1e-8 */
  eps?: number;
}

/**
 * Mean over samples of the cosine similarity of `yPred[i]` and `y[i]`, each flattened to a vector. Inputs:
 * `(B, ...)` of the same shape.
 *
 * @example
 * ```ts
 * const cos = new CosineSimilarity();
 * cos.update([tf.tensor2d([[1, 0], [1, 1]]), tf.tensor2d([[1, 0], [-1, -1]])]);
 * cos.compute(); // (1 + -1) / 2 = 0
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.CosineSimilarity.html
 */
export class CosineSimilarity extends SummedMetric {
  /** Lower bound of each norm. */
  readonly eps: number;

  /**
   * @param options - `eps` and the common metric options.
   * @throws RangeError when `eps` is negative or not a number.
   */
  constructor(options: CosineSimilarityOptions = {}) {
    const { eps = 1e-8, ...rest } = options;
    super(rest);
    if (!(eps >= 0)) throw new RangeError(`Argument eps should be a non-negative number, got ${String(eps)}`);
    this.eps = eps;
  }

  protected batch(output: unknown): BatchPart {
    const [yPred, y] = floatPair(output, 'CosineSimilarity');
    checkSameShape(yPred, y, ['yPred', 'y']);
    const p = flattenSamples(yPred, 'yPred');
    const t = flattenSamples(y, 'y');
    const unit = (v: tf.Tensor2D): tf.Tensor => tf.div(v, tf.maximum(tf.norm(v, 2, 1, true), this.eps));
    return { sum: tf.sum(tf.mul(unit(p), unit(t))), count: p.shape[0] };
  }

  /**
   * The mean cosine similarity since the last reset.
   *
   * @returns a number in [-1, 1].
   * @throws NotComputableError before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example');
    return (this.total.read() as number) / n;
  }
}
