/**
 * @module Port of ignite/engine/events.py `State`: a plain bag of documented fields.
 *
 * Handlers may add their own attributes (Ignite allows arbitrary attributes); to type them, extend
 * {@link StateExtensions} by declaration merging:
 * ```ts
 * declare module 'kindling' { interface StateExtensions { bestAccuracy?: number } }
 * ```
 */

/** Merge-able interface for typed custom state fields. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface StateExtensions {}

/** Durations in seconds, reset to 0 at each run start; `null` before the first run. */
export interface StateTimes {
  /** Duration of the last epoch (while EPOCH_COMPLETED handlers run, without their own time). */
  EPOCH_COMPLETED: number | null;
  /** Duration of the whole run (while COMPLETED handlers run, without their own time). */
  COMPLETED: number | null;
  [event: string]: number | null;
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
  /** Timers in seconds. */
  times: StateTimes = { EPOCH_COMPLETED: null, COMPLETED: null };
  /** Arbitrary user attributes are allowed, as in Ignite. */
  [key: string]: unknown;
}

// Declaration merging adds the user's typed extensions to every State.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
export interface State<TBatch = unknown, TOutput = unknown> extends StateExtensions {}
