/**
 * @module Port of ignite/engine/events.py: the built-in events, event filters and custom events.
 *
 * An event is a callable value: `Events.ITERATION_COMPLETED` is the event itself, and
 * `Events.ITERATION_COMPLETED({ every: 100 })` returns a new {@link FilteredEvent} (the base event is never mutated).
 * Porting notes: TypeScript has no operator overloading, so `Events.A | Events.B` is written as an array
 * `[Events.A, Events.B]`, and `Events.X == Events.X(every=2)` is expressed as "same `name`" ({@link sameEvent}).
 */

import { InvalidEventError } from '../errors.js';

/** Filter signature: called with the engine and the value of the event's state attribute (iteration or epoch). */
export type EventFilterFn = (engine: unknown, value: number) => boolean;

/**
 * Options accepted when calling an event to filter it. Exactly one group may be given: `filter`, `once`, or any
 * of `every` / `before` / `after`.
 */
export interface FilterOptions {
  /** Fire when `value % every === 0` (or every `every` values after `after`). */
  every?: number;
  /** Fire only at this value, or at each of these values. */
  once?: number | readonly number[];
  /** Fire only while `value < before` (strict). */
  before?: number;
  /** Fire only while `value > after` (strict). */
  after?: number;
  /** Custom predicate `(engine, value) => boolean`. */
  filter?: EventFilterFn;
}

/** An event with a filter attached, returned by calling an event. */
export interface FilteredEvent {
  /** The name of the base event (filters share the base event's handler list). */
  readonly name: string;
  /** The unfiltered event this one was made from. */
  readonly base: CallableEvent;
  /** The predicate checked each time the base event fires. */
  readonly filter: EventFilterFn;
}

/** An event value: callable to build a filtered event, with the event's lowercase `name`. */
export interface CallableEvent {
  (options: FilterOptions): CallableEvent | FilteredEvent;
  /** Lowercase identifier, identical to Ignite's (`'iteration_completed'`). */
  readonly name: string;
}

/** Anything accepted where an event is expected: an event, a filtered event, or a custom event's name. */
export type EventKey = CallableEvent | FilteredEvent | string;

const EVENT_MARK = Symbol('kindling.event');

function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    const bound = min === 0 ? 'greater or equal to zero' : 'greater than zero';
    throw new RangeError(`Argument ${name} should be integer and ${bound}, got ${String(value)}`);
  }
  return value;
}

function onceFilter(once: number | readonly number[]): EventFilterFn {
  const bad = () =>
    new RangeError(
      `Argument once should either be a positive integer or a list of positive integers, got ${JSON.stringify(once)}`,
    );
  const values = typeof once === 'number' ? [once] : Array.isArray(once) ? (once as readonly unknown[]) : null;
  if (values === null || values.length === 0) throw bad();
  for (const v of values) if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw bad();
  const set = new Set(values as number[]);
  if (set.size === 1) {
    const only = values[0] as number;
    return (_engine, value) => value === only;
  }
  return (_engine, value) => set.has(value);
}

function rangeFilter(every: number | undefined, before: number | undefined, after: number | undefined): EventFilterFn {
  const e = every === undefined ? undefined : checkInteger('every', every, 1);
  const b = before === undefined ? Infinity : checkInteger('before', before, 0);
  const a = after === undefined ? 0 : checkInteger('after', after, 0);
  if (e === undefined) return (_engine, value) => a < value && value < b;
  if (before === undefined && after === undefined) return (_engine, value) => value % e === 0;
  return (_engine, value) => a < value && value < b && (value - a - 1) % e === 0;
}

/**
 * Builds the predicate for a set of filter options, validating them as Ignite does.
 *
 * @param options - the filter options.
 * @returns the predicate, or `null` when the options do not filter (`{ every: 1 }`).
 * @throws TypeError when `filter` is not a function.
 * @throws RangeError when more than one group (or none) is given, or `every`, `once`, `before` or `after` is out of
 * range (Ignite's ValueError).
 * @example
 * ```ts
 * const f = makeEventFilter({ every: 5, before: 25, after: 8 });
 * [9, 14, 19, 24].every((v) => f?.(null, v)); // true
 * ```
 */
export function makeEventFilter(options: FilterOptions): EventFilterFn | null {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Event filter options should be an object such as { every: 10 }, got ${String(options)}`);
  }
  const { every, once, before, after, filter } = options;
  const groups =
    Number(filter !== undefined) +
    Number(once !== undefined) +
    Number(every !== undefined || before !== undefined || after !== undefined);
  if (groups !== 1) {
    throw new RangeError(
      'Only one of the input arguments should be specified, except before, after and every. ' +
        `Got ${JSON.stringify(Object.keys(options))}: pass { filter }, { once } or any of { every, before, after }.`,
    );
  }
  if (filter !== undefined) {
    if (typeof filter !== 'function') throw new TypeError('Argument filter should be a callable');
    return filter;
  }
  if (once !== undefined) return onceFilter(once);
  if (every === 1 && before === undefined && after === undefined) return null;
  return rangeFilter(every, before, after);
}

/**
 * Creates a callable event with the given name. Used for the built-in events and by {@link defineEvents}.
 *
 * @param name - the event's identifier (lowercase by convention, e.g. `'backward_started'`).
 * @returns the event.
 * @example
 * ```ts
 * const BACKWARD_STARTED = createEvent('backward_started');
 * engine.registerEvents(BACKWARD_STARTED);
 * engine.on(BACKWARD_STARTED({ every: 2 }), () => {});
 * ```
 */
export function createEvent(name: string): CallableEvent {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`An event name should be a non-empty string, got ${String(name)}`);
  }
  const event = function filtered(options: FilterOptions): CallableEvent | FilteredEvent {
    const filter = makeEventFilter(options);
    if (filter === null) return event;
    return Object.freeze({ name, base: event, filter, [EVENT_MARK]: true });
  } as CallableEvent;
  Object.defineProperty(event, 'name', { value: name, enumerable: true });
  Object.defineProperty(event, EVENT_MARK, { value: true });
  // Loose comparisons and template strings see the name: `engine.lastEventName == 'completed'`.
  Object.defineProperty(event, 'toString', { value: () => name });
  Object.defineProperty(event, Symbol.toPrimitive, { value: () => name });
  return Object.freeze(event);
}

/**
 * Tells whether a value is an event made by kindling (built-in, custom or filtered).
 *
 * @param value - anything.
 * @returns true for a {@link CallableEvent} or a {@link FilteredEvent}.
 * @example
 * ```ts
 * isEvent(Events.STARTED); // true
 * isEvent('started');      // false: strings are custom event names
 * ```
 */
export function isEvent(value: unknown): value is CallableEvent | FilteredEvent {
  return (
    (typeof value === 'function' || (typeof value === 'object' && value !== null)) &&
    (value as { [EVENT_MARK]?: boolean })[EVENT_MARK] === true
  );
}

/**
 * Returns the name of an event key (the key itself for strings).
 *
 * @param event - an event, a filtered event or a custom event name.
 * @returns the event name.
 */
export function eventName(event: EventKey): string {
  return typeof event === 'string' ? event : event.name;
}

/**
 * Tells whether two event keys name the same event, ignoring filters (Ignite's `Events.X == Events.X(every=2)`).
 *
 * @param a - first event.
 * @param b - second event.
 * @returns true when both have the same name.
 */
export function sameEvent(a: EventKey, b: EventKey): boolean {
  return eventName(a) === eventName(b);
}

/**
 * The built-in events of every engine.
 *
 * @remarks
 * Order within a run: STARTED, then per epoch EPOCH_STARTED, per iteration GET_BATCH_STARTED, GET_BATCH_COMPLETED,
 * ITERATION_STARTED, ITERATION_COMPLETED, then EPOCH_COMPLETED; finally COMPLETED. DATALOADER_STOP_ITERATION fires
 * when a sized source runs out and is re-iterated; EXCEPTION_RAISED passes the error; TERMINATE_SINGLE_EPOCH passes
 * the iteration counter of the epoch; INTERRUPT fires when `interrupt()` pauses the run.
 *
 * Which events fire when a run ends:
 *
 * | method                                        | TERMINATE_SINGLE_EPOCH | EPOCH_COMPLETED | TERMINATE | COMPLETED |
 * |-----------------------------------------------|------------------------|-----------------|-----------|-----------|
 * | no termination                                | no                     | yes             | no        | yes       |
 * | `terminateEpoch()`                            | yes                    | yes             | no        | yes       |
 * | `terminateEpoch({ skipEpochCompleted: true })`| yes                    | no              | no        | yes       |
 * | `terminate()`                                 | no                     | not for a partial epoch | yes | yes       |
 * | `terminate({ skipCompleted: true })`          | no                     | not for a partial epoch | yes | no        |
 * @see https://pytorch.org/ignite/generated/ignite.engine.events.Events.html
 */
export const Events = Object.freeze({
  /** Once per `run()` (not again when resuming an interrupted run). */
  STARTED: createEvent('started'),
  /** At the start of each epoch, after `state.epoch += 1`. */
  EPOCH_STARTED: createEvent('epoch_started'),
  /** Before the next batch is fetched (not with `data = null`). */
  GET_BATCH_STARTED: createEvent('get_batch_started'),
  /** After a batch is fetched, before `state.iteration += 1`. */
  GET_BATCH_COMPLETED: createEvent('get_batch_completed'),
  /** After `state.iteration += 1`, before the process function. */
  ITERATION_STARTED: createEvent('iteration_started'),
  /** After the process function; `state.output` holds its result. */
  ITERATION_COMPLETED: createEvent('iteration_completed'),
  /** When a sized source runs out and is iterated again. */
  DATALOADER_STOP_ITERATION: createEvent('dataloader_stop_iteration'),
  /** On an error; handlers receive `(engine, error)`. */
  EXCEPTION_RAISED: createEvent('exception_raised'),
  /** After `terminateEpoch()`; handlers receive `(engine, iterCounter)`. */
  TERMINATE_SINGLE_EPOCH: createEvent('terminate_single_epoch'),
  /** At the end of each epoch (not for a partial epoch ended by `terminate()`). */
  EPOCH_COMPLETED: createEvent('epoch_completed'),
  /** After `terminate()`, or when `maxIters` is reached mid-epoch. */
  TERMINATE: createEvent('terminate'),
  /** At the end of the run (unless `terminate({ skipCompleted: true })`). */
  COMPLETED: createEvent('completed'),
  /** When `interrupt()` pauses the run. */
  INTERRUPT: createEvent('interrupt'),
});

/** The state attribute each built-in event's filters read (Ignite's `State.event_to_attr`). */
export const BUILTIN_EVENT_TO_ATTR: Readonly<Record<string, string>> = Object.freeze({
  started: 'epoch',
  epoch_started: 'epoch',
  epoch_completed: 'epoch',
  completed: 'epoch',
  get_batch_started: 'iteration',
  get_batch_completed: 'iteration',
  iteration_started: 'iteration',
  iteration_completed: 'iteration',
});

/**
 * Defines a group of custom events, the counterpart of subclassing Ignite's `EventEnum`.
 *
 * @param names - map from constant name to event name, e.g. `{ BACKWARD_STARTED: 'backward_started' }`.
 * @returns an object with one callable event per entry.
 * @throws TypeError when a name is not a non-empty string.
 * @example
 * ```ts
 * const MyEvents = defineEvents({ BACKWARD_STARTED: 'backward_started', BACKWARD_COMPLETED: 'backward_completed' });
 * engine.registerEvents(MyEvents, { eventToAttr: { backward_started: 'backwardCount' } });
 * engine.on(MyEvents.BACKWARD_STARTED({ every: 2 }), () => {});
 * ```
 */
export function defineEvents<K extends string>(names: Record<K, string>): Readonly<Record<K, CallableEvent>> {
  if (names === null || typeof names !== 'object') {
    throw new TypeError(`defineEvents expects an object such as { MY_EVENT: 'my_event' }, got ${String(names)}`);
  }
  const out = {} as Record<K, CallableEvent>;
  for (const key of Object.keys(names) as K[]) out[key] = createEvent(names[key]);
  return Object.freeze(out);
}

/** @internal Throws the error Ignite raises for a filter on an event without a state attribute. */
export function unknownEventNameError(name: string): InvalidEventError {
  return new InvalidEventError(
    `Unknown event name '${name}': filters need a state attribute for this event. ` +
      `Register it with engine.registerEvents(event, { eventToAttr: { ${name}: 'attributeName' } }).`,
  );
}
