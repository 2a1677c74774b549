/**
 * @module gradients What a backend with kindling's fused kernels needs from TensorFlow.js's autograd: the fused
 * kernels' gradients, `Relu`'s one-kernel gradient, and the routes of `tf.fused.matMul` / `tf.fused.conv2d` to the
 * fused layer kernels under a tape. Every backend registration of this package installs them (they do nothing on
 * a backend without the kernels); `uninstallFusedPaths` takes them all back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CONV_GRADIENT, convRoute } from './conv.js';
import { DENSE_GRADIENT, denseRoute } from './dense.js';
import { CROSS_ENTROPY_GRADIENT } from './loss.js';
import { installReluGradient, uninstallReluGradient } from './relu.js';

const GRADIENTS = [DENSE_GRADIENT, CONV_GRADIENT, CROSS_ENTROPY_GRADIENT];

let installed = false;

/** Installs the fused kernels' gradients, Relu's gradient and the fused layer routes. Idempotent. */
export function installFusedPaths(): void {
  if (installed) return;
  for (const config of GRADIENTS) tf.registerGradient(config);
  installReluGradient();
  denseRoute.install();
  convRoute.install();
  installed = true;
}

/** Takes back everything {@link installFusedPaths} installed. Idempotent. */
export function uninstallFusedPaths(): void {
  if (!installed) return;
  convRoute.uninstall();
  denseRoute.uninstall();
  uninstallReluGradient();
  for (const config of GRADIENTS) tf.unregisterGradient(config.kernelName);
  installed = false;
}

/**
 * Whether the fused paths are installed.
 *
 * @returns true between {@link installFusedPaths} and {@link uninstallFusedPaths}.
 */
export function fusedPathsInstalled(): boolean {
  return installed;
}

export { reluGradient } from './relu.js';
export { setConvFusion } from './conv.js';
export { setDenseFusion } from './dense.js';
