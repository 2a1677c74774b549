/**
 * @module amp/autocast Scoped float16/bfloat16 numerics for matmul and convolution kernels. Port of
 * `torch.autocast` (torch/amp/autocast_mode.py) as used by ignite's `supervised_training_step_amp`. Deviations:
 * TF.js has no half-precision dtype on most backends, so the wrapped kernels round their float32 operands to the
 * autocast dtype, run in float32 and round their outputs: the numerics of mixed precision, not its speed or memory.
 * The scope is a synchronous callback instead of a context manager.
 *
 * How: TF.js looks every kernel up in its global registry (`getKernel(name, backend)`) on each call. For the
 * duration of the outermost `autocast`, the matmul/convolution kernels of the active backend are re-registered with
 * a wrapper around the original `kernelFunc`; the originals are put back in a `finally`. Gradients computed inside
 * the scope (`tf.grad`, `tf.variableGrads`, `optimizer.minimize`) call the same kernels, so the backward pass is
 * covered too.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { assertAmpDtype, type AmpDtype } from './host-rounding.js';
import { roundTensor } from './device-rounding.js';
import { noteAutocastScope, reducedPrecisionKernel } from '@kindling/kernels/contract';

export { autocastActiveOn, reducedPrecisionKernel, registerReducedPrecisionKernel } from '@kindling/kernels/contract';

/**
 * The kernels autocast runs in reduced precision: matmul and 2-D, depthwise and 3-D convolution, forward and
 * backward (PyTorch's autocast "lower precision" op list restricted to what TF.js has; `conv1d` and
 * `conv2dTranspose` run on the 2-D kernels). Every other kernel (reductions,
 * softmax, losses, elementwise ops) stays float32.
 *
 */
export const AUTOCAST_KERNELS: readonly string[] = [
  tf.BatchMatMul, tf._FusedMatMul, tf.Conv2D, tf.FusedConv2D, tf.Conv2DBackpropInput, tf.Conv2DBackpropFilter,
  tf.DepthwiseConv2dNative, tf.DepthwiseConv2dNativeBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter,
  tf.FusedDepthwiseConv2D, tf.Conv3D, tf.Conv3DBackpropInputV2, tf.Conv3DBackpropFilterV2,
];

/** Autocast dtypes of the active scopes, innermost last. */
const scopeStack: AmpDtype[] = [];
/** The kernel configs swapped out for one backend, the wrappers put in, and how many scopes use the swap. */
interface Installation {
  originals: Map<string, KernelConfig>;
  wrappers: Set<KernelConfig>;
  depth: number;
}
/** Per backend name: the active installation. */
const installed = new Map<string, Installation>();
/** > 0 while a wrapped kernel runs, so kernels it calls internally are not rounded twice. */
let wrappedDepth = 0;
/**
 * The autocast dtype PyTorch would pick for a device: `'float16'` on GPU backends (`webgl`, `webgpu`, and the
 * `'gpu'` device alias), `'bfloat16'` otherwise (cpu, wasm, tensorflow), as `torch.autocast` does for cuda/cpu.
 *
 * @param backendName - a TF.js backend name, e.g. `tf.getBackend()`.
 * @returns the default {@link AmpDtype}.
 * @example
 * ```ts
 * defaultAmpDtype('webgl'); // 'float16'
 * defaultAmpDtype('cpu');   // 'bfloat16'
 * ```
 */
export function defaultAmpDtype(backendName: string): AmpDtype {
  return ['webgl', 'webgpu', 'gpu'].includes(backendName) ? 'float16' : 'bfloat16';
}

/** Wraps input or output info as a Tensor the caller may dispose without freeing someone else's data. */
function asOwnedTensor(info: TensorInfo, backend: tf.KernelBackend, addRef: boolean): tf.Tensor {
  if (addRef) backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

function isTensor(info: TensorInfo): info is tf.Tensor {
  return info instanceof tf.Tensor;
}

function roundInput(info: TensorInfo, backend: tf.KernelBackend, dtype: AmpDtype): tf.Tensor {
  if (isTensor(info)) return roundTensor(info, dtype);
  const t = asOwnedTensor(info, backend, true);
  try {
    return roundTensor(t, dtype);
  } finally {
    t.dispose();
  }
}

function roundOutput(info: TensorInfo, backend: tf.KernelBackend, dtype: AmpDtype): TensorInfo {
  if (info.dtype !== 'float32') return info;
  // A fresh kernel output carries one reference; this tensor takes it over and releases it on dispose.
  const raw = isTensor(info) ? info : asOwnedTensor(info, backend, false);
  try {
    return roundTensor(raw, dtype);
  } finally {
    raw.dispose();
  }
}

function wrapKernelFunc(original: KernelFunc, kernelName: string, backendName: string): KernelFunc {
  return (params) => {
    const dtype = scopeStack[scopeStack.length - 1];
    if (dtype === undefined || wrappedDepth > 0) return original(params);
    const backend = params.backend as tf.KernelBackend;
    const native = reducedPrecisionKernel(backendName, kernelName, dtype);
    wrappedDepth++;
    if (native !== undefined) {
      try {
        return native(params);
      } finally {
        wrappedDepth--;
      }
    }
    const temps: tf.Tensor[] = [];
    try {
      const inputs: NamedTensorInfoMap = {};
      for (const [name, info] of Object.entries(params.inputs)) {
        if (info === undefined || info.dtype !== 'float32') {
          inputs[name] = info;
          continue;
        }
        const rounded = roundInput(info, backend, dtype);
        temps.push(rounded);
        inputs[name] = rounded;
      }
      const out = original({ ...params, inputs });
      return Array.isArray(out) ? out.map((o) => roundOutput(o, backend, dtype)) : roundOutput(out, backend, dtype);
    } finally {
      tf.dispose(temps);
      wrappedDepth--;
    }
  };
}

function install(backendName: string): void {
  const existing = installed.get(backendName);
  if (existing !== undefined) {
    existing.depth++;
    return;
  }
  const entry: Installation = { originals: new Map(), wrappers: new Set(), depth: 1 };
  installed.set(backendName, entry);
  noteAutocastScope(backendName, 1);
  for (const kernelName of AUTOCAST_KERNELS) {
    const original = tf.getKernel(kernelName, backendName);
    if (original === undefined) continue;
    const wrapper: KernelConfig = { ...original, kernelFunc: wrapKernelFunc(original.kernelFunc, kernelName, backendName) };
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(wrapper);
    entry.originals.set(kernelName, original);
    entry.wrappers.add(wrapper);
  }
}

function uninstall(backendName: string): void {
  const entry = installed.get(backendName);
  if (entry === undefined) return;
  entry.depth--;
  if (entry.depth > 0) return;
  installed.delete(backendName);
  noteAutocastScope(backendName, -1);
  for (const [kernelName, original] of entry.originals) {
    const current = tf.getKernel(kernelName, backendName);
    // Leave the registry alone if someone replaced our wrapper in the meantime.
    if (current !== undefined && !entry.wrappers.has(current)) continue;
    if (current !== undefined) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(original);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` with the matmul and convolution kernels of the active backend ({@link AUTOCAST_KERNELS}) computing in
 * `dtype` numerics: their float32 operands and outputs are rounded to `dtype` (round-to-nearest-even; float16
 * overflows to +-Infinity and underflows through subnormals to zero), in the forward pass and in gradients computed
 * inside `fn`. Everything else stays float32. The kernels are restored when `fn` returns or throws; scopes nest
 * (the innermost dtype wins). `fn` must be synchronous, like `tf.tidy`.
 *
 * @param dtype - `'float16'` or `'bfloat16'` (see {@link defaultAmpDtype}).
 * @param fn - the synchronous work to run under autocast.
 * @returns what `fn` returns.
 * @throws TypeError when `dtype` is not a supported dtype, `fn` is not a function, or `fn` returns a Promise
 *   (the scope would end before the awaited work runs; put `await`s outside and the tensor work inside).
 * @example
 * ```ts
 * const { value, grads } = autocast('float16', () =>
 *   tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor) as tf.Scalar));
 * ```
 */
export function autocast<T>(dtype: AmpDtype, fn: () => T): T {
  assertAmpDtype(dtype, 'autocast dtype');
  if (typeof fn !== 'function') {
    throw new TypeError(`autocast(dtype, fn) expects fn to be a function, received ${typeof fn}.`);
  }
  const backendName = tf.getBackend();
  install(backendName);
  scopeStack.push(dtype);
  let result: T;
  try {
    result = fn();
  } finally {
    scopeStack.pop();
    uninstall(backendName);
  }
  if (isThenable(result)) {
    // Do not leave an unhandled rejection behind; the TypeError below is what the caller sees.
    void Promise.resolve(result).catch(() => undefined);
    throw new TypeError(
      'autocast(dtype, fn) received an async fn (it returned a Promise); the scope ends when fn returns, so ' +
        'awaited work would run without autocast. Keep the tensor work synchronous inside fn and await outside.',
    );
  }
  return result;
}
