/**
 * @module amp/device-rounding Rounds float32 tensors to float16 or bfloat16 values with plain tensor ops, so it runs
 * on whatever backend holds the tensor. Port of the rounding of PyTorch's `.half()` / `.bfloat16()` casts
 * (IEEE 754 round-to-nearest-even). Deviations: the result stays float32 (TF.js has no 16-bit float dtype).
 *
 * How: normal values use Veltkamp splitting, `c = x * (2**s + 1); hi = c - (c - x)`, which under float32
 * round-to-nearest-even arithmetic rounds `x` to `24 - s` significant bits with ties to even (s = 13 for
 * float16, 16 for bfloat16). Subnormal values use the magic-number addition `(x + C) - C` with
 * `C = 1.5 * 2**23 * ulp`, which rounds to multiples of the fixed subnormal spacing `ulp`. Overflow, signed zeros and
 * NaN are fixed up with `where`. Requires IEEE float32 arithmetic (true for the cpu and wasm backends; GPUs that
 * flush subnormals lose bfloat16 subnormals).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FLOAT16_OVERFLOW, type AmpDtype } from './host-rounding.js';

/** Rounds `x` to `24 - s` significant bits (ties to even) by Veltkamp splitting; valid while `x * 2**s` is finite. */
function veltkamp(x: tf.Tensor, s: number): tf.Tensor {
  const c = tf.mul(x, tf.scalar(2 ** s + 1));
  return tf.sub(c, tf.sub(c, x));
}

/** Rounds to multiples of `ulp` (ties to even); valid while `|x| < 2**23 * ulp / 2`. Keeps the sign of zero. */
function magicRound(x: tf.Tensor, ulp: number): tf.Tensor {
  const magic = tf.scalar(1.5 * 2 ** 23 * ulp);
  const r = tf.sub(tf.add(x, magic), magic);
  // (x + C) - C is +0 for tiny negative x; x * 0 gives the correctly signed zero.
  return tf.where(tf.equal(r, 0), tf.mul(x, tf.scalar(0)), r);
}

function roundFloat16Tensor(x: tf.Tensor): tf.Tensor {
  const a = tf.abs(x);
  const normal = veltkamp(x, 13);
  const sub = magicRound(x, 2 ** -24);
  const finite = tf.where(tf.less(a, tf.scalar(2 ** -14)), sub, normal);
  // x * Infinity is +-Infinity for the (non-zero) overflowing values, and Infinity/NaN stay as they are.
  return tf.where(tf.greaterEqual(a, tf.scalar(FLOAT16_OVERFLOW)), tf.mul(x, tf.scalar(Infinity)), finite);
}

function roundBfloat16Tensor(x: tf.Tensor): tf.Tensor {
  const a = tf.abs(x);
  // Veltkamp multiplies by 2**16 + 1: scale huge values down by 2**64 first (exact), and back up afterwards, which
  // also produces the overflow to Infinity for values that round past the largest bfloat16.
  const big = tf.greaterEqual(a, tf.scalar(2 ** 64));
  const scaled = tf.where(big, tf.mul(x, tf.scalar(2 ** -64)), x);
  const rounded = veltkamp(scaled, 16);
  const normal = tf.where(big, tf.mul(rounded, tf.scalar(2 ** 64)), rounded);
  const sub = magicRound(x, 2 ** -133);
  const finite = tf.where(tf.less(a, tf.scalar(2 ** -126)), sub, normal);
  // Infinity and NaN: Veltkamp turns Infinity into NaN (Inf - Inf), so pass non-finite inputs through unchanged.
  return tf.where(tf.isFinite(x), finite, x);
}

/**
 * Rounds a float32 tensor to the nearest float16 or bfloat16 values on the tensor's backend. Matches
 * `roundToDtype` on the host bit for bit on IEEE backends (cpu, wasm). Tensors of other dtypes are returned as a
 * clone.
 *
 * @param x - the tensor to round; not disposed.
 * @param dtype - `'float16'` or `'bfloat16'`.
 * @returns a new float32 tensor owned by the caller; all intermediates are disposed.
 */
export function roundTensor(x: tf.Tensor, dtype: AmpDtype): tf.Tensor {
  if (x.dtype !== 'float32') return tf.clone(x);
  return tf.tidy(() => (dtype === 'float16' ? roundFloat16Tensor(x) : roundBfloat16Tensor(x)));
}
