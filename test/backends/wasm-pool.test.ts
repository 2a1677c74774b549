// kindling's wasm MaxPoolGrad (argmax + scatter-add instead of the stock per-position rescan) gives the cpu
// backend's gradients for valid/same/numeric padding, strides smaller than, equal to and larger than the window,
// odd sizes and ties (the first maximum of a window takes the gradient).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { assertWasmMatchesCpu, randT, leaveFixedWasm, useFixedWasm } from './wasm-helpers.js';

type Pad = 'valid' | 'same' | number;

const CASES: [number[], number | [number, number], number | [number, number], Pad][] = [
  [[2, 8, 8, 3], 2, 2, 'valid'],
  [[2, 11, 9, 2], 2, 2, 'valid'],
  [[1, 9, 9, 2], 3, 1, 'same'],
  [[2, 10, 7, 3], 3, 2, 'same'],
  [[1, 9, 11, 1], [2, 3], [3, 2], 'valid'],
  [[1, 8, 8, 2], 3, 2, 1],
  [[2, 7, 7, 2], 2, 3, 'valid'],
];

describe('wasm MaxPoolGrad', () => {
  before(useFixedWasm);
  after(leaveFixedWasm);

  for (const ties of [false, true]) {
    it(`gradient of maxPool equals the cpu backend${ties ? ' with many tied maxima' : ''}`, async () => {
      for (const [xs, filter, strides, pad] of CASES) {
        const grad = (): tf.Tensor => {
          const x = ties ? tf.relu(tf.round(tf.mul(randT(xs, 1), 2))) : randT(xs, 1);
          const dyScale = randT(tf.backend_util.computePool2DInfo(xs as [number, number, number, number], filter, strides, 1, pad).outShape, 2);
          return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, filter, strides, pad), dyScale)))(x);
        };
        await assertWasmMatchesCpu(grad, `maxPool ${JSON.stringify([xs, filter, strides, pad])}`);
      }
    });
  }

  it('windows whose values are all negative send the gradient to their maximum (the stock kernel does not)', async () => {
    const grad = (): tf.Tensor => {
      const x = tf.neg(tf.add(tf.abs(randT([2, 6, 6, 3], 4)), 0.5));
      return tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
    };
    await assertWasmMatchesCpu(grad, 'all-negative windows');
    const x = tf.tensor4d([-3, -1, -2, -4], [1, 2, 2, 1]);
    const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid')))(x);
    assert.deepEqual(Array.from(await dx.data()), [0, 1, 0, 0]);
    tf.dispose([x, dx]);
  });

  it('a dimRoundingMode goes to the stock kernel', async () => {
    const attrs = { filterSize: 3, strides: 2, pad: 1, dimRoundingMode: 'ceil' };
    const k = (): tf.Tensor => {
      const x = randT([1, 8, 8, 1], 3);
      const y = tf.engine().runKernel<tf.Tensor>(tf.MaxPool, { x }, attrs);
      return tf.engine().runKernel<tf.Tensor>(tf.MaxPoolGrad, { dy: tf.onesLike(y), input: x, output: y }, attrs);
    };
    await assertWasmMatchesCpu(k, 'ceil rounding');
  });
});
