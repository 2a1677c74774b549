import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { AUTOCAST_KERNELS, GradScaler, autocast } from '../../src/amp/index.js';
import { roundTensor } from '../../src/amp/device-rounding.js';
import { EDGE_CASES, firstMismatch, randomValues, refRound, rng, ties } from './half-reference.js';
import {
  randomFloats, randomInts, refConv2d, refConv2dDx, refMatMul, transpose, type ConvShape,
} from './kernels-reference.js';

let wasmReady = false;

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  const i = firstMismatch(got, want);
  assert.equal(i, -1, i >= 0 ? `${what} differs at ${i}: got ${got[i]}, reference ${want[i]}` : '');
}

describe('amp on the wasm backend', () => {
  before(async () => {
    wasmReady = await tf.setBackend('wasm').catch(() => false);
  });

  for (const dtype of ['float16', 'bfloat16'] as const) {
    it(`roundTensor matches the independent ${dtype} encoder bit for bit`, (t) => {
      if (!wasmReady) return t.skip('wasm backend did not initialise');
      assert.equal(tf.getBackend(), 'wasm');
      const random = rng(dtype === 'float16' ? 11 : 12);
      const [lo, hi] = dtype === 'float16' ? [-28, 17] : [-140, 127];
      const values = Float32Array.from([...EDGE_CASES, ...ties(dtype, 2000, random), ...randomValues(10000, random, lo, hi)]);
      const x = tf.tensor1d(values);
      const y = roundTensor(x, dtype);
      assertSame(y.dataSync(), refRound(values, dtype), dtype);
      tf.dispose([x, y]);
    });

    it(`${dtype}: matMul forward and gradients, conv2d forward and input gradient equal the host reference`, (t) => {
      if (!wasmReady) return t.skip('wasm backend did not initialise');
      const [m, k, n] = [3, 5, 4];
      const c = randomInts(m * n, 20);
      for (const [x, w] of [[randomInts(m * k, 21), randomFloats(k * n, 22)], [randomFloats(m * k, 23), randomInts(k * n, 24)]]) {
        const [y, dx, dw] = autocast(dtype, () => tf.tidy(() => {
          const xt = tf.tensor2d(x!, [m, k]);
          const wt = tf.tensor2d(w!, [k, n]);
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), tf.tensor2d(c, [m, n]))))([xt, wt]);
          return [tf.matMul(xt, wt), ...g].map((tt) => tt.dataSync());
        }));
        assertSame(y!, refMatMul(x!, w!, m, k, n, dtype), 'y');
        assertSame(dx!, refMatMul(c, transpose(w!, k, n), m, n, k, dtype), 'dx');
        assertSame(dw!, refMatMul(transpose(x!, m, k), c, k, m, n, dtype), 'dw');
      }
      // The wasm backend has no Conv2DBackpropFilter kernel, so only the forward pass and the input gradient.
      const s: ConvShape = { h: 5, w: 5, c: 2, fh: 2, fw: 2, o: 3 };
      const x = randomInts(50, 25);
      const f = randomFloats(24, 26);
      const dy = randomInts(48, 27);
      const [y, dx] = autocast(dtype, () => tf.tidy(() => {
        const xt = tf.tensor4d(x, [1, 5, 5, 2]);
        const ft = tf.tensor4d(f, [2, 2, 2, 3]);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, ft, 1, 'valid'), tf.tensor4d(dy, [1, 4, 4, 3]))))(xt);
        return [tf.conv2d(xt, ft, 1, 'valid').dataSync(), g.dataSync()];
      }));
      assertSame(y, refConv2d(x, f, s, dtype), 'conv y');
      assertSame(dx, refConv2dDx(dy, f, s, dtype), 'conv dx');
    });
  }

  it('restores the kernels and leaks nothing across autocast + GradScaler steps', async (t) => {
    if (!wasmReady) return t.skip('wasm backend did not initialise');
    const original = AUTOCAST_KERNELS.map((name) => tf.getKernel(name, 'wasm'));
    const w = tf.variable(tf.tensor2d(randomFloats(12, 30), [4, 3]), true, 'wasm-w');
    const x = tf.tensor2d(randomFloats(8, 31), [2, 4]);
    // A scale that does not overflow float16 here, so the warm-up step creates the optimizer's lazy constants.
    const scaler = new GradScaler({ initScale: 2 ** 4 });
    const opt = tf.train.sgd(1e-3);
    const step = async (): Promise<void> => {
      const { value, grads } = autocast('float16', () => tf.variableGrads(() => scaler.scale(tf.sum(tf.matMul(x, w)))));
      await scaler.step(opt, grads, { nonBlocking: true });
      scaler.update();
      tf.dispose([value, grads]);
    };
    await step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) await step();
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
    assert.deepEqual(AUTOCAST_KERNELS.map((name) => tf.getKernel(name, 'wasm')), original);
    tf.dispose([w, x]);
    opt.dispose();
  });
});
