// kindling's fused optimizer updates on the wasm backend (src/backends/wasm-updates.ts, used by applyGradients once
// installWasmFixes ran): SGD, Momentum (plain and Nesterov) and Adam give bit-identical weights and optimizer state
// to TensorFlow.js's own optimizers on wasm over several steps, for a scalar, odd sizes and a large variable, with
// kindling's SIMD loops and with the stock kernels; one kernel call per variable; no leaks; a bad input is named.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmFixes } from '../src/index.js';
import { FUSED_UPDATE_KERNELS } from '../src/contract.js';
import { applyGradients } from '../../../src/backends/optimizer-update.js';
import { setWasmSimdLoops, simdLoops } from '../src/wasm/simd.js';
import type { WasmHeapBackend } from '../src/wasm/kernel-utils.js';
import { rand } from './wasm-helpers.js';
import { OPTIMIZERS, SHAPES, assertBitIdentical, stock, train } from './optimizer-cases.js';

describe('fused optimizer updates on wasm', () => {
  before(async () => {
    assert.ok(installWasmFixes());
    await tf.setBackend('wasm');
  });

  for (const [name, make] of OPTIMIZERS) {
    it(`${name}: bit-identical to TensorFlow.js's optimizer on wasm over 4 steps`, async () => {
      assertBitIdentical(await train('wasm', make, 4, applyGradients), await train('wasm', make, 4, stock), name);
    });
  }

  for (const [name, make, kernel] of OPTIMIZERS) {
    it(`${name}: one kernel call per variable and no leaked tensor`, async () => {
      await tf.setBackend('wasm');
      const optimizer = make();
      const vars = SHAPES.map((shape, i) => tf.variable(tf.tensor(rand(shape, i), shape)));
      const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(rand(SHAPES[i]!, 50 + i), SHAPES[i])]));
      applyGradients(optimizer, grads); // creates the slots
      const before = tf.memory().numTensors;
      const dataIds = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
      const heldData = dataIds.numDataIds();
      const profile = await tf.profile(() => { applyGradients(optimizer, grads); });
      const updates = profile.kernels.filter((k) => k.name === kernel).length;
      assert.equal(updates, SHAPES.length);
      // Adam also updates its two accumulated betas, as tf.AdamOptimizer does (two Multiply kernels)
      assert.equal(profile.kernels.length - updates, name === 'adam' ? 2 : 0, profile.kernels.map((k) => k.name).join(', '));
      for (let i = 0; i < 3; i++) applyGradients(optimizer, grads);
      assert.equal(tf.memory().numTensors, before);
      assert.equal(dataIds.numDataIds(), heldData, 'intermediate wasm buffers were not freed');
      tf.dispose([...vars, ...Object.values(grads)]);
      optimizer.dispose();
    });
  }

  it('runs as one SIMD pass over the heap here, and as the stock kernels without it: the same bits', async () => {
    await tf.setBackend('wasm');
    assert.notEqual(simdLoops(tf.backend() as WasmHeapBackend), null, 'Node 20 has WebAssembly SIMD');
    for (const [name, make] of OPTIMIZERS) {
      setWasmSimdLoops(false);
      try {
        assert.equal(simdLoops(tf.backend() as WasmHeapBackend), null);
        assertBitIdentical(await train('wasm', make, 3, applyGradients), await train('wasm', make, 3, stock), `${name} without SIMD loops`);
      } finally {
        setWasmSimdLoops(true);
      }
    }
  });

  it('names the input that is not float32', async () => {
    await tf.setBackend('wasm');
    const value = tf.tensor1d([1, 2, 3]);
    const gradient = tf.tensor1d([1, 2, 3], 'int32');
    const c = tf.scalar(-0.1);
    assert.throws(() => tf.engine().runKernel(FUSED_UPDATE_KERNELS.sgd, { value, gradient, c }, {}),
      /wasm fused optimizer update: input 'gradient' must be a float32 tensor, received int32/);
    tf.dispose([value, gradient, c]);
  });
});
