/**
 * @module Port of ignite/engine/__init__.py `supervised_training_step{,_amp,_apex}` and
 * `supervised_evaluation_step{,_amp}`: ONE parameterised step (the variants are options, not copies).
 *
 * Training step, exactly Ignite's shape: reset the gradient window when `(iteration - 1) % k === 0`,
 * prepare the batch, forward, loss, divide by k, backward (gradients summed into the window), apply the window's
 * gradients when `iteration % k === 0`, return `outputTransform(x, y, yPred, loss * k)`.
 * TF.js specifics: the forward and backward pass run in one synchronous `tf.variableGrads` (inside `autocast` for
 * amp/apex); `optimizer.applyGradients` is the optimizer step.
 */

import * as tf from '@tensorflow/tfjs-core';
// TensorFlow.js's own gradient functions: @tensorflow/tfjs-core alone does not register them, tfjs-layers does on
// import (as @tensorflow/tfjs does), and the steps differentiate any model. This adds TensorFlow.js's standard
// gradients only; kindling's own (fused kernels, Relu) are installed by `installKernels()` or a kindling backend.
import '@tensorflow/tfjs-layers';
import { GradScaler, autocast, defaultAmpDtype, type AmpDtype } from '../amp/index.js';
import type { Engine, ProcessFunction } from '../engine/index.js';
import { isThenable } from '../engine/index.js';
import { prepareBatch as defaultPrepareBatch, type PrepareBatchFn } from './convert.js';
import { assertStepFinite } from './anomaly.js';
import { applyGradients } from '../backends/optimizer-update.js';
import { GradientWindow, OutputTensors, collectTensors, disposeExcept, isTensor, registerGradientWindow } from './tensors.js';

/** A model kindling can train: a `tf.LayersModel`, or anything with `apply(x, { training })` and trainable weights. */
export interface TrainableModel {
  apply(...args: never[]): unknown;
  /** tf.Variables, or layer variables with `read()` returning one (tfjs-layers' `LayerVariable`). */
  readonly trainableWeights: readonly object[];
}

/** `modelFn(model, x, { training })`: how the model is called. @defaultValue `model.apply(x, { training })` */
export type ModelFn<M> = (model: M, x: unknown, kwargs: { training: boolean }) => unknown;

/** `outputTransform(x, y, yPred, loss)` of the trainer: its (possibly async) result becomes `state.output`. */
export type TrainOutputTransform = (x: unknown, y: unknown, yPred: unknown, loss: tf.Scalar) => unknown;

/** `outputTransform(x, y, yPred)` of the evaluator. @defaultValue `[yPred, y]` */
export type EvalOutputTransform = (x: unknown, y: unknown, yPred: unknown) => unknown;

/** Options shared by the step factories. */
export interface StepOptions<M> {
  /** The backend batches are converted for (passed to `prepareBatch`). */
  device?: string | null;
  /** Read values with `await tensor.data()` instead of `dataSync()`. @defaultValue false */
  nonBlocking?: boolean;
  /** Splits and converts a batch into `[x, y]`. @defaultValue {@link prepareBatch} */
  prepareBatch?: PrepareBatchFn;
  /** Calls the model. @defaultValue `model.apply(x, { training })` */
  modelFn?: ModelFn<M>;
  /** Maps the model output to the prediction. @defaultValue identity */
  modelTransform?: (output: unknown) => unknown;
  /** Half-precision dtype of autocast (amp/apex modes). @defaultValue per backend (float16 on GPUs, else bfloat16) */
  ampDtype?: AmpDtype;
}

/** Options of the training step factories. */
export interface TrainingStepOptions<M> extends StepOptions<M> {
  /** Result of each iteration. @defaultValue the loss as a number (Ignite's `loss.item()`), undivided by k */
  outputTransform?: TrainOutputTransform;
  /** k: gradients are accumulated over k iterations before a step. @defaultValue 1 */
  gradientAccumulationSteps?: number;
  /** Dynamic loss scaling (amp mode). */
  scaler?: GradScaler | null;
  /**
   * Check x, y, the prediction, the loss and the gradients for NaN/Infinity on every iteration, before the optimizer
   * step, and throw a {@link NonFiniteError} naming the first bad tensor (one device read per iteration). With a
   * loss scaler the gradients are not checked (the scaler skips steps whose gradients overflow).
   * @defaultValue false
   */
  detectAnomaly?: boolean;
}

/** Mixed-precision mode of a step: none, autocast (`'amp'`), or autocast with trainer-owned loss scaling (`'apex'`). */
export type StepMode = 'plain' | 'amp' | 'apex';

const K_MESSAGE = 'Gradient_accumulation_steps must be strictly positive. No gradient accumulation if the value set to one (default).';
const APEX_MAX_SCALE = 2 ** 24;

/** @internal Validates k with Ignite's message. */
export function checkAccumulationSteps(k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k <= 0) throw new RangeError(`${K_MESSAGE} Got ${String(k)}.`);
  return k;
}

const isVariable = (v: unknown): v is tf.Variable => v instanceof tf.Variable;

/** The model's trainable tf.Variables (read on every step: a Sequential without inputShape builds on first call). */
function variablesOf(model: TrainableModel): tf.Variable[] {
  if (!Array.isArray(model.trainableWeights)) {
    throw new TypeError('model should be a tf.LayersModel or an object with apply(x, { training }) and trainableWeights');
  }
  return model.trainableWeights.map((w, i) => {
    const v: unknown = typeof (w as { read?: unknown }).read === 'function' && !isTensor(w) ? (w as { read(): unknown }).read() : w;
    if (!isVariable(v)) throw new TypeError(`model.trainableWeights[${i}] is not a tf.Variable (or a layer variable with read())`);
    return v;
  });
}

/** The variables a step trains: at least one (a model without any cannot be trained). */
function stepVariables(model: TrainableModel): tf.Variable[] {
  const vars = variablesOf(model);
  if (vars.length === 0) throw new TypeError('model has no trainable weights; build it (e.g. give the first layer an inputShape) or mark weights trainable');
  return vars;
}

const defaultModelFn = <M>(model: M, x: unknown, kwargs: { training: boolean }): unknown =>
  (model as unknown as { apply(x: unknown, kwargs: { training: boolean }): unknown }).apply(x, kwargs);

function checkLoss(loss: unknown): tf.Scalar {
  if (!isTensor(loss)) throw new TypeError(`lossFn should return a scalar tensor, got ${typeof loss}`);
  if (loss.rank !== 0) {
    throw new RangeError(`lossFn should return a scalar tensor, got shape [${loss.shape.join(', ')}]; reduce it (e.g. tf.mean) or use reduction 'mean'`);
  }
  return loss as tf.Scalar;
}

/**
 * tfjs-core keeps the tensors it saved for the backward pass on the tape until a backward pass completes; when the
 * forward or backward function throws (e.g. a loss shape error), they leak. Dispose them after a failed step.
 */
function disposeAbandonedTape(): void {
  const state = tf.engine().state;
  if (state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null as unknown as typeof state.activeTape;
}

function readLoss(nonBlocking: boolean): TrainOutputTransform {
  return (_x, _y, _yPred, loss) => (nonBlocking ? loss.data().then((d) => d[0] as number) : (loss.dataSync()[0]));
}

interface Common<M> {
  device: string | null;
  nonBlocking: boolean;
  prepare: PrepareBatchFn;
  modelFn: ModelFn<M>;
  modelTransform: (o: unknown) => unknown;
  dtype: () => AmpDtype;
}

function common<M>(options: StepOptions<M>): Common<M> {
  return {
    device: options.device ?? null,
    nonBlocking: options.nonBlocking ?? false,
    prepare: options.prepareBatch ?? defaultPrepareBatch,
    modelFn: options.modelFn ?? defaultModelFn,
    modelTransform: options.modelTransform ?? ((o) => o),
    dtype: () => options.ampDtype ?? defaultAmpDtype(tf.getBackend()),
  };
}

/** The tensors one iteration created, for disposal once the output is known. */
function finish(batch: unknown, created: unknown[], output: unknown, held: OutputTensors): void {
  const outTensors = collectTensors(output);
  disposeExcept(collectTensors(created), new Set([...collectTensors(batch), ...outTensors]));
  held.hold([...outTensors].filter((t) => !collectTensors(batch).has(t)));
}

/** A training step plus the objects a trainer needs to manage it. */
export interface TrainingStep<M> extends ProcessFunction<unknown, unknown> {
  /** Gradients of the current accumulation window. */
  readonly window: GradientWindow;
  /** Tensors of the last output. */
  readonly held: OutputTensors;
  /** The loss scaler in use (amp with scaler, or apex's own), or null. */
  readonly scaler: GradScaler | null;
  /** @internal The model. */
  readonly model: M;
}

/**
 * Builds a training step (the one implementation behind all training step factories).
 *
 * @param mode - `'plain'`, `'amp'` (autocast; with `options.scaler`, scaled loss) or `'apex'` (autocast + dynamic
 *   loss scaling owned by the step, capped at 2**24 as apex does).
 * @param model - the model.
 * @param optimizer - the optimizer.
 * @param lossFn - `lossFn(yPred, y)` returning a scalar.
 * @param options - step options.
 * @returns the process function.
 * @throws RangeError when `gradientAccumulationSteps <= 0` (Ignite's message).
 */
export function makeTrainingStep<M extends TrainableModel>(
  mode: StepMode,
  model: M,
  optimizer: tf.Optimizer,
  lossFn: (yPred: never, y: never) => tf.Tensor,
  options: TrainingStepOptions<M> = {},
): TrainingStep<M> {
  const k = checkAccumulationSteps(options.gradientAccumulationSteps ?? 1);
  const c = common(options);
  const outputTransform = options.outputTransform ?? readLoss(c.nonBlocking);
  const scaler = mode === 'apex' ? new GradScaler() : mode === 'amp' ? (options.scaler ?? null) : null;
  const window = new GradientWindow();
  const held = new OutputTensors();
  variablesOf(model);
  const step = async (engine: Engine<unknown, unknown>, batch: unknown): Promise<unknown> => {
    registerGradientWindow(engine, window);
    held.release();
    const iteration = engine.state.iteration;
    if ((iteration - 1) % k === 0) window.reset();
    const prepared = c.prepare(batch, c.device, c.nonBlocking);
    const [x, y] = isThenable(prepared) ? await prepared : prepared;
    let yPred: unknown = null;
    let loss: tf.Scalar | null = null;
    try {
      const vars = stepVariables(model);
      const backward = (): { value: tf.Scalar; grads: tf.NamedTensorMap } =>
        tf.variableGrads(() => {
          const out = c.modelTransform(c.modelFn(model, x, { training: true }));
          yPred = out;
          collectTensors(out).forEach((t) => tf.keep(t));
          const full = checkLoss(lossFn(out as never, y as never));
          const divided: tf.Scalar = k > 1 ? tf.div(full, k) : full;
          loss = tf.keep<tf.Scalar>(k > 1 ? tf.mul(divided, k) : divided.clone());
          return scaler !== null ? scaler.scale(divided) : divided;
        }, vars);
      const { value, grads } = mode === 'plain' ? backward() : autocast(c.dtype(), backward);
      value.dispose();
      // (with a loss scaler, infinite gradients are expected now and then: the scaler skips those steps)
      if (options.detectAnomaly === true) assertStepFinite({ x, y, yPred, loss, grads, checkGrads: scaler === null }, iteration);
      window.add(grads);
      if (iteration % k === 0) {
        const g = window.gradients as tf.NamedTensorMap;
        if (scaler === null) applyGradients(optimizer, g);
        else {
          await scaler.step(optimizer, g, { nonBlocking: c.nonBlocking });
          scaler.update();
          if (mode === 'apex' && scaler.getScale() > APEX_MAX_SCALE) scaler.update(APEX_MAX_SCALE);
        }
      }
      const result = outputTransform(x, y, yPred, loss as unknown as tf.Scalar);
      const output = isThenable(result) ? await result : result;
      finish(batch, [x, y, yPred, loss], output, held);
      return output;
    } catch (e) {
      disposeAbandonedTape();
      disposeExcept(collectTensors([x, y, yPred, loss]), collectTensors(batch));
      throw e;
    }
  };
  return Object.assign(step, { window, held, scaler, model });
}

/**
 * Builds an evaluation step: prepare the batch, run the model with `training: false` (inside autocast for amp),
 * return `outputTransform(x, y, yPred)`, by default `[yPred, y]`.
 *
 * @param mode - `'plain'` or `'amp'` (autocast of the forward pass).
 * @param model - the model.
 * @param options - step options and the output transform.
 * @returns the process function.
 */
export function makeEvaluationStep<M extends TrainableModel>(
  mode: 'plain' | 'amp',
  model: M,
  options: StepOptions<M> & { outputTransform?: EvalOutputTransform } = {},
): ProcessFunction<unknown, unknown> & { readonly held: OutputTensors } {
  const c = common(options);
  const outputTransform = options.outputTransform ?? ((_x: unknown, y: unknown, yPred: unknown) => [yPred, y]);
  const held = new OutputTensors();
  const step = async (_engine: Engine<unknown, unknown>, batch: unknown): Promise<unknown> => {
    held.release();
    const prepared = c.prepare(batch, c.device, c.nonBlocking);
    const [x, y] = isThenable(prepared) ? await prepared : prepared;
    let yPred: unknown = null;
    try {
      const forward = (): unknown => {
        const out = tf.tidy(() => c.modelTransform(c.modelFn(model, x, { training: false })) as tf.TensorContainer);
        return out;
      };
      yPred = mode === 'amp' ? autocast(c.dtype(), forward) : forward();
      const result = outputTransform(x, y, yPred);
      const output = isThenable(result) ? await result : result;
      finish(batch, [x, y, yPred], output, held);
      return output;
    } catch (e) {
      disposeExcept(collectTensors([x, y, yPred]), collectTensors(batch));
      throw e;
    }
  };
  return Object.assign(step, { held });
}
