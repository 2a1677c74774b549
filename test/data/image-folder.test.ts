import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader } from '../../src/data/index.js';
import { ImageFolder, readImage } from '../../src/node/index.js';
import { RandomGenerator } from '../../src/random/generator.js';
import { manualSeed, restoreMathRandom } from '../../src/random/global.js';
import { Compose, RandomCrop, Resize, ToTensor, type ImageArray } from '../../src/transforms/index.js';

let root = '';
/** Pixels of the PNG written at a path, to compare the decoded image with. */
const written = new Map<string, Uint8Array>();

async function writeImage(path: string, w: number, h: number, seed: number, format: 'png' | 'jpeg', channels: 1 | 3 | 4 = 3): Promise<void> {
  const px = Uint8Array.from({ length: w * h * channels }, (_, i) => (i * 31 + seed * 17) % 256);
  if (channels === 4) for (let i = 3; i < px.length; i += 4) px[i] = 128;
  const img = sharp(px, { raw: { width: w, height: h, channels } });
  await (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toFile(path);
  written.set(path, px);
}

describe('ImageFolder', () => {
  before(async () => {
    await tf.setBackend('cpu');
    root = mkdtempSync(join(tmpdir(), 'kindling-imagefolder-'));
    for (const d of ['dog', 'cat', 'cat/sub', 'empty_is_not_here']) mkdirSync(join(root, d), { recursive: true });
    rmSync(join(root, 'empty_is_not_here'), { recursive: true });
    await writeImage(join(root, 'dog', 'b.png'), 4, 3, 1, 'png');
    await writeImage(join(root, 'dog', 'a.JPG'), 4, 3, 2, 'jpeg');
    await writeImage(join(root, 'cat', 'z.png'), 5, 2, 3, 'png', 1);
    await writeImage(join(root, 'cat', 'sub', 'c.png'), 2, 2, 4, 'png', 4);
    writeFileSync(join(root, 'cat', 'notes.txt'), 'not an image');
    writeFileSync(join(root, 'dog', 'broken.png'), 'this is not a png');
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    restoreMathRandom();
  });

  it("follows torchvision's rules: sorted class folders, recursive sorted files, extensions case-insensitive", () => {
    const ds = new ImageFolder(root);
    assert.deepEqual(ds.classes, ['cat', 'dog']);
    assert.deepEqual(ds.classToIdx, { cat: 0, dog: 1 });
    assert.deepEqual(ds.samples.map(([p, t]) => [p.slice(root.length + 1), t]), [
      ['cat/z.png', 0], // sorted(os.walk()): 'cat' sorts before 'cat/sub'
      ['cat/sub/c.png', 0],
      ['dog/a.JPG', 1],
      ['dog/b.png', 1],
      ['dog/broken.png', 1],
    ]);
    assert.deepEqual(ds.targets, [0, 0, 1, 1, 1]);
    assert.equal(new ImageFolder(root, { extensions: ['.jpg'], allowEmpty: true }).length, 1);
  });

  it('decodes on access to HWC uint8 RGB: PNG exactly, alpha dropped, grayscale expanded, JPEG closely', async () => {
    const ds = new ImageFolder(root);
    const [rgb, label] = await ds.get(3);
    assert.equal(label, 1);
    assert.deepEqual(rgb.shape, [3, 4, 3]);
    assert.deepEqual(Array.from(rgb.data), Array.from(written.get(join(root, 'dog', 'b.png')) ?? []));
    const [gray] = await ds.get(0);
    const g = written.get(join(root, 'cat', 'z.png')) ?? new Uint8Array();
    assert.deepEqual(gray.shape, [2, 5, 3]);
    assert.deepEqual(Array.from(gray.data).filter((_, i) => i % 3 === 0), Array.from(g));
    const [rgba] = await ds.get(1);
    const src = written.get(join(root, 'cat', 'sub', 'c.png')) ?? new Uint8Array();
    assert.deepEqual(Array.from(rgba.data), Array.from(src).filter((_, i) => i % 4 !== 3));
    const [jpeg] = await ds.get(2);
    const want = written.get(join(root, 'dog', 'a.JPG')) ?? new Uint8Array();
    const err = Array.from(jpeg.data).reduce((a, v, i) => a + Math.abs(v - (want[i] as number)), 0) / want.length;
    assert.ok(err < 40, `mean JPEG error ${err}`);
  });

  it('an unreadable image is an error naming the file; create({ skipUnreadable }) leaves it out and counts it', async () => {
    const ds = new ImageFolder(root);
    await assert.rejects(ds.get(4), (e: Error) => e.message.includes(join(root, 'dog', 'broken.png')) && /Cannot read the image/.test(e.message));
    assert.throws(() => new ImageFolder(root, { skipUnreadable: true }), /ImageFolder.create/);
    const clean = await ImageFolder.create(root, { skipUnreadable: true });
    assert.equal(clean.length, 4);
    assert.deepEqual(clean.skipped, [join(root, 'dog', 'broken.png')]);
    await assert.rejects(readImage(join(root, 'cat', 'notes.txt')), /notes.txt/);
  });

  it('errors for a root without class folders or classes without images', () => {
    const empty = mkdtempSync(join(tmpdir(), 'kindling-empty-'));
    try {
      assert.throws(() => new ImageFolder(empty), /Couldn't find any class folder in/);
      mkdirSync(join(empty, 'x'));
      assert.throws(() => new ImageFolder(empty), /Found no valid file for the classes x. Supported extensions are: .jpg/);
      assert.throws(() => new ImageFolder(join(empty, 'missing')), /cannot read the directory/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('transforms get the sample generator; batches through the DataLoader without leaking tensors', async () => {
    const transform = new Compose<ImageArray, ImageArray>([new Resize([4, 4]), new RandomCrop(3), new ToTensor()]);
    const ds = await ImageFolder.create(root, { transform, skipUnreadable: true });
    const [a] = await ds.get(3, new RandomGenerator(7));
    const [b] = await ds.get(3, new RandomGenerator(7));
    assert.deepEqual(a.shape, [3, 3, 3]);
    assert.deepEqual(Array.from(a.data), Array.from(b.data));
    const before = tf.memory().numTensors;
    const loader = new DataLoader(ds, { batchSize: 2 });
    const shapes: number[][] = [];
    const labels: number[] = [];
    for await (const [x, y] of loader as AsyncIterable<[tf.Tensor, tf.Tensor]>) {
      shapes.push(x.shape);
      labels.push(...Array.from(y.dataSync()));
      assert.equal(x.dtype, 'float32');
    }
    loader.dispose();
    assert.deepEqual(shapes, [[2, 3, 3, 3], [2, 3, 3, 3]]);
    assert.deepEqual(labels, [0, 0, 1, 1]);
    assert.equal(tf.memory().numTensors, before);
  });

  it('random augmentation through a shuffled, read-ahead DataLoader is reproduced by manualSeed', async () => {
    const transform = new Compose<ImageArray, ImageArray>([new Resize([4, 4]), new RandomCrop(2), new ToTensor()]);
    const ds = await ImageFolder.create(root, { transform, skipUnreadable: true });
    const epoch = async (): Promise<number[][]> => {
      const loader = new DataLoader(ds, { batchSize: 2, shuffle: true, prefetch: 2 });
      const out: number[][] = [];
      for await (const [x, y] of loader as AsyncIterable<[tf.Tensor, tf.Tensor]>) out.push([...x.dataSync(), ...y.dataSync()]);
      loader.dispose();
      return out;
    };
    manualSeed(21);
    const a = [...(await epoch()), ...(await epoch())];
    manualSeed(21);
    const b = [...(await epoch()), ...(await epoch())];
    assert.deepEqual(b, a);
    assert.notDeepEqual(a.slice(0, 2), a.slice(2, 4), 'the second epoch draws new crops or a new order');
  });
});
