// kindling's WebAssembly SIMD loops on the wasm backend's heap (src/backends/wasm-simd.ts): the module compiles
// against the backend's memory (single-threaded build here), transposes give the bits of TensorFlow.js's wasm
// Transpose for every edge case of the 4 x 4 blocks (float32 and int32), the fused transpose + bias + ReLU the bits of
// Transpose, Add and Relu (NaN, infinities, -0 included), Sum over leading axes the bits of the stock Sum, nothing
// leaks, and setWasmSimdLoops(false) turns them off.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers TensorFlow.js's gradient functions
import { installWasmFixes, setWasmSimdLoops } from '../src/index.js';
import { simdLoops, simdModuleBytes, transpose2d } from '../src/wasm/simd.js';
import type { WasmHeapBackend } from '../src/wasm/kernel-utils.js';
import { rand } from './wasm-helpers.js';

const bits = (t: tf.Tensor): Buffer => Buffer.from(t.dataSync().buffer.slice(0));
const backend = (): WasmHeapBackend => tf.backend() as unknown as WasmHeapBackend;
const info = (t: tf.Tensor): tf.TensorInfo => ({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
const adopt = (i: tf.TensorInfo | null): tf.Tensor => {
  assert.ok(i !== null, 'transpose2d declined');
  return tf.engine().makeTensorFromTensorInfo(i);
};
const SHAPES: [number, number][] = [[1, 1], [4, 4], [3, 5], [8, 12], [7, 13], [64, 512], [33, 10], [5, 4], [4, 9]];

describe('wasm SIMD loops', () => {
  before(async () => {
    assert.ok(installWasmFixes());
    await tf.setBackend('wasm');
  });
  after(() => setWasmSimdLoops(true));

  it('compile against the backend memory (Node 20 has WebAssembly SIMD), and fit the 4 KB browsers compile synchronously', () => {
    assert.notEqual(simdLoops(backend()), null);
    for (const shared of [false, true]) {
      const bytes = simdModuleBytes(shared);
      assert.ok(WebAssembly.validate(bytes), `module (shared memory: ${String(shared)}) does not validate`);
      assert.ok(bytes.length < 4096, `${bytes.length} bytes`);
    }
  });

  it('transpose: the bits of the stock Transpose, float32 and int32, every block edge, no leak', () => {
    const data = (backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap;
    for (const [r, c] of SHAPES) {
      const f = tf.tensor2d(rand([r, c], r * 31 + c), [r, c]);
      const i = tf.tensor2d(Int32Array.from({ length: r * c }, (_, k) => (k * 2654435761) | 0), [r, c], 'int32');
      const held = data.numDataIds();
      for (const x of [f, i]) {
        const got = adopt(transpose2d(backend(), info(x)));
        const want = tf.transpose(x);
        assert.deepEqual(got.shape, [c, r]);
        assert.equal(got.dtype, x.dtype);
        assert.deepEqual(bits(got), bits(want), `${x.dtype} ${r}x${c}`);
        tf.dispose([got, want]);
      }
      assert.equal(data.numDataIds(), held, 'wasm buffers leaked');
      tf.dispose([f, i]);
    }
  });

  it('transpose with bias and ReLU: the bits of Transpose, Add and Relu, special values included', () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3e38];
    for (const [r, c] of SHAPES) {
      const xv = rand([r, c], r + 7 * c);
      for (let k = 0; k < xv.length; k += 3) xv[k] = special[k % special.length]!;
      const raw = new Int32Array(xv.buffer);
      for (let k = 1; k < raw.length; k += 5) raw[k] = k % 2 === 0 ? 0xffc00000 | 0 : 0x7fc00001; // NaNs: negative, and a payload
      const x = tf.tensor2d(xv, [r, c]), bias = tf.tensor1d(rand([r], c).map((v, k) => (k % 4 === 1 ? -v * 1e-3 : v)));
      for (const [withBias, relu] of [[true, true], [true, false], [false, true]] as const) {
        const got = adopt(transpose2d(backend(), info(x), { ...(withBias ? { bias: info(bias) } : {}), relu }));
        const want = tf.tidy(() => {
          let y = tf.transpose(x);
          if (withBias) y = tf.add(y, bias);
          return relu ? tf.relu(y) : y;
        });
        assert.deepEqual(bits(got), bits(want), `${r}x${c} bias=${String(withBias)} relu=${String(relu)}`);
        tf.dispose([got, want]);
      }
      tf.dispose([x, bias]);
    }
  });

  it('Sum over leading axes (a convolution bias gradient): the bits of the stock Sum, every other case unchanged', () => {
    const cases: [number[], number | number[] | undefined, boolean][] = [
      [[64, 28, 28, 32], [0, 1, 2], false], [[8, 7, 7, 13], [0, 1, 2], true], [[300, 17], 0, false], [[5, 4], [0], true],
      [[9, 6, 10], [0, 1], false], [[9, 6, 10], [1, 2], false], [[9, 6, 10], undefined, false], [[9, 3], 0, false], [[1, 8], 0, false],
    ];
    for (const [shape, axis, keepDims] of cases) {
      const n = shape.reduce((p, q) => p * q, 1);
      const x = tf.tensor(rand(shape, n % 97).map((v, i) => (i % 11 === 3 ? v * 1e6 : v)), shape);
      const reference = (): tf.Tensor => {
        setWasmSimdLoops(false);
        try {
          return tf.sum(x, axis, keepDims);
        } finally {
          setWasmSimdLoops(true);
        }
      };
      const got = tf.sum(x, axis, keepDims), want = reference();
      assert.deepEqual(got.shape, want.shape, `${shape.join('x')} axis ${String(axis)}`);
      assert.deepEqual(bits(got), bits(want), `${shape.join('x')} axis ${String(axis)} keepDims ${String(keepDims)}`);
      tf.dispose([x, got, want]);
    }
    const i = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]], [2, 4], 'int32');
    assert.deepEqual(Array.from(tf.sum(i, 0).dataSync()), [6, 8, 10, 12], 'int32 keeps the stock kernel');
    i.dispose();
  });

  it("KindlingReluGrad (Relu's gradient): the bits of Step and Multiply, with and without SIMD; tf.grad of relu uses it", async () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45];
    for (const n of [1, 3, 4, 7, 64, 1001]) {
      const xv = rand([n], n), dv = rand([n], n + 1);
      for (let k = 0; k < n; k += 2) xv[k] = special[(k / 2) % special.length]!;
      if (n > 5) dv[5] = Infinity;
      const x = tf.tensor1d(xv), dy = tf.tensor1d(dv);
      const want = tf.tidy(() => tf.mul(dy, tf.step(x)));
      for (const simd of [true, false]) {
        setWasmSimdLoops(simd);
        try {
          const got = tf.engine().runKernel<tf.Tensor>('KindlingReluGrad', { dy, x }, {});
          assert.deepEqual(bits(got), bits(want), `n=${n} simd=${String(simd)}`);
          got.dispose();
        } finally {
          setWasmSimdLoops(true);
        }
      }
      tf.dispose([x, dy, want]);
    }
    const x = tf.tensor2d(rand([6, 5], 3), [6, 5]);
    const profile = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x));
    const names = profile.kernels.map((k) => k.name);
    assert.ok(names.includes('KindlingReluGrad') && !names.includes('Step'), names.join(','));
    x.dispose();
  });

  it('decline what they do not cover, and everything when turned off', () => {
    const b = tf.tensor3d([1, 2, 3, 4], [1, 2, 2]), s = tf.tensor2d([[1, 2]], [1, 2], 'int32'), bias = tf.tensor1d([1, 2, 3]);
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    assert.equal(transpose2d(backend(), info(b)), null, 'rank 3');
    assert.equal(transpose2d(backend(), info(s), { relu: true }), null, 'int32 with an epilogue');
    assert.equal(transpose2d(backend(), info(x), { bias: info(bias) }), null, 'bias of the wrong length');
    setWasmSimdLoops(false);
    try {
      assert.equal(simdLoops(backend()), null);
      assert.equal(transpose2d(backend(), info(x)), null);
    } finally {
      setWasmSimdLoops(true);
    }
    tf.dispose([b, s, bias, x]);
  });
});
