// CheckpointableAdamax (src/cli/adamax.ts): TensorFlow.js's Adamax with getWeights/setWeights, so a checkpoint
// restores it exactly: a restored optimizer continues bit for bit like the original, and nothing leaks.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers TensorFlow.js's gradient functions
import { CheckpointableAdamax } from '../../src/cli/adamax.js';
import { captureState, checkObjects, restoreState } from '../../src/handlers/checkpoint/tf-state.js';

let counter = 0;
function problem(): { w: tf.Variable; step(opt: tf.Optimizer): void } {
  const w = tf.variable(tf.tensor1d([0.5, -1.5, 2]), true, `adamax_w_${counter++}`);
  const target = tf.tensor1d([1, 2, -3]);
  return {
    w,
    step: (opt) => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.square(tf.sub(w, target))), [w]);
        opt.applyGradients(grads);
      });
    },
  };
}

describe('CheckpointableAdamax', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('is accepted by checkpoints, while the stock Adamax is refused', () => {
    assert.doesNotThrow(() => checkObjects({ optimizer: new CheckpointableAdamax(0.01) }, 'stateDict'));
    assert.throws(() => checkObjects({ optimizer: tf.train.adamax(0.01) }, 'stateDict'), /cannot be checkpointed/);
  });

  it('a restored optimizer continues exactly like the original (same updates, same iteration count)', async () => {
    const a = problem();
    const optA = new CheckpointableAdamax(0.05);
    for (let i = 0; i < 3; i++) a.step(optA);
    const state = await captureState(optA);
    const b = problem();
    const optB = new CheckpointableAdamax(0.05);
    b.step(optB); // creates slots that the restore must replace
    const before = tf.memory().numTensors;
    await restoreState(optB, state, 'optimizer');
    assert.equal(tf.memory().numTensors, before, 'restoring replaces the slots without leaking');
    assert.equal(optB.iterations, 3);
    b.w.assign(a.w);
    for (let i = 0; i < 4; i++) {
      a.step(optA);
      b.step(optB);
    }
    assert.deepEqual(Array.from(b.w.dataSync()), Array.from(a.w.dataSync()));
    const stock = problem();
    const optS = tf.train.adamax(0.05);
    for (let i = 0; i < 7; i++) stock.step(optS);
    assert.deepEqual(Array.from(a.w.dataSync()), Array.from(stock.w.dataSync()), 'the same updates as tf.train.adamax');
  });
});
