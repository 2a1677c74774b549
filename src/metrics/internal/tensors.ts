/**
 * @module Internal tensor helpers shared by the metrics: input conversion, on-device running sums, deferred value
 * checks and shape formatting. Not part of the public API.
 * Porting note: Ignite accumulates in float64 torch tensors; TF.js has no float64, so sums are float32 (counts int32).
 */

import * as tf from '@tensorflow/tfjs-core';

/**
 * A value a metric accepts as input: a tensor, a number, or nested arrays of numbers.
 *
 */
export type TensorLike = tf.Tensor | number | boolean | TensorLikeArray;
/**
 * Nested arrays of numbers (converted with `tf.tensor`).
 *
 */
export type TensorLikeArray = readonly TensorLike[];

/**
 * Type guard for tensors (avoids the `any` type parameter `instanceof tf.Tensor` narrows to).
 *
 * @param v - anything.
 * @returns true for a tf.Tensor.
 */
export function isTensor(v: unknown): v is tf.Tensor {
  return v instanceof tf.Tensor;
}

/**
 * Converts a tensor-like input to a tensor; tensors pass through unchanged (call inside `tf.tidy` so converted
 * copies are disposed).
 *
 * @param value - a tensor, number, boolean or nested arrays of numbers.
 * @param role - the argument's name for error messages (`'y_pred'`, `'y'`).
 * @returns the tensor; nested arrays of whole numbers become int32, others float32.
 * @throws TypeError when the value is not tensor-like.
 */
export function toTensor(value: unknown, role: string): tf.Tensor {
  if (isTensor(value)) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return tf.scalar(Number(value));
  if (Array.isArray(value)) {
    const flat = flatten(value, role);
    const dtype = flat.every((v) => Number.isInteger(v)) ? 'int32' : 'float32';
    return tf.tensor(value as number[], undefined, dtype);
  }
  throw new TypeError(
    `${role} should be a tf.Tensor, a number or nested arrays of numbers, but given ${describeValue(value)}.`,
  );
}

function flatten(value: readonly unknown[], role: string): number[] {
  const out: number[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) visit(x);
    else if (typeof v === 'number' || typeof v === 'boolean') out.push(Number(v));
    else throw new TypeError(`${role} should contain only numbers, but found ${describeValue(v)}.`);
  };
  visit(value);
  return out;
}

/**
 * Short description of a value's type for error messages.
 *
 * @param value - anything.
 * @returns e.g. `'tf.Tensor float32 [2,3]'`, `'string'`, `'null'`.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (isTensor(value)) return `tf.Tensor ${value.dtype} ${fmtShape(value.shape)}`;
  if (Array.isArray(value)) return `array of length ${value.length}`;
  return typeof value;
}

/**
 * Formats a shape as `[2,3]` (Ignite prints `torch.Size([2, 3])`).
 *
 * @param shape - the shape.
 * @returns the formatted shape.
 */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Whether a tensor holds integers or booleans (what labels must be).
 *
 * @param t - the tensor.
 * @returns true for int32 and bool.
 */
export function isIntegerTensor(t: tf.Tensor): boolean {
  return t.dtype === 'int32' || t.dtype === 'bool';
}

/**
 * A running sum kept on the device: each `add` computes an increment inside `tf.tidy`, adds it to the kept total
 * and disposes the previous total, so the number of live tensors stays constant.
 *
 * @example
 * ```ts
 * const s = new DeviceSum();
 * s.add(() => tf.sum(x));
 * s.read(); // number | number[] ...
 * s.reset();
 * ```
 */
export class DeviceSum {
  #value: tf.Tensor | null = null;

  /**
   * Adds an increment computed by `fn` (run inside `tf.tidy`).
   *
   * @param fn - returns the increment; must have the same shape on every call.
   * @returns nothing.
   */
  add(fn: () => tf.Tensor): void {
    this.addOwned(tf.tidy(fn));
  }

  /**
   * Adds an increment and takes ownership of it (it is disposed here).
   *
   * @param increment - a tensor of the same shape on every call.
   * @returns nothing.
   */
  addOwned(increment: tf.Tensor): void {
    // tf.keep: `add` may run inside a caller's tf.tidy, which must not dispose the kept total.
    const inc = tf.keep(increment);
    if (this.#value === null) {
      this.#value = inc;
      return;
    }
    const prev = this.#value;
    this.#value = tf.keep(tf.add(prev, inc));
    prev.dispose();
    inc.dispose();
  }

  /** @returns true when at least one increment was added since the last reset. */
  get hasValue(): boolean {
    return this.#value !== null;
  }

  /** @returns the kept total (owned by this object; do not dispose), or null before any `add`. */
  get tensor(): tf.Tensor | null {
    return this.#value;
  }

  /**
   * Replaces the kept total without disposing either tensor (used to all-reduce a metric's state around
   * `compute()` and restore it afterwards).
   *
   * @param value - the new total (not copied) or null.
   * @returns the previous total, now owned by the caller.
   * @internal
   */
  swap(value: tf.Tensor | null): tf.Tensor | null {
    const prev = this.#value;
    this.#value = value;
    return prev;
  }

  /**
   * Reads the total back from the device (one synchronous read).
   *
   * @returns the total as a number (rank 0) or nested arrays; 0 before any `add`.
   */
  read(): number | NestedNumbers {
    if (this.#value === null) return 0;
    return readTensor(this.#value);
  }

  /**
   * Disposes the total.
   *
   * @returns nothing.
   */
  reset(): void {
    this.#value?.dispose();
    this.#value = null;
  }
}

/**
 * Nested arrays of numbers (what `arraySync` returns for rank >= 1).
 *
 */
export type NestedNumbers = number[] | NestedNumbers[];

/**
 * Reads a tensor back: rank 0 becomes a number, higher ranks nested arrays.
 *
 * @param t - the tensor (not disposed).
 * @returns a number or nested arrays.
 */
export function readTensor(t: tf.Tensor): number | NestedNumbers {
  if (t.rank === 0) return t.dataSync()[0] ?? Number.NaN;
  return t.arraySync();
}

/**
 * Value checks that need the data (e.g. "y contains only 0 and 1") done on the device without a per-iteration
 * read: each check adds a count of offending elements, and {@link DeferredChecks.verify} reads all counts once in
 * `compute()` and throws the first failing check's error.
 *
 * @example
 * ```ts
 * const checks = new DeferredChecks();
 * checks.count('binary_y', () => tf.sum(tf.notEqual(y, tf.square(y))), () => new RangeError('...'));
 * checks.verify(); // throws if any count > 0
 * ```
 */
export class DeferredChecks {
  readonly #sums = new Map<string, { sum: DeviceSum; error: () => Error }>();

  /**
   * Adds the number of offending elements of the current batch to check `key`.
   *
   * @param key - the check's identifier.
   * @param fn - returns a scalar count (any numeric dtype); run inside `tf.tidy`.
   * @param error - builds the error thrown by `verify()` when the count is positive.
   * @returns nothing.
   */
  count(key: string, fn: () => tf.Tensor, error: () => Error): void {
    let entry = this.#sums.get(key);
    if (!entry) {
      entry = { sum: new DeviceSum(), error };
      this.#sums.set(key, entry);
    }
    entry.sum.add(() => tf.cast(fn(), 'int32'));
  }

  /**
   * Reads every count and throws the first failing check's error.
   *
   * @returns nothing.
   * @throws the error of the first check whose count is positive.
   */
  verify(): void {
    for (const { sum, error } of this.#sums.values()) {
      const n = sum.read();
      if (typeof n === 'number' && n > 0) throw error();
    }
  }

  /**
   * Disposes all counts.
   *
   * @returns nothing.
   */
  reset(): void {
    for (const { sum } of this.#sums.values()) sum.reset();
    this.#sums.clear();
  }
}

/**
 * Moves axis 1 to the end and flattens the rest: `(N, C, ...)` → `(N * ..., C)` (Ignite's transpose + reshape).
 *
 * @param t - a tensor of rank >= 2.
 * @returns the reshaped tensor.
 */
export function classesLast(t: tf.Tensor): tf.Tensor2D {
  const c = t.shape[1] ?? 1;
  if (t.rank === 2) return t as tf.Tensor2D;
  const perm = [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2), 1];
  return tf.reshape<tf.Rank.R2>(tf.transpose(t, perm), [-1, c]);
}
