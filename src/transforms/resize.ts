/**
 * @module Port of torchvision/transforms `Resize` and functional `resize` (tensor semantics: torch's
 * `interpolate(mode='bilinear' | 'bicubic', align_corners=False, antialias=True)` and `mode='nearest'`).
 * Deviations: HWC/NHWC typed arrays; computed in float64 and rounded once (uint8: half to even, clamped), where torch
 * computes in float32 (and uint8 antialiased resizes in fixed point), so values can differ by one uint8 step or a
 * float32 rounding; no lanczos/box/hamming (torchvision's tensor path has none either).
 */
import {
  emptyLike,
  imageDims,
  isIntegerPixels,
  setupSize,
  toPixel,
  type ImageArray,
  type ImageDims,
  type Transform,
} from './image.js';

/** The interpolations of {@link Resize}. */
export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'bicubic', 'nearest'];

/** Options of {@link resize} and {@link Resize}. */
export interface ResizeOptions {
  /**
   * `'bilinear'` (default), `'bicubic'` or `'nearest'`. Bicubic float images can overshoot `[0, 1]` (as torch's);
   * uint8 images are clamped to `[0, 255]`.
   */
  interpolation?: Interpolation;
  /**
   * Low-pass filter when downsampling with bilinear or bicubic interpolation, like PIL (default true, torchvision's
   * default). Without it, bicubic is torch's `upsample_bicubic2d` (Keys' cubic with a = -0.75, edge pixels repeated).
   */
  antialias?: boolean;
  /** With an integer size: the longer side is capped at `maxSize` (the shorter side shrinks accordingly). */
  maxSize?: number;
}

/** Source taps and weights of each output coordinate along one axis. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  weights: Float64Array;
  taps: number;
}

function bilinearFilter(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

/** Keys' cubic convolution kernel with parameter `a` (torch: -0.5 with antialias, as PIL; -0.75 without). */
function cubicFilter(x: number, a: number): number {
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

const cubicAntialiasFilter = (x: number): number => cubicFilter(x, -0.5);

/**
 * torch's bicubic without antialias: four taps around `scale * (i + 0.5) - 0.5`, indices clamped to the image (the
 * clamped taps' weights are added onto the edge pixel, so each output keeps one contiguous window).
 */
function bicubicTaps(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const taps = 4;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i += 1) {
    const real = scale * (i + 0.5) - 0.5;
    const base = Math.floor(real);
    const t = real - base;
    const lo = Math.min(Math.max(base - 1, 0), inSize - 1);
    const hi = Math.min(Math.max(base + 2, 0), inSize - 1);
    start[i] = lo;
    count[i] = hi - lo + 1;
    for (let k = 0; k < 4; k += 1) {
      const src = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      const o = i * taps + src - lo;
      weights[o] = (weights[o] as number) + cubicFilter(k - 1 - t, -0.75);
    }
  }
  return { start, count, weights, taps };
}

function axisWeights(inSize: number, outSize: number, interpolation: Interpolation, antialias: boolean): AxisWeights {
  if (interpolation === 'bicubic' && !antialias) return bicubicTaps(inSize, outSize);
  const scale = inSize / outSize;
  // torch's antialiased kernels: the filter's support (1 bilinear, 2 bicubic) is stretched by the scale when downsampling.
  const halfWidth = interpolation === 'bicubic' ? 2 : 1;
  const stretch = interpolation !== 'nearest' && antialias && scale >= 1;
  const support = stretch ? halfWidth * scale : halfWidth;
  const filter = interpolation === 'bicubic' ? cubicAntialiasFilter : bilinearFilter;
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i += 1) {
    if (interpolation === 'nearest') {
      start[i] = Math.min(Math.floor(i * scale), inSize - 1);
      count[i] = 1;
      weights[i * taps] = 1;
      continue;
    }
    const center = scale * (i + 0.5);
    const invScale = stretch ? 1 / scale : 1;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    for (let j = 0; j < hi - lo; j += 1) {
      const wgt = filter((j + lo - center + 0.5) * invScale);
      weights[i * taps + j] = wgt;
      total += wgt;
    }
    for (let j = 0; j < hi - lo; j += 1) weights[i * taps + j] = (weights[i * taps + j] as number) / (total || 1);
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, weights, taps };
}

/**
 * Computes torchvision's output size: `[h, w]` as given, or an integer `size` matched by the shorter side (the
 * longer side is `trunc(size * long / short)`, capped by `maxSize`).
 *
 * @param h - input height.
 * @param w - input width.
 * @param size - an integer (shorter side), `[s]` (same), or `[height, width]`.
 * @param maxSize - optional cap of the longer side (integer sizes only).
 * @returns `[height, width]`.
 * @throws RangeError for a bad size, or `maxSize` not larger than the requested shorter side.
 */
export function resizedSize(h: number, w: number, size: number | readonly number[], maxSize?: number): [number, number] {
  if (typeof size !== 'number' && size.length === 2) {
    if (maxSize !== undefined) {
      throw new RangeError(`maxSize should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1, but given ${JSON.stringify(size)}.`);
    }
    return setupSize(size, 'Resize');
  }
  const requested = setupSize(size, 'Resize')[0];
  const [short, long] = w <= h ? [w, h] : [h, w];
  let newShort = requested;
  let newLong = Math.trunc((requested * long) / short);
  if (maxSize !== undefined) {
    if (maxSize <= requested) {
      throw new RangeError(`maxSize = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${requested}.`);
    }
    if (newLong > maxSize) [newShort, newLong] = [Math.trunc((maxSize * newShort) / newLong), maxSize];
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

/** One separable pass along rows (`alongWidth`) or columns, from `src` (dims `d`) into a float64 buffer. */
function pass(src: ArrayLike<number>, d: ImageDims, ax: AxisWeights, alongWidth: boolean): Float64Array {
  const outW = alongWidth ? ax.start.length : d.w;
  const outH = alongWidth ? d.h : ax.start.length;
  const out = new Float64Array(d.n * outH * outW * d.c);
  const stride = alongWidth ? d.c : d.w * d.c;
  let o = 0;
  for (let n = 0; n < d.n; n += 1) {
    for (let y = 0; y < outH; y += 1) {
      for (let x = 0; x < outW; x += 1) {
        const i = alongWidth ? x : y;
        const s0 = ax.start[i] as number;
        const k = ax.count[i] as number;
        const base = alongWidth ? ((n * d.h + y) * d.w + s0) * d.c : ((n * d.h + s0) * d.w + x) * d.c;
        for (let c = 0; c < d.c; c += 1, o += 1) {
          let acc = 0;
          for (let j = 0; j < k; j += 1) acc += (ax.weights[i * ax.taps + j] as number) * (src[base + j * stride + c] as number);
          out[o] = acc;
        }
      }
    }
  }
  return out;
}

/**
 * Resizes every image of a batch to `size` (torchvision `F.resize` on tensors).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`, uint8 or float32.
 * @param size - an integer (the shorter side, keeping the aspect ratio), `[s]`, or `[height, width]`.
 * @param options - interpolation, antialias and maxSize.
 * @returns the resized image, same pixel type.
 * @throws RangeError for a bad size or interpolation.
 */
export function resize(image: ImageArray, size: number | readonly number[], options: ResizeOptions = {}): ImageArray {
  const d = imageDims(image, 'Resize');
  const interpolation = options.interpolation ?? 'bilinear';
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw new RangeError(`Resize: interpolation should be one of ${INTERPOLATIONS.map((i) => `'${i}'`).join(', ')}, but given ${String(interpolation)}.`);
  }
  const [oh, ow] = resizedSize(d.h, d.w, size, options.maxSize);
  if (oh === d.h && ow === d.w) return image;
  const antialias = options.antialias ?? true;
  let data: ArrayLike<number> = image.data;
  let cur: ImageDims = d;
  if (ow !== d.w) {
    data = pass(data, cur, axisWeights(d.w, ow, interpolation, antialias), true);
    cur = { ...cur, w: ow };
  }
  if (oh !== d.h) {
    data = pass(data, cur, axisWeights(d.h, oh, interpolation, antialias), false);
    cur = { ...cur, h: oh };
  }
  const out = emptyLike(image, cur);
  const integer = isIntegerPixels(image.data);
  for (let i = 0; i < out.data.length; i += 1) out.data[i] = toPixel(data[i] as number, integer);
  return out;
}

/** Resizes images (torchvision `Resize`): an integer size matches the shorter side, `[h, w]` is exact. */
export class Resize implements Transform {
  /** The requested size. */
  readonly size: number | readonly number[];
  /** Interpolation, antialias and maxSize. */
  readonly options: ResizeOptions;

  /**
   * @param size - an integer (shorter side), `[s]`, or `[height, width]`.
   * @param options - interpolation (default bilinear; or bicubic, nearest), antialias (default true), maxSize.
   * @throws RangeError for a bad size.
   */
  constructor(size: number | readonly number[], options: ResizeOptions = {}) {
    resizedSize(1, 1, size, options.maxSize);
    this.size = typeof size === 'number' ? size : [...size];
    this.options = options;
  }

  /**
   * Resizes the image.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @returns the resized image.
   */
  apply(image: ImageArray): ImageArray {
    return resize(image, this.size, this.options);
  }
}
