/** @module Options of `kindling train` and the optimizers it can build. */

import * as tf from '@tensorflow/tfjs-core';
import { CheckpointableAdamax } from './adamax.js';
import type { ModelName } from './models.js';

/** Optimizer names accepted by `--optimizer`. */
export const OPTIMIZER_NAMES = ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
/** An optimizer name accepted by `--optimizer`. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/**
 * The learning rate `--lr` defaults to, per optimizer: values that train the CLI's models well in 15 epochs with
 * the cosine decay (plain SGD at Adam's 1e-3 would stay near chance).
 */
export const DEFAULT_LR: Readonly<Record<OptimizerName, number>> = {
  adam: 1e-3,
  sgd: 0.1,
  momentum: 0.01,
  rmsprop: 1e-3,
  adagrad: 0.05,
  adadelta: 1,
  adamax: 2e-3,
};

/** Parsed flags of `kindling train`. */
export interface TrainOptions {
  model: ModelName;
  epochs: number;
  batchSize: number;
  /** The learning rate; undefined: {@link DEFAULT_LR} of the optimizer. */
  lr?: number;
  optimizer: OptimizerName;
  backend: string;
  amp?: 'float16' | 'bfloat16' | true;
  scaler: boolean;
  accumulationSteps: number;
  deterministic: boolean;
  /** Threads of the native backend (default: 1 for the MLP, all cores for the CNN). */
  threads?: number;
  /** Check every step for NaN/Inf (`detectAnomaly`). */
  detectAnomaly?: boolean;
  seed: number;
  patience: number;
  augment: boolean;
  resume?: string;
  output?: string;
  dashboard?: number | true;
  /** Host names the dashboard accepts besides 127.0.0.1 and localhost. */
  dashboardAllowHost?: string[];
  data?: string;
  /** Label column of a CSV/Parquet `--data` table. */
  label?: string;
  /** Side of the square images of an ImageFolder `--data` tree. */
  imageSize?: number;
  /** DataLoader worker threads (`--workers`; 0: load in the main thread). */
  workers?: number;
  /** Run the learning-rate finder first and train with its suggestion (`--find-lr`). */
  findLr?: boolean;
  /** Data-parallel processes on this host over MPI (`--nproc`; the batch size is the global one). */
  nproc?: number;
}

/**
 * Creates a `tf.train` optimizer by name.
 *
 * @param name - the optimizer.
 * @param lr - the learning rate.
 * @returns the optimizer (`momentum` uses 0.9; `adamax` is a {@link CheckpointableAdamax}).
 */
export function makeOptimizer(name: OptimizerName, lr: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(lr);
    case 'sgd':
      return tf.train.sgd(lr);
    case 'momentum':
      return tf.train.momentum(lr, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(lr);
    case 'adagrad':
      return tf.train.adagrad(lr);
    case 'adadelta':
      return tf.train.adadelta(lr);
    case 'adamax':
      return new CheckpointableAdamax(lr);
  }
}
