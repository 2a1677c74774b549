/**
 * @module Port of ignite/handlers/state_param_scheduler.py `ExpStateScheduler`, `StepStateScheduler` and
 * `MultiStepStateScheduler`: closed-form decays of an `engine.state` attribute.
 *
 * Deviations: constructors take `(paramName, options)`; see ./state-schedulers.ts.
 */

import type { SimulatedValue } from './base.js';
import { StateParamScheduler, simulateState, type StateSchedulerOptions } from './state-schedulers.js';

/** Options of the exponential, step and multi-step state schedulers. */
export interface DecayOptions extends StateSchedulerOptions {
  /** Value at event index 0. */
  initialValue: number;
  /** Multiplicative decay factor. */
  gamma: number;
}

/**
 * `initialValue * gamma ** eventIndex` (PyTorch's `ExponentialLR` in closed form).
 *
 * @example
 * ```ts
 * // 0.9, 0.81, 0.729, ... at each epoch end
 * new ExpStateScheduler('param', { initialValue: 1, gamma: 0.9, createNew: true }).attach(trainer, Events.EPOCH_COMPLETED);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.ExpStateScheduler.html
 */
export class ExpStateScheduler extends StateParamScheduler {
  /** Value at index 0. */
  initialValue: number;
  /** Decay factor. */
  gamma: number;

  /**
   * @param paramName - the state attribute.
   * @param options - `initialValue`, `gamma` and scheduler options.
   */
  constructor(paramName: string, options: DecayOptions) {
    super(paramName, options);
    this.initialValue = options.initialValue;
    this.gamma = options.gamma;
    this.stateAttrs.push('initialValue', 'gamma');
  }

  /**
   * The value at the current event index.
   *
   * @returns `initialValue * gamma ** eventIndex`.
   */
  getParam(): number {
    return this.initialValue * this.gamma ** this.eventIndex;
  }

  /**
   * Simulates `numEvents` events of a fresh scheduler.
   *
   * @param numEvents - number of events.
   * @param options - `paramName`, `initialValue`, `gamma`.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: DecayOptions & { paramName: string }): SimulatedValue[] {
    return simulateState(new ExpStateScheduler(options.paramName, { ...options, saveHistory: false }), numEvents);
  }
}

/**
 * `initialValue * gamma ** floor(eventIndex / stepSize)` (PyTorch's `StepLR`).
 *
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.StepStateScheduler.html
 */
export class StepStateScheduler extends StateParamScheduler {
  /** Value at index 0. */
  initialValue: number;
  /** Decay factor. */
  gamma: number;
  /** Events between decays. */
  stepSize: number;

  /**
   * @param paramName - the state attribute.
   * @param options - `initialValue`, `gamma`, `stepSize` and scheduler options.
   * @throws RangeError when `stepSize` is not a positive integer.
   */
  constructor(paramName: string, options: DecayOptions & { stepSize: number }) {
    super(paramName, options);
    if (!Number.isInteger(options.stepSize) || options.stepSize < 1) {
      throw new RangeError(`Argument stepSize should be a positive integer, but given ${options.stepSize}`);
    }
    this.initialValue = options.initialValue;
    this.gamma = options.gamma;
    this.stepSize = options.stepSize;
    this.stateAttrs.push('initialValue', 'gamma', 'stepSize');
  }

  /**
   * The value at the current event index.
   *
   * @returns `initialValue * gamma ** floor(eventIndex / stepSize)`.
   */
  getParam(): number {
    return this.initialValue * this.gamma ** Math.floor(this.eventIndex / this.stepSize);
  }

  /**
   * Simulates `numEvents` events of a fresh scheduler.
   *
   * @param numEvents - number of events.
   * @param options - `paramName`, `initialValue`, `gamma`, `stepSize`.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: DecayOptions & { paramName: string; stepSize: number }): SimulatedValue[] {
    return simulateState(new StepStateScheduler(options.paramName, { ...options, saveHistory: false }), numEvents);
  }
}

/**
 * `initialValue * gamma ** (number of milestones <= eventIndex)` (PyTorch's `MultiStepLR`).
 *
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.MultiStepStateScheduler.html
 */
export class MultiStepStateScheduler extends StateParamScheduler {
  /** Value at index 0. */
  initialValue: number;
  /** Decay factor. */
  gamma: number;
  /** Increasing event indices at which the value decays. */
  milestones: number[];

  /**
   * @param paramName - the state attribute.
   * @param options - `initialValue`, `gamma`, `milestones` and scheduler options.
   * @throws RangeError when the milestones are not increasing integers.
   */
  constructor(paramName: string, options: DecayOptions & { milestones: readonly number[] }) {
    super(paramName, options);
    const ms: readonly number[] = options.milestones;
    if (!Array.isArray(options.milestones) || !ms.every((m, i) => Number.isInteger(m) && (i === 0 || m > (ms[i - 1] as number)))) {
      throw new RangeError(`Argument milestones should be a list of increasing integers, but given ${JSON.stringify(ms)}`);
    }
    this.initialValue = options.initialValue;
    this.gamma = options.gamma;
    this.milestones = [...ms];
    this.stateAttrs.push('initialValue', 'gamma', 'milestones');
  }

  /**
   * The value at the current event index.
   *
   * @returns `initialValue * gamma ** bisectRight(milestones, eventIndex)`.
   */
  getParam(): number {
    const passed = this.milestones.filter((m) => m <= this.eventIndex).length;
    return this.initialValue * this.gamma ** passed;
  }

  /**
   * Simulates `numEvents` events of a fresh scheduler.
   *
   * @param numEvents - number of events.
   * @param options - `paramName`, `initialValue`, `gamma`, `milestones`.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(
    numEvents: number,
    options: DecayOptions & { paramName: string; milestones: readonly number[] },
  ): SimulatedValue[] {
    return simulateState(new MultiStepStateScheduler(options.paramName, { ...options, saveHistory: false }), numEvents);
  }
}
