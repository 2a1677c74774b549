/**
 * Parity of createSupervisedTrainer with Ignite's supervised step (spec 1.2, section 5 items 1-5), checked against
 * the independent reference run in helpers.ts, and a small MLP whose accumulated update equals one full-batch update.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Events } from '../../src/engine/index.js';
import { createSupervisedTrainer, getGradients, mseLoss } from '../../src/training/index.js';
import { SAMPLES, assertClose, batchOf, linearModel, referenceRun, useBackend, type Sample } from './helpers.js';

const LR = 0.1;
const TOL = 1e-5;

interface Observed {
  outputs: number[];
  weights: number[];
  grads: number[];
  steps: number[];
}

/** Runs the trainer on the 1-weight model and records, per ITERATION_COMPLETED, output, weight and window gradient. */
async function runLinear(data: readonly Sample[], k: number, run: { maxEpochs?: number; epochLength?: number }): Promise<Observed> {
  const model = linearModel(0);
  const optimizer = tf.train.sgd(LR);
  const obs: Observed = { outputs: [], weights: [], grads: [], steps: [] };
  const apply = optimizer.applyGradients.bind(optimizer);
  const trainer = createSupervisedTrainer(model, optimizer, mseLoss, { gradientAccumulationSteps: k });
  optimizer.applyGradients = (g) => {
    obs.steps.push(trainer.state.iteration);
    apply(g);
  };
  trainer.on(Events.ITERATION_COMPLETED, (e) => {
    obs.outputs.push(e.state.output as number);
    obs.weights.push(model.weight());
    const g = getGradients(e);
    assert.ok(g !== null, `getGradients is null at iteration ${e.state.iteration}`);
    const t = g[model.w.name];
    assert.ok(t !== undefined, 'the window has a gradient for the weight');
    obs.grads.push(t.dataSync()[0] as number);
  });
  await trainer.run(data.map(batchOf), run);
  model.dispose();
  return obs;
}

describe('createSupervisedTrainer parity with the reference step (1-weight linear model, SGD lr 0.1, MSE)', () => {
  before(async () => {
    await useBackend('cpu');
  });

  for (const k of [1, 2, 3]) {
    it(`test_create_supervised_trainer: weights after each step for gradient_accumulation_steps=${k}`, async () => {
      const data = SAMPLES.slice(0, 6);
      const ref = referenceRun(data, 6, k, LR);
      const obs = await runLinear(data, k, { maxEpochs: 1 });
      assert.equal(obs.weights.length, 6);
      ref.forEach((r, i) => {
        assertClose(obs.weights[i]!, r.wAfter, TOL, `weight after iteration ${r.iteration}`);
        // Spec item 1: the output is the undivided loss of the batch at the pre-step weight.
        assertClose(obs.outputs[i]!, r.loss, TOL, `output of iteration ${r.iteration}`);
      });
      assert.deepEqual(obs.steps, ref.filter((r) => r.stepped).map((r) => r.iteration));
      // Each step moves the weight by lr x the mean of the k per-sample gradients at the pre-step weight.
      for (const r of ref.filter((x) => x.stepped)) {
        const window = data.slice(r.iteration - k, r.iteration);
        const w = ref[r.iteration - k]!.wBefore;
        const mean = window.reduce((s, [x, y]) => s + 2 * x * (w * x - y), 0) / k;
        assertClose(obs.weights[r.iteration - 1]!, w - LR * mean, TOL, `step at ${r.iteration}`);
      }
    });

    it(`gradients are non-zero at every ITERATION_COMPLETED, also right after a step (k=${k})`, async () => {
      const data = SAMPLES.slice(0, 6);
      const ref = referenceRun(data, 6, k, LR);
      const obs = await runLinear(data, k, { maxEpochs: 1 });
      ref.forEach((r, i) => {
        assert.notEqual(obs.grads[i], 0, `gradient at iteration ${r.iteration}`);
        assertClose(obs.grads[i]!, r.windowGrad, TOL, `window gradient at iteration ${r.iteration}`);
      });
    });
  }

  it('test_create_supervised_trainer_with_gradient_accumulation: 5 batches, k=3, 1 epoch: one step, at iteration 3', async () => {
    const data = SAMPLES.slice(0, 5);
    const ref = referenceRun(data, 5, 3, LR);
    const obs = await runLinear(data, 3, { maxEpochs: 1 });
    assert.deepEqual(obs.steps, [3]);
    assert.equal(obs.weights[0], 0);
    assert.equal(obs.weights[1], 0);
    const w3 = ref[2]!.wAfter;
    assert.notEqual(w3, 0);
    for (const i of [2, 3, 4]) assertClose(obs.weights[i]!, w3, TOL, `weight after iteration ${i + 1}`);
    // The gradients of iterations 4-5 are held (readable) but never applied.
    assertClose(obs.grads[4]!, ref[4]!.windowGrad, TOL, 'window gradient of iterations 4-5');
  });

  it('accumulation windows cross epoch boundaries: epochLength 5, k 3 steps at 3, 6, 9; window 6 covers 4, 5, 6', async () => {
    const data = SAMPLES.slice(0, 5);
    const ref = referenceRun(data, 10, 3, LR);
    const obs = await runLinear(data, 3, { maxEpochs: 2, epochLength: 5 });
    assert.deepEqual(obs.steps, [3, 6, 9]);
    ref.forEach((r, i) => assertClose(obs.weights[i]!, r.wAfter, TOL, `weight after iteration ${r.iteration}`));
    // Window of iteration 6 = batches of iterations 4 and 5 (epoch 1) and 6 (epoch 2, data[0]), at w after step 3.
    const w3 = ref[2]!.wAfter;
    const window = [data[3]!, data[4]!, data[0]!];
    const mean = window.reduce((s, [x, y]) => s + 2 * x * (w3 * x - y), 0) / 3;
    assertClose(obs.weights[5]!, w3 - LR * mean, TOL, 'weight after the cross-epoch window');
  });

  it('kindling deviation: a run continued after COMPLETED starts a fresh window (gradients are released at COMPLETED)', async () => {
    // Ignite keeps .grad populated after a run, so run(maxEpochs: 2) after a 1-epoch run of 5 batches with k=3 would
    // apply iterations 4, 5 and 6 at iteration 6. kindling frees the window at COMPLETED (leak-free runs), so the
    // step at iteration 6 applies only iteration 6's gradient (divided by k). Documented in docs/training.md.
    const data = SAMPLES.slice(0, 5);
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 3 });
    await trainer.run(data.map(batchOf), { maxEpochs: 1 });
    const w3 = referenceRun(data, 3, 3, LR)[2]!.wAfter;
    assertClose(model.weight(), w3, TOL, 'after the first run');
    assert.equal(getGradients(trainer), null, 'no gradients are held after COMPLETED');
    let atSix = Number.NaN;
    trainer.on(Events.ITERATION_COMPLETED({ once: 6 }), () => (atSix = model.weight()));
    await trainer.run(data.map(batchOf), { maxEpochs: 2 });
    assert.equal(trainer.state.iteration, 10);
    const [x, y] = data[0]!;
    assertClose(atSix, w3 - (LR * 2 * x * (w3 * x - y)) / 3, TOL, 'weight after iteration 6');
    model.dispose();
  });

  it('an interrupted run keeps its window: resuming gives the uninterrupted weights (steps at 3, 6, 9)', async () => {
    const data = SAMPLES.slice(0, 5);
    const ref = referenceRun(data, 10, 3, LR);
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 3 });
    trainer.on(Events.ITERATION_COMPLETED({ once: 5 }), (e) => e.interrupt());
    await trainer.run(data.map(batchOf), { maxEpochs: 2 });
    assert.equal(trainer.state.iteration, 5);
    assertClose(getGradients(trainer)![model.w.name]!.dataSync()[0]!, ref[4]!.windowGrad, TOL, 'window held while interrupted');
    await trainer.run(data.map(batchOf), { maxEpochs: 2 });
    assert.equal(trainer.state.iteration, 10);
    assertClose(model.weight(), ref[9]!.wAfter, TOL, 'weight after the resumed run');
    model.dispose();
  });

  it('a small MLP: an SGD update accumulated over k=4 batches equals one full-batch update on the concatenated batch', async () => {
    const makeMlp = (): tfl.Sequential =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 5, activation: 'tanh', inputShape: [3], kernelInitializer: 'glorotUniform', biasInitializer: 'ones' }),
          tfl.layers.dense({ units: 2 }),
        ],
      });
    const accumulated = makeMlp();
    const full = makeMlp();
    full.setWeights(accumulated.getWeights());
    // 4 batches of 2 samples, fixed pseudo-random values.
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647 - 0.5;
    };
    const xs = Array.from({ length: 8 }, () => [rnd(), rnd(), rnd()]);
    const ys = Array.from({ length: 8 }, () => [rnd(), rnd()]);
    const batches = [0, 1, 2, 3].map((b) => [xs.slice(2 * b, 2 * b + 2), ys.slice(2 * b, 2 * b + 2)]);

    const initial = accumulated.getWeights().map((w) => Array.from(w.dataSync()));
    const t1 = createSupervisedTrainer(accumulated, tf.train.sgd(0.5), mseLoss, { gradientAccumulationSteps: 4 });
    await t1.run(batches, { maxEpochs: 1 });
    const t2 = createSupervisedTrainer(full, tf.train.sgd(0.5), mseLoss);
    await t2.run([[xs, ys]], { maxEpochs: 1 });

    const a = accumulated.getWeights();
    const f = full.getWeights();
    let maxMove = 0;
    a.forEach((w, i) => {
      const wa = w.dataSync();
      const wf = f[i]!.dataSync();
      wa.forEach((v, j) => {
        assertClose(v, wf[j]!, 1e-5, `weight ${i}[${j}]`);
        maxMove = Math.max(maxMove, Math.abs(v - initial[i]![j]!));
      });
    });
    assert.ok(maxMove > 1e-3, `the update is non-trivial (max weight change ${maxMove})`);
    accumulated.dispose();
    full.dispose();
  });
});
