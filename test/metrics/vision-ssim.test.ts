import * as tf from '@tensorflow/tfjs-core';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { NotComputableError } from '../../src/errors.js';
import { SSIM } from '../../src/metrics/vision/ssim.js';
import { countReads, feedPairs, fixtures, pairTensors, runEngine } from './fixtures/vision-gan-cases.js';
import { close, useCpu } from './reference.js';

before(useCpu);
const f = fixtures.ssim;

describe('SSIM (reference: numpy port of Ignite\'s algorithm, checked against skimage in vision-gan.py)', () => {
  for (const c of f.cases) {
    it(`options ${JSON.stringify(c.options)}: batches of 2, 1 and 3 NHWC images match the reference, leak-free`, () => {
      const before = tf.memory().numTensors;
      const ssim = new SSIM(f.data_range, c.options);
      feedPairs(ssim, f.batches);
      const value = ssim.compute();
      close(value, c.expected, 1e-5);
      if (c.skimage !== undefined) {
        // skimage averages only the interior; Ignite (and kindling) the whole reflect-padded map.
        assert.ok(Math.abs(value - c.skimage) < 2e-3, `close to skimage (${c.skimage}) up to the border effect, got ${value}`);
      }
      ssim.reset();
      assert.equal(tf.memory().numTensors, before);
      assert.throws(() => ssim.compute(), NotComputableError);
    });
  }

  it('update() never reads tensor data back', () => {
    const ssim = new SSIM(f.data_range);
    assert.equal(countReads(() => feedPairs(ssim, f.batches)), 0);
    ssim.reset();
  });

  it('identical images give exactly 1 and the value is symmetric in its arguments', () => {
    const [a, b] = pairTensors(f.batches[0]!);
    const same = new SSIM(1);
    same.update([a, a]);
    close(same.compute(), 1, 1e-6);
    const ab = new SSIM(1);
    const ba = new SSIM(1);
    ab.update([a, b]);
    ba.update([b, a]);
    close(ab.compute(), ba.compute(), 1e-6);
    for (const m of [same, ab, ba]) m.reset();
    tf.dispose([a, b]);
  });

  it('errors: Ignite\'s kernelSize / sigma checks, dtypes, shapes, rank and too-small images', () => {
    assert.throws(() => new SSIM(1, { kernelSize: 4 }), /odd positive number/);
    assert.throws(() => new SSIM(1, { kernelSize: [3, -1] }), RangeError);
    assert.throws(() => new SSIM(1, { sigma: [1, 0] }), /sigma to have positive number/);
    assert.throws(() => new SSIM(1, { kernelSize: [3, 3, 3] as unknown as [number, number] }), TypeError);
    const ssim = new SSIM(1, { kernelSize: 5 });
    assert.throws(() => ssim.update([tf.zeros([1, 8, 8, 1]), tf.zeros([1, 8, 8, 1], 'int32')]), TypeError);
    assert.throws(() => ssim.update([tf.zeros([1, 8, 8, 1]), tf.zeros([1, 8, 9, 1])]), /same shape/);
    assert.throws(() => ssim.update([tf.zeros([8, 8, 1]), tf.zeros([8, 8, 1])]), /BxHxWxC/);
    assert.throws(() => ssim.update([tf.zeros([1, 2, 8, 1]), tf.zeros([1, 2, 8, 1])]), /too small/);
  });

  it('attached to an Engine (epoch-wise) gives the reference value', async () => {
    const data = f.batches.map((b) => pairTensors(b));
    const ssim = new SSIM(f.data_range);
    close(await runEngine(ssim, data), f.cases[0]!.expected, 1e-5);
    ssim.reset();
    tf.dispose(data);
  });
});
