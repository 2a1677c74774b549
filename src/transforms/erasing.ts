/**
 * @module Port of torchvision/transforms `RandomErasing` and functional `erase`.
 * Deviations: HWC/NHWC typed arrays (uint8 or float32; torchvision expects a tensor, usually after ToTensor); all
 * draws come from a kindling generator, with `value: 'random'` noise from a Box-Muller normal; one rectangle for a
 * whole NHWC batch (torchvision's batched-tensor behaviour); never in place.
 */
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import {
  checkProbability,
  checkRatio,
  imageDims,
  isIntegerPixels,
  roundHalfEven,
  toPixel,
  uniform,
  type ImageArray,
  type Transform,
} from './image.js';
import { NdArray } from '../data/nd-array.js';

/** Options of {@link RandomErasing}. */
export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image (default `[0.02, 0.33]`). */
  scale?: readonly [number, number];
  /** Range of the erased rectangle's aspect ratio (default `[0.3, 3.3]`). */
  ratio?: readonly [number, number];
  /** The erasing value: a number, one per channel, or `'random'` for standard normal noise (default 0). */
  value?: number | readonly number[] | 'random';
}

/** A rectangle and the values to write into it (`null` = nothing to erase). */
export interface ErasingParams {
  /** Top row. */
  top: number;
  /** Left column. */
  left: number;
  /** Height. */
  height: number;
  /** Width. */
  width: number;
  /** Values `[height, width, C]` row-major, or one value per channel (length C). */
  values: Float64Array;
}

function normal(rng: RandomGenerator): number {
  const u1 = rng.random();
  const u2 = rng.random();
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * Writes `values` into a rectangle of every image (torchvision `F.erase`, not in place).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @param params - the rectangle and its values (per channel, or per pixel and channel).
 * @returns the erased copy.
 */
export function erase(image: ImageArray, params: ErasingParams): ImageArray {
  const d = imageDims(image, 'erase');
  const out = new NdArray(image.data.slice(), image.shape);
  const integer = isIntegerPixels(image.data);
  const perPixel = params.values.length !== d.c;
  // Like torch's slicing, a rectangle reaching past the border is clipped.
  const rows = Math.min(params.height, d.h - params.top);
  const cols = Math.min(params.width, d.w - params.left);
  for (let n = 0; n < d.n; n += 1) {
    for (let y = 0; y < rows; y += 1) {
      for (let x = 0; x < cols; x += 1) {
        const o = ((n * d.h + params.top + y) * d.w + params.left + x) * d.c;
        const v = perPixel ? (y * params.width + x) * d.c : 0;
        for (let c = 0; c < d.c; c += 1) out.data[o + c] = toPixel(params.values[v + c] as number, integer);
      }
    }
  }
  return out;
}

/** Erases a random rectangle with probability `p` (torchvision `RandomErasing`, Zhong et al. 2017). */
export class RandomErasing implements Transform {
  /** Probability of erasing. */
  readonly p: number;
  /** Area range. */
  readonly scale: readonly [number, number];
  /** Aspect-ratio range. */
  readonly ratio: readonly [number, number];
  /** The erasing value. */
  readonly value: number | readonly number[] | 'random';

  /**
   * @param options - p, scale, ratio, value.
   * @throws RangeError if p is not a probability, scale is not within [0, 1], or a range is not `[min, max]`.
   * @throws TypeError if value is not a number, an array of numbers or 'random'.
   */
  constructor(options: RandomErasingOptions = {}) {
    this.p = checkProbability(options.p ?? 0.5, 'RandomErasing');
    this.scale = checkRatio(options.scale ?? [0.02, 0.33], 'RandomErasing', 'scale');
    if (this.scale[1] > 1) throw new RangeError(`RandomErasing: scale should be between 0 and 1, but given ${JSON.stringify(this.scale)}.`);
    this.ratio = checkRatio(options.ratio ?? [0.3, 3.3], 'RandomErasing', 'ratio');
    const value = options.value ?? 0;
    if (!(typeof value === 'number' || value === 'random' || (Array.isArray(value) && value.every((v) => typeof v === 'number')))) {
      throw new TypeError(`Argument value should be either a number or 'random' or a sequence of numbers, but given ${JSON.stringify(value)}.`);
    }
    this.value = value;
  }

  /**
   * Draws the rectangle (torchvision `RandomErasing.get_params`): up to 10 attempts; noise values (for 'random')
   * are drawn before the position. Returns null when no attempt fits.
   *
   * @param h - image height.
   * @param w - image width.
   * @param c - channels.
   * @param rng - the generator.
   * @returns the rectangle and values, or null.
   * @throws RangeError if a per-channel value has neither 1 nor C entries.
   */
  getParams(h: number, w: number, c: number, rng: RandomGenerator): ErasingParams | null {
    const value = this.value;
    if (Array.isArray(value) && value.length !== 1 && value.length !== c) {
      throw new RangeError(`If value is a sequence, it should have either a single value or ${c} (number of input channels), but given ${value.length}.`);
    }
    const logRatio = [Math.log(this.ratio[0]), Math.log(this.ratio[1])] as const;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const area = h * w * uniform(rng, this.scale[0], this.scale[1]);
      const aspect = Math.exp(uniform(rng, logRatio[0], logRatio[1]));
      const eh = roundHalfEven(Math.sqrt(area * aspect));
      const ew = roundHalfEven(Math.sqrt(area / aspect));
      if (!(eh < h && ew < w)) continue;
      let values: Float64Array;
      if (value === 'random') values = Float64Array.from({ length: eh * ew * c }, () => normal(rng));
      else if (typeof value === 'number') values = new Float64Array(c).fill(value);
      else values = Float64Array.from({ length: c }, (_, k) => (value.length === 1 ? value[0] : value[k]) as number);
      return { top: rng.randint(0, h - eh + 1), left: rng.randint(0, w - ew + 1), height: eh, width: ew, values };
    }
    return null;
  }

  /**
   * Erases a random rectangle with probability `p`.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the erased copy, or the image itself.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    if (!(rng.random() < this.p)) return image;
    const d = imageDims(image, 'RandomErasing');
    const params = this.getParams(d.h, d.w, d.c, rng);
    return params === null ? image : erase(image, params);
  }
}
