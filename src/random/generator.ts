/**
 * @module random/generator A small seedable pseudo-random generator whose whole state is four 32-bit integers, so it
 * serialises to JSON and restores bit-exactly. Port of the role of `torch.Generator` in ignite/engine/deterministic.py.
 * Deviations: the algorithm is xoshiro128** (not torch's Mersenne Twister / Philox), so sequences differ from PyTorch's.
 *
 * Why xoshiro128** (Blackman & Vigna, 2018): it is a well-known generator that passes BigCrush, needs only 32-bit
 * integer arithmetic (`Math.imul`, shifts), so it is exact and identical on every JavaScript engine, and its state is
 * just 128 bits. Seeds are expanded with the murmur3 finaliser and splitmix32, as the authors recommend, so nearby
 * seeds (`seed`, `seed + 1`, ...) give unrelated streams.
 */

/** The JSON-serialisable state of a {@link RandomGenerator}: four unsigned 32-bit integers, not all zero. */
export type GeneratorState = [number, number, number, number];

const TWO_POW_32 = 0x1_0000_0000;

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h0: number): number {
  let h = h0 >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Expands a safe-integer seed (and a stream number) into a non-zero xoshiro128** state.
 *
 * @param seed - any safe integer.
 * @param stream - a small integer selecting an independent stream for the same seed.
 * @returns the initial state.
 */
function seedState(seed: number, stream: number): GeneratorState {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  let x = fmix32(fmix32(fmix32(lo ^ 0x9e37_79b9) ^ hi) ^ (stream >>> 0));
  const out: number[] = [];
  for (let i = 0; i < 4; i += 1) {
    // splitmix32
    x = (x + 0x9e37_79b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x21f0_aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a_2d97);
    out.push((z ^ (z >>> 15)) >>> 0);
  }
  const state = out as GeneratorState;
  if (state.every((v) => v === 0)) state[0] = 1;
  return state;
}

/**
 * Checks that `seed` is a safe integer.
 *
 * @param seed - the value to check.
 * @param what - the argument name used in the error message.
 * @throws TypeError if `seed` is not a number; RangeError if it is not a safe integer.
 * @example
 * ```ts
 * checkSeed(12); // ok
 * checkSeed(0.5); // RangeError
 * ```
 */
export function checkSeed(seed: unknown, what = 'seed'): asserts seed is number {
  if (typeof seed !== 'number') {
    throw new TypeError(`${what} should be an integer number, but given ${typeof seed}. Pass e.g. manualSeed(12).`);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`${what} should be a safe integer, but given ${seed}. Use an integer in [0, 2^53).`);
  }
}

/**
 * Checks that `state` is a valid {@link GeneratorState}.
 *
 * @param state - the value to check.
 * @throws TypeError if it is not an array of four unsigned 32-bit integers, not all zero.
 */
export function checkGeneratorState(state: unknown): asserts state is GeneratorState {
  const ok =
    Array.isArray(state) &&
    state.length === 4 &&
    state.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < TWO_POW_32) &&
    state.some((v) => v !== 0);
  if (!ok) {
    throw new TypeError(
      `A generator state should be an array of four unsigned 32-bit integers, not all zero, but given ` +
        `${JSON.stringify(state)}. Pass a value returned by getState().`,
    );
  }
}

/**
 * A seedable pseudo-random generator (xoshiro128**) with a JSON-serialisable state.
 *
 * @example
 * ```ts
 * const g = new RandomGenerator(42);
 * const saved = g.getState();
 * const a = g.random();
 * g.setState(saved);
 * assert.equal(g.random(), a);
 * ```
 */
export class RandomGenerator {
  #s: GeneratorState;

  /**
   * @param seed - a safe integer; the same seed always gives the same sequence.
   * @param stream - selects an independent stream for the same seed (default 0).
   * @throws TypeError / RangeError if `seed` is not a safe integer.
   */
  constructor(seed = 0, stream = 0) {
    checkSeed(seed);
    this.#s = seedState(seed, stream);
  }

  /**
   * Re-seeds this generator in place.
   *
   * @param seed - a safe integer.
   * @param stream - selects an independent stream (default 0).
   * @returns this generator.
   * @throws TypeError / RangeError if `seed` is not a safe integer.
   */
  manualSeed(seed: number, stream = 0): this {
    checkSeed(seed);
    this.#s = seedState(seed, stream);
    return this;
  }

  /**
   * Draws the next unsigned 32-bit integer.
   *
   * @returns an integer in [0, 2^32).
   */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    for (let i = 0; i < 4; i += 1) s[i] = (s[i] as number) >>> 0;
    return result;
  }

  /**
   * Draws a double uniformly from [0, 1) with 53 random bits (a drop-in for `Math.random`).
   *
   * @returns a number in [0, 1).
   */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67_108_864 + lo) / 9_007_199_254_740_992;
  }

  /**
   * Draws an integer uniformly from [low, high) without modulo bias.
   *
   * @param low - inclusive lower bound (integer).
   * @param high - exclusive upper bound (integer), with `0 < high - low <= 2^32`.
   * @returns an integer in [low, high).
   * @throws RangeError if the range is empty, too large or not integral.
   */
  randint(low: number, high: number): number {
    const range = high - low;
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || range < 1 || range > TWO_POW_32) {
      throw new RangeError(`randint(low, high) needs integers with 0 < high - low <= 2^32, but given (${low}, ${high}).`);
    }
    // Rejection sampling: accept only draws below the largest multiple of `range`.
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % range);
  }

  /**
   * Returns a uniformly random permutation of `0..n-1` (Fisher-Yates).
   *
   * @param n - the permutation size, a non-negative integer.
   * @returns the permuted indices.
   * @throws RangeError if `n` is not a non-negative safe integer.
   */
  permutation(n: number): number[] {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`permutation(n) needs a non-negative integer, but given ${n}.`);
    }
    const out = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i -= 1) {
      const j = this.randint(0, i + 1);
      const tmp = out[i] as number;
      out[i] = out[j] as number;
      out[j] = tmp;
    }
    return out;
  }

  /**
   * Returns a copy of the generator state (JSON-serialisable).
   *
   * @returns four unsigned 32-bit integers.
   */
  getState(): GeneratorState {
    return [...this.#s];
  }

  /**
   * Restores a state returned by {@link RandomGenerator.getState}.
   *
   * @param state - four unsigned 32-bit integers, not all zero.
   * @returns this generator.
   * @throws TypeError if `state` is malformed.
   */
  setState(state: GeneratorState): this {
    checkGeneratorState(state);
    this.#s = [...state];
    return this;
  }

  /**
   * Returns an independent generator with the same state.
   *
   * @returns the copy.
   */
  clone(): RandomGenerator {
    return new RandomGenerator().setState(this.getState());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
