/**
 * @module Rank statistics behind SpearmanRankCorrelation and KendallRankCorrelation, in float64 JavaScript numbers
 * (Ignite calls scipy.stats.spearmanr / kendalltau; these follow the same definitions: average ranks for ties,
 * Kendall's tau-b / tau-c with the O(n log n) pair counting). Not part of the public API.
 */

function hasNaN(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) return true;
  return false;
}

function order(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => (values[a] ?? 0) - (values[b] ?? 0));
}

/**
 * 1-based ranks, ties sharing the average of their ranks (scipy's `rankdata(method="average")`).
 *
 * @param values - the values.
 * @returns the ranks, in the order of `values`.
 * @internal
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const idx = order(values);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && values[idx[j + 1] ?? 0] === values[idx[i] ?? 0]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k] ?? 0] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson's r in float64 (two passes); NaN when either input is constant or has fewer than 2 values.
 *
 * @param x - first sample.
 * @param y - second sample, same length.
 * @returns the correlation coefficient.
 * @internal
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] ?? 0;
    my += y[i] ?? 0;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] ?? 0) - mx;
    const dy = (y[i] ?? 0) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (n < 2 || sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (NaN for constant input or any NaN).
 *
 * @param x - first sample.
 * @param y - second sample, same length.
 * @returns the coefficient.
 * @internal
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (hasNaN(x) || hasNaN(y)) return Number.NaN;
  return pearson(averageRanks(x), averageRanks(y));
}

/** Sum of c(c-1)/2 over runs of equal keys in `idx` order, and the number of runs. */
function tiedPairs(idx: readonly number[], same: (a: number, b: number) => boolean): { pairs: number; runs: number } {
  let pairs = 0;
  let runs = 0;
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && same(idx[i] ?? 0, idx[j + 1] ?? 0)) j++;
    const c = j - i + 1;
    pairs += (c * (c - 1)) / 2;
    runs += 1;
    i = j + 1;
  }
  return { pairs, runs };
}

/** Number of pairs i < j with ranks[i] > ranks[j] (a Fenwick tree over dense ranks 1..m). */
function inversions(ranks: readonly number[], m: number): number {
  const tree = new Float64Array(m + 1);
  let count = 0;
  ranks.forEach((r, j) => {
    let seen = 0;
    for (let k = r; k > 0; k -= k & -k) seen += tree[k] ?? 0;
    count += j - seen;
    for (let k = r; k <= m; k += k & -k) tree[k] = (tree[k] ?? 0) + 1;
  });
  return count;
}

/**
 * Kendall's tau-b or tau-c (scipy's `kendalltau(x, y, variant)`), counting concordant and discordant pairs in
 * O(n log n); NaN when an input is constant, has fewer than 2 values, or contains NaN.
 *
 * @param x - first sample.
 * @param y - second sample, same length.
 * @param variant - `'b'` (ties adjusted) or `'c'` (Stuart's tau-c).
 * @returns the coefficient, clipped to [-1, 1].
 * @internal
 */
export function kendall(x: ArrayLike<number>, y: ArrayLike<number>, variant: 'b' | 'c'): number {
  const n = x.length;
  if (n < 2 || hasNaN(x) || hasNaN(y)) return Number.NaN;
  const byY = order(y);
  const yRank = new Float64Array(n);
  let m = 0;
  byY.forEach((i, k) => {
    if (k === 0 || y[i] !== y[byY[k - 1] ?? 0]) m += 1;
    yRank[i] = m;
  });
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (x[a] ?? 0) - (x[b] ?? 0) || (yRank[a] ?? 0) - (yRank[b] ?? 0));
  const dis = inversions(idx.map((i) => yRank[i] ?? 0), m);
  const joint = tiedPairs(idx, (a, b) => x[a] === x[b] && y[a] === y[b]).pairs;
  const xt = tiedPairs(idx, (a, b) => x[a] === x[b]);
  const yt = tiedPairs(byY, (a, b) => y[a] === y[b]);
  const total = (n * (n - 1)) / 2;
  if (xt.pairs === total || yt.pairs === total) return Number.NaN;
  const conMinusDis = total - xt.pairs - yt.pairs + joint - 2 * dis;
  let tau: number;
  if (variant === 'b') {
    tau = conMinusDis / Math.sqrt(total - xt.pairs) / Math.sqrt(total - yt.pairs);
  } else {
    const minClasses = Math.min(xt.runs, yt.runs);
    tau = (2 * conMinusDis) / ((n * n * (minClasses - 1)) / minClasses);
  }
  return Math.max(-1, Math.min(1, tau));
}
