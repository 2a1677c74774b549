/**
 * The distributed API in one process (world size 1, Parallel({ backend: null })): everything is an identity and
 * training scripts written for several processes run unchanged. Also: the samplers' sharding semantics, and the
 * error when 'mpi' is requested without the addon.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { DataLoader, SequentialSampler } from '../../src/index.js';
import {
  DistributedProxySampler,
  DistributedSampler,
  Parallel,
  allGather,
  allReduce,
  autoDataloader,
  autoModel,
  autoOptim,
  averageGradients,
  backend,
  barrier,
  broadcast,
  getLocalRank,
  getNnodes,
  getNodeRank,
  getNprocPerNode,
  getRank,
  getWorldSize,
  initialize,
  isDistributedOptimizer,
  oneRankOnly,
} from '../../src/distributed/index.js';

describe('distributed API in a single process', () => {
  it('reports rank 0 of 1', () => {
    assert.deepEqual([getRank(), getWorldSize(), getLocalRank(), getNprocPerNode(), getNnodes(), getNodeRank(), backend()], [0, 1, 0, 1, 1, 0, null]);
    barrier();
  });

  it('collectives are identities', () => {
    assert.equal(allReduce(3), 3);
    assert.deepEqual(allReduce([1, 2], 'MAX'), [1, 2]);
    assert.deepEqual(allGather(5), [5]);
    assert.deepEqual(allGather('a'), ['a']);
    assert.deepEqual(Array.from(allGather(new Int32Array([1, 2]))), [1, 2]);
    assert.equal(broadcast('x'), 'x');
    assert.equal(broadcast(7, { src: 0 }), 7);
    assert.throws(() => broadcast(7, { src: 1 }), RangeError);
    assert.throws(() => allReduce(1, 'MEAN' as never), /Unsupported all reduce op/);
    const t = tf.tensor1d([1, 2]);
    const r = allReduce(t);
    assert.notEqual(r, t);
    assert.deepEqual(Array.from(r.dataSync()), [1, 2]);
    tf.dispose([t, r]);
  });

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
    assert.throws(() => initialize('gloo' as never), /Unknown backend 'gloo'/);
  });

  it("Parallel({ backend: 'mpi' }) without the addon throws how to enable it", () => {
    const script = "import { Parallel } from './src/distributed/index.ts';\n" +
      "try { await new Parallel({ backend: 'mpi' }).run(() => 1); console.log('ran'); }\n" +
      "catch (e) { console.log(e.name + ': ' + e.message); }";
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, KINDLING_MPI_ADDON: '/nonexistent/kindling_mpi.node' },
      encoding: 'utf8',
    });
    assert.match(out, /^DistributedUnavailableError: Backend 'mpi' requested/);
    assert.match(out, /apt-get install libopenmpi-dev openmpi-bin/);
    assert.match(out, /node scripts\/build-native\.mjs mpi/);
    assert.match(out, /mpirun -np 2/);
  });

  it('oneRankOnly runs on rank 0', async () => {
    assert.equal(oneRankOnly((x: number) => x * 2)(3), 6);
    assert.equal(oneRankOnly((x: number) => x * 2, { rank: 1 })(3), undefined);
    assert.equal(await oneRankOnly(() => Promise.resolve('done'), { withBarrier: true })(), 'done');
  });

  it('autoDataloader, autoModel and autoOptim change nothing', () => {
    const data = Array.from({ length: 10 }, (_, i) => i);
    const loader = autoDataloader(data, { batchSize: 4 });
    assert.ok(loader instanceof DataLoader);
    assert.equal(loader.batchSize, 4);
    assert.ok(loader.sampler instanceof SequentialSampler);
    const w = tf.variable(tf.tensor1d([1, 2]));
    const model = { trainableWeights: [w] };
    assert.equal(autoModel(model), model);
    const optimizer = tf.train.sgd(0.1);
    const own = Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients');
    assert.equal(autoOptim(optimizer), optimizer);
    assert.equal(Object.prototype.hasOwnProperty.call(optimizer, 'applyGradients'), own);
    assert.equal(isDistributedOptimizer(optimizer), false);
    const g = { [w.name]: tf.tensor1d([3, 4]) };
    const avg = averageGradients(g);
    assert.deepEqual(Array.from(avg[w.name]?.dataSync() ?? []), [3, 4]);
    tf.dispose([w, ...Object.values(g), ...Object.values(avg)]);
  });
});

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
