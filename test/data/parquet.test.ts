import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader, NdArray } from '../../src/data/index.js';
import { ParquetDataset } from '../../src/node/index.js';
import { RandomGenerator } from '../../src/random/generator.js';

let dir = '';
const values = (x: unknown): number[] => Array.from((x as NdArray).data);

/** Writes a real Parquet file (hyparquet-writer) with rows `from .. from + n - 1` in row groups of 4 rows. */
function writeParquet(name: string, from: number, n: number): string {
  const ids = Array.from({ length: n }, (_, i) => from + i);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'x1', data: ids.map((i) => i * 0.5), type: 'DOUBLE' },
      { name: 'x2', data: ids.map((i) => i), type: 'INT32' },
      { name: 'big', data: ids.map((i) => BigInt(i * 1000)), type: 'INT64' },
      { name: 'kind', data: ids.map((i) => (i % 3 === 0 ? 'fizz' : 'other')), type: 'STRING' },
      { name: 'label', data: ids.map((i) => i % 5), type: 'INT32' },
    ],
    rowGroupSize: 4,
  });
  const file = join(dir, name);
  writeFileSync(file, new Uint8Array(buffer));
  return file;
}

describe('ParquetDataset', () => {
  let a = '';
  let b = '';
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'kindling-parquet-'));
    a = writeParquet('part-0.parquet', 0, 10);
    b = writeParquet('part-1.parquet', 10, 7);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('concatenates the files and reads rows by row group: features float32, bigint and int columns, int labels', async () => {
    const ds = await ParquetDataset.open([a, b], { columns: ['x1', 'x2', 'big'], label: 'label' });
    assert.equal(ds.length, 17);
    assert.deepEqual(ds.featureNames, ['x1', 'x2', 'big']);
    for (const i of [0, 3, 4, 9, 10, 16, 5]) {
      const [x, y] = await ds.get(i);
      assert.ok((x as NdArray).data instanceof Float32Array);
      assert.deepEqual([values(x), y], [[i * 0.5, i, i * 1000], i % 5]);
    }
    await assert.rejects(ds.get(17), /Index 17 is out of range for a ParquetDataset of 17 rows/);
  });

  it('categorical labels (sorted distinct values), float labels, defaults to every other numeric column', async () => {
    const cat = await ParquetDataset.open([a, b], { columns: ['x2'], label: 'kind', labelType: 'category' });
    assert.deepEqual(cat.classes, ['fizz', 'other']);
    assert.deepEqual(await Promise.all([0, 1, 12].map(async (i) => (await cat.get(i))[1])), [0, 1, 0]);
    const reg = await ParquetDataset.open(a, { columns: ['x2'], label: 'x1', labelType: 'float' });
    const [, t] = await reg.get(3);
    assert.ok(t instanceof NdArray && t.data[0] === 1.5);
    const all = await ParquetDataset.open(a, { label: 'label' });
    assert.deepEqual(all.featureNames, ['x1', 'x2', 'big', 'kind']);
    await assert.rejects(all.get(0), /column "kind" is string, not numeric. Leave it out of `columns`/);
  });

  it('a shuffled DataLoader pass visits every row once, batches [float32 [B, F], int32 [B]], no leak', async () => {
    const ds = await ParquetDataset.open([a, b], { columns: ['x2'], label: 'label', cacheRowGroups: 2 });
    const before = tf.memory().numTensors;
    const loader = new DataLoader(ds, { batchSize: 5, shuffle: true, seed: 3 });
    const seen: number[] = [];
    for await (const [x, y] of loader as AsyncIterable<[tf.Tensor, tf.Tensor]>) {
      assert.equal(x.dtype, 'float32');
      assert.equal(y.dtype, 'int32');
      seen.push(...Array.from(x.dataSync()));
    }
    loader.dispose();
    assert.equal(tf.memory().numTensors, before);
    assert.notDeepEqual(seen, [...seen].sort((p, q) => p - q));
    assert.deepEqual([...seen].sort((p, q) => p - q), Array.from({ length: 17 }, (_, i) => i));
  });

  it('the transform gets the sample generator', async () => {
    const ds = await ParquetDataset.open(a, { columns: ['x1'], label: 'label', transform: ([x, y], rng) => [(x.data[0] as number) + rng.random(), y] });
    assert.deepEqual(await ds.get(2, new RandomGenerator(4)), await ds.get(2, new RandomGenerator(4)));
    assert.notDeepEqual(await ds.get(2, new RandomGenerator(4)), await ds.get(2, new RandomGenerator(5)));
  });

  it('bad files and columns give errors naming the file and the problem', async () => {
    const bad = join(dir, 'bad.parquet');
    writeFileSync(bad, 'definitely not parquet');
    await assert.rejects(ParquetDataset.open([a, bad]), (e: Error) => e.message.includes(bad) && /is not a readable Parquet file/.test(e.message));
    await assert.rejects(ParquetDataset.open(a, { label: 'nope' }), /part-0.parquet has no column "nope"; its columns are x1, x2, big, kind, label/);
    await assert.rejects(ParquetDataset.open([]), /at least one file/);
    await assert.rejects(ParquetDataset.open(join(dir, 'missing.parquet')), /missing.parquet is not a readable Parquet file/);
  });
});
