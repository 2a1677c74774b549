/**
 * @module Port of ignite/handlers/timing.py `Timer`.
 *
 * Deviations: options object; the clock can be injected (`now`, in seconds) for tests; `attach` options are an
 * object; `isRunning` is the `running` flag.
 */

import { Events, type EventKey } from '../engine/index.js';
import type { EngineLike } from '../engine/index.js';

/** Options of {@link Timer}. */
export interface TimerOptions {
  /** `value()` returns the total divided by the number of `step()` calls. @defaultValue false */
  average?: boolean;
  /** Clock in seconds. @defaultValue `performance.now() / 1000` */
  now?: () => number;
}

/** Options of {@link Timer.attach}. */
export interface TimerAttachOptions {
  /** Event that starts (resets) the timer. @defaultValue Events.STARTED */
  start?: EventKey;
  /** Event that pauses the timer. @defaultValue Events.COMPLETED */
  pause?: EventKey;
  /** Event that resumes the timer. */
  resume?: EventKey;
  /** Event that counts a step (for `average`). */
  step?: EventKey;
}

const defaultNow = (): number => performance.now() / 1000;

/**
 * Measures the (average) time between events, in seconds. The timer starts running when created.
 *
 * @example
 * ```ts
 * // average time to process one batch
 * const timer = new Timer({ average: true });
 * timer.attach(trainer, {
 *   start: Events.EPOCH_STARTED,
 *   resume: Events.ITERATION_STARTED,
 *   pause: Events.ITERATION_COMPLETED,
 *   step: Events.ITERATION_COMPLETED,
 * });
 * trainer.on(Events.EPOCH_COMPLETED, () => console.log(`${timer.value()} s/batch`));
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.timing.Timer.html
 */
export class Timer {
  /** Seconds accumulated while running, up to the last pause. */
  total = 0;
  /** Number of `step()` calls. */
  stepCount = 0;
  /** Whether the timer is measuring. */
  isRunning = true;
  readonly #average: boolean;
  readonly #now: () => number;
  #t0: number;

  /**
   * @param options - see {@link TimerOptions}.
   */
  constructor(options: TimerOptions = {}) {
    this.#average = options.average ?? false;
    this.#now = options.now ?? defaultNow;
    this.#t0 = this.#now();
  }

  /**
   * Registers the timer's controls on engine events.
   *
   * @param engine - the engine.
   * @param options - the events for start, pause, resume and step.
   * @returns this timer.
   */
  attach(engine: EngineLike, options: TimerAttachOptions = {}): this {
    const { start = Events.STARTED, pause = Events.COMPLETED, resume, step } = options;
    engine.on(start, () => this.reset());
    engine.on(pause, () => this.pause());
    if (resume !== undefined) engine.on(resume, () => this.resume());
    if (step !== undefined) engine.on(step, () => this.step());
    return this;
  }

  /**
   * Restarts the timer from zero (running, no steps).
   *
   * @returns this timer.
   */
  reset(): this {
    this.total = 0;
    this.stepCount = 0;
    this.isRunning = true;
    this.#t0 = this.#now();
    return this;
  }

  /**
   * Stops measuring; the elapsed time since the last start/resume is added to `total`.
   *
   */
  pause(): void {
    if (this.isRunning) {
      this.total += this.#now() - this.#t0;
      this.isRunning = false;
    }
  }

  /**
   * Starts measuring again after a pause.
   *
   */
  resume(): void {
    if (!this.isRunning) {
      this.isRunning = true;
      this.#t0 = this.#now();
    }
  }

  /**
   * Counts one step (the denominator of the average).
   *
   */
  step(): void {
    this.stepCount += 1;
  }

  /**
   * The measured time in seconds: the total (including the running interval), divided by `max(stepCount, 1)` when
   * `average` is set.
   *
   * @returns seconds.
   */
  value(): number {
    let total = this.total;
    if (this.isRunning) total += this.#now() - this.#t0;
    return this.#average ? total / Math.max(this.stepCount, 1) : total;
  }
}
