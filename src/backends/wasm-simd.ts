/**
 * @module kindling's own WebAssembly SIMD loops for the wasm backend: a small module, assembled here from bytes,
 * that imports the wasm backend's memory and runs the fused optimizer updates and a Dense layer's ReLU gradient with
 * its bias sums as single vectorised passes over the heap. No Ignite counterpart (PyTorch's vectorised CPU kernels
 * play this role). Deviations: none: every element goes through the same float32 operations, in the same order, as
 * the stock kernels they replace (IEEE-exact in WebAssembly), so the results are bit-identical.
 *
 * Why hand-assembled: TensorFlow.js's wasm kernels are compiled into its own binary, and a composition of them makes
 * one pass over the data per operation (Momentum: 4 passes over three arrays; measured 1.6 ms per step for the MLP's
 * 400k-weight layer), while scalar JavaScript over the heap is slower still. A second WebAssembly module can share
 * the backend's memory; it needs a few dozen instructions, so a minimal encoder here is smaller than any assembler
 * dependency (wabt is megabytes) and runs in browsers as well as Node. The module is compiled synchronously (it is
 * well under the 4 KB browsers allow on the main thread), once per backend memory.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmHeapBackend } from './wasm-kernel-utils.js';

// --- a minimal WebAssembly encoder: unsigned LEB128, sections, SIMD opcodes (0xfd prefix, LEB128 sub-opcode)
const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const str = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const MEM = [0x00, 0x00]; // memarg: alignment hint 1 byte (loads may be unaligned), offset 0
const op = {
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i], tee: (i: number) => [0x22, i],
  i32: (v: number) => [0x41, ...leb(v)], add: [0x6a], mul: [0x6c], and: [0x71], geU: [0x4f], brIf: (d: number) => [0x0d, d], br: (d: number) => [0x0c, d],
  block: [0x02, 0x40], loop: [0x03, 0x40], ifV128: [0x04, V128], else: [0x05], end: [0x0b],
  load: [...simd(0x00), ...MEM], store: [...simd(0x0b), ...MEM], splat: simd(0x13),
  ne: simd(0x42), gt: simd(0x44), bitselect: simd(0x52),
  sqrt: simd(0xe3), fadd: simd(0xe4), fsub: simd(0xe5), fmul: simd(0xe6), fdiv: simd(0xe7),
  f32: (v: number) => { const b = new Uint8Array(new Float32Array([v]).buffer); return [0x43, ...b]; },
  /** i8x16.shuffle picking four 32-bit lanes (0-3: first operand, 4-7: second). */
  lanes: (l: [number, number, number, number]) => [...simd(0x0d), ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3])],
};

/** A loop over byte offsets `i` (local `iLocal`) from 0 to local `endLocal`, 16 bytes (4 floats) at a time. */
function loop16(iLocal: number, endLocal: number, body: number[]): number[] {
  return [
    ...op.block, ...op.loop,
    ...op.get(iLocal), ...op.get(endLocal), ...op.geU, ...op.brIf(1),
    ...body,
    ...op.get(iLocal), ...op.i32(16), ...op.add, ...op.set(iLocal), ...op.br(0),
    ...op.end, ...op.end,
  ];
}
/** `base + i` for a pointer parameter and the loop offset. */
const at = (base: number, i: number): number[] => [...op.get(base), ...op.get(i), ...op.add];
const load = (base: number, i: number): number[] => [...at(base, i), ...op.load];

// sgd(v, g, out, bytes, c): out = c * g + v
const SGD = { params: [I32, I32, I32, I32, F32], locals: [[1, I32], [1, V128]], body: (() => {
  const [v, g, out, end, c, i, vc] = [0, 1, 2, 3, 4, 5, 6];
  return [...op.get(c), ...op.splat, ...op.set(vc), ...loop16(i, end, [
    ...at(out, i), ...op.get(vc), ...load(g, i), ...op.fmul, ...load(v, i), ...op.fadd, ...op.store,
  ])];
})() };

// momentum(v, acc, g, outV, outAcc, bytes, c, m, nesterov): acc' = m * acc + g; v' = c * acc' + v
// (Nesterov: v' = c * (g + acc' * m) + v), as tf.MomentumOptimizer's kernels compute them.
const MOMENTUM = { params: [I32, I32, I32, I32, I32, I32, F32, F32, I32], locals: [[1, I32], [4, V128]], body: (() => {
  const [v, acc, g, outV, outAcc, end, c, m, nesterov, i, vc, vm, a, gv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  return [...op.get(c), ...op.splat, ...op.set(vc), ...op.get(m), ...op.splat, ...op.set(vm), ...loop16(i, end, [
    ...load(g, i), ...op.set(gv),
    ...op.get(vm), ...load(acc, i), ...op.fmul, ...op.get(gv), ...op.fadd, ...op.set(a),
    ...at(outV, i), ...op.get(vc),
    ...op.get(nesterov), ...op.ifV128, ...op.get(gv), ...op.get(a), ...op.get(vm), ...op.fmul, ...op.fadd, ...op.else, ...op.get(a), ...op.end,
    ...op.fmul, ...load(v, i), ...op.fadd, ...op.store,
    ...at(outAcc, i), ...op.get(a), ...op.store,
  ])];
})() };

// adam(v, m1, m2, g, outV, outM1, outM2, bytes, beta1, 1-beta1, beta2, 1-beta2, 1-beta1^t, 1-beta2^t, eps, -lr):
// m1' = m1 * b1 + g * (1 - b1); m2' = m2 * b2 + g² * (1 - b2); v' = (m1' / c1) / (sqrt(m2' / c2) + eps) * -lr + v
const ADAM = { params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32], locals: [[1, I32], [11, V128]], body: (() => {
  const [v, m1, m2, g, outV, outM1, outM2, end] = [0, 1, 2, 3, 4, 5, 6, 7];
  const i = 16, s = (k: number): number => 17 + k; // splats of the 8 scalars (params 8..15)
  const [gv, n1, n2] = [25, 26, 27];
  const splats = Array.from({ length: 8 }, (_, k) => [...op.get(8 + k), ...op.splat, ...op.set(s(k))]).flat();
  return [...splats, ...loop16(i, end, [
    ...load(g, i), ...op.set(gv),
    ...load(m1, i), ...op.get(s(0)), ...op.fmul, ...op.get(gv), ...op.get(s(1)), ...op.fmul, ...op.fadd, ...op.set(n1),
    ...load(m2, i), ...op.get(s(2)), ...op.fmul, ...op.get(gv), ...op.get(gv), ...op.fmul, ...op.get(s(3)), ...op.fmul, ...op.fadd, ...op.set(n2),
    ...at(outV, i),
    ...op.get(n1), ...op.get(s(4)), ...op.fdiv,
    ...op.get(n2), ...op.get(s(5)), ...op.fdiv, ...op.sqrt, ...op.get(s(6)), ...op.fadd,
    ...op.fdiv, ...op.get(s(7)), ...op.fmul, ...load(v, i), ...op.fadd, ...op.store,
    ...at(outM1, i), ...op.get(n1), ...op.store,
    ...at(outM2, i), ...op.get(n2), ...op.store,
  ])];
})() };

// reluGradSums(dy, y, g, sums, rows, rowBytes, vecBytes, relu): for each row, over its first vecBytes (a multiple
// of 16): g = dy * step(y) (TensorFlow.js's Step: 1 where y > 0, 0 elsewhere, NaN where y is NaN; relu = 0: g is dy
// and nothing is written), then sums += g, rows in order. sums must start at 0; later columns are the caller's.
const RELU_GRAD_SUMS = { params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[3, I32], [4, V128]], body: (() => {
  const [dy, y, g, sums, rows, rowBytes, vecBytes, relu] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, off, i, one, zero, yv, gv] = [8, 9, 10, 11, 12, 13, 14];
  const rowAt = (base: number): number[] => [...op.get(base), ...op.get(off), ...op.add, ...op.get(i), ...op.add];
  return [...op.f32(1), ...op.splat, ...op.set(one), ...op.f32(0), ...op.splat, ...op.set(zero),
    ...op.block, ...op.loop,
    ...op.get(r), ...op.get(rows), ...op.geU, ...op.brIf(1),
    ...op.i32(0), ...op.set(i),
    ...loop16(i, vecBytes, [
      ...op.get(relu), ...op.ifV128,
      ...rowAt(g), ...rowAt(dy), ...op.load, ...rowAt(y), ...op.load, ...op.set(yv),
      // step(y) = bitselect(y, bitselect(1, 0, y > 0), y != y); bitselect(a, b, mask): a where mask bits are set
      ...op.get(yv), ...op.get(one), ...op.get(zero), ...op.get(yv), ...op.get(zero), ...op.gt, ...op.bitselect,
      ...op.get(yv), ...op.get(yv), ...op.ne, ...op.bitselect,
      ...op.fmul, ...op.tee(gv), ...op.store, ...op.get(gv),
      ...op.else, ...rowAt(dy), ...op.load,
      ...op.end,
      ...op.set(gv),
      ...at(sums, i), ...load(sums, i), ...op.get(gv), ...op.fadd, ...op.store,
    ]),
    ...op.get(r), ...op.i32(1), ...op.add, ...op.set(r),
    ...op.get(off), ...op.get(rowBytes), ...op.add, ...op.set(off), ...op.br(0),
    ...op.end, ...op.end];
})() };

// transpose(src, dst, rowBlocks, colBytes, srcStride, dstStride): the 4 x 4 blocks of a row-major matrix of 32-bit
// values (rowBlocks blocks of 4 rows, colBytes = 16 * column blocks; strides in bytes) copied transposed into dst.
// A pure copy of bits. Edges (rows or columns past the last full block) are the caller's.
// transposeBiasRelu(..., bias, mode): the same for float32, then dst[j][i] += bias[i] (mode bit 0) and the ReLU of
// TensorFlow.js's wasm Relu (mode bit 1: x where x > 0, NaN stays NaN, else +0): C^T back to C and a Dense layer's
// bias and activation in one pass.
function transposeFunc(epilogue: boolean): Func {
  const [src, dst, rowBlocks, colBytes, sStride, dStride, bias, mode] = [0, 1, 2, 3, 4, 5, 6, 7];
  const first = epilogue ? 8 : 6;
  const [b, jb, p, q, rowStep] = [first, first + 1, first + 2, first + 3, first + 4];
  const at5 = (k: number): number => first + 5 + k;
  const [r0, r1, r2, r3, t0, t1, t2, t3, bv, zero, v] = [at5(0), at5(1), at5(2), at5(3), at5(4), at5(5), at5(6), at5(7), at5(8), at5(9), at5(10)];
  const rowAt = (k: number): number[] => [...op.get(p), ...op.get(sStride), ...op.i32(k), ...op.mul, ...op.add, ...op.get(jb), ...op.add];
  // bias then ReLU on the vector on the stack, as the mode says
  const finish = epilogue ? [
    ...op.set(v),
    ...op.get(mode), ...op.i32(1), ...op.and, ...op.ifV128, ...op.get(v), ...op.get(bv), ...op.fadd, ...op.else, ...op.get(v), ...op.end, ...op.set(v),
    ...op.get(mode), ...op.i32(2), ...op.and, ...op.ifV128,
    ...op.get(v), ...op.get(v), ...op.get(zero), ...op.get(v), ...op.get(zero), ...op.gt, ...op.bitselect, ...op.get(v), ...op.get(v), ...op.ne, ...op.bitselect,
    ...op.else, ...op.get(v), ...op.end,
  ] : [];
  const out = (k: number, vec: number[]): number[] => [...op.get(q), ...op.get(dStride), ...op.i32(k), ...op.mul, ...op.add, ...vec, ...finish, ...op.store];
  const body = [
    ...op.get(sStride), ...op.i32(4), ...op.mul, ...op.set(rowStep),
    ...op.get(src), ...op.set(p),
    ...op.block, ...op.loop,
    ...op.get(b), ...op.get(rowBlocks), ...op.geU, ...op.brIf(1),
    // q = dst + 16 * b: the output column block of this row block (whose bias values are bias[4b..4b+3])
    ...op.get(dst), ...op.get(b), ...op.i32(16), ...op.mul, ...op.add, ...op.set(q),
    ...(epilogue ? [...op.get(mode), ...op.i32(1), ...op.and, ...op.ifV128, ...op.get(bias), ...op.get(b), ...op.i32(16), ...op.mul, ...op.add, ...op.load, ...op.else, ...op.get(zero), ...op.end, ...op.set(bv)] : []),
    ...op.i32(0), ...op.set(jb),
    ...loop16(jb, colBytes, [
      ...rowAt(0), ...op.load, ...op.set(r0), ...rowAt(1), ...op.load, ...op.set(r1),
      ...rowAt(2), ...op.load, ...op.set(r2), ...rowAt(3), ...op.load, ...op.set(r3),
      ...op.get(r0), ...op.get(r1), ...op.lanes([0, 4, 1, 5]), ...op.set(t0),
      ...op.get(r0), ...op.get(r1), ...op.lanes([2, 6, 3, 7]), ...op.set(t1),
      ...op.get(r2), ...op.get(r3), ...op.lanes([0, 4, 1, 5]), ...op.set(t2),
      ...op.get(r2), ...op.get(r3), ...op.lanes([2, 6, 3, 7]), ...op.set(t3),
      ...out(0, [...op.get(t0), ...op.get(t2), ...op.lanes([0, 1, 4, 5])]),
      ...out(1, [...op.get(t0), ...op.get(t2), ...op.lanes([2, 3, 6, 7])]),
      ...out(2, [...op.get(t1), ...op.get(t3), ...op.lanes([0, 1, 4, 5])]),
      ...out(3, [...op.get(t1), ...op.get(t3), ...op.lanes([2, 3, 6, 7])]),
      ...op.get(q), ...op.get(dStride), ...op.i32(4), ...op.mul, ...op.add, ...op.set(q),
    ]),
    ...op.get(b), ...op.i32(1), ...op.add, ...op.set(b),
    ...op.get(p), ...op.get(rowStep), ...op.add, ...op.set(p), ...op.br(0),
    ...op.end, ...op.end,
  ];
  return { params: epilogue ? [I32, I32, I32, I32, I32, I32, I32, I32] : [I32, I32, I32, I32, I32, I32], locals: [[5, I32], [epilogue ? 11 : 8, V128]], body };
}

interface Func { params: number[]; locals: number[][]; body: number[] }
const FUNCS: Record<string, Func> = {
  sgd: SGD, momentum: MOMENTUM, adam: ADAM, reluGradSums: RELU_GRAD_SUMS, transpose: transposeFunc(false), transposeBiasRelu: transposeFunc(true),
};

/** The module's bytes: the functions above, importing `env.memory` (shared or not, as the backend's memory is). */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const names = Object.keys(FUNCS);
  const funcs = names.map((n) => FUNCS[n]!);
  const types = section(1, vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0])));
  // limits: shared memories must declare a maximum; 65536 pages (4 GiB) accepts any wasm32 memory
  const limits = shared ? [0x03, ...leb(0), ...leb(65536)] : [0x00, ...leb(0)];
  const imports = section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]]));
  const funcSection = section(3, vec(funcs.map((_, i) => leb(i))));
  const exports = section(7, vec(names.map((n, i) => [...str(n), 0x00, ...leb(i)])));
  const code = section(10, vec(funcs.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...leb(count!), type!])), ...f.body, ...op.end];
    return [...leb(body.length), ...body];
  })));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcSection, ...exports, ...code]);
}

/** The exported loops (pointers and lengths in bytes). */
export interface SimdLoops {
  sgd(v: number, g: number, out: number, bytes: number, c: number): void;
  momentum(v: number, acc: number, g: number, outV: number, outAcc: number, bytes: number, c: number, m: number, nesterov: number): void;
  adam(v: number, m1: number, m2: number, g: number, outV: number, outM1: number, outM2: number, bytes: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, c1: number, c2: number, eps: number, negLr: number): void;
  reluGradSums(dy: number, y: number, g: number, sums: number, rows: number, rowBytes: number, vecBytes: number, relu: number): void;
  transpose(src: number, dst: number, rowBlocks: number, colBytes: number, srcStride: number, dstStride: number): void;
  transposeBiasRelu(src: number, dst: number, rowBlocks: number, colBytes: number, srcStride: number, dstStride: number, bias: number, mode: number): void;
}

const instances = new WeakMap<WebAssembly.Memory, SimdLoops | null>();
let enabled = true;

/**
 * Turns kindling's SIMD loops on or off (on by default); off, the kernels that use them run TensorFlow.js's stock
 * wasm kernels instead, with the same results: a switch for tests and for comparing the two.
 *
 * @param on - false for the stock kernels.
 * @example
 * ```ts
 * import { setWasmSimdLoops } from 'kindling';
 * setWasmSimdLoops(false); // the fused optimizer updates run XNNPACK's Multiply and Add again
 * ```
 */
export function setWasmSimdLoops(on: boolean): void {
  enabled = on;
}

/** The backend's WebAssembly.Memory: exported by the single-threaded builds, imported (and kept) by the threaded one. */
function memoryOf(backend: WasmHeapBackend): WebAssembly.Memory | null {
  const wasm = (backend as unknown as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * kindling's SIMD loops on the wasm backend's heap, or null where they cannot run (no WebAssembly SIMD in this
 * engine, or a backend build that does not expose its memory): callers then use the stock kernels.
 *
 * @param backend - the wasm backend.
 * @returns the loops, bound to the backend's memory.
 * @example
 * ```ts
 * const loops = simdLoops(backend);
 * loops?.sgd(vPtr, gPtr, outPtr, 4 * n4, c); // pointers: typedArrayFromHeap(info).byteOffset
 * ```
 */
export function simdLoops(backend: WasmHeapBackend): SimdLoops | null {
  const memory = enabled ? memoryOf(backend) : null;
  if (memory === null) return null;
  let loops = instances.get(memory);
  if (loops === undefined) {
    try {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(shared)), { env: { memory } });
      loops = instance.exports as unknown as SimdLoops;
    } catch {
      loops = null; // no SIMD (or no shared memory support) in this engine
    }
    instances.set(memory, loops);
  }
  return loops;
}

/** What {@link transpose2d} applies to each transposed value: a bias per output column, then a ReLU. */
export interface TransposeEpilogue {
  /** float32 `[rows of x]`: added to every output row. */
  bias?: TensorInfo;
  relu?: boolean;
}

/**
 * Transposes a rank-2 tensor of 32-bit values on the wasm heap with the SIMD loop (4 x 4 blocks; the edges in
 * JavaScript): the same bits as TensorFlow.js's wasm `Transpose`, several times faster on large matrices. With an
 * epilogue (float32 only), also adds a bias per output column and applies a ReLU, with the values of the wasm `Add`
 * and `Relu` kernels run after the transpose.
 *
 * @param backend - the wasm backend.
 * @param x - a rank-2 float32 or int32 tensor on it.
 * @param epilogue - bias and ReLU to fuse (float32 `x` only).
 * @returns the new `[cols, rows]` tensor data (the caller owns it), or null when the loops are unavailable or `x` is
 *   not such a tensor.
 * @example
 * ```ts
 * const t = transpose2d(backend, info) ?? stockTranspose({ inputs: { x: info }, backend, attrs: { perm: [1, 0] } });
 * ```
 */
export function transpose2d(backend: WasmHeapBackend, x: TensorInfo, epilogue: TransposeEpilogue = {}): TensorInfo | null {
  const loops = simdLoops(backend);
  const fused = epilogue.bias !== undefined || epilogue.relu === true;
  if (loops === null || x.shape.length !== 2 || (x.dtype !== 'float32' && (fused || x.dtype !== 'int32'))) return null;
  const [rows = 0, cols = 0] = x.shape;
  if (epilogue.bias !== undefined && (epilogue.bias.dtype !== 'float32' || epilogue.bias.shape.length !== 1 || epilogue.bias.shape[0] !== rows)) return null;
  const out = backend.makeOutput([cols, rows], x.dtype);
  if (rows * cols === 0) return out;
  // Views after the allocation (it may grow the heap); 32-bit integer views copy any bits exactly.
  const xv = backend.typedArrayFromHeap(x), ov = backend.typedArrayFromHeap(out);
  const src = new Int32Array(xv.buffer, xv.byteOffset, rows * cols), dst = new Int32Array(ov.buffer, ov.byteOffset, rows * cols);
  const rows4 = rows - (rows % 4), cols4 = cols - (cols % 4);
  const bias = epilogue.bias === undefined ? null : backend.typedArrayFromHeap(epilogue.bias) as Float32Array;
  if (rows4 > 0 && cols4 > 0) {
    if (fused) {
      const mode = (bias === null ? 0 : 1) | (epilogue.relu === true ? 2 : 0);
      loops.transposeBiasRelu(src.byteOffset, dst.byteOffset, rows4 / 4, 4 * cols4, 4 * cols, 4 * rows, bias?.byteOffset ?? 0, mode);
    } else {
      loops.transpose(src.byteOffset, dst.byteOffset, rows4 / 4, 4 * cols4, 4 * cols, 4 * rows);
    }
  }
  const fsrc = new Float32Array(src.buffer, src.byteOffset, rows * cols), fdst = new Float32Array(dst.buffer, dst.byteOffset, rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = r < rows4 ? cols4 : 0; c < cols; c++) {
      if (!fused) {
        dst[c * rows + r] = src[r * cols + c]!;
        continue;
      }
      let v = fsrc[r * cols + c]!;
      if (bias !== null) v = Math.fround(v + bias[r]!);
      if (epilogue.relu === true && !(v > 0) && !Number.isNaN(v)) v = 0;
      fdst[c * rows + r] = v;
    }
  }
  return out;
}
