/**
 * @module The objects of one `kindling train` run: model, optimizer, trainer, evaluator and loaders, built from
 * the flags with `createSupervisedTrainer` / `createSupervisedEvaluator` exactly as a user would.
 */

import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { GradScaler } from '../amp/index.js';
import { DataLoader } from '../data/index.js';
import type { Engine } from '../engine/index.js';
import { Accuracy, Loss } from '../metrics/index.js';
import { createSupervisedEvaluator, createSupervisedTrainer, crossEntropyLoss } from '../training/index.js';
import type { CliData } from './data.js';
import { shiftingPrepareBatch } from './augment.js';
import { buildModel } from './models.js';
import { installWorkerThreads } from '../node/workers/thread-spawner.js';
import { DEFAULT_LR, makeOptimizer, type TrainOptions } from './options.js';

/** Everything a CLI run works with. */
export interface Session {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  trainer: Engine<unknown, unknown>;
  /** The validation evaluator (early stopping and the best checkpoint listen to it). */
  evaluator: Engine<unknown, unknown>;
  /** Creates another evaluator of the same model and metrics (the final test uses its own). */
  makeEvaluator(): Engine<unknown, unknown>;
  trainLoader: DataLoader;
  valLoader: DataLoader;
  scaler: GradScaler | null;
  data: CliData;
  dispose(): void;
}

/**
 * Builds the run's objects from the flags.
 *
 * @param opts - parsed flags.
 * @param backend - the backend in use (the trainer's `device`).
 * @param data - the splits.
 * @returns the session.
 * @example
 * ```ts
 * const s = buildSession(opts, 'wasm', await loadCliData(undefined));
 * await s.trainer.run(s.trainLoader, { maxEpochs: 1 });
 * ```
 */
export function buildSession(opts: TrainOptions, backend: string, data: CliData): Session {
  const model = buildModel(opts.model, { inputShape: data.inputShape, numClasses: data.numClasses });
  const optimizer = makeOptimizer(opts.optimizer, opts.lr ?? DEFAULT_LR[opts.optimizer]);
  const amp = opts.amp === undefined ? {} : { ampMode: 'amp' as const, ...(opts.amp === true ? {} : { ampDtype: opts.amp }) };
  const scaler = opts.scaler ? new GradScaler() : null;
  const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, {
    device: backend,
    deterministic: opts.deterministic,
    detectAnomaly: opts.detectAnomaly === true,
    gradientAccumulationSteps: opts.accumulationSteps,
    // Digit images get the batch-wise shifts; CIFAR/ImageFolder images are augmented per sample by their dataset.
    ...(opts.augment && !data.augmented && data.inputShape.length === 2 ? { prepareBatch: shiftingPrepareBatch() } : {}),
    ...amp,
    ...(scaler !== null ? { scaler } : {}),
  });
  const makeEvaluator = (): Engine<unknown, unknown> =>
    createSupervisedEvaluator(model, {
      device: backend,
      metrics: { accuracy: new Accuracy(), loss: new Loss(crossEntropyLoss) },
      ...amp,
    });
  const evaluator = makeEvaluator();
  const workers = (split: 'train' | 'val'): { numWorkers?: number; workerDataset?: NonNullable<CliData['workerDataset']>['train']; persistentWorkers?: boolean } => {
    if ((opts.workers ?? 0) === 0 || data.workerDataset === null) return {};
    installWorkerThreads();
    return { numWorkers: opts.workers ?? 0, workerDataset: data.workerDataset[split], persistentWorkers: true };
  };
  const trainLoader = new DataLoader(data.train, { batchSize: opts.batchSize, shuffle: true, ...workers('train') });
  const valLoader = new DataLoader(data.val, { batchSize: 256, ...workers('val') });
  return {
    model,
    optimizer,
    trainer,
    evaluator,
    makeEvaluator,
    trainLoader,
    valLoader,
    scaler,
    data,
    dispose: () => {
      trainLoader.dispose();
      valLoader.dispose();
      optimizer.dispose();
      model.dispose();
    },
  };
}
