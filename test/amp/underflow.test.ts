import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { GradScaler, autocast } from '../../src/amp/index.js';
import { refFloat16 } from './half-reference.js';

/**
 * A one-layer linear model y = x @ W with loss sum(y * c). The true gradient is dW[i][j] = x[i] * c[j]: with
 * x = c = 1e-4 it is 1e-8, far below float16's smallest subnormal (2**-24 ~ 6e-8), so the backward matmul's
 * float16 output rounds it to zero unless the loss is scaled first.
 */
const X = [1e-4, 2e-4, 1.5e-4]; // products 1e-8 .. 2.4e-8, all below 2**-25 (half the smallest subnormal)
const C = [1e-4, 1.2e-4];

function problem(): { w: tf.Variable; x: tf.Tensor2D; c: tf.Tensor2D; loss: (scale?: GradScaler) => tf.Scalar } {
  const w = tf.variable(tf.fill([3, 2], 0.5), true, `w${Math.random()}`);
  const x = tf.tensor2d([X]);
  const c = tf.tensor2d([C]);
  const loss = (scaler?: GradScaler): tf.Scalar => {
    const l: tf.Scalar = tf.sum(tf.mul(tf.matMul(x, w), c));
    return scaler === undefined ? l : scaler.scale(l);
  };
  return { w, x, c, loss };
}

/** Reference gradient under float16 autocast with scale s: R(R(x) * R(c * s)) / s, element by element. */
function referenceGrad(scale: number): number[] {
  const out: number[] = [];
  for (const xi of X) for (const cj of C) {
    out.push(refFloat16(Math.fround(refFloat16(Math.fround(xi)) * refFloat16(Math.fround(Math.fround(cj) * scale)))) / scale);
  }
  return out.map((v) => Math.fround(v));
}

describe('float16 autocast with and without loss scaling', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('gradients of ~1e-8 underflow to zero without a scaler and survive with one', async () => {
    const { w, x, c, loss } = problem();
    const trueGrad = X.flatMap((xi) => C.map((cj) => xi * cj));
    assert.ok(trueGrad.every((g) => g > 5e-9 && g < 1e-7), 'the true gradients are ~1e-8');

    // float32: fine.
    const g32 = tf.tidy(() => tf.variableGrads(() => loss()).grads[w.name]!.dataSync());
    Array.from(g32).forEach((g, i) => assert.ok(Math.abs(g - trueGrad[i]!) < 1e-6 * trueGrad[i]!, `float32 grad ${i}`));

    // float16 autocast, no scaler: every gradient is exactly zero.
    const g16 = tf.tidy(() => autocast('float16', () => tf.variableGrads(() => loss()).grads[w.name]!.dataSync()));
    assert.deepEqual(Array.from(g16), [0, 0, 0, 0, 0, 0]);

    // float16 autocast with a GradScaler: the gradients survive, within float16 precision of the truth, and equal
    // the independently rounded reference exactly.
    const scaler = new GradScaler();
    const opt = tf.train.sgd(1e4);
    const before = w.dataSync().slice();
    const { value, grads } = autocast('float16', () => tf.variableGrads(() => loss(scaler)));
    const unscaled = scaler.unscale(grads);
    const got = Array.from(unscaled[w.name]!.dataSync());
    assert.deepEqual(got, referenceGrad(scaler.getScale()));
    got.forEach((g, i) => assert.ok(Math.abs(g - trueGrad[i]!) <= 2 ** -9 * trueGrad[i]!, `scaled grad ${i}: ${g}`));

    // And the optimizer step actually moves the weights by lr * grad.
    assert.equal(await scaler.step(opt, grads), true);
    scaler.update();
    const after = w.dataSync();
    Array.from(after).forEach((v, i) => assert.ok(Math.abs((before[i]! - v) - 1e4 * got[i]!) < 1e-6, `weight ${i}`));
    tf.dispose([value, grads, unscaled, w, x, c]);
  });

  it('a too-large scale overflows float16, the step is skipped and the scale backs off until it fits', async () => {
    // dW = x * c = 1 exactly, so a scaled gradient of 2**k is finite in float16 only for k <= 15 (65504 is the max).
    const w = tf.variable(tf.zeros([1, 1]), true, `w${Math.random()}`);
    const x = tf.tensor2d([[1]]);
    const scaler = new GradScaler({ initScale: 2 ** 20 });
    const opt = tf.train.sgd(0.5);
    const history: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const { value, grads } = autocast('float16', () =>
        tf.variableGrads(() => scaler.scale(tf.sum(tf.matMul(x, w)))));
      history.push(await scaler.step(opt, grads));
      scaler.update();
      tf.dispose([value, grads]);
      if (history[history.length - 1] === true) break;
    }
    assert.deepEqual(history, [false, false, false, false, false, true]); // 2**20 .. 2**16 overflow, 2**15 fits
    assert.equal(scaler.getScale(), 2 ** 15);
    assert.equal(w.dataSync()[0], -0.5);
    tf.dispose([w, x]);
  });
});
