/**
 * @module Port of torchvision/transforms `RandomRotation` and functional `rotate` (tensor semantics: an inverse
 * affine grid sampled with `grid_sample(align_corners=False, padding_mode='zeros')`, then the `fill` blend through a
 * mask channel: nearest takes `fill` where the mask is < 0.5, bilinear blends `img * mask + (1 - mask) * fill`).
 * Deviations: HWC/NHWC typed arrays; the angle is drawn from a kindling generator; the sampling grid is computed in
 * float32 like torch's (each operation rounded with `Math.fround`), so results match torchvision's.
 */
import type { RandomGenerator } from '../random/generator.js';
import { globalGenerator } from '../random/global.js';
import { emptyLike, imageDims, isIntegerPixels, roundHalfEven, toPixel, uniform, type ImageArray, type Transform } from './image.js';

/** Options of {@link rotate} and {@link RandomRotation}. */
export interface RotateOptions {
  /** `'nearest'` (default, as torchvision's RandomRotation) or `'bilinear'`. */
  interpolation?: 'nearest' | 'bilinear';
  /** Rotation center `[x, y]` in pixels (default: the image center). */
  center?: readonly [number, number];
  /** Enlarge the output to hold the whole rotated image (default false: keep the input size). */
  expand?: boolean;
  /** Value of the area outside the rotated image: a number or one per channel (default 0). */
  fill?: number | readonly number[];
}

function fills(fill: number | readonly number[], c: number): number[] {
  if (typeof fill === 'number') return new Array<number>(c).fill(fill);
  if (fill.length === 1) return new Array<number>(c).fill(fill[0] as number);
  if (fill.length !== c) {
    throw new RangeError(`The number of elements in 'fill' does not match the number of channels of the image (${fill.length} != ${c}).`);
  }
  return [...fill];
}

/** The inverse affine matrix of a counter-clockwise rotation by `angle` degrees about `center` (centered coords). */
function inverseMatrix(angle: number, cx: number, cy: number): number[] {
  const rot = (-angle * Math.PI) / 180;
  const m = [Math.cos(rot), Math.sin(rot), 0, -Math.sin(rot), Math.cos(rot), 0];
  m[2] = (m[0] as number) * -cx + (m[1] as number) * -cy + cx;
  m[5] = (m[3] as number) * -cx + (m[4] as number) * -cy + cy;
  return m;
}

const f = Math.fround;

/** The affine grid's coefficients in float32, as torch's `_gen_affine_grid` builds them (theta / half size). */
function gridCoefficients(m: number[], w: number, h: number): { k: number[]; w: number; h: number } {
  const k = m.map((v, i) => f(f(v) / (i < 3 ? 0.5 * w : 0.5 * h)));
  return { k, w, h };
}

/** The source pixel of a centered output coordinate, in float32 like torch's affine grid + `grid_sample`. */
function sourcePoint(g: { k: number[]; w: number; h: number }, x: number, y: number): [number, number] {
  const k = g.k as [number, number, number, number, number, number];
  const gx = f(f(f(x * k[0]) + f(y * k[1])) + k[2]);
  const gy = f(f(f(x * k[3]) + f(y * k[4])) + k[5]);
  return [f(f(f(f(gx + 1) * g.w) - 1) / 2), f(f(f(f(gy + 1) * g.h) - 1) / 2)];
}

/** The output size `[w, h]` holding the whole rotated image (torchvision `_compute_affine_output_size`, float32). */
function expandedSize(m: number[], w: number, h: number): [number, number] {
  const k = m.map((v) => f(v)) as [number, number, number, number, number, number];
  const corners = [[-0.5 * w, -0.5 * h], [-0.5 * w, 0.5 * h], [0.5 * w, 0.5 * h], [0.5 * w, -0.5 * h]] as const;
  const xs = corners.map(([x, y]) => f(f(f(x * k[0]) + f(y * k[1])) + k[2]));
  const ys = corners.map(([x, y]) => f(f(f(x * k[3]) + f(y * k[4])) + k[5]));
  const tol = 1e-4;
  const span = (vals: number[], half: number): number => {
    const hi = Math.ceil(f(Math.trunc(f(f(Math.max(...vals) + half) / tol)) * tol));
    const lo = Math.floor(f(Math.trunc(f(f(Math.min(...vals) + half) / tol)) * tol));
    return hi - lo;
  };
  return [span(xs, w * 0.5), span(ys, h * 0.5)];
}

interface Sampler {
  src: ArrayLike<number>;
  h: number;
  w: number;
  c: number;
  base: number;
}

/** Bilinear sample with zero padding; writes the channels into `acc` and returns the in-bounds weight (the mask). */
function sampleBilinear(s: Sampler, px: number, py: number, acc: Float64Array): number {
  const x0 = Math.floor(px);
  const y0 = Math.floor(py);
  acc.fill(0);
  let mask = 0;
  for (let dy = 0; dy < 2; dy += 1) {
    for (let dx = 0; dx < 2; dx += 1) {
      const x = x0 + dx;
      const y = y0 + dy;
      if (x < 0 || y < 0 || x >= s.w || y >= s.h) continue;
      const wgt = (dx === 0 ? x0 + 1 - px : px - x0) * (dy === 0 ? y0 + 1 - py : py - y0);
      const o = s.base + (y * s.w + x) * s.c;
      for (let c = 0; c < s.c; c += 1) acc[c] = (acc[c] as number) + wgt * (s.src[o + c] as number);
      mask += wgt;
    }
  }
  return mask;
}

/**
 * Rotates every image by `angle` degrees counter-clockwise (torchvision `F.rotate`).
 *
 * @param image - `[H, W, C]` or `[N, H, W, C]`.
 * @param angle - degrees, counter-clockwise.
 * @param options - interpolation (default nearest), center, expand, fill.
 * @returns the rotated image, same pixel type; same size unless `expand`.
 * @throws RangeError for a fill with the wrong number of channels.
 */
export function rotate(image: ImageArray, angle: number, options: RotateOptions = {}): ImageArray {
  const d = imageDims(image, 'rotate');
  const fill = fills(options.fill ?? 0, d.c);
  const nearest = (options.interpolation ?? 'nearest') === 'nearest';
  const [ccx, ccy] = options.center === undefined ? [0, 0] : [options.center[0] - d.w * 0.5, options.center[1] - d.h * 0.5];
  const matrix = inverseMatrix(angle, ccx, ccy);
  const g = gridCoefficients(matrix, d.w, d.h);
  const [ow, oh] = options.expand === true ? expandedSize(matrix, d.w, d.h) : [d.w, d.h];
  const out = emptyLike(image, { ...d, h: oh, w: ow });
  const integer = isIntegerPixels(image.data);
  const acc = new Float64Array(d.c);
  let o = 0;
  for (let n = 0; n < d.n; n += 1) {
    const s: Sampler = { src: image.data, h: d.h, w: d.w, c: d.c, base: n * d.h * d.w * d.c };
    for (let i = 0; i < oh; i += 1) {
      const y = i + 0.5 - oh / 2;
      for (let j = 0; j < ow; j += 1) {
        const x = j + 0.5 - ow / 2;
        const [px, py] = sourcePoint(g, x, y);
        if (nearest) {
          const sx = roundHalfEven(px);
          const sy = roundHalfEven(py);
          const inside = sx >= 0 && sy >= 0 && sx < d.w && sy < d.h;
          const b = s.base + (sy * d.w + sx) * d.c;
          for (let c = 0; c < d.c; c += 1, o += 1) out.data[o] = inside ? (image.data[b + c] as number) : toPixel(fill[c] as number, integer);
        } else {
          const mask = sampleBilinear(s, px, py, acc);
          for (let c = 0; c < d.c; c += 1, o += 1) {
            out.data[o] = toPixel((acc[c] as number) * mask + (1 - mask) * (fill[c] as number), integer);
          }
        }
      }
    }
  }
  return out;
}

/** Rotates by an angle drawn uniformly from `degrees` (torchvision `RandomRotation`). */
export class RandomRotation implements Transform {
  /** The angle range `[min, max]` in degrees. */
  readonly degrees: readonly [number, number];
  readonly #options: RotateOptions;

  /**
   * @param degrees - a number `d` for `[-d, d]`, or `[min, max]`.
   * @param options - interpolation (default nearest), center, expand, fill (default 0).
   * @throws RangeError for a negative single number or a range that is not `[min, max]`.
   */
  constructor(degrees: number | readonly [number, number], options: RotateOptions = {}) {
    if (typeof degrees === 'number') {
      if (!(degrees >= 0)) throw new RangeError(`If degrees is a single number, it must be positive, but given ${degrees}.`);
      this.degrees = [-degrees, degrees];
    } else {
      if (degrees.length !== 2 || !(degrees[0] <= degrees[1])) {
        throw new RangeError(`If degrees is a sequence, it must be of len 2 with min <= max, but given ${JSON.stringify(degrees)}.`);
      }
      this.degrees = [degrees[0], degrees[1]];
    }
    this.#options = options;
  }

  /**
   * Rotates the image by a random angle.
   *
   * @param image - `[H, W, C]` or `[N, H, W, C]`.
   * @param rng - the generator (default: the global generator).
   * @returns the rotated image.
   */
  apply(image: ImageArray, rng: RandomGenerator = globalGenerator): ImageArray {
    return rotate(image, uniform(rng, this.degrees[0], this.degrees[1]), this.#options);
  }
}
