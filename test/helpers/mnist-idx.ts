// Writes a small MNIST in IDX format (the files `kindling train --data` reads) from the mnist package's digits.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { mnist } from '../../src/data/index.js';

/** Encodes an unsigned-byte IDX file. */
export function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2); // unsigned byte
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

/**
 * Writes train-images/labels and t10k-images/labels into `dir` (images gzipped, labels plain, to cover both).
 *
 * @param dir - target directory.
 * @param options - per-digit cap of the source splits, and how many samples of each split to write.
 */
export async function writeSmallMnist(dir: string, options: { maxPerDigit?: number; nTrain?: number; nTest?: number } = {}): Promise<void> {
  const { train, test } = await mnist(options.maxPerDigit !== undefined ? { maxPerDigit: options.maxPerDigit } : {});
  const write = (name: string, ds: typeof train, limit: number | undefined): void => {
    const [images, labels] = ds.columns as unknown as [{ data: Float32Array }, { data: Int32Array }];
    const n = Math.min(limit ?? ds.length, ds.length);
    const px = Uint8Array.from(images.data.subarray(0, n * 784), (v) => Math.round(v * 255));
    writeFileSync(join(dir, `${name}-images-idx3-ubyte.gz`), gzipSync(idx([n, 28, 28], px)));
    writeFileSync(join(dir, `${name}-labels-idx1-ubyte`), idx([n], Uint8Array.from(labels.data.subarray(0, n))));
  };
  write('train', train, options.nTrain);
  write('t10k', test, options.nTest);
}
