/**
 * @module Port of ignite/metrics/precision.py, recall.py and fbeta.py: Precision, Recall (binary, multiclass,
 * multilabel; `average` false / null / true / 'micro' / 'macro' / 'weighted' / 'samples') and Fbeta.
 * Deviations: Python's `average=None` is `null`; per-class results are plain `number[]` (Ignite: float64 tensor);
 * counts are int32 on the device ('samples' sums float32); value checks are reported by `compute()` (see
 * `classification.ts`); `Fbeta` is a class (`new Fbeta(beta, options)`) rather than a function returning a
 * MetricsLambda.
 */

import * as tf from '@tensorflow/tfjs-core';
import { NotComputableError } from '../errors.js';
import { ClassificationMetric, type ClassificationOptions, type ClassificationType } from './classification.js';
import { DeviceSum, classesLast } from './internal/tensors.js';
import { syncedSum, type SyncedState } from './internal/sync.js';
import { elementwise, meanOf } from './internal/numeric.js';
import { MetricsLambda } from './metrics-lambda.js';

/**
 * The `average` argument of Precision / Recall.
 *
 */
export type AverageMode = false | null | true | 'micro' | 'macro' | 'weighted' | 'samples';

/**
 * Options of Precision and Recall.
 *
 */
export interface PrecisionRecallOptions extends ClassificationOptions {
  /**
   * `false`: per class (binary: one number); `null`: per class, binary too; `true`/`'macro'`: unweighted mean over
   * classes; `'micro'`: global counts; `'weighted'`: mean weighted by class support; `'samples'`: per-sample mean
   * (multilabel only).
   * @defaultValue false
   */
  average?: AverageMode;
}

const EPS = 1e-20;
const AVERAGES: readonly unknown[] = [false, null, true, 'micro', 'macro', 'weighted', 'samples'];

/**
 * Shared implementation of Precision and Recall (Ignite's `_BasePrecisionRecall`).
 *
 */
export abstract class PrecisionRecallBase extends ClassificationMetric<number | number[]> {
  /** The averaging mode (`true` is stored as `'macro'`). */
  readonly average: Exclude<AverageMode, true>;
  readonly #numerator = new DeviceSum();
  readonly #denominator = new DeviceSum();
  readonly #weight = new DeviceSum();
  #updated = false;

  constructor(options: PrecisionRecallOptions = {}) {
    const { average = false, ...rest } = options;
    if (!AVERAGES.includes(average)) {
      throw new RangeError(
        "Argument average should be null or a boolean or one of values 'macro', 'micro', 'weighted' and 'samples'" +
          `, got ${String(average)}.`,
      );
    }
    super(rest);
    this.average = average === true ? 'macro' : average;
  }

  /** Predicted positives (precision) or actual positives (recall), per row and class. */
  protected abstract positives(yPred: tf.Tensor, y: tf.Tensor): tf.Tensor;

  /** Ignite's `@sync_all_reduce`: the state `compute()` reduces across ranks. @returns the declarations. */
  protected override syncedState(): SyncedState[] {
    return [syncedSum(this.#numerator), syncedSum(this.#denominator), syncedSum(this.#weight)];
  }

  override reset(): void {
    super.reset();
    this.#numerator.reset();
    this.#denominator.reset();
    this.#weight.reset();
    this.#updated = false;
  }

  /** Saves whether any batch was seen, with the detected type. @returns the extras. */
  protected override stateExtras(): Record<string, unknown> {
    return { ...super.stateExtras(), updated: this.#updated };
  }

  /** Restores the extras saved by `stateExtras`. @param extras - the saved extras. */
  protected override loadStateExtras(extras: Record<string, unknown>): void {
    super.loadStateExtras(extras);
    this.#updated = extras['updated'] === true;
  }

  /**
   * Accumulates true positives and positives of one batch on the device.
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws RangeError for `average: 'samples'` with binary or multiclass data, and malformed inputs.
   */
  update(output: unknown): void {
    const parts = tf.tidy(() => {
      const { yPred, y, type } = this.prepare(output);
      if ((type === 'binary' || type === 'multiclass') && this.average === 'samples') {
        throw new RangeError("Argument average='samples' is incompatible with binary and multiclass input data.");
      }
      const [p, t] = this.#toMatrices(yPred, y, type);
      const correct = tf.mul(t, p);
      const positives = this.positives(p, t);
      if (this.average === 'samples') {
        return [tf.sum(tf.div(tf.sum(correct, 1), tf.add(tf.sum(positives, 1), EPS))), tf.scalar(t.shape[0] ?? 0)];
      }
      // Counts are integers: keep them int32 so they stay exact past float32's 2^24.
      const count = (x: tf.Tensor, axis?: number): tf.Tensor => tf.cast(tf.sum(x, axis), 'int32');
      if (this.average === 'micro') return [count(correct), count(positives)];
      return [count(correct, 0), count(positives, 0), count(t, 0)];
    });
    const [num, den, weight] = parts as [tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    this.#numerator.addOwned(num);
    this.#denominator.addOwned(den);
    if (weight && this.average === 'weighted') this.#weight.addOwned(weight);
    else weight?.dispose();
    this.#updated = true;
  }

  #toMatrices(yPred: tf.Tensor, y: tf.Tensor, type: ClassificationType): [tf.Tensor, tf.Tensor] {
    if (type === 'multilabel') {
      return [tf.cast(classesLast(yPred), 'float32'), tf.cast(classesLast(y), 'float32')];
    }
    const flatY = tf.reshape(y, [-1]);
    if (type === 'binary' && this.average === false) {
      return [tf.cast(tf.reshape(yPred, [-1]), 'float32'), tf.cast(flatY, 'float32')];
    }
    const numClasses = type === 'binary' ? 2 : (yPred.shape[1] ?? 2);
    const indices = type === 'multiclass' ? tf.argMax(yPred, 1) : tf.cast(yPred, 'int32');
    return [
      tf.cast(tf.oneHot(tf.reshape<tf.Rank.R1>(indices, [-1]), numClasses), 'float32'),
      tf.cast(tf.oneHot(tf.reshape<tf.Rank.R1>(tf.cast(flatY, 'int32'), [-1]), numClasses), 'float32'),
    ];
  }

  /**
   * Reads the sums back once and applies the averaging.
   *
   * @returns a number, or one number per class for `average` false/null (multiclass, multilabel, binary+null).
   * @throws {@link NotComputableError} before any update; RangeError when a deferred value check failed.
   */
  compute(): number | number[] {
    if (!this.#updated) {
      throw new NotComputableError(`${this.constructor.name} must have at least one example before it can be computed.`);
    }
    this.checks.verify();
    const num = this.#numerator.read() as number | number[];
    const den = this.#denominator.read() as number | number[];
    const eps = this.average === 'samples' ? 0 : EPS;
    const fraction = elementwise(num, den, (n, d) => n / (d + eps), 'fraction') as number | number[];
    if (this.average === 'weighted') {
      const w = this.#weight.read() as number[];
      const f = fraction as number[];
      const total = w.reduce((s, x) => s + x, 0);
      return w.reduce((s, wi, i) => s + wi * (f[i] ?? 0), 0) / (total + EPS);
    }
    if (this.average === 'micro' || this.average === 'samples') return fraction;
    if (this.average === 'macro') return meanOf(fraction);
    return fraction;
  }
}

/**
 * Precision = TP / (TP + FP), for binary, multiclass and multilabel data.
 *
 * @example
 * ```ts
 * const precision = new Precision({ average: 'macro' });
 * precision.attach(evaluator, 'precision');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.precision.Precision.html
 */
export class Precision extends PrecisionRecallBase {
  /**
   * @param options - `average`, `isMultilabel` and the common metric options.
   * @throws RangeError for an invalid `average`.
   */
  constructor(options: PrecisionRecallOptions = {}) {
    super(options);
  }

  protected positives(yPred: tf.Tensor): tf.Tensor {
    return yPred;
  }
}

/**
 * Recall = TP / (TP + FN), for binary, multiclass and multilabel data.
 *
 * @example
 * ```ts
 * const recall = new Recall({ average: 'weighted' });
 * recall.attach(evaluator, 'recall');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.recall.Recall.html
 */
export class Recall extends PrecisionRecallBase {
  /**
   * @param options - `average`, `isMultilabel` and the common metric options.
   * @throws RangeError for an invalid `average`.
   */
  constructor(options: PrecisionRecallOptions = {}) {
    super(options);
  }

  protected positives(_yPred: tf.Tensor, y: tf.Tensor): tf.Tensor {
    return y;
  }
}

/**
 * Options of {@link Fbeta}.
 *
 */
export interface FbetaOptions {
  /** Average the per-class scores into one number. @defaultValue true */
  average?: boolean;
  /** A Precision with `average: false` to reuse (e.g. one already attached). */
  precision?: Precision;
  /** A Recall with `average: false` to reuse. */
  recall?: Recall;
  /** Output transform of the Precision/Recall created here (not allowed with `precision`/`recall`). */
  outputTransform?: (output: unknown) => unknown;
}

function fbetaParts(beta: number, options: FbetaOptions): [(p: unknown, r: unknown) => number | number[], Precision, Recall] {
  if (!(typeof beta === 'number' && beta > 0)) {
    throw new RangeError(`Beta should be a positive integer, but given ${String(beta)}`);
  }
  const { average = true, precision, recall, outputTransform } = options;
  if (precision && outputTransform) {
    throw new TypeError('If precision argument is provided, outputTransform should be undefined');
  }
  if (recall && outputTransform) throw new TypeError('If recall argument is provided, outputTransform should be undefined');
  if (precision && precision.average !== false) {
    throw new RangeError('Input precision metric should have average=false');
  }
  if (recall && recall.average !== false) throw new RangeError('Input recall metric should have average=false');
  const common = outputTransform ? { outputTransform, average: false as const } : { average: false as const };
  const b2 = beta * beta;
  const fn = (p: unknown, r: unknown): number | number[] => {
    const pr = elementwise(p, r, (x, y) => ((1 + b2) * x * y) / (b2 * x + y + 1e-15), 'fbeta') as number | number[];
    return average ? meanOf(pr) : pr;
  };
  return [fn, precision ?? new Precision(common), recall ?? new Recall(common)];
}

/**
 * F-beta score built from Precision and Recall: `(1 + β²) P R / (β² P + R)`, averaged over classes by default.
 *
 * @example
 * ```ts
 * new Fbeta(1).attach(evaluator, 'f1');
 * const precision = new Precision({ average: false });
 * new Fbeta(0.5, { precision, recall: new Recall({ average: false }), average: false }).attach(evaluator, 'f05_per_class');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.Fbeta.html
 */
export class Fbeta extends MetricsLambda<number | number[]> {
  /**
   * @param beta - weight of recall relative to precision (> 0).
   * @param options - {@link FbetaOptions}.
   * @throws RangeError for beta <= 0 or an averaged precision/recall; TypeError for conflicting options.
   */
  constructor(beta: number, options: FbetaOptions = {}) {
    const [fn, precision, recall] = fbetaParts(beta, options);
    super(fn, precision, recall);
  }
}
