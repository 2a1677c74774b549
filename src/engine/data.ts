/**
 * @module Data sources the engine accepts, normalised once (the Keras lesson: the loop sees one kind of iterator).
 *
 * Accepted: arrays and other iterables, async iterables, objects with an `iterator()` method returning a
 * (possibly promised) iterator with `next()` (tf.data.Dataset), or `null` together with `epochLength`.
 */

/** A source of batches for `Engine.run()`. */
export type DataSource<T> =
  | Iterable<T>
  | AsyncIterable<T>
  | { iterator(): Iterator<T> | AsyncIterator<T> | Promise<{ next(): Promise<IteratorResult<T>> }> };

/** The iterator the run loop pulls from: `next()` may return a promise (async sources). */
export interface BatchIterator<T> {
  /** The next batch (or `{ done: true }`); async sources return a promise. */
  next(): IteratorResult<T> | Promise<IteratorResult<T>>;
  /** Closes the iterator early (called when the engine abandons it). */
  return?(value?: unknown): unknown;
}

/**
 * Tells whether a value can be iterated by the engine.
 *
 * @param data - candidate data source.
 * @returns true for iterables, async iterables and objects with an `iterator()` method.
 * @example
 * ```ts
 * isDataSource([1, 2]); // true
 * isDataSource(42);     // false
 * ```
 */
export function isDataSource(data: unknown): data is DataSource<unknown> {
  if (data === null || data === undefined) return false;
  if (typeof data === 'string') return true;
  if (typeof data !== 'object' && typeof data !== 'function') return false;
  const d = data as Record<PropertyKey, unknown>;
  return (
    typeof d[Symbol.iterator] === 'function' ||
    typeof d[Symbol.asyncIterator] === 'function' ||
    typeof d['iterator'] === 'function'
  );
}

/**
 * The number of batches of a sized source: its numeric `length`, or a finite `size` (tf.data.Dataset).
 * A `length` getter that throws a `TypeError` means "unsized" (Ignite's IterableDataset case).
 *
 * @param data - the data source.
 * @returns the length, or `null` when unknown.
 * @example
 * ```ts
 * dataLength([1, 2, 3]);          // 3
 * dataLength((function* () {})()); // null
 * ```
 */
export function dataLength(data: unknown): number | null {
  if (data === null || data === undefined || (typeof data !== 'object' && typeof data !== 'string')) return null;
  let length: unknown;
  try {
    length = (data as { length?: unknown }).length;
  } catch (e) {
    if (e instanceof TypeError) return null;
    throw e;
  }
  if (typeof length === 'number' && Number.isFinite(length)) return length;
  const size = (data as { size?: unknown }).size;
  if (typeof size === 'number' && Number.isFinite(size) && typeof (data as { iterator?: unknown }).iterator === 'function') {
    return size;
  }
  return null;
}

/**
 * Creates a fresh iterator over a data source (`iter(data)` in Ignite).
 *
 * @param data - the data source.
 * @returns the iterator, or a promise of it for sources whose `iterator()` is async (tf.data).
 * @example
 * ```ts
 * const it = createIterator([1, 2]) as BatchIterator<number>;
 * it.next(); // { value: 1, done: false }
 * ```
 */
export function createIterator<T>(data: DataSource<T>): BatchIterator<T> | Promise<BatchIterator<T>> {
  const d = data as Record<PropertyKey, unknown>;
  if (typeof d[Symbol.iterator] === 'function') return (data as Iterable<T>)[Symbol.iterator]();
  if (typeof d[Symbol.asyncIterator] === 'function') return (data as AsyncIterable<T>)[Symbol.asyncIterator]();
  return (data as { iterator(): BatchIterator<T> | Promise<BatchIterator<T>> }).iterator();
}

const NULL_RESULT: IteratorResult<null> = Object.freeze({ value: null, done: false });

/** @internal An endless iterator of `null` batches, used when `run(null, { epochLength })`. */
export function nullIterator(): BatchIterator<null> {
  return { next: () => NULL_RESULT };
}
