/**
 * @module The default per-sample generator of kindling's file datasets when the DataLoader gives none. No Ignite
 * counterpart. Deviations: none.
 */
import { RandomGenerator } from '../../random/generator.js';
import { globalGenerator } from '../../random/global.js';

/**
 * Forks a generator from kindling's global generator, synchronously, when an async `get()` is called, so the draws
 * of a sample do not depend on the order in which concurrent reads finish (read-ahead stays reproducible).
 *
 * @returns a new generator seeded from 53 bits of the global generator.
 */
export function forkGlobalGenerator(): RandomGenerator {
  return new RandomGenerator(globalGenerator.nextUint32() * 2 ** 21 + (globalGenerator.nextUint32() >>> 11));
}
