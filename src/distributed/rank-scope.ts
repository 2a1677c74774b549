/**
 * @module Port of Ignite's `@one_rank_only` and `one_rank_first` (ignite/distributed/utils.py): run code on one
 * rank, or on one rank before the others. Browser-safe.
 * Deviations: decorators and context managers become wrappers: `oneRankOnly(fn)` returns the wrapped function,
 * `oneRankFirst(fn)` runs `fn` and returns a promise of its result.
 */

import { getLocalRank, getNprocPerNode, getRank, getWorldSize } from './context.js';
import { barrier, barrierAsync } from './comm.js';

/**
 * Options of {@link oneRankOnly}.
 *
 */
export interface OneRankOnlyOptions {
  /** The rank that runs the function. @defaultValue 0 */
  rank?: number;
  /** Every rank waits at a barrier after the call (after the promise settles, for async functions). @defaultValue false */
  withBarrier?: boolean;
}

/**
 * Wraps `fn` so that it runs on one rank only (Ignite's `@one_rank_only`); on the other ranks the wrapper returns
 * undefined. With `withBarrier`, every rank waits until the call has finished.
 *
 * @param fn - the function (sync or async).
 * @param options - `rank` and `withBarrier`.
 * @returns the wrapped function.
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.one_rank_only
 */
export function oneRankOnly<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: OneRankOnlyOptions = {},
): (...args: A) => R | undefined {
  const { rank = 0, withBarrier = false } = options;
  return function oneRankOnlyWrapper(...args: A): R | undefined {
    const result = getRank() === rank ? fn(...args) : undefined;
    if (!withBarrier) return result;
    if (result instanceof Promise) {
      return result.finally(() => barrier()) as R;
    }
    barrier();
    return result;
  };
}


/**
 * Options of {@link oneRankFirst}.
 *
 */
export interface OneRankFirstOptions {
  /** The rank that runs first. @defaultValue 0 */
  rank?: number;
  /** `rank` is a local rank: on every host, that local rank runs first. @defaultValue false */
  local?: boolean;
}

/**
 * Runs `fn` on one rank first, then on the others (Ignite's `idist.one_rank_first` context manager): the other
 * ranks wait at a barrier until the first has finished, e.g. so that one rank downloads a dataset and the others
 * find it on disk. Every rank calls it (it contains a barrier on every rank, which keeps the event loop running).
 *
 * @param fn - the code (sync or async).
 * @param options - `rank` (default 0) and `local` (default false).
 * @returns what `fn` returned on this rank.
 * @throws RangeError when `rank` is not in [0, size) (size: the world size, or the processes per node with `local`).
 * @example
 * ```ts
 * const dataset = await oneRankFirst(() => downloadMnist('data/'), { local: true }); // once per host
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.one_rank_first
 */
export async function oneRankFirst<R>(fn: () => R | Promise<R>, options: OneRankFirstOptions = {}): Promise<R> {
  const { rank = 0, local = false } = options;
  const current = local ? getLocalRank() : getRank();
  const size = local ? getNprocPerNode() : getWorldSize();
  if (!Number.isInteger(rank) || rank >= size || rank < 0) {
    throw new RangeError(`rank should be between 0 and ${size - 1}, but given ${rank}`);
  }
  // Porting note: the waiting ranks wait with barrierAsync, so their event loop keeps running (a download on the
  // first rank may take minutes).
  if (current !== rank) await barrierAsync();
  const result = await fn();
  if (current === rank) await barrierAsync();
  return result;
}
