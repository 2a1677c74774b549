import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { manualSeed, restoreMathRandom } from '../../src/random/global.js';
import { CenterCrop, RandomCrop, RandomResizedCrop, centerCrop, crop, pad, type ImageArray } from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

/** An image whose pixel (y, x, c) holds 100 * y + 10 * x + c, so a crop's origin can be read back. */
function coords(h: number, w: number, c = 1): NdArray<Float32Array> {
  const data = new Float32Array(h * w * c);
  for (let y = 0; y < h; y += 1) for (let x = 0; x < w; x += 1) for (let k = 0; k < c; k += 1) data[(y * w + x) * c + k] = 100 * y + 10 * x + k;
  return new NdArray(data, [h, w, c]);
}

const origin = (img: ImageArray): [number, number] => {
  const v = img.data[0] as number;
  return [Math.floor(v / 100), Math.floor((v % 100) / 10)];
};

describe('pad, crop, CenterCrop', () => {
  it('pad matches torchvision F.pad in the constant, edge, reflect and symmetric modes', () => {
    for (const c of torchvisionCases('pad')) {
      const a = c.args as { padding: [number, number, number, number]; fill: number; mode: 'constant' };
      assert.equal(maxDiff(pad(decode(c.input), a.padding, a.fill, a.mode), c.output), 0, c.name);
    }
  });

  it('centerCrop matches torchvision F.center_crop, including crops larger than the image (zero padded)', () => {
    for (const c of torchvisionCases('centerCrop')) {
      const a = c.args as { size: [number, number] };
      assert.equal(maxDiff(new CenterCrop(a.size).apply(decode(c.input)), c.output), 0, c.name);
      assert.equal(maxDiff(centerCrop(decode(c.input), a.size), c.output), 0, c.name);
    }
  });

  it('pad validates its arguments with messages that say what to do', () => {
    const img = coords(3, 3);
    assert.throws(() => pad(img, -1), /non-negative integer/);
    assert.throws(() => pad(img, 3, 0, 'reflect'), /too large for reflect padding/);
    assert.throws(() => pad(coords(2, 2, 3), 1, [1, 2]), /'fill' does not match the number of channels/);
    assert.equal(pad(img, 2, 0, 'symmetric').shape[0], 7);
  });

  it('crop outside the image fills with zeros', () => {
    const out = crop(coords(3, 3), -1, 1, 2, 3);
    assert.deepEqual(Array.from(out.data), [0, 0, 0, 10, 20, 0]);
  });
});

describe('RandomCrop', () => {
  after(() => restoreMathRandom());

  it('draws the origin from the generator: same seed, same crop; every position is reachable', () => {
    const img = coords(6, 6);
    const t = new RandomCrop(3);
    const seen = new Set<string>();
    const a = new RandomGenerator(5);
    const b = new RandomGenerator(5);
    for (let i = 0; i < 200; i += 1) {
      const x = t.apply(img, a);
      assert.deepEqual(Array.from(x.data), Array.from(t.apply(img, b).data));
      seen.add(origin(x).join());
    }
    assert.equal(seen.size, 16);
  });

  it('uses the global generator by default, so manualSeed reproduces it', () => {
    const img = coords(8, 8);
    const t = new RandomCrop(4, { padding: 2, paddingMode: 'reflect' });
    manualSeed(3);
    const first = Array.from({ length: 5 }, () => Array.from(t.apply(img).data));
    manualSeed(3);
    const second = Array.from({ length: 5 }, () => Array.from(t.apply(img).data));
    assert.deepEqual(first, second);
  });

  it('pads first (padding, fill) and pads if needed; a crop larger than the image is a RangeError', () => {
    const img = coords(2, 2);
    const out = new RandomCrop(6, { padding: 2, fill: 7 }).apply(img, new RandomGenerator(0));
    assert.deepEqual(out.shape, [6, 6, 1]);
    assert.equal(out.data[0], 7);
    assert.equal(out.data[2 * 6 + 2], 0); // pixel (0, 0) of the image
    const grown = new RandomCrop([4, 5], { padIfNeeded: true }).apply(img, new RandomGenerator(0));
    assert.deepEqual(grown.shape, [4, 5, 1]);
    assert.throws(() => new RandomCrop(3).apply(img), /Required crop size \(3, 3\) is larger than input image size \(2, 2\)/);
  });
});

describe('RandomResizedCrop', () => {
  it('getParams keeps the area and aspect ratio within range, and falls back to a centered crop', () => {
    const g = new RandomGenerator(1);
    for (let i = 0; i < 300; i += 1) {
      const [top, left, h, w] = RandomResizedCrop.getParams(40, 60, [0.2, 0.6], [0.5, 2], g);
      assert.ok(top >= 0 && left >= 0 && top + h <= 40 && left + w <= 60);
      const area = (h * w) / 2400;
      assert.ok(area > 0.15 && area < 0.67, `area ${area}`);
    }
    // an impossible scale: all 10 attempts fail; the fallback is the largest centered crop of ratio within range
    assert.deepEqual(RandomResizedCrop.getParams(10, 40, [2, 3], [0.5, 2], new RandomGenerator(0)), [0, 10, 10, 20]);
    assert.deepEqual(RandomResizedCrop.getParams(40, 10, [2, 3], [0.5, 2], new RandomGenerator(0)), [10, 0, 20, 10]);
    assert.deepEqual(RandomResizedCrop.getParams(10, 12, [2, 3], [0.5, 2], new RandomGenerator(0)), [0, 0, 10, 12]);
  });

  it('outputs the requested size and is reproducible from the generator', () => {
    const img = coords(20, 30, 3);
    const t = new RandomResizedCrop([8, 6]);
    const a = t.apply(img, new RandomGenerator(9));
    assert.deepEqual(a.shape, [8, 6, 3]);
    assert.deepEqual(Array.from(a.data), Array.from(t.apply(img, new RandomGenerator(9)).data));
    assert.throws(() => new RandomResizedCrop(8, { scale: [0.9, 0.1] }), /scale should be a \[min, max\] range/);
  });
});
