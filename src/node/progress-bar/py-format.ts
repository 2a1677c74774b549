/**
 * @module Python's number formatting, as tqdm applies it to a progress bar's fields. Port of the parts of
 * CPython's `format()`/`repr()` and tqdm's `format_num`/`format_interval` that Ignite's ProgressBar output shows.
 *
 * Deviations: JavaScript has one number type, so an integer-valued `number` is formatted as a Python `int` and any
 * other `number` as a Python `float`. Callers that know better (a float32 tensor holding `21`) pass `kind: 'float'`.
 * Rounding is exact and half-to-even on the binary value, like CPython (`(1.125).toFixed(2)` would round up).
 */

/** How a number is formatted: a Python `int`, `float` or `bool` (a `bool` is an `int` subclass in Python). @internal */
export type NumberKind = 'int' | 'float' | 'bool';

interface Decimal {
  /** Decimal digits without leading zeros (`'0'` for zero). */
  digits: string;
  /** The value is `digits × 10^exp`. */
  exp: number;
}

/** The exact decimal expansion of a finite, non-negative double. */
function exactDecimal(x: number): Decimal {
  if (x === 0) return { digits: '0', exp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp2 = biased === 0 ? -1074 : biased - 1075;
  if (biased !== 0) mantissa |= 1n << 52n;
  while (mantissa % 2n === 0n && exp2 < 0) {
    mantissa /= 2n;
    exp2 += 1;
  }
  if (exp2 >= 0) return { digits: (mantissa << BigInt(exp2)).toString(), exp: 0 };
  return { digits: (mantissa * 5n ** BigInt(-exp2)).toString(), exp: exp2 };
}

/** Rounds `d` half-to-even so that it keeps `keep` digits (keep ≥ 0); may gain a digit on carry ("999" → "1000"). */
function roundDigits(d: Decimal, keep: number): Decimal {
  const drop = d.digits.length - keep;
  if (drop <= 0) return d;
  const kept = d.digits.slice(0, keep);
  const rest = d.digits.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const lastKept = kept.length > 0 ? kept.charCodeAt(kept.length - 1) - 48 : 0;
  const up = first > 5 || (first === 5 && (tail || lastKept % 2 === 1));
  const n = (kept === '' ? 0n : BigInt(kept)) + (up ? 1n : 0n);
  return { digits: n.toString(), exp: d.exp + drop };
}

function specials(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return null;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/**
 * Formats like Python's `f'{x:.{decimals}f}'` (fixed point, half-to-even on the exact binary value).
 *
 * @param x - the number.
 * @param decimals - digits after the point (≥ 0).
 * @returns the formatted number, e.g. `'12'` for `(12.5, 0)`.
 * @example
 * ```ts
 * formatFixed(12.5, 0); // '12'
 * formatFixed(1.005, 2); // '1.00' (1.005 is 1.00499999... in binary)
 * ```
 * @internal
 */
export function formatFixed(x: number, decimals: number): string {
  const special = specials(x);
  if (special !== null) return special;
  const exact = exactDecimal(Math.abs(x));
  // Keep every digit down to 10^-decimals.
  const keep = exact.digits.length + exact.exp + decimals;
  const rounded = keep < 0 ? { digits: '0', exp: -decimals } : roundDigits(exact, keep);
  const scaled = rounded.digits + '0'.repeat(Math.max(0, rounded.exp + decimals));
  const body = scaled.padStart(decimals + 1, '0');
  const text = decimals > 0 ? `${body.slice(0, body.length - decimals)}.${body.slice(-decimals)}` : body;
  return sign(x) + text;
}

function stripZeros(mantissa: string): string {
  return mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
}

function sci(digits: string, exponent: number, stripped: boolean): string {
  const head = digits.slice(0, 1);
  const tail = digits.slice(1);
  const mantissa = tail.length > 0 ? `${head}.${tail}` : head;
  const m = stripped ? stripZeros(mantissa) : mantissa;
  const e = Math.abs(exponent).toString().padStart(2, '0');
  return `${m}e${exponent < 0 ? '-' : '+'}${e}`;
}

/**
 * Formats like Python's `f'{x:.{precision}g}'`: `precision` significant digits, scientific notation when the
 * exponent is below -4 or at least `precision`, trailing zeros removed.
 *
 * @param x - the number.
 * @param precision - significant digits (≥ 1).
 * @returns the formatted number, e.g. `'3.9'` for `(3.899, 3)` and `'1.23e+06'` for `(1234567, 3)`.
 * @example
 * ```ts
 * formatGeneral(12.21, 3); // '12.2'
 * formatGeneral(0.00001234, 3); // '1.23e-05'
 * ```
 * @internal
 */
export function formatGeneral(x: number, precision: number): string {
  const special = specials(x);
  if (special !== null) return special;
  const p = Math.max(1, precision);
  if (x === 0) return `${sign(x)}0`;
  const rounded = roundDigits(exactDecimal(Math.abs(x)), p);
  const digits = rounded.digits.slice(0, p);
  const exponent = rounded.digits.length - 1 + rounded.exp;
  if (exponent < -4 || exponent >= p) return sign(x) + sci(digits.padEnd(p, '0'), exponent, true);
  return sign(x) + stripZeros(fixedFromDigits(digits.padEnd(p, '0'), exponent, p - 1 - exponent));
}

/** Writes `d.ddd × 10^exponent` (as a digit string) in fixed notation with `decimals` fractional digits. */
function fixedFromDigits(digits: string, exponent: number, decimals: number): string {
  // value = digits × 10^(exponent - digits.length + 1)
  const exp = exponent - digits.length + 1;
  const scaled = digits + '0'.repeat(Math.max(0, exp + decimals));
  const body = scaled.slice(0, scaled.length - Math.max(0, -exp - decimals)).padStart(decimals + 1, '0');
  return decimals > 0 ? `${body.slice(0, body.length - decimals)}.${body.slice(-decimals)}` : body;
}

/**
 * Formats like Python's `str()` of an `int`, a `float` (shortest round-trip `repr`) or a `bool`.
 *
 * @param x - the value.
 * @param kind - the Python type to mimic; defaults to `'int'` for integer-valued numbers, else `'float'`.
 * @returns e.g. `'21.0'` for `(21, 'float')`, `'1e-05'` for `0.00001`, `'True'` for `(1, 'bool')`.
 * @example
 * ```ts
 * pyStr(0.5); // '0.5'
 * pyStr(1e16, 'float'); // '1e+16'
 * ```
 * @internal
 */
export function pyStr(x: number | bigint | boolean, kind?: NumberKind): string {
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'bigint') return x.toString();
  const k = kind ?? defaultKind(x);
  if (k === 'bool') return x !== 0 ? 'True' : 'False';
  if (k === 'int' && Number.isFinite(x)) return BigInt(Math.trunc(x)).toString();
  const special = specials(x);
  if (special !== null) return special;
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest round-trip digits, as Python's repr does.
  const [mant = '', expText = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const exponent = Number(expText);
  if (exponent < -4 || exponent >= 16) return sign(x) + sci(digits, exponent, false);
  const decimals = Math.max(1, digits.length - 1 - exponent);
  return sign(x) + fixedFromDigits(digits, exponent, decimals);
}

function defaultKind(x: number): NumberKind {
  return Number.isInteger(x) ? 'int' : 'float';
}

/**
 * Formats a postfix number as tqdm's `format_num` does: `'{:.3g}'` (with `e+0`/`e-0` shortened) when that is
 * shorter than `str(n)`, else `str(n)`.
 *
 * @param x - the value.
 * @param kind - the Python type to mimic (see {@link pyStr}).
 * @returns e.g. `'3.9'` for 3.899, `'21'` for `(21, 'float')`, `'1'` for `true`.
 * @example
 * ```ts
 * formatNum(12.210000038146973); // '12.2'
 * formatNum(0.5); // '0.5'
 * ```
 * @internal
 */
export function formatNum(x: number | bigint | boolean, kind?: NumberKind): string {
  const asNumber = typeof x === 'boolean' ? Number(x) : Number(x);
  const k: NumberKind = typeof x === 'boolean' ? 'bool' : typeof x === 'bigint' ? 'int' : (kind ?? defaultKind(x));
  const general = formatGeneral(asNumber, 3).replace('e+0', 'e+').replace('e-0', 'e-');
  const plain = k === 'bool' ? pyStr(asNumber, 'bool') : typeof x === 'bigint' ? x.toString() : pyStr(asNumber, k);
  return general.length < plain.length ? general : plain;
}

/**
 * Formats a duration as tqdm's `format_interval`: `mm:ss`, or `h:mm:ss` from one hour (seconds truncated).
 *
 * @param seconds - the duration in seconds (≥ 0).
 * @returns e.g. `'00:05'`, `'01:02:03'`.
 * @internal
 */
export function formatInterval(seconds: number): string {
  const total = Math.trunc(seconds);
  const s = total % 60;
  const mins = Math.trunc(total / 60);
  const h = Math.trunc(mins / 60);
  const m = mins % 60;
  const two = (v: number): string => v.toString().padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}
