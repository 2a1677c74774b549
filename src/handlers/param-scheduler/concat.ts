/**
 * @module Port of ignite/handlers/param_scheduler.py `ConcatScheduler`.
 *
 * Deviations: `simulateValues` snapshots the schedulers with their state dicts and the target's value in memory
 * (Ignite goes through a temporary file); "same optimizer" means the same {@link ParamTarget} (same owner and key).
 */

import { checkNumEvents, ParamScheduler, type SchedulerOptions, type SimulatedValue } from './base.js';
import type { EngineLike } from '../../engine/index.js';

function checkSchedulers(list: readonly ParamScheduler[], durations: readonly number[]): void {
  const schedulers: readonly ParamScheduler[] = list;
  if (!Array.isArray(list)) {
    throw new TypeError(`Argument schedulers should be a sequence, but given ${typeof schedulers}`);
  }
  if (schedulers.length < 2) {
    throw new RangeError(`Argument schedulers should be of more than one parameter schedulers, but given ${schedulers.length}`);
  }
  if (!Array.isArray(durations)) throw new TypeError(`Argument durations should be list/tuple, but given ${typeof durations}`);
  if (!durations.every((d) => Number.isInteger(d))) {
    throw new TypeError(`Argument durations should be list/tuple of integers, but given ${JSON.stringify(durations)}`);
  }
  if (schedulers.length !== durations.length + 1) {
    throw new RangeError(`Incorrect number schedulers or duration values, given ${schedulers.length} and ${durations.length}`);
  }
  schedulers.forEach((s, i) => {
    if (!(s instanceof ParamScheduler)) {
      throw new TypeError(`Value at index ${i} of schedulers should be a parameter scheduler, but given ${typeof s}`);
    }
  });
  const first = (schedulers[0] as ParamScheduler).target;
  if (!schedulers.every((s) => s.target.owner === first.owner && s.target.key === first.key)) {
    throw new RangeError('schedulers should be related to same optimizer');
  }
  if (new Set(schedulers.map((s) => s.paramName)).size !== 1) {
    throw new RangeError('schedulers should be related to same paramName');
  }
}

/**
 * Runs a list of schedulers one after another: scheduler `i` for `durations[i]` events, the last one forever.
 *
 * @example
 * ```ts
 * const warmup = new LinearCyclicalScheduler(optimizer, 'lr', { startValue: 0, endValue: 1, cycleSize: 8 });
 * const anneal = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 1, endValue: 0.2, cycleSize: 4 });
 * // 0, 0.25, 0.5, 0.75 then cosine cycles from 1.0 to 0.2
 * new ConcatScheduler([warmup, anneal], [4]).attach(trainer);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.ConcatScheduler.html
 */
export class ConcatScheduler extends ParamScheduler {
  /** The concatenated schedulers. */
  readonly schedulers: readonly ParamScheduler[];
  /** Duration of each scheduler but the last. */
  durations: number[];
  /** Index of the running scheduler. */
  schedulerIndex = 0;
  /** Events left for the running scheduler (`-1` for the last one). */
  currentDuration = -1;
  #current: ParamScheduler;

  /**
   * @param schedulers - at least two schedulers writing to the same target and parameter.
   * @param durations - `schedulers.length - 1` integer durations.
   * @param options - `saveHistory` (propagated to every scheduler).
   * @throws TypeError / RangeError when the lists are inconsistent or the schedulers target different parameters.
   */
  constructor(schedulers: readonly ParamScheduler[], durations: readonly number[], options: SchedulerOptions = {}) {
    checkSchedulers(schedulers, durations);
    const first = schedulers[0] as ParamScheduler;
    super(first.target, first.paramName, options);
    this.schedulers = schedulers;
    this.durations = [...durations];
    for (const s of schedulers) s.saveHistory = this.saveHistory;
    this.#current = first;
    this.#setup();
    this.stateAttrs.push('currentDuration', 'durations', 'schedulerIndex');
  }

  #setup(): void {
    this.#current = this.schedulers[this.schedulerIndex] as ParamScheduler;
    this.currentDuration = this.schedulerIndex < this.durations.length ? (this.durations[this.schedulerIndex] as number) : -1;
  }

  /**
   * Switches to the next scheduler when the current one's duration is used up, then delegates the event to it.
   *
   * @param engine - the engine, or `null` when simulating.
   * @param name - the history key.
   */
  override handle(engine: EngineLike | null, name: string | null = null): void {
    if (this.currentDuration === 0) {
      this.schedulerIndex += 1;
      this.#setup();
    }
    this.#current.handle(engine, name);
    this.currentDuration -= 1;
  }

  /**
   * The running scheduler's current value.
   *
   * @returns the value.
   */
  getParam(): number {
    return this.#current.getParam();
  }

  /**
   * Propagates `saveHistory` to every concatenated scheduler.
   *
   * @param value - whether to record history.
   */
  setSaveHistory(value: boolean): void {
    this.saveHistory = value;
    for (const s of this.schedulers) s.saveHistory = value;
  }

  /**
   * The state of the concatenation and of every scheduler (`schedulers: [...]`).
   *
   * @returns a JSON-serialisable object.
   */
  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /**
   * Restores a state made by {@link ConcatScheduler.stateDict}.
   *
   * @param stateDict - the saved state.
   * @throws TypeError when it is not an object; RangeError when `schedulers` is missing or has the wrong length.
   */
  override loadStateDict(stateDict: Record<string, unknown>): void {
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`Argument stateDict should be a dictionary, but given ${typeof stateDict}`);
    }
    const sds = stateDict['schedulers'];
    if (!Array.isArray(sds)) {
      throw new RangeError(
        `Required state attribute 'schedulers' is absent in provided stateDict '${Object.keys(stateDict).join(', ')}'`,
      );
    }
    if (sds.length !== this.schedulers.length) {
      throw new RangeError(
        `Input stateDict contains ${sds.length} stateDicts of concatenated schedulers, but ${this.schedulers.length} needed`,
      );
    }
    this.schedulers.forEach((s, i) => s.loadStateDict(sds[i] as Record<string, unknown>));
    super.loadStateDict(stateDict);
    this.#current = this.schedulers[this.schedulerIndex] as ParamScheduler;
  }

  /**
   * Simulates the concatenation over `numEvents` events, then restores the schedulers and the target's value.
   *
   * @param numEvents - number of events.
   * @param options - `schedulers` and `durations` as for the constructor.
   * @returns `[eventIndex, value]` pairs.
   */
  static simulateValues(
    numEvents: number,
    options: { schedulers: readonly ParamScheduler[]; durations: readonly number[] },
  ): SimulatedValue[] {
    checkNumEvents(numEvents);
    const { schedulers, durations } = options;
    checkSchedulers(schedulers, durations);
    const saved = schedulers.map((s) => s.stateDict());
    const target = (schedulers[0] as ParamScheduler).target;
    const savedValue = target.get();
    try {
      const concat = new ConcatScheduler(schedulers, durations, { saveHistory: false });
      const out: SimulatedValue[] = [];
      for (let i = 0; i < numEvents; i++) {
        concat.handle(null);
        out.push([i, target.get()]);
      }
      return out;
    } finally {
      schedulers.forEach((s, i) => s.loadStateDict(saved[i] as Record<string, unknown>));
      target.set(savedValue);
    }
  }
}
