/**
 * @module Port of ignite/contrib/engines/common.py: the usual training handlers wired in one call
 * (`setupCommonTrainingHandlers`, which is also Ignite's `setup_common_distrib_training_handlers`), best-model
 * saving and early stopping by a validation score. Node-only (it uses the terminal `ProgressBar` and `DiskSaver`).
 * The logging helpers (`setupTbLogging`, ...) are in common-logging.ts.
 * Deviations: no GPU stats or CUDA cache options (TensorFlow.js has neither); `lrScheduler` is any kindling
 * parameter scheduler (or any handler), attached to ITERATION_STARTED as Ignite does for its own schedulers;
 * `trainSampler.setEpoch` is also called in a single process (Ignite ignores the sampler there with a warning).
 */

import { getRank } from '../distributed/context.js';
import { Events, type Engine, type EngineLike, type Handler } from '../engine/index.js';
import { Checkpoint, globalStepFromEngine, isLayersModel, type CheckpointOptions, type SaveHandler } from '../handlers/checkpoint/index.js';
import { EarlyStopping } from '../handlers/early-stopping.js';
import { ProgressBar, type ProgressStream } from './progress-bar/index.js';
import { TerminateOnNan } from '../handlers/terminate-on-nan.js';
import { RunningAverage } from '../metrics/index.js';
import { DiskSaver } from './disk-saver.js';

/** Options of {@link setupCommonTrainingHandlers}. */
export interface CommonTrainingHandlersOptions {
  /** Objects to checkpoint every `saveEvery` iterations (needs `outputPath` or `saveHandler`). */
  toSave?: Record<string, unknown>;
  /** Iterations between checkpoints. @defaultValue 1000 */
  saveEvery?: number;
  /** Directory of the checkpoints (a `DiskSaver` with `requireEmpty: false`). */
  outputPath?: string;
  /** Where checkpoints go instead of `outputPath`. */
  saveHandler?: SaveHandler;
  /** Extra `Checkpoint` options (Ignite's `**kwargs`), e.g. `{ nSaved: 2 }`. */
  checkpointOptions?: Omit<CheckpointOptions, 'toSave' | 'saveHandler'>;
  /** A parameter scheduler (or any handler), attached to ITERATION_STARTED. */
  lrScheduler?: { attach(engine: Engine<unknown, unknown>): unknown } | Handler<Engine<unknown, unknown>>;
  /** Names of the trainer's output entries to average with `RunningAverage` (object keys, or positions of an array output). */
  outputNames?: readonly string[];
  /** Show progress bars. @defaultValue true */
  withPbars?: boolean;
  /** Show the per-iteration bar (besides the per-epoch bar). @defaultValue true */
  withPbarOnIters?: boolean;
  /** Iterations between updates of the per-iteration bar. @defaultValue 100 */
  logEveryIters?: number;
  /** Stop when the output contains NaN or Inf (`TerminateOnNan`). @defaultValue true */
  stopOnNan?: boolean;
  /** A sampler whose `setEpoch(epoch)` is called at each EPOCH_STARTED (distributed samplers). */
  trainSampler?: { setEpoch(epoch: number): void };
  /** Stream of the progress bars. @defaultValue process.stderr */
  stream?: ProgressStream;
}

function outputEntry(name: string, index: number): (output: unknown) => number {
  return (output) => {
    if (Array.isArray(output)) return output[index] as number;
    if (output !== null && typeof output === 'object') return (output as Record<string, number>)[name] as number;
    throw new TypeError(`outputNames expects the trainer output to be an object or an array, got ${typeof output}`);
  };
}

/**
 * Attaches the common training handlers: TerminateOnNan, the LR scheduler, periodic checkpoints, running averages of
 * the output entries, and progress bars (one per iteration range, one per epoch). In a distributed job (Ignite's
 * `setup_common_distrib_training_handlers`) every rank attaches the same handlers except the progress bars, which
 * only rank 0 attaches; the default `DiskSaver` writes on rank 0 only.
 *
 * @param trainer - the trainer engine.
 * @param options - which handlers to attach, see {@link CommonTrainingHandlersOptions}.
 * @returns the trainer, for chaining.
 * @throws TypeError when `toSave` is given without `outputPath` or `saveHandler`.
 * @throws RangeError when both `outputPath` and `saveHandler` are given.
 * @example
 * ```ts
 * setupCommonTrainingHandlers(trainer, {
 *   toSave: { trainer, model, optimizer }, outputPath: 'runs/exp1', saveEvery: 500,
 *   lrScheduler: new CosineAnnealingScheduler(optimizer, 'lr', { startValue: 1e-3, endValue: 1e-5, cycleSize: 10_000 }),
 *   outputNames: ['loss'],
 * });
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.contrib.engines.common.html
 */
export function setupCommonTrainingHandlers(
  trainer: Engine<unknown, unknown>,
  options: CommonTrainingHandlersOptions = {},
): Engine<unknown, unknown> {
  const { trainSampler, lrScheduler, toSave, outputNames = [] } = options;
  if (options.outputPath !== undefined && options.saveHandler !== undefined) {
    throw new RangeError('Arguments outputPath and saveHandler are mutually exclusive. Please, define only one of them');
  }
  if (trainSampler !== undefined) trainer.on(Events.EPOCH_STARTED, function distribSetEpoch(e) { trainSampler.setEpoch(e.state.epoch - 1); });
  if (options.stopOnNan ?? true) trainer.on(Events.ITERATION_COMPLETED, new TerminateOnNan());
  if (lrScheduler !== undefined) {
    if (typeof lrScheduler === 'object' && 'attach' in lrScheduler) lrScheduler.attach(trainer);
    else trainer.on(Events.ITERATION_STARTED, lrScheduler);
  }
  if (toSave !== undefined) {
    const saveHandler =
      options.saveHandler ?? (options.outputPath !== undefined ? new DiskSaver(options.outputPath, { requireEmpty: false }) : undefined);
    if (saveHandler === undefined) {
      throw new TypeError('If toSave is given, outputPath or saveHandler should be given too (where to write the checkpoints).');
    }
    const checkpoint = new Checkpoint({ filenamePrefix: 'training', ...options.checkpointOptions, toSave, saveHandler });
    trainer.on(Events.ITERATION_COMPLETED({ every: options.saveEvery ?? 1000 }), checkpoint);
  }
  outputNames.forEach((name, i) => new RunningAverage({ outputTransform: outputEntry(name, i) }).attach(trainer, name));
  if ((options.withPbars ?? true) && getRank() === 0) {
    const stream = options.stream ?? process.stderr;
    if (options.withPbarOnIters ?? true) {
      new ProgressBar({ persist: false, stream }).attach(trainer, {
        metricNames: 'all',
        eventName: Events.ITERATION_COMPLETED({ every: options.logEveryIters ?? 100 }),
      });
    }
    new ProgressBar({ persist: true, barFormat: '', stream }).attach(trainer, {
      eventName: Events.EPOCH_STARTED,
      closingEventName: Events.COMPLETED,
    });
  }
  return trainer;
}

/** Options of {@link genSaveBestModelsByValScore} and {@link saveBestModelByValScore}. */
export interface SaveBestOptions extends Omit<CheckpointOptions, 'toSave' | 'saveHandler'> {
  /** Number of best models kept. @defaultValue 3 */
  nSaved?: number;
  /** The trainer whose epoch numbers the files (Ignite's `global_step_from_engine(trainer)`). */
  trainer?: Pick<Engine, 'state'>;
  /** Score name prefix: `<tag>_<metricName>`. @defaultValue `'val'` */
  tag?: string;
}

function isSingleObject(models: object): boolean {
  return isLayersModel(models) || typeof (models as { stateDict?: unknown }).stateDict === 'function' ||
    typeof (models as { applyGradients?: unknown }).applyGradients === 'function';
}

/**
 * Saves the `nSaved` best models by a validation metric each time `evaluator` completes (highest score kept).
 *
 * @param saveHandler - where to save (any save handler, e.g. a `DiskSaver` or a `BaseSaveHandler` subclass).
 * @param evaluator - the engine whose `state.metrics[metricName]` is the score.
 * @param models - a model (saved as `model`), or an object of checkpointable objects.
 * @param metricName - the metric.
 * @param options - `nSaved` (3), `trainer`, `tag` (`'val'`) and other `Checkpoint` options.
 * @returns the `Checkpoint` handler attached to `evaluator` on COMPLETED.
 */
export function genSaveBestModelsByValScore(
  saveHandler: SaveHandler,
  evaluator: Engine<unknown, unknown>,
  models: object,
  metricName: string,
  options: SaveBestOptions = {},
): Checkpoint {
  const { trainer, tag = 'val', nSaved = 3, ...rest } = options;
  const toSave = isSingleObject(models) ? { model: models } : (models as Record<string, unknown>);
  const handler = new Checkpoint({
    filenamePrefix: 'best', nSaved, scoreName: `${tag}_${metricName.toLowerCase()}`,
    scoreFunction: Checkpoint.getDefaultScoreFn(metricName),
    ...(trainer !== undefined ? { globalStepTransform: globalStepFromEngine(trainer) } : {}),
    ...rest, toSave, saveHandler,
  });
  evaluator.on(Events.COMPLETED, handler);
  return handler;
}

/**
 * Saves the `nSaved` best models by a validation metric into a directory (a `DiskSaver` that accepts a non-empty
 * directory).
 *
 * @param outputPath - the directory.
 * @param evaluator - the engine whose `state.metrics[metricName]` is the score.
 * @param model - the model to save.
 * @param metricName - the metric.
 * @param options - `nSaved` (3), `trainer`, `tag` (`'val'`) and other `Checkpoint` options.
 * @returns the `Checkpoint` handler attached to `evaluator` on COMPLETED.
 */
export function saveBestModelByValScore(
  outputPath: string,
  evaluator: Engine<unknown, unknown>,
  model: object,
  metricName: string,
  options: SaveBestOptions = {},
): Checkpoint {
  return genSaveBestModelsByValScore(new DiskSaver(outputPath, { requireEmpty: false }), evaluator, model, metricName, options);
}

/**
 * Stops `trainer` when the validation metric has not improved for `patience` evaluations (higher is better).
 *
 * @param patience - evaluations without improvement before stopping.
 * @param evaluator - the engine whose `state.metrics[metricName]` is the score.
 * @param trainer - the engine to stop.
 * @param metricName - the metric.
 * @returns the `EarlyStopping` handler attached to `evaluator` on COMPLETED.
 * @throws RangeError when `patience` is not a positive integer.
 */
export function addEarlyStoppingByValScore(
  patience: number,
  evaluator: Engine<unknown, unknown>,
  trainer: Engine<unknown, unknown>,
  metricName: string,
): EarlyStopping {
  // Ignite's get_default_score_fn(metric_name): the metric as is, higher is better.
  const scoreFunction = (engine: EngineLike): number => engine.state.metrics[metricName] as number;
  const handler = new EarlyStopping({ patience, scoreFunction, trainer });
  evaluator.on(Events.COMPLETED, handler);
  return handler;
}
