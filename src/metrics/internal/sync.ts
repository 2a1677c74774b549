/**
 * @module Ignite's `@sync_all_reduce` for kindling metrics: the state a metric declares (numbers and kept tensors,
 * each with a reduction) is all-reduced across ranks around `compute()`, and the local values are restored after.
 * Two small collectives per `compute()`: one for the sizes / shapes / dtypes (so a rank that saw no batch can
 * still take part), one per reduction op for the values (as float64, so int32 counts stay exact).
 */

import * as tf from '@tensorflow/tfjs-core';
import { type ReduceOp } from '../../distributed/context.js';
import { allReduceArray } from '../../distributed/comm.js';
import type { DeviceSum } from './tensors.js';

/**
 * One piece of a metric's state that `compute()` reduces across ranks when the world size is above 1.
 *
 */
export interface SyncedState {
  /** How the ranks' values combine. */
  readonly op: ReduceOp;
  /** The current local value: a number, a kept tensor, or null (no value yet on this rank). */
  get(): number | tf.Tensor | null;
  /** Replaces the value (the reduced one before `compute()`, the local one after); must not dispose. */
  set(value: number | tf.Tensor | null): void;
}

/**
 * A synced number field.
 *
 * @param get - reads the field.
 * @param set - writes the field.
 * @param op - the reduction (default SUM).
 * @returns the declaration.
 */
export function syncedNumber(get: () => number, set: (v: number) => void, op: ReduceOp = 'SUM'): SyncedState {
  return { op, get, set: (v) => set(typeof v === 'number' ? v : 0) };
}

/**
 * A synced {@link DeviceSum}.
 *
 * @param sum - the running sum.
 * @param op - the reduction (default SUM).
 * @returns the declaration.
 */
export function syncedSum(sum: DeviceSum, op: ReduceOp = 'SUM'): SyncedState {
  return { op, get: () => sum.tensor, set: (v) => sum.swap(v instanceof tf.Tensor ? v : null) };
}

const IDENTITY: Record<ReduceOp, number> = { SUM: 0, PRODUCT: 1, MIN: Infinity, MAX: -Infinity, AND: 1, OR: 0 };
const MAX_RANK = 6;
const HEADER = 3 + MAX_RANK; // kind (0 none, 1 number, 2 tensor), dtype (0 float32, 1 int32), rank, dims...

/**
 * Reduces the declared state across ranks, runs `compute`, and restores the local state (Ignite's semantics:
 * repeated `compute()` calls are safe and the per-rank state never changes). Every rank must call it.
 *
 * @param fields - the metric's declared state.
 * @param compute - the metric's own compute.
 * @returns what `compute` returns.
 * @internal
 */
export function withReducedState<R>(fields: readonly SyncedState[], compute: () => R): R {
  const locals = fields.map((f) => f.get());
  const header = new Float64Array(fields.length * HEADER);
  locals.forEach((v, i) => {
    const h = header.subarray(i * HEADER, (i + 1) * HEADER);
    if (typeof v === 'number') h.set([1, 0, 0]);
    else if (v instanceof tf.Tensor) {
      if (v.rank > MAX_RANK) throw new RangeError(`Metric state of rank ${v.rank} cannot be reduced (at most ${MAX_RANK})`);
      h.set([2, v.dtype === 'float32' ? 0 : 1, v.rank, ...v.shape]);
    }
  });
  const agreed = allReduceArray(header, 'MAX');
  const reduced: (number | tf.Tensor | null)[] = [];
  const created: tf.Tensor[] = [];
  const ops = [...new Set(fields.map((f) => f.op))];
  for (const op of ops) {
    const idx = fields.map((f, i) => (f.op === op ? i : -1)).filter((i) => i >= 0);
    const sizes = idx.map((i) => sizeOf(agreed.subarray(i * HEADER, (i + 1) * HEADER)));
    const buf = new Float64Array(sizes.reduce((a, b) => a + b, 0)).fill(IDENTITY[op]);
    let offset = 0;
    idx.forEach((i, k) => {
      const v = locals[i];
      if (typeof v === 'number') buf[offset] = v;
      else if (v instanceof tf.Tensor) buf.set(v.dataSync(), offset);
      offset += sizes[k] ?? 0;
    });
    const out = allReduceArray(buf, op);
    offset = 0;
    idx.forEach((i, k) => {
      const h = agreed.subarray(i * HEADER, (i + 1) * HEADER);
      const n = sizes[k] ?? 0;
      if (h[0] === 1) reduced[i] = out[offset] ?? 0;
      else if (h[0] === 2) {
        const values = out.subarray(offset, offset + n);
        const shape = Array.from(h.subarray(3, 3 + (h[2] ?? 0)));
        const t = h[1] === 0 ? tf.tensor(Float32Array.from(values), shape, 'float32') : tf.tensor(Int32Array.from(values), shape, 'int32');
        created.push(t);
        reduced[i] = t;
      } else reduced[i] = null;
      offset += n;
    });
  }
  fields.forEach((f, i) => f.set(reduced[i] ?? null));
  try {
    return compute();
  } finally {
    fields.forEach((f, i) => f.set(locals[i] ?? null));
    tf.dispose(created);
  }
}

function sizeOf(h: Float64Array): number {
  if (h[0] === 1) return 1;
  if (h[0] !== 2) return 0;
  return Array.from(h.subarray(3, 3 + (h[2] ?? 0))).reduce((a, b) => a * b, 1);
}
