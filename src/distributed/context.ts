/**
 * @module Port of ignite/distributed/utils.py: the rank / world-size context. Browser-safe: no TensorFlow.js and no
 * Node built-ins. The engine and other core code consult it (`getRank()`, `getWorldSize()`) to decide, say, whether
 * to print; typed-array collectives and groups live in `comm.ts`, tensor collectives in `collectives.ts`.
 * The context is serial (rank 0 of 1) until `initialize('mpi')`, which needs an MPI loader: the Node side
 * (`installMpi()` in src/node/mpi.ts, called by kindling's Node entry) installs the one that loads kindling's MPI
 * addon (native/mpi); without one (a browser) 'mpi' throws a {@link DistributedUnavailableError}.
 *
 * Deviations: the only backend is `'mpi'` (Ignite also has nccl, gloo, xla-tpu and horovod); `null` is serial.
 * Collectives are synchronous (they block the main thread like a TF.js `dataSync()`), so every rank must make the
 * same calls in the same order, with arrays of the same length and type; a mismatch waits until the collective
 * timeout (KINDLING_MPI_TIMEOUT, default 1800 s) and throws a {@link DistributedJobError}, which is also what a lost
 * or failed rank causes (named by the addon's liveness channel). Groups (`newGroup`) are MPI communicators, made by
 * every rank together as torch's `new_group`. Once finalized, MPI cannot be initialized again in the same process.
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

/**
 * Thrown by a collective when the job cannot go on: another rank was lost (its process died or its host became
 * unreachable), another rank failed and aborted the job (its error message is quoted), or the collective did not
 * complete within the collective timeout (`KINDLING_MPI_TIMEOUT` seconds, default 1800). `ranks` names the ranks
 * at fault (empty for a timeout). `Parallel` reports it and ends the job.
 *
 */
export class DistributedJobError extends KindlingError {
  /** `'KINDLING_MPI_PEER_LOST'`, `'KINDLING_MPI_PEER_FAILED'` or `'KINDLING_MPI_TIMEOUT'`. */
  readonly code: string;
  /** The ranks that were lost or failed. */
  readonly ranks: readonly number[];

  /**
   * @param message - what happened, naming the ranks.
   * @param code - the kind of failure.
   * @param ranks - the ranks at fault.
   */
  constructor(message: string, code: string, ranks: readonly number[]) {
    super(message);
    this.code = code;
    this.ranks = ranks;
  }
}

/** @internal The functions of native/mpi/src/addon.cc. */
export interface MpiAddon {
  init(): { rank: number; worldSize: number; localRank: number; localSize: number; threadLevel: number; library: string };
  isInitialized(): boolean;
  finalize(): void;
  allReduce<T extends CollectiveArray>(array: T, op: ReduceOp, group?: number): T;
  allGather<T extends CollectiveArray>(array: T, group?: number): T;
  broadcast<T extends CollectiveArray>(array: T, root: number): T;
  barrier(group?: number): void;
  /** Sends `message` to every rank over the liveness channel, then MPI_Abort. */
  abort(code: number, message?: string): void;
  /** MPI_Comm_create of `ranks` (collective); the group's handle, or -1 on non-members. */
  newGroup?(ranks: Int32Array): number;
  setTimeout?(seconds: number): void;
  /** What the liveness channel knows about lost or failed ranks, or null. */
  failure?(): string | null;
  /** MPI_Ibarrier; returns a request for {@link MpiAddon.testRequest}. */
  startBarrier?(group?: number): number;
  /** In-place MPI_Iallreduce; returns a request for {@link MpiAddon.testRequest}. */
  startAllReduce?(array: CollectiveArray, op: ReduceOp, group?: number): number;
  /** One MPI_Test: true once the request completed; throws on a lost or failed rank, or the timeout. */
  testRequest?(request: number): boolean;
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
  /** This host's name (Node: `os.hostname()`). */
  hostname?(): string;
  /** Whether this process was started by an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE, PMIX_RANK...). */
  launchedByMpi?(): boolean;
  /**
   * Re-runs this script as `nproc` ranks under mpirun and resolves when they have all exited (rejects when one
   * failed); used by `Parallel({ nprocPerNode })` when the script was not launched by mpirun.
   */
  launch?(nproc: number): Promise<void>;
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
let localRankHint: number | null = null;
/** Called by {@link finalize} (e.g. comm.ts forgets its groups: their communicators end with MPI). */
const finalizeHooks: (() => void)[] = [];

/**
 * Registers a function {@link finalize} calls before MPI ends.
 *
 * @param hook - the function.
 * @returns nothing.
 * @internal
 */
export function onFinalize(hook: () => void): void {
  finalizeHooks.push(hook);
}

/**
 * Runs an addon call, turning the addon's job errors (a lost or failed rank, a timeout) into
 * {@link DistributedJobError}s.
 */
function guarded<R>(fn: () => R): R {
  try {
    return fn();
  } catch (error) {
    const e = error as { code?: unknown; ranks?: unknown; message?: unknown };
    if (typeof e.code === 'string' && e.code.startsWith('KINDLING_MPI_')) {
      throw new DistributedJobError(String(e.message), e.code, Array.isArray(e.ranks) ? (e.ranks as number[]) : []);
    }
    throw error;
  }
}

/**
 * The active context's addon, or null when serial.
 *
 * @returns the addon.
 * @internal
 */
export function activeAddon(): MpiAddon | null {
  return context?.addon ?? null;
}

/**
 * The installed MPI loader, or null.
 *
 * @returns the loader.
 * @internal
 */
export function currentMpiLoader(): MpiLoader | null {
  return mpiLoader;
}

/**
 * Runs a call of the active addon with its job errors turned into {@link DistributedJobError}s.
 *
 * @param fn - the call.
 * @returns its result.
 * @internal
 */
export function callAddon<R>(fn: (addon: MpiAddon) => R): R | null {
  const c = context;
  return c === null ? null : guarded(() => fn(c.addon));
}

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
  context = { backend, addon: r.addon, ...info, localRank: localRankHint ?? info.localRank };
}

/**
 * Ignite's `idist.sync`: makes the context follow an MPI that was initialized outside kindling (by another addon
 * in the same process): afterwards `getRank()` etc. report it; without an initialized MPI the context is serial.
 *
 * @returns nothing.
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.sync
 */
export function sync(): void {
  if (context !== null) return;
  const r = mpiLoader?.load();
  if (r === undefined || !('addon' in r) || !r.addon.isInitialized()) return;
  const info = r.addon.init();
  context = { backend: 'mpi', addon: r.addon, ...info, localRank: localRankHint ?? info.localRank };
}

/**
 * Ignite's `idist.set_local_rank`: a hint for the local rank of a context that kindling did not compute itself;
 * the next {@link initialize} or {@link sync} uses it instead of the rank among the host's processes that MPI
 * reports. The serial context ignores it (local rank 0).
 *
 * @param index - the local rank.
 * @returns nothing.
 * @throws RangeError when `index` is not a non-negative integer.
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.set_local_rank
 */
export function setLocalRank(index: number): void {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`Argument index should be a non-negative integer, but given ${index}`);
  localRankHint = index;
}

/**
 * The name of this process's host (Ignite's `idist.hostname`): `os.hostname()` under Node, the page's host name
 * (or 'localhost') in a browser.
 *
 * @returns the host name.
 */
export function hostname(): string {
  const fromLoader = mpiLoader?.hostname?.();
  if (fromLoader !== undefined) return fromLoader;
  const loc = (globalThis as { location?: { hostname?: unknown } }).location;
  return typeof loc?.hostname === 'string' && loc.hostname !== '' ? loc.hostname : 'localhost';
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
  for (const hook of finalizeHooks) hook();
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
