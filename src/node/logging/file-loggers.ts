/**
 * @module Node-only file loggers: JSON Lines, CSV and TensorBoard event files. Records are appended by an async
 * queue (see `BaseLogger`), so training never waits on the disk, and a failing disk stops logging, not training.
 */

import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BaseLogger, type LoggerOptions } from '../../logging/base-logger.js';
import { summariseHistogram, type LogRecord } from '../../logging/records.js';
import { encodeEvent, frameRecord, recordsToEventBytes } from '../../logging/tfevents.js';

/** Options of the file loggers. */
export interface FileLoggerOptions extends LoggerOptions {
  /** File name inside the log directory (JSONL / CSV). @defaultValue `'metrics.jsonl'` / `'metrics.csv'` */
  filename?: string;
}

abstract class AppendingLogger extends BaseLogger {
  readonly path: string;
  #ready: Promise<void> | undefined;

  constructor(readonly logDir: string, filename: string, options: LoggerOptions) {
    super(options);
    this.path = join(logDir, filename);
  }

  protected abstract header(): string | Uint8Array | null;
  protected abstract encode(records: readonly LogRecord[]): string | Uint8Array;

  protected override async write(records: readonly LogRecord[]): Promise<void> {
    this.#ready ??= (async () => {
      await mkdir(this.logDir, { recursive: true });
      const head = this.header();
      if (head !== null) await writeFile(this.path, head, { flag: 'a' });
    })();
    await this.#ready;
    await appendFile(this.path, this.encode(records));
  }
}

/**
 * Writes one JSON object per record to `<logDir>/metrics.jsonl`:
 * `{"kind":"scalar","tag":"training/loss","step":10,"value":0.31,"wallTime":1764340000.1}`. Histograms are written
 * as summaries (`min`, `max`, `mean`, `count`). This is also the format the dashboard reads.
 *
 * @example
 * ```ts
 * const jsonl = new JsonlLogger('runs/exp1');
 * jsonl.attachOutputHandler(trainer, { tag: 'training', outputTransform: (loss) => ({ loss }) });
 * await jsonl.close();
 * ```
 */
export class JsonlLogger extends AppendingLogger {
  /**
   * @param logDir - directory to write into (created if missing).
   * @param options - file name and error callback.
   */
  constructor(logDir: string, options: FileLoggerOptions = {}) {
    super(logDir, options.filename ?? 'metrics.jsonl', options);
  }

  protected override header(): null {
    return null;
  }

  protected override encode(records: readonly LogRecord[]): string {
    return records.map((r) => JSON.stringify(toJson(r)) + '\n').join('');
  }
}

function toJson(r: LogRecord): Record<string, unknown> {
  return r.kind === 'histogram' ? summariseHistogram(r) : (r as unknown as Record<string, unknown>);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Writes scalar records to `<logDir>/metrics.csv` with the header `wall_time,step,tag,value` (text and histograms
 * are skipped: use the JSONL or TensorBoard logger for them).
 *
 * @example
 * ```ts
 * const csv = new CsvLogger('runs/exp1');
 * csv.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag: 'validation', metricNames: 'all' });
 * ```
 */
export class CsvLogger extends AppendingLogger {
  /**
   * @param logDir - directory to write into (created if missing).
   * @param options - file name and error callback.
   */
  constructor(logDir: string, options: FileLoggerOptions = {}) {
    super(logDir, options.filename ?? 'metrics.csv', options);
  }

  protected override header(): string {
    return 'wall_time,step,tag,value\n';
  }

  protected override encode(records: readonly LogRecord[]): string {
    return records
      .filter((r) => r.kind === 'scalar')
      .map((r) => `${r.wallTime},${r.step},${csvField(r.tag)},${r.kind === 'scalar' ? r.value : ''}\n`)
      .join('');
  }
}

let fileCounter = 0;

/**
 * Writes TensorBoard event files (`events.out.tfevents.<time>.<host>`) with scalars, histograms and text that
 * TensorBoard reads: point `tensorboard --logdir <logDir>` at the directory.
 *
 * @example
 * ```ts
 * const tb = new TensorboardLogger('runs/exp1');
 * tb.attachOutputHandler(trainer, { tag: 'training', outputTransform: (loss) => ({ loss }) });
 * tb.attachOptParamsHandler(trainer, { optimizer });
 * tb.attach(trainer, new WeightsHistHandler(model), Events.EPOCH_COMPLETED);
 * await tb.close();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.tensorboard_logger.TensorboardLogger.html
 */
export class TensorboardLogger extends AppendingLogger {
  /**
   * @param logDir - directory to write into (created if missing).
   * @param options - error callback.
   */
  constructor(logDir: string, options: LoggerOptions = {}) {
    const time = Math.floor(Date.now() / 1000);
    super(logDir, `events.out.tfevents.${time}.${hostname()}.${process.pid}.${fileCounter++}`, options);
  }

  protected override header(): Uint8Array {
    return frameRecord(encodeEvent({ wallTime: Date.now() / 1000, step: 0, fileVersion: 'brain.Event:2' }));
  }

  protected override encode(records: readonly LogRecord[]): Uint8Array {
    return recordsToEventBytes(records);
  }
}
