import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader, NdArray } from '../../src/data/index.js';
import { CsvDataset } from '../../src/node/index.js';
import { RandomGenerator } from '../../src/random/generator.js';

let dir = '';
const values = (x: unknown): number[] => Array.from((x as NdArray).data);

describe('CsvDataset', () => {
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'kindling-csv-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(name: string, text: string): string {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  }

  it('reads typed rows lazily: features as float32, an int label; quoted fields, CRLF, BOM and blank lines', () => {
    const file = write('a.csv', '\uFEFFa,name,b,y\r\n1.5,"x, ""quoted""\nline",2,0\r\n\r\n-3,plain,4e2,1\n5,z,6,2');
    const ds = new CsvDataset(file, { features: ['a', 'b'], label: 'y' });
    assert.equal(ds.length, 3);
    assert.deepEqual(ds.columns, ['a', 'name', 'b', 'y']);
    const [x0, y0] = ds.get(0);
    assert.ok((x0 as NdArray).data instanceof Float32Array);
    assert.deepEqual([values(x0), y0], [[1.5, 2], 0]);
    assert.deepEqual([values(ds.get(1)[0]), ds.get(1)[1]], [[-3, 400], 1]);
    assert.deepEqual([values(ds.get(2)[0]), ds.get(2)[1]], [[5, 6], 2]);
    assert.throws(() => ds.get(3), /Index 3 is out of range for a CsvDataset of 3 rows/);
  });

  it('defaults: every other column is a feature; float labels stay float32; categories map to sorted classes', () => {
    const file = write('b.csv', 'f1,f2,kind,target\n1,2,cat,0.5\n3,4,dog,1\n5,6,cat,2\n');
    const reg = new CsvDataset(file, { label: 'target', labelType: 'float', features: [0, 1] });
    const [, t] = reg.get(1);
    assert.ok(t instanceof NdArray && t.data instanceof Float32Array && t.shape.length === 0);
    const cls = new CsvDataset(file, { label: 'kind', labelType: 'category', features: ['f1', 'f2'] });
    assert.deepEqual(cls.classes, ['cat', 'dog']);
    assert.deepEqual([0, 1, 2].map((i) => cls.get(i)[1]), [0, 1, 0]);
    assert.deepEqual(new CsvDataset(file, { label: 'kind', labelType: 'category', classes: ['dog', 'cat'], features: ['f1'] }).get(0)[1], 1);
    const noHeader = new CsvDataset(write('c.csv', '1;2;3\n4;5;6\n'), { header: false, delimiter: ';', label: 2 });
    assert.deepEqual(noHeader.featureNames, ['0', '1']);
    assert.deepEqual([values(noHeader.get(1)[0]), noHeader.get(1)[1]], [[4, 5], 6]);
  });

  it('bad files and cells give errors naming the file, row and column', () => {
    const file = write('bad.csv', 'a,b,y\n1,,0\n1,x,0\n1,2\n1,2,0.5\n');
    const ds = new CsvDataset(file, { label: 'y' });
    assert.throws(() => ds.get(0), (e: Error) => e.message.includes(file) && /data row 0 column "b": expected a number, but given ""/.test(e.message));
    assert.throws(() => ds.get(1), /data row 1 column "b": expected a number, but given "x"/);
    assert.throws(() => ds.get(2), /data row 2 has 2 fields, but the header has 3/);
    assert.throws(() => ds.get(3), /the label 0.5 is not an integer; use labelType: 'float'/);
    assert.deepEqual(values(new CsvDataset(file, { label: 'y', missing: -1 }).get(0)[0]), [1, -1]);
    assert.throws(() => new CsvDataset(file, { label: 'nope' }), /has no column "nope"; its columns are a, b, y/);
    assert.throws(() => new CsvDataset(join(dir, 'missing.csv')), /cannot read .*missing.csv/);
    assert.throws(() => new CsvDataset(write('empty.csv', '')), /is empty/);
    assert.throws(() => new CsvDataset(write('head.csv', 'a,b\n')), /has a header but no data row/);
  });

  it('batches through the DataLoader as [float32 [B, F], int32 [B]] without leaking; the transform gets the rng', () => {
    const file = write('d.csv', 'a,b,y\n' + Array.from({ length: 10 }, (_, i) => `${i},${i * 2},${i % 3}`).join('\n'));
    const before = tf.memory().numTensors;
    const loader = new DataLoader(new CsvDataset(file, { label: 'y' }), { batchSize: 4 });
    const firsts: number[] = [];
    for (const [x, y] of loader as Iterable<[tf.Tensor, tf.Tensor]>) {
      assert.equal(x.dtype, 'float32');
      assert.equal(y.dtype, 'int32');
      firsts.push(x.shape[0] ?? 0);
    }
    loader.dispose();
    assert.deepEqual(firsts, [4, 4, 2]);
    assert.equal(tf.memory().numTensors, before);
    const noisy = new CsvDataset(file, { label: 'y', transform: ([x, y], rng) => [x.data[0] as number + rng.random(), y] });
    assert.deepEqual(noisy.get(3, new RandomGenerator(1)), noisy.get(3, new RandomGenerator(1)));
  });

  it('a shuffled epoch over a CSV 4x larger than the heap cap visits every row exactly once', () => {
    const file = join(dir, 'big.csv');
    const rows = 50_000;
    const features = 300;
    const fd = openSync(file, 'w');
    writeSync(fd, `id,${Array.from({ length: features }, (_, k) => `f${k}`).join(',')},label\n`);
    for (let r = 0; r < rows; r += 1000) {
      const lines: string[] = [];
      for (let i = r; i < r + 1000; i += 1) {
        const cells = Array.from({ length: features }, (_, k) => (((i * 31 + k * 17) % 1000) / 7).toFixed(5));
        lines.push(`${i},${cells.join(',')},${i % 10}`);
      }
      writeSync(fd, `${lines.join('\n')}\n`);
    }
    closeSync(fd);
    const heapCapMB = 32;
    assert.ok(statSync(file).size > 4 * heapCapMB * 2 ** 20);
    const child = spawnSync(process.execPath, [`--max-old-space-size=${heapCapMB}`, '--conditions=kindling-source', '--import', 'tsx', new URL('./fixtures/csv-epoch.ts', import.meta.url).pathname, file], { encoding: 'utf8', cwd: process.cwd() });
    assert.equal(child.status, 0, child.stderr);
    const summary = JSON.parse(child.stdout.slice(child.stdout.indexOf('{'))) as { rows: number; once: number; batches: number; firstIds: number[]; tensors: number };
    assert.equal(summary.rows, rows);
    assert.equal(summary.once, rows);
    assert.equal(summary.batches, Math.ceil(rows / 128));
    assert.notDeepEqual(summary.firstIds, [0, 1, 2, 3, 4]); // shuffled
    assert.equal(summary.tensors, 0);
    rmSync(file);
  });
});
