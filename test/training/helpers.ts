/**
 * Shared fixtures of the supervised trainer tests: tiny models and independent plain-TS reference computations
 * (written from Ignite's `supervised_training_step`, not from src/training).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';

export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  const ok = await tf.setBackend(name);
  assert.ok(ok, `backend ${name} failed to initialise`);
  await tf.ready();
}

let counter = 0;
/** A unique variable name (TF.js variable names are global). */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

/** A 1-weight linear model without bias: yPred = x @ w, w of shape [1, 1]. */
export interface LinearModel {
  readonly w: tf.Variable;
  readonly trainableWeights: tf.Variable[];
  readonly calls: { training: boolean }[];
  apply(x: unknown, kwargs?: { training: boolean }): tf.Tensor;
  weight(): number;
  dispose(): void;
}

export function linearModel(w0 = 0): LinearModel {
  const w = tf.variable(tf.tensor2d([[w0]]), true, uniqueName('linear_w'));
  const calls: { training: boolean }[] = [];
  return {
    w,
    trainableWeights: [w],
    calls,
    apply(x: unknown, kwargs = { training: false }): tf.Tensor {
      calls.push(kwargs);
      return tf.matMul(tf.cast(x as tf.Tensor, 'float32'), w);
    },
    weight: () => w.dataSync()[0] as number,
    dispose: () => w.dispose(),
  };
}

// 0.1 = 1.6 * 2^-4. float16 keeps 10 mantissa bits: round(1.6 * 1024) = 1638; bfloat16 keeps 7: round(1.6 * 128) = 205.
/** 0.1 rounded to float16 by hand (round to nearest even): 0.0999755859375. */
export const F16_OF_0_1 = (1638 / 1024) * 2 ** -4;
/** 0.1 rounded to bfloat16 by hand (round to nearest even): 0.10009765625. */
export const BF16_OF_0_1 = (205 / 128) * 2 ** -4;

/** One sample per batch: `[[[x]], [[y]]]` (x and y of shape [1, 1]). */
export type Sample = [x: number, y: number];
export const batchOf = ([x, y]: Sample): [number[][], number[][]] => [[[x]], [[y]]];

/** Non-integral samples so the default prepareBatch makes float32 tensors (integers would become int32). */
export const SAMPLES: Sample[] = [
  [0.5, 1.5],
  [1.5, 2.25],
  [-1.25, 0.75],
  [2.5, -0.5],
  [0.75, 3.25],
  [-0.5, 1.25],
  [1.25, -2.5],
  [2.25, 0.5],
  [-1.5, 2.75],
];

/** Per-iteration record of the reference run of Ignite's training step on the 1-weight MSE model. */
export interface RefIteration {
  iteration: number;
  /** The weight used by this iteration's forward pass. */
  wBefore: number;
  /** The undivided loss (w x - y)^2 of the iteration. */
  loss: number;
  /** Accumulated gradient of the window after this iteration: sum of dL/dw / k. */
  windowGrad: number;
  /** Whether the optimizer stepped at this iteration. */
  stepped: boolean;
  /** The weight after the iteration. */
  wAfter: number;
}

/**
 * Reference of Ignite's `supervised_training_step`: SGD with learning rate lr on L = (w x - y)^2, loss divided by k, gradients
 * summed over the window, zeroed when (iteration - 1) % k == 0, applied when iteration % k == 0.
 * `data[(iteration - 1) % data.length]` is the batch of an iteration (list data across epochs).
 */
export function referenceRun(data: readonly Sample[], iterations: number, k: number, lr: number, w0 = 0): RefIteration[] {
  let w = w0;
  let grad = 0;
  const out: RefIteration[] = [];
  for (let it = 1; it <= iterations; it++) {
    if ((it - 1) % k === 0) grad = 0;
    const [x, y] = data[(it - 1) % data.length] as Sample;
    const err = w * x - y;
    grad += (2 * x * err) / k;
    const wBefore = w;
    const stepped = it % k === 0;
    if (stepped) w -= lr * grad;
    out.push({ iteration: it, wBefore, loss: err * err, windowGrad: grad, stepped, wAfter: w });
  }
  return out;
}

export function assertClose(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: expected ${expected}, got ${actual}`,
  );
}

/** numTensors and numDataBuffers of the TF.js engine. */
export function memory(): { numTensors: number; numDataBuffers: number } {
  const m = tf.memory();
  return { numTensors: m.numTensors, numDataBuffers: m.numDataBuffers };
}
