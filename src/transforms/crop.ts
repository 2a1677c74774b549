/**
 * @module Port of torchvision/transforms `CenterCrop`, `RandomCrop`, `RandomResizedCrop` and functional `pad`/`crop`
 * (tensor semantics). Deviations: HWC/NHWC typed arrays; randomness from a kindling {@link RandomGenerator}
 * (`rng.randint`, `rng.random`) instead of torch's global generator, so the drawn crops differ from PyTorch's for
 * the same seed while the sampling rules (10 attempts, center fallback, Python's round-half-even) are the same.
 */
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import {
  checkRatio,
  cropInside,
  emptyLike,
  imageDims,
  roundHalfEven,
  setupSize,
  uniform,
  type ImageArray,
  type Transform,
} from './image.js';
import { resize, type ResizeOptions } from './resize.js';

/** How {@link pad} fills the border: a constant, the edge pixel, a reflection without or with the edge repeated. */
export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';

/** A padding: all sides, `[leftRight, topBottom]` or `[left, top, right, bottom]` (torchvision's order). */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

function paddingLtrb(padding: Padding): [number, number, number, number] {
  let p: number[];
  if (typeof padding === 'number') p = [padding, padding, padding, padding];
  else if (padding.length === 2) p = [padding[0], padding[1], padding[0], padding[1]];
  else p = [...(padding as readonly number[])];
  if (p.length !== 4 || !p.every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new RangeError(
      `Padding must be a non-negative integer or a 2 or 4 element tuple of them, but given ${JSON.stringify(padding)}.`,
    );
  }
  return p as [number, number, number, number];
}

/** Maps an out-of-range coordinate to a source coordinate, or -1 for the constant fill. */
function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : n - 1;
    case 'reflect':
      return i < 0 ? -i : 2 * (n - 1) - i;
    case 'symmetric':
      return i < 0 ? -i - 1 : 2 * n - 1 - i;
  }
}

function checkPadMode(mode: PaddingMode, ltrb: readonly number[], h: number, w: number): void {
  if (!['constant', 'edge', 'reflect', 'symmetric'].includes(mode)) {
    throw new RangeError(`Padding mode should be either constant, edge, reflect or symmetric, but given ${String(mode)}.`);
  }
  const [l, t, r, b] = ltrb as [number, number, number, number];
  const limitW = mode === 'reflect' ? w - 1 : mode === 'symmetric' ? w : Infinity;
  const limitH = mode === 'reflect' ? h - 1 : mode === 'symmetric' ? h : Infinity;
  if (Math.max(l, r) > limitW || Math.max(t, b) > limitH) {
    throw new RangeError(
      `Padding [${ltrb.join(', ')}] is too large for ${mode} padding of a ${h}x${w} image: each side must be at most ` +
        `${mode === 'reflect' ? 'size - 1' : 'the size'}. Use a smaller padding or padding mode 'edge'/'constant'.`,
    );
  }
}

function fillFor(fill: number | readonly number[], c: number): number[] {
  const values = typeof fill === 'number' ? new Array<number>(c).fill(fill) : [...fill];
  if (values.length === 1) return new Array<number>(c).fill(values[0] as number);
  if (values.length !== c) {
    throw new RangeError(`The number of elements in 'fill' does not match the number of channels of the image (${values.length} != ${c}).`);
  }
  return values;
}

/**
 * Pads every image of a batch (torchvision `F.pad`).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @param padding - a number, `[leftRight, topBottom]` or `[left, top, right, bottom]`.
 * @param fill - the constant for mode `'constant'`: a number or one value per channel (default 0).
 * @param mode - `'constant'` (default), `'edge'`, `'reflect'` or `'symmetric'`.
 * @returns the padded image.
 * @throws RangeError for negative padding, an unknown mode, a reflect padding not smaller than the image, or a fill
 * with the wrong number of channels.
 */
export function pad(image: ImageArray, padding: Padding, fill: number | readonly number[] = 0, mode: PaddingMode = 'constant'): ImageArray {
  const d = imageDims(image, 'pad');
  const ltrb = paddingLtrb(padding);
  checkPadMode(mode, ltrb, d.h, d.w);
  const [l, t, r, b] = ltrb;
  const fills = fillFor(fill, d.c);
  const oh = d.h + t + b;
  const ow = d.w + l + r;
  const out = emptyLike(image, { ...d, h: oh, w: ow });
  const cols = Int32Array.from({ length: ow }, (_, x) => sourceIndex(x - l, d.w, mode));
  let o = 0;
  for (let n = 0; n < d.n; n += 1) {
    for (let y = 0; y < oh; y += 1) {
      const sy = sourceIndex(y - t, d.h, mode);
      for (let x = 0; x < ow; x += 1) {
        const sx = cols[x] as number;
        const base = ((n * d.h + sy) * d.w + sx) * d.c;
        for (let ch = 0; ch < d.c; ch += 1, o += 1) {
          out.data[o] = sy < 0 || sx < 0 ? (fills[ch] as number) : (image.data[base + ch] as number);
        }
      }
    }
  }
  return out;
}

/**
 * Crops `[top, top + height) x [left, left + width)`; parts outside the image are zero (torchvision `F.crop`).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @param top - first row (may be negative).
 * @param left - first column (may be negative).
 * @param height - output height.
 * @param width - output width.
 * @returns the crop.
 */
export function crop(image: ImageArray, top: number, left: number, height: number, width: number): ImageArray {
  const d = imageDims(image, 'crop');
  if (top >= 0 && left >= 0 && top + height <= d.h && left + width <= d.w) return cropInside(image, top, left, height, width);
  const padLtrb: [number, number, number, number] = [
    Math.max(-left, 0), Math.max(-top, 0), Math.max(left + width - d.w, 0), Math.max(top + height - d.h, 0),
  ];
  const padded = pad(image, padLtrb, 0, 'constant');
  return cropInside(padded, Math.max(top, 0), Math.max(left, 0), height, width);
}

/**
 * Crops the center (torchvision `F.center_crop`): a crop larger than the image is padded with zeros.
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @param size - `[height, width]`.
 * @returns the crop.
 */
export function centerCrop(image: ImageArray, size: readonly [number, number]): ImageArray {
  const { h, w } = imageDims(image, 'CenterCrop');
  const [ch, cw] = size;
  if (ch > h || cw > w) {
    const ltrb: [number, number, number, number] = [
      cw > w ? Math.floor((cw - w) / 2) : 0, ch > h ? Math.floor((ch - h) / 2) : 0,
      cw > w ? Math.floor((cw - w + 1) / 2) : 0, ch > h ? Math.floor((ch - h + 1) / 2) : 0,
    ];
    const padded = pad(image, ltrb, 0);
    if (padded.shape.at(-3) === ch && padded.shape.at(-2) === cw) return padded;
    return centerCrop(padded, size);
  }
  return cropInside(image, roundHalfEven((h - ch) / 2), roundHalfEven((w - cw) / 2), ch, cw);
}

/** Crops the center of the image to `size` (torchvision `CenterCrop`). */
export class CenterCrop implements Transform {
  /** `[height, width]` of the crop. */
  readonly size: [number, number];

  /**
   * @param size - an integer for a square crop, or `[height, width]`.
   * @throws RangeError for a non-positive size.
   */
  constructor(size: number | readonly number[]) {
    this.size = setupSize(size, 'CenterCrop');
  }

  /**
   * Crops the image (padding it with zeros where the crop is larger).
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @returns the crop.
   */
  apply(image: ImageArray): ImageArray {
    return centerCrop(image, this.size);
  }
}

/** Options of {@link RandomCrop}. */
export interface RandomCropOptions {
  /** Padding applied first: a number, `[leftRight, topBottom]` or `[left, top, right, bottom]`. */
  padding?: Padding;
  /** Pad the image if it is smaller than the crop (default false). */
  padIfNeeded?: boolean;
  /** The constant fill for `paddingMode: 'constant'`: a number or one value per channel (default 0). */
  fill?: number | readonly number[];
  /** `'constant'` (default), `'edge'`, `'reflect'` or `'symmetric'`. */
  paddingMode?: PaddingMode;
}

/** Crops a random `size` window, after optional padding (torchvision `RandomCrop`). */
export class RandomCrop implements Transform {
  /** `[height, width]` of the crop. */
  readonly size: [number, number];
  readonly #o: RandomCropOptions;

  /**
   * @param size - an integer for a square crop, or `[height, width]`.
   * @param options - padding, padIfNeeded, fill and paddingMode.
   * @throws RangeError for a non-positive size or a bad padding.
   */
  constructor(size: number | readonly number[], options: RandomCropOptions = {}) {
    this.size = setupSize(size, 'RandomCrop');
    if (options.padding !== undefined) paddingLtrb(options.padding);
    this.#o = options;
  }

  /**
   * Draws the crop's top-left corner (torchvision `RandomCrop.get_params`).
   *
   * @param h - image height.
   * @param w - image width.
   * @param size - `[height, width]` of the crop.
   * @param rng - the generator.
   * @returns `[top, left]`.
   * @throws RangeError if the crop is larger than the image.
   */
  static getParams(h: number, w: number, size: readonly [number, number], rng: RandomGenerator): [number, number] {
    const [th, tw] = size;
    if (h < th || w < tw) {
      throw new RangeError(`Required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w}). Pad the image (padding / padIfNeeded) or crop smaller.`);
    }
    if (w === tw && h === th) return [0, 0];
    return [rng.randint(0, h - th + 1), rng.randint(0, w - tw + 1)];
  }

  /**
   * Pads (if asked) and crops a random window.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the crop.
   * @throws RangeError if the (padded) image is smaller than the crop.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    const { fill = 0, paddingMode = 'constant' } = this.#o;
    let img = this.#o.padding !== undefined ? pad(image, this.#o.padding, fill, paddingMode) : image;
    const [th, tw] = this.size;
    let { h, w } = imageDims(img, 'RandomCrop');
    if (this.#o.padIfNeeded === true && (w < tw || h < th)) {
      const pw = Math.max(tw - w, 0);
      const ph = Math.max(th - h, 0);
      img = pad(img, [pw, ph, pw, ph], fill, paddingMode);
      ({ h, w } = imageDims(img, 'RandomCrop'));
    }
    const [top, left] = RandomCrop.getParams(h, w, this.size, rng);
    return cropInside(img, top, left, th, tw);
  }
}

/** Options of {@link RandomResizedCrop}. */
export interface RandomResizedCropOptions extends ResizeOptions {
  /** Range of the crop's area as a fraction of the image's (default `[0.08, 1]`). */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height, sampled log-uniformly (default `[3/4, 4/3]`). */
  ratio?: readonly [number, number];
}

/** Crops a random area and aspect ratio, then resizes to `size` (torchvision `RandomResizedCrop`). */
export class RandomResizedCrop implements Transform {
  /** `[height, width]` of the output. */
  readonly size: [number, number];
  /** Area range. */
  readonly scale: readonly [number, number];
  /** Aspect-ratio range. */
  readonly ratio: readonly [number, number];
  readonly #resize: ResizeOptions;

  /**
   * @param size - an integer for a square output, or `[height, width]`.
   * @param options - scale, ratio, and the resize options (interpolation, antialias).
   * @throws RangeError for a bad size, or a scale/ratio range that is not `[min, max]` with positive values.
   */
  constructor(size: number | readonly number[], options: RandomResizedCropOptions = {}) {
    this.size = setupSize(size, 'RandomResizedCrop');
    this.scale = checkRatio(options.scale ?? [0.08, 1], 'RandomResizedCrop', 'scale');
    this.ratio = checkRatio(options.ratio ?? [3 / 4, 4 / 3], 'RandomResizedCrop', 'ratio');
    const { scale: _s, ratio: _r, ...resizeOptions } = options;
    this.#resize = resizeOptions;
  }

  /**
   * Draws the crop (torchvision `RandomResizedCrop.get_params`): 10 attempts, then a center crop of the closest
   * allowed aspect ratio.
   *
   * @param h - image height.
   * @param w - image width.
   * @param scale - area range.
   * @param ratio - aspect-ratio range.
   * @param rng - the generator.
   * @returns `[top, left, height, width]`.
   */
  static getParams(h: number, w: number, scale: readonly [number, number], ratio: readonly [number, number], rng: RandomGenerator): [number, number, number, number] {
    const area = h * w;
    const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const targetArea = area * uniform(rng, scale[0], scale[1]);
      const aspect = Math.exp(uniform(rng, logRatio[0], logRatio[1]));
      const cw = roundHalfEven(Math.sqrt(targetArea * aspect));
      const ch = roundHalfEven(Math.sqrt(targetArea / aspect));
      if (cw > 0 && cw <= w && ch > 0 && ch <= h) return [rng.randint(0, h - ch + 1), rng.randint(0, w - cw + 1), ch, cw];
    }
    const inRatio = w / h;
    let cw = w;
    let ch = h;
    if (inRatio < Math.min(...ratio)) ch = roundHalfEven(cw / Math.min(...ratio));
    else if (inRatio > Math.max(...ratio)) cw = roundHalfEven(ch * Math.max(...ratio));
    return [Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw];
  }

  /**
   * Crops a random region and resizes it to `size`.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the image of size `size`.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    const { h, w } = imageDims(image, 'RandomResizedCrop');
    const [top, left, ch, cw] = RandomResizedCrop.getParams(h, w, this.scale, this.ratio, rng);
    return resize(cropInside(image, top, left, ch, cw), this.size, this.#resize);
  }
}
