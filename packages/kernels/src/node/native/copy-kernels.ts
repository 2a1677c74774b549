/**
 * @module backends/native/copy-kernels `GatherV2` and `PadV2` for 'kindling-native': pure data movement, done with
 * typed-array loops and block copies in JavaScript (no arithmetic for OpenBLAS to do). No Ignite counterpart.
 * Deviations: none; results equal the cpu backend's (which computes every output index with divisions and
 * `indexToLoc`, about 20x slower; these kernels dominated a training step with random-shift augmentation).
 * Out-of-range gather indices and batch dimensions run the cpu kernel, which reports the error.
 */
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { sizeOf, type NativeKernelArgs, type NativeKernelDef } from './kernel-utils.js';

type Values = Float32Array | Int32Array;

function values(backend: MathBackendCPU, t: TensorInfo | undefined): Values | null {
  if (t === undefined) return null;
  const v = backend.data.get(t.dataId)?.values;
  return v instanceof Float32Array || v instanceof Int32Array ? v : null;
}

function empty(like: Values, length: number): Values {
  return like instanceof Float32Array ? new Float32Array(length) : new Int32Array(length);
}

/**
 * GatherV2 with batchDims 0: out[o, i, r] = x[o, indices[i], r], copying blocks of the trailing dimensions.
 *
 * @param args - inputs x and indices; attrs axis and batchDims.
 * @returns the gathered tensor, or null for the cpu kernel.
 */
function gather({ inputs, backend, attrs }: NativeKernelArgs): TensorInfo | null {
  const { x: xInfo, indices: iInfo } = inputs;
  const batchDims = (attrs['batchDims'] as number | undefined) ?? 0;
  const x = values(backend, xInfo), idx = values(backend, iInfo);
  if (x === null || !(idx instanceof Int32Array) || xInfo === undefined || iInfo === undefined || batchDims !== 0) return null;
  const rank = xInfo.shape.length;
  const axis = (attrs['axis'] as number | undefined) ?? 0;
  const ax = axis < 0 ? axis + rank : axis;
  if (ax < 0 || ax >= rank) return null;
  const outer = sizeOf(xInfo.shape.slice(0, ax));
  const dim = xInfo.shape[ax] as number;
  const inner = sizeOf(xInfo.shape.slice(ax + 1));
  for (const i of idx) if (i < 0 || i >= dim) return null;
  const n = idx.length;
  const out = empty(x, outer * n * inner);
  let o = 0;
  for (let a = 0; a < outer; a++) {
    const base = a * dim * inner;
    if (inner === 1) {
      for (let k = 0; k < n; k++) out[o++] = x[base + (idx[k] as number)] as number;
    } else {
      for (let k = 0; k < n; k++, o += inner) {
        const from = base + (idx[k] as number) * inner;
        out.set(x.subarray(from, from + inner), o);
      }
    }
  }
  const shape = [...xInfo.shape.slice(0, ax), ...iInfo.shape, ...xInfo.shape.slice(ax + 1)];
  return backend.makeTensorInfo(shape, xInfo.dtype, out);
}

/**
 * PadV2 (constant padding, any rank): fills the output, then copies each innermost row of x into place.
 *
 * @param args - input x; attrs paddings ([before, after] per dimension) and constantValue.
 * @returns the padded tensor, or null for the cpu kernel.
 */
function pad({ inputs, backend, attrs }: NativeKernelArgs): TensorInfo | null {
  const xInfo = inputs['x'];
  const x = values(backend, xInfo);
  const paddings = attrs['paddings'] as [number, number][] | undefined;
  if (x === null || xInfo === undefined || paddings === undefined || xInfo.shape.length === 0) return null;
  const shape = xInfo.shape;
  const rank = shape.length;
  const outShape = shape.map((d, i) => (paddings[i]?.[0] ?? 0) + d + (paddings[i]?.[1] ?? 0));
  const out = empty(x, sizeOf(outShape));
  const c = (attrs['constantValue'] as number | undefined) ?? 0;
  if (c !== 0) out.fill(c);
  if (x.length === 0) return backend.makeTensorInfo(outShape, xInfo.dtype, out);
  // strides of the output; each row of x (last dimension) lands at a contiguous run of the output
  const outStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) outStrides[i] = (outStrides[i + 1] as number) * (outShape[i + 1] as number);
  const rowLen = shape[rank - 1] as number;
  const rows = x.length / rowLen;
  const loc = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let at = paddings[rank - 1]?.[0] ?? 0;
    for (let d = 0; d < rank - 1; d++) at += ((loc[d] as number) + (paddings[d]?.[0] ?? 0)) * (outStrides[d] as number);
    out.set(x.subarray(r * rowLen, (r + 1) * rowLen), at);
    for (let d = rank - 2; d >= 0; d--) {
      loc[d] = (loc[d] as number) + 1;
      if ((loc[d] as number) < (shape[d] as number)) break;
      loc[d] = 0;
    }
  }
  return backend.makeTensorInfo(outShape, xInfo.dtype, out);
}

/**
 * The data-movement kernels of 'kindling-native'.
 *
 */
export const COPY_KERNELS: readonly NativeKernelDef[] = [
  { name: 'GatherV2', run: (args) => gather(args) },
  { name: 'PadV2', run: (args) => pad(args) },
];
