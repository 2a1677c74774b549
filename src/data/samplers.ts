/**
 * @module data/samplers Index samplers for {@link DataLoader}: which dataset indices, in which order, in which batches.
 * Port of torch/utils/data/sampler.py (`SequentialSampler`, `RandomSampler`, `BatchSampler`) and
 * ignite/engine/deterministic.py (`ReproducibleBatchSampler`).
 * Deviations: random orders come from kindling's xoshiro128** generator, so they differ from PyTorch's; samplers
 * draw their order eagerly when an iteration starts (torch draws it lazily at the first `next()`), which makes
 * "seed, then create the iterator" the only point where the order is decided.
 */
import { globalGenerator } from '../random/global.js';
import { RandomGenerator } from '../random/generator.js';
import { describeValue } from './nd-array.js';

/** A source of dataset indices: iterable, with a known number of indices. */
export interface Sampler extends Iterable<number> {
  /** The number of indices one iteration yields. */
  readonly length: number;
}

/** A source of batches of dataset indices: iterable, with a known number of batches. */
export interface BatchSamplerLike extends Iterable<number[]> {
  /** The number of batches one iteration yields. */
  readonly length: number;
}

/**
 * Checks that `value` is a non-negative integer size.
 *
 * @param value - the value.
 * @param what - its name for the error message.
 * @throws TypeError if it is not a number; RangeError if it is negative or not an integer.
 */
function checkCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} should be a number, but given ${describeValue(value)}.`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} should be a non-negative integer, but given ${value}.`);
  }
}

function hasLength(value: unknown): value is { length: number } {
  return typeof value === 'object' && value !== null && typeof (value as { length?: unknown }).length === 'number';
}

/**
 * Yields `0, 1, ..., n-1` in order.
 *
 */
export class SequentialSampler implements Sampler {
  readonly #source: { length: number };

  /**
   * @param dataSource - anything with a `length` (a dataset, an array).
   * @throws TypeError if `dataSource` has no numeric `length`.
   */
  constructor(dataSource: { length: number }) {
    if (!hasLength(dataSource)) {
      throw new TypeError(`SequentialSampler expects a data source with a length, but given ${describeValue(dataSource)}.`);
    }
    this.#source = dataSource;
  }

  /** The number of indices: the data source's current length. */
  get length(): number {
    return this.#source.length;
  }

  /**
   * Iterates the indices in order.
   *
   * @returns an iterator over `0..length-1`.
   */
  *[Symbol.iterator](): Iterator<number> {
    const n = this.length;
    for (let i = 0; i < n; i += 1) yield i;
  }
}

/** Options of {@link RandomSampler}. */
export interface RandomSamplerOptions {
  /** Draw with replacement (default false). */
  replacement?: boolean;
  /** Number of indices per iteration (default: the data source length). */
  numSamples?: number;
  /**
   * The generator to draw from; its state advances every epoch. Default: each iteration draws one 32-bit seed
   * from kindling's global generator (seed it with `manualSeed`) and uses a fresh generator, like torch.
   */
  generator?: RandomGenerator;
  /** Shortcut for `generator: new RandomGenerator(seed)`. */
  seed?: number;
}

/**
 * Yields the indices of a data source in a random order, re-drawn at every iteration (every epoch).
 *
 * @example
 * ```ts
 * manualSeed(1);
 * const order = [...new RandomSampler(dataset)]; // a permutation of 0..dataset.length-1
 * ```
 */
export class RandomSampler implements Sampler {
  /** Whether indices are drawn with replacement. */
  readonly replacement: boolean;
  /** The generator given in the options (or built from `seed`), else null (use the global generator). */
  readonly generator: RandomGenerator | null;
  readonly #source: { length: number };
  readonly #numSamples: number | null;

  /**
   * @param dataSource - anything with a `length`.
   * @param options - replacement, numSamples, generator or seed.
   * @throws TypeError for a data source without length or both `generator` and `seed`.
   * @throws RangeError if `numSamples` is not a positive integer.
   */
  constructor(dataSource: { length: number }, options: RandomSamplerOptions = {}) {
    if (!hasLength(dataSource)) {
      throw new TypeError(`RandomSampler expects a data source with a length, but given ${describeValue(dataSource)}.`);
    }
    if (options.generator !== undefined && options.seed !== undefined) {
      throw new TypeError('RandomSampler takes either a generator or a seed, not both. Pass only one of them.');
    }
    if (options.numSamples !== undefined) {
      checkCount(options.numSamples, 'numSamples');
      if (options.numSamples === 0) {
        throw new RangeError('numSamples should be a positive integer value, but got numSamples=0');
      }
    }
    this.#source = dataSource;
    this.replacement = options.replacement ?? false;
    this.#numSamples = options.numSamples ?? null;
    this.generator = options.generator ?? (options.seed !== undefined ? new RandomGenerator(options.seed) : null);
  }

  /** The number of indices one iteration yields. */
  get length(): number {
    return this.#numSamples ?? this.#source.length;
  }

  /**
   * Draws the order of one iteration now (from the generator) and iterates it.
   *
   * @returns an iterator over the drawn indices.
   */
  [Symbol.iterator](): Iterator<number> {
    const n = this.#source.length;
    const g = this.generator ?? new RandomGenerator(globalGenerator.nextUint32());
    const total = this.length;
    const out: number[] = [];
    if (this.replacement) {
      for (let i = 0; i < total; i += 1) out.push(g.randint(0, n));
    } else {
      while (out.length < total) {
        const perm = g.permutation(n);
        out.push(...perm.slice(0, total - out.length));
      }
    }
    return out[Symbol.iterator]();
  }
}

/**
 * Groups the indices of a sampler into batches of `batchSize` (the last one may be smaller unless `dropLast`).
 *
 */
export class BatchSampler implements BatchSamplerLike {
  /** The index sampler. */
  readonly sampler: Sampler;
  /** Indices per batch. */
  readonly batchSize: number;
  /** Whether a last, smaller batch is dropped. */
  readonly dropLast: boolean;

  /**
   * @param sampler - an index sampler (anything iterable over numbers with a `length`).
   * @param batchSize - a positive integer.
   * @param dropLast - drop the last batch when it is smaller than `batchSize`.
   * @throws TypeError if `sampler` is not an iterable with a length.
   * @throws RangeError if `batchSize` is not a positive integer.
   */
  constructor(sampler: Sampler, batchSize: number, dropLast = false) {
    if (!hasLength(sampler) || typeof (sampler as Partial<Sampler>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`BatchSampler expects a sampler (iterable of indices with a length), but given ${describeValue(sampler)}.`);
    }
    checkBatchSize(batchSize);
    this.sampler = sampler;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
  }

  /** The number of batches one iteration yields. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * Iterates the batches (the sampler's order is drawn when this is called).
   *
   * @returns an iterator over arrays of indices.
   */
  [Symbol.iterator](): Iterator<number[]> {
    const indices = this.sampler[Symbol.iterator]();
    const size = this.batchSize;
    const dropLast = this.dropLast;
    let done = false;
    return {
      next(): IteratorResult<number[]> {
        if (done) return { value: undefined, done: true };
        const batch: number[] = [];
        while (batch.length < size) {
          const r = indices.next();
          if (r.done === true) {
            done = true;
            break;
          }
          batch.push(r.value);
        }
        if (batch.length === 0 || (dropLast && batch.length < size)) return { value: undefined, done: true };
        return { value: batch, done: false };
      },
      [Symbol.iterator]() {
        return this;
      },
    } as IterableIterator<number[]>;
  }
}

/**
 * Checks a batch size (torch's wording).
 *
 * @param batchSize - the value.
 * @throws TypeError if it is not a number; RangeError if it is not a positive integer.
 */
export function checkBatchSize(batchSize: unknown): asserts batchSize is number {
  if (typeof batchSize !== 'number') {
    throw new TypeError(`batchSize should be a positive integer value, but got batchSize=${describeValue(batchSize)}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize should be a positive integer value, but got batchSize=${batchSize}`);
  }
}

/**
 * Wraps a batch sampler so that the batches of an epoch are computed all at once when its iteration starts (right
 * after `DeterministicEngine` reseeds), and so that an iteration can start at batch `startIteration` (resume
 * mid-epoch). Port of Ignite's `ReproducibleBatchSampler`.
 *
 * @example
 * ```ts
 * const rbs = new ReproducibleBatchSampler(new BatchSampler(new RandomSampler(ds), 4), 2);
 * manualSeed(7);
 * const rest = [...rbs]; // the batches of a seed-7 epoch, without the first two
 * ```
 */
export class ReproducibleBatchSampler implements BatchSamplerLike {
  /** The wrapped batch sampler. */
  readonly batchSampler: BatchSampler;
  /** The index sampler of the wrapped batch sampler. */
  readonly sampler: Sampler;
  /** Batches to skip at the start of the next iteration only (reset to null once used). */
  startIteration: number | null;
  /** The batches of the current iteration (after skipping), or null before the first iteration. */
  batchIndices: number[][] | null = null;

  /**
   * @param batchSampler - a {@link BatchSampler}.
   * @param startIteration - batches to skip at the start of the next iteration (default none).
   * @throws TypeError if `batchSampler` is not a BatchSampler.
   * @throws RangeError if `startIteration` is negative or not an integer.
   */
  constructor(batchSampler: BatchSampler, startIteration: number | null = null) {
    if (!(batchSampler instanceof BatchSampler)) {
      throw new TypeError(`Argument batchSampler should be a BatchSampler, but given ${describeValue(batchSampler)}.`);
    }
    if (startIteration !== null) checkCount(startIteration, 'startIteration');
    this.batchSampler = batchSampler;
    this.sampler = batchSampler.sampler;
    this.startIteration = startIteration;
  }

  /** The number of batches of a full epoch (skipping does not change it, as in Ignite). */
  get length(): number {
    return this.batchSampler.length;
  }

  /** Computes the batches of one epoch now, then drops the first `startIteration` of them. */
  setupBatchIndices(): void {
    let batches = [...this.batchSampler];
    if (this.startIteration !== null) {
      batches = batches.slice(this.startIteration);
      this.startIteration = null;
    }
    this.batchIndices = batches;
  }

  /**
   * Computes the epoch's batches (drawing all randomness now) and iterates them.
   *
   * @returns an iterator over arrays of indices.
   */
  [Symbol.iterator](): Iterator<number[]> {
    this.setupBatchIndices();
    return (this.batchIndices ?? [])[Symbol.iterator]();
  }
}
