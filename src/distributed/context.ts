/**
 * @module Port of ignite/distributed/utils.py (the rank / world-size context) and of the typed-array side of its
 * collectives. Browser-safe: no TensorFlow.js and no Node built-ins. The engine and other core code consult it
 * (`getRank()`, `getWorldSize()`) to decide, say, whether to print; tensor collectives live in `collectives.ts`.
 * The context is serial (rank 0 of 1) until `initialize('mpi')`, which needs an MPI loader: the Node side
 * (`installMpi()` in src/node/mpi.ts, called by kindling's Node entry) installs the one that loads kindling's MPI
 * addon (native/mpi); without one (a browser) 'mpi' throws a {@link DistributedUnavailableError}.
 *
 * Deviations: the only backend is `'mpi'` (Ignite also has nccl, gloo, xla-tpu and horovod); `null` is serial.
 * Collectives are synchronous (they block the main thread like a TF.js `dataSync()`), so every rank must make the
 * same calls in the same order, with arrays of the same length and type; a mismatch hangs or aborts the job, as
 * in MPI. Once finalized, MPI cannot be initialized again in the same process.
 */

import { KindlingError } from '../errors.js';

/**
 * A distributed backend name; `null` means a single process (Ignite's `backend=None`).
 *
 */
export type Backend = 'mpi' | null;

/** A reduction of {@link allReduce} (Ignite's `op` names). */
export type ReduceOp = 'SUM' | 'PRODUCT' | 'MIN' | 'MAX' | 'AND' | 'OR';

/** The typed arrays the collectives accept. */
export type CollectiveArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

/**
 * Thrown when a distributed backend is requested but cannot be used (no MPI loader in this environment, the MPI
 * addon is not built, or MPI failed to initialize). The message says how to enable it.
 *
 */
export class DistributedUnavailableError extends KindlingError {}

/** @internal The functions of native/mpi/src/addon.cc. */
export interface MpiAddon {
  init(): { rank: number; worldSize: number; localRank: number; localSize: number; threadLevel: number; library: string };
  isInitialized(): boolean;
  finalize(): void;
  allReduce<T extends CollectiveArray>(array: T, op: ReduceOp): T;
  allGather<T extends CollectiveArray>(array: T): T;
  broadcast<T extends CollectiveArray>(array: T, root: number): T;
  barrier(): void;
  abort(code: number): void;
}

/**
 * How the context obtains the MPI addon. kindling's Node side installs one (`installMpi()` from `kindling/node`,
 * called by the Node entry of `kindling`); a test or an embedder may install another.
 *
 * @internal
 */
export interface MpiLoader {
  /**
   * Loads the addon (the loader caches it), or says why it cannot, as a sentence: "kindling's MPI addon (path) is
   * not available: it was not built.".
   */
  load(): { addon: MpiAddon } | { reason: string };
  /** What the user can do to enable MPI; appended to every unavailability message. */
  readonly howToEnable: string;
}

interface Context {
  readonly backend: 'mpi';
  readonly addon: MpiAddon;
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly localSize: number;
  readonly library: string;
}

const BACKENDS: readonly string[] = ['mpi'];
let context: Context | null = null;
let mpiLoader: MpiLoader | null = null;

/** Whether this is Node.js (read from `globalThis`, so that browsers need no `process` global). */
function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** The loader's answer, or why there is no loader (a browser, or Node without kindling's Node entry). */
function loadMpi(): { addon: MpiAddon } | { reason: string; howToEnable: string } {
  if (mpiLoader !== null) {
    const r = mpiLoader.load();
    return 'addon' in r ? r : { reason: r.reason, howToEnable: mpiLoader.howToEnable };
  }
  if (isNode()) {
    return {
      reason: 'no MPI loader is installed in this process.',
      howToEnable: "Import kindling under Node through its package entry (`import ... from 'kindling'` installs the " +
        "loader), or call installMpi() from 'kindling/node' before initialize('mpi').",
    };
  }
  return {
    reason: 'MPI runs only under Node.js, and this environment is not Node.js (a browser?).',
    howToEnable: 'Use backend null to train in one process here, and launch distributed training with `mpirun -np 2 node train.js`.',
  };
}

/**
 * Installs the function that loads the MPI addon (or removes it with null); {@link initialize} and
 * {@link mpiAvailability} use it. Has no effect on an already initialized context.
 *
 * @param loader - the loader, or null for none.
 * @returns nothing.
 * @internal
 */
export function setMpiLoader(loader: MpiLoader | null): void {
  mpiLoader = loader;
}

/**
 * Whether the MPI backend can be used in this process (Node.js, with the addon built and loading).
 *
 * @returns `{ available: true }` or `{ available: false, reason }` (the reason includes how to enable it).
 * @example
 * ```ts
 * const { available } = mpiAvailability();
 * await new Parallel({ backend: available ? 'mpi' : null }).run(train);
 * ```
 */
export function mpiAvailability(): { available: true } | { available: false; reason: string } {
  const r = loadMpi();
  return 'addon' in r ? { available: true } : { available: false, reason: `${r.reason} ${r.howToEnable}` };
}

/**
 * Initializes the distributed context (Ignite's `idist.initialize`). `null` does nothing (serial). Calling it again
 * with the same backend is a no-op.
 *
 * @param backend - `'mpi'` or `null`.
 * @returns nothing.
 * @throws RangeError for an unknown backend; {@link DistributedUnavailableError} when MPI cannot be used here (no
 *   Node.js, the addon is missing, or MPI fails to start); the message says how to enable it.
 * @example
 * ```ts
 * initialize('mpi');
 * console.log(`rank ${getRank()} of ${getWorldSize()}`);
 * finalize();
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.initialize
 */
export function initialize(backend: Backend): void {
  if (backend === null) return;
  if (!BACKENDS.includes(backend)) {
    throw new RangeError(`Unknown backend '${String(backend)}'. Available backends: ${BACKENDS.join(', ')} (or null for one process)`);
  }
  if (context !== null) return;
  const r = loadMpi();
  if (!('addon' in r)) {
    throw new DistributedUnavailableError(`Backend 'mpi' requested, but ${r.reason} ${r.howToEnable}`);
  }
  let info: ReturnType<MpiAddon['init']>;
  try {
    info = r.addon.init();
  } catch (error) {
    const how = mpiLoader?.howToEnable ?? '';
    throw new DistributedUnavailableError(`Backend 'mpi' could not be initialized. ${how}`.trimEnd(), { cause: error });
  }
  context = { backend, addon: r.addon, ...info };
}

/**
 * Finalizes the distributed context (Ignite's `idist.finalize`); afterwards the process is serial again. MPI cannot
 * be re-initialized in the same process.
 *
 * @returns nothing.
 */
export function finalize(): void {
  const c = context;
  context = null;
  c?.addon.finalize();
}

/**
 * The backend in use, or null (Ignite's `idist.backend()`).
 *
 * @returns `'mpi'` or null.
 */
export function backend(): Backend {
  return context?.backend ?? null;
}

/**
 * This process's rank in the job (0 when serial).
 *
 * @returns the rank.
 */
export function getRank(): number {
  return context?.rank ?? 0;
}

/**
 * The number of processes in the job (1 when serial).
 *
 * @returns the world size.
 */
export function getWorldSize(): number {
  return context?.worldSize ?? 1;
}

/**
 * This process's rank among the processes of its host (0 when serial).
 *
 * @returns the local rank.
 */
export function getLocalRank(): number {
  return context?.localRank ?? 0;
}

/**
 * The number of processes on this host (Ignite's `get_nproc_per_node`; 1 when serial).
 *
 * @returns processes per node.
 */
export function getNprocPerNode(): number {
  return context?.localSize ?? 1;
}

/**
 * The number of hosts, assuming the same number of processes on each (Ignite's `get_nnodes`).
 *
 * @returns the node count.
 */
export function getNnodes(): number {
  return Math.max(1, Math.round(getWorldSize() / getNprocPerNode()));
}

/**
 * This host's index, assuming ranks are placed by node (Ignite's `get_node_rank`).
 *
 * @returns the node rank.
 */
export function getNodeRank(): number {
  return Math.floor(getRank() / getNprocPerNode());
}

/**
 * Ignite's `show_config`: a one-line summary of the context, e.g. `backend mpi, rank 1/2, local rank 1/2, ...`.
 *
 * @returns the summary.
 */
export function showConfig(): string {
  const c = context;
  if (c === null) return 'backend null (single process), rank 0/1';
  return `backend ${c.backend}, rank ${c.rank}/${c.worldSize}, local rank ${c.localRank}/${c.localSize}, ` +
    `nodes ${getNnodes()}, ${c.library}`;
}

/**
 * Blocks until every rank has called it (a no-op when serial).
 *
 * @returns nothing.
 * @example
 * ```ts
 * if (getRank() === 0) prepareData();
 * barrier(); // the others wait for rank 0
 * ```
 */
export function barrier(): void {
  context?.addon.barrier();
}

/**
 * Reduces a typed array across ranks. Serial: returns a copy.
 *
 * @param array - this rank's values; not modified.
 * @param op - the reduction (default `'SUM'`).
 * @returns a new array of the same type with the reduced values (the same on every rank).
 */
export function allReduceArray<T extends CollectiveArray>(array: T, op: ReduceOp = 'SUM'): T {
  const out = array.slice() as T;
  return context === null ? out : context.addon.allReduce(out, op);
}

/**
 * Gathers a typed array of the same length from every rank, in rank order. Serial: returns a copy.
 *
 * @param array - this rank's values.
 * @returns a new array of `worldSize * array.length` elements.
 */
export function allGatherArray<T extends CollectiveArray>(array: T): T {
  return context === null ? (array.slice() as T) : context.addon.allGather(array);
}

/**
 * Broadcasts the `src` rank's typed array to every rank. Serial: returns a copy.
 *
 * @param array - the values (on `src`) or a buffer of the same length and type (elsewhere); not modified.
 * @param src - the source rank (default 0).
 * @returns a new array holding `src`'s values.
 * @throws RangeError when `src` is not a rank.
 */
export function broadcastArray<T extends CollectiveArray>(array: T, src = 0): T {
  if (!Number.isInteger(src) || src < 0 || src >= getWorldSize()) {
    throw new RangeError(`Argument src should be a rank in [0, ${getWorldSize()}), but given ${src}`);
  }
  const out = array.slice() as T;
  return context === null ? out : context.addon.broadcast(out, src);
}

/**
 * Terminates every rank of the job with `code` (MPI_Abort), so that a failure on one rank does not leave the
 * others waiting in a collective forever. Serial: does nothing.
 *
 * @param code - the exit code.
 * @returns nothing.
 */
export function abortJob(code = 1): void {
  context?.addon.abort(code);
}

/**
 * Options of {@link oneRankOnly}.
 *
 */
export interface OneRankOnlyOptions {
  /** The rank that runs the function. @defaultValue 0 */
  rank?: number;
  /** Every rank waits at a barrier after the call (after the promise settles, for async functions). @defaultValue false */
  withBarrier?: boolean;
}

/**
 * Wraps `fn` so that it runs on one rank only (Ignite's `@one_rank_only`); on the other ranks the wrapper returns
 * undefined. With `withBarrier`, every rank waits until the call has finished.
 *
 * @param fn - the function (sync or async).
 * @param options - `rank` and `withBarrier`.
 * @returns the wrapped function.
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.one_rank_only
 */
export function oneRankOnly<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: OneRankOnlyOptions = {},
): (...args: A) => R | undefined {
  const { rank = 0, withBarrier = false } = options;
  return function oneRankOnlyWrapper(...args: A): R | undefined {
    const result = getRank() === rank ? fn(...args) : undefined;
    if (!withBarrier) return result;
    if (result instanceof Promise) {
      return result.finally(() => barrier()) as R;
    }
    barrier();
    return result;
  };
}
