// Shared by the bf16-fused-*.test.ts files: one profiled autocast training step, and the losses of a few autocast
// optimizer steps, both asserting that no tensor leaks.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { autocast } from '../../../../src/amp/index.js';
import { crossEntropyLoss } from '../../../../src/index.js';

/** The autocast dtypes. */
export type Amp = 'bfloat16' | 'float16';

/**
 * One autocast step of `m`: the loss and the gradients of its trainable weights (as float32 arrays, loss first),
 * and the kernels it ran (tf.profile).
 */
export async function profiledAmpStep(m: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, dtype: Amp, label: string): Promise<{ values: Float32Array[]; kernels: string[] }> {
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  let values: Float32Array[] = [];
  const before = tf.memory().numTensors;
  const profile = await tf.profile(() => {
    const { value, grads } = autocast(dtype, () => tf.variableGrads(() => crossEntropyLoss(m.apply(x, { training: true }) as tf.Tensor, y) as tf.Scalar, vars));
    values = [value, ...vars.map((v) => grads[v.name]!)].map((t) => Float32Array.from(t.dataSync()));
    tf.dispose([value, grads]);
  });
  assert.equal(tf.memory().numTensors, before, `tensors after a ${dtype} step (${label})`);
  return { values, kernels: profile.kernels.map((k) => k.name) };
}

/** Losses of `steps` steps of `optimizer` on `m` under autocast('bfloat16'); disposes x, y and the optimizer. */
export function ampTrainLosses(m: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, optimizer: tf.Optimizer, steps: number, label: string): number[] {
  const losses: number[] = [];
  let before = 0;
  for (let i = 0; i < steps; i++) {
    const loss = autocast('bfloat16', () => optimizer.minimize(() => crossEntropyLoss(m.apply(x, { training: true }) as tf.Tensor, y) as tf.Scalar, true));
    losses.push(loss!.dataSync()[0]!);
    loss!.dispose();
    if (i === 0) before = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, before, `tensors after ${steps} steps (${label})`);
  tf.dispose([x, y]);
  optimizer.dispose();
  return losses;
}
