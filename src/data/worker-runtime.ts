/**
 * @module data/worker-runtime What runs inside a DataLoader worker: it imports the dataset factory (and the optional
 * `workerInit`), then loads each requested batch — `dataset.get(i, rng)` for every index, each with its own
 * per-sample generator — collates it on the host and sends the buffers back as transferables. Browser-safe: a Web
 * Worker script calls {@link runWorker} with its `self`; Node's worker thread calls it with its `parentPort`.
 * Port of torch/utils/data/_utils/worker.py `_worker_loop`.
 * Deviations: the dataset is rebuilt from a module reference instead of being pickled.
 */
import { hostCollate, hostTransferables } from './host-collate.js';
import {
  errorData,
  sampleGenerator,
  type ModuleRefData,
  type WorkerInfo,
  type WorkerRequest,
  type WorkerResponse,
} from './worker-protocol.js';

/** The worker side of the message channel (a Web Worker's `self`, or an adapter over Node's `parentPort`). */
export interface WorkerEndpoint {
  /** Sends a message to the main thread, moving the listed buffers. */
  post(message: WorkerResponse, transfer: ArrayBuffer[]): void;
  /** Registers the listener of the main thread's messages. */
  onMessage(listener: (message: WorkerRequest) => void): void;
}

/** The part of a map-style dataset a worker uses. */
interface WorkerDataset {
  readonly length: number;
  get(index: number, rng?: unknown): unknown;
}

/** A failure while loading one sample, remembering which. */
class SampleFailure extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super(`sample ${index} failed`);
  }
}

async function callRef(ref: ModuleRefData, leading: unknown[]): Promise<unknown> {
  const mod = (await import(ref.module)) as Record<string, unknown>;
  const fn = mod[ref.exportName];
  if (typeof fn !== 'function') {
    throw new TypeError(
      `${ref.module} should export a function named ${JSON.stringify(ref.exportName)}, but its export is ` +
        `${typeof fn}. Export the factory or set exportName.`,
    );
  }
  return (fn as (...a: unknown[]) => unknown)(...leading, ...ref.args);
}

function asDataset(value: unknown, ref: ModuleRefData): WorkerDataset {
  const ok =
    Array.isArray(value) ||
    (typeof value === 'object' && value !== null && typeof (value as { get?: unknown }).get === 'function');
  if (!ok) {
    throw new TypeError(
      `The dataset factory ${ref.exportName} of ${ref.module} should return an array or a dataset with get(index), ` +
        `but returned ${value === null ? 'null' : typeof value}.`,
    );
  }
  if (!Array.isArray(value)) return value as WorkerDataset;
  const arr = value as unknown[];
  return { length: arr.length, get: (i) => arr[i] };
}

async function loadSamples(dataset: WorkerDataset, indices: number[], epochSeed: number | null): Promise<unknown[]> {
  const pending = indices.map((i) => {
    try {
      const v = epochSeed === null ? dataset.get(i) : dataset.get(i, sampleGenerator(epochSeed, i));
      return Promise.resolve(v).catch((error: unknown) => {
        throw new SampleFailure(i, error);
      });
    } catch (error) {
      return Promise.reject(new SampleFailure(i, error));
    }
  });
  for (const p of pending) void p.catch(() => undefined);
  return Promise.all(pending);
}

/**
 * Runs the worker loop: waits for `init`, builds the dataset, then answers each `task` with a collated batch (or
 * the error, with the sample index), in the order the tasks arrive.
 *
 * @param endpoint - the channel to the main thread.
 * @example
 * ```ts
 * // my-worker.js, started by a custom WorkerSpawner in a browser:
 * import { runWorker } from 'kindling/data';
 * runWorker({ post: (m, t) => self.postMessage(m, t), onMessage: (l) => { self.onmessage = (e) => l(e.data); } });
 * ```
 */
export function runWorker(endpoint: WorkerEndpoint): void {
  let ready: Promise<WorkerDataset> | null = null;
  let chain: Promise<void> = Promise.resolve();
  endpoint.onMessage((m) => {
    if (m.type === 'init') {
      ready = initialise(m.info, m.dataset, m.init);
      ready.then(
        () => endpoint.post({ type: 'ready' }, []),
        (error: unknown) => endpoint.post({ type: 'init-error', error: errorData(error) }, []),
      );
      return;
    }
    const dataset = ready;
    if (dataset === null) return;
    chain = chain.then(() => answer(endpoint, dataset, m.seq, m.indices, m.epochSeed)).catch(() => undefined);
  });
}

async function initialise(info: WorkerInfo, dataset: ModuleRefData, init: ModuleRefData | null): Promise<WorkerDataset> {
  if (init !== null) await callRef(init, [info]);
  return asDataset(await callRef(dataset, []), dataset);
}

async function answer(
  endpoint: WorkerEndpoint,
  ready: Promise<WorkerDataset>,
  seq: number,
  indices: number[],
  epochSeed: number | null,
): Promise<void> {
  let dataset: WorkerDataset;
  try {
    dataset = await ready;
  } catch {
    return; // reported once as init-error
  }
  try {
    const batch = hostCollate(await loadSamples(dataset, indices, epochSeed), indices);
    endpoint.post({ type: 'batch', seq, batch }, hostTransferables(batch));
  } catch (failure) {
    const index = failure instanceof SampleFailure ? failure.index : null;
    const error = failure instanceof SampleFailure ? failure.error : failure;
    endpoint.post({ type: 'error', seq, index, error: errorData(error) }, []);
  }
}
