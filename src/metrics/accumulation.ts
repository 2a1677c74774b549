/**
 * @module Port of ignite/metrics/accumulation.py: VariableAccumulation, Average and GeometricAverage.
 * Deviations: the accumulator is a float32 tensor on the device (Ignite: float64); results are numbers or
 * nested arrays; `VariableAccumulation.compute()` returns `[value, numExamples]`.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { Metric, type MetricOptions } from './metric.js';
import { describeValue, isTensor, readTensor, type NestedNumbers } from './internal/tensors.js';
import { syncedNumber, type SyncedState } from './internal/sync.js';

/**
 * An accumulation step: returns the new accumulator from the old one and a batch output.
 *
 */
export type AccumulationOp = (accumulator: tf.Tensor, output: tf.Tensor) => tf.Tensor;

/**
 * Shared machinery of the accumulation metrics: `accumulator = op(accumulator, output)` on the device, starting
 * from 0, and an example count (a tensor with rank > 1 counts `shape[0]` examples; anything else counts one).
 *
 */
export abstract class Accumulation<TResult> extends Metric<TResult> {
  override requiredOutputKeys: readonly string[] | null = null;
  readonly #op: AccumulationOp;
  #accumulator: tf.Tensor | null = null;
  /** Number of examples accumulated since the last reset. */
  protected numExamples = 0;

  /**
   * @param op - the accumulation step.
   * @param options - the common metric options.
   * @throws TypeError when `op` is not a function.
   */
  constructor(op: AccumulationOp, options: MetricOptions = {}) {
    super(options);
    if (typeof op !== 'function') throw new TypeError(`Argument op should be a callable, but given ${typeof op}`);
    this.#op = op;
  }

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [{ op: 'SUM', get: () => this.#accumulator, set: (v) => { this.#accumulator = v instanceof tf.Tensor ? v : null; } }, syncedNumber(() => this.numExamples, (v) => { this.numExamples = v; })];
  }

  /** Disposes the accumulator. */
  reset(): void {
    this.#accumulator?.dispose();
    this.#accumulator = null;
    this.numExamples = 0;
  }

  /**
   * Applies the accumulation step to one output.
   *
   * @param output - a number or a tensor.
   * @returns nothing.
   * @throws TypeError when the output is neither.
   */
  update(output: unknown): void {
    if (!(typeof output === 'number' || isTensor(output))) {
      throw new TypeError(`Output should be a number or tf.Tensor, but given ${describeValue(output)}`);
    }
    const prev = this.#accumulator;
    this.#accumulator = tf.keep(
      tf.tidy(() => {
        const x = typeof output === 'number' ? tf.scalar(output) : tf.cast(output, 'float32');
        return this.#op(prev ?? tf.scalar(0), x);
      }),
    );
    prev?.dispose();
    this.numExamples += isTensor(output) && output.rank > 1 ? (output.shape[0] ?? 0) : 1;
  }

  /**
   * Reads `fn(accumulator / numExamples)` once.
   *
   * @param fn - applied on the device to the mean.
   * @returns the value.
   * @throws {@link NotComputableError} before any update.
   */
  protected readMean(fn: (mean: tf.Tensor) => tf.Tensor): number | NestedNumbers {
    const acc = this.#accumulator;
    if (this.numExamples < 1 || acc === null) {
      throw new NotComputableError(`${this.constructor.name} must have at least one example before it can be computed.`);
    }
    const n = this.numExamples;
    return tf.tidy(() => {
      const t = fn(tf.div(acc, n));
      return t.size === 1 ? (t.dataSync()[0] ?? Number.NaN) : readTensor(t);
    });
  }

  /** @returns the accumulator read back (0 before any update). */
  protected readAccumulator(): number | NestedNumbers {
    return this.#accumulator ? readTensor(this.#accumulator) : 0;
  }
}

/**
 * Accumulates any quantity with a custom step `op(accumulator, output)`; `compute()` returns
 * `[accumulator, numExamples]`.
 *
 * @example
 * ```ts
 * const sumOfSquares = new VariableAccumulation((a, x) => tf.add(a, tf.sum(tf.square(x))));
 * sumOfSquares.update(tf.tensor([1, 2]));
 * sumOfSquares.compute(); // [5, 1]
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.VariableAccumulation.html
 */
export class VariableAccumulation extends Accumulation<[number | NestedNumbers, number]> {
  /**
   * @param op - the accumulation step.
   * @param options - the common metric options.
   * @throws TypeError when `op` is not a function.
   */
  constructor(op: AccumulationOp, options: MetricOptions = {}) {
    super(op, options);
  }

  /** @returns `[accumulator, numExamples]` (one device read). */
  compute(): [number | NestedNumbers, number] {
    return [this.readAccumulator(), this.numExamples];
  }
}

/**
 * Arithmetic mean of the outputs: numbers, or tensors (rank > 1 tensors are summed over their first axis and count
 * `shape[0]` examples, so the result is per feature; a rank-1 tensor counts as one example).
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Average.html
 */
export class Average extends Accumulation<number | NestedNumbers> {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super((a, x) => tf.add(a, x.rank > 1 ? tf.sum(x, 0) : x), options);
  }

  /**
   * @returns the mean (a number, or nested arrays for vector outputs).
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number | NestedNumbers {
    return this.readMean((m) => m);
  }
}

/**
 * Geometric mean of the outputs: `exp(mean(log(x)))`, with the same example counting as {@link Average}.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.GeometricAverage.html
 */
export class GeometricAverage extends Accumulation<number | NestedNumbers> {
  /** @param options - the common metric options. */
  constructor(options: MetricOptions = {}) {
    super((a, x) => {
      const logs = tf.log(x);
      return tf.add(a, logs.rank > 1 ? tf.sum(logs, 0) : logs);
    }, options);
  }

  /**
   * @returns the geometric mean (a number when it has one element).
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number | NestedNumbers {
    return this.readMean((m) => tf.exp(m));
  }
}
