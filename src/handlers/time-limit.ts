/**
 * @module Port of ignite/handlers/time_limit.py `TimeLimit`.
 *
 * Deviations: options object; the clock can be injected (`now`, in seconds) for tests; the message goes to
 * `engine.logger.info`.
 */

import type { EngineLike } from '../engine/index.js';

/** Options of {@link TimeLimit}. */
export interface TimeLimitOptions {
  /** Maximum wall time in seconds, counted from the handler's creation. @defaultValue 28800 (8 hours) */
  limitSec?: number;
  /** Clock in seconds. @defaultValue `Date.now() / 1000` */
  now?: () => number;
}

/**
 * Terminates the run once the wall time since the handler's creation exceeds `limitSec`, for environments with a
 * limited session time. Attach it to `ITERATION_COMPLETED` (or `EPOCH_COMPLETED` for a coarser check).
 *
 * @see https://pytorch.org/ignite/generated/ignite.handlers.time_limit.TimeLimit.html
 */
export class TimeLimit {
  /** The limit in seconds. */
  readonly limitSec: number;
  /** Start time in seconds (clock of `now`). */
  readonly startTime: number;
  readonly #now: () => number;

  /**
   * @param options - see {@link TimeLimitOptions}.
   * @throws TypeError when `limitSec` is not an integer.
   * @throws RangeError when `limitSec` is not positive.
   */
  constructor(options: TimeLimitOptions = {}) {
    const limitSec = options.limitSec ?? 28800;
    if (typeof limitSec !== 'number' || !Number.isInteger(limitSec)) {
      throw new TypeError(`Argument limitSec should be an integer, but given ${String(limitSec)}.`);
    }
    if (limitSec <= 0) throw new RangeError(`Argument limitSec should be a positive integer, but given ${limitSec}.`);
    this.limitSec = limitSec;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.startTime = this.#now();
  }

  /**
   * The event handler: terminates the engine when the limit is exceeded.
   *
   * @param engine - the engine.
   */
  handle(engine: EngineLike): void {
    if (this.#now() - this.startTime > this.limitSec) {
      engine.logger.info(`Reached the time limit: ${this.limitSec} sec. Stop training`);
      engine.terminate();
    }
  }
}
