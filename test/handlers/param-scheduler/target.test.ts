// Param targets on real tf.js optimizers: a learning rate set through the target must be the one the next
// applyGradients() uses. Reference: the same step made by a fresh optimizer constructed with that learning rate.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of the core ops
import '@tensorflow/tfjs-backend-cpu';
import { Engine, Events, silentLogger } from '../../../src/engine/index.js';
import {
  LinearCyclicalScheduler,
  isParamTarget,
  objectParam,
  optimizerParam,
  stateParam,
} from '../../../src/handlers/param-scheduler/index.js';

before(async () => {
  await tf.setBackend('cpu');
});

const makers: Record<string, (lr: number) => tf.Optimizer> = {
  sgd: (lr) => tf.train.sgd(lr),
  momentum: (lr) => tf.train.momentum(lr, 0.9),
  adam: (lr) => tf.train.adam(lr),
  adamax: (lr) => tf.train.adamax(lr),
  adagrad: (lr) => tf.train.adagrad(lr),
  adadelta: (lr) => tf.train.adadelta(lr),
  rmsprop: (lr) => tf.train.rmsprop(lr),
};

/** Two steps on w (loss = sum(w^2) + sum(w)); returns the final weights. */
function twoSteps(opt: tf.Optimizer, beforeSecond?: () => void): number[] {
  const w = tf.variable(tf.tensor1d([1, -2, 0.5]));
  const step = (): void => {
    const { grads, value } = tf.variableGrads(() => tf.add<tf.Scalar>(tf.sum(tf.square(w)), tf.sum(w)), [w]);
    opt.applyGradients(grads);
    value.dispose();
    tf.dispose(grads);
  };
  step();
  beforeSecond?.();
  step();
  const out = Array.from(w.dataSync());
  w.dispose();
  return out;
}

describe('optimizerParam', () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a learning rate set between steps is used by the next applyGradients`, () => {
      // reference: lr 0.05 for the first step, then 0.01, with the change made by an independent mechanism
      const ref = make(0.05);
      const expected = twoSteps(ref, () => {
        const r = ref as unknown as { setLearningRate?: (v: number) => void; learningRate: number };
        if (r.setLearningRate) r.setLearningRate(0.01);
        else r.learningRate = 0.01;
      });
      const opt = make(0.05);
      const target = optimizerParam(opt);
      const got = twoSteps(opt, () => target.set(0.01));
      const unchanged = twoSteps(make(0.05));
      got.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-6, `${v} vs ${expected[i]}`));
      assert.ok(got.some((v, i) => Math.abs(v - (unchanged[i] as number)) > 1e-5), 'the change must matter');
      assert.equal(target.get(), 0.01);
      ref.dispose();
      opt.dispose();
    });
  }

  it('SGD: setting the learning rate leaks no tensor', () => {
    const opt = tf.train.sgd(0.1);
    const target = optimizerParam(opt);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) target.set(0.1 / (i + 1));
    assert.equal(tf.memory().numTensors, n);
    opt.dispose();
  });

  it('returns one target per optimizer and rejects other parameters and objects', () => {
    const opt = tf.train.adam(0.1);
    assert.equal(optimizerParam(opt), optimizerParam(opt, 'learningRate'));
    assert.ok(isParamTarget(optimizerParam(opt)));
    assert.throws(() => optimizerParam(opt, 'momentum'), /only exposes a schedulable learning rate/);
    assert.throws(() => optimizerParam({}), /Argument optimizer should be a tf.train optimizer/);
    assert.throws(() => new LinearCyclicalScheduler({ param_groups: [] }, 'lr', { startValue: 0, endValue: 1, cycleSize: 2 }), TypeError);
    opt.dispose();
  });
});

describe('stateParam / objectParam', () => {
  it('schedules an engine state attribute through an optimizer-style scheduler on a real Engine', async () => {
    const trainer = new Engine((e, _b: number) => e.state['alpha'], { logger: silentLogger });
    const scheduler = new LinearCyclicalScheduler(stateParam(trainer, 'alpha'), 'alpha', {
      startValue: 0,
      endValue: 1,
      cycleSize: 4,
      saveHistory: true,
    });
    const seen: unknown[] = [];
    scheduler.attach(trainer);
    trainer.on(Events.ITERATION_COMPLETED, (e) => seen.push(e.state.output));
    await trainer.run(new Array<number>(9).fill(0), { maxEpochs: 1 });
    assert.deepEqual(seen, [0, 0.5, 1, 0.5, 0, 0.5, 1, 0.5, 0]);
    assert.deepEqual((trainer.state['paramHistory'] as Record<string, number[]>)['alpha'], seen);
  });

  it('objectParam reads NaN for a missing field and writes the field', () => {
    const bag: Record<string, unknown> = {};
    const t = objectParam(bag, 'x');
    assert.ok(Number.isNaN(t.get()));
    t.set(3);
    assert.equal(bag['x'], 3);
  });
});
