/**
 * @module Port of ignite/metrics/metrics_lambda.py: a metric computed from other metrics' results, plus the
 * arithmetic helpers that replace Ignite's operator overloading (`m1 / m2` is `div(m1, m2)`).
 * Deviations: arithmetic works on plain results (numbers and nested arrays, elementwise with broadcasting of a
 * number), since results are never tensors. Ignite's operators are methods of every metric (`m.add(2)`,
 * `m.rsub(1)` for `1 - m`, `m.at(i)` for `m[i]`); `__getattr__`'s tensor-method passthrough is the fixed set
 * `mean`, `sum`, `max`, `min`, `item`, `abs` (JavaScript cannot forward unknown method names to a future value).
 * `%` and `//` follow Python: the remainder takes the divisor's sign and the quotient is floored.
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
 */
export function pow(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x ** y, 'pow');
}

/**
 * The mean of all elements of a metric's result (Ignite's `metric.mean()`).
 *
 * @param a - a metric with a numeric result.
 * @returns a {@link MetricsLambda} producing a number.
 */
export function mean(a: Metric): MetricsLambda<number> {
  return new MetricsLambda((x: unknown) => meanOf(x), a);
}


/**
 * `a % b` with Python's sign rule (the result has the divisor's sign), elementwise.
 *
 * @param a - a metric or a value.
 * @param b - a metric or a value.
 * @returns the composed metric.
 */
export function mod(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => x - y * Math.floor(x / y), 'mod');
}

/**
 * `a // b`: Python's floor division, elementwise.
 *
 * @param a - a metric or a value.
 * @param b - a metric or a value.
 * @returns the composed metric.
 */
export function floordiv(a: Operand, b: Operand): MetricsLambda<Numeric> {
  return binary(a, b, (x, y) => Math.floor(x / y), 'floordiv');
}

function unary(a: Metric, fn: (v: unknown) => unknown): MetricsLambda<unknown> {
  return new MetricsLambda((x: unknown) => fn(x), a);
}

function flatNumbers(v: unknown, op: string): number[] {
  const out: number[] = [];
  const visit = (x: unknown): void => {
    if (typeof x === 'number') out.push(x);
    else if (Array.isArray(x)) x.forEach(visit);
    else throw new TypeError(`Metric result of type ${typeof x} has no method '${op}': expected a number or nested arrays of numbers.`);
  };
  visit(v);
  return out;
}

const OPERATORS = {
  add: (a: Operand, b: Operand) => add(a, b),
  sub: (a: Operand, b: Operand) => sub(a, b),
  mul: (a: Operand, b: Operand) => mul(a, b),
  div: (a: Operand, b: Operand) => div(a, b),
  pow: (a: Operand, b: Operand) => pow(a, b),
  mod: (a: Operand, b: Operand) => mod(a, b),
  floordiv: (a: Operand, b: Operand) => floordiv(a, b),
} as const;

type OperatorName = keyof typeof OPERATORS;

/** The operator and tensor-method API that every metric gets (Ignite's `Metric.__add__` & co.). */
interface MetricOperatorMethods {
  /** `this + other`. @param other - a metric or a value. @returns the composed metric. */
  add(other: Operand): MetricsLambda<Numeric>;
  /** `this - other`. @param other - a metric or a value. @returns the composed metric. */
  sub(other: Operand): MetricsLambda<Numeric>;
  /** `this * other`. @param other - a metric or a value. @returns the composed metric. */
  mul(other: Operand): MetricsLambda<Numeric>;
  /** `this / other`. @param other - a metric or a value. @returns the composed metric. */
  div(other: Operand): MetricsLambda<Numeric>;
  /** `this ** other`. @param other - a metric or a value. @returns the composed metric. */
  pow(other: Operand): MetricsLambda<Numeric>;
  /** `this % other` (Python's sign rule). @param other - a metric or a value. @returns the composed metric. */
  mod(other: Operand): MetricsLambda<Numeric>;
  /** `this // other` (floored). @param other - a metric or a value. @returns the composed metric. */
  floordiv(other: Operand): MetricsLambda<Numeric>;
  /** `other + this`. @param other - a metric or a value. @returns the composed metric. */
  radd(other: Operand): MetricsLambda<Numeric>;
  /** `other - this`. @param other - a metric or a value. @returns the composed metric. */
  rsub(other: Operand): MetricsLambda<Numeric>;
  /** `other * this`. @param other - a metric or a value. @returns the composed metric. */
  rmul(other: Operand): MetricsLambda<Numeric>;
  /** `other / this`. @param other - a metric or a value. @returns the composed metric. */
  rdiv(other: Operand): MetricsLambda<Numeric>;
  /** `other ** this`. @param other - a metric or a value. @returns the composed metric. */
  rpow(other: Operand): MetricsLambda<Numeric>;
  /** `other % this`. @param other - a metric or a value. @returns the composed metric. */
  rmod(other: Operand): MetricsLambda<Numeric>;
  /** `other // this`. @param other - a metric or a value. @returns the composed metric. */
  rfloordiv(other: Operand): MetricsLambda<Numeric>;
  /** `abs(this)`, elementwise. @returns the composed metric. */
  abs(): MetricsLambda<Numeric>;
  /** `this[index]` (negative indices count from the end). @param index - the index. @returns the composed metric. */
  at(index: number): MetricsLambda<unknown>;
  /** The mean of every number of the result. @returns the composed metric. */
  mean(): MetricsLambda<number>;
  /** The sum of every number of the result. @returns the composed metric. */
  sum(): MetricsLambda<number>;
  /** The largest number of the result. @returns the composed metric. */
  max(): MetricsLambda<number>;
  /** The smallest number of the result. @returns the composed metric. */
  min(): MetricsLambda<number>;
  /** The single number of a one-element result (`tensor.item()`). @returns the composed metric. */
  item(): MetricsLambda<number>;
}

declare module './metric.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unused-vars
  interface Metric<TResult = unknown> extends MetricOperatorMethods {}
}

function installOperators(): void {
  const proto = Metric.prototype as unknown as Record<string, unknown>;
  for (const name of Object.keys(OPERATORS) as OperatorName[]) {
    const op = OPERATORS[name];
    proto[name] = function (this: Metric, other: Operand) { return op(this, other); };
    proto[`r${name}`] = function (this: Metric, other: Operand) { return op(other, this); };
  }
  proto['abs'] = function (this: Metric) { return binary(this, 0, (x) => Math.abs(x), 'abs'); };
  proto['at'] = function (this: Metric, index: number) {
    return unary(this, (v) => {
      if (!Array.isArray(v)) throw new TypeError(`Metric result of type ${typeof v} cannot be indexed: expected an array result.`);
      const value: unknown = v.at(index);
      if (value === undefined) throw new RangeError(`Index ${index} is out of range for a metric result of length ${v.length}.`);
      return value;
    });
  };
  proto['mean'] = function (this: Metric) { return new MetricsLambda((x: unknown) => meanOf(x), this); };
  proto['sum'] = function (this: Metric) { return new MetricsLambda((x: unknown) => flatNumbers(x, 'sum').reduce((a, b) => a + b, 0), this); };
  proto['max'] = function (this: Metric) { return new MetricsLambda((x: unknown) => Math.max(...flatNumbers(x, 'max')), this); };
  proto['min'] = function (this: Metric) { return new MetricsLambda((x: unknown) => Math.min(...flatNumbers(x, 'min')), this); };
  proto['item'] = function (this: Metric) {
    return new MetricsLambda((x: unknown) => {
      const flat = flatNumbers(x, 'item');
      if (flat.length !== 1) throw new RangeError(`item() needs a result with exactly one number, got ${flat.length}.`);
      return flat[0] as number;
    }, this);
  };
}

// Ignite's operators live on `Metric`; this module defines MetricsLambda, so it installs them on the prototype.
installOperators();
