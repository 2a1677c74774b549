/**
 * @module @kindling/kernels The kernels behind kindling's fast CPU training, browser-safe entry: the contract
 * (contract.ts), `installKernels()` (install.ts) with kindling's kernels for TensorFlow.js's wasm backend (wasm/) and
 * the autograd pieces of the fused kernels (gradients/). The Node-only parts (the 'kindling-native' OpenBLAS backend,
 * wasm threads in Node) are in `@kindling/kernels/node`. Importing this module changes nothing in TensorFlow.js.
 */
export * from './contract.js';
export { installKernels, kernelsInstalled, uninstallKernels, type KernelsStatus } from './install.js';
export { installWasmFixes, uninstallWasmFixes, wasmFixesInstalled, WASM_FIXED_KERNELS } from './wasm/fixes.js';
export { WASM_FUSED_LOSS_MAX_SIZE } from './wasm/losses.js';
export { setWasmSimdLoops } from './wasm/simd.js';
export { reluGradient, setConvFusion, setDenseFusion } from './gradients/index.js';
