/**
 * @module data/dataloader `DataLoader`: batches a map-style dataset through a sampler and a collate function.
 * Port of torch/utils/data/dataloader.py `DataLoader`.
 * Deviations: workers (`numWorkers > 0`) are threads that rebuild the dataset from a module reference
 * (`workerDataset`), since closures cannot cross threads; each sample's random generator is derived from the
 * epoch's seed and the sample index (not the worker id), so results are identical for any `numWorkers`; without
 * workers, async datasets are read ahead (`prefetch` batches); a loader over an async dataset (or with workers) is
 * only async-iterable; batches are owned by the loader and disposed when the next batch is
 * requested, when the iteration ends early (`return()`), or when a new iteration of the same loader starts.
 * `seed`/`generator` replace torch's `generator`; `collate` replaces `collate_fn`.
 */
import { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import { AsyncBatchIterator, SyncBatchIterator, disposeBatch, type IteratorHost, type LoaderIterator } from './batch-iterators.js';
import { defaultCollate, type CollateFn, type Collated } from './collate.js';
import { describeValue } from './nd-array.js';
import { WorkerLoader, workerConfig, type WorkerOptions } from './worker-loader.js';
import type { WorkerPool } from './worker-pool.js';
import { sampleGenerator } from './worker-protocol.js';
import {
  BatchSampler,
  RandomSampler,
  SequentialSampler,
  checkBatchSize,
  type BatchSamplerLike,
  type Sampler,
} from './samplers.js';

/**
 * A map-style dataset: a `length` and `get(i)` (sync or async); `getBatch(indices)` is an optional fast path. A
 * dataset whose samples are random (augmentation) declares `get(index, rng)` and draws only from `rng`: the loader
 * passes each sample a generator derived from the epoch's seed and the index, the same in every worker.
 */
export interface MapDataset<TSample> {
  /** The number of samples. */
  readonly length: number;
  /** Returns sample `index` (or a promise of it); `rng` is the sample's generator when the loader gives one. */
  get(index: number, rng?: RandomGenerator): TSample | Promise<TSample>;
  /** Returns an already collated batch; used instead of `get` + collate when no `collate` option is given. */
  getBatch?(indices: readonly number[]): unknown;
}

/** Anything a {@link DataLoader} can batch: a map-style dataset or an array of samples. */
export type DatasetLike<TSample> = MapDataset<TSample> | readonly TSample[];

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<TSample, TBatch> extends WorkerOptions {
  /** Samples per batch (default 1). Exclusive with `batchSampler`. */
  batchSize?: number;
  /** Reshuffle the order at every epoch (default false). Exclusive with `sampler`. */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default false). */
  dropLast?: boolean;
  /** Custom index sampler. Exclusive with `shuffle`. */
  sampler?: Sampler;
  /** Custom batch sampler. Exclusive with `batchSize`, `shuffle`, `sampler` and `dropLast`. */
  batchSampler?: BatchSamplerLike;
  /** Merges samples into a batch (default {@link defaultCollate}). Every tensor it returns is owned by the loader. */
  collate?: CollateFn<TSample, TBatch>;
  /** Generator of the shuffling order (with `shuffle`); default: kindling's global generator (see `manualSeed`). */
  generator?: RandomGenerator;
  /** Seeds a private generator of the shuffling order (with `shuffle`). Exclusive with `generator`. */
  seed?: number;
  /** Batches read ahead for async datasets (default 2; ignored for sync datasets). */
  prefetch?: number;
  /** Force async (true) or sync (false) iteration; default: async when `dataset.get`/`getBatch` is an async function. */
  async?: boolean;
  /** Dispose each batch when the next one is requested (default true). Set false if `collate` returns tensors you own. */
  disposeBatches?: boolean;
  /**
   * Pass each sample its own generator, `get(index, rng)` (default: when `dataset.get` declares two parameters). The
   * epoch's seed is drawn from `generator` (or `seed`, or the global generator) when each iteration starts.
   */
  sampleRng?: boolean;
}

function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as { constructor?: { name?: string } }).constructor?.name === 'AsyncFunction';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function checkDataset(dataset: unknown): void {
  const ok =
    Array.isArray(dataset) ||
    (typeof dataset === 'object' &&
      dataset !== null &&
      typeof (dataset as { length?: unknown }).length === 'number' &&
      typeof (dataset as { get?: unknown }).get === 'function');
  if (!ok) {
    throw new TypeError(
      `DataLoader expects an array or a dataset with a numeric length and get(index), but given ${describeValue(dataset)}.`,
    );
  }
  const n = (dataset as { length: number }).length;
  if (n === 0) throw new RangeError('The dataset is empty (length 0): a DataLoader needs at least one sample.');
}

function checkExclusive<S, B>(o: DataLoaderOptions<S, B>): void {
  if (o.batchSampler !== undefined && (o.batchSize !== undefined || o.shuffle === true || o.sampler !== undefined || o.dropLast === true)) {
    throw new TypeError('batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast');
  }
  if (o.sampler !== undefined && o.shuffle === true) throw new TypeError('sampler option is mutually exclusive with shuffle');
  if (o.generator !== undefined && o.seed !== undefined) {
    throw new TypeError('DataLoader takes either a generator or a seed, not both. Pass only one of them.');
  }
  if (o.prefetch !== undefined && (!Number.isSafeInteger(o.prefetch) || o.prefetch < 0)) {
    throw new RangeError(`prefetch should be a non-negative integer, but given ${String(o.prefetch)}.`);
  }
}

/**
 * Batches a dataset: iterable (sync datasets) and async-iterable, with `length` = batches per epoch, so
 * `engine.run(loader)` sees a sized source.
 *
 * **Batch ownership.** Every tensor of a batch belongs to the loader. A batch stays valid until the next batch is
 * requested from the same iterator, until the iteration ends (exhaustion, `break`, `return()`), or until a new
 * iteration of the same loader starts; then it is disposed. `tf.clone()` (not `tf.keep()`) or read what you need to
 * keep beyond that. Call {@link DataLoader.dispose} after training to free the last batch.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true });
 * for (const [xb, yb] of loader) { ... } // no tf.dispose needed
 * await trainer.run(loader, { maxEpochs: 3 });
 * loader.dispose();
 * ```
 */
export class DataLoader<TSample = unknown, TBatch = Collated<TSample>> implements Iterable<TBatch>, AsyncIterable<TBatch> {
  /** The dataset. */
  readonly dataset: DatasetLike<TSample>;
  /** Samples per batch, or null when a custom `batchSampler` was given. */
  readonly batchSize: number | null;
  /** Whether the last incomplete batch is dropped. */
  readonly dropLast: boolean;
  /** The index sampler (null when a custom batch sampler was given). */
  readonly sampler: Sampler | null;
  /** The batch sampler that decides each batch's indices. */
  readonly batchSampler: BatchSamplerLike;
  /** The custom collate function, or null for {@link defaultCollate} / `dataset.getBatch`. */
  readonly collate: CollateFn<TSample, TBatch> | null;
  /** Batches read ahead (async datasets). */
  readonly prefetch: number;
  /** Whether this loader iterates asynchronously (then it has no `Symbol.iterator`). */
  readonly isAsync: boolean;
  /** Whether batches are disposed by the loader. */
  readonly disposeBatches: boolean;
  /** Worker threads loading batches (0: in the calling thread). */
  readonly numWorkers: number;
  /** Whether each sample gets its own generator (`get(index, rng)`). */
  readonly sampleRng: boolean;
  #live = new Set<LoaderIterator>();
  readonly #options: DataLoaderOptions<TSample, TBatch>;
  #workers: WorkerLoader | null;
  #seedSource: RandomGenerator | null;

  /**
   * @param dataset - an array of samples or a map-style dataset (`length` + `get(i)`, sync or async).
   * @param options - batching, sampling, collate and read-ahead options.
   * @throws TypeError for a wrong dataset or incompatible options (e.g. `numWorkers` without `workerDataset`).
   * @throws RangeError for an empty dataset, `batchSize < 1`, or a configuration that yields no batch.
   */
  constructor(dataset: DatasetLike<TSample>, options: DataLoaderOptions<TSample, TBatch> = {}) {
    checkDataset(dataset);
    checkExclusive(options);
    const workers = workerConfig(options, options.collate !== undefined);
    if (workers !== null && options.async === false) {
      throw new TypeError('A DataLoader with workers iterates asynchronously; remove async: false or set numWorkers: 0.');
    }
    this.dataset = dataset;
    this.#options = options;
    this.collate = options.collate ?? null;
    this.#workers = workers !== null ? new WorkerLoader(workers) : null;
    this.numWorkers = workers?.numWorkers ?? 0;
    this.prefetch = this.#workers?.readAhead ?? options.prefetch ?? 2;
    this.disposeBatches = options.disposeBatches ?? true;
    const d = dataset as Partial<MapDataset<TSample>>;
    this.sampleRng = options.sampleRng ?? (!Array.isArray(dataset) && typeof d.get === 'function' && d.get.length >= 2);
    this.#seedSource = options.generator ?? (options.seed !== undefined ? new RandomGenerator(options.seed, 1) : null);
    this.isAsync =
      workers !== null || (options.async ?? (!Array.isArray(dataset) && (isAsyncFunction(d.get) || isAsyncFunction(d.getBatch))));
    if (options.batchSampler !== undefined) {
      const bs = options.batchSampler as Partial<BatchSamplerLike>;
      if (typeof bs.length !== 'number' || typeof bs[Symbol.iterator] !== 'function') {
        throw new TypeError(`batchSampler should be an iterable of index arrays with a length, but given ${describeValue(bs)}.`);
      }
      this.batchSize = null;
      this.dropLast = false;
      this.sampler = null;
      this.batchSampler = options.batchSampler;
    } else {
      const batchSize = options.batchSize ?? 1;
      checkBatchSize(batchSize);
      this.batchSize = batchSize;
      this.dropLast = options.dropLast ?? false;
      const rs = { ...(options.generator ? { generator: options.generator } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) };
      this.sampler = options.sampler ?? (options.shuffle === true ? new RandomSampler(dataset, rs) : new SequentialSampler(dataset));
      this.batchSampler = new BatchSampler(this.sampler, batchSize, this.dropLast);
    }
    if (this.batchSampler.length === 0) {
      throw new RangeError(
        `This DataLoader yields no batch: the dataset has ${dataset.length} samples, batchSize is ` +
          `${String(this.batchSize)} and dropLast is ${String(this.dropLast)}. Lower batchSize or set dropLast: false.`,
      );
    }
    // An async loader must not look sync-iterable (the engine prefers Symbol.iterator when present).
    if (this.isAsync) Object.defineProperty(this, Symbol.iterator, { value: undefined, configurable: true });
  }

  /** The number of batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  /**
   * Returns a loader over the same dataset with another batch sampler (Ignite's `update_dataloader`); it shares
   * this loader's batch ownership, so {@link DataLoader.dispose} on either frees both.
   *
   * @param batchSampler - the new batch sampler.
   * @returns the new loader.
   */
  withBatchSampler(batchSampler: BatchSamplerLike): DataLoader<TSample, TBatch> {
    const o = this.#options;
    const copy = new DataLoader<TSample, TBatch>(this.dataset, {
      batchSampler,
      ...(o.collate ? { collate: o.collate } : {}),
      ...(this.#workers === null ? { prefetch: this.prefetch, async: this.isAsync } : workerOptionsOf(o)),
      disposeBatches: this.disposeBatches,
      sampleRng: this.sampleRng,
    });
    copy.#live = this.#live;
    copy.#workers = this.#workers; // shares persistent workers
    copy.#seedSource = this.#seedSource;
    return copy;
  }

  /**
   * Starts a synchronous iteration (one epoch). The epoch's order is drawn now.
   *
   * @returns an iterator whose batches are disposed as described in the class docs.
   * @throws TypeError (on `next()`) if the dataset returns promises; use `for await` or `{ async: true }`.
   */
  [Symbol.iterator](): IterableIterator<TBatch> {
    const indices = this.batchSampler[Symbol.iterator]();
    return this.#track(new SyncBatchIterator(this.#host(false, this.#epochSeed(), null), indices));
  }

  /**
   * Starts an asynchronous iteration (one epoch), reading ahead `prefetch` batches for async datasets.
   *
   * @returns an async iterator whose batches are disposed as described in the class docs.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<TBatch> {
    const indices = this.batchSampler[Symbol.iterator]();
    const seed = this.#epochSeed();
    const host = this.#host(true, seed, this.#workers?.acquire() ?? null);
    return this.#track(new AsyncBatchIterator(host, indices, this.isAsync ? this.prefetch : 0));
  }

  /**
   * Ends every iteration of this loader (and of loaders made by {@link DataLoader.withBatchSampler}) and
   * disposes the batches they still own.
   *
   * @example
   * ```ts
   * await trainer.run(loader, { maxEpochs: 2 });
   * loader.dispose();
   * ```
   */
  dispose(): void {
    for (const it of [...this.#live]) it.close();
    this.#workers?.dispose();
  }

  /** Draws the epoch's per-sample seed (only when samples take a generator, so other loaders draw nothing). */
  #epochSeed(): number | null {
    if (!this.sampleRng) return null;
    return (this.#seedSource ?? globalGenerator).nextUint32();
  }

  #track<T extends LoaderIterator>(it: T): T {
    for (const old of this.#live) old.releaseCurrent();
    this.#live.add(it);
    return it;
  }

  #host(async: boolean, epochSeed: number | null, pool: WorkerPool | null): IteratorHost<TBatch> {
    const workers = this.#workers;
    return {
      fetch: (indices) =>
        workers !== null && pool !== null
          ? (workers.fetch(pool, indices, epochSeed) as Promise<TBatch>)
          : this.#fetch(indices, async, epochSeed),
      release: (batch) => {
        if (this.disposeBatches) disposeBatch(batch);
      },
      finished: (it) => {
        this.#live.delete(it);
        if (pool !== null) workers?.release(pool);
      },
      ...(workers !== null && pool !== null && workers.config.timeout > 0
        ? { wait: (batch: Promise<TBatch>, indices: number[]) => workers.wait(pool, batch, indices) }
        : {}),
    };
  }

  #fetch(indices: number[], async: boolean, epochSeed: number | null): TBatch | Promise<TBatch> {
    const ds = this.dataset;
    const getBatch = epochSeed === null && this.collate === null && !Array.isArray(ds);
    if (getBatch && typeof (ds as MapDataset<TSample>).getBatch === 'function') {
      const batch = (ds as MapDataset<TSample>).getBatch?.(indices);
      if (!async && isThenable(batch)) throw syncPromiseError('getBatch');
      return batch as TBatch | Promise<TBatch>;
    }
    const get = (i: number): TSample | Promise<TSample> =>
      Array.isArray(ds)
        ? ((ds as readonly TSample[])[i] as TSample)
        : epochSeed === null
          ? (ds as MapDataset<TSample>).get(i)
          : (ds as MapDataset<TSample>).get(i, sampleGenerator(epochSeed, i));
    const samples = indices.map(get);
    const collate = this.collate ?? (defaultCollate as unknown as CollateFn<TSample, TBatch>);
    const k = samples.findIndex(isThenable);
    if (k < 0) return collate(samples as TSample[], indices);
    if (!async) throw syncPromiseError(`get(${String(indices[k])})`);
    return Promise.all(samples).then((s) => collate(s, indices));
  }
}

function workerOptionsOf(o: WorkerOptions): WorkerOptions {
  const { numWorkers, prefetchFactor, persistentWorkers, workerInit, workerDataset, workerSpawner, timeout } = o;
  const all = { numWorkers, prefetchFactor, persistentWorkers, workerInit, workerDataset, workerSpawner, timeout };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

function syncPromiseError(call: string): TypeError {
  return new TypeError(
    `dataset.${call} returned a Promise, but this DataLoader iterates synchronously. Make get/getBatch an async ` +
      'function or pass { async: true } to the DataLoader, and iterate with for await.',
  );
}
