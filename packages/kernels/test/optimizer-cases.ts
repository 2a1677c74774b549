// Shared by the fused optimizer-update tests of kindling-native and wasm: the optimizers and variable shapes they
// cover, a few update steps of fresh variables on a backend, and a bitwise comparison of the results.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_UPDATE_KERNELS } from '../src/contract.js';
import { rand } from './wasm-helpers.js';

/** Variable shapes: a scalar, odd sizes, and one large enough to be split over two threads. */
export const SHAPES: number[][] = [[], [7], [3, 5], [301, 257]];

export type MakeOptimizer = () => tf.Optimizer;

/** Name, optimizer and the fused kernel that updates its variables. */
export const OPTIMIZERS: [string, MakeOptimizer, string][] = [
  ['sgd', () => tf.train.sgd(0.1), FUSED_UPDATE_KERNELS.sgd],
  ['momentum', () => tf.train.momentum(0.05, 0.9), FUSED_UPDATE_KERNELS.momentum],
  ['nesterov', () => tf.train.momentum(0.05, 0.8, true), FUSED_UPDATE_KERNELS.momentum],
  ['adam', () => tf.train.adam(0.01, 0.85, 0.995, 1e-6), FUSED_UPDATE_KERNELS.adam],
];

/** The variables and optimizer slots after some updates, and the optimizer's iteration count. */
export interface Run { weights: Float32Array[]; state: Float32Array[]; iterations: number }

let unique = 0;

/** `steps` updates of fresh variables with `apply` on `backend`; gradient `i` of step `s` is seeded by both. */
export async function train(backend: string, make: MakeOptimizer, steps: number,
  apply: (o: tf.Optimizer, g: tf.NamedTensorMap) => void, lrAt?: (o: tf.Optimizer, step: number) => void): Promise<Run> {
  await tf.setBackend(backend);
  const optimizer = make();
  const id = unique++;
  const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(rand(shape, 10 + i), shape), true, `opt_${id}_${i}`));
  for (let s = 0; s < steps; s++) {
    lrAt?.(optimizer, s);
    const grads: tf.NamedTensorMap = {};
    SHAPES.forEach((shape, i) => { grads[vars[i]!.name] = tf.tensor(rand(shape, 100 * s + i), shape); });
    apply(optimizer, grads);
    tf.dispose(Object.values(grads));
  }
  const weights = vars.map((v) => Float32Array.from(v.dataSync()));
  const saved = await optimizer.getWeights();
  const run: Run = { weights, state: saved.slice(1).map((w) => Float32Array.from(w.tensor.dataSync())), iterations: optimizer.iterations };
  tf.dispose([...vars, ...saved.map((w) => w.tensor)]);
  optimizer.dispose();
  return run;
}

/** Asserts the same iteration count, slot count, and bit-identical weights and slots. */
export function assertBitIdentical(actual: Run, expected: Run, what: string): void {
  assert.equal(actual.iterations, expected.iterations, `${what}: iterations`);
  assert.equal(actual.state.length, expected.state.length, `${what}: number of optimizer slots`);
  const same = (a: Float32Array[], b: Float32Array[], kind: string): void => a.forEach((v, i) => {
    assert.equal(Buffer.compare(Buffer.from(v.buffer, v.byteOffset, v.byteLength), Buffer.from(b[i]!.buffer, b[i]!.byteOffset, b[i]!.byteLength)), 0,
      `${what}: ${kind} ${i} differs from TensorFlow.js's optimizer`);
  });
  same(actual.weights, expected.weights, 'weight');
  same(actual.state, expected.state, 'slot');
}

/** TensorFlow.js's own update: the reference. */
export const stock = (o: tf.Optimizer, g: tf.NamedTensorMap): void => o.applyGradients(g);
