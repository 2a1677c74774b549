// oneDNN in 'kindling-native' (native/blas/src/dnnl.cc): float32 convolutions and their backprops equal the cpu
// backend's on random shapes (odd sizes, strides, padding, dilation, batch 1), with oneDNN on and off in the same
// build; the bfloat16 convolutions and products give autocast's emulated numerics (operands rounded to bfloat16,
// float32 accumulation, outputs rounded to bfloat16) within one bfloat16 rounding step; short training loops equal
// the other paths; no tensor leaks. Without oneDNN in the build the oneDNN-specific checks skip (outside CI).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { NATIVE_BACKEND_NAME, nativeKernelLibraries } from '../../src/node.js';
import { loadNativeAddon } from '../../src/node/native/addon.js';
import { roundToDtype } from '../../../../src/amp/host-rounding.js';
import { autocast } from '../../../../src/amp/autocast.js';
import { assertClose, rand, randT, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

/** One bfloat16 rounding step of the largest output (the outputs are rounded to bfloat16 on both paths). */
const BF16_TOL = 2 ** -7;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase { x: [number, number, number, number]; f: [number, number, number, number]; strides: [number, number]; pad: Pad; dil: [number, number] }

const CASES: ConvCase[] = [
  { x: [1, 7, 9, 3], f: [3, 2, 3, 5], strides: [1, 1], pad: 'same', dil: [1, 1] },
  { x: [2, 11, 8, 4], f: [3, 3, 4, 6], strides: [2, 2], pad: 'valid', dil: [1, 1] },
  { x: [3, 10, 13, 2], f: [2, 3, 2, 7], strides: [1, 2], pad: 'same', dil: [1, 1] },
  { x: [2, 12, 11, 5], f: [3, 3, 5, 4], strides: [1, 1], pad: 'valid', dil: [2, 2] },
  { x: [2, 9, 9, 3], f: [1, 1, 3, 8], strides: [1, 1], pad: 'valid', dil: [1, 1] },
  { x: [3, 8, 7, 3], f: [5, 5, 3, 16], strides: [2, 1], pad: [[0, 0], [1, 2], [2, 1], [0, 0]], dil: [1, 1] },
  { x: [4, 28, 28, 1], f: [3, 3, 1, 32], strides: [1, 1], pad: 'valid', dil: [1, 1] },
  // enough work for two parts of unequal size (3 + 2 images), run on the pool
  { x: [5, 11, 11, 16], f: [3, 3, 16, 32], strides: [1, 1], pad: 'same', dil: [1, 1] },
];

const label = (c: ConvCase): string => `x ${c.x.join('x')} f ${c.f.join('x')} s ${c.strides.join(',')} ${JSON.stringify(c.pad)} d ${c.dil.join(',')}`;

/**
 * The convolution, and its input and filter gradients (Conv2DBackpropInput, Conv2DBackpropFilter) for a random dy;
 * TensorFlow.js has no gradient of dilated convolutions, so those give the forward pass only.
 */
function convAndGrads(c: ConvCase, seed: number): tf.Tensor[] {
  const x = randT(c.x, seed) as tf.Tensor4D, w = randT(c.f, seed + 1) as tf.Tensor4D;
  const conv = (a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D => tf.conv2d(a, b, c.strides, c.pad, 'NHWC', c.dil);
  const y = conv(x, w);
  if (c.dil[0] > 1 || c.dil[1] > 1) return [y];
  const r = randT(y.shape, seed + 2);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]);
  return [y, dx!, dw!];
}

/** `f`'s outputs on `backend`, under autocast('bfloat16') when `bf16`. */
async function valuesOn(backend: string, bf16: boolean, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const run = (): Float32Array[] => tf.tidy(() => f().map((t) => Float32Array.from(t.dataSync())));
  return bf16 ? autocast('bfloat16', run) : run();
}

function assertBf16Values(v: Float32Array, what: string): void {
  const r = roundToDtype(v, 'bfloat16');
  for (let i = 0; i < v.length; i++) if (r[i] !== v[i]) assert.fail(`${what} at ${i}: ${v[i]} is not a bfloat16 value`);
}

function setDnnl(on: boolean): void {
  const addon = loadNativeAddon();
  assert.ok(addon?.setDnnl !== undefined, 'the addon has setDnnl');
  addon.setDnnl(on);
}

function dnnlSkip(): string | false {
  const skip = skipReason();
  if (skip !== false) return skip;
  const dnnl = loadNativeAddon()?.info().dnnl;
  if (dnnl?.compiled === true || process.env.CI) return false;
  return 'the native addon was built without oneDNN (install libdnnl-dev and rebuild)';
}

/** A small tfjs-layers CNN trained `steps` SGD steps on `backend` from fixed weights; returns the losses. */
async function train(backend: string, bf16: boolean, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const model = tfl.sequential({ layers: [
    tfl.layers.conv2d({ inputShape: [12, 12, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
    tfl.layers.conv2d({ filters: 12, kernelSize: 3, strides: 2, activation: 'relu' }),
    tfl.layers.maxPooling2d({ poolSize: 2 }), tfl.layers.flatten(),
    tfl.layers.dense({ units: 3 }),
  ] });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(rand(w.shape, 100 + i).map((v) => v * 0.3), w.shape)));
  const x = randT([6, 12, 12, 1], 9);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
  const opt = tf.train.sgd(0.1);
  const losses: number[] = [];
  let baseline = -1;
  for (let i = 0; i < steps; i++) {
    const step = (): tf.Scalar | null => opt.minimize(() => tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(y, model.apply(x, { training: true }) as tf.Tensor), true);
    const loss = bf16 ? autocast('bfloat16', step) : step();
    losses.push(loss?.dataSync()[0] ?? NaN);
    tf.dispose(loss ?? []);
    if (i === 0) baseline = tf.memory().numTensors;
  }
  assert.equal(tf.memory().numTensors, baseline, `${backend}: numTensors unchanged across steps`);
  opt.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return losses;
}

describe('oneDNN in kindling-native', { skip: dnnlSkip() }, () => {
  before(setUpNative);
  after(async () => {
    setDnnl(true);
    await tearDownNative();
  });

  it('reports oneDNN, its ISA and the library of each kernel family', () => {
    const info = loadNativeAddon()!.info();
    assert.equal(info.dnnl?.compiled, true);
    assert.match(info.dnnl?.version ?? '', /^\d+\.\d+\.\d+$/);
    for (const family of ['matmul', 'matmulBf16', 'conv', 'convBackprop', 'convBf16', 'pool']) {
      assert.match(info.kernels?.[family] ?? '', /openblas|onednn|kindling/, `${family}: ${info.kernels?.[family]}`);
    }
    assert.match(info.openblasThreading ?? '', /^(sequential|pthreads|openmp)$/);
    const libraries = nativeKernelLibraries();
    assert.ok(libraries !== null);
    assert.match(libraries.convBf16 ?? '', /onednn|kindling/);
  });

  it('float32 Conv2D and both backprops equal the cpu backend, with oneDNN on and off', async () => {
    for (const [i, c] of CASES.entries()) {
      const cpu = await valuesOn('cpu', false, () => convAndGrads(c, 10 + i));
      for (const on of [true, false]) {
        setDnnl(on);
        const native = await valuesOn(NATIVE_BACKEND_NAME, false, () => convAndGrads(c, 10 + i));
        assert.equal(native.length, cpu.length);
        native.forEach((v, j) => assertClose(v, cpu[j]!, `${label(c)} ${['y', 'dx', 'dw'][j]} (oneDNN ${on ? 'on' : 'off'})`, 1e-4));
      }
    }
    setDnnl(true);
  });

  it('max pooling forward (oneDNN) and kindling\'s loop both give the cpu backend\'s values, special values included', async () => {
    const special = [NaN, Infinity, -Infinity, 0, -0];
    const cases: [[number, number, number, number], number, number, 'valid' | 'same'][] = [
      [[5, 12, 12, 32], 2, 2, 'valid'], [[1, 9, 7, 19], 3, 2, 'same'], [[3, 8, 8, 3], 2, 3, 'valid'], [[2, 7, 7, 17], 2, 2, 'same'],
    ];
    // ties, a NaN, an all -inf window and an all-NaN window (2x2 / 2 over 4x4), over 19 channels
    const windows = [1, 1, 2, 2, NaN, 3, -Infinity, -Infinity, 1, 1, 2, NaN, 3, -Infinity, -Infinity, -Infinity];
    const nan4 = Float32Array.from({ length: 16 * 19 }, (_, j) => windows[Math.floor(j / 19)]!);
    nan4.fill(NaN, 2 * 4 * 19, 2 * 4 * 19 + 2 * 19); // rows 2-3, columns 0-1: NaN
    nan4.fill(NaN, 3 * 4 * 19, 3 * 4 * 19 + 2 * 19);
    cases.push([[1, 4, 4, 19], 2, 2, 'valid']);
    for (const [i, [xs, f, stride, pad]] of cases.entries()) {
      const values = i === cases.length - 1 ? nan4 : Float32Array.from(rand(xs, 80 + i), (v, j) => (j % 13 === 4 ? special[j % special.length]! : v));
      const f1 = (): tf.Tensor[] => [tf.maxPool(tf.tensor4d(values, xs), f, stride, pad)];
      const cpu = await valuesOn('cpu', false, f1);
      for (const on of [true, false]) {
        setDnnl(on);
        const native = await valuesOn(NATIVE_BACKEND_NAME, false, f1);
        assert.deepEqual(Buffer.from(native[0]!.buffer), Buffer.from(cpu[0]!.buffer), `maxPool ${JSON.stringify([xs, f, stride, pad])}, oneDNN ${on ? 'on' : 'off'}`);
      }
    }
    setDnnl(true);
    assert.match(loadNativeAddon()!.info().kernels?.pool ?? '', /^max pooling forward: onednn/);
  });

  it('the input gradient runs the implementation oneDNN picks (never a reference kernel for a shared filter layout)', async () => {
    // The CNN's second layer: reading the forward pass's filter layout made oneDNN fall back to a reference
    // kernel there (seconds per step); the backend keeps that layout only when oneDNN's own choice reads it.
    for (const bf16 of [false, true]) {
      // the input gradient alone: the family's implementation noted last is the input gradient's
      await valuesOn(NATIVE_BACKEND_NAME, bf16, () => {
        const w = randT([3, 3, 32, 64], 71) as tf.Tensor4D;
        return [tf.grad((x: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, w, 1, 'same')))(randT([2, 14, 14, 32], 70))];
      });
      const kernels = loadNativeAddon()!.info().kernels ?? {};
      const family = bf16 ? kernels.convBf16 : kernels.convBackprop;
      assert.match(family ?? '', /onednn/, `${bf16 ? 'convBf16' : 'convBackprop'}: ${family}`);
      assert.doesNotMatch(family ?? '', /\bref\b/, `${bf16 ? 'convBf16' : 'convBackprop'}: ${family}`);
    }
  });

  it('bfloat16 Conv2D and both backprops give autocast\'s emulated numerics', async () => {
    for (const [i, c] of CASES.entries()) {
      const emulated = await valuesOn('cpu', true, () => convAndGrads(c, 30 + i));
      const native = await valuesOn(NATIVE_BACKEND_NAME, true, () => convAndGrads(c, 30 + i));
      assert.equal(native.length, emulated.length);
      native.forEach((v, j) => {
        const name = `${label(c)} bf16 ${['y', 'dx', 'dw'][j]}`;
        assertBf16Values(v, name);
        assertClose(v, emulated[j]!, name, BF16_TOL);
      });
    }
    // On a CPU with bfloat16 dot products these ran on oneDNN: info() names the implementations it created.
    const info = loadNativeAddon()!.info();
    if (info.dnnl?.bf16 === true) assert.match(info.kernels?.convBf16 ?? '', /^onednn .*\(\w+:[\w_]+\).*\(\w+:[\w_]+\)/, info.kernels?.convBf16);
  });

  it('bfloat16 FusedConv2D (bias, ReLU) rounds the bias and the output as autocast does', async () => {
    const f = (): tf.Tensor[] => [tf.fused.conv2d({ x: randT([3, 9, 10, 4], 1) as tf.Tensor4D, filter: randT([3, 3, 4, 16], 2) as tf.Tensor4D,
      strides: 1, pad: 'same', bias: randT([16], 3), activation: 'relu' })];
    const emulated = await valuesOn('cpu', true, f);
    const native = await valuesOn(NATIVE_BACKEND_NAME, true, f);
    assertBf16Values(native[0]!, 'fused conv');
    assertClose(native[0]!, emulated[0]!, 'bf16 fused conv', BF16_TOL);
  });

  it('bfloat16 products of every shape class (split over the pool, batched, transposed) give autocast\'s numerics', async () => {
    const shapes: [number[], number[], boolean, boolean][] = [
      [[100, 70], [70, 33], false, false], [[70, 100], [70, 33], true, false], [[100, 70], [33, 70], false, true],
      [[1, 257], [257, 129], false, false], [[3, 20, 30], [3, 30, 17], false, false], [[4, 19, 30], [30, 17], false, false],
      [[2, 30, 19], [1, 17, 30], true, true], [[96, 200], [200, 130], false, false], [[200, 97], [200, 130], true, false],
      // cut over the pool by rows with a partial last part: a transposed A, and a B of 20 columns
      [[64, 300], [64, 40], true, false], [[500, 64], [64, 20], false, false],
    ];
    for (const [sa, sb, ta, tb] of shapes) {
      const f = (): tf.Tensor[] => [tf.matMul(randT(sa, 5), randT(sb, 6), ta, tb)];
      const emulated = await valuesOn('cpu', true, f);
      const native = await valuesOn(NATIVE_BACKEND_NAME, true, f);
      const what = `bf16 matmul ${sa.join('x')} ${ta} x ${sb.join('x')} ${tb}`;
      assertBf16Values(native[0]!, what);
      assertClose(native[0]!, emulated[0]!, what, BF16_TOL);
    }
  });

  it('a CNN trains to the same losses with oneDNN on and off (float32), and in bfloat16 as emulated, without leaks', async () => {
    const steps = 8;
    const cpu = await train('cpu', false, steps);
    setDnnl(false);
    const plain = await train(NATIVE_BACKEND_NAME, false, steps);
    setDnnl(true);
    const dnnl = await train(NATIVE_BACKEND_NAME, false, steps);
    assertClose(dnnl, plain, 'float32 losses, oneDNN vs OpenBLAS', 1e-4);
    assertClose(dnnl, cpu, 'float32 losses, oneDNN vs cpu', 1e-4);
    assert.ok(dnnl[steps - 1]! < dnnl[0]!, `loss decreases: ${dnnl[0]} -> ${dnnl[steps - 1]}`);
    const emulated = await train('cpu', true, steps);
    const native = await train(NATIVE_BACKEND_NAME, true, steps);
    assertClose(native, emulated, 'bfloat16 losses, native vs emulated', 2e-2);
    await tf.setBackend(NATIVE_BACKEND_NAME);
  });
});
