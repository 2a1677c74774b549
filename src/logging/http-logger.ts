/**
 * @module Port of the transport shared by Ignite's tracker loggers (ignite/handlers/mlflow_logger.py,
 * wandb_logger.py, clearml_logger.py, neptune_logger.py, visdom_logger.py, polyaxon_logger.py): a logger that POSTs
 * records as JSON to an HTTP endpoint, with retries. Browser-safe (global `fetch`).
 * Deviations: kindling ships no client for those cloud services (none can be reached to test against); a tracker
 * is a short subclass that overrides `encode` (and passes its endpoint and headers), see docs/logging.md.
 *
 * Writes run on `BaseLogger`'s queue, so training never waits on the network: a slow or unreachable server delays
 * only the queue, and after the last retry fails logging stops (reported once) while training continues.
 */

import { BaseLogger, type LoggerOptions } from './base-logger.js';
import { summariseHistogram, type LogRecord } from './records.js';

/** Options of {@link HttpLogger}. */
export interface HttpLoggerOptions extends LoggerOptions {
  /** Extra attempts after a failed request (network error, timeout, 429 or 5xx). @defaultValue 3 */
  retries?: number;
  /** Delay before the first retry, doubled at each retry (milliseconds). @defaultValue 200 */
  backoffMs?: number;
  /** Timeout of one request (milliseconds). @defaultValue 10000 */
  timeoutMs?: number;
  /** Extra request headers (e.g. an API token). */
  headers?: Readonly<Record<string, string>>;
}

/** A response that tells the request may succeed later (the server is busy or restarting). */
const retryable = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/**
 * Sends each batch of records as one JSON POST (`{"records": [...]}` by default) to `endpoint`, retrying with
 * exponential backoff. Histograms are sent as `{min, max, mean, count}` summaries.
 *
 * @example
 * ```ts
 * // A tracker: a short subclass that maps kindling's records to the tracker's REST API.
 * class MyTracker extends HttpLogger {
 *   constructor(server: string, readonly runId: string) { super(`${server}/api/runs/${runId}/log-batch`); }
 *   protected override encode(records: readonly LogRecord[]): unknown {
 *     return { metrics: records.filter((r) => r.kind === 'scalar').map((r) => ({ key: r.tag, value: r.value, step: r.step })) };
 *   }
 * }
 * const tracker = setupAnyLogging(new MyTracker('http://127.0.0.1:5000', 'run-1'), trainer, { optimizers: optimizer });
 * ```
 */
export class HttpLogger extends BaseLogger {
  /** Number of requests retried so far. */
  retried = 0;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #timeoutMs: number;
  readonly #headers: Readonly<Record<string, string>>;

  /**
   * @param endpoint - the URL records are POSTed to.
   * @param options - retries, backoff, timeout, headers, error callback.
   * @throws RangeError for negative `retries`, `backoffMs` or non-positive `timeoutMs`.
   */
  constructor(readonly endpoint: string, options: HttpLoggerOptions = {}) {
    super(options);
    this.#retries = options.retries ?? 3;
    this.#backoffMs = options.backoffMs ?? 200;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#headers = options.headers ?? {};
    if (!(this.#retries >= 0) || !(this.#backoffMs >= 0) || !(this.#timeoutMs > 0)) {
      throw new RangeError(`retries and backoffMs should be >= 0 and timeoutMs > 0, got ${this.#retries}, ${this.#backoffMs}, ${this.#timeoutMs}`);
    }
  }

  /**
   * Maps records to the request body (JSON-serialised). Override it to speak a tracker's API.
   *
   * @param records - the batch.
   * @returns the body object.
   */
  protected encode(records: readonly LogRecord[]): unknown {
    return { records: records.map((r) => (r.kind === 'histogram' ? summariseHistogram(r) : r)) };
  }

  protected override async write(records: readonly LogRecord[]): Promise<void> {
    const body = JSON.stringify(this.encode(records));
    for (let attempt = 0; ; attempt++) {
      const failure = await this.#post(body);
      if (failure === null) return;
      if (!failure.retry) throw failure.error;
      if (attempt >= this.#retries) throw new Error(`${failure.error.message} (after ${attempt + 1} attempts)`, { cause: failure.error });
      this.retried++;
      await new Promise((resolve) => setTimeout(resolve, this.#backoffMs * 2 ** attempt));
    }
  }

  async #post(body: string): Promise<{ error: Error; retry: boolean } | null> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST', body, headers: { 'content-type': 'application/json', ...this.#headers },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      await response.arrayBuffer(); // drain, so the connection is reused
    } catch (error) {
      return { error: new Error(`POST ${this.endpoint} failed: ${String(error)}`, { cause: error }), retry: true };
    }
    if (response.ok) return null;
    return { error: new Error(`${this.endpoint} answered ${response.status} ${response.statusText}`), retry: retryable(response.status) };
  }
}

