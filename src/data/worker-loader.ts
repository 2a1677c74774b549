/**
 * @module data/worker-loader The main-thread side of a DataLoader with workers: checks the worker options, owns the
 * {@link WorkerPool} (per epoch, or for the loader's life with `persistentWorkers`) and turns the host batches the
 * workers send into tensors.
 * Port of torch/utils/data/dataloader.py `_MultiProcessingDataLoaderIter` (main-process side).
 * Deviations: see `worker-pool.ts` and `worker-protocol.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isHostTensor, isPlainObject } from './host-collate.js';
import { getDefaultWorkerSpawner } from './worker-defaults.js';
import { WorkerPool, type WorkerSpawner } from './worker-pool.js';
import { moduleRefData, type ModuleRef, type ModuleRefData } from './worker-protocol.js';

/** The worker options of a DataLoader (a subset of `DataLoaderOptions`). */
export interface WorkerOptions {
  /** Worker threads loading batches (default 0: load in the calling thread). */
  numWorkers?: number;
  /** Batches each worker has in flight (default 2); the loader reads `prefetchFactor * numWorkers` batches ahead. */
  prefetchFactor?: number;
  /** Keep the workers (and their datasets) alive between epochs until `dispose()` (default false). */
  persistentWorkers?: boolean;
  /** A function each worker calls with its `WorkerInfo` before building the dataset. */
  workerInit?: ModuleRef;
  /** How a worker rebuilds the dataset: a module and the factory it exports (required with `numWorkers > 0`). */
  workerDataset?: ModuleRef;
  /** Starts the workers (default: the one installed by `installWorkerThreads()` or `setDefaultWorkerSpawner`). */
  workerSpawner?: WorkerSpawner;
  /**
   * Seconds the loop may wait for the next batch from the workers before the run fails with a
   * `DataLoaderWorkerError` saying which worker hung and doing what (torch's `timeout`; default 0: wait forever).
   * The workers are stopped; a persistent pool is replaced at the next epoch.
   */
  timeout?: number;
}

/** Validated worker configuration. */
export interface WorkerConfig {
  readonly numWorkers: number;
  readonly prefetchFactor: number;
  readonly persistent: boolean;
  readonly spawn: WorkerSpawner;
  readonly dataset: ModuleRefData;
  readonly init: ModuleRefData | null;
  /** Seconds to wait for a batch; 0 waits forever. */
  readonly timeout: number;
}

function checkInt(value: unknown, name: string, min: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} should be an integer >= ${min}, but given ${String(value)}.`);
  }
}

/**
 * Checks the worker options; returns null when the loader loads in the calling thread.
 *
 * @param o - the options.
 * @param customCollate - whether the loader has a `collate` option (workers cannot run a closure).
 * @returns the configuration, or null for `numWorkers: 0`.
 * @throws RangeError for a negative `numWorkers` or a `prefetchFactor` below 1.
 * @throws TypeError when workers are requested without `workerDataset`, without a spawner, or with `collate`.
 */
export function workerConfig(o: WorkerOptions, customCollate: boolean): WorkerConfig | null {
  const numWorkers = o.numWorkers ?? 0;
  checkInt(numWorkers, 'numWorkers', 0);
  if (o.prefetchFactor !== undefined) checkInt(o.prefetchFactor, 'prefetchFactor', 1);
  const timeout = o.timeout ?? 0;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new RangeError(`timeout should be a number of seconds >= 0 (0 waits forever), but given ${String(timeout)}.`);
  }
  if (numWorkers === 0) {
    if (o.prefetchFactor !== undefined || o.persistentWorkers === true || timeout > 0) {
      throw new RangeError('prefetchFactor, persistentWorkers and timeout options need numWorkers > 0; set numWorkers or remove them.');
    }
    return null;
  }
  if (o.workerDataset === undefined) {
    throw new TypeError(
      'numWorkers > 0 needs the workerDataset option: workers cannot receive the dataset object (closures do not ' +
        "cross threads), so they rebuild it from a module, e.g. { module: new URL('./data.js', import.meta.url), " +
        "exportName: 'makeDataset', args: [dir] }.",
    );
  }
  if (customCollate) {
    throw new TypeError('A custom collate cannot run in DataLoader workers; remove collate (workers use defaultCollate) or set numWorkers: 0.');
  }
  const spawn = o.workerSpawner ?? getDefaultWorkerSpawner();
  if (spawn === null) {
    throw new TypeError(
      "numWorkers > 0 needs a worker implementation: call installWorkerThreads() from 'kindling/node' once (Node), " +
        'or pass workerSpawner (browsers: Web Workers).',
    );
  }
  const dataset = moduleRefData(o.workerDataset, 'workerDataset');
  const init = o.workerInit !== undefined ? moduleRefData(o.workerInit, 'workerInit') : null;
  return { numWorkers, prefetchFactor: o.prefetchFactor ?? 2, persistent: o.persistentWorkers ?? false, spawn, dataset, init, timeout };
}

/**
 * Turns every host tensor of a batch made by a worker into a tensor (one upload each), keeping the structure.
 *
 * @param batch - a host batch.
 * @returns the batch as `defaultCollate` makes it; every tensor is new and owned by the caller.
 */
export function materializeHostBatch(batch: unknown): unknown {
  const made: tf.Tensor[] = [];
  const walk = (v: unknown): unknown => {
    if (isHostTensor(v)) {
      const t = tf.tensor(v.data, v.shape, v.dtype);
      made.push(t);
      return t;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  try {
    return walk(batch);
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}

/** Owns the worker pool of one DataLoader. */
export class WorkerLoader {
  readonly config: WorkerConfig;
  #pool: WorkerPool | null = null;

  /**
   * @param config - the validated configuration.
   */
  constructor(config: WorkerConfig) {
    this.config = config;
  }

  /** Batches read ahead beyond the one being consumed. */
  get readAhead(): number {
    return Math.max(0, this.config.prefetchFactor * this.config.numWorkers - 1);
  }

  /**
   * Returns the pool of a new iteration: the persistent one, or a fresh one.
   *
   * @returns the pool.
   */
  acquire(): WorkerPool {
    const c = this.config;
    if (c.persistent && this.#pool !== null && !this.#pool.failed) return this.#pool;
    const pool = new WorkerPool({ size: c.numWorkers, spawn: c.spawn, dataset: c.dataset, init: c.init });
    if (c.persistent) {
      this.#pool?.close();
      this.#pool = pool;
    }
    return pool;
  }

  /**
   * Ends an iteration's use of `pool`: closes it unless the workers are persistent.
   *
   * @param pool - the pool from {@link WorkerLoader.acquire}.
   */
  release(pool: WorkerPool): void {
    if (pool !== this.#pool) pool.close();
  }

  /**
   * Loads one batch in a worker and uploads it.
   *
   * @param pool - the iteration's pool.
   * @param indices - the batch's dataset indices.
   * @param epochSeed - the per-sample seed of the epoch, or null.
   * @returns the batch.
   */
  async fetch(pool: WorkerPool, indices: number[], epochSeed: number | null): Promise<unknown> {
    return materializeHostBatch(await pool.load(indices, epochSeed));
  }

  /**
   * Waits for a batch the consumer asked for, failing the pool after `timeout` seconds (when set).
   *
   * @param pool - the iteration's pool.
   * @param batch - the batch's promise from {@link WorkerLoader.fetch}.
   * @param indices - the batch's dataset indices (the same array given to `fetch`).
   * @returns the batch.
   */
  async wait<T>(pool: WorkerPool, batch: Promise<T>, indices: number[]): Promise<T> {
    const seconds = this.config.timeout;
    if (seconds <= 0) return batch;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(pool.timeOut(indices, seconds)), seconds * 1000);
    });
    try {
      return await Promise.race([batch, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the persistent workers, if any. */
  dispose(): void {
    this.#pool?.close();
    this.#pool = null;
  }
}
