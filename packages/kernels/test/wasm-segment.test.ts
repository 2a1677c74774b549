// kindling's wasm UnsortedSegmentSum (missing in the stock wasm backend) sums rows by segment id like the cpu
// backend and a plain-TS loop, drops out-of-range ids, and makes embedding (gather) gradients work on wasm.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { assertClose, assertWasmMatchesCpu, rand, randT, leaveFixedWasm, useFixedWasm } from './wasm-helpers.js';

function refSegmentSum(x: Float32Array, rowSize: number, ids: readonly number[], numSegments: number): Float32Array {
  const out = new Float32Array(numSegments * rowSize);
  ids.forEach((id, r) => {
    if (id < 0 || id >= numSegments) return;
    for (let j = 0; j < rowSize; j++) out[id * rowSize + j] = (out[id * rowSize + j] as number) + (x[r * rowSize + j] as number);
  });
  return out;
}

describe('wasm UnsortedSegmentSum', () => {
  before(useFixedWasm);
  after(leaveFixedWasm);

  it('sums rows with repeated ids, leaves empty segments at zero, keeps trailing dimensions', async () => {
    const ids = [3, 0, 3, 5, 0, 0, 6];
    for (const rowShape of [[], [4], [2, 3]]) {
      const shape = [ids.length, ...rowShape];
      const [got] = await assertWasmMatchesCpu(() => tf.unsortedSegmentSum(randT(shape, 1), tf.tensor1d(ids, 'int32'), 8), `rows ${JSON.stringify(rowShape)}`);
      const rowSize = rowShape.reduce((a, b) => a * b, 1);
      assertClose(got ?? new Float32Array(), refSegmentSum(rand(shape, 1), rowSize, ids, 8), 'plain-TS reference');
    }
  });

  it('drops ids outside [0, numSegments) like the cpu backend', async () => {
    const ids = [1, -1, 4, 9, 1, 2];
    const [got] = await assertWasmMatchesCpu(() => tf.unsortedSegmentSum(randT([6, 3], 2), tf.tensor1d(ids, 'int32'), 4), 'out of range');
    assertClose(got ?? new Float32Array(), refSegmentSum(rand([6, 3], 2), 3, ids, 4), 'plain-TS reference');
  });

  it('int32 data', async () => {
    await tf.setBackend('wasm');
    const out = tf.tidy(() => {
      const y = tf.unsortedSegmentSum(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor1d([1, 0, 1], 'int32'), 2);
      return { dtype: y.dtype, values: Array.from(y.dataSync()) };
    });
    assert.deepEqual(out, { dtype: 'int32', values: [3, 4, 6, 8] });
  });

  it('gradient of gather (an embedding lookup) equals the cpu backend, axis 0 and 1', async () => {
    const idx = [[4, 1, 4], [0, 9, 4]];
    await assertWasmMatchesCpu(() => tf.grad((table: tf.Tensor) => tf.sum(tf.square(tf.gather(table, tf.tensor2d(idx, [2, 3], 'int32')))))(randT([10, 5], 3)), 'gather axis 0');
    await assertWasmMatchesCpu(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([2, 0, 2], 'int32'), 1), 2)))(randT([3, 4, 2], 4)), 'gather axis 1');
  });
});
