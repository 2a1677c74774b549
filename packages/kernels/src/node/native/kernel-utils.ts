/**
 * @module backends/native/kernel-utils What the native kernels share: reading float32 tensor storage zero-copy,
 * making outputs, broadcast classification and the kernel definition type. No Ignite counterpart. Deviations: none.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';

/**
 * The arguments TensorFlow.js passes to a kernel function, with the backend typed as the cpu backend (whose storage
 * the native backend shares).
 *
 */
export interface NativeKernelArgs {
  inputs: NamedTensorInfoMap;
  backend: MathBackendCPU;
  attrs: NamedAttrMap;
}

/**
 * A native kernel: returns its output, or null to run the cpu backend's kernel instead (unsupported dtype,
 * broadcast, layout...).
 *
 */
export type NativeKernelFunc = (args: NativeKernelArgs, addon: NativeAddon) => TensorInfo | TensorInfo[] | null;

/**
 * A kernel name and its native implementation.
 *
 */
export interface NativeKernelDef {
  name: string;
  run: NativeKernelFunc;
  /** The cpu kernel that serves the calls `run` declines (default: the cpu kernel of the same name). */
  cpuFallback?: string;
}

/**
 * The float32 storage of a tensor, zero-copy, or null when it is not a float32 tensor held as a Float32Array.
 *
 * @param backend - the cpu (or native) backend holding the tensor.
 * @param t - the tensor info; undefined gives null.
 * @returns the backend's typed array (do not modify it) or null.
 * @example
 * ```ts
 * const x = f32Values(backend, inputs.x);
 * if (x === null) return null; // fall back to the cpu kernel
 * ```
 */
export function f32Values(backend: MathBackendCPU, t: TensorInfo | undefined): Float32Array | null {
  if (t === undefined || t.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Float32Array ? values : null;
}

/**
 * Number of elements of a shape.
 *
 * @param shape - the dimensions.
 * @returns their product (1 for a scalar).
 */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Registers `values` as a new float32 tensor of the backend.
 *
 * @param backend - the backend that will own the values.
 * @param shape - the output shape.
 * @param values - the output values (taken over, not copied).
 * @returns the tensor info to return from a kernel.
 */
export function makeOutput(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/**
 * How an operand broadcast against an output viewed as `[outer, inner]` is indexed (matches OperandKind in
 * native/blas/src/kernels.h): every element, one value, a vector along inner, a vector along outer.
 *
 */
export const OperandKind = { Full: 0, Scalar: 1, Row: 2, Col: 3 } as const;

/**
 * The classification of one operand of a broadcast binary op, or null when it is not one of the native patterns.
 *
 */
export interface OperandClass {
  kind: number;
  /** For Row/Col operands, the [outer, inner] split they impose; 0 when any split works. */
  outer: number;
  inner: number;
}

/**
 * Classifies how `shape` broadcasts to `outShape`: the same elements, a single value, a trailing block (row: the
 * output's trailing dims, leading 1s) or a leading block (column: the output's leading dims, trailing 1s).
 *
 * @param shape - the operand shape.
 * @param outShape - the broadcast output shape.
 * @returns the class, or null for other broadcasts (the cpu kernel then runs).
 */
export function classifyOperand(shape: readonly number[], outShape: readonly number[]): OperandClass | null {
  const size = sizeOf(shape), total = sizeOf(outShape);
  if (size === total) return { kind: OperandKind.Full, outer: 0, inner: 0 };
  if (size === 1) return { kind: OperandKind.Scalar, outer: 0, inner: 0 };
  const r = outShape.length;
  const p = [...new Array<number>(r - shape.length).fill(1), ...shape];
  let lead = 0;
  while (lead < r && p[lead] === 1) lead++;
  if (p.slice(lead).every((d, i) => d === outShape[lead + i])) return { kind: OperandKind.Row, outer: total / size, inner: size };
  let trail = r;
  while (trail > 0 && p[trail - 1] === 1) trail--;
  if (p.slice(0, trail).every((d, i) => d === outShape[i])) return { kind: OperandKind.Col, outer: size, inner: total / size };
  return null;
}

/**
 * How a per-output vector (bias, prelu weights) of a matmul/conv broadcasts over the `[rows, cols]` result
 * (matches VecMode in kernels.h): absent 0, one value 1, one value per column 2, one per element 3; null otherwise.
 *
 * @param shape - the vector's shape, or undefined when absent.
 * @param outShape - the result shape; its last dim is the column count.
 * @returns the mode or null.
 */
export function vecMode(shape: readonly number[] | undefined, outShape: readonly number[]): number | null {
  if (shape === undefined) return 0;
  const c = classifyOperand(shape, outShape);
  if (c === null) return null;
  if (c.kind === OperandKind.Scalar) return 1;
  if (c.kind === OperandKind.Full) return 3;
  return c.kind === OperandKind.Row && c.inner === outShape[outShape.length - 1] ? 2 : null;
}

/**
 * Fused activation names of TensorFlow.js mapped to the addon's codes (Activation in kernels.h).
 *
 */
export const ACTIVATIONS: Readonly<Record<string, number>> = {
  linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, prelu: 5, sigmoid: 6,
};
