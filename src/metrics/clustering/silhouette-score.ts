/**
 * @module Port of ignite/metrics/clustering/silhouette_score.py.
 * Deviations: computed in TypeScript (float64, O(n²·d) time, O(n·k) memory), not with
 * `sklearn.metrics.silhouette_score`; of sklearn's keyword arguments `silhouetteKwargs` supports `metric` (euclidean,
 * sqeuclidean, manhattan / cityblock / l1, l2, chebyshev, cosine), not `sample_size` / `random_state` or callables.
 */

import { ClusteringMetric, type ClusterData, type ClusteringMetricOptions } from './base.js';

/**
 * A distance SilhouetteScore can use (names as in scikit-learn / scipy).
 */
export type SilhouetteDistance = 'euclidean' | 'l2' | 'sqeuclidean' | 'manhattan' | 'cityblock' | 'l1' | 'chebyshev' | 'cosine';

/**
 * Options of {@link SilhouetteScore}.
 */
export interface SilhouetteScoreOptions extends ClusteringMetricOptions {
  /** Ignite's `silhouette_kwargs` for `sklearn.metrics.silhouette_score`: only `metric`. @defaultValue `{}` */
  silhouetteKwargs?: { metric?: SilhouetteDistance };
}

type Distance = (x: Float64Array, i: number, j: number, d: number) => number;

function minkowskiLike(reduce: (acc: number, diff: number) => number, finish: (acc: number) => number): Distance {
  return (x, i, j, d) => {
    let acc = 0;
    for (let t = 0; t < d; t++) acc = reduce(acc, (x[i * d + t] ?? 0) - (x[j * d + t] ?? 0));
    return finish(acc);
  };
}

function cosineDistance(norms: Float64Array): Distance {
  return (x, i, j, d) => {
    let dot = 0;
    for (let t = 0; t < d; t++) dot += (x[i * d + t] ?? 0) * (x[j * d + t] ?? 0);
    const ni = norms[i] ?? 0;
    const nj = norms[j] ?? 0;
    const sim = ni === 0 || nj === 0 ? 0 : dot / (ni * nj);
    return Math.min(2, Math.max(0, 1 - sim));
  };
}

function distanceFn(metric: SilhouetteDistance, data: ClusterData): Distance {
  switch (metric) {
    case 'euclidean':
    case 'l2':
      return minkowskiLike((a, v) => a + v * v, Math.sqrt);
    case 'sqeuclidean':
      return minkowskiLike((a, v) => a + v * v, (a) => a);
    case 'manhattan':
    case 'cityblock':
    case 'l1':
      return minkowskiLike((a, v) => a + Math.abs(v), (a) => a);
    case 'chebyshev':
      return minkowskiLike((a, v) => Math.max(a, Math.abs(v)), (a) => a);
    case 'cosine': {
      const norms = new Float64Array(data.n);
      for (let i = 0; i < data.n; i++) norms[i] = Math.sqrt(selfDot(data, i));
      return cosineDistance(norms);
    }
  }
}

function selfDot(data: ClusterData, i: number): number {
  let s = 0;
  for (let t = 0; t < data.d; t++) s += (data.x[i * data.d + t] ?? 0) ** 2;
  return s;
}

/**
 * Mean silhouette coefficient of all samples, `s = (b - a) / max(a, b)` (0 for a sample alone in its cluster), or
 * NaN unless 2 <= number of labels < number of samples (Ignite's rule).
 *
 * @param data - the clustering.
 * @param metric - the distance.
 * @returns the score in [-1, 1].
 * @internal
 */
export function silhouetteScore(data: ClusterData, metric: SilhouetteDistance = 'euclidean'): number {
  const { x, n, d, labels, k, sizes } = data;
  if (k < 2 || k >= n) return Number.NaN;
  const dist = distanceFn(metric, data);
  const sums = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const li = labels[i] ?? 0;
    for (let j = i + 1; j < n; j++) {
      const v = dist(x, i, j, d);
      const lj = labels[j] ?? 0;
      sums[i * k + lj] = (sums[i * k + lj] ?? 0) + v;
      sums[j * k + li] = (sums[j * k + li] ?? 0) + v;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const li = labels[i] ?? 0;
    const a = (sums[i * k + li] ?? 0) / ((sizes[li] ?? 1) - 1);
    let b = Infinity;
    for (let l = 0; l < k; l++) if (l !== li) b = Math.min(b, (sums[i * k + l] ?? 0) / (sizes[l] ?? 1));
    const s = (b - a) / Math.max(a, b);
    total += Number.isFinite(s) ? s : 0;
  }
  return total / n;
}

const DISTANCES: readonly string[] = ['euclidean', 'l2', 'sqeuclidean', 'manhattan', 'cityblock', 'l1', 'chebyshev', 'cosine'];

function checkKwargs(kwargs: Record<string, unknown>): SilhouetteDistance {
  const unknown = Object.keys(kwargs).filter((key) => key !== 'metric');
  if (unknown.length > 0) {
    throw new RangeError(
      `silhouetteKwargs supports only 'metric', but given [${unknown.join(', ')}]. Subsample the features in ` +
        'outputTransform instead of sample_size / random_state.',
    );
  }
  const metric = kwargs['metric'] ?? 'euclidean';
  if (typeof metric !== 'string' || !DISTANCES.includes(metric)) {
    throw new RangeError(`silhouetteKwargs.metric should be one of ${DISTANCES.join(', ')}, but given ${JSON.stringify(metric)}.`);
  }
  return metric as SilhouetteDistance;
}

/**
 * Silhouette score of the epoch's clustering: the mean over samples of `(b - a) / max(a, b)`, where `a` is the mean
 * distance to the other members of the sample's cluster and `b` the mean distance to the nearest other cluster.
 * NaN when there are fewer than 2 labels or as many labels as samples. Inputs `[features (B, D), labels (B,)]`.
 *
 * @example
 * ```ts
 * // Engine output { embeddings, clusters }: map it to [features, labels]; score with cosine distances.
 * new SilhouetteScore({
 *   silhouetteKwargs: { metric: 'cosine' },
 *   outputTransform: (o) => [(o as Out).embeddings, (o as Out).clusters],
 * }).attach(evaluator, 'silhouette_score');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.clustering.SilhouetteScore.html
 */
export class SilhouetteScore extends ClusteringMetric {
  /**
   * @param options - `silhouetteKwargs`, `checkComputeFn` (default true) and the common metric options.
   * @throws RangeError for an unsupported `silhouetteKwargs` key or distance.
   */
  constructor(options: SilhouetteScoreOptions = {}) {
    const { silhouetteKwargs = {}, ...rest } = options;
    const metric = checkKwargs(silhouetteKwargs);
    super((data) => silhouetteScore(data, metric), rest);
  }
}
