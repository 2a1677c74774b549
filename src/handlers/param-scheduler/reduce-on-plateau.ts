/**
 * @module Port of ignite/handlers/param_scheduler.py `ReduceLROnPlateauScheduler`, with the plateau logic of
 * `torch.optim.lr_scheduler.ReduceLROnPlateau` written out (there is no torch scheduler to wrap).
 *
 * Deviations: the plateau state is saved under `plateau` (`best`, `numBadEpochs`, `cooldownCounter`, `lastEpoch`)
 * and `best` is `null` before the first metric instead of `±inf` (infinities are not JSON-serialisable).
 */

import { ParamScheduler, checkNumEvents, scratchTarget, type SchedulerOptions, type SimulatedValue } from './base.js';
import type { EngineLike } from '../../engine/index.js';
import type { ParamTargetLike } from './target.js';
import { State } from '../../engine/index.js';

/** Options of {@link ReduceLROnPlateauScheduler} (PyTorch's `ReduceLROnPlateau` arguments, camelCase). */
export interface ReduceLROnPlateauOptions extends SchedulerOptions {
  /** Engine whose `state.paramHistory` records the learning rate (when `saveHistory`). */
  trainer?: EngineLike;
  /** `'min'`: the metric should decrease; `'max'`: increase. @defaultValue 'min' */
  mode?: 'min' | 'max';
  /** Multiplier applied to the learning rate on a plateau, below 1. @defaultValue 0.1 */
  factor?: number;
  /** Events without improvement tolerated before reducing. @defaultValue 10 */
  patience?: number;
  /** Minimum change that counts as an improvement. @defaultValue 1e-4 */
  threshold?: number;
  /** `'rel'`: relative to the best value; `'abs'`: absolute. @defaultValue 'rel' */
  thresholdMode?: 'rel' | 'abs';
  /** Events to wait after a reduction before counting again. @defaultValue 0 */
  cooldown?: number;
  /** Lower bound of the learning rate. @defaultValue 0 */
  minLr?: number;
  /** Reductions smaller than this are skipped. @defaultValue 1e-8 */
  eps?: number;
}

/** The plateau detector's saved state. */
interface PlateauState {
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
}

function checkOptions(mode: string, thresholdMode: string, factor: number): void {
  if (mode !== 'min' && mode !== 'max') throw new RangeError(`mode ${mode} is unknown! Use 'min' or 'max'.`);
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
    throw new RangeError(`threshold mode ${thresholdMode} is unknown! Use 'rel' or 'abs'.`);
  }
  if (!(factor < 1)) throw new RangeError(`Factor should be < 1.0, but given ${factor}`);
}

/**
 * Reduces the learning rate when a metric stops improving. Attach it to an evaluator's `COMPLETED`: each call reads
 * `engine.state.metrics[metricName]`.
 *
 * @example
 * ```ts
 * const scheduler = new ReduceLROnPlateauScheduler(optimizer, 'loss', { mode: 'min', factor: 0.5, patience: 3, trainer });
 * evaluator.on(Events.COMPLETED, scheduler);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.param_scheduler.ReduceLROnPlateauScheduler.html
 */
export class ReduceLROnPlateauScheduler extends ParamScheduler {
  /** The monitored metric. */
  metricName: string;
  /** Plateau detector state. */
  plateau: PlateauState = { best: null, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 };
  readonly #trainer: EngineLike | null;
  readonly #opts: Required<Omit<ReduceLROnPlateauOptions, 'trainer' | 'saveHistory'>>;

  /**
   * @param target - a tf.js optimizer or a {@link ParamTarget}.
   * @param metricName - the metric to monitor, read from the attached engine's `state.metrics`.
   * @param options - plateau options.
   * @throws RangeError for an unknown `mode`/`thresholdMode` or `factor >= 1`.
   */
  constructor(target: ParamTargetLike, metricName: string, options: ReduceLROnPlateauOptions = {}) {
    super(target, 'lr', options);
    const { trainer, mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel' } = options;
    const { cooldown = 0, minLr = 0, eps = 1e-8 } = options;
    this.#opts = { mode, factor, patience, threshold, thresholdMode, cooldown, minLr, eps };
    checkOptions(this.#opts.mode, this.#opts.thresholdMode, this.#opts.factor);
    this.metricName = metricName;
    this.#trainer = trainer ?? null;
    this.stateAttrs.push('metricName', 'plateau');
  }

  /**
   * Reads the metric, updates the plateau detector (reducing the learning rate if needed), then records history.
   *
   * @param engine - the engine holding the metric (usually an evaluator).
   * @param name - the history key.
   * @throws RangeError when `engine.state.metrics` has no `metricName`.
   */
  override handle(engine: EngineLike | null, name: string | null = null): void {
    const metrics = engine?.state.metrics;
    if (metrics === undefined || !(this.metricName in metrics)) {
      throw new RangeError(
        "Argument engine should have in its 'state', attribute 'metrics' " + `which itself has the metric ${this.metricName}.`,
      );
    }
    this.step(Number(metrics[this.metricName]));
    super.handle(this.#trainer, name);
  }

  /**
   * The current learning rate (this scheduler only changes it on a plateau).
   *
   * @returns the target's value.
   */
  getParam(): number {
    return this.target.get();
  }

  /**
   * One plateau-detector step with a metric value (PyTorch's `ReduceLROnPlateau.step`).
   *
   * @param metric - the metric value.
   */
  step(metric: number): void {
    const p = this.plateau;
    p.lastEpoch += 1;
    if (this.#isBetter(metric, p.best)) {
      p.best = metric;
      p.numBadEpochs = 0;
    } else {
      p.numBadEpochs += 1;
    }
    if (p.cooldownCounter > 0) {
      p.cooldownCounter -= 1;
      p.numBadEpochs = 0;
    }
    if (p.numBadEpochs > this.#opts.patience) {
      const old = this.target.get();
      const next = Math.max(old * this.#opts.factor, this.#opts.minLr);
      if (old - next > this.#opts.eps) this.target.set(next);
      p.cooldownCounter = this.#opts.cooldown;
      p.numBadEpochs = 0;
    }
  }

  #isBetter(a: number, best: number | null): boolean {
    if (best === null) return true;
    const { mode, thresholdMode, threshold } = this.#opts;
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  }

  /**
   * Simulates the learning rate for a sequence of metric values.
   *
   * @param numEvents - number of events; must equal `metricValues.length`.
   * @param options - `metricValues`, `initLr` and the plateau options.
   * @returns `[eventIndex, lr]` pairs.
   * @throws RangeError when the lengths differ.
   */
  static simulateValues(
    numEvents: number,
    options: Omit<ReduceLROnPlateauOptions, 'trainer' | 'saveHistory'> & { metricValues: readonly number[]; initLr: number },
  ): SimulatedValue[] {
    checkNumEvents(numEvents);
    const { metricValues, initLr, ...rest } = options;
    if (metricValues.length !== numEvents) {
      throw new RangeError(
        `Length of argument metricValues should be equal to numEvents. ${metricValues.length} != ${numEvents}`,
      );
    }
    const scheduler = new ReduceLROnPlateauScheduler(scratchTarget(initLr), 'metric', rest);
    const holder = { state: new State() } as unknown as EngineLike;
    return metricValues.map((m, i): SimulatedValue => {
      holder.state.metrics['metric'] = m;
      scheduler.handle(holder);
      return [i, scheduler.target.get()];
    });
  }
}
