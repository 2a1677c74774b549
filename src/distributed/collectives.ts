/**
 * @module Port of Ignite's `idist.all_reduce`, `all_gather` and `broadcast` for the values a TypeScript program
 * holds: numbers, arrays of numbers, strings, typed arrays and TF.js tensors.
 * Deviations: the results are new values (tensors are new tensors owned by the caller; inputs are never modified,
 * while torch reduces tensors in place); float32 tensors travel as float32, int32 and bool tensors as int32,
 * numbers as float64; `allGather` of tensors with different first dimensions is supported (Ignite's
 * `all_gather_tensors_with_shapes`), the other dimensions must match.
 */

import * as tf from '@tensorflow/tfjs-core';
import { getRank, getWorldSize, type CollectiveArray, type ReduceOp } from './context.js';
import { allGatherArray, allReduceArray, broadcastArray, resolveGroupRanks, type GroupLike } from './comm.js';

/**
 * A value the collectives accept.
 *
 */
export type Collectible = number | readonly number[] | CollectiveArray | tf.Tensor;

const OPS: readonly string[] = ['SUM', 'PRODUCT', 'MIN', 'MAX', 'AND', 'OR'];

function checkOp(op: string): void {
  if (!OPS.includes(op)) throw new RangeError(`Unsupported all reduce op: '${op}'. Use one of ${OPS.join(', ')}`);
}

function tensorBuffer(t: tf.Tensor): Float32Array | Int32Array {
  if (t.dtype === 'float32') return t.dataSync() as Float32Array;
  if (t.dtype === 'int32' || t.dtype === 'bool') return Int32Array.from(t.dataSync());
  throw new TypeError(`Collectives support float32, int32 and bool tensors, but given a ${t.dtype} tensor`);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/**
 * Reduces a value across ranks (Ignite's `idist.all_reduce`); serial: returns it unchanged (tensors: a clone).
 *
 * @param value - a number, number[], typed array or tensor (float32, int32 or bool).
 * @param op - `'SUM'` (default), `'PRODUCT'`, `'MIN'`, `'MAX'`, `'AND'` or `'OR'`.
 * @param group - reduce within a group ({@link newGroup}, or a list of ranks); ranks outside it get their value
 *   back (tensors: a clone).
 * @returns the reduced value, of the same kind (a new tensor owned by the caller for tensors).
 * @throws RangeError for an unknown op; TypeError for an unsupported value.
 * @example
 * ```ts
 * const total = allReduce(localCount);                 // number
 * const avg = tf.div(allReduce(grad), getWorldSize()); // tensor
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.all_reduce
 */
export function allReduce<T extends Collectible>(value: T, op?: ReduceOp, group?: GroupLike): T extends tf.Tensor ? tf.Tensor : T;
export function allReduce(value: Collectible, op: ReduceOp = 'SUM', group?: GroupLike): Collectible {
  checkOp(op);
  if (value instanceof tf.Tensor) {
    if (getWorldSize() === 1) return tf.clone(value);
    const reduced = allReduceArray(tensorBuffer(value), op, group);
    return tf.tensor(reduced, value.shape, value.dtype);
  }
  if (typeof value === 'number') return allReduceArray(new Float64Array([value]), op, group)[0] ?? Number.NaN;
  if (Array.isArray(value)) return Array.from(allReduceArray(Float64Array.from(value as number[]), op, group));
  if (ArrayBuffer.isView(value)) return allReduceArray(value, op, group);
  throw new TypeError(`allReduce supports numbers, number arrays, typed arrays and tensors, but given ${describe(value)}`);
}

/**
 * Gathers a value from every rank, in rank order (Ignite's `idist.all_gather`). Serial: `[value]` for numbers and
 * strings, the value itself (a clone for tensors) otherwise.
 *
 * @param value - a number, string, number[], typed array or tensor.
 * @param group - gather within a group ({@link newGroup}, or a list of ranks): one entry per group rank; a rank
 *   outside it gets what it would get alone (Ignite: "the very tensor is returned").
 * @returns numbers / strings: an array with one entry per rank; arrays: the concatenation of every rank's array
 *   (lengths may differ); tensors: the concatenation along axis 0 (first dimensions may differ), a new tensor.
 * @throws TypeError for an unsupported value; RangeError when tensor shapes differ beyond axis 0.
 * @example
 * ```ts
 * const predictions = allGather(localPredictions); // (N_0 + N_1 + ..., C)
 * const hosts = allGather(os.hostname());          // ['node-a', 'node-b']
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.all_gather
 */
export function allGather(value: number, group?: GroupLike): number[];
export function allGather(value: string, group?: GroupLike): string[];
export function allGather(value: tf.Tensor, group?: GroupLike): tf.Tensor;
export function allGather<T extends CollectiveArray>(value: T, group?: GroupLike): T;
export function allGather(value: readonly number[], group?: GroupLike): number[];
export function allGather(value: Collectible | string, group?: GroupLike): unknown {
  if (typeof value === 'number') return Array.from(allGatherArray(new Float64Array([value]), group));
  if (typeof value === 'string') {
    const bytes = allGatherVarying(new TextEncoder().encode(value), group);
    const decoder = new TextDecoder();
    return bytes.map((b) => decoder.decode(b));
  }
  if (value instanceof tf.Tensor) return gatherTensor(value, group);
  if (Array.isArray(value)) return allGatherVarying(Float64Array.from(value as number[]), group).flatMap((a) => Array.from(a));
  if (ArrayBuffer.isView(value)) return concat(allGatherVarying(value, group));
  throw new TypeError(`allGather supports numbers, strings, number arrays, typed arrays and tensors, but given ${describe(value)}`);
}

function gatherTensor(t: tf.Tensor, group?: GroupLike): tf.Tensor {
  const ranks = resolveGroupRanks(group);
  if (getWorldSize() === 1 || ranks === null || ranks.length === 1) return tf.clone(t);
  const inner = t.shape.slice(1);
  const shapes = allGatherArray(Int32Array.from([t.rank, ...inner.slice(0, 7), ...Array<number>(Math.max(0, 7 - inner.length)).fill(-1)]), group);
  const mine = shapes.slice(0, 8).join(',');
  ranks.forEach((r, i) => {
    if (shapes.slice(i * 8, i * 8 + 8).join(',') !== mine) {
      throw new RangeError(`allGather of tensors needs the same shape beyond axis 0 on every rank; rank ${r} differs from rank ${getRank()} ([${t.shape.join(', ')}])`);
    }
  });
  const parts = allGatherVarying(tensorBuffer(t), group);
  const rowSize = inner.reduce((a, b) => a * b, 1);
  const rows = parts.reduce((n, p) => n + (rowSize === 0 ? 0 : p.length / rowSize), 0);
  return tf.tensor(concat(parts), t.rank === 0 ? [ranks.length] : [rows, ...inner], t.dtype);
}

/**
 * Gathers typed arrays whose lengths may differ between ranks (the lengths are gathered first).
 *
 * @param array - this rank's values.
 * @param group - the group (default: every rank).
 * @returns one array per rank, in rank order.
 * @internal
 */
export function allGatherVarying<T extends CollectiveArray>(array: T, group?: GroupLike): T[] {
  const ranks = resolveGroupRanks(group);
  if (getWorldSize() === 1 || ranks === null || ranks.length === 1) return [array.slice() as T];
  const lengths = Array.from(allGatherArray(new Float64Array([array.length]), group));
  const max = Math.max(...lengths);
  const padded = new (array.constructor as new (n: number) => T)(max);
  padded.set(array);
  const all = allGatherArray(padded, group);
  return lengths.map((n, r) => all.slice(r * max, r * max + n) as T);
}

function concat<T extends CollectiveArray>(parts: T[]): T {
  const first = parts[0];
  if (first === undefined) throw new RangeError('allGather: no parts');
  const out = new (first.constructor as new (n: number) => T)(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Options of {@link broadcast}.
 *
 */
export interface BroadcastOptions {
  /** The source rank. @defaultValue 0 */
  src?: number;
  /**
   * Ranks other than `src` may pass `null` (or any placeholder) instead of a value of the right size: the size,
   * type and shape travel first (Ignite's `safe_mode`). @defaultValue false
   */
  safeMode?: boolean;
}

/**
 * Sends the `src` rank's value to every rank (Ignite's `idist.broadcast`). Serial: returns the value (tensors: a
 * clone).
 *
 * @param value - a number, string, number[], typed array or tensor; on ranks other than `src` a value of the
 *   same kind and size, or anything with `safeMode` (strings always travel with their length).
 * @param options - `src` and `safeMode`.
 * @returns `src`'s value (a new tensor owned by the caller for tensors).
 * @throws RangeError when `src` is not a rank; TypeError for an unsupported value.
 * @example
 * ```ts
 * const seed = broadcast(getRank() === 0 ? Date.now() : 0);
 * const runName = broadcast(getRank() === 0 ? `run-${Date.now()}` : '');
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.broadcast
 */
export function broadcast<T extends Collectible | string>(value: T, options?: BroadcastOptions): T extends tf.Tensor ? tf.Tensor : T;
export function broadcast(value: Collectible | string | null, options: BroadcastOptions = {}): unknown {
  const { src = 0, safeMode = false } = options;
  const isSrc = getRank() === src;
  if (getWorldSize() === 1) {
    broadcastArray(new Uint8Array(0), src);
    return value instanceof tf.Tensor ? tf.clone(value) : value;
  }
  if (safeMode || typeof value === 'string') return broadcastSafe(isSrc ? value : null, src);
  if (typeof value === 'number') return broadcastArray(new Float64Array([value]), src)[0];
  if (value instanceof tf.Tensor) return tf.tensor(broadcastArray(tensorBuffer(value), src), value.shape, value.dtype);
  if (Array.isArray(value)) return Array.from(broadcastArray(Float64Array.from(value as number[]), src));
  if (ArrayBuffer.isView(value)) return broadcastArray(value, src);
  throw new TypeError(`broadcast supports numbers, strings, number arrays, typed arrays and tensors, but given ${describe(value)}`);
}

/** Broadcasts the kind, shape and bytes first, so non-source ranks need no placeholder of the right size. */
function broadcastSafe(value: Collectible | string | null, src: number): unknown {
  const header = value === null ? '' : JSON.stringify(headerOf(value));
  const h = broadcastBytes(new TextEncoder().encode(header), src);
  const meta = JSON.parse(new TextDecoder().decode(h)) as { kind: string; shape?: number[]; dtype?: tf.DataType; ctor?: string };
  const payload = broadcastBytes(value === null ? new Uint8Array(0) : bytesOf(value), src);
  const buffer = payload.slice().buffer;
  switch (meta.kind) {
    case 'string': return new TextDecoder().decode(payload);
    case 'number': return new Float64Array(buffer)[0];
    case 'array': return Array.from(new Float64Array(buffer));
    case 'tensor': return tf.tensor(meta.dtype === 'float32' ? new Float32Array(buffer) : new Int32Array(buffer), meta.shape, meta.dtype);
    default: return new (globalThis as unknown as Record<string, new (b: ArrayBuffer) => unknown>)[meta.ctor ?? 'Uint8Array']!(buffer);  
  }
}

function headerOf(value: Collectible | string): object {
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'number') return { kind: 'number' };
  if (value instanceof tf.Tensor) return { kind: 'tensor', shape: value.shape, dtype: value.dtype === 'bool' ? 'int32' : value.dtype };
  if (Array.isArray(value)) return { kind: 'array' };
  return { kind: 'typed', ctor: (value as CollectiveArray).constructor.name };
}

function bytesOf(value: Collectible | string): Uint8Array {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (typeof value === 'number') return new Uint8Array(new Float64Array([value]).buffer);
  if (value instanceof tf.Tensor) return new Uint8Array(tensorBuffer(value).slice().buffer);
  if (Array.isArray(value)) return new Uint8Array(Float64Array.from(value as number[]).buffer);
  const v = value as CollectiveArray;
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
}

function broadcastBytes(bytes: Uint8Array, src: number): Uint8Array {
  const n = broadcastArray(new Float64Array([bytes.length]), src)[0] ?? 0;
  const buf = new Uint8Array(n);
  if (getRank() === src) buf.set(bytes);
  return broadcastArray(buf, src);
}
