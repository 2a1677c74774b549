import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { DataLoader, mnist, type NdArray } from '../../src/data/index.js';

const require = createRequire(import.meta.url);
const digitFile = (d: number): number[] =>
  (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')) as { data: number[] }).data;

describe('mnist()', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('loads the 10,000 digits as deterministic, disjoint, stratified train/test splits', async () => {
    const a = await mnist();
    assert.equal(a.train.length + a.test.length, 10000);
    const counts = Array.from({ length: 10 }, (_, d) => digitFile(d).length / 784);
    assert.equal(a.test.length, counts.reduce((sum, c) => sum + Math.round(c * 0.2), 0));
    const [images, labels] = a.train.columns as [NdArray, NdArray];
    assert.deepEqual(images.shape, [a.train.length, 28, 28]);
    assert.equal(images.dtype, 'float32');
    assert.equal(labels.dtype, 'int32');
    // digits are interleaved 0..9 and every class is present in both splits
    assert.deepEqual(Array.from(labels.data.subarray(0, 12)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    const testLabels = (a.test.columns[1] as NdArray).data;
    for (let d = 0; d < 10; d += 1) assert.ok(testLabels.includes(d) && labels.data.includes(d));
    // the first training "3" is the first sample of the package's digit file 3, pixel for pixel
    const three = digitFile(3).slice(0, 784);
    assert.deepEqual(Array.from(images.at(3).data), Array.from(Float32Array.from(three)));
    // the first test "0": digit 0 has 1001 samples, 801 go to train (20% of 1001 rounds to 200)
    assert.deepEqual(Array.from((a.test.columns[0] as NdArray).at(0).data), Array.from(Float32Array.from(digitFile(0).slice(801 * 784, 802 * 784))));
    const b = await mnist();
    assert.deepEqual((b.train.columns[1] as NdArray).data, labels.data);
  });

  it('supports flatten, maxPerDigit, testFraction and a custom loader', async () => {
    const fake = (d: number): Promise<number[]> => Promise.resolve(new Array<number>(784 * 5).fill(d / 10));
    const { train, test } = await mnist({ loadDigit: fake, flatten: true, testFraction: 0.4, maxPerDigit: 5 });
    assert.equal(train.length, 30);
    assert.equal(test.length, 20);
    assert.deepEqual(train.columns[0]?.shape, [30, 784]);
    const loader = new DataLoader(train, { batchSize: 10 });
    const [x, y] = loader[Symbol.iterator]().next().value as tf.Tensor[];
    assert.deepEqual(x?.shape, [10, 784]);
    assert.deepEqual(Array.from(y?.dataSync() ?? []), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    loader.dispose();
    await assert.rejects(mnist({ testFraction: 1 }), RangeError);
    await assert.rejects(mnist({ loadDigit: () => Promise.resolve([1, 2, 3]) }), /not a multiple of 784/);
  });
});
