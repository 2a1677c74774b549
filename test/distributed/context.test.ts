/**
 * The browser-safe distributed context (src/distributed/context.ts): serial by default (rank 0 of 1, collectives on
 * typed arrays are copies, `oneRankOnly` runs on rank 0), a clear error when 'mpi' is requested with no MPI loader
 * (Node without kindling's Node entry, or a browser, checked by bundling the module for the browser and running it
 * where no `process` global exists), and an installed loader's addon driving the rank, the world size, the
 * typed-array collectives and `oneRankOnly`. No TensorFlow.js here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';
import { DistributedUnavailableError, backend, finalize, getLocalRank, getNnodes, getNodeRank, getNprocPerNode, getRank, getWorldSize, initialize, mpiAvailability, setMpiLoader, showConfig } from '../../src/distributed/context.js';
import { allGatherArray, allReduceArray, barrier, broadcastArray } from '../../src/distributed/comm.js';
import { oneRankOnly } from '../../src/distributed/rank-scope.js';
import { FAKE_HOW_TO_ENABLE, fakeAddon, withAddon } from './fake-mpi.js';

describe('distributed context without an MPI loader', () => {
  it('reports rank 0 of 1, and initialize(null) keeps it so', () => {
    assert.deepEqual([getRank(), getWorldSize(), getLocalRank(), getNprocPerNode(), getNnodes(), getNodeRank(), backend()], [0, 1, 0, 1, 1, 0, null]);
    initialize(null);
    assert.deepEqual([backend(), getRank(), getWorldSize()], [null, 0, 1]);
    assert.equal(showConfig(), 'backend null (single process), rank 0/1');
    barrier();
  });

  it('typed-array collectives return copies', () => {
    const input = new Float32Array([1, 2]);
    const reduced = allReduceArray(input, 'MAX');
    assert.notEqual(reduced, input);
    assert.deepEqual(Array.from(reduced), [1, 2]);
    assert.deepEqual(Array.from(allGatherArray(new Int32Array([3]))), [3]);
    assert.deepEqual(Array.from(broadcastArray(new Int32Array([7]))), [7]);
    assert.throws(() => broadcastArray(new Int32Array([7]), 1), RangeError);
  });

  it('rejects an unknown backend', () => {
    assert.throws(() => initialize('gloo' as never), /Unknown backend 'gloo'/);
  });

  it('oneRankOnly runs on rank 0', async () => {
    assert.equal(oneRankOnly((x: number) => x * 2)(3), 6);
    assert.equal(oneRankOnly((x: number) => x * 2, { rank: 1 })(3), undefined);
    assert.equal(await oneRankOnly(() => Promise.resolve('done'), { withBarrier: true })(), 'done');
  });

  it("under Node, 'mpi' says to import kindling's Node entry or call installMpi()", () => {
    const availability = mpiAvailability();
    assert.equal(availability.available, false);
    assert.match(availability.available ? '' : availability.reason, /no MPI loader is installed.*installMpi\(\) from 'kindling\/node'/);
    assert.throws(() => initialize('mpi'), (e: unknown) => {
      assert.ok(e instanceof DistributedUnavailableError);
      assert.match(e.message, /^Backend 'mpi' requested, but no MPI loader is installed in this process\. Import kindling/);
      return true;
    });
    assert.equal(backend(), null);
  });

  it("in a browser (bundled for the browser, no process global), 'mpi' says MPI needs Node.js", async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../../src/distributed/context.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      globalName: 'context',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]?.text ?? '';
    assert.doesNotMatch(code, /\bnode:/);
    const script = `${code}
      let message = 'no error';
      try { context.initialize('mpi'); } catch (e) { message = e.name + ': ' + e.message; }
      ({ message, hasProcess: typeof process !== 'undefined', rank: context.getRank(), world: context.getWorldSize(),
         availability: context.mpiAvailability() });`;
    const r = runInNewContext(script, {}) as { message: string; hasProcess: boolean; rank: number; world: number; availability: { available: boolean } };
    assert.equal(r.hasProcess, false);
    assert.match(r.message, /^DistributedUnavailableError: Backend 'mpi' requested, but MPI runs only under Node\.js/);
    assert.match(r.message, /Use backend null to train in one process here/);
    assert.deepEqual([r.rank, r.world, r.availability.available], [0, 1, false]);
  });
});

describe('distributed context with an installed MPI loader', () => {
  it("reports the addon's rank, world and host layout, and is serial again after finalize()", async () => {
    const addon = fakeAddon();
    await withAddon(addon, () => {
      assert.deepEqual(mpiAvailability(), { available: true });
      initialize('mpi');
      initialize('mpi'); // a no-op the second time
      assert.deepEqual([backend(), getRank(), getWorldSize(), getLocalRank(), getNprocPerNode(), getNnodes(), getNodeRank()], ['mpi', 1, 2, 1, 2, 1, 0]);
      assert.equal(showConfig(), 'backend mpi, rank 1/2, local rank 1/2, nodes 1, fake MPI 1.0');
      finalize();
      assert.deepEqual([backend(), getRank(), getWorldSize()], [null, 0, 1]);
    });
    assert.deepEqual(addon.calls, ['init', 'finalize']);
  });

  it('runs the typed-array collectives on the addon, never on the caller’s array', async () => {
    const addon = fakeAddon();
    await withAddon(addon, () => {
      initialize('mpi');
      const input = new Float32Array([1, 2]);
      const reduced = allReduceArray(input, 'MAX');
      assert.deepEqual(Array.from(reduced), [2, 4]);
      assert.deepEqual(Array.from(input), [1, 2]);
      assert.deepEqual(Array.from(allGatherArray(new Int32Array([3]))), [3, 3]);
      const sent = new Int32Array([7, 8]);
      assert.deepEqual(Array.from(broadcastArray(sent, 1)), [41, 41]);
      assert.deepEqual(Array.from(sent), [7, 8]);
      assert.throws(() => broadcastArray(sent, 2), /src should be a rank in \[0, 2\), but given 2/);
      barrier();
    });
    assert.deepEqual(addon.calls, ['init', 'allReduce MAX', 'allGather', 'broadcast 1', 'barrier', 'finalize']);
  });

  it('oneRankOnly runs on the chosen rank only, and waits at the barrier on every rank', async () => {
    const addon = fakeAddon();
    await withAddon(addon, async () => {
      initialize('mpi');
      assert.equal(oneRankOnly(() => 'rank 0')(), undefined);
      assert.equal(oneRankOnly(() => 'rank 1', { rank: 1 })(), 'rank 1');
      assert.equal(await oneRankOnly(() => Promise.resolve('async'), { rank: 1, withBarrier: true })(), 'async');
      assert.equal(oneRankOnly(() => 'skipped', { withBarrier: true })(), undefined);
    });
    assert.deepEqual(addon.calls, ['init', 'barrier', 'barrier', 'finalize']);
  });

  it("puts the loader's reason and advice in the error, and MPI's own failure as the cause", async () => {
    setMpiLoader({ load: () => ({ reason: 'the fake addon is missing.' }), howToEnable: FAKE_HOW_TO_ENABLE });
    try {
      assert.deepEqual(mpiAvailability(), { available: false, reason: 'the fake addon is missing. Rebuild the fake.' });
      assert.throws(() => initialize('mpi'), { name: 'DistributedUnavailableError', message: "Backend 'mpi' requested, but the fake addon is missing. Rebuild the fake." });
    } finally {
      setMpiLoader(null);
    }
    const cause = new Error('MPI_Init failed');
    await withAddon(fakeAddon({ initError: cause }), () => {
      assert.throws(() => initialize('mpi'), (e: unknown) => {
        assert.ok(e instanceof DistributedUnavailableError);
        assert.equal(e.message, "Backend 'mpi' could not be initialized. Rebuild the fake.");
        assert.equal(e.cause, cause);
        return true;
      });
      assert.equal(backend(), null);
    });
  });
});
