/**
 * createSupervisedTrainer / createSupervisedEvaluator and the named step factories (src/training/create.ts): the
 * arguments the factories themselves handle. Argument validation in the order of Ignite's
 * `_check_arg(on_tpu, on_mps, amp_mode, scaler)` with kindling's names, `device` (a TensorFlow.js backend activated
 * at STARTED), `deterministic`, `scaler`, and the step factories in a plain Engine. Port of the factory cases of
 * Ignite's tests/ignite/engine/test_create_supervised.py; what the steps do with the other parameters is in
 * steps.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { GradScaler, roundToDtype, type AmpDtype } from '../../src/amp/index.js';
import { DeterministicEngine } from '../../src/deterministic/index.js';
import { Engine, Events } from '../../src/engine/index.js';
import { registeredBackends, resolveDevice } from '../../src/index.js';
import { MeanSquaredError } from '../../src/metrics/index.js';
import {
  createSupervisedEvaluator,
  createSupervisedTrainer,
  mseLoss,
  supervisedEvaluationStep,
  supervisedEvaluationStepAmp,
  supervisedTrainingStep,
  supervisedTrainingStepAmp,
  supervisedTrainingStepApex,
} from '../../src/training/index.js';
import { SAMPLES, assertClose, batchOf, linearModel, referenceRun, useBackend } from './helpers.js';

const K_MESSAGE = /^Gradient_accumulation_steps must be strictly positive\. No gradient accumulation if the value set to one \(default\)\./;
const FOUR = SAMPLES.slice(0, 4).map(batchOf);
const sgd = (): tf.Optimizer => tf.train.sgd(0.1);
const round = (v: number, dtype: AmpDtype): number => roundToDtype(Float32Array.of(v), dtype)[0] as number;

before(async () => useBackend('cpu'));
after(async () => useBackend('cpu'));

describe("argument validation, in the order of Ignite's _check_arg", () => {
  it("test_create_supervised_trainer_wrong_gradient_accumulation_steps: k <= 0 raises Ignite's message at construction", () => {
    const model = linearModel(0);
    for (const k of [0, -1]) {
      assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { gradientAccumulationSteps: k }), { name: 'RangeError', message: K_MESSAGE });
      assert.throws(() => supervisedTrainingStep(model, sgd(), mseLoss, { gradientAccumulationSteps: k }), /strictly positive/);
    }
    model.dispose();
  });

  it("'xla' and 'tpu' say that TensorFlow.js has no such backend, before any amp check; amp on mps gets Ignite's message", () => {
    const model = linearModel(0);
    const noSuchBackend = /TensorFlow\.js has no '.*' backend.*Use a TensorFlow\.js backend: .*cpu/;
    for (const device of ['xla', 'tpu', 'xla:0']) {
      assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device }),
        (e: unknown) => e instanceof RangeError && e.message.includes(`TensorFlow.js has no '${device}' backend`) && noSuchBackend.test(e.message));
      // Ignite checks "TPU without XLA support" (check 2) before "amp on xla" (check 3) and the scaler (check 4).
      assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device, ampMode: 'amp', scaler: true }), { message: noSuchBackend });
    }
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device: 'xla', ampMode: 'amp' }), /TensorFlow.js has no 'xla' backend/);
    assert.throws(() => createSupervisedEvaluator(model, { device: 'tpu', ampMode: 'amp' }), /TensorFlow.js has no 'tpu' backend/);
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device: 'mps', ampMode: 'amp' }), /ampMode cannot be used with mps device/);
    // mps with amp is checked before the scaler
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device: 'mps', ampMode: 'amp', scaler: true }), { message: /^ampMode cannot be used with mps device/ });
    model.dispose();
  });

  it('unknown and unavailable devices fail with the list of the registered backends', () => {
    const model = linearModel(0);
    const listed = registeredBackends().join(', ');
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { device: 'nope' }),
      { message: new RegExp(`backend 'nope' is not registered\\. Available: ${listed}`) });
    for (const device of ['gpu', 'webgl']) {
      assert.throws(
        () => createSupervisedTrainer(model, sgd(), mseLoss, { device }),
        (e: unknown) => e instanceof RangeError && e.message.includes(device) && /Available: .*cpu/.test(e.message) && e.message.includes('wasm'),
      );
      assert.throws(() => createSupervisedEvaluator(model, { device }), /Available: /);
    }
    assert.throws(() => createSupervisedEvaluator(model, { device: 'webgpu' }), { message: /Available: / });
    if (!registeredBackends().some((b) => b === 'webgl' || b === 'webgpu')) {
      assert.throws(() => resolveDevice('gpu'), { message: /no GPU backend \(webgpu, webgl\) is registered/ });
    }
    assert.ok(registeredBackends().includes(resolveDevice('auto')!));
    assert.equal(resolveDevice('cpu'), 'cpu');
    model.dispose();
  });

  it('an unknown ampMode is rejected (kindling deviation: Ignite silently uses the plain step)', () => {
    const model = linearModel(0);
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'O1' as never }), /ampMode should be 'amp', 'apex' or null, got "O1"/);
    assert.throws(() => createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'fp8' as never }),
      { name: 'RangeError', message: /ampMode should be 'amp', 'apex' or null, got "fp8"/ });
    assert.throws(() => createSupervisedEvaluator(model, { ampMode: 'fp16' as never }), /ampMode/);
    model.dispose();
  });

  it("test_create_supervised_trainer_scaler_not_amp: a scaler without ampMode 'amp' raises Ignite's message", () => {
    const model = linearModel(0);
    const opt = sgd();
    assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { scaler: true }),
      /^RangeError: scaler argument is true, but ampMode is null\. Consider using ampMode='amp'\.$/);
    assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: null, scaler: true }), /scaler argument is true, but ampMode is null/);
    assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: 'apex', scaler: true }), { message: /^scaler argument is true, but ampMode is 'apex'\./ });
    assert.throws(() => createSupervisedTrainer(model, opt, mseLoss, { ampMode: 'apex', scaler: new GradScaler() }),
      { message: /^scaler argument is a GradScaler, but ampMode is 'apex'\./ });
    assert.doesNotThrow(() => createSupervisedTrainer(model, opt, mseLoss, { scaler: false }));
    model.dispose();
  });
});

describe('device', () => {
  it('activates the requested backend at STARTED, not at construction: a trainer created on cpu runs on wasm, with the same numbers', async () => {
    await useBackend('cpu');
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, { device: 'wasm' });
    assert.equal(tf.getBackend(), 'cpu', 'construction does not switch the backend');
    const seen: string[] = [];
    trainer.on(Events.STARTED, () => seen.push(tf.getBackend()));
    trainer.on(Events.EPOCH_STARTED, () => seen.push(tf.getBackend()));
    trainer.on(Events.ITERATION_COMPLETED, () => seen.push(tf.getBackend()));
    await trainer.run(FOUR, { maxEpochs: 1 });
    assert.deepEqual(seen, ['wasm', 'wasm', 'wasm', 'wasm', 'wasm', 'wasm']);
    const ref = referenceRun(SAMPLES.slice(0, 4), 4, 1, 0.1);
    assertClose(model.weight(), ref[3]!.wAfter, 1e-5, 'weight after the wasm run');
    model.dispose();
    await useBackend('cpu');
  });

  it('the evaluator activates its device at STARTED too', async () => {
    await useBackend('cpu');
    const model = linearModel(0.5);
    const evaluator = createSupervisedEvaluator(model, { device: 'wasm' });
    let backend = '';
    evaluator.on(Events.ITERATION_COMPLETED, () => (backend = tf.getBackend()));
    await evaluator.run(FOUR.slice(0, 1));
    assert.equal(backend, 'wasm');
    model.dispose();
    await useBackend('cpu');
  });

  it("'auto' picks the fastest registered backend (wasm before cpu)", async () => {
    await useBackend('cpu');
    const model = linearModel(0);
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, { device: 'auto' });
    let backend = '';
    trainer.on(Events.STARTED, () => (backend = tf.getBackend()));
    await trainer.run(FOUR.slice(0, 1));
    assert.equal(backend, 'wasm');
    model.dispose();
    await useBackend('cpu');
  });
});

describe('deterministic and scaler', () => {
  it('deterministic: true returns a DeterministicEngine, false a plain Engine', async () => {
    const model = linearModel(0);
    const det = createSupervisedTrainer(model, sgd(), mseLoss, { deterministic: true });
    const plain = createSupervisedTrainer(model, sgd(), mseLoss);
    assert.ok(det instanceof DeterministicEngine);
    assert.ok(!(plain instanceof DeterministicEngine));
    assert.ok(plain instanceof Engine);
    await det.run(FOUR, { maxEpochs: 1 });
    assertClose(model.weight(), referenceRun(SAMPLES.slice(0, 4), 4, 1, 0.1)[3]!.wAfter, 1e-5, 'deterministic trainer trains');
    assert.ok('rngStates' in det.stateDict());
    model.dispose();
  });

  it('test_create_supervised_trainer_scaler: true creates trainer.state.scaler (a GradScaler); an instance is used as given', async () => {
    const model = linearModel(0);
    const withTrue = createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'amp', scaler: true });
    assert.ok(withTrue.state['scaler'] instanceof GradScaler);
    assert.equal((withTrue.state['scaler']).getScale(), 2 ** 16);
    const mine = new GradScaler({ initScale: 4, growthInterval: 1 });
    const withInstance = createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'amp', scaler: mine });
    assert.equal(withInstance.state['scaler'], undefined);
    await withInstance.run(FOUR.slice(0, 3), { maxEpochs: 1 });
    assert.equal(mine.getScale(), 32, 'three clean steps grew the given scaler 4 -> 32');
    const slow = new GradScaler({ initScale: 4 });
    await createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'amp', scaler: slow }).run(FOUR.slice(0, 1));
    assert.equal(slow.stateDict().growthTracker, 1, 'the given instance was stepped and updated');
    model.dispose();
  });
});

describe('named step factories (for custom engines)', () => {
  it('supervisedTrainingStep / Amp / Apex in a plain Engine follow the reference (k=2)', async () => {
    const ref = referenceRun(SAMPLES.slice(0, 4), 4, 2, 0.1);
    for (const factory of [supervisedTrainingStep, supervisedTrainingStepAmp, supervisedTrainingStepApex]) {
      const model = linearModel(0);
      const engine = new Engine(factory(model, sgd(), mseLoss, { gradientAccumulationSteps: 2 }));
      await engine.run(FOUR, { maxEpochs: 1 });
      // amp/apex round matmul operands to bfloat16 on cpu (8 significant bits): a looser tolerance.
      assertClose(model.weight(), ref[3]!.wAfter, factory === supervisedTrainingStep ? 1e-5 : 2e-2, factory.name);
      assert.equal(typeof engine.state.output, 'number');
      model.dispose();
    }
  });

  it('supervisedEvaluationStep / Amp in a plain Engine return [yPred, y]; Amp rounds yPred', async () => {
    const w0 = 0.1234567;
    const x = 1.2345678;
    const model = linearModel(w0);
    const cases = [
      [supervisedEvaluationStep, Math.fround(x) * Math.fround(w0)],
      [supervisedEvaluationStepAmp, round(Math.fround(round(x, 'float16') * round(w0, 'float16')), 'float16')],
    ] as const;
    for (const [factory, want] of cases) {
      const engine = new Engine(factory(model, { ampDtype: 'float16' }));
      let got: number[] = [];
      engine.on(Events.ITERATION_COMPLETED, (e) => (got = (e.state.output as tf.Tensor[]).map((t) => t.dataSync()[0]!)));
      await engine.run([[[[x]], [[0.5]]]]);
      if (factory === supervisedEvaluationStepAmp) assert.equal(got[0], want);
      else assertClose(got[0]!, want, 1e-7, factory.name);
      assert.equal(got[1], 0.5, `${factory.name}: y`);
      tf.dispose(engine.state.output as tf.Tensor[]); // a plain Engine leaves the last output to the caller
    }
    model.dispose();
  });
});

describe('createSupervisedEvaluator with a TensorFlow.js layers model', () => {
  it('test_create_supervised_evaluator: output [yPred, y], weights unchanged, MeanSquaredError exactly 12.5', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros', inputShape: [1] })] });
    const evaluator = createSupervisedEvaluator(model, { metrics: { mse: new MeanSquaredError() } });
    let output: number[][] = [];
    evaluator.on(Events.ITERATION_COMPLETED, (e) => {
      const [yPred, y] = e.state.output as [tf.Tensor, tf.Tensor];
      output = [Array.from(yPred.dataSync()), Array.from(y.dataSync())];
    });
    const state = await evaluator.run([[[[1], [2]], [[3], [4]]]]);
    assert.deepEqual(output, [[0, 0], [3, 4]]);
    assert.equal(state.metrics['mse'], 12.5);
    assert.deepEqual(Array.from(model.getWeights()[0]!.dataSync()), [0]);
    model.dispose();
  });
});
