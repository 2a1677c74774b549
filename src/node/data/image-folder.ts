/**
 * @module Port of torchvision/datasets/folder.py `ImageFolder` / `DatasetFolder` (Node only: `node:fs` and `sharp`).
 * Deviations: images are decoded on access with `sharp` to HWC uint8 RGB {@link NdArray}s (torchvision: PIL RGB
 * images); the transform receives the sample's generator (`get(index, rng)`); unreadable images can be dropped when
 * the dataset is created (`ImageFolder.create(root, { skipUnreadable: true })`, checked by reading each image's
 * header), with the count in `skipped`; no `loader`/`is_valid_file` (use `extensions`).
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { NdArray } from '../../data/nd-array.js';
import type { RandomGenerator } from '../../random/generator.js';
import { applyTransform, type ImageArray, type TransformLike } from '../../transforms/image.js';
import { forkGlobalGenerator } from './sample-rng.js';

/** torchvision's `IMG_EXTENSIONS`. */
export const IMG_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions<TSample = ImageArray> {
  /** Applied to each decoded image `[H, W, 3]` uint8, with the sample's generator. */
  transform?: TransformLike<ImageArray, TSample>;
  /** Applied to each class index. */
  targetTransform?: (target: number) => number;
  /** Allowed file extensions, compared case-insensitively (default {@link IMG_EXTENSIONS}). */
  extensions?: readonly string[];
  /** Allow classes without any valid file (default false: an error naming them). */
  allowEmpty?: boolean;
  /** With {@link ImageFolder.create}: drop files that are not readable images and count them (default false). */
  skipUnreadable?: boolean;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lists the class folders of `root`, sorted (torchvision `find_classes`).
 *
 * @param root - the dataset directory.
 * @returns the classes and their indices.
 * @throws Error if `root` cannot be read or has no sub-directory.
 */
export function findClasses(root: string): { classes: string[]; classToIdx: Record<string, number> } {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    throw new Error(`ImageFolder: cannot read the directory ${root}: ${(error as Error).message}`, { cause: error });
  }
  const classes = entries.filter((e) => e.isDirectory() || (e.isSymbolicLink() && statSync(join(root, e.name)).isDirectory()))
    .map((e) => e.name).sort(byCodePoint);
  if (classes.length === 0) throw new Error(`Couldn't find any class folder in ${root}. Put the images of each class in a sub-directory.`);
  return { classes, classToIdx: Object.fromEntries(classes.map((c, i) => [c, i])) };
}

/** `sorted(os.walk(dir, followlinks=True))`: every directory with its files, sorted by path. */
function walk(dir: string, out: { dir: string; files: string[] }[] = []): { dir: string; files: string[] }[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const files: string[] = [];
  const subdirs: string[] = [];
  for (const e of entries) {
    const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(join(dir, e.name)).isDirectory());
    (isDir ? subdirs : files).push(e.name);
  }
  out.push({ dir, files });
  for (const s of subdirs) walk(join(dir, s), out);
  return out;
}

/**
 * Lists `[path, classIndex]` samples (torchvision `make_dataset`): each class folder walked recursively, directories
 * and files in sorted order, files kept when their extension is allowed.
 *
 * @param root - the dataset directory.
 * @param classToIdx - the class indices.
 * @param extensions - allowed extensions (case-insensitive).
 * @param allowEmpty - accept classes without files.
 * @returns the samples.
 * @throws Error naming the classes without a valid file (unless `allowEmpty`).
 */
export function makeDataset(root: string, classToIdx: Record<string, number>, extensions: readonly string[], allowEmpty = false): [string, number][] {
  const exts = extensions.map((e) => e.toLowerCase());
  const samples: [string, number][] = [];
  const empty: string[] = [];
  for (const cls of Object.keys(classToIdx).sort(byCodePoint)) {
    const before = samples.length;
    const dirs = walk(join(root, cls)).sort((a, b) => byCodePoint(a.dir, b.dir));
    for (const { dir, files } of dirs) {
      for (const f of [...files].sort(byCodePoint)) {
        if (exts.some((e) => f.toLowerCase().endsWith(e))) samples.push([join(dir, f), classToIdx[cls] as number]);
      }
    }
    if (samples.length === before) empty.push(cls);
  }
  if (empty.length > 0 && !allowEmpty) {
    throw new Error(
      `Found no valid file for the classes ${empty.sort(byCodePoint).join(', ')}. Supported extensions are: ${extensions.join(', ')}`,
    );
  }
  return samples;
}

/**
 * Decodes an image file to HWC uint8 RGB (alpha dropped, grayscale expanded), like PIL's `convert('RGB')`.
 *
 * @param path - the image file.
 * @returns the pixels `[H, W, 3]`.
 * @throws Error naming the file when it cannot be read or decoded.
 */
export async function readImage(path: string): Promise<NdArray<Uint8Array>> {
  try {
    return await decodeImage(await readFile(path));
  } catch (error) {
    throw new Error(`Cannot read the image ${path}: ${(error as Error).message}. Remove or replace the file, or create the dataset with skipUnreadable: true.`, { cause: error });
  }
}

/**
 * Decodes encoded image bytes (PNG, JPEG, WebP, GIF, TIFF, AVIF) to HWC uint8 RGB, as {@link readImage} does.
 *
 * @param bytes - the encoded image.
 * @returns the pixels `[H, W, 3]`.
 * @throws Error (sharp's) when the bytes are not a supported image.
 */
export async function decodeImage(bytes: Uint8Array): Promise<NdArray<Uint8Array>> {
  const { data, info } = await sharp(bytes).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return new NdArray(new Uint8Array(data.buffer, data.byteOffset, data.length), [info.height, info.width, info.channels]);
}

async function isReadable(path: string): Promise<boolean> {
  try {
    const meta = await sharp(path).metadata();
    return meta.width > 0 && meta.height > 0;
  } catch {
    return false;
  }
}

/**
 * A dataset of images arranged one folder per class (`root/dog/xxx.png`, `root/cat/123.jpg`), decoded on access:
 * memory holds the file list only, never the images.
 *
 * @example
 * ```ts
 * const train = await ImageFolder.create('data/train', {
 *   transform: new Compose([new RandomResizedCrop(64), new RandomHorizontalFlip(), new ToTensor()]),
 *   skipUnreadable: true,
 * });
 * train.classes;  // ['cat', 'dog'] (sorted folder names); train.skipped lists the files left out
 * const loader = new DataLoader(train, { batchSize: 32, shuffle: true }); // batches [x [32, 64, 64, 3], y [32]]
 * ```
 */
export class ImageFolder<TSample = ImageArray> {
  /** The dataset directory. */
  readonly root: string;
  /** Class names (sorted sub-directory names). */
  readonly classes: readonly string[];
  /** Class name to index. */
  readonly classToIdx: Readonly<Record<string, number>>;
  /** `[path, classIndex]` of every sample, in torchvision's order. */
  readonly samples: readonly (readonly [string, number])[];
  /** The class index of every sample. */
  readonly targets: readonly number[];
  /** Files left out because they are not readable images (with `skipUnreadable`). */
  readonly skipped: readonly string[];
  readonly #options: ImageFolderOptions<TSample>;

  /**
   * Scans `root` synchronously (no image is opened). To drop unreadable files use {@link ImageFolder.create}.
   *
   * @param root - the dataset directory.
   * @param options - transform, targetTransform, extensions, allowEmpty.
   * @param skipped - files to leave out (what {@link ImageFolder.create} found unreadable); default none.
   * @throws Error if `root` has no class folder or a class has no valid file.
   * @throws TypeError when `skipUnreadable` is passed here (it needs the async {@link ImageFolder.create}).
   */
  constructor(root: string, options: ImageFolderOptions<TSample> = {}, skipped: readonly string[] = []) {
    if (options.skipUnreadable === true) {
      throw new TypeError('skipUnreadable needs the images to be checked first: use `await ImageFolder.create(root, options)`.');
    }
    const { classes, classToIdx } = findClasses(root);
    const excluded = new Set(skipped);
    const all = makeDataset(root, classToIdx, options.extensions ?? IMG_EXTENSIONS, options.allowEmpty ?? false);
    this.root = root;
    this.classes = classes;
    this.classToIdx = classToIdx;
    this.samples = all.filter(([p]) => !excluded.has(p));
    this.targets = this.samples.map(([, t]) => t);
    this.skipped = [...skipped];
    this.#options = options;
    if (this.samples.length === 0) throw new Error(`ImageFolder: no readable image in ${root}.`);
  }

  /**
   * Scans `root` and, with `skipUnreadable`, opens every image's header (8 at a time) to leave out the files that
   * are not readable images; their paths are in `skipped`.
   *
   * @param root - the dataset directory.
   * @param options - transform, targetTransform, extensions, allowEmpty, skipUnreadable.
   * @returns the dataset.
   * @throws Error if `root` has no class folder, a class has no valid file, or no image is readable.
   */
  static async create<TSample = ImageArray>(root: string, options: ImageFolderOptions<TSample> = {}): Promise<ImageFolder<TSample>> {
    const skipped: string[] = [];
    const { skipUnreadable, ...rest } = options;
    if (skipUnreadable === true) {
      const { classToIdx } = findClasses(root);
      const paths = makeDataset(root, classToIdx, options.extensions ?? IMG_EXTENSIONS, options.allowEmpty ?? false).map(([p]) => p);
      for (let i = 0; i < paths.length; i += 8) {
        const chunk = paths.slice(i, i + 8);
        const ok = await Promise.all(chunk.map(isReadable));
        chunk.forEach((p, k) => {
          if (ok[k] !== true) skipped.push(p);
        });
      }
    }
    return new ImageFolder(root, rest, skipped);
  }

  /** The number of samples. */
  get length(): number {
    return this.samples.length;
  }

  /**
   * Decodes sample `index` and applies the transforms.
   *
   * @param index - the sample index.
   * @param rng - the sample's generator (the DataLoader passes one); default: one forked from the global generator
   * when `get` is called, so read-ahead does not change the random draws.
   * @returns `[image, classIndex]`.
   * @throws RangeError for an index out of range; Error naming the file when it cannot be decoded.
   */
  async get(index: number, rng?: RandomGenerator): Promise<[TSample, number]> {
    const sample = this.samples[index];
    if (sample === undefined || !Number.isInteger(index)) {
      throw new RangeError(`Index ${index} is out of range for an ImageFolder of ${this.samples.length} images.`);
    }
    const { transform, targetTransform } = this.#options;
    const g = transform === undefined ? null : (rng ?? forkGlobalGenerator());
    const image = await readImage(sample[0]);
    const x = transform === undefined || g === null ? (image as unknown as TSample) : applyTransform(transform, image, g);
    return [x, targetTransform === undefined ? sample[1] : targetTransform(sample[1])];
  }
}
