/**
 * @module kindling's fused Conv2D layer kernels (backends/fused-kernels.ts: `KindlingConv2D`, `KindlingBiasActGrad`)
 * for TensorFlow.js's wasm backend: the stock (XNNPACK) convolution, then bias and ReLU in one SIMD pass over its
 * output, in place (without a ReLU, TensorFlow.js's own `FusedConv2D`, which it runs under a tape too); back, the ReLU gradient and the bias sums in one SIMD pass. TensorFlow.js runs `Conv2D`, a
 * broadcast `Add` and `Relu` forward (three passes) and `Cast`, `Step`, `Multiply`, a transposing `Sum` back. No
 * Ignite counterpart (PyTorch's `convolution` with bias). Deviations: none: the values of those kernels bit for bit
 * (IEEE float32 additions and the wasm Relu's rule; column sums in row order). Without WebAssembly SIMD, the same
 * operations in JavaScript.
 */
import type { KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type KernelArgs, type WasmHeapBackend } from './kernel-utils.js';
import { simdLoops } from './simd.js';
import { biasActGrad } from './dense-grad.js';


/**
 * Makes `KindlingConv2D` for wasm (NHWC, float32, bias `[outChannels]`, `'linear'` or `'relu'`).
 *
 * @param conv - the stock wasm `Conv2D` kernel.
 * @param fusedConv - the stock wasm `FusedConv2D` kernel.
 * @returns the kernel function.
 */
export function makeConvLayer(conv: KernelFunc | undefined, fusedConv: KernelFunc | undefined): KernelFunc {
  return (args: KernelArgs) => {
    if (conv === undefined || fusedConv === undefined) throw new Error('kindling wasm fix: the stock wasm Conv2D or FusedConv2D kernel is not registered');
    const b = args.backend as WasmHeapBackend;
    const { x, filter, bias } = args.inputs;
    const act = args.attrs?.activation ?? 'linear';
    if (x === undefined || filter === undefined || (act !== 'linear' && act !== 'relu')) {
      throw new TypeError(`wasm KindlingConv2D: expected inputs x and filter and activation 'linear' or 'relu', received ${JSON.stringify(act)}`);
    }
    const attrs = { strides: args.attrs?.strides, pad: args.attrs?.pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
    // Without an activation TensorFlow.js fuses under a tape too: its FusedConv2D (XNNPACK starts each sum from the
    // bias), so the same kernel here; with a ReLU it runs Conv2D, Add and Relu, which the pass below reproduces.
    if (act === 'linear') return fusedConv({ inputs: args.inputs, backend: args.backend, attrs: { ...attrs, activation: 'linear' } as unknown as NamedAttrMap });
    const out = conv({ inputs: { x, filter }, backend: args.backend, attrs: attrs as unknown as NamedAttrMap }) as TensorInfo;
    const channels = out.shape[3] ?? 0;
    if (bias !== undefined && (bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== channels)) {
      b.disposeData(out.dataId);
      throw new TypeError(`wasm KindlingConv2D: bias must be float32 [${channels}], received ${bias.dtype} [${bias.shape.join(', ')}]`);
    }
    const mode = (bias === undefined ? 0 : 1) | 2; // (a ReLU from here on)
    const n = sizeOf(out.shape);
    if (n === 0) return out;
    // In place over the convolution's output (a fresh tensor no one else holds).
    const y = b.typedArrayFromHeap(out) as Float32Array, bv = bias === undefined ? null : b.typedArrayFromHeap(bias) as Float32Array;
    const rows = n / channels, c4 = channels - (channels % 4);
    const loops = simdLoops(b);
    const done = loops === null ? 0 : c4;
    if (loops !== null && c4 > 0) loops.biasRelu(y.byteOffset, bv?.byteOffset ?? 0, y.byteOffset, rows, 4 * channels, 4 * c4, mode);
    const bitsOf = new Int32Array(y.buffer, y.byteOffset, y.length);
    for (let r = 0; r < rows; r++) {
      for (let c = done, i = r * channels + done; c < channels; c++, i++) {
        if (bv !== null) y[i] = y[i]! + bv[c]!;
        if (bitsOf[i]! < 0) bitsOf[i] = 0; // the wasm Relu: the signed-integer max of the bits with 0
      }
    }
    return out;
  };
}

/**
 * Makes `KindlingBiasActGrad` for wasm: inputs `{ dy, y }` (channels last; `y` only for `'relu'`), outputs
 * `[dBias, g]` as the contract says.
 *
 * @returns the kernel function.
 */
export function makeBiasActGrad(): KernelFunc {
  return ({ inputs, backend, attrs }: KernelArgs) => {
    const b = backend as WasmHeapBackend;
    const isRelu = attrs?.activation === 'relu';
    const { dy: dyInfo, y: yInfo } = inputs;
    if (dyInfo?.dtype !== 'float32' || dyInfo.shape.length === 0 || (isRelu && (yInfo?.dtype !== 'float32' || sizeOf(yInfo.shape) !== sizeOf(dyInfo.shape)))) {
      throw new TypeError('wasm KindlingBiasActGrad: dy (and y, with a ReLU) must be float32 tensors of one size');
    }
    const n = dyInfo.shape[dyInfo.shape.length - 1]!, size = sizeOf(dyInfo.shape), m = n === 0 ? 0 : size / n;
    const { g: gInfo, sums: sumsInfo } = biasActGrad(b, dyInfo, isRelu ? yInfo! : null, m, n);
    return isRelu ? [sumsInfo, gInfo] : [sumsInfo];
  };
}
