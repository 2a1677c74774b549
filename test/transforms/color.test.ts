import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import {
  ColorJitter,
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  rgbToGrayscale,
  type ImageArray,
} from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

const ops: Record<string, (img: ImageArray, f: number) => ImageArray> = {
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustHue,
  rgbToGrayscale: (img) => rgbToGrayscale(img),
};

describe('color adjustments', () => {
  it('match torchvision exactly on uint8 (truncating casts) and to float32 rounding on float32', () => {
    let n = 0;
    for (const [op, fn] of Object.entries(ops)) {
      for (const c of torchvisionCases(op)) {
        const d = maxDiff(fn(decode(c.input), (c.args as { factor?: number }).factor ?? 0), c.output);
        assert.ok(d <= (c.input.dtype === 'uint8' ? 0 : 2e-6), `${c.name}: max difference ${d}`);
        n += 1;
      }
    }
    assert.ok(n >= 30);
  });

  it('one-channel images: saturation and hue return them unchanged; 4 channels are rejected', () => {
    const gray = new NdArray(Uint8Array.of(10, 200, 30, 40), [2, 2, 1]);
    assert.equal(adjustSaturation(gray, 0.3), gray);
    assert.equal(adjustHue(gray, 0.3), gray);
    assert.deepEqual(Array.from(adjustBrightness(gray, 2).data), [20, 255, 60, 80]);
    assert.throws(() => adjustBrightness(new NdArray(new Uint8Array(4), [1, 1, 4]), 1), /permitted channel values are \[1, 3\], but found 4/);
    assert.throws(() => adjustHue(gray, 0.6), /hue_factor \(0.6\) is not in \[-0.5, 0.5\]/);
  });
});

describe('ColorJitter', () => {
  it('checks its ranges like torchvision and disables identity ranges', () => {
    const t = new ColorJitter({ brightness: 0.5, contrast: [0.2, 0.8], hue: 0.1 });
    assert.deepEqual(t.brightness, [0.5, 1.5]);
    assert.deepEqual(t.contrast, [0.2, 0.8]);
    assert.equal(t.saturation, null);
    assert.deepEqual(t.hue, [-0.1, 0.1]);
    assert.deepEqual(new ColorJitter({ brightness: 2 }).brightness, [0, 3]);
    assert.throws(() => new ColorJitter({ brightness: -1 }), /must be non negative/);
    assert.throws(() => new ColorJitter({ hue: 0.7 }), /hue values should be between \[-0.5, 0.5\]/);
  });

  it('applies the enabled adjustments in the drawn order with the drawn factors', () => {
    const img = new NdArray(Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => (i * 37) % 256), [4, 5, 3]);
    const t = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.2 });
    for (let seed = 0; seed < 5; seed += 1) {
      const { order, factors } = t.getParams(new RandomGenerator(seed));
      assert.deepEqual([...order].sort(), [0, 1, 2, 3]);
      const fns = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
      let expected: ImageArray = img;
      for (const k of order) expected = (fns[k] as typeof adjustBrightness)(expected, factors[k] as number);
      assert.deepEqual(Array.from(t.apply(img, new RandomGenerator(seed)).data), Array.from(expected.data));
    }
  });
});
