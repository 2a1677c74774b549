/**
 * @module data/worker-defaults The process-wide default {@link WorkerSpawner} of DataLoaders with `numWorkers > 0`.
 * Nothing is installed at import time: Node programs call `installWorkerThreads()` from `kindling/node`; browser
 * programs pass their own spawner (Web Workers) with {@link setDefaultWorkerSpawner} or the `workerSpawner` option.
 * Port of no Ignite/torch file (torch always has `multiprocessing`). Deviations: not applicable.
 */
import type { WorkerSpawner } from './worker-pool.js';

let defaultSpawner: WorkerSpawner | null = null;

/**
 * Sets (or clears, with null) the spawner used by DataLoaders that have `numWorkers > 0` and no `workerSpawner`.
 *
 * @param spawner - the spawner, or null.
 */
export function setDefaultWorkerSpawner(spawner: WorkerSpawner | null): void {
  defaultSpawner = spawner;
}

/**
 * Returns the default spawner.
 *
 * @returns the spawner set by {@link setDefaultWorkerSpawner}, or null.
 */
export function getDefaultWorkerSpawner(): WorkerSpawner | null {
  return defaultSpawner;
}
