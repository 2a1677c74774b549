/**
 * Every option of createSupervisedTrainer has an observable effect (checklist items 2, 7, 8, 9, 10, 11), argument
 * validation follows Ignite's `_check_arg` order (spec 1.3), and bad input gets errors naming shapes.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { DeterministicEngine } from '../../src/deterministic/index.js';
import { Engine, Events } from '../../src/engine/index.js';
import { GradScaler } from '../../src/amp/index.js';
import {
  createSupervisedEvaluator,
  createSupervisedTrainer,
  mseLoss,
  prepareBatch as defaultPrepareBatch,
  registeredBackends,
  resolveDevice,
} from '../../src/training/index.js';
import { linearModel, memory, useBackend } from './helpers.js';

before(async () => useBackend('cpu'));

const sgd = () => tf.train.sgd(0.1);
const oneBatch = [[[[1.5]], [[2.5]]]];

describe('createSupervisedTrainer options', () => {
  it('test_create_supervised_trainer (output_transform): receives prepared x, y, transformed yPred and undivided loss (item 2)', async () => {
    const model = linearModel(1);
    const seen: unknown[] = [];
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, {
      gradientAccumulationSteps: 2,
      outputTransform: (x, y, yPred, loss) => {
        seen.push([(x as tf.Tensor).arraySync(), (y as tf.Tensor).arraySync(), (yPred as tf.Tensor).arraySync()]);
        return [(yPred as tf.Tensor).arraySync(), loss.dataSync()[0]];
      },
    });
    const state = await trainer.run(oneBatch);
    assert.deepEqual(seen, [[[[1.5]], [[2.5]], [[1.5]]]]);
    assert.deepEqual(state.output, [[[1.5]], 1]); // (1.5 - 2.5)^2 = 1, not divided by k = 2
    model.dispose();
  });

  it('test_create_supervised_trainer_model_transform / model_fn: tuple outputs and extra model arguments (item 7)', async () => {
    const model = linearModel(1);
    const calls: unknown[] = [];
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, {
      modelFn: (m, x, kwargs) => {
        calls.push(kwargs);
        return [m.apply(tf.mul(x as tf.Tensor, 2), kwargs), 'extra'];
      },
      modelTransform: (out) => (out as [tf.Tensor, string])[0],
      outputTransform: (_x, _y, yPred) => (yPred as tf.Tensor).arraySync(),
    });
    const state = await trainer.run(oneBatch);
    assert.deepEqual(state.output, [[3]]); // model saw 2 * x and the loss used element 0 of the tuple
    assert.deepEqual(calls, [{ training: true }]);
    model.dispose();
  });

  it('the default model call uses apply(x, { training: true }) in training', async () => {
    const model = linearModel(1);
    await createSupervisedTrainer(model, sgd(), mseLoss).run(oneBatch);
    assert.deepEqual(model.calls, [{ training: true }]);
    model.dispose();
  });

  it('prepareBatch(batch, device, nonBlocking) decides x and y (possibly async)', async () => {
    const model = linearModel(1);
    const args: unknown[] = [];
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, {
      device: 'cpu',
      nonBlocking: true,
      prepareBatch: (batch, device, nonBlocking) => {
        args.push([device, nonBlocking]);
        const b = batch as { input: number; target: number };
        return Promise.resolve(defaultPrepareBatch([[[b.input]], [[b.target]]], device, nonBlocking));
      },
    });
    const state = await trainer.run([{ input: 0.5, target: 2.5 }]);
    assert.deepEqual(args, [['cpu', true]]);
    assert.equal(state.output, 4); // (0.5 - 2.5)^2
    model.dispose();
  });

  it('nonBlocking gives the same results (async read) as the blocking step', async () => {
    const results: number[][] = [];
    for (const nonBlocking of [false, true]) {
      const model = linearModel(0.25);
      const trainer = createSupervisedTrainer(model, sgd(), mseLoss, { nonBlocking });
      const outputs: number[] = [];
      trainer.on(Events.ITERATION_COMPLETED, (e) => void outputs.push(e.state.output as number));
      await trainer.run([[[[1.5]], [[2.5]]], [[[0.5]], [[-1.5]]]], { maxEpochs: 2 });
      results.push([...outputs, model.weight()]);
      model.dispose();
    }
    assert.deepEqual(results[0], results[1]);
  });

  it('deterministic: true returns a DeterministicEngine, false a plain Engine', () => {
    const model = linearModel();
    assert.ok(createSupervisedTrainer(model, sgd(), mseLoss, { deterministic: true }) instanceof DeterministicEngine);
    const plain = createSupervisedTrainer(model, sgd(), mseLoss);
    assert.ok(plain instanceof Engine && !(plain instanceof DeterministicEngine));
    model.dispose();
  });

  it('test_create_supervised_trainer_scaler: true stores a GradScaler on state.scaler, an instance is not stored (item 10)', async () => {
    const model = linearModel();
    const t1 = createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'amp', scaler: true });
    assert.ok(t1.state['scaler'] instanceof GradScaler);
    const mine = new GradScaler({ initScale: 4 });
    const t2 = createSupervisedTrainer(model, sgd(), mseLoss, { ampMode: 'amp', scaler: mine });
    assert.equal(t2.state['scaler'], undefined);
    await t2.run(oneBatch);
    assert.equal(mine.stateDict().growthTracker, 1); // the given instance was stepped and updated
    model.dispose();
  });
});

describe('argument validation (spec 1.3 order)', () => {
  const model = linearModel();
  const make = (o: Record<string, unknown>) => () => createSupervisedTrainer(model, sgd(), mseLoss, o);

  it('test_create_supervised_trainer_scaler_not_amp: scaler with ampMode null or apex (item 11)', () => {
    assert.throws(make({ scaler: true }), { name: 'RangeError', message: /^scaler argument is true, but ampMode is null\. Consider using ampMode='amp'\./ });
    assert.throws(make({ scaler: true, ampMode: 'apex' }), { message: /^scaler argument is true, but ampMode is 'apex'\./ });
    assert.throws(make({ scaler: new GradScaler(), ampMode: 'apex' }), { message: /^scaler argument is a GradScaler, but ampMode is 'apex'\./ });
  });

  it('mps with amp is checked first; tpu/xla devices get a "no such backend" error listing the backends', () => {
    assert.throws(make({ device: 'mps', ampMode: 'amp', scaler: true }), { message: /^ampMode cannot be used with mps device/ });
    for (const device of ['xla', 'tpu', 'xla:0']) {
      const err = /TensorFlow\.js has no '.*' backend.*Use a TensorFlow\.js backend: .*cpu/;
      assert.throws(make({ device }), { name: 'RangeError', message: err });
      assert.throws(make({ device, ampMode: 'amp', scaler: true }), { message: err }); // check 2 before 3 and 4
    }
  });

  it('unknown or unavailable devices list the registered backends (tf.engine().registryFactory)', () => {
    const listed = registeredBackends().join(', ');
    assert.throws(make({ device: 'nope' }), { message: new RegExp(`backend 'nope' is not registered\\. Available: ${listed}`) });
    assert.throws(() => createSupervisedEvaluator(model, { device: 'webgpu' }), { message: /Available: / });
    if (!registeredBackends().some((b) => b === 'webgl' || b === 'webgpu')) {
      assert.throws(() => resolveDevice('gpu'), { message: /no GPU backend \(webgpu, webgl\) is registered/ });
    }
    assert.ok(registeredBackends().includes(resolveDevice('auto')!));
    assert.equal(resolveDevice('cpu'), 'cpu');
  });

  it('an unknown ampMode is rejected (deviation: Ignite silently uses the plain step)', () => {
    assert.throws(make({ ampMode: 'fp8' }), { name: 'RangeError', message: /ampMode should be 'amp', 'apex' or null, got "fp8"/ });
  });

  it('device is applied when the engine starts (STARTED), not at construction', async () => {
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss, { device: 'cpu' });
    let atStarted = '';
    trainer.on(Events.EPOCH_STARTED, () => void (atStarted = tf.getBackend()));
    await trainer.run(oneBatch);
    assert.equal(atStarted, 'cpu');
  });
});

describe('bad input', () => {
  const model = linearModel(1);

  it('yPred/y shape mismatch names both shapes', async () => {
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss);
    await assert.rejects(trainer.run([[[[1.5]], [1.5, 2.5]]]), { name: 'RangeError', message: /input \[1, 1\] and target \[2\]/ });
  });

  it('a non-scalar loss names the received shape', async () => {
    const trainer = createSupervisedTrainer(model, sgd(), (p: tf.Tensor, y: tf.Tensor) => tf.sub(p, y));
    const before = memory(); // after sgd(), which keeps its learning-rate scalar
    await assert.rejects(trainer.run([[[[1.5], [2.5]], [[1.5], [0.5]]]]), { name: 'RangeError', message: /scalar tensor, got shape \[2, 1\]/ });
    assert.deepEqual(memory(), before);
  });

  it('a batch that is not a pair says what was received', async () => {
    const trainer = createSupervisedTrainer(model, sgd(), mseLoss);
    await assert.rejects(trainer.run([[[1.5], [2.5], [3.5]]]), { name: 'TypeError', message: /expects a batch \[x, y\] or \{ x, y \}, got an array of length 3/ });
    const evaluator = createSupervisedEvaluator(model);
    await assert.rejects(evaluator.run([tf.zeros([2, 2])]), { message: /got a tensor of shape \[2, 2\]/ });
  });
});
