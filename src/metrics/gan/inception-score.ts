/**
 * @module Port of ignite/metrics/gan/inception_score.py `InceptionScore`.
 * Deviations: `numFeatures` and `featureExtractor` must be given (see feature-extractor.ts); the two per-class
 * sums are float32 on the device (Ignite: float64) and `compute()` finishes in float64 JavaScript. The output is
 * the image batch itself, `[yPred]` or `{ yPred }`.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { DeviceSum } from '../internal/tensors.js';
import { syncedNumber, syncedSum, type SyncedState } from '../internal/sync.js';
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
  readonly #sums = new DeviceSum();
  #numExamples = 0;

  /**
   * @param options - `numFeatures`, `featureExtractor` (see {@link InceptionMetricOptions}) and the common options.
   * @throws TypeError / RangeError as {@link InceptionMetric}.
   */
  constructor(options: InceptionMetricOptions = {}) {
    super(options);
  }

  /** Ignite's `@sync_all_reduce("_num_examples", "_prob_total", "_total_kl_d")`. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#sums), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the sums. */
  reset(): void {
    this.#sums.reset();
    this.#numExamples = 0;
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
    let n = 0;
    this.#sums.add(() => {
      const p = this.extractFeatures(images, 'y_pred');
      n = p.shape[0];
      return tf.stack([tf.sum(p, 0), tf.sum(tf.mul(p, tf.log(tf.add(p, EPS))), 0)]);
    });
    this.#numExamples += n;
  }

  /**
   * Reads the sums once.
   *
   * @returns the Inception Score.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    if (this.#numExamples === 0) {
      throw new NotComputableError('InceptionScore must have at least one example before it can be computed.');
    }
    const [probTotal = [], klTotal = []] = this.#sums.read() as number[][];
    const n = this.#numExamples;
    let kl = 0;
    probTotal.forEach((total, i) => {
      kl += (klTotal[i] ?? 0) - total * Math.log(total / n + EPS);
    });
    return Math.exp(kl / n);
  }
}
