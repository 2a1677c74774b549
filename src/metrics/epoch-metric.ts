/**
 * @module Port of ignite/metrics/epoch_metric.py and the sklearn-based ROC_AUC / AveragePrecision
 * (ignite/metrics/roc_auc.py, average_precision.py), with the scores computed in plain TypeScript.
 * Deviations: `computeFn` receives the concatenated tensors (owned by the metric, disposed after the call) and a
 * tensor result is read back; ROC_AUC and AveragePrecision do not need scikit-learn: binary `(N,)` inputs, or
 * `(N, L)` multilabel inputs macro-averaged over labels (sklearn's default); AveragePrecision of a label with no
 * positive sample is 0 (sklearn warns and returns 0).
 */

import * as tf from '@tensorflow/tfjs-core';
import { allGather } from '../distributed/collectives.js';
import { getWorldSize } from '../distributed/context.js';
import { NotComputableError } from '../errors.js';
import { Metric, deserialise, serialise, type MetricOptions, type MetricStateDict, type SerialisedValue } from './metric.js';
import { describeValue, fmtShape, readTensor, toTensor } from './internal/tensors.js';

/**
 * The function applied to all predictions and targets of the epoch.
 *
 */
export type EpochComputeFn<T> = (yPred: tf.Tensor, y: tf.Tensor) => T | tf.Tensor;

/**
 * Options of {@link EpochMetric}.
 *
 */
export interface EpochMetricOptions extends MetricOptions {
  /** Run `computeFn` on the first batch and warn (engine logger) if it throws. @defaultValue true */
  checkComputeFn?: boolean;
}

/**
 * Stores every prediction and target of the epoch (on the device) and applies `computeFn` to their concatenation
 * in `compute()`. Inputs: `(N,)` or `(N, T)`; `(N, 1)` is squeezed to `(N,)`.
 *
 * @example
 * ```ts
 * const maxError = new EpochMetric((p, t) => tf.max(tf.abs(tf.sub(p, t))));
 * maxError.attach(evaluator, 'max_error');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.EpochMetric.html
 */
export class EpochMetric<T = unknown> extends Metric<T | number | number[] | number[][]> {
  readonly #computeFn: EpochComputeFn<T>;
  readonly #checkComputeFn: boolean;
  #predictions: tf.Tensor[] = [];
  #targets: tf.Tensor[] = [];
  #result: { value: T | number | number[] | number[][] } | null = null;

  /**
   * @param computeFn - computes the metric from all predictions and targets.
   * @param options - `checkComputeFn` and the common metric options.
   * @throws TypeError when `computeFn` is not a function.
   */
  constructor(computeFn: EpochComputeFn<T>, options: EpochMetricOptions = {}) {
    const { checkComputeFn = true, ...rest } = options;
    super(rest);
    if (typeof computeFn !== 'function') {
      throw new TypeError(`Argument computeFn should be callable, got ${typeof computeFn}`);
    }
    this.#computeFn = computeFn;
    this.#checkComputeFn = checkComputeFn;
  }

  /** Disposes the stored predictions and targets. */
  reset(): void {
    tf.dispose([...this.#predictions, ...this.#targets]);
    this.#predictions = [];
    this.#targets = [];
    this.#result = null;
  }

  /**
   * Stores a copy of one batch.
   *
   * @param output - `[yPred, y]`.
   * @returns nothing.
   * @throws RangeError for shapes other than `(N,)` / `(N, T)`; TypeError when dtypes change between batches.
   */
  /**
   * Saves the stored predictions and targets (Ignite's `_predictions`, `_targets` state keys).
   *
   * @returns the JSON state.
   */
  override stateDict(): MetricStateDict {
    const tensors = (list: tf.Tensor[]): SerialisedValue[] => list.map((t) => serialise(t));
    return { metric: this.constructor.name, state: [], extras: { predictions: tensors(this.#predictions), targets: tensors(this.#targets) } };
  }

  /**
   * Restores predictions and targets saved by {@link EpochMetric.stateDict}; later updates append to them.
   *
   * @param stateDict - the saved state.
   * @returns nothing.
   * @throws RangeError when it was saved by another metric or has no predictions/targets lists.
   */
  override loadStateDict(stateDict: MetricStateDict): void {
    const extras = (stateDict as Partial<MetricStateDict> | null)?.extras;
    const p = extras?.['predictions'];
    const t = extras?.['targets'];
    if (stateDict.metric !== this.constructor.name || !Array.isArray(p) || !Array.isArray(t) || p.length !== t.length) {
      throw new RangeError(`Argument stateDict should be saved by ${this.constructor.name}.stateDict(), with as many ` +
        `predictions as targets; got one saved by ${String(stateDict.metric)}.`);
    }
    this.reset();
    this.#predictions = (p as SerialisedValue[]).map((v) => deserialise(v) as tf.Tensor);
    this.#targets = (t as SerialisedValue[]).map((v) => deserialise(v) as tf.Tensor);
  }

  update(output: unknown): void {
    if (!Array.isArray(output) || output.length < 2) {
      throw new TypeError(`${this.constructor.name}.update expects [yPred, y], but given ${describeValue(output)}.`);
    }
    const [p, t] = tf.tidy<tf.Tensor[]>(() => {
      const yPred = squeezeColumn(toTensor(output[0], 'yPred'), 'Predictions');
      const y = squeezeColumn(toTensor(output[1], 'y'), 'Targets');
      this.#checkType(yPred, y);
      return [tf.clone(yPred), tf.clone(y)];
    });
    if (!p || !t) return;
    this.#predictions.push(p);
    this.#targets.push(t);
    this.#result = null;
    if (this.#predictions.length === 1 && this.#checkComputeFn) {
      try {
        tf.tidy(() => {
          this.#computeFn(p, t);
        });
      } catch (e) {
        this.logger?.warn(`Probably, there can be a problem with \`computeFn\`:\n ${String(e)}.`);
      }
    }
  }

  #checkType(yPred: tf.Tensor, y: tf.Tensor): void {
    const lastP = this.#predictions.at(-1);
    const lastT = this.#targets.at(-1);
    if (lastP && lastP.dtype !== yPred.dtype) {
      throw new TypeError(`Incoherent types between input yPred and stored predictions: ${lastP.dtype} vs ${yPred.dtype}`);
    }
    if (lastT && lastT.dtype !== y.dtype) {
      throw new TypeError(`Incoherent types between input y and stored targets: ${lastT.dtype} vs ${y.dtype}`);
    }
  }

  /**
   * Concatenates the stored batches and applies `computeFn` (the result is cached until the next update/reset).
   *
   * @returns `computeFn`'s result (a tensor result is read back as a number or arrays).
   * @throws {@link NotComputableError} before any update.
   */
  compute(): T | number | number[] | number[][] {
    if (this.#predictions.length < 1) {
      throw new NotComputableError('EpochMetric must have at least one example before it can be computed.');
    }
    if (this.#result === null) {
      let value: T | number | number[] | number[][] = 0;
      tf.tidy(() => {
        let predictions = tf.concat(this.#predictions, 0);
        let targets = tf.concat(this.#targets, 0);
        // Ignite: in a distributed job the predictions and targets of every rank are gathered first (a collective).
        if (getWorldSize() > 1) {
          predictions = allGather(predictions);
          targets = allGather(targets);
        }
        const r = this.#computeFn(predictions, targets);
        value = r instanceof tf.Tensor ? (readTensor(r) as number | number[] | number[][]) : r;
      });
      this.#result = { value };
    }
    return this.#result.value;
  }
}

function squeezeColumn(t: tf.Tensor, what: string): tf.Tensor {
  if (t.rank !== 1 && t.rank !== 2) {
    throw new RangeError(`${what} should be of shape (batchSize, nTargets) or (batchSize, ), but given ${fmtShape(t.shape)}.`);
  }
  return t.rank === 2 && t.shape[1] === 1 ? tf.reshape(t, [-1]) : t;
}

/** Splits `(N,)` / `(N, L)` scores and 0/1 targets into per-label columns of numbers. */
function columns(yPred: tf.Tensor, y: tf.Tensor, metric: string): { scores: number[]; labels: number[] }[] {
  if (fmtShape(yPred.shape) !== fmtShape(y.shape)) {
    throw new RangeError(`${metric}: yPred and y should have the same shape, but given ${fmtShape(yPred.shape)} and ${fmtShape(y.shape)}.`);
  }
  const p = yPred.dataSync();
  const t = y.dataSync();
  const numLabels = yPred.rank === 2 ? (yPred.shape[1] ?? 1) : 1;
  const n = yPred.shape[0] ?? 0;
  return Array.from({ length: numLabels }, (_, j) => {
    const scores: number[] = [];
    const labels: number[] = [];
    for (let i = 0; i < n; i++) {
      const label = t[i * numLabels + j] ?? 0;
      if (label !== 0 && label !== 1) throw new RangeError(`${metric}: y should contain only 0 and 1, but found ${label}.`);
      scores.push(p[i * numLabels + j] ?? 0);
      labels.push(label);
    }
    return { scores, labels };
  });
}

/**
 * Area under the ROC curve of binary scores (ties count one half), via midranks.
 *
 * @param scores - predicted scores.
 * @param labels - 0/1 targets.
 * @returns the AUC.
 * @throws RangeError when only one class is present.
 */
export function rocAucScore(scores: readonly number[], labels: readonly number[]): number {
  const pos = labels.filter((l) => l === 1).length;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) {
    throw new RangeError('Only one class present in y. ROC AUC score is not defined in that case.');
  }
  const order = scores.map((_, i) => i).sort((a, b) => (scores[a] ?? 0) - (scores[b] ?? 0));
  let rankSumPos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] ?? 0] === scores[order[i] ?? 0]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k] ?? 0] === 1) rankSumPos += midrank;
    i = j + 1;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision of binary scores: `Σ (R_n − R_{n−1}) P_n` over decreasing thresholds (sklearn's definition).
 *
 * @param scores - predicted scores.
 * @param labels - 0/1 targets.
 * @returns the average precision (0 when there is no positive sample).
 */
export function averagePrecisionScore(scores: readonly number[], labels: readonly number[]): number {
  const pos = labels.filter((l) => l === 1).length;
  if (pos === 0) return 0;
  const order = scores.map((_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0));
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1] ?? 0] === scores[order[i] ?? 0]) j++;
    for (let k = i; k <= j; k++) tp += labels[order[k] ?? 0] ?? 0;
    seen += j - i + 1;
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    i = j + 1;
  }
  return ap;
}

/**
 * Area under the ROC curve over the epoch: binary `(N,)` scores and 0/1 targets, or `(N, L)` multilabel
 * (macro-averaged over labels).
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.ROC_AUC.html
 */
export class ROC_AUC extends EpochMetric<number> {
  /** @param options - the common metric options (`checkComputeFn` defaults to false, as in Ignite). */
  constructor(options: EpochMetricOptions = {}) {
    super((p, t) => {
      const cols = columns(p, t, 'ROC_AUC').map(({ scores, labels }) => rocAucScore(scores, labels));
      return cols.reduce((a, b) => a + b, 0) / cols.length;
    }, { checkComputeFn: false, ...options });
  }
}

/**
 * Average precision over the epoch: binary `(N,)` scores and 0/1 targets, or `(N, L)` multilabel (macro).
 *
 * @see https://pytorch.org/ignite/generated/ignite.metrics.AveragePrecision.html
 */
export class AveragePrecision extends EpochMetric<number> {
  /** @param options - the common metric options (`checkComputeFn` defaults to false, as in Ignite). */
  constructor(options: EpochMetricOptions = {}) {
    super((p, t) => {
      const cols = columns(p, t, 'AveragePrecision').map(({ scores, labels }) => averagePrecisionScore(scores, labels));
      return cols.reduce((a, b) => a + b, 0) / cols.length;
    }, { checkComputeFn: false, ...options });
  }
}
