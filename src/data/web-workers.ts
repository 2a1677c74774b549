/**
 * @module data/web-workers DataLoader workers on browsers' Web Workers: a {@link WorkerSpawner} over module workers,
 * and the endpoint a worker script hands to `runWorker`. Browser-safe (uses only the DOM's `Worker`).
 * Port of the worker start-up of torch/utils/data/dataloader.py for browsers.
 * Deviations: Web Workers have no exit event; an uncaught error in a worker counts as its crash (it is terminated
 * and replaced, as on Node).
 */
import type { WorkerPort, WorkerSpawner } from './worker-pool.js';
import type { WorkerRequest, WorkerResponse } from './worker-protocol.js';
import type { WorkerEndpoint } from './worker-runtime.js';

/** The part of the DOM's `Worker` the spawner uses. */
export interface WebWorkerLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: ErrorEvent) => void) | null;
  terminate(): void;
}

/** The part of a worker's global scope (`self`) an endpoint uses. */
export interface WorkerScopeLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/**
 * A spawner starting module Web Workers from `scriptUrl`, a script that calls
 * `runWorker(webWorkerEndpoint(self))`.
 *
 * @param scriptUrl - the worker script (absolute, or relative to the page).
 * @param create - creates the worker (default `new Worker(url, { type: 'module', name })`; tests pass a fake).
 * @returns the spawner, for `setDefaultWorkerSpawner` or the `workerSpawner` option.
 * @example
 * ```ts
 * // data-worker.js: import { runWorker, webWorkerEndpoint } from 'kindling/data'; runWorker(webWorkerEndpoint(self));
 * setDefaultWorkerSpawner(webWorkerSpawner(new URL('./data-worker.js', import.meta.url)));
 * ```
 */
export function webWorkerSpawner(
  scriptUrl: string | URL,
  create: (url: string | URL, name: string) => WebWorkerLike = (url, name) => new Worker(url, { type: 'module', name }),
): WorkerSpawner {
  return (info): WorkerPort => {
    const worker = create(scriptUrl, `kindling DataLoader worker ${info.id}`);
    let ended = false;
    return {
      post: (message: WorkerRequest) => worker.postMessage(message),
      onMessage: (listener) => {
        worker.onmessage = (event) => listener(event.data as WorkerResponse);
      },
      onExit: (listener) => {
        worker.onerror = (event) => {
          event.preventDefault();
          if (ended) return;
          ended = true;
          worker.terminate();
          listener({ code: null, error: new Error(event.message || 'uncaught error in the worker') });
        };
      },
      setBusy: () => undefined, // a page does not exit while workers are idle
      terminate: () => {
        ended = true;
        worker.terminate();
      },
    };
  };
}

/**
 * The endpoint of a Web Worker script, for `runWorker`.
 *
 * @param scope - the worker's global scope (`self`).
 * @returns the endpoint.
 */
export function webWorkerEndpoint(scope: WorkerScopeLike): WorkerEndpoint {
  return {
    post: (message, transfer) => scope.postMessage(message, transfer),
    onMessage: (listener) => {
      scope.onmessage = (event) => listener(event.data as WorkerRequest);
    },
  };
}
