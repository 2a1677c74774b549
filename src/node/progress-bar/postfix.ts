/**
 * @module Collects the values a progress bar shows after the bar. Port of ignite/handlers/base_logger.py
 * (`BaseOutputHandler._setup_output_metrics_state_attrs` and `_flatten_dict`, with `log_text=True`).
 *
 * Deviations: "mappings" are plain objects and `Map`s, "sequences" are arrays and typed arrays; a JavaScript
 * `number` is a Python `int` when integer-valued, else a `float`; tensor values keep their dtype (`int32` → int,
 * `float32` → float, `bool` → bool). A disposed tensor cannot be read and is dropped with the same warning.
 */

import type { PostfixValue } from './format.js';

/** The part of a tensor the postfix reads (structural, so any copy of tfjs-core works). */
interface TensorLike {
  readonly rank: number;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly isDisposed: boolean;
  dataSync(): ArrayLike<number | string> | readonly string[];
}

/** What to collect, mirroring the arguments of Ignite's `attach`. @internal */
export interface PostfixSources {
  /** Metric names, or `'all'` for every metric in `state.metrics`; `undefined` for none. */
  metricNames: readonly string[] | 'all' | undefined;
  /** Maps `state.output` to a value or an object of named values; `undefined` to skip the output. */
  outputTransform: ((output: unknown) => unknown) | undefined;
  /** Names of `state` attributes to show. */
  stateAttributes: readonly string[] | undefined;
}

/** The part of an engine state read here. */
interface StateLike {
  metrics: Record<string, unknown>;
  output: unknown;
  [key: string]: unknown;
}

/**
 * Tells whether a value is a TensorFlow.js tensor (structurally: `rank`, `shape`, `dtype`, `dataSync`).
 *
 * @param value - anything.
 * @returns true for tensors.
 * @internal
 */
export function isTensorLike(value: unknown): value is TensorLike {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<TensorLike>;
  return typeof t.rank === 'number' && Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.dataSync === 'function';
}

function isMapping(value: unknown): value is Record<string, unknown> | Map<unknown, unknown> {
  if (value instanceof Map) return true;
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function isSequence(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (isTensorLike(value)) {
    return value.isDisposed ? 'Tensor (disposed)' : `Tensor (rank ${value.rank}, shape [${value.shape.join(', ')}], dtype ${value.dtype})`;
  }
  if (typeof value === 'object') {
    const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof ctor === 'string' && ctor !== '' ? ctor : 'object';
  }
  return typeof value;
}

function kindOfDtype(dtype: string): 'int' | 'float' | 'bool' | null {
  if (dtype === 'int32') return 'int';
  if (dtype === 'float32') return 'float';
  if (dtype === 'bool') return 'bool';
  return null;
}

function tensorScalar(value: unknown, dtype: string): PostfixValue | null {
  if (typeof value === 'string') return { value };
  const kind = kindOfDtype(dtype);
  if (typeof value !== 'number' || kind === null) return null;
  return { value: kind === 'bool' ? value !== 0 : value, kind };
}

/** Converts a leaf to a postfix value, or returns `null` (after a warning) when it cannot be shown. */
function leafValue(value: unknown, warn: (message: string) => void): PostfixValue | null {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'string') {
    return { value };
  }
  if (isTensorLike(value) && !value.isDisposed && value.rank === 0) {
    const scalar = tensorScalar(value.dataSync()[0], value.dtype);
    if (scalar !== null) return scalar;
  }
  warn(`Logger output_handler can not log metrics value type ${describeType(value)}`);
  return null;
}

/**
 * Flattens nested values into `name_sub` keys, as Ignite's `_flatten_dict`: mappings recurse, sequences and 1-D
 * tensors expand to `name_0`, `name_1`, …; leaves that cannot be shown are warned about and dropped.
 */
function flattenInto(out: Map<string, PostfixValue>, key: string, value: unknown, warn: (message: string) => void): void {
  if (isMapping(value)) {
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    for (const [k, v] of entries) flattenInto(out, `${key}_${String(k)}`, v, warn);
    return;
  }
  if (isSequence(value)) {
    for (let i = 0; i < value.length; i += 1) flattenInto(out, `${key}_${i}`, value[i], warn);
    return;
  }
  if (isTensorLike(value) && !value.isDisposed && value.rank === 1) {
    const data = value.dataSync();
    for (let i = 0; i < data.length; i += 1) {
      const scalar = tensorScalar(data[i], value.dtype);
      if (scalar !== null) out.set(`${key}_${i}`, scalar);
      else warn(`Logger output_handler can not log metrics value type ${describeType(value)}`);
    }
    return;
  }
  const leaf = leafValue(value, warn);
  if (leaf !== null) out.set(key, leaf);
}

function selectedMetrics(state: StateLike, names: readonly string[] | 'all', warn: (m: string) => void): Map<string, unknown> {
  const selected = new Map<string, unknown>();
  if (names === 'all') {
    for (const [k, v] of Object.entries(state.metrics)) selected.set(k, v);
    return selected;
  }
  for (const name of names) {
    if (!Object.prototype.hasOwnProperty.call(state.metrics, name)) {
      const keys = Object.keys(state.metrics).map((k) => `'${k}'`).join(', ');
      warn(`Provided metric name '${name}' is missing in engine's state metrics: [${keys}]`);
      continue;
    }
    selected.set(name, state.metrics[name]);
  }
  return selected;
}

/**
 * Collects the postfix values of one event: selected metrics, then the transformed output (a non-object value is
 * keyed `output`), then state attributes, flattened; later sources overwrite earlier keys in place.
 *
 * @param state - the engine state.
 * @param sources - what to collect.
 * @param warn - called with each warning (missing metric, value that cannot be shown).
 * @returns the ordered values.
 * @internal
 */
export function collectPostfix(state: StateLike, sources: PostfixSources, warn: (message: string) => void): Map<string, PostfixValue> {
  const raw = sources.metricNames === undefined ? new Map<string, unknown>() : selectedMetrics(state, sources.metricNames, warn);
  if (sources.outputTransform !== undefined) {
    const transformed = sources.outputTransform(state.output);
    if (isMapping(transformed)) {
      const entries = transformed instanceof Map ? [...transformed.entries()] : Object.entries(transformed);
      for (const [k, v] of entries) raw.set(String(k), v);
    } else {
      raw.set('output', transformed);
    }
  }
  for (const name of sources.stateAttributes ?? []) raw.set(name, state[name] ?? null);
  const out = new Map<string, PostfixValue>();
  for (const [k, v] of raw) flattenInto(out, k, v, warn);
  return out;
}
