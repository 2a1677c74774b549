import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { Accuracy } from '../../src/metrics/accuracy.js';
import { TopKCategoricalAccuracy } from '../../src/metrics/top-k.js';
import { FC, argmax, binaryBatches, close, multiclassBatches, multilabelBatches, useCpu } from './reference.js';

before(useCpu);

describe('Accuracy', () => {
  it('test_no_update: compute before update raises NotComputableError', () => {
    assert.throws(() => new Accuracy().compute(), NotComputableError);
  });

  it('binary: matches the brute-force fraction of equal elements over several batches', () => {
    fc.assert(
      fc.property(binaryBatches(), (batches) => {
        const acc = new Accuracy();
        let correct = 0;
        let total = 0;
        for (const { pred, y } of batches) {
          acc.update([tf.tensor1d(pred), tf.tensor1d(y, 'int32')]);
          pred.forEach((p, i) => {
            correct += p === y[i] ? 1 : 0;
            total += 1;
          });
        }
        close(acc.compute(), correct / total, 1e-9);
      }),
      FC,
    );
  });

  it('multiclass: matches argmax == label over several batches', () => {
    fc.assert(
      fc.property(multiclassBatches(), ({ batches }) => {
        const acc = new Accuracy();
        let correct = 0;
        let total = 0;
        for (const { scores, labels } of batches) {
          acc.update([tf.tensor2d(scores), tf.tensor1d(labels, 'int32')]);
          scores.forEach((row, i) => {
            correct += argmax(row) === labels[i] ? 1 : 0;
            total += 1;
          });
        }
        close(acc.compute(), correct / total, 1e-9);
      }),
      FC,
    );
  });

  it('multilabel: a sample is correct only when all its labels match', () => {
    fc.assert(
      fc.property(multilabelBatches(), ({ batches }) => {
        const acc = new Accuracy({ isMultilabel: true });
        let correct = 0;
        let total = 0;
        for (const { pred, y } of batches) {
          acc.update([pred, y]); // nested arrays are converted
          pred.forEach((row, i) => {
            correct += row.every((v, j) => v === y[i]![j]) ? 1 : 0;
            total += 1;
          });
        }
        close(acc.compute(), correct / total, 1e-9);
      }),
      FC,
    );
  });

  it('multiclass with extra dimensions (N, C, L): every position counts', () => {
    // scores[n][c][l]; positions (n, l); class 1 wins at (0,0) and (1,1), class 0 elsewhere
    const scores = [
      [[0.1, 0.9], [0.8, 0.2]],
      [[0.7, 0.3], [0.4, 0.6]],
    ];
    const y = [[1, 1], [0, 0]]; // (N, L)
    const acc = new Accuracy();
    acc.update([tf.tensor3d(scores), tf.tensor2d(y, undefined, 'int32')]);
    // by hand: (0,0): argmax(0.1,0.8)=1 ok; (0,1): argmax(0.9,0.2)=0 vs 1 wrong; (1,0): argmax(0.7,0.4)=0 ok; (1,1): argmax(0.3,0.6)=1 vs 0 wrong
    assert.equal(acc.compute(), 0.5);
  });

  it('test_binary_wrong_inputs: y not 0/1 is reported by compute()', () => {
    const acc = new Accuracy();
    acc.update([tf.tensor1d([0, 1, 1]), tf.tensor1d([0, 2, 1])]);
    assert.throws(() => acc.compute(), /For binary cases, y must be comprised of 0's and 1's/);
    acc.reset();
    acc.update([tf.tensor1d([0, 0.7, 1]), tf.tensor1d([0, 1, 1])]);
    assert.throws(() => acc.compute(), /yPred must be comprised of 0's and 1's/);
  });

  it('test_multiclass_wrong_inputs: shape mismatch names both shapes', () => {
    const acc = new Accuracy();
    assert.throws(
      () => acc.update([tf.zeros([4, 3, 2]), tf.zeros([4], 'int32')]),
      (e: unknown) => e instanceof RangeError && /\[4\] vs \[4,3,2\]/.test(e.message),
    );
    assert.throws(
      () => acc.update([tf.zeros([4, 3]), tf.zeros([5], 'int32')]),
      (e: unknown) => e instanceof RangeError && /compatible shapes/.test(e.message) && /\[5\]/.test(e.message) && /\[4,3\]/.test(e.message),
    );
  });

  it('multiclass: float labels are a TypeError that says how to fix it', () => {
    assert.throws(() => new Accuracy().update([tf.zeros([2, 3]), tf.tensor1d([0, 1])]), /int32.*float32.*tf\.cast/s);
  });

  it('multiclass: labels outside [0, C) are reported by compute()', () => {
    const acc = new Accuracy();
    acc.update([tf.zeros([2, 3]), tf.tensor1d([0, 3], 'int32')]);
    assert.throws(() => acc.compute(), /fewer classes than y.*3/);
  });

  it('test_incorrect_type: data type or number of classes cannot change between resets', () => {
    const acc = new Accuracy();
    acc.update([tf.zeros([2, 3]), tf.zeros([2], 'int32')]);
    assert.throws(() => acc.update([tf.zeros([2, 4]), tf.zeros([2], 'int32')]), /number of classes has changed from 3 to 4/);
    assert.throws(() => acc.update([tf.zeros([2]), tf.zeros([2], 'int32')]), /type has changed from multiclass to binary/);
    acc.reset();
    acc.update([tf.zeros([2]), tf.zeros([2], 'int32')]);
    assert.equal(acc.compute(), 1);
  });

  it('multilabel requires (N, C, ...) with C > 1', () => {
    assert.throws(() => new Accuracy({ isMultilabel: true }).update([tf.zeros([3]), tf.zeros([3])]), /numCategories > 1/);
  });

  it('update is leak-free and does not read from the device', () => {
    const acc = new Accuracy();
    const yp = tf.tensor2d([[0.2, 0.8], [0.6, 0.4]]);
    const y = tf.tensor1d([1, 1], 'int32');
    acc.update([yp, y]);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) acc.update([yp, y]);
    assert.equal(tf.memory().numTensors, n);
    assert.equal(acc.compute(), 0.5);
    acc.reset();
    tf.dispose([yp, y]);
  });
});

describe('TopKCategoricalAccuracy', () => {
  it('matches counting classes scored above the target (continuous scores, no ties)', () => {
    fc.assert(
      fc.property(multiclassBatches(8), fc.integer({ min: 1, max: 3 }), ({ c, batches }, k0) => {
        const k = Math.min(k0, c);
        const m = new TopKCategoricalAccuracy({ k });
        let correct = 0;
        let total = 0;
        for (const { scores, labels } of batches) {
          // make scores distinct so that top-k is well defined
          const distinct = scores.map((row, i) => row.map((v, j) => v + (i * c + j) * 1e-3));
          m.update([tf.tensor2d(distinct), tf.tensor1d(labels, 'int32')]);
          distinct.forEach((row, i) => {
            const target = row[labels[i]!]!;
            const above = row.filter((v) => v > target).length;
            correct += above < k ? 1 : 0;
            total += 1;
          });
        }
        close(m.compute(), correct / total, 1e-9);
      }),
      FC,
    );
  });

  it('hand-checked: k=2', () => {
    const m = new TopKCategoricalAccuracy({ k: 2 });
    m.update([tf.tensor2d([[0.1, 0.5, 0.4], [0.7, 0.2, 0.1]]), tf.tensor1d([2, 2], 'int32')]);
    assert.equal(m.compute(), 0.5);
    assert.throws(() => new TopKCategoricalAccuracy().compute(), NotComputableError);
    assert.throws(() => new TopKCategoricalAccuracy({ k: 0 }), RangeError);
  });
});
