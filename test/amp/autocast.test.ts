import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { AUTOCAST_KERNELS, autocast, defaultAmpDtype } from '../../src/amp/index.js';
import { firstMismatch } from './half-reference.js';
import {
  r, randomFloats, randomInts, refConv2d, refConv2dDf, refConv2dDx, refMatMul, transpose, type ConvShape,
} from './kernels-reference.js';

const DTYPES = ['float16', 'bfloat16'] as const;

function assertSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  const i = firstMismatch(got, want);
  assert.equal(i, -1, i >= 0 ? `${what} differs at ${i}: got ${got[i]}, reference ${want[i]}` : '');
}

/** The reference must actually differ from plain float32 math, or the comparison proves nothing. */
function assertRoundingVisible(rounded: ArrayLike<number>, plain: ArrayLike<number>, what: string): void {
  assert.notEqual(firstMismatch(rounded, plain), -1, `${what}: test data does not exercise rounding`);
}

function kernelSnapshot(): unknown[] {
  return AUTOCAST_KERNELS.map((name) => tf.getKernel(name, tf.getBackend()));
}

/** loss = sum(matMul(x, w) * c); returns [y, dx, dw] as arrays, computed under autocast(dtype) or plain. */
function matMulProblem(x: Float32Array, w: Float32Array, c: Float32Array, m: number, k: number, n: number,
  dtype: 'float16' | 'bfloat16' | null): Float32Array[] {
  const run = (): Float32Array[] => tf.tidy(() => {
    const xt = tf.tensor2d(x, [m, k]);
    const wt = tf.tensor2d(w, [k, n]);
    const ct = tf.tensor2d(c, [m, n]);
    const y = tf.matMul(xt, wt);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.matMul(a, b), ct)))([xt, wt]);
    return [y, dx, dw].map((t) => t?.dataSync() as Float32Array);
  });
  return dtype === null ? run() : autocast(dtype, run);
}

describe('autocast on the cpu backend', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('lists the matmul and convolution kernels, forward and backward', () => {
    for (const name of ['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropInput',
      'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput',
      'DepthwiseConv2dNativeBackpropFilter', 'FusedDepthwiseConv2D']) {
      assert.ok(AUTOCAST_KERNELS.includes(name), name);
    }
  });

  it('defaultAmpDtype picks float16 on GPU backends and bfloat16 elsewhere, as torch.autocast does', () => {
    assert.equal(defaultAmpDtype('webgl'), 'float16');
    assert.equal(defaultAmpDtype('webgpu'), 'float16');
    assert.equal(defaultAmpDtype('cpu'), 'bfloat16');
    assert.equal(defaultAmpDtype('wasm'), 'bfloat16');
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: matMul forward and both gradients equal the host-rounded reference`, () => {
      const [m, k, n] = [3, 5, 4];
      const c = randomInts(m * n, 30);
      // Case 1: float weights, integer inputs -> y and dx exercise rounding. Case 2: the other way round -> dw.
      for (const [x, w] of [[randomInts(m * k, 31), randomFloats(k * n, 32)], [randomFloats(m * k, 33), randomInts(k * n, 34)]]) {
        const [y, dx, dw] = matMulProblem(x!, w!, c, m, k, n, dtype);
        const refY = refMatMul(x!, w!, m, k, n, dtype);
        const refDx = refMatMul(c, transpose(w!, k, n), m, n, k, dtype);
        const refDw = refMatMul(transpose(x!, m, k), c, k, m, n, dtype);
        assertSame(y!, refY, 'y');
        assertSame(dx!, refDx, 'dx');
        assertSame(dw!, refDw, 'dw');
      }
      const [x, w] = [randomInts(m * k, 31), randomFloats(k * n, 32)];
      assertRoundingVisible(refMatMul(x, w, m, k, n, dtype), refMatMul(x, w, m, k, n, null), 'y');
      const x2 = randomFloats(m * k, 33);
      assertRoundingVisible(refMatMul(transpose(x2, m, k), c, k, m, n, dtype), refMatMul(transpose(x2, m, k), c, k, m, n, null), 'dw');
      // Outside the scope the same computation is plain float32 again.
      assertSame(matMulProblem(x, w, c, m, k, n, null)[0]!, refMatMul(x, w, m, k, n, null), 'plain y');
    });

    it(`${dtype}: conv2d forward, input gradient and filter gradient equal the host-rounded reference`, () => {
      const s: ConvShape = { h: 5, w: 5, c: 2, fh: 2, fw: 2, o: 3 };
      const xShape: [number, number, number, number] = [1, s.h, s.w, s.c];
      const fShape: [number, number, number, number] = [s.fh, s.fw, s.c, s.o];
      const dy = randomInts(4 * 4 * s.o, 40);
      const cases = [[randomInts(5 * 5 * 2, 41), randomFloats(2 * 2 * 2 * 3, 42)], [randomFloats(5 * 5 * 2, 43), randomInts(2 * 2 * 2 * 3, 44)]];
      for (const [x, f] of cases) {
        const [y, dx, df] = autocast(dtype, () => tf.tidy(() => {
          const xt = tf.tensor4d(x!, xShape);
          const ft = tf.tensor4d(f!, fShape);
          const ct = tf.tensor4d(dy, [1, 4, 4, s.o]);
          const out = tf.conv2d(xt, ft, 1, 'valid');
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'valid'), ct)))([xt, ft]);
          return [out, ...g].map((t) => t.dataSync());
        }));
        assertSame(y!, refConv2d(x!, f!, s, dtype), 'y');
        assertSame(dx!, refConv2dDx(dy, f!, s, dtype), 'dx');
        assertSame(df!, refConv2dDf(x!, dy, s, dtype), 'dfilter');
      }
      const [x1, f1] = cases[0]!;
      const [x2] = cases[1]!;
      assertRoundingVisible(refConv2d(x1!, f1!, s, dtype), refConv2d(x1!, f1!, s, null), 'y');
      assertRoundingVisible(refConv2dDx(dy, f1!, s, dtype), refConv2dDx(dy, f1!, s, null), 'dx');
      assertRoundingVisible(refConv2dDf(x2!, dy, s, dtype), refConv2dDf(x2!, dy, s, null), 'dfilter');
    });
  }

  it('rounds fused matMul (bias, activation), depthwise conv and its filter gradient like the unfused kernels', () => {
    const dtype = 'float16';
    const round = (a: Float32Array, shape: number[]): tf.Tensor => tf.tensor(r(a, dtype), shape);
    const x = randomInts(2 * 3, 50);
    const w = randomFloats(3 * 4, 51);
    const bias = randomFloats(4, 52);
    const fused = autocast(dtype, () => tf.tidy(() =>
      tf.fused.matMul({ a: tf.tensor2d(x, [2, 3]), b: tf.tensor2d(w, [3, 4]), bias: tf.tensor1d(bias), activation: 'relu' }).dataSync()));
    // Reference: TF's own float32 kernels on host-rounded operands, then host rounding of the output.
    const want = tf.tidy(() => r(tf.relu(tf.add(tf.matMul(round(x, [2, 3]), round(w, [3, 4])), round(bias, [4]))).dataSync(), dtype));
    assertSame(fused, want, 'fused matMul');
    assertRoundingVisible(want, tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.tensor2d(x, [2, 3]), tf.tensor2d(w, [3, 4])),
      tf.tensor1d(bias))).dataSync()), 'fused matMul');

    const img = randomInts(4 * 4 * 2, 56);
    const filt = randomFloats(2 * 2 * 2 * 3, 57);
    const fusedConv = autocast(dtype, () => tf.tidy(() => tf.fused.conv2d({
      x: tf.tensor4d(img, [1, 4, 4, 2]), filter: tf.tensor4d(filt, [2, 2, 2, 3]), strides: 1, pad: 'valid',
      bias: tf.tensor1d(bias.slice(0, 3)),
    }).dataSync()));
    const wantConv = tf.tidy(() => r(tf.add(tf.conv2d(round(img, [1, 4, 4, 2]) as tf.Tensor4D,
      round(filt, [2, 2, 2, 3]) as tf.Tensor4D, 1, 'valid'), round(bias.slice(0, 3), [3])).dataSync(), dtype));
    assertSame(fusedConv, wantConv, 'fused conv2d');

    const dx = randomFloats(4 * 4 * 2, 53);
    const df = randomInts(2 * 2 * 2 * 1, 54);
    const dyv = randomInts(3 * 3 * 2, 55);
    const [y, gf] = autocast(dtype, () => tf.tidy(() => {
      const xt = tf.tensor4d(dx, [1, 4, 4, 2]);
      const ft = tf.tensor4d(df, [2, 2, 2, 1]);
      const c = tf.tensor4d(dyv, [1, 3, 3, 2]);
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(xt, f as tf.Tensor4D, 1, 'valid'), c)))(ft);
      return [tf.depthwiseConv2d(xt, ft, 1, 'valid').dataSync(), g.dataSync()];
    }));
    const [wantY, wantF] = tf.tidy(() => {
      const xt = round(dx, [1, 4, 4, 2]) as tf.Tensor4D;
      const c = round(dyv, [1, 3, 3, 2]);
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.depthwiseConv2d(xt, f as tf.Tensor4D, 1, 'valid'), c)))(round(df, [2, 2, 2, 1]));
      return [r(tf.depthwiseConv2d(xt, round(df, [2, 2, 2, 1]) as tf.Tensor4D, 1, 'valid').dataSync(), dtype), r(g.dataSync(), dtype)];
    });
    assertSame(y, wantY, 'depthwise y');
    assertSame(gf, wantF, 'depthwise dfilter');
    const plainF = tf.tidy(() => tf.grad((f: tf.Tensor) => tf.sum(tf.mul(
      tf.depthwiseConv2d(tf.tensor4d(dx, [1, 4, 4, 2]), f as tf.Tensor4D, 1, 'valid'), tf.tensor4d(dyv, [1, 3, 3, 2]))))(
      tf.tensor4d(df, [2, 2, 2, 1])).dataSync());
    assertRoundingVisible(wantF, plainF, 'dfilter');
  });

  it('rounds conv3d forward and both of its gradients', () => {
    const dtype = 'bfloat16';
    type Shape5 = [number, number, number, number, number];
    const round = (a: Float32Array, shape: Shape5): tf.Tensor5D => tf.tensor5d(r(a, dtype), shape);
    const xs: Shape5 = [1, 3, 3, 3, 1];
    const fs: Shape5 = [2, 2, 2, 1, 2];
    const ds: Shape5 = [1, 2, 2, 2, 2];
    const x = randomFloats(27, 100);
    const f = randomInts(16, 101);
    const dy = randomInts(16, 102);
    const run = (xt: tf.Tensor5D, ft: tf.Tensor5D, c: tf.Tensor5D): Float32Array[] => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D,
        1, 'valid'), c)))([xt, ft]);
      return [tf.conv3d(xt, ft, 1, 'valid'), ...g].map((t) => t.dataSync() as Float32Array);
    };
    const got = autocast(dtype, () => tf.tidy(() => run(tf.tensor5d(x, xs), tf.tensor5d(f, fs), tf.tensor5d(dy, ds))));
    const want = tf.tidy(() => run(round(x, xs), round(f, fs), round(dy, ds)).map((v) => r(v, dtype)));
    ['y', 'dx', 'dfilter'].forEach((what, i) => assertSame(got[i]!, want[i]!, `conv3d ${what}`));
    const plain = tf.tidy(() => run(tf.tensor5d(x, xs), tf.tensor5d(f, fs), tf.tensor5d(dy, ds)));
    assertRoundingVisible(want[0]!, plain[0]!, 'conv3d y');
    assertRoundingVisible(want[2]!, plain[2]!, 'conv3d dfilter');
  });

  it('rounds the matmul inside a tfjs-layers Dense model', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4], useBias: true })] });
    const w = randomFloats(12, 60);
    const x = randomInts(8, 61);
    model.setWeights([tf.tensor2d(w, [4, 3]), tf.zeros([3])]);
    const y = autocast('bfloat16', () => tf.tidy(() => (model.apply(tf.tensor2d(x, [2, 4])) as tf.Tensor).dataSync()));
    assertSame(y, refMatMul(x, w, 2, 4, 3, 'bfloat16'), 'dense output');
    model.dispose();
  });

  it('leaves reductions, softmax and elementwise ops in float32', () => {
    const v = randomFloats(64, 70);
    const [sum, sm, prod] = autocast('bfloat16', () => tf.tidy(() => {
      const t = tf.tensor1d(v);
      return [tf.sum(t).dataSync(), tf.softmax(t).dataSync(), tf.mul(t, t).dataSync()];
    }));
    const plain = tf.tidy(() => {
      const t = tf.tensor1d(v);
      return [tf.sum(t).dataSync(), tf.softmax(t).dataSync(), tf.mul(t, t).dataSync()];
    });
    assertSame(sum, plain[0]!, 'sum');
    assertSame(sm, plain[1]!, 'softmax');
    assertSame(prod, plain[2]!, 'mul');
    assertRoundingVisible(r(prod, 'bfloat16'), prod, 'mul');
  });

  it('restores the original kernels after the scope, after an exception and after nested scopes', () => {
    const original = kernelSnapshot();
    assert.ok(original.every((k) => k !== undefined));
    let inside: unknown[] = [];
    assert.equal(autocast('float16', () => {
      inside = kernelSnapshot();
      return 42;
    }), 42);
    assert.ok(inside.every((k, i) => k !== original[i]), 'kernels are wrapped inside the scope');
    assert.deepEqual(kernelSnapshot(), original);

    const boom = new Error('boom');
    assert.throws(() => autocast('bfloat16', () => autocast('float16', () => {
      throw boom;
    })), (e) => e === boom);
    assert.deepEqual(kernelSnapshot(), original);

    const [m, k, n] = [2, 3, 2];
    const x = randomInts(m * k, 80);
    const w = randomFloats(k * n, 81);
    const mm = (): Float32Array => tf.tidy(() => tf.matMul(tf.tensor2d(x, [m, k]), tf.tensor2d(w, [k, n])).dataSync() as Float32Array);
    const [outer1, inner, outer2] = autocast('bfloat16', () => [mm(), autocast('float16', mm), mm()]);
    assertSame(outer1, refMatMul(x, w, m, k, n, 'bfloat16'), 'outer before nesting');
    assertSame(inner, refMatMul(x, w, m, k, n, 'float16'), 'inner scope');
    assertSame(outer2, refMatMul(x, w, m, k, n, 'bfloat16'), 'outer after nesting');
    assertSame(mm(), refMatMul(x, w, m, k, n, null), 'after the scope');
    assert.deepEqual(kernelSnapshot(), original);
  });

  it('rejects an async fn, a non-function and an unknown dtype, and still restores the kernels', () => {
    const original = kernelSnapshot();
    assert.throws(() => autocast('float16', async () => Promise.resolve(1)), { name: 'TypeError', message: /async fn/ });
    assert.deepEqual(kernelSnapshot(), original);
    assert.throws(() => autocast('float16', 3 as unknown as () => number), { name: 'TypeError', message: /function/ });
    assert.throws(() => autocast('half' as 'float16', () => 1), { name: 'TypeError', message: /'float16' or 'bfloat16'/ });
    assert.deepEqual(kernelSnapshot(), original);
  });

  it('is leak-free across repeated forward and backward passes', () => {
    const w = tf.variable(tf.tensor2d(randomFloats(12, 90), [4, 3]));
    const f = tf.variable(tf.tensor4d(randomFloats(2 * 2 * 1 * 2, 91), [2, 2, 1, 2]));
    const x = tf.tensor2d(randomFloats(8, 92), [2, 4]);
    const img = tf.tensor4d(randomFloats(16, 93), [1, 4, 4, 1]);
    const step = (): void => {
      const { value, grads } = autocast('float16', () => tf.variableGrads(() =>
        tf.add(tf.sum(tf.matMul(x, w)), tf.sum(tf.conv2d(img, f, 1, 'same')))));
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) step();
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numDataBuffers, before.numDataBuffers);
    tf.dispose([w, f, x, img]);
  });
});
