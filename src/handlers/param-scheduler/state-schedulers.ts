/**
 * @module Port of ignite/handlers/state_param_scheduler.py: schedulers of an arbitrary `engine.state` attribute.
 *
 * Deviations: constructors take `(paramName, options)`; `LambdaStateScheduler` saves its callable only when it has a
 * `stateDict()` (functions are not serialisable); the warning for a missing attribute goes to `engine.logger`.
 */

import { Events, State, type EventKey, type RemovableEventHandle } from '../../engine/index.js';
import { BaseParamScheduler, checkNumEvents, recordHistory, type SchedulerOptions, type SimulatedValue } from './base.js';
import type { EngineLike, StateHolder } from '../../engine/index.js';
import { parseMilestones, piecewiseLinearValue, type Milestone } from './piecewise-linear.js';

/** Options shared by the state schedulers. */
export interface StateSchedulerOptions extends SchedulerOptions {
  /** Create `engine.state[paramName]` at attach time, failing if it already exists. @defaultValue false */
  createNew?: boolean;
}

/**
 * Base of the schedulers that write `engine.state[paramName]`. Unlike optimizer schedulers, the event index is
 * advanced before the value is computed, so the first event yields the value at index 1.
 *
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.StateParamScheduler.html
 */
export abstract class StateParamScheduler extends BaseParamScheduler {
  /** Whether `attach` must create the attribute. */
  readonly createNew: boolean;

  /**
   * @param paramName - the state attribute to schedule.
   * @param options - scheduler options.
   */
  constructor(paramName: string, options: StateSchedulerOptions = {}) {
    super(paramName, options.saveHistory ?? false);
    this.createNew = options.createNew ?? false;
  }

  /**
   * Registers the scheduler on an event, creating `engine.state[paramName]` (`null`) when missing.
   *
   * @param engine - the engine whose state is scheduled.
   * @param event - the triggering event. @defaultValue Events.ITERATION_COMPLETED
   * @returns the handle of the registration.
   * @throws RangeError when `createNew` is set and the attribute already exists.
   */
  attach(engine: EngineLike, event: EventKey | readonly EventKey[] = Events.ITERATION_COMPLETED): RemovableEventHandle {
    if (this.paramName in engine.state) {
      if (this.createNew) {
        throw new RangeError(
          `Attribute '${this.paramName}' already exists in the engine.state. ` +
            'This may be a conflict between multiple handlers. Please choose another name.',
        );
      }
    } else {
      if (!this.createNew) {
        engine.logger.warn(
          `Attribute '${this.paramName}' is not defined in the engine.state. ${this.constructor.name} will create it. ` +
            'Remove this warning by setting createNew: true.',
        );
      }
      engine.state[this.paramName] = null;
    }
    return engine.on(event, this);
  }

  /**
   * The event handler: advances the event index, then writes the value to `engine.state[paramName]`.
   *
   * @param engine - the engine.
   */
  handle(engine: StateHolder): void {
    this.eventIndex += 1;
    const value = this.getParam();
    engine.state[this.paramName] = value;
    if (this.saveHistory) recordHistory(engine.state, this.paramName, value);
  }
}

/**
 * Runs a state scheduler for `numEvents` events on a scratch state.
 *
 * @internal
 * @param scheduler - a fresh scheduler.
 * @param numEvents - number of events.
 * @returns `[eventIndex, value]` pairs.
 */
export function simulateState(scheduler: StateParamScheduler, numEvents: number): SimulatedValue[] {
  checkNumEvents(numEvents);
  const holder: StateHolder = { state: new State() };
  const out: SimulatedValue[] = [];
  for (let i = 0; i < numEvents; i++) {
    scheduler.handle(holder);
    out.push([i, holder.state[scheduler.paramName] as number]);
  }
  return out;
}

/** A callable from event index to value, optionally serialisable. */
export type LambdaObj = ((eventIndex: number) => number) & {
  stateDict?: () => Record<string, unknown>;
  loadStateDict?: (sd: Record<string, unknown>) => void;
};

/**
 * Sets the state attribute to `lambdaObj(eventIndex)`.
 *
 * @example
 * ```ts
 * const scheduler = new LambdaStateScheduler('param', { lambdaObj: (i) => 10 * 0.99 ** (i % 9), createNew: true });
 * scheduler.attach(engine, Events.EPOCH_COMPLETED);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.LambdaStateScheduler.html
 */
export class LambdaStateScheduler extends StateParamScheduler {
  /** The user callable. */
  readonly lambdaObj: LambdaObj;

  /**
   * @param paramName - the state attribute.
   * @param options - `lambdaObj` and scheduler options.
   * @throws TypeError when `lambdaObj` is not callable.
   */
  constructor(paramName: string, options: StateSchedulerOptions & { lambdaObj: LambdaObj }) {
    super(paramName, options);
    if (typeof options.lambdaObj !== 'function') throw new TypeError('Expected lambdaObj to be callable.');
    this.lambdaObj = options.lambdaObj;
    if (typeof this.lambdaObj.stateDict === 'function') this.stateAttrs.push('lambdaObj');
  }

  /**
   * The value at the current event index.
   *
   * @returns `lambdaObj(eventIndex)`.
   */
  getParam(): number {
    return this.lambdaObj(this.eventIndex);
  }

  /**
   * Simulates `numEvents` events of a fresh scheduler.
   *
   * @param numEvents - number of events.
   * @param options - `paramName` and `lambdaObj`.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: { paramName: string; lambdaObj: LambdaObj }): SimulatedValue[] {
    return simulateState(new LambdaStateScheduler(options.paramName, { lambdaObj: options.lambdaObj }), numEvents);
  }
}

/**
 * Piecewise linear schedule of a state attribute through `[eventIndex, value]` milestones.
 *
 * @example
 * ```ts
 * // 1.0 for epochs 1-5, then down to 0.8 at epoch 10 and 0.6 at epoch 15
 * new PiecewiseLinearStateScheduler('param', { milestonesValues: [[5, 1.0], [10, 0.8], [15, 0.6]], createNew: true })
 *   .attach(trainer, Events.EPOCH_COMPLETED);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.state_param_scheduler.PiecewiseLinearStateScheduler.html
 */
export class PiecewiseLinearStateScheduler extends StateParamScheduler {
  /** Milestone event indices. */
  milestones: number[];
  /** Values at the milestones. */
  values: number[];

  /**
   * @param paramName - the state attribute.
   * @param options - `milestonesValues` and scheduler options.
   * @throws TypeError / RangeError for invalid milestones.
   */
  constructor(paramName: string, options: StateSchedulerOptions & { milestonesValues: readonly Milestone[] }) {
    super(paramName, options);
    const { milestones, values } = parseMilestones(options.milestonesValues);
    this.milestones = milestones;
    this.values = values;
    this.stateAttrs.push('values', 'milestones');
  }

  /**
   * The value at the current event index.
   *
   * @returns the interpolated value at the current event index.
   */
  getParam(): number {
    return piecewiseLinearValue(this.milestones, this.values, this.eventIndex);
  }

  /**
   * Simulates `numEvents` events of a fresh scheduler.
   *
   * @param numEvents - number of events.
   * @param options - `paramName` and `milestonesValues`.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: { paramName: string; milestonesValues: readonly Milestone[] }): SimulatedValue[] {
    return simulateState(new PiecewiseLinearStateScheduler(options.paramName, options), numEvents);
  }
}
