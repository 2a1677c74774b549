/**
 * @module kindling's fused sparse softmax cross-entropy (`FUSED_LOSS_KERNELS.sparseSoftmaxCrossEntropy`, used by
 * `crossEntropyLoss` on class indices) for TensorFlow.js's wasm backend, in JavaScript over the wasm heap. The unfused
 * loss is about ten tiny kernels forward and as many backward on `[batch, classes]` logits; with the wasm thread pool
 * each costs a hand-off to a sleeping worker (up to ~0.4 ms here for a 64 x 10 Multiply), so the loss took ~1.5 ms
 * of a 15 ms MLP step. One pass in JavaScript over a few thousand values takes microseconds. No Ignite counterpart
 * (PyTorch's `cross_entropy` kernel). Deviations: none in the contract: values equal the unfused log-softmax loss
 * within float32 rounding (sums in double precision, rounded once).
 *
 * Hand-written because the wasm backend's kernels are compiled into TF.js's binary: a kernel added from outside is
 * JavaScript working on the heap the backend exposes, or WebAssembly sharing its memory (wasm-simd.ts, used for the
 * large elementwise passes; the loss's few thousand values do not need it).
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, WasmHeapBackend } from './kernel-utils.js';

/**
 * The largest logits (elements) `crossEntropyLoss` hands to this kernel; larger ones take the unfused path. The
 * kernel is scalar JavaScript: measured (forward and backward, 2 wasm threads) 0.7 ms vs 3.6 ms unfused at 64 x 10,
 * 4.3 vs 5.5 ms at 256 x 256, but 15.3 vs 10.7 ms at 256 x 1000, where XNNPACK's vectorised kernels win.
 *
 */
export const WASM_FUSED_LOSS_MAX_SIZE = 65536;

function checked(logits: TensorInfo | undefined, labels: TensorInfo | undefined): [number, number] {
  if (logits?.dtype !== 'float32' || logits.shape.length !== 2) {
    throw new TypeError(`wasm sparse softmax cross-entropy: logits must be float32 [batch, classes], received ${logits?.dtype ?? 'none'} [${logits?.shape.join(', ') ?? ''}]`);
  }
  const [rows = 0, cols = 0] = logits.shape;
  if (labels?.dtype !== 'int32' || labels.shape.length !== 1 || labels.shape[0] !== rows) {
    throw new TypeError(`wasm sparse softmax cross-entropy: labels must be int32 [${rows}], received ${labels?.dtype ?? 'none'} [${labels?.shape.join(', ') ?? ''}]`);
  }
  return [rows, cols];
}

/**
 * The kernel: outputs `[loss, backprop]` as the contract in backends/fused-kernels.ts says (per-sample losses, or
 * their mean or sum; `softmax(logits) - oneHot(labels)`; a label outside `[0, classes)` gives a zero loss and row).
 *
 */
export const wasmSparseSoftmaxCrossEntropy: KernelFunc = ({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as WasmHeapBackend;
  const [rows, cols] = checked(inputs.logits, inputs.labels);
  const reduction = attrs?.reduction ?? 'none';
  if (reduction !== 'none' && reduction !== 'mean' && reduction !== 'sum') {
    throw new TypeError(`wasm sparse softmax cross-entropy: reduction must be 'none', 'mean' or 'sum', received ${JSON.stringify(reduction)}`);
  }
  const lossOut = b.makeOutput(reduction === 'none' ? [rows] : [], 'float32');
  const backpropOut = b.makeOutput([rows, cols], 'float32');
  // Views after the allocations: an allocation may grow (and so replace) the heap.
  const x = b.typedArrayFromHeap(inputs.logits!) as Float32Array;
  const ids = b.typedArrayFromHeap(inputs.labels!) as Int32Array;
  const loss = b.typedArrayFromHeap(lossOut) as Float32Array;
  const bp = b.typedArrayFromHeap(backpropOut) as Float32Array;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c]! - max);
    const logSum = max + Math.log(sum);
    const label = ids[r]!;
    const valid = label >= 0 && label < cols;
    for (let c = 0; c < cols; c++) bp[o + c] = valid ? Math.exp(x[o + c]! - logSum) - (c === label ? 1 : 0) : 0;
    const l = valid ? logSum - x[o + label]! : 0;
    if (reduction === 'none') loss[r] = l;
    else total += Math.fround(l);
  }
  if (reduction !== 'none') loss[0] = reduction === 'mean' ? total / rows : total;
  return [lossOut, backpropOut];
};
