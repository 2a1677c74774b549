/**
 * @module install The one place where this package changes TensorFlow.js, and only when called: `installKernels()`
 * registers kindling's wasm kernels (when `@tensorflow/tfjs-backend-wasm` is imported), the fused kernels'
 * gradients, `Relu`'s one-kernel gradient and the fused Dense/Conv2D routes; `uninstallKernels()` takes it all back.
 * Importing the package does neither (as TensorFlow.js's own backend packages register only what is imported).
 */
import { fusedPathsInstalled, installFusedPaths, uninstallFusedPaths } from './gradients/index.js';
import { installWasmFixes, uninstallWasmFixes } from './wasm/fixes.js';

/** What {@link installKernels} installed. */
export interface KernelsStatus {
  /** The fused kernels' gradients, Relu's gradient and the fused layer routes. */
  readonly fusedPaths: boolean;
  /** kindling's kernels on the 'wasm' backend (false when `@tensorflow/tfjs-backend-wasm` is not imported). */
  readonly wasm: boolean;
}

/**
 * Installs kindling's kernels into TensorFlow.js: on the 'wasm' backend when it is registered, and the autograd
 * pieces that make any backend with kindling's fused kernels use them (the native backend of
 * `@kindling/kernels/node` installs those itself when registered). Idempotent; the stock kernels and gradients it
 * replaces are kept and put back by {@link uninstallKernels}. Results are the same as TensorFlow.js's own
 * kernels (bit-identical, or within float32 rounding where documented); only the speed changes.
 *
 * @returns what was installed.
 * @example
 * ```ts
 * // In a browser: import the wasm backend first, then install kindling's kernels, then pick the backend.
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { installKernels } from '@kindling/kernels';
 *
 * installKernels();
 * await tf.setBackend('wasm');
 * ```
 */
export function installKernels(): KernelsStatus {
  installFusedPaths();
  return { fusedPaths: true, wasm: installWasmFixes() };
}

/**
 * Takes back everything {@link installKernels} installed (the stock wasm kernels, TensorFlow.js's Relu gradient and
 * `tf.fused` functions). Idempotent.
 */
export function uninstallKernels(): void {
  uninstallWasmFixes();
  uninstallFusedPaths();
}

/**
 * Whether {@link installKernels} (or a backend registration of this package) has installed the fused paths.
 *
 * @returns true while installed.
 */
export function kernelsInstalled(): boolean {
  return fusedPathsInstalled();
}
