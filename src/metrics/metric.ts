/**
 * @module Port of ignite/metrics/metric.py `Metric`: the reset/update/compute contract and `attach`, which is only
 * three registrations through the engine's public API (`on`, `off`, `hasEventHandler`).
 * Deviations: results written to `state.metrics` are plain numbers / nested arrays, never tensors (a tensor
 * returned by `compute()` is read back and disposed); dict outputs use camelCase keys (`yPred`, `y`); no `device`
 * option (tensors stay on the active TF.js backend); no operator overloading (use `MetricsLambda` and the
 * `add`/`sub`/`mul`/`div`/`pow` helpers). Ignite's `@sync_all_reduce` is the `syncedState()` declaration: when the
 * world size is above 1, `compute()` all-reduces the declared state, computes, and restores the local state.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { EngineLike, EventKey, Logger } from '../engine/index.js';
import { getWorldSize } from '../distributed/context.js';
import { withReducedState, type SyncedState } from './internal/sync.js';
import { isTensor, readTensor } from './internal/tensors.js';
import { EpochWise, MetricUsage, resolveUsage, type UsageLike } from './usage.js';

/**
 * The engine type metrics attach to: the same structural type as every handler's, {@link EngineLike}.
 * Kept as an alias for code written against earlier releases.
 */
export type MetricEngine = EngineLike;

/** A saved metric value: a number, a tensor as plain data, or null (nothing accumulated). */
export type SerialisedValue = number | null | { dtype: 'float32' | 'int32' | 'bool'; shape: number[]; values: number[] };

/** What `Metric.stateDict()` returns: JSON-serialisable. */
export interface MetricStateDict {
  /** The class that saved it (checked loosely, for the error message). */
  metric: string;
  /** The declared state values, in `syncedState()` order. */
  state: SerialisedValue[];
  /** Subclass extras. */
  extras: Record<string, unknown>;
}

/**
 * @internal Turns a metric state value into JSON (tensors are read back once).
 * @param v - a number, a tensor or null.
 * @returns the JSON form.
 */
export function serialise(v: number | tf.Tensor | null): SerialisedValue {
  if (v === null || typeof v === 'number') return v;
  return { dtype: v.dtype as 'float32' | 'int32' | 'bool', shape: [...v.shape], values: Array.from(v.dataSync() as ArrayLike<number>) };
}

/**
 * @internal Rebuilds a state value saved by `serialise` (a new kept tensor, owned by the caller).
 * @param v - the JSON form.
 * @returns the value.
 */
export function deserialise(v: SerialisedValue): number | tf.Tensor | null {
  if (v === null || typeof v === 'number') return v;
  return tf.keep(tf.tensor(v.values, v.shape, v.dtype));
}

/**
 * How an object result is written into `state.metrics` (Ignite's `metrics_result_mode`).
 *
 */
export type MetricsResultMode = 'flatten' | 'named' | 'both';

/**
 * Options shared by every metric.
 *
 */
export interface MetricOptions {
  /**
   * Maps the engine's `state.output` to what `update()` expects (by default `[yPred, y]` or `{ yPred, y }`).
   * @defaultValue identity
   */
  outputTransform?: (output: unknown) => unknown;
  /**
   * Do not unroll `[yPreds[], ys[]]` lists of per-sample tensors into one `update()` per sample.
   * @defaultValue false
   */
  skipUnrolling?: boolean;
  /**
   * For object results: `'flatten'` writes each key into `state.metrics`, `'named'` writes the object under the
   * metric's name, `'both'` does both.
   * @defaultValue 'both'
   */
  metricsResultMode?: MetricsResultMode;
  /**
   * Where the metric's warnings go.
   * @defaultValue the `logger` of the engine the metric is attached to (none when used standalone)
   */
  logger?: Logger;
}

/**
 * The last argument of `attach`, `detach` and `isAttached`: an options object, or the usage itself.
 *
 */
export type AttachArg = AttachOptions | UsageLike;

/**
 * Options of `attach`, `detach` and `isAttached`.
 *
 */
export interface AttachOptions {
  /** When the metric is reset, updated and computed. @defaultValue `new EpochWise()` (metric-specific) */
  usage?: UsageLike;
}

const identity = (x: unknown): unknown => x;
const RESULT_MODES: readonly string[] = ['flatten', 'named', 'both'];

/**
 * Base class of all metrics: subclasses implement `reset()`, `update(output)` and `compute()`; `attach()` wires
 * them to an engine so the result lands in `engine.state.metrics[name]`.
 *
 * @example
 * ```ts
 * class Count extends Metric<number> {
 *   #n = 0;
 *   reset(): void { this.#n = 0; }
 *   update(): void { this.#n += 1; }
 *   compute(): number { return this.#n; }
 * }
 * new Count().attach(engine, 'count');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metric.Metric.html
 */
export abstract class Metric<TResult = unknown> {
  /** Keys read from an object output, in the order passed to `update()` as an array. `null` accepts no object. */
  requiredOutputKeys: readonly string[] | null = ['yPred', 'y'];
  /** Keys appended after the required ones when present in an object output. */
  protected optionalOutputKeys: readonly string[] = [];
  /** Logger from the options or from the engine the metric last ran on. */
  protected logger: Logger | undefined;
  readonly #outputTransform: (output: unknown) => unknown;
  readonly #skipUnrolling: boolean;
  readonly #resultMode: MetricsResultMode;

  /**
   * @param options - output transform, unrolling and result mode (see {@link MetricOptions}).
   * @throws TypeError when `outputTransform` is not a function; RangeError for an unknown `metricsResultMode`.
   */
  constructor(options: MetricOptions = {}) {
    const { outputTransform = identity, skipUnrolling = false, metricsResultMode = 'both', logger } = options;
    if (typeof outputTransform !== 'function') {
      throw new TypeError(`Argument outputTransform should be callable, got ${typeof outputTransform}`);
    }
    if (!RESULT_MODES.includes(metricsResultMode)) {
      throw new RangeError(
        `Argument metricsResultMode should be one of ${RESULT_MODES.join(', ')}, got ${String(metricsResultMode)}`,
      );
    }
    this.#outputTransform = outputTransform;
    this.#skipUnrolling = skipUnrolling;
    this.#resultMode = metricsResultMode;
    this.logger = logger;
    // Ignite's @sync_all_reduce on compute(): wraps the subclass's compute once, per instance.
    const self = this as unknown as { compute: () => TResult };
    const localCompute = self.compute.bind(this);
    self.compute = (): TResult => this.#syncedCompute(localCompute);
  }

  #syncing = false;

  #syncedCompute(localCompute: () => TResult): TResult {
    if (this.#syncing || getWorldSize() === 1) return localCompute();
    const fields = this.syncedState();
    if (fields.length === 0) return localCompute();
    this.#syncing = true;
    try {
      return withReducedState(fields, localCompute);
    } finally {
      this.#syncing = false;
    }
  }

  /**
   * The state `compute()` all-reduces across ranks when the world size is above 1 (Ignite's
   * `@sync_all_reduce("_num_correct", "_num_examples:SUM", ...)`); the local values are restored afterwards, so
   * repeated `compute()` calls are safe. `compute()` is then a collective: every rank must call it.
   * Default: nothing is reduced.
   *
   * @returns the declarations (see `syncedSum` / `syncedNumber`).
   * @example
   * ```ts
   * protected override syncedState(): SyncedState[] {
   *   return [syncedSum(this.#numCorrect), syncedNumber(() => this.#n, (v) => { this.#n = v; })];
   * }
   * ```
   */
  protected syncedState(): readonly SyncedState[] {
    return [];
  }

  /**
   * The metric's accumulated state as plain JSON (Ignite 0.5's `Metric.state_dict`): the values `syncedState()`
   * declares (numbers, and tensors as `{ dtype, shape, values }`), plus subclass extras. Saved by `Checkpoint`.
   *
   * @returns a JSON-serialisable object for {@link Metric.loadStateDict}.
   * @throws TypeError when the metric declares no serialisable state.
   */
  stateDict(): MetricStateDict {
    const fields = this.syncedState();
    if (fields.length === 0) {
      throw new TypeError(`${this.constructor.name} has no serialisable state: only metrics that declare their state ` +
        '(syncedState()) can be saved. Save the value in engine.state.metrics instead.');
    }
    return { metric: this.constructor.name, state: fields.map((f) => serialise(f.get())), extras: this.stateExtras() };
  }

  /**
   * Restores a state made by {@link Metric.stateDict}: the metric continues accumulating from it.
   *
   * @param stateDict - the saved state.
   * @returns nothing.
   * @throws TypeError when it is not a metric state; RangeError when another kind of metric saved it.
   */
  loadStateDict(stateDict: MetricStateDict): void {
    const sd = stateDict as Partial<MetricStateDict> | null;
    if (sd === null || typeof sd !== 'object' || !Array.isArray(sd.state)) {
      throw new TypeError(`Argument stateDict should be the object returned by ${this.constructor.name}.stateDict(), got ${JSON.stringify(sd)}`);
    }
    const fields = this.syncedState();
    if (sd.metric !== this.constructor.name || sd.state.length !== fields.length) {
      throw new RangeError(`Argument stateDict holds ${sd.state.length} values saved by ${String(sd.metric)}, but ` +
        `${this.constructor.name} has ${fields.length}. Load it into the same kind of metric.`);
    }
    this.reset();
    // reset() disposed the previous tensors; the new ones are owned by the metric (set() does not dispose).
    const refreshed = this.syncedState();
    sd.state.forEach((v, i) => refreshed[i]?.set(deserialise(v)));
    this.loadStateExtras(sd.extras ?? {});
  }

  /**
   * State that `syncedState()` does not declare but `compute()` needs (detected type, flags); saved by `stateDict`.
   * @returns JSON values by name (default none).
   */
  protected stateExtras(): Record<string, unknown> {
    return {};
  }

  /**
   * Restores the values returned by {@link Metric.stateExtras}.
   * @param extras - the saved extras.
   */
  protected loadStateExtras(extras: Record<string, unknown>): void {
    void extras;
  }

  /** Resets the metric to its initial state (called on the usage's STARTED event). */
  abstract reset(): void;
  /**
   * Accumulates one batch output (called on the usage's ITERATION_COMPLETED event).
   * @param output - usually `[yPred, y]`.
   */
  abstract update(output: unknown): void;
  /**
   * Computes the metric from the accumulated state (called on the usage's COMPLETED event).
   * @throws {@link NotComputableError} before any update.
   */
  abstract compute(): TResult;

  /** The default usage of `attach`/`detach`/`isAttached` (EpochWise; RunningAverage overrides it). */
  protected defaultUsage(): MetricUsage {
    return new EpochWise();
  }

  /** Handler: resets the metric. Registered on the usage's STARTED event. */
  readonly started = (_engine: MetricEngine): void => {
    this.reset();
  };

  /** Handler: transforms `engine.state.output` and updates the metric. Registered on ITERATION_COMPLETED. */
  readonly iterationCompleted = (engine: MetricEngine): void => {
    this.logger ??= engine.logger;
    this.updateFromOutput(this.#outputTransform(engine.state.output));
  };

  /**
   * Applies this metric's `outputTransform` to an engine output, then updates (what ITERATION_COMPLETED does; used
   * by `MetricGroup` for its members).
   *
   * @param output - an untransformed engine output.
   * @returns nothing.
   */
  updateFromEngineOutput(output: unknown): void {
    this.updateFromOutput(this.#outputTransform(output));
  }

  /** Handler: computes the metric into `engine.state.metrics[name]`. Registered on the usage's COMPLETED event. */
  readonly completed = (engine: MetricEngine, name: string): void => {
    this.writeResult(engine, name, this.compute());
  };

  /**
   * Maps an (already transformed) output to `update()` calls: object outputs are read by `requiredOutputKeys`,
   * and `[yPreds[], ys[]]` lists of per-sample tensors are unrolled into one update per sample.
   *
   * @param output - the transformed engine output.
   * @returns nothing.
   * @throws TypeError for an object output when `requiredOutputKeys` is null; RangeError when keys are missing.
   */
  protected updateFromOutput(output: unknown): void {
    let out = output;
    if (isPlainObject(out)) {
      out = this.#fromMapping(out);
    }
    if (!this.#skipUnrolling && Array.isArray(out) && out.length > 0 && out.every(isListOfTensors)) {
      const [a, b] = out as unknown[][];
      if (!(out.length === 2 && a && b && a.length === b.length)) {
        throw new RangeError(
          `Output should have 2 items of the same length, got ${out.length} and ` +
            `${(out as unknown[][]).map((o) => o.length).join(', ')}`,
        );
      }
      a.forEach((o1, i) => {
        const o2 = b[i];
        const pair = tf.tidy(() => [batched(o1), batched(o2)]);
        try {
          this.update(pair);
        } finally {
          tf.dispose(pair);
        }
      });
      return;
    }
    this.update(out);
  }

  #fromMapping(out: Record<string, unknown>): unknown[] {
    const keys = this.requiredOutputKeys;
    if (keys === null) {
      throw new TypeError(
        `Transformed engine output for ${this.constructor.name} metric should be a tuple/list, but given object`,
      );
    }
    if (!keys.every((k) => k in out)) {
      throw new RangeError(
        `When transformed engine's output is a mapping, it should contain [${keys.join(', ')}] keys, ` +
          `but given [${Object.keys(out).join(', ')}]`,
      );
    }
    const extra = this.optionalOutputKeys.filter((k) => k in out);
    return [...keys, ...extra].map((k) => out[k]);
  }

  /**
   * Writes a computed result into `engine.state.metrics` (Ignite's `Metric.completed`): tensors are read back
   * (rank 0 → number) and disposed; object results are flattened according to `metricsResultMode`.
   *
   * @param engine - the engine.
   * @param name - the metric's name.
   * @param result - the value returned by `compute()`.
   * @returns nothing.
   * @throws RangeError when an object result has a key equal to `name` (mode 'named' or 'both').
   */
  protected writeResult(engine: MetricEngine, name: string, result: unknown): void {
    const metrics = engine.state.metrics;
    if (isTensor(result)) {
      const value = readTensor(result);
      result.dispose();
      metrics[name] = value;
      return;
    }
    if (isPlainObject(result)) {
      const named = this.#resultMode !== 'flatten';
      if (named && name in result) {
        throw new RangeError(
          `Argument name '${name}' is conflicting with mapping keys: [${Object.keys(result).join(', ')}]`,
        );
      }
      if (this.#resultMode !== 'named') Object.assign(metrics, result);
      if (named) metrics[name] = result;
      return;
    }
    metrics[name] = result;
  }

  /**
   * Attaches the metric: reset on `usage.STARTED`, update on `usage.ITERATION_COMPLETED`, and
   * `engine.state.metrics[name] = compute()` on `usage.COMPLETED`.
   *
   * @param engine - the engine to attach to.
   * @param name - the key in `engine.state.metrics`.
   * @param options - `{ usage }` or the usage itself (default {@link EpochWise}).
   * @returns nothing.
   * @throws RangeError / TypeError for an invalid usage.
   * @example
   * ```ts
   * new Accuracy().attach(evaluator, 'accuracy');
   * new Accuracy().attach(trainer, 'batch_acc', { usage: 'batch_wise' });
   * ```
   */
  attach(engine: MetricEngine, name: string, options: AttachArg = {}): void {
    const usage = this.#usage(options);
    if (!engine.hasEventHandler(this.started, usage.STARTED)) engine.on(usage.STARTED, this.started);
    if (!engine.hasEventHandler(this.iterationCompleted, usage.ITERATION_COMPLETED)) {
      engine.on(usage.ITERATION_COMPLETED, this.iterationCompleted);
    }
    engine.on(usage.COMPLETED, this.completed, name);
  }

  /**
   * Removes the metric's handlers for the given usage; the metric no longer writes to `state.metrics`.
   *
   * @param engine - the engine to detach from.
   * @param options - `usage` (must match the one given to `attach`).
   * @returns nothing.
   */
  detach(engine: MetricEngine, options: AttachArg = {}): void {
    const usage = this.#usage(options);
    this.removeIfPresent(engine, usage.COMPLETED, this.completed);
    this.removeIfPresent(engine, usage.STARTED, this.started);
    this.removeIfPresent(engine, usage.ITERATION_COMPLETED, this.iterationCompleted);
  }

  /**
   * Whether the metric writes into `state.metrics` for the given usage.
   *
   * @param engine - the engine.
   * @param options - `usage` (default as in `attach`).
   * @returns true when the COMPLETED handler is registered.
   */
  isAttached(engine: MetricEngine, options: AttachArg = {}): boolean {
    return engine.hasEventHandler(this.completed, this.#usage(options).COMPLETED);
  }

  /**
   * Resolves `options.usage`, falling back to {@link Metric.defaultUsage}.
   *
   * @param options - attach options.
   * @returns the usage.
   */
  protected resolveAttachUsage(options: AttachArg): MetricUsage {
    return this.#usage(options);
  }

  #usage(options: AttachArg): MetricUsage {
    if (typeof options === 'string' || options instanceof MetricUsage) return resolveUsage(options);
    return options.usage === undefined ? this.defaultUsage() : resolveUsage(options.usage);
  }

  /**
   * Removes `handler` from `event` when registered there.
   *
   * @param engine - the engine.
   * @param event - the event.
   * @param handler - the handler.
   * @returns nothing.
   */
  protected removeIfPresent(engine: MetricEngine, event: EventKey, handler: (engine: never, ...a: never[]) => unknown): void {
    if (engine.hasEventHandler(handler, event)) engine.off(event, handler);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof tf.Tensor) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isListOfTensors(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0 && v.every((t) => t instanceof tf.Tensor);
}

function batched(x: unknown): tf.Tensor {
  if (x instanceof tf.Tensor) return tf.expandDims(x, 0);
  return tf.tensor([x as number]);
}
