// kindling's wasm convolution-gradient kernels (Conv2DBackpropFilter, which the stock wasm backend lacks,
// tensorflow/tfjs#8474; Conv2DBackpropInput; the depthwise backprops) give the cpu backend's results for strides,
// same/valid/explicit padding, odd sizes, NHWC and NCHW, dilations and channel multipliers.
import { describe, it, before, after } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // registers the gradient functions
import { wasmConvTuning, type FilterGradRoute } from '../src/wasm/conv.js';
import { assertClose, assertWasmMatchesCpu, rand, randT, refDepthwiseGrads, leaveFixedWasm, useFixedWasm } from './wasm-helpers.js';

type Pad = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

// [input NHWC, filter HWIO, strides, pad]
const CONV_CASES: [Shape4, Shape4, number | [number, number], Pad][] = [
  [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'valid'],
  [[2, 9, 9, 3], [3, 3, 3, 4], 1, 'same'],
  [[1, 10, 7, 2], [3, 2, 2, 5], 2, 'same'],
  [[1, 11, 11, 2], [5, 5, 2, 3], [2, 3], 'valid'],
  [[2, 8, 8, 1], [3, 3, 1, 6], 1, [[0, 0], [1, 2], [2, 1], [0, 0]]],
  [[2, 7, 9, 2], [2, 4, 2, 3], [3, 2], [[0, 0], [3, 0], [0, 4], [0, 0]]],
  [[3, 6, 6, 5], [1, 1, 5, 2], 2, 'valid'],
];

function convOutShape(x: Shape4, f: Shape4, strides: number | [number, number], pad: Pad): number[] {
  const info = tf.backend_util.computeConv2DInfo(x, f, strides, 1, pad);
  return info.outShape;
}

const toNchw = (s: number[]): number[] => [s[0] ?? 0, s[3] ?? 0, s[1] ?? 0, s[2] ?? 0];
const padNchw = (p: Pad): Pad => (Array.isArray(p) ? [p[0], p[3], p[1], p[2]] : p);

describe('wasm convolution gradient kernels', () => {
  before(useFixedWasm);
  after(() => {
    wasmConvTuning.filterGrad = 'auto';
    leaveFixedWasm();
  });

  for (const route of ['conv', 'im2col'] as FilterGradRoute[]) {
    it(`Conv2DBackpropFilter (${route} route) equals the cpu backend`, async () => {
      wasmConvTuning.filterGrad = route;
      for (const [xs, fs, strides, pad] of CONV_CASES) {
        const dys = convOutShape(xs, fs, strides, pad);
        const attrs = { strides, pad, dataFormat: 'NHWC', filterShape: fs };
        await assertWasmMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: randT(xs, 1), dy: randT(dys, 2) }, attrs),
          `filter ${JSON.stringify([xs, fs, strides, pad])}`);
      }
      wasmConvTuning.filterGrad = 'auto';
    });
  }

  it('Conv2DBackpropInput equals the cpu backend', async () => {
    for (const [xs, fs, strides, pad] of CONV_CASES) {
      const dys = convOutShape(xs, fs, strides, pad);
      const attrs = { strides, pad, dataFormat: 'NHWC', inputShape: xs };
      await assertWasmMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: randT(dys, 3), filter: randT(fs, 4) }, attrs),
        `input ${JSON.stringify([xs, fs, strides, pad])}`);
    }
  });

  it('NCHW data format, both gradients', async () => {
    for (const [xs, fs, strides, pad] of CONV_CASES.slice(0, 5)) {
      const x = toNchw(xs);
      const dy = toNchw(convOutShape(xs, fs, strides, pad));
      const base = { strides, pad: padNchw(pad), dataFormat: 'NCHW' };
      const what = JSON.stringify([x, fs, strides, pad]);
      await assertWasmMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropFilter, { x: randT(x, 5), dy: randT(dy, 6) }, { ...base, filterShape: fs }), `NCHW filter ${what}`);
      await assertWasmMatchesCpu(() => tf.engine().runKernel<tf.Tensor>(tf.Conv2DBackpropInput, { dy: randT(dy, 7), filter: randT(fs, 8) }, { ...base, inputShape: x }), `NCHW input ${what}`);
    }
  });

  it('depthwise backprops: channel multipliers, strides, padding (against cpu) and dilations (against plain TS)', async () => {
    const cases: [Shape4, Shape4, number, number, Pad][] = [
      [[2, 9, 9, 3], [3, 3, 3, 1], 1, 1, 'valid'],
      [[2, 9, 8, 2], [3, 3, 2, 2], 2, 1, 'same'],
      [[2, 7, 7, 2], [3, 3, 2, 2], 1, 1, [[0, 0], [2, 0], [1, 1], [0, 0]]],
      [[1, 11, 11, 3], [3, 2, 3, 3], 1, 2, 'same'],
      [[1, 10, 10, 2], [2, 2, 2, 1], 1, 3, 'valid'],
      [[2, 9, 9, 2], [3, 3, 2, 2], 1, 2, [[0, 0], [1, 3], [2, 0], [0, 0]]],
    ];
    for (const [xs, fs, strides, dilations, pad] of cases) {
      const info = tf.backend_util.computeConv2DInfo(xs, fs, strides, dilations, pad, undefined, true);
      const attrs = { strides, dilations, pad };
      const what = JSON.stringify([xs, fs, strides, dilations, pad]);
      const dwK = (): tf.Tensor => tf.engine().runKernel<tf.Tensor>(tf.DepthwiseConv2dNativeBackpropFilter, { x: randT(xs, 9), dy: randT(info.outShape, 10) }, { ...attrs, filterShape: fs });
      const dxK = (): tf.Tensor => tf.engine().runKernel<tf.Tensor>(tf.DepthwiseConv2dNativeBackpropInput, { dy: randT(info.outShape, 10), filter: randT(fs, 12) }, { ...attrs, inputShape: xs });
      // the cpu backend ignores dilations in these two kernels (tfjs's gradient refuses dilated depthwise convs)
      if (dilations === 1) {
        await assertWasmMatchesCpu(dwK, `depthwise filter ${what}`);
        await assertWasmMatchesCpu(dxK, `depthwise input ${what}`);
      }
      const ref = refDepthwiseGrads(rand(xs, 9), xs, rand(fs, 12), fs, rand(info.outShape, 10), info);
      await tf.setBackend('wasm');
      assertClose(tf.tidy(() => dwK().dataSync()), ref.dw, `depthwise filter ${what} (plain TS)`);
      assertClose(tf.tidy(() => dxK().dataSync()), ref.dx, `depthwise input ${what} (plain TS)`);
    }
  });

  it('gradients of conv2d, depthwise and separable convolutions through tf.grads equal the cpu backend', async () => {
    const grads = (): tf.Tensor[] => {
      const x = randT([2, 10, 10, 3], 13);
      const loss = (f: tf.Tensor, dw: tf.Tensor, pw: tf.Tensor, xin: tf.Tensor): tf.Scalar => {
        const h = tf.relu(tf.conv2d(xin as tf.Tensor4D, f as tf.Tensor4D, 2, 'same'));
        const s = tf.separableConv2d(h, dw as tf.Tensor4D, pw as tf.Tensor4D, 1, 'valid');
        return tf.sum(tf.square(tf.depthwiseConv2d(s, tf.slice(dw, [0, 0, 0, 0], [3, 3, 4, 1]) as tf.Tensor4D, 1, 'same')));
      };
      return tf.grads(loss)([randT([3, 3, 3, 4], 14), tf.mul(randT([3, 3, 4, 1], 15), 0.5), randT([1, 1, 4, 4], 16), x]);
    };
    await assertWasmMatchesCpu(grads, 'conv gradients', 1e-4);
  });
});
