// kindling's fused Dense layer inside autocast on 'kindling-native' (issue #23): a Dense layer under a gradient tape
// inside autocast('bfloat16') runs as one KindlingDense kernel (autocast's bfloat16 product: operands rounded to
// bfloat16, float32 accumulation) and its gradient as one ReLU/bias kernel plus autocast's products, with the loss,
// the gradients and ten training steps of the CLI's MLP (784-512-256-10) equal to TensorFlow.js's unfused path under
// autocast (setDenseFusion(false)) within bfloat16 tolerance; float16 autocast keeps its own (emulated) numerics on
// the fused route too; nothing leaks.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FUSED_LAYER_KERNELS } from '../../src/contract.js';
import { setDenseFusion } from '../../src/gradients/dense.js';
import { autocast } from '../../../../src/amp/index.js';
import { ampTrainLosses, profiledAmpStep, type Amp } from './amp-steps.js';
import { assertClose, rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

/** One bfloat16 rounding step of the largest value (as the other bfloat16 tests of this backend use). */
const BF16_TOL = 2 ** -7;
/** One float16 rounding step of the largest value. */
const F16_TOL = 2 ** -10;


/** An MLP with ReLU hidden layers and a linear output layer, as the CLI's (sizes given). */
function mlp(sizes: readonly number[], seed: number): tfl.Sequential {
  const init = (s: number): ReturnType<typeof tfl.initializers.randomUniform> => tfl.initializers.randomUniform({ minval: -0.08, maxval: 0.08, seed: seed + s });
  const layers = sizes.slice(1).map((units, i) => tfl.layers.dense({
    ...(i === 0 ? { inputShape: [sizes[0]!] } : {}), units, activation: i === sizes.length - 2 ? 'linear' : 'relu',
    kernelInitializer: init(2 * i), biasInitializer: init(2 * i + 1),
  }));
  return tfl.sequential({ layers });
}

const labelsOf = (n: number, classes: number): tf.Tensor => tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % classes), 'int32');

/** Loss and gradients of one step under autocast(dtype), with the fused Dense route on or off; kernels run. */
async function ampStep(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor, dtype: Amp, fused: boolean): Promise<{ values: Float32Array[]; kernels: string[] }> {
  setDenseFusion(fused);
  return profiledAmpStep(m, x, y, dtype, `fused ${String(fused)}`);
}

/** Losses of `steps` optimizer steps under autocast('bfloat16'); asserts no leak after the first step. */
function ampLosses(fused: boolean, steps: number, opt: () => tf.Optimizer): number[] {
  setDenseFusion(fused);
  const m = mlp([784, 512, 256, 10], 40);
  const x = tf.tensor(rand([32, 784], 41), [32, 784]), y = labelsOf(32, 10);
  const losses = ampTrainLosses(m, x, y, opt(), steps, `fused ${String(fused)}`);
  m.dispose();
  return losses;
}

describe('kindling-native fused Dense layer inside autocast', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);
  afterEach(() => setDenseFusion(true));

  for (const batch of [1, 33]) {
    it(`bfloat16, batch ${batch}: loss and gradients equal the unfused autocast path, in fewer kernels`, async () => {
      const m = mlp([45, 37, 29, 6], batch);
      const x = tf.tensor(rand([batch, 45], batch + 3), [batch, 45]), y = labelsOf(batch, 6);
      const fused = await ampStep(m, x, y, 'bfloat16', true);
      const unfused = await ampStep(m, x, y, 'bfloat16', false);
      const names = ['loss', 'w1', 'b1', 'w2', 'b2', 'w3', 'b3'];
      fused.values.forEach((v, i) => assertClose(v, unfused.values[i]!, `batch ${batch} ${names[i]}`, BF16_TOL));
      assert.equal(fused.kernels.filter((k) => k === FUSED_LAYER_KERNELS.dense).length, 3, fused.kernels.join(','));
      assert.ok(!unfused.kernels.includes(FUSED_LAYER_KERNELS.dense), unfused.kernels.join(','));
      assert.ok(!fused.kernels.includes('Relu'), fused.kernels.join(','));
      assert.ok(fused.kernels.length < unfused.kernels.length, `${fused.kernels.length} vs ${unfused.kernels.length} kernels`);
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('bfloat16: a layer without bias and a frozen layer train on the fused route without leaks', async () => {
    const init = tfl.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed: 5 });
    const m = tfl.sequential({ layers: [
      tfl.layers.dense({ inputShape: [21], units: 19, activation: 'relu', kernelInitializer: init, biasInitializer: init, trainable: false }),
      tfl.layers.dense({ units: 13, useBias: false, activation: 'relu', kernelInitializer: init }),
      tfl.layers.dense({ units: 4, kernelInitializer: init, biasInitializer: init }),
    ] });
    const x = tf.tensor(rand([10, 21], 6), [10, 21]), y = labelsOf(10, 4);
    const fused = await ampStep(m, x, y, 'bfloat16', true);
    const unfused = await ampStep(m, x, y, 'bfloat16', false);
    assert.equal(fused.values.length, 4); // loss, w2, w3, b3
    fused.values.forEach((v, i) => assertClose(v, unfused.values[i]!, `no-bias/frozen #${i}`, BF16_TOL));
    assert.equal(fused.kernels.filter((k) => k === FUSED_LAYER_KERNELS.dense).length, 3, fused.kernels.join(','));
    tf.dispose([x, y]);
    m.dispose();
  });

  it('bfloat16: the fused layer\'s output is rounded to bfloat16 values, its product from rounded operands', () => {
    // 1 + 2^-8 rounds (to even) to 1 in bfloat16, so the first product is 0 there and 2^-8 in float32; 0.5 + 2^-8
    // is a bfloat16 value, so a float32 product would survive the output's rounding.
    const a = tf.tensor2d([[1 + 2 ** -8, -1], [3, -1]]), b = tf.tensor2d([[1, 1], [1, 1]]), bias = tf.tensor1d([0.5, -100]);
    const out = tf.tidy(() => {
      let y: tf.Tensor | null = null;
      autocast('bfloat16', () => tf.grad((v: tf.Tensor) => {
        y = tf.keep(tf.fused.matMul({ a: v, b, bias, activation: 'relu' }));
        return tf.sum(y);
      })(a));
      return Array.from(y!.dataSync());
    });
    assert.deepEqual(out, [0.5, 0, 2.5, 0]);
    tf.dispose([a, b, bias]);
  });

  it('float16 autocast on the fused route keeps float16 numerics (equal to the unfused float16 path)', async () => {
    const m = mlp([30, 24, 5], 7);
    const x = tf.tensor(rand([9, 30], 8), [9, 30]), y = labelsOf(9, 5);
    const fused = await ampStep(m, x, y, 'float16', true);
    const unfused = await ampStep(m, x, y, 'float16', false);
    fused.values.forEach((v, i) => assertClose(v, unfused.values[i]!, `float16 #${i}`, F16_TOL));
    assert.ok(fused.kernels.includes(FUSED_LAYER_KERNELS.dense), fused.kernels.join(','));
    tf.dispose([x, y]);
    m.dispose();
  });

  for (const [name, opt] of [['Adam', () => tf.train.adam(1e-3)], ['SGD', () => tf.train.sgd(0.05)]] as const) {
    it(`ten ${name} steps of the MLP 784-512-256-10 in bfloat16: losses equal the unfused path, no leaks`, () => {
      const fused = ampLosses(true, 10, opt);
      const unfused = ampLosses(false, 10, opt);
      assertClose(fused, unfused, `${name} bfloat16 losses, fused vs unfused`, 2e-2);
      assert.ok(fused[9]! < fused[0]!, `loss decreases: ${fused[0]} -> ${fused[9]}`);
    });
  }
});
