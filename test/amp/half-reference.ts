/**
 * Independent host reference for the amp tests: IEEE 754 binary16 and bfloat16 encoders written from the format
 * definitions with integer arithmetic on float32 bit patterns (a different method from src/amp), plus value
 * generators for random, edge-case and halfway-tie inputs. Not a test file itself.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 bit pattern of `x` (after rounding `x` to float32). */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0] ?? 0;
}

/** The float32 value of a bit pattern. */
export function fromFloat32Bits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0] ?? 0;
}

/** Encodes a float32 value as IEEE binary16 bits, round-to-nearest-even. */
export function float16Bits(x: number): number {
  const bits = float32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const sig = exp !== 0 ? 0x800000 | mant : mant; // value = sig * 2**e exactly
  const e = (exp !== 0 ? exp : 1) - 150;
  if (sig === 0) return sign;
  const lead = 31 - Math.clz32(sig) + e; // value in [2**lead, 2**(lead + 1))
  let quantum = Math.max(lead - 10, -24); // exponent of the binary16 spacing at this value
  let hsig: number;
  const shift = quantum - e;
  if (shift <= 0) {
    hsig = sig * 2 ** -shift;
  } else if (shift > 25) {
    hsig = 0; // sig < 2**24 < half of 2**shift
  } else {
    const unit = 2 ** shift;
    const q = Math.floor(sig / unit);
    const rem = sig - q * unit;
    const half = unit / 2;
    hsig = rem > half || (rem === half && q % 2 === 1) ? q + 1 : q;
  }
  if (hsig === 2048) {
    hsig = 1024;
    quantum += 1;
  }
  if (hsig < 1024) return sign | hsig; // subnormal (or zero)
  const biased = quantum + 25;
  if (biased >= 31) return sign | 0x7c00;
  return sign | (biased << 10) | (hsig - 1024);
}

/** Decodes IEEE binary16 bits. */
export function float16FromBits(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 31) return mant !== 0 ? NaN : sign * Infinity;
  if (exp === 0) return sign * mant * 2 ** -24;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** Reference float16 rounding of one value. */
export function refFloat16(x: number): number {
  return float16FromBits(float16Bits(x));
}

/** Reference bfloat16 rounding: pick the nearer of the two bfloat16 neighbours, ties to the even mantissa. */
export function refBfloat16(x: number): number {
  const bits = float32Bits(x);
  const exp = (bits >>> 23) & 0xff;
  if (exp === 0xff) return fromFloat32Bits(bits); // Inf or NaN
  const sign = bits >>> 31 === 1 ? -1 : 1;
  const lowerBits = bits & 0x7fff0000;
  const lower = fromFloat32Bits(lowerBits);
  const ulp = 2 ** (Math.max(exp, 1) - 127 - 7);
  const upper = lower + ulp; // may be 2**128, which is not a float32: it becomes Infinity below
  const a = Math.abs(fromFloat32Bits(bits));
  const dLower = a - lower;
  const dUpper = upper - a;
  const lowerEven = ((lowerBits >>> 16) & 1) === 0;
  const pick = dLower < dUpper || (dLower === dUpper && lowerEven) ? lower : upper;
  return sign * Math.fround(pick);
}

/** Reference rounding of a whole array. */
export function refRound(values: ArrayLike<number>, dtype: 'float16' | 'bfloat16'): Float32Array {
  const f = dtype === 'float16' ? refFloat16 : refBfloat16;
  return Float32Array.from(Array.from(values, (v) => f(v)));
}

/** Seeded PRNG (mulberry32) returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Edge cases for both formats: zeros, infinities, NaN, extremes of float16/bfloat16/float32 and their ties. */
export const EDGE_CASES: readonly number[] = [
  0, -0, NaN, Infinity, -Infinity,
  65504, -65504, 65519, 65520, -65520, 65536, 1e5, Math.fround(65519.998),
  2 ** -14, 2 ** -14 - 2 ** -25, 2 ** -24, 2 ** -25, -(2 ** -25), Math.fround(2 ** -25 * 1.000001), 3 * 2 ** -25,
  2 ** -26, 1.5 * 2 ** -24, 2.5 * 2 ** -24, 1e-8, -1e-8, 1e-4, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8,
  1 + 3 * 2 ** -8, Math.fround(1 + 2 ** -8 + 2 ** -23), 0.1, -0.1, 1 / 3,
  3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38, 1e-45, -1e-45, 2 ** -133, 3 * 2 ** -134,
  Math.fround((2 - 2 ** -8) * 2 ** 127), Math.fround((2 - 2 ** -7) * 2 ** 127),
];

/** Exact halfway points between consecutive `dtype` values, plus their float32 neighbours on either side. */
export function ties(dtype: 'float16' | 'bfloat16', n: number, random: () => number): number[] {
  const out: number[] = [];
  const mantBits = dtype === 'float16' ? 10 : 7;
  const [minExp, maxExp] = dtype === 'float16' ? [-24, 15] : [-133, 127];
  for (let i = 0; i < n; i++) {
    const e = minExp + Math.floor(random() * (maxExp - minExp + 1));
    const ulp = dtype === 'float16' ? 2 ** Math.max(e - mantBits, -24) : 2 ** Math.max(e - mantBits, -133);
    const k = Math.floor(random() * 2 ** (mantBits + 1));
    const minNormalExp = dtype === 'float16' ? -14 : -126;
    const base = e >= minNormalExp ? 2 ** e + k * ulp / 2 : k * ulp;
    const tie = Math.fround(base - (base % ulp) + ulp / 2);
    const sign = random() < 0.5 ? -1 : 1;
    const bits = float32Bits(tie);
    out.push(sign * tie, sign * fromFloat32Bits(bits + 1), sign * fromFloat32Bits(Math.max(bits - 1, 0)));
  }
  return out.filter((v) => Number.isFinite(v));
}

/** Random float32 values: raw bit patterns, and values spread over the interesting exponent range. */
export function randomValues(n: number, random: () => number, minExp: number, maxExp: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) {
      out.push(fromFloat32Bits(Math.floor(random() * 2 ** 32)));
    } else {
      const e = minExp + Math.floor(random() * (maxExp - minExp + 1));
      out.push(Math.fround((random() < 0.5 ? -1 : 1) * (1 + random()) * 2 ** e));
    }
  }
  return out;
}

/** True when two floats are the same value, treating NaN as equal to NaN and distinguishing -0 from +0. */
export function sameFloat(a: number | undefined, b: number | undefined): boolean {
  return Object.is(a, b);
}

/** Index of the first mismatch between two arrays under {@link sameFloat}, or -1. */
export function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!sameFloat(a[i], b[i])) return i;
  return -1;
}
