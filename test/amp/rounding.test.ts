import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { roundToDtype } from '../../src/amp/index.js';
import { roundTensor } from '../../src/amp/device-rounding.js';
import {
  EDGE_CASES, firstMismatch, float16Bits, float16FromBits, randomValues, refBfloat16, refFloat16, refRound, rng, ties,
} from './half-reference.js';

const DTYPES = ['float16', 'bfloat16'] as const;

function inputs(dtype: 'float16' | 'bfloat16', seed: number): Float32Array {
  const random = rng(seed);
  const [minExp, maxExp] = dtype === 'float16' ? [-28, 17] : [-140, 127];
  return Float32Array.from([...EDGE_CASES, ...ties(dtype, 3000, random), ...randomValues(20000, random, minExp, maxExp)]);
}

function explain(values: Float32Array, got: ArrayLike<number>, want: ArrayLike<number>, i: number): string {
  return `at ${i}: input ${values[i]} -> got ${got[i]}, reference ${want[i]}`;
}

describe('reference encoder sanity (checks the test oracle itself)', () => {
  it('knows the binary16 landmarks from the IEEE 754 definition', () => {
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(65504), 0x7bff);
    assert.equal(float16Bits(2 ** -14), 0x0400);
    assert.equal(float16Bits(2 ** -24), 0x0001);
    assert.equal(float16Bits(-2), 0xc000);
    assert.equal(float16Bits(65520), 0x7c00);
    assert.equal(float16Bits(2 ** -25), 0x0000); // tie between 0 and 2**-24 goes to even 0
    assert.equal(float16Bits(3 * 2 ** -25), 0x0002); // tie between 1 and 2 subnormal units goes to 2
    assert.equal(float16FromBits(0x3555), 0.333251953125);
    assert.equal(refFloat16(1 + 2 ** -11), 1);
    assert.equal(refFloat16(1 + 3 * 2 ** -11), 1 + 2 ** -9);
  });

  it('knows the bfloat16 landmarks', () => {
    assert.equal(refBfloat16(1 + 2 ** -8), 1);
    assert.equal(refBfloat16(1 + 3 * 2 ** -8), 1 + 2 ** -6);
    assert.equal(refBfloat16(Math.fround((2 - 2 ** -8) * 2 ** 127)), Infinity);
    assert.equal(refBfloat16(Math.fround(1 / 3)), 0.333984375);
    assert.ok(Number.isNaN(refBfloat16(NaN)));
    assert.ok(Object.is(refBfloat16(-0), -0));
  });
});

describe('roundToDtype (host)', () => {
  for (const dtype of DTYPES) {
    it(`matches the independent ${dtype} encoder on edge cases, ties and random values`, () => {
      const values = inputs(dtype, dtype === 'float16' ? 1 : 2);
      const got = roundToDtype(values, dtype);
      const want = refRound(values, dtype);
      const i = firstMismatch(got, want);
      assert.equal(i, -1, i >= 0 ? explain(values, got, want, i) : '');
    });
  }

  it('keeps NaN, signed zeros and infinities, and does not modify its input', () => {
    const values = new Float32Array([NaN, -0, 0, -Infinity, 1e-9, -1e-9]);
    const copy = values.slice();
    const out = roundToDtype(values, 'float16');
    assert.deepEqual(Array.from(values), Array.from(copy));
    assert.ok(Number.isNaN(out[0]));
    assert.ok(Object.is(out[1], -0) && Object.is(out[2], 0) && Object.is(out[5], -0));
    assert.equal(out[3], -Infinity);
  });

  it('rejects an unknown dtype with a TypeError naming the choices', () => {
    assert.throws(() => roundToDtype(new Float32Array(1), 'float8' as 'float16'), {
      name: 'TypeError',
      message: /'float16' or 'bfloat16', received "float8"/,
    });
  });
});

describe('roundTensor (device ops, cpu backend)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const dtype of DTYPES) {
    it(`matches the independent ${dtype} encoder bit for bit and leaks nothing`, () => {
      const values = inputs(dtype, dtype === 'float16' ? 3 : 4);
      const x = tf.tensor1d(values);
      const before = tf.memory();
      const r = roundTensor(x, dtype);
      const got = r.dataSync();
      r.dispose();
      assert.equal(tf.memory().numTensors, before.numTensors);
      assert.equal(tf.memory().numDataBuffers, before.numDataBuffers);
      x.dispose();
      const want = refRound(values, dtype);
      const i = firstMismatch(got, want);
      assert.equal(i, -1, i >= 0 ? explain(values, got, want, i) : '');
    });
  }

  it('returns a clone of non-float32 tensors', () => {
    const x = tf.tensor1d([1, 2, 3], 'int32');
    const r = roundTensor(x, 'float16');
    assert.equal(r.dtype, 'int32');
    assert.deepEqual(Array.from(r.dataSync()), [1, 2, 3]);
    tf.dispose([x, r]);
  });
});
