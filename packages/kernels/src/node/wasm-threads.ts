/**
 * @module Threads for TensorFlow.js's wasm backend under Node (tfjs-backend-wasm 4.x). No Ignite counterpart
 * (PyTorch's CPU kernels are native threads). Deviations: none in results (XNNPACK computes every output element on
 * one thread, in the same order, whatever the thread count); Node only (browsers get threads from TF.js itself when
 * the page is cross-origin isolated).
 *
 * TF.js ships a threaded wasm build (XNNPACK on a pthreads pool) but never uses it in Node
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is false there, tensorflow/tfjs#3830) because its Emscripten glue cannot start
 * workers in Node as bundled: (1) it hands the worker script to `new Worker()` as a `blob:` URL, which Node's
 * `worker_threads` cannot load; (2) each worker then loads the module factory from a Blob with `importScripts`,
 * whose Node version reads files only; (3) that factory is the source text of a function of the Node bundle,
 * whose free variables (the bundle's `require$$0`.. for fs, path, perf_hooks and os, `commonjsGlobal`,
 * `_scriptDir`) do not exist in a worker; (4) XNNPACK's pool is capped at half the logical CPUs (1 on 2 cores);
 * (5) running pthread workers keep the process alive. {@link prepareWasmThreads} works around each, for the wasm
 * backend's initialisation only: a `Worker` class that starts a small bootstrap (eval) and sends it the worker
 * script read from the Blob, serves the factory's text to `importScripts`, defines the free variables, and is
 * never ref'd; `os.cpus()` reports twice the CPUs while the module starts. Hand-written because no library does
 * this; everything it relies on is checked before, and any mismatch leaves the backend single-threaded.
 */
import { resolveObjectURL } from 'node:buffer';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { Worker as NodeWorker, type TransferListItem, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The most threads the threaded build can use: its Emscripten pool holds 8 workers.
 *
 */
export const MAX_WASM_THREADS = 8;

/**
 * Whether the wasm backend runs threaded, how many threads, and why not when it does not.
 *
 */
export interface WasmThreadsStatus {
  /** true when the wasm backend was (or will be) initialised with more than one thread. */
  enabled: boolean;
  /** Threads requested (before initialisation) or in use (after). */
  threads: number;
  /** Why threads are off, or how they were set. */
  reason: string;
}

/** A preparation is waiting for its backend to start. */
let preparing = false;

let status: WasmThreadsStatus = { enabled: false, threads: 1, reason: 'the wasm backend has not been initialised by kindling' };

/** The bundle's free variables that the worker must define, as found in tfjs-backend-wasm 4.x's Node bundle. */
const FACTORY_GLOBALS = ['require$$0', 'require$$1', 'require$$3', 'require$$4', 'commonjsGlobal', '_scriptDir'] as const;

/**
 * The bootstrap each worker runs: it waits for the worker script and the factory's text, defines the factory's free
 * variables, evaluates the script and routes `importScripts('kindling:factory')` to the factory's text.
 */
function bootstrap(bundle: string): string {
  return `'use strict';
const { parentPort } = require('worker_threads');
let factory = null;
parentPort.on('message', (m) => {
  if (m !== null && typeof m === 'object' && typeof m.kindlingWorkerScript === 'string') {
    Object.assign(globalThis, { require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'),
      require$$4: require('os'), commonjsGlobal: globalThis, _scriptDir: ${JSON.stringify(bundle)} });
    (0, eval)(m.kindlingWorkerScript);
    const load = globalThis.importScripts;
    globalThis.importScripts = (f) => (f === 'kindling:factory' ? (0, eval)(factory) : load(f));
  } else if (m !== null && typeof m === 'object' && typeof m.kindlingFactory === 'string') {
    factory = m.kindlingFactory;
  }
});`;
}

interface LoadMessage {
  cmd?: unknown;
  urlOrBlob?: unknown;
}

/**
 * Builds the Worker class handed to the Emscripten glue: plain `worker_threads` workers for file paths, the
 * bootstrap for `blob:` URLs. Messages are posted synchronously except while a Blob is being read (the worker
 * script at start, the factory in the 'load' message): the main thread blocks in XNNPACK while its threads start,
 * so a 'run' message must never wait for a microtask.
 */
function workerClass(bundle: string): typeof NodeWorker {
  const boot = bootstrap(bundle);
  return class KindlingWasmWorker extends NodeWorker {
    #chain: Promise<void> = Promise.resolve();
    #pending = 0;

    constructor(url: string | URL, options?: WorkerOptions) {
      const blob = typeof url === 'string' && url.startsWith('blob:') ? resolveObjectURL(url) : undefined;
      if (blob === undefined) {
        super(url, options);
        return;
      }
      super(boot, { eval: true });
      this.unref();
      this.#queue(async () => super.postMessage({ kindlingWorkerScript: await blob.text() }));
    }

    /** Never ref'd: a pthread worker must not keep the process alive (the main thread waits for it synchronously). */
    override ref(): void {}

    override postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
      const m = message as LoadMessage | null;
      const load = m !== null && typeof m === 'object' && m.cmd === 'load' && m.urlOrBlob instanceof Blob;
      if (!load && this.#pending === 0) {
        super.postMessage(message, transfer);
        return;
      }
      this.#queue(async () => {
        let out = message;
        if (load) {
          super.postMessage({ kindlingFactory: await (m.urlOrBlob as Blob).text() });
          out = { ...m, urlOrBlob: 'kindling:factory' };
        }
        super.postMessage(out, transfer);
      });
    }

    #queue(step: () => Promise<void>): void {
      this.#pending++;
      this.#chain = this.#chain.then(step).finally(() => {
        this.#pending--;
      });
    }
  };
}

/**
 * Checks that a tfjs-backend-wasm Node bundle is laid out as the workarounds expect (version 4.x, the threaded
 * binary next to it, the factory's free variables, the Worker and Blob set-up of its glue).
 *
 * @param bundle - path of `tf-backend-wasm.node.js`.
 * @param version - the package's version.
 * @returns null when the workarounds apply, else why not.
 */
export function checkWasmThreadsPackage(bundle: string, version: string): string | null {
  if (!version.startsWith('4.')) return `tfjs-backend-wasm ${version} (the workaround is written for 4.x)`;
  if (!existsSync(join(dirname(bundle), 'tfjs-backend-wasm-threaded-simd.wasm'))) return 'the threaded wasm binary is missing';
  const source = readFileSync(bundle, 'utf8');
  const expected = [...FACTORY_GLOBALS.map((name) => `var ${name} = `), 'commonjsGlobal.Worker = nodeWorkerThreads.Worker',
    'factoryConfig.mainScriptUrlOrBlob = new Blob(', 'URL.createObjectURL(blob)', "'WASM_HAS_MULTITHREAD_SUPPORT'"];
  const missing = expected.filter((text) => !source.includes(text));
  return missing.length === 0 ? null : `tfjs-backend-wasm ${version}'s Node bundle is not laid out as expected (no ${missing.join(', ')})`;
}

/**
 * The thread count kindling starts the wasm backend with: `KINDLING_WASM_THREADS` when set, else the CPUs this
 * process may use; at most {@link MAX_WASM_THREADS}.
 *
 * @param env - the environment to read (default `process.env`).
 * @returns the thread count, >= 1.
 * @throws RangeError when `KINDLING_WASM_THREADS` is not an integer >= 1.
 */
export function requestedWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KINDLING_WASM_THREADS;
  const n = raw === undefined || raw === '' ? os.availableParallelism() : Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`KINDLING_WASM_THREADS: expected an integer >= 1, received '${String(raw)}'. Use 1 for a single-threaded wasm backend.`);
  }
  return Math.min(n, MAX_WASM_THREADS);
}

/**
 * Prepares the wasm backend's initialisation with threads (see the module doc). Call it right before the backend
 * initialises; call the returned function once it has (it restores `os.cpus` and records the thread count). Does
 * nothing (returns null) when the wasm backend is already initialised, when one thread is requested, or when the
 * package does not look as expected ({@link wasmThreadsStatus} says why).
 *
 * @param threads - threads to use (default: {@link requestedWasmThreads}).
 * @returns the function to call after initialisation, or null.
 * @example
 * ```ts
 * const done = prepareWasmThreads();
 * await tf.setBackend('wasm');
 * done?.();
 * ```
 */
export function prepareWasmThreads(threads: number = requestedWasmThreads()): (() => void) | null {
  // Already started, or being started after an earlier call (whose finish restores os.cpus: a second patch would
  // capture the first one and leave it in place).
  if (tf.engine().registry.wasm !== undefined || preparing) return null;
  if (threads <= 1) {
    status = { enabled: false, threads: 1, reason: 'one thread requested (KINDLING_WASM_THREADS=1)' };
    return null;
  }
  const require = createRequire(import.meta.url);
  let bundle: string, version: string, setThreadsCount: (n: number) => void, getThreadsCount: () => number;
  try {
    bundle = require.resolve('@tensorflow/tfjs-backend-wasm');
    version = (JSON.parse(readFileSync(join(dirname(bundle), '..', 'package.json'), 'utf8')) as { version: string }).version;
    ({ setThreadsCount, getThreadsCount } = require('@tensorflow/tfjs-backend-wasm') as {
      setThreadsCount: (n: number) => void; getThreadsCount: () => number;
    });
  } catch (error) {
    status = { enabled: false, threads: 1, reason: `@tensorflow/tfjs-backend-wasm not loadable: ${String(error)}` };
    return null;
  }
  const problem = checkWasmThreadsPackage(bundle, version);
  if (problem !== null) {
    status = { enabled: false, threads: 1, reason: `single-threaded: ${problem}` };
    return null;
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  const Worker = workerClass(bundle);
  // The glue assigns worker_threads' Worker to the global when it starts: keep ours.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, enumerable: false, get: () => Worker, set: () => {} });
  const cpus = os.cpus;
  // XNNPACK's pool is capped at half the logical CPUs the glue reads from os.cpus() while the module starts.
  os.cpus = () => {
    const list = cpus();
    return list.length === 0 ? list : Array.from({ length: Math.max(2 * list.length, 2 * threads) }, (_, i) => list[i % list.length]!);
  };
  status = { enabled: true, threads, reason: `${threads} threads requested` };
  preparing = true;
  return () => {
    preparing = false;
    os.cpus = cpus;
    if (tf.engine().registry.wasm === undefined) {
      // The backend did not start (failed, or timed out): undo everything, so that a later start is the stock one.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      setThreadsCount(-1); // TF.js's default (as many threads as it picks)
      Reflect.deleteProperty(globalThis, 'Worker');
      status = { enabled: false, threads: 1, reason: 'single-threaded: the wasm backend failed to start with threads (TF.js printed why)' };
      return;
    }
    // Emscripten starts more workers with this class if XNNPACK asks for more threads than its pool holds.
    Object.defineProperty(globalThis, 'Worker', { configurable: true, enumerable: false, writable: true, value: Worker });
    let used = 1;
    try {
      used = getThreadsCount();
    } catch {
      // not initialised: keep 1
    }
    status = used > 1
      ? { enabled: true, threads: used, reason: `${used} threads (kindling's Node workers for TF.js's threaded wasm build)` }
      : { enabled: false, threads: 1, reason: `single-threaded: the threaded build started with ${used} thread` };
  };
}

/**
 * Whether kindling runs the wasm backend threaded in this process, how many threads, and why not.
 *
 * @returns the status.
 * @example
 * ```ts
 * await activateBackend('wasm');
 * console.log(wasmThreadsStatus()); // { enabled: true, threads: 2, reason: '2 threads (...)' }
 * ```
 */
export function wasmThreadsStatus(): WasmThreadsStatus {
  return { ...status };
}
