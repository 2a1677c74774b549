/**
 * @module Port of torchvision/transforms `ColorJitter` and functional `adjust_brightness`, `adjust_contrast`,
 * `adjust_saturation`, `adjust_hue`, `rgb_to_grayscale` (tensor semantics, including the uint8 conversions:
 * blends clamp then truncate, hue goes through float [0, 1] and back as `trunc(v * 255)`).
 * Deviations: HWC/NHWC typed arrays; the order and factors are drawn from a kindling generator (a permutation of the
 * four adjustments, then the factors, in torchvision's order); computed in float32 like torch (each operation rounded with `Math.fround`), so results match torchvision's.
 */
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import { emptyLike, imageDims, isIntegerPixels, uniform, type ImageArray, type Transform } from './image.js';

function checkChannels(image: ImageArray, what: string): { n: number; h: number; w: number; c: number } {
  const d = imageDims(image, what);
  if (d.c !== 1 && d.c !== 3) {
    throw new RangeError(`${what}: input image permitted channel values are [1, 3], but found ${d.c}.`);
  }
  return d;
}

/** `trunc(clamp(v, 0, bound))` for uint8 (torch's `.to(uint8)`), `clamp(v, 0, 1)` for float. */
function store(v: number, integer: boolean): number {
  const bound = integer ? 255 : 1;
  const clamped = v < 0 ? 0 : v > bound ? bound : v;
  return integer ? Math.trunc(clamped) : clamped;
}

// torch computes in float32: every operation below is rounded with `f` so uint8 results truncate like torch's.
const f = Math.fround;
const LUMA = [f(0.2989), f(0.587), f(0.114)] as const;

function grayValue(r: number, g: number, b: number, integer: boolean): number {
  const l = f(f(f(LUMA[0] * r) + f(LUMA[1] * g)) + f(LUMA[2] * b));
  return integer ? Math.trunc(l) : l;
}

/** `ratio * image + (1 - ratio) * other(pixel index)`, clamped to the pixel range. */
function blend(image: ImageArray, ratio: number, other: (i: number) => number): ImageArray {
  const out = emptyLike(image, imageDims(image, 'blend'));
  const integer = isIntegerPixels(image.data);
  const r1 = f(ratio);
  const r2 = f(1 - ratio);
  for (let i = 0; i < out.data.length; i += 1) out.data[i] = store(f(f(r1 * (image.data[i] as number)) + f(r2 * other(i))), integer);
  return out;
}

/**
 * Converts RGB images to one channel (torchvision `F.rgb_to_grayscale`, ITU-R 601-2 luma).
 *
 * @param image - `[H, W, 3]` or `[N, H, W, 3]`.
 * @returns `[H, W, 1]` (or `[N, H, W, 1]`), same pixel type.
 * @throws RangeError unless the image has 1 or 3 channels.
 */
export function rgbToGrayscale(image: ImageArray): ImageArray {
  const d = checkChannels(image, 'rgbToGrayscale');
  if (d.c === 1) return image;
  const out = emptyLike(image, { ...d, c: 1 });
  const s = image.data;
  const integer = isIntegerPixels(s);
  for (let p = 0; p < out.data.length; p += 1) {
    out.data[p] = grayValue(s[3 * p] as number, s[3 * p + 1] as number, s[3 * p + 2] as number, integer);
  }
  return out;
}

/**
 * Scales brightness: 0 gives black, 1 the original image (torchvision `F.adjust_brightness`).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]` with C = 1 or 3.
 * @param factor - a non-negative factor.
 * @returns the adjusted image.
 * @throws RangeError for a negative factor.
 */
export function adjustBrightness(image: ImageArray, factor: number): ImageArray {
  if (!(factor >= 0)) throw new RangeError(`brightness_factor (${factor}) is not non-negative.`);
  checkChannels(image, 'adjustBrightness');
  return blend(image, factor, () => 0);
}

/**
 * Blends each image with the mean of its grayscale version: 0 gives a solid gray image (torchvision
 * `F.adjust_contrast`).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]` with C = 1 or 3.
 * @param factor - a non-negative factor.
 * @returns the adjusted image.
 * @throws RangeError for a negative factor.
 */
export function adjustContrast(image: ImageArray, factor: number): ImageArray {
  if (!(factor >= 0)) throw new RangeError(`contrast_factor (${factor}) is not non-negative.`);
  const d = checkChannels(image, 'adjustContrast');
  const gray = rgbToGrayscale(image).data;
  const per = d.h * d.w;
  const means = new Float64Array(d.n);
  for (let n = 0; n < d.n; n += 1) {
    let sum = 0;
    for (let p = n * per; p < (n + 1) * per; p += 1) sum += gray[p] as number;
    means[n] = f(sum / per);
  }
  const perImage = per * d.c;
  return blend(image, factor, (i) => means[Math.floor(i / perImage)] as number);
}

/**
 * Blends each image with its grayscale version: 0 gives grayscale, 1 the original (torchvision
 * `F.adjust_saturation`); one-channel images are returned unchanged.
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]` with C = 1 or 3.
 * @param factor - a non-negative factor.
 * @returns the adjusted image.
 * @throws RangeError for a negative factor.
 */
export function adjustSaturation(image: ImageArray, factor: number): ImageArray {
  if (!(factor >= 0)) throw new RangeError(`saturation_factor (${factor}) is not non-negative.`);
  const d = checkChannels(image, 'adjustSaturation');
  if (d.c === 1) return image;
  const gray = rgbToGrayscale(image).data;
  return blend(image, factor, (i) => gray[Math.floor(i / 3)] as number);
}

function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const maxc = Math.max(r, g, b);
  const minc = Math.min(r, g, b);
  const eqc = maxc === minc;
  const cr = f(maxc - minc);
  const s = f(cr / (eqc ? 1 : maxc));
  const div = eqc ? 1 : cr;
  const rc = f(f(maxc - r) / div);
  const gc = f(f(maxc - g) / div);
  const bc = f(f(maxc - b) / div);
  let h: number;
  if (maxc === r) h = f(bc - gc);
  else if (maxc === g) h = f(f(2 + rc) - bc);
  else h = f(f(4 + gc) - rc);
  return [f(f(h / 6) + 1) % 1, s, maxc];
}

function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const h6 = f(h * 6);
  const i6 = Math.floor(h6);
  const fr = f(h6 - i6);
  const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
  const p = clamp01(f(v * f(1 - s)));
  const q = clamp01(f(v * f(1 - f(s * fr))));
  const t = clamp01(f(v * f(1 - f(s * f(1 - fr)))));
  const table: [number, number, number][] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]];
  return table[((i6 % 6) + 6) % 6] as [number, number, number];
}

/**
 * Shifts the hue by `factor` turns (torchvision `F.adjust_hue`); one-channel images are returned unchanged.
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]` with C = 1 or 3.
 * @param factor - a shift in [-0.5, 0.5].
 * @returns the adjusted image.
 * @throws RangeError for a factor outside [-0.5, 0.5].
 */
export function adjustHue(image: ImageArray, factor: number): ImageArray {
  if (!(factor >= -0.5 && factor <= 0.5)) throw new RangeError(`hue_factor (${factor}) is not in [-0.5, 0.5].`);
  const d = checkChannels(image, 'adjustHue');
  if (d.c === 1) return image;
  const out = emptyLike(image, d);
  const integer = isIntegerPixels(image.data);
  const scale = integer ? 255 : 1;
  const shift = f(factor);
  for (let p = 0; p < out.data.length; p += 3) {
    const px = (k: number): number => f((image.data[p + k] as number) / scale);
    const [h, s, v] = rgbToHsv(px(0), px(1), px(2));
    const hs = f(h + shift);
    const rgb = hsvToRgb(f(hs - Math.floor(hs)), s, v);
    for (let c = 0; c < 3; c += 1) out.data[p + c] = integer ? Math.trunc(f((rgb[c] as number) * 255)) : (rgb[c] as number);
  }
  return out;
}

/** A factor range, or null when the adjustment is disabled. */
type FactorRange = readonly [number, number] | null;

function checkJitter(value: number | readonly [number, number], name: string, center: number, bound: readonly [number, number]): FactorRange {
  let range: [number, number];
  if (typeof value === 'number') {
    if (value < 0) throw new RangeError(`If ${name} is a single number, it must be non negative, but given ${value}.`);
    range = [center - value, center + value];
    if (center === 1) range[0] = Math.max(range[0], 0);
  } else if (value.length === 2) {
    range = [value[0], value[1]];
  } else {
    throw new TypeError(`${name} should be a single number or a list/tuple with length 2, but given ${JSON.stringify(value)}.`);
  }
  if (!(bound[0] <= range[0] && range[0] <= range[1] && range[1] <= bound[1])) {
    throw new RangeError(`${name} values should be between [${bound.join(', ')}] with min <= max, but given [${range.join(', ')}].`);
  }
  return range[0] === center && range[1] === center ? null : range;
}

/** Options of {@link ColorJitter}: each a number `x` (meaning `[max(0, 1 - x), 1 + x]`, hue `[-x, x]`) or `[min, max]`. */
export interface ColorJitterOptions {
  /** Brightness factor range (default 0: off). */
  brightness?: number | readonly [number, number];
  /** Contrast factor range (default 0: off). */
  contrast?: number | readonly [number, number];
  /** Saturation factor range (default 0: off). */
  saturation?: number | readonly [number, number];
  /** Hue shift range, within [-0.5, 0.5] (default 0: off). */
  hue?: number | readonly [number, number];
}

/** Randomly changes brightness, contrast, saturation and hue, in a random order (torchvision `ColorJitter`). */
export class ColorJitter implements Transform {
  /** The factor ranges (null = off). */
  readonly brightness: FactorRange;
  /** Contrast factor range (null = off). */
  readonly contrast: FactorRange;
  /** Saturation factor range (null = off). */
  readonly saturation: FactorRange;
  /** Hue shift range (null = off). */
  readonly hue: FactorRange;

  /**
   * @param options - brightness, contrast, saturation, hue.
   * @throws RangeError for negative single numbers or ranges out of bounds (hue within [-0.5, 0.5]).
   */
  constructor(options: ColorJitterOptions = {}) {
    this.brightness = checkJitter(options.brightness ?? 0, 'brightness', 1, [0, Infinity]);
    this.contrast = checkJitter(options.contrast ?? 0, 'contrast', 1, [0, Infinity]);
    this.saturation = checkJitter(options.saturation ?? 0, 'saturation', 1, [0, Infinity]);
    this.hue = checkJitter(options.hue ?? 0, 'hue', 0, [-0.5, 0.5]);
  }

  /**
   * Draws the order and the factors (torchvision `ColorJitter.get_params`): a permutation of 0..3 (brightness,
   * contrast, saturation, hue), then one uniform factor per enabled adjustment, in that order.
   *
   * @param rng - the generator.
   * @returns the order and the factors (null when disabled).
   */
  getParams(rng: RandomGenerator): { order: number[]; factors: (number | null)[] } {
    const order = rng.permutation(4);
    const factors = [this.brightness, this.contrast, this.saturation, this.hue].map((r) => (r === null ? null : uniform(rng, r[0], r[1])));
    return { order, factors };
  }

  /**
   * Applies the enabled adjustments in a random order.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]` with C = 1 or 3.
   * @param rng - the generator (default: the global generator).
   * @returns the adjusted image.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    const { order, factors } = this.getParams(rng);
    const fns = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    let out = image;
    for (const k of order) {
      const factor = factors[k];
      if (factor !== null && factor !== undefined) out = (fns[k] as (img: ImageArray, x: number) => ImageArray)(out, factor);
    }
    return out;
  }
}
