/**
 * @module random/global kindling's global random state: one generator for kindling itself (samplers, `state.seed`)
 * and a seeded replacement of `Math.random`, which TensorFlow.js uses to draw a seed whenever an op gets none
 * (`randomUniform`/`randomNormal`/`truncatedNormal` in tfjs-core `ops/rand_util`, hence `dropout`, every
 * tfjs-layers initializer and `Dropout` layer, `multinomial`, `util.shuffle` used by `model.fit`).
 * Port of ignite/utils.py `manual_seed` and ignite/engine/deterministic.py `keep_random_state`.
 * Deviations: Python has three generators (random, torch, numpy); here there are two streams, both seeded by
 * `manualSeed`. `Math.random` is replaced only once `manualSeed` (or `setRngState` with a `mathRandom` state) is
 * called, and `restoreMathRandom()` puts the original back.
 */
import { RandomGenerator, checkGeneratorState, checkSeed, type GeneratorState } from './generator.js';

/** Stream numbers that keep the two generators independent for the same seed. */
const KINDLING_STREAM = 0;
const MATH_RANDOM_STREAM = 1;

/**
 * The JSON-serialisable random state of kindling: the global generator, and the seeded `Math.random` (null when the
 * original `Math.random` is in place).
 */
export interface RngState {
  /** State of kindling's global generator ({@link globalGenerator}). */
  generator: GeneratorState;
  /** State of the seeded `Math.random`, or null when `Math.random` is the platform's own. */
  mathRandom: GeneratorState | null;
}

/**
 * kindling's global generator: samplers without their own generator, and `DeterministicEngine`'s `state.seed`,
 * draw from it. Until {@link manualSeed} is called it starts from a seed drawn from the platform's `Math.random`.
 *
 * @example
 * ```ts
 * manualSeed(3);
 * const order = globalGenerator.permutation(5);
 * ```
 */
export const globalGenerator = new RandomGenerator(Math.floor(Math.random() * 2 ** 32), KINDLING_STREAM);

const mathRandomGenerator = new RandomGenerator(0, MATH_RANDOM_STREAM);
const originalMathRandom: () => number = Math.random;
const seededMathRandom = (): number => mathRandomGenerator.random();

/**
 * Whether `Math.random` is currently kindling's seeded replacement.
 *
 * @returns true after {@link manualSeed} until {@link restoreMathRandom}.
 * @example
 * ```ts
 * manualSeed(1);
 * assert.ok(isMathRandomSeeded());
 * ```
 */
export function isMathRandomSeeded(): boolean {
  return Math.random === seededMathRandom;
}

/**
 * Seeds kindling's global generator and installs a seeded `Math.random`, so TensorFlow.js initializers, dropout
 * and random ops called without an explicit seed become reproducible.
 *
 * Do not pass fixed per-layer seeds instead: a `Dropout` layer with a fixed `seed` draws the same mask at every step.
 *
 * @param seed - a safe integer.
 * @throws TypeError / RangeError if `seed` is not a safe integer.
 * @example
 * ```ts
 * manualSeed(12);
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [2] })] }); // same weights every run
 * ```
 */
export function manualSeed(seed: number): void {
  checkSeed(seed);
  globalGenerator.manualSeed(seed, KINDLING_STREAM);
  mathRandomGenerator.manualSeed(seed, MATH_RANDOM_STREAM);
  Math.random = seededMathRandom;
}

/**
 * Puts the platform's original `Math.random` back (kindling's global generator stays seeded).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * // ... reproducible work ...
 * restoreMathRandom();
 * ```
 */
export function restoreMathRandom(): void {
  if (Math.random === seededMathRandom) Math.random = originalMathRandom;
}

/**
 * Returns a snapshot of kindling's random state (JSON-serialisable).
 *
 * @returns the global generator state and the seeded `Math.random` state (or null if not seeded).
 */
export function getRngState(): RngState {
  return {
    generator: globalGenerator.getState(),
    mathRandom: isMathRandomSeeded() ? mathRandomGenerator.getState() : null,
  };
}

/**
 * Restores a snapshot returned by {@link getRngState}. A `mathRandom` state installs the seeded `Math.random`;
 * `mathRandom: null` restores the original one.
 *
 * @param state - a value returned by {@link getRngState} (possibly after a JSON round trip).
 * @throws TypeError if `state` is malformed.
 */
export function setRngState(state: RngState): void {
  if (typeof state !== 'object' || state === null || !('generator' in state) || !('mathRandom' in state)) {
    throw new TypeError(
      `setRngState expects { generator, mathRandom } as returned by getRngState(), but given ${JSON.stringify(state)}.`,
    );
  }
  checkGeneratorState(state.generator);
  if (state.mathRandom !== null) checkGeneratorState(state.mathRandom);
  globalGenerator.setState(state.generator);
  if (state.mathRandom === null) {
    restoreMathRandom();
  } else {
    mathRandomGenerator.setState(state.mathRandom);
    Math.random = seededMathRandom;
  }
}

/**
 * Wraps a handler so that kindling's random state after it is the one before it (Ignite's `keep_random_state`).
 * Use it for handlers that consume randomness but must not perturb training, e.g. an evaluator run with random
 * augmentations inside the trainer's `EPOCH_COMPLETED`. Async handlers are restored when their promise settles.
 *
 * @param handler - any function; its arguments and result are passed through.
 * @returns the wrapped handler.
 */
export function keepRandomState<TArgs extends unknown[], TResult>(
  handler: (...args: TArgs) => TResult,
): (...args: TArgs) => TResult {
  if (typeof handler !== 'function') {
    throw new TypeError(`keepRandomState expects a function, but given ${typeof handler}.`);
  }
  return function keptRandomState(this: unknown, ...args: TArgs): TResult {
    const saved = getRngState();
    let result: TResult;
    try {
      result = handler.apply(this, args);
    } catch (error) {
      setRngState(saved);
      throw error;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          setRngState(saved);
          return value;
        },
        (error: unknown) => {
          setRngState(saved);
          throw error;
        },
      ) as TResult;
    }
    setRngState(saved);
    return result;
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
