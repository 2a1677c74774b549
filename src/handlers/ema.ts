/**
 * @module Port of ignite/handlers/ema_handler.py `EMAHandler`: an exponential moving average of a model's weights.
 *
 * Deviations:
 * - Ignite deep-copies the `nn.Module`. A `tf.LayersModel` is cloned asynchronously, so use
 *   `await EMAHandler.create(model, options)`; or build the copy yourself (same architecture) and pass it to the
 *   constructor, which copies the weights into it.
 * - Every weight of `model.weights` is averaged, trainable or not: TF.js keeps batch-norm moving statistics as
 *   non-trainable weights, and Ignite averages every entry of the `state_dict` (buffers included) the same way.
 * - The handler is checkpointable itself: `stateDict()` / `loadStateDict()` save and restore the EMA weights, so
 *   `toSave: { trainer, model, optimizer, ema }` resumes the average exactly (the momentum is a function of the
 *   trainer's iteration, as in Ignite). Putting `ema.emaModel` in `toSave` works too.
 */

import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Events, type EngineLike, type EventKey } from '../engine/index.js';
import { artifactsFromModelState, captureState, restoreState, type LayersModelState } from './checkpoint/tf-state.js';

/** Options of {@link EMAHandler}. */
export interface EMAHandlerOptions {
  /** Weight of the current model in the update `ema = (1 - momentum) * ema + momentum * model`. @defaultValue 0.0002 */
  momentum?: number;
  /** Momentum at iteration 1, raised linearly to `momentum` at `warmupIters` (needs `warmupIters`). */
  momentumWarmup?: number;
  /** Iterations of the warmup (needs `momentumWarmup`). */
  warmupIters?: number;
}

/** Options of {@link EMAHandler.attach}. */
export interface EMAAttachOptions {
  /** Name of the `engine.state` attribute holding the current momentum. @defaultValue `'ema_momentum'` */
  name?: string;
  /** When the momentum and the EMA model are updated (Ignite's `interval` is a filter: `{ every: 5 }`). @defaultValue `Events.ITERATION_COMPLETED` */
  event?: EventKey;
}

function checkOptions(momentum: number, momentumWarmup: number | undefined, warmupIters: number | undefined): void {
  if (momentumWarmup !== undefined && !(momentumWarmup > 0 && momentumWarmup < 1)) {
    throw new RangeError(`Invalid momentumWarmup: ${momentumWarmup}; expected a value in (0, 1)`);
  }
  if (!(momentum > 0 && momentum < 1)) throw new RangeError(`Invalid momentum: ${momentum}; expected a value in (0, 1)`);
  if (momentumWarmup !== undefined && !(momentumWarmup <= momentum)) {
    throw new RangeError('momentumWarmup should be less than or equal to momentum, but got ' +
      `momentumWarmup: ${momentumWarmup} and momentum: ${momentum}`);
  }
  if (warmupIters !== undefined && !(Number.isInteger(warmupIters) && warmupIters > 0)) {
    throw new RangeError(`Invalid warmupIters: ${warmupIters}; expected a positive integer`);
  }
}

// Layer by layer: `model.weights` lists trainable weights first, so freezing the EMA copy would reorder it.
function layerWeights(model: tfl.LayersModel): tfl.LayersModel['weights'] {
  return model.layers.flatMap((layer) => layer.weights);
}

/**
 * Keeps `emaModel`, an exponential moving average of a model's weights, updated during training; evaluate the EMA
 * model like any other (`createSupervisedEvaluator(ema.emaModel, ...)`).
 *
 * @example
 * ```ts
 * const ema = await EMAHandler.create(model, { momentum: 0.0002, momentumWarmup: 0.0001, warmupIters: 10_000 });
 * ema.attach(trainer, { name: 'ema_momentum', event: Events.ITERATION_COMPLETED({ every: 5 }) });
 * const evaluator = createSupervisedEvaluator(ema.emaModel, { metrics: { accuracy: new Accuracy() } });
 * trainer.on(Events.COMPLETED, new Checkpoint({ toSave: { trainer, model, optimizer, ema }, saveHandler }));
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.ema_handler.EMAHandler.html
 */
export class EMAHandler {
  /** The averaged model (inference only; never train it). */
  readonly emaModel: tfl.LayersModel;
  /** The trained model. */
  readonly model: tfl.LayersModel;
  /** Momentum after warmup. */
  readonly momentum: number;
  /** Momentum at iteration 1, or undefined without warmup. */
  readonly momentumWarmup: number | undefined;
  /** Warmup length, or undefined without warmup. */
  readonly warmupIters: number | undefined;

  /**
   * Clones `model` (architecture and weights) and returns a handler averaging into the clone.
   *
   * @param model - the trained model.
   * @param options - momentum and warmup.
   * @returns the handler.
   * @throws RangeError for invalid momentum or warmup options.
   */
  static async create(model: tfl.LayersModel, options: EMAHandlerOptions = {}): Promise<EMAHandler> {
    const state = (await captureState(model)) as LayersModelState;
    const emaModel = await tfl.loadLayersModel(tf.io.fromMemory(artifactsFromModelState(state)));
    return new EMAHandler(model, emaModel, options);
  }

  /**
   * @param model - the trained model.
   * @param emaModel - a model of the same architecture; `model`'s weights are copied into it.
   * @param options - momentum and warmup.
   * @throws RangeError for invalid momentum or warmup options, or models whose weights differ in shape.
   */
  constructor(model: tfl.LayersModel, emaModel: tfl.LayersModel, options: EMAHandlerOptions = {}) {
    const { momentum = 0.0002, momentumWarmup, warmupIters } = options;
    checkOptions(momentum, momentumWarmup, warmupIters);
    const a = layerWeights(model);
    const b = layerWeights(emaModel);
    if (a.length !== b.length || a.some((w, i) => w.shape.join() !== b[i]?.shape.join())) {
      throw new RangeError(`emaModel should have the weights of model (${a.length} weights: ${a.map((w) => `[${w.shape.join()}]`).join(' ')}), ` +
        `got ${b.length} weights. Build it with the same architecture, or use EMAHandler.create(model).`);
    }
    this.model = model;
    this.emaModel = emaModel;
    this.momentum = momentum;
    this.momentumWarmup = momentumWarmup;
    this.warmupIters = warmupIters;
    emaModel.trainable = false;
    tf.tidy(() => b.forEach((w, i) => w.write((a[i] as typeof w).read().clone())));
  }

  /**
   * The momentum at a 1-based iteration: `momentumWarmup` at 1, rising linearly to `momentum` at `warmupIters`.
   *
   * @param currIter - the iteration (1-based).
   * @returns the momentum.
   * @throws RangeError when `currIter < 1`.
   */
  getMomentum(currIter: number): number {
    if (currIter < 1) throw new RangeError(`currIter should be at least 1, but got ${currIter}.`);
    if (this.momentumWarmup === undefined || this.warmupIters === undefined) return this.momentum;
    const denominator = Math.max(1, this.warmupIters - 1);
    const m = this.momentumWarmup + ((this.momentum - this.momentumWarmup) * (currIter - 1)) / denominator;
    return Math.min(this.momentum, m);
  }

  /**
   * Updates the momentum (in `engine.state[name]`) and then the EMA weights on `event`.
   *
   * @param engine - the trainer.
   * @param options - state attribute name and event.
   * @throws RangeError when `engine.state` already has the attribute `name` (another EMA handler uses it).
   */
  attach(engine: EngineLike, options: EMAAttachOptions = {}): void {
    const { name = 'ema_momentum', event = Events.ITERATION_COMPLETED } = options;
    if (name in engine.state) {
      throw new RangeError(`Attribute: '${name}' is already in Engine.state. Thus it might be overridden by other EMA ` +
        'handlers. Please select another name.');
    }
    engine.state[name] = 0;
    engine.on(event, (e: EngineLike) => {
      e.state[name] = this.getMomentum(e.state.iteration);
    });
    engine.on(event, (e: EngineLike) => this.update(e.state[name] as number));
  }

  /**
   * One EMA step over every weight: `ema = (1 - momentum) * ema + momentum * model`.
   *
   * @param momentum - the weight of the current model.
   */
  update(momentum: number): void {
    const src = layerWeights(this.model);
    tf.tidy(() => {
      layerWeights(this.emaModel).forEach((w, i) => {
        const v = w.read();
        w.write(tf.add(tf.mul(v, 1 - momentum), tf.mul((src[i] as typeof w).read(), momentum)));
      });
    });
  }

  /**
   * The EMA weights as a checkpointable state (the `tf.LayersModel` state kindling's checkpoints store).
   *
   * @returns a promise of the state.
   */
  stateDict(): Promise<unknown> {
    return captureState(this.emaModel);
  }

  /**
   * Restores EMA weights saved by {@link EMAHandler.stateDict}.
   *
   * @param state - the saved state.
   * @returns a promise resolved when the weights are restored.
   * @throws {@link CheckpointError} when the state does not fit the EMA model.
   */
  loadStateDict(state: unknown): Promise<void> {
    return restoreState(this.emaModel, state, 'ema');
  }
}
