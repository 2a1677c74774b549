import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { RandomErasing, erase } from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

describe('RandomErasing', () => {
  it('erase matches torchvision F.erase (clipped at the border, like torch slicing)', () => {
    for (const c of torchvisionCases('erase')) {
      const a = c.args as { top: number; left: number; height: number; width: number; value: number[] };
      assert.ok(maxDiff(erase(decode(c.input), { ...a, values: Float64Array.from(a.value) }), c.output) < 1e-6, c.name);
    }
  });

  it('erases one rectangle within the area and ratio ranges, and never changes the input', () => {
    const img = new NdArray(new Float32Array(20 * 30 * 3).fill(1), [20, 30, 3]);
    const t = new RandomErasing({ p: 1, scale: [0.1, 0.2], value: [5, 6, 7] });
    for (let seed = 0; seed < 20; seed += 1) {
      const out = t.apply(img, new RandomGenerator(seed));
      const erased = Array.from(out.data).filter((v, i) => v === 5 + (i % 3)).length / 3;
      assert.ok(erased >= 0.1 * 600 * 0.8 && erased <= 0.2 * 600 * 1.2, `${erased}`);
      assert.deepEqual(Array.from(out.data).filter((v) => v !== 1 && v < 5), []);
    }
    assert.ok(img.data.every((v) => v === 1));
  });

  it("value 'random' writes standard normal noise; p = 0 returns the input; same generator, same output", () => {
    const img = new NdArray(new Float32Array(40 * 40), [40, 40, 1]);
    const t = new RandomErasing({ p: 1, scale: [0.3, 0.3], ratio: [1, 1], value: 'random' });
    const out = t.apply(img, new RandomGenerator(1));
    const noise = Array.from(out.data).filter((v) => v !== 0);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const variance = noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length;
    assert.ok(noise.length > 400 && Math.abs(mean) < 0.15 && Math.abs(variance - 1) < 0.2, `${noise.length} ${mean} ${variance}`);
    assert.deepEqual(Array.from(t.apply(img, new RandomGenerator(1)).data), Array.from(out.data));
    assert.equal(new RandomErasing({ p: 0 }).apply(img), img);
    assert.throws(() => new RandomErasing({ scale: [0.5, 2] }), /between 0 and 1/);
    assert.throws(() => new RandomErasing({ value: [1, 2] }).apply(new NdArray(new Float32Array(300), [10, 10, 3]), new RandomGenerator(0)), /either a single value or 3/);
  });
});
