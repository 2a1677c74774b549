// Training on 'kindling-native': the gradients of an MLP and of a small CNN equal the cpu backend's, tfjs-layers
// models train with SGD momentum and Adam without leaking tensors, and the bfloat16 matmul kernels match
// autocast's emulated bfloat16 numerics.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NATIVE_BACKEND_NAME, nativeBf16KernelFunc } from '../../src/node.js';
import { roundToDtype } from '../../../../src/amp/host-rounding.js';
import { loadNativeAddon } from '../../src/node/native/addon.js';
import { autocast, reducedPrecisionKernel, registerReducedPrecisionKernel } from '../../../../src/amp/autocast.js';
import { assertClose, rand, randT, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

/** Gradients of `loss` w.r.t. fresh variables holding `init`, on `backend`. */
async function gradsOn(backend: string, init: Record<string, [number[], number]>, loss: (v: Record<string, tf.Variable>) => tf.Scalar): Promise<Record<string, Float32Array>> {
  await tf.setBackend(backend);
  const vars: Record<string, tf.Variable> = {};
  for (const [name, [shape, seed]] of Object.entries(init)) vars[name] = tf.variable(tf.tensor(rand(shape, seed), shape), true, `${name}_${backend}_${Math.random()}`);
  const { value, grads } = tf.variableGrads(() => loss(vars));
  const out: Record<string, Float32Array> = { loss: Float32Array.from(value.dataSync()) };
  for (const [name, g] of Object.entries(grads)) out[name.split('_')[0]!] = Float32Array.from(g.dataSync());
  tf.dispose([value, ...Object.values(grads), ...Object.values(vars)]);
  return out;
}

/**
 * Softmax cross-entropy from plain ops: tf.losses.softmaxCrossEntropy is a customGrad op that TensorFlow.js's
 * own leak check (IS_TEST) flags under a gradient tape on every backend, cpu included.
 */
function xent(labels: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(labels, logits), 1)));
}

async function assertGradsMatch(init: Record<string, [number[], number]>, loss: (v: Record<string, tf.Variable>) => tf.Scalar, what: string): Promise<void> {
  const native = await gradsOn(NATIVE_BACKEND_NAME, init, loss);
  const cpu = await gradsOn('cpu', init, loss);
  await tf.setBackend(NATIVE_BACKEND_NAME);
  assert.deepEqual(Object.keys(native).sort(), Object.keys(cpu).sort());
  for (const k of Object.keys(cpu)) assertClose(native[k]!, cpu[k]!, `${what} ${k}`, 1e-4);
}

describe('training on kindling-native', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);

  it('MLP gradients equal the cpu backend', async () => {
    const init: Record<string, [number[], number]> = { w1: [[20, 16], 1], b1: [[16], 2], w2: [[16, 12], 3], b2: [[12], 4], w3: [[12, 5], 5], b3: [[5], 6] };
    await assertGradsMatch(init, (v) => {
      const x = randT([8, 20], 7);
      const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32'), 5);
      const h1 = tf.relu(tf.add(tf.matMul(x, v.w1!), v.b1!));
      const h2 = tf.sigmoid(tf.add(tf.matMul(h1, v.w2!), v.b2!));
      const logits = tf.fused.matMul({ a: h2, b: v.w3!, bias: v.b3!, activation: 'linear' });
      return xent(y, logits);
    }, 'mlp');
  });

  it('CNN gradients equal the cpu backend', async () => {
    const init: Record<string, [number[], number]> = { k1: [[3, 3, 1, 4], 1], c1: [[4], 2], k2: [[3, 3, 4, 6], 3], c2: [[6], 4], w: [[24, 3], 5], b: [[3], 6] };
    await assertGradsMatch(init, (v) => {
      const x = randT([3, 12, 12, 1], 7) as tf.Tensor4D;
      const y = tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 3);
      const a1 = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, v.k1 as tf.Tensor4D, 1, 'valid'), v.c1!)) as tf.Tensor4D, 2, 2, 'valid');
      const a2 = tf.avgPool(tf.relu(tf.add(tf.conv2d(a1, v.k2 as tf.Tensor4D, 1, 'same'), v.c2!)) as tf.Tensor4D, 2, 2, 'valid');
      const logits = tf.add(tf.matMul(tf.reshape(a2, [3, 24]), v.w!), v.b!);
      return xent(y, logits);
    }, 'cnn');
  });

  it('tfjs-layers models train with SGD momentum and Adam without leaking tensors', () => {
    const model = tfl.sequential({ layers: [
      tfl.layers.conv2d({ inputShape: [10, 10, 1], filters: 4, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.flatten(),
      tfl.layers.dense({ units: 16, activation: 'relu' }), tfl.layers.dense({ units: 3 }),
    ] });
    tf.env().set('IS_TEST', false); // softmaxCrossEntropy's customGrad trips TensorFlow.js's leak check on any backend
    const x = randT([6, 10, 10, 1], 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    for (const opt of [tf.train.momentum(0.05, 0.9), tf.train.adam(0.01)]) {
      const step = (): number => {
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
        const v = loss?.dataSync()[0] ?? NaN;
        tf.dispose(loss ?? []);
        return v;
      };
      const first = step();
      const tensors = tf.memory().numTensors;
      let last = first;
      for (let i = 0; i < 15; i++) last = step();
      assert.equal(tf.memory().numTensors, tensors, 'numTensors unchanged across steps');
      assert.ok(last < first, `loss decreases (${first} -> ${last})`);
      opt.dispose();
    }
    tf.dispose([x, y]);
    model.dispose();
    tf.env().set('IS_TEST', true);
  });

  it('bfloat16 matmul kernels match autocast\'s rounding: operands and output rounded, float32 accumulation', () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const [m, k, n] = [9, 70, 13];
      const a = rand(ta ? [k, m] : [m, k], 3), b = rand(tb ? [n, k] : [k, n], 4);
      const ra = roundToDtype(a, 'bfloat16'), rb = roundToDtype(b, 'bfloat16');
      const f = nativeBf16KernelFunc('BatchMatMul');
      assert.ok(f !== null);
      const out = tf.tidy(() => {
        const ai = tf.tensor(a, ta ? [k, m] : [m, k]), bi = tf.tensor(b, tb ? [n, k] : [k, n]);
        const info = f({ inputs: { a: ai, b: bi }, backend: tf.backend(), attrs: { transposeA: ta, transposeB: tb } }) as tf.TensorInfo;
        return tf.engine().makeTensorFromTensorInfo(info).dataSync();
      });
      // Reference: float64 products of the rounded operands, rounded to bfloat16.
      const ref = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += ra[ta ? q * m + i : i * k + q]! * rb[tb ? j * k + q : q * n + j]!;
        ref[i * n + j] = s;
      }
      const expected = roundToDtype(ref, 'bfloat16');
      for (let i = 0; i < out.length; i++) {
        assert.equal(roundToDtype(new Float32Array([out[i]!]), 'bfloat16')[0], out[i], 'output is a bfloat16 value');
        assert.ok(Math.abs(out[i]! - expected[i]!) <= Math.abs(expected[i]!) * 2 ** -7 + 1e-6, `${ta} ${tb} at ${i}: ${out[i]} vs ${expected[i]}`);
      }
    }
  });

  it('bfloat16 rounding of large arrays (split over the thread pool) is bit-identical to autocast\'s', () => {
    const addon = loadNativeAddon();
    assert.ok(addon !== null);
    const n = 300_007;
    const x = rand([n], 21).map((v, i) => v * 2 ** ((i % 60) - 30));
    x.set([Number.NaN, -Number.NaN, Infinity, -Infinity, 0, -0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38, 1e-40], n - 10);
    const expected = roundToDtype(x, 'bfloat16');
    const got = Float32Array.from(x);
    addon.roundBf16(got);
    assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(Float32Array.from(expected).buffer));
  });

  it('registerNativeBackend wires them into autocast, replacing the emulation with the same results', () => {
    for (const name of ['BatchMatMul', '_FusedMatMul']) {
      assert.ok(reducedPrecisionKernel(NATIVE_BACKEND_NAME, name, 'bfloat16') !== undefined, `${name} registered`);
      assert.equal(reducedPrecisionKernel(NATIVE_BACKEND_NAME, name, 'float16'), undefined, `${name}: float16 stays emulated`);
    }
    const a = randT([16, 40], 5), b = randT([40, 24], 6), bias = randT([24], 7);
    const run = (): Float32Array => autocast('bfloat16', () => tf.tidy(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }).dataSync() as Float32Array));
    const native = run();
    for (const name of ['BatchMatMul', '_FusedMatMul']) registerReducedPrecisionKernel(NATIVE_BACKEND_NAME, name, 'bfloat16', null);
    try {
      const emulated = run();
      assertClose(native, emulated, 'autocast native vs emulated', 2 ** -7);
    } finally {
      for (const name of ['BatchMatMul', '_FusedMatMul']) registerReducedPrecisionKernel(NATIVE_BACKEND_NAME, name, 'bfloat16', nativeBf16KernelFunc(name));
    }
    tf.dispose([a, b, bias]);
  });
});
