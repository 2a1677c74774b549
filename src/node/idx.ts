/**
 * @module node/idx Node-only IDX file reading (`node:fs`, `node:zlib`); exported from the `kindling/node`
 * subpath so browser bundles never import it. Deviations: none (see `idx.ts` for the format).
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { isGzip, parseIdx } from '../data/idx.js';
import type { NdArray } from '../data/nd-array.js';

/**
 * Reads an IDX file (gzipped or not, detected from its first bytes) into an {@link NdArray}.
 *
 * @param path - the file path (e.g. `train-images-idx3-ubyte.gz`).
 * @returns the array and its shape, e.g. `[60000, 28, 28]` uint8 for MNIST training images.
 * @throws RangeError for a malformed file; the file system error if it cannot be read.
 * @example
 * ```ts
 * import { readIdx } from 'kindling/node';
 * const images = await readIdx('data/train-images-idx3-ubyte.gz'); // NdArray<Uint8Array>, shape [60000, 28, 28]
 * const labels = await readIdx('data/train-labels-idx1-ubyte.gz'); // shape [60000]
 * const ds = new TensorDataset(images, labels);
 * ```
 */
export async function readIdx(path: string): Promise<NdArray> {
  const buffer = await readFile(path);
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  return parseIdx(isGzip(bytes) ? new Uint8Array(gunzipSync(bytes)) : bytes, path);
}
