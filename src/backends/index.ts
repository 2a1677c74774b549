/** @module Backend helpers: kernel fixes for TensorFlow.js's wasm backend, the fused optimizer-update kernel contract. No Ignite counterpart. Deviations: none. */
export { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled, WASM_FIXED_KERNELS } from './wasm-fixes.js';
export { FUSED_UPDATE_KERNELS, type FusedOptimizerKind } from './optimizer-kernels.js';
