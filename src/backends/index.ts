/** @module Backend helpers: kernel fixes for TensorFlow.js's wasm backend. */
export { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled } from './wasm-fixes.js';
