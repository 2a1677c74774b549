/**
 * @module Port of ignite/distributed/auto.py `auto_optim` for data-parallel training over MPI: the optimizer
 * averages the gradients of all ranks before every step (what DDP's backward hooks do in PyTorch).
 * Deviations: the averaging happens in `applyGradients` (one all-reduce of all gradients flattened into a single
 * Float32Array, then divided by the world size), not during the backward pass, so it composes with gradient
 * accumulation (only the accumulated window is reduced, once per optimizer step) and with `GradScaler`: a scaler
 * stepping a distributed optimizer averages the (scaled) gradients itself and reduces the inf/nan flag across
 * ranks, so that every rank skips the same steps and keeps the same scale.
 */

import * as tf from '@tensorflow/tfjs-core';
import { GradScaler, type GradScalerStepOptions } from '../amp/grad-scaler.js';
import { applyFused } from '../backends/optimizer-update.js';
import { getWorldSize } from './context.js';
import { allReduceArray } from './comm.js';

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

interface DistributedOptimizerState {
  /** The optimizer's own `applyGradients`. */
  readonly apply: (grads: Gradients) => void;
  /** True while a GradScaler applies already averaged gradients. */
  bypass: boolean;
}

const DISTRIBUTED = Symbol.for('kindling.distributed.optimizer');
let scalerHookInstalled = false;

function stateOf(optimizer: tf.Optimizer): DistributedOptimizerState | undefined {
  return (optimizer as unknown as Record<symbol, DistributedOptimizerState | undefined>)[DISTRIBUTED];
}

function entriesOf(grads: Gradients): [string, tf.Tensor][] {
  return Array.isArray(grads) ? grads.map((g) => [g.name, g.tensor] as [string, tf.Tensor]) : Object.entries(grads);
}

/**
 * Averages gradients across ranks with one all-reduce of a single flattened Float32Array (names sorted, so the
 * layout is the same on every rank). Serial: clones.
 *
 * @param grads - this rank's gradients (float32); not disposed.
 * @param withFlag - also reduce a "some gradient is not finite" count (for loss scaling).
 * @returns the averaged gradients (new tensors owned by the caller, same names and order) and whether any rank had
 *   a non-finite gradient.
 * @internal
 */
export function reduceGradients(grads: Gradients, withFlag = false): { grads: tf.NamedTensorMap; nonFinite: boolean } {
  const entries = entriesOf(grads);
  const world = getWorldSize();
  if (world === 1) {
    return { grads: Object.fromEntries(entries.map(([n, t]) => [n, tf.clone(t)])), nonFinite: false };
  }
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const total = sorted.reduce((n, [, t]) => n + t.size, 0);
  const flat = new Float32Array(total + (withFlag ? 1 : 0));
  let offset = 0;
  for (const [, t] of sorted) {
    flat.set(t.dataSync(), offset);
    offset += t.size;
  }
  if (withFlag) {
    let bad = 0;
    for (let i = 0; i < total; i += 1) if (!Number.isFinite(flat[i])) bad = 1;
    flat[total] = bad;
  }
  const summed = allReduceArray(flat, 'SUM');
  for (let i = 0; i < total; i += 1) summed[i] = (summed[i] ?? 0) / world;
  const out: tf.NamedTensorMap = {};
  offset = 0;
  const byName = new Map<string, tf.Tensor>();
  for (const [name, t] of sorted) {
    byName.set(name, tf.tensor(summed.subarray(offset, offset + t.size), t.shape, 'float32'));
    offset += t.size;
  }
  for (const [name] of entries) out[name] = byName.get(name) as tf.Tensor;
  return { grads: out, nonFinite: withFlag && (summed[total] ?? 0) > 0 };
}

/**
 * Averages gradients across ranks (one all-reduce of all of them), for custom training loops.
 *
 * @param grads - this rank's float32 gradients, e.g. from `tf.variableGrads`; not disposed.
 * @returns the mean over ranks of each gradient: new tensors owned by the caller (clones when serial).
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(() => lossFn(model.apply(x) as tf.Tensor, y));
 * const averaged = averageGradients(grads);
 * optimizer.applyGradients(averaged);
 * tf.dispose([value, grads, averaged]);
 * ```
 */
export function averageGradients(grads: tf.NamedTensorMap): tf.NamedTensorMap {
  return reduceGradients(grads).grads;
}

/**
 * Makes an optimizer data-parallel (Ignite's `idist.auto_optim`): with a world size above 1, its `applyGradients`
 * first averages the gradients over all ranks (one all-reduce per step), so that every rank applies the same update
 * to the same weights (start them equal with {@link autoModel}). Patches and returns the same optimizer, so it
 * stays a `tf.Optimizer` for every API that takes one; calling it twice is harmless. With a world size of 1 it
 * returns the optimizer untouched.
 *
 * Composes with `createSupervisedTrainer`'s `gradientAccumulationSteps` (the window is averaged once, at the step),
 * `ampMode` and `scaler`/`GradScaler` (the skip decision is reduced across ranks).
 *
 * @param optimizer - any `tf.Optimizer`, created identically on every rank.
 * @returns the same optimizer.
 * @example
 * ```ts
 * const model = autoModel(buildModel());
 * const optimizer = autoOptim(tf.train.sgd(0.1));
 * const trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.distributed.auto.auto_optim.html
 */
export function autoOptim<O extends tf.Optimizer>(optimizer: O): O {
  if (getWorldSize() === 1 || stateOf(optimizer) !== undefined) return optimizer;
  const original = optimizer.applyGradients.bind(optimizer);
  const method: unknown = Reflect.get(optimizer, 'applyGradients');
  const apply = (grads: Gradients): void => {
    if (!applyFused(optimizer, grads, method)) original(grads);
  };
  const state: DistributedOptimizerState = { apply, bypass: false };
  Object.defineProperty(optimizer, DISTRIBUTED, { value: state });
  optimizer.applyGradients = function distributedApplyGradients(grads: Gradients): void {
    if (state.bypass) {
      apply(grads);
      return;
    }
    const averaged = reduceGradients(grads).grads;
    try {
      apply(averaged);
    } finally {
      tf.dispose(averaged);
    }
  };
  installScalerHook();
  return optimizer;
}

/**
 * Whether `optimizer` was made data-parallel by {@link autoOptim}.
 *
 * @param optimizer - an optimizer.
 * @returns true when its gradients are averaged across ranks.
 */
export function isDistributedOptimizer(optimizer: tf.Optimizer): boolean {
  return stateOf(optimizer) !== undefined;
}

/**
 * Lets `GradScaler.step` average the gradients of a distributed optimizer before its inf/nan check, with the flag
 * reduced across ranks (a non-finite gradient on any rank makes every rank skip the step and back off the scale).
 * Installed once, by the first {@link autoOptim} in a distributed job; scalers of other optimizers are unaffected.
 */
function installScalerHook(): void {
  if (scalerHookInstalled) return;
  scalerHookInstalled = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called with .call(this, ...) below
  const original = GradScaler.prototype.step;
  GradScaler.prototype.step = async function distributedStep(
    this: GradScaler,
    optimizer: tf.Optimizer,
    grads: tf.NamedTensorMap,
    options?: GradScalerStepOptions,
  ): Promise<boolean> {
    const state = stateOf(optimizer);
    if (state === undefined || !this.isEnabled()) return original.call(this, optimizer, grads, options);
    const { grads: averaged, nonFinite } = reduceGradients(grads, true);
    if (nonFinite) {
      const [first] = Object.keys(averaged);
      if (first !== undefined) {
        const g = averaged[first] as tf.Tensor;
        averaged[first] = tf.fill(g.shape, Number.NaN);
        g.dispose();
      }
    }
    state.bypass = true;
    try {
      return await original.call(this, optimizer, averaged, options);
    } finally {
      state.bypass = false;
      tf.dispose(averaged);
    }
  };
}
