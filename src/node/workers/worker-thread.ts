/**
 * @module node/workers/worker-thread The entry script of a DataLoader worker thread: connects Node's `parentPort` to
 * the browser-safe worker loop (`runWorker`).
 * Port of torch/utils/data/_utils/worker.py `_worker_loop` (entry point).
 * Deviations: none beyond those of `runWorker`.
 */
import { parentPort } from 'node:worker_threads';
import { runWorker } from '../../data/worker-runtime.js';
import type { WorkerRequest } from '../../data/worker-protocol.js';

const port = parentPort;
if (port !== null) {
  runWorker({
    post: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (listener) => port.on('message', (m: WorkerRequest) => listener(m)),
  });
}
