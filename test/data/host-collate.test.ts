import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { defaultCollate } from '../../src/data/collate.js';
import { NdArray } from '../../src/data/nd-array.js';
import { hostCollate, hostTransferables } from '../../src/data/host-collate.js';
import { materializeHostBatch } from '../../src/data/worker-loader.js';

/** Replaces every tensor by { dtype, shape, values } so two batches compare with deepEqual. */
function plain(batch: unknown): unknown {
  if (batch instanceof tf.Tensor) return { dtype: batch.dtype, shape: batch.shape as number[], values: Array.from(batch.dataSync() as ArrayLike<number>) };
  if (Array.isArray(batch)) return batch.map(plain);
  if (typeof batch === 'object' && batch !== null) return Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, plain(v)]));
  return batch;
}

describe('hostCollate', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('makes, once materialised, exactly what defaultCollate makes (dtypes, shapes, structure), leak-free', () => {
    const samples = [0, 1, 2].map((i) => ({
      image: new NdArray(Uint8Array.of(i, i + 1, i + 2, i + 3), [2, 2, 1]),
      feats: Float32Array.of(i / 2, i / 3),
      nested: [[i, i + 1]],
      pair: [i % 2 === 0, `name${i}`],
      label: i,
      weight: i + 0.5,
    }));
    const before = tf.memory().numTensors;
    const expected = defaultCollate(samples, [4, 5, 6]);
    const host = hostCollate(samples, [4, 5, 6]);
    assert.equal(hostTransferables(host).length, 6); // one buffer per tensor position
    const got = materializeHostBatch(host);
    assert.deepEqual(plain(got), plain(expected));
    tf.dispose([expected, got] as unknown as tf.Tensor[]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('reports shape and structure mismatches with both dataset indices, like defaultCollate', () => {
    const bad = [Float32Array.of(1, 2), Float32Array.of(1, 2, 3)];
    assert.throws(() => hostCollate(bad, [10, 11]), { name: 'RangeError', message: /index 11 has shape \[3\] at batch, but the sample at index 10 has shape \[2\]/ });
    assert.throws(() => hostCollate([[1, 'a'], [2, 3]], [0, 1]), TypeError);
    assert.throws(() => hostCollate([{ x: 1 }, { y: 1 }], [0, 1]), /has keys \[y\]/);
    assert.throws(() => hostCollate([new Map()], [0]), /in a DataLoader worker/);
    assert.throws(() => hostCollate([], []), RangeError);
  });
});
