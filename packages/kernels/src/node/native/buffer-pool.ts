/**
 * @module backends/native/buffer-pool Reuse of the large output arrays of native kernels once their tensor is
 * disposed. No Ignite counterpart (PyTorch's CPU caching allocator plays this role). Deviations: none.
 *
 * Allocating a fresh Float32Array of more than a few KiB costs more than the elementwise kernel that fills it (zeroing
 * and page faults, which then land inside the native kernels), so a training step's activations and gradients are
 * recycled between steps. An array is recycled only when it provably has no other user: it was allocated here, stored
 * in exactly one tensor (no view or alias of it was stored), never handed out by `read`/`readSync` (dataSync,
 * arraySync, buffer, moves to other backends), and its tensor's storage was released.
 */

/** Arrays at least this long (16 KiB) are pooled: below, allocating is cheaper than the bookkeeping. */
export const POOL_MIN_LENGTH = 1 << 12;
/** Upper bound on the memory kept in the pool. */
const POOL_MAX_BYTES = 256 << 20;
/** Upper bound on the arrays kept per length. */
const POOL_MAX_PER_LENGTH = 32;

/** State of an array handed out by {@link allocOutput}: not yet stored, stored once, or not recyclable. */
const enum State { Fresh, Stored, Escaped }

const states = new WeakMap<ArrayBuffer, State>();
const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;

/**
 * A Float32Array of `length` elements for a native kernel's output, recycled when possible. Its contents are
 * undefined (not zeroed): the kernel must write every element.
 *
 * @param length - number of elements.
 * @param track - also track an array too small to pool, so that {@link isExclusive} can vouch for it (the outputs
 *   of fused optimizer updates, which later updates overwrite in place).
 * @returns the array.
 * @example
 * ```ts
 * const out = allocOutput(x.length);
 * addon.unary(0, x, out, 0);
 * ```
 */
export function allocOutput(length: number, track = false): Float32Array {
  if (length < POOL_MIN_LENGTH) {
    const small = new Float32Array(length);
    if (track) states.set(small.buffer, State.Fresh);
    return small;
  }
  const list = free.get(length);
  const reused = list?.pop();
  if (reused !== undefined) {
    pooledBytes -= reused.byteLength;
    states.set(reused.buffer as ArrayBuffer, State.Fresh);
    return reused;
  }
  const out = new Float32Array(length);
  states.set(out.buffer, State.Fresh);
  return out;
}

/**
 * Records that `values` is stored as a tensor's data (the backend's write/move). A second store of the same
 * buffer (an alias or a view of it) makes it non-recyclable.
 *
 * @param values - the stored values.
 */
export function noteStored(values: unknown): void {
  if (!ArrayBuffer.isView(values)) return;
  const buffer = values.buffer as ArrayBuffer;
  const state = states.get(buffer);
  if (state === undefined) return;
  states.set(buffer, state === State.Fresh && values instanceof Float32Array && values.byteOffset === 0 &&
    values.byteLength === buffer.byteLength ? State.Stored : State.Escaped);
}

/**
 * Records that `values` left the backend (read/readSync): it is never recycled.
 *
 * @param values - the values handed out.
 */
export function noteEscaped(values: unknown): void {
  if (ArrayBuffer.isView(values) && states.has(values.buffer as ArrayBuffer)) states.set(values.buffer as ArrayBuffer, State.Escaped);
}

/**
 * Returns the values of a released tensor to the pool when they are recyclable.
 *
 * @param values - the values of a tensor whose storage was just deleted.
 */
export function recycle(values: unknown): void {
  if (!(values instanceof Float32Array)) return;
  const buffer = values.buffer as ArrayBuffer;
  if (states.get(buffer) !== State.Stored) return;
  states.delete(buffer);
  if (values.length < POOL_MIN_LENGTH || pooledBytes + values.byteLength > POOL_MAX_BYTES) return;
  let list = free.get(values.length);
  if (list === undefined) free.set(values.length, (list = []));
  if (list.length >= POOL_MAX_PER_LENGTH) return;
  list.push(values);
  pooledBytes += values.byteLength;
}

/**
 * Empties the pool (the arrays are left to the garbage collector).
 *
 */
export function clearPool(): void {
  free.clear();
  pooledBytes = 0;
}

/**
 * Whether `values` may be overwritten in place by its tensor's owner: an array allocated here, stored as exactly one
 * tensor's data (no alias or view of it was stored) and never handed out by `read`/`readSync`. The caller also
 * checks that no second tensor shares that data (its reference count).
 *
 * @param values - a tensor's values.
 * @returns true when nothing else can observe a write to them.
 */
export function isExclusive(values: unknown): values is Float32Array {
  return values instanceof Float32Array && values.byteOffset === 0 && values.byteLength === values.buffer.byteLength &&
    states.get(values.buffer as ArrayBuffer) === State.Stored;
}
