/**
 * @module Internal base of the similarity and information metrics: a sum kept on the device plus a count of
 * samples (or batches), both reduced across ranks in `compute()` like Ignite's `@sync_all_reduce`. Not part of the
 * public API.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { Metric } from '../metric.js';
import { syncedNumber, syncedSum, type SyncedState } from '../internal/sync.js';
import { DeviceSum, describeValue, fmtShape, toTensor } from '../internal/tensors.js';

/**
 * What one batch adds: a tensor to the running sum, and a number to the count.
 *
 */
export interface BatchPart {
  /** Added to the running sum (same shape on every batch). */
  sum: tf.Tensor;
  /** Added to the count (0 skips the batch). */
  count: number;
}

/**
 * A metric whose state is one device sum and one count.
 *
 * @example
 * ```ts
 * class MeanValue extends SummedMetric {
 *   protected batch(output: unknown): BatchPart { const x = floatPair(output, 'MeanValue')[0]; return { sum: tf.sum(x), count: x.size }; }
 *   compute(): number { return (this.readSum() as number) / this.countOrThrow('examples'); }
 * }
 * ```
 */
export abstract class SummedMetric<TResult = number> extends Metric<TResult> {
  /** The running sum (not `sum`: every Metric has a `sum()` composition method). */
  protected readonly total = new DeviceSum();
  /** The number of samples (or batches) seen. */
  protected count = 0;

  /** Ignite's `@sync_all_reduce` on the sum and the count. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.total), syncedNumber(() => this.count, (v) => { this.count = v; })];
  }

  /** Clears the sum and the count. */
  reset(): void {
    this.total.reset();
    this.count = 0;
  }

  /**
   * The batch's contribution (called inside `tf.tidy`).
   *
   * @param output - the (transformed) engine output.
   * @returns the sum and count to add.
   */
  protected abstract batch(output: unknown): BatchPart;

  /**
   * Adds one batch on the device.
   *
   * @param output - usually `[yPred, y]`.
   * @returns nothing.
   */
  update(output: unknown): void {
    let n = 0;
    this.total.add(() => {
      const part = this.batch(output);
      n = part.count;
      return part.sum;
    });
    this.count += n;
  }

  /**
   * The count, checked to be positive.
   *
   * @param what - `'example'` or `'batch'`, for the error message.
   * @returns the count.
   * @throws NotComputableError when nothing was counted since the last reset.
   */
  protected countOrThrow(what: 'example' | 'batch'): number {
    if (this.count === 0) {
      throw new NotComputableError(`${this.constructor.name} must have at least one ${what} before it can be computed.`);
    }
    return this.count;
  }
}

/**
 * Converts `[yPred, y]` to two float32 tensors (call inside `tf.tidy`).
 *
 * @param output - `[yPred, y]`.
 * @param metric - the metric's name for errors.
 * @returns the two tensors.
 * @throws TypeError when the output is not a pair of tensor-likes.
 */
export function floatPair(output: unknown, metric: string): [tf.Tensor, tf.Tensor] {
  if (!Array.isArray(output) || output.length < 2) {
    throw new TypeError(`${metric}.update expects [yPred, y] (or { yPred, y }), but given ${describeValue(output)}.`);
  }
  return [tf.cast(toTensor(output[0], 'y_pred'), 'float32'), tf.cast(toTensor(output[1], 'y'), 'float32')];
}

/**
 * Ignite's "same shape" check.
 *
 * @param a - first tensor.
 * @param b - second tensor.
 * @param names - the two names in the message.
 * @returns nothing.
 * @throws RangeError when the shapes differ.
 */
export function checkSameShape(a: tf.Tensor, b: tf.Tensor, names: [string, string]): void {
  if (fmtShape(a.shape) !== fmtShape(b.shape)) {
    throw new RangeError(`${names[0]} and ${names[1]} must be in the same shape, got ${fmtShape(a.shape)} != ${fmtShape(b.shape)}.`);
  }
}

/**
 * Flattens every axis after the first: `(B, ...)` → `(B, D)`.
 *
 * @param t - a tensor of rank >= 2.
 * @param name - its name for errors.
 * @returns the 2-D tensor.
 * @throws RangeError for rank < 2.
 */
export function flattenSamples(t: tf.Tensor, name: string): tf.Tensor2D {
  if (t.rank < 2) throw new RangeError(`${name} must be in the shape of (B, ...), got ${fmtShape(t.shape)}.`);
  return tf.reshape<tf.Rank.R2>(t, [t.shape[0] ?? 0, -1]);
}
