import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BatchSampler,
  RandomSampler,
  ReproducibleBatchSampler,
  SequentialSampler,
} from '../../src/data/index.js';
import { RandomGenerator, manualSeed, restoreMathRandom } from '../../src/random/index.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('samplers', () => {
  it('SequentialSampler yields 0..n-1 and follows the source length', () => {
    const data = [5, 6, 7];
    const s = new SequentialSampler(data);
    assert.deepEqual([...s], [0, 1, 2]);
    data.push(8);
    assert.equal(s.length, 4);
    assert.throws(() => new SequentialSampler(3 as unknown as { length: number }), TypeError);
  });

  it('RandomSampler draws a new permutation each epoch, reproducible from manualSeed', () => {
    const data = range(20);
    manualSeed(4);
    const s = new RandomSampler(data);
    const e1 = [...s];
    const e2 = [...s];
    assert.deepEqual([...e1].sort((a, b) => a - b), data);
    assert.notDeepEqual(e1, e2);
    manualSeed(4);
    assert.deepEqual([[...s], [...s]], [e1, e2]);
    restoreMathRandom();
  });

  it('RandomSampler with a seed or generator is independent of the global generator', () => {
    const a = new RandomSampler(range(10), { seed: 3 });
    const b = new RandomSampler(range(10), { generator: new RandomGenerator(3) });
    manualSeed(1);
    const fromA = [[...a], [...a]];
    manualSeed(2);
    assert.deepEqual([[...b], [...b]], fromA);
    assert.throws(() => new RandomSampler(range(3), { seed: 1, generator: new RandomGenerator(1) }), TypeError);
    assert.throws(() => new RandomSampler(range(3), { numSamples: 0 }), RangeError);
    restoreMathRandom();
  });

  it('RandomSampler numSamples and replacement', () => {
    const s = new RandomSampler(range(4), { numSamples: 10, seed: 1 });
    const out = [...s];
    assert.equal(out.length, 10);
    // without replacement, every full pass is a permutation
    assert.deepEqual([...out.slice(0, 4)].sort(), [0, 1, 2, 3]);
    assert.deepEqual([...out.slice(4, 8)].sort(), [0, 1, 2, 3]);
    const r = [...new RandomSampler(range(3), { replacement: true, numSamples: 300, seed: 2 })];
    assert.equal(r.length, 300);
    assert.ok(r.every((i) => i >= 0 && i < 3));
    assert.ok(new Set(r).size === 3);
  });

  it('BatchSampler groups indices, with and without dropLast', () => {
    const seq = new SequentialSampler(range(10));
    assert.deepEqual([...new BatchSampler(seq, 3, false)], [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    assert.deepEqual([...new BatchSampler(seq, 3, true)], [[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    assert.equal(new BatchSampler(seq, 3, false).length, 4);
    assert.equal(new BatchSampler(seq, 3, true).length, 3);
    assert.equal(new BatchSampler(seq, 5, true).length, 2);
    assert.throws(() => new BatchSampler(seq, 0), /batchSize should be a positive integer value, but got batchSize=0/);
    assert.throws(() => new BatchSampler(seq, 1.5), RangeError);
    assert.throws(() => new BatchSampler({ length: 2 } as unknown as SequentialSampler, 2), TypeError);
    assert.deepEqual([...new BatchSampler([4, 2, 0], 2)], [[4, 2], [0]]);
  });

  it('test_reproducible_batch_sampler: reseeding with seed + epoch reproduces that epoch, epochs differ', () => {
    const rbs = new ReproducibleBatchSampler(new BatchSampler(new RandomSampler(range(30)), 4, false));
    const epochs: number[][][] = [];
    for (let epoch = 0; epoch < 3; epoch += 1) {
      manualSeed(12 + epoch);
      epochs.push([...rbs]);
    }
    assert.notDeepEqual(epochs[0], epochs[1]);
    assert.notDeepEqual(epochs[1], epochs[2]);
    for (let epoch = 2; epoch >= 0; epoch -= 1) {
      manualSeed(12 + epoch);
      assert.deepEqual([...rbs], epochs[epoch]);
    }
    // starting mid-epoch skips exactly the first batches, once
    rbs.startIteration = 5;
    manualSeed(13);
    assert.deepEqual([...rbs], (epochs[1] as number[][]).slice(5));
    assert.equal(rbs.startIteration, null);
    assert.equal(rbs.length, 8);
    manualSeed(13);
    assert.deepEqual([...rbs], epochs[1]);
    restoreMathRandom();
  });

  it('test_reproducible_batch_sampler_wrong_input', () => {
    assert.throws(() => new ReproducibleBatchSampler([1, 2, 3, 4] as unknown as BatchSampler), TypeError);
    assert.throws(() => new ReproducibleBatchSampler([[0, 1]] as unknown as BatchSampler), /should be a BatchSampler/);
    const bs = new BatchSampler(new SequentialSampler(range(4)), 2);
    assert.throws(() => new ReproducibleBatchSampler(bs, -1), RangeError);
  });
});
