/**
 * @module data/worker-protocol The messages between a {@link DataLoader} and its workers, the reference to the code a
 * worker imports (workers cannot receive closures), and the per-sample random streams shared by the in-process and
 * worker paths. Browser-safe: no Node built-ins.
 * Port of the worker contract of torch/utils/data/_utils/worker.py.
 * Deviations: torch pickles the dataset into each worker; kindling workers rebuild it by importing a module and
 * calling a factory ({@link ModuleRef}). torch seeds each worker from `base_seed + worker_id`; kindling seeds each
 * *sample* from `(epoch seed, sample index)`, so results do not depend on the number of workers.
 */
import { RandomGenerator } from '../random/generator.js';

/**
 * A function a worker imports and calls: `(await import(module))[exportName](...args)`. `module` is an absolute
 * URL or file path (`new URL('./data.js', import.meta.url)`), `args` are structured-cloneable (JSON-like) values.
 */
export interface ModuleRef {
  /** Absolute `file:`/`http(s):` URL or absolute file path of the module. */
  readonly module: string | URL;
  /** The exported function to call (default `'default'`). */
  readonly exportName?: string;
  /** Arguments passed to the function after any the loader adds (default none). */
  readonly args?: readonly unknown[];
}

/** Information a worker's `workerInit` function receives first (torch's `get_worker_info()`). */
export interface WorkerInfo {
  /** This worker's id, 0 to `numWorkers - 1` (a replacement worker keeps the id of the one it replaces). */
  readonly id: number;
  /** The number of workers of the loader. */
  readonly numWorkers: number;
}

/** The serialisable form of a {@link ModuleRef}. */
export interface ModuleRefData {
  /** The module as a URL string. */
  module: string;
  /** The export to call. */
  exportName: string;
  /** The arguments. */
  args: unknown[];
}

/** Main thread to worker. */
export type WorkerRequest =
  | { type: 'init'; info: WorkerInfo; dataset: ModuleRefData; init: ModuleRefData | null }
  | { type: 'task'; seq: number; indices: number[]; epochSeed: number | null };

/** An error as sent by a worker. */
export interface WorkerErrorData {
  /** The error's `name` (e.g. `TypeError`). */
  name: string;
  /** The error's message. */
  message: string;
  /** The worker-side stack, if any. */
  stack: string | undefined;
}

/** Worker to main thread. */
export type WorkerResponse =
  | { type: 'ready' }
  | { type: 'init-error'; error: WorkerErrorData }
  | { type: 'batch'; seq: number; batch: unknown }
  | { type: 'error'; seq: number; index: number | null; error: WorkerErrorData };

/**
 * Normalises a {@link ModuleRef} into its serialisable form.
 *
 * @param ref - the reference.
 * @param what - the option name, for error messages.
 * @returns the normalised reference.
 * @throws TypeError if `ref.module` is not an absolute URL or path, or `args` is not an array.
 */
export function moduleRefData(ref: ModuleRef, what: string): ModuleRefData {
  const m = ref.module instanceof URL ? ref.module.href : ref.module;
  const absolute = typeof m === 'string' && (/^[a-z][a-z0-9+.-]*:/i.test(m) || m.startsWith('/'));
  if (!absolute) {
    throw new TypeError(
      `${what}.module should be an absolute URL or file path, but given ${JSON.stringify(m)}. ` +
        "Pass e.g. new URL('./my-dataset.js', import.meta.url).",
    );
  }
  const args: unknown = ref.args ?? [];
  if (!Array.isArray(args)) throw new TypeError(`${what}.args should be an array of arguments, but given ${typeof args}.`);
  return { module: m, exportName: ref.exportName ?? 'default', args: (args as unknown[]).slice() };
}

/**
 * The random generator of sample `index` in an epoch: seeded from the epoch's seed and the sample index only, so the
 * same sample gets the same random numbers on any worker, with any number of workers, and in-process.
 *
 * @param epochSeed - the seed the loader drew when the epoch's iteration started.
 * @param index - the dataset index of the sample.
 * @returns a new generator.
 */
export function sampleGenerator(epochSeed: number, index: number): RandomGenerator {
  return new RandomGenerator(epochSeed, index);
}

/**
 * Turns a thrown value into its serialisable form.
 *
 * @param error - anything thrown.
 * @returns name, message and stack.
 */
export function errorData(error: unknown): WorkerErrorData {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error), stack: undefined };
}

const BUILTIN: Record<string, new (message: string) => Error> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds a worker's error on the main thread: same `name`, message and worker stack, and the built-in class when
 * the name is one (`TypeError`, `RangeError`, ...).
 *
 * @param data - the error as sent by the worker.
 * @returns the error.
 */
export function reviveError(data: WorkerErrorData): Error {
  const Ctor = BUILTIN[data.name] ?? Error;
  const error = new Ctor(data.message);
  if (error.name !== data.name) error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
