/**
 * @module Port of ignite/metrics/maximum_mean_discrepancy.py and hsic.py: kernel statistics with a Gaussian RBF
 * kernel, estimated per batch and averaged over batches.
 * Deviations: MaximumMeanDiscrepancy rejects a batch of fewer than 2 samples with a RangeError (Ignite divides by
 * zero and the epoch's result becomes NaN); HSIC checks that X and Y have the same batch size; the median
 * bandwidth heuristic is computed on the device (no per-batch read); sums are float32.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { fmtShape } from '../internal/tensors.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';
import { checkSameShape, flattenSamples, floatPair } from './summed-metric.js';

/** Squared Euclidean distances between the rows of `a` and the rows of `b`. */
function squaredDistances(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const aa = tf.sum(tf.square(a), 1, true);
  const bb = tf.reshape(tf.sum(tf.square(b), 1), [1, -1]);
  return tf.sub(tf.add(aa, bb), tf.mul(tf.matMul(a, b, false, true), 2));
}

/** The median of all entries (torch.quantile(x, 0.5): the mean of the two middle values for an even count). */
function median(x: tf.Tensor): tf.Tensor {
  const n = x.size;
  const sorted = tf.topk(tf.reshape(x, [-1]), n).values;
  const lo = Math.floor((n - 1) / 2);
  const hi = Math.ceil((n - 1) / 2);
  return tf.reshape(tf.div(tf.add(tf.slice(sorted, [lo], [1]), tf.slice(sorted, [hi], [1])), 2), []);
}

/**
 * Options of {@link MaximumMeanDiscrepancy}.
 *
 */
export interface MaximumMeanDiscrepancyOptions extends MetricOptions {
  /** The kernel bandwidth σ² of `exp(-‖x - y‖² / 2σ²)`. @defaultValue 1 */
  var?: number;
}

/**
 * Maximum mean discrepancy between samples `x` and `y` (`update([x, y])`, same shape `(B, ...)`): the unbiased
 * MMD² estimate of each batch, averaged over batches, clamped at 0, square-rooted.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.MaximumMeanDiscrepancy.html
 */
export class MaximumMeanDiscrepancy extends SummedMetric {
  /** The kernel bandwidth σ². */
  readonly var: number;

  /**
   * @param options - `var` and the common metric options.
   * @throws RangeError when `var` is not positive.
   */
  constructor(options: MaximumMeanDiscrepancyOptions = {}) {
    const { var: variance = 1, ...rest } = options;
    super(rest);
    if (!(variance > 0)) throw new RangeError(`Argument var should be positive, got ${String(variance)}`);
    this.var = variance;
  }

  protected batch(output: unknown): BatchPart {
    const [x0, y0] = floatPair(output, 'MaximumMeanDiscrepancy');
    checkSameShape(x0, y0, ['x', 'y']);
    const x = flattenSamples(x0, 'x');
    const y = flattenSamples(y0, 'y');
    const n = x.shape[0];
    if (n < 2) {
      throw new RangeError(
        `MaximumMeanDiscrepancy needs at least 2 samples per batch (the estimate divides by B(B - 1)), got ${n}. ` +
          'Drop the last incomplete batch (DataLoader option dropLast: true) or use larger batches.',
      );
    }
    const kernelSum = (a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor => tf.sum(tf.exp(tf.div(squaredDistances(a, b), -2 * this.var)));
    const xx = tf.div(tf.sub(kernelSum(x, x), n), n * (n - 1));
    const yy = tf.div(tf.sub(kernelSum(y, y), n), n * (n - 1));
    const xy = tf.div(kernelSum(x, y), n * n);
    return { sum: tf.sub(tf.add(xx, yy), tf.mul(xy, 2)), count: 1 };
  }

  /**
   * The MMD since the last reset: `sqrt(max(0, mean over batches of MMD²))`.
   *
   * @returns the MMD.
   * @throws NotComputableError before any update.
   */
  compute(): number {
    const batches = this.countOrThrow('batch');
    return Math.sqrt(Math.max(0, this.total.read() as number) / batches);
  }
}

/**
 * Options of {@link HSIC}.
 *
 */
export interface HSICOptions extends MetricOptions {
  /** Kernel bandwidth for X; a negative value uses the median of the squared distances. @defaultValue -1 */
  sigmaX?: number;
  /** Kernel bandwidth for Y; a negative value uses the median of the squared distances. @defaultValue -1 */
  sigmaY?: number;
  /** Skip batches of fewer than 4 samples (otherwise they raise a RangeError). @defaultValue true */
  ignoreInvalidBatch?: boolean;
}

/**
 * Hilbert-Schmidt independence criterion between features X (`yPred`) and Y (`y`), each `(B, ...)` and
 * flattened per sample: the unbiased estimator of Song et al. (2012) per batch, clamped at 0, averaged over
 * batches. Batches need at least 4 samples.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.HSIC.html
 */
export class HSIC extends SummedMetric {
  /** Kernel bandwidth for X (negative: median heuristic). */
  readonly sigmaX: number;
  /** Kernel bandwidth for Y (negative: median heuristic). */
  readonly sigmaY: number;
  /** Whether batches of fewer than 4 samples are skipped. */
  readonly ignoreInvalidBatch: boolean;

  /** @param options - `sigmaX`, `sigmaY`, `ignoreInvalidBatch` and the common metric options. */
  constructor(options: HSICOptions = {}) {
    const { sigmaX = -1, sigmaY = -1, ignoreInvalidBatch = true, ...rest } = options;
    super(rest);
    this.sigmaX = sigmaX;
    this.sigmaY = sigmaY;
    this.ignoreInvalidBatch = ignoreInvalidBatch;
  }

  #gram(v: tf.Tensor2D, sigma: number, mask: tf.Tensor): tf.Tensor {
    const d = squaredDistances(v, v);
    const variance = sigma < 0 ? median(d) : tf.scalar(sigma * sigma);
    return tf.mul(tf.exp(tf.div(tf.mul(d, -0.5), variance)), mask);
  }

  protected batch(output: unknown): BatchPart {
    const [x0, y0] = floatPair(output, 'HSIC');
    const x = flattenSamples(x0, 'yPred');
    const y = flattenSamples(y0, 'y');
    const b = x.shape[0];
    if (y.shape[0] !== b) {
      throw new RangeError(`yPred and y must have the same batch size, got ${fmtShape(x0.shape)} and ${fmtShape(y0.shape)}.`);
    }
    if (b <= 3) {
      if (this.ignoreInvalidBatch) return { sum: tf.scalar(0), count: 0 };
      throw new RangeError(`A batch must contain more than three samples, got only ${b} samples.`);
    }
    const mask = tf.sub(1, tf.eye(b));
    const k = this.#gram(x, this.sigmaX, mask);
    const l = this.#gram(y, this.sigmaY, mask);
    const trace = tf.sum(tf.mul(k, tf.transpose(l)));
    const second = tf.div(tf.mul(tf.sum(k), tf.sum(l)), (b - 1) * (b - 2));
    const third = tf.div(tf.sum(tf.matMul(k, l)), b - 2);
    const hsic = tf.div(tf.sub(tf.add(trace, second), tf.mul(third, 2)), b * (b - 3));
    return { sum: tf.maximum(hsic, 0), count: 1 };
  }

  /**
   * The mean HSIC over the batches since the last reset.
   *
   * @returns a number >= 0.
   * @throws NotComputableError before any batch of at least 4 samples.
   */
  compute(): number {
    const batches = this.countOrThrow('batch');
    return (this.total.read() as number) / batches;
  }
}
