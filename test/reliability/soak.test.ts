// The CI version of the soak (5,000 iterations; `npm run soak` runs 100,000): after warm-up, the number of tensors
// and data buffers is constant and the JS heap (after full collections) does not grow.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { soak } from './soak.js';

describe('soak', () => {
  it('5,000 iterations with metrics, progress bar, logger, evaluation and checkpoints: flat tensors and heap', async () => {
    const r = await soak(5000);
    assert.ok(r.tensors.length >= 10, 'enough samples');
    assert.equal(new Set(r.tensors).size, 1, `tensors after warm-up: ${r.tensors.join(',')}`);
    assert.equal(new Set(r.buffers).size, 1, `data buffers after warm-up: ${r.buffers.join(',')}`);
    if (typeof globalThis.gc === 'function') {
      const first = r.heapMiB[0] as number;
      const last = r.heapMiB.at(-1) as number;
      assert.ok(last < first * 1.05, `heap after warm-up grew from ${first.toFixed(2)} to ${last.toFixed(2)} MiB`);
    }
  });
});
