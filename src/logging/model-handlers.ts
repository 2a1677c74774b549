/**
 * @module Port of Ignite's `WeightsScalarHandler`, `WeightsHistHandler`, `GradsScalarHandler`, `GradsHistHandler`.
 * Reductions run on the device inside `tf.tidy`; values are read with `await data()` inside the logger's queue, so
 * the training step never waits for them.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { Engine } from '../engine/index.js';
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
  /** Only log tensors whose name passes this predicate or is in this list. */
  whitelist?: readonly string[] | ((name: string) => boolean);
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

function gradsOf(source: TensorSource | tf.NamedTensorMap): TensorSource {
  return typeof source === 'function' ? source : () => Object.entries(source);
}

abstract class TensorHandler {
  readonly #source: TensorSource;
  readonly #prefix: string;
  readonly #keep: (name: string) => boolean;

  constructor(source: TensorSource, kind: string, options: ModelHandlerOptions) {
    this.#source = source;
    this.#prefix = `${options.tag !== undefined ? `${options.tag}/` : ''}${kind}`;
    const wl = options.whitelist;
    this.#keep = wl === undefined ? () => true : typeof wl === 'function' ? wl : (n) => wl.includes(n);
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
    const entries = [...(this.#source(engine) ?? [])].filter(([name]) => this.#keep(name));
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
 * @example
 * ```ts
 * logger.attach(trainer, new WeightsScalarHandler(model), Events.ITERATION_COMPLETED({ every: 100 }));
 * ```
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
 * @example
 * ```ts
 * tb.attach(trainer, new WeightsHistHandler(model), Events.EPOCH_COMPLETED);
 * ```
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
 * Logs a reduction (norm by default) of each gradient as `grads_norm/<name>`. Gradients come from a function of
 * the engine, e.g. the trainer's accumulated gradients at ITERATION_COMPLETED.
 *
 * @example
 * ```ts
 * logger.attach(trainer, new GradsScalarHandler((e) => Object.entries(getGradients(e) ?? {})), Events.ITERATION_COMPLETED);
 * ```
 */
export class GradsScalarHandler extends ScalarTensorHandler {
  /**
   * @param gradients - a function of the engine returning `[name, tensor]` pairs, or a fixed map.
   * @param options - reduction, tag, whitelist.
   */
  constructor(gradients: TensorSource | tf.NamedTensorMap, options: ModelHandlerOptions & { reduction?: Reduction } = {}) {
    super(gradsOf(gradients), 'grads', options.reduction ?? 'norm', options);
  }
}

/**
 * Logs a histogram of each gradient as `grads/<name>`.
 *
 * @example
 * ```ts
 * tb.attach(trainer, new GradsHistHandler((e) => Object.entries(getGradients(e) ?? {})), Events.EPOCH_COMPLETED);
 * ```
 */
export class GradsHistHandler extends HistTensorHandler {
  /**
   * @param gradients - a function of the engine returning `[name, tensor]` pairs, or a fixed map.
   * @param options - tag, whitelist.
   */
  constructor(gradients: TensorSource | tf.NamedTensorMap, options: ModelHandlerOptions = {}) {
    super(gradsOf(gradients), 'grads', options);
  }
}
