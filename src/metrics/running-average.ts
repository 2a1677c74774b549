/**
 * @module Port of ignite/metrics/running_average.py: an exponential moving average of the engine's output or of
 * another metric, with `RunningBatchWise` as the default usage.
 * Deviations: options object (`new RunningAverage(src)` or `new RunningAverage({ outputTransform })`); the output
 * value must be a number or a scalar tensor (read once per update: a running value is needed every iteration);
 * the deprecated `epochBound` and `device` arguments are not ported; with a `src` metric the engine output is never
 * read by the RunningAverage itself (Ignite would reject object outputs there).
 */

import { getWorldSize } from '../distributed/context.js';
import { allReduceArray } from '../distributed/comm.js';
import { Events } from '../engine/index.js';
import { NotComputableError } from '../errors.js';
import { Metric, type AttachArg, type MetricEngine, type MetricOptions } from './metric.js';
import { elementwise, type Numeric } from './internal/numeric.js';
import { isTensor, readTensor } from './internal/tensors.js';
import { RunningBatchWise, type MetricUsage } from './usage.js';

/**
 * Options of {@link RunningAverage}.
 *
 */
export interface RunningAverageOptions extends MetricOptions {
  /** A metric whose value is averaged; omit to average the (transformed) engine output. */
  src?: Metric;
  /** Decay factor in (0, 1]: `value = value * alpha + (1 - alpha) * new`. @defaultValue 0.98 */
  alpha?: number;
}

/**
 * Running (exponential moving) average: the first value is taken as is, then
 * `value = value * alpha + (1 - alpha) * x`, where `x` is the output (via `outputTransform`) or `src.compute()`.
 * With a `src` metric, `src` accumulates every iteration and is computed and reset at each of this metric's
 * updates (every iteration for the batch-wise usages, every epoch for `RunningEpochWise`).
 *
 * @example
 * ```ts
 * new RunningAverage({ outputTransform: (out) => out as number }).attach(trainer, 'loss');
 * const toPair = (o: unknown) => { const { logits, y } = o as { logits: tf.Tensor; y: tf.Tensor }; return [logits, y]; };
 * new RunningAverage(new Accuracy({ outputTransform: toPair })).attach(trainer, 'running_acc');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.RunningAverage.html
 */
export class RunningAverage extends Metric<Numeric> {
  override requiredOutputKeys: readonly string[] | null = null;
  /** The source metric, if any. */
  readonly src: Metric | undefined;
  /** The decay factor. */
  readonly alpha: number;
  #value: Numeric | null = null;

  /**
   * @param options - a source metric, or options with `src`, `alpha` and `outputTransform`.
   * @throws TypeError when `src` is not a Metric; RangeError when `alpha` is outside (0, 1] or when
   *   `outputTransform` is given with `src` / missing without it.
   */
  constructor(options: Metric | RunningAverageOptions = {}) {
    const opts: RunningAverageOptions = options instanceof Metric ? { src: options } : options;
    const { src, alpha = 0.98, ...rest } = opts;
    if (!(src === undefined || src instanceof Metric)) {
      throw new TypeError('Argument src should be a Metric or undefined.');
    }
    if (!(alpha > 0 && alpha <= 1)) {
      throw new RangeError(`Argument alpha should be a float between 0.0 and 1.0, got ${alpha}.`);
    }
    if (src && rest.outputTransform) throw new RangeError('Argument outputTransform should be undefined if src is a Metric.');
    if (!src && !rest.outputTransform) {
      throw new RangeError(
        'Argument outputTransform should not be undefined if src corresponds to the output of process function ' +
          '(e.g. outputTransform: (out) => out as number).',
      );
    }
    super(rest);
    this.src = src;
    this.alpha = alpha;
  }

  /** Default usage: {@link RunningBatchWise}. */
  protected override defaultUsage(): MetricUsage {
    return new RunningBatchWise();
  }

  /** Forgets the running value and resets `src`. */
  reset(): void {
    this.#value = null;
    this.src?.reset();
  }

  /**
   * Folds one value into the running average: `src.compute()` (then `src.reset()`) or the output itself.
   *
   * @param output - a number, scalar tensor, or numeric array (ignored when `src` is set).
   * @returns nothing.
   * @throws TypeError when the output is not numeric.
   */
  update(output: unknown): void {
    let value: Numeric;
    if (this.src) {
      value = toNumeric(this.src.compute());
      this.src.reset();
    } else {
      value = toNumeric(output);
      // Ignite: in a distributed job the process output is averaged over the ranks every iteration (a collective).
      if (getWorldSize() > 1) value = averageOverRanks(value);
    }
    this.#value =
      this.#value === null
        ? value
        : elementwise(this.#value, value, (v, x) => v * this.alpha + (1 - this.alpha) * x, 'RunningAverage');
  }

  /**
   * @returns the running value.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): Numeric {
    if (this.#value === null) {
      throw new NotComputableError('RunningAverage must have at least one update before it can be computed.');
    }
    return this.#value;
  }

  /** Handler: updates from `src` without reading the engine output. */
  readonly #srcIterationCompleted = (_engine: MetricEngine): void => {
    this.update(undefined);
  };

  /**
   * Attaches with a running usage (default {@link RunningBatchWise}; also `SingleEpochRunningBatchWise` and
   * `RunningEpochWise`). With `src`, `src` is updated on every ITERATION_COMPLETED.
   *
   * @param engine - the engine.
   * @param name - the key in `state.metrics`.
   * @param options - `usage`.
   * @returns nothing.
   */
  override attach(engine: MetricEngine, name: string, options: AttachArg = {}): void {
    const usage = this.resolveAttachUsage(options);
    const src = this.src;
    if (src && !engine.hasEventHandler(src.iterationCompleted, Events.ITERATION_COMPLETED)) {
      engine.on(Events.ITERATION_COMPLETED, src.iterationCompleted);
    }
    if (!engine.hasEventHandler(this.started, usage.STARTED)) engine.on(usage.STARTED, this.started);
    const updater = src ? this.#srcIterationCompleted : this.iterationCompleted;
    if (!engine.hasEventHandler(updater, usage.ITERATION_COMPLETED)) engine.on(usage.ITERATION_COMPLETED, updater);
    engine.on(usage.COMPLETED, this.completed, name);
  }

  /**
   * Removes the handlers registered by `attach` for the usage.
   *
   * @param engine - the engine.
   * @param options - `usage`.
   * @returns nothing.
   */
  override detach(engine: MetricEngine, options: AttachArg = {}): void {
    const usage = this.resolveAttachUsage(options);
    if (this.src) this.removeIfPresent(engine, Events.ITERATION_COMPLETED, this.src.iterationCompleted);
    this.removeIfPresent(engine, usage.ITERATION_COMPLETED, this.#srcIterationCompleted);
    super.detach(engine, options);
  }
}

/** The mean of a value over the ranks of a distributed job: one all-reduce of its numbers, same nesting. */
function averageOverRanks(value: Numeric): Numeric {
  const flat: number[] = [];
  const collect = (v: Numeric): void => {
    if (typeof v === 'number') flat.push(v);
    else v.forEach(collect);
  };
  collect(value);
  const sums = allReduceArray(Float64Array.from(flat));
  const ws = getWorldSize();
  let i = 0;
  const rebuild = (v: Numeric): Numeric => (typeof v === 'number' ? (sums[i++] as number) / ws : v.map(rebuild));
  return rebuild(value);
}

function toNumeric(v: unknown): Numeric {
  if (typeof v === 'number') return v;
  if (isTensor(v)) return readTensor(v);
  if (Array.isArray(v)) return v as Numeric;
  throw new TypeError(`RunningAverage expects a number, a tf.Tensor or numeric arrays, but given ${typeof v}.`);
}
