/**
 * @module Port of ignite/metrics/gan/inception_score.py `InceptionScore`.
 * Deviations: `numFeatures` and `featureExtractor` must be given (see feature-extractor.ts); the two per-class
 * sums are float32 on the device (Ignite: float64) and `compute()` finishes in float64 JavaScript. The output is
 * the image batch itself, `[yPred]` or `{ yPred }`.
 */

import * as tf from '@tensorflow/tfjs-core';
import { SumAndCount } from '../internal/summed-metric.js';
import type { SyncedState } from '../internal/sync.js';
import { InceptionMetric, type InceptionMetricOptions } from './feature-extractor.js';

const EPS = 1e-16;

/**
 * Inception Score of generated images: `exp(mean_i KL(p(y|xᵢ) ‖ p(y)))`, from the class probabilities the
 * extractor returns.
 *
 * @example
 * ```ts
 * // A classifier on disk whose predict() returns (N, 10) softmax probabilities:
 * const classifier = await tf.loadLayersModel(kindlingFileHandler('classifier.ckpt'));
 * new InceptionScore({ numFeatures: 10, featureExtractor: classifier }).attach(evaluator, 'is');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.InceptionScore.html
 */
export class InceptionScore extends InceptionMetric<number> {
  override requiredOutputKeys: readonly string[] | null = ['yPred'];
  /** The two per-class sums, stacked `(2, numFeatures)`, and the number of images (SummedMetric's state). */
  readonly #state = new SumAndCount();

  /**
   * @param options - `numFeatures`, `featureExtractor` (see {@link InceptionMetricOptions}) and the common options.
   * @throws TypeError / RangeError as {@link InceptionMetric}.
   */
  constructor(options: InceptionMetricOptions = {}) {
    super(options);
  }

  /** Ignite's `@sync_all_reduce("_num_examples", "_prob_total", "_total_kl_d")`. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return this.#state.synced();
  }

  /** Clears the sums. */
  reset(): void {
    this.#state.reset();
  }

  /**
   * Adds `Σ p` and `Σ p log(p + ε)` of one batch of probabilities (on the device).
   *
   * @param output - the image batch (a tensor), or `[images]`.
   * @returns nothing.
   * @throws TypeError / RangeError when the extractor output is not `(N, numFeatures)`.
   */
  update(output: unknown): void {
    const images: unknown = Array.isArray(output) && output.length === 1 ? (output as unknown[])[0] : output;
    this.#state.add(() => {
      const p = this.extractFeatures(images, 'yPred');
      return { sum: tf.stack([tf.sum(p, 0), tf.sum(tf.mul(p, tf.log(tf.add(p, EPS))), 0)]), count: p.shape[0] };
    });
  }

  /**
   * Reads the sums once.
   *
   * @returns the Inception Score.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const n = this.#state.countOrThrow('InceptionScore', 'example');
    const [probTotal = [], klTotal = []] = this.#state.total.read() as number[][];
    let kl = 0;
    probTotal.forEach((total, i) => {
      kl += (klTotal[i] ?? 0) - total * Math.log(total / n + EPS);
    });
    return Math.exp(kl / n);
  }
}
