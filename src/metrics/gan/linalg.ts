/**
 * @module Float64 linear algebra for FID: the trace of the matrix square root of a product of two covariance
 * matrices, `tr(sqrtm(S1 S2))`, without scipy. Not a port: Ignite calls `scipy.linalg.sqrtm(S1 @ S2)` and keeps
 * the real part of the trace.
 * Method: `S1 ≈ L Lᵀ` by a pivoted (semi-definite) Cholesky factorisation, so the eigenvalues of `S1 S2` are those
 * of the symmetric matrix `Lᵀ S2 L` (plus zeros); these come from a Householder tridiagonalisation and the
 * implicit QL algorithm, and `tr(sqrtm(S1 S2)) = Σ sqrt(max(λ, 0))`. Tiny negative eigenvalues (rounding) count as
 * 0, which is what taking the real part of scipy's complex result does. Cost: about `3 n³` multiply-adds on one
 * core (under a second for n = 400; one to two minutes for InceptionV3's n = 2048), once per `compute()`.
 */

/**
 * A square matrix of float64 values in row-major order.
 *
 */
export interface SquareMatrix {
  /** Number of rows (and columns). */
  readonly n: number;
  /** The `n * n` entries, row-major. */
  readonly data: Float64Array;
}

/**
 * Pivoted Cholesky factor of a symmetric positive semi-definite matrix: `S ≈ L Lᵀ` with `L` of size `n × rank`
 * (row-major, rows in the original order), stopping when the remaining diagonal falls below `n · ε · max(diag)`.
 */
function pivotedCholesky(s: SquareMatrix): { l: Float64Array; rank: number } {
  const { n, data } = s;
  const diag = Float64Array.from({ length: n }, (_, i) => data[i * n + i] ?? 0);
  const l = new Float64Array(n * n);
  const remaining = Array.from({ length: n }, (_, i) => i);
  const tol = n * Number.EPSILON * Math.max(0, ...diag);
  let rank = 0;
  for (let k = 0; k < n; k++) {
    let best = 0;
    for (let j = 1; j < remaining.length; j++) {
      if ((diag[remaining[j] ?? 0] ?? 0) > (diag[remaining[best] ?? 0] ?? 0)) best = j;
    }
    const pivot = remaining[best] ?? 0;
    const d = diag[pivot] ?? 0;
    if (!(d > tol)) break;
    remaining.splice(best, 1);
    const lkk = Math.sqrt(d);
    l[pivot * n + k] = lkk;
    const pRow = pivot * n;
    for (const i of remaining) {
      const iRow = i * n;
      let sum = data[iRow + pivot]!;
      for (let t = 0; t < k; t++) sum -= l[iRow + t]! * l[pRow + t]!;
      const v = sum / lkk;
      l[i * n + k] = v;
      diag[i] = (diag[i] ?? 0) - v * v;
    }
    rank = k + 1;
  }
  return { l, rank };
}

/** `Lᵀ S L` for `L` of size `n × r` stored with row stride `n`: an `r × r` symmetric matrix. */
function congruence(s: SquareMatrix, l: Float64Array, r: number): SquareMatrix {
  const { n, data } = s;
  const t = new Float64Array(n * r); // T = S L (n × r)
  for (let i = 0; i < n; i++) {
    const tRow = i * r;
    for (let j = 0; j < n; j++) {
      const sij = data[i * n + j]!;
      if (sij === 0) continue;
      const lRow = j * n;
      for (let k = 0; k < r; k++) t[tRow + k]! += sij * l[lRow + k]!;
    }
  }
  const m = new Float64Array(r * r); // M = Lᵀ T (r × r)
  for (let i = 0; i < n; i++) {
    const tRow = i * r;
    for (let a = 0; a < r; a++) {
      const lia = l[i * n + a]!;
      if (lia === 0) continue;
      const mRow = a * r;
      for (let b = 0; b < r; b++) m[mRow + b]! += lia * t[tRow + b]!;
    }
  }
  for (let a = 0; a < r; a++) {
    for (let b = 0; b < a; b++) {
      const avg = ((m[a * r + b] ?? 0) + (m[b * r + a] ?? 0)) / 2;
      m[a * r + b] = avg;
      m[b * r + a] = avg;
    }
  }
  return { n: r, data: m };
}

/** Householder reduction of a symmetric matrix to tridiagonal form: returns the diagonal and the off-diagonal. */
function tridiagonalize(s: SquareMatrix): { d: Float64Array; e: Float64Array } {
  const n = s.n;
  const a = Float64Array.from(s.data);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += (a[i * n + k] ?? 0) ** 2;
    norm = Math.sqrt(norm);
    const x0 = a[(k + 1) * n + k] ?? 0;
    const alpha = x0 > 0 ? -norm : norm;
    d[k] = a[k * n + k] ?? 0;
    e[k] = alpha;
    let vNorm = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = (a[i * n + k] ?? 0) - (i === k + 1 ? alpha : 0);
      vNorm += (v[i] ?? 0) ** 2;
    }
    if (vNorm === 0) continue;
    vNorm = Math.sqrt(vNorm);
    for (let i = k + 1; i < n; i++) v[i] = (v[i] ?? 0) / vNorm;
    reflect(a, n, k + 1, v, w);
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2] ?? 0;
    e[n - 2] = a[(n - 1) * n + n - 2] ?? 0;
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1] ?? 0;
  return { d, e };
}

/** `A ← H A H` on the trailing block starting at `from`, with `H = I - 2 v vᵀ` (`v` a unit vector). */
function reflect(a: Float64Array, n: number, from: number, v: Float64Array, w: Float64Array): void {
  let kappa = 0;
  for (let i = from; i < n; i++) {
    const row = i * n;
    let sum = 0;
    for (let j = from; j < n; j++) sum += a[row + j]! * v[j]!;
    w[i] = sum;
    kappa += sum * v[i]!;
  }
  for (let i = from; i < n; i++) w[i]! -= kappa * v[i]!;
  for (let i = from; i < n; i++) {
    const row = i * n;
    const vi = 2 * v[i]!;
    const wi = 2 * w[i]!;
    for (let j = from; j < n; j++) a[row + j]! -= vi * w[j]! + wi * v[j]!;
  }
}

/** Eigenvalues of a symmetric tridiagonal matrix by the implicit QL algorithm with Wilkinson-type shifts. */
function tridiagonalEigenvalues(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m] ?? 0) + Math.abs(d[m + 1] ?? 0);
        if (Math.abs(e[m] ?? 0) <= Number.EPSILON * dd) break;
      }
      if (m !== l) {
        if (iter++ === 100) throw new RangeError('symmetricEigenvalues: the QL iteration did not converge.');
        qlStep(d, e, l, m);
      }
    } while (m !== l);
  }
  return d;
}

function qlStep(d: Float64Array, e: Float64Array, l: number, m: number): void {
  const el = e[l] ?? 0;
  let g = ((d[l + 1] ?? 0) - (d[l] ?? 0)) / (2 * el);
  let r = Math.hypot(g, 1);
  g = (d[m] ?? 0) - (d[l] ?? 0) + el / (g + (g >= 0 ? r : -r));
  let s = 1;
  let c = 1;
  let p = 0;
  for (let i = m - 1; i >= l; i--) {
    const f = s * (e[i] ?? 0);
    const b = c * (e[i] ?? 0);
    r = Math.hypot(f, g);
    e[i + 1] = r;
    if (r === 0) {
      d[i + 1] = (d[i + 1] ?? 0) - p;
      e[m] = 0;
      return;
    }
    s = f / r;
    c = g / r;
    g = (d[i + 1] ?? 0) - p;
    r = ((d[i] ?? 0) - g) * s + 2 * c * b;
    p = s * r;
    d[i + 1] = g + p;
    g = c * r - b;
  }
  d[l] = (d[l] ?? 0) - p;
  e[l] = g;
  e[m] = 0;
}

/**
 * Eigenvalues of a symmetric matrix (float64), in no particular order.
 *
 * @param s - a symmetric matrix (only symmetric input gives meaningful results).
 * @returns the `n` eigenvalues.
 * @throws RangeError when the QL iteration does not converge (non-finite input).
 */
export function symmetricEigenvalues(s: SquareMatrix): Float64Array {
  if (s.n === 0) return new Float64Array(0);
  const { d, e } = tridiagonalize(s);
  return tridiagonalEigenvalues(d, e);
}

/**
 * `tr(sqrtm(S1 S2))` for symmetric positive semi-definite `S1` and `S2` (covariance matrices), in float64.
 *
 * @param s1 - the first covariance matrix.
 * @param s2 - the second covariance matrix, of the same size.
 * @returns the trace of the principal square root of `S1 S2` (the real part, as FID uses it).
 * @throws RangeError when the sizes differ or an entry is not finite.
 */
export function traceSqrtProduct(s1: SquareMatrix, s2: SquareMatrix): number {
  if (s1.n !== s2.n || s1.data.length !== s1.n * s1.n || s2.data.length !== s2.n * s2.n) {
    throw new RangeError(`traceSqrtProduct expects two n × n matrices, but given sizes ${s1.n} and ${s2.n}.`);
  }
  if (!s1.data.every(Number.isFinite) || !s2.data.every(Number.isFinite)) {
    throw new RangeError('traceSqrtProduct: the covariance matrices contain NaN or infinite values.');
  }
  const { l, rank } = pivotedCholesky(s1);
  if (rank === 0) return 0;
  const eig = symmetricEigenvalues(congruence(s2, l, rank));
  let trace = 0;
  for (const lambda of eig) trace += Math.sqrt(Math.max(lambda, 0));
  return trace;
}
