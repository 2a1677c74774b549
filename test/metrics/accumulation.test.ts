import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { Average, GeometricAverage, VariableAccumulation } from '../../src/metrics/accumulation.js';
import { Loss } from '../../src/metrics/loss.js';
import { FC, close, regressionBatches, useCpu } from './reference.js';

before(useCpu);

const positive = fc.float({ min: Math.fround(0.1), max: 10, noNaN: true, noDefaultInfinity: true });

describe('Loss', () => {
  it('is the example-weighted mean of the per-batch average losses', () => {
    fc.assert(
      fc.property(regressionBatches(), (batches) => {
        const loss = new Loss((p, t) => tf.losses.meanSquaredError(t, p));
        let weighted = 0;
        let n = 0;
        for (const { pred, y } of batches) {
          loss.update([tf.tensor2d(pred), tf.tensor2d(y)]);
          let s = 0;
          pred.forEach((row, i) => row.forEach((v, j) => (s += (v - y[i]![j]!) ** 2)));
          const batchMean = s / (pred.length * pred[0]!.length);
          weighted += batchMean * pred.length;
          n += pred.length;
        }
        close(loss.compute(), weighted / n, 1e-4);
      }),
      FC,
    );
  });

  it('batchSize option, kwargs as third item, non-scalar loss error', () => {
    const fn = (p: tf.Tensor, _t: tf.Tensor, kw?: Record<string, unknown>) => tf.mul(tf.mean(p), (kw?.['scale'] as number) ?? 1);
    const loss = new Loss(fn, { batchSize: () => 2 });
    loss.update([tf.tensor1d([1, 3]), tf.tensor1d([0, 0])]); // mean 2, weight 2
    loss.update([tf.tensor1d([4]), tf.tensor1d([0]), { scale: 2 }]); // 8, weight 2
    assert.equal(loss.compute(), 5);
    assert.throws(() => new Loss((p) => p).update([tf.zeros([2]), tf.zeros([2])]), /did not return the average loss.*\[2\]/);
    assert.throws(() => new Loss((p) => tf.mean(p)).compute(), /Loss must have at least one example/);
  });
});

describe('Average / GeometricAverage / VariableAccumulation', () => {
  it('Average of numbers is their arithmetic mean; GeometricAverage is exp(mean(log))', () => {
    fc.assert(
      fc.property(fc.array(positive, { minLength: 1, maxLength: 20 }), (xs) => {
        const avg = new Average();
        const geo = new GeometricAverage();
        for (const x of xs) {
          avg.update(x);
          geo.update(x);
        }
        close(avg.compute(), xs.reduce((a, b) => a + b, 0) / xs.length, 1e-5);
        close(geo.compute(), Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length), 1e-4);
      }),
      FC,
    );
  });

  it('Average of (N, D) tensors is the per-feature mean over all rows', () => {
    fc.assert(
      fc.property(regressionBatches(3), (batches) => {
        const avg = new Average();
        const rows = batches.flatMap((b) => b.pred);
        for (const { pred } of batches) avg.update(tf.tensor2d(pred));
        const expected = [0, 1, 2].map((j) => rows.reduce((a, r) => a + r[j]!, 0) / rows.length);
        close(avg.compute(), expected, 1e-4);
      }),
      FC,
    );
  });

  it('a 1-D tensor counts as one example (Ignite semantics)', () => {
    const avg = new Average();
    avg.update(tf.tensor1d([1, 3]));
    avg.update(tf.tensor1d([3, 5]));
    assert.deepEqual(avg.compute(), [2, 4]);
  });

  it('VariableAccumulation returns [accumulator, numExamples]', () => {
    const m = new VariableAccumulation((a, x) => tf.maximum(a, tf.max(x)));
    m.update(tf.tensor2d([[1, 7], [2, 3]]));
    m.update(5);
    assert.deepEqual(m.compute(), [7, 3]);
    assert.throws(() => m.update('x'), /Output should be a number or tf.Tensor/);
    assert.throws(() => new VariableAccumulation(5 as unknown as () => tf.Tensor), /op should be a callable/);
    assert.throws(() => new Average().compute(), NotComputableError);
    assert.throws(() => new GeometricAverage().compute(), NotComputableError);
  });

  it('reset disposes the accumulator (no leak across resets)', () => {
    const avg = new Average();
    avg.update(1);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      avg.reset();
      avg.update(tf.tensor2d([[1, 2]]));
      avg.compute();
    }
    assert.equal(tf.memory().numTensors, n + 5); // only the 5 input tensors created above remain
  });
});
