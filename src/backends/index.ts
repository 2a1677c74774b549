/** @module Backend helpers: kernel fixes for TensorFlow.js's wasm backend. No Ignite counterpart. Deviations: none. */
export { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled, WASM_FIXED_KERNELS } from './wasm-fixes.js';
