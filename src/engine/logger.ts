/**
 * @module The logger interface the engine and its handlers write to (Ignite's `engine.logger`).
 * Inject your own through `new Engine(fn, { logger })`; the default is silent except for warnings and errors.
 */

/** A minimal leveled logger; `console` satisfies it. */
export interface Logger {
  /** Details for debugging. */
  debug(message: string): void;
  /** Progress messages, e.g. `Epoch[3] Complete. Time taken: 00:00:01.234`. */
  info(message: string): void;
  /** Something the user should know, e.g. a data iterator that ran out early. */
  warn(message: string): void;
  /** Errors. */
  error(message: string): void;
}

const noop = (): void => {};

/**
 * The default logger: `debug`/`info` are dropped, `warn`/`error` go to the console (the one place kindling's
 * library code writes to the console, so that warnings users must see are not lost; inject a logger to redirect).
 *
 */
export const defaultLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  // eslint-disable-next-line no-console
  warn: (message: string) => console.warn(message),
  // eslint-disable-next-line no-console
  error: (message: string) => console.error(message),
});

/**
 * A logger that drops everything (useful in tests and benchmarks).
 *
 */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
