/**
 * @module Port of ignite/distributed/launcher.py `Parallel`: runs a training function in a distributed context.
 * Deviations: with `nprocPerNode` and no MPI launcher around the script, `Parallel` starts the ranks itself by
 * re-running the script under `mpirun -np nprocPerNode` (Ignite spawns with torch.multiprocessing, which
 * pickles `fn`; JavaScript cannot ship a function to another process, so the whole script runs again on every
 * rank and the code before `run()` too); the launching process waits and resolves with undefined. `nnodes`,
 * `nodeRank`, `masterAddr`... do not exist: several hosts are mpirun's business (a hostfile). When the function
 * throws in a job of several processes, the error is sent to every rank and the job is aborted (MPI_Abort), so
 * that no rank waits forever in a collective. `Parallel` is not a context manager: use `run`. No TensorFlow.js
 * import.
 */

import { defaultLogger, type Logger } from '../engine/logger.js';
import { DistributedJobError, DistributedUnavailableError, backend as currentBackend, currentMpiLoader, finalize, getLocalRank, getNprocPerNode, getRank, getWorldSize, initialize, mpiAvailability, type Backend } from './context.js';
import { abortJob } from './comm.js';

/**
 * Options of {@link Parallel}.
 *
 */
export interface ParallelOptions {
  /** `'mpi'`, or null to run in this process alone. @defaultValue null */
  backend?: Backend;
  /**
   * The number of ranks to start on this host when the script was not launched by mpirun (Ignite's
   * `nproc_per_node`): `run()` re-runs the script under `mpirun -np nprocPerNode` and waits. Under mpirun it only
   * documents the expected count (a different count is logged as a warning). @defaultValue undefined
   */
  nprocPerNode?: number;
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
 * `mpirun -np N node train.js` for `'mpi'`, or give `nprocPerNode: N` and run `node train.js`: the script then
 * starts its N ranks itself. With `backend: null`, `fn` runs once in this process (rank 0 of 1).
 *
 * @example
 * ```ts
 * async function training(localRank: number, config: { lr: number }): Promise<void> {
 *   const loader = autoDataloader(dataset, { batchSize: 64, shuffle: true });
 *   const model = autoModel(buildModel());
 *   const trainer = createSupervisedTrainer(model, autoOptim(tf.train.sgd(config.lr)), crossEntropyLoss);
 *   await trainer.run(loader, { maxEpochs: 5 });
 * }
 * // `node train.js` starts 4 ranks; under `mpirun -np 4 node train.js` the same line just runs them.
 * await new Parallel({ backend: 'mpi', nprocPerNode: 4 }).run(training, { lr: 0.1 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.distributed.launcher.Parallel.html
 */
export class Parallel {
  /** The backend, or null. */
  readonly backend: Backend;
  /** The ranks to start on this host, when given. */
  readonly nprocPerNode: number | undefined;
  readonly #abortOnError: boolean;
  readonly #logger: Logger;

  /**
   * @param options - `backend` (default null), `nprocPerNode`, `abortOnError`, `logger`.
   * @throws RangeError for an unknown backend, a `nprocPerNode` that is not a positive integer, or
   *   `nprocPerNode` with backend null.
   */
  constructor(options: ParallelOptions = {}) {
    const { backend = null, nprocPerNode, abortOnError = true, logger = defaultLogger } = options;
    if (backend !== null && backend !== 'mpi') {
      throw new RangeError(`Unknown backend '${String(backend)}'. Available backends: mpi (or null for one process)`);
    }
    if (backend === null && nprocPerNode !== undefined) {
      throw new RangeError(`If backend is null, argument 'nprocPerNode' should be also undefined, but given ${nprocPerNode}`);
    }
    if (nprocPerNode !== undefined && (!Number.isInteger(nprocPerNode) || nprocPerNode < 1)) {
      throw new RangeError(`nprocPerNode should be a positive integer, but given ${nprocPerNode}`);
    }
    this.backend = backend;
    this.nprocPerNode = nprocPerNode;
    this.#abortOnError = abortOnError;
    this.#logger = logger;
  }

  /**
   * Initializes the backend, runs `fn(localRank, ...args)` and finalizes the backend; or, with `nprocPerNode`
   * outside mpirun, starts the ranks (which run `fn`) and waits for them.
   *
   * @param fn - the training function (sync or async); receives the local rank and `args`.
   * @param args - extra arguments for `fn`.
   * @returns what `fn` returned; undefined in the process that started the ranks.
   * @throws {@link DistributedUnavailableError} when `'mpi'` is requested and the addon is not built (the message
   *   says how to enable it); {@link DistributedJobError} when ranks started by `nprocPerNode` failed, or a
   *   collective found a lost or failed rank; whatever `fn` throws (in a job of one process, or with
   *   `abortOnError: false`).
   */
  async run<A extends unknown[], R>(fn: (localRank: number, ...args: A) => R | Promise<R>, ...args: A): Promise<R | undefined> {
    if (this.backend === 'mpi' && this.nprocPerNode !== undefined && currentBackend() === null) {
      const loader = currentMpiLoader();
      if (loader?.launchedByMpi?.() === false) {
        const mpi = mpiAvailability(); // fail here, not in every started rank
        if (!mpi.available) throw new DistributedUnavailableError(`Backend 'mpi' requested with nprocPerNode ${this.nprocPerNode}, but ${mpi.reason}`);
        if (loader.launch === undefined) throw new DistributedUnavailableError(`Parallel({ nprocPerNode: ${this.nprocPerNode} }) cannot start ranks here: no launcher. ${loader.howToEnable}`);
        await loader.launch(this.nprocPerNode);
        return undefined;
      }
    }
    const ownsContext = this.backend !== null && currentBackend() === null;
    initialize(this.backend);
    if (this.nprocPerNode !== undefined && getNprocPerNode() !== this.nprocPerNode) {
      this.#logger.warn(`Parallel: nprocPerNode is ${this.nprocPerNode}, but the launcher started ${getNprocPerNode()} processes on this host`);
    }
    try {
      return await fn(getLocalRank(), ...args);
    } catch (error) {
      if (this.#abortOnError && getWorldSize() > 1) this.#abort(error);
      throw error;
    } finally {
      if (ownsContext) finalize();
    }
  }

  /** Reports the error and ends the job; a rank's own error is sent to the others first. */
  #abort(error: unknown): void {
    if (error instanceof DistributedJobError) {
      this.#logger.error(`rank ${getRank()}: the job cannot continue: ${error.message}`);
      abortJob(1);
      return;
    }
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    this.#logger.error(`rank ${getRank()} failed, aborting the job: ${message}`);
    abortJob(1, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
}
