/**
 * @module A TensorFlow.js `tf.io.IOHandler` over kindling checkpoint files (Node only), so that
 * `tf.loadLayersModel(kindlingFileHandler('model_3.ckpt'))` and `model.save(kindlingFileHandler('model.ckpt'))` work
 * without tfjs-node. Not a port (Ignite uses `torch.load`). Saving is crash-safe (see atomic-write.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as nodeFs from 'node:fs/promises';
import { CheckpointError } from '../errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../handlers/checkpoint/format.js';
import { artifactsFromModelState, modelStateFromArtifacts, type LayersModelState } from '../handlers/checkpoint/tf-state.js';
import { checkpointFsError, writeFileAtomic, type CheckpointFs } from './atomic-write.js';

/**
 * Options of {@link kindlingFileHandler}.
 *
 */
export interface KindlingFileHandlerOptions {
  /** Key of the model in a multi-object checkpoint; by default the single `tf.LayersModel` entry is used. */
  key?: string;
  /** File-system functions. @defaultValue node:fs/promises */
  fs?: CheckpointFs;
}

function isModelState(v: unknown): v is LayersModelState {
  return v !== null && typeof v === 'object' && (v as Record<string, unknown>)['kind'] === 'tf.LayersModel';
}

/**
 * Finds the model state inside a loaded checkpoint object.
 *
 * @param checkpoint - a checkpoint object (a model state, or a mapping of states).
 * @param source - the file name, for messages.
 * @param key - the model's key in a multi-object checkpoint.
 * @returns the model state.
 * @throws {@link CheckpointError} when there is no model, or several and no `key`.
 */
export function findModelState(checkpoint: unknown, source: string, key?: string): LayersModelState {
  if (isModelState(checkpoint)) return checkpoint;
  const obj = (checkpoint ?? {}) as Record<string, unknown>;
  if (key !== undefined) {
    if (isModelState(obj[key])) return obj[key];
    throw new CheckpointError(`Checkpoint '${source}' has no tf.LayersModel under key '${key}'.`);
  }
  const models = Object.keys(obj).filter((k) => isModelState(obj[k]));
  const [only] = models;
  if (models.length !== 1 || only === undefined) {
    throw new CheckpointError(`Checkpoint '${source}' holds ${models.length} tf.LayersModel states ` +
      `(${models.join(', ') || 'none'}); pass { key } to choose one.`);
  }
  return obj[only] as LayersModelState;
}

/**
 * Reads and verifies a kindling checkpoint file.
 *
 * @param path - the file path.
 * @param fs - file-system functions. @defaultValue node:fs/promises
 * @returns the checkpoint object (pass it to `Checkpoint.loadObjects`).
 * @throws {@link CheckpointError} naming the file when it is missing, corrupted or truncated.
 */
export async function readCheckpointFile(path: string, fs: CheckpointFs = nodeFs): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    throw checkpointFsError('read', path, e);
  }
  return decodeCheckpoint(bytes, path);
}

/**
 * A `tf.io.IOHandler` that saves a model to / loads a model from a kindling checkpoint file.
 *
 * @param path - the checkpoint file.
 * @param options - `{ key }` to pick the model in a multi-object checkpoint.
 * @returns the IOHandler.
 * @example
 * ```ts
 * const model = await tf.loadLayersModel(kindlingFileHandler('/tmp/run/checkpoint_3.ckpt', { key: 'model' }));
 * await model.save(kindlingFileHandler('/tmp/export/model.ckpt'));
 * ```
 */
export function kindlingFileHandler(path: string, options: KindlingFileHandlerOptions = {}): tf.io.IOHandler {
  const fs = options.fs ?? nodeFs;
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const state = modelStateFromArtifacts(artifacts);
      const bytes = await encodeCheckpoint(state, { basename: 'model', scoreName: null, priority: 0 });
      await writeFileAtomic(path, bytes, fs);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(), modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology ?? null).length,
          weightSpecsBytes: JSON.stringify(state.weightSpecs).length, weightDataBytes: state.weightData.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const checkpoint = await readCheckpointFile(path, fs);
      return artifactsFromModelState(findModelState(checkpoint, path, options.key));
    },
  };
}
