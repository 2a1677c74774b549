/**
 * @module backends/native/addon Lazy loading of kindling's OpenBLAS Node-API addon (native/blas), and why it is
 * unavailable when it is. No Ignite counterpart. Deviations: none.
 *
 * The binary comes from the first of these that loads (addon-binaries.ts): the prebuilt platform package npm installed
 * with @kindling/kernels (e.g. @kindling/kernels-linux-x64-gnu), then the local build made at `npm install` by
 * scripts/build-native.mjs into native/blas/build/Release/kindling_blas.node (a failed or skipped build leaves the
 * reason in native/blas/build/UNAVAILABLE). Nothing is loaded until {@link loadNativeAddon} or
 * {@link nativeBackendStatus} is called; the status says which binary was loaded and why the others were not.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBinaryCandidates, type NativeBinaryCandidate } from './addon-binaries.js';

/**
 * The functions of the compiled addon (native/blas/src/addon.cc). Every array argument is a Float32Array that the
 * addon reads or fills in place; sizes are checked against the dimensions and a mismatch throws a TypeError.
 *
 * @example
 * ```ts
 * const addon = loadNativeAddon();
 * addon?.unary(0, x, out, 0); // out = relu(x)
 * ```
 */
export interface NativeAddon {
  /** `stamps`: the stamps of a and b (stamps.ts), which let the addon keep their bfloat16 copies. */
  matmul(a: Float32Array, b: Float32Array, out: Float32Array, batch: number, batchA: number, batchB: number,
    m: number, n: number, k: number, transA: boolean, transB: boolean, bias: Float32Array | null, biasMode: number,
    act: number, alpha: Float32Array | null, alphaMode: number, leakyAlpha: number, bf16: boolean, stamps?: Float64Array): void;
  /** `stamps`: the stamps of the two operands (stamps.ts), which let the addon keep reordered or rounded copies. */
  conv2d(x: Float32Array, w: Float32Array, out: Float32Array, geom: Float64Array, bias: Float32Array | null,
    biasMode: number, act: number, alpha: Float32Array | null, alphaMode: number, leakyAlpha: number, bf16?: boolean,
    stamps?: Float64Array): void;
  conv2dBackpropInput(dy: Float32Array, w: Float32Array, dx: Float32Array, geom: Float64Array, bf16?: boolean, stamps?: Float64Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Float64Array, bf16?: boolean, stamps?: Float64Array): void;
  /** A new space of operand stamps, unique in the process (absent in addons built before stamps). */
  newStampSpace?(): number;
  /** Drops the copies kept for a stamp (its tensor's data was released or overwritten). */
  releaseStamp?(stamp: number): void;
  pool(kind: number, x: Float32Array, out: Float32Array, geom: Float64Array): void;
  poolGrad(kind: number, dy: Float32Array, x: Float32Array | null, dx: Float32Array, geom: Float64Array): void;
  binary(op: number, a: Float32Array, aKind: number, b: Float32Array, bKind: number, out: Float32Array, outer: number,
    inner: number): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, r: number, inner: number): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): void;
  roundBf16(x: Float32Array): void;
  denseGrad(dy: Float32Array, y: Float32Array | null, a: Float32Array, g: Float32Array | null, dW: Float32Array,
    dBias: Float32Array | null, m: number, n: number, k: number): void;
  biasActGrad(dy: Float32Array, y: Float32Array | null, g: Float32Array | null, dBias: Float32Array, m: number, n: number): void;
  sparseSoftmaxCrossEntropy(logits: Float32Array, labels: Int32Array, loss: Float32Array, backprop: Float32Array, rows: number,
    cols: number): void;
  sgdUpdate(v: Float32Array, g: Float32Array, outV: Float32Array, c: number): void;
  momentumUpdate(v: Float32Array, acc: Float32Array, g: Float32Array, outV: Float32Array, outAcc: Float32Array, c: number,
    m: number, nesterov: boolean): void;
  adamUpdate(v: Float32Array, m1: Float32Array, m2: Float32Array, g: Float32Array, outV: Float32Array, outM1: Float32Array,
    outM2: Float32Array, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number,
    oneMinusAccBeta1: number, oneMinusAccBeta2: number, epsilon: number, negLr: number): void;
  info(): NativeAddonInfo;
  setThreads(n: number): void;
  setSpin(microseconds: number): void;
  /** Uses oneDNN (when compiled in) from now on, or not; KINDLING_DNNL=0 in the environment turns it off at load. */
  setDnnl?(enabled: boolean): void;
}

/**
 * What the addon reports about itself (`NativeAddon.info()`): its OpenBLAS, thread pool, oneDNN, and the library and
 * instruction set each kernel family runs on. Fields after `simd` are absent in addons built before oneDNN support.
 *
 * @example
 * ```ts
 * const info = loadNativeAddon()?.info();
 * if (info?.dnnl?.enabled !== true) console.warn('bfloat16 products run at float32 speed');
 * ```
 */
export interface NativeAddonInfo {
  config: string;
  coreName: string;
  threads: number;
  spinMicros: number;
  sbgemm: boolean;
  simd: string;
  /** How this OpenBLAS threads: 'sequential', 'pthreads' or 'openmp'. */
  openblasThreading?: string;
  /** oneDNN: compiled in, enabled (KINDLING_DNNL), its version, the instruction set it dispatches to, bfloat16 dot products. */
  dnnl?: {
    compiled: boolean; enabled: boolean; version: string; isa: string; bf16: boolean;
    /**
     * Copies of stamped operands (stamps.ts) made and reused so far: convolution filters reordered into oneDNN's
     * layouts, operands rounded to bfloat16; and the copies kept now (count, bytes). Absent in addons built before
     * stamps.
     */
    packedCopies?: Record<'filters' | 'bf16', { made: number; reused: number }> & { kept: number; bytes: number };
  };
  /** Per kernel family (matmul, matmulBf16, conv, convBackprop, convBf16, pool, elementwise): library and ISA. */
  kernels?: Record<string, string>;
}

/**
 * Whether the native backend can be used, and if not, why and how to fix it.
 *
 * @example
 * ```ts
 * const { available, reason } = nativeBackendStatus();
 * if (!available) console.warn(reason);
 * ```
 */
export interface NativeBackendStatus {
  available: boolean;
  /** When available, the OpenBLAS in use and where the binary comes from; otherwise why no binary loads, and the fix. */
  reason: string;
  /** The binary that is loaded, or null. */
  binary: NativeBinaryReport | null;
  /** Every binary looked for, in loading order (prebuilt package, then local build), with why it was not loaded. */
  binaries: NativeBinaryReport[];
}

/**
 * One binary of the native backend and what became of it: loaded, or why not.
 *
 * @example
 * ```ts
 * for (const b of nativeBackendStatus().binaries) console.log(b.loaded ? `loaded ${b.file}` : `${b.label}: ${b.note}`);
 * ```
 */
export interface NativeBinaryReport {
  /** `prebuilt`: the platform package npm installed; `local`: the build of native/blas. */
  source: 'prebuilt' | 'local';
  /** The platform package's name and version, or the local build. */
  label: string;
  /** The binary's path, or null when there is none. */
  file: string | null;
  loaded: boolean;
  /** Why it was not loaded (not installed, not built, failed to load, or another binary came first); '' when loaded. */
  note: string;
}

const FIX = 'To enable it: on Linux x64 with glibc 2.34+, reinstall without omitting optional dependencies (npm installs ' +
  'the prebuilt binary); elsewhere install OpenBLAS (Debian/Ubuntu: apt-get install libopenblas-dev; macOS: brew install ' +
  'openblas) and a C++ compiler, then run `npx kindling build-native` (or `npm rebuild kindling`; `npm run build:native` in a kindling checkout).';

let cached: { addon: NativeAddon | null; status: NativeBackendStatus } | undefined;

/**
 * The directory of kindling's package.json, found by walking up from this file (src/backends/native when run
 * through tsx, dist/backends/native when compiled).
 *
 * @returns the package root, or null when no package.json is found.
 */
export function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function loadFile(root: string, file: string): NativeAddon {
  // OpenBLAS reads this when the addon loads it. kindling calls OpenBLAS single-threaded (its own pool splits the
  // products, see native/blas/src/parallel.h), so OpenBLAS's idle worker threads should sleep at once instead of
  // spinning for ~0.1 s. A value set by the user is kept.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
  return createRequire(join(root, 'package.json'))(file) as NativeAddon;
}

function unavailable(reason: string, binaries: NativeBinaryReport[]): { addon: null; status: NativeBackendStatus } {
  return { addon: null, status: { available: false, reason, binary: null, binaries } };
}

function load(): { addon: NativeAddon | null; status: NativeBackendStatus } {
  const root = packageRoot();
  if (root === null) return unavailable(`the package.json of @kindling/kernels was not found. ${FIX}`, []);
  return loadFirstBinary(root, nativeBinaryCandidates(root));
}

/**
 * Tries the candidates in order (prebuilt package, then local build) and keeps the first that loads.
 *
 * @param root - the directory of @kindling/kernels' package.json.
 * @param candidates - from `nativeBinaryCandidates`.
 * @returns the addon (or null) and the status naming the loaded binary and why each other one was not loaded.
 * @internal
 */
export function loadFirstBinary(root: string, candidates: readonly NativeBinaryCandidate[]): { addon: NativeAddon | null; status: NativeBackendStatus } {
  const binaries: NativeBinaryReport[] = [];
  let loaded: { addon: NativeAddon; info: NativeAddonInfo; report: NativeBinaryReport } | null = null;
  for (const { source, label, file, skip } of candidates) {
    const report: NativeBinaryReport = { source, label, file, loaded: false, note: skip ?? '' };
    binaries.push(report);
    if (file === null || skip !== null) continue;
    if (loaded !== null) {
      report.note = `not loaded: the ${loaded.report.source} binary comes first` +
        (loaded.report.source === 'prebuilt' ? ' (KINDLING_NATIVE_PREBUILT=0 loads this one instead)' : '');
      continue;
    }
    try {
      const addon = loadFile(root, file);
      loaded = { addon, info: addon.info(), report };
      report.loaded = true;
    } catch (error) {
      report.note = `loading ${file} failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (loaded === null) return unavailable(`${binaries.map((b) => `${b.label}: ${b.note}`).join('\n')}\n${FIX}`, binaries);
  const { info, report } = loaded;
  const reason = `${info.config} (core ${info.coreName}, ${info.threads} threads, ${info.simd}${info.sbgemm ? ', sbgemm' : ''}); ` +
    `binary: ${report.label}, ${report.file ?? ''}`;
  return { addon: loaded.addon, status: { available: true, reason, binary: report, binaries } };
}

/**
 * Loads the addon on first call (later calls return the same result).
 *
 * @returns the addon, or null when it is not built or fails to load ({@link nativeBackendStatus} says why).
 */
export function loadNativeAddon(): NativeAddon | null {
  cached ??= load();
  return cached.addon;
}

/**
 * Whether the OpenBLAS addon is built and loads, with the reason (the build failure recorded at install time or the
 * load error, and how to fix it) when it does not; when available, the reason describes the OpenBLAS in use.
 * Loads the addon on first call.
 *
 * @returns `{ available, reason }`.
 */
export function nativeBackendStatus(): NativeBackendStatus {
  cached ??= load();
  return { ...cached.status, binaries: cached.status.binaries.map((b) => ({ ...b })) };
}
