/**
 * @module backends/native The 'kindling-native' TensorFlow.js backend on OpenBLAS (a Node-API addon built at
 * install time from native/blas). No Ignite counterpart (PyTorch's CPU kernels play this role). Deviations: Node
 * only; kernels outside {@link NATIVE_KERNELS} and unsupported cases run TensorFlow.js's cpu kernels.
 */
export { nativeBackendStatus, type NativeBackendStatus } from './addon.js';
export {
  NATIVE_BACKEND_NAME, NATIVE_BACKEND_PRIORITY, NATIVE_KERNELS, NativeBackend, nativeBf16KernelFunc, nativeFallbackCounts,
  registerNativeBackend, setNativeBackendThreads, setNativeBackendSpinWait, MAX_NATIVE_SPIN_MICROS,
} from './backend.js';
