/**
 * @module Port of ignite/handlers/param_scheduler.py `BaseParamScheduler` and `ParamScheduler`.
 *
 * Deviations:
 * - A scheduler writes to one {@link ParamTarget} (tf.js optimizers have no parameter groups), so
 *   `param_group_index` and list-valued parameters do not exist, and `ParamGroupScheduler` is not ported.
 * - `state.paramHistory[name]` holds plain numbers (`[0.1, 0.05]`), not one-element lists per parameter group.
 * - State dict keys are camelCase (`eventIndex`, `paramName`, `saveHistory`, ...), like the engine's.
 */

import { Events, type EventKey, type RemovableEventHandle, type State } from '../../engine/index.js';
import type { EngineLike } from '../../engine/index.js';
import { toParamTarget, type ParamTarget, type ParamTargetLike } from './target.js';

/** A `[eventIndex, value]` pair returned by the `simulateValues` static methods. */
export type SimulatedValue = [eventIndex: number, value: number];

/** Options shared by every scheduler. */
export interface SchedulerOptions {
  /** Append each value to `engine.state.paramHistory[name]`. @defaultValue false */
  saveHistory?: boolean;
}

/**
 * Appends a value to `state.paramHistory[name]`, creating the record and the list when missing.
 *
 * @param state - the engine state.
 * @param name - the history key.
 * @param value - the value to append.
 */
export function recordHistory(state: State, name: string, value: number): void {
  let history = state['paramHistory'] as Record<string, number[]> | null | undefined;
  if (history === null || history === undefined || typeof history !== 'object') {
    history = {};
    state['paramHistory'] = history;
  }
  (history[name] ??= []).push(value);
}

function copyValue(value: unknown): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  const sd = (value as { stateDict?: unknown }).stateDict;
  if (typeof sd === 'function') return (sd as () => unknown).call(value);
  if (Array.isArray(value)) return value.map(copyValue);
  return typeof value === 'object' ? { ...value } : value;
}

/**
 * Base of every scheduler: the event counter, history flag and the state-dict machinery.
 *
 * @example
 * ```ts
 * class Constant extends BaseParamScheduler { getParam(): number { return 1; } }
 * new Constant('x').stateDict(); // { eventIndex: 0, paramName: 'x', saveHistory: false }
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.BaseParamScheduler.html
 */
export abstract class BaseParamScheduler {
  /** Name of the scheduled parameter (history key). */
  paramName: string;
  /** Number of events seen so far. */
  eventIndex = 0;
  /** Whether values are appended to `state.paramHistory`. */
  saveHistory: boolean;
  /** Names of the attributes saved by {@link BaseParamScheduler.stateDict}; subclasses append theirs. */
  protected readonly stateAttrs: string[] = ['eventIndex', 'paramName', 'saveHistory'];

  /**
   * @param paramName - name of the scheduled parameter.
   * @param saveHistory - whether to record values in `state.paramHistory`.
   */
  constructor(paramName: string, saveHistory = false) {
    if (typeof paramName !== 'string') {
      throw new TypeError(`Argument paramName should be a string, but given ${typeof paramName}`);
    }
    this.paramName = paramName;
    this.saveHistory = saveHistory;
  }

  /**
   * The value for the current event index.
   *
   * @returns the parameter value.
   */
  abstract getParam(): number;

  /**
   * Returns the scheduler's state: every attribute listed in `stateAttrs`, copied (nested schedulers as their own
   * state dicts).
   *
   * @returns a JSON-serialisable object.
   * @example
   * ```ts
   * const sd = scheduler.stateDict();
   * other.loadStateDict(sd);
   * ```
   */
  stateDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const self = this as unknown as Record<string, unknown>;
    for (const name of this.stateAttrs) {
      if (name in self) out[name] = copyValue(self[name]);
    }
    return out;
  }

  /**
   * Restores a state made by {@link BaseParamScheduler.stateDict}.
   *
   * @param stateDict - the saved state.
   * @throws TypeError when it is not an object.
   * @throws RangeError when a required attribute is missing.
   */
  loadStateDict(stateDict: Record<string, unknown>): void {
    if (stateDict === null || typeof stateDict !== 'object' || Array.isArray(stateDict)) {
      throw new TypeError(`Argument stateDict should be a dictionary, but given ${typeof stateDict}`);
    }
    const self = this as unknown as Record<string, unknown>;
    for (const name of this.stateAttrs) {
      if (!(name in stateDict)) {
        throw new RangeError(
          `Required state attribute '${name}' is absent in provided stateDict '${Object.keys(stateDict).join(', ')}'`,
        );
      }
      const value = stateDict[name];
      const current = self[name];
      const load = current !== null && current !== undefined ? (current as { loadStateDict?: unknown }).loadStateDict : undefined;
      if (typeof load === 'function' && value !== null && typeof value === 'object') {
        (load as (sd: unknown) => void).call(current, value);
      } else {
        self[name] = copyValue(value);
      }
    }
  }
}

/**
 * Base of the schedulers that write to a {@link ParamTarget} (an optimizer's learning rate, a state attribute, ...).
 * Called on each event as a handler: sets the target to the current value, records history, then advances.
 *
 * @remarks
 * The scheduler sets absolute values whatever the target's current value. Attach it to `ITERATION_STARTED` (the
 * default of {@link ParamScheduler.attach}) so that the value of event `k` is used by iteration `k + 1`.
 * @example
 * ```ts
 * const scheduler = new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 1e-1, endValue: 1e-3, cycleSize: 100 });
 * scheduler.attach(trainer); // Events.ITERATION_STARTED
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.ParamScheduler.html
 */
export abstract class ParamScheduler extends BaseParamScheduler {
  /** Where the value is written. */
  readonly target: ParamTarget;

  /**
   * @param target - a tf.js optimizer (its learning rate) or a {@link ParamTarget}.
   * @param paramName - name of the parameter (`'lr'` for an optimizer).
   * @param options - scheduler options.
   * @throws TypeError when `target` is neither an optimizer with a learning rate nor a {@link ParamTarget}.
   */
  constructor(target: ParamTargetLike, paramName: string, options: SchedulerOptions = {}) {
    super(paramName, options.saveHistory ?? false);
    this.target = toParamTarget(target, paramName);
  }

  /**
   * Registers the scheduler on an engine event.
   *
   * @param engine - the trainer.
   * @param event - the triggering event. @defaultValue Events.ITERATION_STARTED
   * @returns the handle of the registration.
   */
  attach(engine: EngineLike, event: EventKey | readonly EventKey[] = Events.ITERATION_STARTED): RemovableEventHandle {
    return engine.on(event, this);
  }

  /**
   * The event handler: sets the target to the current value, records it in `engine.state.paramHistory` when
   * `saveHistory` is on, then advances the event index.
   *
   * @param engine - the engine firing the event, or `null` (simulation).
   * @param name - the history key. @defaultValue the scheduler's `paramName`
   */
  handle(engine: EngineLike | null, name: string | null = null): void {
    this.target.set(this.computeParam());
    if (this.saveHistory && engine !== null) {
      // events such as TERMINATE_SINGLE_EPOCH pass their own argument where the name goes: only strings are names
      recordHistory(engine.state, typeof name === 'string' ? name : this.paramName, this.target.get());
    }
    this.eventIndex += 1;
  }

  /**
   * The value applied at the current event; subclasses insert phases (e.g. cyclic warm-up) around `getParam()`.
   *
   * @returns the value.
   */
  protected computeParam(): number {
    return this.getParam();
  }
}

/**
 * Runs a scheduler for `numEvents` events without an engine and returns the values it set.
 *
 * @param scheduler - a fresh scheduler writing to a scratch target.
 * @param numEvents - number of events.
 * @returns `[eventIndex, value]` pairs.
 */
export function simulate(scheduler: ParamScheduler, numEvents: number): SimulatedValue[] {
  checkNumEvents(numEvents);
  const values: SimulatedValue[] = [];
  for (let i = 0; i < numEvents; i++) {
    scheduler.handle(null);
    values.push([i, scheduler.target.get()]);
  }
  return values;
}

/**
 * Validates the `numEvents` argument of the `simulateValues` methods.
 *
 * @param numEvents - the value to check.
 * @throws RangeError when it is not a non-negative integer.
 */
export function checkNumEvents(numEvents: number): void {
  if (!Number.isInteger(numEvents) || numEvents < 0) {
    throw new RangeError(`Argument numEvents should be a non-negative integer, but given ${String(numEvents)}`);
  }
}

/**
 * A scratch target for simulations (Ignite's fake optimizer, learning rate 0.01 by default).
 *
 * @param initial - the initial value.
 * @returns a fresh target.
 */
export function scratchTarget(initial = 0.01): ParamTarget {
  const owner = { value: initial };
  return {
    owner,
    key: 'value',
    get: () => owner.value,
    set: (v: number) => {
      owner.value = v;
    },
  };
}
