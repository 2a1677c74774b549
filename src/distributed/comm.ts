/**
 * @module Port of the typed-array collectives and the groups of ignite/distributed/utils.py (`barrier`,
 * `all_reduce`, `all_gather`, `broadcast` on arrays; `new_group`), over the context of `context.ts`. Browser-safe:
 * no TensorFlow.js and no Node built-ins; serial, every collective returns a copy of its input.
 * Deviations: see `context.ts` (synchronous collectives with a timeout; groups are MPI communicators). The `*Async`
 * variants wait with the event loop running.
 */

import {
  activeAddon,
  callAddon,
  DistributedUnavailableError,
  getRank,
  getWorldSize,
  onFinalize,
  type CollectiveArray,
  type ReduceOp,
} from './context.js';

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
  callAddon((a) => a.barrier());
}

/** Polls a request from timers until it completes, so that the event loop runs meanwhile. */
async function completeAsync(request: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (callAddon((a) => a.testRequest?.(request) ?? true) !== false) return;
    // setImmediate-like turns for the first 10 ms (latency), then 1 ms timers (CPU)
    await new Promise<void>((resolve) => setTimeout(resolve, Date.now() - started < 10 ? 0 : 1));
  }
}

/**
 * A barrier that keeps the event loop running while it waits (timers, I/O, a dashboard server, Ctrl-C handlers),
 * unlike {@link barrier}, which blocks the thread. Do not start other collectives until it resolves. Serial:
 * resolves at once.
 *
 * @param group - wait for the ranks of this group only (default: every rank).
 * @returns when every rank (of the group) has called it.
 * @throws {@link DistributedJobError} when a rank is lost or failed, or after the collective timeout.
 * @example
 * ```ts
 * if (getRank() === 0) await downloadDataset(); // minutes
 * await barrierAsync();                          // the other ranks stay responsive meanwhile
 * ```
 */
export async function barrierAsync(group?: GroupLike): Promise<void> {
  const g = resolveGroup(group);
  if (g === null) return;
  const request = callAddon((a) => (a.startBarrier === undefined ? (a.barrier(g), null) : a.startBarrier(g)));
  if (request !== null) await completeAsync(request);
}

/**
 * {@link allReduceArray} that keeps the event loop running while it waits. Do not start other collectives until
 * it resolves.
 *
 * @param array - this rank's values; not modified.
 * @param op - the reduction (default `'SUM'`).
 * @param group - reduce within this group only.
 * @returns a new array with the reduced values.
 * @throws {@link DistributedJobError} when a rank is lost or failed, or after the collective timeout.
 */
export async function allReduceArrayAsync<T extends CollectiveArray>(array: T, op: ReduceOp = 'SUM', group?: GroupLike): Promise<T> {
  const out = array.slice() as T;
  const g = resolveGroup(group);
  if (g === null) return out;
  const request = callAddon((a) => (a.startAllReduce === undefined ? (a.allReduce(out, op, g), null) : a.startAllReduce(out, op, g)));
  if (request !== null) await completeAsync(request);
  return out;
}

/**
 * Reduces a typed array across ranks. Serial: returns a copy.
 *
 * @param array - this rank's values; not modified.
 * @param op - the reduction (default `'SUM'`).
 * @param group - reduce within this group only ({@link newGroup}, or a list of ranks); on ranks outside it the
 *   array is returned unchanged (a copy).
 * @returns a new array of the same type with the reduced values (the same on every rank of the group).
 */
export function allReduceArray<T extends CollectiveArray>(array: T, op: ReduceOp = 'SUM', group?: GroupLike): T {
  const out = array.slice() as T;
  const g = resolveGroup(group);
  if (g === null) return out;
  return callAddon((a) => (g === undefined ? a.allReduce(out, op) : a.allReduce(out, op, g))) ?? out;
}

/**
 * Gathers a typed array of the same length from every rank, in rank order. Serial: returns a copy.
 *
 * @param array - this rank's values.
 * @param group - gather within this group only (ranks outside it get a copy of their own array).
 * @returns a new array of `groupSize * array.length` elements (`worldSize` without a group).
 */
export function allGatherArray<T extends CollectiveArray>(array: T, group?: GroupLike): T {
  const g = resolveGroup(group);
  if (g === null) return array.slice() as T;
  return callAddon((a) => (g === undefined ? a.allGather(array) : a.allGather(array, g))) ?? (array.slice() as T);
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
  return callAddon((a) => a.broadcast(out, src)) ?? out;
}

/**
 * Terminates every rank of the job with `code` (MPI_Abort), so that a failure on one rank does not leave the
 * others waiting in a collective forever. With `message`, every other rank first receives it over kindling's
 * liveness channel, prints it, and its pending collective throws a {@link DistributedJobError} quoting it.
 * Serial: does nothing.
 *
 * @param code - the exit code.
 * @param message - why (e.g. this rank's error), shown on every rank.
 * @returns nothing.
 */
export function abortJob(code = 1, message?: string): void {
  const addon = activeAddon();
  if (message === undefined) addon?.abort(code);
  else addon?.abort(code, message);
}

/**
 * A subset of the ranks on which collectives can run (Ignite's `idist.new_group`, torch's `ProcessGroup`): an MPI
 * communicator of those ranks. Pass it as the `group` of {@link allReduce}, {@link allGather},
 * {@link allReduceArray}, {@link allGatherArray} or {@link allGatherTensorsWithShapes}.
 *
 */
export class ProcessGroup {
  /** The ranks of the group, in group order (rank `ranks[i]` is the group's rank i). */
  readonly ranks: readonly number[];
  /** Whether this process belongs to the group. */
  readonly isMember: boolean;
  /** @internal The addon's handle of the communicator (undefined when serial or not a member). */
  readonly handle: number | undefined;

  /** @internal */
  constructor(ranks: readonly number[], isMember: boolean, handle: number | undefined) {
    this.ranks = ranks;
    this.isMember = isMember;
    this.handle = handle;
  }
}

/** A group: a {@link ProcessGroup}, or the list of its ranks (a group is then made, once, for that list). */
export type GroupLike = ProcessGroup | readonly number[];

const groupCache = new Map<string, ProcessGroup>();
onFinalize(() => groupCache.clear());

/**
 * Makes a group of ranks for collectives on a subset of the job (Ignite's `idist.new_group`). Like torch's
 * `new_group`, it is a collective: every rank of the job must call it, with the same ranks, in the same order.
 *
 * @param ranks - distinct ranks of the job.
 * @returns the group (also on the ranks that are not in it: their collectives on it return their input).
 * @throws RangeError when a rank is not an integer in [0, worldSize) or appears twice.
 * @example
 * ```ts
 * const evens = newGroup([0, 2]);
 * const sum = allReduce(getRank(), 'SUM', evens); // 0 + 2 on ranks 0 and 2; the rank itself elsewhere
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.new_group
 */
export function newGroup(ranks: readonly number[]): ProcessGroup {
  const world = getWorldSize();
  if (!(ranks instanceof Array) || ranks.length === 0) {
    throw new RangeError(`Argument ranks should be a non-empty list of ranks, but given ${JSON.stringify(ranks)}`);
  }
  const bad = ranks.find((r, i) => !Number.isInteger(r) || r < 0 || r >= world || ranks.indexOf(r) !== i);
  if (bad !== undefined) {
    throw new RangeError(`Argument ranks should hold distinct ranks in [0, ${world}), but given [${ranks.join(', ')}] (${bad})`);
  }
  const isMember = ranks.includes(getRank());
  const handle = callAddon((a) => {
    if (a.newGroup === undefined) throw new DistributedUnavailableError('this MPI addon has no groups: rebuild it (node scripts/build-native.mjs mpi)');
    return a.newGroup(Int32Array.from(ranks));
  });
  return new ProcessGroup([...ranks], isMember, handle === null || handle < 0 ? undefined : handle);
}

/**
 * The ranks of `group` (every rank without one), or null when this rank is not in it.
 *
 * @param group - the group.
 * @returns the ranks, or null.
 * @internal
 */
export function resolveGroupRanks(group: GroupLike | undefined): readonly number[] | null {
  if (group === undefined) return Array.from({ length: getWorldSize() }, (_, i) => i);
  if (group instanceof ProcessGroup) return group.isMember ? group.ranks : null;
  resolveGroup(group); // makes (and caches) the group of this list
  const g = groupCache.get(group.join(','));
  return g === undefined || !g.isMember ? null : g.ranks;
}

/** The addon handle for `group`: undefined for the whole job, null when this rank is not in the group. */
function resolveGroup(group: GroupLike | undefined): number | undefined | null {
  if (group === undefined) return undefined;
  let g: ProcessGroup;
  if (group instanceof ProcessGroup) g = group;
  else if (Array.isArray(group) && group.every((r) => Number.isInteger(r))) {
    const key = group.join(',');
    g = groupCache.get(key) ?? newGroup(group);
    groupCache.set(key, g);
  } else {
    throw new TypeError(`Argument group should be a list of int or a ProcessGroup, but given ${typeof group}`);
  }
  if (!g.isMember) return null;
  return g.handle;
}
