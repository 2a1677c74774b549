/**
 * @module Port of ignite.distributed (`idist`): data-parallel training over MPI with Ignite's API. The context
 * (`getRank`, `getWorldSize`, ...) and `Parallel` do not import TensorFlow.js; the collectives accept numbers,
 * strings, typed arrays and tensors; `autoDataloader`, `autoModel` and `autoOptim` prepare a training script for
 * several processes and do nothing in one. See docs/distributed.md.
 */

export {
  DistributedUnavailableError,
  abortJob,
  allGatherArray,
  allReduceArray,
  backend,
  barrier,
  broadcastArray,
  finalize,
  getLocalRank,
  getNnodes,
  getNodeRank,
  getNprocPerNode,
  getRank,
  getWorldSize,
  initialize,
  mpiAvailability,
  oneRankOnly,
  showConfig,
  type Backend,
  type CollectiveArray,
  type OneRankOnlyOptions,
  type ReduceOp,
} from './context.js';
export { allGather, allReduce, broadcast, type BroadcastOptions, type Collectible } from './collectives.js';
export { Parallel, type ParallelOptions } from './parallel.js';
export { DistributedProxySampler, DistributedSampler, type DistributedSamplerOptions } from './sampler.js';
export { autoDataloader, autoModel, type AutoDataloaderOptions, type SyncableModel } from './auto.js';
export { autoOptim, averageGradients, isDistributedOptimizer } from './optim.js';
