/**
 * @module Port of ignite/engine/__init__.py `create_supervised_trainer` / `create_supervised_evaluator` and the
 * named step factories. Argument validation follows the order of Ignite's `_check_arg(on_tpu, on_mps, amp_mode, scaler)` with kindling's names.
 * Deviations: an unknown `ampMode` string is rejected (Ignite silently uses the plain step); `device` names a
 * TensorFlow.js backend, activated at STARTED (TF.js moves data between backends itself, so a model created on
 * another backend still works instead of failing with a device mismatch).
 */

import type * as tf from '@tensorflow/tfjs-core';
import type { AmpDtype, GradScaler } from '../amp/index.js';
import { GradScaler as GradScalerClass } from '../amp/index.js';
import { DeterministicEngine } from '../deterministic/index.js';
import { Engine, Events, type Logger } from '../engine/index.js';
import { activateBackend, resolveDevice } from '../backends/device.js';
import {
  makeEvaluationStep,
  makeTrainingStep,
  type EvalOutputTransform,
  type StepMode,
  type StepOptions,
  type TrainableModel,
  type TrainingStepOptions,
} from './steps.js';

/** Mixed-precision mode: `'amp'` (autocast) or `'apex'` (autocast + dynamic loss scaling owned by the trainer). */
export type AmpMode = 'amp' | 'apex';

/** Options of {@link createSupervisedTrainer}. */
export interface SupervisedTrainerOptions<M> extends Omit<TrainingStepOptions<M>, 'scaler'> {
  /** `true` returns a `DeterministicEngine`. @defaultValue false */
  deterministic?: boolean;
  /** Mixed precision. @defaultValue none */
  ampMode?: AmpMode | null;
  /** `true` creates a `GradScaler` stored on `trainer.state.scaler`; an instance is used as given. Needs `ampMode: 'amp'`. */
  scaler?: boolean | GradScaler;
  /** Where the trainer and its handlers log (see `setupLogger`). @defaultValue the engine's default logger */
  logger?: Logger;
}

/** Options of {@link createSupervisedEvaluator}. */
export interface SupervisedEvaluatorOptions<M> extends StepOptions<M> {
  /** Metrics attached as `metric.attach(evaluator, name)`. */
  metrics?: Record<string, { attach(engine: Engine<unknown, unknown>, name: string): unknown }>;
  /** Output of each iteration. @defaultValue `[yPred, y]` */
  outputTransform?: EvalOutputTransform;
  /** `'amp'` autocasts the forward pass; other modes use the plain step. */
  ampMode?: AmpMode | null;
  /** Where the evaluator and its handlers log (see `setupLogger`). @defaultValue the engine's default logger */
  logger?: Logger;
}

function checkAmpMode(ampMode: unknown): void {
  if (ampMode !== undefined && ampMode !== null && ampMode !== 'amp' && ampMode !== 'apex') {
    throw new RangeError(`ampMode should be 'amp', 'apex' or null, got ${JSON.stringify(ampMode)}`);
  }
}

/** Ignite's `_check_arg`, in its order (device, ampMode, scaler), with TensorFlow.js devices. */
function checkArgs(device: string | null | undefined, ampMode: unknown, scaler: unknown): string | null {
  checkAmpMode(ampMode);
  const d = typeof device === 'string' ? device.toLowerCase() : '';
  if (d.includes('mps') && ampMode) {
    throw new RangeError("ampMode cannot be used with mps device. Consider using ampMode=null or a TensorFlow.js backend such as device='webgl'.");
  }
  // Ignite's check 2 (TPU without XLA support) always applies: TensorFlow.js has no XLA/TPU backend, so
  // resolveDevice rejects 'xla'/'tpu' here, before check 3 (amp with xla) could be reached.
  const backend = resolveDevice(device);
  if (scaler !== undefined && scaler !== null && scaler !== false && ampMode !== 'amp') {
    const shown = scaler === true ? 'true' : 'a GradScaler';
    const mode = typeof ampMode === 'string' ? `'${ampMode}'` : 'null';
    throw new RangeError(`scaler argument is ${shown}, but ampMode is ${mode}. Consider using ampMode='amp'.`);
  }
  return backend;
}

/**
 * Frees the step's tensors when `run()` settles other than by an interrupt (a resumed run continues the window): a
 * rejected run (handler, metric or batch error) fires no COMPLETED, nor does one whose error an EXCEPTION_RAISED
 * handler swallowed. With `onlyOnRejection`, a run that resolves keeps its tensors (the evaluator's last output).
 */
function releaseWhenRunSettles(engine: Engine<unknown, unknown>, release: () => void, onlyOnRejection = false): void {
  const run = engine.run.bind(engine);
  let pending = 0; // a re-entrant run() call rejects at once: the pending run keeps its tensors
  engine.run = async (data, options) => {
    pending++;
    let rejected = true;
    try {
      const state = await run(data, options);
      rejected = false;
      return state;
    } finally {
      pending--;
      if (pending === 0 && engine.lastEventName !== Events.INTERRUPT && (rejected || !onlyOnRejection)) release();
    }
  };
}

/**
 * Activates the device at STARTED and frees the step's tensors (held output, gradient window) when the run ends:
 * at COMPLETED, or at TERMINATE when `terminate({ skipCompleted: true })` skips COMPLETED. Not at INTERRUPT: a
 * resumed run continues the window.
 */
function manage(engine: Engine<unknown, unknown>, backend: string | null, release: (() => void) | null): void {
  if (release === null) {
    engine.on(Events.STARTED, () => activateBackend(backend));
    return;
  }
  const releaseAtEnd = (): void => release();
  const releaseIfSkipped = (e: Engine<unknown, unknown>): void => {
    if (e.shouldTerminate === 'skip_completed') release();
  };
  engine.on(Events.STARTED, async (e) => {
    await activateBackend(backend);
    // Registered at STARTED so that they run after the user's handlers, which may still read the output.
    if (!e.hasEventHandler(releaseAtEnd, Events.COMPLETED)) e.on(Events.COMPLETED, releaseAtEnd);
    if (!e.hasEventHandler(releaseIfSkipped, Events.TERMINATE)) e.on(Events.TERMINATE, releaseIfSkipped);
  });
}

/**
 * Creates a trainer: an Engine whose process function trains `model` with Ignite's supervised step.
 *
 * @param model - a `tf.LayersModel`, or any `{ apply(x, { training }), trainableWeights }`.
 * @param optimizer - a `tf.Optimizer`.
 * @param lossFn - `lossFn(yPred, y)` returning a scalar tensor (see `crossEntropyLoss`, `mseLoss`, ...).
 * @param options - device, nonBlocking, prepareBatch, modelFn, modelTransform, outputTransform, deterministic,
 *   ampMode, ampDtype, scaler, gradientAccumulationSteps.
 * @returns the trainer (`DeterministicEngine` with `deterministic: true`); `state.output` is the loss as a number.
 * @throws RangeError for invalid combinations, with Ignite's messages.
 * @example
 * ```ts
 * const trainer = createSupervisedTrainer(model, tf.train.adam(1e-3), crossEntropyLoss, { gradientAccumulationSteps: 4 });
 * await trainer.run(trainLoader, { maxEpochs: 5 });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.create_supervised_trainer.html
 */
export function createSupervisedTrainer<M extends TrainableModel>(
  model: M,
  optimizer: tf.Optimizer,
  lossFn: (yPred: never, y: never) => tf.Tensor,
  options: SupervisedTrainerOptions<M> = {},
): Engine<unknown, unknown> {
  const backend = checkArgs(options.device, options.ampMode, options.scaler);
  const scaler = options.scaler === true ? new GradScalerClass() : options.scaler === false ? null : (options.scaler ?? null);
  const mode: StepMode = options.ampMode ?? 'plain';
  const step = makeTrainingStep(mode, model, optimizer, lossFn, { ...options, scaler });
  const engineOptions = options.logger === undefined ? {} : { logger: options.logger };
  const trainer = options.deterministic === true ? new DeterministicEngine(step, engineOptions) : new Engine(step, engineOptions);
  if (options.scaler === true) trainer.state['scaler'] = scaler;
  const release = (): void => {
    step.held.release();
    step.window.reset();
  };
  manage(trainer, backend, release);
  releaseWhenRunSettles(trainer, release);
  return trainer;
}

/**
 * Creates an evaluator: an Engine running `model` with `training: false`, with the given metrics attached.
 *
 * @param model - the model.
 * @param options - metrics, device, nonBlocking, prepareBatch, modelFn, modelTransform, outputTransform, ampMode,
 *   ampDtype.
 * @returns the evaluator; `state.output` is `[yPred, y]` by default: tensors valid until the next iteration, and
 *   the last output until the next `run()` starts (or `tf.dispose(evaluator.state.output)`).
 * @throws RangeError for an invalid `ampMode` or device.
 * @example
 * ```ts
 * const evaluator = createSupervisedEvaluator(model, { metrics: { accuracy: new Accuracy() } });
 * const { metrics } = await evaluator.run(valLoader);
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.engine.create_supervised_evaluator.html
 */
export function createSupervisedEvaluator<M extends TrainableModel>(
  model: M,
  options: SupervisedEvaluatorOptions<M> = {},
): Engine<unknown, unknown> {
  const backend = checkArgs(options.device, options.ampMode, undefined);
  const step = makeEvaluationStep(options.ampMode === 'amp' ? 'amp' : 'plain', model, options);
  const evaluator = new Engine(step, options.logger === undefined ? {} : { logger: options.logger });
  // Ignite's `[yPred, y] = evaluator.state.output` after run(): the last output stays alive until the next run()
  // starts (or the user disposes it), so repeated runs hold one output at most.
  evaluator.on(Events.STARTED, () => step.held.release());
  manage(evaluator, backend, null);
  releaseWhenRunSettles(evaluator, () => step.held.release(), true);
  for (const [name, metric] of Object.entries(options.metrics ?? {})) metric.attach(evaluator, name);
  return evaluator;
}

/**
 * Ignite's `supervised_training_step`: the plain training step, for custom engines.
 *
 * @param model - the model.
 * @param optimizer - the optimizer.
 * @param lossFn - the loss.
 * @param options - step options.
 * @returns a process function.
 */
export function supervisedTrainingStep<M extends TrainableModel>(model: M, optimizer: tf.Optimizer, lossFn: (yPred: never, y: never) => tf.Tensor, options: TrainingStepOptions<M> = {}): ReturnType<typeof makeTrainingStep<M>> {
  return makeTrainingStep('plain', model, optimizer, lossFn, options);
}

/**
 * Ignite's `supervised_training_step_amp`: autocast forward/loss/backward, optional `scaler`.
 *
 * @param model - the model.
 * @param optimizer - the optimizer.
 * @param lossFn - the loss.
 * @param options - step options, `ampDtype`, `scaler`.
 * @returns a process function.
 */
export function supervisedTrainingStepAmp<M extends TrainableModel>(model: M, optimizer: tf.Optimizer, lossFn: (yPred: never, y: never) => tf.Tensor, options: TrainingStepOptions<M> = {}): ReturnType<typeof makeTrainingStep<M>> {
  return makeTrainingStep('amp', model, optimizer, lossFn, options);
}

/**
 * Ignite's `supervised_training_step_apex`: autocast plus dynamic loss scaling owned by the step (apex O1).
 *
 * @param model - the model.
 * @param optimizer - the optimizer.
 * @param lossFn - the loss.
 * @param options - step options (a `scaler` is ignored, as apex ignores it).
 * @returns a process function.
 */
export function supervisedTrainingStepApex<M extends TrainableModel>(model: M, optimizer: tf.Optimizer, lossFn: (yPred: never, y: never) => tf.Tensor, options: TrainingStepOptions<M> = {}): ReturnType<typeof makeTrainingStep<M>> {
  return makeTrainingStep('apex', model, optimizer, lossFn, { ...options, scaler: null });
}

/**
 * Ignite's `supervised_evaluation_step`.
 *
 * @param model - the model.
 * @param options - step options and output transform.
 * @returns a process function.
 */
export function supervisedEvaluationStep<M extends TrainableModel>(model: M, options: StepOptions<M> & { outputTransform?: EvalOutputTransform } = {}): ReturnType<typeof makeEvaluationStep<M>> {
  return makeEvaluationStep('plain', model, options);
}

/**
 * Ignite's `supervised_evaluation_step_amp`: autocast of the forward pass.
 *
 * @param model - the model.
 * @param options - step options, `ampDtype`, output transform.
 * @returns a process function.
 */
export function supervisedEvaluationStepAmp<M extends TrainableModel>(model: M, options: StepOptions<M> & { outputTransform?: EvalOutputTransform; ampDtype?: AmpDtype } = {}): ReturnType<typeof makeEvaluationStep<M>> {
  return makeEvaluationStep('amp', model, options);
}
