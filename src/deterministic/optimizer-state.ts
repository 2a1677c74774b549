/**
 * @module deterministic/optimizer-state Bit-exact optimizer restore for TF.js. No Ignite counterpart (torch's
 * `optimizer.load_state_dict` is exact). Deviations: works around a TF.js detail: `AdamOptimizer.setWeights()`
 * recomputes its bias-correction accumulators as `pow(beta, iterations + 1)`, while training builds them as a
 * running product `accBeta * beta`; in float32 the two can differ by one ulp (e.g. `0.999` after 2 steps), so a
 * resumed Adam drifts from the uninterrupted run. Replaying the product restores the exact bits.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The Adam internals read and written here (public in JavaScript, `protected`/`private` in the TF.js typings). */
interface AdamInternals {
  beta1: number;
  beta2: number;
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
  iterations: number;
}

/**
 * Recomputes an Adam optimizer's `accBeta1`/`accBeta2` exactly as training does (a running float32 product over
 * `optimizer.iterations` steps). Call it right after `await optimizer.setWeights(saved)`. Other optimizers are
 * left untouched (their `setWeights` is already exact).
 *
 * @param optimizer - any TF.js optimizer.
 * @returns true when the optimizer was an Adam optimizer and was fixed.
 * @example
 * ```ts
 * await optimizer.setWeights(savedWeights);
 * replayOptimizerAccumulators(optimizer); // bit-exact resume with Adam
 * ```
 */
export function replayOptimizerAccumulators(optimizer: tf.Optimizer): boolean {
  if (!(optimizer instanceof tf.AdamOptimizer)) return false;
  const adam = optimizer as unknown as AdamInternals;
  const steps = adam.iterations;
  if (adam.accBeta1 === undefined || adam.accBeta2 === undefined || !Number.isSafeInteger(steps) || steps < 0) return false;
  const { accBeta1, accBeta2, beta1, beta2 } = adam;
  // float32 products computed on the host: the double product of two float32 values is exact, so rounding it with
  // Math.fround is the IEEE float32 multiply the cpu and wasm kernels perform.
  const b1 = Math.fround(beta1);
  const b2 = Math.fround(beta2);
  let a1 = b1;
  let a2 = b2;
  for (let i = 0; i < steps; i += 1) {
    a1 = Math.fround(a1 * b1);
    a2 = Math.fround(a2 * b2);
  }
  tf.tidy(() => {
    accBeta1.assign(tf.scalar(a1));
    accBeta2.assign(tf.scalar(a2));
  });
  return true;
}
