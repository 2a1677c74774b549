/**
 * The fused sparse softmax cross-entropy kernels (kindling's wasm kernel, and the native one when built) at the upper
 * label boundary: a label equal to the class count is out of range, exactly like -1 — zero loss and a zero gradient
 * row — and never reads the logits past the row. Written for the mutation audit (`<` turned into `<=`).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FUSED_LOSS_KERNELS, installKernels } from '@kindling/kernels';

const KERNEL = FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy;

before(async () => {
  installKernels();
  assert.ok(await tf.setBackend('wasm'), 'the wasm backend failed to initialise');
  await tf.ready();
});

/** Plain-TS reference: loss and gradient row of one sample, with labels outside [0, C) contributing nothing. */
function reference(row: number[], label: number): { loss: number; grad: number[] } {
  if (label < 0 || label >= row.length) return { loss: 0, grad: row.map(() => 0) };
  const max = Math.max(...row);
  const logSum = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
  return { loss: logSum - row[label]!, grad: row.map((v, c) => Math.exp(v - logSum) - (c === label ? 1 : 0)) };
}

describe('fused sparse softmax cross-entropy: label boundary', () => {
  it('label === numClasses gives a zero loss and a zero gradient row, like label -1; label numClasses - 1 is counted', () => {
    assert.ok(tf.getKernel(KERNEL, 'wasm') !== undefined, 'kindling registers the fused kernel on wasm');
    const rows = [[0.5, -1, 2], [3, 0.25, -0.5], [1, 1, 1], [-2, 0, 4]];
    // Rows 0 and 2 have out-of-range labels; the row after row 0 has large logits, so reading past the row shows.
    const labels = [3, 2, -1, 3];
    const n = tf.memory().numTensors;
    const logits = tf.tensor2d(rows);
    const ids = tf.tensor1d(labels, 'int32');
    const [loss, backprop] = tf.engine().runKernel(KERNEL, { logits, labels: ids }, { reduction: 'none' }) as unknown as [tf.Tensor, tf.Tensor];
    const gotLoss = Array.from(loss.dataSync());
    const gotGrad = backprop.arraySync() as number[][];
    rows.forEach((row, i) => {
      const ref = reference(row, labels[i]!);
      assert.ok(Math.abs(gotLoss[i]! - ref.loss) < 1e-5, `loss of row ${i}: ${gotLoss[i]} vs ${ref.loss}`);
      ref.grad.forEach((g, c) => assert.ok(Math.abs(gotGrad[i]![c]! - g) < 1e-5, `grad[${i}][${c}]: ${gotGrad[i]![c]} vs ${g}`));
    });
    assert.equal(gotLoss[0], 0);
    assert.equal(gotLoss[3], 0);
    tf.dispose([logits, ids, loss, backprop]);
    assert.equal(tf.memory().numTensors, n);
  });
});
