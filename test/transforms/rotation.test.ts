import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { RandomRotation, rotate, type ImageArray } from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

describe('rotate / RandomRotation', () => {
  it('matches torchvision F.rotate (nearest and bilinear, fill, center, expand; uint8 and float32)', () => {
    const cases = torchvisionCases('rotate');
    assert.ok(cases.length >= 24);
    for (const c of cases) {
      const a = c.args as { angle: number; interpolation: 'nearest' | 'bilinear'; fill: number[] | number; center?: [number, number]; expand?: boolean };
      const got = rotate(decode(c.input), a.angle, { interpolation: a.interpolation, fill: a.fill, expand: a.expand ?? false, ...(a.center ? { center: a.center } : {}) });
      const d = maxDiff(got, c.output);
      assert.ok(d <= (c.input.dtype === 'uint8' ? 0 : 1e-5), `${c.name}: max difference ${d}`);
    }
  });

  it('rotating a square by 90 degrees four times is the identity', () => {
    const img = new NdArray(Uint8Array.from({ length: 5 * 5 * 2 }, (_, i) => i), [5, 5, 2]);
    let out: ImageArray = img;
    for (let k = 0; k < 4; k += 1) out = rotate(out, 90);
    assert.deepEqual(Array.from(out.data), Array.from(img.data));
    assert.notDeepEqual(Array.from(rotate(img, 90).data), Array.from(img.data));
  });

  it('draws the angle uniformly from the range with the generator', () => {
    const img = new NdArray(Float32Array.from({ length: 6 * 6 }, (_, i) => i), [6, 6, 1]);
    const t = new RandomRotation([10, 20], { interpolation: 'bilinear' });
    const angle = 10 + 10 * new RandomGenerator(4).random();
    assert.deepEqual(Array.from(t.apply(img, new RandomGenerator(4)).data), Array.from(rotate(img, angle, { interpolation: 'bilinear' }).data));
    assert.deepEqual(new RandomRotation(15).degrees, [-15, 15]);
    assert.throws(() => new RandomRotation(-1), /must be positive/);
    assert.throws(() => new RandomRotation([5, 1]), /min <= max/);
  });
});
