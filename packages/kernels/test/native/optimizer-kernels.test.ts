// The fused optimizer updates of 'kindling-native' (applyGradients): TensorFlow.js's SGD, Momentum (plain and
// Nesterov) and Adam give bit-identical weights and optimizer state to the stock optimizers on the cpu backend,
// over several steps, for odd and large variable sizes; one kernel per variable; no leaks; the fallbacks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { NATIVE_BACKEND_NAME } from '../../src/node.js';
import { FUSED_UPDATE_KERNELS } from '../../src/contract.js';
import { applyGradients } from '../../../../src/backends/optimizer-update.js';
import { GradScaler } from '../../../../src/amp/grad-scaler.js';
import { createSupervisedTrainer, crossEntropyLoss } from '../../../../src/index.js';
import { assertClose, rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';
import { OPTIMIZERS, SHAPES, assertBitIdentical, stock, train } from '../optimizer-cases.js';

describe('kindling-native fused optimizer updates', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);

  for (const [name, make] of OPTIMIZERS) {
    it(`${name}: bit-identical to TensorFlow.js's optimizer on cpu over 4 steps`, async () => {
      const fused = await train(NATIVE_BACKEND_NAME, make, 4, applyGradients);
      const reference = await train('cpu', make, 4, stock);
      assertBitIdentical(fused, reference, name);
    });
  }

  for (const [name, make, kernel] of OPTIMIZERS) {
    it(`${name}: once the fused update made the arrays, every variable is updated in place, no per-variable kernels`, async () => {
      await tf.setBackend(NATIVE_BACKEND_NAME);
      const optimizer = make();
      const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(rand(shape, i), shape)));
      const grads: tf.NamedTensorMap = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(rand(SHAPES[i]!, 50 + i), SHAPES[i])]));
      // the first update creates the slots and writes new arrays (the initial ones came from outside the backend)
      const first = await tf.profile(() => applyGradients(optimizer, grads));
      assert.equal(first.kernels.filter((k) => k.name === kernel).length, vars.length);
      const dataIds = vars.map((v) => v.dataId);
      const profile = await tf.profile(() => applyGradients(optimizer, grads));
      const names = profile.kernels.map((k) => k.name);
      assert.equal(names.filter((n) => n === kernel).length, 0, names.join(','));
      assert.deepEqual(vars.map((v) => v.dataId), dataIds, 'every variable keeps its storage (updated in place)');
      // Adam's two bias-correction products are per step, not per variable.
      assert.equal(names.filter((n) => n !== kernel).length, name === 'adam' ? 2 : 0, names.join(','));
      tf.dispose([...vars, ...Object.values(grads)]);
      optimizer.dispose();
    });
  }

  it('never updates in place what something else can observe: a dataSync result, a clone, a slice view, user data', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const shape = [300, 257];
    const user = rand(shape, 3);
    const userCopy = Float32Array.from(user);
    const optimizer = tf.train.momentum(0.1, 0.9);
    const v = tf.variable(tf.tensor(user, shape)); // the tensor wraps the caller's array without copying it
    const g = { [v.name]: tf.tensor(rand(shape, 4), shape) };
    applyGradients(optimizer, g);
    assert.deepEqual(user, userCopy, "the caller's array is not written");
    const snapshot = v.dataSync(), snapshotCopy = Float32Array.from(snapshot);
    applyGradients(optimizer, g);
    assert.deepEqual(snapshot, snapshotCopy, 'an earlier dataSync() result does not change');
    const clone = tf.clone(v), cloneCopy = Float32Array.from(clone.dataSync());
    const slice = tf.slice(v, [0, 0], [2, 257]), sliceCopy = Float32Array.from(slice.dataSync());
    applyGradients(optimizer, g);
    applyGradients(optimizer, g);
    assert.deepEqual(clone.dataSync(), cloneCopy, 'a clone does not change');
    assert.deepEqual(slice.dataSync(), sliceCopy, 'a slice does not change');
    // and the values equal TensorFlow.js's own optimizer on cpu, 4 steps
    const fused = Float32Array.from(v.dataSync());
    await tf.setBackend('cpu');
    const reference = tf.train.momentum(0.1, 0.9);
    const w = tf.variable(tf.tensor(userCopy, shape));
    const gc = { [w.name]: tf.tensor(rand(shape, 4), shape) };
    for (let i = 0; i < 4; i++) stock(reference, gc);
    assert.deepEqual(fused, Float32Array.from(w.dataSync()));
    tf.dispose([w, ...Object.values(gc)]);
    reference.dispose();
    await tf.setBackend(NATIVE_BACKEND_NAME);
    tf.dispose([v, clone, slice, ...Object.values(g)]);
    optimizer.dispose();
  });

  it('leaks no tensor across steps once the slots exist', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    for (const [name, make] of OPTIMIZERS) {
      const optimizer = make();
      const v = tf.variable(tf.tensor(rand([40, 30], 1), [40, 30]));
      const g = { [v.name]: tf.tensor(rand([40, 30], 2), [40, 30]) };
      applyGradients(optimizer, g);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) applyGradients(optimizer, g);
      assert.equal(tf.memory().numTensors, before, name);
      tf.dispose([v, ...Object.values(g)]);
      optimizer.dispose();
    }
  });

  it('follows learning-rate changes (setLearningRate, the learningRate field of Adam) like the stock optimizers', async () => {
    const schedule = (o: tf.Optimizer, s: number): void => {
      if (Object.prototype.isPrototypeOf.call(tf.SGDOptimizer.prototype, o)) (o as tf.SGDOptimizer).setLearningRate(0.1 / (s + 1));
      else (o as unknown as { learningRate: number }).learningRate = 0.01 / (s + 1);
    };
    for (const [name, make] of OPTIMIZERS) {
      const fused = await train(NATIVE_BACKEND_NAME, make, 3, applyGradients, schedule);
      const reference = await train('cpu', make, 3, stock, schedule);
      assertBitIdentical(fused, reference, `${name} with a schedule`);
    }
  });

  it('accepts the array form and null gradients like applyGradients', async () => {
    const run = async (backend: string, apply: (o: tf.Optimizer, g: { name: string; tensor: tf.Tensor }[]) => void): Promise<Float32Array[]> => {
      await tf.setBackend(backend);
      const optimizer = tf.train.momentum(0.1, 0.5);
      const a = tf.variable(tf.tensor(rand([6], 1), [6])), b = tf.variable(tf.tensor(rand([4], 2), [4]));
      const ga = tf.tensor(rand([6], 3), [6]);
      apply(optimizer, [{ name: a.name, tensor: ga }, { name: b.name, tensor: null as unknown as tf.Tensor }]);
      apply(optimizer, [{ name: a.name, tensor: ga }, { name: b.name, tensor: null as unknown as tf.Tensor }]);
      const out = [a, b].map((v) => Float32Array.from(v.dataSync()));
      const slots = await optimizer.getWeights();
      assert.deepEqual(slots.slice(1).map((s) => s.name), [`${a.name}/momentum`, `${b.name}/momentum`]);
      tf.dispose([a, b, ga, ...slots.map((s) => s.tensor)]);
      optimizer.dispose();
      return out;
    };
    const fused = await run(NATIVE_BACKEND_NAME, (o, g) => applyGradients(o, g));
    const reference = await run('cpu', (o, g) => o.applyGradients(g));
    assert.deepEqual(fused, reference);
  });

  it('runs the optimizer\'s own applyGradients when it is patched or the variables are not float32', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const optimizer = tf.train.sgd(0.1);
    const original = optimizer.applyGradients.bind(optimizer);
    let calls = 0;
    optimizer.applyGradients = (g) => { calls++; original(g); };
    const v = tf.variable(tf.tensor(rand([5], 1), [5]));
    const g = { [v.name]: tf.tensor(rand([5], 2), [5]) };
    const profile = await tf.profile(() => applyGradients(optimizer, g));
    assert.equal(calls, 1);
    assert.ok(!profile.kernels.some((k) => k.name === FUSED_UPDATE_KERNELS.sgd));
    tf.dispose([v, ...Object.values(g)]);
    const stockSgd = tf.train.sgd(0.1);
    const wrongShape = tf.variable(tf.tensor(rand([5], 1), [5]));
    const bad = { [wrongShape.name]: tf.tensor(rand([5], 2), [5, 1]) };
    // a gradient shaped unlike its variable takes the stock path, which raises TensorFlow.js's own error
    assert.throws(() => applyGradients(stockSgd, bad), /shape of the new value \(5,5\) and previous value \(5\) must match/);
    tf.dispose([wrongShape, ...Object.values(bad)]);
    optimizer.dispose();
    stockSgd.dispose();
  });

  it('GradScaler.step applies the unscaled gradients through the fused update', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const scaler = new GradScaler({ initScale: 4 });
    const optimizer = tf.train.momentum(0.1, 0.9);
    const v = tf.variable(tf.tensor(rand([9], 1), [9]));
    const g = { [v.name]: tf.tensor(rand([9], 2), [9]) };
    const profile = await tf.profile(async () => { await scaler.step(optimizer, g); });
    assert.ok(profile.kernels.some((k) => k.name === FUSED_UPDATE_KERNELS.momentum));
    tf.dispose([v, ...Object.values(g)]);
    optimizer.dispose();
  });

  it('createSupervisedTrainer steps the optimizer through the fused kernel, with accumulation too', async () => {
    const train = async (backend: string): Promise<{ weights: Float32Array[]; fused: number; iterations: number }> => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor(rand([6, 3], 1), [6, 3])), b = tf.variable(tf.zeros([3]));
      const model = { apply: (x: tf.Tensor): tf.Tensor => tf.add(tf.matMul(x, w), b), trainableWeights: [w, b] };
      const x = tf.tensor(rand([4, 6], 2), [4, 6]), y = tf.tensor1d([0, 2, 1, 2], 'int32');
      const optimizer = tf.train.adam(0.01);
      const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, { gradientAccumulationSteps: 2 });
      const profile = await tf.profile(async () => { await trainer.run([[x, y], [x, y], [x, y], [x, y]], { maxEpochs: 1 }); });
      const out = { weights: [w, b].map((v) => Float32Array.from(v.dataSync())), fused: profile.kernels.filter((k) => k.name === FUSED_UPDATE_KERNELS.adam).length, iterations: optimizer.iterations };
      tf.dispose([w, b, x, y]);
      optimizer.dispose();
      return out;
    };
    const native = await train(NATIVE_BACKEND_NAME);
    const cpu = await train('cpu');
    await tf.setBackend(NATIVE_BACKEND_NAME);
    // 4 iterations, accumulation 2: 2 optimizer steps of 2 variables; the first step writes new arrays with the
    // fused kernel, the second overwrites them in place
    assert.equal(native.fused, 2);
    assert.equal(cpu.fused, 0);
    assert.equal(native.iterations, 2);
    native.weights.forEach((v, i) => assertClose(v, cpu.weights[i]!, `weight ${i}`, 1e-5));
  });
});
