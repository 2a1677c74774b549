/**
 * @module Port of ignite/metrics/regression: the regression metrics beyond MSE / MAE / R2 (those live in
 * ../regression.ts). See docs/metrics.md for the table of inputs and options.
 */

export {
  FractionalAbsoluteError,
  FractionalBias,
  GeometricMeanAbsoluteError,
  MeanAbsoluteRelativeError,
  MeanError,
  MeanNormalizedBias,
} from './mean-errors.js';
export { CanberraMetric, ManhattanDistance, MaximumAbsoluteError, WaveHedgesDistance } from './distances.js';
export {
  GeometricMeanRelativeAbsoluteError,
  MedianAbsoluteError,
  MedianAbsolutePercentageError,
  MedianRelativeAbsoluteError,
} from './median-errors.js';
export {
  KendallRankCorrelation,
  PearsonCorrelation,
  SpearmanRankCorrelation,
  type KendallRankCorrelationOptions,
  type KendallVariant,
  type PearsonCorrelationOptions,
} from './correlation.js';
export { StoredRegression, SumRegression, type StoredRegressionOptions } from './base.js';
