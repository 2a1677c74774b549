/**
 * @module backends/optimizer-kernels The contract of the fused optimizer-update kernels: their names, inputs,
 * attributes and outputs. A backend registers them to make {@link applyGradients} update each variable in one
 * kernel call instead of the 2 (SGD), 4 (Momentum) or 11 (Adam) kernels of TensorFlow.js's optimizers.
 * 'kindling-native' registers all three. No Ignite counterpart (PyTorch's `foreach`/fused optimizer
 * implementations play this role). Deviations: none; results are bit-identical to the TensorFlow.js optimizers.
 */

/**
 * Kernel names of the fused updates, by TensorFlow.js optimizer.
 *
 * - `sgd` — inputs `{ value, gradient, c }` (`c` = the optimizer's `-learningRate` scalar); no attributes;
 *   outputs `[newValue]` = `c * gradient + value`.
 * - `momentum` — inputs `{ value, accumulation, gradient, c, m }`; attribute `useNesterov`; outputs
 *   `[newValue, newAccumulation]` with `newAccumulation = m * accumulation + gradient` and
 *   `newValue = c * newAccumulation + value` (Nesterov: `c * (gradient + newAccumulation * m) + value`).
 * - `adam` — inputs `{ value, firstMoment, secondMoment, gradient, accBeta1, accBeta2 }`; attributes `beta1`,
 *   `beta2`, `epsilon`, `learningRate`; outputs `[newValue, newFirstMoment, newSecondMoment]`, computed like
 *   `AdamOptimizer.applyGradients` (float32 operations in the same order).
 *
 * @example
 * ```ts
 * tf.getKernel(FUSED_UPDATE_KERNELS.momentum, 'kindling-native') !== undefined; // true once registered
 * ```
 */
export const FUSED_UPDATE_KERNELS = {
  sgd: 'KindlingSgdUpdate',
  momentum: 'KindlingMomentumUpdate',
  adam: 'KindlingAdamUpdate',
} as const;

/** The optimizers with a fused update kernel. */
export type FusedOptimizerKind = keyof typeof FUSED_UPDATE_KERNELS;
