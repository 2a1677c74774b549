/**
 * @module Port of ignite/utils.py `setup_logger`: a named, leveled, formatted logger for engines and handlers.
 * Deviations: the result is kindling's {@link Logger} (debug/info/warn/error), not a `logging.Logger`; `stream` is
 * any `{ write(line) }` sink (default: the console's error stream, Python's `StreamHandler` default); `filepath`
 * appends to a file and works in Node only (the browser has no files); loggers are kept by name, and calling
 * `setupLogger` again with a name replaces its configuration, as Ignite removes the previous handlers.
 */

import { getRank } from '../distributed/context.js';
import type { Logger } from '../engine/index.js';

/** Python's logging levels, by name or number (`DEBUG` 10, `INFO` 20, `WARNING` 30, `ERROR` 40, `CRITICAL` 50). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL' | number;

/** A line sink, such as `process.stdout`. */
export interface LogStream {
  /** Writes one formatted line (with its trailing newline). */
  write(line: string): unknown;
}

/** Options of {@link setupLogger}. */
export interface SetupLoggerOptions {
  /** Messages below this level are dropped. @defaultValue 'INFO' */
  level?: LogLevel;
  /** `%(asctime)s`, `%(name)s`, `%(levelname)s` and `%(message)s` are replaced. @defaultValue Ignite's format */
  format?: string;
  /** Where lines go. @defaultValue the console's error stream */
  stream?: LogStream;
  /** Also append every line to this file (Node only). @defaultValue none */
  filepath?: string | null;
  /** Ranks above 0 log nothing. @defaultValue the process's distributed rank */
  distributedRank?: number;
}

/** Ignite's default format. */
export const DEFAULT_LOG_FORMAT = '%(asctime)s %(name)s %(levelname)s: %(message)s';

const LEVELS: Readonly<Record<string, number>> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
const loggers = new Map<string, Logger>();

function levelNumber(level: LogLevel): number {
  const n = typeof level === 'number' ? level : LEVELS[level];
  if (n === undefined || !Number.isFinite(n)) {
    throw new RangeError(`Argument level should be one of ${Object.keys(LEVELS).join(', ')} or a number, got ${String(level)}`);
  }
  return n;
}

function asctime(d: Date): string {
  const p = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

function consoleStream(): LogStream {
  // eslint-disable-next-line no-console
  return { write: (line: string) => console.error(line.replace(/\n$/, '')) };
}

function fileStream(filepath: string): LogStream {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { appendFileSync(path: string, data: string): void } | undefined;
  if (fs === undefined) {
    throw new TypeError(`Argument filepath needs Node.js 20.16 or later (got filepath ${filepath} in an environment without files). Pass a stream instead.`);
  }
  return { write: (line: string) => fs.appendFileSync(filepath, line) };
}

/**
 * Creates (or reconfigures) the logger called `name`: lines formatted like Python's `logging`, filtered by level.
 *
 * @param name - the logger's name, shown by `%(name)s`.
 * @param options - level, format, stream, filepath, distributedRank.
 * @returns the logger; assign it to `engine.logger` or pass it as the `logger` option.
 * @throws RangeError for an unknown level; TypeError for `filepath` outside Node.
 * @example
 * ```ts
 * trainer.logger = setupLogger('trainer');
 * evaluator.logger = setupLogger('evaluator', { level: 'WARNING', filepath: 'eval.log' });
 * // 2026-01-21 12:46:07,356 trainer INFO: Engine run starting with maxEpochs=5.
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.utils.setup_logger.html
 */
export function setupLogger(name = 'ignite', options: SetupLoggerOptions = {}): Logger {
  const { level = 'INFO', format = DEFAULT_LOG_FORMAT, filepath = null, distributedRank = getRank() } = options;
  const threshold = levelNumber(level);
  const sinks: LogStream[] = [];
  if (distributedRank <= 0) {
    sinks.push(options.stream ?? consoleStream());
    if (filepath !== null) sinks.push(fileStream(filepath));
  }
  const emit = (levelName: string, message: string): void => {
    if ((LEVELS[levelName] ?? 0) < threshold || sinks.length === 0) return;
    const fields: Record<string, string> = { asctime: asctime(new Date()), name, levelname: levelName, message };
    const line = format.replace(/%\((\w+)\)s/g, (all, key: string) => fields[key] ?? all);
    for (const sink of sinks) sink.write(`${line}\n`);
  };
  const logger: Logger = {
    debug: (m) => emit('DEBUG', m),
    info: (m) => emit('INFO', m),
    warn: (m) => emit('WARNING', m),
    error: (m) => emit('ERROR', m),
  };
  loggers.set(name, logger);
  return logger;
}

/**
 * Returns the logger last set up under `name` (Python's `logging.getLogger(name)` after `setup_logger`).
 *
 * @param name - the logger's name.
 * @returns the logger, or `undefined` when none was set up.
 */
export function getLogger(name: string): Logger | undefined {
  return loggers.get(name);
}
