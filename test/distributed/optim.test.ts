/**
 * `autoOptim`, `isDistributedOptimizer` and `averageGradients` (src/distributed/optim.ts) in one process: the
 * optimizer is returned untouched and gradients are averaged over one rank. Averaging across ranks, also under amp
 * with a GradScaler, is checked under mpirun in mpirun.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { autoOptim, averageGradients, isDistributedOptimizer } from '../../src/distributed/optim.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('autoOptim and averageGradients in a single process', () => {
  it('autoOptim returns the same optimizer, unpatched', () => {
    const optimizer = tf.train.sgd(0.1);
    const own = Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients');
    assert.equal(autoOptim(optimizer), optimizer);
    assert.equal(Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients'), own);
    assert.equal(isDistributedOptimizer(optimizer), false);
    optimizer.dispose();
  });

  it('averageGradients over one rank gives the same values, in new tensors', () => {
    const start = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const g = { [w.name]: tf.tensor1d([3, 4]) };
    const avg = averageGradients(g);
    assert.deepEqual(Array.from(avg[w.name]?.dataSync() ?? []), [3, 4]);
    assert.notEqual(avg[w.name], g[w.name]);
    tf.dispose([w, ...Object.values(g), ...Object.values(avg)]);
    assert.equal(tf.memory().numTensors, start);
  });
});
