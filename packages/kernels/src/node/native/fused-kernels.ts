/**
 * @module backends/native/fused-kernels The fused kernels (backends/fused-kernels.ts) on the addon: optimizer
 * updates in one pass over each variable, gradient and slot (native/blas/src/optim.cc), and the sparse softmax
 * cross-entropy with its gradient (native/blas/src/loss.cc), split over the thread pool when large. No Ignite
 * counterpart. Deviations: none (updates bit-identical to TensorFlow.js's optimizers).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_LOSS_KERNELS, FUSED_UPDATE_KERNELS } from '../../contract.js';
import type { NativeAddon } from './addon.js';
import { allocOutput } from './buffer-pool.js';
import { REDUCE } from './elementwise-kernels.js';
import { f32Values, makeOutput, sizeOf, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

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

/** The inputs that each update overwrites in place, in the order of its outputs. */
const UPDATED: Readonly<Record<string, readonly string[]>> = {
  [FUSED_UPDATE_KERNELS.sgd]: ['value'],
  [FUSED_UPDATE_KERNELS.momentum]: ['value', 'accumulation'],
  [FUSED_UPDATE_KERNELS.adam]: ['value', 'firstMoment', 'secondMoment'],
};

/** Runs an update writing into `out` (new value first, then the new slots). */
type Update = (args: NativeKernelArgs, addon: NativeAddon, out: Float32Array[]) => void;

const sgd: Update = (args, addon, out) => {
  const [v, g] = values(args, ['value', 'gradient']) as [Float32Array, Float32Array];
  addon.sgdUpdate(v, g, out[0]!, scalarOf(args, 'c'));
};

const momentum: Update = (args, addon, out) => {
  const [v, acc, g] = values(args, ['value', 'accumulation', 'gradient']) as [Float32Array, Float32Array, Float32Array];
  addon.momentumUpdate(v, acc, g, out[0]!, out[1]!, scalarOf(args, 'c'), scalarOf(args, 'm'), args.attrs.useNesterov === true);
};

const adam: Update = (args, addon, out) => {
  const [v, m1, m2, g] = values(args, ['value', 'firstMoment', 'secondMoment', 'gradient']) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const num = (name: string): number => Number(args.attrs[name]);
  const beta1 = num('beta1'), beta2 = num('beta2');
  // The scalars as AdamOptimizer makes them: JavaScript numbers become float32 tensors, `1 - beta1` is computed in
  // double precision first, `1 - accBeta1` is a float32 subtraction.
  const f = Math.fround;
  addon.adamUpdate(v, m1, m2, g, out[0]!, out[1]!, out[2]!, f(beta1), f(1 - beta1), f(beta2), f(1 - beta2),
    f(1 - scalarOf(args, 'accBeta1')), f(1 - scalarOf(args, 'accBeta2')), f(num('epsilon')), f(-num('learningRate')));
};

const UPDATES: Readonly<Record<string, Update>> = {
  [FUSED_UPDATE_KERNELS.sgd]: sgd,
  [FUSED_UPDATE_KERNELS.momentum]: momentum,
  [FUSED_UPDATE_KERNELS.adam]: adam,
};

/** The kernel form of an update: fresh output arrays. */
function updateKernel(name: string): NativeKernelDef {
  const update = UPDATES[name]!, count = UPDATED[name]!.length;
  return {
    name,
    run: (args, addon) => {
      const like = args.inputs.value!;
      const out = Array.from({ length: count }, () => allocOutput(sizeOf(like.shape), true));
      update(args, addon, out);
      return out.map((a) => makeOutput(args.backend, [...like.shape], a));
    },
  };
}

/**
 * Runs a fused optimizer update in place: the new value and slots overwrite the inputs they replace, when
 * `exclusive` returns their storage (no other tensor, view or reader holds it); otherwise nothing is done.
 *
 * @param name - a FUSED_UPDATE_KERNELS name.
 * @param args - the kernel's inputs, backend and attributes.
 * @param addon - the addon.
 * @param exclusive - the storage of an input that may be overwritten, or null.
 * @returns whether the update ran.
 */
export function updateInPlace(name: string, args: NativeKernelArgs, addon: NativeAddon,
  exclusive: (info: TensorInfo) => Float32Array | null): boolean {
  const update = UPDATES[name], targets = UPDATED[name];
  if (update === undefined || targets === undefined) return false;
  const out: Float32Array[] = [];
  for (const input of targets) {
    const info = args.inputs[input];
    const values = info === undefined ? null : exclusive(info);
    if (values === null) return false;
    out.push(values);
  }
  update(args, addon, out);
  return true;
}

function sparseSoftmaxCrossEntropy(args: NativeKernelArgs, addon: NativeAddon): TensorInfo[] | null {
  const logits = args.inputs.logits, labels = args.inputs.labels;
  const x = f32Values(args.backend, logits);
  const ids = labels === undefined ? undefined : args.backend.data.get(labels.dataId)?.values;
  if (x === null || logits === undefined || logits.shape.length !== 2 || !(ids instanceof Int32Array)) return null;
  const [rows, cols] = logits.shape as [number, number];
  if (labels?.shape.length !== 1 || labels.shape[0] !== rows || rows * cols === 0) return null;
  const reduction = args.attrs.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') return null;
  const loss = reduction === 'none' ? allocOutput(rows) : new Float32Array(rows), backprop = allocOutput(rows * cols);
  addon.sparseSoftmaxCrossEntropy(x, ids, loss, backprop, rows, cols);
  const backpropOut = makeOutput(args.backend, [rows, cols], backprop);
  if (reduction === 'none') return [makeOutput(args.backend, [rows], loss), backpropOut];
  // Reduced by the Mean / Sum kernel's own code: the values of tf.mean / tf.sum of the per-sample losses.
  const total = new Float32Array(1);
  addon.reduce(reduction === 'mean' ? REDUCE.Mean : REDUCE.Sum, loss, total, 1, rows, 1);
  return [makeOutput(args.backend, [], total), backpropOut];
}

/**
 * The native fused kernels: optimizer updates and losses.
 *
 */
export const FUSED_KERNELS: readonly NativeKernelDef[] = [
  { name: FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy, run: sparseSoftmaxCrossEntropy },
  updateKernel(FUSED_UPDATE_KERNELS.sgd),
  updateKernel(FUSED_UPDATE_KERNELS.momentum),
  updateKernel(FUSED_UPDATE_KERNELS.adam),
];
