/**
 * @module Port of ignite/engine/events.py `State`: a plain bag of documented fields.
 *
 * Handlers may add their own attributes (Ignite allows arbitrary attributes); to type them, extend
 * {@link StateExtensions} by declaration merging:
 * ```ts
 * declare module 'kindling' { interface StateExtensions { bestAccuracy?: number } }
 * ```
 */

import { BUILTIN_EVENT_TO_ATTR, eventName, unknownEventNameError, type EventKey } from './events.js';

/** Merge-able interface for typed custom state fields. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StateExtensions {}

/**
 * Durations in seconds, reset to 0 at each run start; `null` before the first run. Keyed by event name, like
 * Ignite's `state.times[event.name]`: `state.times[engine.lastEventName.name]` works.
 */
export interface StateTimes {
  /** Duration of the last epoch (while EPOCH_COMPLETED handlers run, without their own time). */
  epoch_completed: number | null;
  /** Duration of the whole run (while COMPLETED handlers run, without their own time). */
  completed: number | null;
  /** @deprecated Alias of `epoch_completed` (not enumerable): use `times.epoch_completed`. */
  EPOCH_COMPLETED: number | null;
  /** @deprecated Alias of `completed` (not enumerable): use `times.completed`. */
  COMPLETED: number | null;
  [event: string]: number | null;
}

function createTimes(): StateTimes {
  const times = { epoch_completed: null, completed: null } as unknown as StateTimes;
  for (const [alias, key] of [['EPOCH_COMPLETED', 'epoch_completed'], ['COMPLETED', 'completed']] as const) {
    Object.defineProperty(times, alias, {
      get: () => times[key],
      set: (v: number | null) => {
        times[key] = v;
      },
      enumerable: false,
    });
  }
  return times;
}

/**
 * The state of an engine: counters, run parameters, the current batch and output, metrics and timers.
 *
 * @example
 * ```ts
 * const state = await engine.run([1, 2, 3], { maxEpochs: 2 });
 * console.log(state.iteration, state.epoch, state.output); // 6 2 <last output>
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.events.State.html
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class State<TBatch = unknown, TOutput = unknown> {
  /** Global iteration counter, 1-based while running, 0 before the first iteration. Not reset per epoch. */
  iteration = 0;
  /** Epoch counter, 1-based while running, 0 before the first epoch. */
  epoch = 0;
  /** Iterations per epoch; `null` until known (unsized data discovers it when it runs out). */
  epochLength: number | null = null;
  /** Number of epochs to run; exclusive with {@link State.maxIters}. */
  maxEpochs: number | null = null;
  /** Number of iterations to run; exclusive with {@link State.maxEpochs}. */
  maxIters: number | null = null;
  /** The current batch (the last one after the run). */
  batch: TBatch | null = null;
  /** The process function's last return value. */
  output: TOutput | null = null;
  /** Metric values, filled by metrics attached to the engine. */
  metrics: Record<string, unknown> = {};
  /** The data given to `run()` or `setData()`. */
  dataloader: unknown = null;
  /** Seed of the run, set by `DeterministicEngine`. */
  seed: number | null = null;
  /** Timers in seconds, keyed by event name. */
  times: StateTimes = createTimes();
  /** Arbitrary user attributes are allowed, as in Ignite. */
  [key: string]: unknown;
  readonly #eventToAttr = new Map<string, string>(Object.entries(BUILTIN_EVENT_TO_ATTR));

  /**
   * Returns the counter an event's filters read: `iteration` for iteration-level events, `epoch` for epoch-level
   * ones, or the attribute a custom event was registered with (`eventToAttr`).
   *
   * @param event - the event or its name.
   * @returns the value of the event's state attribute.
   * @throws {@link InvalidEventError} when the event has no state attribute.
   */
  getEventAttribValue(event: EventKey): unknown {
    const name = eventName(event);
    const attr = this.#eventToAttr.get(name);
    if (attr === undefined) throw unknownEventNameError(name);
    return this[attr];
  }

  /** @internal Records the state attribute of a custom event (`Engine.registerEvents`). */
  setEventAttr(name: string, attr: string): void {
    this.#eventToAttr.set(name, attr);
  }
}

// Declaration merging adds the user's typed extensions to every State.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface State<TBatch = unknown, TOutput = unknown> extends StateExtensions {}
