/**
 * @module Port of ignite/metrics/ssim.py `SSIM`.
 * Deviations: images are NHWC (`(N, H, W, C)`, TensorFlow.js's layout; Ignite takes NCHW); `kernelSize[0]` and
 * `sigma[0]` apply to the height as in Ignite; the per-image mean and the running sum are float32 (Ignite:
 * float64); no `device` option. Same algorithm as Ignite: reflect padding by `(kernelSize - 1) / 2` (TF.js
 * `mirrorPad` 'reflect' = torch 'reflect'), a depthwise convolution, and the mean of the whole SSIM map, borders
 * included. So, like Ignite's, the value differs slightly from scikit-image's `structural_similarity`, which
 * averages only the interior (it crops `(winSize - 1) / 2` pixels on each side); the interior values are the same.
 * The uniform kernel is Ignite's: a centred box of width 5 (at most `kernelSize`) with weights 1/5 per axis.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { MetricOptions } from '../metric.js';
import { fmtShape } from '../internal/tensors.js';
import { SummedMetric, type BatchPart } from '../internal/summed-metric.js';
import { imagePair } from './psnr.js';

/**
 * Options of {@link SSIM}.
 *
 */
export interface SSIMOptions extends MetricOptions {
  /** Kernel size, odd and positive: one number, or `[height, width]`. @defaultValue [11, 11] */
  kernelSize?: number | readonly [number, number];
  /** Standard deviation of the gaussian kernel (used when `gaussian`): one number, or `[height, width]`. @defaultValue [1.5, 1.5] */
  sigma?: number | readonly [number, number];
  /** SSIM's k1 constant: `c1 = (k1 · dataRange)²`. @defaultValue 0.01 */
  k1?: number;
  /** SSIM's k2 constant: `c2 = (k2 · dataRange)²`. @defaultValue 0.03 */
  k2?: number;
  /** A gaussian kernel (true) or Ignite's uniform kernel (false). @defaultValue true */
  gaussian?: boolean;
}

function pair(v: number | readonly number[], name: string, what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  throw new TypeError(`Argument ${name} should be either ${what} or a sequence of two.`);
}

function kernel1d(size: number, sigma: number, gaussian: boolean): number[] {
  if (!gaussian) {
    const start = Math.max(Math.floor(size / 2) - 2, 0);
    const end = Math.min(Math.floor(size / 2) + 3, size);
    return Array.from({ length: size }, (_, i) => (i >= start && i < end ? 1 / 5 : 0));
  }
  const half = (size - 1) / 2;
  const g = Array.from({ length: size }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const total = g.reduce((a, b) => a + b, 0);
  return g.map((x) => x / total);
}

/**
 * Average structural similarity index over images, for NHWC image batches `(N, H, W, C)`.
 *
 * @example
 * ```ts
 * const ssim = new SSIM(1.0);
 * ssim.update([tf.randomUniform([4, 16, 16, 3]), target]);
 * ssim.compute(); // in (-1, 1], 1 for identical images
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.SSIM.html
 */
export class SSIM extends SummedMetric<number> {
  /** The range of the images (1.0 or 255 typically); sets `c1` and `c2`. */
  readonly dataRange: number;
  readonly #c1: number;
  readonly #c2: number;
  readonly #pad: [number, number];
  readonly #kernel2d: number[][];

  /**
   * @param dataRange - range of the images, typically 1.0 or 255.
   * @param options - kernel, constants and the common metric options (see {@link SSIMOptions}).
   * @throws TypeError for malformed `kernelSize` / `sigma` / `dataRange`; RangeError for an even or non-positive
   *   kernel size or a non-positive sigma.
   */
  constructor(dataRange: number, options: SSIMOptions = {}) {
    const { kernelSize = [11, 11], sigma = [1.5, 1.5], k1 = 0.01, k2 = 0.03, gaussian = true, ...rest } = options;
    super(rest);
    if (typeof dataRange !== 'number' || !Number.isFinite(dataRange)) {
      throw new TypeError(`Argument dataRange should be a finite number, got ${typeof dataRange}`);
    }
    const ks = pair(kernelSize, 'kernelSize', 'int');
    const sg = pair(sigma, 'sigma', 'float');
    if (ks.some((x) => !Number.isInteger(x) || x % 2 === 0 || x <= 0)) {
      throw new RangeError(`Expected kernelSize to have odd positive number. Got ${JSON.stringify(kernelSize)}.`);
    }
    if (sg.some((y) => !(y > 0))) throw new RangeError(`Expected sigma to have positive number. Got ${JSON.stringify(sigma)}.`);
    this.dataRange = dataRange;
    this.#c1 = (k1 * dataRange) ** 2;
    this.#c2 = (k2 * dataRange) ** 2;
    this.#pad = [(ks[0] - 1) / 2, (ks[1] - 1) / 2];
    const kh = kernel1d(ks[0], sg[0], gaussian);
    const kw = kernel1d(ks[1], sg[1], gaussian);
    this.#kernel2d = kh.map((a) => kw.map((b) => a * b));
  }

  /**
   * The mean SSIM of every image of the batch, summed (inside `tf.tidy`); the state is Ignite's `_sum_of_ssim` and
   * `_num_examples`, both all-reduced in `compute()`.
   *
   * @param output - `[yPred, y]`, NHWC images of the same shape and dtype.
   * @returns the sum and the number of images.
   * @throws TypeError when dtypes differ; RangeError when shapes differ, are not 4-D, or the images are smaller
   *   than the padding needs (`H > (kernelSize[0] - 1) / 2`, same for W).
   */
  protected batch(output: unknown): BatchPart {
    const [p, t] = imagePair(output, 'SSIM');
    if (p.rank !== 4) {
      throw new RangeError(`Expected yPred and y to have BxHxWxC shape. Got yPred: ${fmtShape(p.shape)} and y: ${fmtShape(t.shape)}.`);
    }
    const [, h = 0, w = 0] = p.shape;
    if (h <= this.#pad[0] || w <= this.#pad[1]) {
      throw new RangeError(
        `SSIM: images of ${h}x${w} pixels are too small for reflect padding of ${this.#pad[0]}x${this.#pad[1]} ` +
          '(kernelSize); use a smaller kernelSize.',
      );
    }
    const sum = tf.sum(this.#ssimPerImage(tf.cast(p, 'float32') as tf.Tensor4D, tf.cast(t, 'float32') as tf.Tensor4D));
    return { sum, count: p.shape[0] };
  }

  #ssimPerImage(yPred: tf.Tensor4D, y: tf.Tensor4D): tf.Tensor1D {
    const [ph, pw] = this.#pad;
    const pad = (x: tf.Tensor4D): tf.Tensor4D => tf.mirrorPad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], 'reflect');
    const a = pad(yPred);
    const b = pad(y);
    const channels = yPred.shape[3];
    const kernel = tf.tensor4d(this.#kernel2d.flat(), [this.#kernel2d.length, this.#kernel2d[0]?.length ?? 1, 1, 1]);
    const filter = tf.tile<tf.Tensor4D>(kernel, [1, 1, channels, 1]);
    const batch = yPred.shape[0];
    const stacked = tf.concat([a, b, tf.mul(a, a), tf.mul(b, b), tf.mul(a, b)], 0) as tf.Tensor4D;
    const outputs = tf.split(tf.depthwiseConv2d(stacked, filter, 1, 'valid'), [batch, batch, batch, batch, batch], 0);
    const [muP, muT, pp, tt, pt] = outputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const muP2 = tf.square(muP);
    const muT2 = tf.square(muT);
    const muPT = tf.mul(muP, muT);
    const a1 = tf.add(tf.mul(2, muPT), this.#c1);
    const a2 = tf.add(tf.mul(2, tf.sub(pt, muPT)), this.#c2);
    const b1 = tf.add(tf.add(muP2, muT2), this.#c1);
    const b2 = tf.add(tf.add(tf.sub(pp, muP2), tf.sub(tt, muT2)), this.#c2);
    return tf.mean(tf.div(tf.mul(a1, a2), tf.mul(b1, b2)), [1, 2, 3]);
  }

  /**
   * Reads the sum once.
   *
   * @returns the mean SSIM over all images.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    const n = this.countOrThrow('example', 'SSIM');
    return (this.total.read() as number) / n;
  }
}
