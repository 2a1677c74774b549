/**
 * The supervised training and evaluation steps (src/training/steps.ts), as createSupervisedTrainer and
 * createSupervisedEvaluator run them. Port of the step cases of Ignite's tests/ignite/engine/test_create_supervised.py:
 * - gradient accumulation against the plain-TS reference of Ignite's step in helpers.ts (the 1-weight linear model),
 *   the window across epochs, after COMPLETED, after terminate and interrupt, and a small MLP whose accumulated
 *   update equals one full-batch update;
 * - the step parameters prepareBatch, modelFn, modelTransform, outputTransform and nonBlocking;
 * - ampMode / ampDtype: autocast rounds the model's matmul to the dtype (values rounded by hand from IEEE half and
 *   bfloat16, not from src/amp), and loss scaling: float16 gradients of ~1e-8 underflow without a scaler and
 *   survive with one; apex backs its scale off on overflow.
 * The factories' own arguments (validation, device, deterministic, scaler, the named step factories) are in
 * create.test.ts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { GradScaler, roundToDtype, type AmpDtype } from '../../src/amp/index.js';
import { Events } from '../../src/engine/index.js';
import {
  createSupervisedEvaluator,
  createSupervisedTrainer,
  getGradients,
  mseLoss,
  type SupervisedTrainerOptions,
} from '../../src/training/index.js';
import {
  BF16_OF_0_1,
  F16_OF_0_1,
  SAMPLES,
  assertClose,
  batchOf,
  linearModel,
  memory,
  referenceRun,
  useBackend,
  type LinearModel,
  type Sample,
} from './helpers.js';

const LR = 0.1;
const TOL = 1e-5;
const FOUR = SAMPLES.slice(0, 4).map(batchOf);

before(async () => useBackend('cpu'));

interface Row {
  iteration: number;
  epoch: number;
  output: unknown;
  w: number;
  /** The window's gradient for the weight at ITERATION_COMPLETED, or null when the trainer holds none. */
  grad: number | null;
}

/** Trains the 1-weight model with SGD(LR); records each ITERATION_COMPLETED and the iterations of optimizer steps. */
async function runLinear(data: readonly Sample[], k: number, run: { maxEpochs: number; epochLength?: number }): Promise<{ rows: Row[]; steps: number[] }> {
  const model = linearModel(0);
  const optimizer = tf.train.sgd(LR);
  const trainer = createSupervisedTrainer(model, optimizer, mseLoss, { gradientAccumulationSteps: k });
  const steps: number[] = [];
  const apply = optimizer.applyGradients.bind(optimizer);
  optimizer.applyGradients = (g) => {
    steps.push(trainer.state.iteration);
    apply(g);
  };
  const rows: Row[] = [];
  trainer.on(Events.ITERATION_COMPLETED, (e) => {
    const t = getGradients(e)?.[model.w.name];
    const grad = t === undefined ? null : (t.dataSync()[0] as number);
    rows.push({ iteration: e.state.iteration, epoch: e.state.epoch, output: e.state.output, w: model.weight(), grad });
  });
  await trainer.run(data.map(batchOf), run);
  model.dispose();
  return { rows, steps };
}

/** The iterations after which the weight differs from the one before (the weight starts at 0). */
const weightChanges = (rows: readonly Row[]): number[] =>
  rows.filter((r, i) => r.w !== (i === 0 ? 0 : rows[i - 1]!.w)).map((r) => r.iteration);

/** The SGD update of a window: w - lr x the mean of its per-sample gradients 2 x (w x - y), all at weight `w`. */
const windowStep = (w: number, window: readonly Sample[]): number =>
  w - (LR * window.reduce((s, [x, y]) => s + 2 * x * (w * x - y), 0)) / window.length;

describe('gradient accumulation against the reference step (1-weight linear model, SGD lr 0.1, MSE)', () => {
  for (const k of [1, 2, 3]) {
    it(`test_create_supervised_trainer: weights, outputs and optimizer steps for gradient_accumulation_steps=${k}`, async () => {
      const { rows, steps } = await runLinear(SAMPLES, k, { maxEpochs: 1 });
      const ref = referenceRun(SAMPLES, SAMPLES.length, k, LR);
      assert.equal(rows.length, SAMPLES.length);
      ref.forEach((r, i) => {
        assertClose(rows[i]!.w, r.wAfter, TOL, `weight after iteration ${r.iteration}`);
        // the output is a plain number: the batch's loss at the pre-step weight, before the division by k
        assert.equal(typeof rows[i]!.output, 'number');
        assertClose(rows[i]!.output as number, r.loss, TOL, `output of iteration ${r.iteration}`);
      });
      assert.deepEqual(steps, ref.filter((r) => r.stepped).map((r) => r.iteration));
      for (const r of ref.filter((x) => x.stepped)) {
        const wBefore = ref[r.iteration - k]!.wBefore;
        assertClose(rows[r.iteration - 1]!.w, windowStep(wBefore, SAMPLES.slice(r.iteration - k, r.iteration)), TOL, `step at ${r.iteration}`);
      }
    });

    it(`test_create_supervised_trainer_gradients_not_zero: the window gradient is readable and non-zero at every ITERATION_COMPLETED, also right after a step (k=${k})`, async () => {
      const { rows } = await runLinear(SAMPLES, k, { maxEpochs: 1 });
      const ref = referenceRun(SAMPLES, SAMPLES.length, k, LR);
      assert.equal(rows.length, SAMPLES.length);
      ref.forEach((r, i) => {
        const grad = rows[i]!.grad;
        assert.notEqual(grad, null, `no gradients at iteration ${r.iteration}`);
        assert.ok(Math.abs(grad!) > 0, `zero gradient at iteration ${r.iteration}`);
        assertClose(grad!, r.windowGrad, TOL, `window gradient at iteration ${r.iteration}`);
      });
    });
  }

  it('test_create_supervised_trainer_with_gradient_accumulation: 5 batches, k=3, 1 epoch: one step, at iteration 3; no flush', async () => {
    const data = SAMPLES.slice(0, 5);
    const ref = referenceRun(data, 5, 3, LR);
    const { rows, steps } = await runLinear(data, 3, { maxEpochs: 1 });
    assert.deepEqual(steps, [3]);
    assert.deepEqual(weightChanges(rows), [3]);
    assert.equal(rows[0]!.w, 0);
    assert.equal(rows[1]!.w, 0);
    const w3 = ref[2]!.wAfter;
    assert.notEqual(w3, 0);
    for (const i of [2, 3, 4]) assertClose(rows[i]!.w, w3, TOL, `weight after iteration ${i + 1}`);
    assertClose(rows[4]!.w, w3, 1e-6, 'final weight equals the weight after the single step');
    // The gradients of iterations 4-5 are held (readable) but never applied.
    assertClose(rows[4]!.grad!, ref[4]!.windowGrad, TOL, 'window gradient of iterations 4-5');
  });

  for (const run of [{ maxEpochs: 2, epochLength: 5 }, { maxEpochs: 2 }]) {
    it(`accumulation windows cross epoch boundaries (${JSON.stringify(run)}, 5 batches, k=3): steps at 3, 6, 9; window 6 covers 4, 5, 6`, async () => {
      const data = SAMPLES.slice(0, 5);
      const ref = referenceRun(data, 10, 3, LR);
      const { rows, steps } = await runLinear(data, 3, run);
      assert.deepEqual(steps, [3, 6, 9]);
      assert.deepEqual(weightChanges(rows), [3, 6, 9]);
      assert.equal(rows[5]!.epoch, 2); // iteration 6 is in epoch 2, its window covers 4, 5 (epoch 1) and 6
      ref.forEach((r, i) => assertClose(rows[i]!.w, r.wAfter, TOL, `weight after iteration ${r.iteration}`));
      // Window of iteration 6 = batches of iterations 4 and 5 (epoch 1) and 6 (epoch 2, data[0]), at w after step 3.
      assertClose(rows[5]!.w, windowStep(ref[2]!.wAfter, [data[3]!, data[4]!, data[0]!]), TOL, 'weight after the cross-epoch window');
    });
  }

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

  const interrupts = [
    { name: 'at the end of epoch 1 of 2, mid-window (iteration 5 of 10)', samples: 5, at: 5, run: { maxEpochs: 2 }, total: 10 },
    { name: 'right after a step, in a 1-epoch run (iteration 4 of 6)', samples: 6, at: 4, run: {}, total: 6 },
  ];
  for (const { name, samples, at, run, total } of interrupts) {
    it(`interrupt() keeps the window, and the resumed run gives the uninterrupted weights: ${name}`, async () => {
      const data = SAMPLES.slice(0, samples);
      const ref = referenceRun(data, total, 3, LR);
      const model = linearModel(0);
      const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 3 });
      trainer.on(Events.ITERATION_COMPLETED({ once: at }), (e) => e.interrupt());
      let state = await trainer.run(data.map(batchOf), run);
      assert.equal(state.iteration, at);
      const held = getGradients(trainer);
      assert.notEqual(held, null);
      assertClose(held![model.w.name]!.dataSync()[0]!, ref[at - 1]!.windowGrad, TOL, 'window held while interrupted');
      state = await trainer.run(data.map(batchOf), run);
      assert.equal(state.iteration, total);
      assertClose(model.weight(), ref[total - 1]!.wAfter, TOL, 'weight after the resumed run');
      model.dispose();
    });
  }

  it('terminate({ skipCompleted: true }) mid-window frees the window (no COMPLETED fires)', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 3 });
    const start = memory();
    let held = -1;
    trainer.on(Events.ITERATION_COMPLETED({ once: 2 }), (e) => {
      held = memory().numTensors;
      e.terminate({ skipCompleted: true });
    });
    await trainer.run(SAMPLES.map(batchOf));
    assert.ok(held > start.numTensors, 'the window held gradients at iteration 2');
    assert.equal(getGradients(trainer), null);
    assert.deepEqual(memory(), start);
    model.dispose();
  });

  it('leaves no tensors or data buffers behind across iterations and runs (k=3)', async () => {
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 3 });
    const data = SAMPLES.slice(0, 7).map(batchOf);
    const perEpoch: number[] = [];
    trainer.on(Events.EPOCH_COMPLETED, () => void perEpoch.push(memory().numTensors));
    await trainer.run(data, { maxEpochs: 1 }); // warm-up: optimizer slots, etc.
    const start = memory();
    await trainer.run(data, { maxEpochs: 2 });
    await trainer.run(data, { maxEpochs: 2 });
    assert.deepEqual(memory(), start);
    assert.equal(new Set(perEpoch.slice(1)).size, 1, `tensor count drifts across epochs: ${perEpoch.join(', ')}`);
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
  it('k=4 with 4 mini-batches of 2 equals one SGD step on the concatenated batch of 8 (by hand, and as a full-batch run)', async () => {
    const makeMlp = (): tfl.Sequential => tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 3, inputShape: [2], activation: 'tanh', kernelInitializer: 'glorotUniform', biasInitializer: 'ones' }),
        tfl.layers.dense({ units: 1 }),
      ],
    });
    const model = makeMlp();
    const [w1, b1, w2, b2] = model.getWeights().map((t) => t.arraySync());
    const p = { w1: w1 as number[][], b1: b1 as number[], w2: (w2 as number[][]).map((r) => r[0]!), b2: (b2 as number[])[0]! };
    const xs = [[0.5, -1], [1, 2], [-0.5, 0.25], [2, -1.5], [0.1, 0.2], [-1, -1], [1.5, 0.5], [-2, 1]];
    const ys = [0.3, -1, 0.8, 2, -0.4, 1.1, 0.6, -0.9];
    const lr = 0.05;
    const trainer = createSupervisedTrainer(model, tf.train.sgd(lr), mseLoss, { gradientAccumulationSteps: 4 });
    const batches = [0, 2, 4, 6].map((i) => [xs.slice(i, i + 2), ys.slice(i, i + 2).map((v) => [v])]);
    const before = memory();
    await trainer.run(batches, { maxEpochs: 1 });
    assert.deepEqual(memory(), before);
    const g = mlpGrad(p, xs, ys);
    const got = model.getWeights().map((t) => t.arraySync());
    const near = (a: number, b: number, what: string): void => assertClose(a, b, 1e-5, what);
    p.w1.forEach((r, i) => r.forEach((v, j) => near((got[0] as number[][])[i]![j]!, v - lr * g.w1[i]![j]!, `w1[${i}][${j}]`)));
    p.b1.forEach((v, j) => near((got[1] as number[])[j]!, v - lr * g.b1[j]!, `b1[${j}]`));
    p.w2.forEach((v, j) => near((got[2] as number[][])[j]![0]!, v - lr * g.w2[j]!, `w2[${j}]`));
    near((got[3] as number[])[0]!, p.b2 - lr * g.b2, 'b2');

    const full = makeMlp();
    tf.tidy(() => full.setWeights([tf.tensor2d(p.w1), tf.tensor1d(p.b1), tf.tensor2d(p.w2.map((v) => [v])), tf.tensor1d([p.b2])]));
    await createSupervisedTrainer(full, tf.train.sgd(lr), mseLoss).run([[xs, ys.map((v) => [v])]], { maxEpochs: 1 });
    const initial = [p.w1.flat(), p.b1, p.w2, [p.b2]];
    let maxMove = 0;
    full.getWeights().forEach((w, i) => {
      const wa = model.getWeights()[i]!.dataSync();
      w.dataSync().forEach((v, j) => {
        near(wa[j]!, v, `accumulated vs full-batch weight ${i}[${j}]`);
        maxMove = Math.max(maxMove, Math.abs(v - initial[i]![j]!));
      });
    });
    assert.ok(maxMove > 1e-3, `the update is non-trivial (max weight change ${maxMove})`);
    model.dispose();
    full.dispose();
  });
});

describe('step parameters', () => {
  it('prepareBatch: a custom async function gets (batch, device, nonBlocking) and its [x, y] is used', async () => {
    const model = linearModel(0);
    const calls: unknown[][] = [];
    const prepareBatch = async (batch: unknown, device: string | null, nonBlocking: boolean): Promise<[tf.Tensor, tf.Tensor]> => {
      calls.push([device, nonBlocking]);
      await new Promise((r) => setTimeout(r, 1));
      const b = batch as { features: number; label: number };
      return [tf.tensor2d([[b.features]]), tf.tensor2d([[b.label]])];
    };
    const samples = SAMPLES.slice(0, 3);
    const ref = referenceRun(samples, 3, 1, LR);
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { prepareBatch, device: 'cpu', nonBlocking: true });
    const state = await trainer.run(samples.map(([features, label]) => ({ features, label })), { maxEpochs: 1 });
    assert.deepEqual(calls, [['cpu', true], ['cpu', true], ['cpu', true]]);
    assertClose(model.weight(), ref[2]!.wAfter, TOL, 'weight');
    assertClose(state.output as number, ref[2]!.loss, TOL, 'the loss of the prepared batch');
    const evaluator = createSupervisedEvaluator(model, { prepareBatch });
    await evaluator.run([{ features: 2, label: 0 }]);
    assert.deepEqual(calls[3], [null, false]);
    model.dispose();
  });

  it('test_create_supervised_trainer_model_fn: modelFn passes extra arguments; training is true (trainer), false (evaluator)', async () => {
    const base = linearModel(0);
    const flags: boolean[] = [];
    const model = {
      trainableWeights: base.trainableWeights,
      apply: (x: unknown) => base.apply(x),
      forward(x: tf.Tensor, scale: number, training: boolean): tf.Tensor {
        flags.push(training);
        return tf.mul(base.apply(x), scale);
      },
    };
    const modelFn = (m: typeof model, x: unknown, kw: { training: boolean }): unknown => m.forward(x as tf.Tensor, 3, kw.training);
    await createSupervisedTrainer(model, tf.train.sgd(0.01), mseLoss, { modelFn }).run(FOUR.slice(0, 1), { maxEpochs: 1 });
    // yPred = 3 w x, L = (3 w x - y)^2, dL/dw at w=0 is -6 x y.
    const [x, y] = SAMPLES[0]!;
    assertClose(base.weight(), 0.01 * 6 * x * y, TOL, 'weight after a step through modelFn');
    await createSupervisedEvaluator(model, { modelFn }).run(FOUR.slice(0, 1));
    assert.deepEqual(flags, [true, false]);
    base.dispose();
  });

  it('the default modelFn calls model.apply(x, { training }) with training true (trainer) / false (evaluator)', async () => {
    const model = linearModel(0);
    await createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss).run(FOUR.slice(0, 2), { maxEpochs: 1 });
    await createSupervisedEvaluator(model).run(FOUR.slice(0, 1));
    assert.deepEqual(model.calls, [{ training: true }, { training: true }, { training: false }]);
    model.dispose();
  });

  it('test_create_supervised_trainer_model_transform: a model returning a tuple, the loss uses modelTransform(output)', async () => {
    const base = linearModel(0);
    const model = {
      trainableWeights: base.trainableWeights,
      apply: (x: unknown, kw?: { training: boolean }): [tf.Tensor, tf.Tensor] => {
        const out = base.apply(x, kw);
        return [out, tf.mul(out, 100)];
      },
    };
    const optimizer = tf.train.sgd(LR); // holds its learning rate as a kept scalar
    const before = tf.memory().numTensors;
    const trainer = createSupervisedTrainer(model, optimizer, mseLoss, { modelTransform: (o) => (o as tf.Tensor[])[0] });
    await trainer.run(FOUR, { maxEpochs: 1 });
    assertClose(base.weight(), referenceRun(SAMPLES.slice(0, 4), 4, 1, LR)[3]!.wAfter, TOL, 'weight');
    assert.equal(tf.memory().numTensors, before, 'the unused tuple element is disposed');
    // Without the transform the loss receives the tuple and says so.
    await assert.rejects(createSupervisedTrainer(model, optimizer, mseLoss).run(FOUR, { maxEpochs: 1 }), /expects two tensors/);
    const evaluator = createSupervisedEvaluator(model, { modelTransform: (o) => (o as tf.Tensor[])[1] });
    let yPred = Number.NaN;
    evaluator.on(Events.ITERATION_COMPLETED, (e) => (yPred = ((e.state.output as tf.Tensor[])[0]!).dataSync()[0]!));
    await evaluator.run(FOUR.slice(0, 1));
    assertClose(yPred, 100 * base.weight() * SAMPLES[0]![0], TOL, 'evaluator yPred through modelTransform');
    base.dispose();
  });

  it('modelFn and modelTransform together: modelFn receives { training: true }, a non-tensor tuple element is dropped', async () => {
    const model = linearModel(1);
    const calls: unknown[] = [];
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, {
      modelFn: (m, x, kwargs) => {
        calls.push(kwargs);
        return [m.apply(tf.mul(x as tf.Tensor, 2), kwargs), 'extra'];
      },
      modelTransform: (out) => (out as [tf.Tensor, string])[0],
      outputTransform: (_x, _y, yPred) => (yPred as tf.Tensor).arraySync(),
    });
    const state = await trainer.run([[[[1.5]], [[2.5]]]]);
    assert.deepEqual(state.output, [[3]]); // the model saw 2 * x and the loss used element 0 of the tuple
    assert.deepEqual(calls, [{ training: true }]);
    model.dispose();
  });

  it('test_create_supervised_trainer_output_transform: receives prepared x, y, yPred and the undivided loss (k=2)', async () => {
    const model = linearModel(0);
    const ref = referenceRun(SAMPLES.slice(0, 4), 4, 2, LR);
    const seen: number[][] = [];
    const outputTransform = (x: unknown, y: unknown, yPred: unknown, loss: tf.Scalar): unknown => {
      const values = [x, y, yPred, loss].map((t) => (t as tf.Tensor).dataSync()[0]!);
      seen.push(values);
      return [yPred, values[3]];
    };
    const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { gradientAccumulationSteps: 2, outputTransform });
    const held: tf.Tensor[] = [];
    trainer.on(Events.ITERATION_COMPLETED, (e) => {
      const [yPred, loss] = e.state.output as [tf.Tensor, number];
      assert.equal(yPred.isDisposed, false, 'output tensors are valid in ITERATION_COMPLETED handlers');
      assert.equal(loss, seen[seen.length - 1]![3]);
      held.push(yPred);
    });
    await trainer.run(FOUR, { maxEpochs: 1 });
    ref.forEach((r, i) => {
      const [x, y] = SAMPLES[i]!;
      const [sx, sy, sPred, sLoss] = seen[i]!;
      assert.equal(sx, Math.fround(x));
      assert.equal(sy, Math.fround(y));
      assertClose(sPred!, r.wBefore * x, TOL, `yPred ${i + 1}`);
      assertClose(sLoss!, r.loss, TOL, `undivided loss ${i + 1}`);
    });
    assert.ok(held.every((t) => t.isDisposed), 'output tensors are released by the next iteration / at COMPLETED');
    model.dispose();

    // What the transform returns (here plain arrays and numbers) is state.output after the run.
    const one = linearModel(1);
    const state = await createSupervisedTrainer(one, tf.train.sgd(LR), mseLoss, {
      gradientAccumulationSteps: 2,
      outputTransform: (x, y, yPred, loss) => [(x as tf.Tensor).arraySync(), (y as tf.Tensor).arraySync(), (yPred as tf.Tensor).arraySync(), loss.dataSync()[0]],
    }).run([[[[1.5]], [[2.5]]]]);
    assert.deepEqual(state.output, [[[1.5]], [[2.5]], [[1.5]], 1]); // (1.5 - 2.5)^2 = 1, not divided by k = 2
    one.dispose();
  });

  const modes: [string, SupervisedTrainerOptions<LinearModel>][] = [
    ['plain', {}],
    ['accumulation', { gradientAccumulationSteps: 2 }],
    ['amp + scaler', { ampMode: 'amp', scaler: true }],
    ['apex', { ampMode: 'apex' }],
  ];
  for (const [name, opts] of modes) {
    it(`nonBlocking, ${name}: reads nothing synchronously (no dataSync/arraySync) and gives the same outputs`, async () => {
      const run = async (nonBlocking: boolean): Promise<{ outputs: number[]; syncReads: number; w: number }> => {
        const model = linearModel(0);
        const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, { ...opts, nonBlocking });
        const outputs: number[] = [];
        trainer.on(Events.ITERATION_COMPLETED, (e) => outputs.push(e.state.output as number));
        const proto = tf.Tensor.prototype;
        const dataSync = Reflect.get(proto, 'dataSync') as (this: tf.Tensor) => tf.TypedArray;
        const arraySync = Reflect.get(proto, 'arraySync') as (this: tf.Tensor) => unknown;
        let syncReads = 0;
        proto.dataSync = function (this: tf.Tensor) {
          syncReads++;
          return dataSync.call(this);
        } as typeof proto.dataSync;
        proto.arraySync = function (this: tf.Tensor) {
          syncReads++;
          return arraySync.call(this);
        } as typeof proto.arraySync;
        try {
          await trainer.run(FOUR, { maxEpochs: 1 });
        } finally {
          proto.dataSync = dataSync as typeof proto.dataSync;
          proto.arraySync = arraySync as typeof proto.arraySync;
        }
        const w = model.weight();
        model.dispose();
        return { outputs, syncReads, w };
      };
      const blocking = await run(false);
      const nonBlocking = await run(true);
      assert.equal(nonBlocking.syncReads, 0);
      assert.ok(blocking.syncReads >= 4, `the blocking step reads the loss synchronously (${blocking.syncReads})`);
      assert.deepEqual(nonBlocking.outputs, blocking.outputs);
      assert.equal(nonBlocking.w, blocking.w);
      assert.ok(blocking.outputs.every((o) => typeof o === 'number' && Number.isFinite(o)));
    });
  }
});

describe('ampMode and ampDtype', () => {
  type AmpOptions = Pick<SupervisedTrainerOptions<LinearModel>, 'ampMode' | 'ampDtype'>;
  /** yPred of the batch x = 0.1 through the weight 1, from the trainer (SGD lr 0) or from the evaluator. */
  const predictionOf = async (options: AmpOptions, evaluate: boolean): Promise<number> => {
    const model = linearModel(1);
    let yPred = Number.NaN;
    const outputTransform = (_x: unknown, _y: unknown, p: unknown): void => void (yPred = (p as tf.Tensor).dataSync()[0] as number);
    const engine = evaluate
      ? createSupervisedEvaluator(model, { ...options, outputTransform })
      : createSupervisedTrainer(model, tf.train.sgd(0), mseLoss, { ...options, outputTransform });
    await engine.run([[[[0.1]], [[0.5]]]]);
    model.dispose();
    return yPred;
  };

  for (const evaluate of [false, true]) {
    const who = evaluate ? 'evaluator (test_create_supervised_evaluator_on_cuda_amp)' : 'trainer (test_create_supervised_trainer_on_cuda_amp)';
    it(`${who}: ampMode 'amp' rounds yPred to ampDtype, bfloat16 by default on cpu; the plain step stays float32`, async () => {
      assert.equal(await predictionOf({}, evaluate), Math.fround(0.1));
      assert.equal(await predictionOf({ ampMode: 'amp', ampDtype: 'float16' }, evaluate), F16_OF_0_1);
      assert.equal(await predictionOf({ ampMode: 'amp', ampDtype: 'bfloat16' }, evaluate), BF16_OF_0_1);
      assert.equal(await predictionOf({ ampMode: 'amp' }, evaluate), BF16_OF_0_1);
    });
  }

  it('both matmul operands and the product are rounded (x = 1.2345678, w = 0.1234567), in the trainer and the evaluator', async () => {
    const x = 1.2345678;
    const w0 = 0.1234567;
    const round = (v: number, dtype: AmpDtype): number => roundToDtype(Float32Array.of(v), dtype)[0] as number;
    const amped = (dtype: AmpDtype): number => round(Math.fround(round(x, dtype) * round(w0, dtype)), dtype);
    for (const evaluate of [false, true]) {
      const yPredOf = async (options: AmpOptions): Promise<number> => {
        const model = linearModel(w0);
        let yPred = Number.NaN;
        const outputTransform = (_x: unknown, _y: unknown, p: unknown): void => void (yPred = (p as tf.Tensor).dataSync()[0]!);
        const engine = evaluate
          ? createSupervisedEvaluator(model, { ...options, outputTransform })
          : createSupervisedTrainer(model, tf.train.sgd(0), mseLoss, { ...options, outputTransform });
        await engine.run([[[[x]], [[0.5]]]]);
        model.dispose();
        return yPred;
      };
      const plain = await yPredOf({});
      assertClose(plain, Math.fround(x) * Math.fround(w0), 1e-7, 'float32 yPred');
      const f16 = await yPredOf({ ampMode: 'amp', ampDtype: 'float16' });
      const b16 = await yPredOf({ ampMode: 'amp', ampDtype: 'bfloat16' });
      assert.equal(f16, amped('float16'));
      assert.equal(b16, amped('bfloat16'));
      assert.equal(await yPredOf({ ampMode: 'amp' }), amped('bfloat16'));
      assert.notEqual(f16, plain);
      assert.notEqual(b16, plain);
      assert.notEqual(f16, b16);
      if (!evaluate) assert.equal(await yPredOf({ ampMode: 'apex', ampDtype: 'float16' }), amped('float16'));
      else assertClose(await yPredOf({ ampMode: 'apex', ampDtype: 'float16' }), Math.fround(x) * Math.fround(w0), 1e-7, 'evaluator apex');
    }
  });

  it("the trainer's 'apex' mode autocasts too; the evaluator's 'apex' is the plain step (as in Ignite)", async () => {
    assert.equal(await predictionOf({ ampMode: 'apex', ampDtype: 'float16' }, false), F16_OF_0_1);
    assert.equal(await predictionOf({ ampMode: 'apex', ampDtype: 'float16' }, true), Math.fround(0.1));
    assert.equal(await predictionOf({ ampMode: 'apex' }, true), Math.fround(0.1));
  });

  it('autocast is scoped to the step: a matmul outside the run stays float32', async () => {
    await predictionOf({ ampMode: 'amp', ampDtype: 'float16' }, false);
    const out = tf.matMul(tf.tensor2d([[0.1]]), tf.tensor2d([[1]]));
    assert.equal(out.dataSync()[0], Math.fround(0.1));
    out.dispose();
  });
});

describe('loss scaling (ampMode amp with a scaler, apex)', () => {
  /**
   * w = 0, x = 1, y = -5e-9: dL/dyPred = 2 (0 - y) = 1e-8 (float32, the loss is not autocast). The weight gradient
   * is the backward matmul x^T dy, whose operand 1e-8 is below half the smallest float16 subnormal (2^-25 ~ 2.98e-8),
   * so it rounds to 0 without scaling. Scaled by 2^16 it is ~6.6e-4, a normal float16, and survives.
   */
  const tinyGradientRun = async (options: SupervisedTrainerOptions<LinearModel>) => {
    const model = linearModel(0);
    const grads: number[] = [];
    const trainer = createSupervisedTrainer(model, tf.train.sgd(1), mseLoss, { ampDtype: 'float16', ...options });
    trainer.on(Events.ITERATION_COMPLETED, (e) => void grads.push(Object.values(getGradients(e)!)[0]!.dataSync()[0] as number));
    await trainer.run([[[[1]], [[-5e-9]]]]);
    const w = model.weight();
    model.dispose();
    return { w, grad: grads[0]!, trainer };
  };

  it('float16 gradients of ~1e-8 underflow to zero without a scaler', async () => {
    const { w, grad } = await tinyGradientRun({ ampMode: 'amp' });
    assert.equal(grad, 0);
    assert.equal(w, 0);
    const plain = await tinyGradientRun({}); // float32 keeps it: w = -lr * 1e-8
    assert.ok(Math.abs(plain.w + 1e-8) < 1e-12, `plain step: ${plain.w}`);
  });

  for (const [name, options] of [
    ['scaler: true', { ampMode: 'amp', scaler: true }],
    ['scaler: GradScaler instance', { ampMode: 'amp', scaler: new GradScaler() }],
    ['ampMode apex', { ampMode: 'apex' }],
  ] as const) {
    it(`float16 gradients of ~1e-8 survive with ${name}`, async () => {
      const { w, grad, trainer } = await tinyGradientRun(options);
      // the window holds the scaled gradient (as PyTorch's .grad does before unscale): 1e-8 * 2^16
      assert.ok(Math.abs(grad - 1e-8 * 2 ** 16) < 1e-3 * 1e-8 * 2 ** 16, `scaled gradient ${grad}`);
      assert.ok(Math.abs(w + 1e-8) < 1e-3 * 1e-8, `w after one step: ${w}`);
      if (options.scaler === true) assert.equal((trainer.state['scaler'] as GradScaler).stateDict().growthTracker, 1);
    });
  }

  describe('per element of a 3x2 weight: gradients x[i] c[j] ~ 1e-8', () => {
    // yPred = x @ W, loss = sum(yPred * c): dL/dW[i][j] = x[i] c[j] ~ 1e-8, below float16's smallest subnormal.
    const X = [1e-4, 2e-4, 1.5e-4];
    const C = [1e-4, 1.2e-4];
    const BIG_LR = 1e4;
    const sumLoss = (yPred: tf.Tensor, c: tf.Tensor): tf.Tensor => tf.sum(tf.mul(yPred, c));
    const train = async (options: SupervisedTrainerOptions<{ trainableWeights: tf.Variable[]; apply(x: unknown): tf.Tensor }>): Promise<number[]> => {
      const W = tf.variable(tf.fill([3, 2], 0.5), true, `W_${Math.random()}`);
      const model = { trainableWeights: [W], apply: (x: unknown): tf.Tensor => tf.matMul(x as tf.Tensor2D, W) };
      const trainer = createSupervisedTrainer(model, tf.train.sgd(BIG_LR), sumLoss, { ampDtype: 'float16', ...options });
      await trainer.run([[[X], [C]]], { maxEpochs: 1 });
      const w = Array.from(W.dataSync());
      W.dispose();
      return w;
    };
    const expected = X.flatMap((xi) => C.map((cj) => 0.5 - BIG_LR * xi * cj));

    it("ampMode 'amp' without a scaler: every gradient is zero, the weights do not move", async () => {
      assert.deepEqual(await train({ ampMode: 'amp' }), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    });
    it('plain float32 moves them by lr x grad (the reference)', async () => {
      (await train({})).forEach((v, i) => assertClose(v, expected[i]!, 2e-6, `w[${i}]`));
    });
    for (const [name, options] of [['amp + scaler: true', { ampMode: 'amp', scaler: true }], ["apex (the trainer's own loss scaling)", { ampMode: 'apex' }]] as const) {
      it(`${name}: the gradients survive and the weights move by lr x grad`, async () => {
        const w = await train(options);
        w.forEach((v, i) => {
          const want = 0.5 - expected[i]!;
          assert.notEqual(v, 0.5, `w[${i}] moved`);
          assert.ok(Math.abs((0.5 - v) - want) <= 2 ** -9 * want + 1e-7, `w[${i}] = ${v}, expected ${expected[i]}`);
        });
      });
    }
  });

  it('apex skips steps whose scaled gradients overflow float16 and backs off the scale until they fit', async () => {
    // w = 0, x = 1, y = -10: dy = 20; scaled by 2^16 ... 2^12 it exceeds float16's max 65504 -> inf -> step skipped,
    // scale halves each time; at 2^11 (iteration 6) 20 * 2048 = 40960 fits and the step happens.
    const changes: Record<string, number[]> = {};
    for (const ampMode of ['amp', 'apex'] as const) {
      const model = linearModel(0);
      const trainer = createSupervisedTrainer(model, tf.train.sgd(0.01), mseLoss, { ampMode, ampDtype: 'float16' });
      const seen: number[] = [];
      trainer.on(Events.ITERATION_COMPLETED, (e) => {
        if (model.weight() !== 0 && seen.length === 0) seen.push(e.state.iteration);
      });
      await trainer.run(Array.from({ length: 8 }, () => [[[1]], [[-10]]]));
      changes[ampMode] = seen;
      model.dispose();
    }
    assert.deepEqual(changes, { amp: [1], apex: [6] });
  });

  it('every mode leaves no tensors behind across runs', async () => {
    for (const options of [{ ampMode: 'amp' }, { ampMode: 'amp', scaler: true }, { ampMode: 'apex', gradientAccumulationSteps: 2 }] as const) {
      const model = linearModel(0.5);
      const trainer = createSupervisedTrainer(model, tf.train.sgd(LR), mseLoss, options);
      const data = [0.5, 1.5, 2.5].map((v) => [[[v]], [[v / 3]]]);
      await trainer.run(data);
      const start = memory();
      await trainer.run(data, { maxEpochs: 3 });
      assert.deepEqual(memory(), start, JSON.stringify(options));
      model.dispose();
    }
  });
});
