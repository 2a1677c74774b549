// The datasets `kindling train --data` builds (CIFAR binary, CSV), their splits, per-sample augmentation and worker
// references, and the CLI end to end on a CSV table and a CIFAR directory with --workers 2.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliSplit, loadDetectedData, type CliSplitSpec } from '../../src/cli/cli-datasets.js';
import { detectData } from '../../src/cli/detect-data.js';
import { RandomGenerator } from '../../src/random/generator.js';
import type { NdArray } from '../../src/data/nd-array.js';

const ENTRY = join(import.meta.dirname, 'kindling-entry.ts');
const run = (args: string[]): { code: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...args], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A real CIFAR-10 binary file: per record a label byte and 3072 CHW bytes; pixel (c, 0, 0) = label * 10 + c. */
function writeCifar(path: string, n: number): void {
  const bytes = new Uint8Array(n * 3073);
  for (let i = 0; i < n; i += 1) {
    const y = i % 10;
    bytes[i * 3073] = y;
    for (let c = 0; c < 3; c += 1) bytes.fill(y * 10 + c, i * 3073 + 1 + c * 1024, i * 3073 + 1 + (c + 1) * 1024);
  }
  writeFileSync(path, bytes);
}

describe('CLI datasets', () => {
  let root = '';
  let cifar = '';
  let csv = '';
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kindling-cli-data-'));
    cifar = join(root, 'cifar');
    mkdirSync(cifar);
    writeCifar(join(cifar, 'data_batch_1.bin'), 100);
    writeCifar(join(cifar, 'test_batch.bin'), 20);
    csv = join(root, 'rows.csv');
    const rows = Array.from({ length: 120 }, (_, i) => `${(i % 3) + Math.sin(i) / 10},${i / 120},${i % 3}`);
    writeFileSync(csv, `a,b,cls\n${rows.join('\n')}\n`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds CIFAR splits (90/10 train/validation + the test file) as float32 HWC in [0, 1], augmenting only training samples', async () => {
    const d = detectData(cifar);
    assert.equal(d.kind, 'cifar');
    const s = await loadDetectedData(d, { imageSize: 32, augment: true });
    assert.deepEqual([s.train.length, s.val.length, s.test.length], [90, 10, 20]);
    assert.deepEqual(s.inputShape, [32, 32, 3]);
    assert.equal(s.numClasses, 10);
    const [x, y] = await s.test.get(3);
    assert.equal(y, 3);
    assert.ok(x.data instanceof Float32Array);
    assert.deepEqual(Array.from(x.data.subarray(0, 3)), [30 / 255, 31 / 255, 32 / 255].map(Math.fround));
    // Training samples: crop (padding 4) + flip drawn from the sample's generator: same generator, same sample.
    const a = (await s.train.get(5, new RandomGenerator(1, 5)))[0] as NdArray;
    const b = (await s.train.get(5, new RandomGenerator(1, 5)))[0] as NdArray;
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    const others = await Promise.all([2, 3, 4, 5, 6, 7].map(async (seed) => (await s.train.get(5, new RandomGenerator(seed, 5)))[0]));
    assert.ok(others.some((c) => c.data.some((v, k) => v !== a.data[k])), 'other generators crop or flip differently');
    assert.equal(s.workerDataset.train.exportName, 'cliSplit');
    const spec = (s.workerDataset.val.args ?? [])[0] as CliSplitSpec;
    assert.equal(spec.split, 'val');
    assert.equal((await cliSplit(JSON.parse(JSON.stringify(spec)) as CliSplitSpec)).length, 10); // what a worker rebuilds
  });

  it('builds CSV splits (80/10/10) with the classes counted from the label column', async () => {
    const d = detectData(csv);
    const s = await loadDetectedData(d as Exclude<typeof d, { kind: 'idx' }>, { label: 'cls', imageSize: 32, augment: true });
    assert.deepEqual([s.train.length, s.val.length, s.test.length], [97, 11, 12]);
    assert.deepEqual(s.inputShape, [2]);
    assert.equal(s.numClasses, 3);
    const [x, y] = await s.val.get(0);
    assert.equal(y, 97 % 3);
    assert.ok(Math.abs((x.data[1] ?? 0) - 97 / 120) < 1e-6);
  });

  it('kindling train --data <csv> --label --workers 2: the summary says what was detected; a table without --label is a usage error', () => {
    const out = mkdtempSync(join(root, 'run-'));
    const r = run(['train', '--data', csv, '--label', 'cls', '--workers', '2', '--epochs', '1', '--output', out]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stdout, /kindling train: mlp on the CSV file .*rows\.csv \(label column 'cls'\) \(97 train \/ 11 validation \/ 12 test, samples \[2\], 3 classes, 2 loader workers\)/);
    assert.match(r.stdout, /Test accuracy: \d\.\d+/);
    const best = /Best checkpoint: (.*\.ckpt)/.exec(r.stdout)?.[1] ?? '';
    const ev = run(['evaluate', best, '--data', csv, '--label', 'cls']);
    assert.equal(ev.code, 0, ev.stderr.slice(-2000));
    assert.match(ev.stdout, /test accuracy \d\.\d{4}, loss \d+\.\d{4} \(12 samples/);
    const bad = run(['train', '--data', csv, '--epochs', '1', '--output', mkdtempSync(join(root, 'run-'))]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is a table \(CSV\): name its label column with --label <column>/);
  });

  it('kindling train --data <cifar dir> picks the CNN and trains with 2 workers', () => {
    const out = mkdtempSync(join(root, 'run-'));
    const r = run(['train', '--data', cifar, '--workers', '2', '--epochs', '1', '--batch-size', '45', '--output', out]);
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.match(r.stdout, /kindling train: cnn on CIFAR-10 binary files in .*cifar \(90 train \/ 10 validation \/ 20 test, samples \[32, 32, 3\], 10 classes, 2 loader workers\)/);
  });
});
