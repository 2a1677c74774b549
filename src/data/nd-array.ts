/**
 * @module data/nd-array A host-side n-dimensional array (a typed array plus a shape): what `readIdx` returns and what
 * `TensorDataset` yields per sample, so datasets can live outside TensorFlow.js memory and only batches become tensors.
 * Port of the role of numpy arrays in torch's data pipeline. Deviations: no strides, always row-major and contiguous.
 */

/** The typed arrays kindling's data pipeline understands. */
export type NumericArray =
  | Float32Array
  | Float64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array;

/** TensorFlow.js numeric dtypes a typed array maps to. */
export type NumericDtype = 'float32' | 'int32';

/**
 * Returns the TensorFlow.js dtype a typed array becomes: floats become `float32`, integers `int32`.
 *
 * @param data - a typed array.
 * @returns `'float32'` or `'int32'`.
 */
export function dtypeOf(data: NumericArray): NumericDtype {
  return data instanceof Float32Array || data instanceof Float64Array ? 'float32' : 'int32';
}

/**
 * Tells whether a value is one of the typed arrays of {@link NumericArray}.
 *
 * @param value - any value.
 * @returns true for typed arrays (not DataView, not BigInt arrays).
 */
export function isNumericArray(value: unknown): value is NumericArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

/**
 * A row-major n-dimensional array on the host: `data` holds `product(shape)` numbers.
 *
 * @example
 * ```ts
 * const images = new NdArray(new Uint8Array(2 * 28 * 28), [2, 28, 28]);
 * images.at(1).shape; // [28, 28]
 * ```
 */
export class NdArray<TData extends NumericArray = NumericArray> {
  /** The values, row-major. */
  readonly data: TData;
  /** The dimensions; `[]` is a scalar. */
  readonly shape: readonly number[];

  /**
   * @param data - the values, row-major.
   * @param shape - the dimensions; their product must equal `data.length`. Defaults to `[data.length]`.
   * @throws RangeError if the shape does not match the number of values or has a negative/non-integer size.
   */
  constructor(data: TData, shape: readonly number[] = [data.length]) {
    if (!isNumericArray(data)) {
      throw new TypeError(`NdArray expects a typed array (e.g. Float32Array), but given ${describeValue(data)}.`);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`NdArray shape must contain non-negative integers, but given [${shape.join(', ')}].`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) {
      throw new RangeError(
        `NdArray shape [${shape.join(', ')}] needs ${size} values, but the data has ${data.length}. Fix the shape.`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** The TensorFlow.js dtype of this array ({@link dtypeOf}). */
  get dtype(): NumericDtype {
    return dtypeOf(this.data);
  }

  /** The number of entries along the first dimension (1 for a scalar). */
  get length(): number {
    return this.shape[0] ?? 1;
  }

  /**
   * Returns the `i`-th sub-array along the first dimension, as a view (no copy) of shape `shape.slice(1)`.
   *
   * @param i - an index in `[0, shape[0])`.
   * @returns the view.
   * @throws RangeError if the array is a scalar or `i` is out of range.
   */
  at(i: number): NdArray<TData> {
    const n = this.shape[0];
    if (n === undefined || !Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`Index ${i} is out of range for an NdArray of shape [${this.shape.join(', ')}].`);
    }
    const inner = this.shape.slice(1);
    const size = inner.reduce((a, b) => a * b, 1);
    return new NdArray(this.data.subarray(i * size, (i + 1) * size) as TData, inner);
  }
}

/**
 * Describes a value for an error message (type and, for small values, the value itself).
 *
 * @param value - any value.
 * @returns a short description.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'object') return `an object of type ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${value.toString()}`;
  }
  return typeof value;
}
