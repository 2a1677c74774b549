/**
 * `DistributedSampler` and `DistributedProxySampler` (src/distributed/sampler.ts): torch's sharding semantics
 * (indices[rank::world], padding by repeating from the start), the same shuffle on every rank, reshuffled per epoch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DistributedProxySampler, DistributedSampler } from '../../src/distributed/sampler.js';

describe('DistributedSampler', () => {
  const shards = (n: number, world: number, o: { shuffle?: boolean; dropLast?: boolean; seed?: number } = {}): number[][] =>
    Array.from({ length: world }, (_, rank) => [...new DistributedSampler({ length: n }, { numReplicas: world, rank, shuffle: false, ...o })]);

  it('takes indices[rank::world], padding by repeating from the start', () => {
    assert.deepEqual(shards(10, 3), [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]);
    assert.deepEqual(shards(10, 3, { dropLast: true }), [[0, 3, 6], [1, 4, 7], [2, 5, 8]]);
    assert.deepEqual(shards(2, 4), [[0], [1], [0], [1]]);
    assert.equal(new DistributedSampler({ length: 10 }, { numReplicas: 3, rank: 0 }).length, 4);
  });

  it('shuffles with the same permutation on every rank, reshuffling per epoch (seed + epoch)', () => {
    const [a, b] = shards(20, 2, { shuffle: true, seed: 5 }) as [number[], number[]];
    assert.deepEqual([...a, ...b].sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => i));
    const s = new DistributedSampler({ length: 20 }, { numReplicas: 2, rank: 0, seed: 5 });
    const e0 = [...s];
    const e1 = [...s];
    assert.deepEqual(e0, a);
    assert.notDeepEqual(e0, e1);
    s.setEpoch(0);
    assert.deepEqual([...s], e0);
    assert.deepEqual([...s], e0); // an explicit epoch stays until the next setEpoch
    assert.equal(s.epoch, 0);
  });

  it('validates its arguments', () => {
    assert.throws(() => new DistributedSampler({ length: 4 }, { numReplicas: 2, rank: 2 }), /Invalid rank 2/);
    assert.throws(() => new DistributedSampler({ length: 4 }, { numReplicas: 0 }), RangeError);
    assert.throws(() => new DistributedSampler(null as never), TypeError);
  });

  it('DistributedProxySampler shards any sampler', () => {
    const base = { length: 5, *[Symbol.iterator]() { yield* [4, 3, 2, 1, 0]; } };
    assert.deepEqual([...new DistributedProxySampler(base, { numReplicas: 2, rank: 0 })], [4, 2, 0]);
    assert.deepEqual([...new DistributedProxySampler(base, { numReplicas: 2, rank: 1 })], [3, 1, 4]);
  });
});
