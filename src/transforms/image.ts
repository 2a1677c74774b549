/**
 * @module Port of the shared helpers of torchvision/transforms/functional.py and _functional_tensor.py: the image
 * type, shape checks, padding and random-parameter helpers used by every transform.
 * Deviations: images are row-major typed arrays in HWC (one image) or NHWC (a batch, one set of random parameters
 * for the whole batch, as torchvision does for batched tensors), never CHW; uint8 and float32 only.
 */
import { NdArray } from '../data/nd-array.js';
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';

/** The pixel arrays transforms accept: uint8 (0..255) or float32 (usually 0..1). */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array;

/** An image `[H, W, C]` or a batch of images `[N, H, W, C]`, row-major. */
export type ImageArray = NdArray<PixelArray>;

/** A transform object: `apply(input, rng)` draws its randomness (if any) from `rng`. */
export interface Transform<TIn = ImageArray, TOut = ImageArray> {
  /**
   * Transforms one input.
   *
   * @param input - the image (or any value for user transforms).
   * @param rng - the generator random transforms draw from; default kindling's global generator.
   * @returns the transformed value.
   */
  apply(input: TIn, rng?: RandomGenerator): TOut;
}

/** A transform object or a plain function `(input, rng) => output`. */
export type TransformLike<TIn = ImageArray, TOut = ImageArray> =
  | Transform<TIn, TOut>
  | ((input: TIn, rng: RandomGenerator) => TOut);

/** The dimensions of an image or batch: `n` images of `h` x `w` pixels with `c` channels. */
export interface ImageDims {
  /** Number of images (1 for an HWC image). */
  n: number;
  /** Height in pixels. */
  h: number;
  /** Width in pixels. */
  w: number;
  /** Channels. */
  c: number;
}

/**
 * Applies a {@link TransformLike} to an input.
 *
 * @param transform - a transform object or function.
 * @param input - the value to transform.
 * @param rng - the generator (default: kindling's global generator, so `manualSeed` reproduces the result).
 * @returns the transformed value.
 * @throws TypeError if `transform` is neither a function nor an object with `apply`.
 */
export function applyTransform<TIn, TOut>(
  transform: TransformLike<TIn, TOut>,
  input: TIn,
  rng: RandomGenerator = globalGenerator,
): TOut {
  if (typeof transform === 'function') return transform(input, rng);
  if (typeof transform === 'object' && transform !== null && typeof transform.apply === 'function') {
    return transform.apply(input, rng);
  }
  throw new TypeError(`A transform should be a function or an object with apply(input, rng), but given ${typeof transform}.`);
}

/**
 * Reads and checks the dimensions of an image (`[H, W, C]`) or a batch (`[N, H, W, C]`).
 *
 * @param image - the image.
 * @param what - the transform name, for error messages.
 * @returns its dimensions.
 * @throws TypeError if it is not an NdArray over a Uint8Array, Uint8ClampedArray or Float32Array, or has the wrong rank.
 */
export function imageDims(image: ImageArray, what: string): ImageDims {
  if (!(image instanceof NdArray)) {
    throw new TypeError(`${what} expects an image as an NdArray of shape [H, W, C] or [N, H, W, C], but given ${typeof image}.`);
  }
  const { shape } = image;
  const data: unknown = image.data;
  if (!(data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Float32Array)) {
    const kind = (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof data;
    throw new TypeError(`${what} expects uint8 or float32 pixels, but given a ${kind}. Convert the image first.`);
  }
  if (shape.length === 3) return { n: 1, h: shape[0] as number, w: shape[1] as number, c: shape[2] as number };
  if (shape.length === 4) {
    return { n: shape[0] as number, h: shape[1] as number, w: shape[2] as number, c: shape[3] as number };
  }
  throw new TypeError(
    `${what} expects an image of shape [H, W, C] or a batch [N, H, W, C], but given shape [${shape.join(', ')}]. ` +
      'Add a channel dimension to grayscale images.',
  );
}

/**
 * Tells whether pixels are integers (uint8), which transforms round and clamp to 0..255.
 *
 * @param data - the pixels.
 * @returns true for Uint8Array and Uint8ClampedArray.
 */
export function isIntegerPixels(data: PixelArray): boolean {
  return !(data instanceof Float32Array);
}

/**
 * Allocates an image with the pixel type of `like` and the given dimensions (rank kept: HWC stays HWC).
 *
 * @param like - the image whose pixel type and rank to copy.
 * @param dims - the new dimensions.
 * @returns a zero-filled image.
 */
export function emptyLike(like: ImageArray, dims: ImageDims): ImageArray {
  const size = dims.n * dims.h * dims.w * dims.c;
  const Ctor = like.data.constructor as new (n: number) => PixelArray;
  const shape = like.shape.length === 4 ? [dims.n, dims.h, dims.w, dims.c] : [dims.h, dims.w, dims.c];
  return new NdArray(new Ctor(size), shape);
}

/**
 * Converts a computed value to the pixel type: uint8 rounds half to even (torch.round) and clamps to 0..255.
 *
 * @param v - the value.
 * @param integer - whether the pixels are uint8.
 * @returns the stored value.
 */
export function toPixel(v: number, integer: boolean): number {
  if (!integer) return v;
  const r = roundHalfEven(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

/**
 * Python's `round()`: rounds half to even.
 *
 * @param x - a number.
 * @returns the nearest integer, ties to even.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Draws uniformly from [a, b) (torch's `uniform_`).
 *
 * @param rng - the generator.
 * @param a - the lower bound.
 * @param b - the upper bound.
 * @returns a number in [a, b).
 */
export function uniform(rng: RandomGenerator, a: number, b: number): number {
  return a + (b - a) * rng.random();
}

/**
 * Checks that a probability is in [0, 1].
 *
 * @param p - the value.
 * @param what - the transform name.
 * @returns `p`.
 * @throws RangeError otherwise.
 */
export function checkProbability(p: number, what: string): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new RangeError(`${what}: p should be a probability in [0, 1], but given ${String(p)}.`);
  }
  return p;
}

/**
 * Normalises a size argument: a number `s` is `[s, s]`, a one-element array `[s]` is `[s, s]`, `[h, w]` stays.
 *
 * @param size - the size.
 * @param what - the transform name.
 * @returns `[height, width]`.
 * @throws RangeError for non-positive or non-integer sizes or a wrong length.
 */
export function setupSize(size: number | readonly number[], what: string): [number, number] {
  const pair = typeof size === 'number' ? [size, size] : size.length === 1 ? [size[0], size[0]] : [...size];
  if (pair.length !== 2 || !pair.every((s) => Number.isSafeInteger(s) && (s as number) > 0)) {
    throw new RangeError(
      `${what}: please provide only two dimensions (h, w) for size as positive integers, but given ${JSON.stringify(size)}.`,
    );
  }
  return pair as [number, number];
}

/**
 * Copies a rectangle of every image of a batch: rows `[top, top + h)`, columns `[left, left + w)`, which must lie
 * inside the image.
 *
 * @param image - the source.
 * @param top - first row.
 * @param left - first column.
 * @param h - height of the rectangle.
 * @param w - width of the rectangle.
 * @returns the cropped image.
 */
export function cropInside(image: ImageArray, top: number, left: number, h: number, w: number): ImageArray {
  const d = imageDims(image, 'crop');
  const out = emptyLike(image, { ...d, h, w });
  const row = w * d.c;
  for (let b = 0; b < d.n; b += 1) {
    for (let y = 0; y < h; y += 1) {
      const src = ((b * d.h + top + y) * d.w + left) * d.c;
      out.data.set(image.data.subarray(src, src + row), (b * h + y) * row);
    }
  }
  return out;
}

/**
 * Checks a `[min, max]` range of positive numbers (RandomResizedCrop's and RandomErasing's scale and ratio).
 *
 * @param range - the range.
 * @param what - the transform name.
 * @param name - the option name.
 * @returns the range.
 * @throws RangeError if it is not two positive numbers with `min <= max`.
 */
export function checkRatio(range: readonly number[], what: string, name: string): readonly [number, number] {
  const [lo, hi] = range;
  if (range.length !== 2 || lo === undefined || hi === undefined || !(lo >= 0 && hi >= lo) || (name === 'ratio' && lo <= 0)) {
    throw new RangeError(`${what}: ${name} should be a [min, max] range of ${name === 'ratio' ? 'positive' : 'non-negative'} numbers with min <= max, but given ${JSON.stringify(range)}.`);
  }
  return [lo, hi];
}
