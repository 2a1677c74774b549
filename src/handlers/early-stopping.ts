/**
 * @module Port of ignite/handlers/early_stopping.py `EarlyStopping`.
 *
 * Deviations: options object; `minDelta` is accepted as an alias of `threshold` (the older Ignite name) and
 * `cumulativeDelta` of `cumulative`; the state dict uses camelCase keys (`counter`, `bestScore`, `thresholdMode`).
 */

import { Events, type EventKey, type Logger, type RemovableEventHandle } from '../engine/index.js';
import type { EngineLike } from '../engine/index.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Number of events without improvement after which the trainer is stopped (at least 1). */
  patience: number;
  /** Returns the score of an engine (usually from `engine.state.metrics`). */
  scoreFunction: (engine: EngineLike) => number;
  /** The engine to terminate. */
  trainer: { terminate(): void; readonly logger?: Logger };
  /** Minimum improvement; a smaller change counts as no improvement. @defaultValue 0 */
  threshold?: number;
  /** Alias of `threshold` (Ignite's former `min_delta`). */
  minDelta?: number;
  /** Measure the improvement from the best score at the last counter reset, not from the last score. @defaultValue false */
  cumulative?: boolean;
  /** Alias of `cumulative` (Ignite's former `cumulative_delta`). */
  cumulativeDelta?: boolean;
  /** `'abs'`: improvement means `score > best + threshold`; `'rel'`: `score > best * (1 + threshold)`. @defaultValue 'abs' */
  thresholdMode?: 'abs' | 'rel';
  /** `'max'`: higher scores are better; `'min'`: lower scores are better. @defaultValue 'max' */
  mode?: 'max' | 'min';
  /** Where "EarlyStopping: Stop training" is logged. @defaultValue the trainer's logger */
  logger?: Logger;
}

/** Options of {@link EarlyStopping.attach}. */
export interface EarlyStoppingAttachOptions {
  /** Event on which the score is checked. @defaultValue Events.COMPLETED */
  event?: EventKey;
  /** Engine whose `resetEvent` resets the counter and best score. @defaultValue the engine given to `attach` */
  resetEngine?: EngineLike;
  /** Event of `resetEngine` that resets the state. @defaultValue Events.STARTED */
  resetEvent?: EventKey;
}

function validate(options: EarlyStoppingOptions, threshold: number): void {
  if (typeof options.scoreFunction !== 'function') throw new TypeError('Argument scoreFunction should be a function.');
  const trainer = options.trainer as { terminate?: unknown } | null | undefined;
  if (trainer === null || typeof trainer !== 'object' || typeof trainer.terminate !== 'function') {
    throw new TypeError('Argument trainer should be an instance of Engine.');
  }
  if (typeof options.patience !== 'number' || !Number.isInteger(options.patience) || options.patience < 1) {
    throw new RangeError(`Argument patience should be positive integer, but given ${String(options.patience)}.`);
  }
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new RangeError(`Argument threshold should not be a negative number, but given ${String(threshold)}.`);
  }
  const mode = options.mode ?? 'max';
  if (mode !== 'max' && mode !== 'min') throw new RangeError(`Argument mode should be 'max' or 'min', but given '${String(mode)}'.`);
  const tm = options.thresholdMode ?? 'abs';
  if (tm !== 'abs' && tm !== 'rel') {
    throw new RangeError(`Argument thresholdMode should be 'abs' or 'rel', but given '${String(tm)}'.`);
  }
}

/**
 * Stops training when a score has not improved for `patience` consecutive calls: calls `trainer.terminate()`.
 *
 * @remarks
 * Improvement (mode `'max'`): `score > best + threshold` (`'abs'`) or `score > best * (1 + threshold)` (`'rel'`);
 * mode `'min'` mirrors it. On a non-improvement the counter grows, and unless `cumulative` is set the best score still
 * follows a score that is higher (lower in `'min'` mode) than the best, so each improvement is measured from the last one.
 * @example
 * ```ts
 * const handler = new EarlyStopping({ patience: 10, scoreFunction: (e) => -(e.state.metrics['nll'] as number), trainer });
 * evaluator.on(Events.COMPLETED, handler); // the evaluator runs at the end of each trainer epoch
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.early_stopping.EarlyStopping.html
 */
export class EarlyStopping {
  /** Number of events without improvement before stopping. */
  readonly patience: number;
  /** Minimum improvement. */
  readonly threshold: number;
  /** Whether improvement is measured from the best score at the last reset. */
  readonly cumulative: boolean;
  /** `'abs'` or `'rel'`. */
  thresholdMode: 'abs' | 'rel';
  /** `'max'` or `'min'`. */
  readonly mode: 'max' | 'min';
  /** Consecutive calls without improvement. */
  counter = 0;
  /** Best score so far (`null` before the first call). */
  bestScore: number | null = null;
  readonly #scoreFunction: (engine: EngineLike) => number;
  readonly #trainer: { terminate(): void; readonly logger?: Logger };
  readonly #logger: Logger | undefined;

  /**
   * @param options - see {@link EarlyStoppingOptions}.
   * @throws TypeError when `scoreFunction` is not a function or `trainer` has no `terminate()`.
   * @throws RangeError when `patience < 1`, `threshold < 0`, or `mode`/`thresholdMode` is unknown.
   */
  constructor(options: EarlyStoppingOptions) {
    const threshold = options.threshold ?? options.minDelta ?? 0;
    validate(options, threshold);
    this.patience = options.patience;
    this.threshold = threshold;
    this.cumulative = options.cumulative ?? options.cumulativeDelta ?? false;
    this.thresholdMode = options.thresholdMode ?? 'abs';
    this.mode = options.mode ?? 'max';
    this.#scoreFunction = options.scoreFunction;
    this.#trainer = options.trainer;
    this.#logger = options.logger;
  }

  /**
   * The event handler: scores the engine, updates the counter, and terminates the trainer after `patience` calls
   * without improvement.
   *
   * @param engine - the engine the handler is attached to (usually an evaluator).
   */
  handle(engine: EngineLike): void {
    const score = this.#scoreFunction(engine);
    this.#update(score);
    if (this.counter >= this.patience) {
      (this.#logger ?? this.#trainer.logger)?.info('EarlyStopping: Stop training');
      this.#trainer.terminate();
    }
  }

  #improves(score: number, best: number): boolean {
    const sign = this.mode === 'max' ? 1 : -1;
    const bound = this.thresholdMode === 'abs' ? best + sign * this.threshold : best * (1 + sign * this.threshold);
    return this.mode === 'max' ? score > bound : score < bound;
  }

  #update(score: number): void {
    const best = this.bestScore;
    if (best === null) {
      this.bestScore = score;
    } else if (!this.#improves(score, best)) {
      if (!this.cumulative && (this.mode === 'max' ? score > best : score < best)) this.bestScore = score;
      this.counter += 1;
      (this.#logger ?? this.#trainer.logger)?.debug(`EarlyStopping: ${this.counter} / ${this.patience}`);
    } else {
      this.bestScore = score;
      this.counter = 0;
    }
  }

  /**
   * Forgets the counter and the best score.
   *
   */
  reset(): void {
    this.counter = 0;
    this.bestScore = null;
  }

  /**
   * Registers the handler on `event` of `engine` and {@link EarlyStopping.reset} on `resetEvent` of `resetEngine`.
   *
   * @param engine - the engine producing the score (usually an evaluator).
   * @param options - events and reset engine.
   * @returns the handles of both registrations.
   * @example
   * ```ts
   * // check after every evaluation, reset when training (re)starts
   * earlyStopping.attach(evaluator, { resetEngine: trainer });
   * ```
   */
  attach(engine: EngineLike, options: EarlyStoppingAttachOptions = {}): RemovableEventHandle[] {
    const { event = Events.COMPLETED, resetEngine = engine, resetEvent = Events.STARTED } = options;
    return [engine.on(event, this), resetEngine.on(resetEvent, () => this.reset())];
  }

  /**
   * Returns `{ counter, bestScore, thresholdMode }`.
   *
   * @returns a JSON-serialisable object.
   */
  stateDict(): { counter: number; bestScore: number | null; thresholdMode: 'abs' | 'rel' } {
    return { counter: this.counter, bestScore: this.bestScore, thresholdMode: this.thresholdMode };
  }

  /**
   * Restores `counter`, `bestScore` (and `thresholdMode` when present).
   *
   * @param stateDict - a state made by {@link EarlyStopping.stateDict}.
   * @throws TypeError when it is not an object; RangeError when `counter` or `bestScore` is missing.
   */
  loadStateDict(stateDict: Record<string, unknown>): void {
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`Argument stateDict should be a dictionary, but given ${typeof stateDict}`);
    }
    for (const key of ['counter', 'bestScore']) {
      if (!(key in stateDict)) {
        throw new RangeError(
          `Required state attribute '${key}' is absent in provided stateDict '${Object.keys(stateDict).join(', ')}'`,
        );
      }
    }
    this.counter = stateDict['counter'] as number;
    this.bestScore = stateDict['bestScore'] as number | null;
    const tm = stateDict['thresholdMode'];
    if (tm === 'abs' || tm === 'rel') this.thresholdMode = tm;
  }
}
