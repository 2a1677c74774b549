import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NdArray, defaultCollate } from '../../src/data/index.js';

function check(t: unknown, shape: number[], dtype: string, values: number[]): void {
  assert.ok(t instanceof tf.Tensor, 'expected a tensor');
  assert.deepEqual(t.shape, shape);
  assert.equal(t.dtype, dtype);
  const got = Array.from(t.dataSync());
  got.forEach((v, i) => assert.ok(Math.abs(v - (values[i] as number)) < 1e-6, `value ${i}: ${v} vs ${values[i]}`));
  assert.equal(got.length, values.length);
}

describe('defaultCollate', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('keeps [x, y] pairs and stacks each position; integers become int32, others float32', () => {
    const before = tf.memory().numTensors;
    const batch = defaultCollate([[[0.5, 1], 1], [[2, 3], 0]]) as tf.Tensor[];
    assert.ok(Array.isArray(batch) && batch.length === 2);
    check(batch[0], [2, 2], 'float32', [0.5, 1, 2, 3]);
    check(batch[1], [2], 'int32', [1, 0]);
    tf.dispose(batch);
    const scalars = defaultCollate([[0.5, 2], [1.5, 3]]) as tf.Tensor[];
    check(scalars[0], [2], 'float32', [0.5, 1.5]);
    check(scalars[1], [2], 'int32', [2, 3]);
    tf.dispose(scalars);
    assert.equal(tf.memory().numTensors, before);
  });

  it('keeps objects as objects, stacks tensors, typed arrays, NdArrays and booleans; keeps strings', () => {
    const a = tf.tensor([1, 2, 3]);
    const b = tf.tensor([4, 5, 6]);
    const out = defaultCollate([
      { img: new NdArray(new Uint8Array([1, 2, 3, 4]), [2, 2]), t: a, f: new Float32Array([0.5]), ok: true, name: 'a' },
      { img: new NdArray(new Uint8Array([5, 6, 7, 8]), [2, 2]), t: b, f: new Float32Array([1.5]), ok: false, name: 'b' },
    ]) as Record<string, unknown>;
    check(out['img'], [2, 2, 2], 'int32', [1, 2, 3, 4, 5, 6, 7, 8]);
    check(out['t'], [2, 3], 'float32', [1, 2, 3, 4, 5, 6]);
    check(out['f'], [2, 1], 'float32', [0.5, 1.5]);
    assert.deepEqual((out['ok'] as tf.Tensor).arraySync(), [1, 0]);
    assert.equal((out['ok'] as tf.Tensor).dtype, 'bool');
    assert.deepEqual(out['name'], ['a', 'b']);
    assert.equal(a.isDisposed, false, 'input tensors are not disposed');
    tf.dispose([a, b, out['img'] as tf.Tensor, out['t'] as tf.Tensor, out['f'] as tf.Tensor, out['ok'] as tf.Tensor]);
  });

  it('names the dataset indices and both shapes on a wrong-shaped sample, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    assert.throws(
      () => defaultCollate([[[1, 2], 0], [[1, 2], 1], [[1, 2, 3], 1]], [10, 11, 12]),
      (e: unknown) =>
        e instanceof RangeError &&
        /index 12/.test(e.message) &&
        /\[3\]/.test(e.message) &&
        /index 10/.test(e.message) &&
        /\[2\]/.test(e.message) &&
        /batch\[0\]/.test(e.message),
    );
    const t1 = tf.zeros([2, 2]);
    const t2 = tf.zeros([3, 2]);
    assert.throws(() => defaultCollate([[t1, 1], [t2, 2]], [4, 7]), /index 7 has shape \[3, 2\].*index 4 has shape \[2, 2\]/);
    assert.throws(
      () => defaultCollate([new NdArray(new Float32Array(4), [2, 2]), new NdArray(new Float32Array(4), [4])], [0, 1]),
      /index 1 has shape \[4\]/,
    );
    tf.dispose([t1, t2]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('rejects mixed structures and unsupported values with a TypeError', () => {
    assert.throws(() => defaultCollate([{ a: 1 }, { b: 1 }]), /keys/);
    assert.throws(() => defaultCollate([[1, 2], [1, 'x']]), TypeError);
    assert.throws(() => defaultCollate([[1, 2], [1, 2, 3]]), /equal size/);
    assert.throws(() => defaultCollate([null, null]), TypeError);
    assert.throws(() => defaultCollate([]), RangeError);
  });
});
