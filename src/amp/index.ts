/**
 * @module amp Mixed precision for kindling: `autocast` (float16/bfloat16 numerics for matmul and convolution
 * kernels) and `GradScaler` (dynamic loss scaling). Port of torch.amp (`torch.autocast`, `torch.amp.GradScaler`)
 * as used by ignite/engine/__init__.py. Deviations: autocast emulates the numerics by rounding kernel operands and
 * outputs on the device; it does not make anything faster on backends without native half precision. Backends with
 * native reduced-precision kernels register them (registerReducedPrecisionKernel): kindling's native backend does.
 */
export { autocast, defaultAmpDtype, registerReducedPrecisionKernel, reducedPrecisionKernel, AUTOCAST_KERNELS } from './autocast.js';
export { roundToDtype, AMP_DTYPES, type AmpDtype } from './host-rounding.js';
export { roundTensor } from './device-rounding.js';
export {
  GradScaler, type GradScalerOptions, type GradScalerStateDict, type GradScalerStepOptions,
} from './grad-scaler.js';
