import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader, NdArray, SequentialSampler, TensorDataset, type MapDataset } from '../../src/data/index.js';
import { Engine, Events } from '../../src/engine/index.js';
import { manualSeed, restoreMathRandom } from '../../src/random/index.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const values = (t: unknown): number[] => Array.from((t as tf.Tensor).dataSync());

/** Samples [x = [i, i + 0.5], y = i % 3]. */
const pairs = (n: number): [number[], number][] => range(n).map((i) => [[i, i + 0.5], i % 3]);

describe('DataLoader', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => restoreMathRandom());

  it('batches in order with the right shapes, dtypes and length', () => {
    const loader = new DataLoader(pairs(7), { batchSize: 3 });
    assert.equal(loader.length, 3);
    const xs: number[][] = [];
    const ys: number[][] = [];
    for (const [x, y] of loader as Iterable<[tf.Tensor, tf.Tensor]>) {
      assert.equal(x.dtype, 'float32');
      assert.equal(y.dtype, 'int32');
      xs.push(values(x));
      ys.push(values(y));
    }
    assert.deepEqual(ys, [[0, 1, 2], [0, 1, 2], [0]]);
    assert.deepEqual(xs[2], [6, 6.5]);
    assert.deepEqual(xs[0], [0, 0.5, 1, 1.5, 2, 2.5]);
    assert.equal(new DataLoader(pairs(7), { batchSize: 3, dropLast: true }).length, 2);
  });

  it('shuffles every epoch, reproducibly from manualSeed or the seed option, covering every sample', () => {
    const epochOrder = (loader: Iterable<tf.Tensor[]>): number[] => {
      const out: number[] = [];
      for (const b of loader) out.push(...values(b[0]).filter((_, i) => i % 2 === 0));
      return out;
    };
    manualSeed(3);
    const l1 = new DataLoader(pairs(10), { batchSize: 4, shuffle: true });
    const a = [epochOrder(l1), epochOrder(l1)];
    assert.notDeepEqual(a[0], a[1]);
    assert.deepEqual([...(a[0] as number[])].sort((p, q) => p - q), range(10));
    manualSeed(3);
    assert.deepEqual([epochOrder(l1), epochOrder(l1)], a);
    const s1 = new DataLoader(pairs(10), { batchSize: 4, shuffle: true, seed: 8 });
    const s2 = new DataLoader(pairs(10), { batchSize: 4, shuffle: true, seed: 8 });
    manualSeed(100);
    const e1 = epochOrder(s1);
    manualSeed(200);
    assert.deepEqual(epochOrder(s2), e1);
  });

  it('rejects an empty dataset, batchSize < 1, impossible and conflicting options', () => {
    assert.throws(() => new DataLoader([]), /dataset is empty/);
    assert.throws(() => new DataLoader(pairs(3), { batchSize: 0 }), /batchSize should be a positive integer value, but got batchSize=0/);
    assert.throws(() => new DataLoader(pairs(3), { batchSize: -2 }), RangeError);
    assert.throws(() => new DataLoader(pairs(3), { batchSize: 4, dropLast: true }), /yields no batch/);
    assert.throws(() => new DataLoader(pairs(3), { shuffle: true, sampler: new SequentialSampler([1]) }), /mutually exclusive/);
    assert.throws(() => new DataLoader(pairs(3), { batchSize: 2, batchSampler: [[0, 1]] as unknown as never }), /mutually exclusive/);
    assert.throws(() => new DataLoader(42 as unknown as number[]), TypeError);
    assert.throws(() => new DataLoader(pairs(3), { prefetch: -1 }), RangeError);
  });

  it('reports a wrong-shaped sample with its dataset index and both shapes', () => {
    const data = pairs(4);
    data[2] = [[1, 2, 3], 0];
    const loader = new DataLoader(data, { batchSize: 4 });
    const before = tf.memory().numTensors;
    assert.throws(() => [...loader], /index 2 has shape \[3\] at batch\[0\], but the sample at index 0 has shape \[2\]/);
    assert.equal(tf.memory().numTensors, before);
  });

  it('disposes each batch when the next is requested, on break, on return() and on dispose()', () => {
    const loader = new DataLoader(pairs(9), { batchSize: 2 });
    const start = tf.memory().numTensors;
    const seen: tf.Tensor[] = [];
    for (const [x] of loader as Iterable<[tf.Tensor, tf.Tensor]>) {
      seen.push(x);
      assert.equal(tf.memory().numTensors, start + 2, 'only the current batch is alive');
    }
    assert.ok(seen.every((t) => t.isDisposed));
    assert.equal(tf.memory().numTensors, start);
    for (const batch of loader) {
      void batch;
      break;
    }
    assert.equal(tf.memory().numTensors, start);
    const it = loader[Symbol.iterator]();
    it.next();
    it.return?.();
    assert.equal(tf.memory().numTensors, start);
    // an abandoned iterator's batch is released by dispose(), or when a new iteration starts
    const abandoned = loader[Symbol.iterator]();
    abandoned.next();
    assert.equal(tf.memory().numTensors, start + 2);
    const fresh = loader[Symbol.iterator]();
    assert.equal(tf.memory().numTensors, start);
    fresh.next();
    loader.dispose();
    assert.equal(tf.memory().numTensors, start);
    assert.equal(fresh.next().done, true);
  });

  it('keeps tf.memory().numTensors flat across epochs of an Engine run', async () => {
    const ds = new TensorDataset(new NdArray(Float32Array.from(range(40)), [20, 2]), Int32Array.from(range(20)));
    const loader = new DataLoader(ds, { batchSize: 3, shuffle: true });
    const start = tf.memory().numTensors;
    const counts: number[] = [];
    let sum = 0;
    const engine = new Engine((_e, [x, y]: tf.Tensor[]) => {
      sum += tf.tidy(() => tf.add(tf.sum(x as tf.Tensor), tf.sum(y as tf.Tensor)).dataSync()[0] as number);
    });
    engine.on(Events.EPOCH_COMPLETED, () => counts.push(tf.memory().numTensors));
    await engine.run(loader, { maxEpochs: 4 });
    assert.equal(new Set(counts).size, 1, `tensor counts per epoch: ${counts.join(',')}`);
    const perEpoch = range(40).reduce((a, b) => a + b, 0) + range(20).reduce((a, b) => a + b, 0);
    assert.equal(sum, 4 * perEpoch);
    loader.dispose();
    assert.equal(tf.memory().numTensors, start);
  });

  it('reads async datasets ahead (prefetch) and is only async-iterable', async () => {
    let started = 0;
    let finished = 0;
    const ds: MapDataset<[number, number]> = {
      length: 10,
      async get(i: number) {
        started += 1;
        await new Promise((r) => setTimeout(r, 1));
        finished += 1;
        return [i, i * 2] as [number, number];
      },
    };
    const loader = new DataLoader(ds, { batchSize: 2, prefetch: 2 });
    assert.equal(loader.isAsync, true);
    assert.equal(typeof (loader as unknown as Record<symbol, unknown>)[Symbol.iterator], 'undefined');
    const it = loader[Symbol.asyncIterator]();
    const first = await it.next();
    assert.equal(started, 6, 'the first batch plus 2 batches read ahead');
    assert.deepEqual(values((first.value as tf.Tensor[])[1]), [0, 2]);
    const rest: number[] = [];
    for (let r = await it.next(); r.done !== true; r = await it.next()) rest.push(...values((r.value as tf.Tensor[])[0]));
    assert.deepEqual(rest, range(10).slice(2));
    assert.equal(finished, 10);
    const start = tf.memory().numTensors;
    const it2 = loader[Symbol.asyncIterator]();
    await it2.next();
    await it2.return?.();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(tf.memory().numTensors, start, 'read-ahead batches are disposed after return()');
    const engine = new Engine((_e, b: tf.Tensor[]) => values(b[0])[0]);
    const state = await engine.run(loader, { maxEpochs: 2 });
    assert.equal(state.iteration, 10);
    loader.dispose();
  });

  it('a sync loader over a dataset returning promises explains how to fix it', () => {
    const ds = { length: 2, get: (i: number) => Promise.resolve(i) };
    const loader = new DataLoader(ds, { batchSize: 1 });
    assert.throws(() => [...loader], /returned a Promise.*async: true/);
  });
});

describe('TensorDataset', () => {
  it('aligns columns, builds batches without per-sample tensors, and does not retain input tensors', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const y = tf.tensor1d([0, 1, 2], 'int32');
    const ds = new TensorDataset(x, y);
    tf.dispose([x, y]);
    assert.equal(ds.length, 3);
    const [xi, yi] = ds.get(1) as [NdArray, number];
    assert.deepEqual(Array.from(xi.data), [3, 4]);
    assert.equal(yi, 1);
    const before = tf.memory().numTensors;
    const [bx, by] = ds.getBatch([2, 0]);
    assert.deepEqual(bx?.arraySync(), [[5, 6], [1, 2]]);
    assert.deepEqual(by?.arraySync(), [2, 0]);
    assert.equal(by?.dtype, 'int32');
    tf.dispose([bx, by]);
    assert.equal(tf.memory().numTensors, before);
    assert.throws(() => new TensorDataset(new Float32Array(3), new Int32Array(4)), /Size mismatch between tensors/);
    assert.throws(() => new TensorDataset(), RangeError);
    assert.throws(() => ds.get(3), RangeError);
    const nested = new TensorDataset([[1, 2], [3, 4]], [0.5, 1]);
    assert.deepEqual(nested.columns.map((c) => c.dtype), ['int32', 'float32']);
  });
});
