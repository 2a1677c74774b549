/**
 * The kindling side of `npm run bench:train`: loading the backends (cpu, wasm with kindling's fixes, tfjs-node's
 * 'tensorflow' when installed, kindling's native OpenBLAS backend when built), a trainer per (workload, backend,
 * dtype) made by createSupervisedTrainer, timed rounds of `trainer.run`, the same step without the Engine (a bare
 * TF.js loop), and a kernel timer for the per-step breakdown.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type * as tfl from '@tensorflow/tfjs-layers';
import { activateBackend, applyGradients, autocast, createSupervisedTrainer, crossEntropyLoss, type Engine } from '../../src/index.js';
import { buildModel, toTensors, type HostBatches, type Workload } from './models.js';
import { prepareWasmThreads, wasmThreadsStatus } from '@kindling/kernels/node';
import { setWasmInitHook } from '../../src/backends/device.js';

/** A backend the benchmark may run on, and whether it could be loaded. */
export interface BackendStatus {
  name: string;
  available: boolean;
  /** Why it is not available, or details (threads) when it is. */
  note: string;
}

/** The native backend's API in `@kindling/kernels/node` (loaded dynamically: the addon may be missing). */
interface NativeModule {
  registerNativeBackend?: () => boolean;
  nativeBackendStatus?: () => { available: boolean; reason?: string | null };
}

const NATIVE_MODULE = '@kindling/kernels/node';
const TFJS_NODE = '@tensorflow/tfjs-node';

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? '';
}

async function loadNative(threads: number): Promise<BackendStatus> {
  const name = 'kindling-native';
  // kindling's pool sizes itself from this when the addon loads (OpenBLAS then runs single-threaded per part).
  process.env['KINDLING_NATIVE_THREADS'] ??= String(threads);
  let mod: NativeModule;
  try {
    mod = (await import(NATIVE_MODULE)) as NativeModule;
  } catch (e) {
    return { name, available: false, note: `import failed: ${firstLine(e)}` };
  }
  if (typeof mod.registerNativeBackend !== 'function') return { name, available: false, note: '@kindling/kernels/node does not export registerNativeBackend()' };
  const status = mod.nativeBackendStatus?.();
  if (status !== undefined && !status.available) return { name, available: false, note: `unavailable: ${status.reason ?? 'no reason given'}` };
  let ok: boolean;
  try {
    ok = mod.registerNativeBackend();
  } catch (e) {
    return { name, available: false, note: `registerNativeBackend() threw: ${firstLine(e)}` };
  }
  if (!ok) return { name, available: false, note: `registerNativeBackend() returned false${status?.reason ? `: ${status.reason}` : ''}` };
  try {
    await activateBackend(name);
  } catch (e) {
    return { name, available: false, note: `failed to initialise: ${firstLine(e)}` };
  }
  const detail = mod.nativeBackendStatus?.().reason;
  return { name, available: true, note: `${detail !== undefined && detail !== null && detail !== '' ? `${detail}, ` : ''}KINDLING_NATIVE_THREADS=${process.env['KINDLING_NATIVE_THREADS']}` };
}

async function loadTfjsNode(): Promise<BackendStatus> {
  const name = 'tensorflow';
  try {
    await import(TFJS_NODE);
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { name, available: false, note: code === 'ERR_MODULE_NOT_FOUND' ? 'not installed (@tensorflow/tfjs-node)' : `failed to load: ${firstLine(e)}` };
  }
  return { name, available: true, note: 'tfjs-node (TensorFlow C library, its own thread pool)' };
}

/**
 * Loads the requested backends, in that order.
 *
 * @param names - 'cpu', 'wasm', 'tensorflow', 'kindling-native'.
 * @param threads - thread count asked of every backend that has one.
 */
export async function loadBackends(names: readonly string[], threads: number): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of names) {
    if (name === 'cpu') {
      // tfjs-backend-cpu prints a "use tfjs-node" banner at its first tensor; a report does not need it.
      const cpu = tf.findBackend('cpu') as (tf.KernelBackend & { firstUse?: boolean }) | null;
      if (cpu !== null) cpu.firstUse = false;
      out.push({ name, available: true, note: 'tfjs-backend-cpu, plain JavaScript, 1 thread' });
    } else if (name === 'wasm') {
      // As kindling's Node entry does: the wasm backend starts with `threads` threads (src/backends/wasm-threads.ts).
      setWasmInitHook(() => prepareWasmThreads(threads));
      await activateBackend('wasm'); // installs kindling's wasm kernel fixes
      const t = wasmThreadsStatus();
      out.push({ name, available: true, note: `tfjs-backend-wasm + kindling fixes, SIMD ${String(tf.env().getBool('WASM_HAS_SIMD_SUPPORT'))}, ${t.threads} thread${t.threads > 1 ? 's' : ''} (${t.reason})` });
    } else if (name === 'tensorflow') {
      out.push(await loadTfjsNode());
    } else if (name === 'kindling-native') {
      out.push(await loadNative(threads));
    } else {
      out.push({ name, available: false, note: 'unknown backend name' });
    }
  }
  return out;
}

/** Sums the wall time of every kernel call (outermost calls only) on one backend while started. */
export class KernelTimer {
  totalMs = 0;
  /** Outermost kernel calls timed. */
  calls = 0;
  readonly byKernel = new Map<string, number>();
  #depth = 0;
  #backend = '';
  readonly #patched = new Map<tf.KernelConfig, tf.KernelFunc>();
  readonly #registry: Map<string, tf.KernelConfig>;

  constructor() {
    const globals = (globalThis as { _tfGlobals?: Map<string, unknown> })._tfGlobals;
    const registry = globals?.get('kernelRegistry');
    if (!(registry instanceof Map)) throw new Error('TF.js kernel registry not found');
    this.#registry = registry as Map<string, tf.KernelConfig>;
  }

  /** Times every kernel of `backend`, including those registered while started (autocast's wrappers). */
  start(backend: string): void {
    this.#backend = backend;
    for (const config of this.#registry.values()) this.#patch(config);
    this.#patchInPlace(backend);
    const registry = this.#registry;
    // registerKernel() ends in registry.set(): patch configs registered from now on (autocast installs per step).
    Object.defineProperty(registry, 'set', {
      configurable: true,
      writable: true,
      value: (key: string, config: tf.KernelConfig) => {
        this.#patch(config);
        return Map.prototype.set.call(registry, key, config);
      },
    });
  }

  stop(): void {
    this.#unpatchInPlace?.();
    this.#unpatchInPlace = null;
    delete (this.#registry as unknown as Record<string, unknown>)['set'];
    for (const [config, fn] of this.#patched) config.kernelFunc = fn;
    this.#patched.clear();
  }

  reset(): void {
    this.totalMs = 0;
    this.calls = 0;
    this.byKernel.clear();
  }

  /** What the timer adds to one kernel call, in ms (measured on an empty kernel). */
  static costPerCallMs(): number {
    const timer = new KernelTimer();
    const config: tf.KernelConfig = { kernelName: 'Empty', backendName: 'bench-probe', kernelFunc: () => [] };
    timer.#backend = config.backendName;
    timer.#patch(config);
    const params = {} as Parameters<tf.KernelFunc>[0];
    const n = 200_000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) config.kernelFunc(params);
    return (performance.now() - t0) / n;
  }

  #unpatchInPlace: (() => void) | null = null;

  /** Fused optimizer updates run in place (FusedInPlaceBackend) bypass the kernel registry: time them as kernels. */
  #patchInPlace(backend: string): void {
    const b = tf.findBackend(backend) as (tf.KernelBackend & { runFusedUpdateInPlace?: (name: string, ...rest: unknown[]) => boolean }) | null;
    const original = b?.runFusedUpdateInPlace;
    if (b === null || original === undefined || Object.prototype.hasOwnProperty.call(b, 'runFusedUpdateInPlace')) return;
    b.runFusedUpdateInPlace = (name: string, ...rest: unknown[]): boolean => {
      const t0 = performance.now();
      const done = original.call(b, name, ...rest);
      if (done) {
        const dt = performance.now() - t0;
        this.calls++;
        this.totalMs += dt;
        this.byKernel.set(`${name} (in place)`, (this.byKernel.get(`${name} (in place)`) ?? 0) + dt);
      }
      return done;
    };
    this.#unpatchInPlace = () => { delete (b as { runFusedUpdateInPlace?: unknown }).runFusedUpdateInPlace; };
  }

  #patch(config: tf.KernelConfig): void {
    if (config.backendName !== this.#backend || this.#patched.has(config)) return;
    const fn = config.kernelFunc;
    const name = config.kernelName;
    this.#patched.set(config, fn);
    config.kernelFunc = (params) => {
      if (this.#depth > 0) return fn(params);
      this.#depth++;
      const t0 = performance.now();
      try {
        return fn(params);
      } finally {
        const dt = performance.now() - t0;
        this.#depth--;
        this.calls++;
        this.totalMs += dt;
        this.byKernel.set(name, (this.byKernel.get(name) ?? 0) + dt);
      }
    };
  }
}

/** One kindling configuration: a model, its optimizer, its trainer and its batches on one backend. */
export class KindlingRun {
  readonly #trainer: Engine<unknown, unknown>;
  readonly #model: tfl.Sequential;
  readonly #optimizer: tf.Optimizer;
  readonly #batches: [tf.Tensor, tf.Tensor][];
  #next = 0;

  private constructor(readonly backend: string, readonly amp: 'bfloat16' | null, model: tfl.Sequential, optimizer: tf.Optimizer, batches: [tf.Tensor, tf.Tensor][]) {
    this.#model = model;
    this.#optimizer = optimizer;
    this.#batches = batches;
    this.#trainer = createSupervisedTrainer(model, optimizer, crossEntropyLoss, amp === null ? { device: backend } : { device: backend, ampMode: 'amp', ampDtype: amp });
  }

  /** Builds the model (weights seeded) and uploads the batches on `backend`. */
  static async create(w: Workload, backend: string, amp: 'bfloat16' | null, data: HostBatches, lr: number): Promise<KindlingRun> {
    await activateBackend(backend);
    const model = buildModel(w.model);
    return new KindlingRun(backend, amp, model, tf.train.momentum(lr, 0.9), toTensors(w.model, data));
  }

  #take(steps: number): [tf.Tensor, tf.Tensor][] {
    const out = Array.from({ length: steps }, (_, i) => this.#batches[(this.#next + i) % this.#batches.length] as [tf.Tensor, tf.Tensor]);
    this.#next = (this.#next + steps) % this.#batches.length;
    return out;
  }

  /** `steps` training steps by the trainer (`trainer.run(batches, { maxEpochs: 1 })`): wall ms and the last loss. */
  async round(steps: number): Promise<{ ms: number; loss: number }> {
    const batches = this.#take(steps);
    const t0 = performance.now();
    const state = await this.#trainer.run(batches, { maxEpochs: 1 });
    const ms = performance.now() - t0;
    return { ms, loss: typeof state.output === 'number' ? state.output : NaN };
  }

  /** The same steps in a bare loop without the Engine or the trainer: variableGrads, applyGradients, read the loss. */
  async bare(steps: number): Promise<number> {
    await activateBackend(this.backend);
    const batches = this.#take(steps);
    const t0 = performance.now();
    for (const [x, y] of batches) this.#bareStep(x, y);
    return performance.now() - t0;
  }

  #bareStep(x: tf.Tensor, y: tf.Tensor): void {
    const vars = this.#model.trainableWeights.map((w) => w.read() as tf.Variable);
    const f = (): { value: tf.Scalar; grads: tf.NamedTensorMap } =>
      tf.variableGrads(() => crossEntropyLoss(this.#model.apply(x, { training: true }) as tf.Tensor, y) as tf.Scalar, vars);
    const { value, grads } = this.amp === null ? f() : autocast(this.amp, f);
    applyGradients(this.#optimizer, grads); // what the trainer's step does (fused on kindling-native)
    value.dataSync();
    tf.dispose([value, grads]);
  }

  /**
   * Estimates one step's time from a bare step on the first `samples` rows of a batch, scaled linearly to the batch
   * (an over-estimate: some costs do not shrink with the batch). Used for the CNN on the cpu backend, whose step
   * takes tens of seconds, to skip the row without paying for a full step.
   */
  async estimateStepMs(samples: number): Promise<number> {
    await activateBackend(this.backend);
    const [x, y] = this.#batches[0] as [tf.Tensor, tf.Tensor];
    const batch = x.shape[0] ?? samples;
    const probe = (n: number): number => {
      const xs = tf.slice(x, 0, n);
      const ys = tf.slice(y, 0, n);
      try {
        const t0 = performance.now();
        this.#bareStep(xs, ys);
        return performance.now() - t0;
      } finally {
        tf.dispose([xs, ys]);
      }
    };
    probe(1); // first call: weights built, kernels initialised
    const n = Math.min(samples, batch);
    return (probe(n) * batch) / n;
  }

  dispose(): void {
    tf.dispose(this.#batches.flat());
    this.#model.dispose();
    this.#optimizer.dispose();
  }
}
