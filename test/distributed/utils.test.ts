/**
 * The rest of Ignite's idist in one process (serial, and with the stand-in addon of fake-mpi.ts): device,
 * modelName, has*Support, newGroup's argument checks, oneRankFirst, allGatherTensorsWithShapes, setLocalRank,
 * hostname, Parallel's nprocPerNode checks, and how job failures reported by the addon become
 * DistributedJobErrors and how Parallel ends the job (with this rank's error sent to the others).
 */
import assert from 'node:assert/strict';
import { hostname as osHostname } from 'node:os';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  DistributedJobError,
  Parallel,
  allGatherTensorsWithShapes,
  allReduce,
  barrier,
  device,
  getLocalRank,
  hasHvdSupport,
  hasXlaSupport,
  hostname,
  initialize,
  modelName,
  newGroup,
  oneRankFirst,
  setLocalRank,
} from '../../src/distributed/index.js';
import { setMpiLoader } from '../../src/distributed/context.js';
import { installMpi } from '../../src/node/index.js';
import { fakeAddon, withAddon } from './fake-mpi.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('idist utilities, serial', () => {
  it('device is the active TF.js backend; modelName serial; XLA and Horovod support false', async () => {
    await tf.setBackend('cpu');
    assert.equal(device(), 'cpu');
    assert.equal(modelName(), 'serial');
    assert.equal(hasXlaSupport, false);
    assert.equal(hasHvdSupport, false);
  });

  it('hostname is the machine name under Node', () => {
    installMpi();
    assert.equal(hostname(), osHostname());
  });

  it('newGroup checks its ranks; a serial group of [0] reduces to the value itself', () => {
    assert.throws(() => newGroup([1]), /Argument ranks should hold distinct ranks in \[0, 1\), but given \[1\]/);
    assert.throws(() => newGroup([]), /non-empty list of ranks/);
    assert.throws(() => allReduce(3, 'SUM', 'x' as unknown as number[]), /Argument group should be a list of int or a ProcessGroup/);
    const g = newGroup([0]);
    assert.deepEqual([g.ranks, g.isMember], [[0], true]);
    assert.equal(allReduce(3, 'SUM', g), 3);
  });

  it('oneRankFirst runs the function and checks the rank (Ignite: rank should be between 0 and size - 1)', async () => {
    assert.equal(await oneRankFirst(() => 7), 7);
    assert.equal(await oneRankFirst(() => Promise.resolve(8), { local: true }), 8);
    await assert.rejects(oneRankFirst(() => 1, { rank: 1 }), /rank should be between 0 and 0, but given 1/);
  });

  it('allGatherTensorsWithShapes returns [a clone] and checks the shape list', () => {
    const t = tf.tensor2d([[1, 2]]);
    const [c] = allGatherTensorsWithShapes(t, [[1, 2]]);
    assert.deepEqual(c?.arraySync(), [[1, 2]]);
    assert.notEqual(c, t);
    assert.throws(() => allGatherTensorsWithShapes(t, [[1, 2], [2, 2]]), /one shape per rank of the group \(1\), but given 2/);
    assert.throws(() => allGatherTensorsWithShapes(t, [[2, 2]]), /shapeList\[0\] is \[2, 2\], but this rank's tensor has shape \[1, 2\]/);
    if (c !== undefined) c.dispose();
    t.dispose();
  });

  it('setLocalRank rejects negative or fractional ranks', () => {
    assert.throws(() => setLocalRank(-1), /non-negative integer, but given -1/);
    assert.throws(() => setLocalRank(0.5), RangeError);
  });

  it("Parallel checks nprocPerNode like Ignite's nproc_per_node", () => {
    assert.throws(() => new Parallel({ nprocPerNode: 2 }), /If backend is null, argument 'nprocPerNode' should be also undefined, but given 2/);
    assert.throws(() => new Parallel({ backend: 'mpi', nprocPerNode: 0 }), /nprocPerNode should be a positive integer, but given 0/);
  });
});

describe('idist with a stand-in addon', () => {
  it('setLocalRank is the local rank of the next context', async () => {
    const addon = fakeAddon();
    setLocalRank(5);
    await withAddon(addon, () => {
      initialize('mpi');
      assert.equal(getLocalRank(), 5);
    });
  });

  it('a lost rank reported by the addon is a DistributedJobError naming it; Parallel ends the job without resending it', async () => {
    const addon = fakeAddon();
    addon.barrier = () => {
      throw Object.assign(new Error('kindling MPI: barrier cannot complete: lost rank 0'), { code: 'KINDLING_MPI_PEER_LOST', ranks: [0] });
    };
    await withAddon(addon, async () => {
      const error = await new Parallel({ backend: 'mpi', logger: silent }).run(() => barrier()).catch((e: unknown) => e);
      assert.ok(error instanceof DistributedJobError, String(error));
      assert.deepEqual([error.code, error.ranks], ['KINDLING_MPI_PEER_LOST', [0]]);
      assert.match(error.message, /lost rank 0/);
    });
    assert.deepEqual(addon.calls.filter((c) => c.startsWith('abort')), ['abort 1']);
  });

  it("a rank's own error is sent to the others with the abort", async () => {
    const addon = fakeAddon();
    await withAddon(addon, async () => {
      await assert.rejects(new Parallel({ backend: 'mpi', logger: silent }).run(() => { throw new TypeError('bad batch'); }), /bad batch/);
    });
    assert.deepEqual(addon.calls.filter((c) => c.startsWith('abort')), ['abort 1 TypeError: bad batch']);
  });
});

describe('Parallel({ nprocPerNode }) outside mpirun', () => {
  it('checks that MPI is usable before starting any rank', async () => {
    let launched = 0;
    setMpiLoader({
      load: () => ({ reason: 'the addon was not built.' }),
      howToEnable: 'Build it.',
      launchedByMpi: () => false,
      launch: () => { launched += 1; return Promise.resolve(); },
    });
    try {
      await assert.rejects(new Parallel({ backend: 'mpi', nprocPerNode: 2 }).run(() => 1), /nprocPerNode 2, but the addon was not built\. Build it\./);
      assert.equal(launched, 0);
    } finally {
      setMpiLoader(null);
    }
  });

  it('starts the ranks through the loader and resolves with undefined', async () => {
    const started: number[] = [];
    setMpiLoader({
      load: () => ({ addon: fakeAddon() }),
      howToEnable: '',
      launchedByMpi: () => false,
      launch: (n) => { started.push(n); return Promise.resolve(); },
    });
    try {
      let ran = false;
      const result = await new Parallel({ backend: 'mpi', nprocPerNode: 3 }).run(() => { ran = true; return 5; });
      assert.deepEqual([result, ran, started], [undefined, false, [3]]);
    } finally {
      setMpiLoader(null);
    }
  });
});
