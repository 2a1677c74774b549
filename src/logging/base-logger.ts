/**
 * @module Port of ignite/handlers/base_logger.py: the experiment-logger API shared by every kindling logger.
 *
 * Handlers capture values synchronously at the event and hand records to an asynchronous write queue, so logging
 * never blocks a training step and a failing sink (dead browser, full disk) never stops or corrupts training: the
 * first write error is reported once through `onError` (default: `engine.logger.warn`) and later records are dropped.
 * Deviation: tensors reach this module only through `tensorsToRecords`, so the engine core stays TF.js-free.
 */

import { getRank } from '../distributed/context.js';
import { Events, eventName, type Engine, type EventKey, type RemovableEventHandle } from '../engine/index.js';
import { flattenScalars, type LogRecord, type ScalarRecord } from './records.js';

/** Options of {@link BaseLogger.attachOutputHandler}. */
export interface OutputHandlerOptions {
  /** Event(s) to log on. @defaultValue `Events.ITERATION_COMPLETED` */
  event?: EventKey | readonly EventKey[];
  /** Tag prefix, e.g. `'training'` gives `training/loss`. */
  tag: string;
  /** Metric names from `engine.state.metrics` to log, or `'all'`. */
  metricNames?: readonly string[] | 'all';
  /** Maps `engine.state.output` to a number or an object of numbers (non-objects are logged as `output`). */
  outputTransform?: (output: unknown) => unknown;
  /** Step to log with, e.g. `globalStepFromEngine(trainer)`; defaults to the event's counter (iteration or epoch). */
  globalStepTransform?: (engine: Engine<unknown, unknown>, event: string) => number;
  /** Other `engine.state` attributes to log. */
  stateAttributes?: readonly string[];
}

/** An optimizer whose learning rate can be read (all tf.train optimizers keep it in `learningRate`). */
export interface LearningRateSource {
  readonly learningRate?: number;
}

/** Options of {@link BaseLogger.attachOptParamsHandler}. */
export interface OptParamsHandlerOptions {
  /** The optimizer to read from. */
  optimizer: object;
  /** Parameter to log. @defaultValue `'lr'` (read from the optimizer's `learningRate`) */
  paramName?: string;
  /** Optional tag prefix. */
  tag?: string;
  /** Event(s) to log on. @defaultValue `Events.ITERATION_STARTED` */
  event?: EventKey | readonly EventKey[];
}

/** A logging handler: a function or an object with `handle` (e.g. `WeightsScalarHandler`). */
export type LoggerHandler<L> =
  | ((engine: Engine<unknown, unknown>, logger: L, event: string) => void)
  | { handle(engine: Engine<unknown, unknown>, logger: L, event: string): void };

/** Options shared by every logger. */
export interface LoggerOptions {
  /** Called once with the first write error; later errors are counted, not reported. */
  onError?: (error: unknown) => void;
}

const EPOCH_EVENTS = new Set(['started', 'epoch_started', 'epoch_completed', 'completed']);

/**
 * The step a record gets by default: `state.epoch` for epoch-level events, `state.iteration` otherwise.
 *
 * @param engine - the engine that fired.
 * @param event - the event name.
 * @returns the step.
 */
export function defaultGlobalStep(engine: Engine<unknown, unknown>, event: string): number {
  return EPOCH_EVENTS.has(event) ? engine.state.epoch : engine.state.iteration;
}

/**
 * Base class of kindling's experiment loggers (`TensorboardLogger`, `JsonlLogger`, `CsvLogger`, `DashboardLogger`).
 * Subclasses implement {@link BaseLogger.write}.
 *
 * @example
 * ```ts
 * const tb = new TensorboardLogger('runs/exp1');
 * tb.attachOutputHandler(trainer, { tag: 'training', outputTransform: (loss) => ({ loss }) });
 * tb.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag: 'validation', metricNames: 'all',
 *   globalStepTransform: globalStepFromEngine(trainer) });
 * tb.attachOptParamsHandler(trainer, { optimizer });
 * // ... after training
 * await tb.close();
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.base_logger.BaseLogger.html
 */
export abstract class BaseLogger {
  #queue: Promise<void> = Promise.resolve();
  #failed = false;
  #dropped = 0;
  #closed = false;
  readonly #onError: ((error: unknown) => void) | undefined;
  #reportTo: ((message: string) => void) | undefined;

  /** @param options - logger options. */
  constructor(options: LoggerOptions = {}) {
    this.#onError = options.onError;
  }

  /** Writes records to the sink; may be async. Called one batch at a time, in order. */
  protected abstract write(records: readonly LogRecord[]): void | Promise<void>;

  /** Releases the sink after the queue is flushed. */
  protected closeSink(): void | Promise<void> {}

  /** Number of records dropped after a write error. */
  get droppedRecords(): number {
    return this.#dropped;
  }

  /**
   * Queues records for writing; never throws and never blocks the caller. In a distributed job only rank 0 writes:
   * records enqueued on other ranks are dropped (not counted in `droppedRecords`).
   *
   * @param records - records, or a promise of records (values still being read from a device).
   */
  enqueue(records: readonly LogRecord[] | Promise<readonly LogRecord[]>): void {
    if (this.#closed || getRank() !== 0) return;
    this.#queue = this.#queue
      .then(async () => {
        const batch = await records;
        if (this.#failed) {
          this.#dropped += batch.length;
          return;
        }
        if (batch.length > 0) await this.write(batch);
      })
      .catch((error: unknown) => this.#fail(error));
  }

  #fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    if (this.#onError !== undefined) this.#onError(error);
    else (this.#reportTo ?? (() => {}))(`${this.constructor.name}: logging stopped after a write error: ${String(error)}`);
  }

  /**
   * Attaches a custom logging function on an event.
   *
   * @param engine - the engine.
   * @param handler - called as `handler(engine, logger, eventName)`, or an object with such a `handle` method.
   * @param event - the event(s).
   * @returns the registration handle.
   */
  attach(
    engine: Engine<unknown, unknown>,
    handler: LoggerHandler<this>,
    event: EventKey | readonly EventKey[],
  ): RemovableEventHandle {
    this.#reportTo ??= (m) => engine.logger.warn(m);
    const events = Array.isArray(event) ? (event as readonly EventKey[]) : [event as EventKey];
    const fn = typeof handler === 'function' ? handler : handler.handle.bind(handler);
    return engine.on(events, (e: Engine<unknown, unknown>) =>
      fn(e, this, String(e.lastEventName ?? eventName(events[0] as EventKey))),
    );
  }

  /**
   * Logs one scalar now (queued).
   *
   * @param tag - the tag.
   * @param value - the value.
   * @param step - the global step.
   */
  logScalar(tag: string, value: number, step: number): void {
    this.enqueue([{ kind: 'scalar', tag, value, step, wallTime: Date.now() / 1000 }]);
  }

  /**
   * Logs text now (queued).
   *
   * @param tag - the tag.
   * @param text - the text.
   * @param step - the global step.
   */
  logText(tag: string, text: string, step: number): void {
    this.enqueue([{ kind: 'text', tag, text, step, wallTime: Date.now() / 1000 }]);
  }

  /**
   * Logs metrics, the transformed output and state attributes of an engine (Ignite's `OutputHandler`).
   *
   * @param engine - the engine.
   * @param options - tag, metrics, output transform, step transform, state attributes, event.
   * @returns the registration handle.
   * @throws TypeError when `metricNames` is a string other than `'all'`.
   * @example
   * ```ts
   * logger.attachOutputHandler(evaluator, { event: Events.COMPLETED, tag: 'validation', metricNames: ['accuracy'],
   *   globalStepTransform: (_e, _ev) => trainer.state.epoch });
   * ```
   */
  attachOutputHandler(engine: Engine<unknown, unknown>, options: OutputHandlerOptions): RemovableEventHandle {
    const { tag, metricNames, outputTransform, stateAttributes = [] } = options;
    if (typeof metricNames === 'string' && metricNames !== 'all') {
      throw new TypeError(`metricNames should be an array of strings or 'all', got '${String(metricNames)}'`);
    }
    const stepOf = options.globalStepTransform ?? defaultGlobalStep;
    return this.attach(engine, (e, _lg, ev) => {
      const values = new Map<string, number>();
      const skip = (name: string, type: string): void =>
        e.logger.warn(`Logger output_handler can not log metrics value type ${type} (${name})`);
      const metrics = e.state.metrics;
      const names = metricNames === 'all' ? Object.keys(metrics) : (metricNames ?? []);
      for (const name of names) {
        if (!(name in metrics)) e.logger.warn(`Provided metric name '${name}' is missing in engine's state metrics`);
        else flattenScalars(`${tag}/${name}`, metrics[name], values, skip);
      }
      if (outputTransform !== undefined) {
        const out = outputTransform(e.state.output);
        const obj = out !== null && typeof out === 'object' && !Array.isArray(out) && !('shape' in out) ? out : { output: out };
        for (const [k, v] of Object.entries(obj)) flattenScalars(`${tag}/${k}`, v, values, skip);
      }
      for (const attr of stateAttributes) flattenScalars(`${tag}/${attr}`, e.state[attr], values, skip);
      const step = stepOf(e, ev);
      if (typeof step !== 'number' || !Number.isFinite(step)) {
        throw new TypeError(`globalStepTransform should return a number, got ${typeof step}`);
      }
      this.enqueue(scalarRecords(values, step));
    }, options.event ?? Events.ITERATION_COMPLETED);
  }

  /**
   * Logs an optimizer parameter (the learning rate by default) as `lr/group_0` (Ignite's `OptimizerParamsHandler`).
   *
   * @param engine - the engine.
   * @param options - optimizer, parameter name, tag, event.
   * @returns the registration handle.
   */
  attachOptParamsHandler(engine: Engine<unknown, unknown>, options: OptParamsHandlerOptions): RemovableEventHandle {
    const param = options.paramName ?? 'lr';
    const field = param === 'lr' ? 'learningRate' : param;
    const prefix = options.tag !== undefined ? `${options.tag}/` : '';
    return this.attach(engine, (e, _lg, ev) => {
      const value = (options.optimizer as Record<string, unknown>)[field];
      if (typeof value !== 'number') {
        e.logger.warn(`Optimizer has no numeric '${field}' to log as ${param}`);
        return;
      }
      this.enqueue(scalarRecords(new Map([[`${prefix}${param}/group_0`, value]]), defaultGlobalStep(e, ev)));
    }, options.event ?? Events.ITERATION_STARTED);
  }

  /**
   * Waits until every queued record is written.
   *
   */
  async flush(): Promise<void> {
    await this.#queue;
  }

  /**
   * Flushes and releases the sink; later records are ignored.
   *
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    try {
      await this.closeSink();
    } catch (error) {
      this.#fail(error);
    }
  }
}

/**
 * Turns a map of scalars into records with one timestamp.
 *
 * @param values - tag to value.
 * @param step - the global step.
 * @returns the records.
 */
export function scalarRecords(values: ReadonlyMap<string, number>, step: number): ScalarRecord[] {
  const wallTime = Date.now() / 1000;
  return [...values].map(([tag, value]) => ({ kind: 'scalar', tag, value, step, wallTime }));
}
