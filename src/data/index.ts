/**
 * @module data Data loading for kindling: datasets, samplers, collate, `DataLoader`, MNIST and IDX decoding.
 * Port of torch/utils/data (DataLoader, samplers, default_collate, TensorDataset) and of Ignite's
 * `ReproducibleBatchSampler`. Deviations: see each file; Node-only file reading (`readIdx`) is in `idx-node.ts`,
 * which this index does not re-export (it is published under the `kindling/node` subpath).
 */
export { NdArray, dtypeOf, isNumericArray, type NumericArray, type NumericDtype } from './nd-array.js';
export {
  SequentialSampler,
  RandomSampler,
  BatchSampler,
  ReproducibleBatchSampler,
  type Sampler,
  type BatchSamplerLike,
  type RandomSamplerOptions,
} from './samplers.js';
export { defaultCollate, type CollateFn, type Collated, type CollatedValue, type NestedNumbers } from './collate.js';
export { TensorDataset, type TensorDatasetColumn, type TensorDatasetSample } from './tensor-dataset.js';
export { DataLoader, type DataLoaderOptions, type DatasetLike, type MapDataset } from './dataloader.js';
export { parseIdx, decodeIdx, isGzip } from './idx.js';
export { mnist, MNIST_IMAGE_SIZE, type MnistOptions, type MnistSplits, type DigitLoader } from './mnist.js';
