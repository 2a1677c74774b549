/**
 * @module data/collate The default collate function: turns a list of samples into one batch of tensors.
 * Port of torch/utils/data/_utils/collate.py `default_collate`.
 * Deviations: JavaScript has no int/float distinction, so a position holding numbers becomes an `int32` tensor when
 * every number of the batch is an integer and a `float32` tensor otherwise (store float targets that may be integral,
 * such as 0/1 labels, in a Float32Array or NdArray to keep them float32). A plain array is a tuple at the top level
 * (`[x, y]` stays a pair, like torch), while a numeric array nested inside a sample (`[[0.1, 0.2], 1]`) is data and
 * is stacked into a tensor. Typed arrays and {@link NdArray}s are stacked on the host and uploaded once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { NdArray, describeValue, isNumericArray, type NumericArray } from './nd-array.js';
import {
  collateNested,
  commonKeys,
  commonLength,
  isPlainObject,
  nestedShape,
  sameShape,
  shapeError,
  stackHost,
  stackNumbers,
  typeError,
  type HostTensor,
} from './host-collate.js';

/** A number or a (nested) array of numbers: numeric data when it appears inside a sample. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** The batch type {@link defaultCollate} makes of one position of a sample (see {@link Collated}). */
export type CollatedValue<T> = T extends tf.Tensor | NdArray | NumericArray | number | boolean
  ? tf.Tensor
  : T extends string
    ? string[]
    : T extends readonly NestedNumbers[]
      ? tf.Tensor
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: CollatedValue<T[K]> }
        : T extends object
          ? { -readonly [K in keyof T]: CollatedValue<T[K]> }
          : unknown;

/**
 * The batch type {@link defaultCollate} makes of samples of type `T`: a top-level array is a tuple collated
 * position by position, numbers/typed arrays/NdArrays/tensors/nested numeric arrays become tensors, strings string
 * arrays, and objects keep their keys. For example `Collated<[number[], number]>` is `[tf.Tensor, tf.Tensor]`.
 */
export type Collated<T> = T extends readonly unknown[] ? { -readonly [K in keyof T]: CollatedValue<T[K]> } : CollatedValue<T>;

/**
 * A collate function: `samples[k]` is the sample at dataset index `indices[k]`. (Declared bivariantly, so a
 * `DataLoader<[number[], number]>` is usable where a `DataLoader<unknown>` is expected.)
 */
export type CollateFn<TSample, TBatch> = {
  bivarianceHack(samples: TSample[], indices: readonly number[]): TBatch;
}['bivarianceHack'];

/** Uploads a batch position collated on the host (one upload). */
function upload(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

function isNumericNested(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && nestedShape(value) !== null;
}

function collateTensors(samples: tf.Tensor[], path: string, indices: readonly number[]): tf.Tensor {
  const first = samples[0] as tf.Tensor;
  samples.forEach((t, k) => {
    if (!sameShape(t.shape, first.shape)) throw shapeError(path, indices, k, t.shape, first.shape);
  });
  return tf.stack(samples);
}

function collateObjects(samples: Record<string, unknown>[], path: string, indices: readonly number[], made: tf.Tensor[]): unknown {
  const keys = commonKeys(samples, path, indices);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = collateAt(samples.map((s) => s[key]), `${path}.${key}`, indices, made, false);
  return out;
}

function collateTuples(samples: unknown[][], path: string, indices: readonly number[], made: tf.Tensor[]): unknown[] {
  const n = commonLength(samples, path, indices);
  return Array.from({ length: n }, (_, i) => collateAt(samples.map((s) => s[i]), `${path}[${i}]`, indices, made, false));
}

function collateAt(samples: unknown[], path: string, indices: readonly number[], made: tf.Tensor[], top: boolean): unknown {
  const first = samples[0];
  const same = (pred: (v: unknown) => boolean): boolean => {
    const k = samples.findIndex((s) => !pred(s));
    if (k >= 0) throw typeError(path, indices, k, samples[k], first);
    return true;
  };
  let out: tf.Tensor;
  if (first instanceof tf.Tensor && same((s) => s instanceof tf.Tensor)) out = collateTensors(samples as tf.Tensor[], path, indices);
  else if (first instanceof NdArray && same((s) => s instanceof NdArray)) out = upload(stackHost(samples as NdArray[], path, indices));
  else if (isNumericArray(first) && same(isNumericArray)) {
    out = upload(stackHost((samples as NumericArray[]).map((d) => ({ data: d, shape: [d.length] })), path, indices));
  } else if (typeof first === 'number' && same((s) => typeof s === 'number')) out = upload(stackNumbers(samples as number[], [samples.length]));
  else if (typeof first === 'boolean' && same((s) => typeof s === 'boolean')) out = tf.tensor1d(samples as boolean[], 'bool');
  else if (typeof first === 'string' && same((s) => typeof s === 'string')) return samples;
  else if (!top && isNumericNested(first)) out = upload(collateNested(samples, path, indices));
  else if (Array.isArray(first) && same(Array.isArray)) return collateTuples(samples as unknown[][], path, indices, made);
  else if (isPlainObject(first) && same(isPlainObject)) return collateObjects(samples as Record<string, unknown>[], path, indices, made);
  else {
    throw new TypeError(
      `Cannot collate ${describeValue(first)} at ${path} (sample at index ${indices[0] ?? 0}). default collate ` +
        'supports tensors, NdArrays, typed arrays, numbers, booleans, strings, arrays and plain objects; pass a custom collate.',
    );
  }
  made.push(out);
  return out;
}

/**
 * Stacks samples into a batch (torch's `default_collate`): tensors are stacked with `tf.stack`, NdArrays and typed
 * arrays are stacked on the host and uploaded once, numbers become `int32` (all integers) or `float32` tensors,
 * booleans `bool` tensors, strings stay string arrays; `[x, y]` stays `[x, y]` and objects stay objects, collated
 * position by position. Input tensors are not disposed; every returned tensor is new and owned by the caller.
 *
 * @param samples - the samples, all with the same structure and shapes.
 * @param indices - their dataset indices, used in error messages (default: positions in the batch).
 * @returns the batch.
 * @throws RangeError if samples have different shapes (naming both dataset indices and shapes) or the batch is empty.
 * @throws TypeError if samples have different structures or an unsupported type.
 * @example
 * ```ts
 * const [x, y] = defaultCollate([[[0.1, 0.2], 1], [[0.3, 0.4], 0]]) as [tf.Tensor, tf.Tensor];
 * x.shape; // [2, 2] float32
 * y.dtype; // 'int32'
 * ```
 */
export function defaultCollate(samples: readonly unknown[], indices: readonly number[] = []): unknown {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new RangeError(`defaultCollate needs a non-empty array of samples, but given ${describeValue(samples)}.`);
  }
  const made: tf.Tensor[] = [];
  try {
    return collateAt(samples as unknown[], 'batch', indices, made, true);
  } catch (error) {
    tf.dispose(made);
    throw error;
  }
}
