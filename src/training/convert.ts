/**
 * @module Port of ignite/utils.py `convert_tensor` and ignite/engine/__init__.py `_prepare_batch`.
 * Porting note: TF.js moves tensor data between backends by itself when a kernel needs it, so "to the device"
 * means "created on the active backend": numbers, nested arrays and typed arrays become tensors there; tensors pass
 * through unchanged (the trainer activates the requested backend when the run starts).
 */

import * as tf from '@tensorflow/tfjs-core';
import { isTensor } from './tensors.js';

/** A value `convertTensor` accepts: tensors, typed arrays, numbers, nested arrays, and arrays/objects of these. */
export type Convertible = tf.Tensor | ArrayLike<number> | number | boolean | readonly Convertible[] | { readonly [k: string]: Convertible };

/** The result of converting a {@link Convertible}: the same structure with tensors in place of data. */
export type Converted = tf.Tensor | Converted[] | { [k: string]: Converted };

const isTypedArray = (v: unknown): v is Float32Array | Int32Array | Uint8Array =>
  ArrayBuffer.isView(v) && !(v instanceof DataView);

function isNumericNested(v: unknown): boolean {
  if (typeof v === 'number') return true;
  if (Array.isArray(v)) return v.length > 0 && v.every(isNumericNested);
  return isTypedArray(v);
}

function isIntegerNested(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v);
  if (Array.isArray(v)) return v.every(isIntegerNested);
  return v instanceof Int32Array || v instanceof Uint8Array || v instanceof Int8Array || v instanceof Uint16Array || v instanceof Int16Array;
}

/**
 * Converts data to tensors on the active backend, keeping the structure: a number becomes a scalar (int32 for
 * integers), a typed array a 1-d tensor of its dtype, a nested numeric array one tensor, arrays of non-numeric
 * values and objects are converted element-wise. Tensors are returned as they are.
 *
 * @param input - the value.
 * @param device - accepted for parity with Ignite (`convert_tensor(input, device, non_blocking)`); backend changes
 *   are applied by the trainer when the run starts.
 * @param nonBlocking - accepted for parity; conversion never reads device memory.
 * @returns the converted structure.
 * @throws TypeError for values that cannot be converted (strings, null, functions), naming the path.
 */
export function convertTensor(input: unknown, device?: string | null, nonBlocking = false): Converted {
  void device;
  void nonBlocking;
  return convertAt(input, 'input');
}

function convertAt(v: unknown, path: string): Converted {
  if (isTensor(v)) return v;
  if (typeof v === 'boolean') return tf.scalar(v, 'bool');
  if (typeof v === 'number') return tf.scalar(v, Number.isInteger(v) ? 'int32' : 'float32');
  if (isTypedArray(v)) {
    const dtype = v instanceof Float32Array || v instanceof Float64Array ? 'float32' : 'int32';
    return tf.tensor(Array.from(v as ArrayLike<number>), [v.length], dtype);
  }
  if (Array.isArray(v)) {
    if (isNumericNested(v) && !v.some(isTypedArray)) return tf.tensor(v as number[], undefined, isIntegerNested(v) ? 'int32' : 'float32');
    return v.map((e: unknown, i) => convertAt(e, `${path}[${i}]`));
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, convertAt(e, `${path}.${k}`)]));
  }
  throw new TypeError(`convertTensor cannot convert ${path} of type ${v === null ? 'null' : typeof v}; expected tensors, numbers, typed arrays or (nested) arrays/objects of these`);
}

/** What a `prepareBatch` function returns: the model input and the target. */
export type PreparedBatch = [x: unknown, y: unknown];

/** `prepareBatch(batch, device, nonBlocking)`: splits a batch into `[x, y]`; may be async. */
export type PrepareBatchFn = (batch: unknown, device: string | null, nonBlocking: boolean) => PreparedBatch | Promise<PreparedBatch>;

function describe(batch: unknown): string {
  if (batch === null || batch === undefined) return String(batch);
  if (Array.isArray(batch)) return `an array of length ${batch.length}`;
  if (isTensor(batch)) return `a tensor of shape [${batch.shape.join(', ')}]`;
  if (typeof batch === 'object') return `an object with keys [${Object.keys(batch).join(', ')}]`;
  return typeof batch;
}

/**
 * The default `prepareBatch`: accepts `[x, y]` pairs and `{ x, y }` objects and converts both parts with
 * {@link convertTensor}.
 *
 * @param batch - the batch.
 * @param device - passed to `convertTensor`.
 * @param nonBlocking - passed to `convertTensor`.
 * @returns `[x, y]`.
 * @throws TypeError when the batch is not a pair, saying what was received.
 */
export function prepareBatch(batch: unknown, device: string | null = null, nonBlocking = false): PreparedBatch {
  let x: unknown;
  let y: unknown;
  if (Array.isArray(batch) && batch.length === 2) [x, y] = batch as [unknown, unknown];
  else if (batch !== null && typeof batch === 'object' && !Array.isArray(batch) && 'x' in batch && 'y' in batch) {
    ({ x, y } = batch);
  } else {
    throw new TypeError(`prepareBatch expects a batch [x, y] or { x, y }, got ${describe(batch)}. Pass a custom prepareBatch for other layouts.`);
  }
  return [convertTensor(x, device, nonBlocking), convertTensor(y, device, nonBlocking)];
}
