/** @module wasm/heap-backend The parts of TensorFlow.js's wasm backend that kindling's wasm kernels use. */
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of the wasm backend's API (public methods of `BackendWasm`, not in its typings) that kernels use. */
export interface WasmHeapBackend extends KernelBackend {
  /** A view of a tensor's data on the wasm heap (take it after every allocation: the heap may grow). */
  typedArrayFromHeap(t: TensorInfo): tf.TypedArray;
  /** Allocates an output tensor on the heap. */
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
}
