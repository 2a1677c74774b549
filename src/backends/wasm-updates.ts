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
import { FUSED_UPDATE_KERNELS } from './fused-kernels.js';
import { KernelScope, type KernelArgs, type StockKernels } from './wasm-kernel-utils.js';

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

function updateKernel(update: Update, stock: StockKernels): KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
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
 * @example
 * ```ts
 * const momentum = wasmUpdateKernels(stock)[FUSED_UPDATE_KERNELS.momentum];
 * ```
 */
export function wasmUpdateKernels(stock: StockKernels): Record<string, KernelFunc> {
  return {
    [FUSED_UPDATE_KERNELS.sgd]: updateKernel(sgd, stock),
    [FUSED_UPDATE_KERNELS.momentum]: updateKernel(momentum, stock),
    [FUSED_UPDATE_KERNELS.adam]: updateKernel(adam, stock),
  };
}
