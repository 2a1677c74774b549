/**
 * @module The functions of kindling's SIMD module (wasm-simd.ts), as bytecode: the fused optimizer updates, a Dense
 * layer's ReLU gradient with its bias sums (also column sums), and 4 x 4-block transposes. No Ignite counterpart.
 * Deviations: none: each reproduces the float32 operations of the stock kernels it replaces, in the same order.
 */
import { F32, I32, V128, at, load, loop16, op, type Func } from './asm.js';

/**
 * Pushes TensorFlow.js's Step of the vector in local `y` (1 where y > 0, 0 elsewhere, NaN where y is NaN), given
 * locals holding splats of 1 and 0: bitselect(y, bitselect(1, 0, y > 0), y != y), where bitselect(a, b, mask) takes
 * a's bits where mask's are set.
 */
const stepOf = (y: number, one: number, zero: number): number[] => [
  ...op.get(y), ...op.get(one), ...op.get(zero), ...op.get(y), ...op.get(zero), ...op.gt, ...op.bitselect,
  ...op.get(y), ...op.get(y), ...op.ne, ...op.bitselect,
];

/**
 * Pushes the vector in local `v` plus the bias vector `biasVec` pushes (when bit 0 of local `mode` is set; `v` is
 * updated), then through the wasm Relu (bit 1): XNNPACK's signed-integer max of the bits with the zero vector in
 * local `zero`, so every value whose sign bit is set, -0 and negative NaNs included, becomes +0.
 */
const biasReluOf = (v: number, biasVec: number[], mode: number, zero: number): number[] => [
  ...op.get(mode), ...op.i32(1), ...op.and, ...op.ifV128, ...op.get(v), ...biasVec, ...op.fadd, ...op.else, ...op.get(v), ...op.end, ...op.set(v),
  ...op.get(mode), ...op.i32(2), ...op.and, ...op.ifV128, ...op.get(v), ...op.get(zero), ...op.i32maxS, ...op.else, ...op.get(v), ...op.end,
];

// sgd(v, g, out, bytes, c): out = c * g + v
export const SGD: Func = { params: [I32, I32, I32, I32, F32], locals: [[1, I32], [1, V128]], body: (() => {
  const [v, g, out, end, c, i, vc] = [0, 1, 2, 3, 4, 5, 6];
  return [...op.get(c), ...op.splat, ...op.set(vc), ...loop16(i, end, [
    ...at(out, i), ...op.get(vc), ...load(g, i), ...op.fmul, ...load(v, i), ...op.fadd, ...op.store,
  ])];
})() };

// momentum(v, acc, g, outV, outAcc, bytes, c, m, nesterov): acc' = m * acc + g; v' = c * acc' + v
// (Nesterov: v' = c * (g + acc' * m) + v), as tf.MomentumOptimizer's kernels compute them.
export const MOMENTUM: Func = { params: [I32, I32, I32, I32, I32, I32, F32, F32, I32], locals: [[1, I32], [4, V128]], body: (() => {
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
export const ADAM: Func = { params: [I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32, F32], locals: [[1, I32], [11, V128]], body: (() => {
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
export const RELU_GRAD_SUMS: Func = { params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[3, I32], [4, V128]], body: (() => {
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
      ...stepOf(yv, one, zero),
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
// TensorFlow.js's wasm Relu (mode bit 1: XNNPACK's signed-integer max of the bits with 0, so every value whose sign
// bit is set, -0 and negative NaNs included, becomes +0): C^T back to C and a Dense layer's
// bias and activation in one pass.
export function transposeFunc(epilogue: boolean): Func {
  const [src, dst, rowBlocks, colBytes, sStride, dStride, bias, mode] = [0, 1, 2, 3, 4, 5, 6, 7];
  const first = epilogue ? 8 : 6;
  const [b, jb, p, q, rowStep] = [first, first + 1, first + 2, first + 3, first + 4];
  const at5 = (k: number): number => first + 5 + k;
  const [r0, r1, r2, r3, t0, t1, t2, t3, bv, zero, v] = [at5(0), at5(1), at5(2), at5(3), at5(4), at5(5), at5(6), at5(7), at5(8), at5(9), at5(10)];
  const rowAt = (k: number): number[] => [...op.get(p), ...op.get(sStride), ...op.i32(k), ...op.mul, ...op.add, ...op.get(jb), ...op.add];
  // bias then ReLU on the vector on the stack, as the mode says
  const finish = epilogue ? [...op.set(v), ...biasReluOf(v, op.get(bv), mode, zero)] : [];
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

// poolGradWindow(x, dx, dy, rows, cols, rowStride, colStride, chanBytes): one max-pool window's gradient, 4 channels
// at a time over the first chanBytes (a multiple of 16) of the channels: x and dx point at the window's first tap
// (channel 0), taps are rows x cols apart by rowStride / colStride bytes, dy at the window's output gradient. Per
// channel: the first tap whose value is > every earlier one (from -Infinity: NaN and -Infinity never win) gets dy
// added (dx += dy there, dx += 0 elsewhere: dx is never -0, so the bits are those of adding to the winner only).
export const POOL_GRAD_WINDOW: Func = { params: [I32, I32, I32, I32, I32, I32, I32, I32], locals: [[6, I32], [6, V128]], body: (() => {
  const [x, dx, dy, rows, cols, rowStride, colStride, chanBytes] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [cb, r, q, t, off, rowOff] = [8, 9, 10, 11, 12, 13];
  const [best, win, v, m, dyv, zero] = [14, 15, 16, 17, 18, 19];
  const inc = (local: number, by: number[]): number[] => [...op.get(local), ...by, ...op.add, ...op.set(local)];
  /** Runs `body` for every tap of the window, with `off` its byte offset (plus cb) and `t` its ordinal. */
  const taps = (body: number[]): number[] => [
    ...op.i32(0), ...op.set(t), ...op.i32(0), ...op.set(r), ...op.get(cb), ...op.set(rowOff),
    ...op.block, ...op.loop, ...op.get(r), ...op.get(rows), ...op.geU, ...op.brIf(1),
    ...op.i32(0), ...op.set(q), ...op.get(rowOff), ...op.set(off),
    ...op.block, ...op.loop, ...op.get(q), ...op.get(cols), ...op.geU, ...op.brIf(1),
    ...body,
    ...inc(t, op.i32(1)), ...inc(q, op.i32(1)), ...inc(off, op.get(colStride)), ...op.br(0),
    ...op.end, ...op.end,
    ...inc(r, op.i32(1)), ...inc(rowOff, op.get(rowStride)), ...op.br(0),
    ...op.end, ...op.end,
  ];
  return loop16(cb, chanBytes, [
    ...op.f32(-Infinity), ...op.splat, ...op.set(best), ...op.i32(-1), ...op.i32splat, ...op.set(win),
    ...taps([
      ...load(x, off), ...op.set(v),
      ...op.get(v), ...op.get(best), ...op.gt, ...op.set(m),
      ...op.get(v), ...op.get(best), ...op.get(m), ...op.bitselect, ...op.set(best),
      ...op.get(t), ...op.i32splat, ...op.get(win), ...op.get(m), ...op.bitselect, ...op.set(win),
    ]),
    ...load(dy, cb), ...op.set(dyv),
    ...taps([
      ...at(dx, off),
      ...load(dx, off),
      ...op.get(dyv), ...op.get(zero), ...op.get(win), ...op.get(t), ...op.i32splat, ...op.i32eq, ...op.bitselect,
      ...op.fadd, ...op.store,
    ]),
  ]);
})() };

// reluGrad(dy, x, out, bytes): out = dy * step(x) (TensorFlow.js's Step: 1 where x > 0, 0 elsewhere, NaN where x is
// NaN) over bytes (a multiple of 16): Relu's gradient, as the wasm Step and Multiply kernels compute it.
export const RELU_GRAD: Func = { params: [I32, I32, I32, I32], locals: [[1, I32], [3, V128]], body: (() => {
  const [dy, x, out, end, i, one, zero, xv] = [0, 1, 2, 3, 4, 5, 6, 7];
  return [...op.f32(1), ...op.splat, ...op.set(one), ...loop16(i, end, [
    ...at(out, i), ...load(dy, i), ...load(x, i), ...op.set(xv),
    ...stepOf(xv, one, zero),
    ...op.fmul, ...op.store,
  ])];
})() };

// biasRelu(x, bias, out, rows, rowBytes, vecBytes, mode): for each row, over its first vecBytes (a multiple of 16):
// out = x + bias (mode bit 0) then the ReLU of the wasm Relu kernel (mode bit 1: the signed-integer max of the bits
// with 0, as XNNPACK computes it), as Add and Relu compute them after a convolution; out may be x.
export const BIAS_RELU: Func = { params: [I32, I32, I32, I32, I32, I32, I32], locals: [[3, I32], [2, V128]], body: (() => {
  const [x, bias, out, rows, rowBytes, vecBytes, mode] = [0, 1, 2, 3, 4, 5, 6];
  const [r, off, i, v, zero] = [7, 8, 9, 10, 11];
  const rowAt = (base: number): number[] => [...op.get(base), ...op.get(off), ...op.add, ...op.get(i), ...op.add];
  return [...op.block, ...op.loop,
    ...op.get(r), ...op.get(rows), ...op.geU, ...op.brIf(1),
    ...op.i32(0), ...op.set(i),
    ...loop16(i, vecBytes, [
      ...rowAt(out), ...rowAt(x), ...op.load, ...op.set(v), ...biasReluOf(v, load(bias, i), mode, zero), ...op.store,
    ]),
    ...op.get(r), ...op.i32(1), ...op.add, ...op.set(r),
    ...op.get(off), ...op.get(rowBytes), ...op.add, ...op.set(off), ...op.br(0),
    ...op.end, ...op.end];
})() };
