/**
 * `autoDataloader` and `autoModel` (src/distributed/auto.ts) in one process: they change nothing, so a script
 * written for several processes runs unchanged. Their sharding and weight broadcast are checked under mpirun in
 * mpirun.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DataLoader } from '../../src/data/dataloader.js';
import { SequentialSampler } from '../../src/data/samplers.js';
import { autoDataloader, autoModel } from '../../src/distributed/auto.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('autoDataloader and autoModel in a single process', () => {
  it('autoDataloader keeps the batch size and the sequential sampler', () => {
    const data = Array.from({ length: 10 }, (_, i) => i);
    const loader = autoDataloader(data, { batchSize: 4 });
    assert.ok(loader instanceof DataLoader);
    assert.equal(loader.batchSize, 4);
    assert.ok(loader.sampler instanceof SequentialSampler);
  });

  it('autoModel returns the same model and leaves its weights alone', () => {
    const start = tf.memory().numTensors;
    const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2])));
    const model = { trainableWeights: [w] };
    assert.equal(autoModel(model), model);
    assert.deepEqual(Array.from(w.dataSync()), [1, 2]);
    w.dispose();
    assert.equal(tf.memory().numTensors, start);
  });
});
