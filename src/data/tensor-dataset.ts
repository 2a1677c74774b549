/**
 * @module data/tensor-dataset A dataset over aligned arrays: sample `i` is `[a[i], b[i], ...]`.
 * Port of torch/utils/data/dataset.py `TensorDataset`.
 * Deviations: the columns are kept on the host (typed arrays; tensors given to the constructor are read once with
 * `dataSync()` and not retained, so the caller keeps ownership and may dispose them). `get(i)` returns numbers and
 * {@link NdArray} views (no tensors, nothing to dispose); `getBatch(indices)` builds the batch tensors directly,
 * which is what {@link DataLoader} calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NdArray, describeValue, dtypeOf, isNumericArray, type NumericArray } from './nd-array.js';

/** A column of a {@link TensorDataset}: a tensor, an NdArray, a typed array or a (nested) numeric array. */
export type TensorDatasetColumn = tf.Tensor | NdArray | NumericArray | readonly number[] | readonly (readonly number[])[];

/** A sample of a {@link TensorDataset}: one entry per column, a number for scalar entries, else an NdArray view. */
export type TensorDatasetSample = (number | NdArray)[];

function toNdArray(column: TensorDatasetColumn, k: number): NdArray {
  if (column instanceof NdArray) return column;
  if (column instanceof tf.Tensor) {
    const data = column.dtype === 'float32' ? column.dataSync() : Int32Array.from(column.dataSync() as ArrayLike<number>);
    return new NdArray(data, column.shape);
  }
  if (isNumericArray(column)) return new NdArray(column, [column.length]);
  if (Array.isArray(column)) {
    const t = tf.tidy(() => tf.tensor(column as number[][]));
    try {
      const values = t.dataSync();
      const integral = values.every((v) => Number.isInteger(v));
      return new NdArray(integral ? Int32Array.from(values) : Float32Array.from(values), t.shape);
    } finally {
      t.dispose();
    }
  }
  throw new TypeError(
    `TensorDataset column ${k} should be a tensor, NdArray, typed array or numeric array, but given ${describeValue(column)}.`,
  );
}

/**
 * A map-style dataset over aligned columns (features, labels, ...), all with the same first dimension.
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(new NdArray(new Float32Array(6), [3, 2]), new Int32Array([0, 1, 0]));
 * ds.length;  // 3
 * ds.get(1);  // [NdArray shape [2], 1]
 * const loader = new DataLoader(ds, { batchSize: 2 }); // batches are [x: [2, 2] float32, y: [2] int32]
 * ```
 */
export class TensorDataset {
  /** The columns, as host arrays. */
  readonly columns: readonly NdArray[];
  readonly #rowSizes: number[];

  /**
   * @param columns - one or more columns with the same first dimension. Tensors are copied (not retained).
   * @throws RangeError if there is no column, a column is a scalar, or the first dimensions differ.
   * @throws TypeError for an unsupported column type.
   */
  constructor(...columns: TensorDatasetColumn[]) {
    if (columns.length === 0) throw new RangeError('TensorDataset needs at least one column (e.g. features, labels).');
    const nd = columns.map((c, k) => toNdArray(c, k));
    const n = nd[0]?.shape[0];
    nd.forEach((c, k) => {
      if (c.shape.length === 0) throw new RangeError(`TensorDataset column ${k} is a scalar; every column needs a first (sample) dimension.`);
      if (c.shape[0] !== n) {
        throw new RangeError(
          `Size mismatch between tensors: column ${k} has ${String(c.shape[0])} samples (shape [${c.shape.join(', ')}]), ` +
            `but column 0 has ${String(n)} (shape [${nd[0]?.shape.join(', ')}]).`,
        );
      }
    });
    this.columns = nd;
    this.#rowSizes = nd.map((c) => c.shape.slice(1).reduce((a, b) => a * b, 1));
  }

  /** The number of samples. */
  get length(): number {
    return this.columns[0]?.shape[0] ?? 0;
  }

  /**
   * Returns sample `i`: per column a number (scalar entries) or an NdArray view (no copy).
   *
   * @param i - an index in `[0, length)`.
   * @returns the sample.
   * @throws RangeError if `i` is out of range.
   */
  get(i: number): TensorDatasetSample {
    this.#check(i);
    return this.columns.map((c) => (c.shape.length === 1 ? (c.data[i] as number) : c.at(i)));
  }

  /**
   * Builds the batch of the given indices directly as tensors (one per column, `[indices.length, ...rowShape]`),
   * without per-sample objects. The caller owns the returned tensors.
   *
   * @param indices - dataset indices.
   * @returns one tensor per column.
   * @throws RangeError if an index is out of range.
   * @example
   * ```ts
   * const [x, y] = ds.getBatch([0, 2]);
   * tf.dispose([x, y]);
   * ```
   */
  getBatch(indices: readonly number[]): tf.Tensor[] {
    for (const i of indices) this.#check(i);
    return this.columns.map((c, k) => {
      const size = this.#rowSizes[k] as number;
      const dtype = dtypeOf(c.data);
      const out = dtype === 'float32' ? new Float32Array(size * indices.length) : new Int32Array(size * indices.length);
      indices.forEach((i, b) => out.set(c.data.subarray(i * size, (i + 1) * size), b * size));
      return tf.tensor(out, [indices.length, ...c.shape.slice(1)], dtype);
    });
  }

  #check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new RangeError(`Index ${i} is out of range for a TensorDataset of length ${this.length}.`);
    }
  }
}
