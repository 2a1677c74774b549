/**
 * @module Port of Ignite's `WeightsScalarHandler`, `WeightsHistHandler`, `GradsScalarHandler`, `GradsHistHandler`.
 * Reductions run on the device inside `tf.tidy`; values are read with `await data()` inside the logger's queue, so
 * the training step never waits for them.
 * Deviations: a whitelist entry matches a prefix of the TF.js weight name (`fc1` matches `fc1/kernel`) or of its
 * Ignite-style name (`fc1.weight` for `fc1/kernel`, `fc1.bias` for `fc1/bias`); a whitelist function receives
 * `(name, tensor)` as Ignite's does. The gradient handlers read, for a model, the gradients the supervised trainer
 * captured in the current window (`getGradients(engine)`); a gradient source function or map is also accepted.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { Engine, Logger } from '../engine/index.js';
import { getGradients } from '../training/tensors.js';
import { defaultGlobalStep, type BaseLogger } from './base-logger.js';
import type { LogRecord } from './records.js';

/** A reduction of a tensor to a scalar: a name or a function. @defaultValue `'norm'` */
export type Reduction = 'norm' | 'mean' | 'sum' | 'min' | 'max' | ((t: tf.Tensor) => tf.Scalar);

/** Named tensors to log: read at each event. */
export type TensorSource = (engine: Engine<unknown, unknown>) => Iterable<[string, tf.Tensor]> | null | undefined;

/** A model whose trainable weights can be listed (a `tf.LayersModel`, or any `{ trainableWeights }`). */
export interface WeightedModel {
  readonly trainableWeights: readonly { readonly name: string; read(): tf.Tensor }[];
}

/** Options of the weight/gradient handlers. */
export interface ModelHandlerOptions {
  /** Tag prefix (`'<tag>/weights_norm/<name>'`). */
  tag?: string;
  /**
   * Only log tensors whose name starts with one of these prefixes (TF.js names like `fc1/kernel`, or Ignite-style
   * names like `fc1.weight`), or that pass this predicate `(name, tensor) => boolean`.
   * @defaultValue every tensor
   */
  whitelist?: readonly string[] | ((name: string, tensor: tf.Tensor) => boolean);
  /** Where the "whitelist matches nothing" warning goes. @defaultValue the console */
  logger?: Pick<Logger, 'warn'>;
}

/**
 * The Ignite (PyTorch) spelling of a TF.js weight name: `fc1/kernel` -> `fc1.weight`, `fc1/bias` -> `fc1.bias`.
 *
 * @param name - a TF.js weight or variable name.
 * @returns the dotted name with `kernel` (and `gamma`) shown as `weight` and `beta` as `bias`.
 */
export function igniteWeightName(name: string): string {
  const parts = name.split('/');
  const last = parts.pop() ?? '';
  const renamed = last === 'kernel' || last === 'gamma' || last === 'embeddings' ? 'weight' : last === 'beta' ? 'bias' : last;
  return [...parts, renamed].join('.');
}

function whitelistFilter(wl: ModelHandlerOptions['whitelist']): (name: string, tensor: tf.Tensor) => boolean {
  if (wl === undefined) return () => true;
  if (typeof wl === 'function') return wl;
  if (!Array.isArray(wl) || !wl.every((p) => typeof p === 'string')) {
    throw new TypeError(`Argument whitelist should be a list of name prefixes or a function (name, tensor) => boolean, got ${String(wl)}`);
  }
  return (name) => {
    const dotted = igniteWeightName(name);
    return wl.some((prefix: string) => name.startsWith(prefix) || dotted.startsWith(prefix));
  };
}

const REDUCTIONS: Record<Exclude<Reduction, (t: tf.Tensor) => tf.Scalar>, (t: tf.Tensor) => tf.Scalar> = {
  norm: (t) => tf.norm(t) as tf.Scalar,
  mean: (t) => tf.mean(t),
  sum: (t) => tf.sum(t),
  min: (t) => tf.min(t),
  max: (t) => tf.max(t),
};

function weightsOf(model: WeightedModel): TensorSource {
  return () => model.trainableWeights.map((w) => [w.name, w.read()] as [string, tf.Tensor]);
}

function gradsOf(source: WeightedModel | TensorSource | tf.NamedTensorMap): TensorSource {
  if (typeof source === 'function') return source;
  if (isWeightedModel(source)) return capturedGradsOf(source);
  return () => Object.entries(source);
}

function isWeightedModel(v: unknown): v is WeightedModel {
  return typeof v === 'object' && v !== null && Array.isArray((v as { trainableWeights?: unknown }).trainableWeights);
}

/** The gradients the trainer captured, restricted to the model's trainable weights. */
function capturedGradsOf(model: WeightedModel): TensorSource {
  return (engine) => {
    const grads = getGradients(engine);
    if (grads === null) return null;
    return model.trainableWeights.flatMap((w): [string, tf.Tensor][] => {
      const g = grads[w.name];
      return g === undefined ? [] : [[w.name, g]];
    });
  };
}

abstract class TensorHandler {
  readonly #source: TensorSource;
  readonly #prefix: string;
  readonly #keep: (name: string, tensor: tf.Tensor) => boolean;
  readonly #hasWhitelist: boolean;
  readonly #warn: (message: string) => void;
  #warned = false;

  constructor(source: TensorSource, kind: string, options: ModelHandlerOptions) {
    this.#source = source;
    this.#prefix = `${options.tag !== undefined ? `${options.tag}/` : ''}${kind}`;
    this.#keep = whitelistFilter(options.whitelist);
    this.#hasWhitelist = options.whitelist !== undefined;
    // eslint-disable-next-line no-console
    this.#warn = options.logger !== undefined ? (m) => options.logger?.warn(m) : (m) => console.warn(m);
  }

  #select(engine: Engine<unknown, unknown>): [string, tf.Tensor][] {
    const all = [...(this.#source(engine) ?? [])];
    const kept = all.filter(([name, t]) => this.#keep(name, t));
    if (kept.length === 0 && all.length > 0 && this.#hasWhitelist && !this.#warned) {
      this.#warned = true;
      this.#warn(`${this.constructor.name}: the whitelist matches none of the ${all.length} tensors ` +
        `(${all.slice(0, 5).map(([n]) => n).join(', ')}${all.length > 5 ? ', ...' : ''}); nothing is logged. ` +
        'Use prefixes of these names or Ignite-style names such as fc1.weight.');
    }
    return kept;
  }

  protected abstract records(names: string[], tensors: tf.Tensor[], prefix: string, step: number): Promise<LogRecord[]>;

  /**
   * Reads the tensors at the event and queues their records on the logger.
   *
   * @param engine - the engine that fired.
   * @param logger - the logger.
   * @param event - the event name (for the default step).
   */
  handle(engine: Engine<unknown, unknown>, logger: BaseLogger, event: string): void {
    const entries = this.#select(engine);
    if (entries.length === 0) return;
    // Clones keep the values of this step even if a variable is updated before the queue reads them.
    const tensors = entries.map(([, t]) => tf.clone(t));
    const names = entries.map(([name]) => name);
    const step = defaultGlobalStep(engine, event);
    logger.enqueue(this.records(names, tensors, `${this.#prefix}`, step).finally(() => tf.dispose(tensors)));
  }
}

abstract class ScalarTensorHandler extends TensorHandler {
  readonly #reduce: (t: tf.Tensor) => tf.Scalar;

  constructor(source: TensorSource, kind: string, reduction: Reduction, options: ModelHandlerOptions) {
    const name = typeof reduction === 'function' ? reduction.name || 'reduction' : reduction;
    super(source, `${kind}_${name}`, options);
    if (typeof reduction === 'function') this.#reduce = reduction;
    else if (reduction in REDUCTIONS) this.#reduce = REDUCTIONS[reduction];
    else throw new RangeError(`reduction should be one of ${Object.keys(REDUCTIONS).join(', ')} or a function, got '${String(reduction)}'`);
  }

  protected override async records(names: string[], tensors: tf.Tensor[], prefix: string, step: number): Promise<LogRecord[]> {
    const stacked = tf.tidy(() => tf.stack(tensors.map((t) => this.#reduce(t))));
    try {
      const values = await stacked.data();
      const wallTime = Date.now() / 1000;
      return names.map((n, i) => ({ kind: 'scalar', tag: `${prefix}/${n}`, step, value: values[i] as number, wallTime }));
    } finally {
      stacked.dispose();
    }
  }
}

abstract class HistTensorHandler extends TensorHandler {
  protected override async records(names: string[], tensors: tf.Tensor[], prefix: string, step: number): Promise<LogRecord[]> {
    const values = await Promise.all(tensors.map((t) => t.data<'float32'>()));
    const wallTime = Date.now() / 1000;
    return names.map((n, i) => ({ kind: 'histogram', tag: `${prefix}/${n}`, step, values: Float32Array.from(values[i] as Float32Array), wallTime }));
  }
}

/**
 * Logs a reduction (norm by default) of each trainable weight as `weights_norm/<name>`.
 *
 */
export class WeightsScalarHandler extends ScalarTensorHandler {
  /**
   * @param model - the model.
   * @param options - reduction, tag, whitelist.
   */
  constructor(model: WeightedModel, options: ModelHandlerOptions & { reduction?: Reduction } = {}) {
    super(weightsOf(model), 'weights', options.reduction ?? 'norm', options);
  }
}

/**
 * Logs a histogram of each trainable weight as `weights/<name>`.
 *
 */
export class WeightsHistHandler extends HistTensorHandler {
  /**
   * @param model - the model.
   * @param options - tag, whitelist.
   */
  constructor(model: WeightedModel, options: ModelHandlerOptions = {}) {
    super(weightsOf(model), 'weights', options);
  }
}

/**
 * Logs a reduction (norm by default) of each gradient as `grads_norm/<name>`. Given the model, as in Ignite, it reads
 * the gradients the supervised trainer captured in the current window, so attach it at ITERATION_COMPLETED.
 *
 */
export class GradsScalarHandler extends ScalarTensorHandler {
  /**
   * @param gradients - the model (its gradients captured by the supervised trainer), a function of the engine
   *   returning `[name, tensor]` pairs, or a fixed map.
   * @param options - reduction, tag, whitelist.
   */
  constructor(gradients: WeightedModel | TensorSource | tf.NamedTensorMap, options: ModelHandlerOptions & { reduction?: Reduction } = {}) {
    super(gradsOf(gradients), 'grads', options.reduction ?? 'norm', options);
  }
}

/**
 * Logs a histogram of each gradient as `grads/<name>` (the model's gradients captured by the supervised trainer, or
 * those of a source function).
 *
 */
export class GradsHistHandler extends HistTensorHandler {
  /**
   * @param gradients - the model (its gradients captured by the supervised trainer), a function of the engine
   *   returning `[name, tensor]` pairs, or a fixed map.
   * @param options - tag, whitelist.
   */
  constructor(gradients: WeightedModel | TensorSource | tf.NamedTensorMap, options: ModelHandlerOptions = {}) {
    super(gradsOf(gradients), 'grads', options);
  }
}
