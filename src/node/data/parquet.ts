/**
 * @module A lazy map-style dataset over one or more Parquet files (Node only: `node:fs` and `hyparquet`), e.g. the
 * files of a Hugging Face dataset. No Ignite/torch counterpart (PyTorch users go through `datasets`/pyarrow).
 * Deviations: none to port. Design: opening reads only the footers (the row-group table); `get(i)` decodes the
 * row group holding row `i` (only the requested columns) and keeps the last `cacheRowGroups` decoded groups, so
 * memory is bounded by a few row groups whatever the dataset size. A shuffled pass over many row groups decodes
 * groups repeatedly: raise `cacheRowGroups` (up to every group when the columns fit in memory) or write files with
 * smaller row groups. Feature cells may be numbers, bigints, booleans or fixed-length numeric lists (flattened).
 * Image datasets ({@link ParquetDataset.openImages}): one column of encoded images (PNG, JPEG, WebP...), as binary
 * cells or as Hugging Face `datasets` `Image()` structs `{ bytes, path }`; a row group keeps the encoded bytes and
 * `get(i)` decodes one image with sharp (as ImageFolder does).
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type Compressors, type FileMetaData } from 'hyparquet';
import { NdArray } from '../../data/nd-array.js';
import type { RandomGenerator } from '../../random/generator.js';
import { globalGenerator } from '../../random/global.js';
import { forkGlobalGenerator } from './sample-rng.js';
import { decodeImage } from './image-folder.js';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

/** Options of {@link ParquetDataset.open}. */
export interface ParquetDatasetOptions<TSample = [NdArray<Float32Array>, number | NdArray<Float32Array>]> {
  /** Feature columns (top-level names); default every column but the label. */
  columns?: readonly string[];
  /** The label column; default none (samples are `[features]`). */
  label?: string;
  /** How the label is read (default `'int'`): `'float'` labels are scalar float32 NdArrays; `'category'` maps strings. */
  labelType?: 'int' | 'float' | 'category';
  /** For `labelType: 'category'`: class names, index = position (default: the sorted distinct values, one pass). */
  classes?: readonly string[];
  /** Decompressors for codecs other than snappy, e.g. `compressors` from the `hyparquet-compressors` package. */
  compressors?: Compressors;
  /** Decoded row groups kept in memory (default 4). */
  cacheRowGroups?: number;
  /** Turns `[features, label]` into the sample, with the sample's generator. */
  transform?: (sample: [NdArray<Float32Array>, number | NdArray<Float32Array>], rng: RandomGenerator) => TSample;
}

/** Options of {@link ParquetDataset.openImages}: the image column instead of feature columns. */
export interface ParquetImageOptions<TSample = [NdArray<Uint8Array>, number | NdArray<Float32Array>]>
  extends Omit<ParquetDatasetOptions, 'columns' | 'transform'> {
  /** The column of encoded images: binary cells, or `{ bytes, path }` structs (Hugging Face `datasets`' `Image()`). */
  image: string;
  /** Turns `[image HWC uint8 RGB, label]` into the sample (e.g. kindling/transforms), with the sample's generator. */
  transform?: (sample: [NdArray<Uint8Array>, number | NdArray<Float32Array>], rng: RandomGenerator) => TSample;
}

/** One row group: the file it is in and its rows `[start, end)` in the file and in the dataset. */
interface GroupRef {
  file: number;
  fileStart: number;
  rows: number;
  datasetStart: number;
}

/** A decoded row group: `rows x width` features (or the encoded image cells) and the labels. */
interface DecodedGroup {
  x: Float32Array;
  images: unknown[] | null;
  y: unknown[];
}

interface OpenFile {
  path: string;
  buffer: AsyncBuffer;
  metadata: FileMetaData;
  compressors: Compressors | undefined;
}

function topLevelColumns(metadata: FileMetaData): string[] {
  return parquetSchema(metadata).children.map((c) => c.element.name);
}

function cellValues(cell: unknown): number[] | null {
  if (typeof cell === 'number') return [cell];
  if (typeof cell === 'bigint') return [Number(cell)];
  if (typeof cell === 'boolean') return [cell ? 1 : 0];
  if (Array.isArray(cell) || ArrayBuffer.isView(cell)) {
    const out: number[] = [];
    const list = cell as ArrayLike<unknown>;
    for (let i = 0; i < list.length; i += 1) {
      const inner = cellValues(list[i]);
      if (inner === null) return null;
      out.push(...inner);
    }
    return out;
  }
  return null;
}

async function openFile(path: string, compressors: Compressors | undefined): Promise<OpenFile> {
  try {
    const buffer = await asyncBufferFromFile(path);
    return { path, buffer, metadata: await parquetMetadataAsync(buffer), compressors };
  } catch (error) {
    throw new Error(`ParquetDataset: ${path} is not a readable Parquet file: ${(error as Error).message}`, { cause: error });
  }
}

function readRows(f: OpenFile, columns: string[], rowStart: number, rowEnd: number, utf8 = true): Promise<unknown[][]> {
  return new Promise((resolve, reject) => {
    const codecs = f.compressors === undefined ? {} : { compressors: f.compressors };
    parquetRead({ file: f.buffer, metadata: f.metadata, columns, rowStart, rowEnd, rowFormat: 'array', utf8, onComplete: resolve, ...codecs }).catch(
      (error: unknown) => reject(new Error(`ParquetDataset: cannot decode rows ${rowStart}..${rowEnd} of ${f.path}: ${(error as Error).message}`, { cause: error })),
    );
  });
}

function groupTable(files: OpenFile[]): GroupRef[] {
  const groups: GroupRef[] = [];
  let total = 0;
  files.forEach((f, file) => {
    let fileStart = 0;
    for (const g of f.metadata.row_groups) {
      const rows = Number(g.num_rows);
      if (rows > 0) groups.push({ file, fileStart, rows, datasetStart: total });
      fileStart += rows;
      total += rows;
    }
  });
  return groups;
}

/**
 * A map-style dataset over the rows of Parquet files, read lazily by row group: `get(i)` resolves to
 * `[features, label]`, the features a float32 {@link NdArray} `[F]`.
 *
 * @example
 * ```ts
 * const ds = await ParquetDataset.open(['train-00000.parquet', 'train-00001.parquet'], { label: 'label' });
 * const loader = new DataLoader(ds, { batchSize: 256, shuffle: true }); // async dataset: iterate with for await
 * ```
 */
export class ParquetDataset<TSample = [NdArray<Float32Array>, number | NdArray<Float32Array>]> {
  /** The files, in order. */
  readonly files: readonly string[];
  /** The feature columns. */
  readonly featureNames: readonly string[];
  /** The label column, or null. */
  readonly labelName: string | null;
  /** Class names of a categorical label, else null. */
  readonly classes: readonly string[] | null;
  /** The number of rows. */
  readonly length: number;
  /** The column of encoded images ({@link ParquetDataset.openImages}), or null. */
  readonly imageColumn: string | null;
  readonly #files: OpenFile[];
  readonly #groups: GroupRef[];
  readonly #cache = new Map<number, Promise<DecodedGroup>>();
  readonly #options: ParquetDatasetOptions<TSample>;
  #width = -1;

  private constructor(files: OpenFile[], options: ParquetDatasetOptions<TSample>, features: string[], classes: string[] | null, image: string | null) {
    this.#files = files;
    this.files = files.map((f) => f.path);
    this.#options = options;
    this.#groups = groupTable(files);
    this.length = files.reduce((a, f) => a + Number(f.metadata.num_rows), 0);
    this.featureNames = features;
    this.labelName = options.label ?? null;
    this.classes = classes;
    this.imageColumn = image;
  }

  /**
   * Reads the footers of the files (and, for categorical labels without `classes`, the label column once).
   *
   * @param files - a Parquet file or a list of them (their rows are concatenated in order).
   * @param options - columns, label, labelType, classes, compressors, cacheRowGroups, transform.
   * @returns the dataset.
   * @throws Error naming a file that is not Parquet; RangeError naming a missing column or an empty dataset.
   */
  static async open<TSample = [NdArray<Float32Array>, number | NdArray<Float32Array>]>(
    files: string | readonly string[],
    options: ParquetDatasetOptions<TSample> = {},
  ): Promise<ParquetDataset<TSample>> {
    return ParquetDataset.#open(files, options, null);
  }

  /**
   * Opens Parquet files of images: `get(i)` resolves to `[image, label]`, the image decoded to an HWC uint8 RGB
   * {@link NdArray} (or what `transform` makes of it). Cells are encoded images: binary, or Hugging Face `Image()`
   * structs `{ bytes, path }` (a struct without bytes reads `path`, relative to the Parquet file's folder).
   *
   * @param files - a Parquet file or a list of them.
   * @param options - image (the column), label, labelType, classes, compressors, cacheRowGroups, transform.
   * @returns the dataset.
   * @throws Error naming a file that is not Parquet; RangeError naming a missing column or an empty dataset.
   * @example
   * ```ts
   * // e.g. the train split of a Hugging Face image dataset, downloaded as Parquet
   * const ds = await ParquetDataset.openImages('train-00000-of-00001.parquet', {
   *   image: 'image', label: 'label', transform: ([img, y], rng) => [augment.apply(img, rng), y],
   * });
   * ```
   */
  static async openImages<TSample = [NdArray<Uint8Array>, number | NdArray<Float32Array>]>(
    files: string | readonly string[],
    options: ParquetImageOptions<TSample>,
  ): Promise<ParquetDataset<TSample>> {
    if (typeof options.image !== 'string' || options.image === '') {
      throw new TypeError(`ParquetDataset.openImages needs the image option: the name of the column of encoded images, but given ${String(options.image)}.`);
    }
    const { image, ...rest } = options;
    return ParquetDataset.#open(files, rest as unknown as ParquetDatasetOptions<TSample>, image);
  }

  static async #open<T>(files: string | readonly string[], options: ParquetDatasetOptions<T>, image: string | null): Promise<ParquetDataset<T>> {
    const list = typeof files === 'string' ? [files] : [...files];
    if (list.length === 0) throw new RangeError(`ParquetDataset.${image === null ? 'open' : 'openImages'} needs at least one file.`);
    const opened = await Promise.all(list.map(async (f) => openFile(f, options.compressors)));
    const first = topLevelColumns((opened[0] as OpenFile).metadata);
    const required = [...(image === null ? (options.columns ?? []) : [image]), ...(options.label === undefined ? [] : [options.label])];
    for (const f of opened) {
      const cols = topLevelColumns(f.metadata);
      for (const c of required) {
        if (!cols.includes(c)) throw new RangeError(`ParquetDataset: ${f.path} has no column "${c}"; its columns are ${cols.join(', ')}.`);
      }
    }
    const features = image !== null ? [] : options.columns !== undefined ? [...options.columns] : first.filter((c) => c !== options.label);
    let classes: string[] | null = null;
    if (options.labelType === 'category' && options.label !== undefined) {
      classes = options.classes !== undefined ? [...options.classes] : await collectClasses(opened, options.label);
    }
    const ds = new ParquetDataset<T>(opened, options, features, classes, image);
    if (ds.length === 0) throw new RangeError(`ParquetDataset: ${list.join(', ')} hold no row.`);
    return ds;
  }

  #group(row: number): number {
    let lo = 0;
    let hi = this.#groups.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#groups[mid] as GroupRef).datasetStart <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  async #decode(k: number): Promise<DecodedGroup> {
    const g = this.#groups[k] as GroupRef;
    const f = this.#files[g.file] as OpenFile;
    const label = this.#options.label;
    if (this.imageColumn !== null) {
      // Binary cells stay bytes (utf8: false); UTF8-annotated columns (paths, string labels) still decode as strings.
      const rows = await readRows(f, [this.imageColumn, ...(label === undefined ? [] : [label])], g.fileStart, g.fileStart + g.rows, false);
      return { x: new Float32Array(0), images: rows.map((row) => row[0]), y: rows.map((row) => (label === undefined ? null : row[1])) };
    }
    const rows = await readRows(f, [...this.featureNames, ...(label === undefined ? [] : [label])], g.fileStart, g.fileStart + g.rows);
    const nf = this.featureNames.length;
    const y: unknown[] = new Array<unknown>(rows.length);
    let x = new Float32Array(0);
    rows.forEach((row, r) => {
      const values: number[] = [];
      for (let c = 0; c < nf; c += 1) {
        const v = cellValues(row[c]);
        if (v === null) {
          throw new TypeError(`ParquetDataset: ${f.path} row ${g.fileStart + r} column "${this.featureNames[c]}" is ${typeof row[c]}, not numeric. Leave it out of \`columns\`.`);
        }
        values.push(...v);
      }
      if (this.#width < 0) this.#width = values.length;
      if (values.length !== this.#width) {
        throw new RangeError(`ParquetDataset: ${f.path} row ${g.fileStart + r} has ${values.length} feature values, but earlier rows have ${this.#width}.`);
      }
      if (r === 0) x = new Float32Array(rows.length * this.#width);
      x.set(values, r * this.#width);
      y[r] = label === undefined ? null : row[nf];
    });
    return { x, images: null, y };
  }

  #cached(k: number): Promise<DecodedGroup> {
    let p = this.#cache.get(k);
    if (p !== undefined) {
      this.#cache.delete(k); // re-insert: most recently used last
    } else {
      p = this.#decode(k);
      p.catch(() => this.#cache.delete(k));
    }
    this.#cache.set(k, p);
    const limit = Math.max(1, this.#options.cacheRowGroups ?? 4);
    while (this.#cache.size > limit) this.#cache.delete(this.#cache.keys().next().value as number);
    return p;
  }

  #label(value: unknown, row: number): number | NdArray<Float32Array> {
    const type = this.#options.labelType ?? 'int';
    if (type === 'category') {
      const k = this.classes?.indexOf(String(value)) ?? -1;
      if (k < 0) throw new RangeError(`ParquetDataset: row ${row}: label ${JSON.stringify(String(value))} is not one of the classes.`);
      return k;
    }
    const v = typeof value === 'bigint' ? Number(value) : typeof value === 'boolean' ? Number(value) : value;
    if (typeof v !== 'number' || (type === 'int' && !Number.isInteger(v))) {
      throw new TypeError(`ParquetDataset: row ${row}: the label ${String(value)} is not ${type === 'int' ? 'an integer' : 'a number'}; set labelType ('float' or 'category').`);
    }
    return type === 'float' ? new NdArray(Float32Array.of(v), []) : v;
  }

  /**
   * Reads row `index` (decoding its row group unless cached).
   *
   * @param index - the row index over all files.
   * @param rng - the sample's generator, passed to the transform (default: one forked from the global generator).
   * @returns `[features, label]` (or `[features]` without a label), or the transform's result.
   * @throws RangeError for an index out of range; Error naming the file when a row group cannot be decoded.
   */
  async get(index: number, rng?: RandomGenerator): Promise<TSample> {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`Index ${index} is out of range for a ParquetDataset of ${this.length} rows.`);
    }
    const g = this.#options.transform === undefined ? null : (rng ?? forkGlobalGenerator());
    const k = this.#group(index);
    const r = index - (this.#groups[k] as GroupRef).datasetStart;
    const { x, images, y } = await this.#cached(k);
    const features = images !== null
      ? await this.#image(images[r], index, this.#files[(this.#groups[k] as GroupRef).file] as OpenFile)
      : new NdArray(x.slice(r * this.#width, (r + 1) * this.#width), [this.#width]);
    const sample = (this.labelName === null ? [features] : [features, this.#label(y[r], index)]) as [NdArray<Float32Array>, number | NdArray<Float32Array>];
    return this.#options.transform === undefined ? (sample as unknown as TSample) : this.#options.transform(sample, g ?? globalGenerator);
  }

  async #image(cell: unknown, row: number, f: OpenFile): Promise<NdArray<Float32Array>> {
    const where = `ParquetDataset: ${f.path} row ${row} column "${String(this.imageColumn)}"`;
    let bytes: Uint8Array;
    const struct = cell !== null && typeof cell === 'object' && !ArrayBuffer.isView(cell) ? (cell as { bytes?: unknown; path?: unknown }) : null;
    if (cell instanceof Uint8Array) {
      bytes = cell;
    } else if (struct !== null && struct.bytes instanceof Uint8Array) {
      bytes = struct.bytes;
    } else if (struct !== null && typeof struct.path === 'string' && struct.path !== '') {
      const path = isAbsolute(struct.path) ? struct.path : join(dirname(f.path), struct.path);
      try {
        bytes = await readFile(path);
      } catch (error) {
        throw new Error(`${where}: the image has no bytes and its path ${path} cannot be read: ${(error as Error).message}.`, { cause: error });
      }
    } else {
      const got = cell === null ? 'null' : struct !== null ? `a struct with fields ${Object.keys(struct).join(', ')}` : typeof cell;
      throw new TypeError(`${where} should hold encoded images (binary, or { bytes, path } structs), but holds ${got}. Pick the image column with the image option.`);
    }
    try {
      // Typed as the feature NdArray of the class's default sample; openImages' types say what it really is.
      return (await decodeImage(bytes)) as unknown as NdArray<Float32Array>;
    } catch (error) {
      throw new Error(`${where} is not a decodable image (${bytes.length} bytes): ${(error as Error).message}.`, { cause: error });
    }
  }
}

async function collectClasses(files: OpenFile[], label: string): Promise<string[]> {
  const seen = new Set<string>();
  for (const f of files) {
    for (const [v] of await readRows(f, [label], 0, Number(f.metadata.num_rows))) seen.add(String(v));
  }
  return [...seen].sort();
}
