import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
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

describe('ParquetDataset.openImages', () => {
  let imgDir = '';
  const W = 5;
  const H = 3;
  /** A deterministic RGB image, different for each `k`. */
  const pixels = (k: number): Uint8Array => Uint8Array.from({ length: H * W * 3 }, (_, i) => (i * 37 + k * 11) % 256);
  const png = async (k: number): Promise<Uint8Array> =>
    new Uint8Array(await sharp(Buffer.from(pixels(k)), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer());

  before(async () => {
    await tf.setBackend('cpu');
    imgDir = mkdtempSync(join(tmpdir(), 'kindling-parquet-img-'));
    const images = await Promise.all([0, 1, 2, 3, 4, 5].map(png));
    // As Hugging Face `datasets` writes an Image() column: a struct { bytes, path }; row 5 keeps only a relative path.
    writeFileSync(join(imgDir, 'five.png'), images[5] as Uint8Array);
    const structs = images.map((bytes, k) => (k === 5 ? { bytes: null, path: 'five.png' } : { bytes, path: `${k}.png` }));
    writeFileSync(join(imgDir, 'hf.parquet'), new Uint8Array(parquetWriteBuffer({
      columnData: [{ name: 'image', data: structs }, { name: 'label', data: [0, 1, 2, 0, 1, 2] }],
      schema: [
        { name: 'root', num_children: 2 },
        { name: 'image', repetition_type: 'OPTIONAL', num_children: 2 },
        { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
        { name: 'path', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'label', type: 'INT32', repetition_type: 'REQUIRED' },
      ],
      rowGroupSize: 4,
    })));
    // Plain binary cells, with a string label and one undecodable cell.
    const raw = [...images.slice(0, 3), new Uint8Array([1, 2, 3, 4])];
    writeFileSync(join(imgDir, 'raw.parquet'), new Uint8Array(parquetWriteBuffer({
      columnData: [
        { name: 'png', data: raw, type: 'BYTE_ARRAY' },
        { name: 'kind', data: ['cat', 'dog', 'cat', 'dog'], type: 'STRING' },
      ],
    })));
  });
  after(() => rmSync(imgDir, { recursive: true, force: true }));

  it('decodes Hugging Face Image() structs (bytes, or a path relative to the file) to HWC uint8 RGB, exactly', async () => {
    const ds = await ParquetDataset.openImages(join(imgDir, 'hf.parquet'), { image: 'image', label: 'label' });
    assert.equal(ds.length, 6);
    assert.equal(ds.imageColumn, 'image');
    for (const k of [0, 4, 5, 2]) {
      const [img, y] = await ds.get(k);
      assert.ok(img.data instanceof Uint8Array);
      assert.deepEqual(img.shape, [H, W, 3]);
      assert.deepEqual(Array.from(img.data), Array.from(pixels(k)), `row ${k}`);
      assert.equal(y, k % 3);
    }
  });

  it('binary cells with categorical labels feed a DataLoader through a transform, leak-free; bad cells name the row', async () => {
    const ds = await ParquetDataset.openImages(join(imgDir, 'raw.parquet'), {
      image: 'png',
      label: 'kind',
      labelType: 'category',
      transform: ([img, y]) => [new NdArray(Float32Array.from(img.data, (v) => v / 255), img.shape), y] as const,
    });
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    const before = tf.memory().numTensors;
    const loader = new DataLoader(ds, { batchSize: 3, sampler: { length: 3, *[Symbol.iterator]() { yield* [0, 1, 2]; } } });
    for await (const [x, y] of loader as AsyncIterable<[tf.Tensor, tf.Tensor]>) {
      assert.deepEqual(x.shape, [3, H, W, 3]);
      assert.deepEqual(Array.from(await y.data()), [0, 1, 0]);
      assert.ok(Math.abs(((await x.data())[3] as number) - (pixels(0)[3] as number) / 255) < 1e-6);
    }
    loader.dispose();
    assert.equal(tf.memory().numTensors, before);
    await assert.rejects(ds.get(3), /raw\.parquet row 3 column "png" is not a decodable image \(4 bytes\)/);
  });

  it('rejects a missing or non-image column with what was expected', async () => {
    await assert.rejects(ParquetDataset.openImages(join(imgDir, 'raw.parquet'), { image: 'picture' }), /has no column "picture"; its columns are png, kind/);
    await assert.rejects(ParquetDataset.openImages(join(imgDir, 'raw.parquet'), {} as never), /needs the image option/);
    const ds = await ParquetDataset.openImages(join(imgDir, 'hf.parquet'), { image: 'label' });
    await assert.rejects(ds.get(0), /column "label" should hold encoded images \(binary, or \{ bytes, path \} structs\), but holds number/);
  });
});
