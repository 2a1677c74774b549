/**
 * @module backends/device The trainer's `device` and the CLI's `--backend`: a TensorFlow.js backend name, `'gpu'` or
 * `'auto'`, resolved against the backends registered in this process and activated when the engine starts (as
 * Ignite moves batches to the device). One choice for both: {@link resolveDevice} (and {@link selectBackend},
 * which also activates, falling back along the 'auto' order). Asking for a device installs kindling's kernels
 * (`installKernels()` of `@kindling/kernels`; under Node, the 'kindling-native' backend too): importing kindling
 * alone changes nothing in TensorFlow.js.
 */

import * as tf from '@tensorflow/tfjs-core';
import { installKernels } from '@kindling/kernels';
import { EngineStateError } from '../errors.js';
import { BROWSER_AUTO_ORDER, activeWasmThreads, inBrowser, prepareBrowserWasmThreads, probeBrowserBackend } from './browser-device.js';

/** Backend preference of `'auto'`: native and GPU backends first, the plain-JS `cpu` last. */
export const AUTO_ORDER = ['kindling-native', 'tensorflow', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
const GPU_ORDER = ['webgpu', 'webgl'] as const;
const NOT_IN_TFJS = /^(tpu|xla|mps|cuda)(:\d+)?$/i;

/**
 * The names of the backends registered in this process (`tf.engine().registryFactory`).
 *
 * @returns backend names.
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
 */
export function resolveDevice(device: string | null | undefined, needs: readonly string[] = []): string | null {
  if (device === null || device === undefined) return null;
  if (typeof device !== 'string') throw new TypeError(`device should be a backend name, 'gpu' or 'auto', got ${typeof device}`);
  installBackends();
  const available = registeredBackends().filter((b) => device !== 'auto' || missingKernels(b, needs).length === 0);
  if (NOT_IN_TFJS.test(device)) {
    throw new RangeError(
      `TensorFlow.js has no '${device}' backend (device '${device}' is a PyTorch device). ` +
        `Use a TensorFlow.js backend: ${available.join(', ')}, 'gpu' or 'auto'.`,
    );
  }
  const pick = (order: readonly string[]): string | undefined => order.find((b) => available.includes(b));
  // In browsers, 'auto' keeps what selectBackend('auto') chose after asking the browser (see selectBackend).
  const chosen = device === 'auto' && browserAuto !== null && available.includes(browserAuto) ? browserAuto : undefined;
  const resolved = chosen !== undefined ? chosen : device === 'auto' ? pick(AUTO_ORDER) ?? available[0] : device === 'gpu' ? pick(GPU_ORDER) : available.includes(device) ? device : undefined;
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
 */
export async function activateBackend(backend: string | null): Promise<void> {
  // kindling's kernels (wasm may have been imported since the device was resolved): same results, faster.
  if (backend !== null) installBackends();
  if (backend === null || tf.getBackend() === backend) return;
  // Threads: the Node entry's hook, or in browsers every core when the page is cross-origin isolated.
  const done = backend === 'wasm' ? (wasmInitHook !== null ? wasmInitHook() : inBrowser() ? prepareBrowserWasmThreads() : null) : null;
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
 */
export function setWasmInitHook(hook: (() => (() => void) | null) | null): void {
  wasmInitHook = hook;
}

/** Installs the backends and kernels of this environment; the Node entry adds 'kindling-native' (see below). */
let installer: () => void = () => {
  installKernels();
};

/**
 * Replaces what asking for a device installs (default: `installKernels()` of `@kindling/kernels`; kindling's Node
 * entry sets `installNodeKernels()`, which also registers 'kindling-native'). Internal to kindling's entries.
 *
 * @param install - the installer, run (idempotently) whenever a device is resolved or activated.
 */
export function setBackendInstaller(install: () => void): void {
  installer = install;
}

/** Runs the backend installer (idempotent: the installers are). */
export function installBackends(): void {
  installer();
}

/**
 * The kernels among `needs` that `backend` lacks.
 *
 * @param backend - a backend name.
 * @param needs - kernel names.
 * @returns the missing ones.
 */
export function missingKernels(backend: string, needs: readonly string[]): string[] {
  return needs.filter((k) => tf.getKernel(k, backend) === undefined);
}

/** One backend `'auto'` passed over, and why. */
export interface SkippedBackend {
  /** The backend's name. */
  readonly backend: string;
  /** Why it was passed over: not registered, a missing kernel, what the browser said, or its start's error. */
  readonly reason: string;
}

/** The backend {@link selectBackend} chose, why, and what it passed over (in order). */
export interface DeviceChoice {
  /** The backend in use. */
  readonly backend: string;
  /** Why this one (for wasm in browsers: its kernels, SIMD and threads). */
  readonly reason: string;
  /** The backends tried or passed over before it, with the reason each time. */
  readonly skipped: readonly SkippedBackend[];
}

let lastChoice: DeviceChoice | null = null;
/** The backend selectBackend('auto') chose in this browser (page or worker), which a trainer's device 'auto' resolves to. */
let browserAuto: string | null = null;

/**
 * The last choice {@link selectBackend} made in this process (or worker): the backend, the reason, and what
 * `'auto'` passed over. An application shows it to say where it trains.
 *
 * @returns the choice, or null before the first {@link selectBackend}.
 * @example
 * ```ts
 * await selectBackend('auto');
 * const choice = deviceChoice();
 * console.log(`training on ${choice?.backend}: ${choice?.reason}`);
 * for (const s of choice?.skipped ?? []) console.log(`not ${s.backend}: ${s.reason}`);
 * ```
 */
export function deviceChoice(): DeviceChoice | null {
  return lastChoice;
}

async function describe(name: string, device: string): Promise<string> {
  const why = device === 'auto' ? (name === 'kindling-native' ? "kindling's native backend (OpenBLAS)" : "the first backend of the 'auto' order that starts") : `device '${device}' was asked for`;
  // In browsers, what the backend runs with (the renderer, the adapter, wasm's SIMD and threads).
  return inBrowser() ? `${why}: ${withThreads((await probeBrowserBackend(name)).reason)}` : why;
}

function withThreads(reason: string): string {
  const threads = activeWasmThreads();
  return threads === null ? reason : `${reason} (${threads} thread${threads === 1 ? '' : 's'})`;
}

/**
 * Resolves and activates a backend: a named one (which must have the `needs` kernels), or for `'auto'` the first
 * of {@link AUTO_ORDER} that has them and starts, falling back to the next when one fails to initialise. In
 * browsers, `'auto'` asks the browser first and goes webgpu (a hardware adapter from `navigator.gpu`), webgl (a
 * hardware renderer), wasm (kindling's kernels; SIMD where supported; threads when the page is cross-origin
 * isolated), cpu, among the registered backends; {@link deviceChoice} tells which and why.
 *
 * @param device - a backend name, `'gpu'` or `'auto'`.
 * @param needs - kernels the work needs (e.g. `Conv2DBackpropFilter` to train convolutions).
 * @returns the backend in use.
 * @throws RangeError when the backend is unknown, lacks a needed kernel, or (for 'auto') none starts.
 * @example
 * ```ts
 * // In a page: import the backends to consider, then let kindling pick and say why.
 * import '@tensorflow/tfjs-backend-webgl';
 * import '@tensorflow/tfjs-backend-wasm';
 * const backend = await selectBackend('auto');
 * console.log(backend, deviceChoice()?.reason); // e.g. wasm "kindling's kernels, SIMD, threaded: ..."
 * ```
 */
export async function selectBackend(device: string, needs: readonly string[] = []): Promise<string> {
  if (device === 'auto' && inBrowser()) return selectInBrowser(needs);
  const first = resolveDevice(device, needs);
  if (first === null) return tf.getBackend();
  const missing = missingKernels(first, needs);
  if (missing.length > 0) {
    throw new RangeError(`backend '${first}' cannot run this model: it has no ${missing.join(', ')} kernel. Use 'auto', or another backend.`);
  }
  const candidates = device === 'auto' ? [first, ...AUTO_ORDER.filter((b) => b !== first && registeredBackends().includes(b) && missingKernels(b, needs).length === 0)] : [first];
  let failure: unknown;
  const skipped: SkippedBackend[] = [];
  for (const name of candidates) {
    try {
      await activateBackend(name);
      lastChoice = { backend: name, reason: await describe(name, device), skipped };
      return name;
    } catch (error) {
      failure = error;
      skipped.push({ backend: name, reason: `failed to start: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  throw new RangeError(`device '${device}': no backend could start (tried ${candidates.join(', ')}).`, { cause: failure });
}

/** 'auto' in a browser: {@link BROWSER_AUTO_ORDER}, asking the browser about each backend before starting it. */
async function selectInBrowser(needs: readonly string[]): Promise<string> {
  installBackends();
  const registered = registeredBackends();
  const skipped: SkippedBackend[] = [];
  let failure: unknown;
  for (const name of BROWSER_AUTO_ORDER) {
    if (!registered.includes(name)) {
      skipped.push({ backend: name, reason: 'not registered (import its @tensorflow/tfjs-backend-* package to consider it)' });
      continue;
    }
    const missing = missingKernels(name, needs);
    if (missing.length > 0) {
      skipped.push({ backend: name, reason: `no ${missing.join(', ')} kernel` });
      continue;
    }
    const probe = await probeBrowserBackend(name);
    if (!probe.usable) {
      skipped.push({ backend: name, reason: probe.reason });
      continue;
    }
    try {
      await activateBackend(name);
    } catch (error) {
      failure = error;
      skipped.push({ backend: name, reason: `failed to start: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    // The thread count is known once the module has started.
    lastChoice = { backend: name, reason: withThreads(probe.reason), skipped };
    browserAuto = name;
    return name;
  }
  const tried = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
  throw new RangeError(`device 'auto': no backend could start in this browser (${tried}).`, { cause: failure });
}
