/**
 * @module Kernel fixes for TensorFlow.js's wasm backend (4.22): transposed matrix products, and the missing
 * `Conv2DBackpropFilter` (tensorflow/tfjs#8474) so that convolutional networks can be trained on wasm.
 *
 * The wasm `BatchMatMul` / `_FusedMatMul` kernels take a fast (XNNPACK) path only when no operand is transposed;
 * with `transposeA` or `transposeB` they fall back to a naive loop about 20x slower. Every backward matmul of
 * training is transposed, so an MLP step spends most of its time there. The fix materialises the transposed
 * operand with the wasm `Transpose` kernel (memory-bound, cheap) and calls the stock kernel without transposes.
 * Hand-written because no library ships kernel overrides for tfjs-backend-wasm; the stock kernels do the maths.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

const FIXED = [tf.BatchMatMul, tf._FusedMatMul] as const;
const originals = new Map<string, KernelConfig>();

interface WasmLikeBackend {
  disposeData(dataId: object): boolean;
}

function transposeLastTwo(x: TensorInfo, backend: unknown, transposeKernel: KernelFunc): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  return transposeKernel({ inputs: { x }, backend: backend as tf.KernelBackend, attrs: { perm } }) as TensorInfo;
}

function fixedKernel(original: KernelFunc, transposeKernel: KernelFunc): KernelFunc {
  return (args) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (attrs.transposeA !== true && attrs.transposeB !== true) return original(args);
    const inputs = args.inputs as Record<string, TensorInfo>;
    const made: TensorInfo[] = [];
    const a = inputs['a'] as TensorInfo;
    const b = inputs['b'] as TensorInfo;
    const a2 = attrs.transposeA === true ? transposeLastTwo(a, args.backend, transposeKernel) : a;
    const b2 = attrs.transposeB === true ? transposeLastTwo(b, args.backend, transposeKernel) : b;
    if (a2 !== a) made.push(a2);
    if (b2 !== b) made.push(b2);
    try {
      return original({ ...args, inputs: { ...inputs, a: a2, b: b2 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const t of made) (args.backend as unknown as WasmLikeBackend).disposeData(t.dataId);
    }
  };
}

function ownedTensor(info: TensorInfo, backend: tf.KernelBackend): tf.Tensor {
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/**
 * dW[kh, kw, ci, co] = sum over batch and output positions of x[b, i*s + kh, j*s + kw, ci] * dy[b, i, j, co]:
 * a convolution of the padded input (channels as batch) with dy (batch as channels) dilated by the stride, which
 * the wasm backend runs with its fast Conv2D kernel.
 */
function conv2dBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as tf.KernelBackend;
  const attrs = args.attrs as unknown as ConvAttrs;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only (kindling fix)');
  const inputs = args.inputs as Record<string, TensorInfo>;
  const x = ownedTensor(inputs['x'] as TensorInfo, backend) as tf.Tensor4D;
  const dy = ownedTensor(inputs['dy'] as TensorInfo, backend) as tf.Tensor4D;
  try {
    const [kh, kw, cin, cout] = attrs.filterShape;
    const info = tf.backend_util.computeConv2DInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
    const { top, bottom, left, right } = info.padInfo;
    return tf.tidy(() => {
      const xPad = tf.pad(x, [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]]);
      const xT = tf.transpose<tf.Tensor4D>(xPad, [3, 1, 2, 0]);
      const dyT = tf.transpose<tf.Tensor4D>(dy, [1, 2, 0, 3]);
      const full = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
      const cropped = tf.slice(full, [0, 0, 0, 0], [cin, kh, kw, cout]);
      return tf.transpose(cropped, [1, 2, 0, 3]);
    });
  } finally {
    x.dispose();
    dy.dispose();
  }
}

let addedBackpropFilter = false;

/**
 * Installs kindling's wasm kernel fixes (idempotent). Call it after importing `@tensorflow/tfjs-backend-wasm`;
 * it works before or after the backend is initialised.
 *
 * @returns true when the fixes are installed (false when the wasm backend is not registered).
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * installWasmFixes();
 * await tf.setBackend('wasm');
 * ```
 */
export function installWasmFixes(): boolean {
  const transpose = tf.getKernel(tf.Transpose, 'wasm');
  if (transpose === undefined) return false;
  for (const name of FIXED) {
    if (originals.has(name)) continue;
    const config = tf.getKernel(name, 'wasm');
    if (config === undefined) continue;
    originals.set(name, config);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: fixedKernel(config.kernelFunc, transpose.kernelFunc) });
  }
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2dBackpropFilter });
    addedBackpropFilter = true;
  }
  return true;
}

/**
 * Restores the stock wasm kernels.
 *
 * @example
 * ```ts
 * uninstallWasmFixes();
 * ```
 */
export function uninstallWasmFixes(): void {
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  originals.clear();
  if (addedBackpropFilter) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'wasm');
  addedBackpropFilter = false;
}

/**
 * Whether the fixes are installed.
 *
 * @returns true after {@link installWasmFixes}.
 * @example
 * ```ts
 * wasmFixesInstalled(); // false
 * ```
 */
export function wasmFixesInstalled(): boolean {
  return originals.size > 0 || addedBackpropFilter;
}
