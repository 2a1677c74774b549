import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { replayOptimizerAccumulators } from '../../src/deterministic/index.js';

type AdamView = { accBeta1: tf.Variable; accBeta2: tf.Variable };
const bits = (t: tf.Tensor): string => Buffer.from(new Float32Array(t.dataSync()).buffer).toString('hex');

describe('replayOptimizerAccumulators', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('restores Adam accBeta1/accBeta2 bit-exactly after setWeights (TF.js recomputes them with pow)', async () => {
    const w = tf.variable(tf.tensor1d([1, -2, 3]), true, 'replay_w');
    const trained = tf.train.adam(0.1, 0.9, 0.999);
    for (let i = 0; i < 2; i += 1) {
      const g = tf.tensor1d([0.5, -1, 2 + i]);
      trained.applyGradients([{ name: w.name, tensor: g }]);
      g.dispose();
    }
    const saved = await trained.getWeights();
    const fresh = tf.train.adam(0.1, 0.9, 0.999);
    await fresh.setWeights(saved);
    const t = trained as unknown as AdamView;
    const f = fresh as unknown as AdamView;
    // Independent reference: the running float32 product beta^(steps + 1).
    let ref2 = Math.fround(0.999);
    for (let i = 0; i < 2; i += 1) ref2 = Math.fround(ref2 * Math.fround(0.999));
    assert.equal(t.accBeta2.dataSync()[0], ref2);
    assert.notEqual(bits(f.accBeta2), bits(t.accBeta2), 'TF.js setWeights is off by an ulp here (the bug this works around)');
    assert.equal(replayOptimizerAccumulators(fresh), true);
    assert.equal(bits(f.accBeta1), bits(t.accBeta1));
    assert.equal(bits(f.accBeta2), bits(t.accBeta2));
    assert.equal(replayOptimizerAccumulators(tf.train.sgd(0.1)), false);
    tf.dispose([w, ...saved.map((s) => s.tensor)]);
    trained.dispose();
    fresh.dispose();
  });
});
