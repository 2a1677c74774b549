import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import {
  KendallRankCorrelation,
  PearsonCorrelation,
  SpearmanRankCorrelation,
} from '../../src/metrics/regression/correlation.js';
import { averageRanks, kendall, spearman } from '../../src/metrics/regression/ranks.js';
import { checkAgainstFixtures, runEngine } from './fixtures/regression-cases.js';
import { FC, close, useCpu } from './reference.js';

before(useCpu);

describe('correlations against scipy.stats (regression.json)', () => {
  it('PearsonCorrelation matches pearsonr over batches of different sizes, leak-free', () => {
    checkAgainstFixtures(() => new PearsonCorrelation(), 'PearsonCorrelation', 1e-5);
  });

  it('SpearmanRankCorrelation matches spearmanr, ties included', () => {
    assert.equal(checkAgainstFixtures(() => new SpearmanRankCorrelation(), 'SpearmanRankCorrelation', 1e-9), 3);
  });

  it("KendallRankCorrelation matches kendalltau(variant='b') and (variant='c'), ties included", () => {
    assert.equal(checkAgainstFixtures(() => new KendallRankCorrelation(), 'KendallRankCorrelation_b', 1e-9), 3);
    assert.equal(checkAgainstFixtures(() => new KendallRankCorrelation({ variant: 'c' }), 'KendallRankCorrelation_c', 1e-9), 3);
  });
});

/** Brute-force O(n²) tau-b / tau-c from the pair definitions. */
function bruteKendall(x: number[], y: number[], variant: 'b' | 'c'): number {
  let s = 0;
  let untiedX = 0;
  let untiedY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[j]! - x[i]!);
      const dy = Math.sign(y[j]! - y[i]!);
      s += dx * dy;
      if (dx !== 0) untiedX += 1;
      if (dy !== 0) untiedY += 1;
    }
  }
  if (variant === 'b') return s / Math.sqrt(untiedX * untiedY);
  const m = Math.min(new Set(x).size, new Set(y).size);
  return (2 * s) / ((x.length ** 2 * (m - 1)) / m);
}

describe('rank statistics against brute-force definitions', () => {
  const samples = fc.integer({ min: 2, max: 30 }).chain((n) =>
    fc.tuple(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: 6 }), { minLength: n, maxLength: n })),
  );

  it('kendall equals the pair-counting definition (tau-b and tau-c)', () => {
    fc.assert(
      fc.property(samples, ([x, y]) => {
        if (new Set(x).size < 2 || new Set(y).size < 2) {
          assert.ok(Number.isNaN(kendall(x, y, 'b')));
          return;
        }
        close(kendall(x, y, 'b'), bruteKendall(x, y, 'b'), 1e-12);
        close(kendall(x, y, 'c'), bruteKendall(x, y, 'c'), 1e-12);
      }),
      FC,
    );
  });

  it('averageRanks gives tied values the mean of their positions', () => {
    assert.deepEqual(Array.from(averageRanks([10, 20, 10, 30, 20, 10])), [2, 4.5, 2, 6, 4.5, 2]);
  });

  it('spearman is NaN for a constant side or a NaN value', () => {
    assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
    assert.ok(Number.isNaN(spearman([1, Number.NaN, 2], [1, 2, 3])));
    assert.ok(Number.isNaN(kendall([1, 2], [1, Number.NaN], 'b')));
  });
});

describe("correlations: Ignite's documented examples, through an Engine", () => {
  const y = (): tf.Tensor1D => tf.tensor1d([0, 1, 2, 3, 4, 5]);

  it('PearsonCorrelation gives 0.9768688678741455', async () => {
    close(await runEngine(new PearsonCorrelation(), [[tf.tensor1d([0.5, 1.3, 1.9, 2.8, 4.1, 6.0]), y()]]), 0.9768688678741455, 1e-6);
  });

  it('SpearmanRankCorrelation 0.7142857142857143 and KendallRankCorrelation 0.4666666666666666', async () => {
    const p = tf.tensor1d([0.5, 2.8, 1.9, 1.3, 6.0, 4.1]);
    close(await runEngine(new SpearmanRankCorrelation(), [[p, y()]]), 0.7142857142857143, 1e-12);
    close(await runEngine(new KendallRankCorrelation(), [[p, y()]]), 0.4666666666666666, 1e-12);
  });

  it('the stored metrics gather every batch of the epoch (also with { yPred, y } outputs)', async () => {
    const p = [0.5, 2.8, 1.9, 1.3, 6.0, 4.1];
    const t = [0, 1, 2, 3, 4, 5];
    const batches = [0, 2, 5].map((s, i, a) => ({ yPred: tf.tensor1d(p.slice(s, a[i + 1])), y: tf.tensor1d(t.slice(s, a[i + 1])) }));
    close(await runEngine(new KendallRankCorrelation(), batches), 0.4666666666666666, 1e-12);
  });
});

describe('correlations: errors and edge cases', () => {
  it("an unknown Kendall variant is a RangeError with Ignite's message", () => {
    assert.throws(() => new KendallRankCorrelation({ variant: 'a' as 'b' }), { name: 'RangeError', message: /variant accepts 'b' or 'c', got "a"/ });
  });

  it('compute() before any update raises NotComputableError naming the metric', () => {
    for (const m of [new PearsonCorrelation(), new SpearmanRankCorrelation(), new KendallRankCorrelation()]) {
      assert.throws(() => m.compute(), (e: unknown) => e instanceof NotComputableError && e.message.startsWith(`${m.constructor.name} must have`));
    }
  });

  it('PearsonCorrelation of a constant prediction is 0 (eps bounds the denominator); eps is an option', () => {
    const m = new PearsonCorrelation();
    m.update([tf.tensor1d([2, 2, 2]), tf.tensor1d([1, 2, 3])]);
    assert.equal(m.compute(), 0);
    assert.throws(() => new PearsonCorrelation({ eps: '1' as unknown as number }), TypeError);
  });

  it("bad shapes and dtypes give Ignite's messages", () => {
    for (const m of [new PearsonCorrelation(), new SpearmanRankCorrelation(), new KendallRankCorrelation()]) {
      assert.throws(() => m.update([tf.zeros([3, 2]), tf.zeros([3, 2])]), { name: 'RangeError', message: /Input yPred should have shape/ });
      assert.throws(() => m.update([tf.zeros([3]), tf.zeros([3, 1])]), { name: 'RangeError', message: /Input data shapes should be the same/ });
      assert.throws(() => m.update([tf.zeros([3], 'int32'), tf.zeros([3], 'int32')]), { name: 'TypeError', message: /Input yPred dtype should be float32/ });
    }
  });
});
