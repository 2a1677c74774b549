/**
 * @module data/host-collate {@link defaultCollate}'s rules applied on the host, without TensorFlow.js: a DataLoader
 * worker collates its samples into one typed array per batch position, sends the buffers back as transferables
 * (no per-sample structured clone), and the main thread turns each into a tensor with one upload.
 * Port of torch/utils/data/_utils/collate.py `default_collate` (the part that runs in torch's worker processes).
 * Deviations: samples holding TensorFlow.js tensors cannot be collated in a worker (workers have no TF.js backend);
 * return typed arrays or {@link NdArray}s from a worker dataset instead.
 */
import { NdArray, describeValue, dtypeOf, isNumericArray, type NumericArray } from './nd-array.js';

/** One collated batch position: a typed array with its tensor shape and dtype (`bool` as 0/1 bytes). */
export interface HostTensor {
  /** Marks the object as a host tensor (plain objects of a sample never carry this key). */
  readonly kindlingHostTensor: true;
  /** The tensor dtype. */
  readonly dtype: 'float32' | 'int32' | 'bool';
  /** The tensor shape, batch dimension first. */
  readonly shape: number[];
  /** The values, row-major. */
  readonly data: Float32Array | Int32Array | Uint8Array;
}

function hostTensor(dtype: HostTensor['dtype'], shape: number[], data: HostTensor['data']): HostTensor {
  return { kindlingHostTensor: true, dtype, shape, data };
}

/**
 * Tells whether a value is a {@link HostTensor}.
 *
 * @param value - any value.
 * @returns true for host tensors made by {@link hostCollate}.
 */
export function isHostTensor(value: unknown): value is HostTensor {
  return typeof value === 'object' && value !== null && (value as { kindlingHostTensor?: unknown }).kindlingHostTensor === true;
}

// The collate rules below are shared with defaultCollate (collate.ts), which uploads their host results as tensors.

/** @internal */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function at(indices: readonly number[], k: number): number {
  return indices[k] ?? k;
}

/** A shape mismatch inside a batch, reported with the dataset indices of both samples. @internal */
export function shapeError(path: string, indices: readonly number[], k: number, got: readonly number[], want: readonly number[]): RangeError {
  return new RangeError(
    `Cannot collate the batch: the sample at index ${at(indices, k)} has shape [${got.join(', ')}] at ${path}, but the ` +
      `sample at index ${at(indices, 0)} has shape [${want.join(', ')}]. All samples of a batch must have the same shape; ` +
      'fix the dataset or pass a custom collate (e.g. one that pads).',
  );
}

/** A structure or type mismatch inside a batch, reported with the dataset indices of both samples. @internal */
export function typeError(path: string, indices: readonly number[], k: number, got: unknown, want: unknown): TypeError {
  return new TypeError(
    `Cannot collate the batch: the sample at index ${at(indices, k)} is ${describeValue(got)} at ${path}, but the ` +
      `sample at index ${at(indices, 0)} is ${describeValue(want)}. All samples must have the same structure.`,
  );
}

/** Shape of a rectangular nested numeric array, or null if it is not one. @internal */
export function nestedShape(value: unknown): number[] | null {
  if (typeof value === 'number') return [];
  if (!Array.isArray(value) || value.length === 0) return null;
  const first = nestedShape(value[0]);
  if (first === null) return null;
  for (let i = 1; i < value.length; i += 1) {
    const s = nestedShape(value[i]);
    if (s === null || !sameShape(s, first)) return null;
  }
  return [value.length, ...first];
}

function flattenInto(value: unknown, out: number[]): void {
  if (typeof value === 'number') out.push(value);
  else for (const v of value as unknown[]) flattenInto(v, out);
}

/** Numbers as an `int32` (all integers) or `float32` host tensor. @internal */
export function stackNumbers(values: number[], shape: number[]): HostTensor {
  const integral = values.every((v) => Number.isInteger(v));
  return integral ? hostTensor('int32', shape, Int32Array.from(values)) : hostTensor('float32', shape, Float32Array.from(values));
}

/** Typed arrays of one shape and dtype stacked into one host tensor. @internal */
export function stackHost(parts: { data: NumericArray; shape: readonly number[] }[], path: string, indices: readonly number[]): HostTensor {
  const first = parts[0] as { data: NumericArray; shape: readonly number[] };
  const dtype = dtypeOf(first.data);
  const size = first.data.length;
  const out = dtype === 'float32' ? new Float32Array(size * parts.length) : new Int32Array(size * parts.length);
  parts.forEach((p, k) => {
    if (!sameShape(p.shape, first.shape)) throw shapeError(path, indices, k, p.shape, first.shape);
    if (dtypeOf(p.data) !== dtype) throw typeError(path, indices, k, p.data, first.data);
    out.set(p.data, k * size);
  });
  return hostTensor(dtype, [parts.length, ...first.shape], out);
}

/** Nested numeric arrays of one shape stacked into one host tensor. @internal */
export function collateNested(samples: unknown[], path: string, indices: readonly number[]): HostTensor {
  const shape = nestedShape(samples[0]) as number[];
  const flat: number[] = [];
  samples.forEach((s, k) => {
    const sk = nestedShape(s);
    if (sk === null) throw typeError(path, indices, k, s, samples[0]);
    if (!sameShape(sk, shape)) throw shapeError(path, indices, k, sk, shape);
    flattenInto(s, flat);
  });
  return stackNumbers(flat, [samples.length, ...shape]);
}

/**
 * Tells whether a value is a plain object (the structures collate walks into).
 *
 * @param value - any value.
 * @returns true for `{...}` objects and null-prototype objects.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The keys of the first object sample, checked to be the keys of every sample.
 *
 * @internal
 */
export function commonKeys(samples: Record<string, unknown>[], path: string, indices: readonly number[]): string[] {
  const keys = Object.keys(samples[0] as object);
  samples.forEach((s, k) => {
    const sk = Object.keys(s);
    if (sk.length !== keys.length || !keys.every((key) => key in s)) {
      throw new TypeError(
        `Cannot collate the batch: the sample at index ${at(indices, k)} has keys [${sk.join(', ')}] at ${path}, but ` +
          `the sample at index ${at(indices, 0)} has keys [${keys.join(', ')}]. All samples must have the same keys.`,
      );
    }
  });
  return keys;
}

/**
 * The length of the first tuple sample, checked to be the length of every sample.
 *
 * @internal
 */
export function commonLength(samples: unknown[][], path: string, indices: readonly number[]): number {
  const n = (samples[0] as unknown[]).length;
  samples.forEach((s, k) => {
    if (s.length !== n) {
      throw new RangeError(
        `Cannot collate the batch: the sample at index ${at(indices, k)} has ${s.length} elements at ${path}, but the ` +
          `sample at index ${at(indices, 0)} has ${n}. Each element in list of batch should be of equal size.`,
      );
    }
  });
  return n;
}

function collateObjects(samples: Record<string, unknown>[], path: string, indices: readonly number[]): Record<string, unknown> {
  const keys = commonKeys(samples, path, indices);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = collateAt(samples.map((s) => s[key]), `${path}.${key}`, indices, false);
  return out;
}

function collateTuples(samples: unknown[][], path: string, indices: readonly number[]): unknown[] {
  const n = commonLength(samples, path, indices);
  return Array.from({ length: n }, (_, i) => collateAt(samples.map((s) => s[i]), `${path}[${i}]`, indices, false));
}

function collateAt(samples: unknown[], path: string, indices: readonly number[], top: boolean): unknown {
  const first = samples[0];
  const same = (pred: (v: unknown) => boolean): boolean => {
    const k = samples.findIndex((s) => !pred(s));
    if (k >= 0) throw typeError(path, indices, k, samples[k], first);
    return true;
  };
  if (first instanceof NdArray && same((s) => s instanceof NdArray)) return stackHost(samples as NdArray[], path, indices);
  if (isNumericArray(first) && same(isNumericArray)) {
    return stackHost((samples as NumericArray[]).map((d) => ({ data: d, shape: [d.length] })), path, indices);
  }
  if (typeof first === 'number' && same((s) => typeof s === 'number')) return stackNumbers(samples as number[], [samples.length]);
  if (typeof first === 'boolean' && same((s) => typeof s === 'boolean')) {
    return hostTensor('bool', [samples.length], Uint8Array.from(samples as boolean[], (b) => (b ? 1 : 0)));
  }
  if (typeof first === 'string' && same((s) => typeof s === 'string')) return samples;
  if (!top && nestedShape(first) !== null && Array.isArray(first)) return collateNested(samples, path, indices);
  if (Array.isArray(first) && same(Array.isArray)) return collateTuples(samples as unknown[][], path, indices);
  if (isPlainObject(first) && same(isPlainObject)) return collateObjects(samples as Record<string, unknown>[], path, indices);
  throw new TypeError(
    `Cannot collate ${describeValue(first)} at ${path} (sample at index ${at(indices, 0)}) in a DataLoader worker. Worker ` +
      'datasets return NdArrays, typed arrays, numbers, booleans, strings, arrays and plain objects (no tensors: ' +
      'workers have no TensorFlow.js backend).',
  );
}

/**
 * Collates samples on the host exactly as {@link defaultCollate} would, but into {@link HostTensor}s (typed arrays)
 * instead of tensors; used inside DataLoader workers.
 *
 * @param samples - the samples, all with the same structure and shapes.
 * @param indices - their dataset indices, used in error messages.
 * @returns the batch, with a {@link HostTensor} wherever `defaultCollate` makes a tensor.
 * @throws RangeError if samples have different shapes or the batch is empty.
 * @throws TypeError if samples have different structures or hold an unsupported type (such as a tensor).
 */
export function hostCollate(samples: readonly unknown[], indices: readonly number[] = []): unknown {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new RangeError(`hostCollate needs a non-empty array of samples, but given ${describeValue(samples)}.`);
  }
  return collateAt(samples as unknown[], 'batch', indices, true);
}

/**
 * Lists the buffers of every {@link HostTensor} in a host batch, to pass as the transfer list of `postMessage`.
 *
 * @param batch - a batch made by {@link hostCollate}.
 * @returns the distinct ArrayBuffers of its host tensors.
 */
export function hostTransferables(batch: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const walk = (v: unknown): void => {
    if (isHostTensor(v)) out.add(v.data.buffer as ArrayBuffer);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(batch);
  return [...out];
}
