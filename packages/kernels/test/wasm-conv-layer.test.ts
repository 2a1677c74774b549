// kindling's fused Conv2D layer on wasm (KindlingConv2D and KindlingBiasActGrad, registered by installWasmFixes): a
// tf.layers CNN trains through one fused kernel per Conv2D layer with a bias forward and one bias/ReLU gradient kernel
// back, with losses and gradients bit-identical to TensorFlow.js's Conv2D/Add/Relu path (setConvFusion(false)), with
// kindling's SIMD loops and without them, special values included; no tensor or wasm buffer leaks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { installWasmFixes, setWasmSimdLoops } from '../src/index.js';
import { FUSED_LAYER_KERNELS } from '../src/contract.js';
import { setConvFusion } from '../src/gradients/conv.js';
import { crossEntropyLoss } from '../../../src/training/losses.js';
import { rand } from './wasm-helpers.js';
import { assertSameStep, profiledStep, seededConv, type StepResult } from './fused-layer-cases.js';


/** relu + bias (6 channels: a SIMD vector and a tail), linear + bias (stride 2, same), relu + bias (8), a Dense head. */
function model(seed: number): tfl.Sequential {
  const conv = seededConv(seed);
  return tfl.sequential({ layers: [
    conv(6, { inputShape: [9, 10, 3], activation: 'relu' }, 1),
    conv(5, { strides: 2, padding: 'same' }, 3),
    conv(8, { activation: 'relu', padding: 'same' }, 5),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 7 }) }),
  ] });
}

async function step(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor, fused: boolean): Promise<StepResult> {
  setConvFusion(fused);
  return profiledStep(m, x, y);
}

describe('fused Conv2D layer on wasm', () => {
  before(async () => {
    assert.ok(installWasmFixes());
    await tf.setBackend('wasm');
  });
  after(() => {
    setConvFusion(true);
    setWasmSimdLoops(true);
  });

  for (const simd of [true, false]) {
    it(`loss and gradients bit-identical to TensorFlow.js's path${simd ? '' : ' (without SIMD loops)'}, special values too`, async () => {
      setWasmSimdLoops(simd);
      const m = model(simd ? 1 : 2);
      const special = [NaN, Infinity, -Infinity, 0, -0];
      for (const withSpecial of [false, true]) {
        const xs = Float32Array.from(rand([3, 9, 10, 3], 4), (v, i) => (withSpecial && i % 11 === 4 ? special[i % special.length]! : v));
        const x = tf.tensor4d(xs, [3, 9, 10, 3]), y = tf.tensor1d([0, 1, 3], 'int32');
        const fused = await step(m, x, y, true), unfused = await step(m, x, y, false);
        assertSameStep(fused, unfused, `special: ${String(withSpecial)}`);
        assert.equal(fused.kernels.filter((k) => k === FUSED_LAYER_KERNELS.conv2d).length, 3, fused.kernels.join(','));
        assert.equal(fused.kernels.filter((k) => k === FUSED_LAYER_KERNELS.biasActGrad).length, 3, fused.kernels.join(','));
        assert.ok(!fused.kernels.includes('Add') && !fused.kernels.includes('Relu'), fused.kernels.join(','));
        tf.dispose([x, y]);
      }
      m.dispose();
      setWasmSimdLoops(true);
    });
  }

  it('no tensor or wasm buffer leaks over training steps', () => {
    setConvFusion(true);
    const m = model(5);
    const opt = tf.train.sgd(0.05);
    const x = tf.tensor4d(rand([2, 9, 10, 3], 6), [2, 9, 10, 3]), y = tf.tensor1d([2, 1], 'int32');
    const data = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
    const once = (): void => { opt.minimize(() => crossEntropyLoss(m.apply(x, { training: true }) as tf.Tensor, y) as tf.Scalar)?.dispose(); };
    once();
    const tensors = tf.memory().numTensors, buffers = data.numDataIds();
    for (let i = 0; i < 3; i++) once();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(data.numDataIds(), buffers, 'wasm buffers');
    tf.dispose([x, y]);
    opt.dispose();
    m.dispose();
  });
});
