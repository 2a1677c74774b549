// Every native kernel of the 'kindling-native' backend gives the cpu backend's results: matmul in all transpose
// and batch-broadcast cases with fused bias/activations, convolutions and their gradients (strides, same/valid/
// explicit padding, dilations, odd sizes), pooling and its gradients, elementwise ops with every broadcast pattern
// (native and fallback), activations, reductions and softmax; with TensorFlow.js's per-kernel leak check on.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { NATIVE_BACKEND_NAME, NATIVE_KERNELS, nativeFallbackCounts } from '../../src/node.js';
import { assertNativeMatchesCpu, randT, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

describe('kindling-native kernels', { skip: skipReason() }, () => {
  before(setUpNative);
  after(tearDownNative);

  it('registers native kernels for the hot ops and every cpu kernel', () => {
    for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter',
      'MaxPool', 'AvgPool', 'MaxPoolGrad', 'AvgPoolGrad', 'Add', 'Sub', 'Multiply', 'RealDiv', 'Relu', 'Step', 'Sum', 'Max',
      'Mean', 'Softmax', 'Sqrt']) assert.ok(NATIVE_KERNELS.includes(name), name);
    for (const k of tf.getKernelsForBackend('cpu')) {
      const native = tf.getKernel(k.kernelName, NATIVE_BACKEND_NAME);
      assert.ok(native !== undefined, `missing ${k.kernelName}`);
      assert.equal(native.kernelFunc !== k.kernelFunc, NATIVE_KERNELS.includes(k.kernelName), k.kernelName);
    }
  });

  it('BatchMatMul: every transpose case, batch broadcasting, odd sizes', async () => {
    const cases: [number[], number[]][] = [
      [[5, 7], [7, 3]], [[1, 1], [1, 9]], [[3, 5, 7], [3, 7, 4]], [[3, 5, 7], [7, 4]], [[1, 5, 7], [4, 7, 6]],
      [[2, 3, 5, 7], [3, 7, 2]], [[2, 1, 5, 7], [1, 3, 7, 4]], [[64, 33], [33, 17]],
      // products large enough for oneDNN (when built in), cut over the pool by rows (with a partial last part), for
      // every transpose
      [[96, 200], [200, 130]], [[300, 64], [64, 40]], [[500, 64], [64, 20]],
    ];
    let seed = 1;
    for (const [sa, sb] of cases) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = ta ? [...sa.slice(0, -2), sa[sa.length - 1]!, sa[sa.length - 2]!] : sa;
          const b = tb ? [...sb.slice(0, -2), sb[sb.length - 1]!, sb[sb.length - 2]!] : sb;
          const s = seed++;
          await assertNativeMatchesCpu(() => tf.matMul(randT(a, s), randT(b, s + 100), ta, tb), `matmul ${JSON.stringify([a, b, ta, tb])}`);
        }
      }
    }
  });

  it('_FusedMatMul: bias (per column, scalar, full) and every fused activation', async () => {
    const acts = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'prelu', 'sigmoid'] as const;
    const biases: (number[] | null)[] = [null, [6], [1], [4, 6]];
    for (const activation of acts) {
      for (const biasShape of biases) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const what = `fused ${activation} ${JSON.stringify(biasShape)} ${ta} ${tb}`;
          await assertNativeMatchesCpu(() => tf.fused.matMul({
            a: randT(ta ? [5, 4] : [4, 5], 3), b: randT(tb ? [6, 5] : [5, 6], 4), transposeA: ta, transposeB: tb,
            activation, leakyreluAlpha: 0.3,
            ...(biasShape === null ? {} : { bias: randT(biasShape, 5) }),
            ...(activation === 'prelu' ? { preluActivationWeights: randT([6], 6) } : {}),
          }), what);
        }
      }
    }
  });

  const CONV_CASES: [Shape4, Shape4, number | [number, number], Pad, number | [number, number]][] = [
    [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'valid', 1],
    [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same', 1],
    [[1, 10, 7, 2], [3, 2, 2, 5], 2, 'same', 1],
    [[1, 11, 11, 2], [5, 5, 2, 3], [2, 3], 'valid', 1],
    [[2, 8, 8, 1], [3, 3, 1, 6], 1, [[0, 0], [1, 2], [2, 1], [0, 0]], 1],
    [[2, 7, 9, 2], [2, 4, 2, 3], [3, 2], [[0, 0], [3, 0], [0, 4], [0, 0]], 1],
    [[3, 6, 6, 5], [1, 1, 5, 2], 2, 'valid', 1],
    [[2, 5, 5, 4], [1, 1, 4, 3], 1, 'valid', 1],
    [[1, 12, 11, 2], [3, 3, 2, 3], 1, 'same', 2],
    [[2, 13, 10, 3], [2, 3, 3, 2], 1, 'valid', [2, 3]],
    // small windows (<= 16 taps) with 8/16/32/64 output channels take the direct convolution
    [[2, 9, 9, 1], [3, 3, 1, 8], 2, 'same', 1],
    [[1, 7, 7, 2], [2, 2, 2, 16], 1, 'valid', 1],
    [[2, 10, 8, 1], [4, 4, 1, 32], 1, 'same', 1],
    [[2, 11, 11, 1], [3, 3, 1, 64], [1, 2], [[0, 0], [2, 1], [0, 3], [0, 0]], 1],
    [[1, 12, 12, 1], [3, 3, 1, 32], 1, 'same', 2],
  ];

  it('Conv2D and FusedConv2D: strides, padding, dilations, bias and activations', async () => {
    let seed = 10;
    for (const [xs, fs, strides, pad, dilations] of CONV_CASES) {
      const s = seed++;
      const what = JSON.stringify([xs, fs, strides, pad, dilations]);
      await assertNativeMatchesCpu(() => tf.conv2d(randT(xs, s) as tf.Tensor4D, randT(fs, s + 1) as tf.Tensor4D, strides, pad, 'NHWC', dilations), `conv ${what}`);
      for (const activation of ['relu', 'leakyrelu', 'prelu', 'elu'] as const) {
        await assertNativeMatchesCpu(() => tf.fused.conv2d({
          x: randT(xs, s) as tf.Tensor4D, filter: randT(fs, s + 1) as tf.Tensor4D, strides, pad, dilations,
          bias: randT([fs[3]], s + 2), activation, leakyreluAlpha: 0.15,
          ...(activation === 'prelu' ? { preluActivationWeights: randT([fs[3]], s + 3) } : {}),
        }), `fused conv ${activation} ${what}`);
      }
    }
  });

  it('Conv2DBackpropInput and Conv2DBackpropFilter', async () => {
    let seed = 40;
    for (const [xs, fs, strides, pad, dilations] of CONV_CASES) {
      if (dilations !== 1) continue;
      const s = seed++;
      const dys = tf.backend_util.computeConv2DInfo(xs, fs, strides, 1, pad).outShape;
      const what = JSON.stringify([xs, fs, strides, pad]);
      await assertNativeMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: randT(xs, s), dy: randT(dys, s + 1) },
        { strides, pad, dataFormat: 'NHWC', filterShape: fs }), `filter ${what}`);
      await assertNativeMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: randT(dys, s + 1), filter: randT(fs, s + 2) },
        { strides, pad, dataFormat: 'NHWC', inputShape: xs }), `input ${what}`);
    }
  });

  it('MaxPool, AvgPool and their gradients', async () => {
    const cases: [Shape4, [number, number], [number, number], 'valid' | 'same' | number][] = [
      [[2, 8, 8, 3], [2, 2], [2, 2], 'valid'], [[1, 9, 7, 2], [3, 3], [2, 2], 'same'], [[2, 7, 7, 5], [3, 2], [1, 2], 'valid'],
      [[1, 6, 6, 1], [3, 3], [1, 1], 'same'], [[2, 10, 9, 4], [2, 3], [3, 2], 1],
      // disjoint windows that leave inputs uncovered, and a stride wider than the window
      [[2, 7, 7, 3], [2, 2], [2, 2], 'valid'], [[1, 8, 8, 2], [2, 2], [3, 3], 'valid'], [[1, 8, 8, 17], [2, 2], [2, 2], 'same'],
    ];
    let seed = 60;
    for (const [xs, f, strides, pad] of cases) {
      const s = seed++;
      const what = JSON.stringify([xs, f, strides, pad]);
      await assertNativeMatchesCpu(() => tf.maxPool(randT(xs, s) as tf.Tensor4D, f, strides, pad), `maxPool ${what}`);
      await assertNativeMatchesCpu(() => tf.avgPool(randT(xs, s) as tf.Tensor4D, f, strides, pad), `avgPool ${what}`);
      await assertNativeMatchesCpu(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(x as tf.Tensor4D, f, strides, pad), randT(tf.maxPool(x as tf.Tensor4D, f, strides, pad).shape, s + 1))))(randT(xs, s)), `maxPoolGrad ${what}`);
      await assertNativeMatchesCpu(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(x as tf.Tensor4D, f, strides, pad), randT(tf.avgPool(x as tf.Tensor4D, f, strides, pad).shape, s + 1))))(randT(xs, s)), `avgPoolGrad ${what}`);
    }
  });

  it('maxPool and its gradient with ties, NaN and all -inf windows: the cpu kernel\'s values and routes', async () => {
    // 2x2/2 windows over one channel: ties (first maximum wins), a NaN (never the maximum), an all -inf window (no
    // gradient), and an all-NaN window; then the same values over 19 channels for the vectorised path.
    const base = [1, 1, 2, 2, NaN, 3, -Infinity, -Infinity, 1, 1, 2, NaN, 3, -Infinity, -Infinity, -Infinity];
    for (const channels of [1, 19]) {
      const values = Float32Array.from({ length: 16 * channels }, (_, i) => base[Math.floor(i / channels)]!);
      const x = tf.tensor4d(values, [1, 4, 4, channels]);
      const dy = tf.tensor4d(Float32Array.from({ length: 4 * channels }, (_, i) => i + 1), [1, 2, 2, channels]);
      await assertNativeMatchesCpu(() => tf.maxPool(x, 2, 2, 'valid'), `maxPool special values, ${channels} channel(s)`, 0);
      await assertNativeMatchesCpu(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, 'valid'), dy)))(x), `maxPoolGrad special values, ${channels} channel(s)`, 0);
      tf.dispose([x, dy]);
    }
  });

  it('binary ops with same-shape, scalar, row, column and other (fallback) broadcasts', async () => {
    const pairs: [number[], number[]][] = [
      [[4, 6], [4, 6]], [[4, 6], []], [[], [4, 6]], [[4, 6], [6]], [[6], [4, 6]], [[4, 6], [4, 1]], [[4, 1], [4, 6]],
      [[2, 3, 5], [5]], [[2, 3, 5], [2, 3, 1]], [[2, 3, 1], [5]], [[3, 1, 4], [3, 5, 4]], [[1, 6], [4, 1]], [[7], [1]],
      [[2, 3, 5], [1, 3, 5]], [[64, 26, 26, 3], [3]],
    ];
    const ops: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', (a, b) => tf.div(a, tf.add(tf.abs(b), 0.5))],
      ['maximum', tf.maximum], ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
      ['prelu', (a, b) => tf.prelu(a, b)],
    ];
    let seed = 80;
    for (const [name, op] of ops) {
      for (const [sa, sb] of pairs) {
        if (name === 'prelu' && sb.length > sa.length) continue;
        const s = seed++;
        await assertNativeMatchesCpu(() => op(randT(sa, s), randT(sb, s + 1)), `${name} ${JSON.stringify([sa, sb])}`);
      }
    }
    await assertNativeMatchesCpu(() => tf.add(tf.tensor([1, 2, 3], [3], 'int32'), tf.tensor([4], [1], 'int32')), 'int32 add (cpu fallback)');
  });

  it('unary ops, activations and their gradients', async () => {
    const x = (): tf.Tensor => tf.mul(randT([5, 37], 7), 4);
    const pos = (): tf.Tensor => tf.add(tf.abs(randT([5, 37], 8)), 0.1);
    const unary: [string, () => tf.Tensor][] = [
      ['relu', () => tf.relu(x())], ['relu6', () => tf.relu6(tf.mul(x(), 2))], ['elu', () => tf.elu(x())],
      ['leakyRelu', () => tf.leakyRelu(x(), 0.13)], ['sigmoid', () => tf.sigmoid(x())], ['tanh', () => tf.tanh(x())],
      ['exp', () => tf.exp(x())], ['log', () => tf.log(pos())], ['neg', () => tf.neg(x())], ['square', () => tf.square(x())],
      ['sqrt', () => tf.sqrt(pos())], ['rsqrt', () => tf.rsqrt(pos())], ['abs', () => tf.abs(x())], ['step', () => tf.step(x(), 0.25)],
      ['reciprocal', () => tf.reciprocal(pos())],
    ];
    for (const [name, f] of unary) await assertNativeMatchesCpu(f, name);
    const grads: [string, (t: tf.Tensor) => tf.Tensor][] = [
      ['relu', tf.relu], ['elu', tf.elu], ['sigmoid', tf.sigmoid], ['tanh', tf.tanh], ['leakyRelu', (t) => tf.leakyRelu(t, 0.2)],
    ];
    for (const [name, f] of grads) {
      await assertNativeMatchesCpu(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), randT([5, 37], 9))))(x()), `${name} grad`);
    }
  });

  it('reductions: innermost, outermost, middle, all and non-contiguous (fallback) axes, keepDims', async () => {
    const axesList: (number | number[] | undefined)[] = [-1, 0, 1, [0, 1], [1, 2], undefined, [0, 2], [2, 0]];
    const ops: [string, (t: tf.Tensor, axis: number | number[] | undefined, keep: boolean) => tf.Tensor][] = [
      ['sum', (t, a, k) => tf.sum(t, a, k)], ['mean', (t, a, k) => tf.mean(t, a, k)], ['max', (t, a, k) => tf.max(t, a, k)],
      ['min', (t, a, k) => tf.min(t, a, k)], ['prod', (t, a, k) => tf.prod(tf.add(t, 1.5), a, k)],
    ];
    for (const [name, op] of ops) {
      for (const axis of axesList) {
        for (const keep of [false, true]) {
          await assertNativeMatchesCpu(() => op(randT([3, 4, 5], 11), axis, keep), `${name} ${JSON.stringify(axis)} ${keep}`);
        }
      }
    }
    await assertNativeMatchesCpu(() => tf.sum(randT([1000, 3], 12), 0), 'sum of a long column');
    await assertNativeMatchesCpu(() => tf.sum(tf.tensor([1, 2, 3], [3], 'int32')), 'int32 sum (cpu fallback)');
  });

  it('runs the common cases natively and the others on the cpu kernels', async () => {
    const count = (name: string): number => nativeFallbackCounts().get(name) ?? 0;
    const before = ['Add', 'BatchMatMul', 'Conv2D', 'Sum', 'Multiply'].map(count);
    await assertNativeMatchesCpu(() => [tf.add(randT([4, 6], 1), randT([6], 2)), tf.mul(randT([4, 1], 3), randT([4, 6], 4)),
      tf.matMul(randT([2, 3, 5], 5), randT([5, 4], 6), false, false), tf.conv2d(randT([1, 5, 5, 2], 7) as tf.Tensor4D, randT([3, 3, 2, 2], 8) as tf.Tensor4D, 1, 'same'),
      tf.sum(randT([3, 4, 5], 9), [1, 2])], 'native cases');
    assert.deepEqual(['Add', 'BatchMatMul', 'Conv2D', 'Sum', 'Multiply'].map(count), before);
    const addBefore = count('Add');
    await assertNativeMatchesCpu(() => tf.add(randT([3, 1, 4], 1), randT([3, 5, 4], 2)), 'middle broadcast');
    assert.ok(count('Add') > addBefore);
  });

  it('GatherV2 and PadV2 (data movement): every axis, int32 and float32, repeated indices, constant values', async () => {
    const x = randT([3, 5, 4], 31);
    const xi = tf.cast(tf.mul(x, 100), 'int32');
    const idx = tf.tensor1d([4, 0, 0, 2], 'int32');
    const idx2 = tf.tensor2d([[1, 0], [2, 2]], [2, 2], 'int32');
    await assertNativeMatchesCpu(() => [
      tf.gather(x, idx, 1), tf.gather(x, tf.tensor1d([2, 1, 2], 'int32'), 0), tf.gather(x, tf.tensor1d([3, 0], 'int32'), -1),
      tf.gather(x, idx2, 1), tf.cast(tf.gather(xi, idx, 1), 'float32'), tf.gather(tf.reshape(x, [-1]), tf.tensor1d([59, 0, 7], 'int32')),
    ], 'gather');
    await assertNativeMatchesCpu(() => [
      tf.pad(x, [[1, 0], [0, 2], [3, 1]]), tf.pad(x, [[0, 0], [2, 2], [0, 0]], -1.5), tf.pad(tf.reshape(x, [-1]), [[2, 3]]),
      tf.pad(tf.reshape(x, [1, 3, 5, 4]), [[0, 1], [1, 1], [2, 0], [0, 0]]), tf.cast(tf.pad(xi, [[1, 1], [0, 0], [0, 1]], 7), 'float32'),
    ], 'pad');
    tf.dispose([x, xi, idx, idx2]);
  });

  it('GatherV2 with an out-of-range index falls back to the cpu kernel, which reports it', async () => {
    await tf.setBackend(NATIVE_BACKEND_NAME);
    const x = randT([4, 3], 32);
    const bad = tf.tensor1d([1, 9], 'int32');
    assert.throws(() => tf.gather(x, bad), /index value 9 is not in \[0, 3\]/);
    tf.dispose([x, bad]);
  });

  it('softmax along the last axis, and log-softmax', async () => {
    await assertNativeMatchesCpu(() => tf.softmax(tf.mul(randT([6, 11], 13), 5)), 'softmax');
    await assertNativeMatchesCpu(() => tf.softmax(randT([2, 3, 4], 14)), 'softmax rank 3');
    await assertNativeMatchesCpu(() => tf.logSoftmax(tf.mul(randT([6, 11], 15), 5)), 'logSoftmax');
    await assertNativeMatchesCpu(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), randT([6, 11], 16))))(randT([6, 11], 17)), 'softmax grad');
  });
});
