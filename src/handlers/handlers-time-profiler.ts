/**
 * @module Port of ignite/handlers/time_profilers.py `HandlersTimeProfiler`: time per handler and event, processing
 * and dataflow times.
 *
 * Deviations:
 * - Ignite rewraps the engine's private handler lists at STARTED. kindling's engine does not expose them, so
 *   `attach(engine)` intercepts the engine's `on` (and `off` / `hasEventHandler`, which see through the wrapping):
 *   handlers registered after `attach` are profiled, so attach the profiler first. `detach()` restores the methods.
 * - A handler on a filtered event is timed only when its filter passes (the filter runs before the wrapper), so
 *   Ignite's 0.1 ms threshold for filtered handlers is not needed.
 * - Rows are objects (`{ handler, event, total, minIndex, maxIndex, mean, std }`); missing statistics are `'None'`
 *   as in Ignite. `printResults` returns the table instead of printing it; `toCsv()` returns Ignite's unaggregated
 *   CSV and `writeHandlersProfilerCsv` (kindling/node) writes it (no pandas).
 * - Handler names are the function's `name` (or the class name of a `{ handle }` object), not Python's qualname.
 */

import { Events, eventName, type EngineLike, type EventKey, type Handler, type RemovableEventHandle } from '../engine/index.js';
import { durationStats } from './time-profiler.js';

/** One row of {@link HandlersTimeProfiler.getResults}: Ignite's `[handler, event, total, min/idx, max/idx, mean, std]`. */
export interface HandlerProfileRow {
  /** Handler name, or `Total`, `Processing`, `Dataflow` for the last three rows. */
  handler: string;
  /** Event name (`ITERATION_COMPLETED`), `''` for Total, `'None'` for Processing and Dataflow. */
  event: string;
  /** Total seconds (rounded to 5 decimals), or `'not triggered'`. */
  total: number | 'not triggered';
  /** Minimum and its index among the non-zero times. */
  minIndex: [number, number] | ['None', 'None'];
  /** Maximum and its index among the non-zero times. */
  maxIndex: [number, number] | ['None', 'None'];
  /** Mean seconds. */
  mean: number | 'None';
  /** Sample standard deviation (needs two times). */
  std: number | 'None';
}

const round5 = (v: number): number => Math.round(v * 1e5) / 1e5;

function basicStats(times: readonly number[]): Omit<HandlerProfileRow, 'handler' | 'event'> {
  const data = times.filter((t) => t > 0);
  if (data.length === 0) return { total: 'not triggered', minIndex: ['None', 'None'], maxIndex: ['None', 'None'], mean: 'None', std: 'None' };
  const { total, lo, hi, mean, std: sampleStd } = durationStats(data);
  const std = data.length > 1 ? round5(sampleStd) : 'None';
  return { total: round5(total), minIndex: [round5(data[lo] as number), lo], maxIndex: [round5(data[hi] as number), hi], mean: round5(mean), std };
}

function handlerName(handler: unknown): string {
  if (typeof handler === 'function') return handler.name || '<anonymous>';
  return (handler as { constructor?: { name?: string } } | null)?.constructor?.name ?? '<anonymous>';
}

type On = EngineLike['on'];
type Off = EngineLike['off'];
type Has = EngineLike['hasEventHandler'];

/**
 * Profiles each handler of an engine (time per handler and event), the process function and batch fetching.
 *
 * @example
 * ```ts
 * const profiler = new HandlersTimeProfiler();
 * profiler.attach(trainer); // first: only handlers registered afterwards are timed
 * trainer.on(Events.EPOCH_COMPLETED, async function validate() { await evaluator.run(valLoader); });
 * await trainer.run(trainLoader, { maxEpochs: 3 });
 * console.log(HandlersTimeProfiler.printResults(profiler.getResults()));
 * await writeHandlersProfilerCsv(profiler, 'runs/exp1/time_profiling.csv'); // kindling/node
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.time_profilers.HandlersTimeProfiler.html
 */
export class HandlersTimeProfiler {
  /** Per-iteration process function times (seconds). */
  processingTimes: number[] = [];
  /** Per-iteration batch fetching times (seconds). */
  dataflowTimes: number[] = [];
  /** Times of each handler, by event name (`ITERATION_COMPLETED`) then handler name. */
  readonly eventHandlersTimes = new Map<string, Map<string, number[]>>();
  readonly #now: () => number;
  readonly #wrappers = new Map<unknown, Set<Handler<EngineLike>>>();
  #restore: (() => void) | null = null;
  #lastHandles: RemovableEventHandle[] = [];
  #processStart = 0;
  #fetchStart = 0;

  /** @param options - `now`: clock in seconds, for tests. @defaultValue `performance.now() / 1000` */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? (() => performance.now() / 1000);
  }

  /**
   * Starts profiling `engine`: every handler registered from now on is timed. Attaching twice does nothing.
   *
   * @param engine - the engine (its `on`, `off` and `hasEventHandler` are wrapped until {@link HandlersTimeProfiler.detach}).
   */
  attach(engine: EngineLike): void {
    if (this.#restore !== null) return;
    const target = engine as { on: On; off: Off; hasEventHandler: Has };
    const own = (['on', 'off', 'hasEventHandler'] as const).filter((k) => Object.hasOwn(target, k));
    const saved = { on: target.on, off: target.off, hasEventHandler: target.hasEventHandler };
    const on = saved.on.bind(engine);
    const off = saved.off.bind(engine);
    const has = saved.hasEventHandler.bind(engine);
    target.on = (event, handler, ...args) => on(event, this.#wrap(event, handler), ...args);
    target.off = (event, handler) => this.#off(off, has, event, handler);
    target.hasEventHandler = (handler, event) =>
      has(handler, event) || [...(this.#wrappers.get(handler) ?? [])].some((w) => has(w, event));
    const handles = [
      on(Events.STARTED, (e: EngineLike) => this.#onStarted(e, on)),
      on(Events.ITERATION_COMPLETED, () => void this.processingTimes.push(this.#now() - this.#processStart)),
      on(Events.GET_BATCH_COMPLETED, () => void this.dataflowTimes.push(this.#now() - this.#fetchStart)),
    ];
    this.#restore = () => {
      for (const k of ['on', 'off', 'hasEventHandler'] as const) {
        if (own.includes(k)) (target as Record<string, unknown>)[k] = saved[k];
        else delete (target as Partial<typeof target>)[k];
      }
      for (const h of [...handles, ...this.#lastHandles]) h.remove();
    };
  }

  /** Stops profiling: restores the engine's methods and removes the profiler's own handlers (wrapped handlers stay). */
  detach(): void {
    this.#restore?.();
    this.#restore = null;
  }

  #wrap(event: EventKey | readonly EventKey[], handler: Handler<EngineLike>): Handler<EngineLike> {
    const events = (Array.isArray(event) ? event : [event]) as readonly EventKey[];
    const name = handlerName(handler);
    const call = typeof handler === 'function' ? handler : handler.handle.bind(handler);
    const timesByEvent = events.map((e) => eventName(e).toUpperCase()).map((ev) => {
      const byHandler = this.eventHandlersTimes.get(ev) ?? new Map<string, number[]>();
      this.eventHandlersTimes.set(ev, byHandler);
      if (!byHandler.has(name)) byHandler.set(name, []);
      return [ev, byHandler] as const;
    });
    const record = (engine: EngineLike, start: number): void => {
      const ev = eventName((engine as { lastEventName?: EventKey | null }).lastEventName ?? events[0] as EventKey).toUpperCase();
      const byHandler = (timesByEvent.find(([e]) => e === ev) ?? timesByEvent[0])?.[1];
      byHandler?.get(name)?.push(this.#now() - start);
    };
    const wrapped = (engine: EngineLike, ...args: unknown[]): unknown => {
      const start = this.#now();
      const result = call(engine, ...args);
      if (result !== null && typeof (result as { then?: unknown })?.then === 'function') {
        return (result as Promise<unknown>).then((v) => { record(engine, start); return v; });
      }
      record(engine, start);
      return result;
    };
    Object.defineProperty(wrapped, 'length', { value: call.length });
    Object.defineProperty(wrapped, 'name', { value: name });
    const set = this.#wrappers.get(handler) ?? new Set();
    set.add(wrapped);
    this.#wrappers.set(handler, set);
    return wrapped;
  }

  #off(off: Off, has: Has, event: EventKey, handler: unknown): void {
    const mine = [...(this.#wrappers.get(handler) ?? [])].filter((w) => has(w, event));
    if (mine.length === 0) {
      off(event, handler);
      return;
    }
    for (const w of mine) off(event, w);
    if (has(handler, event)) off(event, handler);
  }

  #onStarted(engine: EngineLike, on: On): void {
    this.processingTimes = [];
    this.dataflowTimes = [];
    for (const byHandler of this.eventHandlersTimes.values()) for (const key of byHandler.keys()) byHandler.set(key, []);
    for (const h of this.#lastHandles) h.remove();
    // Registered now, they run after every handler registered before the run.
    this.#lastHandles = [
      on(Events.ITERATION_STARTED, () => void (this.#processStart = this.#now())),
      on(Events.GET_BATCH_STARTED, () => void (this.#fetchStart = this.#now())),
    ];
    void engine;
  }

  /**
   * Aggregates the measurements: one row per handler and event, then `Total`, `Processing` and `Dataflow`.
   *
   * @returns Ignite's rows (times in seconds, rounded to 5 decimals; statistics over non-zero times).
   */
  getResults(): HandlerProfileRow[] {
    const rows: HandlerProfileRow[] = [];
    let total = 0;
    for (const [event, byHandler] of this.eventHandlersTimes) {
      for (const [handler, times] of byHandler) {
        total += times.reduce((a, b) => a + b, 0);
        rows.push({ handler, event, ...basicStats(times) });
      }
    }
    rows.push({ handler: 'Total', event: '', total: round5(total), minIndex: ['None', 'None'], maxIndex: ['None', 'None'], mean: 'None', std: 'None' });
    rows.push({ handler: 'Processing', event: 'None', ...basicStats(this.processingTimes) });
    rows.push({ handler: 'Dataflow', event: 'None', ...basicStats(this.dataflowTimes) });
    return rows;
  }

  /**
   * The unaggregated times as Ignite's CSV: `#`, `processing_stats`, `dataflow_stats`, then `<handler> (<EVENT>)`
   * columns, padded with 0.
   *
   * @returns the CSV text.
   */
  toCsv(): string {
    const headers = ['#', 'processing_stats', 'dataflow_stats'];
    const cols: number[][] = [this.processingTimes, this.dataflowTimes];
    for (const [event, byHandler] of this.eventHandlersTimes) {
      for (const [handler, times] of byHandler) {
        headers.push(`${handler} (${event})`);
        cols.push(times);
      }
    }
    const n = Math.max(0, ...cols.map((c) => c.length));
    const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [headers.map(quote).join(',')];
    for (let i = 0; i < n; i++) lines.push([i + 1, ...cols.map((c) => c[i] ?? 0)].join(','));
    return lines.join('\n') + '\n';
  }

  /**
   * Formats results as Ignite's table (handler rows, the total, then processing and dataflow summaries).
   *
   * @param results - from {@link HandlersTimeProfiler.getResults}.
   * @returns the text (not printed).
   */
  static printResults(results: readonly HandlerProfileRow[]): string {
    const body = results.slice(0, -3);
    const hw = Math.max(...results.map((r) => r.handler.length)) + 4;
    const ew = Math.max(...results.map((r) => r.event.length)) + 4;
    const widths = [hw, ew, 14, 14, 14, 14, 14];
    const row = (cells: readonly (string | number)[]): string =>
      cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i] as number) : String(c).padStart(widths[i] as number))).join('  ').trimEnd();
    const sep = widths.map((w) => '-'.repeat(w)).join('  ');
    const pair = (p: readonly [unknown, unknown], unit = ''): string => `${String(p[0])}${unit}/${String(p[1])}`;
    const out = ['', sep, row(['Handler', 'Event Name', 'Total(s)', 'Min(s)/IDX', 'Max(s)/IDX', 'Mean(s)', 'Std(s)']), sep];
    for (const r of body) out.push(row([r.handler, r.event, r.total, pair(r.minIndex), pair(r.maxIndex), r.mean, r.std]));
    const t = results[results.length - 3];
    out.push(sep, row([t?.handler ?? 'Total', '', t?.total ?? 0, '', '', '', '']), sep);
    for (const r of results.slice(-2)) {
      out.push(`${r.handler} took total ${r.total}s [min/index: ${pair(r.minIndex, 's')}, max/index: ${pair(r.maxIndex, 's')}, ` +
        `mean: ${r.mean}s, std: ${r.std}s]`);
    }
    return out.join('\n') + '\n';
  }
}
