/**
 * @module backends/native/fused-kernels The fused kernels (backends/fused-kernels.ts) on the addon: optimizer
 * updates in one pass over each variable, gradient and slot (native/blas/src/optim.cc), and the sparse softmax
 * cross-entropy with its gradient (native/blas/src/loss.cc), split over the thread pool when large. No Ignite
 * counterpart. Deviations: none (updates bit-identical to TensorFlow.js's optimizers).
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS, FUSED_UPDATE_KERNELS } from '../fused-kernels.js';
import type { NativeAddon } from './addon.js';
import { allocOutput } from './buffer-pool.js';
import { f32Values, makeOutput, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

/** The float32 values of the named inputs (throws: the caller, applyGradients, checked the dtypes). */
function values(args: NativeKernelArgs, names: readonly string[]): Float32Array[] {
  return names.map((name) => {
    const v = f32Values(args.backend, args.inputs[name]);
    if (v === null) throw new TypeError(`kindling-native: fused optimizer update: input '${name}' must be a float32 tensor`);
    return v;
  });
}

/** The first value of a float32 scalar input. */
function scalarOf(args: NativeKernelArgs, name: string): number {
  return values(args, [name])[0]![0]!;
}

/** `count` fresh output arrays of `length` elements and their tensor infos, shaped like `like`. */
function outputs(backend: MathBackendCPU, like: TensorInfo, length: number, count: number): { arrays: Float32Array[]; infos: () => TensorInfo[] } {
  const arrays = Array.from({ length: count }, () => allocOutput(length));
  return { arrays, infos: () => arrays.map((a) => makeOutput(backend, [...like.shape], a)) };
}

function sgd(args: NativeKernelArgs, addon: NativeAddon): TensorInfo[] {
  const [v, g] = values(args, ['value', 'gradient']) as [Float32Array, Float32Array];
  const out = outputs(args.backend, args.inputs.value!, v.length, 1);
  addon.sgdUpdate(v, g, out.arrays[0]!, scalarOf(args, 'c'));
  return out.infos();
}

function momentum(args: NativeKernelArgs, addon: NativeAddon): TensorInfo[] {
  const [v, acc, g] = values(args, ['value', 'accumulation', 'gradient']) as [Float32Array, Float32Array, Float32Array];
  const out = outputs(args.backend, args.inputs.value!, v.length, 2);
  addon.momentumUpdate(v, acc, g, out.arrays[0]!, out.arrays[1]!, scalarOf(args, 'c'), scalarOf(args, 'm'), args.attrs.useNesterov === true);
  return out.infos();
}

function adam(args: NativeKernelArgs, addon: NativeAddon): TensorInfo[] {
  const [v, m1, m2, g] = values(args, ['value', 'firstMoment', 'secondMoment', 'gradient']) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const num = (name: string): number => Number(args.attrs[name]);
  const beta1 = num('beta1'), beta2 = num('beta2');
  const out = outputs(args.backend, args.inputs.value!, v.length, 3);
  // The scalars as AdamOptimizer makes them: JavaScript numbers become float32 tensors, `1 - beta1` is computed in
  // double precision first, `1 - accBeta1` is a float32 subtraction.
  const f = Math.fround;
  addon.adamUpdate(v, m1, m2, g, out.arrays[0]!, out.arrays[1]!, out.arrays[2]!, f(beta1), f(1 - beta1), f(beta2),
    f(1 - beta2), f(1 - scalarOf(args, 'accBeta1')), f(1 - scalarOf(args, 'accBeta2')), f(num('epsilon')), f(-num('learningRate')));
  return out.infos();
}

function sparseSoftmaxCrossEntropy(args: NativeKernelArgs, addon: NativeAddon): TensorInfo[] | null {
  const logits = args.inputs.logits, labels = args.inputs.labels;
  const x = f32Values(args.backend, logits);
  const ids = labels === undefined ? undefined : args.backend.data.get(labels.dataId)?.values;
  if (x === null || logits === undefined || logits.shape.length !== 2 || !(ids instanceof Int32Array)) return null;
  const [rows, cols] = logits.shape as [number, number];
  if (labels?.shape.length !== 1 || labels.shape[0] !== rows || rows * cols === 0) return null;
  const loss = allocOutput(rows), backprop = allocOutput(rows * cols);
  addon.sparseSoftmaxCrossEntropy(x, ids, loss, backprop, rows, cols);
  return [makeOutput(args.backend, [rows], loss), makeOutput(args.backend, [rows, cols], backprop)];
}

/**
 * The native fused kernels: optimizer updates and losses.
 *
 * @example
 * ```ts
 * FUSED_KERNELS.some((k) => k.name === 'KindlingMomentumUpdate'); // true
 * ```
 */
export const FUSED_KERNELS: readonly NativeKernelDef[] = [
  { name: FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy, run: sparseSoftmaxCrossEntropy },
  { name: FUSED_UPDATE_KERNELS.sgd, run: sgd },
  { name: FUSED_UPDATE_KERNELS.momentum, run: momentum },
  { name: FUSED_UPDATE_KERNELS.adam, run: adam },
];
