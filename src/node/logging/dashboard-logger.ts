/**
 * @module `DashboardLogger`: a JSON Lines logger whose log directory is served live by the dashboard.
 */

import { join } from 'node:path';
import { getRank } from '../../distributed/context.js';
import { Events, type Engine, type RemovableEventHandle } from '../../engine/index.js';
import { scalarRecords } from '../../logging/base-logger.js';
import { startDashboard, type Dashboard } from './dashboard-server.js';
import { JsonlLogger, type FileLoggerOptions } from './file-loggers.js';

/** Options of {@link DashboardLogger.start}. */
export interface DashboardLoggerOptions extends Omit<FileLoggerOptions, 'filename'> {
  /** Directory of all runs (the dashboard shows every run in it). @defaultValue `'runs'` */
  logDir?: string;
  /** This run's name (a sub-directory of `logDir`). @defaultValue a timestamp */
  runName?: string;
  /** Port of the dashboard; `0` picks a free one. @defaultValue 0 */
  port?: number;
  /** Start the web server (false: only write the run, for `kindling dashboard` to show). @defaultValue true */
  serve?: boolean;
  /** Host names the server accepts besides 127.0.0.1 and localhost (`'*'`: any). @defaultValue none */
  allowedHosts?: readonly string[];
  /** Receives the server's warnings (skipped runs and records, server errors). @defaultValue ignore them */
  onWarning?: (message: string) => void;
}

/** Options of {@link DashboardLogger.attachProgressHandler}. */
export interface ProgressHandlerOptions {
  /** Number of samples in a batch, for samples/s. @defaultValue the first dimension of the batch's first tensor */
  batchSize?: (batch: unknown) => number;
  /** Minimum seconds between two progress points (throttling). @defaultValue 0.5 */
  intervalSec?: number;
}

function guessBatchSize(batch: unknown): number {
  const first: unknown = Array.isArray(batch) ? (batch as unknown[])[0] : batch !== null && typeof batch === 'object' ? Object.values(batch)[0] : undefined;
  const shape = (first as { shape?: unknown } | undefined)?.shape;
  if (Array.isArray(shape) && typeof shape[0] === 'number') return shape[0];
  return Array.isArray(first) ? (first as unknown[]).length : 1;
}

/**
 * Logs like {@link JsonlLogger} into `<logDir>/<runName>/metrics.jsonl` and serves a live dashboard of every run in
 * `logDir` on 127.0.0.1 (charts of loss, metrics, learning rate and throughput, and epoch progress).
 *
 * @example
 * ```ts
 * const dash = await DashboardLogger.start({ logDir: 'runs', port: 0 });
 * console.log(`dashboard: ${dash.url}`);
 * dash.attachOutputHandler(trainer, { tag: 'training', outputTransform: (loss) => ({ loss }) });
 * dash.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag: 'validation', metricNames: 'all',
 *   globalStepTransform: () => trainer.state.iteration });
 * dash.attachOptParamsHandler(trainer, { optimizer });
 * dash.attachProgressHandler(trainer);
 * await trainer.run(loader, { maxEpochs: 5 });
 * await dash.close();
 * ```
 */
export class DashboardLogger extends JsonlLogger {
  #dashboard: Dashboard | null = null;

  private constructor(logDir: string, runName: string, options: FileLoggerOptions) {
    super(join(logDir, runName), { ...options, filename: 'metrics.jsonl' });
  }

  /**
   * Creates the logger and starts its dashboard.
   *
   * @param options - log directory, run name, port.
   * @returns the logger; `url` is the dashboard address.
   * @throws Error when the port is in use.
   */
  static async start(options: DashboardLoggerOptions = {}): Promise<DashboardLogger> {
    const logDir = options.logDir ?? 'runs';
    const runName = options.runName ?? new Date().toISOString().replace(/[:.]/g, '-');
    const logger = new DashboardLogger(logDir, runName, options);
    // In a distributed job only rank 0 logs, so only rank 0 serves (the others' url is null).
    if (options.serve !== false && getRank() === 0) {
      logger.#dashboard = await startDashboard({
        logDir,
        port: options.port ?? 0,
        ...(options.allowedHosts !== undefined ? { allowedHosts: options.allowedHosts } : {}),
        ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
      });
    }
    return logger;
  }

  /** The dashboard address, or `null` when not serving. */
  get url(): string | null {
    return this.#dashboard?.url ?? null;
  }

  /**
   * Logs epoch progress (`progress/epoch`, `progress/maxEpochs`, `progress/iteration`, `progress/epochLength`) and
   * throughput (`throughput/iterations_per_s`, `throughput/samples_per_s`), throttled in time and at each epoch end.
   *
   * @param engine - the trainer.
   * @param options - batch size function and throttling interval.
   * @returns the registration handle.
   */
  attachProgressHandler(engine: Engine<unknown, unknown>, options: ProgressHandlerOptions = {}): RemovableEventHandle {
    const batchSize = options.batchSize ?? guessBatchSize;
    const interval = options.intervalSec ?? 0.5;
    let lastTime = performance.now() / 1000;
    let lastIter = engine.state.iteration;
    let samples = 0;
    return engine.on([Events.ITERATION_COMPLETED, Events.EPOCH_COMPLETED], (e) => {
      const s = e.state;
      if (e.lastEventName === Events.ITERATION_COMPLETED) samples += batchSize(s.batch);
      const now = performance.now() / 1000;
      const dt = now - lastTime;
      if (dt < interval && e.lastEventName !== Events.EPOCH_COMPLETED) return;
      const values = new Map<string, number>([
        ['progress/epoch', s.epoch],
        ['progress/maxEpochs', s.maxEpochs ?? 0],
        ['progress/iteration', s.iteration],
        ['progress/epochLength', s.epochLength ?? 0],
      ]);
      if (dt > 0 && s.iteration > lastIter) {
        values.set('throughput/iterations_per_s', (s.iteration - lastIter) / dt);
        values.set('throughput/samples_per_s', samples / dt);
      }
      this.enqueue(scalarRecords(values, s.iteration));
      lastTime = now;
      lastIter = s.iteration;
      samples = 0;
    });
  }

  protected override async closeSink(): Promise<void> {
    const dashboard = this.#dashboard;
    this.#dashboard = null;
    // A dashboard that fails to close must not fail the run that logged to it.
    await dashboard?.close().catch(() => undefined);
  }
}
