/**
 * @module Port of ignite/metrics/frequency.py: items per second (e.g. samples or tokens per second).
 * Deviations: `attach(engine, name, { eventName })` instead of a positional `event_name`; the default usage is
 * `SingleEpochRunningBatchWise` (Ignite's defaults: reset on EPOCH_STARTED, update and compute on
 * ITERATION_COMPLETED); a `now` option (seconds) makes timing testable; `compute()` before any update raises
 * NotComputableError (Ignite divides by zero).
 */

import * as tf from '@tensorflow/tfjs-core';
import { Events, type EventKey } from '../engine/index.js';
import { NotComputableError } from '../errors.js';
import { Metric, type AttachArg, type AttachOptions, type MetricEngine, type MetricOptions } from './metric.js';
import { MetricUsage, SingleEpochRunningBatchWise, type UsageLike } from './usage.js';

/**
 * Options of {@link Frequency}.
 *
 */
export interface FrequencyOptions extends MetricOptions {
  /** Clock in seconds. @defaultValue `() => performance.now() / 1000` */
  now?: () => number;
}

/**
 * Attach options of {@link Frequency}.
 *
 */
export interface FrequencyAttachOptions extends AttachOptions {
  /** Event on which the frequency is updated and computed (Ignite's `event_name`). */
  eventName?: EventKey;
}

/**
 * Number of items processed per second since the epoch started; the output (via `outputTransform`) is the number
 * of items in the batch.
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Frequency.html
 */
export class Frequency extends Metric<number> {
  override requiredOutputKeys: readonly string[] | null = null;
  readonly #now: () => number;
  #start: number;
  #acc = 0;
  #elapsed = 0;
  #updated = false;

  /** @param options - `now` and the common metric options. */
  constructor(options: FrequencyOptions = {}) {
    const { now = () => performance.now() / 1000, ...rest } = options;
    super(rest);
    this.#now = now;
    this.#start = now();
  }

  /** Default usage: {@link SingleEpochRunningBatchWise}. */
  protected override defaultUsage(): MetricUsage {
    return new SingleEpochRunningBatchWise();
  }

  /** Restarts the timer and the count. */
  reset(): void {
    this.#start = this.#now();
    this.#acc = 0;
    this.#elapsed = 0;
    this.#updated = false;
  }

  /**
   * Adds the batch's item count.
   *
   * @param output - a number (or scalar tensor, read back) of items.
   * @returns nothing.
   * @throws TypeError when the output is not a number.
   */
  update(output: unknown): void {
    const n = output instanceof tf.Tensor ? (output.dataSync()[0] ?? Number.NaN) : output;
    if (typeof n !== 'number') throw new TypeError(`Frequency expects a number of items, but given ${typeof output}.`);
    this.#acc += n;
    this.#elapsed = this.#now() - this.#start;
    this.#updated = true;
  }

  /**
   * @returns items per second.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): number {
    if (!this.#updated) throw new NotComputableError('Frequency must have at least one update before it can be computed.');
    return this.#acc / this.#elapsed;
  }

  /**
   * Attaches with the default usage, or updates and computes on `eventName` (reset on EPOCH_STARTED).
   *
   * @param engine - the engine.
   * @param name - the key in `state.metrics`.
   * @param options - `usage` or `eventName`.
   * @returns nothing.
   */
  override attach(engine: MetricEngine, name: string, options: FrequencyAttachOptions | UsageLike = {}): void {
    super.attach(engine, name, this.#withEvent(options));
  }

  /**
   * Detaches (same options as `attach`).
   *
   * @param engine - the engine.
   * @param options - `usage` or `eventName`.
   * @returns nothing.
   */
  override detach(engine: MetricEngine, options: FrequencyAttachOptions | UsageLike = {}): void {
    super.detach(engine, this.#withEvent(options));
  }

  #withEvent(options: FrequencyAttachOptions | UsageLike): AttachArg {
    if (typeof options === 'string' || options instanceof MetricUsage) return options;
    const { eventName, ...rest } = options;
    if (eventName === undefined) return rest;
    return { usage: new MetricUsage('frequency', Events.EPOCH_STARTED, eventName, eventName) };
  }
}
