/**
 * @module Port of ignite/metrics/loss.py: the example-weighted mean of any loss function.
 * Deviations: the loss function receives tensors and its result is accumulated on the device (float32); optional
 * loss keyword arguments come from a third output item or the `criterionKwargs` key of an object output.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { Metric, type MetricOptions } from './metric.js';
import { DeviceSum, describeValue, fmtShape, toTensor } from './internal/tensors.js';
import { syncedNumber, syncedSum, type SyncedState } from './internal/sync.js';

/**
 * A loss function: returns the batch's average loss as a scalar tensor.
 *
 */
export type LossFunction = (yPred: tf.Tensor, y: tf.Tensor, kwargs?: Record<string, unknown>) => tf.Tensor;

/**
 * Options of {@link Loss}.
 *
 */
export interface LossOptions extends MetricOptions {
  /** Number of examples in a batch, from `y`. @defaultValue `(y) => y.shape[0]` */
  batchSize?: (y: tf.Tensor) => number;
}

/**
 * The average loss over all examples: each batch's average loss is weighted by its batch size.
 * Output: `[yPred, y]`, `[yPred, y, kwargs]`, or `{ yPred, y, criterionKwargs? }`.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Loss.html
 */
export class Loss extends Metric<number> {
  protected override optionalOutputKeys: readonly string[] = ['criterionKwargs'];
  readonly #lossFn: LossFunction;
  readonly #batchSize: (y: tf.Tensor) => number;
  readonly #sum = new DeviceSum();
  #numExamples = 0;

  /**
   * @param lossFn - computes the batch's average loss (a scalar tensor).
   * @param options - `batchSize` and the common metric options.
   * @throws TypeError when `lossFn` is not a function.
   */
  constructor(lossFn: LossFunction, options: LossOptions = {}) {
    const { batchSize = (y: tf.Tensor) => (y.rank === 0 ? 1 : (y.shape[0] ?? 0)), ...rest } = options;
    super(rest);
    if (typeof lossFn !== 'function') throw new TypeError(`Argument lossFn should be callable, got ${typeof lossFn}`);
    this.#lossFn = lossFn;
    this.#batchSize = batchSize;
  }

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#sum), syncedNumber(() => this.#numExamples, (v) => { this.#numExamples = v; })];
  }

  /** Clears the sum. */
  reset(): void {
    this.#sum.reset();
    this.#numExamples = 0;
  }

  /**
   * Adds `lossFn(yPred, y) * batchSize(y)` on the device.
   *
   * @param output - `[yPred, y]` or `[yPred, y, kwargs]`.
   * @returns nothing.
   * @throws RangeError when the loss is not a scalar ("lossFn did not return the average loss.").
   */
  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`Loss.update expects [yPred, y] or [yPred, y, kwargs], but given ${describeValue(output)}.`);
    }
    let n = 0;
    this.#sum.add(() => {
      const yPred = toTensor(output[0], 'yPred');
      const y = toTensor(output[1], 'y');
      const kwargs = output[2] as Record<string, unknown> | undefined;
      const loss = kwargs === undefined ? this.#lossFn(yPred, y) : this.#lossFn(yPred, y, kwargs);
      if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
        const got = loss instanceof tf.Tensor ? `a tensor of shape ${fmtShape(loss.shape)}` : typeof loss;
        throw new RangeError(`lossFn did not return the average loss: expected a scalar tensor, got ${got}.`);
      }
      n = this.#batchSize(y);
      return tf.mul(tf.cast(loss, 'float32'), n);
    });
    this.#numExamples += n;
  }

  /**
   * Reads the sum once.
   *
   * @returns the example-weighted average loss.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    if (this.#numExamples === 0) {
      throw new NotComputableError('Loss must have at least one example before it can be computed.');
    }
    return (this.#sum.read() as number) / this.#numExamples;
  }
}
