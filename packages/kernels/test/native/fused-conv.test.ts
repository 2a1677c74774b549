// kindling's fused Conv2D layer under a gradient tape (training/fused-conv.ts) on 'kindling-native': tf.layers Conv2D
// layers train through one KindlingConv2D kernel forward and one KindlingBiasActGrad (ReLU and bias gradients) before
// the two backprops, with losses and gradients bit-identical to TensorFlow.js's Conv2D/Add/Relu path
// (setConvFusion(false)), special values included; calls it does not handle (no bias, dilations, other activations,
// no tape, other backends) keep TensorFlow.js's path; under autocast the fused route runs autocast's kernels
// (bf16-fused-conv.test.ts); nothing leaks (TF.js's per-kernel leak check is on).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NATIVE_BACKEND_NAME } from '../../src/node.js';
import { FUSED_LAYER_KERNELS } from '../../src/contract.js';
import { setConvFusion } from '../../src/gradients/conv.js';
import { autocast } from '../../../../src/amp/index.js';
import { rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';
import { assertSameStep, bits, frozenStepBits, labels, profiledStep, seededConv, trainedWeights, type StepResult } from '../fused-layer-cases.js';

const CONV = FUSED_LAYER_KERNELS.conv2d;
const GRAD = FUSED_LAYER_KERNELS.biasActGrad;

/** Conv2D variants: relu + bias, linear + bias (stride 2, same padding), no bias, tanh, then pooling and a Dense head. */
function model(seed: number): tfl.Sequential {
  const conv = seededConv(seed);
  return tfl.sequential({ layers: [
    conv(6, { inputShape: [11, 10, 3], activation: 'relu' }, 1),
    conv(5, { strides: 2, padding: 'same' }, 3),
    conv(4, { useBias: false, activation: 'relu', padding: 'same' }, 5),
    conv(4, { activation: 'tanh', padding: 'same' }, 7),
    conv(8, { activation: 'relu' }, 9),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + 11 }) }),
  ] });
}

/** One profiled training step with the fused Conv2D layer on or off. */
async function step(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor, fused: boolean): Promise<StepResult> {
  setConvFusion(fused);
  return profiledStep(m, x, y);
}

describe('kindling-native fused Conv2D layer', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);
  afterEach(() => setConvFusion(true));

  for (const batch of [1, 6]) {
    it(`batch ${batch}: loss and gradients bit-identical to TensorFlow.js's unfused path, fewer kernels`, async () => {
      const m = model(batch);
      const x = tf.tensor(rand([batch, 11, 10, 3], batch), [batch, 11, 10, 3]), y = labels(batch);
      const fused = await step(m, x, y, true);
      const unfused = await step(m, x, y, false);
      assertSameStep(fused, unfused, `batch ${batch}`);
      // the four convolutions with a bias (tanh runs as a linear fused conv, then Tanh); one gradient kernel each
      assert.equal(fused.kernels.filter((k) => k === CONV).length, 4, fused.kernels.join(','));
      assert.equal(fused.kernels.filter((k) => k === GRAD).length, 4, fused.kernels.join(','));
      assert.ok(!unfused.kernels.includes(CONV), unfused.kernels.join(','));
      assert.ok(fused.kernels.length < unfused.kernels.length, `${fused.kernels.length} vs ${unfused.kernels.length} kernels`);
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('NaN, infinities and zeros in the input: the same bits as the unfused path', async () => {
    const m = model(3);
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30];
    const xs = Float32Array.from(rand([2, 11, 10, 3], 5), (v, i) => (i % 7 === 2 ? special[i % special.length]! : v));
    const x = tf.tensor(xs, [2, 11, 10, 3]), y = labels(2);
    assertSameStep(await step(m, x, y, true), await step(m, x, y, false), 'special values');
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a training loop leaks no tensor, and its weights follow the unfused loop bit for bit', () => {
    const run = (fused: boolean): Buffer[] => {
      setConvFusion(fused);
      const m = model(11);
      const x = tf.tensor(rand([4, 11, 10, 3], 2), [4, 11, 10, 3]), y = labels(4);
      const weights = trainedWeights(m, x, y, 4);
      tf.dispose([x, y]);
      m.dispose();
      return weights;
    };
    assert.deepEqual(run(true), run(false));
  });

  it('KindlingBiasActGrad on wide layers (16-column blocks and tails): the values of ReLU\'s gradient and Sum', () => {
    // Bits compared with every NaN made one NaN: which NaN an addition of two NaNs returns (its sign) depends on
    // the operand order the compiler picked, which IEEE 754 leaves open.
    const canonical = (t: tf.Tensor): Buffer => {
      const c = tf.tidy(() => tf.where(tf.isNaN(t), tf.fill(t.shape, NaN), t));
      const out = bits(c);
      c.dispose();
      return out;
    };
    const before = tf.memory().numTensors;
    for (const [rows, cols] of [[1, 16], [7, 33], [300, 32], [50, 64], [3, 100]] as const) {
      const special = [NaN, Infinity, -Infinity, 0, -0];
      const dyv = Float32Array.from(rand([rows, cols], rows + cols), (v, i) => (i % 97 === 5 ? special[i % special.length]! : v));
      const yv = Float32Array.from(rand([rows, cols], rows * cols), (v, i) => (i % 89 === 3 ? special[(i + 2) % special.length]! : v));
      const dy = tf.tensor2d(dyv, [rows, cols]), y = tf.tensor2d(yv, [rows, cols]);
      for (const relu of [true, false]) {
        const out = tf.engine().runKernel<tf.Tensor[]>(GRAD, relu ? { dy, y } : { dy }, { activation: relu ? 'relu' : 'linear' });
        const g = relu ? tf.tidy(() => tf.mul(dy, tf.step(y))) : dy;
        const sum = tf.sum(g, 0);
        const label = `${rows}x${cols} ${relu ? 'relu' : 'linear'}`;
        assert.deepEqual(canonical(out[0]!), canonical(sum), `bias gradient, ${label}`);
        if (relu) assert.deepEqual(bits(out[1]!), bits(g), `activation gradient, ${label}`);
        tf.dispose([...out, sum, ...(relu ? [g] : [])]);
      }
      tf.dispose([dy, y]);
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('frozen layers: gradients nobody asks for are dropped, nothing leaks, same bits as the unfused path', () => {
    const run = (fused: boolean): Buffer[] => {
      setConvFusion(fused);
      const m = model(21);
      m.layers[1]!.trainable = false; // the fused kernel computes its bias gradient, which nobody uses
      const x = tf.tensor(rand([3, 11, 10, 3], 4), [3, 11, 10, 3]), y = labels(3);
      const out = frozenStepBits(m, x, y);
      tf.dispose([x, y]);
      m.dispose();
      return out;
    };
    assert.deepEqual(run(true), run(false));
  });

  it('leaves calls it does not handle to TensorFlow.js: no tape, no bias, dilations, other activations; autocast gives the same values fused or not', async () => {
    const x = tf.tensor(rand([2, 9, 9, 3], 1), [2, 9, 9, 3]), w = tf.tensor(rand([3, 3, 3, 4], 2), [3, 3, 3, 4]);
    const bias = tf.tensor(rand([4], 3), [4]);
    const noTape = await tf.profile(() => tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias, activation: 'relu' }).dispose());
    assert.ok(!noTape.kernels.some((k) => k.name === CONV), 'not recording: TF.js fuses by itself');
    const calls: [string, (t: tf.Tensor) => tf.Tensor][] = [
      ['no bias', (t) => tf.fused.conv2d({ x: t as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'same', activation: 'relu' })],
      ['elu', (t) => tf.fused.conv2d({ x: t as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias, activation: 'elu' })],
      ['relu', (t) => tf.fused.conv2d({ x: t as tf.Tensor4D, filter: w as tf.Tensor4D, strides: [2, 1], pad: 1, bias, activation: 'relu' })],
    ];
    for (const [what, f] of calls) {
      const g = async (on: boolean): Promise<{ bits: Buffer; fusedKernel: boolean }> => {
        setConvFusion(on);
        let out: Buffer = Buffer.alloc(0);
        const p = await tf.profile(() => tf.tidy(() => { out = bits(tf.grad((t: tf.Tensor) => tf.sum(f(t)))(x)); }));
        return { bits: out, fusedKernel: p.kernels.some((k) => k.name === CONV) };
      };
      const on = await g(true), off = await g(false);
      assert.deepEqual(on.bits, off.bits, what);
      assert.equal(on.fusedKernel, what === 'relu', `${what}: fused kernel used`);
    }
    // dilations: TensorFlow.js has no convolution gradient for them; differentiate with respect to the bias only
    const dilated = async (on: boolean): Promise<{ bits: Buffer; fusedKernel: boolean }> => {
      setConvFusion(on);
      let out: Buffer = Buffer.alloc(0);
      const p = await tf.profile(() => tf.tidy(() => {
        out = bits(tf.grad((b: tf.Tensor) => tf.sum(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', dilations: 2, bias: b, activation: 'relu' })))(bias));
      }));
      return { bits: out, fusedKernel: p.kernels.some((k) => k.name === CONV) };
    };
    const dOn = await dilated(true), dOff = await dilated(false);
    assert.deepEqual(dOn.bits, dOff.bits, 'dilations');
    assert.equal(dOn.fusedKernel, false, 'dilations: fused kernel used');
    const amp = (on: boolean): Buffer => {
      setConvFusion(on);
      return tf.tidy(() => autocast('bfloat16', () => bits(tf.grad((t: tf.Tensor) =>
        tf.sum(tf.fused.conv2d({ x: t as tf.Tensor4D, filter: w as tf.Tensor4D, strides: 1, pad: 'valid', bias, activation: 'relu' })))(x))));
    };
    assert.deepEqual(amp(true), amp(false), 'autocast bfloat16');
    tf.dispose([x, w, bias]);
  });

  it('other backends keep TensorFlow.js path (no conv kernel registered for cpu)', async () => {
    await tf.setBackend('cpu');
    try {
      const m = model(4);
      const x = tf.tensor(rand([2, 11, 10, 3], 8), [2, 11, 10, 3]), y = labels(2);
      const r = await step(m, x, y, true);
      assert.ok(!r.kernels.includes(CONV) && r.kernels.includes('Relu'), r.kernels.join(','));
      tf.dispose([x, y]);
      m.dispose();
    } finally {
      await tf.setBackend(NATIVE_BACKEND_NAME);
    }
  });
});
