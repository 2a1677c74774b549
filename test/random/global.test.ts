import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  getRngState,
  globalGenerator,
  isMathRandomSeeded,
  keepRandomState,
  manualSeed,
  restoreMathRandom,
  setRngState,
  type RngState,
} from '../../src/random/index.js';
import { Engine, Events } from '../../src/engine/index.js';

const originalMathRandom = Math.random;

describe('manualSeed and the global random state', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => restoreMathRandom());

  it('installs a seeded Math.random and restores the original', () => {
    manualSeed(5);
    assert.ok(isMathRandomSeeded());
    assert.notEqual(Math.random, originalMathRandom);
    const a = [Math.random(), Math.random(), globalGenerator.nextUint32()];
    manualSeed(5);
    assert.deepEqual([Math.random(), Math.random(), globalGenerator.nextUint32()], a);
    manualSeed(6);
    assert.notDeepEqual([Math.random(), Math.random(), globalGenerator.nextUint32()], a);
    restoreMathRandom();
    assert.equal(Math.random, originalMathRandom);
    assert.equal(isMathRandomSeeded(), false);
    assert.throws(() => manualSeed(0.5), RangeError);
  });

  it('makes TF.js random ops, dropout and layer initializers reproducible', () => {
    const draw = (seed: number): number[][] => {
      manualSeed(seed);
      const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4] })] });
      const w = Array.from((model.getWeights()[0] as tf.Tensor).dataSync());
      model.dispose();
      return tf.tidy(() => {
        const drop = tf.dropout(tf.ones([50]), 0.5);
        return [
          w,
          Array.from(tf.randomNormal([5]).dataSync()),
          Array.from(tf.randomUniform([5]).dataSync()),
          Array.from(tf.truncatedNormal([5]).dataSync()),
          Array.from(drop.dataSync()),
        ];
      });
    };
    const before = tf.memory().numTensors;
    const a = draw(1);
    assert.deepEqual(draw(1), a);
    const b = draw(2);
    for (let k = 0; k < a.length; k += 1) assert.notDeepEqual(b[k], a[k], `draw ${k} should depend on the seed`);
    // The two dropout masks of one seeded sequence differ (no fixed per-op seed is used).
    manualSeed(1);
    const masks = tf.tidy(() => [0, 1].map(() => Array.from(tf.dropout(tf.ones([50]), 0.5).dataSync())));
    assert.notDeepEqual(masks[0], masks[1]);
    assert.equal(tf.memory().numTensors, before + 0);
  });

  it('getRngState / setRngState round-trip through JSON', () => {
    manualSeed(9);
    Math.random();
    const saved = JSON.parse(JSON.stringify(getRngState())) as RngState;
    const a = [Math.random(), globalGenerator.random(), tf.tidy(() => tf.randomUniform([3]).arraySync())];
    manualSeed(123);
    setRngState(saved);
    assert.deepEqual([Math.random(), globalGenerator.random(), tf.tidy(() => tf.randomUniform([3]).arraySync())], a);
    restoreMathRandom();
    const unseeded = getRngState();
    assert.equal(unseeded.mathRandom, null);
    setRngState(saved);
    assert.ok(isMathRandomSeeded());
    setRngState(unseeded);
    assert.equal(Math.random, originalMathRandom);
    assert.throws(() => setRngState({ generator: [0, 0, 0, 0], mathRandom: null }), TypeError);
    assert.throws(() => setRngState(null as unknown as RngState), TypeError);
  });

  it('keepRandomState restores the state after sync, async and throwing handlers', async () => {
    manualSeed(3);
    const expected = getRngState();
    const consume = keepRandomState((n: number) => {
      for (let i = 0; i < n; i += 1) Math.random();
      manualSeed(999);
      return n;
    });
    assert.equal(consume(5), 5);
    assert.deepEqual(getRngState(), expected);
    const asyncConsume = keepRandomState(async () => {
      await new Promise((r) => setTimeout(r, 1));
      globalGenerator.permutation(10);
      Math.random();
      return 'done';
    });
    assert.equal(await asyncConsume(), 'done');
    assert.deepEqual(getRngState(), expected);
    const throwing = keepRandomState(() => {
      Math.random();
      throw new Error('boom');
    });
    assert.throws(() => throwing(), /boom/);
    assert.deepEqual(getRngState(), expected);
    const rejecting = keepRandomState(async () => {
      Math.random();
      await Promise.resolve();
      throw new Error('later');
    });
    await assert.rejects(rejecting(), /later/);
    assert.deepEqual(getRngState(), expected);
    assert.throws(() => keepRandomState(5 as unknown as () => void), TypeError);
  });

  it('test_keep_random_state_torch_manual_seed: an evaluator consuming randomness perturbs training unless wrapped (pytorch/ignite#795)', async () => {
    // Training "batches" are random draws made in the process function, like random augmentations.
    const train = async (wrap: boolean | null): Promise<number[]> => {
      manualSeed(12);
      const seen: number[] = [];
      const trainer = new Engine((_e, _b: number) => {
        seen.push(globalGenerator.random());
      });
      const evaluator = new Engine((_e, _b: number) => Math.random() + globalGenerator.random());
      const evaluate = async (): Promise<void> => {
        await evaluator.run([0, 1, 2], { maxEpochs: 1 });
      };
      if (wrap !== null) trainer.on(Events.EPOCH_COMPLETED, wrap ? keepRandomState(evaluate) : evaluate);
      await trainer.run([0, 1, 2, 3], { maxEpochs: 3 });
      return seen;
    };
    const reference = await train(null);
    assert.deepEqual(await train(true), reference);
    const perturbed = await train(false);
    assert.deepEqual(perturbed.slice(0, 4), reference.slice(0, 4));
    assert.notDeepEqual(perturbed.slice(4), reference.slice(4));
  });
});
