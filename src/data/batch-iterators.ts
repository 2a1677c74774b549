/**
 * @module data/batch-iterators The iterators a {@link DataLoader} hands out: they fetch the batches of a batch
 * sampler, own each batch until the next one is requested (or the iteration ends) and then dispose it.
 * Port of torch/utils/data/dataloader.py `_SingleProcessDataLoaderIter`.
 * Deviations: no worker processes; async datasets are read ahead on the same thread (`prefetch` batches in flight).
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Disposes every tensor inside arrays and plain objects (typed arrays and other objects are not walked).
 *
 * @param batch - a batch as produced by a collate function.
 */
export function disposeBatch(batch: unknown): void {
  if (batch instanceof tf.Tensor) {
    batch.dispose();
  } else if (Array.isArray(batch)) {
    for (const b of batch) disposeBatch(b);
  } else if (typeof batch === 'object' && batch !== null) {
    const proto = Object.getPrototypeOf(batch) as unknown;
    if (proto === Object.prototype || proto === null) for (const v of Object.values(batch)) disposeBatch(v);
  }
}

/** What an iterator needs from its loader. */
export interface IteratorHost<TBatch> {
  /** Fetches (and collates) one batch; returns a promise only in async mode. */
  fetch(indices: number[]): TBatch | Promise<TBatch>;
  /** Disposes a batch the iterator owned (no-op when the loader does not dispose batches). */
  release(batch: TBatch): void;
  /** Called once when the iterator is finished (exhausted or returned). */
  finished(it: LoaderIterator): void;
  /** Wraps the wait for a fetched batch when the consumer asks for it (the workers' `timeout`); default: plain await. */
  wait?(batch: Promise<TBatch>, indices: number[]): Promise<TBatch>;
}

/** Common interface of the sync and async loader iterators (for the loader's registry). */
export interface LoaderIterator {
  /** Disposes the batch handed out last (the consumer must not use it anymore). */
  releaseCurrent(): void;
  /** Ends the iteration and disposes everything it still owns. */
  close(): void;
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * Synchronous batch iterator: fetches a batch on each `next()` and disposes the previous one.
 *
 */
export class SyncBatchIterator<TBatch> implements IterableIterator<TBatch>, LoaderIterator {
  readonly #host: IteratorHost<TBatch>;
  readonly #indices: Iterator<number[]>;
  #current: { batch: TBatch } | null = null;
  #done = false;

  /**
   * @param host - the loader side.
   * @param indices - the batch-sampler iterator (already created, so the epoch's order is drawn).
   */
  constructor(host: IteratorHost<TBatch>, indices: Iterator<number[]>) {
    this.#host = host;
    this.#indices = indices;
  }

  /**
   * Disposes the previous batch and fetches the next one.
   *
   * @returns the next batch, or done.
   */
  next(): IteratorResult<TBatch> {
    this.releaseCurrent();
    if (this.#done) return DONE;
    const r = this.#indices.next();
    if (r.done === true) {
      this.close();
      return DONE;
    }
    const batch = this.#host.fetch(r.value) as TBatch;
    this.#current = { batch };
    return { value: batch, done: false };
  }

  /**
   * Ends the iteration early (a `break` in `for...of`), disposing the current batch.
   *
   * @returns done.
   */
  return(): IteratorResult<TBatch> {
    this.close();
    return DONE;
  }

  /** @returns this iterator. */
  [Symbol.iterator](): IterableIterator<TBatch> {
    return this;
  }

  /** Disposes the batch handed out last. */
  releaseCurrent(): void {
    const c = this.#current;
    this.#current = null;
    if (c !== null) this.#host.release(c.batch);
  }

  /** Ends the iteration and disposes the current batch. */
  close(): void {
    this.releaseCurrent();
    if (!this.#done) {
      this.#done = true;
      this.#host.finished(this);
    }
  }
}

/**
 * Asynchronous batch iterator with read-ahead: `prefetch` batches beyond the one being consumed are in flight.
 *
 */
export class AsyncBatchIterator<TBatch> implements AsyncIterableIterator<TBatch>, LoaderIterator {
  readonly #host: IteratorHost<TBatch>;
  readonly #indices: Iterator<number[]>;
  readonly #prefetch: number;
  readonly #queue: { readonly batch: Promise<TBatch>; readonly indices: number[] }[] = [];
  #exhausted = false;
  #current: { batch: TBatch } | null = null;
  #done = false;

  /**
   * @param host - the loader side.
   * @param indices - the batch-sampler iterator.
   * @param prefetch - batches to read ahead (>= 0).
   */
  constructor(host: IteratorHost<TBatch>, indices: Iterator<number[]>, prefetch: number) {
    this.#host = host;
    this.#indices = indices;
    this.#prefetch = prefetch;
  }

  /** Starts fetches until `prefetch + 1` batches are in flight (the sync part of `get()` runs now). */
  #fill(): void {
    while (!this.#exhausted && this.#queue.length < this.#prefetch + 1) {
      const r = this.#indices.next();
      if (r.done === true) {
        this.#exhausted = true;
        break;
      }
      let p: Promise<TBatch>;
      try {
        p = Promise.resolve(this.#host.fetch(r.value));
      } catch (error) {
        p = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      p.catch(() => undefined); // surfaced when this batch is awaited; never an unhandled rejection
      this.#queue.push({ batch: p, indices: r.value });
    }
  }

  /**
   * Disposes the previous batch, keeps `prefetch` batches in flight and returns the next one.
   *
   * @returns the next batch, or done.
   */
  async next(): Promise<IteratorResult<TBatch>> {
    this.releaseCurrent();
    if (this.#done) return DONE;
    this.#fill();
    const next = this.#queue.shift();
    if (next === undefined) {
      this.close();
      return DONE;
    }
    const batch = await (this.#host.wait?.(next.batch, next.indices) ?? next.batch);
    if (this.#done) {
      this.#host.release(batch);
      return DONE;
    }
    this.#current = { batch };
    return { value: batch, done: false };
  }

  /**
   * Ends the iteration early: disposes the current batch and, as they arrive, the read-ahead batches.
   *
   * @returns done.
   */
  return(): Promise<IteratorResult<TBatch>> {
    this.close();
    return Promise.resolve(DONE);
  }

  /** @returns this iterator. */
  [Symbol.asyncIterator](): AsyncIterableIterator<TBatch> {
    return this;
  }

  /** Disposes the batch handed out last. */
  releaseCurrent(): void {
    const c = this.#current;
    this.#current = null;
    if (c !== null) this.#host.release(c.batch);
  }

  /** Ends the iteration and disposes what it owns (read-ahead batches when they resolve). */
  close(): void {
    this.releaseCurrent();
    for (const { batch } of this.#queue.splice(0)) batch.then((b) => this.#host.release(b), () => undefined);
    if (!this.#done) {
      this.#done = true;
      this.#exhausted = true;
      this.#host.finished(this);
    }
  }
}
