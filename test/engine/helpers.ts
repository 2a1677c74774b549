// Shared helpers of the engine tests: event traces and small data sources.
import { Engine, Events, silentLogger, type CallableEvent } from '../../src/index.js';

export const ALL_EVENTS: CallableEvent[] = Object.values(Events);

/** [event name, epoch, iteration] for every built-in event fired. */
export type Trace = [string, number, number][];

/** Records every built-in event of an engine (registered first, so it sees the state before user handlers). */
export function recordTrace(engine: Engine<unknown, unknown>): Trace {
  const trace: Trace = [];
  for (const ev of ALL_EVENTS) {
    engine.on(ev, (e) => {
      trace.push([ev.name, e.state.epoch, e.state.iteration]);
    });
  }
  return trace;
}

/** The numbers 0..n-1. */
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/** An engine with a trivial process function and a silent logger. */
export function makeEngine<T = unknown>(fn: (e: Engine<T, unknown>, b: T) => unknown = (_e, b) => b): Engine<T, unknown> {
  return new Engine<T, unknown>(fn, { logger: silentLogger });
}

/** A one-shot generator (unsized, not re-iterable). */
export function* gen<T>(items: readonly T[]): Generator<T> {
  for (const x of items) yield x;
}

/** An endless generator. */
export function* infinite(): Generator<number> {
  let i = 0;
  for (;;) yield i++;
}

/** Counts calls per event name. */
export function countEvents(engine: Engine<unknown, unknown>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const ev of ALL_EVENTS) {
    engine.on(ev, () => {
      counts.set(ev.name, (counts.get(ev.name) ?? 0) + 1);
    });
  }
  return counts;
}

/** The trace of an uninterrupted run, built independently of the engine from Ignite's loop rules (`_internal_run_as_gen`). */
export function expectedTrace(dataLength: number, epochs: number): Trace {
  const t: Trace = [['started', 0, 0]];
  let it = 0;
  for (let e = 1; e <= epochs; e++) {
    t.push(['epoch_started', e, it]);
    for (let k = 0; k < dataLength; k++) {
      t.push(['get_batch_started', e, it]);
      if (e > 1 && k === 0) {
        t.push(['dataloader_stop_iteration', e, it]);
      }
      t.push(['get_batch_completed', e, it]);
      it++;
      t.push(['iteration_started', e, it], ['iteration_completed', e, it]);
    }
    t.push(['epoch_completed', e, it]);
  }
  t.push(['completed', epochs, it]);
  return t;
}
