/**
 * @module backends/optimizer-update The optimizer step of kindling's training steps: TensorFlow.js's
 * `optimizer.applyGradients`, or, on a backend that registers the fused update kernels
 * (the contract of `@kindling/kernels`; 'kindling-native' and kindling's wasm kernels do), the same update with one kernel per variable, or in place
 * where the backend can prove nothing else observes the storage (FusedInPlaceBackend). Ignite
 * counterpart: `optimizer.step()` in `supervised_training_step` (PyTorch's fused/foreach optimizer
 * implementations). Deviations: none — the fused path keeps the optimizer's slots, iteration count and saved
 * state exactly as `applyGradients` would, with bit-identical values; anything it does not cover (other optimizer
 * classes, an `applyGradients` overridden by a subclass or patched on the instance, non-float32 variables, a
 * gradient whose shape differs from its variable) runs `optimizer.applyGradients`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_UPDATE_KERNELS, type FusedInPlaceBackend, type FusedOptimizerKind } from '@kindling/kernels/contract';

/**
 * Gradients as `applyGradients` takes them: a map from variable name to gradient, or `{ name, tensor }` pairs.
 *
 */
export type OptimizerGradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

type Slot = { originalName: string; variable: tf.Variable };

/** The fields of TensorFlow.js's optimizers that the fused updates read and maintain (not in their typings). */
interface SgdFields { c: tf.Scalar; incrementIterations(): void }
interface MomentumFields extends SgdFields { m: tf.Scalar; useNesterov: boolean; accumulations: (Slot | undefined)[] }
interface AdamFields {
  learningRate: number; beta1: number; beta2: number; epsilon: number; accBeta1: tf.Variable; accBeta2: tf.Variable;
  accumulatedFirstMoment: (Slot | undefined)[]; accumulatedSecondMoment: (Slot | undefined)[]; incrementIterations(): void;
}

/**
 * Which fused update applies: the optimizer must derive from the TensorFlow.js class (its prototype chain: the
 * classes' `instanceof` is duck-typed and true for any optimizer) and `method` must be that class's stock
 * `applyGradients`.
 */
function fusedKind(optimizer: tf.Optimizer, method: unknown): FusedOptimizerKind | null {
  const is = (cls: { prototype: { applyGradients: unknown } }): boolean =>
    method === cls.prototype.applyGradients && Object.prototype.isPrototypeOf.call(cls.prototype, optimizer);
  if (is(tf.AdamOptimizer)) return 'adam';
  if (is(tf.MomentumOptimizer)) return 'momentum';
  if (is(tf.SGDOptimizer)) return 'sgd';
  return null;
}

interface Entry { name: string; value: tf.Variable; gradient: tf.Tensor | null }

/** The (variable, gradient) pairs in `applyGradients`' order, or null when one is not covered by the fused path. */
function entries(grads: OptimizerGradients): Entry[] | null {
  const registered = tf.engine().registeredVariables;
  const list: Entry[] = [];
  const pairs: [string, tf.Tensor | null | undefined][] = Array.isArray(grads) ? grads.map((g) => [g.name, g.tensor]) : Object.entries(grads);
  for (const [name, gradient] of pairs) {
    const value = registered[name];
    if (value === undefined || value.dtype !== 'float32') return null;
    if (gradient != null && (gradient.dtype !== 'float32' || !tf.util.arraysEqual(gradient.shape, value.shape))) return null;
    list.push({ name, value, gradient: gradient ?? null });
  }
  return list;
}

/**
 * One fused update: in place when the backend can (see FusedInPlaceBackend), else the kernel, whose outputs are
 * assigned to `targets` (the value, then the slots, in the kernel's output order).
 */
function update(kind: FusedOptimizerKind, inputs: tf.NamedTensorMap, attrs: Record<string, number | boolean>, targets: tf.Variable[]): void {
  const backend = tf.backend() as Partial<FusedInPlaceBackend>;
  if (backend.runFusedUpdateInPlace?.(FUSED_UPDATE_KERNELS[kind], inputs, attrs) === true) return;
  tf.tidy(() => {
    const outputs = tf.engine().runKernel(FUSED_UPDATE_KERNELS[kind], inputs, attrs) as unknown as tf.Tensor[];
    outputs.forEach((t, i) => targets[i]!.assign(t));
  });
}

function slot(slots: (Slot | undefined)[], i: number, name: string, value: tf.Variable): tf.Variable {
  slots[i] ??= { originalName: name, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
  return slots[i].variable;
}

function sgdStep(o: SgdFields, list: Entry[]): void {
  for (const { value, gradient } of list) {
    if (gradient !== null) update('sgd', { value, gradient, c: o.c }, {}, [value]);
  }
  o.incrementIterations();
}

function momentumStep(o: MomentumFields, list: Entry[]): void {
  list.forEach(({ name, value, gradient }, i) => {
    const accumulation = slot(o.accumulations, i, `${name}/momentum`, value);
    if (gradient === null) return;
    update('momentum', { value, accumulation, gradient, c: o.c, m: o.m }, { useNesterov: o.useNesterov }, [value, accumulation]);
  });
  o.incrementIterations();
}

function adamStep(o: AdamFields, list: Entry[]): void {
  const attrs = { beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, learningRate: o.learningRate };
  tf.tidy(() => {
    list.forEach(({ name, value, gradient }, i) => {
      const firstMoment = slot(o.accumulatedFirstMoment, i, `${name}/m`, value);
      const secondMoment = slot(o.accumulatedSecondMoment, i, `${name}/v`, value);
      if (gradient === null) return;
      const inputs = { value, firstMoment, secondMoment, gradient, accBeta1: o.accBeta1, accBeta2: o.accBeta2 };
      update('adam', inputs, attrs, [value, firstMoment, secondMoment]);
    });
    o.accBeta1.assign(tf.mul(o.accBeta1, o.beta1));
    o.accBeta2.assign(tf.mul(o.accBeta2, o.beta2));
  });
  o.incrementIterations();
}

/**
 * Applies `grads` with the fused update kernels of the active backend when they cover this optimizer and these
 * gradients, as `method` (the `applyGradients` that would otherwise run) would.
 *
 * @param optimizer - the optimizer.
 * @param grads - the gradients, by variable name.
 * @param method - the `applyGradients` implementation to replace: the fused path runs only when it is the stock
 *   one of the optimizer's TensorFlow.js class.
 * @returns true when the update was applied, false when nothing was done (the caller runs `method`).
 */
export function applyFused(optimizer: tf.Optimizer, grads: OptimizerGradients, method: unknown): boolean {
  const kind = fusedKind(optimizer, method);
  if (kind === null || tf.getKernel(FUSED_UPDATE_KERNELS[kind], tf.getBackend()) === undefined) return false;
  const list = entries(grads);
  if (list === null) return false;
  if (kind === 'adam') adamStep(optimizer as unknown as AdamFields, list);
  else if (kind === 'momentum') momentumStep(optimizer as unknown as MomentumFields, list);
  else sgdStep(optimizer as unknown as SgdFields, list);
  return true;
}

/**
 * Applies gradients to their variables, exactly as `optimizer.applyGradients(grads)` does; on a backend with fused
 * update kernels ('kindling-native'), TensorFlow.js's SGD, Momentum and Adam optimizers update each variable in
 * one kernel call (one pass over memory instead of 2 to 11), with bit-identical results. kindling's training steps
 * and `GradScaler.step` use it; call it in your own update functions too.
 *
 * @param optimizer - any `tf.Optimizer`.
 * @param grads - the gradients, by variable name (as from `tf.variableGrads`).
 * @example
 * ```ts
 * const { value, grads } = tf.variableGrads(() => lossFn(model.apply(x) as tf.Tensor, y));
 * applyGradients(optimizer, grads);
 * tf.dispose([value, grads]);
 * ```
 */
export function applyGradients(optimizer: tf.Optimizer, grads: OptimizerGradients): void {
  if (!applyFused(optimizer, grads, Reflect.get(optimizer, 'applyGradients'))) optimizer.applyGradients(grads);
}
