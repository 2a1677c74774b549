/**
 * @module A lazy map-style dataset over a CSV file (Node only: `node:fs` and `csv-parse`). No Ignite/torch
 * counterpart (PyTorch users write a `Dataset` over pandas); semantics follow `torch.utils.data.Dataset`.
 * Deviations: none to port. Design: the constructor scans the file once (quote-aware) and keeps only a byte-offset
 * index of the rows in memory (8 bytes per row, outside the JavaScript heap); `get(i)` reads and parses row `i`
 * from the file, so memory stays bounded whatever the file size. Quoted rows are parsed by `csv-parse`; rows
 * without quotes take a plain split fast path (same result). Categorical labels without explicit `classes`
 * need a second pass over the file at construction to collect them.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { NdArray } from '../../data/nd-array.js';
import type { RandomGenerator } from '../../random/generator.js';
import { globalGenerator } from '../../random/global.js';

/** How the label column is read: an integer class index, a float target, or a category name mapped to its index. */
export type CsvLabelType = 'int' | 'float' | 'category';

/** Options of {@link CsvDataset}. */
export interface CsvDatasetOptions<TSample = [NdArray<Float32Array>, number | NdArray<Float32Array>]> {
  /** Feature columns, by name (with a header) or index; default: every column but the label. */
  features?: readonly (string | number)[];
  /** The label column, by name or index; default none (samples are `[features]`). */
  label?: string | number;
  /** How the label is read (default `'int'`): `'float'` labels are scalar float32 NdArrays so batches stay float32. */
  labelType?: CsvLabelType;
  /** For `labelType: 'category'`: the class names, index = position (default: the sorted distinct values). */
  classes?: readonly string[];
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  /** Field delimiter (default `','`). */
  delimiter?: string;
  /** Value of empty feature cells (default: an error naming the row and column). */
  missing?: number;
  /** Turns `[features, label]` into the sample, with the sample's generator. */
  transform?: (sample: [NdArray<Float32Array>, number | NdArray<Float32Array>], rng: RandomGenerator) => TSample;
}

const CHUNK = 1 << 20;

/** A growable list of row start offsets (the last entry is the end of the last row). */
class OffsetList {
  data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length] = v;
    this.length += 1;
  }
}

/**
 * Scans a CSV file once and returns the byte offset of every row start, plus the end of the last row; quoted
 * fields may contain newlines; blank lines are skipped; a UTF-8 byte order mark is skipped.
 *
 * @param fd - an open file descriptor.
 * @param size - the file size.
 * @returns the offsets (`rows + 1` entries).
 */
function indexRows(fd: number, size: number): Float64Array {
  const offsets = new OffsetList();
  const buf = Buffer.allocUnsafe(CHUNK);
  let inQuote = false;
  let rowStart = -1;
  let pos = 0;
  let contentStart = 0;
  readSync(fd, buf, 0, 3, 0);
  if (size >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) contentStart = 3;
  for (pos = contentStart; pos < size;) {
    const n = readSync(fd, buf, 0, Math.min(CHUNK, size - pos), pos);
    for (let i = 0; i < n; i += 1) {
      const b = buf[i] as number;
      if (b === 0x22) inQuote = !inQuote;
      if (rowStart < 0 && b !== 0x0a && b !== 0x0d) {
        rowStart = pos + i;
        offsets.push(rowStart);
      }
      if (b === 0x0a && !inQuote && rowStart >= 0) rowStart = -1;
    }
    pos += n;
  }
  if (offsets.length > 0) offsets.push(size);
  return offsets.data.slice(0, offsets.length);
}

function readRange(fd: number, start: number, end: number): Buffer {
  const buf = Buffer.allocUnsafe(end - start);
  let done = 0;
  while (done < buf.length) done += readSync(fd, buf, done, buf.length - done, start + done);
  return buf;
}

/**
 * Parses CSV rows. Rows without any quote character are split directly (for them CSV is exactly "split on the
 * delimiter", and this is about 30 times faster than a general parser); anything quoted goes through `csv-parse`.
 *
 * @param bytes - whole rows.
 * @param delimiter - the field delimiter.
 * @returns the rows' fields.
 */
function parseRows(bytes: Buffer, delimiter: string): string[][] {
  if (bytes.includes(0x22)) return parse(bytes, { delimiter, skip_empty_lines: true, relax_column_count: true });
  const rows: string[][] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (text.length > 0) rows.push(text.split(delimiter));
  }
  return rows;
}

/** A raw sample before the transform: the features and the label (null when there is no label column). */
type RawSample = [NdArray<Float32Array>, number | NdArray<Float32Array>];

/**
 * A map-style dataset over the rows of a CSV file, read lazily: `get(i)` returns `[features, label]` with the
 * features as a float32 {@link NdArray} `[F]`, so `DataLoader` batches are `[float32 [B, F], int32 [B]]`.
 *
 * @example
 * ```ts
 * const ds = new CsvDataset('houses.csv', { label: 'price', labelType: 'float' }); // features: every other column
 * const ds2 = new CsvDataset('iris.csv', { features: ['sepal_length', 'petal_length'], label: 'species',
 *   labelType: 'category' });  // ds2.classes: ['setosa', 'versicolor', 'virginica']
 * ```
 */
export class CsvDataset<TSample = RawSample> {
  /** The file. */
  readonly file: string;
  /** The column names (`'0'`, `'1'`, ... without a header). */
  readonly columns: readonly string[];
  /** The feature column names, in sample order. */
  readonly featureNames: readonly string[];
  /** The label column name, or null. */
  readonly labelName: string | null;
  /** Class names of a categorical label (index = class), else null. */
  readonly classes: readonly string[] | null;
  readonly #offsets: Float64Array;
  readonly #first: number;
  readonly #featureIdx: Int32Array;
  readonly #labelIdx: number;
  readonly #classIdx: Map<string, number> | null;
  readonly #options: CsvDatasetOptions<TSample>;
  #fd: number | null;

  /**
   * Opens the file and builds the row index (one pass; two for categorical labels without `classes`).
   *
   * @param file - the CSV file.
   * @param options - features, label, labelType, classes, header, delimiter, missing, transform.
   * @throws Error naming the file when it cannot be read or has no data row; RangeError naming an unknown column.
   */
  constructor(file: string, options: CsvDatasetOptions<TSample> = {}) {
    this.file = file;
    this.#options = options;
    try {
      this.#fd = openSync(file, 'r');
      this.#offsets = indexRows(this.#fd, fstatSync(this.#fd).size);
    } catch (error) {
      throw new Error(`CsvDataset: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    const header = options.header ?? true;
    const firstRow = this.#offsets.length > 1 ? this.#parseRange(0, 1)[0] : undefined;
    if (firstRow === undefined) throw new Error(`CsvDataset: ${file} is empty; expected a header and data rows.`);
    this.columns = header ? firstRow : firstRow.map((_, i) => String(i));
    this.#first = header ? 1 : 0;
    if (this.length <= 0) throw new Error(`CsvDataset: ${file} has a header but no data row.`);
    this.#labelIdx = options.label === undefined ? -1 : this.#column(options.label);
    const featureIdx = options.features?.map((c) => this.#column(c)) ?? this.columns.map((_, i) => i).filter((i) => i !== this.#labelIdx);
    this.#featureIdx = Int32Array.from(featureIdx);
    this.featureNames = featureIdx.map((i) => this.columns[i] as string);
    this.labelName = this.#labelIdx < 0 ? null : (this.columns[this.#labelIdx] as string);
    this.classes = options.labelType === 'category' ? (options.classes ?? this.#collectClasses()) : null;
    this.#classIdx = this.classes === null ? null : new Map(this.classes.map((c, i) => [c, i]));
  }

  /** The number of data rows. */
  get length(): number {
    return this.#offsets.length - 1 - this.#first;
  }

  #column(c: string | number): number {
    const i = typeof c === 'number' ? c : this.columns.indexOf(c);
    if (!Number.isInteger(i) || i < 0 || i >= this.columns.length) {
      throw new RangeError(`CsvDataset: ${this.file} has no column ${JSON.stringify(c)}; its columns are ${this.columns.join(', ')}.`);
    }
    return i;
  }

  /** Parses rows `[from, to)` of the file (file rows, header included). */
  #parseRange(from: number, to: number): string[][] {
    if (this.#fd === null) this.#fd = openSync(this.file, 'r');
    const bytes = readRange(this.#fd, this.#offsets[from] as number, this.#offsets[to] as number);
    try {
      return parseRows(bytes, this.#options.delimiter ?? ',');
    } catch (error) {
      throw new Error(`CsvDataset: ${this.file} row ${from + 1}: ${(error as Error).message}`, { cause: error });
    }
  }

  #collectClasses(): string[] {
    const seen = new Set<string>();
    const step = Math.max(1, Math.floor(CHUNK / Math.max(1, ((this.#offsets.at(-1) as number) / this.#offsets.length) | 0)));
    for (let r = this.#first; r < this.#offsets.length - 1; r += step) {
      for (const row of this.#parseRange(r, Math.min(r + step, this.#offsets.length - 1))) seen.add(row[this.#labelIdx] ?? '');
    }
    return [...seen].sort();
  }

  #number(cell: string | undefined, row: number, col: number): number {
    const text = cell?.trim() ?? '';
    if (text === '' && this.#options.missing !== undefined) return this.#options.missing;
    const v = Number(text);
    if (text === '' || Number.isNaN(v)) {
      throw new TypeError(
        `CsvDataset: ${this.file} data row ${row} column "${this.columns[col]}": expected a number, but given ${JSON.stringify(cell ?? '')}. ` +
          'Fix the file, pass `missing` for empty cells, or leave the column out of `features`.',
      );
    }
    return v;
  }

  #label(row: string[], index: number): number | NdArray<Float32Array> {
    const cell = row[this.#labelIdx];
    if (this.#classIdx !== null) {
      const k = this.#classIdx.get(cell ?? '');
      if (k === undefined) throw new RangeError(`CsvDataset: ${this.file} data row ${index}: label ${JSON.stringify(cell)} is not one of the classes.`);
      return k;
    }
    const v = this.#number(cell, index, this.#labelIdx);
    if (this.#options.labelType === 'float') return new NdArray(Float32Array.of(v), []);
    if (!Number.isInteger(v)) throw new TypeError(`CsvDataset: ${this.file} data row ${index}: the label ${v} is not an integer; use labelType: 'float'.`);
    return v;
  }

  /**
   * Reads and parses data row `index`.
   *
   * @param index - the row index (0 = first data row).
   * @param rng - the sample's generator, passed to the transform (default: the global generator).
   * @returns `[features, label]` (or `[features]` without a label column), or the transform's result.
   * @throws RangeError for an index out of range; TypeError naming the row and column for a non-numeric cell.
   */
  get(index: number, rng?: RandomGenerator): TSample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`Index ${index} is out of range for a CsvDataset of ${this.length} rows (${this.file}).`);
    }
    const row = this.#parseRange(index + this.#first, index + this.#first + 1)[0] ?? [];
    if (row.length !== this.columns.length) {
      throw new RangeError(`CsvDataset: ${this.file} data row ${index} has ${row.length} fields, but the header has ${this.columns.length}.`);
    }
    const x = new Float32Array(this.#featureIdx.length);
    for (let k = 0; k < x.length; k += 1) x[k] = this.#number(row[this.#featureIdx[k] as number], index, this.#featureIdx[k] as number);
    const features = new NdArray(x, [x.length]);
    const sample = (this.#labelIdx < 0 ? [features] : [features, this.#label(row, index)]) as RawSample;
    return this.#options.transform === undefined ? (sample as unknown as TSample) : this.#options.transform(sample, rng ?? globalGenerator);
  }

  /** Closes the file (reopened by the next `get`). */
  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
