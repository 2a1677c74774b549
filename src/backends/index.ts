/**
 * @module backends kindling's side of the backend contract: device selection (`device: 'auto'`, the CLI's
 * `--backend`), `applyGradients` (one fused update kernel per variable where the backend has one), the fused
 * cross-entropy, and the kernels' install entry points re-exported from `@kindling/kernels`. No Ignite counterpart
 * (PyTorch's devices and fused kernels play this role). Deviations: none.
 */
export {
  AUTO_ORDER, activateBackend, deviceChoice, installBackends, missingKernels, registeredBackends, resolveDevice, selectBackend,
  type DeviceChoice, type SkippedBackend,
} from './device.js';
export { BROWSER_AUTO_ORDER, probeBrowserBackend, type BackendProbe } from './browser-device.js';
export { applyGradients, type OptimizerGradients } from './optimizer-update.js';
export {
  FUSED_GRADIENT_KERNELS, FUSED_LAYER_KERNELS, FUSED_LOSS_KERNELS, FUSED_UPDATE_KERNELS, WASM_FIXED_KERNELS, installKernels,
  installWasmFixes, kernelsInstalled, setConvFusion, setDenseFusion, setWasmSimdLoops, uninstallKernels, uninstallWasmFixes,
  wasmFixesInstalled, type FusedInPlaceBackend, type FusedOptimizerKind, type KernelsStatus,
} from '@kindling/kernels';
