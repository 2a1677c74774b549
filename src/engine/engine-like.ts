/**
 * @module The part of the `Engine` API that handlers and metrics use. Port of nothing in Ignite: Python
 * duck-types the engine, while TypeScript's `Engine<TBatch, TOutput>` is invariant in its type parameters, so a handler
 * typed against `Engine` would not accept an `Engine<number, number>`. Handlers take this structural type instead,
 * which every `Engine` (and subclass) satisfies.
 */

import type { EventKey } from './events.js';
import type { Handler } from './handlers.js';
import type { Logger } from './logger.js';
import type { RemovableEventHandle } from './removable-handle.js';
import type { State } from './state.js';

/**
 * What kindling's handlers need from an engine: its state, logger, `terminate()` and handler registration.
 *
 * @example
 * ```ts
 * function stopNow(engine: EngineLike): void { engine.terminate(); }
 * stopNow(new Engine((_e, batch: number) => batch));
 * ```
 */
export interface EngineLike {
  /** The run state (counters, output, metrics, user attributes). */
  readonly state: State;
  /** Where handlers log. */
  readonly logger: Logger;
  /** Stops the run (see `Engine.terminate`). */
  terminate(options?: { skipCompleted?: boolean }): void;
  /** Registers a handler (see `Engine.on`). */
  on(event: EventKey | readonly EventKey[], handler: Handler<EngineLike>, ...args: unknown[]): RemovableEventHandle;
  /** Removes every registration of a handler on an event (see `Engine.off`). */
  off(event: EventKey, handler: unknown): void;
  /** Tells whether a handler is registered (see `Engine.hasEventHandler`). */
  hasEventHandler(handler: unknown, event?: EventKey): boolean;
}

/**
 * The least an object needs to receive scheduled state values: a `state` bag.
 *
 */
export interface StateHolder {
  /** The state the value is written to. */
  readonly state: State;
}
