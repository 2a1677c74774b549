/**
 * @module An Adamax optimizer whose state can be checkpointed. TensorFlow.js's `AdamaxOptimizer` throws in
 * `getWeights()` / `setWeights()`; this subclass implements them in the layout of `tf.train.adam`'s (iterations,
 * then the first moments, then the weighted infinity norms), so `kindling train --optimizer adamax` can save and
 * resume like the other optimizers. The update rule is TensorFlow.js's own, unchanged.
 */

import * as tf from '@tensorflow/tfjs-core';

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

/** The private fields of TensorFlow.js's AdamaxOptimizer this subclass reads and replaces. */
interface AdamaxInternals {
  beta1: number;
  iteration: tf.Variable;
  accBeta1: tf.Variable;
  accumulatedFirstMoment: Slot[];
  accumulatedWeightedInfNorm: Slot[];
}

/**
 * `tf.train.adamax` with `getWeights()` / `setWeights()`.
 *
 * @example
 * ```ts
 * const optimizer = new CheckpointableAdamax(2e-3);
 * new Checkpoint({ toSave: { model, optimizer }, saveHandler });
 * ```
 */
export class CheckpointableAdamax extends tf.AdamaxOptimizer {
  /**
   * @param learningRate - the learning rate.
   * @param beta1 - decay of the first moment. @defaultValue 0.9
   * @param beta2 - decay of the infinity norm. @defaultValue 0.999
   */
  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999) {
    super(learningRate, beta1, beta2);
  }

  get #self(): AdamaxInternals {
    return this as unknown as AdamaxInternals;
  }

  /**
   * Returns the optimizer's state: the iteration count, then one first moment and one infinity norm per variable.
   *
   * @returns named tensors (the slots are the optimizer's own variables).
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const s = this.#self;
    const slots = [...s.accumulatedFirstMoment, ...s.accumulatedWeightedInfNorm];
    return [await this.saveIterations(), ...slots.map((v) => ({ name: v.originalName, tensor: v.variable }))];
  }

  /**
   * Restores a state returned by {@link CheckpointableAdamax.getWeights} (copies the given tensors).
   *
   * @param weightValues - the iteration count, then the first moments, then the infinity norms.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const s = this.#self;
    const n = this.iterations;
    tf.tidy(() => {
      s.iteration.assign(tf.scalar(n));
      s.accBeta1.assign(tf.pow(s.beta1, n + 1));
    });
    const half = rest.length / 2;
    const copy = (v: NamedTensor): Slot => ({ originalName: v.name, variable: v.tensor.variable(false) });
    s.accumulatedFirstMoment = rest.slice(0, half).map(copy);
    s.accumulatedWeightedInfNorm = rest.slice(half).map(copy);
  }
}
