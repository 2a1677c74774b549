// kindling's fused Dense layer under a gradient tape (training/fused-dense.ts) on 'kindling-native': tf.layers
// models train through one KindlingDense kernel per Dense layer, with losses and gradients bit-identical to
// TensorFlow.js's own BatchMatMul/Add/Relu path (setDenseFusion(false)), NaN and infinities included; every call it
// does not handle (no tape, other activations, transposes, rank-2 bias, higher-order gradients, other backends) runs
// TensorFlow.js's path unchanged; under autocast the fused route runs autocast's kernels (bf16-fused-dense.test.ts);
// nothing leaks (TF.js's per-kernel leak check is on).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NATIVE_BACKEND_NAME } from '../../src/node.js';
import { FUSED_LAYER_KERNELS } from '../../src/contract.js';
import { setDenseFusion } from '../../src/gradients/dense.js';
import { autocast } from '../../../../src/amp/index.js';
import { rand, setUpNative, skipReason, tearDownNative } from './native-helpers.js';
import { assertSameStep, bits, frozenStepBits, profiledStep, trainedWeights, type StepResult } from '../fused-layer-cases.js';

const DENSE = FUSED_LAYER_KERNELS.dense;
const DENSE_GRAD = FUSED_LAYER_KERNELS.denseGrad;

/** A model mixing Dense variants: relu, linear without bias, tanh (bias and activation not fused), relu, linear. */
function model(seed: number): tfl.Sequential {
  const init = (s: number): ReturnType<typeof tfl.initializers.randomUniform> => tfl.initializers.randomUniform({ minval: -0.3, maxval: 0.3, seed: seed + s });
  return tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [13], units: 17, activation: 'relu', kernelInitializer: init(1), biasInitializer: init(2) }),
    tfl.layers.dense({ units: 11, useBias: false, kernelInitializer: init(3) }),
    tfl.layers.dense({ units: 9, activation: 'tanh', kernelInitializer: init(4), biasInitializer: init(5) }),
    tfl.layers.dense({ units: 8, activation: 'relu', kernelInitializer: init(6), biasInitializer: init(7) }),
    tfl.layers.dense({ units: 5, kernelInitializer: init(8), biasInitializer: init(9) }),
  ] });
}

/** One profiled training step with the fused Dense layer on or off. */
async function step(m: tfl.Sequential, x: tf.Tensor, y: tf.Tensor, fused: boolean): Promise<StepResult> {
  setDenseFusion(fused);
  return profiledStep(m, x, y);
}

describe('kindling-native fused Dense layer', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);
  afterEach(() => setDenseFusion(true));

  for (const batch of [1, 7, 64]) {
    it(`batch ${batch}: loss and gradients bit-identical to TensorFlow.js's unfused path, fewer kernels`, async () => {
      const m = model(batch);
      const x = tf.tensor(rand([batch, 13], batch), [batch, 13]), y = tf.tensor1d(Array.from({ length: batch }, (_, i) => (i * 3) % 5), 'int32');
      const fused = await step(m, x, y, true);
      const unfused = await step(m, x, y, false);
      assertSameStep(fused, unfused, `batch ${batch}`);
      // every layer's product: tf.layers runs tanh as a product without bias or activation, then Add and Tanh
      assert.equal(fused.kernels.filter((k) => k === DENSE).length, 5, fused.kernels.join(','));
      assert.ok(!unfused.kernels.includes(DENSE) && unfused.kernels.includes('Relu'), unfused.kernels.join(','));
      assert.ok(!fused.kernels.includes('Relu') && fused.kernels.includes('Tanh'), fused.kernels.join(','));
      assert.ok(fused.kernels.length < unfused.kernels.length, `${fused.kernels.length} vs ${unfused.kernels.length} kernels`);
      // backward: one KindlingDenseGrad per fused layer (ReLU, bias and weight gradients), a product for the input's
      // gradient of every layer but the first, and no separate ReLU gradient or bias Sum left for fused layers
      assert.equal(fused.kernels.filter((k) => k === DENSE_GRAD).length, 5, fused.kernels.join(','));
      assert.ok(!fused.kernels.includes('KindlingReluGrad'), fused.kernels.join(','));
      assert.equal(fused.kernels.filter((k) => k === 'BatchMatMul').length, 4, fused.kernels.join(','));
      tf.dispose([x, y]);
      m.dispose();
    });
  }

  it('NaN, infinities and zeros in the inputs: the same bits as the unfused path', async () => {
    const m = model(3);
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30];
    const xs = Float32Array.from(rand([6, 13], 5), (v, i) => (i % 5 === 2 ? special[i % special.length]! : v));
    const x = tf.tensor(xs, [6, 13]), y = tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32');
    assertSameStep(await step(m, x, y, true), await step(m, x, y, false), 'special values');
    tf.dispose([x, y]);
    m.dispose();
  });

  it('a training loop leaks no tensor, and its weights follow the unfused loop bit for bit', () => {
    const run = (fused: boolean): Buffer[] => {
      setDenseFusion(fused);
      const m = model(11);
      const x = tf.tensor(rand([16, 13], 2), [16, 13]), y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 5), 'int32');
      const weights = trainedWeights(m, x, y, 5);
      tf.dispose([x, y]);
      m.dispose();
      return weights;
    };
    assert.deepEqual(run(true), run(false));
  });

  it('frozen layers: gradients nobody asks for are dropped, nothing leaks, same bits as the unfused path', () => {
    const run = (fused: boolean): Buffer[] => {
      setDenseFusion(fused);
      const m = model(21);
      // a middle ReLU layer: the fused kernel computes its kernel and bias gradients too, which nobody uses
      m.layers[3]!.trainable = false;
      const x = tf.tensor(rand([9, 13], 4), [9, 13]), y = tf.tensor1d(Array.from({ length: 9 }, (_, i) => i % 5), 'int32');
      const out = frozenStepBits(m, x, y);
      tf.dispose([x, y]);
      m.dispose();
      return out;
    };
    assert.deepEqual(run(true), run(false));
  });

  it('KindlingDenseGrad alone: the values of KindlingReluGrad, BatchMatMul and Sum, NaN included', () => {
    for (const [m, k, n] of [[1, 1, 1], [7, 13, 33], [64, 40, 17], [3, 5, 0 + 130]] as const) {
      const dyv = rand([m, n], m + n), yv = rand([m, n], k);
      yv[0] = NaN;
      if (yv.length > 3) yv[3] = 0;
      const dy = tf.tensor(dyv, [m, n]), a = tf.tensor(rand([m, k], 3), [m, k]), y = tf.tensor(yv, [m, n]);
      for (const relu of [true, false]) {
        const got = tf.engine().runKernel<tf.Tensor[]>(DENSE_GRAD, relu ? { dy, a, y } : { dy, a }, { activation: relu ? 'relu' : 'linear' });
        assert.equal(got.length, relu ? 3 : 2);
        const g = relu ? tf.engine().runKernel<tf.Tensor>('KindlingReluGrad', { dy, x: y }, {}) : dy;
        const want = [tf.matMul(a, g, true, false), tf.sum(g, 0), ...(relu ? [g] : [])];
        want.forEach((w, i) => assert.deepEqual(bits(got[i]!), bits(w), `${m}x${k}x${n} relu=${relu} output ${i}`));
        tf.dispose([...got, ...want.slice(0, 2)]);
        if (relu) g.dispose();
      }
      tf.dispose([dy, a, y]);
    }
  });

  it('leaves calls it does not handle to TensorFlow.js: no tape, transposes, rank-2 bias, prelu', async () => {
    const a = tf.tensor(rand([5, 4], 1), [5, 4]), b = tf.tensor(rand([4, 3], 2), [4, 3]), bias = tf.tensor(rand([3], 3), [3]);
    const noTape = await tf.profile(() => tf.fused.matMul({ a, b, bias, activation: 'relu' }).dispose());
    assert.ok(!noTape.kernels.some((k) => k.name === DENSE), 'not recording: TF.js fuses by itself');
    const calls: [string, (x: tf.Tensor) => tf.Tensor][] = [
      ['transposeB', (x) => tf.fused.matMul({ a: x, b: tf.transpose(b), transposeB: true, bias, activation: 'relu' })],
      ['rank-2 bias', (x) => tf.fused.matMul({ a: x, b, bias: tf.reshape(bias, [1, 3]), activation: 'relu' })],
      ['prelu', (x) => tf.fused.matMul({ a: x, b, bias, activation: 'prelu', preluActivationWeights: tf.fill([3], 0.1) })],
      ['relu', (x) => tf.fused.matMul({ a: x, b, bias, activation: 'relu' })],
    ];
    for (const [what, f] of calls) {
      const g = (on: boolean): Promise<{ bits: Buffer; fusedKernel: boolean }> => {
        setDenseFusion(on);
        let out: Buffer = Buffer.alloc(0);
        return tf.profile(() => tf.tidy(() => { out = bits(tf.grad((x: tf.Tensor) => tf.sum(f(x)))(a)); }))
          .then((p) => ({ bits: out, fusedKernel: p.kernels.some((k) => k.name === DENSE) }));
      };
      const on = await g(true), off = await g(false);
      assert.deepEqual(on.bits, off.bits, what);
      assert.equal(on.fusedKernel, what === 'relu', `${what}: fused kernel used`);
    }
    tf.dispose([a, b, bias]);
  });

  it('second-order gradients run TensorFlow.js path, and autocast gives the same values with and without fusion', () => {
    const a = tf.tensor(rand([5, 4], 4), [5, 4]), b = tf.tensor(rand([4, 3], 5), [4, 3]), bias = tf.tensor(rand([3], 6), [3]);
    const f = (x: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.fused.matMul({ a: x, b, bias, activation: 'linear' })));
    const second = (on: boolean): Buffer => {
      setDenseFusion(on);
      return tf.tidy(() => bits(tf.grad((x: tf.Tensor) => tf.sum(tf.grad(f)(x)))(a)));
    };
    assert.deepEqual(second(true), second(false), 'gradient of a gradient');
    const amp = (on: boolean): Buffer => {
      setDenseFusion(on);
      return tf.tidy(() => autocast('bfloat16', () => bits(tf.grad((x: tf.Tensor) => tf.sum(tf.fused.matMul({ a: x, b, bias, activation: 'relu' })))(a))));
    };
    assert.deepEqual(amp(true), amp(false), 'autocast bfloat16');
    tf.dispose([a, b, bias]);
  });

  it('an empty batch trains (the kernel hands it to the cpu backend)', () => {
    const m = model(2);
    const x = tf.zeros([0, 13]), y = tf.zeros([0], 'int32');
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(m.apply(x, { training: true }) as tf.Tensor), vars);
    assert.equal(value.dataSync()[0], 0);
    for (const v of vars) assert.deepEqual(grads[v.name]!.shape, v.shape);
    tf.dispose([value, grads, x, y]);
    m.dispose();
  });

  it('other backends keep TensorFlow.js path (no dense kernel registered for cpu)', async () => {
    await tf.setBackend('cpu');
    try {
      const m = model(4);
      const x = tf.tensor(rand([3, 13], 8), [3, 13]), y = tf.tensor1d([0, 1, 2], 'int32');
      const r = await step(m, x, y, true);
      assert.ok(!r.kernels.includes(DENSE) && r.kernels.includes('Relu'), r.kernels.join(','));
      tf.dispose([x, y]);
      m.dispose();
    } finally {
      await tf.setBackend(NATIVE_BACKEND_NAME);
    }
  });
});
