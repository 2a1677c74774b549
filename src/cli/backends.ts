/**
 * @module Backend set-up for the CLI (Node): registers the TensorFlow.js backends that can run here and picks one.
 * `auto` prefers `tensorflow` (tfjs-node, when the user installed it), then `wasm`, then `cpu`.
 */

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CliError } from './errors.js';

/** What `kindling info` reports for one backend. */
export interface BackendStatus {
  name: string;
  available: boolean;
  note: string;
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
 * @example
 * ```ts
 * for (const b of await probeBackends()) console.log(b.name, b.available, b.note);
 * ```
 */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  const tfnode = await tryImport('@tensorflow/tfjs-node');
  out.push({
    name: 'tensorflow',
    available: tfnode === null,
    note: tfnode === null ? 'tfjs-node (native TensorFlow)' : 'not installed (npm install @tensorflow/tfjs-node; downloads a binary)',
  });
  const wasm = await tryImport('@tensorflow/tfjs-backend-wasm');
  let wasmNote = 'WebAssembly (SIMD, threads when available)';
  if (wasm === null) {
    const fixes = await tryImport('../backends/index.js');
    if (fixes === null) wasmNote += ' with kindling kernel fixes';
  }
  out.push({ name: 'wasm', available: wasm === null && tf.findBackendFactory('wasm') !== null, note: wasm ?? wasmNote });
  out.push({ name: 'cpu', available: true, note: 'plain JavaScript (slow, always available)' });
  return out;
}

/**
 * Sets the TensorFlow.js backend for a CLI run.
 *
 * @param requested - a backend name, or `'auto'`.
 * @returns the backend in use.
 * @throws {@link CliError} naming the available backends when the requested one cannot be used.
 * @example
 * ```ts
 * const backend = await setupBackend('auto'); // 'wasm' here
 * ```
 */
export async function setupBackend(requested: string): Promise<string> {
  const statuses = await probeBackends();
  const available = statuses.filter((s) => s.available).map((s) => s.name);
  const candidates = requested === 'auto' ? available : [requested];
  for (const name of candidates) {
    if (!available.includes(name) && tf.findBackendFactory(name) === null) break;
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
    } catch {
      // Fall through to the error below (or the next candidate for 'auto').
    }
  }
  throw new CliError(
    `backend '${requested}' is not available here; available: ${available.join(', ')}. ` +
      "Use --backend auto, or install the package of that backend (e.g. '@tensorflow/tfjs-node' for tensorflow).",
  );
}
