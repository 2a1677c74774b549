/**
 * @module Port of torchvision/datasets/cifar.py `CIFAR10` / `CIFAR100` over the binary versions of the files
 * (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz, extracted), Node only.
 * Deviations: reads the binary files (torchvision reads the Python pickles); no download; both splits are returned
 * at once; images are HWC uint8 (transposed from the files' CHW planes); CIFAR-100 keeps both the fine and the coarse
 * labels (`label` chooses which one samples carry); the transform receives the sample's generator.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NdArray } from '../../data/nd-array.js';
import type { RandomGenerator } from '../../random/generator.js';
import { globalGenerator } from '../../random/global.js';
import { applyTransform, type ImageArray, type TransformLike } from '../../transforms/image.js';

const SIDE = 32;
const PIXELS = SIDE * SIDE * 3;
const CIFAR10_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];

/** Options of {@link readCifar}. */
export interface CifarOptions<TSample = ImageArray> {
  /** 10 or 100 (default: detected from the files present). */
  variant?: 10 | 100;
  /** CIFAR-100: the label samples carry, `'fine'` (100 classes, default) or `'coarse'` (20 superclasses). */
  label?: 'fine' | 'coarse';
  /** Applied to each image `[32, 32, 3]` uint8, with the sample's generator. */
  transform?: TransformLike<ImageArray, TSample>;
  /** Applied to each label. */
  targetTransform?: (target: number) => number;
}

/** The parsed records of one split (what {@link parseCifar} returns). */
export interface CifarArrays {
  /** Images `[N, 32, 32, 3]` uint8. */
  images: NdArray<Uint8Array>;
  /** The labels (CIFAR-100: the fine labels). */
  labels: Int32Array;
  /** CIFAR-100's coarse labels, null for CIFAR-10. */
  coarseLabels: Int32Array | null;
}

/** One CIFAR split: the images and labels in memory (about 30 MB per 10,000 images), transformed on access. */
export class CifarDataset<TSample = ImageArray> {
  /** All images `[N, 32, 32, 3]` uint8. */
  readonly images: NdArray<Uint8Array>;
  /** The labels samples carry (fine labels for CIFAR-100 unless `label: 'coarse'`). */
  readonly targets: Int32Array;
  /** CIFAR-100's fine labels (null for CIFAR-10). */
  readonly fineLabels: Int32Array | null;
  /** CIFAR-100's coarse labels (null for CIFAR-10). */
  readonly coarseLabels: Int32Array | null;
  readonly #options: CifarOptions<TSample>;

  /**
   * @param arrays - parsed records.
   * @param options - label, transform, targetTransform.
   */
  constructor(arrays: CifarArrays, options: CifarOptions<TSample> = {}) {
    this.images = arrays.images;
    this.coarseLabels = arrays.coarseLabels;
    this.fineLabels = arrays.coarseLabels === null ? null : arrays.labels;
    this.targets = options.label === 'coarse' && arrays.coarseLabels !== null ? arrays.coarseLabels : arrays.labels;
    this.#options = options;
  }

  /** The number of images. */
  get length(): number {
    return this.targets.length;
  }

  /**
   * Returns `[image, label]`, the image transformed with the sample's generator.
   *
   * @param index - the sample index.
   * @param rng - the sample's generator (the DataLoader passes one); default: the global generator.
   * @returns the sample; without a transform the image is a view `[32, 32, 3]` uint8 into {@link CifarDataset.images}.
   * @throws RangeError for an index out of range.
   */
  get(index: number, rng?: RandomGenerator): [TSample, number] {
    const image = this.images.at(index);
    const label = this.targets[index] as number;
    const { transform, targetTransform } = this.#options;
    const x = transform === undefined ? (image as unknown as TSample) : applyTransform(transform, image, rng ?? globalGenerator);
    return [x, targetTransform === undefined ? label : targetTransform(label)];
  }
}

/** CIFAR's train and test splits and class names, as returned by {@link readCifar}. */
export interface CifarSplits<TSample = ImageArray> {
  /** 50,000 training images (fewer if the directory holds fewer batches). */
  train: CifarDataset<TSample>;
  /** 10,000 test images. */
  test: CifarDataset<TSample>;
  /** Class names of the labels samples carry (from batches.meta.txt / fine_label_names.txt / coarse_label_names.txt), or null. */
  classes: string[] | null;
}

/**
 * Parses the records of one or more CIFAR binary files (label byte(s) + 3072 CHW bytes each) into HWC images.
 *
 * @param files - the files' paths (for error messages) and bytes.
 * @param variant - 10 (one label byte) or 100 (coarse then fine label byte).
 * @returns the images `[N, 32, 32, 3]`, the (fine) labels and, for CIFAR-100, the coarse labels.
 * @throws RangeError naming the file when its size is not a multiple of the record or a label is out of range.
 */
export function parseCifar(files: { path: string; bytes: Uint8Array }[], variant: 10 | 100): CifarArrays {
  const head = variant === 10 ? 1 : 2;
  const record = head + PIXELS;
  for (const { path, bytes } of files) {
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new RangeError(
        `${path} is not a CIFAR-${variant} binary file: its size ${bytes.length} is not a positive multiple of the ` +
          `${record}-byte record (${head} label byte${head > 1 ? 's' : ''} + 3072 pixels). Is it the right variant, or truncated?`,
      );
    }
  }
  const n = files.reduce((a, f) => a + f.bytes.length / record, 0);
  const images = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const coarse = variant === 100 ? new Int32Array(n) : null;
  let k = 0;
  for (const { path, bytes } of files) {
    for (let off = 0; off < bytes.length; off += record, k += 1) {
      if (coarse !== null) coarse[k] = bytes[off] as number;
      labels[k] = bytes[off + head - 1] as number;
      if ((labels[k] as number) >= variant || (coarse !== null && (coarse[k] as number) >= 20)) {
        throw new RangeError(`${path}: record ${(off / record) | 0} has label ${labels[k]}, outside CIFAR-${variant}'s classes. Is it the right variant?`);
      }
      const src = off + head;
      const dst = k * PIXELS;
      for (let p = 0; p < SIDE * SIDE; p += 1) {
        images[dst + 3 * p] = bytes[src + p] as number;
        images[dst + 3 * p + 1] = bytes[src + 1024 + p] as number;
        images[dst + 3 * p + 2] = bytes[src + 2048 + p] as number;
      }
    }
  }
  return { images: new NdArray(images, [n, SIDE, SIDE, 3]), labels, coarseLabels: coarse };
}

async function readNames(path: string): Promise<string[] | null> {
  if (!existsSync(path)) return null;
  return (await readFile(path, 'utf8')).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

function locate(dir: string, variant: 10 | 100 | undefined): { dir: string; variant: 10 | 100 } {
  const candidates = [dir, join(dir, 'cifar-10-batches-bin'), join(dir, 'cifar-100-binary')];
  for (const d of candidates) {
    if ((variant ?? 10) === 10 && existsSync(join(d, 'test_batch.bin'))) return { dir: d, variant: 10 };
    if ((variant ?? 100) === 100 && existsSync(join(d, 'test.bin'))) return { dir: d, variant: 100 };
  }
  const want = variant === 100 ? 'train.bin and test.bin' : variant === 10 ? 'data_batch_1.bin ... data_batch_5.bin and test_batch.bin' : 'CIFAR-10 (data_batch_*.bin, test_batch.bin) or CIFAR-100 (train.bin, test.bin)';
  throw new Error(`No CIFAR binary files in ${dir}: expected ${want}. Extract cifar-10-binary.tar.gz / cifar-100-binary.tar.gz there.`);
}

/**
 * Reads CIFAR-10 or CIFAR-100 from the extracted binary archive (`dir` itself or its `cifar-10-batches-bin` /
 * `cifar-100-binary` sub-directory).
 *
 * @param dir - the directory holding the `.bin` files.
 * @param options - variant, label (CIFAR-100), transform, targetTransform.
 * @returns `{ train, test, classes }`.
 * @throws Error naming the directory when the files are missing; RangeError naming the file when one is malformed.
 */
export async function readCifar<TSample = ImageArray>(dir: string, options: CifarOptions<TSample> = {}): Promise<CifarSplits<TSample>> {
  const found = locate(dir, options.variant);
  const trainNames = found.variant === 10 ? CIFAR10_TRAIN.filter((f) => existsSync(join(found.dir, f))) : ['train.bin'];
  if (found.variant === 10 && trainNames.length === 0) throw new Error(`No CIFAR-10 training batch (data_batch_1.bin ...) in ${found.dir}.`);
  const load = async (names: string[]): Promise<{ path: string; bytes: Uint8Array }[]> =>
    Promise.all(names.map(async (name) => ({ path: join(found.dir, name), bytes: new Uint8Array(await readFile(join(found.dir, name))) })));
  const train = parseCifar(await load(trainNames), found.variant);
  const test = parseCifar(await load([found.variant === 10 ? 'test_batch.bin' : 'test.bin']), found.variant);
  const namesFile = found.variant === 10 ? 'batches.meta.txt' : options.label === 'coarse' ? 'coarse_label_names.txt' : 'fine_label_names.txt';
  return {
    train: new CifarDataset(train, options),
    test: new CifarDataset(test, options),
    classes: await readNames(join(found.dir, namesFile)),
  };
}
