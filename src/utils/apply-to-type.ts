/**
 * @module Port of ignite/utils.py `apply_to_type`, `apply_to_tensor` and `to_onehot`.
 * Deviations: the type is a predicate or a class (TypeScript has no `isinstance` on interfaces); plain objects play
 * Python's mappings and arrays its sequences; `toOnehot` returns int32 (TensorFlow.js has no uint8 tensors).
 */

import * as tf from '@tensorflow/tfjs-core';

/** A class or a type guard selecting the values `applyToType` transforms. */
export type TypeSelector<T> = (abstract new (...args: never[]) => T) | ((value: unknown) => value is T);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function matcher<T>(type: TypeSelector<T>): (v: unknown) => v is T {
  // A class has a prototype object; arrow-function type guards do not.
  if (typeof type === 'function' && 'prototype' in type && type.prototype !== undefined) {
    return (v): v is T => v instanceof (type as abstract new (...args: never[]) => T);
  }
  return type as (value: unknown) => value is T;
}

/**
 * Applies `fn` to every value of the given type inside nested arrays and plain objects (strings pass through).
 *
 * @param input - a value of the type, or arrays / plain objects of them.
 * @param type - a class (`tf.Tensor`) or a type guard.
 * @param fn - the function applied to each matching value.
 * @returns a copy with the same structure.
 * @throws TypeError when a leaf is neither of the type, a string, an array nor a plain object.
 * @see https://pytorch.org/ignite/generated/ignite.utils.apply_to_type.html
 */
export function applyToType<T>(input: unknown, type: TypeSelector<T>, fn: (value: T) => unknown): unknown {
  const is = matcher(type);
  const walk = (x: unknown): unknown => {
    if (is(x)) return fn(x);
    if (typeof x === 'string') return x;
    if (Array.isArray(x)) return x.map(walk);
    if (isPlainObject(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v)]));
    const name = typeof type === 'function' && type.name !== '' ? type.name : 'the given type';
    throw new TypeError(`input must contain ${name}, dicts or lists; found ${x === null ? 'null' : typeof x}`);
  };
  return walk(input);
}

/**
 * Applies `fn` to every tensor inside nested arrays and plain objects.
 *
 * @param input - a tensor, or arrays / plain objects of tensors.
 * @param fn - the function applied to each tensor.
 * @returns a copy with the same structure.
 * @throws TypeError when a leaf is not a tensor, string, array or plain object.
 * @see https://pytorch.org/ignite/generated/ignite.utils.apply_to_tensor.html
 */
export function applyToTensor(input: unknown, fn: (tensor: tf.Tensor) => unknown): unknown {
  return applyToType(input, tf.Tensor, fn);
}

/**
 * Converts class indices of shape `[N, ...]` to one-hot indicators of shape `[N, numClasses, ...]` (classes on
 * axis 1, as Ignite's `to_onehot`).
 *
 * @param indices - integer class indices.
 * @param numClasses - the number of classes.
 * @returns an int32 tensor of 0 and 1 (the caller owns it).
 * @throws RangeError when `numClasses` is not a positive integer.
 * @see https://pytorch.org/ignite/generated/ignite.utils.to_onehot.html
 */
export function toOnehot(indices: tf.Tensor, numClasses: number): tf.Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new RangeError(`Argument numClasses should be a positive integer, got ${String(numClasses)}`);
  }
  return tf.tidy(() => {
    const flat = tf.reshape(tf.cast(indices, 'int32'), [-1]);
    const onehot = tf.reshape(tf.oneHot(flat, numClasses), [...indices.shape, numClasses]);
    if (indices.rank <= 1) return onehot;
    const perm = [0, indices.rank, ...Array.from({ length: indices.rank - 1 }, (_, i) => i + 1)];
    return tf.transpose(onehot, perm);
  });
}
