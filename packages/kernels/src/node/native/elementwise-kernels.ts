/**
 * @module backends/native/elementwise-kernels Elementwise binary ops (same shape, scalar, row and column
 * broadcasts), unary ops and activations with their gradients, reductions over a contiguous block of axes, and
 * softmax, on the OpenBLAS addon. No Ignite counterpart. Deviations: other broadcasts, non-contiguous reduction
 * axes and non-float32 dtypes run the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_GRADIENT_KERNELS } from '../../contract.js';
import type { NativeAddon } from './addon.js';
import { allocOutput } from './buffer-pool.js';
import { classifyOperand, f32Values, makeOutput, OperandKind, sizeOf, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

/** Binary op codes (BinaryOp in kernels.h). */
const BINARY = { Add: 0, Sub: 1, Mul: 2, Div: 3, Max: 4, Min: 5, SquaredDiff: 6, Prelu: 7, EluGrad: 8, ReluGrad: 9 } as const;
/** Unary op codes (UnaryOp in kernels.h). */
const UNARY = {
  Relu: 0, Relu6: 1, Elu: 2, LeakyRelu: 3, Sigmoid: 4, Tanh: 5, Exp: 6, Log: 7, Neg: 8, Square: 9, Sqrt: 10,
  Rsqrt: 11, Abs: 12, Step: 13, Reciprocal: 14,
} as const;
/**
 * Reduce op codes of the addon's `reduce` (ReduceOp in kernels.h).
 *
 */
export const REDUCE = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 } as const;

function binary(backend: MathBackendCPU, aInfo: TensorInfo | undefined, bInfo: TensorInfo | undefined, op: number,
  addon: NativeAddon): TensorInfo | null {
  const a = f32Values(backend, aInfo), b = f32Values(backend, bInfo);
  if (a === null || b === null || aInfo === undefined || bInfo === undefined) return null;
  let outShape: number[];
  try {
    outShape = tf.backend_util.assertAndGetBroadcastShape(aInfo.shape, bInfo.shape);
  } catch {
    return null;
  }
  const total = sizeOf(outShape);
  if (total === 0 || a.length === 0 || b.length === 0) return null;
  const ca = classifyOperand(aInfo.shape, outShape), cb = classifyOperand(bInfo.shape, outShape);
  if (ca === null || cb === null) return null;
  let outer = 1, inner = total;
  const split = [ca, cb].filter((c) => c.kind === OperandKind.Row || c.kind === OperandKind.Col);
  if (split.length > 0) {
    outer = split[0]!.outer;
    inner = split[0]!.inner;
    if (split.some((c) => c.outer !== outer || c.inner !== inner)) return null;
  }
  const out = allocOutput(total);
  addon.binary(op, a, ca.kind, b, cb.kind, out, outer, inner);
  return makeOutput(backend, outShape, out);
}

function unary(backend: MathBackendCPU, xInfo: TensorInfo | undefined, op: number, alpha: number, addon: NativeAddon): TensorInfo | null {
  const x = f32Values(backend, xInfo);
  if (x === null || xInfo === undefined) return null;
  const out = allocOutput(x.length);
  addon.unary(op, x, out, alpha);
  return makeOutput(backend, [...xInfo.shape], out);
}

function reduce(op: number, axisAttr: 'axis' | 'reductionIndices') {
  return ({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo | null => {
    const x = f32Values(backend, inputs.x);
    if (x === null || inputs.x === undefined || x.length === 0) return null;
    const shape = inputs.x.shape;
    const raw = attrs[axisAttr] as number | number[] | null | undefined;
    const axes = [...new Set(tf.util.parseAxisParam(raw ?? shape.map((_, i) => i), shape))].sort((p, q) => p - q);
    if (axes.length === 0) return null;
    const first = axes[0]!, last = axes[axes.length - 1]!;
    if (last - first + 1 !== axes.length) return null; // not contiguous
    const outer = sizeOf(shape.slice(0, first)), r = sizeOf(shape.slice(first, last + 1)), inner = sizeOf(shape.slice(last + 1));
    const out = allocOutput(outer * inner);
    addon.reduce(op, x, out, outer, r, inner);
    const outShape = attrs.keepDims === true ? shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : shape.filter((_, i) => i < first || i > last);
    return makeOutput(backend, outShape, out);
  };
}

function softmax({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo | null {
  const x = f32Values(backend, inputs.logits);
  if (x === null || inputs.logits === undefined || x.length === 0) return null;
  const shape = inputs.logits.shape;
  const dim = typeof attrs.dim === 'number' ? attrs.dim : -1;
  if (shape.length === 0 || (dim !== -1 && dim !== shape.length - 1)) return null;
  const cols = shape[shape.length - 1]!;
  const out = allocOutput(x.length);
  addon.softmax(x, out, x.length / cols, cols, false);
  return makeOutput(backend, [...shape], out);
}

const bin = (name: string, op: number, a = 'a', b = 'b'): NativeKernelDef =>
  ({ name, run: ({ inputs, backend }, addon) => binary(backend, inputs[a], inputs[b], op, addon) });
const un = (name: string, op: number, alphaAttr?: string, alphaDefault = 0): NativeKernelDef => ({
  name,
  run: ({ inputs, backend, attrs }, addon) => {
    const v = alphaAttr === undefined ? undefined : attrs[alphaAttr];
    return unary(backend, inputs.x, op, typeof v === 'number' ? v : alphaDefault, addon);
  },
});

/**
 * The native elementwise, activation, reduction and softmax kernels.
 *
 */
export const ELEMENTWISE_KERNELS: readonly NativeKernelDef[] = [
  bin(tf.Add, BINARY.Add), bin(tf.Sub, BINARY.Sub), bin(tf.Multiply, BINARY.Mul), bin(tf.RealDiv, BINARY.Div),
  bin(tf.Maximum, BINARY.Max), bin(tf.Minimum, BINARY.Min), bin(tf.SquaredDifference, BINARY.SquaredDiff),
  bin(tf.Prelu, BINARY.Prelu, 'x', 'alpha'), bin(tf.EluGrad, BINARY.EluGrad, 'dy', 'y'),
  bin(FUSED_GRADIENT_KERNELS.reluGrad, BINARY.ReluGrad, 'dy', 'x'),
  un(tf.Relu, UNARY.Relu), un(tf.Relu6, UNARY.Relu6), un(tf.Elu, UNARY.Elu), un(tf.LeakyRelu, UNARY.LeakyRelu, 'alpha', 0.2),
  un(tf.Sigmoid, UNARY.Sigmoid), un(tf.Tanh, UNARY.Tanh), un(tf.Exp, UNARY.Exp), un(tf.Log, UNARY.Log),
  un(tf.Neg, UNARY.Neg), un(tf.Square, UNARY.Square), un(tf.Sqrt, UNARY.Sqrt), un(tf.Rsqrt, UNARY.Rsqrt),
  un(tf.Abs, UNARY.Abs), un(tf.Step, UNARY.Step, 'alpha', 0), un(tf.Reciprocal, UNARY.Reciprocal),
  { name: tf.Sum, run: reduce(REDUCE.Sum, 'axis') }, { name: tf.Mean, run: reduce(REDUCE.Mean, 'axis') },
  { name: tf.Max, run: reduce(REDUCE.Max, 'reductionIndices') }, { name: tf.Min, run: reduce(REDUCE.Min, 'axis') },
  { name: tf.Prod, run: reduce(REDUCE.Prod, 'axis') },
  { name: tf.Softmax, run: softmax },
];
