// Copies kept per operand stamp on 'kindling-native' (src/node/native/stamps.ts, native/blas/src/packed-cache.cc):
// in a training step a convolution's filter is reordered at most once into each oneDNN layout that reads it (the
// forward pass's, the input gradient's) and a bfloat16 operand is rounded once for the kernels that read it; after
// the optimizer overwrites the weights in place, the next step never reads a copy of the old weights (its results
// equal the cpu backend's, float32, or autocast's emulation, bfloat16, on the new weights); nothing leaks.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers TensorFlow.js's gradients
import { NATIVE_BACKEND_NAME } from '../../src/node.js';
import { loadNativeAddon } from '../../src/node/native/addon.js';
import { autocast } from '../../../../src/amp/autocast.js';
import { applyGradients } from '../../../../src/backends/optimizer-update.js';
import { assertClose, rand, randT, setUpNative, skipReason, tearDownNative } from './native-helpers.js';

type Counts = Record<'filters' | 'bf16', { made: number; reused: number }> & { kept: number; bytes: number };

function counts(): Counts {
  const c = loadNativeAddon()?.info().dnnl?.packedCopies;
  assert.ok(c !== undefined, 'the addon reports its packed copies');
  return structuredClone(c);
}

function delta(a: Counts, b: Counts): Counts {
  return {
    filters: { made: b.filters.made - a.filters.made, reused: b.filters.reused - a.filters.reused },
    bf16: { made: b.bf16.made - a.bf16.made, reused: b.bf16.reused - a.bf16.reused },
    kept: b.kept - a.kept, bytes: b.bytes - a.bytes,
  };
}

function skip(): string | false {
  const s = skipReason();
  if (s !== false) return s;
  return loadNativeAddon()?.info().dnnl?.enabled === true || process.env.CI ? false : 'the native addon runs without oneDNN';
}

/** The output of conv(x, w) (float32 or under autocast) computed on `backend` from these values. */
type Shape4 = [number, number, number, number];

async function convOn(backend: string, bf16: boolean, xv: Float32Array, wv: Float32Array, xs: Shape4, ws: Shape4): Promise<Float32Array> {
  await tf.setBackend(backend);
  const f = (): Float32Array => tf.tidy(() => Float32Array.from(tf.conv2d(tf.tensor4d(xv, xs), tf.tensor4d(wv, ws), 1, 'same').dataSync()));
  const out = bf16 ? autocast('bfloat16', f) : f();
  await tf.setBackend(NATIVE_BACKEND_NAME);
  return out;
}

describe('kindling-native keeps reordered and rounded operands per stamp', { skip: skip() }, () => {
  before(setUpNative);
  after(tearDownNative);

  for (const bf16 of [false, true]) {
    it(`${bf16 ? 'bfloat16' : 'float32'} convolution steps: each copy made once per layout and content, none stale after an in-place update`, async () => {
      if (bf16 && loadNativeAddon()?.info().dnnl?.bf16 !== true) return; // no AVX512_BF16/AMX: the rounded float32 path
      const xs: Shape4 = [2, 9, 9, 16], ws: Shape4 = [3, 3, 16, 24];
      const xv = Float32Array.from(rand(xs, 41));
      const x = tf.tidy(() => tf.variable(tf.tensor(xv, xs))); // a variable: the step also computes the input gradient
      const w = tf.tidy(() => tf.variable(tf.tensor(rand(ws, 42).map((v) => v * 0.2), ws)));
      const opt = tf.train.momentum(0.05, 0.9);
      const conv = (): tf.Tensor => tf.conv2d(x as tf.Variable<tf.Rank.R4>, w as tf.Variable<tf.Rank.R4>, 1, 'same');
      const loss = (): tf.Scalar => tf.sum(tf.square(conv()));
      const pass = (): { value: tf.Scalar; grads: tf.NamedTensorMap } =>
        (bf16 ? autocast('bfloat16', () => tf.variableGrads(loss, [w, x])) : tf.variableGrads(loss, [w, x]));
      // A first update: from then on the weights and the optimizer's slot live in the backend's own arrays, which
      // the next updates overwrite in place.
      tf.tidy(() => applyGradients(opt, { [w.name]: tf.onesLike(w) }));
      const before = tf.memory().numTensors;
      for (let step = 0; step < 3; step++) {
        const c0 = counts();
        const { value, grads } = pass();
        const d = delta(c0, counts());
        const what = `step ${step}: ${JSON.stringify(d)}`;
        // Two kernels read the filter (the forward pass, the input gradient), each in its oneDNN layout: at most one
        // reorder per layout (the check at the end of the last step may have made this step's first copy already).
        assert.ok(d.filters.made <= 2 && d.filters.made + d.filters.reused === 2, `filter reorders, ${what}`);
        // The same pass again on the same weights: every copy it needs exists.
        const c1 = counts();
        const again = pass();
        const d2 = delta(c1, counts());
        assert.deepEqual(d2.filters, { made: 0, reused: 2 }, `second pass, step ${step}: ${JSON.stringify(d2)}`);
        // bfloat16: x's copy is reused (x never changes); the new dy is rounded once for both of its convolutions.
        if (bf16) assert.deepEqual(d2.bf16, { made: 1, reused: 3 }, `second pass, step ${step}: ${JSON.stringify(d2)}`);
        tf.dispose([again.value, Object.values(again.grads)]);
        const id = w.dataId;
        applyGradients(opt, { [w.name]: grads[w.name]! });
        assert.equal(w.dataId, id, 'the optimizer updated the weights in place (else this test proves nothing)');
        tf.dispose([value, Object.values(grads)]);
        // The convolution on the updated weights: the values of the reference path on the same weights.
        const wNow = tf.add(w, 0); // a copy: reading w itself would stop the in-place updates
        const wv = Float32Array.from(wNow.dataSync());
        wNow.dispose();
        const native = await convOn(NATIVE_BACKEND_NAME, bf16, xv, wv, xs, ws);
        const stamped = tf.tidy(() => Float32Array.from((bf16 ? autocast('bfloat16', conv) : conv()).dataSync()));
        const reference = await convOn('cpu', bf16, xv, wv, xs, ws);
        assertClose(stamped, reference, `step ${step}: conv on the updated weights`, bf16 ? 2 ** -7 : 1e-4);
        assertClose(native, reference, `step ${step}: conv on fresh tensors`, bf16 ? 2 ** -7 : 1e-4);
      }
      assert.equal(tf.memory().numTensors, before, 'the steps leaked no tensor');
      opt.dispose();
      tf.dispose([x, w]);
    });
  }

  it('copies are dropped with their tensors and when the optimizer overwrites the weights', () => {
    if (loadNativeAddon()?.info().dnnl?.bf16 !== true) return;
    const start = counts();
    const x = randT([256, 96], 17), w = tf.tidy(() => tf.variable(tf.tensor(rand([96, 80], 18).map((v) => v * 0.1), [96, 80])));
    const opt = tf.train.sgd(0.01);
    tf.tidy(() => applyGradients(opt, { [w.name]: tf.onesLike(w) })); // w now lives in the backend's own array
    const base = counts();
    const y = autocast('bfloat16', () => tf.matMul(x, w));
    const afterProduct = counts();
    assert.equal(afterProduct.kept - base.kept, 2, `x and w rounded and kept: ${JSON.stringify(delta(base, afterProduct))}`);
    assert.equal(afterProduct.bytes - base.bytes, 2 * (256 * 96 + 96 * 80), 'two bytes per bfloat16 value');
    const id = w.dataId;
    tf.tidy(() => applyGradients(opt, { [w.name]: tf.onesLike(w) }));
    assert.equal(w.dataId, id, 'updated in place');
    assert.equal(counts().kept - base.kept, 1, 'the copy of the old weights is dropped by the in-place update');
    tf.dispose([x, y]);
    assert.equal(counts().kept - base.kept, 0, 'the copy of x is dropped with x');
    opt.dispose();
    w.dispose();
    assert.equal(counts().kept, start.kept, 'nothing is kept for tensors that are gone');
  });

  it('bfloat16 products: a Dense step rounds each operand once for the two products that read it', () => {
    if (loadNativeAddon()?.info().dnnl?.bf16 !== true) return;
    const x = randT([256, 96], 7), w = tf.tidy(() => tf.variable(tf.tensor(rand([96, 80], 8).map((v) => v * 0.1), [96, 80]))); // 2^21 multiply-adds: oneDNN
    const c0 = counts();
    const { value, grads } = autocast('bfloat16', () => tf.variableGrads(() => tf.sum(tf.square(tf.matMul(x, w))), [w]));
    const d = delta(c0, counts());
    // forward x.w (x, w rounded), weight gradient x^T.g (x's copy reused, g rounded); no input gradient asked
    assert.deepEqual(d.bf16, { made: 3, reused: 1 }, JSON.stringify(d));
    tf.dispose([value, grads, x, w]);
  });
});
