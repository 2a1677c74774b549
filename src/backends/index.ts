/** @module Backend helpers: kernel fixes for TensorFlow.js's wasm backend, the fused kernel contracts (optimizer updates, losses). No Ignite counterpart. Deviations: none. */
export { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled, WASM_FIXED_KERNELS } from './wasm-fixes.js';
export { setWasmSimdLoops } from './wasm-simd.js';
export {
  FUSED_GRADIENT_KERNELS, FUSED_LAYER_KERNELS, FUSED_LOSS_KERNELS, FUSED_UPDATE_KERNELS, type FusedInPlaceBackend, type FusedOptimizerKind,
} from './fused-kernels.js';
