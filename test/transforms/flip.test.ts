import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { RandomHorizontalFlip, RandomVerticalFlip, hflip, vflip } from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

describe('flips', () => {
  it('hflip and vflip match torchvision', () => {
    for (const c of [...torchvisionCases('hflip'), ...torchvisionCases('vflip')]) {
      assert.equal(maxDiff((c.op === 'hflip' ? hflip : vflip)(decode(c.input)), c.output), 0, c.name);
    }
  });

  it('flip every image of an NHWC batch', () => {
    const batch = new NdArray(Uint8Array.from({ length: 2 * 2 * 3 }, (_, i) => i), [2, 2, 3, 1]);
    assert.deepEqual(Array.from(hflip(batch).data), [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]);
    assert.deepEqual(Array.from(vflip(batch).data), [3, 4, 5, 0, 1, 2, 9, 10, 11, 6, 7, 8]);
  });

  it('flip with probability p, one draw per call: p = 0 never, p = 1 always, 0.5 about half the time', () => {
    const img = new NdArray(Uint8Array.of(1, 2), [1, 2, 1]);
    const g = new RandomGenerator(0);
    assert.equal(new RandomHorizontalFlip(0).apply(img, g), img);
    assert.deepEqual(Array.from(new RandomHorizontalFlip(1).apply(img, g).data), [2, 1]);
    let flipped = 0;
    const t = new RandomVerticalFlip();
    const tall = new NdArray(Uint8Array.of(1, 2), [2, 1, 1]);
    for (let i = 0; i < 2000; i += 1) if (t.apply(tall, g) !== tall) flipped += 1;
    assert.ok(flipped > 900 && flipped < 1100, `${flipped}`);
    assert.throws(() => new RandomHorizontalFlip(1.5), /probability in \[0, 1\]/);
  });
});
