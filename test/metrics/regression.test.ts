import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import {
  MeanAbsoluteError,
  MeanPairwiseDistance,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
} from '../../src/metrics/regression.js';
import { FC, close, regressionBatches, useCpu } from './reference.js';

before(useCpu);

type Batches = { pred: number[][]; y: number[][] }[];

function sumOver(batches: Batches, f: (p: number, y: number) => number): { sum: number; n: number } {
  let sum = 0;
  let n = 0;
  for (const { pred, y } of batches) {
    pred.forEach((row, i) => row.forEach((p, j) => (sum += f(p, y[i]![j]!))));
    n += pred.length;
  }
  return { sum, n };
}

describe('regression metrics against brute-force sums', () => {
  it('MeanSquaredError / RootMeanSquaredError / MeanAbsoluteError divide by the number of samples', () => {
    fc.assert(
      fc.property(regressionBatches(), (batches) => {
        const mse = new MeanSquaredError();
        const rmse = new RootMeanSquaredError();
        const mae = new MeanAbsoluteError();
        for (const { pred, y } of batches) {
          for (const m of [mse, rmse, mae]) m.update([tf.tensor2d(pred), tf.tensor2d(y)]);
        }
        const sq = sumOver(batches, (p, t) => (p - t) ** 2);
        const ab = sumOver(batches, (p, t) => Math.abs(p - t));
        close(mse.compute(), sq.sum / sq.n, 1e-4);
        close(rmse.compute(), Math.sqrt(sq.sum / sq.n), 1e-4);
        close(mae.compute(), ab.sum / ab.n, 1e-4);
      }),
      FC,
    );
  });

  it('spec item 12: MSE of w=0, x=[[1],[2]], y=[[3],[4]] is 12.5', () => {
    const x = tf.tensor2d([[1], [2]]);
    const w = tf.scalar(0);
    const mse = new MeanSquaredError();
    mse.update([tf.mul(x, w), [[3], [4]]]);
    assert.equal(mse.compute(), 12.5);
  });

  it('MeanPairwiseDistance: mean over rows of ||p - y + eps||_p', () => {
    fc.assert(
      fc.property(regressionBatches(), fc.constantFrom(1, 2, 3), (batches, p) => {
        const m = new MeanPairwiseDistance({ p });
        let total = 0;
        let n = 0;
        for (const { pred, y } of batches) {
          m.update([pred, y]);
          pred.forEach((row, i) => {
            const s = row.reduce((acc, v, j) => acc + Math.abs(v - y[i]![j]! + 1e-6) ** p, 0);
            total += s ** (1 / p);
            n += 1;
          });
        }
        close(m.compute(), total / n, 1e-4);
      }),
      FC,
    );
  });

  it('R2Score: 1 - SSE / SST over all batches', () => {
    fc.assert(
      fc.property(regressionBatches(1), (batches) => {
        const all = batches.flatMap(({ y }) => y.map((r) => r[0]!));
        const mean = all.reduce((a, b) => a + b, 0) / all.length;
        const sst = all.reduce((a, v) => a + (v - mean) ** 2, 0);
        fc.pre(sst > 1); // R² is ill-conditioned when the targets are (nearly) constant
        const m = new R2Score();
        for (const { pred, y } of batches) m.update([tf.tensor2d(pred), tf.tensor2d(y)]);
        const sse = sumOver(batches, (p, t) => (p - t) ** 2).sum;
        close(m.compute(), 1 - sse / sst, 1e-3);
      }),
      FC,
    );
  });

  it('errors: shapes named in the message, NotComputableError before update', () => {
    assert.throws(
      () => new MeanSquaredError().update([tf.zeros([2, 3]), tf.zeros([2, 2])]),
      (e: unknown) => e instanceof RangeError && /\[2,3\]/.test(e.message) && /\[2,2\]/.test(e.message),
    );
    assert.throws(() => new R2Score().update([tf.zeros([2, 3]), tf.zeros([2, 3])]), /\(N,\) or \(N, 1\)/);
    assert.throws(() => new R2Score().update([tf.zeros([2]), tf.zeros([2, 1])]), /shapes should be the same/);
    assert.throws(() => new MeanSquaredError().update('nope'), TypeError);
    for (const M of [MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, R2Score, MeanPairwiseDistance]) {
      assert.throws(() => new M().compute(), NotComputableError);
    }
  });
});
