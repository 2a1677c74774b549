// registerReducedPrecisionKernel: a backend's native reduced-precision kernel replaces autocast's emulation inside
// autocast scopes of its dtype on its backend only, in forward and backward passes, and is removed with null.
// The stand-in "native" kernel here computes with a plain-TS bfloat16 reference, so its results are checked against
// the emulation independently.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { autocast, registerReducedPrecisionKernel, roundToDtype } from '../../src/amp/index.js';

let calls = 0;

/** BatchMatMul of rank-3 float32 operands in bfloat16 numerics, by hand: rounded operands, float32 sums, rounded output. */
const bf16MatMul: KernelFunc = ({ inputs, attrs, backend }) => {
  calls++;
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const cpu = backend as unknown as { readSync(id: object): Float32Array; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TensorInfo };
  const av = roundToDtype(cpu.readSync(a.dataId), 'bfloat16');
  const bv = roundToDtype(cpu.readSync(b.dataId), 'bfloat16');
  const rank3 = (shape: number[]): [number, number, number] => (shape.length === 2 ? [1, ...shape] : shape) as [number, number, number];
  const [batch, ar, ac] = rank3(a.shape);
  const [, br, bc] = rank3(b.shape);
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  const out = new Float32Array(batch * m * n);
  for (let s = 0; s < batch; s++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) {
          const x = av[s * ar * ac + (transposeA ? p * ac + i : i * ac + p)] as number;
          const y = bv[s * br * bc + (transposeB ? j * bc + p : p * bc + j)] as number;
          acc = Math.fround(acc + Math.fround(x * y));
        }
        out[(s * m + i) * n + j] = acc;
      }
    }
  }
  return cpu.makeTensorInfo(a.shape.length === 2 ? [m, n] : [batch, m, n], 'float32', roundToDtype(out, 'bfloat16'));
};

function problem(): { x: tf.Tensor2D; w: tf.Tensor2D } {
  const vals = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 3.3);
  return { x: tf.tensor2d(vals(6 * 5, 1), [6, 5]), w: tf.tensor2d(vals(5 * 4, 2), [5, 4]) };
}

/** y = x @ w and the gradients of sum(y * y) under autocast(dtype). */
function run(dtype: 'bfloat16' | 'float16'): Float32Array[] {
  const { x, w } = problem();
  const out = autocast(dtype, () => {
    const y = tf.matMul(x, w);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, b))))([x, w]);
    return [y, dx, dw] as tf.Tensor[];
  });
  const values = out.map((t) => t.dataSync() as Float32Array);
  tf.dispose([...out, x, w]);
  return values;
}

describe('registerReducedPrecisionKernel', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => {
    registerReducedPrecisionKernel('cpu', tf.BatchMatMul, 'bfloat16', null);
  });

  it('replaces the emulation inside autocast of its dtype (forward and backward), with the same numerics', () => {
    const emulated = run('bfloat16');
    registerReducedPrecisionKernel('cpu', tf.BatchMatMul, 'bfloat16', bf16MatMul);
    calls = 0;
    const start = tf.memory().numTensors;
    const native = run('bfloat16');
    assert.equal(calls, 4, 'y, the forward product inside tf.grads, then dx and dw');
    assert.equal(tf.memory().numTensors, start);
    native.forEach((v, i) => {
      const e = emulated[i] as Float32Array;
      v.forEach((got, j) => assert.ok(Math.abs(got - (e[j] as number)) <= 1e-2 * Math.max(1, Math.abs(e[j] as number)),
        `output ${i}[${j}]: native ${got}, emulated ${e[j]}`));
    });
  });

  it('is not used for another dtype, outside autocast, on another backend, or after removal', () => {
    registerReducedPrecisionKernel('cpu', tf.BatchMatMul, 'bfloat16', bf16MatMul);
    calls = 0;
    run('float16');
    const { x, w } = problem();
    tf.matMul(x, w).dispose();
    registerReducedPrecisionKernel('other-backend', tf.BatchMatMul, 'float16', bf16MatMul);
    run('float16');
    assert.equal(calls, 0);
    registerReducedPrecisionKernel('cpu', tf.BatchMatMul, 'bfloat16', null);
    run('bfloat16');
    assert.equal(calls, 0);
    registerReducedPrecisionKernel('other-backend', tf.BatchMatMul, 'float16', null);
    tf.dispose([x, w]);
  });
});
