/**
 * @module Tensor bookkeeping of the supervised steps: which tensors a step created, which it may dispose, and the
 * gradient window of gradient accumulation.
 *
 * Ownership rule (documented in docs/training.md): tensors that the step creates (converted batch parts, the
 * prediction, the loss) are disposed by the step unless they are part of the returned output; tensors in the output
 * are owned by the engine and stay valid until the next iteration (or the end of the run with
 * `createSupervisedTrainer` / `createSupervisedEvaluator`). Tensors that came with the batch belong to the data
 * source (e.g. a `DataLoader`) and are never disposed here.
 */

import * as tf from '@tensorflow/tfjs-core';

/**
 * Type guard for tensors (`instanceof` alone narrows `unknown` to `Tensor<any>`).
 *
 * @param v - anything.
 * @returns true for a tf.Tensor (including variables).
 */
export function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

/**
 * Collects the tensors inside a value (arrays, plain objects, nested).
 *
 * @param value - anything.
 * @param out - the set receiving the tensors.
 * @returns `out`.
 */
export function collectTensors(value: unknown, out: Set<tf.Tensor> = new Set()): Set<tf.Tensor> {
  if (isTensor(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) collectTensors(v, out);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out);
  }
  return out;
}

/**
 * Disposes the tensors of `created` that are neither in `keep` nor already disposed.
 *
 * @param created - tensors the step created.
 * @param keep - tensors to leave alone (the batch's own, the output's).
 */
export function disposeExcept(created: Iterable<tf.Tensor>, keep: ReadonlySet<tf.Tensor>): void {
  for (const t of created) if (!keep.has(t) && !t.isDisposed) t.dispose();
}

/** Tensors held by the engine's output until the next iteration or the end of the run. */
export class OutputTensors {
  #held: tf.Tensor[] = [];

  /** Replaces the held tensors (disposing the previous ones that are not among the new ones). */
  hold(tensors: Iterable<tf.Tensor>): void {
    const next = [...tensors];
    disposeExcept(this.#held, new Set(next));
    this.#held = next;
  }

  /** Disposes everything held. */
  release(): void {
    disposeExcept(this.#held, new Set());
    this.#held = [];
  }
}

/**
 * The gradients of the current accumulation window (Ignite keeps `.grad` populated between steps).
 * Gradients are summed in kept tensors; the window is reset when `(iteration - 1) % k === 0`.
 */
export class GradientWindow {
  #grads: tf.NamedTensorMap | null = null;

  /** The accumulated gradients of the window, or null before the first backward pass of a window. */
  get gradients(): Readonly<tf.NamedTensorMap> | null {
    return this.#grads;
  }

  /** Adds new gradients to the window (takes ownership of `grads`). */
  add(grads: tf.NamedTensorMap): void {
    if (this.#grads === null) {
      this.#grads = grads;
      return;
    }
    const sum: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) {
      const prev = this.#grads[name];
      sum[name] = prev === undefined ? g : tf.add(prev, g);
      if (prev !== undefined) {
        prev.dispose();
        g.dispose();
      }
    }
    this.#grads = sum;
  }

  /** Disposes the window's gradients (Ignite's `optimizer.zero_grad()`). */
  reset(): void {
    if (this.#grads !== null) tf.dispose(Object.values(this.#grads));
    this.#grads = null;
  }
}

const windows = new WeakMap<object, GradientWindow>();

/** @internal Associates an engine with the gradient window of its step. */
export function registerGradientWindow(engine: object, window: GradientWindow): void {
  windows.set(engine, window);
}

/**
 * The gradients accumulated by a supervised trainer in the current window, readable in ITERATION_COMPLETED
 * handlers (e.g. for gradient-norm logging). Owned by the trainer: do not dispose them.
 *
 * @param trainer - an engine built by `createSupervisedTrainer` (or running a supervised training step).
 * @returns the gradients by variable name, or null when none are held.
 * @example
 * ```ts
 * trainer.on(Events.ITERATION_COMPLETED, (e) => {
 *   const g = getGradients(e);
 *   if (g) console.log(tf.norm(Object.values(g)[0]!).dataSync()[0]);
 * });
 * ```
 */
export function getGradients(trainer: object): Readonly<tf.NamedTensorMap> | null {
  return windows.get(trainer)?.gradients ?? null;
}
