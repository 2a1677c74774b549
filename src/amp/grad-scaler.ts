/**
 * @module amp/grad-scaler Dynamic loss scaling for mixed-precision training. Port of torch.amp.GradScaler
 * (torch/amp/grad_scaler.py) as used by ignite's `supervised_training_step_amp`. Deviations: TF.js has no `.grad`
 * fields, so `unscale()` and `step()` take the gradient map (`tf.NamedTensorMap`, as from `tf.variableGrads`)
 * explicitly and return new tensors instead of working in place; `step()` is async because the inf/nan check
 * reads one boolean from the device (`await data()` with `nonBlocking`, else `dataSync()`); `stateDict()` of a
 * disabled scaler holds the configured values instead of PyTorch's `{}`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { KindlingError } from '../errors.js';
import { applyGradients } from '../backends/optimizer-update.js';

/**
 * Constructor options of {@link GradScaler}; every field is optional and defaults to PyTorch's value.
 *
 */
export interface GradScalerOptions {
  /** Initial scale factor. Default `2 ** 16`. */
  initScale?: number;
  /** Factor the scale is multiplied by after `growthInterval` consecutive finite steps; must be > 1. Default 2. */
  growthFactor?: number;
  /** Factor the scale is multiplied by after a step with inf/nan gradients; must be in (0, 1). Default 0.5. */
  backoffFactor?: number;
  /** Number of consecutive finite steps before the scale grows; a positive integer. Default 2000. */
  growthInterval?: number;
  /** When false every method is a pass-through (scale 1, no checks). Default true. */
  enabled?: boolean;
}

/**
 * The serializable state of a {@link GradScaler} (PyTorch's `state_dict()` keys, camelCased).
 *
 */
export interface GradScalerStateDict {
  scale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  growthTracker: number;
}

/**
 * Options of {@link GradScaler.step}.
 *
 */
export interface GradScalerStepOptions {
  /** Read the inf/nan flag with `await tensor.data()` instead of `dataSync()`. Default false. */
  nonBlocking?: boolean;
}

function checkPositive(name: string, value: unknown, check: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`GradScaler: ${name} must be a number, received ${typeof value}.`);
  }
  if (!check(value)) {
    throw new RangeError(`GradScaler: ${name} must be ${rule}, received ${value}. Pass a value ${rule}.`);
  }
  return value;
}

/**
 * Dynamic loss scaler: multiplies the loss by a large factor so small float16 gradients do not underflow, unscales
 * the gradients before the optimizer step, skips steps whose gradients contain inf/nan and adapts the factor
 * (back off on overflow, grow after `growthInterval` clean steps), exactly like `torch.amp.GradScaler`.
 *
 * @example
 * ```ts
 * const scaler = new GradScaler();
 * const { grads } = tf.variableGrads(() => autocast('float16', () => scaler.scale(lossFn(model.apply(x), y))));
 * await scaler.step(optimizer, grads); // unscales, skips the update on inf/nan
 * scaler.update();                     // adapts the scale
 * tf.dispose(grads);
 * ```
 */
export class GradScaler {
  #scale: number;
  #growthFactor: number;
  #backoffFactor: number;
  #growthInterval: number;
  #growthTracker = 0;
  #enabled: boolean;
  /** null: no step since the last update; otherwise whether any step since then found inf/nan. */
  #foundInf: boolean | null = null;
  /** Optimizers whose gradients were unscaled with `unscale(grads, optimizer)` since the last update. */
  #unscaled = new WeakSet<tf.Optimizer>();

  /**
   * @param options - see {@link GradScalerOptions}; defaults are PyTorch's.
   * @throws TypeError when an option has the wrong type.
   * @throws RangeError when `growthFactor <= 1`, `backoffFactor` is not in (0, 1), `initScale <= 0` or
   *   `growthInterval` is not a positive integer.
   */
  constructor(options: GradScalerOptions = {}) {
    const { initScale = 2 ** 16, growthFactor = 2, backoffFactor = 0.5, growthInterval = 2000 } = options;
    const enabled = options.enabled ?? true;
    if (typeof enabled !== 'boolean') {
      throw new TypeError(`GradScaler: enabled must be a boolean, received ${typeof enabled}.`);
    }
    this.#scale = checkPositive('initScale', initScale, (v) => v > 0 && Number.isFinite(v), 'finite and > 0');
    this.#growthFactor = checkPositive('growthFactor', growthFactor, (v) => v > 1, '> 1.0');
    this.#backoffFactor = checkPositive('backoffFactor', backoffFactor, (v) => v > 0 && v < 1, 'in (0, 1)');
    this.#growthInterval = checkPositive('growthInterval', growthInterval, (v) => Number.isInteger(v) && v > 0,
      'a positive integer');
    this.#enabled = enabled;
  }

  /**
   * Multiplies the loss by the current scale.
   *
   * @param loss - the (float32) loss; not disposed.
   * @returns a new tensor `loss * scale` owned by the caller (a clone of `loss` when disabled).
   */
  scale(loss: tf.Scalar): tf.Scalar {
    if (!this.#enabled) return tf.clone(loss);
    return tf.tidy(() => tf.mul(loss, tf.scalar(this.#scale, 'float32')));
  }

  /**
   * Divides gradients by the current scale (multiplies by `1 / scale` in float32, as PyTorch does). Passing the
   * optimizer marks its gradients as unscaled, so the next `step(optimizer, ...)` does not unscale them again
   * (PyTorch's `unscale_(optimizer)` before gradient clipping).
   *
   * @param grads - scaled gradients; not disposed.
   * @param optimizer - optional: the optimizer these gradients are for.
   * @returns new tensors owned by the caller (clones when disabled).
   * @throws KindlingError when `optimizer` was already unscaled since the last `update()`.
   */
  unscale(grads: tf.NamedTensorMap, optimizer?: tf.Optimizer): tf.NamedTensorMap {
    if (optimizer !== undefined && this.#enabled) {
      if (this.#unscaled.has(optimizer)) {
        throw new KindlingError(
          'unscale() has already been called on this optimizer since the last update(). ' +
            'Call scaler.update() after scaler.step() before unscaling again.',
        );
      }
      this.#unscaled.add(optimizer);
    }
    return tf.tidy(() => {
      const out: tf.NamedTensorMap = {};
      const inv = tf.scalar(this.#enabled ? Math.fround(1 / this.#scale) : 1, 'float32');
      for (const [name, g] of Object.entries(grads)) out[name] = this.#enabled ? tf.mul(g, inv) : tf.clone(g);
      return out;
    });
  }

  /**
   * Unscales the gradients and applies them with `applyGradients(optimizer, grads)` (the optimizer's own update,
   * fused on 'kindling-native'), unless any of them contains inf or NaN, in which case the update is skipped (and
   * `update()` will back off the scale).
   *
   * @param optimizer - the optimizer to step.
   * @param grads - the scaled gradients (or already unscaled ones after `unscale(grads, optimizer)`); not disposed.
   * @param options - `nonBlocking: true` reads the inf/nan flag with `await data()` instead of `dataSync()`.
   * @returns whether the optimizer stepped.
   * @example
   * ```ts
   * const stepped = await scaler.step(optimizer, grads, { nonBlocking: true });
   * scaler.update();
   * ```
   */
  async step(optimizer: tf.Optimizer, grads: tf.NamedTensorMap, options: GradScalerStepOptions = {}): Promise<boolean> {
    if (!this.#enabled) {
      applyGradients(optimizer, grads);
      return true;
    }
    const alreadyUnscaled = this.#unscaled.has(optimizer);
    const unscaled = alreadyUnscaled ? grads : this.unscale(grads);
    try {
      const finiteFlag = allFinite(unscaled);
      let finite: boolean;
      try {
        const value = options.nonBlocking === true ? await finiteFlag.data() : finiteFlag.dataSync();
        finite = value[0] === 1;
      } finally {
        finiteFlag.dispose();
      }
      this.#foundInf = (this.#foundInf ?? false) || !finite;
      if (finite) applyGradients(optimizer, unscaled);
      return finite;
    } finally {
      if (!alreadyUnscaled) tf.dispose(unscaled);
    }
  }

  /**
   * Adapts the scale after the step(s) of an iteration: back off by `backoffFactor` if any step since the last
   * update found inf/nan (and reset the growth tracker), else count a clean step and grow by `growthFactor` after
   * `growthInterval` of them (only while the grown scale stays finite in float32). With `newScale`, sets the
   * scale directly.
   *
   * @param newScale - optional explicit new scale.
   * @returns nothing.
   * @throws KindlingError when no `step()` was recorded since the last update (PyTorch's assertion).
   * @throws RangeError when `newScale` is not a finite positive number.
   * @example
   * ```ts
   * await scaler.step(optimizer, grads);
   * scaler.update();
   * ```
   */
  update(newScale?: number): void {
    if (!this.#enabled) return;
    if (newScale !== undefined) {
      this.#scale = checkPositive('newScale', newScale, (v) => v > 0 && Number.isFinite(v), 'finite and > 0');
    } else {
      if (this.#foundInf === null) {
        throw new KindlingError(
          'No inf checks were recorded prior to update(). Call scaler.step(optimizer, grads) before update().',
        );
      }
      this.#advance(this.#foundInf);
    }
    this.#foundInf = null;
    this.#unscaled = new WeakSet();
  }

  #advance(foundInf: boolean): void {
    if (foundInf) {
      this.#scale = Math.fround(this.#scale * this.#backoffFactor);
      this.#growthTracker = 0;
      return;
    }
    const successful = this.#growthTracker + 1;
    if (successful === this.#growthInterval) {
      const grown = Math.fround(this.#scale * this.#growthFactor);
      if (Number.isFinite(grown)) this.#scale = grown;
      this.#growthTracker = 0;
    } else {
      this.#growthTracker = successful;
    }
  }

  /**
   * The current scale factor.
   *
   * @returns the scale, or 1 when the scaler is disabled.
   */
  getScale(): number {
    return this.#enabled ? this.#scale : 1;
  }

  /**
   * Whether the scaler is enabled.
   *
   * @returns the `enabled` option.
   */
  isEnabled(): boolean {
    return this.#enabled;
  }

  /**
   * The growth tracker: consecutive clean steps since the scale last changed.
   *
   * @returns the tracker value.
   */
  getGrowthTracker(): number {
    return this.#growthTracker;
  }

  /**
   * The scaler's state, JSON-serializable, for checkpoints (Ignite does not checkpoint it for you).
   *
   * @returns `{ scale, growthFactor, backoffFactor, growthInterval, growthTracker }`.
   */
  stateDict(): GradScalerStateDict {
    return {
      scale: this.#scale,
      growthFactor: this.#growthFactor,
      backoffFactor: this.#backoffFactor,
      growthInterval: this.#growthInterval,
      growthTracker: this.#growthTracker,
    };
  }

  /**
   * Restores a state saved with {@link GradScaler.stateDict}. A disabled scaler ignores it, as in PyTorch.
   *
   * @param sd - the saved state.
   * @returns nothing.
   * @throws TypeError when `sd` is not an object or a field is not a number.
   * @throws RangeError when a field is out of range (same rules as the constructor).
   */
  loadStateDict(sd: GradScalerStateDict): void {
    if (typeof sd !== 'object' || sd === null || Object.keys(sd).length === 0) {
      throw new TypeError(
        'GradScaler.loadStateDict expects the object returned by stateDict() ' +
          '({ scale, growthFactor, backoffFactor, growthInterval, growthTracker }), received ' +
          `${sd === null ? 'null' : typeof sd === 'object' ? 'an empty object' : typeof sd}.`,
      );
    }
    if (!this.#enabled) return;
    const checked = new GradScaler({
      initScale: sd.scale, growthFactor: sd.growthFactor, backoffFactor: sd.backoffFactor,
      growthInterval: sd.growthInterval,
    });
    const tracker = checkPositive('growthTracker', sd.growthTracker, (v) => Number.isInteger(v) && v >= 0,
      'an integer >= 0');
    this.#scale = checked.#scale;
    this.#growthFactor = checked.#growthFactor;
    this.#backoffFactor = checked.#backoffFactor;
    this.#growthInterval = checked.#growthInterval;
    this.#growthTracker = tracker;
  }
}

/** One boolean scalar on the device: true when every gradient is free of inf and NaN. */
function allFinite(grads: tf.NamedTensorMap): tf.Tensor {
  return tf.tidy(() => {
    const flags = Object.values(grads).map((g) => tf.all(tf.isFinite(g)));
    if (flags.length === 0) return tf.scalar(true, 'bool');
    return tf.all(tf.stack(flags));
  });
}
