/**
 * @module A minimal WebAssembly encoder for kindling's SIMD loops (wasm-simd-funcs.ts): unsigned LEB128, the
 * sections of a module that imports one memory and exports functions, and the few opcodes the loops use (SIMD ones
 * behind the 0xfd prefix). No Ignite counterpart. Deviations: none (internal).
 *
 * Hand-written because the loops need a few dozen instructions: smaller than any assembler dependency (wabt is
 * megabytes) and it runs in browsers as well as Node.
 */

export const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
};
/** Signed LEB128 (i32.const's immediate). */
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const str = (s: string): number[] => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
/** Value types. */
export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const MEM = [0x00, 0x00]; // memarg: alignment hint 1 byte (loads may be unaligned), offset 0
/** Instructions, as byte sequences. */
export const op = {
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i], tee: (i: number) => [0x22, i],
  i32: (v: number) => [0x41, ...sleb(v)], add: [0x6a], mul: [0x6c], and: [0x71], geU: [0x4f], brIf: (d: number) => [0x0d, d], br: (d: number) => [0x0c, d],
  block: [0x02, 0x40], loop: [0x03, 0x40], ifV128: [0x04, V128], else: [0x05], end: [0x0b],
  load: [...simd(0x00), ...MEM], store: [...simd(0x0b), ...MEM], splat: simd(0x13),
  ne: simd(0x42), gt: simd(0x44), bitselect: simd(0x52), i32splat: simd(0x11), i32eq: simd(0x37), i32maxS: simd(0xb8),
  sqrt: simd(0xe3), fadd: simd(0xe4), fsub: simd(0xe5), fmul: simd(0xe6), fdiv: simd(0xe7),
  f32: (v: number) => { const b = new Uint8Array(new Float32Array([v]).buffer); return [0x43, ...b]; },
  /** i8x16.shuffle picking four 32-bit lanes (0-3: first operand, 4-7: second). */
  lanes: (l: [number, number, number, number]) => [...simd(0x0d), ...l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3])],
};

/** A loop over byte offsets `i` (local `iLocal`) from 0 to local `endLocal`, 16 bytes (4 floats) at a time. */
export function loop16(iLocal: number, endLocal: number, body: number[]): number[] {
  return [
    ...op.block, ...op.loop,
    ...op.get(iLocal), ...op.get(endLocal), ...op.geU, ...op.brIf(1),
    ...body,
    ...op.get(iLocal), ...op.i32(16), ...op.add, ...op.set(iLocal), ...op.br(0),
    ...op.end, ...op.end,
  ];
}
/** `base + i` for a pointer parameter and the loop offset. */
export const at = (base: number, i: number): number[] => [...op.get(base), ...op.get(i), ...op.add];
export const load = (base: number, i: number): number[] => [...at(base, i), ...op.load];

/** One function: parameter types, local declarations ([count, type]), body (without the final `end`). */
export interface Func { params: number[]; locals: number[][]; body: number[] }

/**
 * A module's bytes: `funcs` exported under their names, importing `env.memory` (shared or not, as the memory it will
 * be given is).
 *
 * @param funcs - the functions, by export name.
 * @param shared - whether the memory is shared (the threaded build's).
 * @returns the module's bytes.
 */
export function moduleBytes(funcs: Record<string, Func>, shared: boolean): Uint8Array<ArrayBuffer> {
  const names = Object.keys(funcs);
  const list = names.map((n) => funcs[n]!);
  const types = section(1, vec(list.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0])));
  // limits: shared memories must declare a maximum; 65536 pages (4 GiB) accepts any wasm32 memory
  const limits = shared ? [0x03, ...leb(0), ...leb(65536)] : [0x00, ...leb(0)];
  const imports = section(2, vec([[...str('env'), ...str('memory'), 0x02, ...limits]]));
  const funcSection = section(3, vec(list.map((_, i) => leb(i))));
  const exports = section(7, vec(names.map((n, i) => [...str(n), 0x00, ...leb(i)])));
  const code = section(10, vec(list.map((f) => {
    const body = [...vec(f.locals.map(([count, type]) => [...leb(count!), type!])), ...f.body, ...op.end];
    return [...leb(body.length), ...body];
  })));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcSection, ...exports, ...code]);
}
