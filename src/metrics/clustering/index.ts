/**
 * @module Port of ignite/metrics/clustering: SilhouetteScore, DaviesBouldinScore and CalinskiHarabaszScore, computed
 * in TypeScript over the stored epoch. See docs/metrics.md for the table of inputs and options.
 */

export { ClusteringMetric, type ClusterData, type ClusteringMetricOptions } from './base.js';
export { SilhouetteScore, type SilhouetteDistance, type SilhouetteScoreOptions } from './silhouette-score.js';
export { DaviesBouldinScore } from './davies-bouldin-score.js';
export { CalinskiHarabaszScore } from './calinski-harabasz-score.js';
