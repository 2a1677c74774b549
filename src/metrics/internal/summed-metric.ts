/**
 * @module Internal base of the metrics whose state is one sum kept on the device plus a count of samples (or
 * batches), both reduced across ranks in `compute()` like Ignite's `@sync_all_reduce`: the similarity metrics,
 * SampleAverage, R2Score, SumRegression, PSNR, SSIM and (by composition, since it extends InceptionMetric)
 * InceptionScore. Not part of the public API.
 */

import type * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../../errors.js';
import { Metric } from '../metric.js';
import { syncedNumber, syncedSum, type SyncedState } from './sync.js';
import { DeviceSum } from './tensors.js';

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
 * The state itself: one device sum and one count. {@link SummedMetric} is built on it; a metric that already
 * extends another base keeps one as a field.
 *
 */
export class SumAndCount {
  /** The running sum. */
  readonly total = new DeviceSum();
  /** The number of samples (or batches) seen. */
  count = 0;

  /** Ignite's `@sync_all_reduce` on the sum and the count. @returns the declarations (sum first, then count). */
  synced(): SyncedState[] {
    return [syncedSum(this.total), syncedNumber(() => this.count, (v) => { this.count = v; })];
  }

  /** Clears the sum and the count. */
  reset(): void {
    this.total.reset();
    this.count = 0;
  }

  /**
   * Adds one batch on the device; the count only grows when `batch` succeeds.
   *
   * @param batch - returns the batch's contribution (run inside `tf.tidy`).
   * @returns nothing.
   */
  add(batch: () => BatchPart): void {
    let n = 0;
    this.total.add(() => {
      const part = batch();
      n = part.count;
      return part.sum;
    });
    this.count += n;
  }

  /**
   * The count, checked to be positive.
   *
   * @param metric - the metric's name, for the error message.
   * @param what - `'example'` or `'batch'`, for the error message.
   * @returns the count.
   * @throws NotComputableError when nothing was counted since the last reset.
   */
  countOrThrow(metric: string, what: 'example' | 'batch'): number {
    if (this.count === 0) {
      throw new NotComputableError(`${metric} must have at least one ${what} before it can be computed.`);
    }
    return this.count;
  }
}

/**
 * A metric whose state is one device sum and one count.
 *
 * @example
 * ```ts
 * class MeanValue extends SummedMetric {
 *   protected batch(output: unknown): BatchPart { const x = floatPair(output, 'MeanValue')[0]; return { sum: tf.sum(x), count: x.size }; }
 *   compute(): number { const n = this.countOrThrow('example'); return (this.total.read() as number) / n; }
 * }
 * ```
 */
export abstract class SummedMetric<TResult = number> extends Metric<TResult> {
  readonly #state = new SumAndCount();

  /** The running sum (not `sum`: every Metric has a `sum()` composition method). */
  protected get total(): DeviceSum {
    return this.#state.total;
  }

  /** The number of samples (or batches) seen (all ranks inside `compute()`). */
  protected get count(): number {
    return this.#state.count;
  }

  /** Ignite's `@sync_all_reduce` on the sum and the count. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return this.#state.synced();
  }

  /** Clears the sum and the count. */
  reset(): void {
    this.#state.reset();
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
    this.#state.add(() => this.batch(output));
  }

  /**
   * The count, checked to be positive.
   *
   * @param what - `'example'` or `'batch'`, for the error message.
   * @param metric - the name in the error message (default: the class name).
   * @returns the count.
   * @throws NotComputableError when nothing was counted since the last reset.
   */
  protected countOrThrow(what: 'example' | 'batch', metric: string = this.constructor.name): number {
    return this.#state.countOrThrow(metric, what);
  }
}
