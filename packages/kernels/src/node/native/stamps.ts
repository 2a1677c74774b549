/**
 * @module backends/native/stamps Names for the contents of tensors' data, so that the addon can keep copies it makes
 * of an operand (a convolution filter reordered into oneDNN's layout, an operand rounded to bfloat16) and reuse them
 * in the next kernel that reads the same content: a layer's weights are then reordered at most once per step into
 * each layout that reads them (the forward pass's, and the input gradient's where oneDNN's kernel wants another),
 * and a bfloat16 operand is rounded once for all the products that read it (native/blas/src/packed-cache.cc). No Ignite counterpart. Deviations: none (values unchanged).
 *
 * A stamp names one content forever: a tensor's data gets a stamp when first asked, and loses it when it is
 * overwritten in place (the fused optimizer updates, backend.ts), so the next request gets a new one; then, and when
 * the data is released, the addon drops the copies it kept for the old stamp. Stamps are
 * unique in the process: each JavaScript thread numbers its own inside a space that the addon hands out.
 */
import type { DataId } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';

/** Stamps per space: 2^32, so that space * 2^32 + n stays an exact double for 2^21 spaces. */
const SPACE_SIZE = 2 ** 32;

const stamps = new WeakMap<DataId, number>();
let base = -1;
let next = 0;

/** Reused argument of the addon calls: the stamps of their first two operands. */
const pair = new Float64Array(2);

/**
 * The stamp of a tensor's data (0 when the addon cannot keep copies: an addon built without stamps).
 *
 * @param addon - the native addon.
 * @param dataId - the tensor's data id.
 * @returns the stamp.
 */
export function stampOf(addon: NativeAddon, dataId: DataId): number {
  const known = stamps.get(dataId);
  if (known !== undefined) return known;
  if (addon.newStampSpace === undefined) return 0;
  if (base < 0 || next >= SPACE_SIZE) {
    base = addon.newStampSpace() * SPACE_SIZE;
    next = 1;
  }
  const stamp = base + next++;
  stamps.set(dataId, stamp);
  return stamp;
}

/**
 * The stamps of two operands, in the reused array the addon's kernels take. An operand the kernel makes no copy of
 * (null) gets none, so that neither it nor its release costs anything.
 *
 * @param addon - the native addon.
 * @param a - the first operand's data id, or null.
 * @param b - the second operand's data id, or null.
 * @returns [stamp of a or 0, stamp of b or 0].
 */
export function stampPair(addon: NativeAddon, a: DataId | null, b: DataId | null): Float64Array {
  pair[0] = a === null ? 0 : stampOf(addon, a);
  pair[1] = b === null ? 0 : stampOf(addon, b);
  return pair;
}

/**
 * Forgets the stamp of a tensor's data that is released or about to be overwritten in place, and drops the copies
 * the addon keeps of that content (they would never be used again).
 *
 * @param addon - the native addon.
 * @param dataId - the tensor's data id.
 */
export function restamp(addon: NativeAddon, dataId: DataId): void {
  const stamp = stamps.get(dataId);
  if (stamp === undefined) return;
  stamps.delete(dataId);
  addon.releaseStamp?.(stamp);
}
