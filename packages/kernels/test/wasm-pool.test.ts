// kindling's wasm MaxPoolGrad (argmax + scatter-add instead of the stock per-position rescan) gives the cpu
// backend's gradients for valid/same/numeric padding, strides smaller than, equal to and larger than the window,
// odd sizes and ties (the first maximum of a window takes the gradient), 4 channels at a time in kindling's SIMD loop
// with the same bits as its JavaScript loop.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { assertWasmMatchesCpu, randT, leaveFixedWasm, useFixedWasm } from './wasm-helpers.js';
import { setWasmSimdLoops } from '../src/index.js';

type Pad = 'valid' | 'same' | number;

const CASES: [number[], number | [number, number], number | [number, number], Pad][] = [
  [[2, 8, 8, 3], 2, 2, 'valid'],
  [[2, 11, 9, 2], 2, 2, 'valid'],
  [[1, 9, 9, 2], 3, 1, 'same'],
  [[2, 10, 7, 3], 3, 2, 'same'],
  [[1, 9, 11, 1], [2, 3], [3, 2], 'valid'],
  [[1, 8, 8, 2], 3, 2, 1],
  [[2, 7, 7, 2], 2, 3, 'valid'],
  // 4 channels or more: kindling's SIMD loop takes 4 at a time (the rest, here 2 and 1, in JavaScript)
  [[2, 8, 8, 8], 2, 2, 'valid'],
  [[1, 9, 9, 6], 3, 1, 'same'],
  [[2, 10, 7, 4], 3, 2, 'same'],
  [[1, 8, 8, 5], 3, 2, 1],
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

  it('the SIMD loop and JavaScript give the same bits: NaN, infinities, ties, overlapping and padded windows', async () => {
    await tf.setBackend('wasm');
    const special = [NaN, -Infinity, Infinity, 0, -0, 1, 1];
    for (const [xs, filter, strides, pad] of CASES.filter(([shape]) => (shape[3] ?? 0) >= 4)) {
      const n = xs.reduce((p, q) => p * q, 1);
      const values = Float32Array.from(randT(xs, 7).dataSync(), (v, i) => (i % 5 === 0 ? special[(i / 5) % special.length]! : Math.round(v * 3)));
      const grad = (): Buffer => tf.tidy(() => {
        const x = tf.tensor4d(values, xs as [number, number, number, number]);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, filter, strides, pad), 1.5)))(x);
        return Buffer.from(Float32Array.from(g.dataSync()).buffer);
      });
      const simd = grad();
      setWasmSimdLoops(false);
      try {
        assert.deepEqual(simd, grad(), `${JSON.stringify([xs, filter, strides, pad])} (${n} values)`);
      } finally {
        setWasmSimdLoops(true);
      }
    }
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
