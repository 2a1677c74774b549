/**
 * @module random Seedable, serialisable randomness for kindling and TensorFlow.js. Port of ignite/utils.py
 * `manual_seed` and ignite/engine/deterministic.py `keep_random_state`.
 * Deviations: one xoshiro128** generator for kindling plus a seeded `Math.random` replacement for TensorFlow.js
 * (which has no global seed), instead of Python's random/torch/numpy generators.
 */
export { RandomGenerator, type GeneratorState } from './generator.js';
export {
  globalGenerator,
  manualSeed,
  restoreMathRandom,
  isMathRandomSeeded,
  getRngState,
  setRngState,
  keepRandomState,
  type RngState,
} from './global.js';
