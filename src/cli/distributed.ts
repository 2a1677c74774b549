/**
 * @module `kindling train --nproc N`: data-parallel training of the CLI's models over MPI on this host. The
 * command starts N ranks of itself (Parallel's `nprocPerNode`, i.e. mpirun), or, when already launched by
 * mpirun (e.g. across hosts with a hostfile), trains as one of the ranks. `--batch-size` is the global batch
 * (each rank loads batchSize / N); rank 0 owns the run directory (lock, checkpoints, logs, the printed summary),
 * the others print nothing, and every rank evaluates (the metrics are reduced across ranks).
 */

import { Writable } from 'node:stream';
import type { DataLoader } from '../data/index.js';
import { Parallel, autoDataloader, autoModel, autoOptim, broadcast, getRank, getWorldSize } from '../distributed/index.js';
import { installMpi } from '../node/mpi.js';
import type { TrainOptions } from './options.js';
import type { RunDir } from './run-dir.js';
import type { Session } from './session.js';

/** Output that goes nowhere: what ranks other than 0 print to. */
function nullStream(): NodeJS.WritableStream {
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

/**
 * Runs `train` as rank of an N-process job: starts the ranks when not under mpirun (the launching process gets
 * null), or runs it here on a rank, with rank 0's `out` and a silent stream elsewhere.
 *
 * @param nproc - the ranks to start on this host.
 * @param out - rank 0's output.
 * @param train - the training command body.
 * @returns the summary on a rank; null in the process that started the ranks.
 */
export async function runOnRanks<S>(nproc: number, out: NodeJS.WritableStream, train: (out: NodeJS.WritableStream) => Promise<S>): Promise<S | null> {
  installMpi();
  const result = await new Parallel({ backend: 'mpi', nprocPerNode: nproc }).run(() => train(getRank() === 0 ? out : nullStream()));
  return result ?? null;
}

/**
 * The run directory of a job of several ranks: rank 0 chooses and locks it, and sends its path to the others,
 * which neither lock nor create anything.
 *
 * @param choose - rank 0's choice of directory.
 * @param open - locks it (rank 0).
 * @returns the run directory.
 */
export function sharedRunDir(choose: () => string, open: (path: string) => RunDir): Pick<RunDir, 'path' | 'close'> {
  if (getWorldSize() === 1) return open(choose());
  if (getRank() === 0) {
    const dir = open(choose());
    broadcast(dir.path);
    return dir;
  }
  return { path: broadcast(''), close: () => undefined };
}

/**
 * Makes a session data-parallel: rank 0's initial weights everywhere, gradients averaged across ranks, and a
 * training loader that gives each rank its shard of every global batch. With `--deterministic` the shards come
 * from the session's own shuffling sampler (the same draws on every rank, and the order of one process, which
 * DeterministicEngine reproduces on resume); otherwise from a DistributedSampler seeded with `--seed` (a
 * DistributedSampler's epoch is not restored on resume).
 *
 * @param s - the session (its training loader is replaced).
 * @param opts - the flags.
 * @returns a function that disposes the new loader.
 */
export function distributeSession(s: Session, opts: TrainOptions): () => void {
  if (getWorldSize() === 1) return () => undefined;
  autoModel(s.model);
  autoOptim(s.optimizer);
  const train = s.data.train;
  const own = s.trainLoader.sampler;
  const loader: DataLoader = opts.deterministic && own !== null
    ? autoDataloader(train, { batchSize: opts.batchSize, sampler: own })
    : autoDataloader(train, { batchSize: opts.batchSize, shuffle: true, seed: opts.seed });
  s.trainLoader = loader;
  return () => loader.dispose();
}
