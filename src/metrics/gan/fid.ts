/**
 * @module Port of ignite/metrics/gan/fid.py `FID`.
 * Deviations: `numFeatures` and `featureExtractor` must be given (see feature-extractor.ts); the per-batch sums are
 * float32 on the device but taken around a shift (the first batch's mean), so the covariance does not lose its
 * digits to cancellation, and `compute()` finishes in float64 JavaScript; the matrix square root is kindling's own
 * float64 `traceSqrtProduct` (no scipy); fewer than 2 examples is a NotComputableError (Ignite returns NaN with a
 * warning). Across ranks, `compute()` converts each rank's shifted sums to plain float64 moments and all-reduces
 * those.
 */

import * as tf from '@tensorflow/tfjs-core';
import { allReduce } from '../../distributed/collectives.js';
import { getWorldSize } from '../../distributed/context.js';
import { NotComputableError } from '../../errors.js';
import { DeviceSum, describeValue, fmtShape } from '../internal/tensors.js';
import { InceptionMetric, type InceptionMetricOptions } from './feature-extractor.js';
import { traceSqrtProduct } from './linalg.js';

/** Shifted running moments of one side (train or test): `Σ(x-K)(x-K)ᵀ` stacked over `Σ(x-K)`. */
class ShiftedMoments {
  readonly sums = new DeviceSum();
  shift: tf.Tensor | null = null;

  add(features: tf.Tensor2D): void {
    const shift = this.shift ?? tf.keep(tf.mean(features, 0));
    this.shift = shift;
    this.sums.add(() => {
      const centred = tf.sub(features, shift);
      return tf.concat([tf.matMul(centred, centred, true, false), tf.sum(centred, 0, true)], 0);
    });
  }

  reset(): void {
    this.sums.reset();
    this.shift?.dispose();
    this.shift = null;
  }

  /** Float64 plain (unshifted) moments `Σx` and `Σxxᵀ`, converted from the float32 shifted sums. */
  read(d: number, n: number): { sum: Float64Array; gram: Float64Array } {
    const all = Float64Array.from(this.sums.tensor?.dataSync() ?? new Float32Array((d + 1) * d));
    const gram = all.subarray(0, d * d);
    const sum = all.slice(d * d);
    const k = Float64Array.from(this.shift?.dataSync() ?? new Float32Array(d));
    const plainGram = new Float64Array(d * d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const ki = k[i] ?? 0;
        const kj = k[j] ?? 0;
        plainGram[i * d + j] = (gram[i * d + j] ?? 0) + ki * (sum[j] ?? 0) + (sum[i] ?? 0) * kj + n * ki * kj;
      }
    }
    return { sum: sum.map((s, i) => s + n * (k[i] ?? 0)), gram: plainGram };
  }
}

/**
 * Fréchet Inception Distance between the features of generated images (`yPred`) and real images (`y`):
 * `|μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2 sqrt(Σ₁ Σ₂))`.
 *
 * @example
 * ```ts
 * // A pretrained InceptionV3 (pool features, 2048) converted to TF.js and stored on disk (see docs/metrics.md):
 * const inception = await tf.loadGraphModel('file://models/inception_v3/model.json');
 * const fid = new FID({ numFeatures: 2048, featureExtractor: inception });
 * fid.attach(evaluator, 'fid'); // evaluator returns [generatedImages, realImages], NHWC
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.FID.html
 */
export class FID extends InceptionMetric<number> {
  readonly #train = new ShiftedMoments();
  readonly #test = new ShiftedMoments();
  #numExamples = 0;

  /**
   * @param options - `numFeatures`, `featureExtractor` (see {@link InceptionMetricOptions}) and the common options.
   * @throws TypeError / RangeError as {@link InceptionMetric}.
   */
  constructor(options: InceptionMetricOptions = {}) {
    super(options);
  }

  /** Clears the sums. */
  reset(): void {
    this.#train.reset();
    this.#test.reset();
    this.#numExamples = 0;
  }

  /**
   * Extracts the features of both batches and adds them to the running moments (on the device).
   *
   * @param output - `[yPred, y]`: generated ("train" in Ignite) and real ("test") image batches.
   * @returns nothing.
   * @throws TypeError for a malformed output; RangeError when the two feature batches differ in shape.
   */
  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`FID.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
    }
    tf.tidy(() => {
      const train = this.extractFeatures(output[0], 'yPred');
      const test = this.extractFeatures(output[1], 'y');
      if (fmtShape(train.shape) !== fmtShape(test.shape)) {
        throw new RangeError(
          `Number of Training Features and Testing Features should be equal (${fmtShape(train.shape)} != ${fmtShape(test.shape)})`,
        );
      }
      this.#train.add(train);
      this.#test.add(test);
      this.#numExamples += train.shape[0];
    });
  }

  /**
   * Reads the moments (one read) and computes the distance in float64.
   *
   * @returns the FID.
   * @throws {@link NotComputableError} with fewer than 2 examples (the covariance is undefined).
   */
  compute(): number {
    const d = this.numFeatures;
    const world = getWorldSize();
    let n = this.#numExamples;
    let train = this.#train.read(d, n);
    let test = this.#test.read(d, n);
    if (world > 1) {
      const packed = allReduce(Float64Array.from([n, ...train.sum, ...train.gram, ...test.sum, ...test.gram]));
      n = packed[0] ?? 0;
      const at = (offset: number, len: number): Float64Array => packed.slice(offset, offset + len);
      train = { sum: at(1, d), gram: at(1 + d, d * d) };
      test = { sum: at(1 + d + d * d, d), gram: at(1 + 2 * d + d * d, d * d) };
    }
    if (n < 2) {
      throw new NotComputableError(`FID must have at least two examples before it can be computed, got ${n}.`);
    }
    return frechetDistance(train, test, n, d);
  }
}

function frechetDistance(
  a: { sum: Float64Array; gram: Float64Array },
  b: { sum: Float64Array; gram: Float64Array },
  n: number,
  d: number,
): number {
  const cov = ({ sum, gram }: { sum: Float64Array; gram: Float64Array }): Float64Array =>
    gram.map((g, idx) => (g - ((sum[Math.floor(idx / d)] ?? 0) * (sum[idx % d] ?? 0)) / n) / (n - 1));
  const s1 = cov(a);
  const s2 = cov(b);
  let meanDiff = 0;
  let traces = 0;
  for (let i = 0; i < d; i++) {
    meanDiff += (((a.sum[i] ?? 0) - (b.sum[i] ?? 0)) / n) ** 2;
    traces += (s1[i * d + i] ?? 0) + (s2[i * d + i] ?? 0);
  }
  return meanDiff + traces - 2 * traceSqrtProduct({ n: d, data: s1 }, { n: d, data: s2 });
}
