// The wasm transposed-matmul fix gives the cpu backend's results for every transpose combination, batch
// broadcasting and fused bias/activation, leaks nothing, and uninstalls cleanly.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled } from '../../src/backends/index.js';

function rand(shape: number[], seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1);
}

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function close(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= 1e-4 * (1 + Math.abs(b[i] as number)), `${what} at ${i}: ${a[i]} vs ${b[i]}`);
}

describe('wasm transposed matmul fix', () => {
  before(async () => {
    await tf.setBackend('wasm');
    assert.ok(installWasmFixes());
    assert.ok(wasmFixesInstalled());
  });
  after(() => uninstallWasmFixes());

  it('matches the cpu backend for all transpose combinations, odd sizes and batch broadcasting', async () => {
    const cases: [number[], number[], boolean, boolean][] = [
      [[7, 5], [5, 3], false, false], [[5, 7], [5, 3], true, false], [[7, 5], [3, 5], false, true], [[5, 7], [3, 5], true, true],
      [[2, 33, 17], [2, 17, 9], false, false], [[2, 17, 33], [2, 17, 9], true, false], [[2, 33, 17], [2, 9, 17], false, true],
      [[3, 17, 33], [1, 9, 17], true, true], [[1, 64, 1], [4, 64, 5], true, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const run = (): Float32Array => tf.tidy(() => tf.matMul(tf.tensor(rand(sa, 1), sa), tf.tensor(rand(sb, 2), sb), ta, tb).dataSync() as Float32Array);
      close(await on('wasm', run), await on('cpu', run), `${JSON.stringify([sa, sb, ta, tb])}`);
    }
  });

  it('fused matmul with bias and activations matches the cpu backend', async () => {
    for (const activation of ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu'] as const) {
      for (const [ta, tb] of [[false, true], [true, false], [true, true]] as const) {
        const run = (): Float32Array => tf.tidy(() => {
          const a = ta ? tf.tensor(rand([6, 4], 3), [6, 4]) : tf.tensor(rand([4, 6], 3), [4, 6]);
          const b = tb ? tf.tensor(rand([5, 6], 4), [5, 6]) : tf.tensor(rand([6, 5], 4), [6, 5]);
          return tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: tf.tensor1d(rand([5], 5)), activation }).dataSync() as Float32Array;
        });
        close(await on('wasm', run), await on('cpu', run), `${activation} ${ta} ${tb}`);
      }
    }
  });

  it('gradients of a dense network match the cpu backend; nothing leaks', async () => {
    const grads = (): Float32Array[] => tf.tidy(() => {
      const w1 = tf.variable(tf.tensor(rand([12, 8], 6), [12, 8]), true, `w1_${tf.getBackend()}_${Math.random()}`);
      const x = tf.tensor(rand([5, 12], 7), [5, 12]);
      const { grads: g } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.relu(tf.matMul(x, w1))), [w1]);
      const out = Object.values(g).map((t) => t.dataSync() as Float32Array);
      w1.dispose();
      return out;
    });
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = grads();
    assert.equal(tf.memory().numTensors, before);
    const cpu = await on('cpu', grads);
    close(wasm[0] as Float32Array, cpu[0] as Float32Array, 'dense gradient');
  });

  it('uninstall restores the stock kernels and install is idempotent', () => {
    const fixed = tf.getKernel(tf.BatchMatMul, 'wasm');
    installWasmFixes();
    assert.equal(tf.getKernel(tf.BatchMatMul, 'wasm'), fixed);
    uninstallWasmFixes();
    assert.notEqual(tf.getKernel(tf.BatchMatMul, 'wasm')?.kernelFunc, fixed?.kernelFunc);
    assert.ok(!wasmFixesInstalled());
    installWasmFixes();
  });
});

describe('wasm Conv2DBackpropFilter (missing in tfjs-backend-wasm, tensorflow/tfjs#8474)', () => {
  before(async () => {
    await tf.setBackend('wasm');
    installWasmFixes();
  });
  after(() => uninstallWasmFixes());

  it('matches the cpu backend for strides, same/valid/explicit padding and odd sizes', async () => {
    const cases: [number[], number[], number | [number, number], 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]][] = [
      [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'valid'],
      [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same'],
      [[1, 10, 7, 2], [3, 2, 2, 5], 2, 'same'],
      [[1, 11, 11, 2], [5, 5, 2, 3], [2, 3], 'valid'],
      [[2, 8, 8, 1], [3, 3, 1, 2], 1, [[0, 0], [1, 2], [2, 1], [0, 0]]],
    ];
    for (const [xs, fs, strides, pad] of cases) {
      const run = (): Float32Array => tf.tidy(() => {
        const x = tf.tensor4d(rand(xs, 11), xs as [number, number, number, number]);
        const f = tf.variable(tf.tensor(rand(fs, 12), fs), true, `f${Math.random()}`);
        const { grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(tf.conv2d(x, f as tf.Tensor4D, strides, pad), 1.5)), [f]);
        const out = Object.values(grads)[0]?.dataSync() as Float32Array;
        f.dispose();
        return out;
      });
      close(await on('wasm', run), await on('cpu', run), JSON.stringify([xs, fs, strides, pad]));
    }
  });

  it('a small CNN trains on wasm without leaks', async () => {
    await tf.setBackend('wasm');
    const f = tf.variable(tf.tensor(rand([3, 3, 1, 4], 13), [3, 3, 1, 4]));
    const x = tf.tensor4d(rand([4, 12, 12, 1], 14), [4, 12, 12, 1]);
    const opt = tf.train.sgd(0.01);
    const loss = (): tf.Scalar => tf.mean<tf.Scalar>(tf.square(tf.maxPool(tf.relu(tf.conv2d(x, f as tf.Tensor4D, 1, 'same')), 2, 2, 'valid')));
    const before = tf.memory().numTensors;
    const first = tf.tidy(() => loss().dataSync()[0] as number);
    for (let i = 0; i < 5; i++) opt.minimize(loss);
    const last = tf.tidy(() => loss().dataSync()[0] as number);
    assert.ok(last < first, `loss decreased: ${first} -> ${last}`);
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
    tf.dispose([f, x]);
  });
});
