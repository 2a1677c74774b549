/**
 * @module node/workers/thread-spawner DataLoader workers on Node's `worker_threads`: the {@link WorkerSpawner} that
 * `installWorkerThreads()` registers as the default of every `DataLoader` with `numWorkers > 0`.
 * Port of the process start-up of torch/utils/data/dataloader.py (`multiprocessing` workers).
 * Deviations: threads instead of processes (a native crash still ends the whole process); when kindling runs from
 * its TypeScript sources (tsx), each worker registers tsx first, so `.ts` dataset modules work in tests.
 */
import { Worker } from 'node:worker_threads';
import { setDefaultWorkerSpawner } from '../../data/worker-defaults.js';
import type { WorkerExit, WorkerPort, WorkerSpawner } from '../../data/worker-pool.js';
import type { WorkerInfo, WorkerRequest, WorkerResponse } from '../../data/worker-protocol.js';

const entryUrl = new URL(import.meta.url.endsWith('.ts') ? './worker-thread.ts' : './worker-thread.js', import.meta.url);

/** Starts the worker script, through tsx when running from TypeScript sources. */
function startWorker(info: WorkerInfo): Worker {
  const name = `kindling DataLoader worker ${info.id}`;
  if (!entryUrl.pathname.endsWith('.ts')) return new Worker(entryUrl, { name });
  const tsx = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entryUrl.href)}); })` +
    '.catch((e) => { setTimeout(() => { throw e; }); });';
  return new Worker(code, { eval: true, name });
}

/** A {@link WorkerPort} over one worker thread. */
function threadPort(info: WorkerInfo): WorkerPort {
  const worker = startWorker(info);
  let terminated = false;
  let lastError: Error | null = null;
  worker.unref();
  return {
    post: (message: WorkerRequest) => worker.postMessage(message),
    onMessage: (listener) => worker.on('message', (m: WorkerResponse) => listener(m)),
    onExit: (listener) => {
      worker.on('error', (error) => {
        lastError = error;
      });
      worker.on('exit', (code) => {
        if (!terminated) listener({ code, error: lastError } satisfies WorkerExit);
      });
    },
    setBusy: (busy) => (busy ? worker.ref() : worker.unref()),
    terminate: () => {
      terminated = true;
      void worker.terminate();
    },
  };
}

/**
 * The {@link WorkerSpawner} over Node's worker threads.
 *
 * @param info - the worker's id and the number of workers.
 * @returns the new worker's port.
 */
export const threadSpawner: WorkerSpawner = threadPort;

/**
 * Makes Node worker threads the default for every `DataLoader` with `numWorkers > 0` (no-op when already
 * installed). Call it once at start-up; `DataLoader`'s `workerSpawner` option overrides it per loader.
 *
 * @example
 * ```ts
 * import { installWorkerThreads } from 'kindling/node';
 * installWorkerThreads();
 * const loader = new DataLoader(dataset, { batchSize: 64, numWorkers: 2, workerDataset: { module: new URL('./data.js', import.meta.url) } });
 * ```
 */
export function installWorkerThreads(): void {
  setDefaultWorkerSpawner(threadSpawner);
}

