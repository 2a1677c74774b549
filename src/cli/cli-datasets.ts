/**
 * @module The datasets `kindling train --data` builds for CIFAR binary files, ImageFolder trees and CSV/Parquet
 * tables, and the factory DataLoader workers import to rebuild them (`--workers N`): a worker receives the JSON
 * {@link CliSplitSpec} and calls {@link cliSplit}, which builds exactly the dataset of the main thread.
 * Images become float32 HWC in [0, 1] (`--image-size` square for ImageFolder trees); training images are
 * augmented with RandomCrop(padding 4) + RandomHorizontalFlip drawn from each sample's own generator.
 */

import { NdArray } from '../data/nd-array.js';
import type { MapDataset } from '../data/dataloader.js';
import type { ModuleRef } from '../data/worker-protocol.js';
import type { RandomGenerator } from '../random/generator.js';
import { CenterCrop, Compose, RandomCrop, RandomHorizontalFlip, Resize, ToTensor, applyTransform, type TransformLike } from '../transforms/index.js';
import { readCifar } from '../node/data/cifar.js';
import { CsvDataset } from '../node/data/csv.js';
import { ImageFolder } from '../node/data/image-folder.js';
import { ParquetDataset } from '../node/data/parquet.js';
import type { DetectedData } from './detect-data.js';

/** A split of CLI data as a JSON-able recipe (what a worker receives). */
export interface CliSplitSpec {
  /** The detected data. */
  data: Exclude<DetectedData, { kind: 'idx' }>;
  /** Which split. */
  split: 'train' | 'val' | 'test';
  /** Label column of a table. */
  label?: string;
  /** Side of the square ImageFolder images are resized and center-cropped to. */
  imageSize: number;
  /** Augment training images. */
  augment: boolean;
}

/** A CLI sample: features (image HWC or row) and an integer class. */
type Sample = [NdArray<Float32Array>, number];
type AnyDataset = MapDataset<unknown>;


/** Reads `[x, y]`, `{ image|features|x, label|y }` samples into `[NdArray, class]`. */
function splitSample(sample: unknown): [unknown, number] {
  if (Array.isArray(sample)) return [sample[0], Number(sample[1])];
  const o = sample as Record<string, unknown>;
  return [o['image'] ?? o['features'] ?? o['x'], Number(o['label'] ?? o['y'])];
}

function toNdArray(x: unknown): NdArray<Float32Array> {
  if (x instanceof NdArray) return x.data instanceof Float32Array ? (x as NdArray<Float32Array>) : new NdArray(Float32Array.from(x.data as ArrayLike<number>), x.shape);
  if (ArrayBuffer.isView(x)) {
    const data = Float32Array.from(x as unknown as ArrayLike<number>);
    return new NdArray(data, [data.length]);
  }
  if (Array.isArray(x)) return new NdArray(Float32Array.from(x as number[]), [x.length]);
  throw new TypeError(`A CLI dataset sample should hold an NdArray or numeric features, but holds ${typeof x}.`);
}

/** A dataset view: a range of a base dataset, each sample mapped through a (random) transform. */
class MappedRange implements MapDataset<Sample> {
  readonly length: number;
  constructor(
    readonly base: AnyDataset,
    readonly from: number,
    to: number,
    readonly transform: TransformLike<NdArray, NdArray> | null,
  ) {
    this.length = to - from;
  }

  async get(index: number, rng?: RandomGenerator): Promise<Sample> {
    const [x, y] = splitSample(await this.base.get(this.from + index));
    const image = this.transform !== null ? applyTransform(this.transform, x as NdArray, rng) : x;
    return [toNdArray(image), y];
  }
}

function imageTransform(spec: CliSplitSpec, train: boolean): TransformLike<NdArray, NdArray> {
  const size = spec.imageSize;
  const steps: TransformLike<never, unknown>[] = [];
  if (spec.data.kind === 'image-folder') steps.push(new Resize(size), new CenterCrop(size));
  if (train && spec.augment) steps.push(new RandomCrop(spec.data.kind === 'cifar' ? 32 : size, { padding: 4 }), new RandomHorizontalFlip());
  steps.push(new ToTensor());
  return new Compose<NdArray, NdArray>(steps);
}

/** The index where the last 10% (at least one sample) of `n` samples starts. */
function tailCut(n: number): number {
  return n - Math.max(1, Math.round(n * 0.1));
}

async function baseSplits(spec: CliSplitSpec): Promise<{ trainVal: AnyDataset; test: AnyDataset | null }> {
  const d = spec.data;
  switch (d.kind) {
    case 'cifar': {
      const { train, test } = await readCifar(d.dir, { variant: d.variant });
      return { trainVal: train, test };
    }
    case 'image-folder':
      return { trainVal: new ImageFolder(d.train), test: d.test !== null ? new ImageFolder(d.test) : null };
    case 'csv':
      return { trainVal: new CsvDataset(d.file, { label: spec.label ?? '' }), test: null };
    case 'parquet':
      return { trainVal: await ParquetDataset.open(d.files, { label: spec.label ?? '' }), test: null };
  }
}

/**
 * Builds one split of CLI data; without a test split on disk, the last 10% of the training rows are the test split
 * and the 10% before them the validation split.
 *
 * @param spec - the recipe.
 * @returns the dataset of that split (samples `[features, class]`, per-sample random augmentation).
 * @throws Error from the datasets when files are unreadable (naming the file).
 */
export async function cliSplit(spec: CliSplitSpec): Promise<MapDataset<Sample>> {
  const { trainVal, test } = await baseSplits(spec);
  const image = spec.data.kind === 'cifar' || spec.data.kind === 'image-folder';
  const transform = image ? imageTransform(spec, spec.split === 'train') : null;
  if (test !== null && spec.split === 'test') return new MappedRange(test, 0, test.length, transform);
  const end = test === null ? tailCut(trainVal.length) : trainVal.length; // without a test split, the tail is the test split
  if (spec.split === 'test') return new MappedRange(trainVal, end, trainVal.length, transform);
  const cut = tailCut(end);
  return spec.split === 'train' ? new MappedRange(trainVal, 0, cut, transform) : new MappedRange(trainVal, cut, end, transform);
}

/**
 * The worker reference of a split: workers import this module and call {@link cliSplit} with the same recipe.
 *
 * @param spec - the recipe.
 * @returns the `workerDataset` option of the split's DataLoader.
 */
export function cliSplitRef(spec: CliSplitSpec): ModuleRef {
  return { module: import.meta.url, exportName: 'cliSplit', args: [spec] };
}

/** What {@link loadDetectedData} returns (the non-IDX part of `CliData`). */
export interface DetectedSplits {
  train: MapDataset<Sample>;
  val: MapDataset<Sample>;
  test: MapDataset<Sample>;
  inputShape: number[];
  numClasses: number;
  workerDataset: { train: ModuleRef; val: ModuleRef; test: ModuleRef };
}

async function countClasses(ds: MapDataset<Sample>, base: unknown): Promise<number> {
  const named = (base as { classes?: unknown }).classes;
  if (Array.isArray(named) && named.length > 0) return named.length;
  let max = 0;
  for (let i = 0; i < ds.length; i += 1) {
    const [, y] = await ds.get(i);
    if (!Number.isInteger(y) || y < 0) {
      throw new RangeError(`The label of row ${i} is ${String(y)}; --label should name a column of class indices 0, 1, 2, ...`);
    }
    max = Math.max(max, y);
  }
  return max + 1;
}

/**
 * Builds the train / validation / test datasets of detected CIFAR, ImageFolder, CSV or Parquet data, with the
 * model's input shape and number of classes.
 *
 * @param data - the detected data.
 * @param options - label column, image size, augmentation.
 * @returns the splits and their worker references.
 * @throws Error from the datasets when files are unreadable (naming the file).
 */
export async function loadDetectedData(
  data: Exclude<DetectedData, { kind: 'idx' }>,
  options: { label?: string; imageSize: number; augment: boolean },
): Promise<DetectedSplits> {
  const spec = (split: CliSplitSpec['split']): CliSplitSpec => ({ data, split, imageSize: options.imageSize, augment: options.augment, ...(options.label !== undefined ? { label: options.label } : {}) });
  const [train, val, test] = await Promise.all([cliSplit(spec('train')), cliSplit(spec('val')), cliSplit(spec('test'))]);
  const [x] = await test.get(0);
  const numClasses =
    data.kind === 'cifar' ? data.variant : data.kind === 'image-folder' ? data.classes.length : await countClasses(train, (train as MappedRange).base);
  return {
    train,
    val,
    test,
    inputShape: [...x.shape],
    numClasses,
    workerDataset: { train: cliSplitRef(spec('train')), val: cliSplitRef(spec('val')), test: cliSplitRef(spec('test')) },
  };
}
