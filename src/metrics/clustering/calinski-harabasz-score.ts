/**
 * @module Port of ignite/metrics/clustering/calinski_harabasz_score.py.
 * Deviations: computed in TypeScript (float64), not with `sklearn.metrics.calinski_harabasz_score`; scikit-learn's
 * ValueError for an invalid number of labels is a RangeError thrown by `compute()`.
 */

import { centroids, ClusteringMetric, type ClusterData, type ClusteringMetricOptions } from './base.js';

/**
 * Calinski-Harabasz index: `(B / (k - 1)) / (W / (n - k))`, with B the between-cluster and W the within-cluster
 * dispersion (scikit-learn's definition: 1 when W is 0).
 *
 * @param data - the clustering.
 * @returns the index (higher is better).
 * @throws RangeError unless 2 <= number of labels <= number of samples - 1.
 * @internal
 */
export function calinskiHarabaszScore(data: ClusterData): number {
  const { x, n, d, labels, k, sizes } = data;
  if (!(k > 1 && k < n)) {
    throw new RangeError(
      `Number of labels is ${k}. Valid values are 2 to nSamples - 1 (inclusive); got ${n} sample(s). ` +
        'Feed more samples or check the labels.',
    );
  }
  const c = centroids(data);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) mean[t] = (mean[t] ?? 0) + (x[i * d + t] ?? 0) / n;
  let extra = 0;
  for (let l = 0; l < k; l++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += ((c[l * d + t] ?? 0) - (mean[t] ?? 0)) ** 2;
    extra += (sizes[l] ?? 0) * s;
  }
  let intra = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i] ?? 0;
    for (let t = 0; t < d; t++) intra += ((x[i * d + t] ?? 0) - (c[l * d + t] ?? 0)) ** 2;
  }
  return intra === 0 ? 1 : (extra * (n - k)) / (intra * (k - 1));
}

/**
 * Calinski-Harabasz score of the epoch's clustering (higher is better). Inputs `[features (B, D), labels (B,)]`;
 * `compute()` throws a RangeError unless the number of labels is between 2 and the number of samples - 1.
 *
 * @example
 * ```ts
 * const m = new CalinskiHarabaszScore();
 * m.update([tf.tensor2d([[0, 0], [0, 1], [5, 5], [5, 6]]), tf.tensor1d([0, 0, 1, 1], 'int32')]);
 * m.compute(); // 100 = (between 50 / (k - 1)) / (within 1 / (n - k))
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.clustering.CalinskiHarabaszScore.html
 */
export class CalinskiHarabaszScore extends ClusteringMetric {
  /** @param options - `checkComputeFn` (default true) and the common metric options. */
  constructor(options: ClusteringMetricOptions = {}) {
    super(calinskiHarabaszScore, options);
  }
}
