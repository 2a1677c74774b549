/**
 * @module Port of ignite/metrics/classification_report.py: per-class precision, recall and F-beta plus their
 * macro average, as a plain object (or its JSON text), built from Precision and Recall like Ignite's.
 * Deviations: a class (`new ClassificationReport(options)`) extending MetricsLambda rather than a function;
 * binary `(N,)` 0/1 data gives one entry per class ("0" and "1"), where Ignite's report fails; `labels` shorter than
 * the number of classes is a RangeError; the JSON text is `JSON.stringify`'s (compact, JavaScript number format),
 * Ignite's is Python's `json.dumps`.
 */

import { elementwise, meanOf } from '../internal/numeric.js';
import { MetricsLambda } from '../metrics-lambda.js';
import type { MetricOptions } from '../metric.js';
import { Precision, Recall } from '../precision-recall.js';

/**
 * Options of {@link ClassificationReport}.
 *
 */
export interface ClassificationReportOptions {
  /** Weight of recall in the harmonic mean; the score's key is `f${beta}-score`. @defaultValue 1 */
  beta?: number;
  /** Return the report as an object; otherwise as its JSON text. @defaultValue false */
  outputDict?: boolean;
  /** Inputs are multilabel: `yPred` and `y` both `(N, C, ...)` of 0/1. @defaultValue false */
  isMultilabel?: boolean;
  /** Names of the classes, in class order (default: `"0"`, `"1"`, ...). */
  labels?: readonly string[];
  /** Maps the engine output to `[yPred, y]` (given to the underlying Precision and Recall). @defaultValue identity */
  outputTransform?: MetricOptions['outputTransform'];
}

/**
 * One entry of the report: `precision`, `recall` and `f${beta}-score`.
 *
 */
export type ClassificationReportEntry = Record<string, number>;

/**
 * The report object: one entry per class (keyed by label) and `"macro avg"`, each with `precision`, `recall` and
 * `f${beta}-score`.
 *
 * @example
 * ```ts
 * const report = new ClassificationReport({ outputDict: true }).compute() as ClassificationReportDict;
 * report['macro avg']?.precision;
 * ```
 */
export type ClassificationReportDict = Record<string, ClassificationReportEntry>;

/**
 * A text report of the main classification metrics, like scikit-learn's `classification_report` (computed
 * without sklearn): per-class precision, recall and F-beta of multiclass `(N, C, ...)` scores with `(N, ...)`
 * labels, multilabel (`isMultilabel`) or binary data, plus `"macro avg"`.
 *
 * @example
 * ```ts
 * new ClassificationReport({ outputDict: true }).attach(evaluator, 'cr');
 * const { metrics } = await evaluator.run(data);
 * // metrics.cr = { '0': { precision, recall, 'f1-score' }, '1': {...}, 'macro avg': {...} }, and the same keys
 * // at the top level of metrics (metricsResultMode 'both')
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.ClassificationReport.html
 */
export class ClassificationReport extends MetricsLambda<ClassificationReportDict | string> {
  /**
   * @param options - `beta`, `outputDict`, `isMultilabel`, `labels` and `outputTransform`.
   * @throws RangeError for `beta <= 0`; TypeError when `labels` is not an array of strings.
   */
  constructor(options: ClassificationReportOptions = {}) {
    const { beta = 1, outputDict = false, isMultilabel = false, labels, outputTransform } = options;
    if (!(typeof beta === 'number' && beta > 0)) {
      throw new RangeError(`Beta should be a positive integer, but given ${String(beta)}`);
    }
    if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string'))) {
      throw new TypeError(`Argument labels should be an array of strings, got ${String(labels)}`);
    }
    // average: null keeps one value per class for binary data too (same as false for multiclass / multilabel).
    const common = { average: null, isMultilabel, ...(outputTransform ? { outputTransform } : {}) };
    const fn = (precision: unknown, recall: unknown): ClassificationReportDict | string => {
      const report = buildReport(precision, recall, beta, labels);
      return outputDict ? report : JSON.stringify(report);
    };
    super(fn, new Precision(common), new Recall(common));
  }
}

function buildReport(precision: unknown, recall: unknown, beta: number, labels: readonly string[] | undefined): ClassificationReportDict {
  const p = precision as number[];
  const r = recall as number[];
  if (labels !== undefined && labels.length > 0 && labels.length < p.length) {
    throw new RangeError(`Argument labels has ${labels.length} names, but the data has ${p.length} classes; give one name per class.`);
  }
  const b2 = beta * beta;
  const f = elementwise(p, r, (x, y) => ((1 + b2) * x * y) / (b2 * x + y + 1e-15), 'fbeta') as number[];
  const key = `f${beta}-score`;
  const report: ClassificationReportDict = {};
  p.forEach((pi, i) => {
    const name = labels !== undefined && labels.length > 0 ? (labels[i] ?? String(i)) : String(i);
    report[name] = { precision: pi, recall: r[i] ?? 0, [key]: f[i] ?? 0 };
  });
  report['macro avg'] = { precision: meanOf(p), recall: meanOf(r), [key]: meanOf(f) };
  return report;
}
