// kindling's fused sparse softmax cross-entropy on wasm (src/backends/wasm-losses.ts, registered by
// installWasmFixes, used by crossEntropyLoss on class indices): values and gradients equal the unfused computation
// on cpu within float32 rounding for every reduction and several sizes, ignored samples count in neither, large
// logits do not overflow, one kernel forward, no leaks, bad inputs are named.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { installWasmFixes } from '../src/index.js';
import { FUSED_LOSS_KERNELS } from '../src/contract.js';
import { crossEntropyLoss } from '../../../src/training/losses.js';
import { WASM_FUSED_LOSS_MAX_SIZE } from '../src/wasm/losses.js';
import { assertClose, rand } from './wasm-helpers.js';

/** The unfused reference: mean/sum/none of -logSoftmax[label], on the cpu backend. */
function reference(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: 'none' | 'mean' | 'sum'): tf.Tensor {
  const per = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(labels, logits.shape[1])), 1));
  return reduction === 'none' ? per : reduction === 'mean' ? tf.mean(per) : tf.sum(per);
}

async function lossAndGrad(backend: string, n: number, c: number, reduction: 'none' | 'mean' | 'sum', scale = 1): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const logits = tf.tensor2d(rand([n, c], n + c).map((v) => v * scale), [n, c]);
    const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % c), 'int32');
    const dy = reduction === 'none' ? tf.tensor1d(rand([n], 3)) : tf.scalar(0.7);
    const f = (l: tf.Tensor): tf.Tensor => backend === 'cpu'
      ? reference(l as tf.Tensor2D, labels, reduction)
      : crossEntropyLoss(l, labels, { reduction });
    const { value, grad } = tf.valueAndGrad(f)(logits, dy);
    return [value, grad].map((t) => Float32Array.from(t.dataSync()));
  });
}

describe('fused cross-entropy on wasm', () => {
  before(async () => {
    assert.ok(installWasmFixes());
    await tf.setBackend('wasm');
  });

  for (const [n, c] of [[1, 2], [64, 10], [37, 101]] as const) {
    for (const reduction of ['none', 'mean', 'sum'] as const) {
      it(`[${n}, ${c}] reduction ${reduction}: loss and gradient equal the unfused cpu computation`, async () => {
        const wasm = await lossAndGrad('wasm', n, c, reduction);
        const cpu = await lossAndGrad('cpu', n, c, reduction);
        assertClose(wasm[0]!, cpu[0]!, 'loss', 1e-5);
        assertClose(wasm[1]!, cpu[1]!, 'gradient', 1e-5);
      });
    }
  }

  it('is stable for large logits (no overflow)', async () => {
    const wasm = await lossAndGrad('wasm', 8, 5, 'mean', 500);
    const cpu = await lossAndGrad('cpu', 8, 5, 'mean', 500);
    assert.ok(wasm.every((v) => v.every(Number.isFinite)));
    assertClose(wasm[0]!, cpu[0]!, 'loss', 1e-5);
    assertClose(wasm[1]!, cpu[1]!, 'gradient', 1e-5);
  });

  it('an ignored sample (label outside [0, classes)) has no loss and no gradient', async () => {
    await tf.setBackend('wasm');
    const logits = tf.tensor2d(rand([3, 4], 9), [3, 4]);
    const labels = tf.tensor1d([1, -1, 3], 'int32');
    const [loss, backprop] = tf.engine().runKernel(FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy, { logits, labels }, { reduction: 'none' }) as unknown as tf.Tensor[];
    assert.equal(loss!.dataSync()[1], 0);
    assert.deepEqual(Array.from(backprop!.dataSync().slice(4, 8)), [0, 0, 0, 0]);
    assert.ok(loss!.dataSync()[0]! > 0 && loss!.dataSync()[2]! > 0);
    tf.dispose([logits, labels, loss!, backprop!]);
  });

  it('one kernel forward, and no tensor or wasm buffer leaks over steps', async () => {
    await tf.setBackend('wasm');
    const logits = tf.variable(tf.tensor2d(rand([64, 10], 4), [64, 10]));
    const labels = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32');
    const forward = await tf.profile(() => crossEntropyLoss(logits, labels));
    assert.deepEqual(forward.kernels.map((k) => k.name), [FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy]);
    const step = (): void => { const { value, grads } = tf.variableGrads(() => crossEntropyLoss(logits, labels) as tf.Scalar, [logits]); tf.dispose([value, grads]); };
    step();
    const data = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
    const tensors = tf.memory().numTensors, ids = data.numDataIds();
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(data.numDataIds(), ids);
    tf.dispose([logits, labels]);
  });

  it(`logits larger than ${WASM_FUSED_LOSS_MAX_SIZE} elements take the unfused path (vectorised kernels are faster there)`, async () => {
    await tf.setBackend('wasm');
    const n = 70, c = Math.ceil(WASM_FUSED_LOSS_MAX_SIZE / 70) + 1;
    const logits = tf.tensor2d(rand([n, c], 12), [n, c]);
    const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 13) % c), 'int32');
    const big = await tf.profile(() => crossEntropyLoss(logits, labels));
    assert.ok(!big.kernels.some((k) => k.name === FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy));
    const wasm = Float32Array.from((crossEntropyLoss(logits, labels)).dataSync());
    await tf.setBackend('cpu');
    const cpu = Float32Array.from(reference(logits, labels, 'mean').dataSync());
    assertClose(wasm, cpu, 'loss', 1e-5);
    tf.dispose([logits, labels]);
  });

  it('names a bad input', async () => {
    await tf.setBackend('wasm');
    const logits = tf.tensor2d([[1, 2]]);
    const labels = tf.tensor1d([0, 1], 'int32');
    assert.throws(() => tf.engine().runKernel(FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy, { logits, labels }, {}),
      /labels must be int32 \[1\], received int32 \[2\]/);
    tf.dispose([logits, labels]);
  });
});
