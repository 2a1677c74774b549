import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelFor, describeData, detectData, isTable } from '../../src/cli/detect-data.js';
import { CliError } from '../../src/cli/errors.js';

let root = '';
const dir = (...parts: string[]): string => {
  const p = join(root, ...parts);
  mkdirSync(p, { recursive: true });
  return p;
};
const file = (path: string, bytes: Uint8Array | string = 'x'): string => {
  writeFileSync(path, bytes);
  return path;
};

describe('detectData', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kindling-detect-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('detects IDX files, CIFAR-10/100 binaries (also in their archive sub-directory), and picks the MLP / CNN', () => {
    const idx = dir('idx');
    file(join(idx, 'train-images-idx3-ubyte.gz'));
    assert.deepEqual(detectData(idx), { kind: 'idx', dir: idx });
    const c10 = dir('c10', 'cifar-10-batches-bin');
    for (const n of ['data_batch_1.bin', 'test_batch.bin']) file(join(c10, n), new Uint8Array(3073));
    const d10 = detectData(join(root, 'c10'));
    assert.deepEqual(d10, { kind: 'cifar', dir: c10, variant: 10 });
    assert.equal(describeData(d10), `CIFAR-10 binary files in ${c10}`);
    const c100 = dir('c100');
    for (const n of ['train.bin', 'test.bin']) file(join(c100, n), new Uint8Array(3074));
    assert.deepEqual(detectData(c100), { kind: 'cifar', dir: c100, variant: 100 });
    assert.equal(defaultModelFor(d10), 'cnn');
    assert.equal(defaultModelFor(detectData(idx)), 'mlp');
  });

  it('detects ImageFolder trees (class sub-directories with images; optional train/ and test/ splits)', () => {
    const flat = dir('flat');
    for (const c of ['dog', 'cat']) file(join(dir('flat', c), 'a.PNG'));
    const d = detectData(flat);
    assert.deepEqual(d, { kind: 'image-folder', train: flat, test: null, classes: ['cat', 'dog'] });
    assert.match(describeData(d), /ImageFolder tree .* \(2 classes\)/);
    const split = dir('split');
    for (const s of ['train', 'val']) for (const c of ['a', 'b', 'c']) file(join(dir('split', s, c), 'x.jpg'));
    assert.deepEqual(detectData(split), { kind: 'image-folder', train: join(split, 'train'), test: join(split, 'val'), classes: ['a', 'b', 'c'] });
    assert.equal(defaultModelFor(detectData(split)), 'cnn');
  });

  it('detects CSV and Parquet tables (a file, or a directory of Parquet files) and describes the label column', () => {
    const csv = file(join(root, 'rows.csv'), 'a,b,y\n1,2,0\n');
    const d = detectData(csv);
    assert.ok(isTable(d));
    assert.equal(describeData(d, 'y'), `the CSV file ${csv} (label column 'y')`);
    assert.equal(defaultModelFor(d), 'mlp');
    const pq = dir('hf');
    file(join(pq, 'train-00001.parquet'));
    file(join(pq, 'train-00000.parquet'));
    assert.deepEqual(detectData(pq), { kind: 'parquet', files: [join(pq, 'train-00000.parquet'), join(pq, 'train-00001.parquet')] });
  });

  it('fails with one line saying what it expected (exit code 1)', () => {
    const check = (path: string, re: RegExp): void =>
      assert.throws(() => detectData(path), (e: unknown) => e instanceof CliError && e.exitCode === 1 && re.test(e.message));
    check(join(root, 'missing'), /--data '.*missing' does not exist/);
    check(file(join(root, 'model.h5')), /unknown extension '\.h5': kindling reads \.csv and \.parquet files/);
    check(dir('empty'), /cannot tell what --data '.*empty' holds: expected MNIST IDX files/);
  });
});
