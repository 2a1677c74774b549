/**
 * @module Port of ignite/handlers/lr_finder.py `FastaiLRFinder`: the learning-rate range test.
 *
 * Deviations:
 * - Ignite's `attach` is a context manager. kindling's `attach` is async (capturing TF.js weights is async) and
 *   returns an {@link AttachedLrFinder}: use `await using attached = await finder.attach(...)`, or call
 *   `await attached.detach()` in a `finally`. Leaving the scope removes the handlers and restores the trainer, model
 *   and optimizer states captured at `attach` (kept in memory, not in a temporary file).
 * - TF.js optimizers have one learning rate (no parameter groups): `startLr`/`endLr` are numbers, `lrSuggestion()`
 *   returns a number.
 * - The schedule is computed directly: iteration k (1-based) trains with `f((k - 1) / numIter)` where `f` goes from
 *   `startLr` (0) to `endLr` (1) exponentially or linearly; the search stops after iteration `numIter + 1`, as in
 *   Ignite. The loss is not averaged across distributed ranks.
 * - `plot()` returns the curve as data; `lrFinderSvg()` renders it and `writeLrFinderPlot()` (kindling/node) writes
 *   the SVG file. An optional `logger` receives `lr_finder/loss` and `lr_finder/lr` scalars (dashboard, JSONL).
 */

import type { EngineLike, EngineStateDict, RemovableEventHandle } from '../../engine/index.js';
import { Events } from '../../engine/index.js';
import { captureState, checkObjects, isOptimizer, restoreState } from '../checkpoint/tf-state.js';
import { optimizerParam } from '../param-scheduler/target.js';
import { lrFinderPlotData, type LrFinderPlotData, type LrFinderPlotOptions } from './plot.js';

/** A trainer the finder can save and restore (every kindling `Engine`). */
export interface LrFinderTrainer extends EngineLike {
  /** See `Engine.stateDict`. */
  stateDict(): EngineStateDict;
  /** See `Engine.loadStateDict`. */
  loadStateDict(stateDict: EngineStateDict): void;
}

/** Something the finder logs its curve to (any kindling logger: `DashboardLogger`, `JsonlLogger`, ...). */
export interface LrFinderScalarSink {
  /** Logs one scalar. */
  logScalar(tag: string, value: number, step: number): void;
}

/** Options of {@link FastaiLRFinder.attach}. */
export interface LrFinderOptions {
  /** Maps `trainer.state.output` to the iteration's loss (a number or a one-element tensor). @defaultValue identity */
  outputTransform?: (output: unknown) => unknown;
  /** Iterations of the search. @defaultValue `epochLength * maxEpochs` of the run */
  numIter?: number;
  /** Lower bound of the search. @defaultValue the optimizer's learning rate */
  startLr?: number;
  /** Upper bound of the search. @defaultValue 10 */
  endLr?: number;
  /** How the learning rate grows from `startLr` to `endLr`. @defaultValue `'exp'` */
  stepMode?: 'exp' | 'linear';
  /** Loss smoothing factor in [0, 1). @defaultValue 0.05 */
  smoothF?: number;
  /** Stop when the smoothed loss exceeds `divergeTh * bestLoss`. @defaultValue 5 */
  divergeTh?: number;
  /** Receives `lr_finder/loss` and `lr_finder/lr` at each iteration (e.g. a `DashboardLogger`). */
  logger?: LrFinderScalarSink;
}

/** The curve recorded by a search: the learning rate and the smoothed loss of each iteration. */
export interface LrFinderResults {
  /** Learning rate of each iteration. */
  lr: number[];
  /** Smoothed loss of each iteration. */
  loss: number[];
}

/** The finder attached to a trainer; disposing it (or `detach()`) restores the saved states. */
export interface AttachedLrFinder<T extends LrFinderTrainer = LrFinderTrainer> extends AsyncDisposable {
  /** The trainer to run. */
  readonly trainer: T;
  /** Removes the finder's handlers and restores the trainer, model and optimizer; idempotent. */
  detach(): Promise<void>;
}

interface RunSettings {
  readonly optimizer: object;
  readonly outputTransform: (output: unknown) => unknown;
  readonly numIter: number | undefined;
  readonly startLr: number;
  readonly endLr: number;
  readonly stepMode: 'exp' | 'linear';
  readonly smoothF: number;
  readonly divergeTh: number;
  readonly logger: LrFinderScalarSink | undefined;
}

function validate(options: LrFinderOptions): void {
  const { smoothF = 0.05, divergeTh = 5, stepMode = 'exp', numIter } = options;
  if (!(smoothF >= 0 && smoothF < 1)) throw new RangeError(`smoothF is outside the range [0, 1), got ${smoothF}`);
  if (!(divergeTh >= 1)) throw new RangeError(`divergeTh should be larger than 1, got ${divergeTh}`);
  if (stepMode !== 'exp' && stepMode !== 'linear') {
    throw new RangeError(`stepMode should be 'exp' or 'linear', but given ${String(stepMode)}`);
  }
  if (numIter !== undefined) {
    if (!Number.isInteger(numIter)) throw new TypeError(`if provided, numIter should be an integer, but given ${numIter}`);
    if (numIter <= 0) throw new RangeError(`if provided, numIter should be positive, but given ${numIter}`);
  }
}

function lossValue(value: unknown): number {
  if (typeof value === 'number') return value;
  const t = value as { size?: unknown; shape?: unknown; dataSync?: unknown } | null;
  if (t !== null && typeof t === 'object' && typeof t.dataSync === 'function' && t.size === 1) {
    return Number((t.dataSync as () => ArrayLike<number>).call(t)[0]);
  }
  const shape = t !== null && typeof t === 'object' && Array.isArray(t.shape) ? ` of shape [${String(t.shape)}]` : '';
  throw new TypeError(
    `output of the engine should be a number or a tensor with 1 element, but got ${typeof value}${shape}. ` +
      'Pass outputTransform to attach(), e.g. { outputTransform: (out) => out.loss }.',
  );
}

/**
 * The learning-rate range test of fastai: trains while raising the learning rate from `startLr` to `endLr`,
 * records the loss, stops when it diverges, and suggests the rate where the loss falls fastest.
 *
 * @example
 * ```ts
 * const finder = new FastaiLRFinder();
 * {
 *   await using attached = await finder.attach(trainer, { model, optimizer }, { endLr: 1, numIter: 100 });
 *   await attached.trainer.run(trainLoader, { maxEpochs: 1 });
 * } // model, optimizer and trainer are back to their state before attach()
 * finder.applySuggestedLr(optimizer);
 * await trainer.run(trainLoader, { maxEpochs: 10 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.lr_finder.FastaiLRFinder.html
 */
export class FastaiLRFinder {
  #history: LrFinderResults | null = null;
  #bestLoss = Infinity;
  #divergeFlag = false;
  #attached = false;

  /**
   * Attaches the finder to `trainer` and saves the states of `trainer` and of every object of `toSave`.
   *
   * @param trainer - the trainer; its other handlers keep running during the search.
   * @param toSave - objects restored afterwards; must contain `optimizer` (a `tf.train` optimizer), usually `model`.
   * @param options - search range, length, smoothing, divergence threshold.
   * @returns the attachment; run `attached.trainer`, then dispose it (or `await attached.detach()`).
   * @throws TypeError when `toSave` lacks an optimizer or holds objects that cannot be saved.
   * @throws RangeError for out-of-range options or `startLr >= endLr`.
   */
  async attach<T extends LrFinderTrainer>(
    trainer: T,
    toSave: Record<string, unknown>,
    options: LrFinderOptions = {},
  ): Promise<AttachedLrFinder<T>> {
    const settings = this.#settings(toSave, options);
    if (this.#attached) throw new RangeError('lr_finder cannot be attached to more than one trainer at a time; detach it first.');
    const saved = { trainer: trainer.stateDict(), objects: new Map<string, unknown>() };
    for (const [key, obj] of Object.entries(toSave)) saved.objects.set(key, await captureState(obj));
    this.#attached = true;
    const handles: RemovableEventHandle[] = [];
    handles.push(
      trainer.on(Events.STARTED, () => this.#run(trainer, settings, handles)),
      trainer.on(Events.COMPLETED, () => this.#warning(trainer)),
    );
    let detached: Promise<void> | undefined;
    const detach = (): Promise<void> =>
      (detached ??= (async () => {
        for (const h of handles) h.remove();
        this.#attached = false;
        trainer.loadStateDict(saved.trainer);
        for (const [key, state] of saved.objects) await restoreState(toSave[key], state, key);
      })());
    return { trainer, detach, [Symbol.asyncDispose]: detach };
  }

  #settings(toSave: Record<string, unknown>, options: LrFinderOptions): RunSettings {
    if (toSave === null || typeof toSave !== 'object') throw new TypeError(`Argument toSave should be a mapping, but given ${typeof toSave}`);
    checkObjects(toSave, 'stateDict');
    checkObjects(toSave, 'loadStateDict');
    if (!('optimizer' in toSave)) throw new RangeError("Mapping toSave should contain 'optimizer' key");
    const optimizer = toSave['optimizer'];
    if (!isOptimizer(optimizer)) {
      throw new TypeError(`Object toSave['optimizer'] should be a tf.train optimizer, but given ${typeof optimizer}`);
    }
    validate(options);
    const startLr = options.startLr ?? optimizerParam(optimizer).get();
    const endLr = options.endLr ?? 10;
    if (!(startLr < endLr)) throw new RangeError(`startLr must be less than endLr, startLr=${startLr} vs endLr=${endLr}`);
    return {
      optimizer, startLr, endLr, numIter: options.numIter, logger: options.logger,
      outputTransform: options.outputTransform ?? ((o) => o), stepMode: options.stepMode ?? 'exp',
      smoothF: options.smoothF ?? 0.05, divergeTh: options.divergeTh ?? 5,
    };
  }

  #run(trainer: LrFinderTrainer, s: RunSettings, handles: RemovableEventHandle[]): void {
    this.#history = { lr: [], loss: [] };
    this.#bestLoss = Infinity;
    this.#divergeFlag = false;
    const { epochLength, maxEpochs } = trainer.state;
    const maxIter = (epochLength ?? 0) * (maxEpochs ?? 0);
    let numIter = s.numIter ?? maxIter;
    if (s.numIter !== undefined && maxIter < s.numIter && epochLength != null) {
      trainer.state.maxEpochs = Math.ceil(s.numIter / epochLength);
    }
    if (numIter <= 0) numIter = 1;
    const lr = optimizerParam(s.optimizer);
    const schedule = (r: number): number =>
      s.stepMode === 'exp' ? s.startLr * (s.endLr / s.startLr) ** r : s.startLr + (s.endLr - s.startLr) * r;
    lr.set(schedule(0));
    trainer.logger.debug(`Running LR finder for ${numIter} iterations`);
    const onIteration = (e: EngineLike): void => {
      if (e.state.iteration > numIter) e.terminate();
      this.#logLrAndLoss(e, lr.get(), s);
      lr.set(schedule(e.state.iteration / numIter));
    };
    const iterationHandle = trainer.on(Events.ITERATION_COMPLETED, onIteration);
    const resetHandle = trainer.on(Events.COMPLETED, () => {
      iterationHandle.remove();
      resetHandle.remove();
    });
    handles.push(iterationHandle, resetHandle);
  }

  #logLrAndLoss(trainer: EngineLike, lr: number, s: RunSettings): void {
    const history = this.#history as LrFinderResults;
    let loss = lossValue(s.outputTransform(trainer.state.output));
    history.lr.push(lr);
    const previous = history.loss[history.loss.length - 1];
    if (trainer.state.iteration === 1 || previous === undefined) this.#bestLoss = loss;
    else {
      if (s.smoothF > 0) loss = s.smoothF * loss + (1 - s.smoothF) * previous;
      if (loss < this.#bestLoss) this.#bestLoss = loss;
    }
    history.loss.push(loss);
    s.logger?.logScalar('lr_finder/loss', loss, trainer.state.iteration);
    s.logger?.logScalar('lr_finder/lr', lr, trainer.state.iteration);
    if (loss > s.divergeTh * this.#bestLoss) {
      this.#divergeFlag = true;
      trainer.logger.info('Stopping early, the loss has diverged');
      trainer.terminate();
    }
  }

  #warning(trainer: EngineLike): void {
    if (!this.#divergeFlag) {
      trainer.logger.warn('Run completed without loss diverging, increase endLr, decrease divergeTh or look at lrFinder.plot()');
    }
  }

  /**
   * The curve of the last search.
   *
   * @returns `{ lr, loss }`, one entry per iteration (empty arrays before any search).
   */
  getResults(): LrFinderResults {
    return this.#history ?? { lr: [], loss: [] };
  }

  /**
   * The suggested learning rate: where the loss falls fastest (steepest negative central difference), ignoring the
   * curve after its minimum.
   *
   * @returns the learning rate.
   * @throws RangeError when no search ran yet, or the curve has fewer than 3 points before its minimum.
   */
  lrSuggestion(): number {
    const history = this.#requireHistory('lrSuggestion');
    const { loss, lr } = history;
    let minIdx = 0;
    loss.forEach((v, i) => { if (v < (loss[minIdx] as number)) minIdx = i; });
    if (minIdx + 1 < 3) {
      throw new RangeError('FastaiLRFinder got unexpected curve shape, the curve should be somehow U-shaped, ' +
        'please decrease startLr or increase endLr to resolve this issue.');
    }
    let best = 1;
    let bestGrad = Infinity;
    for (let i = 1; i < minIdx; i++) {
      const grad = 0.5 * ((loss[i + 1] as number) - (loss[i - 1] as number));
      if (grad < bestGrad) [best, bestGrad] = [i, grad];
    }
    return lr[best] as number;
  }

  /**
   * Sets the suggested learning rate on an optimizer.
   *
   * @param optimizer - a `tf.train` optimizer (the one the search ran with, or a fresh one for the same model).
   * @throws RangeError when no search ran yet or the curve has no suggestion.
   */
  applySuggestedLr(optimizer: object): void {
    optimizerParam(optimizer).set(this.lrSuggestion());
  }

  /**
   * The curve to plot, trimmed and with the suggestion marked (Ignite's `plot` without matplotlib); render it with
   * `lrFinderSvg()` or write it with `writeLrFinderPlot()` from `kindling/node`.
   *
   * @param options - `skipStart` (10), `skipEnd` (5), `logLr` (true), `displaySuggestion` (true).
   * @returns the points, axis range and suggestion.
   * @throws RangeError when no search ran yet, or for negative `skipStart`/`skipEnd`.
   */
  plot(options: LrFinderPlotOptions = {}): LrFinderPlotData {
    const history = this.#requireHistory('plot');
    const suggestion = options.displaySuggestion ?? true ? this.lrSuggestion() : undefined;
    return lrFinderPlotData(history, suggestion, options);
  }

  #requireHistory(what: string): LrFinderResults {
    if (this.#history === null || this.#history.lr.length === 0) {
      throw new RangeError(`learning rate finder didn't run yet so ${what} can't be returned; run the trainer while attached first.`);
    }
    return this.#history;
  }
}
