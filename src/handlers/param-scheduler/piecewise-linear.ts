/**
 * @module Port of ignite/handlers/param_scheduler.py `PiecewiseLinear` (the milestone logic is shared with
 * `PiecewiseLinearStateScheduler`).
 *
 * Deviation: the segment is found by a search instead of Ignite's forward-only `_index` cursor, so the value is a
 * pure function of the event index (identical for forward runs; loading an older `eventIndex` also works). The state
 * dict therefore has no `_index`.
 */

import { ParamScheduler, scratchTarget, simulate, type SchedulerOptions, type SimulatedValue } from './base.js';
import type { ParamTargetLike } from './target.js';

/** A `[eventIndex, value]` milestone. */
export type Milestone = readonly [eventIndex: number, value: number];

/** Options of {@link PiecewiseLinear}. */
export interface PiecewiseLinearOptions extends SchedulerOptions {
  /** Milestones `[eventIndex, value]` with non-decreasing integer event indices; at least one. */
  milestonesValues: readonly Milestone[];
}

/**
 * Validates milestones and splits them into event indices and values.
 *
 * @param milestonesValues - the milestones.
 * @returns `{ milestones, values }`.
 * @throws TypeError when the argument is not a list of `[integer, number]` pairs.
 * @throws RangeError when it is empty or the event indices decrease.
 */
export function parseMilestones(milestonesValues: readonly Milestone[]): { milestones: number[]; values: number[] } {
  if (!Array.isArray(milestonesValues)) {
    throw new TypeError(`Argument milestonesValues should be a list or tuple, but given ${typeof milestonesValues}`);
  }
  if (milestonesValues.length < 1) {
    throw new RangeError(`Argument milestonesValues should be with at least one value, but given ${JSON.stringify(milestonesValues)}`);
  }
  const milestones: number[] = [];
  const values: number[] = [];
  for (const pair of milestonesValues as readonly unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new TypeError('Argument milestonesValues should be a list of pairs (milestone, paramValue)');
    }
    const [m, v] = pair as [unknown, unknown];
    if (typeof m !== 'number' || !Number.isInteger(m)) {
      throw new TypeError(`Value of a milestone should be integer, but given ${typeof m === 'number' ? m : typeof m}`);
    }
    if (typeof v !== 'number') throw new TypeError(`Value of a milestone's parameter should be a number, but given ${typeof v}`);
    const previous = milestones[milestones.length - 1];
    if (previous !== undefined && m < previous) {
      throw new RangeError(
        `Milestones should be increasing integers, but given ${m} is smaller than the previous milestone ${previous}`,
      );
    }
    milestones.push(m);
    values.push(v);
  }
  return { milestones, values };
}

/**
 * The piecewise-linear value at an event index: the first value before the first milestone, the last value from the
 * last milestone on, linear interpolation in between.
 *
 * @param milestones - non-decreasing event indices.
 * @param values - the value at each milestone.
 * @param eventIndex - the event index.
 * @returns the interpolated value.
 */
export function piecewiseLinearValue(milestones: readonly number[], values: readonly number[], eventIndex: number): number {
  const n = milestones.length;
  if (eventIndex < (milestones[0] as number)) return values[0] as number;
  if (eventIndex >= (milestones[n - 1] as number)) return values[n - 1] as number;
  let i = 0;
  while (!((milestones[i] as number) <= eventIndex && eventIndex < (milestones[i + 1] as number))) i++;
  const m0 = milestones[i] as number;
  const v0 = values[i] as number;
  return v0 + ((values[i + 1] as number) - v0) * ((eventIndex - m0) / ((milestones[i + 1] as number) - m0));
}

/**
 * Piecewise linear schedule through `[eventIndex, value]` milestones.
 *
 * @example
 * ```ts
 * // lr = 0.5 until event 10, then 0.5 -> 0.45 by event 20, jump to 0.3 at 21, down to 0.1 at 30, then constant.
 * const scheduler = new PiecewiseLinear(optimizer, 'lr', {
 *   milestonesValues: [[10, 0.5], [20, 0.45], [21, 0.3], [30, 0.1], [40, 0.1]],
 * });
 * scheduler.attach(trainer);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.PiecewiseLinear.html
 */
export class PiecewiseLinear extends ParamScheduler {
  /** Milestone event indices. */
  milestones: number[];
  /** Values at the milestones. */
  values: number[];

  /**
   * @param target - a tf.js optimizer or a {@link ParamTarget}.
   * @param paramName - the parameter's name (`'lr'` for an optimizer).
   * @param options - the milestones.
   * @throws TypeError / RangeError for invalid milestones (see {@link parseMilestones}).
   */
  constructor(target: ParamTargetLike, paramName: string, options: PiecewiseLinearOptions) {
    super(target, paramName, options);
    const { milestones, values } = parseMilestones(options.milestonesValues);
    this.milestones = milestones;
    this.values = values;
    this.stateAttrs.push('values', 'milestones');
  }

  /**
   * The value at the current event index.
   *
   * @returns the value.
   */
  getParam(): number {
    return piecewiseLinearValue(this.milestones, this.values, this.eventIndex);
  }

  /**
   * Simulates the values of a fresh scheduler over `numEvents` events.
   *
   * @param numEvents - number of events.
   * @param options - the milestones (`paramName` defaults to `'lr'`).
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(numEvents: number, options: PiecewiseLinearOptions & { paramName?: string }): SimulatedValue[] {
    const { paramName = 'lr', ...rest } = options;
    return simulate(new PiecewiseLinear(scratchTarget(), paramName, { ...rest, saveHistory: false }), numEvents);
  }
}
