/**
 * @module Convolution gradients for TensorFlow.js's wasm backend, expressed through its fast (XNNPACK) forward
 * kernels. No Ignite counterpart. Deviations: results equal the cpu backend's within float32 rounding.
 *
 * tfjs-backend-wasm 4.22 has no `Conv2DBackpropFilter` (tensorflow/tfjs#8474) and no depthwise backprops, so a
 * convolutional network cannot be trained on it, and its `Conv2DBackpropInput` is a naive loop. Here:
 * - the input gradient is a stride-1 convolution of the output gradient (dilated by the stride and padded) with
 *   the spatially flipped filter;
 * - the filter gradient is either a convolution of the padded input (channels as batch) with the output gradient
 *   (batch as channels) dilated by the stride, or im2col patches times the output gradient through the fixed
 *   matrix product, whichever moves less memory for the shape;
 * - the depthwise filter gradient is a sum of elementwise products, one per filter tap.
 */

import * as tf from '@tensorflow/tfjs-core';
import { withInputs, type KernelArgs, type SingleKernel } from './kernel-utils.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Pair = number | [number, number];

interface ConvAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: Pair;
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** Which formulation computes `Conv2DBackpropFilter`: 'auto' picks per shape. */
export type FilterGradRoute = 'auto' | 'conv' | 'im2col';

/** Tuning knobs of the convolution overrides (for benchmarks and tests). */
export const wasmConvTuning: { filterGrad: FilterGradRoute } = { filterGrad: 'auto' };

function info(args: KernelArgs, inShape: number[], filterShape: number[], depthwise: boolean): tf.backend_util.Conv2DInfo {
  const a = args.attrs as unknown as ConvAttrs;
  const format = a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number], a.strides,
    a.dilations ?? 1, a.pad, a.dimRoundingMode, depthwise, format);
}

/** Pads (positive amounts) or crops (negative amounts) the two spatial axes of an NHWC tensor. */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  let y = x;
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [[0, 0], [Math.max(top, 0), Math.max(bottom, 0)], [Math.max(left, 0), Math.max(right, 0)], [0, 0]]);
  }
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = y.shape;
    const t0 = Math.max(-top, 0);
    const l0 = Math.max(-left, 0);
    y = tf.slice(y, [0, t0, l0, 0], [n, h - t0 - Math.max(-bottom, 0), w - l0 - Math.max(-right, 0), c]);
  }
  return y;
}

/** Inserts stride-1 zeros after every row and column of an NHWC tensor: [n, h, w, c] -> [n, h*sh, w*sw, c]. */
function dilate(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const spread = tf.pad(tf.reshape(x, [n, h, 1, w, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.reshape(spread, [n, h * sh, w * sw, c]);
}

const toNhwc = (x: tf.Tensor4D, nchw: boolean): tf.Tensor4D => (nchw ? tf.transpose(x, [0, 2, 3, 1]) : x);

/** The output gradient, dilated by the stride and padded so that a stride-1 'valid' convolution gives dx. */
function spreadOutputGrad(dy: tf.Tensor4D, c: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const effH = (c.filterHeight - 1) * c.dilationHeight + 1;
  const effW = (c.filterWidth - 1) * c.dilationWidth + 1;
  const spread = dilate(dy, c.strideHeight, c.strideWidth);
  const top = effH - 1 - c.padInfo.top;
  const left = effW - 1 - c.padInfo.left;
  const bottom = c.inHeight + effH - 1 - spread.shape[1] - top;
  const right = c.inWidth + effW - 1 - spread.shape[2] - left;
  return padOrCrop(spread, top, bottom, left, right);
}

/** The input, padded or cropped to exactly the rows and columns the filter taps read. */
function tappedInput(x: tf.Tensor4D, c: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const needH = (c.filterHeight - 1) * c.dilationHeight + (c.outHeight - 1) * c.strideHeight + 1;
  const needW = (c.filterWidth - 1) * c.dilationWidth + (c.outWidth - 1) * c.strideWidth + 1;
  const { top, left } = c.padInfo;
  return padOrCrop(x, top, needH - x.shape[1] - top, left, needW - x.shape[2] - left);
}

/**
 * The `Conv2DBackpropInput` override.
 *
 * @param args - kernel arguments: inputs dy and filter; attrs strides, pad, dataFormat, dimRoundingMode, inputShape.
 * @returns dx.
 */
export const conv2dBackpropInput: SingleKernel = (args) => withInputs(args, ['dy', 'filter'], (dy, filter) => {
  const a = args.attrs as unknown as ConvAttrs;
  const nchw = a.dataFormat === 'NCHW';
  const c = info(args, a.inputShape ?? [], filter.shape, false);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  const dx = tf.conv2d(spreadOutputGrad(toNhwc(dy as tf.Tensor4D, nchw), c), flipped, 1, 'valid');
  return nchw ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
});

function filterGradByConv(x: tf.Tensor4D, dy: tf.Tensor4D, c: tf.backend_util.Conv2DInfo): tf.Tensor {
  const xT = tf.transpose<tf.Tensor4D>(x, [3, 1, 2, 0]);
  const dyT = tf.transpose<tf.Tensor4D>(dy, [1, 2, 0, 3]);
  const g = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [c.strideHeight, c.strideWidth]);
  return tf.transpose(g, [1, 2, 0, 3]);
}

function filterGradByIm2col(x: tf.Tensor4D, dy: tf.Tensor4D, c: tf.backend_util.Conv2DInfo): tf.Tensor {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = c;
  const [n, , , ci] = x.shape;
  const xT = tf.transpose(x, [3, 0, 1, 2]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      taps.push(sh === 1 && sw === 1
        ? tf.slice(xT, [0, 0, i, j], [ci, n, oh, ow])
        : tf.stridedSlice(xT, [0, 0, i, j], [ci, n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1], [1, 1, sh, sw]));
    }
  }
  const patchesT = tf.reshape(tf.concat(taps, 0), [fh * fw * ci, n * oh * ow]);
  const g = tf.matMul(patchesT, tf.reshape(dy, [n * oh * ow, c.outChannels]));
  return tf.reshape(g, [fh, fw, ci, c.outChannels]);
}

/** 'im2col' when the patches (taps x input channels) are no wider than the output channels. */
function filterGradRoute(c: tf.backend_util.Conv2DInfo): 'conv' | 'im2col' {
  if (wasmConvTuning.filterGrad !== 'auto') return wasmConvTuning.filterGrad;
  return c.filterHeight * c.filterWidth * c.inChannels <= c.outChannels ? 'im2col' : 'conv';
}

/**
 * The `Conv2DBackpropFilter` override (the stock wasm backend has none).
 *
 * @param args - kernel arguments: inputs x and dy; attrs strides, pad, dataFormat, dimRoundingMode, filterShape.
 * @returns dW.
 */
export const conv2dBackpropFilter: SingleKernel = (args) => withInputs(args, ['x', 'dy'], (x, dy) => {
  const a = args.attrs as unknown as ConvAttrs;
  const nchw = a.dataFormat === 'NCHW';
  const c = info(args, x.shape, a.filterShape ?? [], false);
  const xs = tappedInput(toNhwc(x as tf.Tensor4D, nchw), c);
  const dys = toNhwc(dy as tf.Tensor4D, nchw);
  return filterGradRoute(c) === 'im2col' ? filterGradByIm2col(xs, dys, c) : filterGradByConv(xs, dys, c);
});

/**
 * The `DepthwiseConv2dNativeBackpropInput` override (missing in the stock wasm backend).
 *
 * @param args - kernel arguments: inputs dy and filter; attrs strides, dilations, pad, dimRoundingMode, inputShape.
 * @returns dx.
 */
export const depthwiseBackpropInput: SingleKernel = (args) => withInputs(args, ['dy', 'filter'], (dy, filter) => {
  const a = args.attrs as unknown as ConvAttrs;
  const [fh, fw, ch, mult] = filter.shape as [number, number, number, number];
  const c = info(args, a.inputShape ?? [], filter.shape, true);
  const flipped = tf.reshape<tf.Rank.R4>(tf.reverse(filter, [0, 1]), [fh, fw, ch * mult, 1]);
  const perOutput = tf.depthwiseConv2d(spreadOutputGrad(dy as tf.Tensor4D, c), flipped, 1, 'valid', 'NHWC',
    [c.dilationHeight, c.dilationWidth]);
  if (mult === 1) return perOutput;
  return tf.sum(tf.reshape(perOutput, [c.batchSize, c.inHeight, c.inWidth, ch, mult]), 4);
});

/**
 * The `DepthwiseConv2dNativeBackpropFilter` override (missing in the stock wasm backend): one elementwise product
 * and reduction per filter tap.
 *
 * @param args - kernel arguments: inputs x and dy; attrs strides, dilations, pad, dimRoundingMode, filterShape.
 * @returns dW.
 */
export const depthwiseBackpropFilter: SingleKernel = (args) => withInputs(args, ['x', 'dy'], (x, dy) => {
  const a = args.attrs as unknown as ConvAttrs;
  const [fh, fw, ch, mult] = a.filterShape ?? [0, 0, 0, 0];
  const c = info(args, x.shape, [fh, fw, ch, mult], true);
  const xs = tappedInput(x as tf.Tensor4D, c);
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, outHeight: oh, outWidth: ow } = c;
  const dy5 = tf.reshape(dy, [c.batchSize, oh, ow, ch, mult]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const begin = [0, i * dh, j * dw, 0];
      const end = [c.batchSize, i * dh + (oh - 1) * sh + 1, j * dw + (ow - 1) * sw + 1, ch];
      const tap = tf.stridedSlice(xs, begin, end, [1, sh, sw, 1]);
      taps.push(tf.sum(tf.mul(tf.reshape(tap, [c.batchSize, oh, ow, ch, 1]), dy5), [0, 1, 2]));
    }
  }
  return tf.reshape(tf.stack(taps), [fh, fw, ch, mult]);
});
