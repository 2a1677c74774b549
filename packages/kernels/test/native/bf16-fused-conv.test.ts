// kindling's fused Conv2D layer inside autocast on 'kindling-native' (issue #23): a Conv2D layer with a bias under a
// gradient tape inside autocast('bfloat16') runs as one KindlingConv2D kernel (autocast's bfloat16 FusedConv2D:
// operands and bias rounded to bfloat16, float32 accumulation, output rounded) and its gradient as one ReLU/bias
// kernel plus autocast's two convolution backprops, with the loss, the gradients and training steps of the CLI's CNN
// equal to TensorFlow.js's unfused path under autocast (setConvFusion(false)) within bfloat16 tolerance; float16
// autocast keeps its own (emulated) numerics on the fused route too; nothing leaks.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FUSED_LAYER_KERNELS } from '../../src/contract.js';
import { setConvFusion } from '../../src/gradients/conv.js';
import { autocast } from '../../../../src/amp/index.js';
import { buildModel } from '../../../../src/cli/models.js';
import { ampTrainLosses, profiledAmpStep, type Amp } from './amp-steps.js';
import { assertClose, rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';
import { seededConv } from '../fused-layer-cases.js';

/** One bfloat16 rounding step of the largest value (as the other bfloat16 tests of this backend use). */
const BF16_TOL = 2 ** -7;
/** One float16 rounding step of the largest value. */
const F16_TOL = 2 ** -10;
const CONV = FUSED_LAYER_KERNELS.conv2d;


/** Conv2D variants the route takes: relu + bias (valid), linear + bias (stride 2, same), relu + bias (explicit pad 1). */
function model(seed: number): tfl.Sequential {
  const conv = seededConv(seed);
  return tfl.sequential({ layers: [
    conv(6, { inputShape: [11, 10, 3], activation: 'relu' }, 1),
    conv(5, { strides: 2, padding: 'same' }, 3),
    conv(4, { activation: 'relu', padding: 'same', strides: [1, 2] }, 5),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 4, kernelInitializer: tfl.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 11 }) }),
  ] });
}

const labelsOf = (n: number, classes: number): tf.Tensor => tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % classes), 'int32');

/** Loss and gradients of one step under autocast(dtype), with the fused Conv2D route on or off; kernels run. */
async function ampStep(m: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor, dtype: Amp, fused: boolean): Promise<{ values: Float32Array[]; kernels: string[] }> {
  setConvFusion(fused);
  return profiledAmpStep(m, x, y, dtype, `fused ${String(fused)}`);
}

/** Losses of `steps` SGD steps of the CLI's CNN under autocast('bfloat16'); asserts no leak after the first step. */
function cnnLosses(fused: boolean, steps: number): number[] {
  setConvFusion(fused);
  const m = buildModel('cnn', { inputShape: [14, 14], numClasses: 5 });
  // the same weights for both runs: fixed values, kernels scaled by 1.5 / sqrt(fan-in), biases in [-0.1, 0.1]
  const weights = m.getWeights().map((w, i) => {
    const fanIn = w.rank > 1 ? w.size / w.shape[w.rank - 1]! : 100;
    return tf.tidy(() => tf.mul(tf.tensor(rand(w.shape, 100 + i), w.shape), 1.5 / Math.sqrt(fanIn)));
  });
  m.setWeights(weights);
  tf.dispose(weights);
  const x = tf.tensor(rand([8, 14, 14], 41), [8, 14, 14]), y = labelsOf(8, 5);
  const losses = ampTrainLosses(m, x, y, tf.train.sgd(0.05), steps, `fused ${String(fused)}`);
  m.dispose();
  return losses;
}

describe('kindling-native fused Conv2D layer inside autocast', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);
  afterEach(() => setConvFusion(true));

  for (const batch of [1, 5]) {
    it(`bfloat16, batch ${batch}: loss and gradients equal the unfused autocast path, in fewer kernels`, async () => {
      const m = model(batch);
      const x = tf.tensor(rand([batch, 11, 10, 3], batch + 3), [batch, 11, 10, 3]), y = labelsOf(batch, 4);
      const fused = await ampStep(m, x, y, 'bfloat16', true);
      const unfused = await ampStep(m, x, y, 'bfloat16', false);
      const names = ['loss', 'w1', 'b1', 'w2', 'b2', 'w3', 'b3', 'w4', 'b4'];
      assert.equal(fused.values.length, names.length);
      fused.values.forEach((v, i) => assertClose(v, unfused.values[i]!, `batch ${batch} ${names[i]}`, BF16_TOL));
      assert.equal(fused.kernels.filter((k) => k === CONV).length, 3, fused.kernels.join(','));
      assert.ok(!unfused.kernels.includes(CONV), unfused.kernels.join(','));
      assert.ok(!fused.kernels.includes('Relu'), fused.kernels.join(','));
      assert.ok(fused.kernels.length < unfused.kernels.length, `${fused.kernels.length} vs ${unfused.kernels.length} kernels`);
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('bfloat16: the fused layer\'s output is rounded to bfloat16 values, its convolution from rounded operands', async () => {
    // A 1x1 convolution of one pixel. Channel 0: x0 + x1 + 0.5 with x0 = 1 + 2^-8, which rounds (to even) to 1 in
    // bfloat16, so 0.5 there; in float32 0.5 + 2^-8, a bfloat16 value that the output's rounding would keep.
    // Channel 1: x2 + x3 - 100 < 0, cut by the ReLU.
    const x = tf.tensor4d([1 + 2 ** -8, -1, 3, -1], [1, 1, 1, 4]);
    const w = tf.tensor4d([1, 0, 1, 0, 0, 1, 0, 1], [1, 1, 4, 2]), bias = tf.tensor1d([0.5, -100]);
    let out: number[] = [];
    const profile = await tf.profile(() => tf.tidy(() => {
      let y: tf.Tensor | null = null;
      autocast('bfloat16', () => tf.grad((v: tf.Tensor) => {
        y = tf.keep(tf.fused.conv2d({ x: v as tf.Tensor4D, filter: w, strides: 1, pad: 'valid', bias, activation: 'relu' }));
        return tf.sum(y);
      })(x));
      out = Array.from(y!.dataSync());
    }));
    assert.deepEqual(out, [0.5, 0]);
    assert.ok(profile.kernels.some((k) => k.name === CONV), profile.kernels.map((k) => k.name).join(','));
    tf.dispose([x, w, bias]);
  });

  it('float16 autocast on the fused route keeps float16 numerics (equal to the unfused float16 path)', async () => {
    const m = model(7);
    const x = tf.tensor(rand([3, 11, 10, 3], 8), [3, 11, 10, 3]), y = labelsOf(3, 4);
    const fused = await ampStep(m, x, y, 'float16', true);
    const unfused = await ampStep(m, x, y, 'float16', false);
    fused.values.forEach((v, i) => assertClose(v, unfused.values[i]!, `float16 #${i}`, F16_TOL));
    assert.ok(fused.kernels.includes(CONV), fused.kernels.join(','));
    tf.dispose([x, y]);
    m.dispose();
  });

  it('five SGD steps of the CLI CNN in bfloat16: losses equal the unfused path, no leaks', () => {
    const fused = cnnLosses(true, 5);
    const unfused = cnnLosses(false, 5);
    assertClose(fused, unfused, 'CNN bfloat16 losses, fused vs unfused', 2e-2);
    assert.ok(fused[4]! < fused[0]!, `loss decreases: ${fused[0]} -> ${fused[4]}`);
  });
});
