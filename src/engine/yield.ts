/**
 * @module Yielding to the macrotask queue during a run, so that timers, I/O, signals and (in a browser) rendering
 * are served while an epoch runs. Every `await` of the run loop resumes as a microtask, so without this a whole
 * epoch of synchronous or already-resolved steps would hold the event loop.
 *
 * Deviations: Ignite runs in a thread of its own and has no equivalent. The engine reads the clock only every
 * `stride` iterations, with `stride` adapted so that the clock is read about four times per interval; this module
 * uses no Node built-in (feature detection on `globalThis`) so the engine stays browser-safe.
 */

/** The default interval between two yields of a running engine, in milliseconds. */
export const DEFAULT_YIELD_INTERVAL_MS = 50;

const MAX_STRIDE = 4096;

interface SchedulingGlobals {
  setImmediate?: (callback: () => void) => unknown;
  scheduler?: { yield?: () => Promise<void> };
  MessageChannel?: new () => {
    port1: { onmessage: ((ev: unknown) => void) | null; close?(): void };
    port2: { postMessage(message: unknown): void };
  };
  setTimeout: (callback: () => void, ms: number) => unknown;
}

// Captured at import: fake timers installed later (tests mocking setImmediate) must not stall a running engine.
const nativeSetImmediate = (globalThis as unknown as SchedulingGlobals).setImmediate;

let channelWaiters: (() => void)[] = [];
let channelPost: (() => void) | null = null;

function viaMessageChannel(g: SchedulingGlobals): Promise<void> {
  if (channelPost === null) {
    const Channel = g.MessageChannel as NonNullable<SchedulingGlobals['MessageChannel']>;
    const channel = new Channel();
    channel.port1.onmessage = () => {
      const waiters = channelWaiters;
      channelWaiters = [];
      for (const w of waiters) w();
    };
    channelPost = () => channel.port2.postMessage(null);
  }
  return new Promise<void>((resolve) => {
    channelWaiters.push(resolve);
    if (channelWaiters.length === 1) (channelPost as () => void)();
  });
}

/**
 * Resolves after one turn of the macrotask queue: `setImmediate` in Node (I/O, signals and due timers run first),
 * `scheduler.yield()` in browsers that have it, else a `MessageChannel` message (not clamped like `setTimeout`).
 *
 * @returns a promise resolved from a macrotask.
 */
export function yieldToMacrotasks(): Promise<void> {
  const g = globalThis as unknown as SchedulingGlobals;
  if (typeof nativeSetImmediate === 'function') {
    return new Promise<void>((resolve) => {
      nativeSetImmediate(resolve);
    });
  }
  if (typeof g.scheduler?.yield === 'function') return g.scheduler.yield();
  if (typeof g.MessageChannel === 'function') return viaMessageChannel(g);
  return new Promise<void>((resolve) => {
    g.setTimeout(resolve, 0);
  });
}

/**
 * Decides when a running engine yields: the loop decrements {@link Pacer.countdown} once per iteration and calls
 * {@link Pacer.check} when it reaches zero; `check` reads the clock and returns a promise when the interval since
 * the last yield has passed.
 *
 * @internal
 */
export class Pacer {
  /** Iterations left before the next clock read. */
  countdown = 1;
  readonly #intervalMs: number;
  #stride = 1;
  #lastYield = 0;
  #lastCheck = 0;

  /**
   * @param intervalMs - the longest time between two yields (a positive number of milliseconds).
   */
  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /**
   * Starts counting from now (at the start of each run).
   *
   * @returns this pacer.
   */
  reset(): this {
    this.#lastYield = this.#lastCheck = performance.now();
    this.#stride = 1;
    this.countdown = 1;
    return this;
  }

  /**
   * Reads the clock, adapts the stride, and yields when the interval has passed.
   *
   * @returns a promise to await when it is time to yield, else `undefined`.
   */
  check(): Promise<void> | undefined {
    const now = performance.now();
    const sinceCheck = now - this.#lastCheck;
    this.#lastCheck = now;
    const quarter = this.#intervalMs / 4;
    if (sinceCheck < quarter / 2 && this.#stride < MAX_STRIDE) this.#stride *= 2;
    else if (sinceCheck > quarter && this.#stride > 1) this.#stride = Math.max(1, Math.floor(this.#stride / 2));
    this.countdown = this.#stride;
    if (now - this.#lastYield < this.#intervalMs) return undefined;
    return yieldToMacrotasks().then(() => {
      this.#lastYield = this.#lastCheck = performance.now();
    });
  }
}

/**
 * Validates the `yieldIntervalMs` engine option and builds its pacer.
 *
 * @param intervalMs - milliseconds between yields; `0` turns yielding off.
 * @returns the pacer, or `null` when yielding is off.
 * @throws TypeError when the value is not a number; RangeError when it is negative or not finite.
 * @internal
 */
export function createPacer(intervalMs: unknown = DEFAULT_YIELD_INTERVAL_MS): Pacer | null {
  if (typeof intervalMs !== 'number') {
    throw new TypeError(`Argument yieldIntervalMs should be a number of milliseconds, got ${typeof intervalMs}. Pass e.g. 50, or 0 to turn yielding off.`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs < 0) {
    throw new RangeError(`Argument yieldIntervalMs should be a finite number >= 0, got ${intervalMs}. Pass e.g. 50, or 0 to turn yielding off.`);
  }
  return intervalMs === 0 ? null : new Pacer(intervalMs);
}
