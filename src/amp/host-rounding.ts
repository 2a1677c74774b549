/**
 * @module amp/host-rounding Host-side (plain TypeScript) rounding of float32 values to float16 or bfloat16.
 * Port of the rounding done by PyTorch's `tensor.half()` / `tensor.bfloat16()` casts (IEEE 754
 * round-to-nearest-even). Deviations: the result stays in a `Float32Array` (every float16 and bfloat16 value is
 * exactly representable in float32), so this is a rounding, not a storage format.
 */

/**
 * The reduced-precision formats autocast can emulate: IEEE binary16 (`'float16'`, 5 exponent bits, 10 mantissa
 * bits) and `'bfloat16'` (float32's 8 exponent bits, 7 mantissa bits).
 *
 */
export type AmpDtype = 'float16' | 'bfloat16';

/**
 * The dtypes {@link roundToDtype} and `autocast` accept.
 *
 */
export const AMP_DTYPES: readonly AmpDtype[] = ['float16', 'bfloat16'];

/**
 * Smallest magnitude that float16 rounds to Infinity: halfway between 65504 (the largest float16) and 2**16, a tie
 * that goes to the even neighbour 2**16, which overflows.
 *
 */
export const FLOAT16_OVERFLOW = 65520;

/**
 * Checks that `dtype` is one of {@link AMP_DTYPES}.
 *
 * @param dtype - the value to check.
 * @param what - the name of the argument, for the message.
 * @returns nothing; narrows `dtype` to {@link AmpDtype}.
 * @throws TypeError when `dtype` is not `'float16'` or `'bfloat16'`.
 */
export function assertAmpDtype(dtype: unknown, what: string): asserts dtype is AmpDtype {
  if (dtype !== 'float16' && dtype !== 'bfloat16') {
    throw new TypeError(
      `${what} must be 'float16' or 'bfloat16', received ${JSON.stringify(dtype) ?? String(dtype)}. ` +
        `Pass one of those two strings.`,
    );
  }
}

/** Rounds a double to the nearest integer, ties to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Rounds one float32 value (held in a double) to the nearest float16 value. */
function roundFloat16(x: number): number {
  if (Number.isNaN(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= FLOAT16_OVERFLOW) return x > 0 ? Infinity : -Infinity;
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  // Below 2**-14 float16 is subnormal: the spacing stays 2**-24.
  const ulp = 2 ** (Math.max(e, -14) - 10);
  const r = roundHalfEven(a / ulp) * ulp;
  return x < 0 ? -r : r;
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds one float32 value to bfloat16: the top 16 bits of float32, round-to-nearest-even, NaN kept. */
function roundBfloat16(x: number): number {
  if (Number.isNaN(x)) return x;
  scratchF32[0] = x;
  const bits = scratchU32[0] ?? 0;
  const lsb = (bits >>> 16) & 1;
  scratchU32[0] = ((bits + 0x7fff + lsb) & 0xffff0000) >>> 0;
  return scratchF32[0] ?? x;
}

/**
 * Rounds float32 values to the nearest `dtype` value (round-to-nearest-even), on the host. This is the reference
 * for what autocast does on the device: float16 overflows to +-Infinity at 65520 and has subnormals down to 2**-24;
 * bfloat16 keeps float32's exponent range. NaN stays NaN and -0 stays -0.
 *
 * @param values - float32 values to round; not modified.
 * @param dtype - `'float16'` or `'bfloat16'`.
 * @returns a new `Float32Array` holding the rounded values.
 * @throws TypeError when `dtype` is not `'float16'` or `'bfloat16'`.
 */
export function roundToDtype(values: Float32Array, dtype: AmpDtype): Float32Array {
  assertAmpDtype(dtype, 'dtype');
  const round = dtype === 'float16' ? roundFloat16 : roundBfloat16;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = round(values[i] ?? 0);
  return out;
}
