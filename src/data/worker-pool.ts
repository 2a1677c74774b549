/**
 * @module data/worker-pool The pool of DataLoader workers, written against a small {@link WorkerPort} interface so
 * that it runs unchanged over Node's worker threads (`installWorkerThreads()` in `kindling/node`) and browsers' Web
 * Workers. Browser-safe: no Node built-ins.
 * Port of the worker management of torch/utils/data/dataloader.py `_MultiProcessingDataLoaderIter`.
 * Deviations: a worker that dies (crash, `process.exit`) is replaced and its unfinished batches are retried once on
 * the replacement; a batch that kills its worker twice fails the run with {@link DataLoaderWorkerError} (torch
 * raises "DataLoader worker (pid X) exited unexpectedly" at once). Batches go to the least-busy worker, not round
 * robin; the order the loader yields them is still exactly the sampler's.
 */
import { KindlingError } from '../errors.js';
import { reviveError, type WorkerInfo, type WorkerRequest, type WorkerResponse, type ModuleRefData } from './worker-protocol.js';

/** How a worker ended. */
export interface WorkerExit {
  /** The exit code, or null when unknown. */
  readonly code: number | null;
  /** The uncaught error that killed it, or null. */
  readonly error: Error | null;
}

/**
 * One running worker as the pool sees it. Node's implementation wraps a `worker_threads.Worker`; a browser one wraps
 * a `Worker` (Web Worker) whose script runs `runWorker` from `kindling/data`.
 */
export interface WorkerPort {
  /** Sends a message to the worker. */
  post(message: WorkerRequest): void;
  /** Registers the message listener (called once, before any message is posted). */
  onMessage(listener: (message: WorkerResponse) => void): void;
  /** Registers the listener called once when the worker ends for any reason other than `terminate()`. */
  onExit(listener: (exit: WorkerExit) => void): void;
  /** Tells whether the worker has work: an idle worker must not keep a Node process alive. */
  setBusy(busy: boolean): void;
  /** Stops the worker. */
  terminate(): void;
}

/** Starts one worker (`info.id` is its id) and returns its port. */
export type WorkerSpawner = (info: WorkerInfo) => WorkerPort;

/**
 * A DataLoader worker failed: it threw while loading a sample (`sampleIndex` says which, `cause` is the original
 * error), failed to build its dataset, or exited unexpectedly.
 *
 */
export class DataLoaderWorkerError extends KindlingError {
  /** The dataset index being loaded when the error happened, or null (dataset creation, crash). */
  readonly sampleIndex: number | null;
  /** The worker's id. */
  readonly workerId: number;

  /**
   * @param message - what happened and how to fix it.
   * @param workerId - the worker's id.
   * @param sampleIndex - the dataset index, or null.
   * @param options - `cause`: the original error.
   */
  constructor(message: string, workerId: number, sampleIndex: number | null, options?: ErrorOptions) {
    super(message, options);
    this.workerId = workerId;
    this.sampleIndex = sampleIndex;
  }
}

interface Task {
  readonly seq: number;
  readonly indices: number[];
  readonly epochSeed: number | null;
  attempts: number;
  resolve(batch: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  readonly id: number;
  port: WorkerPort;
  readonly tasks: Map<number, Task>;
  /** Replacements since this slot last delivered a batch. */
  restarts: number;
  /** Whether the worker has built its dataset (sent `ready`). */
  ready: boolean;
}

/** Replacements of one worker in a row (without a delivered batch) before the run fails. */
const MAX_RESTARTS = 3;

/** What a pool needs to start its workers. */
export interface WorkerPoolConfig {
  /** Number of workers. */
  readonly size: number;
  /** Starts a worker. */
  readonly spawn: WorkerSpawner;
  /** The dataset factory each worker calls. */
  readonly dataset: ModuleRefData;
  /** The per-worker init function, or null. */
  readonly init: ModuleRefData | null;
}

const describeIndices = (indices: readonly number[]): string =>
  indices.length <= 8 ? `[${indices.join(', ')}]` : `[${indices.slice(0, 8).join(', ')}, ...] (${indices.length} samples)`;

/**
 * A fixed-size pool of DataLoader workers: each batch (a list of indices) is loaded and collated by one worker.
 *
 * @example
 * ```ts
 * const pool = new WorkerPool({ size: 2, spawn, dataset: moduleRefData({ module: url }, 'workerDataset'), init: null });
 * const hostBatch = await pool.load([0, 1, 2, 3], null);
 * pool.close();
 * ```
 */
export class WorkerPool {
  readonly #config: WorkerPoolConfig;
  readonly #slots: Slot[] = [];
  #seq = 0;
  #fatal: Error | null = null;
  #closed = false;

  /**
   * @param config - size, spawner, dataset factory and init function.
   */
  constructor(config: WorkerPoolConfig) {
    this.#config = config;
    for (let id = 0; id < config.size; id += 1) {
      const slot: Slot = { id, port: this.#start(id), tasks: new Map(), restarts: 0, ready: false };
      this.#slots.push(slot);
    }
  }

  /**
   * Loads and collates the samples at `indices` in one worker.
   *
   * @param indices - dataset indices of one batch.
   * @param epochSeed - seed of the per-sample random streams, or null when the dataset draws none.
   * @returns the host batch (see `hostCollate`).
   * @throws DataLoaderWorkerError (rejects) when the worker throws, cannot build its dataset, or dies twice.
   */
  load(indices: number[], epochSeed: number | null): Promise<unknown> {
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    if (this.#closed) return Promise.reject(new Error('This DataLoader worker pool is closed; start a new iteration.'));
    return new Promise((resolve, reject) => {
      this.#seq += 1;
      const task: Task = { seq: this.#seq, indices, epochSeed, attempts: 0, resolve, reject };
      this.#dispatch(task);
    });
  }

  /** Whether the pool has failed for good (a worker error that ends the run, or a timeout): it loads nothing more. */
  get failed(): boolean {
    return this.#fatal !== null;
  }

  /**
   * Fails the pool because the batch of `indices` did not arrive within `seconds` (the DataLoader's `timeout`): every
   * worker is stopped (a hung one included) and every pending batch rejects with the returned error.
   *
   * @param indices - the indices array given to {@link WorkerPool.load} for the late batch.
   * @param seconds - the timeout, for the message.
   * @returns the error (a {@link DataLoaderWorkerError} naming the worker and what it was doing).
   */
  timeOut(indices: readonly number[], seconds: number): Error {
    if (this.#fatal !== null) return this.#fatal;
    const slot = this.#slots.find((s) => [...s.tasks.values()].some((t) => t.indices === indices));
    const ref = this.#config.dataset;
    const state =
      slot === undefined
        ? 'no worker holds it'
        : slot.ready
          ? `worker ${slot.id} built its dataset but has not delivered this batch`
          : `worker ${slot.id} has not finished creating its dataset (${ref.exportName} of ${ref.module}${this.#config.init !== null ? ', after workerInit' : ''})`;
    const error = new DataLoaderWorkerError(
      `DataLoader timed out after ${seconds} seconds waiting for the batch of samples ${describeIndices(indices)}: ` +
        `${state}. Check that the dataset factory, workerInit and get() settle (a promise that never resolves hangs ` +
        'its worker), or raise the timeout option (0 waits forever).',
      slot?.id ?? -1,
      null,
    );
    this.#fail(error);
    return error;
  }

  /** Stops every worker and rejects the batches still loading. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#slots) {
      slot.port.terminate();
      for (const task of slot.tasks.values()) task.reject(new Error('The DataLoader worker pool was closed.'));
      slot.tasks.clear();
    }
  }

  #dispatch(task: Task): void {
    let best = this.#slots[0] as Slot;
    for (const s of this.#slots) if (s.tasks.size < best.tasks.size) best = s;
    task.attempts += 1;
    best.tasks.set(task.seq, task);
    best.port.setBusy(true);
    best.port.post({ type: 'task', seq: task.seq, indices: task.indices, epochSeed: task.epochSeed });
  }

  #start(id: number): WorkerPort {
    const info: WorkerInfo = { id, numWorkers: this.#config.size };
    const port = this.#config.spawn(info);
    port.onMessage((m) => this.#onMessage(id, m));
    port.onExit((exit) => this.#onExit(id, port, exit));
    port.post({ type: 'init', info, dataset: this.#config.dataset, init: this.#config.init });
    return port;
  }

  #onMessage(id: number, m: WorkerResponse): void {
    const slot = this.#slots[id];
    if (slot === undefined) return;
    if (m.type === 'ready') {
      slot.ready = true;
      return;
    }
    if (m.type === 'init-error') {
      const cause = reviveError(m.error);
      this.#fail(
        new DataLoaderWorkerError(
          `DataLoader worker ${id} could not create its dataset (${this.#config.dataset.exportName} of ` +
            `${this.#config.dataset.module}): ${cause.name}: ${cause.message}`,
          id,
          null,
          { cause },
        ),
      );
      return;
    }
    const task = slot.tasks.get(m.seq);
    if (task === undefined) return;
    slot.tasks.delete(m.seq);
    if (slot.tasks.size === 0) slot.port.setBusy(false);
    if (m.type === 'batch') {
      slot.restarts = 0;
      task.resolve(m.batch);
      return;
    }
    const cause = reviveError(m.error);
    const where = m.index !== null ? `sample ${m.index}` : `the batch of samples ${describeIndices(task.indices)}`;
    task.reject(new DataLoaderWorkerError(`Caught ${cause.name} in DataLoader worker ${id} while loading ${where}: ${cause.message}`, id, m.index, { cause }));
  }

  #onExit(id: number, port: WorkerPort, exit: WorkerExit): void {
    const slot = this.#slots[id];
    if (this.#closed || this.#fatal !== null || slot === undefined || slot.port !== port) return;
    const pending = [...slot.tasks.values()];
    const how = exit.error !== null ? `with ${exit.error.name}: ${exit.error.message}` : `with exit code ${String(exit.code)}`;
    slot.restarts += 1;
    if (slot.restarts > MAX_RESTARTS) {
      const message =
        `DataLoader worker ${id} exited unexpectedly ${how} ${MAX_RESTARTS + 1} times in a row without delivering a ` +
        'batch. Check the dataset factory and workerInit (they must not exit the worker), or use numWorkers: 0.';
      this.#fail(new DataLoaderWorkerError(message, id, null, exit.error !== null ? { cause: exit.error } : undefined));
      return;
    }
    const fatal = pending.find((t) => t.attempts >= 2);
    if (fatal !== undefined) {
      const message =
        `DataLoader worker ${id} exited unexpectedly ${how} while loading the batch of samples ` +
        `${describeIndices(fatal.indices)}, which had already killed a worker before. Load those samples ` +
        'with numWorkers: 0 to see the error, or fix what ends the worker (process.exit, out of memory, a native crash).';
      this.#fail(new DataLoaderWorkerError(message, id, null, exit.error !== null ? { cause: exit.error } : undefined));
      return;
    }
    slot.tasks.clear();
    slot.ready = false;
    slot.port = this.#start(id); // replace the worker and retry its unfinished batches
    for (const task of pending) this.#dispatch(task);
  }

  #fail(error: Error): void {
    if (this.#fatal !== null) return;
    this.#fatal = error;
    for (const slot of this.#slots) {
      for (const task of slot.tasks.values()) task.reject(error);
      slot.tasks.clear();
      slot.port.terminate();
    }
  }
}
