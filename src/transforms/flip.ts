/**
 * @module Port of torchvision/transforms `RandomHorizontalFlip`, `RandomVerticalFlip` and functional `hflip`/`vflip`.
 * Deviations: HWC/NHWC typed arrays; the coin is `rng.random() < p` on a kindling generator (torch: `torch.rand(1)`).
 */
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import { checkProbability, emptyLike, imageDims, type ImageArray, type Transform } from './image.js';

/**
 * Mirrors every image left-right.
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @returns the flipped copy.
 */
export function hflip(image: ImageArray): ImageArray {
  const d = imageDims(image, 'hflip');
  const out = emptyLike(image, d);
  const src = image.data;
  const dst = out.data;
  for (let row = 0; row < d.n * d.h; row += 1) {
    const base = row * d.w * d.c;
    for (let x = 0; x < d.w; x += 1) {
      const s = base + (d.w - 1 - x) * d.c;
      const o = base + x * d.c;
      for (let c = 0; c < d.c; c += 1) dst[o + c] = src[s + c] as number;
    }
  }
  return out;
}

/**
 * Mirrors every image top-bottom.
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @returns the flipped copy.
 */
export function vflip(image: ImageArray): ImageArray {
  const d = imageDims(image, 'vflip');
  const out = emptyLike(image, d);
  const row = d.w * d.c;
  for (let n = 0; n < d.n; n += 1) {
    for (let y = 0; y < d.h; y += 1) {
      const s = (n * d.h + (d.h - 1 - y)) * row;
      out.data.set(image.data.subarray(s, s + row), (n * d.h + y) * row);
    }
  }
  return out;
}

/** Flips the image left-right with probability `p` (torchvision `RandomHorizontalFlip`). */
export class RandomHorizontalFlip implements Transform {
  /** The flip probability. */
  readonly p: number;

  /**
   * @param p - probability of flipping (default 0.5).
   * @throws RangeError if `p` is not in [0, 1].
   */
  constructor(p = 0.5) {
    this.p = checkProbability(p, 'RandomHorizontalFlip');
  }

  /**
   * Flips or returns the image unchanged (one draw from `rng` either way).
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the image, flipped or not.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    return rng.random() < this.p ? hflip(image) : image;
  }
}

/** Flips the image top-bottom with probability `p` (torchvision `RandomVerticalFlip`). */
export class RandomVerticalFlip implements Transform {
  /** The flip probability. */
  readonly p: number;

  /**
   * @param p - probability of flipping (default 0.5).
   * @throws RangeError if `p` is not in [0, 1].
   */
  constructor(p = 0.5) {
    this.p = checkProbability(p, 'RandomVerticalFlip');
  }

  /**
   * Flips or returns the image unchanged (one draw from `rng` either way).
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the image, flipped or not.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    return rng.random() < this.p ? vflip(image) : image;
  }
}
