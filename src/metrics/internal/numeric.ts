/**
 * @module Elementwise arithmetic on plain metric results (numbers and nested arrays of numbers), used by
 * `MetricsLambda` helpers. Not part of the public API.
 */

/**
 * A metric result that arithmetic helpers accept: a number or nested arrays of numbers.
 *
 */
export type Numeric = number | readonly Numeric[];

/**
 * Applies a binary operation elementwise, broadcasting a number against an array.
 *
 * @param a - left operand.
 * @param b - right operand.
 * @param op - the scalar operation.
 * @param opName - operator name for errors.
 * @returns the result, shaped like the array operand(s).
 * @throws TypeError when an operand is not numeric; RangeError when two arrays differ in length.
 */
export function elementwise(a: unknown, b: unknown, op: (x: number, y: number) => number, opName: string): Numeric {
  if (typeof a === 'number' && typeof b === 'number') return op(a, b);
  if (Array.isArray(a) && typeof b === 'number') return a.map((x: unknown) => elementwise(x, b, op, opName));
  if (typeof a === 'number' && Array.isArray(b)) return b.map((y: unknown) => elementwise(a, y, op, opName));
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) {
      throw new RangeError(`${opName}: operands have different lengths: ${a.length} vs ${b.length}.`);
    }
    return a.map((x: unknown, i) => elementwise(x, b[i], op, opName));
  }
  throw new TypeError(
    `${opName}: operands should be numbers or arrays of numbers (metric results), but given ${typeof a} and ${typeof b}.`,
  );
}

/**
 * Mean of all numbers in a numeric value (a number is its own mean).
 *
 * @param v - a number or nested arrays.
 * @returns the mean; NaN for an empty array.
 * @throws TypeError when `v` is not numeric.
 */
export function meanOf(v: unknown): number {
  const flat: number[] = [];
  const visit = (x: unknown): void => {
    if (typeof x === 'number') flat.push(x);
    else if (Array.isArray(x)) for (const y of x) visit(y);
    else throw new TypeError(`mean: expected a number or arrays of numbers, but given ${typeof x}.`);
  };
  visit(v);
  return flat.reduce((s, x) => s + x, 0) / flat.length;
}
