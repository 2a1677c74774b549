import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCifar } from '../../src/node/index.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { RandomHorizontalFlip } from '../../src/transforms/index.js';

let root = '';

/** A CIFAR record's pixel value at channel c, row y, column x, for record k (distinct per position). */
const pixel = (k: number, c: number, y: number, x: number): number => (k * 7 + c * 50 + y * 3 + x) % 256;

/** Writes records in CIFAR's binary layout: label byte(s), then the R, G and B planes, row-major. */
function records(labels: number[][], first: number): Buffer {
  const head = labels[0]?.length ?? 1;
  const out = Buffer.alloc(labels.length * (head + 3072));
  labels.forEach((ls, r) => {
    const off = r * (head + 3072);
    ls.forEach((l, j) => (out[off + j] = l));
    for (let c = 0; c < 3; c += 1) for (let y = 0; y < 32; y += 1) for (let x = 0; x < 32; x += 1) {
      out[off + head + c * 1024 + y * 32 + x] = pixel(first + r, c, y, x);
    }
  });
  return out;
}

describe('readCifar', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kindling-cifar-'));
    const c10 = join(root, 'c10', 'cifar-10-batches-bin');
    mkdirSync(c10, { recursive: true });
    writeFileSync(join(c10, 'data_batch_1.bin'), records([[3], [9], [0]], 0));
    writeFileSync(join(c10, 'data_batch_2.bin'), records([[5], [1]], 3));
    writeFileSync(join(c10, 'test_batch.bin'), records([[7], [2]], 10));
    writeFileSync(join(c10, 'batches.meta.txt'), 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n');
    const c100 = join(root, 'c100');
    mkdirSync(c100);
    writeFileSync(join(c100, 'train.bin'), records([[11, 99], [19, 4]], 0));
    writeFileSync(join(c100, 'test.bin'), records([[0, 42]], 5));
    writeFileSync(join(c100, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('reads CIFAR-10 batches in order, as HWC uint8 images with their labels and class names', async () => {
    const { train, test, classes } = await readCifar(join(root, 'c10'));
    assert.equal(train.length, 5);
    assert.equal(test.length, 2);
    assert.deepEqual(Array.from(train.targets), [3, 9, 0, 5, 1]);
    assert.deepEqual(Array.from(test.targets), [7, 2]);
    assert.equal(classes?.[3], 'cat');
    assert.equal(classes?.length, 10);
    assert.deepEqual(train.images.shape, [5, 32, 32, 3]);
    const [img, label] = train.get(4);
    assert.equal(label, 1);
    for (const [y, x, c] of [[0, 0, 0], [5, 17, 1], [31, 31, 2]] as const) {
      assert.equal(img.data[(y * 32 + x) * 3 + c], pixel(4, c, y, x));
    }
    assert.equal(test.get(1)[0].data[(2 * 32 + 3) * 3 + 1], pixel(11, 1, 2, 3));
    assert.equal(train.fineLabels, null);
  });

  it('reads CIFAR-100 with fine labels by default, coarse on request', async () => {
    const fine = await readCifar(join(root, 'c100'), { variant: 100 });
    assert.deepEqual(Array.from(fine.train.targets), [99, 4]);
    assert.deepEqual(Array.from(fine.train.coarseLabels ?? []), [11, 19]);
    assert.equal(fine.classes, null); // fine_label_names.txt is absent
    const coarse = await readCifar(join(root, 'c100'), { label: 'coarse' });
    assert.deepEqual(Array.from(coarse.test.targets), [0]);
    assert.equal(coarse.classes?.[19], 'coarse19');
    assert.equal(coarse.test.get(0)[0].data[0], pixel(5, 0, 0, 0));
  });

  it('applies the transform with the sample generator', async () => {
    const { train } = await readCifar(join(root, 'c10'), { transform: new RandomHorizontalFlip(1) });
    const [img] = train.get(0, new RandomGenerator(0));
    assert.equal(img.data[0], pixel(0, 0, 0, 31));
  });

  it('names the directory or file when files are missing, truncated or of the other variant', async () => {
    await assert.rejects(readCifar(join(root, 'nothing')), /No CIFAR binary files in .*nothing: expected CIFAR-10/);
    await assert.rejects(readCifar(join(root, 'c100'), { variant: 10 }), /expected data_batch_1.bin/);
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'data_batch_1.bin'), records([[1]], 0).subarray(0, 3000));
    writeFileSync(join(bad, 'test_batch.bin'), records([[1]], 0));
    await assert.rejects(readCifar(bad), (e: Error) => e.message.includes(join(bad, 'data_batch_1.bin')) && /not a positive multiple of the 3073-byte record/.test(e.message));
    writeFileSync(join(bad, 'data_batch_1.bin'), records([[12]], 0));
    await assert.rejects(readCifar(bad), /record 0 has label 12, outside CIFAR-10's classes/);
  });
});
