/**
 * `Parallel` (src/distributed/parallel.ts): with backend null it runs the function once in this process (local rank
 * 0 of 1); with 'mpi' it initializes the context through the installed MPI loader, passes the local rank, and
 * finalizes when the function settles (a stand-in addon plays MPI here; the real job is test/distributed/mpirun).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backend, getWorldSize } from '../../src/distributed/context.js';
import { Parallel } from '../../src/distributed/parallel.js';
import { fakeAddon, withAddon } from './fake-mpi.js';

describe('Parallel', () => {
  it('Parallel({ backend: null }).run calls fn(0, ...args) and returns its result', async () => {
    const result = await new Parallel({ backend: null }).run(async (localRank: number, a: number, b: string) => {
      await Promise.resolve();
      return `${localRank}:${a}:${b}:${getWorldSize()}`;
    }, 4, 'x');
    assert.equal(result, '0:4:x:1');
    await assert.rejects(new Parallel().run(() => { throw new Error('boom'); }), /boom/);
  });

  it('rejects an unknown backend', () => {
    assert.throws(() => new Parallel({ backend: 'nccl' as never }), /Unknown backend 'nccl'/);
  });

  it("Parallel({ backend: 'mpi' }) initializes through the loader, passes the local rank, and finalizes", async () => {
    const addon = fakeAddon();
    await withAddon(addon, async () => {
      const seen = await new Parallel({ backend: 'mpi' }).run((localRank: number, tag: string) => `${tag} ${localRank}/${getWorldSize()} ${backend()}`, 'run');
      assert.equal(seen, 'run 1/2 mpi');
      assert.equal(backend(), null);
    });
    assert.deepEqual(addon.calls, ['init', 'finalize']);
  });
});
