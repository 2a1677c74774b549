/**
 * @module Port of ignite.distributed (`idist`): data-parallel training over MPI with Ignite's API. Browser-safe: the
 * context (`getRank`, `getWorldSize`, ...) and `Parallel` import neither TensorFlow.js nor Node built-ins, and are
 * serial (rank 0 of 1) until `initialize('mpi')`; the MPI addon is loaded by the Node side (`installMpi()` in
 * `kindling/node`, which kindling's Node entry calls). The collectives accept numbers, strings, typed arrays and
 * tensors; `autoDataloader`, `autoModel` and `autoOptim` prepare a training script for several processes and do
 * nothing in one. See docs/distributed.md.
 */

export {
  DistributedJobError,
  DistributedUnavailableError,
  backend,
  finalize,
  getLocalRank,
  getNnodes,
  getNodeRank,
  getNprocPerNode,
  getRank,
  getWorldSize,
  initialize,
  hostname,
  mpiAvailability,
  setLocalRank,
  showConfig,
  sync,
  type Backend,
  type CollectiveArray,
  type ReduceOp,
} from './context.js';
export {
  ProcessGroup,
  abortJob,
  allGatherArray,
  allReduceArray,
  allReduceArrayAsync,
  barrier,
  barrierAsync,
  broadcastArray,
  newGroup,
  type GroupLike,
} from './comm.js';
export { oneRankFirst, oneRankOnly, type OneRankFirstOptions, type OneRankOnlyOptions } from './rank-scope.js';
export {
  allGatherTensorsWithShapes,
  availableBackends,
  device,
  hasHvdSupport,
  hasNativeDistSupport,
  hasXlaSupport,
  modelName,
  spawn,
  type SpawnOptions,
} from './utils.js';
export { allGather, allReduce, broadcast, type BroadcastOptions, type Collectible } from './collectives.js';
export { Parallel, type ParallelOptions } from './parallel.js';
export { DistributedProxySampler, DistributedSampler, type DistributedSamplerOptions } from './sampler.js';
export { autoDataloader, autoModel, type AutoDataloaderOptions, type SyncableModel } from './auto.js';
export { autoOptim, averageGradients, isDistributedOptimizer } from './optim.js';
/** The distributed backend's name (`'mpi'`, or null when serial), under the name the root entry gives it. */
export type { Backend as DistributedBackend } from './context.js';
