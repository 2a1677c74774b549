/**
 * @module Port of ignite/metrics/metrics_lambda.py: a metric computed from other metrics' results, plus the
 * arithmetic helpers that replace Ignite's operator overloading (`m1 / m2` is `div(m1, m2)`).
 * Deviations: arithmetic works on plain results (numbers and nested arrays, elementwise with broadcasting of a
 * number), since results are never tensors; `Metric` has no `__getattr__`/`__getitem__` magic (write a lambda).
 */

import { elementwise, meanOf, type Numeric } from './internal/numeric.js';
import { Metric, type AttachArg, type MetricEngine } from './metric.js';
import type { MetricUsage } from './usage.js';

/**
 * A metric whose value is `fn(...values)`, where each argument that is a metric is replaced by its `compute()`
 * result and other arguments are passed through. Attaching it attaches its dependencies (reset and update only).
 *
 * @example
 * ```ts
 * const precision = new Precision({ average: false });
 * const recall = new Recall({ average: false });
 * const f1 = new MetricsLambda((p: number[], r: number[]) => p.map((pi, i) => (2 * pi * r[i]!) / (pi + r[i]! + 1e-20)), precision, recall);
 * f1.attach(evaluator, 'f1');
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.metrics.metrics_lambda.MetricsLambda.html
 */
export class MetricsLambda<TResult = unknown> extends Metric<TResult> {
  readonly #fn: (...values: unknown[]) => TResult;
  readonly #args: readonly unknown[];
  #engine: MetricEngine | null = null;
  #updated = false;

  /**
   * @param fn - combines the arguments' values.
   * @param args - metrics (replaced by their results) or constants.
   * @throws TypeError when `fn` is not a function.
   */
  constructor(fn: (...values: never[]) => TResult, ...args: unknown[]) {
    super();
    if (typeof fn !== 'function') throw new TypeError(`Argument fn should be callable, got ${typeof fn}`);
    this.#fn = fn as (...values: unknown[]) => TResult;
    this.#args = args;
  }

  /** The metric arguments (dependencies). */
  get dependencies(): Metric[] {
    return this.#args.filter((a): a is Metric => a instanceof Metric);
  }

  /** The distinct non-lambda metrics of the whole (nested) expression, each listed once. */
  get leaves(): Metric[] {
    const out = new Set<Metric>();
    for (const m of this.dependencies) {
      if (m instanceof MetricsLambda) for (const leaf of m.leaves) out.add(leaf);
      else out.add(m);
    }
    return [...out];
  }

  /** Resets every underlying metric. */
  reset(): void {
    for (const m of this.leaves) m.reset();
    this.#updated = false;
  }

  /**
   * Updates every underlying metric once (only when not attached to an engine).
   *
   * @param output - the batch output.
   * @throws Error when the lambda is attached to an engine.
   */
  update(output: unknown): void {
    if (this.#engine) {
      throw new Error(
        "MetricsLambda is already attached to an engine, and MetricsLambda can't use update API while it's attached.",
      );
    }
    // Porting note: a metric used twice in the expression (p in 2PR/(P+R)) is updated once, not once per use.
    for (const m of this.leaves) m.update(output);
    this.#updated = true;
  }

  /**
   * Computes every dependency and applies the function.
   *
   * @returns `fn(...values)`.
   * @throws {@link NotComputableError} when a dependency cannot be computed.
   */
  compute(): TResult {
    const values: unknown[] = this.#args.map((a): unknown => (a instanceof Metric ? a.compute() : a));
    return this.#fn(...values);
  }

  /** @internal Registers reset/update of all (nested) dependencies for `usage`. */
  internalAttach(engine: MetricEngine, usage: MetricUsage): void {
    this.#engine = engine;
    for (const m of this.dependencies) {
      if (m instanceof MetricsLambda) {
        m.internalAttach(engine, usage);
        continue;
      }
      if (!engine.hasEventHandler(m.started, usage.STARTED)) engine.on(usage.STARTED, m.started);
      if (!engine.hasEventHandler(m.iterationCompleted, usage.ITERATION_COMPLETED)) {
        engine.on(usage.ITERATION_COMPLETED, m.iterationCompleted);
      }
    }
  }

  /** @internal Whether all (nested) dependencies are registered for `usage`. */
  internalIsAttached(engine: MetricEngine, usage: MetricUsage): boolean {
    return this.dependencies.every((m) =>
      m instanceof MetricsLambda
        ? m.internalIsAttached(engine, usage)
        : engine.hasEventHandler(m.started, usage.STARTED) &&
          engine.hasEventHandler(m.iterationCompleted, usage.ITERATION_COMPLETED),
    );
  }

  /**
   * Attaches the dependencies (reset/update) and this lambda's COMPLETED handler.
   *
   * @param engine - the engine.
   * @param name - the key in `state.metrics`.
   * @param options - `usage`.
   * @returns nothing.
   * @throws Error when the dependencies were already updated through `update()`.
   * @example
   * ```ts
   * div(new Accuracy(), 2).attach(evaluator, 'half_acc');
   * ```
   */
  override attach(engine: MetricEngine, name: string, options: AttachArg = {}): void {
    if (this.#updated) {
      throw new Error(
        "The underlying metrics are already updated, can't attach while using reset/update/compute API.",
      );
    }
    const usage = this.resolveAttachUsage(options);
    this.internalAttach(engine, usage);
    engine.on(usage.COMPLETED, this.completed, name);
  }

  /**
   * Removes this lambda's COMPLETED handler (dependencies stay registered, as in Ignite).
   *
   * @param engine - the engine.
   * @param options - `usage`.
   * @returns nothing.
   */
  override detach(engine: MetricEngine, options: AttachArg = {}): void {
    super.detach(engine, options);
    this.#engine = null;
  }

  /**
   * Whether this lambda and all its dependencies are attached for the usage.
   *
   * @param engine - the engine.
   * @param options - `usage`.
   * @returns true when attached.
   */
  override isAttached(engine: MetricEngine, options: AttachArg = {}): boolean {
    const usage = this.resolveAttachUsage(options);
    return super.isAttached(engine, options) && this.internalIsAttached(engine, usage);
  }
}

/**
 * An operand of the arithmetic helpers: a metric or a constant.
 *
 * @example
 * ```ts
 * const half: Operand = 0.5; mul(half, new Accuracy());
 * ```
 */
export type Operand = Metric | Numeric;

function binary(a: Operand, b: Operand, op: (x: number, y: number) => number, name: string): MetricsLambda<Numeric> {
  return new MetricsLambda((x: unknown, y: unknown) => elementwise(x, y, op, name), a, b);
}

/**
 * `a + b` as a metric (elementwise on arrays).
 *
 * @param a - metric or constant.
 * @param b - metric or constant.
 * @returns a {@link MetricsLambda}.
 * @example
 * ```ts
 * add(new Precision(), new Recall()).attach(evaluator, 'p_plus_r');
 * ```
 */
export function add(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x + y, 'add');
}

/**
 * `a - b` as a metric (elementwise on arrays).
 *
 * @param a - metric or constant.
 * @param b - metric or constant.
 * @returns a {@link MetricsLambda}.
 * @example
 * ```ts
 * const error = sub(1, new Accuracy());
 * ```
 */
export function sub(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x - y, 'sub');
}

/**
 * `a * b` as a metric (elementwise on arrays).
 *
 * @param a - metric or constant.
 * @param b - metric or constant.
 * @returns a {@link MetricsLambda}.
 * @example
 * ```ts
 * const pct = mul(new Accuracy(), 100);
 * ```
 */
export function mul(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x * y, 'mul');
}

/**
 * `a / b` as a metric (elementwise on arrays).
 *
 * @param a - metric or constant.
 * @param b - metric or constant.
 * @returns a {@link MetricsLambda}.
 * @example
 * ```ts
 * const p = new Precision(), r = new Recall();
 * const f1 = div(mul(2, mul(p, r)), add(p, r)); // F1 = 2PR / (P + R)
 * ```
 */
export function div(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x / y, 'div');
}

/**
 * `a ** b` as a metric (elementwise on arrays).
 *
 * @param a - metric or constant.
 * @param b - metric or constant.
 * @returns a {@link MetricsLambda}.
 * @example
 * ```ts
 * const rmse = pow(new MeanSquaredError(), 0.5);
 * ```
 */
export function pow(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x ** y, 'pow');
}

/**
 * The mean of all elements of a metric's result (Ignite's `metric.mean()`).
 *
 * @param a - a metric with a numeric result.
 * @returns a {@link MetricsLambda} producing a number.
 * @example
 * ```ts
 * const macroF1 = mean(new Fbeta(1, { average: false }));
 * ```
 */
export function mean(a: Metric): MetricsLambda<number> {
  return new MetricsLambda((x: unknown) => meanOf(x), a);
}

