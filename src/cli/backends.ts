/**
 * @module Backend set-up for the CLI (Node): imports the optional TensorFlow.js backend packages that can run here
 * (wasm, tfjs-node), then picks one with the same function as the trainers' `device` option
 * (`selectBackend`, backends/device.ts): `auto` prefers kindling's native OpenBLAS backend, then `tensorflow`
 * (tfjs-node, when the user installed it), then `wasm`, then `cpu`.
 */

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { NATIVE_BACKEND_NAME, installNodeKernels, nativeBackendStatus, prepareWasmThreads, type NativeBackendStatus, requestedWasmThreads, wasmThreadsStatus } from '@kindling/kernels/node';
import { selectBackend, setBackendInstaller, setWasmInitHook } from '../backends/device.js';
import { CliError } from './errors.js';

/** What `kindling info` reports for one backend. */
export interface BackendStatus {
  name: string;
  available: boolean;
  note: string;
  /** More lines for `kindling info` (the native backend: which binary was loaded, from where, why others were not). */
  details?: string[];
}

async function tryImport(specifier: string): Promise<string | null> {
  try {
    await import(specifier);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
  }
}

/**
 * Registers the optional backends (wasm, tensorflow) and reports which can be used.
 *
 * @returns one status per backend, in the order `auto` prefers them.
 */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  setBackendInstaller(() => {
    installNodeKernels();
  });
  const native = installNodeKernels().native;
  const status = nativeBackendStatus();
  out.push({
    name: NATIVE_BACKEND_NAME,
    available: native,
    note: native ? `kindling's native backend (OpenBLAS, Node-API addon), ${status.binary?.source ?? ''} binary`
      : `not built: ${status.reason.split('\n').pop() ?? ''}`,
    details: nativeDetails(status),
  });
  const tfnode = await tryImport('@tensorflow/tfjs-node');
  out.push({
    name: 'tensorflow',
    available: tfnode === null,
    note: tfnode === null ? 'tfjs-node (native TensorFlow)' : 'not installed (npm install @tensorflow/tfjs-node; downloads a binary)',
  });
  const wasm = await tryImport('@tensorflow/tfjs-backend-wasm');
  const threads = wasmThreadsStatus();
  let wasmNote = `WebAssembly (SIMD; ${threads.enabled ? `${threads.threads} threads` : threadsPlan()})`;
  if (wasm === null) wasmNote += ", with kindling's kernel fixes";
  out.push({ name: 'wasm', available: wasm === null && tf.findBackendFactory('wasm') !== null, note: wasm ?? wasmNote });
  out.push({ name: 'cpu', available: true, note: 'plain JavaScript (slow, always available)' });
  return out;
}

/** One line per native binary looked for: the loaded one (where from, which OpenBLAS), and why each other one is not used. */
function nativeDetails(status: NativeBackendStatus): string[] {
  const firstLine = (text: string): string => text.split('\n')[0] ?? '';
  return status.binaries.map((b) => (b.loaded
    ? `loaded: ${b.label} (${b.file ?? ''}); ${firstLine(status.reason).replace(/; binary: .*$/, '')}`
    : `not used: ${b.label}: ${firstLine(b.note)}`));
}

/** The thread count kindling will start the wasm backend with, before it has started. */
function threadsPlan(): string {
  try {
    const n = requestedWasmThreads();
    return n > 1 ? `${n} threads when started by kindling; KINDLING_WASM_THREADS=1 for one` : '1 thread (KINDLING_WASM_THREADS=1)';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Sets the TensorFlow.js backend for a CLI run.
 *
 * @param requested - a backend name, or `'auto'`.
 * @param needs - kernels the run needs (e.g. `Conv2DBackpropFilter` to train convolutions); `auto` skips backends
 *   without them.
 * @param wasmThreads - threads to start the wasm backend with (default: `KINDLING_WASM_THREADS` or all cores).
 * @returns the backend in use.
 * @throws {@link CliError} naming the available backends when the requested one cannot be used.
 */
export async function setupBackend(requested: string, needs: readonly string[] = [], wasmThreads?: number): Promise<string> {
  const statuses = await probeBackends();
  const available = statuses.filter((s) => s.available).map((s) => s.name);
  if (requested !== 'auto' && !available.includes(requested) && tf.findBackendFactory(requested) === null) {
    throw new CliError(
      `backend '${requested}' is not available here; available: ${available.join(', ')}. ` +
        "Use --backend auto, or install the package of that backend (e.g. '@tensorflow/tfjs-node' for tensorflow).",
    );
  }
  setWasmInitHook(() => prepareWasmThreads(wasmThreads));
  try {
    const name = await selectBackend(requested, needs);
    // The cpu backend greets Node users once with an advert for tfjs-node; `kindling info` covers that.
    if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return name;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new CliError(message.replace("Use 'auto'", 'Use --backend auto'));
  }
}
