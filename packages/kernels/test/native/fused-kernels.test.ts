// The fused loss and gradient kernels of 'kindling-native'. crossEntropyLoss runs the fused sparse softmax
// cross-entropy: its values and its gradient with respect to the logits equal the unfused computation on the cpu
// backend for every reduction, with ignored samples, large logits and odd sizes; one fused kernel forward (mean and
// sum included, bit-identical to reducing the per-sample losses);
// out-of-range labels still fail; no leaks. Relu's gradient runs one fused kernel, bit-identical to TensorFlow.js's
// Step and Multiply, NaN and infinities included.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // TensorFlow.js's own gradients (Mean, Sum, ...)
import { installKernels } from '../../src/index.js';
import { NATIVE_BACKEND_NAME } from '../../src/node.js';
import { FUSED_GRADIENT_KERNELS, FUSED_LOSS_KERNELS } from '../../src/contract.js';
import { crossEntropyLoss } from '../../../../src/training/losses.js';
import type { LossOptions } from '../../../../src/training/losses.js';
import { assertClose, rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

installKernels(); // kindling's Relu gradient (the fused kernel where registered)

/** Loss and d(loss)/d(logits) on `backend` for logits `[n, c]` (scaled by `scale`) and the given labels. */
async function lossAndGrad(backend: string, n: number, c: number, labels: number[], options: LossOptions, scale = 3): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const logits = tf.mul(tf.tensor(rand([n, c], n + c), [n, c]), scale);
    const y = tf.tensor1d(labels, 'int32');
    // 'none' gives [n] losses: differentiate their weighted sum so every row's gradient is checked
    const weights = tf.tensor1d(Array.from({ length: n }, (_, i) => 1 + (i % 3)));
    const f = (x: tf.Tensor): tf.Scalar => {
      const l = crossEntropyLoss(x, y, options);
      return (l.rank === 0 ? l : tf.sum(tf.mul(l, weights))) as tf.Scalar;
    };
    const value = crossEntropyLoss(logits, y, options);
    const grad = tf.grad(f)(logits);
    return [Float32Array.from(value.dataSync()), Float32Array.from(grad.dataSync())] as [Float32Array, Float32Array];
  });
}

const labelsFor = (n: number, c: number, ignore?: number): number[] =>
  Array.from({ length: n }, (_, i) => (ignore !== undefined && i % 4 === 1 ? ignore : (i * 7) % c));

describe('kindling-native fused cross-entropy', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);

  for (const [n, c] of [[1, 2], [7, 10], [300, 129]] as const) {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      it(`[${n}, ${c}] reduction ${reduction}: values and gradients equal the unfused cpu computation`, async () => {
        const native = await lossAndGrad(NATIVE_BACKEND_NAME, n, c, labelsFor(n, c), { reduction });
        const cpu = await lossAndGrad('cpu', n, c, labelsFor(n, c), { reduction });
        assertClose(native[0], cpu[0], 'loss', 1e-5);
        assertClose(native[1], cpu[1], 'gradient', 1e-5);
      });
    }
  }

  it('ignored samples (default and custom ignoreIndex) count in neither the loss nor the gradient', async () => {
    for (const [ignore, options] of [[-100, {}], [3, { ignoreIndex: 3 }]] as const) {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const labels = labelsFor(12, 5, ignore);
        const native = await lossAndGrad(NATIVE_BACKEND_NAME, 12, 5, labels, { ...options, reduction });
        const cpu = await lossAndGrad('cpu', 12, 5, labels, { ...options, reduction });
        assertClose(native[0], cpu[0], `loss ignore ${ignore} ${reduction}`, 1e-5);
        assertClose(native[1], cpu[1], `gradient ignore ${ignore} ${reduction}`, 1e-5);
      }
    }
  });

  it('is stable for large logits (no overflow), like the unfused log-softmax', async () => {
    const native = await lossAndGrad(NATIVE_BACKEND_NAME, 5, 4, labelsFor(5, 4), {}, 400);
    const cpu = await lossAndGrad('cpu', 5, 4, labelsFor(5, 4), {}, 400);
    assert.ok(native[0].every(Number.isFinite) && native[1].every(Number.isFinite));
    assertClose(native[0], cpu[0], 'loss', 1e-5);
    assertClose(native[1], cpu[1], 'gradient', 1e-5);
  });

  it('runs one fused kernel instead of the log-softmax and one-hot ops, and leaks nothing', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const logits = tf.tensor(rand([8, 10], 1), [8, 10]), y = tf.tensor1d(labelsFor(8, 10), 'int32');
    const profile = await tf.profile(() => crossEntropyLoss(logits, y));
    const names = profile.kernels.map((k) => k.name);
    assert.equal(names.filter((k) => k === FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy).length, 1, names.join(','));
    assert.ok(!names.includes('OneHot') && !names.includes('Exp') && !names.includes('Mean'), names.join(','));
    const v = tf.variable(tf.clone(logits));
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => crossEntropyLoss(tf.mul(v, 2), y) as tf.Scalar, [v]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([logits, y, v]);
  });

  it('mean and sum in the kernel: bit-identical to tf.mean / tf.sum of the per-sample losses, values and gradients', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    for (const reduction of ['mean', 'sum'] as const) {
      for (const [n, c] of [[1, 3], [64, 10], [301, 7]] as const) {
        for (const dy of [1, 0.37]) {
          tf.tidy(() => {
            const logits = tf.mul(tf.tensor(rand([n, c], n * c), [n, c]), 4), y = tf.tensor1d(labelsFor(n, c), 'int32');
            const fused = (x: tf.Tensor): tf.Scalar => crossEntropyLoss(x, y, { reduction }) as tf.Scalar;
            const twoStep = (x: tf.Tensor): tf.Scalar => {
              const perSample = crossEntropyLoss(x, y, { reduction: 'none' });
              return reduction === 'mean' ? tf.mean(perSample) : tf.sum(perSample);
            };
            const what = `${reduction} [${n}, ${c}] dy ${dy}`;
            const bits = (t: tf.Tensor): Buffer => Buffer.from(Float32Array.from(t.dataSync()).buffer);
            assert.deepEqual(bits(fused(logits)), bits(twoStep(logits)), `${what}: loss`);
            const scaled = (f: (x: tf.Tensor) => tf.Scalar) => (x: tf.Tensor): tf.Scalar => tf.mul(f(x), dy);
            assert.deepEqual(bits(tf.grad(scaled(fused))(logits)), bits(tf.grad(scaled(twoStep))(logits)), `${what}: gradient`);
          });
        }
      }
    }
  });

  it('still rejects out-of-range labels with the unfused message', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const logits = tf.zeros([3, 4]), y = tf.tensor1d([0, 4, 1], 'int32');
    assert.throws(() => crossEntropyLoss(logits, y), /target 4 at position 1 is out of bounds: class indices should be in \[0, 4\)/);
    tf.dispose([logits, y]);
  });

  it('Relu gradient: one fused kernel, bit-identical to Step and Multiply on cpu (NaN, inf, 0, odd sizes)', async () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 5, -5];
    const grad = async (backend: string, n: number): Promise<{ values: Float32Array; kernels: string[] }> => {
      await tf.setBackend(backend);
      const xs = Float32Array.from(rand([n], n), (v, i) => special[i % special.length]! * (i % 2 === 0 ? 1 : v));
      const dys = Float32Array.from(rand([n], n + 1), (v, i) => (i % 7 === 3 ? Infinity : v));
      const x = tf.tensor1d(xs), dy = tf.tensor1d(dys);
      let values = new Float32Array(0);
      const profile = await tf.profile(() => {
        const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy));
        values = Float32Array.from(g.dataSync());
        g.dispose();
      });
      tf.dispose([x, dy]);
      return { values, kernels: profile.kernels.map((k) => k.name) };
    };
    for (const n of [9, 1000, 70001]) {
      const native = await grad(NATIVE_BACKEND_NAME, n);
      const cpu = await grad('cpu', n);
      assert.ok(native.kernels.includes(FUSED_GRADIENT_KERNELS.reluGrad) && !native.kernels.includes('Step'), native.kernels.join(','));
      assert.ok(cpu.kernels.includes('Step'), 'cpu keeps the unfused gradient');
      assert.equal(Buffer.compare(Buffer.from(native.values.buffer), Buffer.from(cpu.values.buffer)), 0, `n=${n}: differs from Step and Multiply`);
    }
  });
});
