/**
 * @module Port of ignite/contrib/engines/common.py `setup_common_training_handlers`: the usual set of training
 * handlers wired in one call. Node-only (it uses the terminal `ProgressBar` and `DiskSaver`).
 * Deviations: no GPU stats or CUDA cache options (TensorFlow.js has neither); `lrScheduler` is any kindling
 * parameter scheduler (or any handler), attached to ITERATION_STARTED as Ignite does for its own schedulers.
 */

import { Events, type Engine, type Handler } from '../engine/index.js';
import { Checkpoint, type CheckpointOptions, type SaveHandler } from '../handlers/checkpoint/index.js';
import { ProgressBar, type ProgressStream } from '../handlers/progress-bar/index.js';
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
 * the output entries, and progress bars (one per iteration range, one per epoch).
 *
 * @param trainer - the trainer engine.
 * @param options - which handlers to attach, see {@link CommonTrainingHandlersOptions}.
 * @returns the trainer, for chaining.
 * @throws TypeError when `toSave` is given without `outputPath` or `saveHandler`.
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
  if (trainSampler !== undefined) trainer.on(Events.EPOCH_STARTED, (e) => trainSampler.setEpoch(e.state.epoch - 1));
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
  if (options.withPbars ?? true) {
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
