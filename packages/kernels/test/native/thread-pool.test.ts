// kindling-native's thread pool: with 1, 2, 3 and 5 threads (more than the cores too), the products split over
// the pool (every transpose case, splits along rows and along columns, parts not multiples of the 16-column
// blocks), the convolutions, the elementwise loops and the fused optimizer update give the cpu backend's results.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { MAX_NATIVE_SPIN_MICROS, setNativeBackendSpinWait, setNativeBackendThreads } from '../../src/node.js';
import { loadNativeAddon } from '../../src/node/native/addon.js';
import { applyGradients } from '../../../../src/backends/optimizer-update.js';
import { assertNativeMatchesCpu, rand, randT, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

describe('kindling-native thread pool', { skip: skipReason() }, () => {
  before(setUpNative);
  after(async () => {
    setNativeBackendThreads(availableParallelism());
    setNativeBackendSpinWait(500);
    await tearDownNative();
  });

  for (const threads of [1, 2, 3, 5]) {
    it(`${threads} thread(s): products, convolutions, elementwise ops and updates equal the cpu backend's`, async () => {
      assert.ok(setNativeBackendThreads(threads));
      // 97 x 301 x 203: split along the 301 columns; 517 x 45 x 260: split along the 517 rows.
      for (const [m, n, k] of [[97, 301, 203], [517, 45, 260]] as const) {
        for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = randT(ta ? [k, m] : [m, k], m + k), b = randT(tb ? [n, k] : [k, n], n + k);
          await assertNativeMatchesCpu(() => tf.matMul(a, b, ta, tb), `matmul ${m}x${n}x${k} ${String(ta)} ${String(tb)}`, 1e-4);
          tf.dispose([a, b]);
        }
      }
      const x = randT([6, 17, 15, 8], 1), w = randT([3, 3, 8, 24], 2);
      await assertNativeMatchesCpu(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), 'conv2d', 1e-4);
      await assertNativeMatchesCpu(() => tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'valid'))))([x, w]), 'conv2d backprops', 1e-3);
      const big = randT([300, 333], 3), row = randT([333], 4);
      await assertNativeMatchesCpu(() => [tf.add(big, row), tf.relu(big), tf.sum(big, 0)], 'elementwise', 1e-4);
      tf.dispose([x, w, big, row]);
    });
  }

  it('the fused update splits over 3 threads with the same bits as 1 thread', () => {
    const run = (threads: number): Float32Array => {
      setNativeBackendThreads(threads);
      const optimizer = tf.train.adam(0.01);
      const v = tf.variable(tf.tensor(rand([1001, 97], 1), [1001, 97]));
      const g = { [v.name]: tf.tensor(rand([1001, 97], 2), [1001, 97]) };
      for (let i = 0; i < 3; i++) applyGradients(optimizer, g);
      const out = Float32Array.from(v.dataSync());
      tf.dispose([v, ...Object.values(g)]);
      optimizer.dispose();
      return out;
    };
    assert.deepEqual(run(3), run(1));
  });

  it('convolution gradients over several image chunks are bit-identical for any thread count', () => {
    // 40 images of 12x12x8 with 3x3 filters: two im2col chunks, whose partial filter gradients are summed in order
    const run = (threads: number): Float32Array[] => {
      setNativeBackendThreads(threads);
      return tf.tidy(() => {
        const x = randT([40, 12, 12, 8], 7), w = randT([3, 3, 8, 16], 8);
        const [dx, dw] = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 'same'))))([x, w]);
        return [Float32Array.from(dx!.dataSync()), Float32Array.from(dw!.dataSync())];
      });
    };
    const one = run(1);
    for (const threads of [2, 3]) assert.deepEqual(run(threads), one, `${threads} threads`);
  });

  it('workers give the same bits whether they spin between kernels or sleep at once', () => {
    const run = (spin: number): Float32Array[] => {
      assert.ok(setNativeBackendSpinWait(spin));
      assert.equal(loadNativeAddon()?.info().spinMicros, spin);
      setNativeBackendThreads(2);
      return tf.tidy(() => {
        const a = randT([130, 257], 11), b = randT([257, 190], 12);
        const outs: Float32Array[] = [];
        // a pause longer than any spin between kernels makes the workers sleep and wake up again
        for (let i = 0; i < 3; i++) {
          outs.push(Float32Array.from(tf.relu(tf.matMul(a, b)).dataSync()));
          const until = performance.now() + 2;
          while (performance.now() < until) { /* let the spin run out */ }
        }
        return outs;
      });
    };
    const sleeping = run(0);
    assert.deepEqual(run(500), sleeping);
    assert.deepEqual(run(MAX_NATIVE_SPIN_MICROS), sleeping);
  });

  it('setNativeBackendSpinWait rejects what is not a spin time, saying what it expects', () => {
    for (const bad of [-1, 0.5, Number.NaN, MAX_NATIVE_SPIN_MICROS + 1]) {
      assert.throws(() => setNativeBackendSpinWait(bad), (e: unknown) => e instanceof RangeError &&
        /expected an integer number of microseconds in \[0, 100000\], received/.test(e.message), String(bad));
    }
  });

  it('KINDLING_NATIVE_SPIN_US sets the spin when the addon loads (default 500 us, clamped to 100 ms)', () => {
    const spinIn = (value: string | undefined): number => {
      const env = { ...process.env };
      delete env.KINDLING_NATIVE_SPIN_US;
      if (value !== undefined) env.KINDLING_NATIVE_SPIN_US = value;
      const code = `import('${new URL('../../src/node/native/addon.ts', import.meta.url).href}').then((m) => console.log(m.loadNativeAddon().info().spinMicros))`;
      return Number(execFileSync(process.execPath, ['--import', 'tsx', '-e', code], { env, encoding: 'utf8' }).trim());
    };
    assert.equal(spinIn(undefined), 500);
    assert.equal(spinIn('0'), 0);
    assert.equal(spinIn('1234'), 1234);
    assert.equal(spinIn('99999999'), MAX_NATIVE_SPIN_MICROS);
  });
});
