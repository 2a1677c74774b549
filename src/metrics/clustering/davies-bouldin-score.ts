/**
 * @module Port of ignite/metrics/clustering/davies_bouldin_score.py.
 * Deviations: computed in TypeScript (float64), not with `sklearn.metrics.davies_bouldin_score`; Ignite's
 * UserWarning for an invalid number of labels goes to the metric's logger (the engine's by default).
 */

import { centroids, ClusteringMetric, type ClusterData, type ClusteringMetricOptions } from './base.js';

function euclidean(a: Float64Array, i: number, b: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let t = 0; t < d; t++) s += ((a[i * d + t] ?? 0) - (b[j * d + t] ?? 0)) ** 2;
  return Math.sqrt(s);
}

/** Mean distance of each cluster's members to its centroid. */
function intraDistances(data: ClusterData, c: Float64Array): Float64Array {
  const { x, n, d, labels, k, sizes } = data;
  const intra = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const l = labels[i] ?? 0;
    intra[l] = (intra[l] ?? 0) + euclidean(x, i, c, l, d);
  }
  return intra.map((v, l) => v / (sizes[l] ?? 1));
}

/**
 * Davies-Bouldin index: the mean over clusters of `max_{j≠i} (s_i + s_j) / d(c_i, c_j)`, where `s_i` is the mean
 * distance of cluster i's members to its centroid `c_i` (scikit-learn's definition: 0 when every `s_i` or every
 * centroid distance is 0, and coinciding centroids are ignored). NaN unless 2 <= labels < samples (Ignite's rule).
 *
 * @param data - the clustering.
 * @returns the index (lower is better).
 * @internal
 */
export function daviesBouldinScore(data: ClusterData): number {
  const { n, d, k } = data;
  if (!(k > 1 && k < n)) return Number.NaN;
  const c = centroids(data);
  const intra = intraDistances(data, c);
  const between = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) between[i * k + j] = euclidean(c, i, c, j, d);
  const allClose = (v: Float64Array): boolean => v.every((e) => Math.abs(e) <= 1e-8);
  if (allClose(intra) || allClose(between)) return 0;
  let total = 0;
  for (let i = 0; i < k; i++) {
    let worst = -Infinity;
    for (let j = 0; j < k; j++) {
      const dij = between[i * k + j] ?? 0;
      worst = Math.max(worst, ((intra[i] ?? 0) + (intra[j] ?? 0)) / (dij === 0 ? Infinity : dij));
    }
    total += worst;
  }
  return total / k;
}

/**
 * Davies-Bouldin score of the epoch's clustering (lower is better; NaN, with a warning, unless the number of
 * labels is between 2 and the number of samples - 1). Inputs `[features (B, D), labels (B,)]`.
 *
 * @example
 * ```ts
 * const m = new DaviesBouldinScore();
 * m.update([tf.tensor2d([[0, 0], [0, 1], [5, 5], [5, 6]]), tf.tensor1d([0, 0, 1, 1], 'int32')]);
 * m.compute(); // 0.1414 = (0.5 + 0.5) / |c0 - c1|
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.clustering.DaviesBouldinScore.html
 */
export class DaviesBouldinScore extends ClusteringMetric {
  /** @param options - `checkComputeFn` (default true) and the common metric options. */
  constructor(options: ClusteringMetricOptions = {}) {
    super((data) => {
      if (!(data.k > 1 && data.k < data.n)) {
        this.logger?.warn(
          'DaviesBouldinScore requires the number of unique labels to be between 2 and nSamples - 1 (inclusive). ' +
            `Got ${data.k} label(s) for ${data.n} sample(s). Returning NaN.`,
        );
      }
      return daviesBouldinScore(data);
    }, options);
  }
}
