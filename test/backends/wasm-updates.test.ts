// kindling's fused optimizer updates on the wasm backend (src/backends/wasm-updates.ts, used by applyGradients once
// installWasmFixes ran): SGD, Momentum (plain and Nesterov) and Adam give bit-identical weights and optimizer state
// to TensorFlow.js's own optimizers on wasm over several steps, for a scalar, odd sizes and a large variable; one
// kernel call per variable; no leaks; a bad input is named.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmFixes } from '../../src/backends/index.js';
import { FUSED_UPDATE_KERNELS } from '../../src/backends/fused-kernels.js';
import { applyGradients } from '../../src/training/optimizer-update.js';
import { rand } from './wasm-helpers.js';

const SHAPES: number[][] = [[], [7], [3, 5], [301, 257]];

const OPTIMIZERS: [string, () => tf.Optimizer, string][] = [
  ['sgd', () => tf.train.sgd(0.1), FUSED_UPDATE_KERNELS.sgd],
  ['momentum', () => tf.train.momentum(0.05, 0.9), FUSED_UPDATE_KERNELS.momentum],
  ['nesterov', () => tf.train.momentum(0.05, 0.8, true), FUSED_UPDATE_KERNELS.momentum],
  ['adam', () => tf.train.adam(0.01, 0.85, 0.995, 1e-6), FUSED_UPDATE_KERNELS.adam],
];

interface Run { weights: Float32Array[]; state: Float32Array[]; iterations: number }
let unique = 0;

async function train(make: () => tf.Optimizer, apply: (o: tf.Optimizer, g: tf.NamedTensorMap) => void): Promise<Run> {
  await tf.setBackend('wasm');
  const optimizer = make();
  const id = unique++;
  const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(rand(shape, 10 + i), shape), true, `wasm_opt_${id}_${i}`));
  for (let s = 0; s < 4; s++) {
    const grads: tf.NamedTensorMap = {};
    SHAPES.forEach((shape, i) => { grads[vars[i]!.name] = tf.tensor(rand(shape, 100 * s + i), shape); });
    apply(optimizer, grads);
    tf.dispose(Object.values(grads));
  }
  const saved = await optimizer.getWeights();
  const run = {
    weights: vars.map((v) => Float32Array.from(v.dataSync())),
    state: saved.slice(1).map((w) => Float32Array.from(w.tensor.dataSync())),
    iterations: optimizer.iterations,
  };
  tf.dispose([...vars, ...saved.map((w) => w.tensor)]);
  optimizer.dispose();
  return run;
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('fused optimizer updates on wasm', () => {
  before(async () => {
    assert.ok(installWasmFixes());
    await tf.setBackend('wasm');
  });

  for (const [name, make] of OPTIMIZERS) {
    it(`${name}: bit-identical to TensorFlow.js's optimizer on wasm over 4 steps`, async () => {
      const fused = await train(make, applyGradients);
      const reference = await train(make, (o, g) => o.applyGradients(g));
      assert.equal(fused.iterations, reference.iterations);
      assert.equal(fused.state.length, reference.state.length, `${name}: slots`);
      fused.weights.forEach((w, i) => assert.deepEqual(bits(w), bits(reference.weights[i]!), `${name}: weight ${i}`));
      fused.state.forEach((w, i) => assert.deepEqual(bits(w), bits(reference.state[i]!), `${name}: slot ${i}`));
    });
  }

  for (const [name, make, kernel] of OPTIMIZERS) {
    it(`${name}: one kernel call per variable and no leaked tensor`, async () => {
      await tf.setBackend('wasm');
      const optimizer = make();
      const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(rand(shape, i), shape)));
      const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(rand(SHAPES[i]!, 50 + i), SHAPES[i])]));
      applyGradients(optimizer, grads); // creates the slots
      const before = tf.memory().numTensors;
      const dataIds = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
      const heldData = dataIds.numDataIds();
      const profile = await tf.profile(() => { applyGradients(optimizer, grads); });
      const updates = profile.kernels.filter((k) => k.name === kernel).length;
      assert.equal(updates, SHAPES.length);
      // Adam also updates its two accumulated betas, as tf.AdamOptimizer does (two Multiply kernels)
      assert.equal(profile.kernels.length - updates, name === 'adam' ? 2 : 0, profile.kernels.map((k) => k.name).join(', '));
      for (let i = 0; i < 3; i++) applyGradients(optimizer, grads);
      assert.equal(tf.memory().numTensors, before);
      assert.equal(dataIds.numDataIds(), heldData, 'intermediate wasm buffers were not freed');
      tf.dispose([...vars, ...Object.values(grads)]);
      optimizer.dispose();
    });
  }

  it('names the input that is not float32', async () => {
    await tf.setBackend('wasm');
    const value = tf.tensor1d([1, 2, 3]);
    const gradient = tf.tensor1d([1, 2, 3], 'int32');
    const c = tf.scalar(-0.1);
    assert.throws(() => tf.engine().runKernel(FUSED_UPDATE_KERNELS.sgd, { value, gradient, c }, {}),
      /wasm fused optimizer update: input 'gradient' must be a float32 tensor, received int32/);
    tf.dispose([value, gradient, c]);
  });
});
