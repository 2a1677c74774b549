/**
 * @module Port of torchvision/transforms `Compose`, `Lambda`, `ToTensor` and `Normalize`.
 * Deviations: every transform receives the generator (`apply(input, rng)`), so a composed pipeline is reproducible
 * from one generator; `ToTensor` converts uint8 HWC to float32 [0, 1] but keeps HWC (kindling and TensorFlow.js are
 * channels-last; torchvision transposes to CHW) and returns an NdArray (a tensor is made by the collate, per batch).
 */
import { NdArray } from '../data/nd-array.js';
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import { applyTransform, imageDims, type ImageArray, type Transform, type TransformLike } from './image.js';

/** Chains transforms; each receives the previous output and the same generator (torchvision `Compose`). */
export class Compose<TIn = ImageArray, TOut = ImageArray> implements Transform<TIn, TOut> {
  /** The transforms, in order. */
  readonly transforms: readonly TransformLike<unknown, unknown>[];

  /**
   * @param transforms - transforms or functions, applied in order.
   * @throws TypeError if an entry is neither a function nor an object with `apply`.
   */
  constructor(transforms: readonly TransformLike<never, unknown>[]) {
    transforms.forEach((t, k) => {
      if (typeof t !== 'function' && !(typeof t === 'object' && t !== null && typeof t.apply === 'function')) {
        throw new TypeError(`Compose: transform ${k} should be a function or an object with apply(input, rng), but given ${typeof t}.`);
      }
    });
    this.transforms = transforms;
  }

  /**
   * Applies every transform in order.
   *
   * @param input - the input of the first transform.
   * @param rng - the generator every transform draws from (default: the global generator).
   * @returns the output of the last transform.
   */
  apply(input: TIn, rng: RandomGenerator = globalGenerator): TOut {
    let value: unknown = input;
    for (const t of this.transforms) value = applyTransform(t, value, rng);
    return value as TOut;
  }
}

/** Wraps a function as a transform (torchvision `Lambda`); the function also receives the generator. */
export class Lambda<TIn = ImageArray, TOut = ImageArray> implements Transform<TIn, TOut> {
  /** The wrapped function. */
  readonly fn: (input: TIn, rng: RandomGenerator) => TOut;

  /**
   * @param fn - the function; draw any randomness from its second argument to stay reproducible.
   * @throws TypeError if `fn` is not a function.
   */
  constructor(fn: (input: TIn, rng: RandomGenerator) => TOut) {
    if (typeof fn !== 'function') throw new TypeError(`Argument lambd should be callable, got ${typeof fn}`);
    this.fn = fn;
  }

  /**
   * Calls the function.
   *
   * @param input - the input.
   * @param rng - the generator (default: the global generator).
   * @returns the function's result.
   */
  apply(input: TIn, rng: RandomGenerator = globalGenerator): TOut {
    return this.fn(input, rng);
  }
}

/**
 * Converts uint8 pixels to float32 in [0, 1] (float32 images pass through unchanged).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @returns a float32 image of the same shape.
 */
export function toFloat(image: ImageArray): NdArray<Float32Array> {
  imageDims(image, 'ToTensor');
  if (image.data instanceof Float32Array) return image as NdArray<Float32Array>;
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i += 1) out[i] = (image.data[i] as number) / 255;
  return new NdArray(out, image.shape);
}

/** Converts a uint8 image to float32 in [0, 1], keeping HWC (torchvision `ToTensor`, channels-last). */
export class ToTensor implements Transform<ImageArray, NdArray<Float32Array>> {
  /**
   * Converts the image.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`, uint8 or float32.
   * @returns float32 pixels (uint8 divided by 255).
   */
  apply(image: ImageArray): NdArray<Float32Array> {
    return toFloat(image);
  }
}

function perChannel(values: number | readonly number[], c: number, name: string): number[] {
  const list = typeof values === 'number' ? [values] : [...values];
  if (list.length === 1) return new Array<number>(c).fill(list[0] as number);
  if (list.length !== c) {
    throw new RangeError(`Normalize: ${name} should have 1 or ${c} (number of channels) values, but given ${list.length}.`);
  }
  return list;
}

/**
 * Normalizes each channel: `(x - mean[c]) / std[c]` (torchvision `F.normalize`).
 *
 * @param image - a float32 image `[H, W, C]` or `[N, H, W, C]`.
 * @param mean - one mean per channel (or one for all).
 * @param std - one standard deviation per channel (or one for all).
 * @returns the normalized float32 image.
 * @throws TypeError for uint8 input (apply ToTensor first); RangeError for a zero std or wrong lengths.
 */
export function normalize(image: ImageArray, mean: number | readonly number[], std: number | readonly number[]): NdArray<Float32Array> {
  const { c } = imageDims(image, 'Normalize');
  if (!(image.data instanceof Float32Array)) {
    throw new TypeError(`Input tensor should be a float tensor. Got ${image.data.constructor.name}. Apply ToTensor first.`);
  }
  const m = perChannel(mean, c, 'mean');
  const s = perChannel(std, c, 'std');
  if (s.some((v) => v === 0)) {
    throw new RangeError(`std evaluated to zero after conversion to float32, leading to division by zero (std = [${s.join(', ')}]).`);
  }
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i += 1) {
    const k = i % c;
    out[i] = ((image.data[i] as number) - (m[k] as number)) / (s[k] as number);
  }
  return new NdArray(out, image.shape);
}

/** Normalizes each channel with a mean and standard deviation (torchvision `Normalize`). */
export class Normalize implements Transform<ImageArray, NdArray<Float32Array>> {
  /** Per-channel means. */
  readonly mean: readonly number[];
  /** Per-channel standard deviations. */
  readonly std: readonly number[];

  /**
   * @param mean - one mean per channel (or one for all).
   * @param std - one standard deviation per channel (or one for all).
   * @throws RangeError if a std is zero or the lengths differ.
   */
  constructor(mean: number | readonly number[], std: number | readonly number[]) {
    this.mean = typeof mean === 'number' ? [mean] : [...mean];
    this.std = typeof std === 'number' ? [std] : [...std];
    if (this.std.some((v) => v === 0)) throw new RangeError('std evaluated to zero, leading to division by zero. Pass non-zero std values.');
  }

  /**
   * Normalizes the image.
   *
   * @param image - a float32 image.
   * @returns the normalized image.
   * @throws TypeError for uint8 input (apply ToTensor first).
   */
  apply(image: ImageArray): NdArray<Float32Array> {
    return normalize(image, this.mean, this.std);
  }
}
