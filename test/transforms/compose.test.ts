import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NdArray } from '../../src/data/nd-array.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { manualSeed, restoreMathRandom } from '../../src/random/global.js';
import {
  Compose,
  Lambda,
  Normalize,
  RandomCrop,
  RandomHorizontalFlip,
  ToTensor,
  normalize,
  toFloat,
  type ImageArray,
} from '../../src/transforms/index.js';
import { decode, maxDiff, torchvisionCases } from './fixtures/torchvision.js';

describe('ToTensor, Normalize', () => {
  it('match torchvision to_tensor (values; kindling keeps HWC) and normalize', () => {
    const [tt] = torchvisionCases('toFloat');
    const [nn] = torchvisionCases('normalize');
    assert.ok(tt !== undefined && nn !== undefined);
    assert.ok(maxDiff(new ToTensor().apply(decode(tt.input)), tt.output) < 1e-7);
    const a = nn.args as { mean: number[]; std: number[] };
    assert.ok(maxDiff(new Normalize(a.mean, a.std).apply(decode(nn.input)), nn.output) < 1e-6);
  });

  it('ToTensor passes float32 through; Normalize refuses uint8 and zero std', () => {
    const f = new NdArray(Float32Array.of(0.5, 0.25, 1), [1, 1, 3]);
    assert.equal(toFloat(f), f);
    assert.throws(() => normalize(new NdArray(new Uint8Array(3), [1, 1, 3]), 0, 1), /should be a float tensor. Got Uint8Array. Apply ToTensor first/);
    assert.throws(() => new Normalize([0, 0, 0], [1, 0, 1]), /std evaluated to zero/);
    assert.throws(() => normalize(f, [0, 0], 1), /mean should have 1 or 3/);
  });
});

describe('Compose, Lambda', () => {
  after(() => restoreMathRandom());

  it('applies transforms in order, passing the same generator to each (functions too)', () => {
    const seen: RandomGenerator[] = [];
    const g = new RandomGenerator(0);
    const t = new Compose<number, number>([
      new Lambda((x: number, rng) => (seen.push(rng), x + 1)),
      (x: number, rng: RandomGenerator) => (seen.push(rng), x * 10),
    ]);
    assert.equal(t.apply(1, g), 20);
    assert.deepEqual(seen, [g, g]);
    assert.throws(() => new Compose([42 as never]), /transform 0 should be a function/);
    assert.throws(() => new Lambda(3 as never), /lambd should be callable/);
  });

  it('a random pipeline is reproduced by manualSeed and by a generator with the same seed', () => {
    const img = new NdArray(Uint8Array.from({ length: 12 * 12 * 3 }, (_, i) => (i * 7) % 256), [12, 12, 3]);
    const t = new Compose<ImageArray, ImageArray>([new RandomCrop(8, { padding: 2 }), new RandomHorizontalFlip(), new ToTensor(), new Normalize(0.5, 0.5)]);
    const run = (): number[][] => Array.from({ length: 6 }, () => Array.from(t.apply(img).data));
    manualSeed(11);
    const a = run();
    manualSeed(11);
    assert.deepEqual(run(), a);
    assert.ok(new Set(a.map((x) => x.join())).size > 1, 'the draws differ between calls');
    assert.deepEqual(Array.from(t.apply(img, new RandomGenerator(2)).data), Array.from(t.apply(img, new RandomGenerator(2)).data));
  });
});
