/**
 * @module kindling's `KindlingDenseGrad` kernel (backends/fused-kernels.ts) for TensorFlow.js's wasm backend: a
 * Dense layer's ReLU gradient and bias gradient in one SIMD pass over the heap (wasm-simd.ts), then the weights'
 * product by kindling's wasm BatchMatMul. TensorFlow.js runs them as `Cast`, `Step`, `Multiply`, a `Sum` (which
 * transposes its input first) and the product: five kernels and as many passes, ~0.4 ms of a batch-64 MLP step here.
 * Also `KindlingReluGrad` (Relu's gradient, `dy * step(x)`: `Cast`, `Step` and `Multiply` stock, three passes; one
 * SIMD pass here: 4.7 -> ~1 ms in the CNN step). No Ignite counterpart (PyTorch's `threshold_backward` and `sum`
 * play this role). Deviations: none: the values of those kernels, bit for bit (the column sums are float32 additions
 * over the rows in order, as wasm's `Sum` does).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { KernelScope, sizeOf, type KernelArgs, type StockKernels, type WasmHeapBackend } from './kernel-utils.js';
import { makeBatchMatMul } from './matmul.js';
import { simdLoops } from './simd.js';

/** TensorFlow.js's Step: 1 where x > 0, 0 elsewhere, NaN where x is NaN (the SIMD loops' rule, for the tails). */
const step = (x: number): number => (Number.isNaN(x) ? x : x > 0 ? 1 : 0);

function matrix(info: TensorInfo | undefined, what: string): [number, number] {
  if (info?.dtype !== 'float32' || info.shape.length !== 2) {
    throw new TypeError(`wasm KindlingDenseGrad: '${what}' must be a float32 matrix, received ${info?.dtype ?? 'none'} [${info?.shape.join(', ') ?? ''}]`);
  }
  return info.shape as [number, number];
}

/**
 * The ReLU gradient `g = dy * step(y)` (y null: g is dy itself) and the column sums of g over `[m, n]`, in one SIMD
 * pass over the heap (the columns past the last multiple of 4, or all of them without SIMD, in JavaScript with the
 * same float32 operations): what `KindlingDenseGrad` and `KindlingBiasActGrad` share.
 *
 * @param b - the wasm backend.
 * @param dyInfo - the output gradient, `m * n` float32 values.
 * @param yInfo - the layer's output (for the ReLU) or null.
 * @param m - rows.
 * @param n - columns (channels).
 * @returns g (new data with a ReLU, else `dyInfo` itself) and the sums (new data, `[n]`).
 */
export function biasActGrad(b: WasmHeapBackend, dyInfo: TensorInfo, yInfo: TensorInfo | null, m: number, n: number): { g: TensorInfo; sums: TensorInfo } {
  const gInfo = yInfo !== null ? b.makeOutput([...dyInfo.shape], 'float32') : dyInfo;
  const sumsInfo = b.makeOutput([n], 'float32');
  // Views after the allocations: an allocation may grow (and so replace) the heap.
  const dy = b.typedArrayFromHeap(dyInfo) as Float32Array, g = b.typedArrayFromHeap(gInfo) as Float32Array;
  const y = yInfo !== null ? b.typedArrayFromHeap(yInfo) as Float32Array : null;
  const sums = b.typedArrayFromHeap(sumsInfo) as Float32Array;
  sums.fill(0);
  const loops = simdLoops(b);
  const n4 = loops === null ? 0 : n - (n % 4);
  if (loops !== null && n4 > 0) loops.reluGradSums(dy.byteOffset, y?.byteOffset ?? 0, g.byteOffset, sums.byteOffset, m, 4 * n, 4 * n4, y !== null ? 1 : 0);
  const f = Math.fround;
  for (let c = n4; c < n; c++) {
    let s = 0;
    for (let r = 0, i = c; r < m; r++, i += n) {
      let v = dy[i]!;
      if (y !== null) {
        const yi = y[i]!;
        v = f(v * step(yi));
        g[i] = v;
      }
      s = f(s + v);
    }
    sums[c] = s;
  }
  return { g: gInfo, sums: sumsInfo };
}

/**
 * Makes the kernel: inputs `{ dy, a, y }` (`y` only with `activation: 'relu'`), outputs `[dB, dBias, g]` as the
 * contract says; without WebAssembly SIMD the gradient and sums are computed in JavaScript (same values).
 *
 * @param stock - the stock kernels kindling's BatchMatMul builds on.
 * @returns the kernel function.
 */
export function makeDenseGrad(stock: StockKernels): KernelFunc {
  const matMul = makeBatchMatMul(stock);
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as WasmHeapBackend;
    const relu = attrs?.activation === 'relu';
    const [m, n] = matrix(inputs.dy, 'dy');
    const [ma] = matrix(inputs.a, 'a');
    if (ma !== m) throw new TypeError(`wasm KindlingDenseGrad: 'a' has ${ma} rows, 'dy' has ${m}`);
    const yShape = relu ? matrix(inputs.y, 'y') : null;
    if (yShape !== null && (yShape[0] !== m || yShape[1] !== n)) throw new TypeError(`wasm KindlingDenseGrad: 'y' must be [${m}, ${n}], received [${yShape.join(', ')}]`);
    const { g: gInfo, sums: sumsInfo } = biasActGrad(b, inputs.dy!, relu ? inputs.y! : null, m, n);
    const dB = matMul({ inputs: { a: inputs.a!, b: gInfo }, backend, attrs: { transposeA: true, transposeB: false } });
    return relu ? [dB, sumsInfo, gInfo] : [dB, sumsInfo];
  };
}

/**
 * Makes `KindlingReluGrad` for wasm: inputs `{ dy, x }` (float32, same shape), output `dy * step(x)`; one SIMD pass
 * (the last `size % 4` values in JavaScript), or the stock `Step` and `Multiply` kernels without SIMD.
 *
 * @param stock - the stock kernels the fallback runs on.
 * @returns the kernel function.
 */
export function makeReluGrad(stock: StockKernels): KernelFunc {
  return ({ inputs, backend }: KernelArgs) => {
    const b = backend as WasmHeapBackend;
    const { dy, x } = inputs;
    if (dy?.dtype !== 'float32' || x?.dtype !== 'float32' || sizeOf(dy.shape) !== sizeOf(x.shape)) {
      throw new TypeError(`wasm KindlingReluGrad: dy and x must be float32 tensors of one size, received ${dy?.dtype ?? 'none'} [${dy?.shape.join(', ') ?? ''}] and ${x?.dtype ?? 'none'} [${x?.shape.join(', ') ?? ''}]`);
    }
    const loops = simdLoops(b);
    if (loops === null) {
      const s = new KernelScope(b, stock);
      try {
        const step = s.run(tf.getKernel(tf.Step, 'wasm').kernelFunc, { x }, { alpha: 0 });
        return s.keep(s.run(tf.getKernel(tf.Multiply, 'wasm').kernelFunc, { a: dy, b: step }, {}));
      } finally {
        s.dispose();
      }
    }
    const out = b.makeOutput([...x.shape], 'float32');
    // Views after the allocation (it may grow the heap).
    const d = b.typedArrayFromHeap(dy) as Float32Array, xs = b.typedArrayFromHeap(x) as Float32Array, o = b.typedArrayFromHeap(out) as Float32Array;
    const n = o.length, n4 = n - (n % 4);
    loops.reluGrad(d.byteOffset, xs.byteOffset, o.byteOffset, 4 * n4);
    for (let i = n4; i < n; i++) {
      o[i] = Math.fround(d[i]! * step(xs[i]!));
    }
    return out;
  };
}
