/**
 * @module Port of ignite/metrics/gan: FID and InceptionScore over a user-supplied feature extractor (kindling
 * cannot download InceptionV3), plus the float64 linear algebra FID needs. See docs/metrics.md.
 */

export { FID } from './fid.js';
export { InceptionScore } from './inception-score.js';
export { InceptionMetric, type FeatureExtractor, type InceptionMetricOptions, type PredictModel } from './feature-extractor.js';
export { symmetricEigenvalues, traceSqrtProduct, type SquareMatrix } from './linalg.js';
