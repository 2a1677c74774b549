/**
 * @module The trainer's `device`: a TensorFlow.js backend name, `'gpu'` or `'auto'`, resolved against the backends
 * registered in this process and activated when the engine starts (as Ignite moves batches to the device).
 */

import * as tf from '@tensorflow/tfjs-core';
import { installWasmFixes } from '../backends/wasm-fixes.js';
import { EngineStateError } from '../errors.js';

/** Backend preference of `'auto'`: native and GPU backends first, the plain-JS `cpu` last. */
export const AUTO_ORDER = ['kindling-native', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
const GPU_ORDER = ['webgpu', 'webgl'] as const;
const NOT_IN_TFJS = /^(tpu|xla|mps|cuda)(:\d+)?$/i;

/**
 * The names of the backends registered in this process (`tf.engine().registryFactory`).
 *
 * @returns backend names.
 * @example
 * ```ts
 * registeredBackends(); // ['cpu', 'wasm']
 * ```
 */
export function registeredBackends(): string[] {
  return Object.keys((tf.engine() as unknown as { registryFactory: Record<string, unknown> }).registryFactory);
}

/**
 * Resolves a `device` option to a registered backend name.
 *
 * @param device - a backend name, `'gpu'`, `'auto'`, or null/undefined for the active backend.
 * @returns the backend name, or null to keep the active backend.
 * @throws RangeError for TPU/XLA/MPS/CUDA (TensorFlow.js has no such backend) and for unregistered backends,
 *   listing the available ones.
 * @example
 * ```ts
 * resolveDevice('auto'); // 'wasm' when @tensorflow/tfjs-backend-wasm is imported
 * ```
 */
export function resolveDevice(device: string | null | undefined): string | null {
  if (device === null || device === undefined) return null;
  if (typeof device !== 'string') throw new TypeError(`device should be a backend name, 'gpu' or 'auto', got ${typeof device}`);
  const available = registeredBackends();
  if (NOT_IN_TFJS.test(device)) {
    throw new RangeError(
      `TensorFlow.js has no '${device}' backend (device '${device}' is a PyTorch device). ` +
        `Use a TensorFlow.js backend: ${available.join(', ')}, 'gpu' or 'auto'.`,
    );
  }
  const pick = (order: readonly string[]): string | undefined => order.find((b) => available.includes(b));
  const resolved = device === 'auto' ? pick(AUTO_ORDER) ?? available[0] : device === 'gpu' ? pick(GPU_ORDER) : available.includes(device) ? device : undefined;
  if (resolved === undefined) {
    const what = device === 'gpu' ? 'no GPU backend (webgpu, webgl) is registered' : `backend '${device}' is not registered`;
    throw new RangeError(`device '${device}': ${what}. Available: ${available.join(', ')}. Import its package (e.g. '@tensorflow/tfjs-backend-wasm') first.`);
  }
  return resolved;
}

/**
 * Activates a backend (no-op when it is already active).
 *
 * @param backend - a resolved backend name, or null.
 * @returns when the backend is ready.
 * @throws {@link EngineStateError} when the backend fails to initialise.
 * @example
 * ```ts
 * await activateBackend(resolveDevice('wasm'));
 * ```
 */
export async function activateBackend(backend: string | null): Promise<void> {
  // kindling's wasm kernel fixes: same results, transposed matmuls (every backward pass) about 3x faster.
  if (backend === 'wasm') installWasmFixes();
  if (backend === null || tf.getBackend() === backend) return;
  const done = backend === 'wasm' ? (wasmInitHook?.() ?? null) : null;
  let ok: boolean;
  try {
    ok = await (done === null ? tf.setBackend(backend) : withTimeout(tf.setBackend(backend), WASM_THREADED_INIT_TIMEOUT_MS));
  } finally {
    done?.();
  }
  // A threaded start that failed (TF.js warned why) was undone by done(): the stock single-threaded build is tried.
  if (!ok && done !== null) ok = await tf.setBackend(backend);
  if (!ok) throw new EngineStateError(`backend '${backend}' failed to initialise; available: ${registeredBackends().join(', ')}`);
  await tf.ready();
}

/** How long the threaded wasm backend may take to start (its workers load the module) before activation fails. */
const WASM_THREADED_INIT_TIMEOUT_MS = 60_000;

function withTimeout(init: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new EngineStateError(`the wasm backend did not start in ${ms / 1000} s with threads; ` +
        'set KINDLING_WASM_THREADS=1 to run it single-threaded'));
    }, ms);
  });
  return Promise.race([init, timeout]).finally(() => clearTimeout(timer));
}

/** Called before the wasm backend initialises; returns what to call after (or null). Set by the Node entry. */
let wasmInitHook: (() => (() => void) | null) | null = null;

/**
 * Sets the hook {@link activateBackend} calls right before the wasm backend initialises (the Node entry installs
 * the one that starts it with threads, `prepareWasmThreads`); null removes it. Internal to kindling's entries.
 *
 * @param hook - returns the function to call once the backend initialised, or null.
 * @example
 * ```ts
 * setWasmInitHook(() => prepareWasmThreads());
 * ```
 */
export function setWasmInitHook(hook: (() => (() => void) | null) | null): void {
  wasmInitHook = hook;
}
