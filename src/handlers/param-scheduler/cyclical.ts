/**
 * @module Port of ignite/handlers/param_scheduler.py `CyclicalScheduler`, `LinearCyclicalScheduler` and
 * `CosineAnnealingScheduler`, including the cyclic warm-up (`warmup_duration`) and `monotonic` options.
 *
 * Deviations: options are one object after `(target, paramName)`; see ./base.ts for the target and history notes.
 */

import { ParamScheduler, scratchTarget, simulate, type SchedulerOptions, type SimulatedValue } from './base.js';
import type { ParamTargetLike } from './target.js';

/** Options of the cyclical schedulers. */
export interface CyclicalSchedulerOptions extends SchedulerOptions {
  /** Value at the start of each cycle. */
  startValue: number;
  /** Value at the middle (linear) or the end (cosine, monotonic linear) of each cycle. */
  endValue: number;
  /** Length of a cycle in events, at least 2. */
  cycleSize: number;
  /** Ratio by which the cycle size (and warm-up) changes at the end of each cycle. @defaultValue 1 */
  cycleMult?: number;
  /** Ratio by which `startValue` changes at the end of each cycle. @defaultValue 1 */
  startValueMult?: number;
  /** Ratio by which `endValue` changes at the end of each cycle. @defaultValue 1 */
  endValueMult?: number;
  /**
   * Events of linear warm-up before each next cycle, from the last cycle's end value to the next start value.
   * @defaultValue 0
   */
  warmupDuration?: number;
}

/** Options of {@link LinearCyclicalScheduler}. */
export interface LinearCyclicalSchedulerOptions extends CyclicalSchedulerOptions {
  /** Schedule only one half of the cycle (start to end), required with `warmupDuration > 0`. @defaultValue false */
  monotonic?: boolean;
}

/**
 * Base of the schedulers that repeat a cycle of `cycleSize` events, optionally growing cycles and scaling values.
 *
 * @remarks
 * When bound to an `ITERATION_*` event, `cycleSize` is usually the number of batches in an epoch.
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.CyclicalScheduler.html
 */
export abstract class CyclicalScheduler extends ParamScheduler {
  /** Value at the start of the current cycle. */
  startValue: number;
  /** End (or middle) value of the current cycle. */
  endValue: number;
  /** Length of the current cycle. */
  cycleSize: number;
  /** Cycle size multiplier. */
  cycleMult: number;
  /** Index of the current cycle (0-based). */
  cycle = 0;
  /** Start value multiplier. */
  startValueMult: number;
  /** End value multiplier. */
  endValueMult: number;
  /** Warm-up events before the next cycle. */
  warmupDuration: number;
  /** `warmupDuration + cycleSize`. */
  totalCycleSize: number;

  /**
   * @param target - a tf.js optimizer or a {@link ParamTarget}.
   * @param paramName - the parameter's name (`'lr'` for an optimizer).
   * @param options - cycle options.
   * @throws RangeError when `cycleSize < 2` or `warmupDuration < 0`.
   */
  constructor(target: ParamTargetLike, paramName: string, options: CyclicalSchedulerOptions) {
    super(target, paramName, options);
    const { startValue, endValue, cycleSize } = options;
    for (const [name, v] of [['start_value', startValue], ['end_value', endValue], ['cycle_size', cycleSize]] as const) {
      if (typeof v !== 'number') throw new TypeError(`Argument ${name} should be a number, but given ${typeof v}`);
    }
    if (!(cycleSize >= 2)) {
      throw new RangeError(`Argument cycleSize should be positive and larger than 1, but given ${cycleSize}`);
    }
    const warmup = options.warmupDuration ?? 0;
    if (!Number.isInteger(warmup) || warmup < 0) {
      throw new RangeError(`Argument warmupDuration should be a non-negative integer, but given ${warmup}`);
    }
    this.startValue = startValue;
    this.endValue = endValue;
    this.cycleSize = cycleSize;
    this.cycleMult = options.cycleMult ?? 1;
    this.startValueMult = options.startValueMult ?? 1;
    this.endValueMult = options.endValueMult ?? 1;
    this.warmupDuration = warmup;
    this.totalCycleSize = warmup + cycleSize;
    this.stateAttrs.push(
      'startValue',
      'endValue',
      'cycleSize',
      'cycleMult',
      'cycle',
      'startValueMult',
      'endValueMult',
      'warmupDuration',
      'totalCycleSize',
    );
  }

  /**
   * Advances the cycle bookkeeping (scaling values and restarting at cycle ends), then sets the value.
   *
   * @param engine - the engine, or `null` when simulating.
   * @param name - the history key.
   */
  override handle(engine: Parameters<ParamScheduler['handle']>[0], name: string | null = null): void {
    if (this.eventIndex !== 0 && this.eventIndex === this.cycleSize) {
      this.startValue *= this.startValueMult;
    }
    if (this.eventIndex !== 0 && this.eventIndex === this.totalCycleSize) {
      this.eventIndex = 0;
      this.cycleSize = Math.trunc(this.cycleSize * this.cycleMult);
      this.warmupDuration = Math.trunc(this.warmupDuration * this.cycleMult);
      this.totalCycleSize = this.warmupDuration + this.cycleSize;
      this.cycle += 1;
      this.endValue *= this.endValueMult;
    }
    super.handle(engine, name);
  }

  /**
   * The warm-up value after the cycle proper, else {@link BaseParamScheduler.getParam}.
   *
   * @returns the value for the current event.
   */
  protected override computeParam(): number {
    if (this.eventIndex > this.cycleSize) {
      const progress = (this.eventIndex - this.cycleSize) / this.warmupDuration;
      return this.endValue + (this.startValue - this.endValue) * progress;
    }
    return this.getParam();
  }
}

/**
 * Linearly moves the value to `endValue` over the first half of each cycle and back to `startValue` over the
 * second half (or, with `monotonic`, from `startValue` to `endValue` over the whole cycle).
 *
 * @remarks
 * Value at event `i` of a cycle of size `n`: `end + (start - end) * |i/n - 0.5| * 2`; monotonic: `start + (end - start) * i/n`.
 * @example
 * ```ts
 * // 0.0, 0.5, 1.0, 0.5, 0.0, 0.5, ... over cycles of 4 iterations
 * new LinearCyclicalScheduler(optimizer, 'lr', { startValue: 0, endValue: 1, cycleSize: 4 }).attach(trainer);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.LinearCyclicalScheduler.html
 */
export class LinearCyclicalScheduler extends CyclicalScheduler {
  /** Whether only one half-cycle is scheduled. */
  readonly monotonic: boolean;

  /**
   * @param target - a tf.js optimizer or a {@link ParamTarget}.
   * @param paramName - the parameter's name.
   * @param options - cycle options.
   * @throws RangeError when `warmupDuration > 0` without `monotonic`.
   */
  constructor(target: ParamTargetLike, paramName: string, options: LinearCyclicalSchedulerOptions) {
    super(target, paramName, options);
    this.monotonic = options.monotonic ?? false;
    if (this.warmupDuration > 0 && !this.monotonic) {
      throw new RangeError(
        'Invalid combination when warmupDuration > 0 and monotonic=False, ' +
          'please use either set warmupDuration=0 or monotonic=True',
      );
    }
  }

  /**
   * The value at the current position in the cycle.
   *
   * @returns the value.
   */
  getParam(): number {
    const progress = this.eventIndex / this.cycleSize;
    if (this.monotonic) return this.startValue + (this.endValue - this.startValue) * progress;
    return this.endValue + (this.startValue - this.endValue) * Math.abs(progress - 0.5) * 2;
  }

  /**
   * Simulates the values of a fresh scheduler over `numEvents` events, without touching any optimizer.
   *
   * @param numEvents - number of events.
   * @param options - the scheduler's options (`paramName` defaults to `'lr'`).
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: LinearCyclicalSchedulerOptions & { paramName?: string }): SimulatedValue[] {
    const { paramName = 'lr', ...rest } = options;
    return simulate(new LinearCyclicalScheduler(scratchTarget(), paramName, { ...rest, saveHistory: false }), numEvents);
  }
}

/**
 * Anneals the value from `startValue` to `endValue` along half a cosine wave over each cycle (Smith 2017).
 *
 * @remarks
 * Value at event `i` of a cycle of size `n`: `start + (end - start) / 2 * (1 - cos(pi * i / n))`, equivalently
 * PyTorch's `end + (start - end) / 2 * (1 + cos(pi * i / n))`.
 * @example
 * ```ts
 * // anneals from 1e-1 to 1e-3 over each epoch of 100 iterations
 * new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 1e-1, endValue: 1e-3, cycleSize: 100 }).attach(trainer);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.CosineAnnealingScheduler.html
 */
export class CosineAnnealingScheduler extends CyclicalScheduler {
  /**
   * The value at the current position in the cycle.
   *
   * @returns the value.
   */
  getParam(): number {
    const progress = this.eventIndex / this.cycleSize;
    return this.startValue + ((this.endValue - this.startValue) / 2) * (1 - Math.cos(Math.PI * progress));
  }

  /**
   * Simulates the values of a fresh scheduler over `numEvents` events, without touching any optimizer.
   *
   * @param numEvents - number of events.
   * @param options - the scheduler's options (`paramName` defaults to `'lr'`).
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: CyclicalSchedulerOptions & { paramName?: string }): SimulatedValue[] {
    const { paramName = 'lr', ...rest } = options;
    return simulate(new CosineAnnealingScheduler(scratchTarget(), paramName, { ...rest, saveHistory: false }), numEvents);
  }
}
