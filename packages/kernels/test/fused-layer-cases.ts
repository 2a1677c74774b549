// Shared by the fused-layer tests (Dense and Conv2D, native and wasm): one profiled training step, a training loop
// and a step with frozen layers, each returning raw bits so that the fused and unfused paths compare exactly, with
// tensor-leak checks; and a seeded Conv2D layer builder.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropyLoss } from '../../../src/training/losses.js';

/** The raw bits of a tensor's values. */
export const bits = (t: tf.Tensor): Buffer => Buffer.from(Float32Array.from(t.dataSync()).buffer);

/** `n` int32 class labels in [0, 5). */
export const labels = (n: number): tf.Tensor => tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 3) % 5), 'int32');

/** Loss and gradients (raw bits) and the kernels run by one training step. */
export interface StepResult { loss: Buffer; grads: Buffer[]; kernels: string[] }

const lossOf = (m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor) => (): tf.Scalar => crossEntropyLoss(m.apply(x, { training: true }) as tf.Tensor, y) as tf.Scalar;

/** One training step of `m` on `x`, `y` (cross-entropy, gradients of every trainable weight), profiled. */
export async function profiledStep(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): Promise<StepResult> {
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  let out: Omit<StepResult, 'kernels'> = { loss: Buffer.alloc(0), grads: [] };
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(lossOf(m, x, y), vars);
    out = { loss: bits(value), grads: vars.map((v) => bits(grads[v.name]!)) };
    tf.dispose([value, grads]);
  });
  return { ...out, kernels: profile.kernels.map((k) => k.name) };
}

/** Asserts the same loss and gradients, bit for bit. */
export function assertSameStep(a: StepResult, b: StepResult, what: string): void {
  assert.deepEqual(a.loss, b.loss, `${what}: loss`);
  a.grads.forEach((g, i) => assert.deepEqual(g, b.grads[i], `${what}: gradient #${i}`));
}

/** `steps` + 1 momentum steps (`minimize`), asserting no tensor leaks after the first; the final weights' bits. */
export function trainedWeights(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor, steps: number): Buffer[] {
  const opt = tf.train.momentum(0.05, 0.9);
  const once = (): void => { opt.minimize(lossOf(m, x, y), true)?.dispose(); };
  once();
  const before = tf.memory().numTensors;
  for (let i = 0; i < steps; i++) once();
  assert.equal(tf.memory().numTensors, before, `tensors after ${steps} steps`);
  opt.dispose();
  return m.getWeights().map(bits);
}

/** Two gradient steps of `m`'s trainable weights (some layers frozen), asserting no leak; the second's bits. */
export function frozenStepBits(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): Buffer[] {
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const once = (): Buffer[] => {
    const { value, grads } = tf.variableGrads(lossOf(m, x, y), vars);
    const out = [bits(value), ...vars.map((v) => bits(grads[v.name]!))];
    tf.dispose([value, grads]);
    return out;
  };
  once();
  const before = tf.memory().numTensors;
  const out = once();
  assert.equal(tf.memory().numTensors, before, 'tensors after a step');
  return out;
}

type ConvArgs = Omit<Parameters<typeof tfl.layers.conv2d>[0], 'filters' | 'kernelSize'>;

/** A builder of 3 x 3 Conv2D layers whose kernel and bias are drawn from U(-0.3, 0.3) with seeds `seed + s`, `+ s + 1`. */
export function seededConv(seed: number): (filters: number, extra: ConvArgs, s: number) => tfl.layers.Layer {
  const init = (s: number): ReturnType<typeof tfl.initializers.randomUniform> => tfl.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + s });
  return (filters, extra, s) => tfl.layers.conv2d({ filters, kernelSize: 3, kernelInitializer: init(s), biasInitializer: init(s + 1), ...extra });
}
