/**
 * @module Port of ignite/metrics/vision/object_detection_average_precision_recall.py:
 * `ObjectDetectionAvgPrecisionRecall` (COCO-style mean average precision and recall) and
 * `coco_tensor_list_to_dict_list`.
 * Deviations: the matching runs in float64 JavaScript on the host (each update reads its boxes once; Ignite loops
 * over detections with torch ops); no torchvision needed; boxes, scores and labels may be tensors or number
 * arrays; `cocoTensorListToDictList` emits the keys `update` reads (`scores` / `labels`; Ignite's helper emits
 * `confidence` / `class`, which its own `update` rejects); an unknown `areaRange` is a RangeError at construction.
 * `compute()` returns `[ap, ar]`, or `[-1, -1]` when no class has a ground truth (as Ignite).
 */

import type * as tf from '@tensorflow/tfjs-core';
import { allGather, allReduce } from '../../distributed/collectives.js';
import { getWorldSize } from '../../distributed/context.js';
import { NotComputableError } from '../../errors.js';
import { Metric, type MetricOptions } from '../metric.js';
import { describeValue, isTensor } from '../internal/tensors.js';
import { averagePrecisionCoco, setupThresholds, stableDescending } from './detection-math.js';

/** A tensor or nested number arrays (what detection inputs accept). */
type Numbers = tf.Tensor | readonly number[] | readonly (readonly number[])[];

/**
 * Detections of one image: boxes `(N, 4)` as `(x1, y1, x2, y2)`, confidence scores `(N,)` and class labels `(N,)`.
 *
 */
export interface DetectionPrediction {
  /** `(N, 4)` boxes `(x1, y1, x2, y2)`. */
  bbox: Numbers;
  /** `(N,)` confidence scores. */
  scores: Numbers;
  /** `(N,)` class indices. */
  labels: Numbers;
}

/**
 * Ground truth of one image: boxes `(M, 4)`, labels `(M,)` and optional crowd flags `(M,)`.
 *
 */
export interface DetectionTarget {
  /** `(M, 4)` boxes `(x1, y1, x2, y2)`. */
  bbox: Numbers;
  /** `(M,)` class indices. */
  labels: Numbers;
  /** `(M,)` crowd flags (1 = crowd region). @defaultValue all 0 */
  iscrowd?: Numbers;
}

/**
 * Which objects count, by box area (COCO's ranges: small `≤ 32²`, medium `32²..96²`, large `≥ 96²`, bounds included).
 *
 */
export type AreaRange = 'small' | 'medium' | 'large' | 'all';

const AREA_RANGES: Record<AreaRange, [number, number]> = {
  all: [0, 1e10],
  small: [0, 1024],
  medium: [1024, 9216],
  large: [9216, 1e10],
};

/**
 * Options of {@link ObjectDetectionAvgPrecisionRecall}.
 *
 */
export interface ObjectDetectionOptions extends MetricOptions {
  /** IoU thresholds in [0, 1]. @defaultValue COCO's 0.5, 0.55, ..., 0.95 */
  iouThresholds?: readonly number[] | tf.Tensor;
  /** Recall thresholds in [0, 1]. @defaultValue COCO's 0, 0.01, ..., 1 */
  recThresholds?: readonly number[] | tf.Tensor;
  /** Number of categories (labels are `0..numClasses-1`). @defaultValue 80 (COCO) */
  numClasses?: number;
  /** The most confident detections kept per image and class. @defaultValue 100 */
  maxDetectionsPerImagePerClass?: number;
  /** Only objects whose box area is in this range are evaluated. @defaultValue 'all' */
  areaRange?: AreaRange;
}

function linspace(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}

function flat(v: unknown, role: string): number[] {
  if (isTensor(v)) return Array.from(v.dataSync());
  if (Array.isArray(v)) return (v as unknown[]).flat(2).map(Number);
  throw new TypeError(`${role} should be a tf.Tensor or an array of numbers, but given ${describeValue(v)}.`);
}

function boxArea(b: readonly number[], i: number): number {
  return ((b[i * 4 + 2] ?? 0) - (b[i * 4] ?? 0)) * ((b[i * 4 + 3] ?? 0) - (b[i * 4 + 1] ?? 0));
}

/** IoU of detection `i` and ground truth `j`; for a crowd ground truth the union is the detection's area. */
function iou(p: readonly number[], i: number, g: readonly number[], j: number, crowd: boolean): number {
  const w = Math.min(p[i * 4 + 2] ?? 0, g[j * 4 + 2] ?? 0) - Math.max(p[i * 4] ?? 0, g[j * 4] ?? 0);
  const h = Math.min(p[i * 4 + 3] ?? 0, g[j * 4 + 3] ?? 0) - Math.max(p[i * 4 + 1] ?? 0, g[j * 4 + 1] ?? 0);
  const inter = Math.max(w, 0) * Math.max(h, 0);
  const union = crowd ? boxArea(p, i) : boxArea(p, i) + boxArea(g, j) - inter;
  const v = inter / union;
  return Number.isNaN(v) ? 0 : v;
}

const NO_MATCH = -3;
const IGNORANCE = -2;

/**
 * COCO-style mean average precision and mean average recall of an object detector, over IoU thresholds and
 * classes. `update([yPred, y])` takes two same-length lists (one entry per image) of {@link DetectionPrediction}
 * and {@link DetectionTarget}; `compute()` returns `[AP, AR]`.
 *
 * @example
 * ```ts
 * const metric = new ObjectDetectionAvgPrecisionRecall({ numClasses: 2, outputTransform: cocoTensorListToDictList });
 * metric.attach(evaluator, 'ap_ar'); // process function returns [predTensors (N, 6)[], targetTensors (M, 5)[]]
 * const [ap, ar] = evaluator.state.metrics.ap_ar as number[];
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.ObjectDetectionAvgPrecisionRecall.html
 */
export class ObjectDetectionAvgPrecisionRecall extends Metric<[number, number]> {
  readonly #iouThresholds: number[];
  readonly #recThresholds: number[];
  readonly #numClasses: number;
  readonly #maxDets: number;
  readonly #area: [number, number];
  #tps: number[] = [];
  #fps: number[] = [];
  #scores: number[] = [];
  #labels: number[] = [];
  #yTrueCount: number[] = [];
  #numImages = 0;

  /**
   * @param options - thresholds, classes, detections limit, area range and the common metric options.
   * @throws TypeError / RangeError for malformed thresholds, `numClasses`, `maxDetectionsPerImagePerClass` or an
   *   unknown `areaRange`.
   */
  constructor(options: ObjectDetectionOptions = {}) {
    const { iouThresholds, recThresholds, numClasses = 80, maxDetectionsPerImagePerClass = 100, areaRange = 'all', ...rest } = options;
    super(rest);
    this.#iouThresholds = setupThresholds(iouThresholds ?? linspace(0.5, 0.95, 10), 'iouThresholds');
    this.#recThresholds = setupThresholds(recThresholds ?? linspace(0, 1, 101), 'recThresholds');
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`Argument numClasses should be a positive integer, got ${numClasses}`);
    if (!Number.isInteger(maxDetectionsPerImagePerClass) || maxDetectionsPerImagePerClass < 1) {
      throw new RangeError(`Argument maxDetectionsPerImagePerClass should be a positive integer, got ${maxDetectionsPerImagePerClass}`);
    }
    const area = AREA_RANGES[areaRange];
    if (area === undefined) throw new RangeError(`Argument areaRange should be one of small, medium, large, all, got ${String(areaRange)}`);
    this.#numClasses = numClasses;
    this.#maxDets = maxDetectionsPerImagePerClass;
    this.#area = area;
    this.reset();
  }

  /** Clears the stored matches. */
  reset(): void {
    this.#tps = [];
    this.#fps = [];
    this.#scores = [];
    this.#labels = [];
    this.#yTrueCount = new Array<number>(this.#numClasses).fill(0);
    this.#numImages = 0;
  }

  #inArea(area: number): boolean {
    return area >= this.#area[0] && area <= this.#area[1];
  }

  /**
   * Matches the detections of every image of the batch to its ground truths (COCO's greedy matching).
   *
   * @param output - `[yPred, y]`: two same-length lists of per-image objects.
   * @returns nothing.
   * @throws TypeError for a malformed output; RangeError when lengths differ, a list is empty or keys are missing.
   */
  update(output: unknown): void {
    const [yPred, y] = checkMatchingInput(output);
    yPred.forEach((pred, k) => this.#updateImage(pred, y[k] as DetectionTarget));
    this.#numImages += yPred.length;
  }

  #updateImage(pred: DetectionPrediction, target: DetectionTarget): void {
    const gtLabels = flat(target.labels, 'y.labels');
    const gtBoxes = flat(target.bbox, 'y.bbox');
    const crowd = target.iscrowd === undefined ? gtLabels.map(() => false) : flat(target.iscrowd, 'y.iscrowd').map((c) => c !== 0);
    const bad = gtLabels.find((c) => !Number.isInteger(c) || c < 0 || c >= this.#numClasses);
    if (bad !== undefined) {
      throw new RangeError(`y labels should be class indices in [0, ${this.#numClasses}) (numClasses), but found ${bad}.`);
    }
    const ignore = gtLabels.map((_, j) => !this.#inArea(boxArea(gtBoxes, j)) || (crowd[j] ?? false));
    gtLabels.forEach((c, j) => {
      if (!ignore[j]) this.#yTrueCount[c] = (this.#yTrueCount[c] ?? 0) + 1;
    });
    const scores = flat(pred.scores, 'yPred.scores');
    const labels = flat(pred.labels, 'yPred.labels');
    const boxes = flat(pred.bbox, 'yPred.bbox');
    if (labels.length === 0) return;
    const order = stableDescending(scores);
    const kept: number[] = [];
    for (let c = 0; c < this.#numClasses; c++) kept.push(...order.filter((i) => labels[i] === c).slice(0, this.#maxDets));
    const keptBoxes = kept.flatMap((i) => boxes.slice(i * 4, i * 4 + 4));
    const keptLabels = kept.map((i) => labels[i] ?? -1);
    const best = this.#matchImage(keptBoxes, keptLabels, gtBoxes, gtLabels, crowd, ignore);
    keptLabels.forEach((label, i) => {
      const inArea = this.#inArea(boxArea(keptBoxes, i));
      for (let t = 0; t < this.#iouThresholds.length; t++) {
        const v = best[i * this.#iouThresholds.length + t] ?? NO_MATCH;
        this.#tps.push(v >= 0 ? 1 : 0);
        this.#fps.push(v <= NO_MATCH && inArea ? 1 : 0);
      }
      this.#scores.push(scores[kept[i] ?? 0] ?? 0);
      this.#labels.push(label);
    });
  }

  /** For each kept detection and IoU threshold, the value of its final match (≥ 0: true positive, -3: none). */
  #matchImage(
    boxes: number[], labels: number[], gtBoxes: number[], gtLabels: number[], crowd: boolean[], ignore: boolean[],
  ): Float64Array {
    const nd = labels.length;
    const ng = gtLabels.length;
    const nt = this.#iouThresholds.length;
    const best = new Float64Array(nd * nt).fill(NO_MATCH);
    if (ng === 0) return best;
    this.#iouThresholds.forEach((thr, t) => {
      const v = new Float64Array(nd * ng);
      for (let i = 0; i < nd; i++) {
        for (let j = 0; j < ng; j++) {
          const x = labels[i] !== gtLabels[j] ? NO_MATCH : iou(boxes, i, gtBoxes, j, crowd[j] ?? false);
          v[i * ng + j] = (x < thr ? NO_MATCH : x) + (ignore[j] ? IGNORANCE : 0);
        }
      }
      for (let i = 0; i < nd; i++) {
        let m = 0;
        for (let j = 1; j < ng; j++) if ((v[i * ng + j] ?? 0) >= (v[i * ng + m] ?? 0)) m = j;
        const value = v[i * ng + m] ?? NO_MATCH;
        if (value > NO_MATCH && !crowd[m]) {
          for (let k = 0; k < nd; k++) v[k * ng + m] = NO_MATCH;
          v[i * ng + m] = value;
        }
      }
      for (let i = 0; i < nd; i++) best[i * nt + t] = Math.max(...v.subarray(i * ng, (i + 1) * ng));
    });
    return best;
  }

  /**
   * Per class and IoU threshold: average precision (row 0) and recall (row 1); -1 where a class has no ground
   * truth. Gathers every rank's matches first in a distributed run (a collective).
   *
   * @returns `[ap, ar]`, each `numClasses × numIouThresholds`.
   */
  perClass(): [number[][], number[][]] {
    const nt = this.#iouThresholds.length;
    const distributed = getWorldSize() > 1;
    const labels = distributed ? allGather(this.#labels) : this.#labels;
    const scores = distributed ? allGather(this.#scores) : this.#scores;
    const tps = distributed ? allGather(this.#tps) : this.#tps;
    const fps = distributed ? allGather(this.#fps) : this.#fps;
    const counts = distributed ? allReduce(this.#yTrueCount) : this.#yTrueCount;
    const ap = counts.map(() => new Array<number>(nt).fill(-1));
    const ar = counts.map(() => new Array<number>(nt).fill(-1));
    counts.forEach((count, c) => {
      if (count === 0) return;
      const idx = labels.flatMap((l, i) => (l === c ? [i] : []));
      const order = stableDescending(idx.map((i) => scores[i] ?? 0)).map((k) => idx[k] ?? 0);
      for (let t = 0; t < nt; t++) {
        const r = averagePrecisionCoco(order.map((i) => tps[i * nt + t] ?? 0), order.map((i) => fps[i * nt + t] ?? 0), count, this.#recThresholds);
        (ap[c] as number[])[t] = r.ap;
        (ar[c] as number[])[t] = r.recall;
      }
    });
    return [ap, ar];
  }

  /**
   * Mean over classes (with ground truths) and IoU thresholds.
   *
   * @returns `[AP, AR]`; `[-1, -1]` when no class has a ground truth.
   * @throws {@link NotComputableError} before any update.
   */
  compute(): [number, number] {
    if (this.#numImages === 0 && getWorldSize() === 1) {
      throw new NotComputableError('ObjectDetectionAvgPrecisionRecall must have at least one example before it can be computed.');
    }
    const [ap, ar] = this.perClass();
    const mean = (m: number[][]): number => {
      const vals = m.flat().filter((v) => v > -1);
      return vals.length === 0 ? -1 : vals.reduce((a, b) => a + b, 0) / vals.length;
    };
    return [mean(ap), mean(ar)];
  }
}

function checkMatchingInput(output: unknown): [DetectionPrediction[], DetectionTarget[]] {
  if (!Array.isArray(output) || output.length < 2 || !Array.isArray(output[0]) || !Array.isArray(output[1])) {
    throw new TypeError(`ObjectDetectionAvgPrecisionRecall.update expects [yPred[], y[]], but given ${describeValue(output)}.`);
  }
  const yPred = output[0] as DetectionPrediction[];
  const y = output[1] as DetectionTarget[];
  if (yPred.length !== y.length) {
    throw new RangeError(`yPred and y should have the same number of samples, given ${yPred.length} and ${y.length}.`);
  }
  if (yPred.length === 0) throw new RangeError('yPred and y should contain at least one sample.');
  const keys = (o: unknown): string[] => (o !== null && typeof o === 'object' ? Object.keys(o) : []);
  if (!['bbox', 'scores', 'labels'].every((k) => keys(yPred[0]).includes(k))) {
    throw new RangeError(`yPred sample dictionaries should have 'bbox', 'scores' and 'labels' keys, given keys: [${keys(yPred[0]).join(', ')}]`);
  }
  if (!['bbox', 'labels'].every((k) => keys(y[0]).includes(k))) {
    throw new RangeError(`y sample dictionaries should have 'bbox', 'labels' and optionally 'iscrowd' keys, given keys: [${keys(y[0]).join(', ')}]`);
  }
  return [yPred, y];
}

/**
 * Converts `[yPred, y]` given as lists of per-image `(N, 6)` tensors (rows `x1, y1, x2, y2, score, class`) and
 * `(M, 5)` / `(M, 6)` tensors (rows `x1, y1, x2, y2, class[, iscrowd]`) to the per-image objects
 * {@link ObjectDetectionAvgPrecisionRecall} reads; entries that already are objects pass through unchanged.
 *
 * @param output - `[yPred, y]`.
 * @returns `[predictions, targets]` holding plain number arrays (nothing to dispose).
 * @throws TypeError when `output` is not a pair of lists; RangeError for a tensor that is not `(N, 5|6)`.
 */
export function cocoTensorListToDictList(output: unknown): [DetectionPrediction[], DetectionTarget[]] {
  if (!Array.isArray(output) || !Array.isArray(output[0]) || !Array.isArray(output[1])) {
    throw new TypeError(`cocoTensorListToDictList expects [yPred[], y[]], but given ${describeValue(output)}.`);
  }
  const [yPred, y] = output as [unknown[], unknown[]];
  const preds = yPred.map((t) => {
    if (!isTensor(t)) return t as DetectionPrediction;
    const rows = tensorRows(t, [6]);
    return { bbox: rows.map((r) => r.slice(0, 4)), scores: rows.map((r) => r[4] ?? 0), labels: rows.map((r) => r[5] ?? 0) };
  });
  const targets = y.map((t) => {
    if (!isTensor(t)) return t as DetectionTarget;
    const rows = tensorRows(t, [5, 6]);
    const base = { bbox: rows.map((r) => r.slice(0, 4)), labels: rows.map((r) => r[4] ?? 0) };
    return t.shape[1] === 6 ? { ...base, iscrowd: rows.map((r) => r[5] ?? 0) } : base;
  });
  return [preds, targets];
}

function tensorRows(t: tf.Tensor, widths: number[]): number[][] {
  if (t.rank !== 2 || !widths.includes(t.shape[1] ?? 0)) {
    throw new RangeError(`cocoTensorListToDictList expects (N, ${widths.join(' or ')}) tensors, but given shape [${t.shape.join(',')}].`);
  }
  return t.arraySync() as number[][];
}
