/**
 * @module backends/native/conv-kernels Conv2D / FusedConv2D (oneDNN when the addon has it, else im2col + sgemm; NHWC),
 * Conv2DBackpropInput, Conv2DBackpropFilter (float32, and bfloat16 for autocast), MaxPool / AvgPool and their
 * gradients, on the native addon. No Ignite counterpart.
 * Deviations: NCHW data format runs the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { backend_util, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { FUSED_LAYER_KERNELS } from '../../contract.js';
import { allocOutput } from './buffer-pool.js';
import { stampPair } from './stamps.js';
import { ACTIVATIONS, f32Values, makeOutput, sizeOf, vecMode, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

type Conv2DInfo = backend_util.Conv2DInfo;
type Pad = 'valid' | 'same' | number | backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

/** Reused geometry buffer handed to the addon (ConvGeom's field order in kernels.h). */
const geom = new Float64Array(15);

function fillGeom(c: Conv2DInfo, outC: number): Float64Array {
  geom.set([c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.filterHeight, c.filterWidth, outC, c.outHeight,
    c.outWidth, c.strideHeight, c.strideWidth, c.dilationHeight, c.dilationWidth, c.padInfo.top, c.padInfo.left]);
  return geom;
}

const pair = (v: unknown): number | [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1])] : Number(v));
const rounding = (v: unknown): Rounding => (v === 'floor' || v === 'round' || v === 'ceil' ? v : undefined);
const isNHWC = (v: unknown): boolean => v === undefined || v === 'NHWC';

function convInfo(xShape: number[], filterShape: number[], attrs: NativeKernelArgs['attrs'], dilations: unknown): Conv2DInfo | null {
  if (!isNHWC(attrs.dataFormat) || xShape.length !== 4 || filterShape.length !== 4) return null;
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    filterShape as [number, number, number, number], pair(attrs.strides), pair(dilations ?? 1), attrs.pad as Pad,
    rounding(attrs.dimRoundingMode), false, 'channelsLast');
  return sizeOf(info.outShape) === 0 || sizeOf(info.inShape) === 0 ? null : info;
}

function conv2d(args: NativeKernelArgs, addon: NativeAddon, fused: boolean, bf16 = false): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const x = f32Values(backend, inputs.x), w = f32Values(backend, inputs.filter);
  if (x === null || w === null || inputs.x === undefined || inputs.filter === undefined) return null;
  const c = convInfo(inputs.x.shape, inputs.filter.shape, attrs, attrs.dilations);
  if (c === null) return null;
  let act = 0, biasMode = 0, alphaMode = 0;
  let bias: Float32Array | null = null, alpha: Float32Array | null = null;
  if (fused) {
    const a = ACTIVATIONS[typeof attrs.activation === 'string' ? attrs.activation : 'linear'];
    const bm = vecMode(inputs.bias?.shape, c.outShape);
    const am = inputs.preluActivationWeights === undefined ? 0 : vecMode(inputs.preluActivationWeights.shape, c.outShape);
    if (a === undefined || bm === null || am === null) return null;
    [act, biasMode, alphaMode] = [a, bm, am];
    bias = inputs.bias === undefined ? null : f32Values(backend, inputs.bias);
    alpha = inputs.preluActivationWeights === undefined ? null : f32Values(backend, inputs.preluActivationWeights);
    if ((biasMode !== 0 && bias === null) || (act === 5 && (alpha === null || alphaMode === 0))) return null;
  }
  const out = allocOutput(sizeOf(c.outShape));
  const leaky = typeof attrs.leakyreluAlpha === 'number' ? attrs.leakyreluAlpha : 0.2;
  // The addon keeps the filter's reordered copies, and in bfloat16 the rounded input (stamps.ts).
  addon.conv2d(x, w, out, fillGeom(c, c.outChannels), bias, biasMode, act, alpha, alphaMode, leaky, bf16,
    stampPair(addon, bf16 ? inputs.x.dataId : null, inputs.filter.dataId));
  return makeOutput(backend, c.outShape, out);
}

function conv2dBackpropInput({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon, bf16 = false): TensorInfo | null {
  const dy = f32Values(backend, inputs.dy), w = f32Values(backend, inputs.filter);
  if (dy === null || w === null || inputs.dy === undefined || inputs.filter === undefined) return null;
  const inputShape = attrs.inputShape as number[];
  const c = convInfo(inputShape, inputs.filter.shape, attrs, 1);
  if (c === null) return null;
  const dx = allocOutput(sizeOf(inputShape));
  addon.conv2dBackpropInput(dy, w, dx, fillGeom(c, c.outChannels), bf16, stampPair(addon, bf16 ? inputs.dy.dataId : null, inputs.filter.dataId));
  return makeOutput(backend, [...inputShape], dx);
}

function conv2dBackpropFilter({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon, bf16 = false): TensorInfo | null {
  const x = f32Values(backend, inputs.x), dy = f32Values(backend, inputs.dy);
  if (x === null || dy === null || inputs.x === undefined || inputs.dy === undefined) return null;
  const filterShape = attrs.filterShape as number[];
  const c = convInfo(inputs.x.shape, filterShape, attrs, 1);
  if (c === null) return null;
  const dw = allocOutput(sizeOf(filterShape));
  addon.conv2dBackpropFilter(x, dy, dw, fillGeom(c, c.outChannels), bf16, bf16 ? stampPair(addon, inputs.x.dataId, inputs.dy.dataId) : undefined);
  return makeOutput(backend, [...filterShape], dw);
}

function poolInfo(xShape: number[], attrs: NativeKernelArgs['attrs']): Conv2DInfo | null {
  if (xShape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], pair(attrs.filterSize),
    pair(attrs.strides), 1, attrs.pad as Pad, rounding(attrs.dimRoundingMode));
  return sizeOf(info.outShape) === 0 || sizeOf(info.inShape) === 0 ? null : info;
}

function pool(kind: number) {
  return ({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo | null => {
    const x = f32Values(backend, inputs.x);
    if (x === null || inputs.x === undefined) return null;
    const c = poolInfo(inputs.x.shape, attrs);
    if (c === null) return null;
    const out = allocOutput(sizeOf(c.outShape));
    addon.pool(kind, x, out, fillGeom(c, c.inChannels));
    return makeOutput(backend, c.outShape, out);
  };
}

function poolGrad(kind: number) {
  return ({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo | null => {
    const dy = f32Values(backend, inputs.dy), x = f32Values(backend, inputs.input);
    if (dy === null || x === null || inputs.input === undefined) return null;
    const c = poolInfo(inputs.input.shape, attrs);
    if (c === null) return null;
    const dx = allocOutput(x.length);
    addon.poolGrad(kind, dy, x, dx, fillGeom(c, c.inChannels));
    return makeOutput(backend, [...inputs.input.shape], dx);
  };
}

/**
 * KindlingConv2D inside autocast: the `FusedConv2D` kernel registered for this backend right now, which autocast has
 * replaced by its wrapper (this backend's reduced-precision kernel for bfloat16, the emulation for float16), so the
 * layer gets autocast's fused-convolution numerics for whichever dtype the scope uses.
 */
function runAutocastConv(args: NativeKernelArgs): TensorInfo | TensorInfo[] | null {
  const fused = tf.getKernel(tf.FusedConv2D, tf.getBackend());
  if (fused === undefined) return null;
  const { autocast: _autocast, ...attrs } = args.attrs;
  return fused.kernelFunc({ ...args, attrs });
}

/**
 * The native convolution and pooling kernels.
 *
 */
export const CONV_KERNELS: readonly NativeKernelDef[] = [
  { name: tf.Conv2D, run: (args, addon) => conv2d(args, addon, false) },
  { name: tf.FusedConv2D, run: (args, addon) => conv2d(args, addon, true) },
  // A Conv2D layer under a gradient tape (training/fused-conv.ts): FusedConv2D's contract and kernel, which applies the
  // bias and activation to the finished convolution, as Conv2D, Add and Relu do one after another.
  // Inside autocast (attribute `autocast`, set by the route in gradients/conv.ts): autocast's FusedConv2D.
  { name: FUSED_LAYER_KERNELS.conv2d, run: (args, addon) => args.attrs.autocast === true ? runAutocastConv(args) : conv2d(args, addon, true), cpuFallback: tf.FusedConv2D },
  { name: tf.Conv2DBackpropInput, run: (args, addon) => conv2dBackpropInput(args, addon) },
  { name: tf.Conv2DBackpropFilter, run: (args, addon) => conv2dBackpropFilter(args, addon) },
  { name: tf.MaxPool, run: pool(0) },
  { name: tf.AvgPool, run: pool(1) },
  { name: tf.MaxPoolGrad, run: poolGrad(0) },
  { name: tf.AvgPoolGrad, run: poolGrad(1) },
];

/**
 * The bfloat16 convolution kernels for autocast: operands (and bias, prelu weights) rounded to bfloat16
 * (round-to-nearest-even), float32 accumulation (oneDNN's bfloat16 convolutions on CPUs with AVX512_BF16 or AMX; the
 * float32 kernels on rounded copies elsewhere: the same numerics), the float32 output rounded to bfloat16. Wrapped
 * for autocast by `nativeBf16KernelFunc` (backend.ts), which adds the cpu fallback.
 *
 */
export const BF16_CONV_KERNELS: readonly NativeKernelDef[] = [
  { name: tf.Conv2D, run: (args, addon) => conv2d(args, addon, false, true) },
  { name: tf.FusedConv2D, run: (args, addon) => conv2d(args, addon, true, true) },
  { name: tf.Conv2DBackpropInput, run: (args, addon) => conv2dBackpropInput(args, addon, true) },
  { name: tf.Conv2DBackpropFilter, run: (args, addon) => conv2dBackpropFilter(args, addon, true) },
];
