/**
 * Gradient accumulation parity with Ignite (spec 1.2, checklist items 1-6): the 1-weight linear model against the
 * plain-TS reference in helpers.ts, the window crossing epochs, no flush at the end, gradients readable at
 * ITERATION_COMPLETED, and a small MLP whose k=4 accumulated update equals one full-batch SGD update.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Events } from '../../src/engine/index.js';
import { createSupervisedTrainer, getGradients, mseLoss } from '../../src/training/index.js';
import { SAMPLES, assertClose, batchOf, linearModel, memory, referenceRun, useBackend } from './helpers.js';

before(async () => useBackend('cpu'));

/** Runs the trainer on the linear model and records weight/output/gradient per iteration. */
async function runLinear(k: number, data: readonly (readonly [number, number])[], options: { maxEpochs: number; epochLength?: number }) {
  const model = linearModel(0);
  const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: k });
  const rows: { iteration: number; epoch: number; w: number; output: unknown; grad: number | null }[] = [];
  trainer.on(Events.ITERATION_COMPLETED, (e) => {
    const g = getGradients(e);
    const grad = g === null ? null : (Object.values(g)[0]!.dataSync()[0] as number);
    rows.push({ iteration: e.state.iteration, epoch: e.state.epoch, w: model.weight(), output: e.state.output, grad });
  });
  await trainer.run(data.map((s) => batchOf([s[0], s[1]])), options);
  model.dispose();
  return rows;
}

describe('gradient accumulation (spec 1.2)', () => {
  for (const k of [1, 2, 3]) {
    it(`test_create_supervised_trainer: weights after each step equal the reference for k=${k}`, async () => {
      const rows = await runLinear(k, SAMPLES, { maxEpochs: 1 });
      const ref = referenceRun(SAMPLES, SAMPLES.length, k, 0.1);
      assert.equal(rows.length, SAMPLES.length);
      for (const [i, r] of ref.entries()) {
        const row = rows[i]!;
        assertClose(row.w, r.wAfter, 1e-5, `w after iteration ${r.iteration} (k=${k})`);
        // item 1: the output is a plain number, the batch loss before division by k
        assert.equal(typeof row.output, 'number');
        assertClose(row.output as number, r.loss, 1e-5, `output at iteration ${r.iteration}`);
        // the accumulated window gradient is readable at ITERATION_COMPLETED
        assertClose(row.grad!, r.windowGrad, 1e-5, `window gradient at iteration ${r.iteration}`);
      }
    });
  }

  it('test_create_supervised_trainer_gradients_not_zero: grads non-zero at every ITERATION_COMPLETED (item 4)', async () => {
    const rows = await runLinear(3, SAMPLES, { maxEpochs: 1 });
    assert.equal(rows.length, SAMPLES.length);
    for (const row of rows) {
      assert.notEqual(row.grad, null, `no gradients at iteration ${row.iteration}`);
      assert.ok(Math.abs(row.grad!) > 0, `zero gradient at iteration ${row.iteration}`);
    }
  });

  it('5 batches with k=3 make exactly one optimizer step, at iteration 3; no flush (item 5)', async () => {
    const data = SAMPLES.slice(0, 5);
    const rows = await runLinear(3, data, { maxEpochs: 1 });
    const ref = referenceRun(data, 5, 3, 0.1);
    const changes = rows.filter((r, i) => r.w !== (i === 0 ? 0 : rows[i - 1]!.w)).map((r) => r.iteration);
    assert.deepEqual(changes, [3]);
    assertClose(rows[4]!.w, ref[2]!.wAfter, 1e-6, 'final weight equals the weight after the single step');
  });

  it('windows cross epoch boundaries (epochLength 5, k=3: steps at 3, 6, 9)', async () => {
    const data = SAMPLES.slice(0, 5);
    const rows = await runLinear(3, data, { maxEpochs: 2 });
    const ref = referenceRun(data, 10, 3, 0.1);
    const stepped = rows.filter((r, i) => r.w !== (i === 0 ? 0 : rows[i - 1]!.w)).map((r) => r.iteration);
    assert.deepEqual(stepped, [3, 6, 9]);
    assert.equal(rows[5]!.epoch, 2); // iteration 6 is in epoch 2, its window covers 4, 5 (epoch 1) and 6
    for (const [i, r] of ref.entries()) assertClose(rows[i]!.w, r.wAfter, 1e-5, `w after iteration ${r.iteration}`);
  });

  for (const k of [0, -1]) {
    it(`test_create_supervised_trainer_wrong_gradient_accumulation_steps: k=${k} raises at construction (item 6)`, () => {
      const model = linearModel();
      assert.throws(
        () => createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: k }),
        { name: 'RangeError', message: /^Gradient_accumulation_steps must be strictly positive\. No gradient accumulation if the value set to one \(default\)\./ },
      );
      model.dispose();
    });
  }

  it('leaves no tensors or data buffers behind across iterations and runs (k=3, accumulation)', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: 3 });
    const data = SAMPLES.slice(0, 7).map((s) => batchOf(s));
    const perIteration: number[] = [];
    trainer.on(Events.EPOCH_COMPLETED, () => void perIteration.push(memory().numTensors));
    await trainer.run(data, { maxEpochs: 1 }); // warm-up: optimizer slots, etc.
    const start = memory();
    await trainer.run(data, { maxEpochs: 2 });
    await trainer.run(data, { maxEpochs: 2 });
    assert.deepEqual(memory(), start);
    assert.equal(new Set(perIteration.slice(1)).size, 1, `tensor count drifts across epochs: ${perIteration.join(', ')}`);
    model.dispose();
  });
});

describe('gradient window lifetime at the end of a run', () => {
  it('terminate({ skipCompleted: true }) mid-window frees the window (no COMPLETED fires)', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: 3 });
    const start = memory();
    let held = -1;
    trainer.on(Events.ITERATION_COMPLETED({ once: 2 }), (e) => {
      held = memory().numTensors;
      e.terminate({ skipCompleted: true });
    });
    await trainer.run(SAMPLES.map((s) => batchOf(s)));
    assert.ok(held > start.numTensors, 'the window held gradients at iteration 2');
    assert.equal(getGradients(trainer), null);
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  it('interrupt() keeps the window: the resumed run continues it and matches the uninterrupted reference', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, { gradientAccumulationSteps: 3 });
    trainer.on(Events.ITERATION_COMPLETED({ once: 4 }), (e) => e.interrupt());
    const data = SAMPLES.slice(0, 6).map((s) => batchOf(s));
    let state = await trainer.run(data);
    assert.equal(state.iteration, 4);
    assert.notEqual(getGradients(trainer), null);
    state = await trainer.run(data);
    assert.equal(state.iteration, 6);
    const ref = referenceRun(SAMPLES.slice(0, 6), 6, 3, 0.1);
    assertClose(model.weight(), ref[5]!.wAfter, 1e-5, 'w after the resumed window (iterations 4-6)');
    model.dispose();
  });
});

/** Plain-TS MLP 2 -> 3 (tanh) -> 1, MSE. Returns the mean gradient over the given samples. */
function mlpGrad(p: { w1: number[][]; b1: number[]; w2: number[]; b2: number }, xs: number[][], ys: number[]) {
  const g = { w1: p.w1.map((r) => r.map(() => 0)), b1: p.b1.map(() => 0), w2: p.w2.map(() => 0), b2: 0 };
  const n = xs.length;
  xs.forEach((x, s) => {
    const h = p.b1.map((b, j) => Math.tanh(b + x[0]! * p.w1[0]![j]! + x[1]! * p.w1[1]![j]!));
    const out = p.b2 + h.reduce((a, hj, j) => a + hj * p.w2[j]!, 0);
    const dOut = (2 * (out - ys[s]!)) / n;
    g.b2 += dOut;
    h.forEach((hj, j) => {
      g.w2[j]! += dOut * hj;
      const dPre = dOut * p.w2[j]! * (1 - hj * hj);
      g.b1[j]! += dPre;
      g.w1[0]![j]! += dPre * x[0]!;
      g.w1[1]![j]! += dPre * x[1]!;
    });
  });
  return g;
}

describe('accumulated MLP update equals the full-batch update', () => {
  it('k=4 with 4 mini-batches of 2 equals one SGD step on the concatenated batch of 8', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 3, inputShape: [2], activation: 'tanh', kernelInitializer: 'glorotUniform' }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const [w1, b1, w2, b2] = model.getWeights().map((t) => t.arraySync());
    const p = { w1: w1 as number[][], b1: b1 as number[], w2: (w2 as number[][]).map((r) => r[0]!), b2: (b2 as number[])[0]! };
    const xs = [[0.5, -1], [1, 2], [-0.5, 0.25], [2, -1.5], [0.1, 0.2], [-1, -1], [1.5, 0.5], [-2, 1]];
    const ys = [0.3, -1, 0.8, 2, -0.4, 1.1, 0.6, -0.9];
    const lr = 0.05;
    const trainer = createSupervisedTrainer(model, tf.train.sgd(lr), mseLoss, { gradientAccumulationSteps: 4 });
    const batches = [0, 2, 4, 6].map((i) => [xs.slice(i, i + 2), ys.slice(i, i + 2).map((v) => [v])]);
    const before = memory();
    await trainer.run(batches, { maxEpochs: 1 });
    const g = mlpGrad(p, xs, ys);
    const got = model.getWeights().map((t) => t.arraySync());
    const near = (a: number, b: number, what: string) => assertClose(a, b, 1e-5, what);
    p.w1.forEach((r, i) => r.forEach((v, j) => near((got[0] as number[][])[i]![j]!, v - lr * g.w1[i]![j]!, `w1[${i}][${j}]`)));
    p.b1.forEach((v, j) => near((got[1] as number[])[j]!, v - lr * g.b1[j]!, `b1[${j}]`));
    p.w2.forEach((v, j) => near((got[2] as number[][])[j]![0]!, v - lr * g.w2[j]!, `w2[${j}]`));
    near((got[3] as number[])[0]!, p.b2 - lr * g.b2, 'b2');
    assert.deepEqual(memory(), before);
    model.dispose();
  });
});
