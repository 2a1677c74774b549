import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { PSNR } from '../../src/metrics/vision/psnr.js';
import { countReads, feedPairs, fixtures, pairTensors, runEngine } from './fixtures/vision-gan-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const f = fixtures.psnr;

describe('PSNR (reference: skimage.metrics.peak_signal_noise_ratio)', () => {
  it('float NHWC images in batches of 3, 1 and 2 match skimage, leak-free', () => {
    const before = tf.memory().numTensors;
    const psnr = new PSNR(f.data_range);
    feedPairs(psnr, f.batches);
    close(psnr.compute(), f.expected, 1e-5);
    close(psnr.compute(), f.expected, 1e-5);
    psnr.reset();
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => psnr.compute(), NotComputableError);
  });

  it('update() never reads tensor data back (the sum stays on the device until compute)', () => {
    const psnr = new PSNR(f.data_range);
    assert.equal(countReads(() => feedPairs(psnr, f.batches)), 0);
    assert.equal(countReads(() => psnr.compute()), 1);
    psnr.reset();
  });

  it('int32 images with dataRange 255 match skimage', () => {
    const psnr = new PSNR(255);
    for (const b of f.int_batches) {
      const pair = [tf.tensor(b.y_pred, undefined, 'int32'), tf.tensor(b.y, undefined, 'int32')];
      psnr.update(pair);
      tf.dispose(pair);
    }
    close(psnr.compute(), f.int_expected, 1e-5);
  });

  it('identical images give 10·log10(range² / 1e-10) (Ignite adds 1e-10 to the MSE)', () => {
    const psnr = new PSNR(1);
    const x = tf.ones([2, 3, 3, 1]);
    psnr.update([x, x]);
    close(psnr.compute(), 100, 1e-5);
    x.dispose();
  });

  it('errors: different dtypes (TypeError) and shapes (RangeError) with the shapes in the message', () => {
    const psnr = new PSNR(1);
    assert.throws(() => psnr.update([tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 4, 1], 'int32')]), /same data type. Got yPred: float32 and y: int32/);
    assert.throws(() => psnr.update([tf.zeros([2, 4, 4, 1]), tf.zeros([2, 4, 5, 1])]), (e: unknown) => e instanceof RangeError && /\[2,4,4,1\].*\[2,4,5,1\]/.test(e.message));
    assert.throws(() => psnr.update('images'), TypeError);
    assert.throws(() => new PSNR(Number.NaN), TypeError);
  });

  it('attached to an Engine: epoch-wise value equals the reference, batch-wise equals the last batch', async () => {
    const data = f.batches.map((b) => pairTensors(b));
    const before = tf.memory().numTensors;
    const epochWise = new PSNR(f.data_range);
    close(await runEngine(epochWise, data), f.expected, 1e-5);
    const last = new PSNR(f.data_range);
    last.update(data.at(-1));
    const batchWise = new PSNR(f.data_range);
    close(await runEngine(batchWise, data, 'batch_wise'), last.compute(), 1e-6);
    for (const m of [epochWise, last, batchWise]) m.reset(); // each kept one running sum
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(data);
  });
});
