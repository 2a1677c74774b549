/**
 * @module Port of ignite/handlers/time_profilers.py `BasicTimeProfiler`.
 *
 * Deviations:
 * - Ignite inserts its timing handlers at the front of every event's handler list through the engine's private
 *   `_event_handlers`. kindling only uses the public API: `attach()` registers the "first" handlers immediately, so
 *   attach the profiler before the handlers you want measured; the "last" handlers are appended at STARTED (after
 *   every handler registered before the run) and removed at COMPLETED.
 * - Handler names are not reported (the engine does not expose its handler lists), so `getResults()` has no
 *   `event_handlers_names` and `printResults()` prints `- Events.X:` without names. It returns the text instead of
 *   printing it. `write_results` (pandas CSV) is not ported.
 * - Dataflow time is the time to fetch the batch only (from the end of GET_BATCH_STARTED handlers to the start of
 *   GET_BATCH_COMPLETED handlers); Ignite's also includes those handlers, which it already counts as handler time.
 * - STARTED handler time is taken when the first EPOCH_STARTED (or COMPLETED) handler runs, because handlers added
 *   during an event do not run in that same event.
 * - Results use camelCase keys; a statistic that was never triggered is `'not yet triggered'`, as in Ignite.
 */

import { Events, type RemovableEventHandle } from '../engine/index.js';
import type { EngineLike } from '../engine/index.js';

/** Aggregated statistics of a list of durations (seconds). `min/max` are `[value, index]`; given from two samples. */
export interface TimeStats {
  /** Sum, or `'not yet triggered'` when nothing was measured. */
  total: number | 'not yet triggered';
  /** Minimum and its index. */
  minIndex?: [number, number];
  /** Maximum and its index. */
  maxIndex?: [number, number];
  /** Mean. */
  mean?: number;
  /** Sample standard deviation (n - 1). */
  std?: number;
}

/** The profiled events, in Ignite's order. */
const PROFILED = ['STARTED', 'EPOCH_STARTED', 'ITERATION_STARTED', 'ITERATION_COMPLETED', 'GET_BATCH_STARTED',
  'GET_BATCH_COMPLETED', 'EPOCH_COMPLETED', 'COMPLETED'] as const;

/** Name of a profiled event. */
export type ProfiledEvent = (typeof PROFILED)[number];

/** What {@link BasicTimeProfiler.getResults} returns. */
export interface BasicTimeProfilerResults {
  /** Per-iteration process function times. */
  processingStats: TimeStats;
  /** Per-iteration batch fetching times. */
  dataflowStats: TimeStats;
  /** Per-event handler times, plus their grand total. */
  eventHandlersStats: Record<ProfiledEvent, TimeStats> & { totalTime: number };
}

/**
 * Total, positions of the smallest and largest value, mean and sample standard deviation of a list of durations
 * (shared by both profilers; each formats them its own way, as Ignite's do).
 *
 * @param data - durations, at least one.
 * @returns the raw statistics (`std` is NaN for a single value).
 * @internal
 */
export function durationStats(data: readonly number[]): { total: number; lo: number; hi: number; mean: number; std: number } {
  const total = data.reduce((a, b) => a + b, 0);
  let lo = 0;
  let hi = 0;
  data.forEach((v, i) => {
    if (v < (data[lo] as number)) lo = i;
    if (v > (data[hi] as number)) hi = i;
  });
  const mean = total / data.length;
  const std = Math.sqrt(data.reduce((a, v) => a + (v - mean) ** 2, 0) / (data.length - 1));
  return { total, lo, hi, mean, std };
}

function computeStats(data: readonly number[]): TimeStats {
  if (data.length === 0) return { total: 'not yet triggered' };
  if (data.length === 1) return { total: data[0] as number };
  const { total, lo, hi, mean, std } = durationStats(data);
  return { total, minIndex: [data[lo] as number, lo], maxIndex: [data[hi] as number, hi], mean, std };
}

function statsLine(s: TimeStats): string {
  if (typeof s.total === 'string') return s.total;
  const parts = [s.total.toFixed(5)];
  if (s.minIndex && s.maxIndex && s.mean !== undefined && s.std !== undefined) {
    parts.push(`${s.minIndex[0].toFixed(5)}/${s.minIndex[1]}`, `${s.maxIndex[0].toFixed(5)}/${s.maxIndex[1]}`);
    parts.push(s.mean.toFixed(5), s.std.toFixed(5));
  }
  return parts.join(' | ');
}

/**
 * Profiles an engine: time spent in each event's handlers, in the process function and in fetching batches.
 *
 * @example
 * ```ts
 * const profiler = new BasicTimeProfiler();
 * profiler.attach(trainer); // before the other handlers
 * trainer.on(Events.EPOCH_COMPLETED, () => console.log(BasicTimeProfiler.printResults(profiler.getResults())));
 * await trainer.run(data, { maxEpochs: 3 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.time_profilers.BasicTimeProfiler.html
 */
export class BasicTimeProfiler {
  /** Per-iteration process function times (seconds). */
  processingTimes: number[] = [];
  /** Per-iteration batch fetching times (seconds). */
  dataflowTimes: number[] = [];
  /** Per-event handler times (seconds): one entry per firing. */
  eventHandlersTimes: Record<ProfiledEvent, number[]> = BasicTimeProfiler.#emptyTimes();
  readonly #now: () => number;
  readonly #first = new Map<ProfiledEvent, (engine: EngineLike) => void>();
  #lastHandles: RemovableEventHandle[] = [];
  #eventStart = 0;
  #fetchStart = 0;
  #processStart = 0;
  #startedAt: number | null = null;

  /**
   * @param options - `now`: clock in seconds, for tests. @defaultValue `performance.now() / 1000`
   */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now() / 1000);
  }

  static #emptyTimes(): Record<ProfiledEvent, number[]> {
    return Object.fromEntries(PROFILED.map((e) => [e, []])) as unknown as Record<ProfiledEvent, number[]>;
  }

  /**
   * Starts profiling `engine`. Attach it before the handlers to measure: the profiler's opening handler of each
   * event must run before them. Attaching twice to the same engine does nothing.
   *
   * @param engine - the engine.
   */
  attach(engine: EngineLike): void {
    if (this.#first.size === 0) {
      for (const name of PROFILED) this.#first.set(name, (e) => this.#onFirst(name, e));
    }
    const started = this.#first.get('STARTED');
    if (engine.hasEventHandler(started, Events.STARTED)) return;
    for (const name of PROFILED) engine.on(Events[name], this.#first.get(name) as (e: EngineLike) => void);
  }

  #onFirst(name: ProfiledEvent, engine: EngineLike): void {
    const now = this.#now();
    if (name === 'STARTED') {
      this.#onRunStart(engine, now);
      return;
    }
    if (this.#startedAt !== null && (name === 'EPOCH_STARTED' || name === 'COMPLETED')) {
      this.eventHandlersTimes.STARTED.push(now - this.#startedAt);
      this.#startedAt = null;
    }
    if (name === 'GET_BATCH_COMPLETED') this.dataflowTimes.push(now - this.#fetchStart);
    if (name === 'ITERATION_COMPLETED') this.processingTimes.push(now - this.#processStart);
    this.#eventStart = this.#now();
  }

  #onLast(name: ProfiledEvent): void {
    const now = this.#now();
    this.eventHandlersTimes[name].push(now - this.#eventStart);
    if (name === 'GET_BATCH_STARTED') this.#fetchStart = now;
    if (name === 'ITERATION_STARTED') this.#processStart = now;
    if (name === 'COMPLETED') this.#detachLast();
  }

  #onRunStart(engine: EngineLike, now: number): void {
    this.processingTimes = [];
    this.dataflowTimes = [];
    this.eventHandlersTimes = BasicTimeProfiler.#emptyTimes();
    this.#detachLast();
    this.#lastHandles = PROFILED.filter((n) => n !== 'STARTED').map((name) =>
      engine.on(Events[name], () => this.#onLast(name)),
    );
    this.#startedAt = now;
  }

  #detachLast(): void {
    for (const h of this.#lastHandles) h.remove();
    this.#lastHandles = [];
  }

  /**
   * Aggregates the measurements of the current (or last) run.
   *
   * @returns processing, dataflow and per-event handler statistics.
   */
  getResults(): BasicTimeProfilerResults {
    const stats = Object.fromEntries(PROFILED.map((e) => [e, computeStats(this.eventHandlersTimes[e])])) as Record<
      ProfiledEvent,
      TimeStats
    >;
    const totalTime = PROFILED.reduce((a, e) => a + this.eventHandlersTimes[e].reduce((x, y) => x + y, 0), 0);
    return {
      processingStats: computeStats(this.processingTimes),
      dataflowStats: computeStats(this.dataflowTimes),
      eventHandlersStats: { ...stats, totalTime },
    };
  }

  /**
   * Formats results as Ignite's text table (`total | min/index | max/index | mean | std` per line).
   *
   * @param results - the output of {@link BasicTimeProfiler.getResults}.
   * @returns the text (not printed).
   */
  static printResults(results: BasicTimeProfilerResults): string {
    const eh = results.eventHandlersStats;
    const events = ['STARTED', 'EPOCH_STARTED', 'ITERATION_STARTED', 'ITERATION_COMPLETED', 'EPOCH_COMPLETED', 'COMPLETED'] as const;
    return [
      '',
      ' ----------------------------------------------------',
      '| Time profiling stats (in seconds):                 |',
      ' ----------------------------------------------------',
      'total  |  min/index  |  max/index  |  mean  |  std',
      '',
      'Processing function:',
      statsLine(results.processingStats),
      '',
      'Dataflow:',
      statsLine(results.dataflowStats),
      '',
      'Event handlers:',
      eh.totalTime.toFixed(5),
      ...events.flatMap((e) => ['', `- Events.${e}:`, statsLine(eh[e])]),
      '',
    ].join('\n');
  }
}
