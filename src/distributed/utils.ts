/**
 * @module Port of the rest of ignite/distributed/utils.py: `device`, `available_backends`, `model_name`,
 * `has_*_support`, `spawn` and `all_gather_tensors_with_shapes`.
 * Deviations: `device()` is the active TensorFlow.js backend's name (every process computes on its own backend;
 * there is no `cuda:<local_rank>`); `hasNativeDistSupport()` is a function (whether kindling's MPI addon loads
 * here, known only once kindling's Node entry has installed the loader), and XLA and Horovod support are always
 * false; `spawn` starts the ranks with mpirun, like `Parallel({ nprocPerNode })`.
 */

import * as tf from '@tensorflow/tfjs-core';
import { backend, getRank, mpiAvailability } from './context.js';
import { allGatherArray, resolveGroupRanks, type GroupLike } from './comm.js';
import { Parallel } from './parallel.js';

/**
 * The device this process computes on (Ignite's `idist.device()`): the active TensorFlow.js backend, e.g.
 * `'cpu'`, `'tensorflow'`, `'wasm'`, `'webgl'` (the value `createSupervisedTrainer`'s `device` option takes).
 *
 * @returns the backend name.
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.device
 */
export function device(): string {
  return tf.getBackend();
}

/**
 * The distributed backends usable here (Ignite's `idist.available_backends()`): `['mpi']` when kindling's MPI
 * addon loads, else `[]`.
 *
 * @returns the backend names.
 */
export function availableBackends(): string[] {
  return mpiAvailability().available ? ['mpi'] : [];
}

/**
 * The name of the distributed configuration (Ignite's `idist.model_name()`): `'serial'` without a context,
 * `'native-dist'` under MPI (Ignite's name for its torch.distributed model, whose backends include mpi).
 *
 * @returns the configuration name.
 */
export function modelName(): 'serial' | 'native-dist' {
  return backend() === null ? 'serial' : 'native-dist';
}

/**
 * Whether native distributed training is supported here (Ignite's `idist.has_native_dist_support`): kindling's
 * MPI addon loads.
 *
 * @returns true when `initialize('mpi')` can work.
 */
export function hasNativeDistSupport(): boolean {
  return mpiAvailability().available;
}

/** Ignite's `idist.has_xla_support`: always false (TensorFlow.js has no XLA/TPU backend). */
export const hasXlaSupport = false;
/** Ignite's `idist.has_hvd_support`: always false (no Horovod for JavaScript; MPI covers the same ground). */
export const hasHvdSupport = false;

/**
 * Options of {@link spawn}.
 *
 */
export interface SpawnOptions {
  /** The number of ranks to start on this host. @defaultValue 1 */
  nprocPerNode?: number;
}

/**
 * Starts `nprocPerNode` ranks that run `fn(localRank, ...args)` in an initialized context (Ignite's
 * `idist.spawn`); the same as `new Parallel({ backend, nprocPerNode }).run(fn, ...args)`, see
 * {@link Parallel} (the script is re-run under mpirun, so code before the call runs on every rank).
 *
 * @param backendName - `'mpi'`.
 * @param fn - the training function.
 * @param args - its arguments after the local rank.
 * @param options - `nprocPerNode`.
 * @returns when every rank has finished (undefined in the process that started them).
 * @throws RangeError for an unknown backend (Ignite: "Backend should be one of ...").
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.spawn
 */
export async function spawn<A extends unknown[]>(
  backendName: 'mpi',
  fn: (localRank: number, ...args: A) => unknown,
  args: A,
  options: SpawnOptions = {},
): Promise<void> {
  const backends = availableBackends();
  if (!backends.includes(backendName)) throw new RangeError(`Backend should be one of '[${backends.join(', ')}]', but given '${String(backendName)}'`);
  await new Parallel({ backend: backendName, nprocPerNode: options.nprocPerNode ?? 1 }).run(fn, ...args);
}

/**
 * Gathers tensors of different shapes (the same rank) from every rank of the group (Ignite's
 * `idist.all_gather_tensors_with_shapes`): every rank passes its tensor and the list of every group rank's shape;
 * the tensors travel padded to the largest shape and come back cut to their own.
 *
 * @param tensor - this rank's tensor (float32, int32 or bool).
 * @param shapeList - the shape of each group rank's tensor, in group order.
 * @param group - the group (default: every rank).
 * @returns one new tensor per group rank, owned by the caller; `[clone of tensor]` on a rank outside the group.
 * @throws RangeError when `shapeList` does not have one shape per group rank, or this rank's entry differs from
 *   its tensor's shape.
 * @example
 * ```ts
 * const shapes = [[2, 3], [1, 3]];               // rank 0 has 2 rows, rank 1 one
 * const [a, b] = allGatherTensorsWithShapes(mine, shapes);
 * ```
 * @see https://pytorch.org/ignite/distributed.html#ignite.distributed.utils.all_gather_tensors_with_shapes
 */
export function allGatherTensorsWithShapes(tensor: tf.Tensor, shapeList: readonly (readonly number[])[], group?: GroupLike): tf.Tensor[] {
  const ranks = resolveGroupRanks(group);
  if (ranks === null) return [tf.clone(tensor)];
  if (shapeList.length !== ranks.length) {
    throw new RangeError(`Argument shapeList should have one shape per rank of the group (${ranks.length}), but given ${shapeList.length}`);
  }
  const mine = shapeList[ranks.indexOf(getRank())];
  if (mine === undefined || mine.join(',') !== tensor.shape.join(',')) {
    throw new RangeError(`shapeList[${ranks.indexOf(getRank())}] is [${mine?.join(', ') ?? ''}], but this rank's tensor has shape [${tensor.shape.join(', ')}]`);
  }
  if (ranks.length === 1) return [tf.clone(tensor)];
  const sizes = shapeList.map((s) => s.reduce((a, b) => a * b, 1));
  const max = Math.max(...sizes);
  const data = tensor.dtype === 'float32' ? new Float32Array(max) : new Int32Array(max);
  data.set(tensor.dataSync());
  const all = allGatherArray(data, group);
  return shapeList.map((shape, i) => tf.tensor(all.slice(i * max, i * max + (sizes[i] ?? 0)), [...shape], tensor.dtype === 'float32' ? 'float32' : tensor.dtype));
}
