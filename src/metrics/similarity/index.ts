/**
 * @module Port of Ignite's similarity and information metrics: CosineSimilarity, Entropy, MutualInformation,
 * KLDivergence, JSDivergence, MaximumMeanDiscrepancy and HSIC (ignite/metrics/cosine_similarity.py, entropy.py,
 * mutual_information.py, kl_divergence.py, js_divergence.py, maximum_mean_discrepancy.py, hsic.py). Deviations are
 * listed in each file.
 */

export { CosineSimilarity, type CosineSimilarityOptions } from './cosine-similarity.js';
export { Entropy, MutualInformation } from './entropy.js';
export { JSDivergence, KLDivergence } from './divergence.js';
export { HSIC, MaximumMeanDiscrepancy, type HSICOptions, type MaximumMeanDiscrepancyOptions } from './kernels.js';
