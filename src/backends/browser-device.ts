/**
 * @module backends/browser-device What a browser (a page or a Web Worker) offers each TensorFlow.js backend, asked
 * before `device: 'auto'` tries it: a WebGPU adapter, a hardware WebGL renderer, and for wasm whether it runs with
 * SIMD and threads (threads need a cross-origin isolated page: COOP/COEP headers). No Ignite counterpart (PyTorch
 * picks CUDA when `torch.cuda.is_available()`). Deviations: a software WebGPU adapter or WebGL renderer (SwiftShader,
 * llvmpipe) is passed over by 'auto' (wasm with kindling's kernels trains many times faster than a GPU emulated on the
 * CPU); naming the backend still uses it.
 */

import * as tf from '@tensorflow/tfjs-core';
import { wasmFixesInstalled } from '@kindling/kernels';

/** The `'auto'` order in browsers. */
export const BROWSER_AUTO_ORDER = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;

/** Software renderers: a GPU emulated on the CPU. */
const SOFTWARE_GPU = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * Whether this code runs in a browser (a page or a worker) rather than under Node.
 *
 * @returns true in browsers (no `process.versions.node`).
 * @internal
 */
export function inBrowser(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node !== 'string';
}

/** The verdict on one backend: usable or not, and why. */
export interface BackendProbe {
  /** false: 'auto' passes over this backend. */
  readonly usable: boolean;
  /** What was found (the adapter, the renderer, SIMD and threads), or why the backend is passed over. */
  readonly reason: string;
}

interface GpuAdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

async function probeWebGpu(): Promise<BackendProbe> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } }).navigator?.gpu;
  if (gpu === undefined) return { usable: false, reason: 'navigator.gpu is undefined (no WebGPU in this browser, or not a secure context)' };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (adapter === null) return { usable: false, reason: 'navigator.gpu.requestAdapter() gave no adapter' };
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter((s) => s !== undefined && s !== '').join(' ') || 'unnamed';
  if (adapter.isFallbackAdapter === true || info.isFallbackAdapter === true || SOFTWARE_GPU.test(name)) {
    return { usable: false, reason: `the WebGPU adapter (${name}) is a software fallback` };
  }
  return { usable: true, reason: `WebGPU adapter ${name}` };
}

function webglRenderer(): string | null {
  type Ctx = { getExtension(n: string): { UNMASKED_RENDERER_WEBGL: number } | null; getParameter(p: number): unknown; RENDERER: number };
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => { getContext(t: string): unknown }; document?: { createElement(t: string): { getContext(t: string): unknown } } };
  const canvas = g.OffscreenCanvas !== undefined ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas');
  const gl = (canvas?.getContext('webgl2') ?? canvas?.getContext('webgl') ?? null) as Ctx | null;
  if (gl === null) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = gl.getParameter(ext?.UNMASKED_RENDERER_WEBGL ?? gl.RENDERER);
  (gl.getExtension('WEBGL_lose_context') as { loseContext?: () => void } | null)?.loseContext?.();
  return String(renderer);
}

function probeWebGl(): BackendProbe {
  const renderer = webglRenderer();
  if (renderer === null) return { usable: false, reason: 'no WebGL context (no GPU, or WebGL disabled)' };
  if (SOFTWARE_GPU.test(renderer)) return { usable: false, reason: `the WebGL renderer (${renderer}) is a software one` };
  return { usable: true, reason: `WebGL renderer ${renderer}` };
}

async function flag(name: string): Promise<boolean> {
  return (tf.env() as unknown as { flagRegistry: Record<string, unknown> }).flagRegistry[name] !== undefined && (await tf.env().getAsync(name)) === true;
}

async function probeWasm(): Promise<BackendProbe> {
  const simd = await flag('WASM_HAS_SIMD_SUPPORT');
  const threads = await flag('WASM_HAS_MULTITHREAD_SUPPORT');
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const why = threads ? 'threaded: the page is cross-origin isolated' : isolated ? 'single-threaded: no shared WebAssembly memory' : 'single-threaded: the page is not cross-origin isolated (serve it with COOP/COEP headers for threads)';
  return { usable: true, reason: `${wasmFixesInstalled() ? "kindling's kernels" : 'the stock kernels'}, ${simd ? 'SIMD' : 'no SIMD'}, ${why}` };
}

/**
 * Asks the browser whether `backend` can run well here (see the module doc). Backends other than webgpu, webgl
 * and wasm are always usable.
 *
 * @param backend - a backend name.
 * @returns the verdict and its reason.
 * @example
 * ```ts
 * const probe = await probeBrowserBackend('webgpu');
 * if (!probe.usable) console.log(`no WebGPU: ${probe.reason}`);
 * ```
 */
export async function probeBrowserBackend(backend: string): Promise<BackendProbe> {
  if (backend === 'webgpu') return probeWebGpu();
  if (backend === 'webgl') return probeWebGl();
  if (backend === 'wasm') return probeWasm();
  return { usable: true, reason: backend === 'cpu' ? 'plain JavaScript (the slowest backend)' : `backend ${backend}` };
}

/**
 * What the active wasm backend runs with, once it has started: its thread count (from TensorFlow.js's wasm module).
 *
 * @returns the thread count, or null when the active backend is not wasm.
 * @internal
 */
export function activeWasmThreads(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const wasm = (tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } }).wasm;
  return wasm?.tfjs?.getThreadsCount?.() ?? null;
}

/**
 * Prepares the wasm backend's start in a cross-origin isolated page or worker so that its threads use every core:
 * TF.js's threaded build sizes XNNPACK's pool from half of `navigator.hardwareConcurrency` (a single thread on 2
 * cores), so the count reads doubled while the module starts. Returns the function that puts it back, or null
 * when there is nothing to do (not isolated, or no `navigator`).
 *
 * @returns the undo function, or null.
 * @internal
 */
export function prepareBrowserWasmThreads(): (() => void) | null {
  const g = globalThis as { navigator?: { hardwareConcurrency?: number }; crossOriginIsolated?: boolean };
  const nav = g.navigator;
  const cores = nav?.hardwareConcurrency;
  if (nav === undefined || g.crossOriginIsolated !== true || cores === undefined || Object.hasOwn(nav, 'hardwareConcurrency')) return null;
  Object.defineProperty(nav, 'hardwareConcurrency', { configurable: true, get: () => 2 * cores });
  return () => {
    Reflect.deleteProperty(nav, 'hardwareConcurrency');
  };
}
