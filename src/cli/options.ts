/** @module Options of `kindling train` and the optimizers it can build. */

import * as tf from '@tensorflow/tfjs-core';
import type { ModelName } from './models.js';

/** Optimizer names accepted by `--optimizer`. */
export const OPTIMIZER_NAMES = ['adam', 'sgd', 'momentum', 'rmsprop', 'adagrad', 'adadelta', 'adamax'] as const;
/** An optimizer name accepted by `--optimizer`. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Parsed flags of `kindling train`. */
export interface TrainOptions {
  model: ModelName;
  epochs: number;
  batchSize: number;
  lr: number;
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
  data?: string;
}

/**
 * Creates a `tf.train` optimizer by name.
 *
 * @param name - the optimizer.
 * @param lr - the learning rate.
 * @returns the optimizer (`momentum` uses 0.9).
 * @example
 * ```ts
 * const opt = makeOptimizer('sgd', 0.1);
 * ```
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
      return tf.train.adamax(lr);
  }
}
