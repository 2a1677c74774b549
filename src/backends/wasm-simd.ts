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
  i32: (v: number) => [0x41, ...leb(v)], add: [0x6a], geU: [0x4f], brIf: (d: number) => [0x0d, d], br: (d: number) => [0x0c, d],
  block: [0x02, 0x40], loop: [0x03, 0x40], ifV128: [0x04, V128], else: [0x05], end: [0x0b],
  load: [...simd(0x00), ...MEM], store: [...simd(0x0b), ...MEM], splat: simd(0x13),
  ne: simd(0x42), gt: simd(0x44), bitselect: simd(0x52),
  sqrt: simd(0xe3), fadd: simd(0xe4), fsub: simd(0xe5), fmul: simd(0xe6), fdiv: simd(0xe7),
  f32: (v: number) => { const b = new Uint8Array(new Float32Array([v]).buffer); return [0x43, ...b]; },
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

interface Func { params: number[]; locals: number[][]; body: number[] }
const FUNCS: Record<string, Func> = { sgd: SGD, momentum: MOMENTUM, adam: ADAM, reluGradSums: RELU_GRAD_SUMS };

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
