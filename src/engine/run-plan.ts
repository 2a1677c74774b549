/**
 * @module The run-argument rules of `Engine.run()` in one pure function (Ignite's `Engine.run` argument rules):
 * validation, and whether the call starts a new run or resumes the previous one.
 */

import { dataLength, isDataSource } from './data.js';
import { maxEpochsError, maxItersError } from './state-dict.js';

/** Options of `Engine.run()`. */
export interface RunOptions {
  /** Epochs to run; a new run defaults to 1 unless `maxIters` is given. Exclusive with `maxIters`. */
  maxEpochs?: number | null | undefined;
  /** Iterations to run; exclusive with `maxEpochs`. */
  maxIters?: number | null | undefined;
  /** Iterations per epoch; defaults to the data's length, or is discovered when unsized data runs out. */
  epochLength?: number | null | undefined;
  /** JavaScript-only addition: aborting the signal calls `engine.terminate()`. */
  signal?: AbortSignal | undefined;
}

/** The counters and limits `run()` works with. */
export interface RunCounters {
  iteration: number;
  epoch: number;
  epochLength: number | null;
  maxEpochs: number | null;
  maxIters: number | null;
}

/** The decision of {@link resolveRunPlan}. */
export interface RunPlan extends RunCounters {
  /** True when the run starts from iteration 0, false when it resumes. */
  newState: boolean;
}

/**
 * Whether a run with these counters has nothing left to do (Ignite's `_is_done`).
 *
 * @param s - the counters.
 * @returns true when `maxIters`, `epochLength * maxEpochs` or `maxEpochs` is reached.
 */
export function isDone(s: RunCounters): boolean {
  return (
    (s.maxIters != null && s.iteration >= s.maxIters) ||
    (s.epochLength != null && s.maxEpochs != null && s.iteration >= s.epochLength * s.maxEpochs) ||
    (s.maxEpochs != null && s.epoch >= s.maxEpochs)
  );
}

function checkPositive(name: string, value: number | null | undefined): number | null {
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`Argument ${name} is invalid. Please, set a correct ${name} positive value (got ${String(value)})`);
  }
  return value;
}

function switchError(from: string, to: string): RangeError {
  return new RangeError(
    `To switch from ${from} to ${to} mode during resume, you must first reset by setting ` +
      `'engine.state.${from} = null' before calling run().`,
  );
}

function resumePlan(state: RunCounters, maxEpochs: number | null, maxIters: number | null): RunCounters {
  const next = { ...state };
  if (maxEpochs != null) {
    if (maxEpochs < state.epoch) throw maxEpochsError(maxEpochs, state.epoch);
    next.maxEpochs = maxEpochs;
  }
  if (maxIters != null) {
    if (maxIters < state.iteration) throw maxItersError(maxIters, state.iteration);
    next.maxIters = maxIters;
  }
  return next;
}

function newPlan(state: RunCounters, data: unknown, options: RunOptions, maxEpochs: number | null, maxIters: number | null): RunPlan {
  let epochLength = checkPositive('epochLength', options.epochLength);
  if (epochLength == null) {
    if (data == null) throw new RangeError('epochLength should be provided if data is null');
    epochLength = dataLength(data);
    if (epochLength === 0) throw new RangeError('Input data has zero size. Please provide non-empty data');
    epochLength ??= state.epochLength;
  }
  return {
    newState: true,
    iteration: 0,
    epoch: 0,
    epochLength,
    maxEpochs: maxIters == null ? (maxEpochs ?? 1) : null,
    maxIters,
  };
}

/**
 * Validates the arguments of `run()` and decides between a new run and a resume, following Ignite:
 * a new run starts when no limit is set in the state, or when the engine is done (after applying the given
 * limits) and no interrupted run is pending; otherwise the run resumes with the given limits applied.
 *
 * @param state - the engine's current counters.
 * @param data - the data passed to `run()`.
 * @param options - the run options.
 * @param suspended - whether an interrupted run is pending.
 * @returns the plan; the engine applies it to its state.
 * @throws TypeError when `data` is not iterable.
 * @throws RangeError for invalid or inconsistent limits, with Ignite's messages.
 */
export function resolveRunPlan(state: RunCounters, data: unknown, options: RunOptions, suspended: boolean): RunPlan {
  if (data != null && !isDataSource(data)) {
    throw new TypeError(`Argument data should be iterable, got ${typeof data}. Pass an array, an iterable, an async iterable or null with epochLength.`);
  }
  const maxEpochs = checkPositive('maxEpochs', options.maxEpochs);
  const maxIters = checkPositive('maxIters', options.maxIters);
  if (maxEpochs != null && maxIters != null) {
    throw new RangeError(
      'Arguments maxIters and maxEpochs are mutually exclusive. Please provide only maxEpochs or maxIters.',
    );
  }
  if (state.maxEpochs == null && state.maxIters == null) return newPlan(state, data, options, maxEpochs, maxIters);
  // A maxIters run may also carry a derived maxEpochs (unsized data): its mode is still "iterations".
  const itersMode = state.maxIters != null;
  const switching = (!itersMode && maxIters != null) || (itersMode && maxEpochs != null);
  // Ignite raises on a mode switch whether or not the previous run is done: the user must reset the field first.
  if (switching) throw itersMode ? switchError('maxIters', 'maxEpochs') : switchError('maxEpochs', 'maxIters');
  const resumed = resumePlan(state, maxEpochs, maxIters);
  if (isDone(resumed) && !suspended) return newPlan(state, data, options, maxEpochs, maxIters);
  const epochLength = options.epochLength ?? null;
  if (epochLength != null && epochLength !== state.epochLength) {
    throw new RangeError(
      `Argument epochLength should be same as in the state, but given ${epochLength} vs ${String(state.epochLength)}`,
    );
  }
  if (state.epochLength == null && data == null) throw new RangeError('epochLength should be provided if data is null');
  return { ...resumed, newState: false };
}
