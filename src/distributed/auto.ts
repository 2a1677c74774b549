/**
 * @module Port of ignite/distributed/auto.py: `auto_dataloader` and `auto_model` (`auto_optim` is in `optim.ts`).
 * Deviations: there is no device placement (TF.js has one active backend per process) and no DDP wrapper:
 * `autoModel` broadcasts rank 0's initial weights once and returns the same model; gradient averaging is done by
 * the optimizer returned by `autoOptim`. `autoDataloader` has no `num_workers` to scale.
 */

import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, type DataLoaderOptions, type DatasetLike } from '../data/dataloader.js';
import type { Collated } from '../data/collate.js';
import type { Logger } from '../engine/index.js';
import { getRank, getWorldSize } from './context.js';
import { broadcastArray } from './comm.js';
import { DistributedProxySampler, DistributedSampler } from './sampler.js';

/**
 * Options of {@link autoDataloader}: the {@link DataLoader} options (with the *global* `batchSize`) and a logger.
 *
 */
export interface AutoDataloaderOptions<TSample, TBatch> extends DataLoaderOptions<TSample, TBatch> {
  /** Where warnings go (a kept batch sampler, a mismatched sampler). @defaultValue no warnings */
  logger?: Logger;
}

/**
 * Builds a {@link DataLoader} that gives each rank its own shard (Ignite's `idist.auto_dataloader`). With a world
 * size above 1: `batchSize` is the **global** batch size and each rank loads `floor(batchSize / worldSize)` samples
 * per batch (when `batchSize >= worldSize`); the indices come from a {@link DistributedSampler} (shuffled with
 * `shuffle`, seeded with `seed`, 0 by default, the same on every rank); a user sampler is wrapped in a
 * {@link DistributedProxySampler}; a `DistributedSampler` given by the user is kept; a `batchSampler` is used as
 * given (with a warning). With a world size of 1 it is `new DataLoader(dataset, options)`.
 *
 * @param dataset - an array of samples or a map-style dataset, the same on every rank.
 * @param options - the DataLoader options (global `batchSize`) and a logger.
 * @returns the loader of this rank.
 * @throws TypeError / RangeError as {@link DataLoader} does.
 * @example
 * ```ts
 * const loader = autoDataloader(new TensorDataset(x, y), { batchSize: 64, shuffle: true });
 * await trainer.run(loader, { maxEpochs: 5 }); // each of 2 ranks sees 32 samples per iteration
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.distributed.auto.auto_dataloader.html
 */
export function autoDataloader<TSample, TBatch = Collated<TSample>>(
  dataset: DatasetLike<TSample>,
  options: AutoDataloaderOptions<TSample, TBatch> = {},
): DataLoader<TSample, TBatch> {
  const { logger, ...loaderOptions } = options;
  const world = getWorldSize();
  const rank = getRank();
  if (world === 1) return new DataLoader(dataset, loaderOptions);
  if (loaderOptions.batchSampler !== undefined) {
    logger?.warn('Found a batchSampler in the DataLoader options: it is used as given and must shard the data across ranks itself.');
    return new DataLoader(dataset, loaderOptions);
  }
  const { shuffle = false, seed, generator: _generator, sampler: userSampler, ...rest } = loaderOptions;
  let sampler = userSampler;
  if (sampler instanceof DistributedSampler) {
    if (sampler.numReplicas !== world || sampler.rank !== rank) {
      logger?.warn(`Found a DistributedSampler with numReplicas ${sampler.numReplicas} and rank ${sampler.rank}, but the world size is ${world} and the rank ${rank}.`);
    }
  } else if (sampler !== undefined) {
    sampler = new DistributedProxySampler(sampler, { numReplicas: world, rank });
  } else {
    sampler = new DistributedSampler(dataset, { numReplicas: world, rank, shuffle, seed: seed ?? 0 });
  }
  const batchSize = rest.batchSize ?? 1;
  return new DataLoader(dataset, { ...rest, batchSize: batchSize >= world ? Math.floor(batchSize / world) : batchSize, sampler });
}

/**
 * A model whose variables {@link autoModel} can synchronize: a `tf.LayersModel` (all its `weights`), or any object
 * with `weights` or `trainableWeights` (tf.Variables, or layer variables with `read()`).
 *
 */
export interface SyncableModel {
  /** Every variable of the model (trainable and not), preferred when present. */
  readonly weights?: readonly unknown[];
  /** The trainable variables, used when `weights` is absent. */
  readonly trainableWeights?: readonly unknown[];
}

/**
 * The tf.Variables of a model, in a stable order.
 *
 * @param model - the model.
 * @returns its variables.
 * @internal
 */
export function modelVariables(model: SyncableModel): tf.Variable[] {
  const list = model.weights ?? model.trainableWeights ?? [];
  return list.map((w): tf.Variable => {
    if (w instanceof tf.Variable) return w as tf.Variable;
    const read = (w as { read?: () => unknown }).read;
    const v = typeof read === 'function' ? read.call(w) : undefined;
    if (v instanceof tf.Variable) return v as tf.Variable;
    throw new TypeError('autoModel expects model weights to be tf.Variables or layer variables with read()');
  });
}

/**
 * Prepares a model for data-parallel training (Ignite's `idist.auto_model`): with a world size above 1, every rank
 * gets rank 0's weights (one broadcast of all variables, trainable or not), so that training starts from the same
 * point everywhere. Returns the same model. With a world size of 1 it does nothing.
 *
 * @param model - a `tf.LayersModel` or an object with `weights` / `trainableWeights`; built identically on every rank.
 * @param options - `src`: the rank whose weights are kept (default 0).
 * @returns the model.
 * @throws TypeError when the weights are not variables.
 * @example
 * ```ts
 * const model = autoModel(buildModel());
 * const optimizer = autoOptim(tf.train.adam(1e-3));
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.distributed.auto.auto_model.html
 */
export function autoModel<M extends SyncableModel>(model: M, options: { src?: number } = {}): M {
  if (getWorldSize() === 1) return model;
  const variables = modelVariables(model);
  const sizes = variables.map((v) => v.size);
  const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
  let offset = 0;
  for (const v of variables) {
    flat.set(v.dataSync(), offset);
    offset += v.size;
  }
  const synced = broadcastArray(flat, options.src ?? 0);
  offset = 0;
  for (const v of variables) {
    const values = synced.subarray(offset, offset + v.size);
    offset += v.size;
    tf.tidy(() => v.assign(tf.cast(tf.tensor(values, v.shape, 'float32'), v.dtype)));
  }
  return model;
}
