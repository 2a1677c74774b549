/**
 * @module data/tf-dataset An adapter from a `tf.data.Dataset` to a sized async iterable of batches with kindling's
 * batch ownership. No Ignite counterpart (torch has no tf.data). Deviations: none to port. `engine.run()` already
 * accepts a `tf.data.Dataset` as it is; use this adapter when the loop should also dispose each element's tensors
 * (tf.data hands them to the caller) and map `{ xs, ys }` elements (tfjs-layers' `fitDataset` convention) to the
 * `[x, y]` pairs kindling's supervised steps take. Structural typing only: this file does not import tfjs-data.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of `tf.data.Dataset` the adapter uses: `iterator()` (async) and the optional finite `size`. */
export interface TfDatasetLike<T> {
  /** Creates an iterator over the elements. */
  iterator(): Promise<{ next(): Promise<IteratorResult<T>> }>;
  /** The number of elements, when known (tf.data: `null` or `Infinity` when unknown). */
  readonly size?: number | null;
}

/** Options of {@link fromTfDataset}. */
export interface FromTfDatasetOptions<T, TBatch> {
  /** Turns an element into a batch (default: `{ xs, ys }` becomes `[xs, ys]`, anything else is kept). */
  toBatch?: (element: T) => TBatch;
  /** Dispose each element's tensors when the next one is requested or the iteration ends (default true). */
  dispose?: boolean;
}

/** A sized async iterable of batches (what {@link fromTfDataset} returns). */
export interface TfDatasetSource<TBatch> extends AsyncIterable<TBatch> {
  /** Batches per epoch (the dataset's `size`), or `undefined` when unknown (then pass `epochLength` to `run`). */
  readonly length: number | undefined;
}

function defaultToBatch(element: unknown): unknown {
  if (typeof element === 'object' && element !== null && 'xs' in element && 'ys' in element) {
    return [(element as { xs: unknown }).xs, (element as { ys: unknown }).ys];
  }
  return element;
}

function disposeElement(element: unknown): void {
  tf.dispose(element as tf.TensorContainer);
}

/**
 * Wraps a `tf.data.Dataset` (or anything with an async `iterator()`) as a sized async iterable that a kindling
 * `Engine` runs over, disposing each element when the next one is requested (batch ownership as in `DataLoader`).
 *
 * @param dataset - the tf.data dataset, typically already `.batch(n)`-ed.
 * @param options - toBatch and dispose.
 * @returns the source; a new pass over the dataset starts at every iteration (every epoch).
 * @throws TypeError if `dataset` has no `iterator()` method.
 * @example
 * ```ts
 * const ds = tf.data.zip({ xs: tf.data.array(images), ys: tf.data.array(labels) }).shuffle(1000).batch(32);
 * await trainer.run(fromTfDataset(ds), { maxEpochs: 3 }); // batches [xs, ys], disposed after each step
 * ```
 */
export function fromTfDataset<T, TBatch = unknown>(
  dataset: TfDatasetLike<T>,
  options: FromTfDatasetOptions<T, TBatch> = {},
): TfDatasetSource<TBatch> {
  if (typeof (dataset as { iterator?: unknown } | null)?.iterator !== 'function') {
    throw new TypeError('fromTfDataset expects a tf.data.Dataset (an object with an async iterator() method).');
  }
  const toBatch = options.toBatch ?? (defaultToBatch as (element: T) => TBatch);
  const dispose = options.dispose ?? true;
  const size = dataset.size;
  return {
    length: typeof size === 'number' && Number.isFinite(size) ? size : undefined,
    async *[Symbol.asyncIterator](): AsyncGenerator<TBatch> {
      const it = await dataset.iterator();
      let current: T | undefined;
      try {
        for (;;) {
          const r = await it.next();
          if (dispose && current !== undefined) disposeElement(current);
          current = undefined;
          if (r.done === true) return;
          current = r.value;
          yield toBatch(r.value);
        }
      } finally {
        if (dispose && current !== undefined) disposeElement(current);
      }
    },
  };
}
