/**
 * @module Port of torch/utils/data/distributed.py `DistributedSampler`: each rank iterates its own shard of the
 * dataset's indices.
 * Deviations: the shuffled order comes from kindling's xoshiro128** generator seeded with `seed + epoch` (so it
 * differs from torch's, but is the same on every rank); when `setEpoch` was not called, the epoch advances by
 * itself at every iteration, so each epoch is reshuffled without a `setEpoch` handler (torch repeats the epoch-0
 * order until `set_epoch` is called).
 */

import type { Sampler } from '../data/samplers.js';
import { RandomGenerator } from '../random/generator.js';
import { getRank, getWorldSize } from './context.js';

/**
 * Options of {@link DistributedSampler}.
 *
 */
export interface DistributedSamplerOptions {
  /** The number of shards. @defaultValue `getWorldSize()` */
  numReplicas?: number;
  /** This rank's shard. @defaultValue `getRank()` */
  rank?: number;
  /** Shuffle the indices (the same permutation on every rank) before sharding. @defaultValue true */
  shuffle?: boolean;
  /** The seed of the shuffle; must be the same on every rank. @defaultValue 0 */
  seed?: number;
  /** Drop the tail so that shards are equal without padding (instead of repeating indices). @defaultValue false */
  dropLast?: boolean;
}

/**
 * Shards a dataset's indices across ranks: the (optionally shuffled) indices are padded to a multiple of
 * `numReplicas` by repeating from the start (or truncated with `dropLast`), and rank `r` takes
 * `indices[r], indices[r + numReplicas], ...`. Every shard has the same length, so every rank runs the same number
 * of iterations.
 *
 * @example
 * ```ts
 * const sampler = new DistributedSampler(dataset, { shuffle: true, seed: 1 });
 * const loader = new DataLoader(dataset, { batchSize: 32, sampler });
 * trainer.on(Events.EPOCH_STARTED, (e) => sampler.setEpoch(e.state.epoch - 1)); // optional: epochs advance anyway
 * ```
 * @see https://pytorch.org/docs/stable/data.html#torch.utils.data.distributed.DistributedSampler
 */
export class DistributedSampler implements Sampler {
  /** The number of shards. */
  readonly numReplicas: number;
  /** This sampler's shard. */
  readonly rank: number;
  /** Whether the indices are shuffled. */
  readonly shuffle: boolean;
  /** The base seed of the shuffle. */
  readonly seed: number;
  /** Whether the tail is dropped instead of padded. */
  readonly dropLast: boolean;
  readonly #source: { length: number };
  #epoch = 0;
  #explicitEpoch = false;

  /**
   * @param dataSource - anything with a `length` (a dataset, an array).
   * @param options - shards, shuffle, seed and dropLast.
   * @throws TypeError when `dataSource` has no length; RangeError for an invalid `numReplicas` or `rank`.
   */
  constructor(dataSource: { length: number }, options: DistributedSamplerOptions = {}) {
    if (typeof dataSource !== 'object' || dataSource === null || typeof dataSource.length !== 'number') {
      throw new TypeError('DistributedSampler expects a data source with a numeric length');
    }
    const { numReplicas = getWorldSize(), rank = getRank(), shuffle = true, seed = 0, dropLast = false } = options;
    if (!Number.isSafeInteger(numReplicas) || numReplicas < 1) {
      throw new RangeError(`numReplicas should be a positive integer, but given ${numReplicas}`);
    }
    if (!Number.isSafeInteger(rank) || rank < 0 || rank >= numReplicas) {
      throw new RangeError(`Invalid rank ${rank}, rank should be in the interval [0, ${numReplicas - 1}]`);
    }
    this.#source = dataSource;
    this.numReplicas = numReplicas;
    this.rank = rank;
    this.shuffle = shuffle;
    this.seed = seed;
    this.dropLast = dropLast;
  }

  /** The number of indices of this rank's shard. */
  get length(): number {
    const n = this.#source.length;
    return this.dropLast ? Math.floor(n / this.numReplicas) : Math.ceil(n / this.numReplicas);
  }

  /** The epoch whose order the next iteration yields. */
  get epoch(): number {
    return this.#epoch;
  }

  /**
   * Sets the epoch of the next iterations (its order is drawn from `seed + epoch`); from then on the epoch no longer
   * advances by itself. Call it with the same value on every rank.
   *
   * @param epoch - a non-negative integer.
   * @returns nothing.
   * @throws RangeError for a negative or non-integer epoch.
   */
  setEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch should be a non-negative integer, but given ${epoch}`);
    this.#epoch = epoch;
    this.#explicitEpoch = true;
  }

  /**
   * Positions a sampler whose epoch advances by itself (no {@link DistributedSampler.setEpoch} call) as if it had been
   * iterated `epoch` times, so that a resumed run draws the orders the interrupted one would have; a sampler with an
   * explicit epoch is left alone. `DeterministicEngine` calls it when a run (or a resume) starts a pass.
   *
   * @param epoch - the number of passes already made (a non-negative integer).
   * @throws RangeError for a negative or non-integer epoch.
   */
  resumeEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`epoch should be a non-negative integer, but given ${epoch}`);
    if (!this.#explicitEpoch) this.#epoch = epoch;
  }

  /**
   * Draws this epoch's shard.
   *
   * @returns an iterator over this rank's indices.
   */
  [Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    let indices = this.shuffle ? new RandomGenerator(this.seed + this.#epoch).permutation(n) : Array.from({ length: n }, (_, i) => i);
    if (!this.#explicitEpoch) this.#epoch += 1;
    const total = this.length * this.numReplicas;
    if (total <= indices.length) indices = indices.slice(0, total);
    else {
      const padded = indices.slice();
      while (padded.length < total) padded.push(...indices.slice(0, total - padded.length));
      indices = padded;
    }
    const shard: number[] = [];
    for (let i = this.rank; i < total; i += this.numReplicas) shard.push(indices[i] ?? 0);
    return shard[Symbol.iterator]();
  }
}

/**
 * Shards the indices of any sampler across ranks (Ignite's `DistributedProxySampler`): each iteration draws the
 * wrapped sampler's order once, pads it to a multiple of `numReplicas` by repeating from the start, and yields
 * every `numReplicas`-th index from `rank`. The wrapped sampler must yield the same order on every rank (seed it).
 *
 * @see https://pytorch.org/ignite/generated/ignite.distributed.auto.DistributedProxySampler.html
 */
export class DistributedProxySampler implements Sampler {
  /** The wrapped sampler. */
  readonly sampler: Sampler;
  /** The number of shards. */
  readonly numReplicas: number;
  /** This sampler's shard. */
  readonly rank: number;

  /**
   * @param sampler - the sampler to shard.
   * @param options - `numReplicas` (default the world size) and `rank` (default this rank).
   * @throws TypeError when `sampler` is not iterable with a length; RangeError for an invalid rank.
   */
  constructor(sampler: Sampler, options: { numReplicas?: number; rank?: number } = {}) {
    if (typeof sampler?.length !== 'number' || typeof sampler[Symbol.iterator] !== 'function') {
      throw new TypeError('Argument sampler should be an iterable of indices with a length');
    }
    const { numReplicas = getWorldSize(), rank = getRank() } = options;
    if (!Number.isSafeInteger(numReplicas) || numReplicas < 1 || !Number.isSafeInteger(rank) || rank < 0 || rank >= numReplicas) {
      throw new RangeError(`Invalid rank ${rank} for numReplicas ${numReplicas}: rank should be in [0, numReplicas - 1]`);
    }
    this.sampler = sampler;
    this.numReplicas = numReplicas;
    this.rank = rank;
  }

  /** The number of indices of this rank's shard. */
  get length(): number {
    return Math.ceil(this.sampler.length / this.numReplicas);
  }

  /**
   * Draws the wrapped sampler's order and yields this rank's shard of it.
   *
   * @returns an iterator over this rank's indices.
   */
  [Symbol.iterator](): Iterator<number> {
    const all = [...this.sampler];
    const total = Math.ceil(all.length / this.numReplicas) * this.numReplicas;
    const shard: number[] = [];
    for (let i = this.rank; i < total; i += this.numReplicas) shard.push(all[i % Math.max(1, all.length)] ?? 0);
    return shard[Symbol.iterator]();
  }
}
