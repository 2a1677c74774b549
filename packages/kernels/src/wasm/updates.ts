/**
 * @module The fused optimizer updates (backends/fused-kernels.ts, `FUSED_UPDATE_KERNELS`) for TensorFlow.js's wasm
 * backend: one kernel call per variable that runs the optimizer's own sequence of stock wasm kernels (XNNPACK's
 * Multiply, Add, ...) directly, without TensorFlow.js's engine between them. Each kernel call through the engine
 * costs ~25 µs of bookkeeping (tape, scopes, tensor objects) here, and TensorFlow.js's Momentum makes 4 of them per
 * variable, Adam 11. No Ignite counterpart (PyTorch's `foreach` optimizers play this role). Deviations: none: the
 * same kernels on the same operands in the same order, so the results are bit-identical to TensorFlow.js's
 * optimizers on wasm.
 *
 * (A single JavaScript pass over the heap measured 2-3x slower than these vectorised kernels on this project's
 * machine, so the kernels stay XNNPACK's.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_UPDATE_KERNELS } from '../contract.js';
import { KernelScope, sizeOf, type KernelArgs, type StockKernels, type WasmHeapBackend } from './kernel-utils.js';
import { simdLoops, type SimdLoops } from './simd.js';

/** Elementwise arithmetic on the scope's stock wasm kernels (looked up when the update runs). */
class Arithmetic {
  readonly #s: KernelScope;
  readonly #backend: KernelBackend;
  readonly #kernels = new Map<string, KernelFunc>();

  constructor(s: KernelScope, backend: KernelBackend) {
    this.#s = s;
    this.#backend = backend;
  }

  #run(name: string, inputs: Record<string, TensorInfo>): TensorInfo {
    let kernel = this.#kernels.get(name);
    if (kernel === undefined) {
      kernel = tf.getKernel(name, 'wasm')?.kernelFunc;
      if (kernel === undefined) throw new Error(`wasm fused optimizer update: the wasm backend has no ${name} kernel`);
      this.#kernels.set(name, kernel);
    }
    return this.#s.run(kernel, inputs, {});
  }

  mul(a: TensorInfo, b: TensorInfo): TensorInfo { return this.#run(tf.Multiply, { a, b }); }
  add(a: TensorInfo, b: TensorInfo): TensorInfo { return this.#run(tf.Add, { a, b }); }
  sub(a: TensorInfo, b: TensorInfo): TensorInfo { return this.#run(tf.Sub, { a, b }); }
  div(a: TensorInfo, b: TensorInfo): TensorInfo { return this.#run(tf.RealDiv, { a, b }); }
  square(x: TensorInfo): TensorInfo { return this.#run(tf.Square, { x }); }
  sqrt(x: TensorInfo): TensorInfo { return this.#run(tf.Sqrt, { x }); }

  /** A float32 scalar, as TensorFlow.js makes one from a JavaScript number. */
  scalar(value: number): TensorInfo {
    const dataId = this.#backend.write(new Float32Array([value]), [], 'float32');
    return this.#s.adopt({ dataId, shape: [], dtype: 'float32' });
  }
}

type Update = (t: Arithmetic, input: (name: string) => TensorInfo, attrs: NamedAttrMap) => TensorInfo[];

// The sequences of tf.SGDOptimizer, tf.MomentumOptimizer and tf.AdamOptimizer (tfjs-core 4.22), operand for operand.
const sgd: Update = (t, input) => [t.add(t.mul(input('c'), input('gradient')), input('value'))];

const momentum: Update = (t, input, attrs) => {
  const g = input('gradient'), m = input('m'), c = input('c');
  const acc = t.add(t.mul(m, input('accumulation')), g);
  const value = attrs.useNesterov === true ? t.add(t.mul(c, t.add(g, t.mul(acc, m))), input('value')) : t.add(t.mul(c, acc), input('value'));
  return [value, acc];
};

const adam: Update = (t, input, attrs) => {
  const num = (name: string): number => Number(attrs[name]);
  const g = input('gradient');
  const oneMinusAccBeta1 = t.sub(t.scalar(1), input('accBeta1'));
  const oneMinusAccBeta2 = t.sub(t.scalar(1), input('accBeta2'));
  const m1 = t.add(t.mul(input('firstMoment'), t.scalar(num('beta1'))), t.mul(g, t.scalar(1 - num('beta1'))));
  const m2 = t.add(t.mul(input('secondMoment'), t.scalar(num('beta2'))), t.mul(t.square(g), t.scalar(1 - num('beta2'))));
  const m1Hat = t.div(m1, oneMinusAccBeta1), m2Hat = t.div(m2, oneMinusAccBeta2);
  const step = t.mul(t.div(m1Hat, t.add(t.sqrt(m2Hat), t.scalar(num('epsilon')))), t.scalar(-num('learningRate')));
  return [t.add(step, input('value')), m1, m2];
};

/** The heap views, byte offsets and scalars one SIMD update works on. */
interface SimdCall {
  /** Views of the inputs named, then of the outputs (after every allocation: the heap may have grown). */
  arrays: Float32Array[];
  /** Byte offsets of the same. */
  ptrs: number[];
  /** Elements handled by the vector loop (a multiple of 4); the rest are done in JavaScript. */
  n4: number;
  n: number;
  scalar: (name: string) => number;
}

type SimdUpdate = (loops: SimdLoops, call: SimdCall, attrs: NamedAttrMap) => void;
const f = Math.fround;

// The same float32 operations as the stock sequences above, element for element: the vector loop, then the last
// n % 4 elements in JavaScript (a float32 operation computed in double and rounded once gives the same bits).
const SIMD_UPDATES: Record<string, { inputs: string[]; outputs: number; run: SimdUpdate }> = {
  [FUSED_UPDATE_KERNELS.sgd]: {
    inputs: ['value', 'gradient'], outputs: 1,
    run: (loops, { arrays: [v, g, out], ptrs: [pv, pg, po], n4, n, scalar }) => {
      const c = scalar('c');
      loops.sgd(pv!, pg!, po!, 4 * n4, c);
      for (let i = n4; i < n; i++) out![i] = f(f(c * g![i]!) + v![i]!);
    },
  },
  [FUSED_UPDATE_KERNELS.momentum]: {
    inputs: ['value', 'accumulation', 'gradient'], outputs: 2,
    run: (loops, { arrays: [v, acc, g, outV, outAcc], ptrs, n4, n, scalar }, attrs) => {
      const c = scalar('c'), m = scalar('m'), nesterov = attrs.useNesterov === true;
      loops.momentum(ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, ptrs[4]!, 4 * n4, c, m, nesterov ? 1 : 0);
      for (let i = n4; i < n; i++) {
        const a = f(f(m * acc![i]!) + g![i]!);
        outAcc![i] = a;
        outV![i] = f(f(c * (nesterov ? f(g![i]! + f(a * m)) : a)) + v![i]!);
      }
    },
  },
  [FUSED_UPDATE_KERNELS.adam]: {
    inputs: ['value', 'firstMoment', 'secondMoment', 'gradient'], outputs: 3,
    run: (loops, { arrays: [v, m1, m2, g, outV, outM1, outM2], ptrs, n4, n, scalar }, attrs) => {
      const num = (name: string): number => Number(attrs[name]);
      const b1 = f(num('beta1')), nb1 = f(1 - num('beta1')), b2 = f(num('beta2')), nb2 = f(1 - num('beta2'));
      const c1 = f(1 - scalar('accBeta1')), c2 = f(1 - scalar('accBeta2')), eps = f(num('epsilon')), negLr = f(-num('learningRate'));
      loops.adam(ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, ptrs[4]!, ptrs[5]!, ptrs[6]!, 4 * n4, b1, nb1, b2, nb2, c1, c2, eps, negLr);
      for (let i = n4; i < n; i++) {
        const gi = g![i]!;
        const a = f(f(m1![i]! * b1) + f(gi * nb1)), s = f(f(m2![i]! * b2) + f(f(gi * gi) * nb2));
        outM1![i] = a;
        outM2![i] = s;
        outV![i] = f(f(f(f(a / c1) / f(f(Math.sqrt(f(s / c2))) + eps)) * negLr) + v![i]!);
      }
    },
  },
};

/** The update as one SIMD pass over the heap, or null when the loops are unavailable or an input is not float32. */
function simdUpdate(name: string, b: WasmHeapBackend, inputs: KernelArgs['inputs'], attrs: NamedAttrMap): TensorInfo[] | null {
  const spec = SIMD_UPDATES[name], loops = simdLoops(b);
  if (spec === undefined || loops === null) return null;
  const ins = spec.inputs.map((k) => inputs[k]);
  const like = ins[0];
  if (like === undefined || ins.some((t) => t?.dtype !== 'float32' || sizeOf(t.shape) !== sizeOf(like.shape))) return null;
  const outs = Array.from({ length: spec.outputs }, () => b.makeOutput([...like.shape], 'float32'));
  const arrays = [...ins, ...outs].map((t) => b.typedArrayFromHeap(t!) as Float32Array);
  const n = sizeOf(like.shape);
  const scalar = (k: string): number => {
    const t = inputs[k];
    if (t?.dtype !== 'float32') throw new TypeError(`wasm fused optimizer update: input '${k}' must be a float32 scalar, received ${t?.dtype ?? 'none'}`);
    return (b.typedArrayFromHeap(t) as Float32Array)[0]!;
  };
  spec.run(loops, { arrays, ptrs: arrays.map((a) => a.byteOffset), n4: n - (n % 4), n, scalar }, attrs);
  return outs;
}

function updateKernel(name: string, update: Update, stock: StockKernels): KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const fast = simdUpdate(name, backend as WasmHeapBackend, inputs, attrs ?? {});
    if (fast !== null) return fast;
    const b = backend as KernelBackend;
    const s = new KernelScope(b, stock);
    try {
      const input = (name: string): TensorInfo => {
        const info = inputs[name];
        if (info?.dtype !== 'float32') {
          throw new TypeError(`wasm fused optimizer update: input '${name}' must be a float32 tensor, received ${info?.dtype ?? 'none'}`);
        }
        return info;
      };
      return update(new Arithmetic(s, b), input, attrs ?? {}).map((out) => s.keep(out));
    } finally {
      s.dispose();
    }
  };
}

/**
 * The fused update kernels for 'wasm', by kernel name (registered by `installWasmFixes`).
 *
 * @param stock - the stock kernels the scope needs.
 * @returns kernel functions by FUSED_UPDATE_KERNELS name.
 */
export function wasmUpdateKernels(stock: StockKernels): Record<string, KernelFunc> {
  return {
    [FUSED_UPDATE_KERNELS.sgd]: updateKernel(FUSED_UPDATE_KERNELS.sgd, sgd, stock),
    [FUSED_UPDATE_KERNELS.momentum]: updateKernel(FUSED_UPDATE_KERNELS.momentum, momentum, stock),
    [FUSED_UPDATE_KERNELS.adam]: updateKernel(FUSED_UPDATE_KERNELS.adam, adam, stock),
  };
}
