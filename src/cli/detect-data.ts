/**
 * @module What `kindling train --data <path>` points at: MNIST-style IDX files, CIFAR-10/100 binary files, an
 * ImageFolder tree (one sub-directory of images per class, optionally under train/ and test/), a CSV file, or
 * Parquet files (one file or a directory of them, as Hugging Face datasets ship them). Detection only looks at
 * names and sizes; reading is done by the datasets.
 */

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { CliError } from './errors.js';

/** Image file extensions of an ImageFolder tree (torchvision's IMG_EXTENSIONS that sharp decodes). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp', '.gif'] as const;

/** The detected kind of data, with the paths its dataset needs. */
export type DetectedData =
  | { kind: 'idx'; dir: string }
  | { kind: 'cifar'; dir: string; variant: 10 | 100 }
  | { kind: 'image-folder'; train: string; test: string | null; classes: string[] }
  | { kind: 'csv'; file: string }
  | { kind: 'parquet'; files: string[] };

const CIFAR10 = ['data_batch_1.bin', 'test_batch.bin'];
const CIFAR100 = ['train.bin', 'test.bin'];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function entries(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.')).sort();
}

function hasIdx(dir: string): boolean {
  return ['train-images-idx3-ubyte', 'train-images-idx3-ubyte.gz', 'train-images.idx3-ubyte'].some((n) => existsSync(join(dir, n)));
}

function cifarIn(dir: string): { dir: string; variant: 10 | 100 } | null {
  for (const d of [dir, join(dir, 'cifar-10-batches-bin'), join(dir, 'cifar-100-binary')]) {
    if (CIFAR10.every((n) => existsSync(join(d, n)))) return { dir: d, variant: 10 };
    if (CIFAR100.every((n) => existsSync(join(d, n)))) return { dir: d, variant: 100 };
  }
  return null;
}

/** The class directories of an ImageFolder root: sub-directories holding at least one image file. */
function imageClasses(root: string): string[] {
  const isImage = (n: string): boolean => (IMAGE_EXTENSIONS as readonly string[]).includes(extname(n).toLowerCase());
  const classes = entries(root).filter((n) => isDir(join(root, n)));
  return classes.length > 0 && classes.some((c) => entries(join(root, c)).some(isImage)) ? classes : [];
}

function imageFolderIn(dir: string): DetectedData | null {
  const trainDir = join(dir, 'train');
  if (isDir(trainDir) && imageClasses(trainDir).length > 0) {
    const test = ['test', 'val', 'validation'].map((n) => join(dir, n)).find((d) => isDir(d) && imageClasses(d).length > 0) ?? null;
    return { kind: 'image-folder', train: trainDir, test, classes: imageClasses(trainDir) };
  }
  const classes = imageClasses(dir);
  return classes.length > 0 ? { kind: 'image-folder', train: dir, test: null, classes } : null;
}

function detectFile(path: string): DetectedData {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return { kind: 'csv', file: path };
  if (ext === '.parquet' || ext === '.pq') return { kind: 'parquet', files: [path] };
  throw new CliError(
    `--data '${path}' is a file with an unknown extension '${ext}': kindling reads .csv and .parquet files, or a ` +
      'directory of IDX files, CIFAR binary files, Parquet files or images (one sub-directory per class).',
    1,
  );
}

/**
 * Tells what `--data <path>` holds.
 *
 * @param path - a file or directory.
 * @returns the detected data.
 * @throws {@link CliError} (exit code 1) when the path does not exist or holds nothing kindling reads.
 */
export function detectData(path: string): DetectedData {
  if (!existsSync(path)) throw new CliError(`--data '${path}' does not exist.`, 1);
  if (!isDir(path)) return detectFile(path);
  if (hasIdx(path)) return { kind: 'idx', dir: path };
  const cifar = cifarIn(path);
  if (cifar !== null) return { kind: 'cifar', ...cifar };
  const parquet = entries(path).filter((n) => /\.(parquet|pq)$/i.test(n));
  if (parquet.length > 0) return { kind: 'parquet', files: parquet.map((n) => join(path, n)) };
  const folder = imageFolderIn(path);
  if (folder !== null) return folder;
  throw new CliError(
    `cannot tell what --data '${path}' holds: expected MNIST IDX files (train-images-idx3-ubyte, ...), CIFAR binary ` +
      'files (data_batch_1.bin ... test_batch.bin, or train.bin/test.bin for CIFAR-100), Parquet files, or an ' +
      'ImageFolder tree (one sub-directory of images per class, optionally under train/ and test/).',
    1,
  );
}

/**
 * Describes detected data for the run summary.
 *
 * @param d - the detected data.
 * @param label - the label column of a table (`--label`).
 * @returns e.g. `"CIFAR-10 binary files in data/cifar"`.
 */
export function describeData(d: DetectedData, label?: string): string {
  switch (d.kind) {
    case 'idx':
      return `IDX files in ${d.dir}`;
    case 'cifar':
      return `CIFAR-${d.variant} binary files in ${d.dir}`;
    case 'image-folder':
      return `an ImageFolder tree in ${d.train} (${d.classes.length} classes${d.test !== null ? `, test split ${basename(d.test)}/` : ''})`;
    case 'csv':
      return `the CSV file ${d.file} (label column '${label ?? '?'}')`;
    case 'parquet':
      return `${d.files.length === 1 ? `the Parquet file ${d.files[0] ?? ''}` : `${d.files.length} Parquet files`} (label column '${label ?? '?'}')`;
  }
}

/**
 * The model `kindling train` uses when `--model` is not given: the CNN for images, the MLP for tables and IDX digits.
 *
 * @param d - the detected data.
 * @returns `'cnn'` or `'mlp'`.
 */
export function defaultModelFor(d: DetectedData): 'mlp' | 'cnn' {
  return d.kind === 'cifar' || d.kind === 'image-folder' ? 'cnn' : 'mlp';
}

/**
 * Tells whether detected data is a table (CSV or Parquet), which needs `--label`.
 *
 * @param d - the detected data.
 * @returns true for CSV and Parquet.
 */
export function isTable(d: DetectedData): d is Extract<DetectedData, { kind: 'csv' | 'parquet' }> {
  return d.kind === 'csv' || d.kind === 'parquet';
}
