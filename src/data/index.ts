/**
 * @module data Data loading for kindling: datasets, samplers, collate, `DataLoader`, MNIST and IDX decoding.
 * Port of torch/utils/data (DataLoader, samplers, default_collate, TensorDataset) and of Ignite's
 * `ReproducibleBatchSampler`. Deviations: see each file; Node-only file reading (`readIdx`) is in src/node/idx.ts,
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
export { hostCollate, type HostTensor } from './host-collate.js';
export { DataLoaderWorkerError, WorkerPool, type WorkerExit, type WorkerPort, type WorkerSpawner, type WorkerPoolConfig } from './worker-pool.js';
export { sampleGenerator, type ModuleRef, type ModuleRefData, type WorkerInfo, type WorkerRequest, type WorkerResponse, type WorkerErrorData } from './worker-protocol.js';
export { runWorker, type WorkerEndpoint } from './worker-runtime.js';
export { setDefaultWorkerSpawner, getDefaultWorkerSpawner } from './worker-defaults.js';
export { webWorkerSpawner, webWorkerEndpoint, type WebWorkerLike, type WorkerScopeLike } from './web-workers.js';
export type { WorkerOptions } from './worker-loader.js';
export { parseIdx, decodeIdx, isGzip } from './idx.js';
export { mnist, MNIST_IMAGE_SIZE, type MnistOptions, type MnistSplits, type DigitLoader } from './mnist.js';
export { fromTfDataset, type FromTfDatasetOptions, type TfDatasetLike, type TfDatasetSource } from './tf-dataset.js';
