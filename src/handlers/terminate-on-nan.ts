/**
 * @module Port of ignite/handlers/terminate_on_nan.py `TerminateOnNan`.
 *
 * Deviations: when it stops training it also says whether the batch itself held a NaN/Inf (the data source) or not
 * (a second warning, only then). Tensors are checked on the device and read back once per call with one asynchronous `data()` (all
 * tensors of the output reduced to one boolean), so the handler returns a promise when the output holds tensors; the
 * warning goes to `engine.logger.warn`. Numbers, tensors, arrays and plain objects of them are inspected.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { EngineLike } from '../engine/index.js';

/** Options of {@link TerminateOnNan}. */
export interface TerminateOnNanOptions {
  /** Selects what to check in `engine.state.output`. @defaultValue identity */
  outputTransform?: (output: unknown) => unknown;
}

interface Scan {
  nonFinite: boolean;
  tensors: tf.Tensor[];
}

function scan(value: unknown, out: Scan, seen: Set<object>): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) out.nonFinite = true;
  } else if (value instanceof tf.Tensor) {
    const tensor = value as tf.Tensor;
    // int and bool tensors are always finite; tf.all() of an empty tensor is false in tf.js, so skip empty ones
    if (tensor.dtype === 'float32' && tensor.size > 0) out.tensors.push(tensor);
  } else if (value !== null && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    const items = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
    for (const item of items as unknown[]) scan(item, out, seen);
  }
}

/** Where the first NaN/Inf of a value is ('batch[0] has NaN at flat index 3'), or null. */
function firstNonFinite(value: unknown, path: string, seen: Set<object>): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${String(value)} at ${path}`;
  if (value instanceof tf.Tensor || value instanceof Float32Array || value instanceof Float64Array) {
    if (value instanceof tf.Tensor && (value.dtype !== 'float32' || value.isDisposed)) return null;
    const data = value instanceof tf.Tensor ? (value as tf.Tensor).dataSync() : value;
    const i = data.findIndex((v) => !Number.isFinite(v));
    return i < 0 ? null : `${String(data[i])} at ${path} (flat index ${i})`;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return null;
  seen.add(value);
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v]) :
    Object.entries(value).map(([k, v]) => [`${path}.${k}`, v]);
  for (const [p, v] of entries) {
    const found = firstNonFinite(v, p, seen);
    if (found !== null) return found;
  }
  return null;
}

function format(value: unknown): string {
  if (value instanceof tf.Tensor) return value.toString();
  if (Array.isArray(value)) return `[${value.map(format).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${format(v)}`).join(', ')}}`;
  }
  return String(value);
}

/**
 * Stops training when the process function's output contains a NaN or infinite number or tensor: logs a warning on
 * the engine's logger and calls `engine.terminate()`. Attach it to `ITERATION_COMPLETED`.
 *
 * @example
 * ```ts
 * trainer.on(Events.ITERATION_COMPLETED, new TerminateOnNan());
 * // check only the loss of a [loss, yPred] output
 * trainer.on(Events.ITERATION_COMPLETED, new TerminateOnNan({ outputTransform: (o) => (o as unknown[])[0] }));
 * ```
 * @see https://pytorch.org/ignite/generated/ignite.handlers.terminate_on_nan.TerminateOnNan.html
 */
export class TerminateOnNan {
  readonly #outputTransform: (output: unknown) => unknown;

  /**
   * @param options - see {@link TerminateOnNanOptions}.
   * @throws TypeError when `outputTransform` is not a function.
   */
  constructor(options: TerminateOnNanOptions = {}) {
    const transform = options.outputTransform ?? ((x: unknown) => x);
    if (typeof transform !== 'function') throw new TypeError('Argument outputTransform should be a function.');
    this.#outputTransform = transform;
  }

  /**
   * The event handler: checks `engine.state.output` (after `outputTransform`).
   *
   * @param engine - the engine.
   * @returns nothing when the output has no tensors, else a promise settled once the tensors were checked.
   */
  handle(engine: EngineLike): void | Promise<void> {
    const output = this.#outputTransform(engine.state.output);
    const found: Scan = { nonFinite: false, tensors: [] };
    scan(output, found, new Set());
    if (found.nonFinite) {
      this.#stop(engine, output);
      return undefined;
    }
    if (found.tensors.length === 0) return undefined;
    const allFinite = tf.tidy(() =>
      found.tensors.map((t) => tf.all(tf.isFinite(t))).reduce((a, b) => tf.logicalAnd(a, b)),
    );
    return allFinite.data().then((values) => {
      allFinite.dispose();
      if (values[0] !== 1) this.#stop(engine, output);
    });
  }

  #stop(engine: EngineLike, output: unknown): void {
    engine.logger.warn(`${this.constructor.name}: Output '${format(output)}' contains NaN or Inf. Stop training`);
    // kindling addition: say whether the data caused it (read only now that training stops).
    const inBatch = firstNonFinite(engine.state.batch, 'batch', new Set());
    if (inBatch !== null) {
      engine.logger.warn(`${this.constructor.name}: the batch of iteration ${engine.state.iteration} already contains ` +
        `${inBatch}: the data source produced it (check for missing values or divisions by zero in preprocessing)`);
    }
    engine.terminate();
  }
}
