/**
 * @module backends/native/matmul-kernels BatchMatMul, _FusedMatMul and KindlingDense on OpenBLAS sgemm (all
 * transpose cases, batch broadcasting, fused bias and activation), and their bfloat16 variants for autocast. No
 * Ignite counterpart.
 * Deviations: batch dims broadcast natively when one operand's batch dims are a suffix of the output's (or size 1);
 * other broadcasts run the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_LAYER_KERNELS } from '../../contract.js';
import type { NativeAddon } from './addon.js';
import { stampPair } from './stamps.js';
import { allocOutput } from './buffer-pool.js';
import { ACTIVATIONS, f32Values, makeOutput, sizeOf, vecMode, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

/** True when `outer` (an operand's batch dims) broadcasts to `outShape` by repeating: leading 1s, then a suffix. */
function repeatsAsSuffix(outer: readonly number[], outShape: readonly number[]): boolean {
  let lead = 0;
  while (lead < outer.length && outer[lead] === 1) lead++;
  const rest = outer.slice(lead);
  if (rest.length > outShape.length) return false;
  const off = outShape.length - rest.length;
  return rest.every((d, i) => d === outShape[off + i]);
}

interface MatMulPlan {
  a: Float32Array;
  b: Float32Array;
  outShape: number[];
  batch: number;
  batchA: number;
  batchB: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

/** Shapes and operands of a matmul, or null when it must run on the cpu kernel. */
function planMatMul(backend: MathBackendCPU, aInfo: TensorInfo | undefined, bInfo: TensorInfo | undefined,
  transA: boolean, transB: boolean): MatMulPlan | null {
  const a = f32Values(backend, aInfo), b = f32Values(backend, bInfo);
  if (a === null || b === null || aInfo === undefined || bInfo === undefined) return null;
  const sa = aInfo.shape, sb = bInfo.shape;
  if (sa.length < 2 || sb.length < 2) return null;
  const ra = sa.length, rb = sb.length;
  const m = transA ? sa[ra - 1]! : sa[ra - 2]!, k = transA ? sa[ra - 2]! : sa[ra - 1]!;
  const k2 = transB ? sb[rb - 1]! : sb[rb - 2]!, n = transB ? sb[rb - 2]! : sb[rb - 1]!;
  if (k !== k2) return null; // the cpu kernel raises the shape error
  const outerA = sa.slice(0, -2), outerB = sb.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batchA = sizeOf(outerA), batchB = sizeOf(outerB), batch = sizeOf(outer);
  if (!repeatsAsSuffix(outerA, outer) || !repeatsAsSuffix(outerB, outer)) return null;
  if (batch * m * n === 0 || batchA * m * k === 0 || batchB * k * n === 0) return null;
  return { a, b, outShape: [...outer, m, n], batch, batchA, batchB, m, n, k, transA, transB };
}

function runMatMul(args: NativeKernelArgs, addon: NativeAddon, fused: boolean, bf16: boolean): TensorInfo | null {
  const { inputs, backend, attrs } = args;
  const p = planMatMul(backend, inputs.a, inputs.b, attrs.transposeA === true, attrs.transposeB === true);
  if (p === null) return null;
  let act = 0, biasMode = 0, alphaMode = 0;
  let bias: Float32Array | null = null, alpha: Float32Array | null = null;
  if (fused) {
    const a = ACTIVATIONS[typeof attrs.activation === 'string' ? attrs.activation : 'linear'];
    const bm = vecMode(inputs.bias?.shape, p.outShape);
    const am = inputs.preluActivationWeights !== undefined ? vecMode(inputs.preluActivationWeights?.shape, p.outShape) : 0;
    if (a === undefined || bm === null || am === null) return null;
    act = a;
    biasMode = bm;
    alphaMode = am;
    bias = inputs.bias === undefined ? null : f32Values(backend, inputs.bias);
    alpha = inputs.preluActivationWeights === undefined ? null : f32Values(backend, inputs.preluActivationWeights);
    if ((biasMode !== 0 && bias === null) || (act === 5 && (alpha === null || alphaMode === 0))) return null;
  }
  const out = allocOutput(p.batch * p.m * p.n);
  const leaky = typeof attrs.leakyreluAlpha === 'number' ? attrs.leakyreluAlpha : 0.2;
  // bfloat16: the operands' stamps, so that each is rounded once for the products that read it (stamps.ts).
  const stamps = bf16 && inputs.a !== undefined && inputs.b !== undefined ? stampPair(addon, inputs.a.dataId, inputs.b.dataId) : undefined;
  addon.matmul(p.a, p.b, out, p.batch, p.batchA, p.batchB, p.m, p.n, p.k, p.transA, p.transB, bias, biasMode, act,
    alpha, alphaMode, leaky, bf16, stamps);
  return makeOutput(backend, p.outShape, out);
}

/**
 * KindlingDense inside autocast: the `_FusedMatMul` kernel registered for this backend right now, which autocast has
 * replaced by its wrapper (this backend's reduced-precision kernel for bfloat16, the emulation for float16), so the
 * layer gets autocast's fused-product numerics for whichever dtype the scope uses.
 */
function runAutocastDense(args: NativeKernelArgs): TensorInfo | TensorInfo[] | null {
  const fused = tf.getKernel(tf._FusedMatMul, tf.getBackend());
  if (fused === undefined) return null;
  const { autocast: _autocast, ...attrs } = args.attrs;
  return fused.kernelFunc({ ...args, attrs });
}

/**
 * KindlingDenseGrad (backends/fused-kernels.ts): a Dense layer's backward pass, dW = aᵀ·g, the bias gradient and the
 * ReLU's gradient g in one native call (native/blas/src/dense.cc), with the values of BatchMatMul, Sum and
 * KindlingReluGrad on this backend.
 */
function runDenseGrad({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo[] | null {
  const relu = attrs.activation === 'relu';
  const dy = f32Values(backend, inputs.dy), a = f32Values(backend, inputs.a);
  const y = relu ? f32Values(backend, inputs.y) : null;
  const dyShape = inputs.dy?.shape, aShape = inputs.a?.shape;
  if (dy === null || a === null || (relu && y === null) || dyShape?.length !== 2 || aShape?.length !== 2) return null;
  const [m, n] = dyShape as [number, number], k = aShape[1]!;
  if (aShape[0] !== m || (relu && (inputs.y?.shape.length !== 2 || inputs.y.shape[0] !== m || inputs.y.shape[1] !== n))) return null;
  const dW = allocOutput(k * n), dBias = allocOutput(n), g = relu ? allocOutput(m * n) : null;
  addon.denseGrad(dy, y, a, g, dW, dBias, m, n, k);
  const out = [makeOutput(backend, [k, n], dW), makeOutput(backend, [n], dBias)];
  if (g !== null) out.push(makeOutput(backend, [m, n], g));
  return out;
}

/** KindlingBiasActGrad (backends/fused-kernels.ts): a convolution's ReLU and bias gradients, channels last. */
function runBiasActGrad({ inputs, backend, attrs }: NativeKernelArgs, addon: NativeAddon): TensorInfo[] | null {
  const relu = attrs.activation === 'relu';
  const dy = f32Values(backend, inputs.dy), y = relu ? f32Values(backend, inputs.y) : null;
  const shape = inputs.dy?.shape;
  if (dy === null || shape === undefined || shape.length === 0 || (relu && (y === null || y.length !== dy.length))) return null;
  const n = shape[shape.length - 1]!, m = n === 0 ? 0 : dy.length / n;
  const dBias = allocOutput(n), g = relu ? allocOutput(dy.length) : null;
  addon.biasActGrad(dy, y, g, dBias, m, n);
  const out = [makeOutput(backend, [n], dBias)];
  if (g !== null) out.push(makeOutput(backend, [...shape], g));
  return out;
}

/**
 * The native matmul kernels (float32, OpenBLAS sgemm).
 *
 */
export const MATMUL_KERNELS: readonly NativeKernelDef[] = [
  { name: tf.BatchMatMul, run: (args, addon) => runMatMul(args, addon, false, false) },
  { name: tf._FusedMatMul, run: (args, addon) => runMatMul(args, addon, true, false) },
  // A Dense layer under a gradient tape (training/fused-dense.ts): _FusedMatMul's contract and kernel, which adds the
  // bias to the finished product and then applies the activation, as BatchMatMul, Add and Relu do one after another.
  // Inside autocast (attribute `autocast`, set by the route in gradients/dense.ts): autocast's _FusedMatMul.
  { name: FUSED_LAYER_KERNELS.dense, run: (args, addon) => args.attrs.autocast === true ? runAutocastDense(args) : runMatMul(args, addon, true, false), cpuFallback: tf._FusedMatMul },
  { name: FUSED_LAYER_KERNELS.denseGrad, run: runDenseGrad },
  { name: FUSED_LAYER_KERNELS.biasActGrad, run: runBiasActGrad },
];

/**
 * The bfloat16 matmul kernels for autocast: operands (and bias, prelu weights) rounded to bfloat16
 * (round-to-nearest-even, as kindling's emulated autocast rounds), products accumulated in float32 (cblas_sbgemm, or
 * sgemm on the rounded operands when this OpenBLAS has no sbgemm: the same numerics), the float32 output rounded to
 * bfloat16. Wrapped for autocast by `nativeBf16KernelFunc` (backend.ts), which adds the cpu fallback.
 *
 */
export const BF16_MATMUL_KERNELS: readonly NativeKernelDef[] = [
  { name: tf.BatchMatMul, run: (args, addon) => runMatMul(args, addon, false, true) },
  { name: tf._FusedMatMul, run: (args, addon) => runMatMul(args, addon, true, true) },
];
