/**
 * @module `MaxPoolGrad` for TensorFlow.js's wasm backend: one pass over the windows, reading and writing the wasm
 * heap directly. No Ignite counterpart. Deviations: none; the gradient of each window goes to its first maximum, as
 * on the cpu backend (and in TensorFlow).
 *
 * The stock wasm `MaxPoolGrad` (4.22) rescans every window for every input position (about a quarter of a small
 * CNN's training step), starts its running maximum at `numeric_limits<float>::min()` (the smallest positive float,
 * so a window whose values are all <= 0 sends its gradient to the wrong element) and keeps the last of tied maxima.
 * Hand-written because no tfjs kernel computes an argmax per pooling window: a composition of stock kernels
 * (strided slices per tap, then a scatter-add) was measured 10x slower than this loop, which does
 * O(windows x taps) work, reads each input once per window that covers it and adds `dy` into the first maximum.
 */

import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, SingleKernel, WasmHeapBackend } from './kernel-utils.js';
import { simdLoops, type SimdLoops } from './simd.js';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * dx of a 2D max pool (NHWC): every output gradient added into the first maximum of its window. With `simd` (kindling's
 * SIMD loops and the heap offsets of the three arrays), 4 channels at a time in WebAssembly (the same comparisons and
 * additions), the channels past the last multiple of 4 here.
 *
 * @param x - the pooled input, NHWC, flat.
 * @param dy - the output gradient, flat.
 * @param dx - the input gradient to fill (zeroed by the caller), flat.
 * @param p - the pooling geometry.
 * @param simd - the loops and the byte offsets of x, dy and dx on the heap, or null for JavaScript only.
 */
export function maxPoolGradInto(x: ArrayLike<number>, dy: ArrayLike<number>, dx: Float32Array, p: tf.backend_util.Conv2DInfo,
  simd: { loops: SimdLoops; x: number; dy: number; dx: number } | null = null): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = p;
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = p;
  const { top, left } = p.padInfo;
  const c4 = simd === null ? 0 : c - (c % 4);
  let o = 0;
  for (let b = 0; b < n; b++) {
    const base = b * h * w * c;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      const yStart = Math.max(y0, 0);
      const yEnd = Math.min(y0 + fh, h);
      for (let ox = 0; ox < ow; ox++, o += c) {
        const x0 = ox * sw - left;
        const xStart = Math.max(x0, 0);
        const xEnd = Math.min(x0 + fw, w);
        if (simd !== null && c4 > 0 && yEnd > yStart && xEnd > xStart) {
          const first = 4 * (base + (yStart * w + xStart) * c);
          simd.loops.poolGradWindow(simd.x + first, simd.dx + first, simd.dy + 4 * o, yEnd - yStart, xEnd - xStart, 4 * w * c, 4 * c, 4 * c4);
        }
        for (let ch = c4; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let yy = yStart; yy < yEnd; yy++) {
            let i = base + (yy * w + xStart) * c + ch;
            for (let xx = xStart; xx < xEnd; xx++, i += c) {
              const v = x[i] as number;
              // `v > best` keeps the first maximum; NaN and -Infinity never win, as on the cpu backend.
              if (v > best) {
                best = v;
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] = (dx[at] as number) + (dy[o + ch] as number);
        }
      }
    }
  }
}

/**
 * Builds the `MaxPoolGrad` override.
 *
 * @param original - the stock kernel, used for the cases not covered: a `dimRoundingMode`, or non-float32 data.
 * @returns the kernel function to register for 'wasm'.
 */
export function makeMaxPoolGrad(original: KernelFunc | undefined): SingleKernel {
  return (args: KernelArgs): TensorInfo => {
    const a = args.attrs as unknown as PoolAttrs;
    const { dy, input } = args.inputs as { dy: TensorInfo; input: TensorInfo };
    if (original !== undefined && (a.dimRoundingMode != null || dy.dtype !== 'float32' || input.dtype !== 'float32')) {
      return original(args) as TensorInfo;
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const p = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad);
    const out = backend.makeOutput([...input.shape], 'float32');
    // Read the heap views after allocating the output: an allocation may grow (and detach) the wasm memory.
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    dx.fill(0);
    const xs = backend.typedArrayFromHeap(input), dys = backend.typedArrayFromHeap(dy);
    const loops = simdLoops(backend);
    maxPoolGradInto(xs, dys, dx, p, loops === null ? null : { loops, x: xs.byteOffset, dy: dys.byteOffset, dx: dx.byteOffset });
    return out;
  };
}
