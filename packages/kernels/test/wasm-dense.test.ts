// kindling's fused Dense layer on wasm (FUSED_LAYER_KERNELS.dense, registered by installWasmFixes): under a gradient
// tape a tf.layers Dense layer runs one fused kernel forward; losses, gradients and weights after momentum steps
// equal the unfused computation on cpu within float32 rounding (XNNPACK adds the bias first); relu and linear, with
// and without bias, odd sizes; its backward kernel (KindlingDenseGrad) bit-identical to the stock kernels it replaces;
// no leaks; setDenseFusion(false) and calls outside a tape take TensorFlow.js's path.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { installWasmFixes } from '../src/index.js';
import { FUSED_LAYER_KERNELS } from '../src/contract.js';
import { setDenseFusion } from '../src/gradients/dense.js';
import { applyGradients } from '../../../src/backends/optimizer-update.js';
import { assertClose, rand } from './wasm-helpers.js';
import { setWasmSimdLoops } from '../src/wasm/simd.js';

const bits = (t: tf.Tensor): Buffer => Buffer.from(Float32Array.from(t.dataSync()).buffer);

function model(seed: number): tfl.Sequential {
  const m = tfl.sequential({ layers: [
    tfl.layers.dense({ inputShape: [37], units: 29, activation: 'relu' }),
    tfl.layers.dense({ units: 17, activation: 'linear', useBias: false }),
    tfl.layers.dense({ units: 5, activation: 'relu' }),
    tfl.layers.dense({ units: 3 }),
  ] });
  m.trainableWeights.forEach((w, i) => {
    const shape = w.shape.map((d) => d ?? 1);
    w.write(tf.tensor(rand(shape, seed + i).map((v) => v * 0.5), shape));
  });
  return m;
}

/** Three momentum steps of the model on `backend`: the losses, the last gradients and the final weights. */
async function train(backend: string): Promise<{ losses: number[]; values: Float32Array[]; kernels: string[] }> {
  await tf.setBackend(backend);
  const m = model(7);
  const opt = tf.train.momentum(0.1, 0.9);
  const x = tf.tensor2d(rand([11, 37], 1), [11, 37]);
  const y = tf.tensor2d(rand([11, 3], 2), [11, 3]);
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  let grads: Float32Array[] = [];
  let kernels: string[] = [];
  for (let s = 0; s < 3; s++) {
    const profile = await tf.profile(() => {
      const { value, grads: g } = tf.variableGrads(() => tf.mean<tf.Scalar>(tf.square(tf.sub(m.apply(x, { training: true }) as tf.Tensor, y))), vars);
      losses.push(value.dataSync()[0]!);
      grads = Object.values(g).map((t) => Float32Array.from(t.dataSync()));
      applyGradients(opt, g);
      tf.dispose([value, g]);
    });
    kernels = profile.kernels.map((k) => k.name);
  }
  const values = [...grads, ...vars.map((v) => Float32Array.from(v.dataSync()))];
  tf.dispose([x, y]);
  m.dispose();
  opt.dispose();
  return { losses, values, kernels };
}

describe('fused Dense layer on wasm', () => {
  before(() => assert.ok(installWasmFixes()));
  after(() => setDenseFusion(true));

  it('one fused kernel per Dense layer forward; losses, gradients and weights equal the cpu backend', async () => {
    const wasm = await train('wasm');
    const cpu = await train('cpu');
    assert.equal(wasm.kernels.filter((k) => k === FUSED_LAYER_KERNELS.dense).length, 4);
    assert.ok(!wasm.kernels.includes('Relu'), 'Relu ran unfused');
    // backward: one KindlingDenseGrad per layer (ReLU and bias gradients, the weights' product), no Sum or Step left
    assert.equal(wasm.kernels.filter((k) => k === FUSED_LAYER_KERNELS.denseGrad).length, 4, wasm.kernels.join(','));
    assert.ok(!wasm.kernels.includes('Sum') && !wasm.kernels.includes('Step'), wasm.kernels.join(','));
    assertClose(wasm.losses, cpu.losses, 'losses', 1e-5);
    wasm.values.forEach((v, i) => assertClose(v, cpu.values[i]!, `gradient/weight ${i}`, 1e-5));
  });

  it('few rows (the product computed transposed, then bias and ReLU): values and gradients equal the cpu backend', async () => {
    // 16 x 300 x 200: XNNPACK would re-pack the 300 x 200 weights; the kernel packs the 16 rows instead
    for (const [activation, useBias] of [['relu', true], ['linear', false], ['relu', false]] as const) {
      const run = async (backend: string): Promise<Float32Array[]> => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const x = tf.tensor2d(rand([16, 300], 8), [16, 300]);
          const w = tf.tensor2d(rand([300, 200], 9), [300, 200]);
          const b = tf.tensor1d(rand([200], 10));
          const f = (...t: tf.Tensor[]): tf.Tensor =>
            tf.sum(tf.square(tf.fused.matMul({ a: t[0] as tf.Tensor2D, b: t[1] as tf.Tensor2D, ...(t[2] === undefined ? {} : { bias: t[2] }), activation })));
          const inputs = useBias ? [x, w, b] : [x, w];
          return [f(...inputs), ...tf.grads(f)(inputs)].map((t) => Float32Array.from(t.dataSync()));
        });
      };
      await tf.setBackend('wasm');
      const profile = await tf.profile(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.fused.matMul({ a: xx, b: tf.ones([300, 200]), activation })))(tf.ones([16, 300])));
      assert.ok(profile.kernels.some((k) => k.name === FUSED_LAYER_KERNELS.dense), 'not routed to the fused Dense kernel');
      const wasm = await run('wasm');
      const cpu = await run('cpu');
      wasm.forEach((v, i) => assertClose(v, cpu[i]!, `${activation} bias=${String(useBias)} #${i}`, 1e-5));
    }
  });

  it('KindlingDenseGrad: the bits of Step, Multiply, Sum and BatchMatMul on wasm, with and without SIMD; NaN too', async () => {
    await tf.setBackend('wasm');
    const data = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
    for (const simd of [true, false]) {
      setWasmSimdLoops(simd);
      try {
        for (const [m, k, n] of [[1, 1, 1], [64, 30, 16], [7, 13, 37], [33, 5, 3]] as const) {
          const yv = rand([m, n], k + n);
          const special = [NaN, 0, -0, Infinity, -Infinity];
          for (let i = 0; i < yv.length; i += 5) yv[i] = special[(i / 5) % special.length]!;
          const dy = tf.tensor2d(rand([m, n], m), [m, n]), a = tf.tensor2d(rand([m, k], 3), [m, k]), y = tf.tensor2d(yv, [m, n]);
          const heldData = data.numDataIds();
          for (const relu of [true, false]) {
            const got = tf.engine().runKernel<tf.Tensor[]>(FUSED_LAYER_KERNELS.denseGrad, relu ? { dy, a, y } : { dy, a }, { activation: relu ? 'relu' : 'linear' });
            assert.equal(got.length, relu ? 3 : 2);
            const want = tf.tidy(() => {
              const g = relu ? tf.mul(dy, tf.step(tf.cast(y, 'float32'))) : dy;
              return [tf.matMul(a, g, true, false), tf.sum(g, 0), ...(relu ? [g] : [])];
            });
            want.forEach((w, i) => assert.deepEqual(bits(got[i]!), bits(w), `simd=${String(simd)} ${m}x${k}x${n} relu=${String(relu)} output ${i}`));
            tf.dispose([...got, ...want]);
          }
          assert.equal(data.numDataIds(), heldData, 'wasm buffers leaked');
          tf.dispose([dy, a, y]);
        }
      } finally {
        setWasmSimdLoops(true);
      }
    }
  });

  it('no tensor leaks over training steps', async () => {
    await tf.setBackend('wasm');
    const m = model(3);
    const opt = tf.train.sgd(0.05);
    const x = tf.tensor2d(rand([8, 37], 5), [8, 37]);
    const step = (): void => {
      const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(m.apply(x, { training: true }) as tf.Tensor),
        m.trainableWeights.map((w) => w.read() as tf.Variable));
      applyGradients(opt, grads);
      tf.dispose([value, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(x);
    m.dispose();
  });

  it('outside a tape, and with setDenseFusion(false), TensorFlow.js runs its own kernels', async () => {
    await tf.setBackend('wasm');
    const m = model(4);
    const x = tf.tensor2d(rand([4, 37], 6), [4, 37]);
    const outside = await tf.profile(() => m.predict(x));
    assert.ok(!outside.kernels.some((k) => k.name === FUSED_LAYER_KERNELS.dense));
    setDenseFusion(false);
    const off = await tf.profile(() => tf.grad((xx: tf.Tensor) => tf.sum(m.apply(xx, { training: true }) as tf.Tensor))(x));
    assert.ok(!off.kernels.some((k) => k.name === FUSED_LAYER_KERNELS.dense));
    setDenseFusion(true);
    tf.dispose(x);
    m.dispose();
  });
});
