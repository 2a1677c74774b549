/**
 * ampMode / ampDtype / scaler of the trainer and evaluator (spec 1.2 AMP notes, checklist items 9 and 10): autocast
 * rounds the model's matmul to the requested dtype, float16 gradients of ~1e-8 underflow without a scaler and
 * survive with one, apex owns a dynamic loss scale that backs off on overflow. Reference values are worked out by
 * hand from IEEE half / bfloat16 rounding, not from src/amp.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Events } from '../../src/engine/index.js';
import { GradScaler } from '../../src/amp/index.js';
import { createSupervisedEvaluator, createSupervisedTrainer, getGradients, mseLoss, type SupervisedTrainerOptions } from '../../src/training/index.js';
import { type LinearModel, linearModel, memory, useBackend } from './helpers.js';

before(async () => useBackend('cpu'));

// 0.1 = 1.6 * 2^-4. float16 keeps 10 mantissa bits: round(1.6 * 1024) = 1638; bfloat16 keeps 7: round(1.6 * 128) = 205.
const F16_OF_0_1 = (1638 / 1024) * 2 ** -4; // 0.0999755859375
const BF16_OF_0_1 = (205 / 128) * 2 ** -4; // 0.10009765625

async function predictionOf(options: SupervisedTrainerOptions<LinearModel>): Promise<number> {
  const model = linearModel(1);
  let yPred = NaN;
  const trainer = createSupervisedTrainer(model, tf.train.sgd(0), mseLoss, {
    ...options,
    outputTransform: (_x, _y, p) => void (yPred = (p as tf.Tensor).dataSync()[0] as number),
  });
  await trainer.run([[[[0.1]], [[0.5]]]]);
  model.dispose();
  return yPred;
}

describe('ampMode and ampDtype', () => {
  it('test_create_supervised_trainer_on_cuda_amp: under amp the prediction is rounded to ampDtype (item 10)', async () => {
    assert.equal(await predictionOf({}), Math.fround(0.1)); // plain step: float32
    assert.equal(await predictionOf({ ampMode: 'amp', ampDtype: 'float16' }), F16_OF_0_1);
    assert.equal(await predictionOf({ ampMode: 'amp', ampDtype: 'bfloat16' }), BF16_OF_0_1);
    assert.equal(await predictionOf({ ampMode: 'amp' }), BF16_OF_0_1); // default dtype on cpu is bfloat16
    assert.equal(await predictionOf({ ampMode: 'apex', ampDtype: 'float16' }), F16_OF_0_1);
  });

  it('autocast is scoped to the step: a matmul outside the run stays float32', async () => {
    await predictionOf({ ampMode: 'amp', ampDtype: 'float16' });
    const out = tf.matMul(tf.tensor2d([[0.1]]), tf.tensor2d([[1]]));
    assert.equal(out.dataSync()[0], Math.fround(0.1));
    out.dispose();
  });

  it('test_create_supervised_evaluator_on_cuda_amp: the amp evaluator autocasts the forward pass; apex uses the plain step', async () => {
    const model = linearModel(1);
    const results: number[] = [];
    for (const options of [{}, { ampMode: 'amp', ampDtype: 'float16' }, { ampMode: 'amp', ampDtype: 'bfloat16' }, { ampMode: 'apex' }] as const) {
      const evaluator = createSupervisedEvaluator(model, options);
      evaluator.on(Events.ITERATION_COMPLETED, (e) => void results.push((e.state.output as tf.Tensor[])[0]!.dataSync()[0] as number));
      await evaluator.run([[[[0.1]], [[0.5]]]]);
    }
    assert.deepEqual(results, [Math.fround(0.1), F16_OF_0_1, BF16_OF_0_1, Math.fround(0.1)]);
    model.dispose();
  });
});

/**
 * w = 0, x = 1, y = -5e-9: dL/dyPred = 2 (0 - y) = 1e-8 (float32, the loss is not autocast). The weight gradient is
 * the backward matmul x^T dy, whose operand 1e-8 is below half the smallest float16 subnormal (2^-25 ~ 2.98e-8), so
 * it rounds to 0 without scaling. Scaled by 2^16 it is ~6.6e-4, a normal float16, and survives.
 */
async function tinyGradientRun(options: SupervisedTrainerOptions<LinearModel>) {
  const model = linearModel(0);
  const grads: number[] = [];
  const trainer = createSupervisedTrainer(model, tf.train.sgd(1), mseLoss, { ampDtype: 'float16', ...options });
  trainer.on(Events.ITERATION_COMPLETED, (e) => void grads.push(Object.values(getGradients(e)!)[0]!.dataSync()[0] as number));
  await trainer.run([[[[1]], [[-5e-9]]]]);
  const w = model.weight();
  model.dispose();
  return { w, grad: grads[0]!, trainer };
}

describe('loss scaling', () => {
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
      const trainer = createSupervisedTrainer(model, tf.train.sgd(0.1), mseLoss, options);
      const data = [0.5, 1.5, 2.5].map((v) => [[[v]], [[v / 3]]]);
      await trainer.run(data);
      const start = memory();
      await trainer.run(data, { maxEpochs: 3 });
      assert.deepEqual(memory(), start, JSON.stringify(options));
      model.dispose();
    }
  });
});
