/**
 * The step the browser benchmark times, the same code in Node and in the page: `kindling train`'s MLP (batch 64,
 * Adam) trained by kindling's supervised trainer on one fixed random batch, for a given number of iterations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createSupervisedTrainer, crossEntropyLoss, manualSeed } from '../../src/index.js';
import { buildModel } from '../../src/cli/models.js';

/** Runs `n` training steps and returns the milliseconds they took. */
export type Steps = (n: number) => Promise<number>;

/**
 * Builds the model, optimizer and batch on `backend` (already active) and returns the timed loop.
 *
 * @param backend - the active backend (the trainer's device).
 * @returns the loop.
 */
export function mlpSteps(backend: string): Steps {
  manualSeed(0);
  const model = buildModel('mlp');
  const trainer = createSupervisedTrainer(model, tf.train.adam(1e-3), crossEntropyLoss, { device: backend, nonBlocking: true });
  const x = tf.randomNormal([64, 28, 28]);
  const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 10), 'int32');
  const batches = { *[Symbol.iterator]() { for (;;) yield [x, y]; } };
  return async (n) => {
    const t = performance.now();
    await trainer.run(batches, { maxEpochs: 1, epochLength: n });
    return performance.now() - t;
  };
}
