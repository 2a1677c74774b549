import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { symmetricEigenvalues, traceSqrtProduct } from '../../src/metrics/gan/linalg.js';
import { close } from './reference.js';

interface LinalgCase { n: number; s1: number[]; s2: number[]; trace_sqrt: number; trace_sqrt_scipy: number; eigenvalues_of_mean_minus_identity: number[] }
const fixtures = JSON.parse(readFileSync(new URL('./fixtures/vision-gan.json', import.meta.url), 'utf8')) as { linalg: LinalgCase[] };

const matrix = (n: number, data: number[]) => ({ n, data: Float64Array.from(data) });
const sorted = (a: Iterable<number>) => [...a].sort((x, y) => x - y);

describe('float64 linear algebra for FID (references: scipy.linalg.sqrtm, numpy.linalg.eigvalsh)', () => {
  for (const c of fixtures.linalg) {
    it(`trace(sqrtm(S1 S2)) of random covariances, n=${c.n}: float64-exact, and scipy.linalg.sqrtm within 1e-7`, () => {
      const tr = traceSqrtProduct(matrix(c.n, c.s1), matrix(c.n, c.s2));
      close(tr, c.trace_sqrt, 1e-12);
      // scipy adds sqrt(rounding noise) for the zero eigenvalues of a singular product (~1e-8 each).
      close(tr, c.trace_sqrt_scipy, 1e-7);
    });
    it(`eigenvalues of a symmetric indefinite matrix match eigvalsh, n=${c.n}`, () => {
      const sym = c.s1.map((v, i) => (v + (c.s2[i] ?? 0)) / 2 - (i % (c.n + 1) === 0 ? 1 : 0));
      close(sorted(symmetricEigenvalues(matrix(c.n, sym))), c.eigenvalues_of_mean_minus_identity, 1e-9);
    });
  }

  it('known answers: identity, diagonal, zero and rank-one matrices', () => {
    const eye = matrix(3, [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    close(traceSqrtProduct(eye, eye), 3, 1e-12);
    close(traceSqrtProduct(matrix(2, [4, 0, 0, 9]), matrix(2, [1, 0, 0, 4])), 2 + 6, 1e-12);
    assert.equal(traceSqrtProduct(matrix(2, [0, 0, 0, 0]), matrix(2, [1, 0, 0, 1])), 0);
    // u uᵀ and v vᵀ: sqrt(S1 S2) has the single eigenvalue |u·v|.
    const u = [1, 2, 3];
    const v = [0.5, -1, 2];
    const outer = (a: number[]) => matrix(3, a.flatMap((x) => a.map((y) => x * y)));
    close(traceSqrtProduct(outer(u), outer(v)), Math.abs(0.5 - 2 + 6), 1e-9);
    close(sorted(symmetricEigenvalues(matrix(2, [2, 1, 1, 2]))), [1, 3], 1e-12);
  });

  it('rejects mismatched sizes and non-finite entries', () => {
    assert.throws(() => traceSqrtProduct(matrix(2, [1, 0, 0, 1]), matrix(1, [1])), RangeError);
    assert.throws(() => traceSqrtProduct(matrix(1, [Number.NaN]), matrix(1, [1])), /NaN or infinite/);
  });
});
