/**
 * @module What loggers write: scalar, histogram and text records, and the flattening rules that turn an engine's
 * metrics and outputs into scalars (Ignite's `BaseOutputHandler._setup_output_metrics_state_attrs`).
 */

/** A scalar point. `wallTime` is seconds since the epoch. */
export interface ScalarRecord {
  kind: 'scalar';
  tag: string;
  step: number;
  value: number;
  wallTime: number;
}

/** A histogram of values (bucketed by the writer that needs buckets). */
export interface HistogramRecord {
  kind: 'histogram';
  tag: string;
  step: number;
  values: Float32Array;
  wallTime: number;
}

/** A text entry. */
export interface TextRecord {
  kind: 'text';
  tag: string;
  step: number;
  text: string;
  wallTime: number;
}

/** Any record a logger writes. */
export type LogRecord = ScalarRecord | HistogramRecord | TextRecord;

/** Something whose values can be read asynchronously (a tf.Tensor, without importing TensorFlow.js here). */
interface TensorLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

function isTensorLike(v: unknown): v is TensorLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as { shape?: unknown }).shape) &&
    typeof (v as { dataSync?: unknown }).dataSync === 'function'
  );
}

/**
 * Flattens a value into `name -> number` pairs with Ignite's rules: numbers as is, 0-d tensors as numbers,
 * 1-d tensors and arrays of numbers expanded to `name/0`, `name/1`, ..., objects flattened with `/`.
 * Anything else is reported through `onSkip` and dropped.
 *
 * @param name - the key of the value.
 * @param value - the value.
 * @param out - the map receiving the scalars.
 * @param onSkip - called with the key and the value's type when a value cannot be logged.
 * @param sep - separator for nested keys and vector indices.
 * @example
 * ```ts
 * const out = new Map<string, number>();
 * flattenScalars('loss', { total: 1, parts: [0.5, 0.5] }, out, () => {});
 * // out: loss/total=1, loss/parts/0=0.5, loss/parts/1=0.5
 * ```
 */
export function flattenScalars(
  name: string,
  value: unknown,
  out: Map<string, number>,
  onSkip: (name: string, type: string) => void,
  sep = '/',
): void {
  if (typeof value === 'number') out.set(name, value);
  else if (typeof value === 'boolean') out.set(name, value ? 1 : 0);
  else if (isTensorLike(value) && value.shape.length <= 1) {
    // Reading a logged tensor is what the logging API asks for; it happens once per logging event.
    const data = value.dataSync();
    if (value.shape.length === 0) out.set(name, Number(data[0]));
    else for (let i = 0; i < data.length; i++) out.set(`${name}${sep}${i}`, Number(data[i]));
  } else if (Array.isArray(value) && value.every((v) => typeof v === 'number')) {
    value.forEach((v: number, i) => out.set(`${name}${sep}${i}`, v));
  } else if (value !== null && typeof value === 'object' && !isTensorLike(value) && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenScalars(`${name}${sep}${k}`, v, out, onSkip, sep);
  } else {
    onSkip(name, value === null ? 'null' : isTensorLike(value) ? `tensor of rank ${value.shape.length}` : typeof value);
  }
}

/**
 * A histogram record summarised for line-oriented sinks (JSON Lines, HTTP trackers): its min, max, mean and count
 * instead of every value.
 *
 * @param r - the histogram record.
 * @returns a plain object with the record's kind, tag, step and wall time and the summary.
 */
export function summariseHistogram(r: HistogramRecord): Record<string, unknown> {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of r.values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const count = r.values.length;
  return { kind: r.kind, tag: r.tag, step: r.step, wallTime: r.wallTime, min, max, mean: count > 0 ? sum / count : 0, count };
}
