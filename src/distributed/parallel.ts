/**
 * @module Port of ignite/distributed/launcher.py `Parallel`: runs a training function in a distributed context.
 * Deviations: processes are started by `mpirun` (or any MPI launcher), never spawned by `Parallel` itself
 * (Ignite's `nproc_per_node` spawning); so `nprocPerNode`, `nnodes`, `masterAddr`... do not exist. When the
 * function throws in a job of several processes, the job is aborted (MPI_Abort) after the error is reported, so
 * that the other ranks do not wait forever in a collective. `Parallel` is not a context manager: use `run`.
 * No TensorFlow.js import.
 */

import { defaultLogger, type Logger } from '../engine/logger.js';
import { abortJob, backend as currentBackend, finalize, getLocalRank, getRank, getWorldSize, initialize, type Backend } from './context.js';

/**
 * Options of {@link Parallel}.
 *
 */
export interface ParallelOptions {
  /** `'mpi'`, or null to run in this process alone. @defaultValue null */
  backend?: Backend;
  /**
   * Abort the whole job when the function throws on a rank and the world size is above 1 (otherwise the other
   * ranks hang in their next collective). @defaultValue true
   */
  abortOnError?: boolean;
  /** Where the error of a failing rank is reported before the job is aborted. @defaultValue `defaultLogger` (stderr) */
  logger?: Logger;
}

/**
 * Runs a training function in a distributed context (Ignite's `idist.Parallel`): `run(fn)` initializes the
 * backend, calls `fn(localRank, ...args)`, and finalizes the backend when `fn` settles. Launch the script with
 * `mpirun -np N node train.js` for `'mpi'`; with `backend: null`, `fn` runs once in this process (rank 0 of 1).
 *
 * @example
 * ```ts
 * async function training(localRank: number, config: { lr: number }): Promise<void> {
 *   const loader = autoDataloader(dataset, { batchSize: 64, shuffle: true });
 *   const model = autoModel(buildModel());
 *   const trainer = createSupervisedTrainer(model, autoOptim(tf.train.sgd(config.lr)), crossEntropyLoss);
 *   await trainer.run(loader, { maxEpochs: 5 });
 * }
 * await new Parallel({ backend: 'mpi' }).run(training, { lr: 0.1 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.distributed.launcher.Parallel.html
 */
export class Parallel {
  /** The backend, or null. */
  readonly backend: Backend;
  readonly #abortOnError: boolean;
  readonly #logger: Logger;

  /**
   * @param options - `backend` (default null), `abortOnError`, `logger`.
   * @throws RangeError for an unknown backend.
   */
  constructor(options: ParallelOptions = {}) {
    const { backend = null, abortOnError = true, logger = defaultLogger } = options;
    if (backend !== null && backend !== 'mpi') {
      throw new RangeError(`Unknown backend '${String(backend)}'. Available backends: mpi (or null for one process)`);
    }
    this.backend = backend;
    this.#abortOnError = abortOnError;
    this.#logger = logger;
  }

  /**
   * Initializes the backend, runs `fn(localRank, ...args)` and finalizes the backend.
   *
   * @param fn - the training function (sync or async); receives the local rank and `args`.
   * @param args - extra arguments for `fn`.
   * @returns what `fn` returned.
   * @throws {@link DistributedUnavailableError} when `'mpi'` is requested and the addon is not built (the message
   *   says how to enable it); whatever `fn` throws (in a job of one process, or with `abortOnError: false`).
   */
  async run<A extends unknown[], R>(fn: (localRank: number, ...args: A) => R | Promise<R>, ...args: A): Promise<R> {
    const ownsContext = this.backend !== null && currentBackend() === null;
    initialize(this.backend);
    try {
      return await fn(getLocalRank(), ...args);
    } catch (error) {
      if (this.#abortOnError && getWorldSize() > 1) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.#logger.error(`rank ${getRank()} failed, aborting the job: ${message}`);
        abortJob(1);
      }
      throw error;
    } finally {
      if (ownsContext) finalize();
    }
  }
}
