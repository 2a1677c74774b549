/**
 * @module @kindling/kernels/node The Node entry: everything of the browser-safe entry, plus the 'kindling-native'
 * TensorFlow.js backend on OpenBLAS (a Node-API addon built at install time from native/blas) and TensorFlow.js's
 * wasm backend with threads in Node. `installNodeKernels()` installs all of it; importing changes nothing.
 */
import { installKernels, type KernelsStatus } from './install.js';
import { registerNativeBackend } from './node/native/backend.js';

export * from './index.js';
export { nativeBackendStatus, type NativeBackendStatus, type NativeBinaryReport } from './node/native/addon.js';
export {
  NATIVE_BACKEND_NAME, NATIVE_BACKEND_PRIORITY, NATIVE_KERNELS, NativeBackend, nativeBf16KernelFunc, nativeFallbackCounts,
  registerNativeBackend, setNativeBackendThreads, setNativeBackendSpinWait, MAX_NATIVE_SPIN_MICROS, nativeKernelLibraries,
} from './node/native/backend.js';
export {
  MAX_WASM_THREADS, checkWasmThreadsPackage, prepareWasmThreads, requestedWasmThreads, wasmThreadsStatus, type WasmThreadsStatus,
} from './node/wasm-threads.js';

/** What {@link installNodeKernels} installed. */
export interface NodeKernelsStatus extends KernelsStatus {
  /** Whether 'kindling-native' is registered (false when its addon was not built: `nativeBackendStatus()` says why). */
  readonly native: boolean;
}

/**
 * {@link installKernels}, plus the registration of the 'kindling-native' backend when its addon was built.
 * Registering a backend does not activate it. Idempotent.
 *
 * @returns what was installed.
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import { installNodeKernels } from '@kindling/kernels/node';
 *
 * if (installNodeKernels().native) await tf.setBackend('kindling-native');
 * ```
 */
export function installNodeKernels(): NodeKernelsStatus {
  const native = registerNativeBackend();
  return { ...installKernels(), native };
}
