// kindling's wasm BatchMatMul / _FusedMatMul overrides give the cpu backend's results (and a plain-TS product's)
// for every transpose combination, both routes, odd sizes, batch broadcasting and fused bias/activations.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { chooseMatMulRoute } from '../src/wasm/matmul.js';
import { assertClose, assertWasmMatchesCpu, rand, randT, refMatMul, leaveFixedWasm, useFixedWasm } from './wasm-helpers.js';

type Case = [number[], number[], boolean, boolean];

const RANK2: Case[] = [];
for (const [m, k, n] of [[7, 5, 3], [17, 5, 33], [5, 33, 17], [1, 9, 4], [64, 31, 1]] as const) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) RANK2.push([ta ? [k, m] : [m, k], tb ? [n, k] : [k, n], ta, tb]);
  }
}

const BATCHED: Case[] = [
  [[3, 9, 7], [7, 5], false, false], // B has no batch: folded into rows
  [[3, 7, 9], [1, 5, 7], true, true],
  [[2, 6, 8], [8, 4], false, false],
  [[1, 9, 7], [4, 7, 5], false, false], // A has batch 1: C^T = B^T A^T folded
  [[7, 9], [4, 5, 7], true, true],
  [[9, 7], [3, 7, 5], false, false],
  [[2, 40, 30], [2, 30, 20], false, false], // equal batches, large: split into rank-2 fast products
  [[2, 30, 40], [2, 20, 30], true, true],
  [[3, 4, 5], [3, 6, 5], false, true], // equal batches, small: stock loop
];

describe('wasm matmul overrides', () => {
  const before0 = { n: 0 };
  before(async () => {
    await useFixedWasm();
    before0.n = tf.memory().numTensors;
  });
  after(leaveFixedWasm);

  it('the route chooser takes both routes among the tested shapes', () => {
    const routes = new Set(RANK2.filter(([, , ta, tb]) => ta || tb).map(([sa, sb, ta, tb]) => {
      const [m, k] = ta ? [sa[1] ?? 0, sa[0] ?? 0] : [sa[0] ?? 0, sa[1] ?? 0];
      return chooseMatMulRoute(m, (tb ? sb[0] : sb[1]) ?? 0, k, ta, tb);
    }));
    assert.deepEqual([...routes].sort(), ['materialise', 'transposed-product']);
    assert.equal(chooseMatMulRoute(64, 512, 256, false, true), 'transposed-product'); // dX = dY W^T, MLP batch 64
    assert.equal(chooseMatMulRoute(784, 512, 64, true, false), 'materialise'); // dW = X^T dY
  });

  for (const [group, cases] of [['rank 2, all transpose combinations', RANK2], ['batch broadcasting', BATCHED]] as const) {
    it(`${group}: equals the cpu backend and a plain-TS product`, async () => {
      for (const [sa, sb, ta, tb] of cases) {
        const what = JSON.stringify([sa, sb, ta, tb]);
        const [got] = await assertWasmMatchesCpu(() => tf.matMul(randT(sa, 1), randT(sb, 2), ta, tb), what);
        assertClose(got ?? new Float32Array(), refMatMul(rand(sa, 1), sa, rand(sb, 2), sb, ta, tb), `${what} reference`);
      }
    });
  }

  it('rank-4 operands with broadcast outer dimensions', async () => {
    await assertWasmMatchesCpu(() => tf.matMul(randT([2, 3, 6, 5], 3), randT([5, 4], 4)), 'rank 4 x rank 2');
    await assertWasmMatchesCpu(() => tf.matMul(randT([2, 1, 6, 5], 3), randT([1, 1, 4, 5], 4), false, true), 'rank 4 broadcast');
  });

  it('fused matmul: bias and every activation, transposed and batched operands', async () => {
    const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
    for (const activation of activations) {
      for (const [ta, tb, batch] of [[false, true, 1], [true, false, 1], [true, true, 1], [false, false, 3], [true, false, 3]] as const) {
        const [m, k, n] = [6, 9, 5];
        await assertWasmMatchesCpu(() => {
          const a = randT(batch > 1 ? (ta ? [batch, k, m] : [batch, m, k]) : (ta ? [k, m] : [m, k]), 5);
          const b = randT(tb ? [n, k] : [k, n], 6);
          const alpha = activation === 'prelu' ? tf.mul(tf.abs(randT([n], 8)), 0.3) : undefined;
          const base = { a, b, transposeA: ta, transposeB: tb, bias: randT([n], 7), activation, leakyreluAlpha: 0.15 };
          return tf.fused.matMul(alpha === undefined ? base : { ...base, preluActivationWeights: alpha });
        }, `${activation} ta=${ta} tb=${tb} batch=${batch}`);
      }
    }
  });

  it('gradients of a dense network equal the cpu backend', async () => {
    const grads = (): tf.Tensor[] => {
      const x = randT([13, 21], 9);
      const w1 = randT([21, 17], 10);
      const w2 = randT([17, 3], 11);
      const f = (p: tf.Tensor, q: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.matMul(tf.relu(tf.matMul(x, p)), q)));
      return tf.grads(f)([w1, w2]);
    };
    await assertWasmMatchesCpu(grads, 'dense gradients', 1e-4);
  });

  it('non-float32 operands and empty shapes go to the stock kernel unchanged', async () => {
    await tf.setBackend('wasm');
    assert.throws(() => tf.tidy(() => tf.matMul(tf.ones([2, 2], 'int32'), tf.ones([2, 2], 'int32'), true)), /float32/);
    const empty = tf.tidy(() => tf.matMul(tf.zeros([0, 3]), tf.zeros([3, 4])).shape);
    assert.deepEqual(empty, [0, 4]);
  });

  it('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const n = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.tidy(() => tf.matMul(randT([2, 30, 40], 1), randT([2, 20, 30], 2), true, true).dataSync());
    assert.equal(tf.memory().numTensors, n);
    assert.equal(n, before0.n);
  });
});
