// Port of Ignite's tests/ignite/test_utils.py: apply_to_type, apply_to_tensor, to_onehot.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { applyToTensor, applyToType, toOnehot } from '../../src/utils/index.js';

before(async () => {
  await tf.setBackend('cpu');
});

describe('applyToType / applyToTensor', () => {
  it('test_apply_to_type: numbers inside nested lists and dicts are transformed, strings pass through', () => {
    const isNumber = (v: unknown): v is number => typeof v === 'number';
    assert.equal(applyToType(2, isNumber, (n) => n + 1), 3);
    assert.deepEqual(applyToType([1, [2, { a: 3, s: 'x' }]], isNumber, (n) => n * 10), [10, [20, { a: 30, s: 'x' }]]);
    assert.throws(() => applyToType([1, null], isNumber, (n) => n), /input must contain .*dicts or lists; found null/);
  });

  it('test_apply_to_tensor: every tensor of a structure is replaced, the structure kept', () => {
    const n = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2]);
    const out = applyToTensor({ x, list: [x, 'label'] }, (t) => t.arraySync()) as { x: number[]; list: [number[], string] };
    assert.deepEqual(out, { x: [1, 2], list: [[1, 2], 'label'] });
    assert.throws(() => applyToTensor([x, 3], (t) => t), /input must contain Tensor/);
    x.dispose();
    assert.equal(tf.memory().numTensors, n);
  });
});

describe('toOnehot', () => {
  it('test_to_onehot: [N] -> [N, C], [N, H, W] -> [N, C, H, W] with the class on axis 1', () => {
    const n = tf.memory().numTensors;
    const a = tf.tensor1d([0, 2, 1], 'int32');
    const oa = toOnehot(a, 4);
    assert.deepEqual(oa.arraySync(), [[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0]]);
    const b = tf.tensor3d([[[0, 1], [2, 2]]], [1, 2, 2], 'int32');
    const ob = toOnehot(b, 3);
    assert.deepEqual(ob.shape, [1, 3, 2, 2]);
    const arr = ob.arraySync() as number[][][][];
    const idx = b.arraySync();
    for (let h = 0; h < 2; h++) {
      for (let w = 0; w < 2; w++) {
        for (let c = 0; c < 3; c++) assert.equal(arr[0]![c]![h]![w], idx[0]![h]![w] === c ? 1 : 0);
      }
    }
    assert.throws(() => toOnehot(a, 0), RangeError);
    tf.dispose([a, oa, b, ob]);
    assert.equal(tf.memory().numTensors, n);
  });
});
