/**
 * @module Port of the logging helpers of ignite/contrib/engines/common.py (`setup_tb_logging`, `_setup_logging`
 * and the tracker variants): training metrics, learning rates and evaluation metrics wired to a logger in one call.
 * Deviations: `setupAnyLogging` takes any kindling logger (Ignite's is deprecated in favour of per-tracker
 * functions); the cloud-tracker variants (MLflow, W&B, ClearML, Neptune, Visdom, Polyaxon) are replaced by
 * JSON Lines, CSV and dashboard variants: a custom tracker is a `BaseLogger` subclass passed to `setupAnyLogging`.
 */

import { Events, type Engine } from '../engine/index.js';
import { globalStepFromEngine, isOptimizer } from '../handlers/checkpoint/index.js';
import type { BaseLogger, LoggerOptions } from '../logging/base-logger.js';
import { DashboardLogger, type DashboardLoggerOptions } from './logging/dashboard-logger.js';
import { CsvLogger, JsonlLogger, TensorboardLogger, type FileLoggerOptions } from './logging/file-loggers.js';

/** What the logging helpers log, besides the trainer's metrics. */
export interface LoggingSetupOptions {
  /** An optimizer (its lr is logged as `lr/group_0`), or named optimizers (`<name>/lr/group_0`). */
  optimizers?: object | Readonly<Record<string, object>>;
  /** An evaluator (its metrics are logged as `validation/<metric>`), or named evaluators (`<name>/<metric>`). */
  evaluators?: Engine<unknown, unknown> | Readonly<Record<string, Engine<unknown, unknown>>>;
  /** Interval of the iteration-level records. @defaultValue 100 */
  logEveryIters?: number;
}

function isEngine(value: unknown): value is Engine<unknown, unknown> {
  const v = value as { on?: unknown; state?: unknown } | null;
  return v !== null && typeof v === 'object' && typeof v.on === 'function' && typeof v.state === 'object';
}

/**
 * Wires a logger to a trainer: the trainer's metrics every `logEveryIters` iterations (tag `training`), each
 * optimizer's learning rate at ITERATION_STARTED every `logEveryIters`, and each evaluator's metrics when it
 * completes, stepped by the trainer's epoch.
 *
 * @param logger - any kindling logger (a `BaseLogger` subclass, including your own tracker).
 * @param trainer - the trainer.
 * @param options - optimizers, evaluators, interval.
 * @returns the logger.
 * @throws TypeError when `optimizers` or `evaluators` has the wrong type.
 * @example
 * ```ts
 * const tracker = setupAnyLogging(new MyTrackerLogger('http://127.0.0.1:5000'), trainer,
 *   { optimizers: optimizer, evaluators: { training: trainEvaluator, validation: evaluator } });
 * ```
 */
export function setupAnyLogging<L extends BaseLogger>(logger: L, trainer: Engine<unknown, unknown>, options: LoggingSetupOptions = {}): L {
  const { optimizers, evaluators } = options;
  if (optimizers !== undefined && (optimizers === null || typeof optimizers !== 'object')) {
    throw new TypeError('Argument optimizers should be either a single optimizer or an object of optimizers');
  }
  if (evaluators !== undefined && (evaluators === null || typeof evaluators !== 'object')) {
    throw new TypeError('Argument evaluators should be either a single engine or an object of engines');
  }
  const every = options.logEveryIters ?? 100;
  logger.attachOutputHandler(trainer, { event: Events.ITERATION_COMPLETED({ every }), tag: 'training', metricNames: 'all' });
  if (optimizers !== undefined) {
    const named: [string | undefined, object][] = isOptimizer(optimizers) ? [[undefined, optimizers]] : Object.entries(optimizers);
    for (const [tag, optimizer] of named) {
      logger.attachOptParamsHandler(trainer, { optimizer, paramName: 'lr', event: Events.ITERATION_STARTED({ every }), ...(tag !== undefined ? { tag } : {}) });
    }
  }
  if (evaluators !== undefined) {
    const named = isEngine(evaluators) ? [['validation', evaluators] as const] : Object.entries(evaluators);
    const globalStepTransform = globalStepFromEngine(trainer);
    for (const [tag, evaluator] of named) {
      logger.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag, metricNames: 'all', globalStepTransform });
    }
  }
  return logger;
}

/**
 * TensorBoard logging of a trainer, its optimizers and evaluators (Ignite's `setup_tb_logging`).
 *
 * @param outputPath - the log directory.
 * @param trainer - the trainer.
 * @param options - optimizers, evaluators, interval, logger options.
 * @returns the logger (close it after training).
 */
export function setupTbLogging(outputPath: string, trainer: Engine<unknown, unknown>, options: LoggingSetupOptions & LoggerOptions = {}): TensorboardLogger {
  return setupAnyLogging(new TensorboardLogger(outputPath, loggerOptions(options)), trainer, options);
}

/**
 * JSON Lines logging (`<outputPath>/metrics.jsonl`), the format the dashboard reads.
 *
 * @param outputPath - the log directory.
 * @param trainer - the trainer.
 * @param options - optimizers, evaluators, interval, file options.
 * @returns the logger (close it after training).
 */
export function setupJsonlLogging(outputPath: string, trainer: Engine<unknown, unknown>, options: LoggingSetupOptions & FileLoggerOptions = {}): JsonlLogger {
  return setupAnyLogging(new JsonlLogger(outputPath, fileOptions(options)), trainer, options);
}

/**
 * CSV logging of scalars (`<outputPath>/metrics.csv`).
 *
 * @param outputPath - the log directory.
 * @param trainer - the trainer.
 * @param options - optimizers, evaluators, interval, file options.
 * @returns the logger (close it after training).
 */
export function setupCsvLogging(outputPath: string, trainer: Engine<unknown, unknown>, options: LoggingSetupOptions & FileLoggerOptions = {}): CsvLogger {
  return setupAnyLogging(new CsvLogger(outputPath, fileOptions(options)), trainer, options);
}

/**
 * Live-dashboard logging: starts a `DashboardLogger` (its `url` is the address) and wires it like the others.
 *
 * @param trainer - the trainer.
 * @param options - optimizers, evaluators, interval, and the dashboard's options (`logDir`, `runName`, `port`, `serve`).
 * @returns the logger (close it after training).
 * @throws Error when the port is in use.
 */
export async function setupDashboardLogging(
  trainer: Engine<unknown, unknown>,
  options: LoggingSetupOptions & DashboardLoggerOptions = {},
): Promise<DashboardLogger> {
  const { optimizers: _o, evaluators: _e, logEveryIters: _l, ...dashboardOptions } = options;
  return setupAnyLogging(await DashboardLogger.start(dashboardOptions), trainer, options);
}

function loggerOptions(options: LoggerOptions): LoggerOptions {
  return options.onError !== undefined ? { onError: options.onError } : {};
}

function fileOptions(options: FileLoggerOptions): FileLoggerOptions {
  return { ...loggerOptions(options), ...(options.filename !== undefined ? { filename: options.filename } : {}) };
}
