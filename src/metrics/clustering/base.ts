/**
 * @module Port of ignite/metrics/clustering/_base.py: the clustering metrics store every `[features, labels]` batch
 * of the epoch (an EpochMetric, gathered across ranks in `compute()`) and score the clustering in `compute()`.
 * Deviations: the scores are computed in TypeScript (float64), not with scikit-learn; nested-array features are
 * converted to float32 so integer-looking batches do not change the stored dtype; a feature / label batch-size
 * mismatch is reported by `update()`; dtype mismatches between batches are TypeErrors.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { EpochMetric, type EpochMetricOptions } from '../epoch-metric.js';
import { describeValue, fmtShape, isTensor, toTensor } from '../internal/tensors.js';

/**
 * Features and labels of the whole epoch as plain numbers, what a {@link ClusteringMetric} scores: `x` is row-major
 * `(n, d)`, `labels` are encoded as `0 .. k-1` in the order of their sorted values (scikit-learn's `LabelEncoder`).
 *
 * @example
 * ```ts
 * class ClusterCount extends ClusteringMetric {
 *   constructor() { super((data: ClusterData) => data.k); }
 * }
 * ```
 */
export interface ClusterData {
  /** Row-major features `(n, d)`. */
  readonly x: Float64Array;
  /** Number of samples. */
  readonly n: number;
  /** Number of features. */
  readonly d: number;
  /** Encoded labels `0 .. k-1`. */
  readonly labels: Int32Array;
  /** Number of distinct labels. */
  readonly k: number;
  /** Number of samples of each label. */
  readonly sizes: number[];
}

/**
 * Reads the concatenated features and labels into {@link ClusterData}.
 *
 * @param features - `(n, d)` (or `(n,)`, read as `d = 1`).
 * @param labels - `(n,)`.
 * @returns the data.
 * @internal
 */
export function clusterData(features: tf.Tensor, labels: tf.Tensor): ClusterData {
  const n = labels.size;
  const x = Float64Array.from(features.dataSync());
  const raw = labels.dataSync();
  const values = [...new Set(raw)].sort((a, b) => a - b);
  const code = new Map(values.map((v, i) => [v, i]));
  const encoded = Int32Array.from(raw, (v) => code.get(v) ?? 0);
  const sizes = new Array<number>(values.length).fill(0);
  for (const l of encoded) sizes[l] = (sizes[l] ?? 0) + 1;
  return { x, n, d: n === 0 ? 0 : x.length / n, labels: encoded, k: values.length, sizes };
}

/**
 * The per-cluster means (centroids), row-major `(k, d)`.
 *
 * @param data - the clustering.
 * @returns the centroids.
 * @internal
 */
export function centroids(data: ClusterData): Float64Array {
  const { x, n, d, labels, k, sizes } = data;
  const c = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const l = labels[i] ?? 0;
    for (let j = 0; j < d; j++) c[l * d + j] = (c[l * d + j] ?? 0) + (x[i * d + j] ?? 0);
  }
  for (let l = 0; l < k; l++) for (let j = 0; j < d; j++) c[l * d + j] = (c[l * d + j] ?? 0) / (sizes[l] ?? 1);
  return c;
}

/**
 * Options of the clustering metrics.
 *
 */
export type ClusteringMetricOptions = EpochMetricOptions;

function toFeatures(value: unknown): tf.Tensor {
  if (isTensor(value)) return value;
  if (!Array.isArray(value)) {
    throw new TypeError(`features should be a tf.Tensor or nested arrays of numbers, but given ${describeValue(value)}.`);
  }
  return tf.cast(toTensor(value, 'features'), 'float32');
}

/**
 * Base of SilhouetteScore, DaviesBouldinScore and CalinskiHarabaszScore: `update([features, labels])` with features
 * `(B, D)` and labels `(B,)` (an engine output may also be `{ features, labels }`); `compute()` scores the whole
 * epoch.
 *
 * @example
 * ```ts
 * const metric: ClusteringMetric = new SilhouetteScore();
 * metric.update([tf.tensor2d([[0, 0], [0, 1], [5, 5], [5, 6]]), tf.tensor1d([0, 0, 1, 1], 'int32')]);
 * ```
 */
export abstract class ClusteringMetric extends EpochMetric<number> {
  #dtypes: [string, string] | null = null;

  /**
   * @param score - scores the epoch's clustering.
   * @param options - `checkComputeFn` (default true) and the common metric options.
   */
  constructor(score: (data: ClusterData) => number, options: ClusteringMetricOptions = {}) {
    super((features, labels) => score(clusterData(features, labels)), options);
    this.requiredOutputKeys = ['features', 'labels'];
  }

  /** Disposes the stored batches. */
  override reset(): void {
    super.reset();
    this.#dtypes = null;
  }

  /**
   * Checks and stores one batch.
   *
   * @param output - `[features, labels]`: features `(B, D)`, labels `(B,)`.
   * @returns nothing.
   * @throws TypeError for a malformed output or a dtype differing from earlier batches; RangeError for bad shapes.
   */
  override update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(
        `${this.constructor.name}.update expects [features, labels] (or { features, labels }), but given ${describeValue(output)}.`,
      );
    }
    const pair = tf.tidy(() => {
      const features = toFeatures(output[0]);
      const labels = toTensor(output[1], 'labels');
      this.#check(features, labels);
      return [tf.clone(features), tf.clone(labels)];
    });
    try {
      super.update(pair);
    } finally {
      tf.dispose(pair);
    }
  }

  #check(features: tf.Tensor, labels: tf.Tensor): void {
    if (features.rank !== 2) {
      throw new RangeError(`Features should be of shape (batchSize, nTargets), but given ${fmtShape(features.shape)}.`);
    }
    if (labels.rank !== 1) throw new RangeError(`Labels should be of shape (batchSize, ), but given ${fmtShape(labels.shape)}.`);
    if (features.shape[0] !== labels.shape[0]) {
      throw new RangeError(
        `Features and labels should have the same batch size, but given ${fmtShape(features.shape)} and ${fmtShape(labels.shape)}.`,
      );
    }
    if (this.#dtypes === null) {
      this.#dtypes = [features.dtype, labels.dtype];
    } else if (this.#dtypes[0] !== features.dtype) {
      throw new TypeError(`Incoherent types between input features and stored features: ${this.#dtypes[0]} vs ${features.dtype}`);
    } else if (this.#dtypes[1] !== labels.dtype) {
      throw new TypeError(`Incoherent types between input labels and stored labels: ${this.#dtypes[1]} vs ${labels.dtype}`);
    }
  }

  /**
   * Scores the stored epoch (gathered across ranks).
   *
   * @returns the score.
   * @throws {@link NotComputableError} before any update.
   */
  override compute(): number {
    if (this.#dtypes === null) {
      throw new NotComputableError(`${this.constructor.name} must have at least one example before it can be computed.`);
    }
    return super.compute() as number;
  }
}
