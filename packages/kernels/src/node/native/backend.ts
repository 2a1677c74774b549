/**
 * @module backends/native/backend The 'kindling-native' TensorFlow.js backend: the cpu backend (same tensor
 * storage, every cpu kernel) with the hot kernels replaced by OpenBLAS-backed native ones. No Ignite counterpart.
 * Deviations: a native kernel that meets an unsupported case (dtype, broadcast, layout) runs the cpu kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { backend_util, DataId, DataType, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { registerReducedPrecisionKernel } from '../../contract.js';
import { installFusedPaths } from '../../gradients/index.js';
import { allowDenseUnderAutocast } from '../../gradients/dense.js';
import { allowConvUnderAutocast } from '../../gradients/conv.js';
import { clearPool, isExclusive, noteEscaped, noteStored, recycle } from './buffer-pool.js';
import { loadNativeAddon, type NativeAddon } from './addon.js';
import { restamp } from './stamps.js';
import { BF16_CONV_KERNELS, CONV_KERNELS } from './conv-kernels.js';
import { COPY_KERNELS } from './copy-kernels.js';
import { ELEMENTWISE_KERNELS } from './elementwise-kernels.js';
import type { NativeKernelArgs, NativeKernelDef } from './kernel-utils.js';
import { BF16_MATMUL_KERNELS, MATMUL_KERNELS } from './matmul-kernels.js';
import { FUSED_KERNELS, updateInPlace } from './fused-kernels.js';

/**
 * The name the native backend is registered under.
 *
 */
export const NATIVE_BACKEND_NAME = 'kindling-native';

/**
 * Registration priority: below the cpu backend's (1), so importing kindling never changes the active backend; it is
 * only used when selected by name (`tf.setBackend('kindling-native')`, or kindling's `device: 'auto'`).
 *
 */
export const NATIVE_BACKEND_PRIORITY = 0;

/** The kernels registered for `autocast('bfloat16')` on this backend (see {@link nativeBf16KernelFunc}). */
const BF16_KERNELS: readonly NativeKernelDef[] = [...BF16_MATMUL_KERNELS, ...BF16_CONV_KERNELS];

const ALL_KERNELS: readonly NativeKernelDef[] = [
  ...MATMUL_KERNELS, ...CONV_KERNELS, ...ELEMENTWISE_KERNELS, ...COPY_KERNELS, ...FUSED_KERNELS,
];

/**
 * Names of the kernels that run natively on 'kindling-native' (every other kernel is the cpu backend's).
 *
 */
export const NATIVE_KERNELS: readonly string[] = ALL_KERNELS.map((k) => k.name);

/**
 * The native backend: TensorFlow.js's cpu backend (tensor values in JavaScript typed arrays), whose hot kernels
 * are replaced by {@link NATIVE_KERNELS}. Create it through {@link registerNativeBackend}.
 *
 * @example
 * ```ts
 * registerNativeBackend();
 * await tf.setBackend('kindling-native');
 * ```
 */
export class NativeBackend extends MathBackendCPU {
  constructor() {
    super();
    // The cpu backend warns on first use that tfjs-node would be faster; this backend is the native one.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** Stores values as a new tensor's data; records pooled outputs (see buffer-pool.ts). */
  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    noteStored(values);
    return super.write(values, shape, dtype);
  }

  /** Stores values under an existing data id; records pooled outputs. */
  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    noteStored(values);
    const addon = loadNativeAddon();
    if (addon !== null) restamp(addon, dataId);
    super.move(dataId, values, shape, dtype, refCount);
  }

  /** Hands a tensor's values out; they are never recycled afterwards. */
  override readSync(dataId: DataId): backend_util.BackendValues {
    const values = super.readSync(dataId);
    noteEscaped(values);
    return values;
  }

  /** Releases a tensor's data, recycling a pooled output array that nothing else references. */
  override disposeData(dataId: DataId, force = false): boolean {
    // data.get() of an unknown id would ask the engine to move the data here: check first.
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released) {
      recycle(values);
      const addon = loadNativeAddon();
      if (addon !== null) restamp(addon, dataId); // copies kept of its content are dropped with it
    }
    return released;
  }

  /**
   * Runs a fused optimizer update (FUSED_UPDATE_KERNELS) in place, writing the new value and slots into the arrays
   * of the tensors they replace, when no other tensor, view or reader can observe them (see isExclusive in
   * buffer-pool.ts); the optimizer then keeps its tensors. Saves the output arrays, their tensors and the assigns.
   *
   * @param kernelName - the update kernel.
   * @param inputs - the kernel's inputs.
   * @param attrs - the kernel's attributes.
   * @returns false (nothing done) when an array cannot be overwritten or the addon is unavailable: run the kernel.
   */
  runFusedUpdateInPlace(kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap): boolean {
    const addon = loadNativeAddon();
    if (addon === null) return false;
    return updateInPlace(kernelName, { inputs, backend: this, attrs }, addon, (info) => {
      const data = this.data.has(info.dataId) ? this.data.get(info.dataId) : undefined;
      if (data === undefined || data.refCount !== 1 || info.dtype !== 'float32' || !isExclusive(data.values)) return null;
      restamp(addon, info.dataId); // its content changes: copies the addon keeps of the old one must not be used again
      return data.values;
    });
  }

  /** Releases the pooled arrays and the backend. */
  override dispose(): void {
    clearPool();
    super.dispose();
  }
}

function cpuKernel(name: string): KernelFunc | null {
  return tf.getKernel(name, 'cpu')?.kernelFunc ?? null;
}

const fallbacks = new Map<string, number>();

/**
 * How many times each native kernel handed a call to the cpu kernel (unsupported dtype, broadcast, layout) since
 * the backend was registered: a diagnostic for tests and benchmarks.
 *
 * @returns kernel name to count (kernels that never fell back are absent).
 */
export function nativeFallbackCounts(): ReadonlyMap<string, number> {
  return new Map(fallbacks);
}

/** Wraps a native kernel: runs it, and the cpu kernel when it returns null. */
function wrap(def: NativeKernelDef, addon: NativeAddon, fallback: KernelFunc | null): KernelFunc {
  return (params) => {
    const out = def.run(params as unknown as NativeKernelArgs, addon);
    if (out !== null) return out;
    fallbacks.set(def.name, (fallbacks.get(def.name) ?? 0) + 1);
    if (fallback === null) throw new Error(`kindling-native: kernel ${def.name} has no cpu fallback for these inputs`);
    return fallback(params);
  };
}

let registered = false;

/** Registers every cpu kernel for the native backend, then the native overrides. */
function registerKernels(addon: NativeAddon): void {
  const nativeNames = new Set(NATIVE_KERNELS);
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (nativeNames.has(config.kernelName) || tf.getKernel(config.kernelName, NATIVE_BACKEND_NAME) !== undefined) continue;
    tf.registerKernel({ ...config, backendName: NATIVE_BACKEND_NAME });
  }
  for (const def of ALL_KERNELS) {
    if (tf.getKernel(def.name, NATIVE_BACKEND_NAME) !== undefined) tf.unregisterKernel(def.name, NATIVE_BACKEND_NAME);
    tf.registerKernel({ kernelName: def.name, backendName: NATIVE_BACKEND_NAME, kernelFunc: wrap(def, addon, cpuKernel(def.cpuFallback ?? def.name)) });
  }
}

/**
 * Registers the 'kindling-native' backend and its kernels with TensorFlow.js, loading the OpenBLAS addon. Safe to
 * call more than once. Does not change the active backend.
 *
 * @returns true when the backend is registered (or already was), false when the addon is unavailable
 *   (`nativeBackendStatus().reason` says why and how to fix it).
 */
export function registerNativeBackend(): boolean {
  if (registered) return true;
  const addon = loadNativeAddon();
  if (addon === null) return false;
  registerKernels(addon);
  installFusedPaths(); // the gradients of the fused kernels and the layer routes
  allowDenseUnderAutocast(NATIVE_BACKEND_NAME); // its dense kernel runs autocast's _FusedMatMul inside autocast
  allowConvUnderAutocast(NATIVE_BACKEND_NAME); // its conv kernel runs autocast's FusedConv2D inside autocast
  if (tf.findBackendFactory(NATIVE_BACKEND_NAME) === null) {
    tf.registerBackend(NATIVE_BACKEND_NAME, () => new NativeBackend(), NATIVE_BACKEND_PRIORITY);
  }
  // autocast('bfloat16') on this backend runs the matrix products and convolutions natively, with the emulation's
  // numerics.
  for (const { name } of BF16_KERNELS) {
    const f = nativeBf16KernelFunc(name);
    if (f !== null) registerReducedPrecisionKernel(NATIVE_BACKEND_NAME, name, 'bfloat16', f);
  }
  registered = true;
  return true;
}

/**
 * Sets how many threads the native backend uses (the calling thread included): its kernels, matrix products and
 * convolutions included, split their work over kindling's own thread pool (OpenBLAS runs single-threaded on each
 * part, so that one set of threads shares the cores). Default: the CPUs the process may run on, or
 * KINDLING_NATIVE_THREADS.
 *
 * @param n - thread count, >= 1 (1: everything on the calling thread).
 * @returns false when the addon is unavailable.
 */
export function setNativeBackendThreads(n: number): boolean {
  const addon = loadNativeAddon();
  if (addon === null) return false;
  addon.setThreads(Math.max(1, Math.floor(n)));
  return true;
}

/**
 * Which library and instruction set each kernel family of 'kindling-native' runs on: `matmul` (float32 products),
 * `matmulBf16` (autocast bfloat16 products), `conv`, `convBackprop`, `convBf16`, `pool`, `elementwise`. oneDNN
 * (when the addon was built with it, Debian's libdnnl-dev, and KINDLING_DNNL is not 0) runs the convolutions, the
 * bfloat16 products on CPUs with AVX512_BF16 or AMX, and the float32 products where it is faster than OpenBLAS; once
 * a oneDNN primitive of a family has run, its implementation name is given (e.g. `brg:avx512_core_bf16`).
 *
 * @returns family to description, or null when the addon is unavailable.
 * @example
 * ```ts
 * for (const [family, lib] of Object.entries(nativeKernelLibraries() ?? {})) console.log(`${family}: ${lib}`);
 * ```
 */
export function nativeKernelLibraries(): Readonly<Record<string, string>> | null {
  const addon = loadNativeAddon();
  if (addon === null) return null;
  const info = addon.info();
  const kernels = info.kernels ?? { matmul: `openblas sgemm (${info.coreName})`, pool: `kindling (${info.simd})` };
  // The OpenMP build of OpenBLAS is pinned to one thread per caller by the addon (one thread pool, kindling's).
  return info.openblasThreading === 'openmp' ? { ...kernels, openblas: 'OpenMP build, one thread per pool thread' } : { ...kernels };
}

/**
 * The longest spin {@link setNativeBackendSpinWait} accepts (100 ms), as in native/blas/src/parallel.h.
 *
 */
export const MAX_NATIVE_SPIN_MICROS = 100_000;

/**
 * Sets how long the native backend's worker threads keep spinning after a kernel before they sleep. Kernels of a
 * training step come in quick succession, separated by TensorFlow.js's work on the JavaScript thread; a worker that
 * went to sleep takes long to wake on virtual machines (~0.1 ms measured, as long as a mid-sized matrix product),
 * so the default spin (500 µs, or KINDLING_NATIVE_SPIN_US) keeps the workers awake through a step, like OpenMP
 * runtimes do. 0 makes them sleep at once: less CPU burnt while idle, for machines whose cores are shared with
 * other busy processes, at the price of slower steps.
 *
 * @param microseconds - spin time, an integer in [0, {@link MAX_NATIVE_SPIN_MICROS}].
 * @returns false when the addon is unavailable.
 * @throws RangeError when `microseconds` is not an integer in that range.
 */
export function setNativeBackendSpinWait(microseconds: number): boolean {
  if (!Number.isInteger(microseconds) || microseconds < 0 || microseconds > MAX_NATIVE_SPIN_MICROS) {
    throw new RangeError(`setNativeBackendSpinWait: expected an integer number of microseconds in [0, ${MAX_NATIVE_SPIN_MICROS}], ` +
      `received ${String(microseconds)}. Pass e.g. 500 (the default) or 0 (sleep at once).`);
  }
  const addon = loadNativeAddon();
  if (addon === null) return false;
  addon.setSpin(microseconds);
  return true;
}

/** Rounds a float32 input to bfloat16 in a fresh tensor info (the caller disposes it). */
function roundedCopy(backend: MathBackendCPU, info: TensorInfo, addon: NativeAddon): TensorInfo {
  const values = backend.data.get(info.dataId)?.values;
  if (info.dtype !== 'float32' || !(values instanceof Float32Array)) {
    backend.incRef(info.dataId);
    return info;
  }
  const copy = values.slice();
  addon.roundBf16(copy);
  return backend.makeTensorInfo([...info.shape], 'float32', copy);
}

/**
 * A bfloat16 kernel for autocast on 'kindling-native' (BatchMatMul, _FusedMatMul, Conv2D, FusedConv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter): operands, bias and prelu weights rounded to bfloat16
 * (round-to-nearest-even), float32 accumulation, output rounded to bfloat16. Cases the native kernels do not cover
 * run the cpu kernel on rounded copies, with the same numerics.
 *
 * @param kernelName - one of the kernels above.
 * @returns the kernel function, or null for other kernels or when the addon is unavailable.
 * @example
 * ```ts
 * const f = nativeBf16KernelFunc('BatchMatMul');
 * if (f) registerReducedPrecisionKernel('kindling-native', 'BatchMatMul', 'bfloat16', f);
 * ```
 */
export function nativeBf16KernelFunc(kernelName: string): KernelFunc | null {
  const def = BF16_KERNELS.find((k) => k.name === kernelName);
  const addon = loadNativeAddon();
  const cpu = cpuKernel(kernelName);
  if (def === undefined || addon === null || cpu === null) return null;
  // An addon built before the bfloat16 convolutions (no setDnnl) ignores their flag: autocast keeps emulating them.
  if (BF16_CONV_KERNELS.includes(def) && addon.setDnnl === undefined) return null;
  return (params) => {
    const args = params as unknown as NativeKernelArgs;
    const out = def.run(args, addon);
    if (out !== null) return out;
    const backend = args.backend;
    const inputs: NamedTensorInfoMap = {};
    for (const [name, info] of Object.entries(args.inputs)) inputs[name] = info === undefined ? undefined : roundedCopy(backend, info, addon);
    try {
      const result = cpu({ ...params, inputs }) as TensorInfo;
      const values = backend.data.get(result.dataId)?.values;
      if (values instanceof Float32Array) addon.roundBf16(values);
      return result;
    } finally {
      for (const info of Object.values(inputs)) if (info !== undefined) backend.disposeIntermediateTensorInfo(info);
    }
  };
}
