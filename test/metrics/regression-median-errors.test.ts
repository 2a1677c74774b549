import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { median } from '../../src/metrics/regression/base.js';
import {
  GeometricMeanRelativeAbsoluteError,
  MedianAbsoluteError,
  MedianAbsolutePercentageError,
  MedianRelativeAbsoluteError,
} from '../../src/metrics/regression/median-errors.js';
import { checkAgainstFixtures, runEngine } from './fixtures/regression-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);

describe('median and geometric regression errors against the numpy reference (regression.json)', () => {
  const metrics = {
    MedianAbsoluteError: () => new MedianAbsoluteError(),
    MedianAbsolutePercentageError: () => new MedianAbsolutePercentageError(),
    MedianRelativeAbsoluteError: () => new MedianRelativeAbsoluteError(),
    GeometricMeanRelativeAbsoluteError: () => new GeometricMeanRelativeAbsoluteError(),
  };
  for (const [name, make] of Object.entries(metrics)) {
    it(`${name} over batches of different sizes, leak-free`, () => {
      checkAgainstFixtures(make, name);
    });
  }

  it('median: middle value for an odd count, mean of the two middle values for an even count', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe("median and geometric regression errors: Ignite's documented examples, through an Engine", () => {
  it('MedianAbsoluteError: int32 targets 0..5, yPred = 0.75 y gives 0.625', async () => {
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
    close(await runEngine(new MedianAbsoluteError(), [[tf.mul(tf.cast(y, 'float32'), 0.75), y]]), 0.625, 1e-6);
  });

  it('MedianAbsolutePercentageError: y = 1..5, yPred = 0.75 y gives 25', async () => {
    const y = tf.tensor1d([1, 2, 3, 4, 5]);
    close(await runEngine(new MedianAbsolutePercentageError(), [[tf.mul(y, 0.75), y]]), 25, 1e-6);
  });

  it('MedianRelativeAbsoluteError 0.5... and GeometricMeanRelativeAbsoluteError 0 for y = 0..5, yPred = 0.75 y', async () => {
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5]);
    // Ignite's doctest prints "0.5..." (ELLIPSIS): the ratios are 0, 1/6, 1, 3/2, 2/3, 1/2, so the median is 7/12.
    close(await runEngine(new MedianRelativeAbsoluteError(), [[tf.mul(y, 0.75), y]]), 7 / 12, 1e-6);
    assert.equal(await runEngine(new GeometricMeanRelativeAbsoluteError(), [[tf.mul(y, 0.75), y]]), 0);
  });
});

describe('median and geometric regression errors: errors and edge cases', () => {
  it('compute() before any update raises NotComputableError naming the metric', () => {
    for (const m of [new MedianAbsoluteError(), new GeometricMeanRelativeAbsoluteError()]) {
      assert.throws(() => m.compute(), (e: unknown) => e instanceof NotComputableError && e.message.startsWith(`${m.constructor.name} must have`));
    }
  });

  it('the median metrics take (N, T) inputs like EpochMetric; GeometricMeanRelativeAbsoluteError checks (N,) / (N, 1)', () => {
    const m = new MedianAbsoluteError();
    m.update([tf.tensor2d([[0, 0], [0, 0]]), tf.tensor2d([[1, 2], [3, 4]])]);
    close(m.compute(), 2.5, 1e-6);
    m.reset();
    const g = new GeometricMeanRelativeAbsoluteError();
    assert.throws(() => g.update([tf.zeros([2, 2]), tf.zeros([2, 2])]), { name: 'RangeError', message: /Input yPred should have shape \(N,\) or \(N, 1\)/ });
    assert.throws(() => g.update([tf.zeros([2]), tf.zeros([2], 'int32')]), { name: 'TypeError', message: /Input y dtype should be float32/ });
    assert.throws(() => g.update([tf.zeros([2]), tf.zeros([3])]), { name: 'RangeError', message: /Input data shapes should be the same/ });
  });

  it('a dtype change between batches is rejected, as in EpochMetric', () => {
    const m = new MedianAbsolutePercentageError();
    m.update([tf.tensor1d([1]), tf.tensor1d([2])]);
    assert.throws(() => m.update([tf.tensor1d([1]), tf.tensor1d([2], 'int32')]), /Incoherent types/);
    m.reset();
  });

  it('GeometricMeanRelativeAbsoluteError (N, 1) batches equal the (N,) result; failed updates leak nothing', () => {
    const col = new GeometricMeanRelativeAbsoluteError();
    const flat = new GeometricMeanRelativeAbsoluteError();
    const p = [0.5, 2.5, 1.0, 4.0];
    const y = [1, 2, 3, 5];
    col.update([tf.tensor2d(p, [4, 1]), tf.tensor2d(y, [4, 1])]);
    flat.update([tf.tensor1d(p), tf.tensor1d(y)]);
    const yMean = 11 / 4;
    const expected = Math.exp(p.reduce((s, v, i) => s + Math.log(Math.abs(y[i]! - v) / Math.abs(y[i]! - yMean)), 0) / 4);
    close(col.compute(), expected, 1e-6);
    close(flat.compute(), expected, 1e-6);
    const n = tf.memory().numTensors;
    assert.throws(() => col.update([[1, 2], [[1], [2]]]), RangeError);
    assert.equal(tf.memory().numTensors, n);
    col.reset();
    flat.reset();
  });
});

describe('median errors: nested-array batches', () => {
  it('integer-looking and fractional array batches mix (arrays are read as float32)', () => {
    const m = new MedianAbsoluteError();
    m.update([[0.5, 1], [1, 2]]);
    m.update([[1, 2], [1, 2]]);
    close(m.compute(), 0.25, 1e-7);
    const n = tf.memory().numTensors;
    m.reset();
    assert.equal(tf.memory().numTensors, n - 4);
  });
});
