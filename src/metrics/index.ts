/**
 * @module Port of ignite/metrics: the Metric base class, usages, composition and the common metrics.
 * Metrics use only the engine's public API (`on`, `off`, `hasEventHandler`, `state`); see docs/metrics.md.
 * Deviations from Ignite are listed in each file's header and in docs/metrics.md.
 */

export {
  Metric,
  type AttachArg,
  type AttachOptions,
  type MetricEngine,
  type MetricOptions,
  type MetricsResultMode,
  type MetricStateDict,
  type SerialisedValue,
} from './metric.js';
export {
  BatchFiltered,
  BatchWise,
  EpochWise,
  MetricUsage,
  RunningBatchWise,
  RunningEpochWise,
  SingleEpochRunningBatchWise,
  resolveUsage,
  type UsageLike,
} from './usage.js';
export { MetricsLambda, add, div, floordiv, mean, mod, mul, pow, sub, type Operand } from './metrics-lambda.js';
export { MetricGroup, type MetricGroupStateDict } from './metric-group.js';
export { ClassificationMetric, type ClassificationOptions, type ClassificationType } from './classification.js';
export { Accuracy } from './accuracy.js';
export {
  Fbeta,
  Precision,
  PrecisionRecallBase,
  Recall,
  type AverageMode,
  type FbetaOptions,
  type PrecisionRecallOptions,
} from './precision-recall.js';
export {
  ConfusionMatrix,
  DiceCoefficient,
  IoU,
  JaccardIndex,
  cmAccuracy,
  cmPrecision,
  cmRecall,
  mIoU,
  type ConfusionMatrixAverage,
  type ConfusionMatrixOptions,
  type IgnoreIndexOptions,
} from './confusion-matrix.js';
export { TopKCategoricalAccuracy, type TopKOptions } from './top-k.js';
export {
  MeanAbsoluteError,
  MeanPairwiseDistance,
  MeanSquaredError,
  R2Score,
  RootMeanSquaredError,
  SampleAverage,
  type MeanPairwiseDistanceOptions,
} from './regression.js';
export { Loss, type LossFunction, type LossOptions } from './loss.js';
export { Accumulation, Average, GeometricAverage, VariableAccumulation, type AccumulationOp } from './accumulation.js';
export { RunningAverage, type RunningAverageOptions } from './running-average.js';
export {
  AveragePrecision,
  EpochMetric,
  ROC_AUC,
  averagePrecisionScore,
  rocAucScore,
  type EpochComputeFn,
  type EpochMetricOptions,
} from './epoch-metric.js';
export { Frequency, type FrequencyAttachOptions, type FrequencyOptions } from './frequency.js';
export type { Numeric } from './internal/numeric.js';
// For custom metrics: declare the state `syncedState()` reduces across ranks (docs/distributed.md).
export { syncedNumber, syncedSum, type SyncedState } from './internal/sync.js';
export type { NestedNumbers, TensorLike, TensorLikeArray } from './internal/tensors.js';
export * from './nlp/index.js';
export * from './reports/index.js';
export * from './similarity/index.js';
export * from './regression/index.js';
export * from './clustering/index.js';
export * from './vision/index.js';
export * from './gan/index.js';
