/**
 * @module data/idx Decoder of the IDX file format (MNIST, Fashion-MNIST, EMNIST...), browser-safe.
 * No Ignite counterpart (torchvision's `read_sn3_pascalvincent_tensor`). Deviations: none; Node's file reading lives
 * in src/node/idx.ts (`readIdx(path)`, exported by `kindling/node`).
 *
 * Format: two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64),
 * the number of dimensions, then each dimension as a big-endian uint32, then the values, big-endian, row-major.
 */
import { NdArray, type NumericArray } from './nd-array.js';

interface IdxType {
  readonly name: string;
  readonly bytes: number;
  readonly make: (n: number) => NumericArray;
  readonly read: (view: DataView, offset: number) => number;
}

const IDX_TYPES: Readonly<Record<number, IdxType>> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, o) => v.getInt16(o, false) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, o) => v.getInt32(o, false) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, o) => v.getFloat32(o, false) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, o) => v.getFloat64(o, false) },
};

/**
 * Tells whether bytes start with the gzip magic number (0x1f 0x8b).
 *
 * @param bytes - file contents.
 * @returns true for gzip data.
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decodes an uncompressed IDX file into an {@link NdArray} (uint8 data stays a Uint8Array, float32 a Float32Array...).
 *
 * @param bytes - the file contents (not gzipped; see {@link decodeIdx} or Node's `readIdx` for .gz files).
 * @param source - a name for error messages (e.g. the path).
 * @returns the array with its shape, e.g. `[60000, 28, 28]` for MNIST training images.
 * @throws RangeError for a bad magic number, an unknown type byte, or a size that does not match the header.
 * @example
 * ```ts
 * const labels = parseIdx(new Uint8Array(await (await fetch('t10k-labels-idx1-ubyte')).arrayBuffer()));
 * labels.shape; // [10000]
 * ```
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): NdArray {
  if (isGzip(bytes)) {
    throw new RangeError(`${source} is gzip-compressed: use decodeIdx() (async) or readIdx() from 'kindling/node'.`);
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError(`${source} is not an IDX file: it should start with two zero bytes (magic number 0x0000TTDD).`);
  }
  const type = IDX_TYPES[bytes[2] as number];
  if (type === undefined) {
    throw new RangeError(`${source} has an unknown IDX data type 0x${(bytes[2] as number).toString(16)}; expected 0x08, 0x09, 0x0B-0x0E.`);
  }
  const ndim = bytes[3] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new RangeError(`${source} is truncated: its header needs ${header} bytes, it has ${bytes.length}.`);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * type.bytes;
  if (bytes.length !== expected) {
    throw new RangeError(
      `${source} has ${bytes.length} bytes, but its header (${type.name}, shape [${shape.join(', ')}]) needs ${expected}. ` +
        'The file is truncated or corrupted.',
    );
  }
  let data: NumericArray;
  if (type.bytes === 1) {
    data = type.make(count);
    data.set(type.name === 'uint8' ? bytes.subarray(header) : new Int8Array(bytes.buffer, bytes.byteOffset + header, count));
  } else {
    data = type.make(count);
    for (let i = 0; i < count; i += 1) data[i] = type.read(view, header + i * type.bytes);
  }
  return new NdArray(data, shape);
}

/**
 * Decodes an IDX file, gunzipping it first when needed with the standard `DecompressionStream` (browsers, Node >= 18).
 *
 * @param bytes - the file contents, gzipped or not.
 * @param source - a name for error messages.
 * @returns the decoded array.
 * @throws RangeError for malformed data.
 * @example
 * ```ts
 * const res = await fetch('/data/train-images-idx3-ubyte.gz');
 * const images = await decodeIdx(new Uint8Array(await res.arrayBuffer()));
 * ```
 */
export async function decodeIdx(bytes: Uint8Array, source = 'IDX data'): Promise<NdArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, source);
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  return parseIdx(raw, source);
}
